# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import csv
import datetime
import io
import random

import pytest

from ansible_collections.fleetsec.banned_av.plugins.module_utils import policy
from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports import csv_report


def _read(data):
    """Parse the CSV bytes back with the csv module: header, list of row dicts."""
    assert not data.startswith(b"\xef\xbb\xbf"), "no BOM"
    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
    rows = list(reader)
    header = rows[0]
    return header, [dict(zip(header, r)) for r in rows[1:]]


def test_header_and_row_per_finding(factory):
    report = factory.report([
        factory.host("two", "noncompliant", findings=[factory.finding(), factory.finding(id="kaspersky.kesl_gui")]),
        factory.host("none", "compliant", reasons=["no banned products found"]),
    ])
    header, rows = _read(csv_report.render(report))
    assert header == list(csv_report.COLUMNS)
    assert [(r["host"], r["finding_id"]) for r in rows] == [
        ("two", "kaspersky.kesl"), ("two", "kaspersky.kesl_gui"), ("none", "")]
    empty = rows[2]
    for column in ("policy", "finding_id", "vendor", "product", "category", "version", "signatures_date",
                   "verdict", "evidence"):
        assert empty[column] == ""
    assert empty["status"] == "compliant"
    assert empty["reasons"] == "no banned products found"
    first = rows[0]
    assert first["severity"] == "critical"
    assert first["policy"] == "bis-kaspersky-2024"
    assert first["version"] == "12.1.0.1297"
    assert first["signatures_date"] == "2024-09-05"
    assert first["verdict"] == "violation"
    assert first["evidence"] == "package: kesl 12.1.0.1297 (dpkg: install ok installed); unit: kesl.service (active)"


def test_hostile_names_round_trip_exactly(factory):
    product = factory.FRENCH_PRODUCT + ', "édition" 12'
    hosts = [
        factory.host(factory.HOSTILE_HOST, "noncompliant", findings=[factory.finding(product=product)],
                     reasons=[u"first, with comma", u'second "quoted"\nand a new line', u"third ü"]),
        factory.host(factory.MULTILINE_HOST, "compliant"),
        factory.host(factory.MARKUP_HOST, "waived", waiver={"id": "W1", "ticket": "SEC-1, part 2", "expires": "2027-01-31",
                                                            "owner": "o", "reason": "r", "expired": False}),
    ]
    header, rows = _read(csv_report.render(factory.report(hosts)))
    assert len(rows) == 3
    assert rows[0]["host"] == factory.HOSTILE_HOST
    assert rows[0]["product"] == product
    assert rows[0]["reasons"] == u'first, with comma | second "quoted"\nand a new line | third ü'
    assert rows[1]["host"] == factory.MULTILINE_HOST  # line breaks preserved inside quotes
    assert rows[2]["host"] == factory.MARKUP_HOST
    assert rows[2]["waiver_ticket"] == "SEC-1, part 2"
    assert rows[2]["waiver_expires"] == "2027-01-31"


def test_rfc4180_framing(factory):
    data = csv_report.render(factory.report([factory.host(u'a,"b"', "compliant")]))
    assert data.count(b"\r\n") == 2  # header + one row, CRLF terminated
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert data.split(b"\r\n")[1].startswith(b'"a,""b""",compliant,')  # quoted, quotes doubled
    # QUOTE_MINIMAL: a plain value is not quoted
    assert b'"compliant"' not in data


@pytest.mark.parametrize("value", [
    "=HYPERLINK(\"http://evil\",\"x\")", "+1+2", "-2+3", "@SUM(A1:A2)", "\tcmd", "\rcmd",
])
def test_formula_injection_guard(factory, value):
    host = factory.host(value, "noncompliant", findings=[factory.finding(product=value, version=value)],
                        reasons=[value])
    header, rows = _read(csv_report.render(factory.report([host])))
    row = rows[0]
    for column in ("host", "product", "version", "reasons"):
        assert row[column] == "'" + value
        assert csv_report.unguard(row[column]) == value


def test_guard_leaves_safe_values_and_is_reversible():
    assert csv_report.guard("web01") == "web01"
    assert csv_report.guard("a=b") == "a=b"
    assert csv_report.guard(None) == ""
    assert csv_report.guard(12) == "12"
    # a value that starts with an apostrophe is guarded too, so unguard is exact
    for value in ("'=1", "'plain", "''", "=", "-", "plain", ""):
        assert csv_report.unguard(csv_report.guard(value)) == value


def test_utf8_without_bom_and_nul_removed(factory):
    data = csv_report.render(factory.report([factory.host(u"h\u00f6st\x00", "compliant")]))
    assert u"h\u00f6st".encode("utf-8") in data
    assert b"\x00" not in data
    assert not data.startswith(b"\xef\xbb\xbf")


def test_empty_report_has_only_the_header(factory):
    assert csv_report.render(factory.report([])) == (",".join(csv_report.COLUMNS) + "\r\n").encode("ascii")


# ---------------------------------------------------------------- hostile values in every cell

class _Str(str):
    """A str subclass whose str() differs from its content."""

    def __str__(self):
        return "other"


# values that break naive writers: formula prefixes, NUL, line breaks, quotes, commas,
# separators, whitespace runs, non-ASCII, lone surrogates, non-str values
HOSTILE_VALUES = [
    None, "", " ", "plain", "=1+2", "+1", "-1", "@SUM(A1)", "\tTAB", "\rCR", "'quoted", "''", "'=x", "a=b",
    "\x00", "\x00=nul first", "=\x00", "nu\x00l", "a,b", 'say "hi"', '"', ",", "line\nbreak", "cr\rlf\r\n",
    "  two  spaces  ", " lead", "trail ", "tab\there", "\x0b\x0c\x1c\x1f\x7f", "\x85\u2028\u2029\xa0\u3000",
    "h\u00f6st-\u00fc", "\u65e5\u672c", "\U0001f600", "\ud800", "x\udfffy", "back\\slash", "a | b", "x; y",
    0, 1, -1, 12.5, True, False, b"by\xfftes", ["l1", 2, None], ("t",), {"k": "v", 1: None},
    datetime.date(2026, 11, 27), datetime.datetime(2026, 11, 27, 12, 0), _Str("sub,=str"), _Str("=sub"),
]


def _shown(value):
    """What a reader of the file gets back for ``value`` after unguard: its text, NUL removed,
    a lone surrogate (which UTF-8 cannot carry) as '?'."""
    from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports.common import text
    return text(value).replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


def _hostile_report(rng):
    pick = rng.choice
    hosts = []
    for index in range(80):
        findings = []
        for _i in range(rng.choice((0, 0, 1, 3))):
            finding = dict((key, pick(HOSTILE_VALUES)) for key in ("policy", "id", "vendor", "product", "category",
                                                                   "version", "signatures_date", "verdict"))
            finding["evidence"] = [{"kind": pick(HOSTILE_VALUES), "value": pick(HOSTILE_VALUES)}]
            findings.append(finding)
        hosts.append({"name": pick(HOSTILE_VALUES), "status": pick(list(policy.STATUSES) + ["exploded", None]),
                      "severity": pick(HOSTILE_VALUES), "reasons": [pick(HOSTILE_VALUES) for _i in range(rng.randint(0, 3))],
                      "findings": findings, "warnings": [{"source": pick(HOSTILE_VALUES), "message": pick(HOSTILE_VALUES)}],
                      "waiver": pick([None, {}, {"ticket": pick(HOSTILE_VALUES), "expires": pick(HOSTILE_VALUES)}])})
    return {"hosts": hosts, "run": {"as_of": pick(HOSTILE_VALUES), "policy_version": "p", "catalog_version": "c"}}


def test_every_hostile_value_reads_back_in_its_cell():
    """Parse the file with the csv module: one row per host and finding, every cell in its column,
    and unguard() of each cell gives the value's text back."""
    rng = random.Random(20261127)
    for _round in range(40):
        report = _hostile_report(rng)
        header, rows = _read(csv_report.render(report))
        assert header == list(csv_report.COLUMNS)
        expected = []
        for host in report["hosts"]:
            for finding in host["findings"] or [None]:
                expected.append((host, finding))
        assert len(rows) == len(expected)
        for row, (host, finding) in zip(rows, expected):
            assert len(row) == len(csv_report.COLUMNS)
            assert csv_report.unguard(row["host"]) == _shown(host["name"])
            assert csv_report.unguard(row["severity"]) == _shown(host["severity"])
            assert csv_report.unguard(row["as_of"]) == _shown(report["run"]["as_of"])
            for column, key in (("product", "product"), ("version", "version"), ("finding_id", "id"),
                                ("verdict", "verdict")):
                assert csv_report.unguard(row[column]) == (_shown(finding[key]) if finding else "")
            for column in csv_report.COLUMNS:
                assert not row[column].startswith(csv_report.FORMULA_PREFIXES), (column, row[column])


def test_warnings_and_what_the_host_was_judged_against(factory):
    host = factory.host("w", "compliant", warnings=[{"source": "units", "message": "output capped at 25"},
                                                    {"source": "defender", "message": "not installed"}])
    header, rows = _read(csv_report.render(factory.report([host])))
    assert rows[0]["warnings"] == "units: output capped at 25 | defender: not installed"
    assert rows[0]["status"] == "compliant"
    assert (rows[0]["as_of"], rows[0]["policy_version"], rows[0]["catalog_version"]) == (
        "2026-11-27", "2026.11.27", "2026.11.27")


def test_a_merged_host_shows_its_own_slice(factory):
    report = factory.report([factory.host("a", "compliant", slice=0), factory.host("b", "noncompliant", slice=1)],
                            run={"as_of": None, "slices": [{"as_of": "2026-11-27", "policy_version": "p1", "catalog_version": "c"},
                                                           {"as_of": "2026-11-28", "policy_version": "p2", "catalog_version": "c"}],
                                 "conflicts": {"as_of": ["2026-11-27", "2026-11-28"]}})
    _header, rows = _read(csv_report.render(report))
    assert [(r["host"], r["as_of"], r["policy_version"]) for r in rows] == [
        ("a", "2026-11-27", "p1"), ("b", "2026-11-28", "p2")]
