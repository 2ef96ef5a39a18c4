# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The remediation_plan action plugin: argument handling, the three stages, no_log."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
from unittest.mock import MagicMock

import pytest

from ansible.errors import AnsibleActionFail
from ansible.playbook.task import Task

from ansible_collections.fleetsec.banned_av.plugins.action import remediation_plan as action_mod
from ansible_collections.fleetsec.banned_av.plugins.module_utils import matcher
from ansible_collections.fleetsec.banned_av.tests.unit.conftest import fixture_text

CANARY = 'Canary-S3cret-P@ss-7f3a'


def kesl_facts(catalog):
    inv = {'schema': 1, 'platform': 'linux', 'root': '/', 'live': True, 'os': {'family': 'debian', 'version': '12'},
           'commands': [{'id': 'dpkg', 'argv': ['dpkg-query', '-W'], 'rc': 0, 'stdout': fixture_text('linux', 'dpkg-query-kesl.txt'),
                         'stderr': ''}],
           'packages': [], 'uninstall': [], 'services': [], 'units': [], 'paths': [], 'groups': [], 'processes': [],
           'kernel_modules': [], 'registry': [], 'receipts': [], 'bundles': [], 'launchd': [], 'security_center': [],
           'defender': None, 'skipped': [], 'errors': []}
    result = matcher.match(inv, catalog)
    return {'platform': 'linux', 'os': inv['os'], 'collected_at': '2026-11-27T00:00:00Z', 'findings': result['findings'],
            'protection': result['protection'], 'errors': []}


def run_action(args, task_vars=None, check_mode=False):
    task = MagicMock(Task)
    task.args = args
    task.async_val = 0
    task.check_mode = check_mode
    task.no_log = False
    task.action = 'fleetsec.banned_av.remediation_plan'
    task.get_validated_value = None
    action = action_mod.ActionModule(task, MagicMock(), MagicMock(), loader=None, templar=None, shared_loader_obj=None)
    return action.run(task_vars=task_vars or {'inventory_hostname': 'web1', 'group_names': ['linux']})


def test_plan_stage(catalog):
    result = run_action({'facts': kesl_facts(catalog), 'as_of': '2026-11-27', 'kes_password': CANARY})
    assert result['needs_action'] is True
    plan = result['plan']
    assert plan['host'] == 'web1' and plan['status'] == 'noncompliant' and plan['as_of'] == '2026-11-27'
    assert plan['target_ids'] == ['kaspersky.kesl_gui', 'kaspersky.kesl', 'kaspersky.klnagent_linux']
    assert CANARY not in json.dumps(result)


def test_plan_stage_waiver_by_group(catalog):
    waiver = {'groups': ['linux'], 'expires': '2027-01-31', 'owner': 'jane', 'ticket': 'SEC-9', 'reason': 'lab'}
    result = run_action({'facts': kesl_facts(catalog), 'as_of': '2026-11-27', 'waivers': [waiver]})
    assert result['needs_action'] is False
    assert result['plan']['skip_reason'].startswith('waived')


def test_bad_waiver_fails_the_task(catalog):
    with pytest.raises(AnsibleActionFail, match='owner'):
        run_action({'facts': kesl_facts(catalog), 'waivers': [{'hosts': ['x'], 'expires': '2027-01-01', 'ticket': 'T', 'reason': 'r'}]})


def test_plan_stage_requires_facts():
    with pytest.raises(AnsibleActionFail, match='facts'):
        run_action({})


def test_outcome_stage(catalog):
    plan = run_action({'facts': kesl_facts(catalog), 'as_of': '2026-11-27'})['plan']
    clean = {'platform': 'linux', 'findings': [], 'protection': [{'id': 'clamav', 'approved': True, 'active': True}], 'errors': []}
    result = run_action({'stage': 'outcome', 'plan': plan, 'facts': clean, 'as_of': '2026-11-27',
                         'replacement_health': {'product': 'clamav', 'healthy': True, 'active': True},
                         'run': {'ensure_ok': True, 'actions': ['apt-get purge kesl-gui kesl klnagent64']}})
    remediation = result['remediation']
    assert remediation['outcome'] == 'remediated'
    assert remediation['finished_at'].endswith('Z')
    assert result['msg'] == 'web1: remediated'


def test_arguments_stage_is_no_log():
    result = run_action({'stage': 'arguments', 'credential': 'network_agent', 'network_agent_password': 'P@ss'})
    assert result['arguments'] == 'KLUNINSTPASSWD=5000400073007300'
    assert result['_ansible_no_log'] is True
    kes = run_action({'stage': 'arguments', 'credential': 'kes', 'kes_password': CANARY})
    assert kes['arguments'] == 'KLLOGIN="KLAdmin" KLPASSWD="%s"' % CANARY and kes['_ansible_no_log'] is True


def test_secret_options_are_no_log_in_the_spec():
    for name in ('kes_login', 'kes_password', 'network_agent_password'):
        assert action_mod.ARGUMENT_SPEC[name]['no_log'] is True
