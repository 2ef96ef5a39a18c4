# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""compliance_report reads each host's results from a real VariableManager.

The fast path (the VariableManager's fact caches) must give exactly what ``hostvars[name]``
gives, for every kind of host the audit and enforce playbooks produce.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
from unittest import mock

import pytest

from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from ansible.playbook.task import Task
from ansible.plugins.action import ActionBase
from ansible.vars.hostvars import HostVars
from ansible.vars.manager import VariableManager

from ansible_collections.fleetsec.banned_av.plugins.action import av_facts
from ansible_collections.fleetsec.banned_av.plugins.action import compliance_report as cr
from ansible_collections.fleetsec.banned_av.tests.unit.conftest import fixture_text

INVENTORY = """
all:
  children:
    kesl_waived:
      hosts:
        waived.example.com:
    linux:
      hosts:
        clean.example.com:
        kesl.example.com:
        down.example.com:
        broken.example.com:
        stale.example.com:
        fixed.example.com:
        never.example.com:
"""


def kesl_facts(catalog):
    """ansible_facts.banned_av of a host with KESL 12 (dpkg-query output from the footprint fixtures)."""
    inventory = {'schema': 1, 'platform': 'linux', 'root': '/', 'live': True, 'os': {'family': 'debian'},
                 'commands': [{'id': 'dpkg', 'argv': ['dpkg-query'], 'rc': 0,
                               'stdout': fixture_text('linux', 'dpkg-query-kesl.txt'), 'stderr': ''}],
                 'skipped': [], 'errors': []}
    return av_facts.build_facts(inventory, catalog, '2026-11-27T10:00:00Z')


def clean_facts(catalog):
    inventory = {'schema': 1, 'platform': 'linux', 'root': '/', 'live': True, 'os': {'family': 'debian'},
                 'commands': [], 'skipped': [], 'errors': []}
    return av_facts.build_facts(inventory, catalog, '2026-11-27T10:00:00Z')


@pytest.fixture
def fleet(tmp_path, catalog):
    """A real InventoryManager/VariableManager holding what the audit's tasks leave behind."""
    path = tmp_path / 'inventory.yml'
    path.write_text(INVENTORY)
    loader = DataLoader()
    inventory = InventoryManager(loader=loader, sources=[str(path)])
    manager = VariableManager(loader=loader, inventory=inventory)
    kesl, clean = kesl_facts(catalog), clean_facts(catalog)

    def detected(name, facts):  # what av_facts returns: the strategy stores both the facts and the register
        manager.set_host_facts(name, {'banned_av': facts})
        manager.set_nonpersistent_facts(name, {'detect': {'changed': False, 'ansible_facts': {'banned_av': facts}}})

    detected('clean.example.com', clean)
    detected('kesl.example.com', kesl)
    detected('waived.example.com', kesl)
    manager.set_nonpersistent_facts('down.example.com', {'detect': {
        'unreachable': True, 'changed': False, 'msg': 'Failed to connect to the host via ssh: timed out'}})
    manager.set_nonpersistent_facts('broken.example.com', {'detect': {
        'failed': True, 'changed': False, 'msg': 'the collector returned no inventory'}})
    # stale: a fact cache still holds last week's KESL, this run could not reach the host
    manager.set_host_facts('stale.example.com', {'banned_av': kesl})
    manager.set_nonpersistent_facts('stale.example.com', {'detect': {'unreachable': True, 'msg': 'No route to host'}})
    # fixed: cached facts say KESL, this run's result says clean; enforce's set_fact records remediation
    manager.set_host_facts('fixed.example.com', {'banned_av': kesl})
    manager.set_nonpersistent_facts('fixed.example.com', {
        'detect': {'changed': False, 'ansible_facts': {'banned_av': clean}},
        'banned_av_remediation': {'outcome': 'remediated', 'removed': ['kaspersky.kesl']}})
    # never.example.com: in the inventory, no results at all
    return HostVars(inventory=inventory, variable_manager=manager, loader=loader)


NAMES = ['clean.example.com', 'kesl.example.com', 'waived.example.com', 'down.example.com', 'broken.example.com',
         'stale.example.com', 'fixed.example.com', 'never.example.com', 'not-in-inventory.example.com']


class SlowHostvars(object):
    """Only the public Mapping interface of HostVars: forces the hostvars[name] path."""

    def __init__(self, hostvars):
        self._hv = hostvars

    def __contains__(self, name):
        return name in self._hv

    def __getitem__(self, name):
        return self._hv[name]


def test_fast_path_is_taken_for_real_hostvars(fleet):
    assert cr.HostResults(fleet, 'detect').fast
    assert not cr.HostResults(SlowHostvars(fleet), 'detect').fast
    assert not cr.HostResults({}, 'detect').fast


@pytest.mark.parametrize('detect_var', ['detect', None])
def test_fast_and_hostvars_paths_read_the_same(fleet, detect_var):
    fast = cr.HostResults(fleet, detect_var)
    slow = cr.HostResults(SlowHostvars(fleet), detect_var)
    for name in NAMES:
        assert fast.read(name) == slow.read(name), name


def test_what_each_host_reads(fleet, catalog):
    reader = cr.HostResults(fleet, 'detect')
    facts, groups, state, remediation = reader.read('kesl.example.com')
    assert facts['summary']['installed'] == ['kaspersky.kesl', 'kaspersky.kesl_gui', 'kaspersky.klnagent_linux']
    assert groups == ['linux'] and state == {'unreachable': False, 'failed': False, 'msg': ''} and remediation is None
    assert json.loads(json.dumps(facts)) == facts  # plain JSON types
    assert reader.read('waived.example.com')[1] == ['kesl_waived']
    assert reader.read('down.example.com')[2] == {
        'unreachable': True, 'failed': False, 'msg': 'Failed to connect to the host via ssh: timed out'}
    assert reader.read('broken.example.com')[2]['failed'] is True
    # this run's result wins over a cached fact
    facts, _groups, _state, remediation = reader.read('fixed.example.com')
    assert facts['summary']['installed'] == [] and remediation['outcome'] == 'remediated'
    assert reader.read('never.example.com') == (None, ['linux'], {}, None)
    assert reader.read('not-in-inventory.example.com') == (None, [], {}, None)


def test_set_fact_host_state_takes_precedence(fleet):
    fleet._variable_manager.set_nonpersistent_facts('kesl.example.com', {
        'banned_av_host_state': {'unreachable': False, 'failed': True, 'msg': 'set by the play'}})
    assert cr.HostResults(fleet, 'detect').read('kesl.example.com')[2]['msg'] == 'set by the play'


def make_action(args):
    task = mock.MagicMock(Task)
    task.args = args
    task.check_mode = False
    task.async_val = 0
    return cr.ActionModule(task, mock.MagicMock(), mock.MagicMock(), loader=None, templar=None, shared_loader_obj=None)


@pytest.fixture
def no_base_run():
    with mock.patch.object(ActionBase, 'run', return_value={}):
        yield


@pytest.mark.usefixtures('no_base_run')
def test_report_from_a_real_variable_manager(fleet, tmp_path):
    """The whole action: every host appears, an unreachable host is unknown even with cached facts."""
    action = make_action({'report_dir': str(tmp_path / 'reports'), 'hosts': NAMES[:-1], 'as_of': '2026-11-27',
                          'formats': ['json', 'csv'], 'detect_result_var': 'detect',
                          'waivers': [{'groups': ['kesl_waived'], 'expires': '2027-03-31', 'ticket': 'CHG-1',
                                       'owner': 'ops@example.com', 'reason': 'replacement scheduled'}]})
    result = action.run(task_vars={'hostvars': fleet})
    by_status = dict((s, hosts) for s, hosts in result['hosts_by_status'].items() if hosts)
    assert by_status == {
        'compliant': ['clean.example.com'],
        'noncompliant': ['kesl.example.com'],
        'waived': ['waived.example.com'],
        'unknown': ['broken.example.com', 'down.example.com', 'never.example.com', 'stale.example.com'],
        'remediated': ['fixed.example.com'],
    }
    with open(os.path.join(str(tmp_path / 'reports'), 'banned_av_report.json')) as handle:
        report = json.load(handle)
    stale = [h for h in report['hosts'] if h['name'] == 'stale.example.com'][0]
    assert stale['findings'] == [] and stale['reasons'] == ['unreachable: No route to host']


def test_gc_is_paused_while_the_report_is_built_and_restored_after():
    import gc
    assert gc.isenabled()
    with pytest.raises(RuntimeError):
        with cr.gc_paused():
            assert not gc.isenabled()
            raise RuntimeError('a rendering error')
    assert gc.isenabled()
    gc.disable()
    try:
        with cr.gc_paused():
            pass
        assert not gc.isenabled()  # it was off before: left off
    finally:
        gc.enable()


@pytest.mark.usefixtures('no_base_run')
def test_merge_of_two_slices(tmp_path, fleet):
    """merge reads the slices' JSON reports; every host once, the checksums checked."""
    slices = []
    for index, hosts in enumerate((NAMES[:3], NAMES[3:5])):
        out = tmp_path / ('slice%d' % index)
        make_action({'report_dir': str(out), 'hosts': hosts, 'as_of': '2026-11-27', 'formats': ['json'],
                     'detect_result_var': 'detect'}).run(task_vars={'hostvars': fleet})
        slices.append(str(out / 'banned_av_report.json'))
    result = make_action({'report_dir': str(tmp_path / 'merged'), 'merge': slices, 'as_of': '2026-11-27',
                          'formats': ['json', 'markdown']}).run(task_vars={})
    assert result['summary']['hosts'] == 5
    assert result['hosts_by_status']['unknown'] == ['broken.example.com', 'down.example.com']
    with open(slices[0], 'rb') as handle:
        data = handle.read()
    tampered = tmp_path / 'tampered.json'
    tampered.write_bytes(data.replace(b'"status":"noncompliant"', b'"status":"compliant"', 1))
    from ansible.errors import AnsibleActionFail
    with pytest.raises(AnsibleActionFail, match='merge:.*sha256'):
        make_action({'report_dir': str(tmp_path / 'bad'), 'merge': [str(tampered), slices[1]],
                     'formats': ['json']}).run(task_vars={})


@pytest.mark.usefixtures('no_base_run')
@pytest.mark.parametrize('args,needle', [
    ({'render_processes': 0}, 'render_processes: must be 1 or more'),
    ({'formats': ['json', 'pdf']}, 'formats'),
    ({'fail_on': ['nonsense']}, 'fail_on'),
])
def test_bad_report_settings_fail_in_the_upfront_check(tmp_path, args, needle):
    """The playbooks pass the report settings to the validate_only task, before any host is contacted."""
    from ansible.errors import AnsibleActionFail
    action = make_action(dict(args, report_dir=str(tmp_path / 'r'), validate_only=True))
    try:
        result = action.run(task_vars={})
    except AnsibleActionFail as exc:
        message = str(exc)
    else:
        assert result.get('failed'), result
        message = result['msg']
    assert needle in message
    assert not (tmp_path / 'r').exists()
