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

* ``level``: verdict ``violation`` and ``waiver_expired`` -> ``error``, ``warning`` -> ``warning``, ``waived`` and
  ``residue`` -> ``note``, ``ok`` -> ``none``; another verdict follows the host severity
  (``critical``/``high`` -> ``error``, else ``warning``).
* ``locations``: a logical location ``{name: <host>, fullyQualifiedName: "host/<host>",
  kind: "resource"}``; hosts are not files, so there is no physical location.  (GitHub code
  scanning needs physical locations; this file is for generic SARIF viewers and SIEMs.)
* ``properties``: host, status, evidence (``kind: value`` strings), version,
  signatures_date, policy, verdict.
* ``partialFingerprints["hostFinding/v1"]``: SHA-256 of host and product id, so a viewer can
  follow one finding from run to run.
* a waived finding carries ``suppressions: [{kind: "external", status: "accepted",
  justification: "<reason> (ticket ..., owner ..., expires ...)"}]``.

``invocations[0].executionSuccessful`` is false when some host could not be checked
(status ``unknown``); those hosts are listed as ``toolExecutionNotifications``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
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
_LEVELS = {"violation": "error", "waiver_expired": "error", "warning": "warning", "waived": "note", "residue": "note", "ok": "none"}
_CATEGORY_TEXT = {
    "banned": "a product banned for US persons",
    "oem": "a product built on a banned vendor's engine (OEM)",
    "unapproved_successor": "a product installed in place of a banned one without the owner's consent",
}


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
    if family and family not in tags:
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
        "properties": {
            "category": category,
            "confidence": text(entry.get("confidence")) or "low",
            "tags": tags,
        },
    }
    url = _first_url(entry.get("sources"))
    if url:
        rule["helpUri"] = url
    return rule


def _level(finding, host):
    verdict = finding.get("verdict")
    if verdict in _LEVELS:
        return _LEVELS[verdict]
    return "error" if host.get("severity") in ("critical", "high") else "warning"


def _justification(waiver):
    details = []
    for key in ("ticket", "owner", "expires"):
        if waiver.get(key):
            details.append("%s %s" % (key, text(waiver.get(key))))
    reason = one_line(waiver.get("reason")) or "waived"
    return "%s (%s)" % (reason, ", ".join(details)) if details else reason


def build(report, catalog_entries=None):
    """The SARIF log as a dict."""
    rules = []
    index_of = {}
    if catalog_entries is not None:
        for entry in catalog_entries:
            if not isinstance(entry, dict) or entry.get("disabled") or not entry.get("id"):
                continue
            if entry.get("category", "banned") not in RULE_CATEGORIES or entry["id"] in index_of:
                continue
            index_of[entry["id"]] = len(rules)
            rules.append(_rule(entry))

    results = []
    notifications = []
    run = report.get("run") or {}
    for host in report.get("hosts") or []:
        name = text(host.get("name"))
        status = text(host.get("status"))
        if status == "unknown":
            notifications.append({
                "level": "error",
                "message": {"text": "%s could not be checked: %s" % (
                    name, "; ".join(one_line(r) for r in host.get("reasons") or []) or "no result")},
                "locations": [{"logicalLocations": [{"name": name, "fullyQualifiedName": "host/" + name,
                                                     "kind": "resource"}]}],
            })
        for finding in host.get("findings") or []:
            rule_id = text(finding.get("id")) or "unknown"
            if rule_id not in index_of:
                index_of[rule_id] = len(rules)
                derived = dict(finding)
                derived["id"] = rule_id
                rules.append(_rule(derived))
            product = text(finding.get("product") or rule_id)
            version = finding.get("version")
            verdict = text(finding.get("verdict")) or "unknown"
            message = "%s: %s%s (%s)" % (name, product, " " + text(version) if version else "",
                                         "installed" if finding.get("installed", True) else "residue only")
            message += "; verdict %s" % verdict
            if finding.get("policy"):
                message += " under policy %s" % text(finding.get("policy"))
            if finding.get("signatures_date"):
                message += "; signatures from %s" % text(finding.get("signatures_date"))
            message += "; host status %s." % status
            result = {
                "ruleId": rule_id,
                "ruleIndex": index_of[rule_id],
                "level": _level(finding, host),
                "message": {"text": message},
                "locations": [{"logicalLocations": [{"name": name, "fullyQualifiedName": "host/" + name,
                                                     "kind": "resource"}]}],
                "partialFingerprints": {
                    "hostFinding/v1": hashlib.sha256(("%s\x00%s" % (name, rule_id)).encode("utf-8", "replace")).hexdigest(),
                },
                "properties": {
                    "host": name,
                    "status": status,
                    "verdict": verdict,
                    "policy": finding.get("policy"),
                    "version": version,
                    "signatures_date": finding.get("signatures_date"),
                    "evidence": [evidence_item(e) for e in finding.get("evidence") or []],
                },
            }
            waiver = host.get("waiver")
            if verdict == "waived" or (status == "waived" and waiver):
                result["suppressions"] = [{
                    "kind": "external",
                    "status": "accepted",
                    "justification": _justification(waiver or {}),
                }]
            results.append(result)

    invocation = {
        "executionSuccessful": not notifications,
        "endTimeUtc": text(report.get("generated_at")),
    }
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    driver = {
        "name": TOOL_NAME,
        "informationUri": INFORMATION_URI,
        "rules": rules,
    }
    if run.get("collection_version"):
        driver["version"] = text(run.get("collection_version"))
        driver["semanticVersion"] = text(run.get("collection_version"))
    sarif_run = {
        "tool": {"driver": driver},
        "invocations": [invocation],
        "results": results,
        "columnKind": "unicodeCodePoints",
        "properties": {
            "catalog_version": run.get("catalog_version"),
            "policy_version": run.get("policy_version"),
            "as_of": run.get("as_of"),
            "awx_job_id": run.get("awx_job_id"),
            "summary": report.get("summary"),
            "report_sha256": report.get("sha256"),
        },
    }
    automation = "/".join(text(v) for v in (run.get("play") or "audit", run.get("awx_job_id") or report.get("generated_at")) if v)
    if automation:
        sarif_run["automationDetails"] = {"id": "%s/%s" % (TOOL_NAME, automation)}
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [sarif_run]}


def render(report, catalog_entries=None):
    """The SARIF log as UTF-8 JSON bytes (compact: one line per result keeps large logs fast)."""
    doc = build(report, catalog_entries)
    runs = doc.pop("runs")
    head = json.dumps(doc, ensure_ascii=False)[:-1]
    run = runs[0]
    results = run.pop("results")
    # one result per line: C-speed encoding, still readable and diff-able
    lines = [head + ', "runs": [' + json.dumps(run, ensure_ascii=False, default=text)[:-1] + ', "results": [']
    lines.append(",\n".join(json.dumps(r, ensure_ascii=False, default=text) for r in results))
    lines.append("]}]}")
    return "\n".join(lines).encode("utf-8", "replace") + b"\n"
