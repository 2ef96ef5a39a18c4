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
zone; the time is UTC).  The run metadata goes to ``<properties>``.

The XML text is written directly, without ElementTree (at 100,000 hosts, building and
serializing a tree took a third of the reporting time budget), byte for byte as
``ElementTree.write(encoding="utf-8", xml_declaration=True)`` wrote the pretty-printed tree
before: the same declaration, attributes in the same order, ``<tag attr="..." />`` for an
empty element, two spaces per level, and the same escaping (``& < >`` in text; ``& < > "``
and CR, LF, TAB as ``&#13;`` ``&#10;`` ``&#09;`` in attribute values).  Characters that XML
1.0 forbids (most C0 controls, lone surrogates, U+FFFE, U+FFFF; see ``common.xml_safe``) are
removed, so any host or product name gives a well-formed document; non-ASCII text is written
as UTF-8.  ``test_junit_reference.py`` in the unit tests compares the output with the former
ElementTree writer.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports.common import (
    evidence_item,
    host_policy,
    is_failing,
    one_line,
    text,
)

SUITE_NAME = "fleetsec.banned_av"
_PROPERTIES = ("collection_version", "catalog_version", "policy_version", "as_of", "ansible_version",
               "awx_job_id", "awx_job_template", "play", "check_mode", "user")

_DECLARATION = "<?xml version='1.0' encoding='utf-8'?>\n"
# The characters common.xml_safe removes.  They occur nowhere in the markup or in what the
# escaping adds, so removing them from every value (what the ElementTree writer did) is the
# same as removing them once from the whole document, which _encode does when there are any.
_ILLEGAL_XML_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# their UTF-8 bytes, for the check of the encoded document (lone surrogates do not encode,
# U+FFFE and U+FFFF are looked for in the text)
_ILLEGAL_C0_BYTES = bytes(bytearray(c for c in range(0x20) if c not in (0x09, 0x0a, 0x0d)))


_CDATA_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"))
_ATTR_ESCAPES = _CDATA_ESCAPES + (('"', "&quot;"), ("\r", "&#13;"), ("\n", "&#10;"), ("\t", "&#09;"))


def _escape(value, escapes):
    for char, reference in escapes:
        if char in value:
            value = value.replace(char, reference)
    return value


def _cdata(value):
    """Escape element text as ElementTree does (``&``, ``<``, ``>``)."""
    return _escape(value, _CDATA_ESCAPES)


def _attr(value):
    """Escape an attribute value as ElementTree does (Python 3.9+).

    ``&``, ``<``, ``>``, ``"``, and CR, LF and TAB as character references, so that a
    parser gives them back instead of normalising them to spaces.
    """
    return _escape(value, _ATTR_ESCAPES)


def _value(value):
    """``text(value)`` as a plain str, for an attribute (what ``common.xml_safe`` returned)."""
    if value.__class__ is str:
        return value
    return _ILLEGAL_XML_RE.sub("", text(value))


def _fmt(value):
    """``"%s" % text(value)``, without the calls for a plain str."""
    if value.__class__ is str:
        return value
    return "%s" % text(value)


def _indent_lines(value, pad="    "):
    lines = text(value).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return ("\n" + pad).join(lines)


def _finding_line(finding):
    """The ``  - product (id) version: verdict, policy P`` line of a finding."""
    fid = finding.get("id")
    product = finding.get("product") or fid
    version = finding.get("version")
    verdict = finding.get("verdict")
    policy = finding.get("policy")
    if (product.__class__ is str and fid.__class__ is str and version.__class__ is str and verdict.__class__ is str
            and (not policy or policy.__class__ is str)):
        return "".join(("  - ", product, " (", fid, ") ", version or "version unknown", ": ", verdict,
                        ", policy " + policy if policy else ""))
    return "  - %s (%s) %s: %s%s" % (
        text(product), text(fid), text(version) or "version unknown", text(verdict),
        ", policy %s" % text(policy) if policy else "")


def _host_text(host):
    """The text of ``<failure>`` / ``<system-out>``: status, severity, reasons, findings ..."""
    lines = ["status: " + _fmt(host.get("status"))]
    severity = host.get("severity")
    if severity:
        lines.append("severity: " + _fmt(severity))
    append = lines.append
    reasons = host.get("reasons") or []
    if reasons:
        append("reasons:")
        for reason in reasons:
            if reason.__class__ is str and "\n" not in reason and "\r" not in reason:
                append("  - " + reason)
            else:
                append("  - %s" % _indent_lines(reason))
    findings = host.get("findings") or []
    if findings:
        append("findings:")
    for finding in findings:
        append(_finding_line(finding))
        signatures = finding.get("signatures_date")
        if signatures:
            append("    signatures: " + _fmt(signatures))
        for evidence in finding.get("evidence") or []:
            append("    evidence: " + evidence_item(evidence))
    waiver = host.get("waiver")
    if waiver:
        append("waiver: %s (ticket %s, owner %s, expires %s%s): %s" % (
            text(waiver.get("id")), text(waiver.get("ticket")), text(waiver.get("owner")),
            text(waiver.get("expires")), ", EXPIRED" if waiver.get("expired") else "", text(waiver.get("reason"))))
    remediation = host.get("remediation")
    if remediation:
        append("remediation: %s" % text(remediation.get("outcome")))
    return "\n".join(lines) + "\n"


def _encode(document):
    """UTF-8 bytes of ``document`` without the characters XML 1.0 forbids."""
    try:
        data = document.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        data = None
    if (data is None or len(data.translate(None, _ILLEGAL_C0_BYTES)) != len(data)
            or (not document.isascii() and ("\ufffe" in document or "\uffff" in document))):
        data = _ILLEGAL_XML_RE.sub("", document).encode("utf-8", "xmlcharrefreplace")
    return data


def render(report):
    """The JUnit XML report as UTF-8 bytes, with an XML declaration."""
    hosts = report.get("hosts") or []
    failures = sum(1 for h in hosts if is_failing(h.get("status")))
    counts = ' tests="%d" failures="%d" errors="0" skipped="0" time="0"' % (len(hosts), failures)
    timestamp = text(report.get("generated_at"))
    if timestamp.endswith("Z"):
        timestamp = timestamp[:-1]
    out = [_DECLARATION, '<testsuites name="', _attr(SUITE_NAME), '"', counts, '>\n  <testsuite name="',
           _attr(SUITE_NAME), '" timestamp="', _attr(_value(timestamp)), '"', counts, ">\n    "]

    properties = []
    run = report.get("run") or {}
    for key in _PROPERTIES:
        if run.get(key) is not None:
            properties.append('<property name="%s" value="%s" />' % (_attr(key), _attr(_value(run.get(key)))))
    if report.get("sha256"):
        properties.append('<property name="report_sha256" value="%s" />' % _attr(_value(report["sha256"])))
    if properties:
        out.append("<properties>\n      " + "\n      ".join(properties) + "\n    </properties>")
    else:
        out.append("<properties />")

    append = out.append
    for host in hosts:
        append("\n    ")
        status = text(host.get("status")) or "unknown"
        append('<testcase classname="%s" name="%s" time="0"' % (
            _attr("banned_av.%s" % (host_policy(host) or "compliance")), _attr(_value(host.get("name")))))
        body = _host_text(host)
        if is_failing(status):
            reasons = host.get("reasons") or []
            message = one_line(reasons[0]) if reasons else status
            append('>\n      <failure type="%s" message="%s">%s</failure>\n    </testcase>' % (
                _attr(_value(status)), _attr(_value(message)), _cdata(body)))
        elif host.get("reasons") or host.get("findings") or host.get("waiver") or host.get("remediation"):
            append(">\n      <system-out>%s</system-out>\n    </testcase>" % _cdata(body))
        else:
            append(" />")
    append("\n  </testsuite>\n</testsuites>\n")
    return _encode("".join(out))
