# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import os
import re
import stat
import time

import pytest

from ansible_collections.fleetsec.banned_av.plugins.module_utils import evidence, policy
from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports import common


# ---------------------------------------------------------------- statuses

def test_statuses_come_from_policy_and_order_is_complete():
    assert common.STATUSES == tuple(policy.STATUSES)
    assert common.FAILING == frozenset(policy.FAILING)
    assert len(common.STATUSES) == 10
    # STATUS_ORDER ranks every status exactly once, failing ones first
    assert sorted(common.STATUS_ORDER) == sorted(common.STATUSES)
    failing_ranks = [common.status_rank(s) for s in common.FAILING]
    passing_ranks = [common.status_rank(s) for s in common.STATUSES if s not in common.FAILING]
    assert max(failing_ranks) < min(passing_ranks)


def test_unrecognised_status_fails_safe():
    assert common.is_failing("exploded")
    assert common.needs_action("exploded")
    assert not common.is_failing("compliant")
    assert not common.is_failing("waived")
    assert common.needs_action("warning") and not common.is_failing("warning")
    assert common.status_rank("noncompliant") < common.status_rank("exploded") < common.status_rank("compliant")


def test_summarize_counts_every_status_and_tolerates_partial_records(factory):
    hosts = [factory.host("a", "noncompliant"), factory.host("b", "compliant"), factory.host("c", "waived"),
             {"name": "d"}]
    summary = common.summarize(hosts)
    assert summary["hosts"] == 4
    assert set(common.STATUSES) <= set(summary["by_status"])
    assert summary["by_status"]["noncompliant"] == 1
    assert summary["by_status"]["unknown"] == 1  # the record without a status
    assert summary["by_status"]["blocked"] == 0
    assert summary["findings"] == 2
    assert summary["violations"] == 1
    assert summary == policy.summarize([dict(h, status=h.get("status", "unknown"), findings=h.get("findings", []))
                                        for h in hosts])


# ---------------------------------------------------------------- evidence_summary

def test_evidence_summary_joins_kind_and_value(factory):
    assert common.evidence_summary(factory.finding()) == (
        "package: kesl 12.1.0.1297 (dpkg: install ok installed); unit: kesl.service (active)")


def test_evidence_summary_is_one_line_and_truncated():
    finding = {"evidence": [{"kind": "registry", "path": "HKLM\\SOFTWARE\\" + "x" * 500},
                            {"kind": "path", "path": "a\nb\r\nc\td"}] +
                           [{"kind": "path", "path": "/opt/kaspersky/%d" % i} for i in range(40)]}
    line = common.evidence_summary(finding, limit=200, item_limit=80)
    assert "\n" not in line and "\r" not in line and "\t" not in line
    assert len(line) <= 200
    assert line.startswith("registry: HKLM\\SOFTWARE\\xxx")
    assert line.split("; ", 1)[0].endswith("...")
    assert "path: a b c d" in line
    assert line.endswith("more")
    shown = line.count("/opt/kaspersky/")
    assert line.endswith("+%d more" % (40 - shown))


def test_evidence_summary_empty_and_odd_items():
    assert common.evidence_summary({}) == ""
    assert common.evidence_summary({"evidence": None}) == ""
    assert common.evidence_summary({"evidence": ["plain string", {"value": "no kind"}]}) == "plain string; no kind"
    # an item of an unknown kind, or without the fields of its kind, shows the values it has
    assert common.evidence_summary({"evidence": [{"kind": "executable", "path": "/opt/kaspersky/kics/bin/kics"},
                                                 {"kind": "package", "value": "kesl 12"}]}) == (
        "executable: /opt/kaspersky/kics/bin/kics; package: kesl 12")


def test_evidence_item_is_evidence_describe():
    item = {"kind": "bundle", "path": "/Applications/Foo (2).app", "name": "com.example.foo", "version": "2"}
    assert common.evidence_item(item) == evidence.describe(item) == "bundle: /Applications/Foo (2).app (com.example.foo 2)"


def test_text_and_parse_date():
    assert common.text(None) == ""
    assert common.text(True) == "true"
    assert common.text(datetime.date(2027, 1, 31)) == "2027-01-31"
    assert common.text(["a", 1]) == "a, 1"
    assert common.parse_date("2027-01-31T10:00:00Z") == datetime.date(2027, 1, 31)
    assert common.parse_date(datetime.date(2027, 1, 31)) == datetime.date(2027, 1, 31)
    assert common.parse_date("soon") is None
    assert common.xml_safe(u"a\x00b\x1bc\ufffed\ud800e\tf") == u"abcde\tf"


def test_host_policy_is_that_of_the_most_severe_finding(factory):
    host = factory.host(findings=[factory.finding(policy="p-warn", verdict="warning"),
                                  factory.finding(policy="p-enforce", verdict="violation")])
    assert common.host_policy(host) == "p-enforce"
    assert common.host_policy(factory.host("x", "compliant")) is None


def test_one_line_collapses_every_kind_of_line_break_and_control():
    assert common.one_line(u"  a\r\n\tb\x00\x0b\x1f\x7f c\x85d\u2028e\u2029f  ") == u"a b c d e f"
    assert common.one_line(None) == ""
    assert common.one_line(["x\ny", 2]) == "x y, 2"


def test_evidence_item_is_evidence_describe_on_one_line():
    """Every report renders evidence through common.evidence_item, which is evidence.describe."""
    from ansible_collections.fleetsec.banned_av.plugins.module_utils.evidence import describe
    items = [{"kind": "package", "name": "kesl", "version": "12.1", "manager": "dpkg", "status": "install ok installed"},
             {"kind": "unit", "name": "kesl.service\n", "state": "active"}, {"kind": "package", "value": "kesl 12\n(dpkg)"},
             {"value": "no kind"}, "plain\tstring", ["a", "b"], None]
    for item in items:
        line = common.evidence_item(item)
        assert line == describe(item) and "\n" not in line and "\t" not in line
    assert common.evidence_item(items[0]) == "package: kesl 12.1 (dpkg: install ok installed)"


@pytest.mark.parametrize("number,noun,expected", [
    (0, "host", "0 hosts"), (1, "host", "1 host"), (2, "host", "2 hosts"), (1000, "host", "1,000 hosts"),
    (1, "finding", "1 finding"),
])
def test_counted_pluralises(number, noun, expected):
    assert common.counted(number, noun) == expected
    assert common.counted(2, "policy", "policies") == "2 policies"


def test_host_messages_of_errors_and_warnings():
    host = {"warnings": [{"source": "units", "message": "output capped\nat 25"}, {"message": "no source"}, "bare"],
            "errors": None}
    assert common.host_messages(host, "warnings") == ["units: output capped at 25", "no source", "bare"]
    assert common.host_messages(host, "errors") == []
    assert common.host_messages({}, "warnings") == []


def test_judged_by_reads_the_slice_of_a_merged_host():
    report = {"run": {"as_of": None, "policy_version": "p2", "catalog_version": "c1",
                      "slices": [{"as_of": "2026-11-27", "policy_version": "p1", "catalog_version": "c1"},
                                 {"as_of": "2026-11-28", "policy_version": "p2", "catalog_version": "c1"}],
                      "conflicts": {"as_of": ["2026-11-27", "2026-11-28"]}}}
    assert common.judged_by(report, {"slice": 1}) == {"as_of": "2026-11-28", "policy_version": "p2",
                                                      "catalog_version": "c1"}
    assert common.judged_by(report, {"slice": 0})["policy_version"] == "p1"
    # no slice, a bad index, a bool: the run's own values
    for host in ({}, {"slice": 7}, {"slice": -1}, {"slice": True}, {"slice": "0"}):
        assert common.judged_by(report, host) == {"as_of": None, "policy_version": "p2", "catalog_version": "c1"}
    assert common.mixed(report) == {"as_of": ["2026-11-27", "2026-11-28"]}
    assert common.mixed({"run": {"conflicts": "garbage"}}) == {}
    assert common.mixed({}) == {}


# ---------------------------------------------------------------- staging files

def _listing(directory):
    return sorted(os.listdir(str(directory)))


def test_open_temp_and_commit_replace_keeping_the_mode(tmp_path):
    path = tmp_path / "banned_av_report.csv"
    path.write_bytes(b"old")
    os.chmod(str(path), 0o640)
    tmp, out = common.open_temp(str(path))
    assert os.path.dirname(tmp) == str(tmp_path)
    assert re.match(r"^\.banned_av_report\.csv\.%d\.[0-9a-f]{8}\.tmp$" % os.getpid(), os.path.basename(tmp))
    with out:
        out.write(u"new h\u00f6st \ud800 end\r\n")
    assert path.read_bytes() == b"old"  # nothing replaced before the commit
    common.commit_temp(tmp, str(path))
    assert path.read_bytes() == u"new h\u00f6st ? end\r\n".encode("utf-8")  # no newline translation; surrogate replaced
    assert stat.S_IMODE(os.stat(str(path)).st_mode) == 0o640
    assert _listing(tmp_path) == ["banned_av_report.csv"]


def test_discard_temp_leaves_the_report(tmp_path):
    path = tmp_path / "banned_av_report.md"
    path.write_bytes(b"old")
    tmp, out = common.open_temp(str(path))
    out.close()
    common.discard_temp(tmp)
    common.discard_temp(tmp)  # already gone: fine
    assert _listing(tmp_path) == ["banned_av_report.md"] and path.read_bytes() == b"old"


# ---------------------------------------------------------------- stale temporary files

NAMES = ("banned_av_report.json", "banned_av_report.html")
OLD = 10 * 3600


def _make(directory, name, age, data=b"x"):
    path = os.path.join(str(directory), name)
    with open(path, "wb") as handle:
        handle.write(data)
    stamp = time.time() - age
    os.utime(path, (stamp, stamp))
    return path


def test_stale_temps_of_a_killed_run_are_removed(tmp_path):
    stale = _make(tmp_path, ".banned_av_report.json.4242.0badc0de.tmp", OLD)
    stale_html = _make(tmp_path, ".banned_av_report.html.1.deadbeef.tmp", OLD)
    assert common.remove_stale_temps(str(tmp_path), NAMES) == sorted(os.path.basename(p) for p in (stale, stale_html))
    assert _listing(tmp_path) == []


@pytest.mark.parametrize("name", [
    ".banned_av_report.json.4242.0badc0de.tmp",      # fresh: may belong to a run writing now
])
def test_a_fresh_temp_file_is_kept(tmp_path, name):
    _make(tmp_path, name, 60)
    assert common.remove_stale_temps(str(tmp_path), NAMES) == []
    assert _listing(tmp_path) == [name]


@pytest.mark.parametrize("name", [
    "banned_av_report.json",                           # the report itself
    ".banned_av_report.json",                          # not a temporary file name
    ".banned_av_report.json.4242.0badc0de.tmp.keep",   # a suffix after the pattern
    ".banned_av_report.json.4242.0BADC0DE.tmp",        # upper-case hex: not what open_temp writes
    ".banned_av_report.json.pid.0badc0de.tmp",         # no pid
    ".banned_av_report.json.4242.0badc0d.tmp",         # 7 hex digits
    ".notes.txt.4242.0badc0de.tmp",                    # a temporary file of something else
    ".banned_av_report.csv.4242.0badc0de.tmp",         # a report file not in the names given
    "x.banned_av_report.json.4242.0badc0de.tmp",
    "banned_av_report.json.4242.0badc0de.tmp",         # no leading dot
])
def test_other_old_files_are_kept(tmp_path, name):
    _make(tmp_path, name, OLD)
    assert common.remove_stale_temps(str(tmp_path), NAMES) == []
    assert _listing(tmp_path) == [name]


def test_links_directories_and_fifos_named_like_temps_are_kept(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    target = _make(outside, "precious.json", OLD, b"precious")
    reports = tmp_path / "reports"
    reports.mkdir()
    link = os.path.join(str(reports), ".banned_av_report.json.1.0badc0de.tmp")
    os.symlink(target, link)
    os.utime(link, (time.time() - OLD, time.time() - OLD), follow_symlinks=False)
    os.mkdir(os.path.join(str(reports), ".banned_av_report.json.2.0badc0de.tmp"))
    fifo = os.path.join(str(reports), ".banned_av_report.html.3.0badc0de.tmp")
    os.mkfifo(fifo)
    os.utime(fifo, (time.time() - OLD, time.time() - OLD))
    before = _listing(reports)
    assert common.remove_stale_temps(str(reports), NAMES) == []
    assert _listing(reports) == before
    with open(target, "rb") as handle:
        assert handle.read() == b"precious"


def test_stale_temps_in_a_missing_or_unreadable_directory():
    assert common.remove_stale_temps("/nonexistent/banned_av_reports", NAMES) == []


def test_stale_temps_age_is_measured_from_now(tmp_path):
    name = ".banned_av_report.json.4242.0badc0de.tmp"
    _make(tmp_path, name, 100)
    assert common.remove_stale_temps(str(tmp_path), NAMES, max_age=3600) == []
    assert common.remove_stale_temps(str(tmp_path), NAMES, max_age=3600, now=time.time() + 3600) == [name]


def test_gc_is_paused_and_restored_as_it_was():
    import gc
    assert gc.isenabled()
    with pytest.raises(RuntimeError):
        with common.gc_paused():
            assert not gc.isenabled()
            raise RuntimeError("a rendering error")
    assert gc.isenabled()
    gc.disable()
    try:
        with common.gc_paused():
            pass
        assert not gc.isenabled()  # it was off before: left off
    finally:
        gc.enable()


def test_one_line_of_every_code_point():
    """Whatever the input, one_line gives the text with each run of whitespace and control
    characters made one space, stripped: checked for every code point, alone and in runs."""
    pattern = re.compile(r"[\s\x00-\x1f\x7f\x85\u2028\u2029]+")
    chunks = [u"".join(chr(c) for c in range(start, min(start + 61, 0x110000))) for start in range(0, 0x110000, 61)]
    for chunk in chunks + [u"a  b", u" x ", u"tab\there", u"a\u00a0\u00a0b", u"\u3000", u"", u"  "]:
        for value in (chunk, chunk + u"  x", u" " + chunk + u" "):
            assert common.one_line(value) == pattern.sub(" ", value).strip(), repr(value)
