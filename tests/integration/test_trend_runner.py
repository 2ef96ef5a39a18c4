# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 15 item 3: two audits in a row under ansible-runner, the second with
``banned_av_previous_report`` pointing at the first one's JSON report.

Between the runs the fleet changes (offline roots, tests/support/roots.py): ``fixed-01`` had
KESL and is clean now, ``breaks-01`` was clean and has KESL now, ``still-01`` has KESL in both,
``added-01`` is new, ``removed-01`` left the inventory, ``steady-01`` stays clean.  The trend must
say exactly that in the JSON, the Markdown and the HTML.  A tampered previous report stops the
audit before any host is contacted, with an error naming the variable.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import html
import json
import os
import re
import shutil
import sys

import pytest

pytest.importorskip('ansible_runner')

from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports import json_report  # noqa: E402
from ansible_collections.fleetsec.banned_av.tests.integration import playbook_runs as pr  # noqa: E402
from ansible_collections.fleetsec.banned_av.tests.support import roots  # noqa: E402

BEFORE = {'fixed-01': 'kesl', 'breaks-01': 'clean', 'still-01': 'kesl', 'removed-01': 'clean', 'steady-01': 'clean'}
AFTER = {'fixed-01': 'clean', 'breaks-01': 'kesl', 'still-01': 'kesl', 'added-01': 'kesl', 'steady-01': 'clean'}
EXPECTED = {'fixed': ['fixed-01'], 'new_failing': ['breaks-01'], 'still_failing': ['still-01'],
            'new_hosts': ['added-01'], 'gone_hosts': ['removed-01']}


def fleet_inventory(paths, fleet):
    return {'all': {'children': {'linux': {'hosts': dict(
        (name, pr.image(paths[kind])) for name, kind in sorted(fleet.items()))}}}}


@pytest.fixture(scope='module')
def two_runs(tmp_path_factory):
    base = tmp_path_factory.mktemp('trend')
    paths = {'clean': roots.clean_linux_root(str(base / 'roots' / 'clean')),
             'kesl': roots.kesl_linux_root(str(base / 'roots' / 'kesl'))}
    variables = pr.extravars(banned_av_fail_on_violation=False)
    first = pr.run(base, 'first', 'audit', fleet_inventory(paths, BEFORE), variables)
    assert first.rc == 0, first.stdout()[-3000:]
    previous = os.path.join(str(first.report_dir), 'banned_av_report.json')
    second = pr.run(base, 'second', 'audit', fleet_inventory(paths, AFTER),
                    dict(variables, banned_av_previous_report=previous))
    assert second.rc == 0, second.stdout()[-3000:]
    return base, paths, first, second


def test_the_runs_saw_the_fleet_change(two_runs):
    _base, _paths, first, second = two_runs
    assert first.statuses() == {'fixed-01': 'noncompliant', 'breaks-01': 'compliant', 'still-01': 'noncompliant',
                                'removed-01': 'compliant', 'steady-01': 'compliant'}
    assert second.statuses() == {'fixed-01': 'compliant', 'breaks-01': 'noncompliant', 'still-01': 'noncompliant',
                                 'added-01': 'noncompliant', 'steady-01': 'compliant'}


def test_json_trend(two_runs):
    _base, _paths, first, second = two_runs
    previous, report = first.report(), second.report()
    assert 'trend' not in previous
    trend = report['trend']
    for key, names in EXPECTED.items():
        assert trend[key] == names, key
    assert trend['not_audited'] == []  # every host of the inventory was audited
    assert trend['previous'] == {'generated_at': previous['generated_at'], 'as_of': pr.AS_OF,
                                 'sha256': previous['sha256'], 'hosts': 5}
    assert trend['counts']['previous'] == previous['summary']['by_status']
    assert trend['counts']['now'] == report['summary']['by_status']
    assert trend['history'] == [{'generated_at': previous['generated_at'], 'as_of': pr.AS_OF,
                                 'sha256': previous['sha256'], 'by_status': previous['summary']['by_status']}]
    from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports import json_report
    assert json_report.verify(report)  # the trend is part of the checksummed report


def test_markdown_trend(two_runs):
    _base, _paths, first, second = two_runs
    with open(os.path.join(str(second.report_dir), 'banned_av_report.md'), encoding='utf-8') as handle:
        text = handle.read()
    section = text.split('## Since the previous report', 1)[1].split('\n## ', 1)[0]
    assert '`%s`' % first.report()['sha256'] in section
    for title, key in (('Fixed', 'fixed'), ('Newly failing', 'new_failing'), ('Still failing', 'still_failing'),
                       ('New hosts', 'new_hosts'), ('Gone hosts', 'gone_hosts')):
        assert '| %s | 1 | %s |' % (title, ', '.join(EXPECTED[key])) in section, section
    assert '| noncompliant (failing) | 2 | 3 | +1 |' in section
    assert '| compliant | 3 | 2 | -1 |' in section
    assert 'bis-kaspersky-2024' in section  # the deadline of the policy that applies to these hosts


def test_html_trend(two_runs):
    _base, _paths, first, second = two_runs
    with open(os.path.join(str(second.report_dir), 'banned_av_report.html'), encoding='utf-8') as handle:
        page = handle.read()
    for key, names in EXPECTED.items():
        row = re.search(r'<tr id="trend-%s" data-count="(\d+)">(.*?)</tr>' % key, page)
        assert row, key
        assert int(row.group(1)) == len(names)
        assert re.findall(r'<li>([^<]*)</li>', row.group(2)) == [html.escape(n) for n in names]
    assert first.report()['sha256'] in page.split('id="trend-previous"', 1)[1].split('</p>', 1)[0]
    chart = page.split('<svg class="chart" id="trend-status-chart"', 1)[1].split('</svg>', 1)[0]
    assert 'Hosts by status in the last 2 reports' in chart
    assert set(re.findall(r'<g class="series" data-status="([a-z_]+)">', chart)) == {'noncompliant', 'compliant'}
    assert '<svg class="chart" id="trend-deadline-chart"' in page


def test_a_tampered_previous_report_stops_the_audit_before_any_host(two_runs):
    base, paths, first, _second = two_runs
    tampered = str(base / 'tampered.json')
    with open(os.path.join(str(first.report_dir), 'banned_av_report.json'), encoding='utf-8') as handle:
        text = handle.read()
    with open(tampered, 'w', encoding='utf-8') as handle:
        handle.write(text.replace('"status":"noncompliant"', '"status":"compliant"'))
    run = pr.run(base, 'tampered', 'audit', fleet_inventory(paths, AFTER),
                 pr.extravars(banned_av_previous_report=tampered))
    assert run.rc != 0
    assert run.detected_hosts() == []
    messages = ' '.join(run.failed_messages())
    assert 'banned_av_previous_report: %s' % tampered in messages and 'sha256 does not match' in messages, messages
    assert not os.path.exists(os.path.join(str(run.report_dir), 'banned_av_report.json'))


def test_a_limited_run_leaves_the_hosts_it_did_not_audit_out_of_gone_and_fixed(two_runs):
    """--limit fixed-01 against the first report: the hosts still in the inventory were not audited
    (not gone, not fixed); removed-01 left the inventory: gone."""
    base, paths, first, _second = two_runs
    previous = os.path.join(str(first.report_dir), 'banned_av_report.json')
    run = pr.run(base, 'limited', 'audit', fleet_inventory(paths, AFTER),
                 pr.extravars(banned_av_fail_on_violation=False, banned_av_previous_report=previous),
                 cmdline='--limit fixed-01')
    assert run.rc == 0, run.stdout()[-3000:]
    trend = run.report()['trend']
    assert trend['fixed'] == ['fixed-01'] and trend['gone_hosts'] == ['removed-01']
    assert trend['not_audited'] == ['breaks-01', 'steady-01', 'still-01']
    assert trend['new_failing'] == trend['still_failing'] == trend['new_hosts'] == []
    with open(os.path.join(str(run.report_dir), 'banned_av_report.md'), encoding='utf-8') as handle:
        assert '| Not audited in this run | 3 | breaks-01, steady-01, still-01 |' in handle.read()


# ------------------------------------------------------------------ enforce, merge, and a report from the future

def test_the_enforce_reports_gain_the_trend(two_runs):
    """enforce writes its reports with compliance_report too: the report before any change and the final
    one compare with the previous audit.  The fleet is offline images, which enforce refuses (unknown): every
    host of both reports fails now, so the lists are known exactly."""
    base, paths, first, _second = two_runs
    previous = os.path.join(str(first.report_dir), 'banned_av_report.json')
    run = pr.run(base, 'enforce', 'enforce', fleet_inventory(paths, AFTER),
                 pr.extravars(banned_av_fail_on_violation=False, banned_av_previous_report=previous))
    assert run.rc == 0, run.stdout()[-3000:]
    assert run.role_tasks('remediate') == []
    expected = {'fixed': [], 'new_failing': ['breaks-01', 'steady-01'], 'still_failing': ['fixed-01', 'still-01'],
                'new_hosts': ['added-01'], 'gone_hosts': ['removed-01']}
    final = run.report()
    assert final['run']['play'] == 'enforce' and set(run.statuses().values()) == {'unknown'}
    with open(os.path.join(str(run.report_dir), 'before', 'banned_av_report.json'), encoding='utf-8') as handle:
        before = json.load(handle)
    assert before['run']['play'] == 'enforce-before'
    for report in (before, final):
        assert dict((k, report['trend'][k]) for k in expected) == expected, report['trend']
        assert report['trend']['previous']['sha256'] == first.report()['sha256']
    with open(os.path.join(str(run.report_dir), 'banned_av_report.md'), encoding='utf-8') as handle:
        assert 'previous report' in handle.read()


def test_enforce_refuses_a_previous_report_it_would_overwrite(two_runs):
    base, paths, first, _second = two_runs
    report_dir = str(base / 'reports-enforce-own')
    os.makedirs(report_dir)
    own = os.path.join(report_dir, 'banned_av_report.json')
    shutil.copyfile(os.path.join(str(first.report_dir), 'banned_av_report.json'), own)
    run = pr.run(base, 'enforce-own', 'enforce', fleet_inventory(paths, AFTER),
                 pr.extravars(banned_av_previous_report=own), report_dir=report_dir)
    assert run.rc != 0 and run.detected_hosts() == []
    messages = ' '.join(run.failed_messages())
    assert 'banned_av_previous_report: %s is the report this run writes' % own in messages, messages
    assert first.report()['sha256'] == json.load(open(own, encoding='utf-8'))['sha256']  # left as it was


def test_a_previous_report_newer_than_this_run_stops_the_audit_before_any_host(two_runs):
    """A swapped file or a clock that went back: the previous report says it was written later than now."""
    base, paths, first, _second = two_runs
    doc = first.report()
    doc['generated_at'] = '2999-01-01T00:00:00Z'
    future = str(base / 'future.json')
    with open(future, 'wb') as handle:
        handle.write(json_report.render(doc))
    run = pr.run(base, 'future', 'audit', fleet_inventory(paths, AFTER), pr.extravars(banned_av_previous_report=future))
    assert run.rc != 0 and run.detected_hosts() == []
    messages = ' '.join(run.failed_messages())
    assert 'banned_av_previous_report: %s was generated_at 2999-01-01T00:00:00Z, after this run' % future in messages, messages
    assert not os.path.exists(os.path.join(str(run.report_dir), 'banned_av_report.json'))


def _controller():
    return {'all': {'hosts': {'localhost': {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}}}}


def test_the_merged_fleet_report_gains_the_trend(two_runs):
    """merge_reports with banned_av_previous_report: the second audit, merged as one slice, against the first."""
    base, _paths, first, second = two_runs
    previous = os.path.join(str(first.report_dir), 'banned_av_report.json')
    run = pr.run(base, 'merge', 'merge_reports', _controller(), {
        'banned_av_merge_reports': [os.path.join(str(second.report_dir), 'banned_av_report.json')],
        'banned_av_previous_report': previous, 'banned_av_fail_on_violation': False})
    assert run.rc == 0, run.stdout()[-3000:]
    report = run.report()
    assert report['run']['play'] == 'merge'
    assert dict((k, report['trend'][k]) for k in EXPECTED) == EXPECTED, report['trend']
    assert report['trend']['previous']['sha256'] == first.report()['sha256']


@pytest.mark.parametrize('kind', ['fifo', 'list', 'tampered'])
def test_a_bad_previous_report_stops_the_merge_naming_the_variable(two_runs, kind):
    base, _paths, first, second = two_runs
    bad = str(base / ('merge-previous-%s' % kind))
    if kind == 'fifo':
        os.mkfifo(bad)
    elif kind == 'tampered':
        with open(os.path.join(str(first.report_dir), 'banned_av_report.json'), encoding='utf-8') as handle:
            text = handle.read()
        with open(bad, 'w', encoding='utf-8') as handle:
            handle.write(text.replace('"status":"noncompliant"', '"status":"compliant"'))
    run = pr.run(base, 'merge-' + kind, 'merge_reports', _controller(), {
        'banned_av_merge_reports': [os.path.join(str(second.report_dir), 'banned_av_report.json')],
        'banned_av_previous_report': [bad] if kind == 'list' else bad})
    assert run.rc != 0
    messages = ' '.join(run.failed_messages())
    assert 'banned_av_previous_report' in messages, messages
    assert not os.path.exists(os.path.join(str(run.report_dir), 'banned_av_report.json'))
