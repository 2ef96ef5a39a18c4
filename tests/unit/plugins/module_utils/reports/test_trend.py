# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The trend between two audits (reports/trend.py): a previous report is used only when it is a
verified report of this collection, and the trend puts every host in the right list."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json
import os
import subprocess
import sys

import pytest

from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports import json_report, trend

needs_capsh = pytest.mark.skipif(subprocess.run(['sh', '-c', 'command -v capsh'], stdout=subprocess.DEVNULL,
                                                check=False).returncode != 0, reason='capsh is not installed')


def write(tmp_path, doc, name='previous.json'):
    """``doc`` written as the audit writes its JSON report (signed)."""
    path = tmp_path / name
    path.write_bytes(json_report.render(doc))
    return str(path)


def previous_fleet(factory):
    return factory.report(hosts=[
        factory.host('fixed01', 'noncompliant'), factory.host('still02', 'noncompliant'),
        factory.host('fails03', 'compliant'), factory.host('gone04', 'compliant'),
        factory.host('ok05', 'compliant'), factory.host('unreach06', 'unknown'),
        factory.host('waived07', 'waived', findings=[factory.finding(verdict='waived')])],
        generated_at='2026-11-26T06:00:00Z', run={'as_of': '2026-11-26'})


def current_hosts(factory):
    return [factory.host('fixed01', 'compliant'), factory.host('still02', 'waiver_expired'),
            factory.host('fails03', 'noncompliant'), factory.host('new08', 'noncompliant'),
            factory.host('ok05', 'compliant'), factory.host('unreach06', 'compliant'),
            factory.host('waived07', 'unknown')]


# ------------------------------------------------------------------ the trend itself

def test_every_host_lands_in_the_right_list(tmp_path, factory):
    previous = trend.load_previous(write(tmp_path, previous_fleet(factory)))
    out = trend.compute(previous, current_hosts(factory))
    assert out['fixed'] == ['fixed01', 'unreach06']  # failing then (unknown fails closed), passing now
    assert out['new_failing'] == ['fails03', 'waived07']  # a host that cannot be checked now is failing
    assert out['still_failing'] == ['still02']  # noncompliant then, waiver expired now: still failing
    assert out['new_hosts'] == ['new08'] and out['gone_hosts'] == ['gone04']
    assert out['counts']['previous']['noncompliant'] == 2 and out['counts']['previous']['compliant'] == 3
    assert out['counts']['now']['noncompliant'] == 2 and out['counts']['now']['unknown'] == 1
    assert sum(out['counts']['now'].values()) == 7 and sum(out['counts']['previous'].values()) == 7
    doc = json.loads(open(previous.path).read())
    assert out['previous'] == {'generated_at': '2026-11-26T06:00:00Z', 'as_of': '2026-11-26', 'sha256': doc['sha256'],
                               'hosts': 7}
    # the lists partition the hosts of both reports that changed or still fail
    both = set(['fixed01', 'still02', 'fails03', 'ok05', 'unreach06', 'waived07'])
    listed = out['fixed'] + out['new_failing'] + out['still_failing']
    assert len(listed) == len(set(listed)) and set(listed) < both


def test_a_host_left_out_of_this_run_is_not_gone(tmp_path, factory):
    """--limit: hosts of the previous report that are still in the inventory were not audited; only
    hosts that left the inventory are gone, and nothing unaudited counts as fixed."""
    previous = trend.load_previous(write(tmp_path, previous_fleet(factory)))
    now = [factory.host('fixed01', 'compliant')]
    inventory = ['fixed01', 'still02', 'fails03', 'ok05', 'unreach06', 'waived07', 'new08']
    out = trend.compute(previous, now, inventory=inventory)
    assert out['fixed'] == ['fixed01'] and out['gone_hosts'] == ['gone04']
    assert out['not_audited'] == ['fails03', 'ok05', 'still02', 'unreach06', 'waived07']
    assert out['still_failing'] == out['new_failing'] == out['new_hosts'] == []
    assert trend.compute(previous, now)['gone_hosts'] == ['fails03', 'gone04', 'ok05', 'still02', 'unreach06',
                                                          'waived07']  # no inventory known: gone


def test_failing_is_the_vocabulary_and_an_unknown_status_fails_safe(tmp_path, factory):
    hosts = [factory.host('a', 'warning'), factory.host('b', 'reboot_pending'), factory.host('c', 'blocked'),
             factory.host('d', 'degraded'), factory.host('e', 'remediated')]
    previous = trend.load_previous(write(tmp_path, factory.report(hosts=hosts)))
    now = [factory.host('a', 'brand_new_status'), factory.host('b', 'compliant'), factory.host('c', 'remediated'),
           factory.host('d', 'degraded'), factory.host('e', 'waiver_expired')]
    out = trend.compute(previous, now)
    assert out['new_failing'] == ['a', 'e'] and out['fixed'] == ['c'] and out['still_failing'] == ['d']
    assert out['counts']['now']['brand_new_status'] == 1


def test_counts_then_and_now_most_severe_first_then_unknown_statuses_in_both_formats(tmp_path, factory):
    """One order for the table of counts in Markdown and HTML: the vocabulary's statuses most severe
    first, then statuses this version does not know, sorted; a status no host has then or now is
    left out. In the HTML a change for the worse is marked up (an unknown status counts as failing)."""
    import re
    from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports import html_report, markdown_report
    then = [factory.host('a', 'warning'), factory.host('b', 'reboot_pending'), factory.host('c', 'blocked'),
            factory.host('d', 'degraded'), factory.host('e', 'remediated'), factory.host('f', 'zeta_status')]
    now = [factory.host('a', 'brand_new_status'), factory.host('b', 'compliant'), factory.host('c', 'remediated'),
           factory.host('d', 'degraded'), factory.host('e', 'waiver_expired'), factory.host('f', 'alpha_status')]
    report = factory.report(hosts=now)
    report['trend'] = trend.compute(trend.load_previous(write(tmp_path, factory.report(hosts=then))), now)
    expected = [('blocked', 1, 0), ('waiver_expired', 0, 1), ('degraded', 1, 1), ('reboot_pending', 1, 0),
                ('warning', 1, 0), ('remediated', 1, 1), ('compliant', 0, 1),
                ('alpha_status', 0, 1), ('brand_new_status', 0, 1), ('zeta_status', 1, 0)]
    assert trend.status_changes(report['trend']) == expected
    text = markdown_report.render(report).decode('utf-8')
    section = text.split('## Since the previous report', 1)[1].split('\n## ', 1)[0]
    # Markdown escapes the underscores of a status
    rows = [line for line in section.splitlines() if re.match(r'^\| [a-z\\_]+( \(failing\))? \| \d+ \| \d+ \| [+-]\d+ \|$', line)]
    assert [r.split(' | ')[0][2:].replace(' (failing)', '').replace('\\_', '_') for r in rows] == [s for s, _t, _n in expected]
    assert '| waiver\\_expired (failing) | 0 | 1 | +1 |' in rows and '| compliant | 0 | 1 | +1 |' in rows
    page = html_report.render(report).decode('utf-8')
    table = page.split('id="trend-counts"', 1)[1].split('</table>', 1)[0]
    assert re.findall(r'<tr data-status="([^"]+)">', table) == [s for s, _t, _n in expected]
    marks = dict(re.findall(r'<tr data-status="([^"]+)">.*?<td class="num ?([a-z]*)">[+-]\d+</td></tr>', table))
    assert marks == {'blocked': 'down', 'waiver_expired': 'up', 'degraded': '', 'reboot_pending': 'up', 'warning': 'up',
                     'remediated': '', 'compliant': 'down', 'alpha_status': 'up', 'brand_new_status': 'up',
                     'zeta_status': 'down'}


def test_history_grows_by_one_report_and_is_bounded(tmp_path, factory, monkeypatch):
    first = factory.report(generated_at='2026-11-01T06:00:00Z')
    prev = trend.load_previous(write(tmp_path, first))
    second = factory.report(generated_at='2026-11-02T06:00:00Z')
    second['trend'] = trend.compute(prev, second['hosts'])
    assert [p['generated_at'] for p in second['trend']['history']] == ['2026-11-01T06:00:00Z']
    prev = trend.load_previous(write(tmp_path, second))
    third = trend.compute(prev, factory.report()['hosts'])
    assert [p['generated_at'] for p in third['history']] == ['2026-11-01T06:00:00Z', '2026-11-02T06:00:00Z']
    assert third['history'][1]['by_status']['noncompliant'] == 1
    assert third['history'][1]['sha256'] == json.loads(open(prev.path).read())['sha256']
    # a long daily series keeps the newest points only
    monkeypatch.setattr(trend, 'HISTORY_LIMIT', 3)
    long_series = factory.report(trend={'history': [
        {'generated_at': '2026-10-%02dT06:00:00Z' % day, 'by_status': {'compliant': day}} for day in range(1, 31)]})
    out = trend.compute(trend.load_previous(write(tmp_path, long_series)), factory.report()['hosts'])
    assert [p['generated_at'][:10] for p in out['history']] == ['2026-10-29', '2026-10-30', '2026-11-27']


def test_no_host_at_all_is_a_trend_too(tmp_path, factory):
    out = trend.compute(trend.load_previous(write(tmp_path, factory.report(hosts=[]))), [factory.host('a', 'compliant')])
    assert out['new_hosts'] == ['a'] and out['fixed'] == out['gone_hosts'] == []


# ------------------------------------------------------------------ hostile previous reports


def refused(path, *words, **kwargs):
    with pytest.raises(trend.TrendError) as info:
        trend.load_previous(path, **kwargs)
    message = str(info.value)
    assert message.startswith('banned_av_previous_report: '), message
    for word in words:
        assert word in message, message
    return message


def test_a_tampered_report_is_refused(tmp_path, factory):
    path = write(tmp_path, previous_fleet(factory))
    text = open(path).read()
    assert text.count('"name":"fixed01","platform":"linux","protection"') == 1
    # a host's status changed by hand after the report was written
    edited = text.replace('"status":"noncompliant"', '"status":"compliant"', 1)
    assert edited != text
    open(path, 'w').write(edited)
    refused(path, 'sha256 does not match')


def test_a_truncated_report_is_refused(tmp_path, factory):
    path = write(tmp_path, previous_fleet(factory))
    data = open(path, 'rb').read()
    open(path, 'wb').write(data[:len(data) // 2])
    refused(path, 'not a JSON report')


def test_a_host_deleted_by_hand_is_refused(tmp_path, factory):
    path = write(tmp_path, previous_fleet(factory))
    lines = [line for line in open(path).read().split('\n') if '"name":"gone04"' not in line]
    open(path, 'w').write('\n'.join(lines))
    refused(path, 'sha256 does not match')


def test_an_unsigned_report_is_refused(tmp_path, factory):
    path = tmp_path / 'unsigned.json'
    path.write_text(json.dumps(previous_fleet(factory)))
    refused(str(path), 'has no sha256')


def test_a_report_of_another_schema_is_refused_even_when_its_checksum_matches(tmp_path, factory):
    for schema in ('fleetsec.banned_av/report/v2', None, 'sarif'):
        doc = previous_fleet(factory)
        doc['schema'] = schema
        refused(write(tmp_path, doc), 'schema', json_report.SCHEMA)


@pytest.mark.parametrize('content', [b'', b'   \n', b'[]', b'{}', b'"report"', b'null', b'{"schema": 1'],
                         ids=['empty', 'blank', 'list', 'empty-object', 'string', 'null', 'broken'])
def test_not_a_report_is_refused(tmp_path, content):
    path = tmp_path / 'x.json'
    path.write_bytes(content)
    refused(str(path))


def test_not_utf8_is_refused(tmp_path, factory):
    path = tmp_path / 'latin1.json'
    path.write_bytes(json.dumps(previous_fleet(factory)).encode('utf-8').replace(b'fixed01', b'fix\xe9d01'))
    refused(str(path), 'not UTF-8')


def test_duplicate_host_names_are_refused_even_when_signed(tmp_path, factory):
    doc = previous_fleet(factory)
    doc['hosts'].append(factory.host('fixed01', 'compliant'))  # which record would count?
    refused(write(tmp_path, doc), 'more than once', 'fixed01')


@pytest.mark.parametrize('hosts', [None, {}, [1], [{'status': 'compliant'}], [{'name': ''}], [{'name': 7}]])
def test_malformed_hosts_are_refused_even_when_signed(tmp_path, factory, hosts):
    doc = previous_fleet(factory)
    doc['hosts'] = hosts
    refused(write(tmp_path, doc), 'hosts must be a list')


@pytest.mark.parametrize('history', [
    'yesterday', [1], [{'generated_at': 'x', 'by_status': {}}], [{'generated_at': '2026-11-01', 'by_status': {'a': -1}}],
    [{'generated_at': '2026-11-01', 'by_status': {'a': True}}], [{'generated_at': '2026-11-01'}]])
def test_a_forged_history_is_refused(tmp_path, factory, history):
    doc = previous_fleet(factory)
    doc['trend'] = {'history': history}
    refused(write(tmp_path, doc), 'trend')


def test_a_report_without_time_is_refused(tmp_path, factory):
    doc = previous_fleet(factory)
    doc['generated_at'] = None
    refused(write(tmp_path, doc), 'generated_at')


def test_a_huge_file_is_refused_without_reading_it_all(tmp_path, factory):
    path = write(tmp_path, previous_fleet(factory))
    size = os.path.getsize(path)
    refused(path, 'larger than', max_bytes=size - 1)
    assert trend.load_previous(path, max_bytes=size).statuses['fixed01'] == 'noncompliant'


def test_missing_directory_fifo_and_device_are_refused_without_hanging(tmp_path):
    refused(str(tmp_path / 'missing.json'), 'cannot be read')
    refused(str(tmp_path), 'not a regular file')
    fifo = tmp_path / 'fifo'
    os.mkfifo(str(fifo))
    refused(str(fifo), 'not a regular file')  # opening a FIFO blocks without O_NONBLOCK
    refused('/dev/zero', 'not a regular file')


@needs_capsh
def test_an_unreadable_file_is_refused(tmp_path, factory):
    path = write(tmp_path, previous_fleet(factory))
    os.chmod(path, 0)
    code = ('from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports import trend\n'
            'try:\n    trend.load_previous(%r)\nexcept trend.TrendError as exc:\n    print("REFUSED", exc)\n'
            'else:\n    print("ACCEPTED")\n') % path
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run(['capsh', '--drop=cap_dac_override,cap_dac_read_search', '--', '-c',
                          '"%s" -c "$0"' % sys.executable, code], env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, timeout=120, check=False).stdout.decode()
    assert 'REFUSED banned_av_previous_report: %s cannot be read: Permission denied' % path in out, out


# ------------------------------------------------------------------ a previous report newer than this run

NOW = datetime.datetime(2026, 11, 27, 6, 0, 0, tzinfo=datetime.timezone.utc)


@pytest.mark.parametrize('generated_at', ['2026-11-27T06:00:01Z', '2026-11-27T07:00:01+01:00', '2026-11-28T00:00:00Z',
                                          '2027-01-01T00:00:00+05:00', '2026-11-27T06:00:01'])
def test_a_previous_report_written_after_this_run_is_refused(tmp_path, factory, generated_at):
    """A swapped file (today's report given as the previous one of a re-run) or a clock that went back
    would give a reversed trend: fixed hosts listed as newly failing."""
    doc = previous_fleet(factory)
    doc['generated_at'] = generated_at
    refused(write(tmp_path, doc), 'generated_at', generated_at, 'after this run', '2026-11-27T06:00:00Z', now=NOW)


@pytest.mark.parametrize('generated_at', ['2026-11-27T06:00:00Z', '2026-11-27T05:59:59Z', '2026-11-27T07:00:00+01:00',
                                          '2026-11-27T06:00:00', '2026-11-26T06:00:00Z'])
def test_a_previous_report_of_the_same_second_or_earlier_is_used(tmp_path, factory, generated_at):
    doc = previous_fleet(factory)
    doc['generated_at'] = generated_at
    assert trend.load_previous(write(tmp_path, doc), now=NOW).generated_at == generated_at
    assert trend.load_previous(write(tmp_path, doc), now=NOW.replace(microsecond=999999)).generated_at == generated_at


def test_the_previous_as_of_may_be_later_than_this_run(tmp_path, factory):
    """as_of is the date the hosts are judged against, which a user may set back on purpose
    (banned_av_as_of: "what was the state on 1 November?"); only the wall-clock time is checked."""
    doc = previous_fleet(factory)
    doc['run']['as_of'] = '2026-12-31'
    assert trend.load_previous(write(tmp_path, doc), now=NOW).as_of == '2026-12-31'


@pytest.mark.parametrize('generated_at', ['2026-11-27Tnoon', '2026-11-27T25:00:00Z', '2026-13-01T00:00:00Z'])
def test_a_previous_report_with_a_time_that_is_not_a_time_is_refused(tmp_path, factory, generated_at):
    doc = previous_fleet(factory)
    doc['generated_at'] = generated_at
    refused(write(tmp_path, doc), 'generated_at', now=NOW)


# ------------------------------------------------------------------ deadlines for the chart


def test_deadlines_of_the_policies_that_apply(factory):
    report = factory.report(hosts=[
        factory.host('us1', 'noncompliant', policies=['bis-kaspersky-2024', 'au-pspf-002-2025']),
        factory.host('us2', 'compliant', policies=['bis-kaspersky-2024']),
        factory.host('x', 'compliant', policies=['info-only', 'not-in-the-report', 7])],
        run={'as_of': '2025-03-01'})
    report['policies'] += [
        {'id': 'au-pspf-002-2025', 'title': 'AU', 'enforcement_date': '2025-03-25', 'grace_days': 7, 'action': 'enforce'},
        {'id': 'info-only', 'title': 'info', 'enforcement_date': '2025-01-01', 'grace_days': 0, 'action': 'info'},
        {'id': 'unused', 'title': 'applies to no host', 'enforcement_date': '2025-01-01', 'action': 'enforce'}]
    out = trend.deadlines(report)
    assert out == [
        {'policy': 'bis-kaspersky-2024', 'title': 'BIS', 'date': '2024-09-29', 'days_left': -153, 'hosts': 2, 'failing': 1},
        {'policy': 'au-pspf-002-2025', 'title': 'AU', 'date': '2025-04-01', 'days_left': 31, 'hosts': 1, 'failing': 1}]


# ------------------------------------------------------------------ formats


def with_trend(tmp_path, factory):
    previous = trend.load_previous(write(tmp_path, previous_fleet(factory)))
    hosts = current_hosts(factory) + [factory.host(factory.MARKUP_HOST, 'noncompliant')]
    report = factory.report(hosts=hosts, run={'as_of': '2026-11-27'})
    report['trend'] = trend.compute(previous, hosts)
    return report, previous


def test_markdown_shows_the_trend(tmp_path, factory):
    from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports import markdown_report
    report, previous = with_trend(tmp_path, factory)
    text = markdown_report.render(report).decode('utf-8')
    section = text.split('## Since the previous report', 1)[1].split('\n## ', 1)[0]
    assert 'Previous report generated 2026-11-26T06:00:00Z, as of 2026-11-26, 7 hosts, SHA-256 `%s`' % previous.sha256 in section
    assert '| Fixed | 2 | fixed01, unreach06 |' in section
    assert '| Newly failing | 2 | fails03, waived07 |' in section
    assert '| Still failing | 1 | still02 |' in section
    assert '| New hosts | 2 | \\<script\\>alert(1)\\</script\\> \\& \'x\', new08 |' in section
    assert '| Gone hosts | 1 | gone04 |' in section
    assert '| noncompliant (failing) | 2 | 3 | +1 |' in section
    assert '| compliant | 3 | 3 | +0 |' in section
    assert '| Policy | Deadline | Days left | Hosts | Failing |' not in section  # the hosts name no policy
    capped = markdown_report.render(report, max_hosts=1).decode('utf-8')
    assert '| Fixed | 2 | fixed01 ...and 1 more |' in capped


def test_markdown_without_a_previous_report_has_no_trend(factory):
    from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports import markdown_report
    assert 'previous report' not in markdown_report.render(factory.report()).decode('utf-8')


def test_a_merged_report_carries_no_slice_trend(tmp_path, factory):
    from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports import merge
    report, _previous = with_trend(tmp_path, factory)
    merged = merge.merge([factory.signed(report)], ['slice.json'])
    assert 'trend' not in merged


def test_html_shows_the_trend_and_escapes_what_a_signed_previous_report_holds(tmp_path, factory):
    """A previous report can be signed and still hostile (hand-made): a status and history points that
    are markup stay text in the lists, the tables and the SVG."""
    from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports import html_report
    evil = '<script>alert(1)</script>'
    doc = previous_fleet(factory)
    doc['hosts'].append(factory.host(evil, 'compliant'))
    doc['hosts'][0]['status'] = '<img src=x onerror=alert(2)>'
    doc['trend'] = {'history': [{'generated_at': '2026-11-25T06:00:00Z', 'by_status': {'"><svg onload=alert(3)>': 4}}]}
    previous = trend.load_previous(write(tmp_path, doc))
    hosts = current_hosts(factory)
    report = factory.report(hosts=hosts)
    report['trend'] = trend.compute(previous, hosts)
    assert report['trend']['gone_hosts'] == [evil, 'gone04']  # sorted
    page = html_report.render(report).decode('utf-8')
    section = page.split('<section aria-labelledby="h-trend" id="trend">', 1)[1].split('</section>', 1)[0]
    assert '<script' not in section and '<img' not in section and '<svg onload' not in section
    assert '&lt;script&gt;alert(1)&lt;/script&gt;' in section and '&lt;img src=x onerror=alert(2)&gt;' in section
    assert section.count('<svg class="chart"') == 1  # no deadline chart: the hosts name no policy
    assert 'Hosts by status in the last 3 reports' in section
    assert 'id="trend-gone_hosts" data-count="2"' in section


def test_the_dashboard_view_indexes_the_trend_lists_of_hosts_in_the_report(tmp_path, factory):
    import re
    from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports import html_report
    report, _previous = with_trend(tmp_path, factory)
    page = html_report.render(report).decode('utf-8')
    view = json.loads(re.search(r'<script type="application/json" id="report-view">(.*?)</script>', page, re.S).group(1))
    for key in ('fixed', 'new_failing', 'still_failing', 'new_hosts'):
        assert [view['names'][i] for i in view['trend'][key]] == report['trend'][key], key
    assert 'gone_hosts' not in view['trend']  # not in this report's table
    assert '<option value="trend:new_hosts">New hosts since the previous report (2)</option>' in page
    plain = html_report.render(factory.report()).decode('utf-8')
    assert json.loads(re.search(r'id="report-view">(.*?)</script>', plain, re.S).group(1))['trend'] == {}
    assert 'value="trend:' not in plain and 'id="trend"' not in plain
