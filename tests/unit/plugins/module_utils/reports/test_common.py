# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import os
import stat

import pytest

from ansible_collections.fleetsec.banned_av.plugins.module_utils import evidence, policy
from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports import common
from ansible_collections.fleetsec.banned_av.tests.unit.plugins.module_utils.reports import reference


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


class _Str(str):
    def __str__(self):
        return "other"


_ODD = [None, "", " ", "plain", "  two  spaces  ", " lead", "trail ", "tab\there", "line\nbreak", "cr\rlf\r\n",
        "\x00", "\x0b\x0c\x1c\x1f\x7f", "\x85\u2028\u2029\xa0\u3000", "h\u00f6st-\u00fc", "\U0001f600",
        "\ud800", "x\udfffy", 0, 12.5, True, False, b"by\xfftes", ["l1", 2, None], {"k": "v"},
        datetime.date(2026, 11, 27), _Str("sub  str"), _Str("x")]


def test_fast_paths_give_what_the_former_helpers_gave():
    """text and one_line have fast paths for plain strings; for any input they return what the
    helpers returned before (tests/.../reports/reference.py), every code point included.
    evidence_summary keeps its own shortcut; evidence_item is evidence.describe (no fast path)."""
    chunks = [u"".join(chr(c) for c in range(start, min(start + 61, 0x110000))) for start in range(0, 0x110000, 61)]
    values = _ODD + chunks + [c + u"  x" for c in chunks[:40]] + [u" " + c + u" " for c in chunks[:40]]
    for value in values:
        assert common.text(value) == reference.text(value), repr(value)
        assert common.one_line(value) == reference.one_line(value), repr(value)
    evidence = ([{"kind": k, "value": v} for k in _ODD for v in _ODD] + [{"value": c} for c in chunks[:200]]
                + [{"kind": c, "value": "v"} for c in chunks[:200]] + _ODD)
    for size in (0, 1, 3, 25):
        finding = {"evidence": evidence[:size] + [{"kind": "package", "value": "pkg " * 30}]}
        assert common.evidence_summary(finding) == reference.evidence_summary(finding)
        assert common.evidence_summary(finding, limit=40, item_limit=5) == reference.evidence_summary(finding, 40, 5)


def test_host_policy_is_that_of_the_most_severe_finding(factory):
    host = factory.host(findings=[factory.finding(policy="p-warn", verdict="warning"),
                                  factory.finding(policy="p-enforce", verdict="violation")])
    assert common.host_policy(host) == "p-enforce"
    assert common.host_policy(factory.host("x", "compliant")) is None


# ---------------------------------------------------------------- atomic_write

def _leftovers(directory, name):
    return [n for n in os.listdir(str(directory)) if n != name]


def test_atomic_write_creates_and_replaces(tmp_path):
    path = tmp_path / "report.json"
    common.atomic_write(str(path), b"first")
    assert path.read_bytes() == b"first"
    os.chmod(str(path), 0o640)
    common.atomic_write(str(path), b"second")
    assert path.read_bytes() == b"second"
    assert stat.S_IMODE(os.stat(str(path)).st_mode) == 0o640  # mode of the replaced file is kept
    assert _leftovers(tmp_path, "report.json") == []


def test_atomic_write_failing_write_keeps_old_file(tmp_path, monkeypatch):
    path = tmp_path / "report.csv"
    path.write_bytes(b"old complete report")
    real_fdopen = os.fdopen

    class HalfWriter:
        """Writes half of the data, then fails like a full disk."""

        def __init__(self, handle):
            self.handle = handle

        def write(self, data):
            self.handle.write(data[:len(data) // 2])
            self.handle.flush()
            raise OSError(28, "No space left on device")

        def __getattr__(self, name):
            return getattr(self.handle, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()
            return False

    monkeypatch.setattr(os, "fdopen", lambda fd, mode: HalfWriter(real_fdopen(fd, mode)))
    with pytest.raises(OSError, match="No space left"):
        common.atomic_write(str(path), b"new report " * 1000)
    assert path.read_bytes() == b"old complete report"
    assert _leftovers(tmp_path, "report.csv") == []


@pytest.mark.parametrize("broken", ["fsync", "replace"])
def test_atomic_write_failure_after_writing_keeps_old_file(tmp_path, monkeypatch, broken):
    path = tmp_path / "report.html"
    path.write_bytes(b"old")

    def boom(*args, **kwargs):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, broken, boom)
    with pytest.raises(OSError, match="Input/output"):
        common.atomic_write(str(path), b"new")
    monkeypatch.undo()
    assert path.read_bytes() == b"old"
    assert _leftovers(tmp_path, "report.html") == []


def test_atomic_write_new_file_failure_leaves_nothing(tmp_path, monkeypatch):
    def boom(*args, **kwargs):
        raise KeyboardInterrupt()

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(KeyboardInterrupt):
        common.atomic_write(str(tmp_path / "new.md"), b"data")
    monkeypatch.undo()
    assert os.listdir(str(tmp_path)) == []


def test_atomic_write_rejects_text(tmp_path):
    with pytest.raises(TypeError):
        common.atomic_write(str(tmp_path / "x"), u"text, not bytes")
    assert os.listdir(str(tmp_path)) == []
