# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import xml.etree.ElementTree as ET

import pytest

from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports import common, junit_report


def _parse(data):
    assert data.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(data)


def _cases(root):
    return dict((c.get("name"), c) for c in root.iter("testcase"))


def test_one_testcase_per_host_with_counts(factory):
    report = factory.report()  # web01 noncompliant, db02 compliant, app03 waived, mac04 unknown
    root = _parse(junit_report.render(report))
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert len(suites) == 1
    suite = suites[0]
    assert suite.get("name") == "fleetsec.banned_av"
    assert suite.get("tests") == "4"
    assert suite.get("failures") == "2"
    assert suite.get("skipped") == "0"
    assert suite.get("errors") == "0"
    assert suite.get("timestamp") == "2026-11-27T23:59:59"
    assert root.get("tests") == "4" and root.get("failures") == "2"
    cases = _cases(root)
    assert sorted(cases) == ["app03", "db02", "mac04", "web01"]
    assert cases["web01"].get("classname") == "banned_av.bis-kaspersky-2024"
    assert cases["db02"].get("classname") == "banned_av.compliance"
    props = dict((p.get("name"), p.get("value")) for p in suite.find("properties"))
    assert props["catalog_version"] == "2026.11.27"
    assert props["awx_job_id"] == "1234"


@pytest.mark.parametrize("status", sorted(common.STATUSES))
def test_failing_statuses_fail_and_others_pass(factory, status):
    root = _parse(junit_report.render(factory.report([factory.host("h", status, reasons=["why it is %s" % status])])))
    case = _cases(root)["h"]
    failure = case.find("failure")
    if status in common.FAILING:
        assert failure is not None
        assert failure.get("type") == status
        assert failure.get("message") == "why it is %s" % status
        assert "why it is %s" % status in failure.text
        assert root.find("testsuite").get("failures") == "1"
    else:
        assert failure is None
        assert root.find("testsuite").get("failures") == "0"
        assert "why it is %s" % status in case.find("system-out").text


def test_failure_text_lists_reasons_findings_and_evidence(factory):
    host = factory.host("web01", "noncompliant")
    failure = _cases(_parse(junit_report.render(factory.report([host]))))["web01"].find("failure")
    assert "kaspersky.kesl" in failure.text
    assert "evidence: package: kesl 12.1.0.1297 (dpkg: install ok installed)" in failure.text
    assert "evidence: unit: kesl.service (active)" in failure.text
    assert "signatures: 2024-09-05" in failure.text


def test_waived_host_passes_with_system_out(factory):
    host = factory.host("app03", "waived", waiver={"id": "WVR-1", "owner": "ops", "ticket": "SEC-1",
                                                   "expires": "2026-12-10", "reason": "migration", "expired": False})
    case = _cases(_parse(junit_report.render(factory.report([host]))))["app03"]
    assert case.find("failure") is None
    out = case.find("system-out").text
    assert "waiver: WVR-1 (ticket SEC-1, owner ops, expires 2026-12-10): migration" in out


def test_compliant_host_without_details_is_a_bare_testcase(factory):
    host = factory.host("db02", "compliant", reasons=[], protection=[])
    case = _cases(_parse(junit_report.render(factory.report([host]))))["db02"]
    assert list(case) == []


def test_escaping_and_illegal_characters(factory):
    name = u'<a href="x">&amp;</a> \'q\' h\u00f6st\x00\x01\x1b\x7f\ufffe\ud800 end'
    expected = u'<a href="x">&amp;</a> \'q\' h\u00f6st\x7f end'
    reason = u"]]> <!-- & \x0b\x0c bad\nsecond line\ttab"
    product = u"Agent d'administration <\u00e9> & \"co\""
    host = factory.host(name, "noncompliant", findings=[factory.finding(product=product)], reasons=[reason])
    data = junit_report.render(factory.report([host]))
    root = _parse(data)  # well-formed despite everything
    case = root.find("testsuite").find("testcase")
    assert case.get("name") == expected
    failure = case.find("failure")
    assert failure.get("message") == u"]]> <!-- & bad second line tab"
    assert u"]]> <!-- &  bad\n" in failure.text
    assert product in failure.text
    assert b"\x00" not in data and b"\x1b" not in data


def test_empty_report(factory):
    root = _parse(junit_report.render(factory.report([])))
    assert root.find("testsuite").get("tests") == "0"
    assert root.find("testsuite").find("testcase") is None


def test_warnings_show_in_the_text_and_never_fail_a_host(factory):
    host = factory.host("w", "compliant", warnings=[{"source": "units", "message": "output capped at 25"}])
    root = _parse(junit_report.render(factory.report([host])))
    case = _cases(root)["w"]
    assert case.find("failure") is None
    assert "warnings:\n  - units: output capped at 25" in case.find("system-out").text
    assert root.find("testsuite").get("failures") == "0"


def test_hostile_values_everywhere_give_a_well_formed_document(factory):
    nasty = [u"\x00\x01", u"]]>", u"<!--", u"\ud800", u"\ufffe\uffff", u"a\r\nb", u"&amp;", u'"\'', u"\x85\u2028"]
    hosts = [factory.host(value, status, reasons=[value], findings=[factory.finding(product=value, version=value,
                                                                                    evidence=[{"kind": value, "value": value}])],
                          waiver={"id": value, "owner": value, "ticket": value, "expires": value, "reason": value},
                          warnings=[{"source": value, "message": value}])
             for value in nasty for status in ("noncompliant", "waived")]
    report = factory.report(hosts, generated_at=u"\x00bad", run={"user": u"\x01<u>"})
    root = _parse(junit_report.render(report))
    assert len(list(root.iter("testcase"))) == len(hosts)
    assert root.find("testsuite").get("failures") == str(len(nasty))


def test_mixed_slices_are_shown(factory):
    hosts = [factory.host("a", "compliant", slice=0), factory.host("b", "noncompliant", slice=1)]
    report = factory.report(hosts, run={"as_of": None, "conflicts": {"as_of": ["2026-11-27", "2026-11-28"]},
                                        "slices": [{"as_of": "2026-11-27", "policy_version": "p"},
                                                   {"as_of": "2026-11-28", "policy_version": "p"}]})
    root = _parse(junit_report.render(report))
    props = dict((p.get("name"), p.get("value")) for p in root.find("testsuite").find("properties"))
    assert props["mixed.as_of"] == "2026-11-27, 2026-11-28"
    assert "judged as of 2026-11-28, policy version p" in _cases(root)["b"].find("failure").text
