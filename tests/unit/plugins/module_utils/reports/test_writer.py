# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""writer.write_reports: all formats or none, the same bytes in one process or several."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest

from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports import json_report, writer

ALL = list(writer.FORMATS)


def _files(directory):
    out = {}
    for name in sorted(os.listdir(directory)):
        with open(os.path.join(directory, name), 'rb') as handle:
            out[name] = handle.read()
    return out


def test_plan_balances_by_cost_and_keeps_every_format_once():
    assert writer.plan(ALL, 1) == [sorted(ALL, key=lambda f: (-writer.COST[f], f))]
    groups = writer.plan(ALL, 2)
    assert sorted(f for g in groups for f in g) == sorted(ALL)
    loads = [sum(writer.COST[f] for f in g) for g in groups]
    assert max(loads) - min(loads) <= max(writer.COST.values())
    assert groups[0][0] == sorted(ALL, key=lambda f: (-writer.COST[f], f))[0]  # the most costly format first
    assert writer.plan(['csv'], 4) == [['csv']]  # never an idle process
    assert len(writer.plan(ALL, 6)) == 6 and all(len(g) == 1 for g in writer.plan(ALL, 6))


def test_auto_processes():
    assert writer.auto_processes(writer.PARALLEL_MIN_HOSTS - 1, ALL, cpus=8) == 1
    assert writer.auto_processes(100000, ALL, cpus=1) == 1
    assert writer.auto_processes(100000, ALL, cpus=2) == 2
    assert writer.auto_processes(100000, ALL, cpus=64) == len(ALL)
    assert writer.auto_processes(100000, ['json'], cpus=8) == 1
    assert writer.available_cpus() >= 1


@pytest.mark.skipif(not hasattr(os, 'fork'), reason='needs os.fork')
@pytest.mark.parametrize('processes', [2, 3, 6])
def test_forked_rendering_writes_the_same_bytes(factory, tmp_path, processes):
    report = factory.report()
    serial = dict(report)
    paths = writer.write_reports(serial, str(tmp_path / 'serial'), ALL, processes=1)
    parallel = dict(report)
    assert writer.write_reports(parallel, str(tmp_path / 'parallel'), ALL, processes=processes).keys() == paths.keys()
    assert serial['sha256'] == parallel['sha256'] == json_report.digest(report)
    assert _files(str(tmp_path / 'serial')) == _files(str(tmp_path / 'parallel'))
    assert sorted(_files(str(tmp_path / 'parallel'))) == sorted(writer.FORMATS[f][0] for f in ALL)  # no temporary file left


@pytest.mark.parametrize('processes', [1, 3])
def test_a_failing_format_replaces_no_report(factory, tmp_path, monkeypatch, processes):
    if processes > 1 and not hasattr(os, 'fork'):
        pytest.skip('needs os.fork')
    out = str(tmp_path / 'reports')
    writer.write_reports(factory.report(), out, ALL)
    before = _files(out)

    def broken(report, **_kwargs):
        raise RuntimeError('renderer bug')

    # with several processes, break a format that a forked child renders (children inherit the
    # patch); json and html are always rendered by this process, after the JSON encoding
    fmt = 'html' if processes == 1 else 'junit'
    assert fmt in writer.NEEDS_JSON_TEXT or processes > 1
    monkeypatch.setattr(writer.FORMATS[fmt][1], 'render', broken)
    changed = factory.report([factory.host('new-host.example.com', 'noncompliant')])
    expected = RuntimeError if processes == 1 else writer.ReportWriteError
    with pytest.raises(expected, match='renderer bug'):
        writer.write_reports(changed, out, ALL, processes=processes)
    assert _files(out) == before  # the previous set, whole, and no temporary files


@pytest.mark.skipif(not hasattr(os, 'fork'), reason='needs os.fork')
def test_an_error_in_this_process_also_removes_the_childrens_files(factory, tmp_path, monkeypatch):
    """This process fails after the children were told the checksum and staged their files:
    nothing is left behind."""
    out = str(tmp_path / 'reports')
    module = writer.FORMATS['html'][1]
    real = module.render
    parent = os.getpid()

    def broken_in_parent(report, **kwargs):
        if os.getpid() == parent:
            raise RuntimeError('parent side')
        return real(report, **kwargs)

    monkeypatch.setattr(module, 'render', broken_in_parent)
    with pytest.raises(RuntimeError, match='parent side'):
        writer.write_reports(factory.report(), out, ALL, processes=3)
    assert os.listdir(out) == []


@pytest.mark.skipif(not hasattr(os, 'fork'), reason='needs os.fork')
def test_children_stop_when_the_json_cannot_be_encoded(factory, tmp_path, monkeypatch):
    """The children render with a token while this process encodes; if encoding fails they are
    told to stop, write nothing, and the error is the encoding's."""
    out = str(tmp_path / 'reports')
    writer.write_reports(factory.report(), out, ALL)
    before = _files(out)

    def broken_prepare(report):
        raise ValueError('cannot encode')

    monkeypatch.setattr(writer.json_report, 'prepare', broken_prepare)
    with pytest.raises(ValueError, match='cannot encode'):
        writer.write_reports(factory.report(), out, ALL, processes=3)
    assert _files(out) == before


@pytest.mark.skipif(not hasattr(os, 'fork'), reason='needs os.fork')
def test_the_token_is_replaced_everywhere(factory, tmp_path):
    """No trace of the placeholder: every format that quotes the checksum quotes the real one."""
    report = factory.report()
    paths = writer.write_reports(report, str(tmp_path), ALL, processes=4)
    for fmt, path in paths.items():
        with open(path, 'rb') as handle:
            data = handle.read()
        if fmt != 'csv':
            assert report['sha256'].encode('ascii') in data, fmt
    assert json_report.verify(json.loads(open(paths['json'], 'rb').read().decode('utf-8')))


def test_the_json_is_the_report_with_its_checksum(factory, tmp_path):
    report = factory.report()
    paths = writer.write_reports(report, str(tmp_path), ['json', 'markdown'])
    with open(paths['json'], 'rb') as handle:
        doc = json.loads(handle.read().decode('utf-8'))
    assert json_report.verify(doc) and doc['sha256'] == report['sha256']
    with open(paths['markdown'], 'rb') as handle:
        assert report['sha256'].encode('ascii') in handle.read()


def _report_data(html_bytes):
    """The JSON the dashboard's script reads (its <script id="report-data"> element)."""
    text = html_bytes.decode('utf-8')
    start = text.index('<script type="application/json" id="report-data">') + len('<script type="application/json" id="report-data">')
    return json.loads(text[start:text.index('</script>', start)])


def test_the_dashboard_embeds_the_json_file(factory, tmp_path):
    """The dashboard's data is the JSON report's text, '<' escaped: the same document as encoding
    the report for the page would give, hostile names included."""
    from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports import html_report
    hosts = [factory.host(factory.HOSTILE_HOST, 'noncompliant'), factory.host('</script><script>alert(1)</script>', 'unknown')]
    report = factory.report(hosts)
    paths = writer.write_reports(report, str(tmp_path), ['json', 'html'])
    with open(paths['html'], 'rb') as handle:
        page = handle.read()
    with open(paths['json'], 'rb') as handle:
        doc = json.loads(handle.read().decode('utf-8'))
    assert b'</script><script>alert' not in page
    assert _report_data(page) == doc
    assert _report_data(html_report.render(report)) == doc  # what the dashboard embeds without the writer
