# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``junit_report.render`` writes the XML text itself; it must give, byte for byte, what the
former ElementTree writer gave.  That writer is kept here, unchanged, as the reference."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import datetime
import io
import random
import sys
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.fleetsec.banned_av.plugins.module_utils import policy
from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports import common, junit_report
from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports.common import host_policy, is_failing
# the string helpers as they were before their fast paths, so the reference does not use the code under test
from ansible_collections.fleetsec.banned_av.tests.unit.plugins.module_utils.reports.reference import (
    evidence_item,
    one_line,
    text,
    xml_safe,
)

# ---------------------------------------------------------------------------------------------
# The reference: the ElementTree implementation of junit_report.render, as it was.

SUITE_NAME = "fleetsec.banned_av"
_PROPERTIES = ("collection_version", "catalog_version", "policy_version", "as_of", "ansible_version",
               "awx_job_id", "awx_job_template", "play", "check_mode", "user")


def _sub(parent, tag, attrib=None, body=None):
    element = ET.SubElement(parent, tag, dict((k, xml_safe(v)) for k, v in (attrib or {}).items()))
    if body is not None:
        element.text = xml_safe(body)
    return element


def _indent_lines(value, pad="    "):
    lines = text(value).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return ("\n" + pad).join(lines)


def _host_text(host):
    lines = ["status: %s" % text(host.get("status"))]
    if host.get("severity"):
        lines.append("severity: %s" % text(host.get("severity")))
    reasons = host.get("reasons") or []
    if reasons:
        lines.append("reasons:")
        lines.extend("  - %s" % _indent_lines(r) for r in reasons)
    findings = host.get("findings") or []
    if findings:
        lines.append("findings:")
    for finding in findings:
        lines.append("  - %s (%s) %s: %s%s" % (
            text(finding.get("product") or finding.get("id")), text(finding.get("id")),
            text(finding.get("version")) or "version unknown", text(finding.get("verdict")),
            ", policy %s" % text(finding.get("policy")) if finding.get("policy") else ""))
        if finding.get("signatures_date"):
            lines.append("    signatures: %s" % text(finding.get("signatures_date")))
        for evidence in finding.get("evidence") or []:
            lines.append("    evidence: %s" % evidence_item(evidence))
    waiver = host.get("waiver")
    if waiver:
        lines.append("waiver: %s (ticket %s, owner %s, expires %s%s): %s" % (
            text(waiver.get("id")), text(waiver.get("ticket")), text(waiver.get("owner")),
            text(waiver.get("expires")), ", EXPIRED" if waiver.get("expired") else "", text(waiver.get("reason"))))
    remediation = host.get("remediation")
    if remediation:
        lines.append("remediation: %s" % text(remediation.get("outcome")))
    return "\n".join(lines) + "\n"


def _indent(element, level=0):
    pad = "\n" + "  " * level
    children = list(element)
    if children:
        if not element.text or not element.text.strip():
            element.text = pad + "  "
        for child in children:
            _indent(child, level + 1)
            if not child.tail or not child.tail.strip():
                child.tail = pad + "  "
        children[-1].tail = pad
    if level == 0:
        element.tail = "\n"


def reference_build(report):
    hosts = report.get("hosts") or []
    failures = sum(1 for h in hosts if is_failing(h.get("status")))
    counts = {"tests": str(len(hosts)), "failures": str(failures), "errors": "0", "skipped": "0", "time": "0"}
    root = ET.Element("testsuites", dict(name=SUITE_NAME, **counts))
    timestamp = text(report.get("generated_at"))
    if timestamp.endswith("Z"):
        timestamp = timestamp[:-1]
    suite = _sub(root, "testsuite", dict(name=SUITE_NAME, timestamp=timestamp, **counts))
    properties = _sub(suite, "properties")
    run = report.get("run") or {}
    for key in _PROPERTIES:
        if run.get(key) is not None:
            _sub(properties, "property", {"name": key, "value": text(run.get(key))})
    if report.get("sha256"):
        _sub(properties, "property", {"name": "report_sha256", "value": report["sha256"]})
    for host in hosts:
        status = text(host.get("status")) or "unknown"
        classname = "banned_av.%s" % (host_policy(host) or "compliance")
        case = _sub(suite, "testcase", {"classname": classname, "name": text(host.get("name")), "time": "0"})
        body = _host_text(host)
        if is_failing(status):
            reasons = host.get("reasons") or []
            message = one_line(reasons[0]) if reasons else status
            _sub(case, "failure", {"type": status, "message": message}, body)
        elif host.get("reasons") or host.get("findings") or host.get("waiver") or host.get("remediation"):
            _sub(case, "system-out", None, body)
    return root


def reference_render(report):
    root = reference_build(report)
    _indent(root)
    buf = io.BytesIO()
    ET.ElementTree(root).write(buf, encoding="utf-8", xml_declaration=True)
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------

# Before Python 3.9 ElementTree turned CR and CRLF in attribute values into LF (&#10;); since
# 3.9 (bpo-17582, bpo-39011) it writes &#13;, as junit_report does.  The controller needs Python 3.11.
needs_cr_references = pytest.mark.skipif(
    sys.version_info < (3, 9), reason="ElementTree < 3.9 normalised CR in attribute values")

# every kind of trouble for an XML writer, one per string
NASTY = [
    u"", u" ", u"  ", u"plain", u" lead and trail ", u"two  spaces",
    u"a\r\nb", u"a\rb", u"a\nb", u"a\n\nb", u"\r\n", u"\n", u"tab\there", u"\ttab first",
    u"]]>", u"<![CDATA[x]]>", u"&#", u"&#10;", u"&amp;", u"&lt;&gt;", u"<!-- c -->", u"<?pi?>",
    u'"double"', u"'single'", u"a=\"b\" c='d'", u"&<>\"'",
    u"nul\x00here", u"\x01\x02\x03\x08", u"\x0b\x0c", u"\x0e\x1b\x1f", u"del\x7f", u"nel\x85", u"c1\x9f",
    u"ls\u2028ps\u2029", u"nbsp\u00a0x", u"ideo\u3000sp", u"zw\u200bj\u200dx", u"bom\ufeff",
    u"lone \ud800 high", u"lone \udfff low", u"pair \ud83d\ude00 as two", u"fffe\ufffe", u"ffff\uffff",
    u"h\u00f6st \u00e9t\u00e9", u"\u0417\u0434\u0440\u0430\u0432\u0441\u0442\u0432\u0443\u0439", u"\u4e2d\u6587",
    u"emoji \U0001F600", u"\U0010FFFF", u"rtl \u202e gnp.exe",
    u"mixed\r\n\t<&>\"\x00\ud800\ufffe end ",
]
NON_STR = [None, True, False, 0, 7, 3.5, datetime.date(2026, 11, 27),
           datetime.datetime(2026, 11, 27, 23, 59, 59), b"by\xfftes\r\n", [u"a", u"b\n"], {u"k": u"v\r"}]


class Sub(str):
    """A str subclass (Ansible's unsafe and tagged strings are some)."""


class Loud(str):
    """A str subclass whose str() differs from its characters: the old writer used both."""

    def __str__(self):
        return self.upper()


def _same(report):
    got = junit_report.render(report)
    want = reference_render(report)
    assert got == want
    return got


def test_factory_default_report(factory):
    data = _same(factory.report())
    ET.fromstring(data)


@needs_cr_references
def test_factory_hostile_names(factory):
    hosts = [factory.host(name, status)
             for name in (factory.HOSTILE_HOST, factory.MULTILINE_HOST, factory.MARKUP_HOST)
             for status in ("noncompliant", "compliant", "waived", "unknown")]
    hosts.append(factory.host(factory.MARKUP_HOST, "blocked",
                              findings=[factory.finding(product=factory.FRENCH_PRODUCT, policy=factory.MARKUP_HOST)]))
    report = factory.report(hosts, run={"user": factory.MULTILINE_HOST, "play": factory.MARKUP_HOST})
    data = _same(report)
    assert len(ET.fromstring(data).find("testsuite").findall("testcase")) == len(hosts)


@pytest.mark.parametrize("with_reasons", [True, False])
def test_every_status_and_unknown_ones(factory, with_reasons):
    statuses = list(policy.STATUSES) + ["quarantined", "Compliant", "", None, 0, True, b"compliant"]
    hosts = []
    for status in statuses:
        kwargs = {} if with_reasons else {"reasons": []}
        host = factory.host("h-%s" % text(status), "noncompliant", **kwargs)
        host["status"] = status
        hosts.append(host)
        hosts.append(dict(factory.host("bare-%s" % text(status), "compliant", reasons=[], findings=[]), status=status))
    hosts.append(dict((k, v) for k, v in factory.host("no-status", "compliant").items() if k != "status"))
    _same(factory.report(hosts))


def test_empty_reports(factory):
    _same(factory.report([]))
    _same(factory.report([], run={}, sha256=None))
    _same({})
    _same({"hosts": None, "run": None, "generated_at": None})
    _same({"hosts": [], "generated_at": "Z"})


def test_missing_and_none_fields(factory):
    finding = factory.finding()
    hosts = [
        {},
        {"name": None, "status": None, "reasons": None, "findings": None, "waiver": None, "remediation": None},
        {"name": "only-name"},
        {"name": "only-status", "status": "compliant"},
        {"name": "waiver-only", "status": "waived", "waiver": {}},
        {"name": "waiver-nones", "status": "waived",
         "waiver": {"id": None, "ticket": None, "owner": None, "expires": None, "reason": None, "expired": None}},
        {"name": "expired", "status": "waiver_expired",
         "waiver": {"id": "W", "ticket": "T", "owner": "O", "expires": datetime.date(2026, 1, 1),
                    "reason": "r", "expired": True}},
        {"name": "remediation-only", "status": "remediated", "remediation": {"outcome": None}},
        {"name": "remediation", "status": "remediated", "remediation": {"outcome": "removed kesl\r\nrebooted"}},
        {"name": "finding-nones", "status": "noncompliant", "findings": [
            {}, {"id": None, "product": None, "version": None, "verdict": None, "policy": None,
                 "signatures_date": None, "evidence": None},
            dict(finding, product=None), dict(finding, product=""), dict(finding, version=None),
            dict(finding, version=""), dict(finding, policy=None), dict(finding, policy=""),
            dict(finding, verdict="unheard-of"), dict(finding, signatures_date=datetime.date(2024, 9, 5)),
            dict(finding, evidence=[]),
            dict(finding, evidence=[None, "", "just a string", 42, ["a", "b"], {}, {"kind": None, "value": None},
                                    {"value": "no kind"}, {"kind": "no value"}, {"kind": "", "value": "empty kind"},
                                    collections.OrderedDict(kind="od", value="v")]),
        ]},
        {"name": 12345, "status": "compliant", "reasons": ["number name"]},
        {"name": "reasons-as-string", "status": "unknown", "reasons": "abc"},
        {"name": "reason-none", "status": "unknown", "reasons": [None, 5, ""]},
        {"name": "severity-odd", "status": "noncompliant", "severity": 3, "reasons": ["x"]},
    ]
    _same(factory.report(hosts))


@needs_cr_references
def test_hostile_strings_everywhere(factory):
    hosts = []
    for index, value in enumerate(NASTY):
        finding = factory.finding(product=value, id=value, version=value, verdict=value, policy=value,
                                  signatures_date=value,
                                  evidence=[{"kind": value, "value": value}, value, {"kind": "k", "value": value}])
        for status in ("noncompliant", "compliant", value):
            hosts.append(factory.host(value, status, findings=[finding], severity=value,
                                      reasons=[value, "second %d" % index],
                                      waiver={"id": value, "ticket": value, "owner": value, "expires": value,
                                              "reason": value, "expired": bool(index % 2)},
                                      remediation={"outcome": value}))
    run = dict((key, NASTY[i % len(NASTY)]) for i, key in enumerate(_PROPERTIES))
    _same(factory.report(hosts, run=run, generated_at=u"2026-11-27T23:59:59\r\n\x00Z", sha256=u"\"<&>\"\t"))
    for value in NASTY:
        _same(factory.report([], run={"user": value}, generated_at=value, sha256=value))


@needs_cr_references
def test_multi_line_reasons(factory):
    reasons = [u"first\r\nsecond", u"cr\ronly", u"lf\nonly", u"tab\there", u"]]> &# \x00\x1b bad",
               u"\r\n\r\n", u"trailing\n", u"\n leading", u"lone \ud800\udc00 surrogates \udfff", u"\ufffe\uffff"]
    hosts = []
    for i in range(len(reasons)):
        rotated = reasons[i:] + reasons[:i]
        hosts.append(factory.host("nc-%d" % i, "noncompliant", reasons=rotated))
        hosts.append(factory.host("ok-%d" % i, "compliant", reasons=rotated))
    _same(factory.report(hosts))


@needs_cr_references
def test_non_str_values(factory):
    hosts = []
    for value in NON_STR:
        finding = factory.finding(product=value, id=value, version=value, verdict=value, policy=value,
                                  signatures_date=value, evidence=[value, {"kind": value, "value": value}])
        hosts.append(factory.host(value, "noncompliant", findings=[finding], severity=value, reasons=[value],
                                  waiver={"id": value, "reason": value, "expired": value}, remediation={"outcome": value}))
        hosts.append(factory.host(value, "compliant", findings=[], reasons=[value]))
    run = dict((key, NON_STR[i % len(NON_STR)]) for i, key in enumerate(_PROPERTIES))
    _same(factory.report(hosts, run=run, generated_at=datetime.datetime(2026, 11, 27, 23, 59, 59), sha256=b"\x00ab"))


@needs_cr_references
@pytest.mark.parametrize("Sub", [Sub, Loud])
def test_str_subclass_values(factory, Sub):
    finding = factory.finding(product=Sub(u"P <&>"), id=Sub("kaspersky.kesl"), version=Sub("1.0"),
                              verdict=Sub("violation"), policy=Sub("bis"), signatures_date=Sub("2024-09-05"),
                              evidence=[{"kind": Sub("package"), "value": Sub("kesl\r\n 1")}, Sub("plain  sub")])
    hosts = [factory.host(Sub(u"sub-h\u00f6st\r\n"), Sub("noncompliant"), findings=[finding], severity=Sub("critical"),
                          reasons=[Sub("r1"), Sub("r2\nmore")]),
             factory.host(Sub("sub-ok"), Sub("compliant"), reasons=[Sub("fine")])]
    _same(factory.report(hosts, run={"user": Sub("ops\t1")}, generated_at=Sub("2026-11-27T23:59:59Z"),
                         sha256=Sub("ab")))


@needs_cr_references
def test_every_code_point(factory):
    """Each character alone, and all of them at once, in an attribute value and in text."""
    every = u"".join(chr(c) for c in range(0x110000))
    _same(factory.report([factory.host(every, "noncompliant", reasons=[every], findings=[
        factory.finding(product=every, evidence=[{"kind": "k", "value": every}])])]))
    step = 0x1000
    hosts = []
    for start in range(0, 0x110000, step):
        chunk = every[start:start + step]
        hosts.append(factory.host(u"n" + chunk, "compliant", reasons=[chunk]))
        hosts.append(factory.host(u"n" + chunk, "unknown", reasons=[u" ".join(chunk)]))
    _same(factory.report(hosts))
    # one character per host around the ranges that matter (controls, surrogates, specials)
    singles = list(range(0x00, 0x100)) + list(range(0x2000, 0x2030)) + [
        0x3000, 0xd7ff, 0xd800, 0xdbff, 0xdc00, 0xdfff, 0xe000, 0xfeff, 0xfffd, 0xfffe, 0xffff, 0x10000, 0x10fffe, 0x10ffff]
    _same(factory.report([factory.host(u"x%sy" % chr(c), "noncompliant", reasons=[u"a%s b%s" % (chr(c), chr(c))])
                          for c in singles]))


@pytest.mark.parametrize("bad", [u"\x00", u"\x08", u"\x0b", u"\x1f", u"\ud800", u"\udfff", u"\ufffe", u"\uffff"])
@pytest.mark.parametrize("where", ["name", "reason", "evidence", "run"])
def test_each_forbidden_character_alone(factory, bad, where):
    """The only trouble in an otherwise ASCII report is one character XML 1.0 forbids."""
    value = u"before%safter" % bad
    host = factory.host("h", "noncompliant")
    run = {}
    if where == "name":
        host["name"] = value
    elif where == "reason":
        host["reasons"] = [value]
    elif where == "evidence":
        host["findings"][0]["evidence"] = [{"kind": "file", "value": value}]
    else:
        run["user"] = value
    data = _same(factory.report([host], run=run))
    assert data.isascii() and bad.encode("utf-8", "surrogatepass") not in data
    ET.fromstring(data)


def test_one_line_shortcut_assumption():
    """common.one_line skips its regular expression for printable (ASCII) strings without two
    spaces in a row: the only whitespace or control character a printable str holds is the space."""
    printable = u"".join(ch for ch in (chr(c) for c in range(0x110000)) if ch.isprintable() and ch != u" ")
    assert one_line(u"x" + printable + u"x") == u"x" + printable + u"x"


@pytest.mark.parametrize("seed", range(8))
def test_random_reports(factory, seed):
    """Random hosts built from the nasty strings (and non-strings)."""
    rng = random.Random(seed)
    alphabet = u"ab \t\r\n&<>\"'\x00\x0b\x1f\x7f\x85\u00a0\u2028\ud800\udfff\ufffe\uffff\u00e9\u4e2d\U0001F600]"
    nasty, non_str = NASTY, NON_STR
    if sys.version_info < (3, 9):  # no CR in an attribute value (see needs_cr_references)
        alphabet = alphabet.replace(u"\r", u"")
        nasty = [v for v in NASTY if u"\r" not in v]
        non_str = [v for v in NON_STR if u"\r" not in text(v)]
    statuses = list(common.STATUSES) + ["quarantined", None, ""]

    def value(allow_non_str=True):
        roll = rng.random()
        if roll < 0.3:
            return rng.choice(nasty)
        if roll < 0.4 and allow_non_str:
            return rng.choice(non_str)
        return u"".join(rng.choice(alphabet) for _i in range(rng.randint(0, 12)))

    hosts = []
    for _i in range(60):
        findings = [factory.finding(product=value(), id=value(), version=rng.choice([value(), None, "1.0"]),
                                    verdict=rng.choice(common.VERDICTS + ("odd",)), policy=rng.choice([value(), None]),
                                    signatures_date=rng.choice([value(), None]),
                                    evidence=[rng.choice([{"kind": value(), "value": value()}, value()])
                                              for _i in range(rng.randint(0, 4))])
                    for _i in range(rng.randint(0, 3))]
        host = factory.host(value(), "compliant", findings=findings,
                            reasons=[value() for _i in range(rng.randint(0, 3))],
                            severity=rng.choice([None, "critical", value()]))
        host["status"] = rng.choice(statuses)
        if rng.random() < 0.2:
            host["waiver"] = {"id": value(), "ticket": value(), "owner": value(), "expires": value(),
                              "reason": value(), "expired": rng.random() < 0.5}
        if rng.random() < 0.2:
            host["remediation"] = {"outcome": value()}
        for key in ("name", "reasons", "findings", "severity"):
            if rng.random() < 0.05:
                del host[key]
        hosts.append(host)
    run = dict((key, value()) for key in _PROPERTIES if rng.random() < 0.7)
    data = _same(factory.report(hosts, run=run, generated_at=value(False), sha256=rng.choice([value(False), None])))
    ET.fromstring(data)
