# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The av_facts ``timeout`` bounds the live Windows collector (issue 13).

The request carries the collector's total budget (``limits.total``); the collector keeps a
deadline from its start, gives each step the smaller of its own deadline and the time left,
does not start a step with no whole second left, and records such a step as a timeout.  The
PowerShell cannot run here: ``tests/support/windows_host.py`` plays it with a virtual clock
(``step_seconds``: how long each step takes on the host), so these tests prove the rule the twin
shares with the PowerShell and what the controller makes of its dump: a source that was not
read is never ``compliant`` (the host is ``unknown``), while a banned product found before the
time ran out still makes the host ``noncompliant``.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from unittest import mock

import pytest

from ansible.plugins.action import ActionBase

from ansible_collections.fleetsec.banned_av.plugins.action import av_facts
from ansible_collections.fleetsec.banned_av.plugins.module_utils import policy
from ansible_collections.fleetsec.banned_av.plugins.module_utils import windows_live
from ansible_collections.fleetsec.banned_av.plugins.module_utils import windows_request
from ansible_collections.fleetsec.banned_av.tests.support.windows_host import FakeWindowsHost
from ansible_collections.fleetsec.banned_av.tests.unit.plugins.action.test_av_facts import make_action

AS_OF = '2026-11-27'
COLLECTED_AT = AS_OF + 'T00:00:00Z'
CIM_STEPS = ('cim:os', 'cim:processes', 'cim:security_center', 'cim:defender')


def run(name, catalog, seconds=None, step_seconds=None):
    """``(dump, facts, host record)`` of machine ``name`` for a collector budget of ``seconds``,
    each step taking ``step_seconds[step]`` seconds on the host."""
    plan = windows_live.plan(catalog.probe('windows'), **({'seconds': seconds} if seconds is not None else {}))
    dump = FakeWindowsHost(name, {'step_seconds': step_seconds or {}}).run(plan.args)['dump']
    facts = av_facts.build_facts(windows_live.inventory(plan, dump), catalog, COLLECTED_AT)
    as_of, _version, policies, checked = policy.load_context(as_of=AS_OF)
    return dump, facts, policy.evaluate_host('host1', facts, policies, checked, as_of)


def sources(items):
    return sorted(set(i['source'] for i in items))


# --------------------------------------------------------------------------- the request

def test_the_request_carries_the_timeout_as_the_collectors_total_budget(catalog):
    assert windows_live.plan(catalog.probe('windows'), seconds=45).args['limits']['total'] == 45
    assert windows_request.build({}, seconds=7).args['limits']['total'] == 7
    # the default is av_facts' default
    assert windows_live.plan(catalog.probe('windows')).args['limits']['total'] == av_facts.DEFAULT_TIMEOUT == 120
    # the per-step deadlines are still there: a step gets the smaller of the two
    limits = windows_request.build({}, seconds=7).args['limits']
    assert (limits['seconds'], limits['cim']) == (60, 30)


@pytest.mark.parametrize('bad', [0, -1, 1.5, '30', True, None])
def test_a_budget_that_is_not_a_positive_whole_number_is_refused(bad):
    with pytest.raises(ValueError, match=r'^timeout: must be a positive whole number of seconds'):
        windows_request.build({}, seconds=bad)


@pytest.fixture
def no_base_run():
    with mock.patch.object(ActionBase, 'run', return_value={}):
        yield


def test_av_facts_passes_its_timeout_to_the_windows_collector(no_base_run):
    del no_base_run
    action = make_action({'timeout': 45}, shell_family='powershell')
    host = FakeWindowsHost('kes11')
    with mock.patch.object(action, '_execute_module', side_effect=lambda **kw: host.run(kw['module_args']['request'])) as execute:
        result = action.run(task_vars={})
    assert execute.call_args.kwargs['module_args']['request']['limits']['total'] == 45
    assert 'kaspersky.kes_windows' in result['ansible_facts']['banned_av']['summary']['installed']


@pytest.mark.parametrize('bad', [0, -5])
def test_av_facts_refuses_a_timeout_that_is_not_positive_before_the_host(no_base_run, bad):
    del no_base_run
    action = make_action({'timeout': bad}, shell_family='powershell')
    with mock.patch.object(action, '_execute_module') as execute:
        result = action.run(task_vars={})
    assert result['failed'] and result['msg'].startswith('timeout:') and execute.call_count == 0


# --------------------------------------------------------------------------- the deadline rule

def test_a_step_that_would_exceed_the_budget_is_cut_and_the_later_steps_are_not_run(catalog):
    """70 s budget: the registry takes 30 s, the paths would take 50 s but only 40 s are left."""
    dump, facts, record = run('defender_only', catalog, seconds=70, step_seconds={'registry': 30, 'paths': 50})
    steps = dump['steps']
    assert steps['registry'] == {'ms': 30000}
    assert steps['paths'] == {'ms': 40000, 'timeout': 40, 'total': 70}
    for name in CIM_STEPS:
        assert steps[name] == {'ms': 0, 'timeout': 0, 'total': 70}, name
    assert sum(s['ms'] for s in steps.values()) <= 70000
    assert sources(facts['errors']) == ['paths', 'security_center']
    messages = dict((e['source'], e['message']) for e in facts['errors'])
    assert messages['paths'] == "the paths step did not finish within 40 s, the time left of the collector's time limit (70 s)"
    assert messages['security_center'].endswith(
        "the cim:security_center step was not run: the collector's time limit (70 s) was used up")
    assert facts['findings'] == []
    assert record['status'] == 'unknown'
    assert any(r.startswith('detection incomplete:') for r in record['reasons'])


def test_a_budget_used_up_before_the_cim_queries_leaves_the_host_unknown(catalog):
    """The registry and the paths answer within the budget; no CIM query is started: Security
    Center (an error on a client) and Defender's status were not read."""
    dump, facts, record = run('defender_only', catalog, seconds=20, step_seconds={'registry': 5, 'scm': 1, 'paths': 13.5})
    steps = dump['steps']
    assert 'timeout' not in steps['registry'] and 'timeout' not in steps['paths']
    assert [n for n in CIM_STEPS if steps[n].get('timeout') == 0] == list(CIM_STEPS)
    assert sources(facts['errors']) == ['security_center']
    assert {'defender', 'os', 'processes'} <= set(sources(facts['warnings']))
    assert [w['message'] for w in facts['warnings'] if w['source'] == 'defender'] == [
        "MSFT_MpComputerStatus: the cim:defender step was not run: the collector's time limit (20 s) was used up "
        "(the WinDefend service runs)"]
    assert record['status'] == 'unknown'


def test_a_registry_step_longer_than_the_whole_budget_is_stopped_at_the_budget(catalog):
    """A budget smaller than the step's own deadline (60 s) bounds it: nothing runs past 10 s."""
    dump, facts, record = run('defender_only', catalog, seconds=10, step_seconds={'registry': 3600})
    assert dump['steps']['registry'] == {'ms': 10000, 'timeout': 10, 'total': 10}
    assert sum(s['ms'] for s in dump['steps'].values()) == 10000
    assert 'scm' not in dump['steps']  # the SCM step only runs for the names the registry step kept
    assert {'uninstall', 'services', 'registry', 'paths', 'security_center'} <= set(sources(facts['errors']))
    assert record['status'] == 'unknown'


def test_a_banned_product_found_before_the_budget_runs_out_is_still_noncompliant(catalog):
    """kes11 (Kaspersky Endpoint Security 11): the registry step reads its Uninstall entry and
    services in the 10 s budget; nothing after it runs.  The host is noncompliant, not unknown."""
    dump, facts, record = run('kes11', catalog, seconds=10, step_seconds={'registry': 10})
    assert dump['steps']['registry'] == {'ms': 10000, 'total': 10}  # it had the whole budget, not its own 60 s
    assert dump['steps']['paths'] == {'ms': 0, 'timeout': 0, 'total': 10}
    assert 'kaspersky.kes_windows' in facts['summary']['installed']
    assert 'paths' in sources(facts['errors'])
    assert record['status'] == 'noncompliant'
    assert any(r.startswith('some sources failed:') for r in record['reasons'])


def test_a_cim_query_never_waits_past_the_time_left(catalog):
    """With 25 s left and a CIM deadline of 30 + 10 s, a hung query is abandoned at 25 s."""
    dump, _facts, _record = run('defender_only', catalog, seconds=25, step_seconds={'cim:os': 3600})
    assert dump['steps']['cim:os'] == {'ms': 25000, 'timeout': 25, 'total': 25}
    assert [dump['steps'][n]['timeout'] for n in CIM_STEPS[1:]] == [0, 0, 0]


def test_a_cim_query_past_its_operation_timeout_is_an_error_of_its_step(catalog):
    """With the whole budget left, a query slower than -OperationTimeoutSec (30 s) fails at 30 s
    (a CIM error, not a runspace timeout) and the next queries still run."""
    dump, facts, _record = run('defender_only', catalog, seconds=120, step_seconds={'cim:security_center': 35})
    assert dump['steps']['cim:security_center']['ms'] == 30000
    assert dump['steps']['cim:security_center']['error']['x'] == 'Microsoft.Management.Infrastructure.CimException'
    assert 'timeout' not in dump['steps']['cim:defender']
    assert sources(facts['errors']) == ['security_center']


@pytest.mark.parametrize('seconds, step_seconds', [
    (1, {'registry': 0.4, 'scm': 0.3, 'paths': 0.2}),
    (3, {'registry': 2.5, 'paths': 2.5, 'cim:os': 2.5}),
    (61, {'registry': 59, 'scm': 59, 'paths': 59, 'cim:os': 59, 'cim:defender': 59}),
    (200, {'registry': 100, 'scm': 100, 'paths': 100, 'cim:os': 100, 'cim:processes': 100}),
])
def test_the_steps_together_never_take_longer_than_the_budget(catalog, seconds, step_seconds):
    dump, _facts, record = run('defender_only', catalog, seconds=seconds, step_seconds=step_seconds)
    assert sum(s['ms'] for s in dump['steps'].values()) <= seconds * 1000
    assert record['status'] == 'unknown'


def test_a_budget_large_enough_gives_the_normal_result(catalog):
    """Slow steps that fit in the budget change nothing: the same inventory, facts and status."""
    slow = dict({'registry': 20, 'scm': 5, 'paths': 20}, **dict((n, 10) for n in CIM_STEPS))
    for name in ('defender_only', 'kes11'):
        plain_dump, plain_facts, plain_record = run(name, catalog)
        dump, facts, record = run(name, catalog, seconds=120, step_seconds=slow)
        assert all('timeout' not in s and 'total' not in s for s in dump['steps'].values())
        assert dict(dump, steps=None) == dict(plain_dump, steps=None)
        assert facts == plain_facts
        assert record == plain_record
    assert plain_record['status'] == 'noncompliant'
    assert run('defender_only', catalog, seconds=120, step_seconds=slow)[2]['status'] == 'compliant'


@pytest.mark.parametrize('record', [{'timeout': 0}, {'timeout': 0, 'total': None}, {'timeout': None}])
def test_a_step_recorded_with_any_timeout_is_a_failure_of_its_sources(catalog, record):
    """A step the collector did not run or did not finish is never read as an empty success,
    whatever its timeout says (0 was falsy: the paths of a clean client were then 'read')."""
    plan = windows_live.plan(catalog.probe('windows'))
    dump = FakeWindowsHost('defender_only', {'fail_steps': {'paths': record}}).run(plan.args)['dump']
    facts = av_facts.build_facts(windows_live.inventory(plan, dump), catalog, COLLECTED_AT)
    as_of, _version, policies, checked = policy.load_context(as_of=AS_OF)
    assert sources(facts['errors']) == ['paths']
    assert policy.evaluate_host('host1', facts, policies, checked, as_of)['status'] == 'unknown'
