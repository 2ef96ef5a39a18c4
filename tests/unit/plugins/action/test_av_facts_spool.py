# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""av_facts with ``spool``: every outcome of a host's detection is recorded for the report -
facts, a host that cannot be reached, a collector that fails, a detection that does not finish."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from unittest import mock

import pytest

from ansible.errors import AnsibleConnectionFailure
from ansible.plugins.action import ActionBase

from ansible_collections.fleetsec.banned_av.plugins.plugin_utils import run_spool
from ansible_collections.fleetsec.banned_av.tests.unit.plugins.action.test_av_facts import linux_inventory, make_action

TASK_VARS = {'inventory_hostname': 'web01.example.com'}


@pytest.fixture(autouse=True)
def no_base_run():
    with mock.patch.object(ActionBase, 'run', return_value={}):
        yield


@pytest.fixture
def spool(tmp_path):
    return run_spool.create(base=str(tmp_path))[1]


def recorded(spool):
    return run_spool.read(spool, ['web01.example.com']).get('web01.example.com')


def test_facts_are_recorded(spool):
    action = make_action({'spool': spool})
    with mock.patch.object(action, '_execute_module', return_value={'inventory': linux_inventory()}):
        result = action.run(task_vars=dict(TASK_VARS))
    record = recorded(spool)
    assert record['facts'] == result['ansible_facts']['banned_av']
    assert not record['unreachable'] and not record['failed']


def test_without_spool_nothing_is_recorded(spool):
    action = make_action({})
    with mock.patch.object(action, '_execute_module', return_value={'inventory': linux_inventory()}):
        action.run(task_vars=dict(TASK_VARS))
    assert recorded(spool) is None


def test_an_unreachable_host_is_recorded_and_still_unreachable(spool):
    action = make_action({'spool': spool})
    failure = AnsibleConnectionFailure('Failed to connect to the host via ssh: Connection timed out')
    with mock.patch.object(action, '_execute_module', side_effect=failure):
        with pytest.raises(AnsibleConnectionFailure):
            action.run(task_vars=dict(TASK_VARS))
    record = recorded(spool)
    assert record['unreachable'] and 'Connection timed out' in record['msg'] and record['facts'] is None


def test_a_failed_collector_is_recorded(spool):
    action = make_action({'spool': spool})
    with mock.patch.object(action, '_execute_module', return_value={'failed': True, 'msg': 'regipy missing'}):
        result = action.run(task_vars=dict(TASK_VARS))
    assert result['failed']
    record = recorded(spool)
    assert record['failed'] and record['msg'] == 'regipy missing' and record['facts'] is None


class Timeout(BaseException):
    """What ansible-core raises in the worker when the task's ``timeout`` expires (a BaseException)."""


@pytest.mark.parametrize('error', [Timeout('The task timed out after 720 seconds'), RuntimeError('matcher crashed')])
def test_a_detection_that_does_not_finish_is_recorded(spool, error):
    action = make_action({'spool': spool})
    with mock.patch.object(action, '_execute_module', side_effect=error):
        with pytest.raises(type(error)):
            action.run(task_vars=dict(TASK_VARS))
    record = recorded(spool)
    assert record['failed'] and record['msg'] == 'detection did not finish: %s' % error and record['facts'] is None


def test_the_hosts_jurisdictions_are_recorded_with_every_outcome(spool):
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar
    task_vars = dict(TASK_VARS, banned_av_jurisdictions=['us', 'us-federal'])
    for outcome in ({'return_value': {'inventory': linux_inventory()}},
                    {'side_effect': AnsibleConnectionFailure('Connection timed out')}):
        action = make_action({'spool': spool})
        action._templar = Templar(loader=DataLoader(), variables=task_vars)
        with mock.patch.object(action, '_execute_module', **outcome):
            try:
                action.run(task_vars=dict(task_vars))
            except AnsibleConnectionFailure:
                pass
        assert recorded(spool)['vars'] == {'banned_av_jurisdictions': ['us', 'us-federal']}
