# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""report_merge: verify the slices, merge, write every format; refuse, writing nothing, otherwise."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
from unittest import mock

import pytest

from ansible.errors import AnsibleActionFail
from ansible.playbook.task import Task
from ansible.plugins.action import ActionBase

from ansible_collections.fleetsec.banned_av.plugins.action import av_facts
from ansible_collections.fleetsec.banned_av.plugins.action import compliance_report
from ansible_collections.fleetsec.banned_av.plugins.action import report_merge
from ansible_collections.fleetsec.banned_av.plugins.module_utils import policy as policy_mod
from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports import json_report, writer
from ansible_collections.fleetsec.banned_av.tests.unit.conftest import fixture_text


def make_action(args):
    task = mock.MagicMock(Task)
    task.args = args
    task.check_mode = False
    task.async_val = 0
    return report_merge.ActionModule(task, mock.MagicMock(), mock.MagicMock(), loader=None, templar=None,
                                     shared_loader_obj=None)


@pytest.fixture(autouse=True)
def no_base_run():
    # a new result dict for every run (return_value would hand every action the same dict)
    with mock.patch.object(ActionBase, 'run', side_effect=lambda *args, **kwargs: {}):
        yield


def _kesl_facts(catalog):
    """ansible_facts.banned_av of a host with KESL 12 (dpkg-query output from the unit fixtures)."""
    inventory = {'schema': 1, 'platform': 'linux', 'root': '/', 'live': True, 'os': {'family': 'debian'},
                 'commands': [{'id': 'dpkg', 'argv': ['dpkg-query'], 'rc': 0,
                               'stdout': fixture_text('linux', 'dpkg-query-kesl.txt'), 'stderr': ''}],
                 'skipped': [], 'errors': []}
    return av_facts.build_facts(inventory, catalog, '2026-11-27T10:00:00Z')


def write_slice(directory, catalog, hosts, as_of='2026-11-27'):
    """A slice's JSON report as an audit writes it: ``hosts`` is ``[(name, 'kesl'|'clean'|'down')]``."""
    as_of_date, version, policies, waivers = policy_mod.load_context(as_of, [], [], [])
    clean = av_facts.build_facts({'schema': 1, 'platform': 'linux', 'root': '/', 'live': True, 'commands': [],
                                  'skipped': [], 'errors': []}, catalog, '2026-11-27T10:00:00Z')
    facts = {'kesl': _kesl_facts(catalog), 'clean': clean, 'down': None}
    records = [policy_mod.evaluate_host(name, facts[kind], policies, waivers, as_of_date, ['linux'],
                                        {'unreachable': True, 'msg': 'timed out'} if kind == 'down' else None)
               for name, kind in hosts]
    run = {'generated_at': '2026-11-27T12:00:00Z', 'ansible_version': '2.19.14', 'collection_version': '1.0.0',
           'catalog_version': catalog.version, 'policy_version': version, 'as_of': as_of_date.isoformat(),
           'awx_job_id': directory.name, 'awx_job_template': 'audit', 'play': 'audit',
           'check_mode': False, 'user': 'ops'}
    report = compliance_report.build_report(records, run, policies)
    return writer.write_reports(report, str(directory), ['json'])['json']


@pytest.fixture
def slices(tmp_path, catalog):
    one = write_slice(tmp_path / 'job-1', catalog, [('a.example.com', 'clean'), ('b.example.com', 'kesl')])
    two = write_slice(tmp_path / 'job-2', catalog, [('c.example.com', 'down'), ('d.example.com', 'clean')])
    return [one, two]


def _read(path):
    with open(path, 'rb') as handle:
        return handle.read().decode('utf-8')


def test_two_slices_are_merged_into_every_format(tmp_path, slices):
    out = tmp_path / 'fleet'
    result = make_action({'reports': slices, 'report_dir': str(out), 'fail_on': ['noncompliant', 'unknown']}).run(task_vars={})
    assert result['changed'] is False
    assert result['summary']['hosts'] == 4 and result['slices'] == 2 and result['mixed'] == {}
    assert result['hosts_by_status']['noncompliant'] == ['b.example.com']
    assert result['hosts_by_status']['unknown'] == ['c.example.com']
    assert result['failing_hosts'] == ['b.example.com', 'c.example.com']
    assert result['msg'] == '4 hosts: compliant 2, noncompliant 1, unknown 1'
    assert sorted(os.listdir(str(out))) == sorted(writer.FORMATS.values())
    doc = json.loads(_read(result['reports']['json']))
    assert json_report.verify(doc) and doc['sha256'] == result['sha256']
    assert doc['run']['play'] == 'merge' and [s['name'] for s in doc['run']['slices']] == slices
    assert [h['name'] for h in doc['hosts']] == ['a.example.com', 'b.example.com', 'c.example.com', 'd.example.com']


def test_a_tampered_slice_is_refused_and_nothing_is_written(tmp_path, slices):
    data = _read(slices[1])
    tampered = tmp_path / 'tampered.json'
    tampered.write_text(data.replace('"status":"unknown"', '"status":"compliant"', 1))
    assert tampered.read_text() != data
    out = tmp_path / 'fleet'
    with pytest.raises(AnsibleActionFail, match=r'merge refused: .*tampered\.json: its sha256 does not match'):
        make_action({'reports': [slices[0], str(tampered)], 'report_dir': str(out)}).run(task_vars={})
    assert not out.exists()


@pytest.mark.parametrize('content,message', [
    ('{}', 'is not a report'),
    ('', 'is not a JSON report'),
    ('null', 'is not a report'),
])
def test_an_empty_slice_is_refused(tmp_path, slices, content, message):
    empty = tmp_path / 'empty.json'
    empty.write_text(content)
    with pytest.raises(AnsibleActionFail, match=r'empty\.json: %s' % message):
        make_action({'reports': [slices[0], str(empty)], 'report_dir': str(tmp_path / 'fleet')}).run(task_vars={})


def test_a_slice_without_checksum_is_refused(tmp_path, slices):
    doc = json.loads(_read(slices[0]))
    del doc['sha256']
    bare = tmp_path / 'bare.json'
    bare.write_text(json.dumps(doc))
    with pytest.raises(AnsibleActionFail, match=r'bare\.json: has no sha256'):
        make_action({'reports': [str(bare), slices[1]], 'report_dir': str(tmp_path / 'fleet')}).run(task_vars={})


def test_slices_of_different_days_need_allow_mixed_and_then_say_so(tmp_path, slices, catalog):
    late = write_slice(tmp_path / 'job-3', catalog, [('e.example.com', 'kesl')], as_of='2026-11-28')
    args = {'reports': slices + [late], 'report_dir': str(tmp_path / 'fleet')}
    with pytest.raises(AnsibleActionFail, match=r'judged differently: as_of is 2026-11-27 in .*job-1.*, 2026-11-28 in .*job-3'):
        make_action(args).run(task_vars={})
    assert not (tmp_path / 'fleet').exists()
    result = make_action(dict(args, allow_mixed=True)).run(task_vars={})
    assert result['mixed'] == {'as_of': ['2026-11-27', '2026-11-28']} and result['as_of'] is None
    reports = result['reports']
    assert 'as\\_of: 2026-11-27, 2026-11-28' in _read(reports['markdown'])
    assert 'id="mixed"' in _read(reports['html'])
    assert 'name="mixed.as_of" value="2026-11-27, 2026-11-28"' in _read(reports['junit'])
    assert '"mixed": {"as_of": ["2026-11-27", "2026-11-28"]}' in _read(reports['sarif'])
    rows = [line.split(',') for line in _read(reports['csv']).splitlines()]
    column = rows[0].index('as_of')
    assert sorted(set(r[column] for r in rows[1:])) == ['2026-11-27', '2026-11-28']


@pytest.mark.parametrize('value', ['nope', 'maybe', '2'])
def test_a_typo_in_allow_mixed_is_an_error(tmp_path, slices, value):
    with pytest.raises(AnsibleActionFail, match='allow_mixed'):
        make_action({'reports': slices, 'report_dir': str(tmp_path / 'fleet'), 'allow_mixed': value}).run(task_vars={})


def test_lost_and_duplicated_hosts(tmp_path, slices, catalog):
    out = str(tmp_path / 'fleet')
    inventory = ['a.example.com', 'b.example.com', 'c.example.com', 'd.example.com', 'lost.example.com']
    with pytest.raises(AnsibleActionFail, match=r'1 inventory host\(s\) in no slice report: lost\.example\.com'):
        make_action({'reports': slices, 'report_dir': out, 'expected_hosts': inventory}).run(task_vars={})
    assert make_action({'reports': slices, 'report_dir': out, 'expected_hosts': inventory[:4]}).run(
        task_vars={})['summary']['hosts'] == 4
    again = write_slice(tmp_path / 'job-9', catalog, [('b.example.com', 'clean')])
    with pytest.raises(AnsibleActionFail, match=r'b\.example\.com in .*job-1.* and .*job-9.*a host in two slices'):
        make_action({'reports': slices + [again], 'report_dir': out, 'duplicate_hosts': 'refuse'}).run(task_vars={})
    merged = make_action({'reports': slices + [again], 'report_dir': out}).run(task_vars={})
    assert merged['hosts_by_status']['noncompliant'] == ['b.example.com']  # the more severe record wins


def test_no_report_given(tmp_path):
    with pytest.raises(AnsibleActionFail, match='reports'):
        make_action({'reports': [], 'report_dir': str(tmp_path / 'fleet')}).run(task_vars={})


# ------------------------------------------------------------------ the trend of a sliced fleet

def _previous_fleet(tmp_path, catalog):
    """Yesterday's merged fleet report: a, b and c were audited, b and c failing (c unreachable)."""
    slices = [write_slice(tmp_path / 'prev-1', catalog, [('a.example.com', 'clean'), ('b.example.com', 'kesl')]),
              write_slice(tmp_path / 'prev-2', catalog, [('c.example.com', 'down'), ('gone.example.com', 'clean')])]
    result = make_action({'reports': slices, 'report_dir': str(tmp_path / 'yesterday'), 'formats': ['json']}).run(
        task_vars={})
    return result['reports']['json']


def test_the_merged_report_gains_the_trend_against_the_previous_fleet_report(tmp_path, slices, catalog):
    previous = _previous_fleet(tmp_path, catalog)
    out = tmp_path / 'fleet'
    result = make_action({'reports': slices, 'report_dir': str(out), 'previous_report': previous}).run(task_vars={})
    doc = json.loads(_read(result['reports']['json']))
    assert json_report.verify(doc)
    trend = doc['trend']
    # c: unknown then and now; b: noncompliant then and now; d: new; gone: only in the previous report
    assert trend['still_failing'] == ['b.example.com', 'c.example.com'] and trend['fixed'] == trend['new_failing'] == []
    assert trend['new_hosts'] == ['d.example.com'] and trend['gone_hosts'] == ['gone.example.com']
    assert trend['previous']['sha256'] == json.loads(_read(previous))['sha256'] and trend['previous']['hosts'] == 4
    assert result['trend'] == {'fixed': 0, 'new_failing': 0, 'still_failing': 2, 'new_hosts': 1, 'gone_hosts': 1,
                               'not_audited': 0}
    assert 'Since the previous report' in _read(result['reports']['markdown'])
    # a host of the previous report still in the inventory (a slice that covered part of the fleet, merged with
    # banned_av_awx_merge_require_all_hosts: false) was not audited: not gone
    again = make_action({'reports': slices, 'report_dir': str(tmp_path / 'fleet2'), 'previous_report': previous})
    result = again.run(task_vars={'groups': {'all': ['a.example.com', 'gone.example.com'], 'ungrouped': []}})
    assert result['trend']['gone_hosts'] == 0 and result['trend']['not_audited'] == 1


def test_a_slice_trend_is_dropped_and_the_fleet_trend_replaces_it(tmp_path, slices, catalog):
    previous = _previous_fleet(tmp_path, catalog)
    # a slice written with a trend against a previous report of its own share of the fleet
    own = write_slice(tmp_path / 'job-3', catalog, [('e.example.com', 'kesl')])
    merged_alone = make_action({'reports': [own], 'report_dir': str(tmp_path / 'alone'), 'formats': ['json'],
                                'previous_report': own}).run(task_vars={})
    slice_with_trend = json.loads(_read(merged_alone['reports']['json']))
    assert slice_with_trend['trend']['still_failing'] == ['e.example.com']
    result = make_action({'reports': slices + [merged_alone['reports']['json']], 'report_dir': str(tmp_path / 'fleet'),
                          'formats': ['json']}).run(task_vars={})
    fleet = json.loads(_read(result['reports']['json']))
    assert 'trend' not in fleet, sorted(fleet)
    assert 'trend' not in result, sorted(result)
    result = make_action({'reports': slices + [merged_alone['reports']['json']], 'report_dir': str(tmp_path / 'fleet'),
                          'formats': ['json'], 'previous_report': previous}).run(task_vars={})
    trend = json.loads(_read(result['reports']['json']))['trend']
    assert trend['previous']['hosts'] == 4 and trend['new_hosts'] == ['d.example.com', 'e.example.com']


@pytest.mark.parametrize('value', [None, '', '  '])
def test_no_previous_report_no_trend(tmp_path, slices, value):
    args = {'reports': slices, 'report_dir': str(tmp_path / 'fleet'), 'formats': ['json']}
    if value is not None:
        args['previous_report'] = value
    result = make_action(args).run(task_vars={})
    fleet = json.loads(_read(result['reports']['json']))
    assert 'trend' not in fleet, sorted(fleet)
    assert 'trend' not in result, sorted(result)


def _hostile_previous(tmp_path, slices, kind):
    good = json.loads(_read(slices[0]))
    path = tmp_path / ('previous-%s.json' % kind)
    if kind == 'tampered':
        path.write_text(_read(slices[0]).replace('"status":"noncompliant"', '"status":"compliant"', 1))
    elif kind == 'unsigned':
        del good['sha256']
        path.write_text(json.dumps(good))
    elif kind == 'foreign':
        good['schema'] = 'someone.else/report/v1'
        path.write_bytes(json_report.render(good))
    elif kind == 'fifo':
        os.mkfifo(str(path))
    elif kind == 'future':
        good['generated_at'] = '2999-01-01T00:00:00Z'
        path.write_bytes(json_report.render(good))
    elif kind == 'missing':
        pass
    return str(path)


@pytest.mark.parametrize('kind,words', [
    ('tampered', 'sha256 does not match'), ('unsigned', 'has no sha256'), ('foreign', 'schema'),
    ('fifo', 'not a regular file'), ('future', 'after this run'), ('missing', 'cannot be read')])
def test_a_hostile_previous_report_is_refused_naming_the_variable_and_nothing_is_written(tmp_path, slices, kind, words):
    previous = _hostile_previous(tmp_path, slices, kind)
    out = tmp_path / 'fleet'
    with pytest.raises(AnsibleActionFail) as info:
        make_action({'reports': slices, 'report_dir': str(out), 'previous_report': previous}).run(task_vars={})
    message = str(info.value)
    assert message.startswith('banned_av_previous_report: %s ' % previous) and words in message, message
    assert not out.exists()


def test_a_bad_previous_report_is_refused_before_a_slice_is_read(tmp_path, slices):
    """The previous report is checked first: a merge with a bad slice and a bad previous report names the
    previous report (the variable the user set for this run), and reads no slice."""
    previous = _hostile_previous(tmp_path, slices, 'unsigned')
    with mock.patch.object(report_merge.merge, 'read_slice', side_effect=AssertionError('a slice was read')):
        with pytest.raises(AnsibleActionFail, match='banned_av_previous_report'):
            make_action({'reports': slices, 'report_dir': str(tmp_path / 'fleet'),
                         'previous_report': previous}).run(task_vars={})
