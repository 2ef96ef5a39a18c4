# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

import pytest

from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports import json_report, markdown_report

NASTY = u"a|b *bold* _it_ `code` [link](http://x) <script>alert(1)</script> &amp; ~~del~~ \\ # h\u00f6st\nnext line"


def _md(report, **kwargs):
    return markdown_report.render(report, **kwargs).decode("utf-8")


def _cells(line):
    """Split a table row on unescaped pipes."""
    assert line.startswith("| ") and line.endswith(" |"), line
    return re.split(r"(?<!\\)\|", line[1:-1])


def _section(text, heading):
    start = text.index(heading)
    end = text.find("\n## ", start + 1)
    return text[start:end if end > 0 else len(text)]


def test_verdict_and_status_table(factory):
    text = _md(factory.report())  # noncompliant, compliant, waived, unknown
    assert text.startswith("# Banned anti-virus compliance: 2 of 4 hosts need action\n")
    assert "**2 of 4 hosts need action** (2 failing)" in text
    assert "AWX job 1234" in text
    table = _section(text, "## Hosts by status")
    assert "| noncompliant (failing) | 1 |" in table
    assert "| unknown (failing) | 1 |" in table
    assert "| waived | 1 |" in table
    assert "| compliant | 1 |" in table
    assert "| **total** | **4** |" in table
    assert "blocked" not in table  # zero counts are left out
    # most severe first
    assert table.index("noncompliant") < table.index("unknown") < table.index("waived") < table.index("| compliant")


def test_singular_and_all_compliant(factory):
    assert "1 of 1 host needs action" in _md(factory.report([factory.host("a", "warning")]))
    text = _md(factory.report([factory.host("a", "compliant"), factory.host("b", "remediated")]))
    assert text.startswith("# Banned anti-virus compliance: All 2 hosts are compliant")
    assert "## Hosts needing action" not in text
    assert "No hosts in this report" in _md(factory.report([]))


def test_hosts_needing_action_table(factory):
    hosts = [factory.host("ok", "compliant"), factory.host("late", "warning", findings=[factory.finding(verdict="warning")]),
             factory.host("bad", "noncompliant", reasons=["r1", "r2"]), factory.host("gone", "unknown", reasons=["unreachable"])]
    table = _section(_md(factory.report(hosts)), "## Hosts needing action")
    assert table.startswith("## Hosts needing action (3)")
    rows = [line for line in table.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert [_cells(r)[0].strip() for r in rows] == ["bad", "gone", "late"]  # most severe first
    bad = _cells(rows[0])
    assert bad[2].strip() == "Kaspersky Endpoint Security for Linux 12.1.0.1297"
    assert bad[3].strip() == "r1; r2"
    assert "ok" not in [_cells(r)[0].strip() for r in rows]


def test_host_table_is_capped(factory):
    hosts = [factory.host("h%03d" % i, "noncompliant") for i in range(60)]
    text = _md(factory.report(hosts), max_hosts=50)
    table = _section(text, "## Hosts needing action")
    assert len([line for line in table.splitlines() if line.startswith("| h")]) == 50
    assert "...and 10 more; see the full report." in table


def test_cells_are_escaped(factory):
    host = factory.host(NASTY, "noncompliant", reasons=[NASTY], findings=[factory.finding(product=NASTY)])
    text = _md(factory.report([host]))
    table = _section(text, "## Hosts needing action")
    rows = [line for line in table.splitlines() if line.startswith("|")]
    assert len(rows) == 3  # header, separator, one host: the newline did not break the row
    cells = _cells(rows[2])
    assert len(cells) == 4  # the | inside the values are escaped
    assert "\\|" in cells[0] and "\\<script\\>" in cells[0] and "\\*bold\\*" in cells[0] and "\\`code\\`" in cells[0]
    assert "\\&amp;" in cells[0] and "\\[link\\]" in cells[0] and "\\~\\~del\\~\\~" in cells[0] and "\\\\" in cells[0]
    assert "<script>" not in text


def test_cells_render_as_plain_text(factory):
    markdown_it = pytest.importorskip("markdown_it")
    host = factory.host(NASTY, "noncompliant", reasons=[NASTY], findings=[factory.finding(product=NASTY)])
    tokens = markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"]).parse(_md(factory.report([host])))
    assert "html_block" not in set(t.type for t in tokens)
    in_table = False
    kinds = set()
    for token in tokens:
        in_table = (in_table or token.type == "table_open") and token.type != "table_close"
        if in_table and token.children:
            kinds.update(c.type for c in token.children)
    assert len([t for t in tokens if t.type == "table_open"]) == 2
    for forbidden in ("html_inline", "em_open", "strong_open", "link_open", "code_inline", "s_open", "image"):
        if forbidden == "strong_open":
            continue  # the status table's **total** row
        assert forbidden not in kinds, forbidden
    rows = []
    row = None
    for token in tokens:
        if token.type == "tr_open":
            row = []
        elif token.type == "inline" and row is not None:
            row.append("".join(c.content for c in token.children if c.type in ("text", "softbreak")))
        elif token.type == "tr_close":
            rows.append(row)
            row = None
    flat = NASTY.replace("\n", " ")
    host_rows = [r for r in rows if len(r) == 4 and r[1] == "noncompliant"]
    assert host_rows == [[flat, "noncompliant", flat + " 12.1.0.1297", flat]]


def test_waivers_expiring_within_30_days(factory):
    def waived(name, expires, expired=False):
        return factory.host(name, "waived", waiver={"id": "W-" + name, "owner": "o|wner", "ticket": "T-" + name,
                                                    "expires": expires, "reason": "r", "expired": expired})
    hosts = [waived("late", "2026-12-27"), waived("soon", "2026-12-01"), waived("today", "2026-11-27"),
             waived("later", "2026-12-28"), waived("past", "2026-11-20", expired=True), factory.host("x", "compliant")]
    section = _section(_md(factory.report(hosts)), "## Waivers expiring")
    assert section.startswith("## Waivers expiring within 30 days of 2026-11-27 (3)")
    rows = [_cells(line) for line in section.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert [r[0].strip() for r in rows] == ["today", "soon", "late"]  # by expiry date
    assert [r[5].strip() for r in rows] == ["0", "4", "30"]
    assert rows[0][2].strip() == "o\\|wner"
    none = _section(_md(factory.report([factory.host("x", "compliant")])), "## Waivers expiring")
    assert "None." in none


def test_footer_sha256_and_versions(factory):
    report = factory.report()
    text = _md(report)
    footer = text.rsplit("---", 1)[1]
    assert "Report SHA-256 `%s`" % json_report.digest(report) in footer
    assert "collection 1.0.0, catalogue 2026.11.27, policy 2026.11.27, ansible-core 2.19.4" in footer
    final = factory.signed(report)
    assert "`%s`" % final["sha256"] in _md(final)
    bogus = dict(report, sha256="`injected` **x**")
    assert "injected" not in _md(bogus)


def _rows(section):
    return [_cells(line) for line in section.splitlines() if line.startswith("| ") and "---" not in line][1:]


def test_waived_hosts_are_listed_with_owner_ticket_expiry_and_products(factory):
    """An auditor sees which hosts still run banned software under a waiver, whose waiver it is,
    and until when (the waivers that expire later than 30 days too)."""
    def waived(name, expires, owner, expired=False, status="waived"):
        verdict = "waiver_expired" if expired else "waived"
        return factory.host(name, status, findings=[factory.finding(verdict=verdict),
                                                    factory.finding(id="kaspersky.klnagent_linux", verdict=verdict,
                                                                    product="Network Agent", version="15.1")],
                            waiver={"id": "W-" + name, "owner": owner, "ticket": "SEC-" + name, "expires": expires,
                                    "reason": "r", "expired": expired})
    hosts = [waived("late", "2027-06-30", "ana"), waived("soon", "2026-12-01", "b|ob"),
             waived("gone", "2026-10-01", "cy", expired=True, status="waiver_expired"),
             factory.host("clean", "compliant"), factory.host("bad", "noncompliant")]
    text = _md(factory.report(hosts))
    section = _section(text, "## Waived hosts")
    assert section.startswith("## Waived hosts (3)")
    rows = _rows(section)
    assert [r[0].strip() for r in rows] == ["gone", "soon", "late"]  # soonest expiry first
    late = [c.strip() for c in rows[2]]
    assert late == ["late", "waived", "Kaspersky Endpoint Security for Linux 12.1.0.1297, Network Agent 15.1",
                    "W-late", "ana", "SEC-late", "2027-06-30"]
    assert rows[1][4].strip() == "b\\|ob"
    assert rows[0][6].strip() == "2026-10-01 (expired)"
    assert "## Waived hosts" not in _md(factory.report([factory.host("clean", "compliant")]))


def test_waived_hosts_table_is_capped(factory):
    hosts = [factory.host("w%03d" % i, "waived", waiver={"id": "W", "owner": "o", "ticket": "T", "expires": "2027-01-01",
                                                         "reason": "r", "expired": False}) for i in range(7)]
    section = _section(_md(factory.report(hosts), max_hosts=5), "## Waived hosts")
    assert len(_rows(section)) == 5 and "...and 2 more; see the full report." in section


@pytest.mark.parametrize("count,expected", [(1, "1 of 1 host needs action"), (3, "3 of 3 hosts need action")])
def test_counts_are_pluralised(factory, count, expected):
    text = _md(factory.report([factory.host("h%d" % i, "noncompliant") for i in range(count)]))
    assert text.startswith("# Banned anti-virus compliance: %s\n" % expected)
    assert "All 1 host is compliant" in _md(factory.report([factory.host("a", "compliant")]))


def test_hosts_with_detection_warnings(factory):
    hosts = [factory.host("w", "compliant", warnings=[{"source": "units", "message": "output | capped"}]),
             factory.host("x", "compliant")]
    text = _md(factory.report(hosts))
    section = _section(text, "## Hosts with detection warnings")
    assert [[c.strip() for c in r] for r in _rows(section)] == [["w", "compliant", "units: output \\| capped"]]
    assert "## Hosts needing action" not in text  # a warning never makes a host need action


def test_mixed_slices_are_shown(factory):
    report = factory.report(run={"as_of": None, "conflicts": {"as_of": ["2026-11-27", "2026-11-28"],
                                                              "policy_version": ["a", "b*"]}})
    section = _section(_md(report), "## Mixed inputs")
    assert "- as\\_of: 2026-11-27, 2026-11-28" in section
    assert "- policy\\_version: a, b\\*" in section
    assert "## Mixed inputs" not in _md(factory.report())
