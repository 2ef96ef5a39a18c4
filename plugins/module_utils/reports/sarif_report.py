# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The SARIF 2.1.0 report, for security dashboards that read static-analysis results.

One ``run`` whose ``tool.driver`` has one *rule* per catalogue product that can be a finding
(categories ``banned``, ``oem``, ``unapproved_successor``; protection products and disabled
entries are not rules).  Rule ``id`` is the catalogue id, ``name`` the product name,
``helpUri`` the first ``http(s)://`` URL in the entry's ``sources``, ``properties``
``{category, confidence, tags}``.  Without ``catalog_entries`` the rules are derived from the
findings in the report; a finding whose product is not in ``catalog_entries`` gets a derived
rule too, so every ``ruleIndex`` points at the rule with the same ``id``.

One *result* per finding per host:

* ``level``: verdict ``violation`` and ``waiver_expired`` -> ``error``, ``warning`` ->
  ``warning``, ``waived`` and ``residue`` -> ``note``; another verdict follows the host
  severity (``critical``/``high`` -> ``error``, else ``warning``).
* ``locations``: a logical location ``{name: <host>, fullyQualifiedName: "host/<host>",
  kind: "resource"}``.
* ``properties``: host, status, evidence (``common.evidence_item`` of each item), version,
  signatures_date, policy, verdict.
* ``partialFingerprints["hostFinding/v1"]``: SHA-256 of host and product id, so a viewer can
  follow one finding from run to run.
* a waived finding carries ``suppressions: [{kind: "external", status: "accepted",
  justification: "<reason> (ticket ..., owner ..., expires ...)"}]``.

``invocations[0].executionSuccessful`` is false when some host could not be checked
(status ``unknown``); those hosts are listed as ``toolExecutionNotifications``.

The log is written with ``json``: the run without its results first, then each result as it
is built, so that a large fleet's results are never all in memory at once.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import io
import json
import re

from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports.common import (
    evidence_item,
    one_line,
    text,
)

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
TOOL_NAME = "fleetsec.banned_av"
# galaxy.yml `homepage`
INFORMATION_URI = "https://example.invalid/fleetsec/banned_av"
RULE_CATEGORIES = ("banned", "oem", "unapproved_successor")

_URL_RE = re.compile(r"https?://[^\s\"'<>()]+")
_LEVELS = {"violation": "error", "waiver_expired": "error", "warning": "warning", "info": "note", "waived": "note",
           "residue": "note"}
_CATEGORY_TEXT = {
    "banned": "a product banned for US persons",
    "oem": "a product built on a banned vendor's engine (OEM)",
    "unapproved_successor": "a product installed in place of a banned one without the owner's consent",
}


def _dumps(value):
    return json.dumps(value, ensure_ascii=False, default=text)


def _first_url(sources):
    for source in sources or ():
        match = _URL_RE.search(text(source))
        if match:
            return match.group(0).rstrip(".,;:")
    return None


def _rule(entry):
    product = text(entry.get("product") or entry.get("id"))
    vendor = text(entry.get("vendor"))
    category = text(entry.get("category")) or "banned"
    tags = ["security", "antivirus", category]
    family = entry.get("family") or text(entry.get("id")).split(".")[0]
    if family and text(family) not in tags:
        tags.append(text(family))
    full = "%s%s is %s. It is reported when the catalogue finds it on a host (id %s)." % (
        product, " (%s)" % vendor if vendor and vendor not in product else "",
        _CATEGORY_TEXT.get(category, "a catalogued product"), text(entry.get("id")))
    rule = {
        "id": text(entry.get("id")),
        "name": product,
        "shortDescription": {"text": "%s installed or left behind" % product},
        "fullDescription": {"text": full},
        "defaultConfiguration": {"level": "warning" if category == "unapproved_successor" else "error"},
        "properties": {"category": category, "confidence": text(entry.get("confidence")) or "low", "tags": tags},
    }
    url = _first_url(entry.get("sources"))
    if url:
        rule["helpUri"] = url
    return rule


class _Rules(object):
    """The rules of the log: the catalogue's, then one per product found that it does not have."""

    def __init__(self, catalog_entries):
        self.rules = []
        self.index_of = {}
        for entry in catalog_entries or ():
            if not isinstance(entry, dict) or entry.get("disabled") or not entry.get("id"):
                continue
            if entry.get("category", "banned") in RULE_CATEGORIES:
                self.add(entry)

    def add(self, entry):
        rule_id = text(entry.get("id"))
        if rule_id not in self.index_of:
            self.index_of[rule_id] = len(self.rules)
            self.rules.append(_rule(entry))
        return rule_id, self.index_of[rule_id]

    def for_finding(self, finding):
        """``(rule id, rule index)`` of a finding's product, added from the finding if missing."""
        product = text(finding.get("product") or finding.get("id"))
        rule_id = text(finding.get("id")) or product or "unidentified"
        return self.add({"id": rule_id, "product": product or rule_id, "vendor": finding.get("vendor"),
                         "category": finding.get("category"), "confidence": finding.get("confidence"),
                         "family": finding.get("family")})


def _location(name):
    return [{"logicalLocations": [{"name": name, "fullyQualifiedName": "host/" + name, "kind": "resource"}]}]


def _justification(waiver):
    details = ["%s %s" % (key, text(waiver.get(key))) for key in ("ticket", "owner", "expires") if waiver.get(key)]
    reason = one_line(waiver.get("reason")) or "waived"
    return "%s (%s)" % (reason, ", ".join(details)) if details else reason


def _message(name, status, finding, product, verdict):
    version = finding.get("version")
    message = "%s: %s%s (%s); verdict %s" % (
        name, product, " " + text(version) if version else "",
        "installed" if finding.get("installed", True) else "residue only", verdict)
    if finding.get("policy"):
        message += " under policy %s" % text(finding.get("policy"))
    if finding.get("signatures_date"):
        message += "; signatures from %s" % text(finding.get("signatures_date"))
    return message + "; host status %s." % status


def _result(host, name, status, finding, rules):
    product = text(finding.get("product") or finding.get("id"))
    rule_id, rule_index = rules.for_finding(finding)
    verdict = text(finding.get("verdict"))
    level = _LEVELS.get(verdict) or ("error" if host.get("severity") in ("critical", "high") else "warning")
    result = {
        "ruleId": rule_id,
        "ruleIndex": rule_index,
        "level": level,
        "message": {"text": _message(name, status, finding, product, verdict)},
        "locations": _location(name),
        "partialFingerprints": {
            "hostFinding/v1": hashlib.sha256(("%s\x00%s" % (name, rule_id)).encode("utf-8", "replace")).hexdigest()},
        "properties": {
            "host": name, "status": status, "verdict": verdict, "policy": finding.get("policy"),
            "version": finding.get("version"), "signatures_date": finding.get("signatures_date"),
            "evidence": [evidence_item(e) for e in finding.get("evidence") or []],
        },
    }
    if verdict == "waived" or (status == "waived" and host.get("waiver")):
        result["suppressions"] = [{"kind": "external", "status": "accepted",
                                   "justification": _justification(host.get("waiver") or {})}]
    return result


def _results(report, rules):
    """Yield the result of every finding of every host (adding a rule for a finding whose
    product the catalogue does not have)."""
    for host in report.get("hosts") or []:
        name = text(host.get("name"))
        status = text(host.get("status"))
        for finding in host.get("findings") or []:
            if isinstance(finding, dict):
                yield _result(host, name, status, finding, rules)


def _notifications(report):
    notes = []
    for host in report.get("hosts") or []:
        if host.get("status") == "unknown":
            name = text(host.get("name"))
            notes.append({"level": "error", "locations": _location(name), "message": {"text": "%s could not be checked: %s" % (
                name, "; ".join(one_line(r) for r in host.get("reasons") or []) or "no result")}})
    return notes


def _run(report, rules, notifications):
    """The run object, without its results."""
    run = report.get("run") or {}
    invocation = {"executionSuccessful": not notifications, "endTimeUtc": text(report.get("generated_at"))}
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    driver = {"name": TOOL_NAME, "informationUri": INFORMATION_URI, "rules": rules.rules}
    if run.get("collection_version"):
        driver["version"] = driver["semanticVersion"] = text(run.get("collection_version"))
    automation = "/".join(text(v) for v in (run.get("play") or "audit", run.get("awx_job_id") or report.get("generated_at")) if v)
    return {
        "tool": {"driver": driver},
        "invocations": [invocation],
        "columnKind": "unicodeCodePoints",
        "automationDetails": {"id": "%s/%s" % (TOOL_NAME, automation)},
        "properties": {
            "catalog_version": run.get("catalog_version"), "policy_version": run.get("policy_version"),
            "as_of": run.get("as_of"), "awx_job_id": run.get("awx_job_id"), "summary": report.get("summary"),
            "report_sha256": report.get("sha256"),
        },
    }


def write(report, out, catalog_entries=None):
    """Write the SARIF log to the text stream ``out``, one result per line.

    The rules a result adds (a product the catalogue does not have) must be in the run's
    ``rules``, which comes before the results: a first pass over the findings adds them.
    """
    rules = _Rules(catalog_entries)
    for host in report.get("hosts") or []:
        for finding in host.get("findings") or []:
            if isinstance(finding, dict):
                rules.for_finding(finding)
    log = _dumps({"$schema": SARIF_SCHEMA, "version": SARIF_VERSION,
                  "runs": [_run(report, rules, _notifications(report))]})
    # the results are the run's last member: the log's text without its closing "}]}", then
    # the results one per line, then the closing brackets
    out.write(log[:-3] + ', "results": [')
    for index, result in enumerate(_results(report, rules)):
        out.write("%s\n%s" % ("," if index else "", _dumps(result)))
    out.write("\n]}]}\n")


def render(report, catalog_entries=None):
    """The SARIF log as UTF-8 JSON bytes."""
    out = io.StringIO()
    write(report, out, catalog_entries=catalog_entries)
    return out.getvalue().encode("utf-8", "replace")
