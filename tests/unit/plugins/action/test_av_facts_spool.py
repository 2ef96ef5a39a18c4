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


# --------------------------------------------------------------------------- catalogue snapshot

SITE_ENTRY = {'id': 'acme.legacy_av', 'vendor': 'Acme', 'product': 'Acme Legacy AV', 'category': 'banned',
              'family': 'acme', 'platforms': ['linux'], 'sources': ['Security policy SP-12, 2026-03-01'],
              'match': {'packages': ['acme-av']}}


def acme_inventory():
    inventory = linux_inventory()  # dpkg-query's answer, one more package (fields as dpkg-query -W -f prints them)
    inventory['commands'][0]['stdout'] += 'acme-av\t3.1\tamd64\tinstall ok installed\n'
    return inventory


def detect(spool, entries=()):
    action = make_action({'spool': spool, 'catalog_entries': list(entries)})
    with mock.patch.object(action, '_execute_module', return_value={'inventory': acme_inventory()}):
        return action.run(task_vars=dict(TASK_VARS))['ansible_facts']['banned_av']


def snapshot(spool, entries=()):
    catalog = run_spool.catalog_mod.load(extra_entries=list(entries))
    run_spool.write_catalog(spool, catalog, run_spool.catalog_key([], list(entries)))
    return catalog


def test_the_run_snapshot_of_the_catalogue_is_used_and_gives_the_same_facts(spool):
    expected = detect(spool, [SITE_ENTRY])  # no snapshot yet: loaded from the YAML
    snapshot(spool, [SITE_ENTRY])
    with mock.patch.object(run_spool.catalog_mod, 'load', side_effect=AssertionError('loaded again')):
        facts = detect(spool, [SITE_ENTRY])
    assert facts == expected
    assert 'acme.legacy_av' in [f['id'] for f in facts['findings']]


def test_a_snapshot_of_other_inputs_is_never_used(spool):
    """A snapshot made without the site's entry must not hide the site's ban."""
    snapshot(spool)
    facts = detect(spool, [SITE_ENTRY])
    assert 'acme.legacy_av' in [f['id'] for f in facts['findings']]
    assert facts['catalog_version'].endswith('+site')


def test_a_catalogue_file_changed_after_the_snapshot_gives_another_key(tmp_path):
    path = tmp_path / 'site.yml'
    path.write_text('version: "1"\nproducts: []\n')
    key = run_spool.catalog_key([str(path)], [])
    path.write_text('version: "2"\nproducts: []\n# longer\n')
    assert run_spool.catalog_key([str(path)], []) != key
    assert run_spool.catalog_key([], [SITE_ENTRY]) != run_spool.catalog_key([], [])


@pytest.mark.parametrize('damage', ['garbage', 'wrong types', 'fifo', 'link'])
def test_a_damaged_snapshot_is_never_trusted(spool, tmp_path, damage):
    import json
    import os
    target = os.path.join(spool, run_spool.CATALOG_FILE)
    key = run_spool.catalog_key([], [SITE_ENTRY])
    if damage == 'garbage':
        with open(target, 'wb') as handle:
            handle.write(b'\xff{not json')
    elif damage == 'wrong types':
        with open(target, 'w') as handle:
            json.dump({'key': key, 'version': 1, 'entries': {}}, handle)
    elif damage == 'fifo':
        os.mkfifo(target)
    else:  # a link to a snapshot with the right key, but without the site's entry
        other = str(tmp_path / 'elsewhere')
        os.mkdir(other)
        run_spool.write_catalog(other, run_spool.catalog_mod.load(), key)
        os.symlink(os.path.join(other, run_spool.CATALOG_FILE), target)
    assert run_spool.read_catalog(spool, key) is None
    facts = detect(spool, [SITE_ENTRY])  # loads the catalogue itself, and does not block on a FIFO
    assert 'acme.legacy_av' in [f['id'] for f in facts['findings']]
