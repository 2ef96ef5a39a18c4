# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The remediation plugins: remediation_plan (plan), remediation_outcome (outcome) and the
filters of plugins/filter/remediation.py; one job each, helpers from module_utils only."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ast
import json
import os
from unittest.mock import MagicMock

import pytest

from ansible.errors import AnsibleActionFail
from ansible.playbook.task import Task

from ansible_collections.fleetsec.banned_av.plugins.action import remediation_outcome as outcome_mod
from ansible_collections.fleetsec.banned_av.plugins.action import remediation_plan as plan_mod
from ansible_collections.fleetsec.banned_av.plugins.filter import remediation as filters
from ansible_collections.fleetsec.banned_av.plugins.module_utils import matcher
from ansible_collections.fleetsec.banned_av.tests.unit.conftest import fixture_text

CANARY = 'Canary-S3cret-P@ss-7f3a'
PLUGINS = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'plugins'))


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


def run_action(module, args, task_vars=None):
    task = MagicMock(Task)
    task.args = args
    task.async_val = 0
    task.check_mode = False
    task.no_log = False
    task.action = 'fleetsec.banned_av.' + module.__name__.rsplit('.', 1)[-1]
    task.get_validated_value = None
    action = module.ActionModule(task, MagicMock(), MagicMock(), loader=None, templar=None, shared_loader_obj=None)
    return action.run(task_vars=task_vars or {'inventory_hostname': 'web1', 'group_names': ['linux']})


def test_plan(catalog):
    result = run_action(plan_mod, {'facts': kesl_facts(catalog), 'as_of': '2026-11-27', 'credentials_supplied': ['kes_password']})
    assert result['needs_action'] is True
    plan = result['plan']
    assert plan['host'] == 'web1' and plan['status'] == 'noncompliant' and plan['as_of'] == '2026-11-27'
    assert plan['target_ids'] == ['kaspersky.kesl_gui', 'kaspersky.kesl', 'kaspersky.klnagent_linux']
    assert plan['credentials'] == {'kes': True, 'kes_login': False, 'network_agent': False}


def test_the_plan_takes_no_secret_at_all():
    for name in ('kes_password', 'network_agent_password', 'kes_login', 'credential', 'stage'):
        assert name not in plan_mod.ARGUMENT_SPEC and name not in outcome_mod.ARGUMENT_SPEC


def test_plan_waiver_by_group(catalog):
    waiver = {'groups': ['linux'], 'expires': '2027-01-31', 'owner': 'jane', 'ticket': 'SEC-9', 'reason': 'lab'}
    result = run_action(plan_mod, {'facts': kesl_facts(catalog), 'as_of': '2026-11-27', 'waivers': [waiver]})
    assert result['needs_action'] is False
    assert result['plan']['skip_reason'].startswith('waived')


def test_bad_waiver_fails_the_task(catalog):
    with pytest.raises(AnsibleActionFail, match='owner'):
        run_action(plan_mod, {'facts': kesl_facts(catalog), 'waivers': [{'hosts': ['x'], 'expires': '2027-01-01', 'ticket': 'T', 'reason': 'r'}]})


def test_plan_requires_facts():
    with pytest.raises(AnsibleActionFail, match='facts'):
        run_action(plan_mod, {})


def test_the_host_is_judged_with_its_own_jurisdictions(catalog):
    """banned_av_jurisdictions of the host (task vars) or the role's option: a 'de' host's Kaspersky
    is a warning there, so nothing is removed."""
    facts = kesl_facts(catalog)
    de_host = run_action(plan_mod, {'facts': facts, 'as_of': '2026-11-27'},
                         {'inventory_hostname': 'de1', 'group_names': [], 'banned_av_jurisdictions': ['de']})
    assert de_host['needs_action'] is False and de_host['plan']['status'] == 'warning'
    option = run_action(plan_mod, {'facts': facts, 'as_of': '2026-11-27', 'jurisdictions': ['de']})
    assert option['needs_action'] is False
    assert run_action(plan_mod, {'facts': facts, 'as_of': '2026-11-27'})['needs_action'] is True   # default ['us']


@pytest.mark.parametrize('value,match', [(['us-federl'], r'banned_av_jurisdictions\[0\]: unknown jurisdiction'),
                                         ([], 'at least one'), (['USA'], 'not a jurisdiction code')])
def test_a_bad_jurisdiction_fails_the_task_naming_the_variable(catalog, value, match):
    with pytest.raises(AnsibleActionFail, match=match):
        run_action(plan_mod, {'facts': kesl_facts(catalog), 'jurisdictions': value})


def test_outcome(catalog):
    plan = run_action(plan_mod, {'facts': kesl_facts(catalog), 'as_of': '2026-11-27'})['plan']
    clean = {'platform': 'linux', 'findings': [], 'protection': [{'id': 'clamav', 'approved': True, 'active': True}], 'errors': []}
    result = run_action(outcome_mod, {'plan': plan, 'facts': clean, 'as_of': '2026-11-27',
                                      'replacement_health': {'product': 'clamav', 'healthy': True, 'active': True},
                                      'run': {'ensure_ok': True, 'actions': ['apt-get purge kesl-gui kesl klnagent64']}})
    remediation = result['remediation']
    assert remediation['outcome'] == 'remediated'
    assert remediation['finished_at'].endswith('Z')
    assert result['msg'] == 'web1: remediated'


def test_outcome_with_a_recheck_that_found_the_product_again(catalog):
    plan = run_action(plan_mod, {'facts': kesl_facts(catalog), 'as_of': '2026-11-27'})['plan']
    clean = {'platform': 'linux', 'findings': [], 'protection': [{'id': 'clamav', 'approved': True, 'active': True}], 'errors': []}
    result = run_action(outcome_mod, {'plan': plan, 'facts': clean, 'recheck_facts': kesl_facts(catalog), 'recheck_delay': 600,
                                      'as_of': '2026-11-27', 'replacement_health': {'product': 'clamav', 'healthy': True, 'active': True},
                                      'run': {'ensure_ok': True, 'changed_banned': True}})
    assert result['remediation']['outcome'] == 'degraded'


def test_outcome_requires_the_plan():
    with pytest.raises(AnsibleActionFail, match='plan'):
        run_action(outcome_mod, {})


# ----------------------------------------------------------------------------- filters

def test_the_argument_filter_builds_the_properties():
    assert filters.msi_arguments('network_agent', '', '', 'P@ss') == 'KLUNINSTPASSWD=5000400073007300'
    assert filters.msi_arguments('kes', '', CANARY, '') == 'KLLOGIN="KLAdmin" KLPASSWD="%s"' % CANARY
    assert filters.msi_arguments(None, 'a', 'b', 'c') == ''


def test_every_filter_is_registered_and_documented():
    registered = filters.FilterModule().filters()
    for name in registered:
        path = os.path.join(PLUGINS, 'filter', name + '.yml')
        assert os.path.exists(path), 'no documentation for filter %s' % name
        with open(path) as handle:
            text = handle.read()
        assert 'name: %s' % name in text and 'EXAMPLES' in text and 'RETURN' in text


def test_the_run_filter_reports_an_unknown_event():
    from ansible.errors import AnsibleFilterError
    with pytest.raises(AnsibleFilterError, match='unknown remediation run event'):
        filters.remediation_run({}, 'nonsense')


def test_become_is_decided_by_the_targets_os_never_its_connection():
    assert filters.remediation_become(True, 'windows', None) is False
    assert filters.remediation_become(True, None, 'powershell') is False      # Windows over SSH
    assert filters.remediation_become(True, None, 'cmd') is False
    assert filters.remediation_become(True, 'linux', None) is True
    assert filters.remediation_become(None, None, 'sh') is None               # the play decides
    assert filters.remediation_become(False, 'darwin', None) is False


def test_no_action_imports_another_action_or_defines_plain():
    for root, _dirs, files in os.walk(os.path.join(PLUGINS, 'action')):
        for name in files:
            if not name.endswith('.py'):
                continue
            with open(os.path.join(root, name)) as handle:
                tree = ast.parse(handle.read())
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom):
                    assert 'fleetsec.banned_av.plugins.action' not in (node.module or ''), '%s imports %s' % (name, node.module)
                if isinstance(node, ast.FunctionDef):
                    assert node.name != 'plain', '%s defines plain()' % name


def test_the_role_tasks_build_no_state_record_in_jinja():
    """The remediate role's record is computed in Python (remediation_run), not with combine()."""
    tasks = os.path.join(PLUGINS, '..', 'roles', 'remediate', 'tasks')
    for name in sorted(os.listdir(tasks)):
        with open(os.path.join(tasks, name)) as handle:
            assert 'combine(' not in handle.read(), name


def test_no_secret_reaches_a_plan_or_a_record(catalog):
    facts = kesl_facts(catalog)
    result = run_action(plan_mod, {'facts': facts, 'as_of': '2026-11-27',
                                   'credentials_supplied': ['kes_password', 'kes_login', 'network_agent_password']})
    assert CANARY not in json.dumps(result)
