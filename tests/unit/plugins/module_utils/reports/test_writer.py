# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""writer.write_reports: every host in every format, all formats or none, no temporary file left."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import csv
import io
import json
import os
import re
import time
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports import (
    csv_report, html_report, json_report, junit_report, markdown_report, sarif_report, writer)

ALL = list(writer.FORMATS)


def _files(directory):
    out = {}
    for name in sorted(os.listdir(directory)):
        with open(os.path.join(directory, name), 'rb') as handle:
            out[name] = handle.read()
    return out


def _hostile_fleet(factory):
    """Every status, hostile names, a host with no findings and one with several."""
    names = [factory.HOSTILE_HOST, factory.MULTILINE_HOST, factory.MARKUP_HOST, u'</script><!--', u'=cmd|"/c calc"!A0',
             u'\u65e5\u672c-host', u'tab\there', u'a' * 300]
    statuses = ['noncompliant', 'compliant', 'waived', 'unknown', 'warning', 'waiver_expired', 'remediated', 'blocked',
                'degraded', 'reboot_pending']
    hosts = []
    for index, name in enumerate(names + ['plain-%d' % i for i in range(len(statuses))]):
        status = statuses[index % len(statuses)]
        hosts.append(factory.host(name, status, waiver={'id': 'W', 'owner': 'o', 'ticket': 'T', 'expires': '2027-01-01',
                                                        'reason': 'r', 'expired': False} if status == 'waived' else None))
    return factory.report(hosts)


def test_every_host_is_in_every_format(factory, tmp_path):
    """Read each file back with a parser for its format: every host of the report is there."""
    report = _hostile_fleet(factory)
    names = [h['name'] for h in report['hosts']]
    paths = writer.write_reports(report, str(tmp_path), ALL)
    with open(paths['json'], 'rb') as handle:
        doc = json.loads(handle.read().decode('utf-8'))
    assert [h['name'] for h in doc['hosts']] == names
    with open(paths['csv'], 'rb') as handle:
        rows = list(csv.DictReader(io.StringIO(handle.read().decode('utf-8'), newline='')))
    assert [csv_report.unguard(r['host']) for r in rows] == [n.replace('\x00', '') for n in names]
    cases = ET.parse(paths['junit']).getroot().iter('testcase')
    assert [c.get('name') for c in cases] == names
    with open(paths['sarif'], 'rb') as handle:
        run = json.loads(handle.read().decode('utf-8'))['runs'][0]
    located = set(r['properties']['host'] for r in run['results'])
    located |= set(n['locations'][0]['logicalLocations'][0]['name']
                   for n in run['invocations'][0].get('toolExecutionNotifications', []))
    assert located == set(h['name'] for h in report['hosts'] if h['findings'] or h['status'] == 'unknown')
    with open(paths['html'], 'rb') as handle:
        page = handle.read().decode('utf-8')
    start = page.index('id="report-view">') + len('id="report-view">')
    assert json.loads(page[start:page.index('</script>', start)])['names'] == names
    assert page.count('<tbody class="host"') == len(names)
    with open(paths['markdown'], 'rb') as handle:
        assert '| **total** | **%d** |' % len(names) in handle.read().decode('utf-8')


def test_every_format_quotes_the_same_checksum(factory, tmp_path):
    report = factory.report()
    paths = writer.write_reports(report, str(tmp_path), ALL)
    with open(paths['json'], 'rb') as handle:
        doc = json.loads(handle.read().decode('utf-8'))
    assert json_report.verify(doc) and doc['sha256'] == report['sha256'] == json_report.digest(report)
    for fmt, path in paths.items():
        if fmt != 'csv':
            with open(path, 'rb') as handle:
                assert report['sha256'].encode('ascii') in handle.read(), fmt


def test_the_files_are_what_the_renderers_give(factory, tmp_path):
    report = factory.report()
    paths = writer.write_reports(dict(report), str(tmp_path), ALL, catalog_entries=[])
    final = factory.signed(report)
    expected = {'json': json_report.render(report), 'csv': csv_report.render(report), 'html': html_report.render(final),
                'junit': junit_report.render(final), 'sarif': sarif_report.render(final, catalog_entries=[]),
                'markdown': markdown_report.render(final)}
    for fmt, path in paths.items():
        with open(path, 'rb') as handle:
            assert handle.read() == expected[fmt], fmt


@pytest.mark.parametrize('broken', ['json', 'html', 'sarif', 'markdown'])
def test_a_failing_format_replaces_no_report(factory, tmp_path, monkeypatch, broken):
    out = str(tmp_path / 'reports')
    writer.write_reports(factory.report(), out, ALL)
    before = _files(out)

    def fail(*_args, **_kwargs):
        raise RuntimeError('renderer bug')

    module = {'json': json_report, 'html': html_report, 'sarif': sarif_report, 'markdown': markdown_report}[broken]
    monkeypatch.setattr(module, 'write', fail)
    with pytest.raises(RuntimeError, match='renderer bug'):
        writer.write_reports(factory.report([factory.host('new-host.example.com', 'noncompliant')]), out, ALL)
    assert _files(out) == before  # the previous set, whole, and no temporary file


def test_a_failure_while_renaming_replaces_nothing_more_and_leaves_no_temp(factory, tmp_path, monkeypatch):
    out = str(tmp_path / 'reports')
    writer.write_reports(factory.report(), out, ['json', 'csv'])
    real = os.replace

    def replace(src, dst):
        if dst.endswith('.csv'):
            raise OSError(28, 'No space left on device')
        return real(src, dst)

    monkeypatch.setattr(os, 'replace', replace)
    with pytest.raises(OSError, match='No space left'):
        writer.write_reports(factory.report([factory.host('x', 'compliant')]), out, ['json', 'csv'])
    assert sorted(os.listdir(out)) == ['banned_av_report.csv', 'banned_av_report.json']


def test_a_disk_error_while_writing_leaves_the_old_set(factory, tmp_path, monkeypatch):
    out = str(tmp_path / 'reports')
    writer.write_reports(factory.report(), out, ALL)
    before = _files(out)

    def fsync(_fd):
        raise OSError(5, 'Input/output error')

    monkeypatch.setattr(os, 'fsync', fsync)
    with pytest.raises(OSError, match='Input/output'):
        writer.write_reports(factory.report([factory.host('x', 'compliant')]), out, ALL)
    monkeypatch.undo()
    assert _files(out) == before


def test_stale_temps_of_a_killed_run_go_and_other_files_stay(factory, tmp_path):
    out = tmp_path / 'reports'
    out.mkdir()
    old = time.time() - 2 * 3600
    keep = {'notes.txt': b'mine', '.banned_av_report.json.9.0badc0de.tmp.keep': b'not ours'}
    for name, data in keep.items():
        (out / name).write_bytes(data)
        os.utime(str(out / name), (old, old))
    killed = out / '.banned_av_report.html.4242.deadbeef.tmp'
    killed.write_bytes(b'<html>half a dashboard')
    os.utime(str(killed), (old, old))
    fresh = out / '.banned_av_report.csv.4243.feedf00d.tmp'
    fresh.write_bytes(b'another run, writing now')
    writer.write_reports(factory.report(), str(out), ['json'])
    assert sorted(os.listdir(str(out))) == sorted(['banned_av_report.json', fresh.name] + list(keep))
    for name, data in keep.items():
        assert (out / name).read_bytes() == data


def test_no_temporary_file_is_left_after_a_run(factory, tmp_path):
    writer.write_reports(factory.report(), str(tmp_path), ALL)
    assert not [n for n in os.listdir(str(tmp_path)) if re.search(r'\.tmp$', n)]
    assert sorted(os.listdir(str(tmp_path))) == sorted(writer.FORMATS.values())
