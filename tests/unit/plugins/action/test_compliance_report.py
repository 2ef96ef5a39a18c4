# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""compliance_report reads each host's detection result of this run from the run spool, its
groups from the ``groups`` variable, and the few host variables it needs through ``hostvars``
(a real VariableManager here), never through ansible-core's private caches.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shutil
from unittest import mock

import pytest

from ansible.errors import AnsibleActionFail
from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from ansible.playbook.task import Task
from ansible.plugins.action import ActionBase
from ansible.vars.hostvars import HostVars
from ansible.vars.manager import VariableManager

from ansible_collections.fleetsec.banned_av.plugins.action import av_facts
from ansible_collections.fleetsec.banned_av.plugins.action import compliance_report as cr
from ansible_collections.fleetsec.banned_av.plugins.module_utils import policy as policy_mod
from ansible_collections.fleetsec.banned_av.plugins.plugin_utils import run_spool
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
        cached.example.com:
        image.example.com:
          banned_av_scan_root: /srv/images/image01
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
    """What the audit and enforce playbooks leave behind: the run spool that av_facts wrote, and a
    real InventoryManager/VariableManager (groups, host variables, set_fact results).

    The VariableManager's fact cache also holds stale detection results (a fact-caching
    controller): the report must never read them."""
    path = tmp_path / 'inventory.yml'
    path.write_text(INVENTORY)
    loader = DataLoader()
    inventory = InventoryManager(loader=loader, sources=[str(path)])
    manager = VariableManager(loader=loader, inventory=inventory)
    kesl, clean = kesl_facts(catalog), clean_facts(catalog)
    _run_id, spool, _removed = run_spool.create(base=str(tmp_path))
    run_spool.write(spool, 'clean.example.com', facts=clean)
    run_spool.write(spool, 'kesl.example.com', facts=kesl)
    run_spool.write(spool, 'waived.example.com', facts=kesl)
    run_spool.write(spool, 'down.example.com', unreachable=True, msg='Failed to connect to the host via ssh: timed out')
    run_spool.write(spool, 'broken.example.com', failed=True, msg='the collector returned no inventory')
    # stale: a fact cache still holds last week's KESL; this run could not reach the host
    manager.set_host_facts('stale.example.com', {'banned_av': kesl})
    run_spool.write(spool, 'stale.example.com', unreachable=True, msg='No route to host')
    # cached: KESL in the fact cache, never detected in this run
    manager.set_host_facts('cached.example.com', {'banned_av': kesl})
    # fixed: KESL before, clean after the remediate role detected again; the role's set_fact record
    manager.set_host_facts('fixed.example.com', {'banned_av': kesl})
    run_spool.write(spool, 'fixed.example.com', facts=clean)
    manager.set_nonpersistent_facts('fixed.example.com', {
        'banned_av_remediation': {'outcome': 'remediated', 'removed': ['kaspersky.kesl'], 'reasons': []}})
    # never.example.com: in the inventory, no results at all
    hostvars = HostVars(inventory=inventory, variable_manager=manager, loader=loader)
    return {'hostvars': hostvars, 'groups': inventory.get_groups_dict(), 'spool': spool, 'manager': manager}


NAMES = ['clean.example.com', 'kesl.example.com', 'waived.example.com', 'down.example.com', 'broken.example.com',
         'stale.example.com', 'cached.example.com', 'fixed.example.com', 'never.example.com']


def reader(fleet, remediation_hosts=('fixed.example.com',)):
    return cr.HostResults(fleet['spool'], fleet['hostvars'], fleet['groups'], remediation_hosts)


def test_what_each_host_reads(fleet):
    results = reader(fleet)
    kesl = results.read('kesl.example.com')
    assert kesl['facts']['summary']['installed'] == ['kaspersky.kesl', 'kaspersky.kesl_gui', 'kaspersky.klnagent_linux']
    assert kesl['groups'] == ['linux'] and kesl['state'] == {'unreachable': False, 'failed': False, 'msg': ''}
    assert kesl['remediation'] is None and kesl['jurisdictions'] is None and kesl['scan_root'] is None
    assert json.loads(json.dumps(kesl['facts'])) == kesl['facts']  # plain JSON types
    assert results.read('waived.example.com')['groups'] == ['kesl_waived']
    assert results.read('down.example.com')['state'] == {
        'unreachable': True, 'failed': False, 'msg': 'Failed to connect to the host via ssh: timed out'}
    assert results.read('broken.example.com')['state']['failed'] is True
    fixed = results.read('fixed.example.com')
    assert fixed['facts']['summary']['installed'] == [] and fixed['remediation']['outcome'] == 'remediated'
    assert results.read('never.example.com') == {'facts': None, 'groups': ['linux'], 'state': {}, 'remediation': None,
                                                 'scan_root': None, 'jurisdictions': None}
    assert results.read('not-in-inventory.example.com')['groups'] == []
    assert results.read('image.example.com')['scan_root'] == '/srv/images/image01'


def test_cached_facts_are_never_read(fleet):
    """A fact cache may hold a result of an earlier run: only this run's spool counts."""
    assert reader(fleet).read('cached.example.com')['facts'] is None
    assert reader(fleet).read('stale.example.com')['facts'] is None


def test_remediation_records_only_of_the_remediated_hosts(fleet):
    assert reader(fleet, remediation_hosts=()).read('fixed.example.com')['remediation'] is None


@pytest.mark.usefixtures('no_base_run')
def test_each_host_is_judged_in_its_jurisdictions(fleet, tmp_path, catalog):
    """banned_av_jurisdictions as the detection task recorded it (the spool), or from hostvars for a
    host without a result; a code that does not exist makes that host unknown, naming the variable."""
    run_spool.write(fleet['spool'], 'kesl.example.com', facts=kesl_facts(catalog),
                    host_vars={'banned_av_jurisdictions': ['us', 'us-fedral']})
    run_spool.write(fleet['spool'], 'clean.example.com', facts=clean_facts(catalog),
                    host_vars={'banned_av_jurisdictions': ['de']})
    fleet['manager'].set_nonpersistent_facts('never.example.com', {'banned_av_jurisdictions': ['uk']})
    _result, report = run_report(fleet, tmp_path)
    kesl = host(report, 'kesl.example.com')
    assert kesl['status'] == 'unknown' and kesl['findings'] == []
    assert 'banned_av_jurisdictions' in kesl['reasons'][0] and 'us-fedral' in kesl['reasons'][0]
    assert host(report, 'clean.example.com')['jurisdictions'] == ['de']
    assert host(report, 'waived.example.com')['jurisdictions'] == ['us']  # not set: the default
    assert reader(fleet).read('never.example.com')['jurisdictions'] == ['uk']


def test_the_report_reads_no_private_ansible_attribute():
    """Issue 17: no hostvars._variable_manager, _fact_cache or _inventory anywhere in plugins/."""
    base = os.path.dirname(os.path.dirname(os.path.abspath(cr.__file__)))  # plugins/
    private = ('_variable_manager', '_fact_cache', '_nonpersistent_fact_cache', '._inventory', '_hosts_cache')
    offenders = []
    for folder, _dirs, files in os.walk(base):
        for name in files:
            if name.endswith('.py'):
                with open(os.path.join(folder, name), encoding='utf-8') as handle:
                    text = handle.read()
                offenders.extend('%s: %s' % (name, p) for p in private if p in text)
    assert offenders == []


def make_action(args):
    task = mock.MagicMock(Task)
    task.args = args
    task.check_mode = False
    task.async_val = 0
    action = cr.ActionModule(task, mock.MagicMock(), mock.MagicMock(), loader=None, templar=None, shared_loader_obj=None)
    action._load_name = 'fleetsec.banned_av.compliance_report'  # as the plugin loader sets it (ansible-core 2.16 reads it)
    return action


@pytest.fixture
def no_base_run():
    with mock.patch.object(ActionBase, 'run', return_value={}):
        yield


WAIVER = {'groups': ['kesl_waived'], 'expires': '2027-03-31', 'ticket': 'CHG-1', 'owner': 'ops@example.com',
          'reason': 'replacement scheduled'}


def run_report(fleet, tmp_path, **args):
    base = {'report_dir': str(tmp_path / 'reports'), 'hosts': NAMES, 'as_of': '2026-11-27', 'formats': ['json', 'csv'],
            'spool': fleet['spool'], 'waivers': [WAIVER], 'remediation_hosts': ['fixed.example.com']}
    base.update(args)
    result = make_action(base).run(task_vars={'hostvars': fleet['hostvars'], 'groups': fleet['groups']})
    with open(os.path.join(base['report_dir'], 'banned_av_report.json')) as handle:
        return result, json.load(handle)


def host(report, name):
    return [h for h in report['hosts'] if h['name'] == name][0]


@pytest.mark.usefixtures('no_base_run')
def test_report_from_the_run_spool(fleet, tmp_path):
    """The whole action: every host appears; a host this run did not detect is unknown, whatever a
    fact cache holds."""
    result, report = run_report(fleet, tmp_path)
    by_status = dict((s, hosts) for s, hosts in result['hosts_by_status'].items() if hosts)
    assert by_status == {
        'compliant': ['clean.example.com'],
        'noncompliant': ['kesl.example.com'],
        'waived': ['waived.example.com'],
        'unknown': ['broken.example.com', 'cached.example.com', 'down.example.com', 'never.example.com',
                    'stale.example.com'],
        'remediated': ['fixed.example.com'],
    }
    stale = host(report, 'stale.example.com')
    assert stale['findings'] == [] and stale['reasons'] == ['unreachable: No route to host']
    assert host(report, 'cached.example.com')['findings'] == []
    assert 'no detection data' in host(report, 'never.example.com')['reasons'][0]


@pytest.mark.usefixtures('no_base_run')
def test_the_report_uses_the_run_catalogue_snapshot_of_the_same_inputs(fleet, tmp_path, catalog):
    """The input check validated the catalogue once and left it in the spool: the report uses it
    (its version is the report's catalog_version) instead of loading the YAML again, and only when
    it was made from the same catalogue inputs."""
    from ansible_collections.fleetsec.banned_av.plugins.module_utils import catalog as catalog_mod
    snapshot = catalog_mod.Catalog(catalog.entries, catalog.version + '+snapshot')
    run_spool.write_catalog(fleet['spool'], snapshot, run_spool.catalog_key([], []))
    with mock.patch.object(catalog_mod, 'load', wraps=catalog_mod.load) as load:
        _result, report = run_report(fleet, tmp_path)
        assert not load.called
    assert report['run']['catalog_version'] == catalog.version + '+snapshot'
    other = [{'id': 'site.extra', 'vendor': 'Site', 'product': 'Extra', 'category': 'banned', 'platforms': ['linux'],
              'confidence': 'high', 'sources': ['https://example.invalid/site-extra'], 'match': {'packages': ['site-extra']}}]
    with mock.patch.object(catalog_mod, 'load', wraps=catalog_mod.load) as load:
        _result, report = run_report(fleet, tmp_path, catalog_entries=other)  # other inputs: the snapshot is not theirs
        assert load.called
    assert report['run']['catalog_version'] == catalog.version + '+site'


@pytest.mark.usefixtures('no_base_run')
def test_unknown_fails_by_default_and_the_message_counts_right(fleet, tmp_path):
    result, _report = run_report(fleet, tmp_path)
    assert result['fail_on'] == list(policy_mod.FAILING) and 'unknown' in result['fail_on']
    assert result['failing_hosts'] == ['broken.example.com', 'cached.example.com', 'down.example.com', 'kesl.example.com',
                                       'never.example.com', 'stale.example.com']
    assert result['msg'].startswith('9 hosts: compliant 1, noncompliant 1, waived 1, unknown 5, remediated 1')
    result, _report = run_report(fleet, tmp_path, hosts=['clean.example.com'], fail_on=['noncompliant'])
    assert result['msg'] == '1 host: compliant 1' and result['fail_on'] == ['noncompliant']


@pytest.mark.usefixtures('no_base_run')
@pytest.mark.parametrize('outcome,failing', [('remediated', False), ('reboot_pending', False), ('blocked', True),
                                             ('degraded', True)])
def test_remediation_outcomes_and_the_default_verdict(fleet, tmp_path, outcome, failing):
    """The enforce rows of the exit-status table: the verdict fails on failing_hosts."""
    fleet['manager'].set_nonpersistent_facts('fixed.example.com', {'banned_av_remediation': {
        'outcome': outcome, 'reasons': ['as the role recorded it']}})
    result, report = run_report(fleet, tmp_path, hosts=['fixed.example.com'], play='enforce')
    assert host(report, 'fixed.example.com')['status'] == outcome
    assert result['failing_hosts'] == (['fixed.example.com'] if failing else [])


@pytest.mark.usefixtures('no_base_run')
def test_without_a_spool_every_host_is_unknown(fleet, tmp_path):
    result, _report = run_report(fleet, tmp_path, spool=None, remediation_hosts=[])
    assert result['hosts_by_status']['unknown'] == sorted(NAMES)


@pytest.mark.usefixtures('no_base_run')
def test_one_host_cannot_stop_the_report(fleet, tmp_path, catalog):
    """A record that breaks the evaluation, and a remediation record that is not one: those two
    hosts are unknown with the reason, every other host is reported as usual."""
    run_spool.write(fleet['spool'], 'kesl.example.com', facts=dict(kesl_facts(catalog), findings=[42]))
    fleet['manager'].set_nonpersistent_facts('fixed.example.com', {'banned_av_remediation': '{{ no_such_variable.x }}'})
    result, report = run_report(fleet, tmp_path)
    for name in ('kesl.example.com', 'fixed.example.com'):
        record = host(report, name)
        assert record['status'] == 'unknown', record
        assert record['reasons'][0].startswith('detection failed: the report could not evaluate this host: '), record
    assert result['hosts_by_status']['compliant'] == ['clean.example.com']
    assert result['hosts_by_status']['waived'] == ['waived.example.com']
    assert result['summary']['hosts'] == len(NAMES)


@pytest.mark.usefixtures('no_base_run')
@pytest.mark.parametrize('play,needle', [('enforce', 'not remediable here'), ('enforce-before', 'audit playbook'),
                                         ('audit', 'not detected in this run')])
def test_an_image_host_without_a_result(fleet, tmp_path, play, needle):
    _result, report = run_report(fleet, tmp_path, hosts=['image.example.com'], play=play)
    record = host(report, 'image.example.com')
    assert record['status'] == 'unknown'
    assert 'banned_av_scan_root: /srv/images/image01' in record['reasons'][0] and needle in record['reasons'][0]


@pytest.mark.usefixtures('no_base_run')
@pytest.mark.parametrize('args,needle', [
    ({'formats': ['json', 'pdf']}, 'formats'),
    ({'fail_on': ['nonsense']}, 'fail_on'),
    ({'validate_only': True}, 'validate_only'),
])
def test_bad_report_settings_write_nothing(tmp_path, args, needle):
    """The playbooks check these earlier (check_inputs); the action refuses them too."""
    from ansible.errors import AnsibleActionFail
    action = make_action(dict(args, report_dir=str(tmp_path / 'r')))
    try:
        result = action.run(task_vars={})
    except AnsibleActionFail as exc:
        message = str(exc)
    else:
        assert result.get('failed'), result
        message = result['msg']
    assert needle in message
    assert not (tmp_path / 'r').exists()


@pytest.mark.usefixtures('no_base_run')
def test_a_second_report_gains_the_trend_and_a_tampered_previous_writes_nothing(fleet, tmp_path):
    from ansible.errors import AnsibleActionFail
    first = str(tmp_path / 'first')
    _result, previous = run_report(fleet, tmp_path, report_dir=first)
    assert 'trend' not in previous
    kept = str(tmp_path / 'previous.json')
    os.rename(os.path.join(first, 'banned_av_report.json'), kept)
    result, report = run_report(fleet, tmp_path, hosts=['clean.example.com', 'kesl.example.com'], previous_report=kept)
    # the other hosts are still in the inventory: not selected for this run (as under --limit), not gone
    assert result['trend'] == {'fixed': 0, 'new_failing': 0, 'still_failing': 1, 'new_hosts': 0,
                               'gone_hosts': 0, 'not_audited': len(NAMES) - 2}
    assert report['trend']['still_failing'] == ['kesl.example.com']
    assert report['trend']['previous']['sha256'] == previous['sha256']
    assert report['trend']['history'][-1]['by_status'] == previous['summary']['by_status']
    with open(kept) as handle:
        text = handle.read()
    with open(kept, 'w') as handle:
        handle.write(text.replace('"status":"noncompliant"', '"status":"compliant"'))
    with pytest.raises(AnsibleActionFail, match='banned_av_previous_report: .* sha256 does not match'):
        run_report(fleet, tmp_path, report_dir=str(tmp_path / 'second'), previous_report=kept)
    assert not (tmp_path / 'second').exists()


@pytest.mark.usefixtures('no_base_run')
def test_remove_spool_removes_the_spool_once_every_report_is_written(fleet, tmp_path):
    spool = shutil.copytree(fleet['spool'], str(tmp_path / 'spools' / (run_spool.PREFIX + 'copy')))
    result, report = run_report(fleet, tmp_path, spool=spool, remove_spool=True)
    assert not os.path.exists(spool)
    assert host(report, 'kesl.example.com')['status'] == 'noncompliant'  # read before it was removed
    assert sorted(result['reports']) == ['csv', 'json']


@pytest.mark.usefixtures('no_base_run')
def test_the_spool_stays_without_remove_spool(fleet, tmp_path):
    run_report(fleet, tmp_path)
    assert os.listdir(fleet['spool'])


@pytest.mark.usefixtures('no_base_run')
@pytest.mark.parametrize('name', ['reports', 'etc', 'run-link'])
def test_remove_spool_never_removes_what_is_not_a_spool(fleet, tmp_path, name):
    """A wrong path (the report directory, any directory not named as a spool, a link named as one)
    is an error naming the option, and it is left alone."""
    victim = tmp_path / 'victim'
    victim.mkdir()
    (victim / 'keep.txt').write_text('keep')
    path = tmp_path / name
    if name == 'run-link':
        path.symlink_to(victim)
    else:
        shutil.copytree(fleet['spool'], str(path))
    out = tmp_path / 'out'
    with pytest.raises(AnsibleActionFail, match='remove_spool: .* not a run spool'):
        run_report(fleet, out, spool=str(path), remove_spool=True)
    assert (victim / 'keep.txt').read_text() == 'keep'
    assert os.path.lexists(str(path))
    assert not (out / 'reports').exists(), 'refused before any report is written'


@pytest.mark.usefixtures('no_base_run')
def test_the_enforce_reports_gain_the_trend_too(fleet, tmp_path):
    """enforce writes its reports with this action (play enforce-before, then enforce); the previous report
    of its module_defaults gives each the trend."""
    first = str(tmp_path / 'audit')
    _result, previous = run_report(fleet, tmp_path, report_dir=first, play='audit')
    kept = os.path.join(first, 'banned_av_report.json')
    for play in ('enforce-before', 'enforce'):
        result, report = run_report(fleet, tmp_path, report_dir=str(tmp_path / play), play=play, previous_report=kept)
        assert report['run']['play'] == play and report['trend']['previous']['sha256'] == previous['sha256']
        assert report['trend']['still_failing'] == sorted(h['name'] for h in report['hosts']
                                                          if h['status'] not in ('compliant', 'waived', 'remediated'))
        assert result['trend']['new_hosts'] == result['trend']['gone_hosts'] == 0


@pytest.mark.usefixtures('no_base_run')
def test_a_previous_report_newer_than_this_run_writes_nothing(fleet, tmp_path):
    """Its generated_at after this run's (a swapped file, a clock that went back): the trend would be reversed."""
    from ansible.errors import AnsibleActionFail
    from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports import json_report
    _result, previous = run_report(fleet, tmp_path, report_dir=str(tmp_path / 'first'))
    previous = dict(previous, generated_at='2999-01-01T00:00:00Z')
    future = tmp_path / 'future.json'
    future.write_bytes(json_report.render(previous))
    with pytest.raises(AnsibleActionFail, match=r'banned_av_previous_report: .*future\.json .*2999-01-01T00:00:00Z.*after this run'):
        run_report(fleet, tmp_path, report_dir=str(tmp_path / 'second'), previous_report=str(future))
    assert not (tmp_path / 'second').exists()
