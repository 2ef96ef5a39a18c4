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
from ansible_collections.fleetsec.banned_av.tests.unit.plugins.module_utils.reports.reference import (
    text as _ref_text,
    one_line as _ref_one_line,
    truncate as _ref_truncate,
    evidence_item as _ref_evidence_item,
    evidence_summary as _ref_evidence_summary,
)


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


# ---------------------------------------------------------------- same bytes as the reference writer
#
# The reference is the writer as it was before the fast paths (csv module, guard() on every
# cell), on the common helpers as they were (reference.py).  render() and rows() must
# give exactly what it gives, for any input.

_REF_GUARDED = ("=", "+", "-", "@", "\t", "\r", "'")


def _ref_guard(value):
    value = _ref_text(value).replace("\x00", "")
    if value.startswith(_REF_GUARDED):
        return "'" + value
    return value


def _ref_rows(report):
    for host in report.get("hosts") or []:
        waiver = host.get("waiver") or {}
        head = [
            _ref_guard(host.get("name")),
            _ref_guard(host.get("status")),
            _ref_guard(host.get("severity")),
        ]
        tail = [
            _ref_guard(waiver.get("ticket")),
            _ref_guard(waiver.get("expires")),
            _ref_guard(" | ".join(_ref_text(r) for r in host.get("reasons") or [])),
        ]
        findings = host.get("findings") or []
        if not findings:
            yield head + [""] * 9 + tail
            continue
        for finding in findings:
            yield head + [
                _ref_guard(finding.get("policy")),
                _ref_guard(finding.get("id")),
                _ref_guard(finding.get("vendor")),
                _ref_guard(finding.get("product")),
                _ref_guard(finding.get("category")),
                _ref_guard(finding.get("version")),
                _ref_guard(finding.get("signatures_date")),
                _ref_guard(finding.get("verdict")),
                _ref_guard(_ref_evidence_summary(finding)),
            ] + tail


def _ref_render(report):
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, dialect="excel", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(csv_report.COLUMNS)
    writer.writerows(_ref_rows(report))
    return buf.getvalue().encode("utf-8", "replace")


class _Str(str):
    """A str subclass whose str() differs from its content."""

    def __str__(self):
        return "other"


# values that break naive writers or fast paths: formula prefixes, NUL, line breaks, quotes,
# commas, separators, whitespace runs, non-ASCII, lone surrogates, non-str values
HOSTILE_VALUES = [
    None, "", " ", "plain", "=1+2", "+1", "-1", "@SUM(A1)", "\tTAB", "\rCR", "'quoted", "''", "'=x", "a=b",
    "\x00", "\x00=nul first", "=\x00", "nu\x00l", "a,b", 'say "hi"', '"', ",", "line\nbreak", "cr\rlf\r\n",
    "  two  spaces  ", " lead", "trail ", "tab\there", "\x0b\x0c\x1c\x1f\x7f", "\x85\u2028\u2029\xa0\u3000",
    "h\u00f6st-\u00fc", "\u65e5\u672c", "\U0001f600", "\ud800", "x\udfffy", "back\\slash", "a | b", "x; y",
    0, 1, -1, 12.5, float("nan"), True, False, b"by\xfftes", ["l1", 2, None], ("t",), {"k": "v", 1: None},
    set(), datetime.date(2026, 11, 27), datetime.datetime(2026, 11, 27, 12, 0), _Str("sub,=str"), _Str("=sub"),
]


def _hostile_evidence(rng):
    pick = rng.choice
    kinds = [lambda: {"kind": pick(HOSTILE_VALUES), "value": pick(HOSTILE_VALUES)},
             lambda: {"value": pick(HOSTILE_VALUES)}, lambda: {"kind": pick(HOSTILE_VALUES)}, lambda: {},
             lambda: {"kind": "package", "value": "pkg " * rng.randint(1, 40)},
             lambda: {"kind": "file", "value": "/opt/kaspersky/%d, (active)" % rng.randint(0, 99)},
             lambda: pick(HOSTILE_VALUES)]
    return [pick(kinds)() for _i in range(rng.randint(0, 14))]


def _hostile_report(rng, statuses):
    pick = rng.choice
    keys = ("policy", "id", "vendor", "product", "category", "version", "signatures_date", "verdict",
            "installed", "confidence")
    hosts = []
    for index in range(60):
        findings = []
        for _i in range(rng.choice((0, 0, 1, 3))):
            finding = dict((key, pick(HOSTILE_VALUES)) for key in keys if rng.random() < 0.85)
            if rng.random() < 0.9:
                finding["evidence"] = pick([_hostile_evidence(rng), None, "str evidence", {"kind": "k"}])
            findings.append(finding)
        host = {"name": pick(HOSTILE_VALUES), "status": statuses[index % len(statuses)],
                "severity": pick(["critical", "high", "low", None] + HOSTILE_VALUES[:8]),
                "reasons": pick([None, [], [pick(HOSTILE_VALUES) for _i in range(3)], ["one reason"], "chars"]),
                "findings": pick([findings, findings, None]),
                "waiver": pick([None, {}, dict((k, pick(HOSTILE_VALUES)) for k in ("ticket", "expires", "owner", "reason"))])}
        for key in list(host):
            if rng.random() < 0.05:
                del host[key]  # missing keys
        hosts.append(host)
    return {"hosts": hosts}


STATUSES_AND_UNKNOWN = list(policy.STATUSES) + ["exploded", None]


def _check_same(report):
    assert csv_report.render(report) == _ref_render(report)
    assert list(csv_report.rows(report)) == list(_ref_rows(report))


def test_same_bytes_as_reference_on_factory_reports(factory):
    _check_same(factory.report())
    _check_same(factory.report([]))
    _check_same({})
    _check_same({"hosts": None})
    hosts = [factory.host(factory.HOSTILE_HOST, "noncompliant"),
             factory.host(factory.MULTILINE_HOST, "compliant"),
             factory.host(factory.MARKUP_HOST, "waived", waiver={"id": "W1", "ticket": "SEC-1, part 2", "expires": "2027-01-31",
                                                                 "owner": "o", "reason": "r", "expired": False}),
             factory.host("fr", "noncompliant", findings=[factory.finding(product=factory.FRENCH_PRODUCT)])]
    hosts += [factory.host("h-%s" % status, status) for status in policy.STATUSES]
    _check_same(factory.report(hosts))


@pytest.mark.parametrize("status", STATUSES_AND_UNKNOWN)
def test_same_bytes_as_reference_for_every_status(factory, status):
    host = factory.host("h", "compliant", findings=[factory.finding(), factory.finding(id="x.y", evidence=[])])
    host["status"] = status
    _check_same(factory.report([host, dict(host, findings=[])]))


def test_same_bytes_as_reference_on_hostile_values_in_every_field(factory):
    # every hostile value in every field the writer reads, one at a time
    for value in HOSTILE_VALUES:
        finding = dict((key, value) for key in ("policy", "id", "vendor", "product", "category", "version",
                                                "signatures_date", "verdict"))
        finding["evidence"] = [{"kind": value, "value": value}, value, {"kind": "k", "value": value},
                               {"kind": value, "value": "v"}]
        waiver = {"ticket": value, "expires": value, "owner": value, "reason": value}
        hosts = [
            {"name": value, "status": value, "severity": value, "reasons": [value, value], "waiver": waiver,
             "findings": [finding]},
            {"name": value, "status": value, "severity": value, "reasons": [value], "waiver": waiver, "findings": []},
            {"name": value},
        ]
        _check_same({"hosts": hosts})


def test_same_bytes_as_reference_on_random_hostile_reports():
    rng = random.Random(20261127)
    for _i in range(150):
        _check_same(_hostile_report(rng, STATUSES_AND_UNKNOWN))
