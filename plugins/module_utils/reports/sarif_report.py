# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The SARIF 2.1.0 report, for code-scanning tools (GitHub code scanning, Azure DevOps) and
security dashboards.

One ``run`` whose ``tool.driver`` has one *rule* per catalogue product that can be a finding
(categories ``banned``, ``oem``, ``unapproved_successor``; protection products and disabled
entries are not rules), built by ``sarif_rules.rule``: id (the catalogue id), a Pascal-case
name, short and full description, help (text and Markdown: what the product is, why it is
reported under which policy, how this collection removes it, its sources) and ``helpUri``.
A finding whose product is not in ``catalog_entries`` gets a rule derived from the finding, so
every ``ruleIndex`` points at the rule with the same ``id``.

One *result* per finding per host:

* ``level``: verdict ``violation`` and ``waiver_expired`` -> ``error``, ``warning`` ->
  ``warning``, ``waived`` and ``residue`` -> ``note``; another verdict follows the host
  severity (``critical``/``high`` -> ``error``, else ``warning``).
* ``message``: the rule's ``default`` message string (``sarif_rules.MESSAGE``) with the
  result's arguments (host, product, version, installed or residue, verdict, policy, signatures
  date, host status), and the sentence they make as ``text``.
* ``locations``: hosts are not files, but code-scanning services show only results located in
  a file (a relative path with a line).  Each result is located at ``hosts/<host name>`` (the
  name percent-encoded), line 1, and also at a logical location ``{name: <host>,
  fullyQualifiedName: "host/<host>", kind: "resource"}``.
* ``properties``: host, status, evidence (``common.evidence_item`` of each item), version,
  signatures_date, policy, verdict; in a merged report of slices judged differently also what
  the host was judged against.
* ``partialFingerprints["hostFinding/v1"]``: SHA-256 of host and product id, so a consumer can
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
from urllib.parse import quote

from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports import sarif_rules
from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports.common import (
    evidence_item,
    judged_by,
    mixed,
    one_line,
    text,
)

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
TOOL_NAME = "fleetsec.banned_av"
# galaxy.yml `homepage`
INFORMATION_URI = "https://example.invalid/fleetsec/banned_av"
RULE_CATEGORIES = ("banned", "oem", "unapproved_successor")

_LEVELS = {"violation": "error", "waiver_expired": "error", "warning": "warning", "info": "note", "waived": "note",
           "residue": "note"}


def _dumps(value):
    return json.dumps(value, ensure_ascii=False, default=text)


class _Rules(object):
    """The rules of the log: the catalogue's, then one per product found that it does not have."""

    def __init__(self, catalog_entries, policies):
        self.rules = []
        self.index_of = {}
        self.policies = policies
        self.entries = {}
        for entry in catalog_entries or ():
            if not isinstance(entry, dict) or entry.get("disabled") or not entry.get("id"):
                continue
            self.entries[text(entry["id"])] = entry
            if entry.get("category", "banned") in RULE_CATEGORIES:
                self.add(entry)

    def add(self, entry):
        rule_id = text(entry.get("id"))
        if rule_id not in self.index_of:
            self.index_of[rule_id] = len(self.rules)
            self.rules.append(sarif_rules.rule(entry, self.policies))
        return rule_id, self.index_of[rule_id]

    def for_finding(self, finding):
        """``(rule id, rule index)`` of a finding's product, added if missing: from the finding, on
        the catalogue entry it was found through (``catalog_id``: an unlisted product of a
        catch-all entry), so that the rule has that entry's sources and removal."""
        product = text(finding.get("product") or finding.get("id"))
        rule_id = text(finding.get("id")) or product or "unidentified"
        if rule_id in self.index_of:
            return rule_id, self.index_of[rule_id]
        entry = dict(self.entries.get(text(finding.get("catalog_id"))) or {"sources": []})
        entry.update((key, finding.get(key)) for key in ("vendor", "category", "confidence", "family", "catalog_id")
                     if finding.get(key) is not None)
        entry.update(id=rule_id, product=product or rule_id)
        return self.add(entry)


def host_uri(name):
    """``hosts/<name>``, the name percent-encoded as one path segment.  A name that would make a
    dot-segment or an empty segment (``..``, ``.``, empty) gets a ``~`` in front, so no host is
    located outside ``hosts/`` (``~`` in other names is encoded, so this cannot collide)."""
    segment = quote(name.encode("utf-8", "replace"), safe="").replace("~", "%7E")
    if not segment.strip("."):
        segment = "~" + segment
    return "hosts/" + segment


def _location(name):
    """Where a host's results are: ``hosts/<name>`` line 1, which code-scanning services show as a
    file path, and the host as a logical location."""
    return [{"physicalLocation": {"artifactLocation": {"uri": host_uri(name)}, "region": {"startLine": 1}},
             "logicalLocations": [{"name": name, "fullyQualifiedName": "host/" + name, "kind": "resource"}]}]


def _justification(waiver):
    details = ["%s %s" % (key, text(waiver.get(key))) for key in ("ticket", "owner", "expires") if waiver.get(key)]
    reason = one_line(waiver.get("reason")) or "waived"
    return "%s (%s)" % (reason, ", ".join(details)) if details else reason


def _message(name, status, finding, product, verdict):
    """The result's message: the rule's "default" message string with this finding's arguments,
    and its text (code-scanning services show the text)."""
    arguments = [name, product, text(finding.get("version")) or "unknown",
                 "installed" if finding.get("installed", True) else "residue only", verdict,
                 text(finding.get("policy")) or "none", text(finding.get("signatures_date")) or "unknown", status]
    return {"id": "default", "arguments": arguments, "text": sarif_rules.MESSAGE.format(*arguments)}


def _result(report, host, name, status, location, finding, rules):
    product = text(finding.get("product") or finding.get("id"))
    rule_id, rule_index = rules.for_finding(finding)
    verdict = text(finding.get("verdict"))
    level = _LEVELS.get(verdict) or ("error" if host.get("severity") in ("critical", "high") else "warning")
    result = {
        "ruleId": rule_id,
        "ruleIndex": rule_index,
        "level": level,
        "message": _message(name, status, finding, product, verdict),
        "locations": location,
        "partialFingerprints": {
            "hostFinding/v1": hashlib.sha256(("%s\x00%s" % (name, rule_id)).encode("utf-8", "replace")).hexdigest()},
        "properties": {
            "host": name, "status": status, "verdict": verdict, "policy": finding.get("policy"),
            "version": finding.get("version"), "signatures_date": finding.get("signatures_date"),
            "evidence": [evidence_item(e) for e in finding.get("evidence") or []],
        },
    }
    if mixed(report):
        result["properties"]["judged_by"] = judged_by(report, host)
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
        location = None
        for finding in host.get("findings") or []:
            if isinstance(finding, dict):
                location = location or _location(name)  # the same for every result of the host
                yield _result(report, host, name, status, location, finding, rules)


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
            "report_sha256": report.get("sha256"), "mixed": mixed(report) or None,
        },
    }


def write(report, out, catalog_entries=None):
    """Write the SARIF log to the text stream ``out``, one result per line.

    The rules a result adds (a product the catalogue does not have) must be in the run's
    ``rules``, which comes before the results: a first pass over the findings adds them.
    """
    rules = _Rules(catalog_entries, report.get("policies"))
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
