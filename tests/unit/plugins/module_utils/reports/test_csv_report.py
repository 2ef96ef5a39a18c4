# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import csv
import io

import pytest

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
