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
zone; the time is UTC).  The run metadata goes to ``<properties>``.  ElementTree escapes
every value; characters that XML 1.0 forbids (most C0 controls, lone surrogates, U+FFFE,
U+FFFF) are removed first, so any host or product name gives a well-formed document.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import io
import xml.etree.ElementTree as ET

from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports.common import (
    evidence_item,
    host_policy,
    is_failing,
    one_line,
    text,
    xml_safe,
)

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
    """Pretty-print in place (ElementTree.indent needs Python 3.9)."""
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


def build(report):
    """The ``<testsuites>`` element."""
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


def render(report):
    """The JUnit XML report as UTF-8 bytes, with an XML declaration."""
    root = build(report)
    _indent(root)
    buf = io.BytesIO()
    ET.ElementTree(root).write(buf, encoding="utf-8", xml_declaration=True)
    return buf.getvalue()
