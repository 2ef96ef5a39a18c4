# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The JUnit XML report, for CI systems (Jenkins, GitLab, Azure DevOps, AWX notifications).

``<testsuites>`` holds one ``<testsuite name="fleetsec.banned_av">`` with one ``<testcase>``
per host: ``classname`` is ``banned_av.<policy>`` (the policy of the host's most severe
finding, else ``compliance``), ``name`` the host name.

* A host with a failing status (``common.FAILING``, or a status this collection does not
  know) has a ``<failure type="<status>" message="<first reason>">`` whose text lists every
  reason and every finding with its evidence.
* Any other host passes; when it has reasons or findings (``waived``, ``warning``,
  ``reboot_pending``, ``remediated`` ...) they are written to ``<system-out>``.
* Nothing is skipped (``skipped="0"``): a host that could not be checked is ``unknown``,
  which fails.

``timestamp`` is ``generated_at`` without its ``Z`` (the JUnit schema's ``xs:dateTime`` has no
zone; the time is UTC).  The run metadata goes to ``<properties>``; a merged report of slices
judged differently lists each differing field as a ``mixed.<field>`` property.

Written with the standard library's streaming XML writer (``xml.sax.saxutils.XMLGenerator``),
which escapes text and attribute values.  Characters that XML 1.0 forbids (most C0 controls,
lone surrogates, U+FFFE, U+FFFF; ``common.xml_safe``) are removed from every value first, so
any host or product name gives a well-formed document.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import io
from xml.sax.saxutils import XMLGenerator

from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports.common import (
    evidence_item,
    host_messages,
    host_policy,
    is_failing,
    judged_by,
    mixed,
    one_line,
    text,
    xml_safe,
)

SUITE_NAME = "fleetsec.banned_av"
_PROPERTIES = ("collection_version", "catalog_version", "policy_version", "as_of", "ansible_version",
               "awx_job_id", "awx_job_template", "play", "check_mode", "user")


def _indent(value, pad="    "):
    lines = text(value).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return ("\n" + pad).join(lines)


def _finding_lines(finding):
    product = finding.get("product") or finding.get("id")
    lines = ["  - %s (%s) %s: %s%s" % (
        text(product), text(finding.get("id")), text(finding.get("version")) or "version unknown",
        text(finding.get("verdict")), ", policy %s" % text(finding.get("policy")) if finding.get("policy") else "")]
    if finding.get("signatures_date"):
        lines.append("    signatures: %s" % text(finding.get("signatures_date")))
    lines.extend("    evidence: %s" % evidence_item(item) for item in finding.get("evidence") or [])
    return lines


def _host_text(report, host):
    """The text of ``<failure>`` / ``<system-out>``: status, severity, reasons, findings ..."""
    lines = ["status: %s" % text(host.get("status"))]
    if host.get("severity"):
        lines.append("severity: %s" % text(host.get("severity")))
    if mixed(report):
        judged = judged_by(report, host)
        lines.append("judged as of %s, policy version %s, catalogue %s" % (
            text(judged["as_of"]), text(judged["policy_version"]), text(judged["catalog_version"])))
    for title, items in (("reasons", [_indent(r) for r in host.get("reasons") or []]),
                         ("warnings", host_messages(host, "warnings")),
                         ("errors", host_messages(host, "errors"))):
        if items:
            lines.append("%s:" % title)
            lines.extend("  - %s" % item for item in items)
    findings = host.get("findings") or []
    if findings:
        lines.append("findings:")
    for finding in findings:
        lines.extend(_finding_lines(finding))
    waiver = host.get("waiver")
    if waiver:
        lines.append("waiver: %s (ticket %s, owner %s, expires %s%s): %s" % (
            text(waiver.get("id")), text(waiver.get("ticket")), text(waiver.get("owner")),
            text(waiver.get("expires")), ", EXPIRED" if waiver.get("expired") else "", text(waiver.get("reason"))))
    remediation = host.get("remediation")
    if remediation:
        lines.append("remediation: %s" % text(remediation.get("outcome")))
    return "\n".join(lines) + "\n"


def _element(xml, tag, attrs, body=None, pad=""):
    xml.ignorableWhitespace(pad)
    xml.startElement(tag, dict((k, xml_safe(v)) for k, v in attrs.items()))
    if body is not None:
        xml.characters(xml_safe(body))
    xml.endElement(tag)


def _properties(xml, report):
    run = report.get("run") or {}
    props = [(key, run.get(key)) for key in _PROPERTIES if run.get(key) is not None]
    props += [("mixed.%s" % field, ", ".join(text(v) for v in values)) for field, values in sorted(mixed(report).items())]
    if report.get("sha256"):
        props.append(("report_sha256", report.get("sha256")))
    xml.ignorableWhitespace("\n    ")
    xml.startElement("properties", {})
    for name, value in props:
        _element(xml, "property", {"name": name, "value": value}, pad="\n      ")
    xml.ignorableWhitespace("\n    " if props else "")
    xml.endElement("properties")


def _testcase(xml, report, host):
    status = text(host.get("status")) or "unknown"
    xml.ignorableWhitespace("\n    ")
    xml.startElement("testcase", {"classname": "banned_av.%s" % xml_safe(host_policy(host) or "compliance"),
                                  "name": xml_safe(host.get("name")), "time": "0"})
    if is_failing(status):
        reasons = host.get("reasons") or []
        message = one_line(reasons[0]) if reasons else status
        _element(xml, "failure", {"type": status, "message": message}, _host_text(report, host), pad="\n      ")
        xml.ignorableWhitespace("\n    ")
    elif host.get("reasons") or host.get("findings") or host.get("waiver") or host.get("remediation") or host.get("warnings"):
        _element(xml, "system-out", {}, _host_text(report, host), pad="\n      ")
        xml.ignorableWhitespace("\n    ")
    xml.endElement("testcase")


def write(report, out):
    """Write the JUnit XML report to the text stream ``out`` (UTF-8, with an XML declaration)."""
    hosts = report.get("hosts") or []
    counts = {"tests": str(len(hosts)), "failures": str(sum(1 for h in hosts if is_failing(h.get("status")))),
              "errors": "0", "skipped": "0", "time": "0"}
    timestamp = text(report.get("generated_at"))
    if timestamp.endswith("Z"):
        timestamp = timestamp[:-1]
    xml = XMLGenerator(out, encoding="utf-8", short_empty_elements=True)
    xml.startDocument()
    xml.startElement("testsuites", dict(counts, name=SUITE_NAME))
    xml.ignorableWhitespace("\n  ")
    xml.startElement("testsuite", dict(counts, name=SUITE_NAME, timestamp=xml_safe(timestamp)))
    _properties(xml, report)
    for host in hosts:
        _testcase(xml, report, host)
    xml.ignorableWhitespace("\n  ")
    xml.endElement("testsuite")
    xml.ignorableWhitespace("\n")
    xml.endElement("testsuites")
    xml.ignorableWhitespace("\n")
    xml.endDocument()


def render(report):
    """The JUnit XML report as UTF-8 bytes."""
    out = io.StringIO()
    write(report, out)
    return out.getvalue().encode("utf-8", "replace")
