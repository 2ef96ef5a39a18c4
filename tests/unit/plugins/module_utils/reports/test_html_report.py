# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Server-side checks of the HTML dashboard (the browser test drives the script)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib
import json
import re

import pytest

from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports import common, html_report
from ansible_collections.fleetsec.banned_av.tests.support.html_dom import parse


def dom(data):
    return parse(data.decode("utf-8"))


def _script(text, ident):
    match = re.search(r'<script type="application/json" id="%s">(.*?)</script>' % ident, text, re.S)
    return match.group(1)


def test_page_is_self_contained_and_locked_down(factory):
    data = html_report.render(factory.report())
    text = data.decode("utf-8")
    root = dom(data)
    assert text.startswith("<!DOCTYPE html>\n<html lang=\"en\"")
    assert not list(root.iter("link"))
    assert not [n for n in root.iter() if "src" in n.attrs]
    policy_urls = ["https://regulations.justia.com/x.html"]
    for anchor in root.iter("a"):
        assert anchor.attrs["href"].startswith("#") or anchor.attrs["href"] in policy_urls
    style = root.find("style").text()
    assert "url(" not in style and "@import" not in style
    scripts = list(root.iter("script"))
    assert [s.attrs.get("type") for s in scripts] == ["application/json"] * 2 + [None]
    # the Content-Security-Policy allows exactly the inline script and style
    csp = root.find("meta", **{"http-equiv": "Content-Security-Policy"}).attrs["content"]
    assert "default-src 'none'" in csp

    def digest(source):
        return "'sha256-%s'" % base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode("ascii")
    assert "script-src %s;" % digest(scripts[2].text()) in csp
    assert "style-src %s;" % digest(style) in csp


def test_hostile_values_are_escaped(factory):
    evil = u"<script>alert(1)</script>"
    img = u"<img src=x onerror=alert(2)>"
    host = factory.host(evil, "noncompliant", reasons=[img, u"</script><script>alert(3)</script>"],
                        findings=[factory.finding(product=u'"><b>bold</b>', evidence=[{"kind": "<i>", "value": "<!--"}])])
    data = html_report.render(factory.report([host, factory.host(factory.HOSTILE_HOST, "compliant")]))
    text = data.decode("utf-8")
    assert evil not in text and "<img" not in text and "<b>" not in text and "<i>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    root = dom(data)
    assert len(list(root.iter("script"))) == 3
    names = [n.text() for n in root.iter("span", class_="hn")]
    assert names == [evil, factory.HOSTILE_HOST]
    # the embedded view cannot close its element and round-trips exactly
    embedded = _script(text, "report-view")
    assert "</" not in embedded and "<!--" not in embedded and "<" not in embedded
    view = json.loads(embedded)
    assert view["names"][0] == evil and view["profiles"][view["profile"][0]]["reasons"] == host["reasons"]
    assert view["findings"][0]["product"] == u'"><b>bold</b>' and view["findings"][0]["ev"] == ["<i>: <!--"]


def view_host(view, index):
    """A host record as the page script rebuilds it from the view (hostAt)."""
    profile = view["profiles"][view["profile"][index]]
    return dict(profile, name=view["names"][index], collected_at=view["collected"][index],
                findings=[view["findings"][i] for i in profile["findings"]])


def test_embedded_view_holds_every_host_as_the_report_has_it(factory):
    """Everything the page shows of a host is in the view, each profile and finding stored once."""
    hosts = factory.report()["hosts"] + [factory.host("web%02d" % i, "noncompliant") for i in range(20)]
    report = factory.signed(factory.report(hosts))
    view = json.loads(_script(html_report.render(report).decode("utf-8"), "report-view"))
    assert view["names"] == [h["name"] for h in hosts]
    assert len(view["profiles"]) == 4 and len(view["findings"]) == 2  # 24 hosts: 4 profiles, 2 findings
    for index, host in enumerate(hosts):
        rebuilt = view_host(view, index)
        for key in html_report.PROFILE_FIELDS + ("name", "collected_at"):
            assert rebuilt[key] == host.get(key), (index, key)
        assert [dict((k, f[k]) for k in html_report.FINDING_FIELDS) for f in rebuilt["findings"]] == [
            dict((k, f.get(k)) for k in html_report.FINDING_FIELDS) for f in host["findings"]]
        assert [f["ev"] for f in rebuilt["findings"]] == [[common.evidence_item(e) for e in f["evidence"]]
                                                          for f in host["findings"]]
    config = json.loads(_script(html_report.render(report).decode("utf-8"), "report-config"))
    assert config["statusOrder"] == list(common.STATUS_ORDER)
    assert config["partial"] is False
    assert "report-data" not in html_report.render(report).decode("utf-8")  # not the whole JSON report (117 MB at 100,000)


def test_tiles_count_every_status(factory):
    statuses = ["noncompliant", "noncompliant", "waived", "unknown", "compliant", "compliant", "compliant", "exploded"]
    report = factory.report([factory.host("h%d" % i, s) for i, s in enumerate(statuses)])
    root = dom(html_report.render(report))
    tiles = dict((t.attrs["data-status"], t) for t in root.iter("a", class_="tile"))
    assert set(tiles) == set(common.STATUSES) | {"exploded"}
    counts = dict((s, int(t.find("span", class_="n").text())) for s, t in tiles.items())
    assert counts["noncompliant"] == 2 and counts["compliant"] == 3 and counts["blocked"] == 0
    assert counts["exploded"] == 1
    assert "failing" in tiles["noncompliant"].attrs["class"].split()
    assert "failing" in tiles["exploded"].attrs["class"].split()  # unknown status fails safe
    assert "failing" not in tiles["waived"].attrs["class"].split()
    assert "zero" in tiles["blocked"].attrs["class"].split()
    verdict = root.find("p", id="verdict").text()
    assert verdict.startswith("4 of 8 hosts need action") and "4 failing" in verdict


def test_table_rows_and_accessibility(factory):
    report = factory.report()
    root = dom(html_report.render(report))
    table = root.find("table", id="hosts")
    headers = list(table.find("thead").iter("th"))
    assert [h.attrs["data-key"] for h in headers] == [c[0] for c in html_report.COLUMNS]
    assert all(h.attrs.get("scope") == "col" for h in headers)
    bodies = list(table.iter("tbody", class_="host"))
    assert [b.attrs["data-i"] for b in bodies] == ["0", "1", "2", "3"]
    assert [b.find("span", class_="hn").text() for b in bodies] == [h["name"] for h in report["hosts"]]
    assert [b.attrs["data-status"] for b in bodies] == [h["status"] for h in report["hosts"]]
    for ident in ("q", "status"):
        assert root.find("label", **{"for": ident}) is not None
    options = [o.attrs["value"] for o in root.find("select", id="status").iter("option")]
    assert options[:3] == ["", "needs_action", "failing"] and set(common.STATUSES) <= set(options)
    assert root.find("caption") is not None


def test_details_show_everything_about_a_host(factory):
    host = factory.host("w", "blocked", reasons=["removal blocked: dpkg hold"],
                        waiver={"id": "WVR-9", "owner": "ana", "ticket": "SEC-9", "expires": "2026-10-01",
                                "reason": "kiosk", "expired": True},
                        remediation={"outcome": "blocked", "actions": ["apt-get purge kesl: E: held"],
                                     "before": ["kaspersky.kesl"], "after": []},
                        errors=[{"source": "processes", "message": "ps failed"}])
    root = dom(html_report.render(factory.report([host])))
    detail = root.find("tr", id="d-0")
    text = detail.text()
    for expected in ("removal blocked: dpkg hold", "Kaspersky Endpoint Security for Linux", "kaspersky.kesl",
                     "12.1.0.1297", "2024-09-05", "violation", "bis-kaspersky-2024",
                     "kesl 12.1.0.1297 (dpkg: install ok installed)", "kesl.service (active)",
                     "ClamAV", "present, active, approved", "WVR-9", "SEC-9", "2026-10-01 (expired)", "kiosk",
                     "apt-get purge kesl: E: held", "processes: ps failed"):
        assert expected in text, expected
    evidence = [li.text() for li in detail.iter("ul", class_="ev").__next__().iter("li")]
    assert evidence == ["package: kesl 12.1.0.1297 (dpkg: install ok installed)", "unit: kesl.service (active)"]
    assert [h.text() for h in detail.iter("h4")] == ["Actions", "After", "Before"]  # sorted, as in the JSON


def test_a_large_report_has_no_host_rendered_on_the_server(factory):
    """Above static_limit the page holds no per-host markup: the script builds a page of rows from
    the view, and every host is in the view."""
    hosts = [factory.host("c%d" % i, "compliant") for i in range(6)] + [factory.host("bad", "noncompliant"),
                                                                        factory.host("late", "warning")]
    data = html_report.render(factory.report(hosts), static_limit=3)
    root = dom(data)
    assert list(root.find("table", id="hosts").iter("tbody", class_="host")) == []
    assert "builds the host list with JavaScript" in root.find("noscript").text()
    config = json.loads(_script(data.decode("utf-8"), "report-config"))
    assert config["partial"] is True
    assert json.loads(_script(data.decode("utf-8"), "report-view"))["names"] == [h["name"] for h in hosts]


def test_empty_report(factory):
    root = dom(html_report.render(factory.report([])))
    assert root.find("p", id="verdict").text().startswith("No hosts in this report")
    assert not list(root.iter("tbody", class_="host"))


@pytest.mark.parametrize("url,expected", [
    ("see https://a.example/x?y=1&z=2 (doc)", '<a href="https://a.example/x?y=1&amp;z=2"'),
    ("javascript:alert(1) https://ok.example/", '<a href="https://ok.example/"'),
])
def test_policy_sources_are_linked_safely(factory, url, expected):
    report = factory.report()
    report["policies"][0]["sources"] = [url]
    text = html_report.render(report).decode("utf-8")
    assert expected in text
    assert 'href="javascript' not in text


def test_evidence_text_for_the_script_is_what_the_server_shows(factory):
    """Rows the script builds show evidence as the server renders it (common.evidence_item)."""
    findings = [factory.finding(evidence=[{"kind": "package", "value": "kesl\n12"}, "bare </script>"]),
                factory.finding(id="x.y", evidence=[])]
    hosts = [factory.host("clean", "compliant"), factory.host("<b>", "noncompliant", findings=findings),
             factory.host("<i>", "noncompliant", findings=findings)]
    text = html_report.render(factory.report(hosts), static_limit=1).decode("utf-8")
    raw = _script(text, "report-view")
    assert "<" not in raw
    view = json.loads(raw)
    assert [f["ev"] for f in view_host(view, 2)["findings"]] == [["package: kesl 12", "bare </script>"], []]
    assert view["profile"][1] == view["profile"][2]  # the same record but the name: stored once


def test_warnings_and_errors_in_the_details(factory):
    host = factory.host("w", "compliant", warnings=[{"source": "units", "message": "output capped at 25"}],
                        errors=[{"source": "rpm", "message": "database locked"}])
    detail = dom(html_report.render(factory.report([host]))).find("tr", id="d-0")
    titles = [h.text() for h in detail.iter("h3")]
    assert "Detection warnings" in titles and "Collection errors" in titles
    assert "units: output capped at 25" in detail.text() and "rpm: database locked" in detail.text()


@pytest.mark.parametrize("count,expected", [(1, "1 host"), (2, "2 hosts")])
def test_counts_are_pluralised(factory, count, expected):
    root = dom(html_report.render(factory.report([factory.host("h%d" % i, "compliant") for i in range(count)])))
    verdict = root.find("p", id="verdict").text()
    assert verdict.startswith("All %s %s compliant" % (expected, "is" if count == 1 else "are"))
    assert expected in verdict.split("\u00b7")[-1]
    tile = root.find("a", class_="tile", data_status="compliant")
    assert tile.attrs["aria-label"] == "compliant: %s" % expected


def test_mixed_slices_are_shown(factory):
    report = factory.report(run={"conflicts": {"policy_version": ["2026.11.27", "<2027>"]}})
    root = dom(html_report.render(report))
    note = root.find("div", id="mixed")
    assert note is not None and "policy_version: 2026.11.27, <2027>" in note.text()
    assert root.find("div", id="mixed") is not None
    assert dom(html_report.render(factory.report())).find("div", id="mixed") is None
