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
_LEVELS = {"violation": "error", "waiver_expired": "error", "warning": "warning", "info": "note", "waived": "note", "residue": "note",
           "ok": "none"}
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


def _justification(waiver):
    details = []
    for key in ("ticket", "owner", "expires"):
        if waiver.get(key):
            details.append("%s %s" % (key, text(waiver.get(key))))
    reason = one_line(waiver.get("reason")) or "waived"
    return "%s (%s)" % (reason, ", ".join(details)) if details else reason


def _catalog_rules(catalog_entries):
    """The rules of the catalogue entries that can be findings, and the index of each rule id."""
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
    return rules, index_of


def _notification(name, host):
    return {
        "level": "error",
        "message": {"text": "%s could not be checked: %s" % (
            name, "; ".join(one_line(r) for r in host.get("reasons") or []) or "no result")},
        "locations": [{"logicalLocations": [{"name": name, "fullyQualifiedName": "host/" + name,
                                             "kind": "resource"}]}],
    }


def _walk(report, rules, index_of, notifications):
    """Yield ``(name, status, results)`` for each host that has findings.

    ``results`` holds one tuple per finding: ``(finding, rule_id, rule_index, level, message,
    fingerprint, verdict, justification)``, where ``justification`` is None when the result is
    not suppressed.  Appends the derived rules to ``rules`` (and ``index_of``) and a
    notification per host that could not be checked to ``notifications``, in report order.
    """
    for host in report.get("hosts") or []:
        name = text(host.get("name"))
        status = text(host.get("status"))
        if status == "unknown":
            notifications.append(_notification(name, host))
        findings = host.get("findings") or []
        if not findings:
            continue
        results = []
        justification = None
        for finding in findings:
            rule_id = text(finding.get("id")) or "unknown"
            rule_index = index_of.get(rule_id)
            if rule_index is None:
                rule_index = index_of[rule_id] = len(rules)
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
            level = _LEVELS.get(finding.get("verdict"))
            if level is None:
                level = "error" if host.get("severity") in ("critical", "high") else "warning"
            fingerprint = hashlib.sha256(("%s\x00%s" % (name, rule_id)).encode("utf-8", "replace")).hexdigest()
            waiver = host.get("waiver")
            suppressed = None
            if verdict == "waived" or (status == "waived" and waiver):
                if justification is None:  # the same for every finding of the host
                    justification = _justification(waiver or {})
                suppressed = justification
            results.append((finding, rule_id, rule_index, level, message, fingerprint, verdict, suppressed))
        yield name, status, results


def _result(name, status, result):
    """One SARIF result as a dict."""
    finding, rule_id, rule_index, level, message, fingerprint, verdict, justification = result
    out = {
        "ruleId": rule_id,
        "ruleIndex": rule_index,
        "level": level,
        "message": {"text": message},
        "locations": [{"logicalLocations": [{"name": name, "fullyQualifiedName": "host/" + name,
                                             "kind": "resource"}]}],
        "partialFingerprints": {
            "hostFinding/v1": fingerprint,
        },
        "properties": {
            "host": name,
            "status": status,
            "verdict": verdict,
            "policy": finding.get("policy"),
            "version": finding.get("version"),
            "signatures_date": finding.get("signatures_date"),
            "evidence": [evidence_item(e) for e in finding.get("evidence") or []],
        },
    }
    if justification is not None:
        out["suppressions"] = [{
            "kind": "external",
            "status": "accepted",
            "justification": justification,
        }]
    return out


def _log(report, rules, notifications, results):
    """The SARIF log as a dict, around the given rules, notifications and results."""
    run = report.get("run") or {}
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


def build(report, catalog_entries=None):
    """The SARIF log as a dict."""
    rules, index_of = _catalog_rules(catalog_entries)
    notifications = []
    results = []
    for name, status, host_results in _walk(report, rules, index_of, notifications):
        for result in host_results:
            results.append(_result(name, status, result))
    return _log(report, rules, notifications, results)


# One result as json.dumps(result, ensure_ascii=False, default=text) writes it (separators
# ", " and ": ", keys in insertion order); the %s are JSON values.
_RESULT_JSON = (
    '{"ruleId": %s, "ruleIndex": %d, "level": "%s", "message": {"text": %s}, "locations": %s, '
    '"partialFingerprints": {"hostFinding/v1": "%s"}, "properties": {"host": %s, "status": %s, '
    '"verdict": %s, "policy": %s, "version": %s, "signatures_date": %s, "evidence": [%s]}%s}'
)
_LOCATIONS_JSON = '[{"logicalLocations": [{"name": %s, "fullyQualifiedName": %s, "kind": "resource"}]}]'
_SUPPRESSIONS_JSON = ', "suppressions": [{"kind": "external", "status": "accepted", "justification": %s}]'


def _result_lines(report, rules, index_of, notifications):
    """Yield the JSON text of each result, as json.dumps(_result(...)) would write it.

    A result whose policy, version and signatures_date are each None or a str is written
    from the templates above (strings through json's own string encoder); any other result
    goes through json.dumps.
    """
    encode = json.encoder.encode_basestring  # json.dumps' string encoder with ensure_ascii=False
    for name, status, host_results in _walk(report, rules, index_of, notifications):
        name_json = encode(name)
        status_json = encode(status)
        locations_json = _LOCATIONS_JSON % (name_json, encode("host/" + name))
        for result in host_results:
            finding, rule_id, rule_index, level, message, fingerprint, verdict, justification = result
            policy = finding.get("policy")
            version = finding.get("version")
            signatures_date = finding.get("signatures_date")
            if not ((policy is None or policy.__class__ is str) and (version is None or version.__class__ is str)
                    and (signatures_date is None or signatures_date.__class__ is str)):
                yield json.dumps(_result(name, status, result), ensure_ascii=False, default=text)
                continue
            evidence = [encode(evidence_item(item)) for item in finding.get("evidence") or []]
            yield _RESULT_JSON % (
                encode(rule_id), rule_index, level, encode(message), locations_json, fingerprint,
                name_json, status_json, encode(verdict),
                "null" if policy is None else encode(policy),
                "null" if version is None else encode(version),
                "null" if signatures_date is None else encode(signatures_date),
                ", ".join(evidence),
                "" if justification is None else _SUPPRESSIONS_JSON % encode(justification),
            )


def render(report, catalog_entries=None):
    """The SARIF log as UTF-8 JSON bytes (compact: one line per result keeps large logs fast)."""
    rules, index_of = _catalog_rules(catalog_entries)
    notifications = []
    # one result per line: C-speed string encoding, still readable and diff-able
    results = ",\n".join(_result_lines(report, rules, index_of, notifications))
    doc = _log(report, rules, notifications, [])
    runs = doc.pop("runs")
    head = json.dumps(doc, ensure_ascii=False)[:-1]
    run = runs[0]
    run.pop("results")
    lines = [head + ', "runs": [' + json.dumps(run, ensure_ascii=False, default=text)[:-1] + ', "results": [',
             results, "]}]}"]
    return "\n".join(lines).encode("utf-8", "replace") + b"\n"
