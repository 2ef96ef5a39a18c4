# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json
import random
import re

import pytest

from ansible_collections.fleetsec.banned_av.plugins.module_utils import policy
from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports import sarif_report, sarif_rules

# Property names the SARIF 2.1.0 schema allows (its objects have additionalProperties: false),
# for the objects this writer emits.
ALLOWED = {
    "log": {"$schema", "version", "runs", "inlineExternalProperties", "properties"},
    "run": {"tool", "invocations", "conversion", "language", "versionControlProvenance", "originalUriBaseIds",
            "artifacts", "logicalLocations", "graphs", "results", "automationDetails", "runAggregates",
            "baselineGuid", "redactionTokens", "defaultEncoding", "defaultSourceLanguage", "newlineSequences",
            "columnKind", "externalPropertyFileReferences", "threadFlowLocations", "taxonomies", "addresses",
            "translations", "policies", "webRequests", "webResponses", "specialLocations", "properties"},
    "toolComponent": {"guid", "name", "organization", "product", "productSuite", "shortDescription",
                      "fullDescription", "fullName", "version", "semanticVersion", "dottedQuadFileVersion",
                      "releaseDateUtc", "downloadUri", "informationUri", "globalMessageStrings", "notifications",
                      "rules", "taxa", "locations", "language", "contents", "isComprehensive",
                      "localizedDataSemanticVersion", "minimumRequiredLocalizedDataSemanticVersion",
                      "associatedComponent", "translationMetadata", "supportedTaxonomies", "properties"},
    "reportingDescriptor": {"id", "deprecatedIds", "guid", "deprecatedGuids", "name", "deprecatedNames",
                            "shortDescription", "fullDescription", "messageStrings", "defaultConfiguration",
                            "helpUri", "help", "relationships", "properties"},
    "reportingConfiguration": {"enabled", "level", "rank", "parameters", "properties"},
    "result": {"ruleId", "ruleIndex", "rule", "kind", "level", "message", "analysisTarget", "locations", "guid",
               "correlationGuid", "occurrenceCount", "partialFingerprints", "fingerprints", "stacks", "codeFlows",
               "graphs", "graphTraversals", "relatedLocations", "suppressions", "baselineState", "rank",
               "attachments", "hostedViewerUri", "workItemUris", "provenance", "fixes", "taxa", "webRequest",
               "webResponse", "properties"},
    "location": {"id", "physicalLocation", "logicalLocations", "message", "annotations", "relationships",
                 "properties"},
    "logicalLocation": {"name", "index", "fullyQualifiedName", "decoratedName", "parentIndex", "kind", "properties"},
    "suppression": {"guid", "kind", "status", "justification", "location", "properties"},
    "invocation": {"commandLine", "arguments", "responseFiles", "startTimeUtc", "endTimeUtc", "exitCode",
                   "ruleConfigurationOverrides", "notificationConfigurationOverrides", "toolExecutionNotifications",
                   "toolConfigurationNotifications", "exitCodeDescription", "exitSignalName", "exitSignalNumber",
                   "processStartFailureMessage", "executionSuccessful", "machine", "account", "processId",
                   "executableLocation", "workingDirectory", "environmentVariables", "stdin", "stdout", "stderr",
                   "stdoutStderr", "properties"},
    "notification": {"locations", "message", "level", "threadId", "timeUtc", "exception", "descriptor",
                     "associatedRule", "properties"},
    "message": {"text", "markdown", "id", "arguments", "properties"},
    "multiformatMessageString": {"text", "markdown", "properties"},
    "physicalLocation": {"address", "artifactLocation", "region", "contextRegion", "properties"},
    "artifactLocation": {"uri", "uriBaseId", "index", "description", "properties"},
    "region": {"startLine", "startColumn", "endLine", "endColumn", "charOffset", "charLength", "byteOffset",
               "byteLength", "snippet", "message", "sourceLanguage", "properties"},
    "runAutomationDetails": {"description", "id", "guid", "correlationGuid", "properties"},
}
LEVELS = ("none", "note", "warning", "error")
DATE_TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
# the SARIF Multitool's test for a "friendly name" (SARIF2012)
PASCAL_RE = re.compile(r"^([A-Z][a-z0-9]+)*$")


def _obj(value, kind, required=()):
    assert isinstance(value, dict), "%s must be an object" % kind
    extra = set(value) - ALLOWED[kind]
    assert not extra, "%s has properties SARIF does not allow: %s" % (kind, sorted(extra))
    for key in required:
        assert key in value, "%s needs %s" % (kind, key)


def _message(value, kind="message"):
    _obj(value, kind)
    assert isinstance(value.get("text"), str) and value["text"]


def _locations(locations):
    """Every location is a file path code-scanning services accept (a relative URI under hosts/,
    no dot-segment, with a start line) and names the host logically."""
    assert isinstance(locations, list) and locations
    for location in locations:
        _obj(location, "location")
        physical = location["physicalLocation"]
        _obj(physical, "physicalLocation")
        _obj(physical["artifactLocation"], "artifactLocation")
        uri = physical["artifactLocation"]["uri"]
        assert uri.startswith("hosts/") and "/" not in uri[len("hosts/"):], uri
        assert uri[len("hosts/"):] not in ("", ".", "..") and not re.search(r"[\s?#\\]", uri), uri
        _obj(physical["region"], "region")
        assert physical["region"]["startLine"] == 1
        for logical in location.get("logicalLocations", []):
            _obj(logical, "logicalLocation")
            for key in ("name", "fullyQualifiedName", "kind"):
                assert isinstance(logical.get(key), str)


def check_sarif(doc):
    """Structural check of a SARIF 2.1.0 log (the parts this writer produces)."""
    _obj(doc, "log", ("version", "runs"))
    assert doc["version"] == "2.1.0"
    assert doc["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert isinstance(doc["runs"], list) and len(doc["runs"]) == 1
    run = doc["runs"][0]
    _obj(run, "run", ("tool",))
    assert set(run["tool"]) <= {"driver", "extensions", "properties"} and "driver" in run["tool"]
    driver = run["tool"]["driver"]
    _obj(driver, "toolComponent", ("name",))
    assert isinstance(driver["name"], str)
    rules = driver.get("rules", [])
    ids = []
    for rule in rules:
        _obj(rule, "reportingDescriptor", ("id",))
        assert isinstance(rule["id"], str) and rule["id"]
        ids.append(rule["id"])
        for key in ("shortDescription", "fullDescription", "help"):
            _message(rule[key], "multiformatMessageString")
        assert isinstance(rule["help"].get("markdown"), str) and rule["help"]["markdown"]
        assert PASCAL_RE.match(rule["name"]) and rule["name"], rule["name"]
        assert re.match(r"^https?://\S+$", rule["helpUri"])
        assert rule["messageStrings"]["default"]["text"].endswith(".")
        if "defaultConfiguration" in rule:
            _obj(rule["defaultConfiguration"], "reportingConfiguration")
            assert rule["defaultConfiguration"]["level"] in LEVELS
        tags = rule.get("properties", {}).get("tags", [])
        assert len(tags) == len(set(tags)) and all(isinstance(t, str) for t in tags)
    assert len(ids) == len(set(ids)), "rule ids must be unique"
    assert run.get("columnKind") in (None, "utf16CodeUnits", "unicodeCodePoints")
    for invocation in run.get("invocations", []):
        _obj(invocation, "invocation", ("executionSuccessful",))
        assert isinstance(invocation["executionSuccessful"], bool)
        assert DATE_TIME_RE.match(invocation["endTimeUtc"])
        for note in invocation.get("toolExecutionNotifications", []):
            _obj(note, "notification", ("message",))
            _message(note["message"])
            assert note.get("level", "warning") in LEVELS
            _locations(note.get("locations", []))
    if "automationDetails" in run:
        _obj(run["automationDetails"], "runAutomationDetails")
    for result in run.get("results", []):
        _obj(result, "result", ("message",))
        _message(result["message"])
        template = rules[result["ruleIndex"]]["messageStrings"][result["message"]["id"]]["text"]
        arguments = result["message"]["arguments"]
        assert all(isinstance(a, str) for a in arguments)
        assert result["message"]["text"] == template.format(*arguments)
        assert isinstance(result["ruleId"], str)
        assert isinstance(result["ruleIndex"], int) and 0 <= result["ruleIndex"] < len(rules)
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"], "ruleIndex must point at the rule with that id"
        assert result["level"] in LEVELS
        _locations(result["locations"])
        assert all(isinstance(v, str) for v in result.get("partialFingerprints", {}).values())
        for suppression in result.get("suppressions", []):
            _obj(suppression, "suppression", ("kind",))
            assert suppression["kind"] in ("inSource", "external")
            assert suppression.get("status", "accepted") in ("accepted", "underReview", "rejected")
            assert isinstance(suppression.get("justification", ""), str)
    return run


def _render(report, entries=None):
    data = sarif_report.render(report, entries)
    return check_sarif(json.loads(data.decode("utf-8")))


CATALOG = [
    {"id": "kaspersky.kesl", "vendor": "Kaspersky", "product": "Kaspersky Endpoint Security for Linux",
     "family": "kaspersky", "category": "banned", "confidence": "high",
     "sources": ["footprint §2: https://support.kaspersky.com/KES4Linux/12.2.0/en-US/273064.htm (packages)",
                 "https://example.org/second"]},
    {"id": "kaspersky.kesl_gui", "vendor": "Kaspersky", "product": "KESL GUI", "family": "kaspersky", "category": "banned",
     "confidence": "high", "sources": ["vendor documentation, no URL"]},
    {"id": "ultraav.ultraav", "vendor": "Pango", "product": "UltraAV", "category": "unapproved_successor",
     "confidence": "medium", "sources": ["https://helpnetsecurity.com/2024/09/24/kaspersky-ultraav-handover."]},
    {"id": "clamav", "vendor": "Cisco", "product": "ClamAV", "category": "protection", "sources": []},
    {"id": "kaspersky.old", "disabled": True},
]


def test_structure_with_catalogue_rules(factory):
    report = factory.report()
    run = _render(report, CATALOG)
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["kaspersky.kesl", "kaspersky.kesl_gui", "ultraav.ultraav"]
    kesl = rules[0]
    assert kesl["name"] == "KasperskyKesl"
    assert kesl["shortDescription"]["text"] == "Kaspersky Endpoint Security for Linux found on a host."
    assert kesl["helpUri"] == "https://support.kaspersky.com/KES4Linux/12.2.0/en-US/273064.htm"
    assert kesl["properties"]["category"] == "banned"
    assert kesl["properties"]["confidence"] == "high" and kesl["properties"]["precision"] == "high"
    assert kesl["properties"]["security-severity"] == "9.5"  # the covering policy is critical
    assert kesl["properties"]["policies"] == ["bis-kaspersky-2024"]
    assert "kaspersky" in kesl["properties"]["tags"] and "security" in kesl["properties"]["tags"]
    # no URL in its own sources: the URL of the policy that covers it
    assert rules[1]["name"] == "KasperskyKeslGui"
    assert rules[1]["helpUri"] == "https://regulations.justia.com/x.html"
    assert rules[2]["helpUri"] == "https://helpnetsecurity.com/2024/09/24/kaspersky-ultraav-handover"
    assert rules[2]["defaultConfiguration"]["level"] == "warning"
    driver = run["tool"]["driver"]
    assert driver["name"] == "fleetsec.banned_av" and driver["version"] == "1.0.0"
    assert driver["informationUri"].startswith("https://")


def test_one_result_per_finding_per_host(factory):
    hosts = [factory.host("a", "noncompliant", findings=[factory.finding(), factory.finding(id="kaspersky.kesl_gui")]),
             factory.host("b", "noncompliant"), factory.host("c", "compliant")]
    run = _render(factory.report(hosts), CATALOG)
    results = run["results"]
    assert [(r["properties"]["host"], r["ruleId"]) for r in results] == [
        ("a", "kaspersky.kesl"), ("a", "kaspersky.kesl_gui"), ("b", "kaspersky.kesl")]
    first = results[0]
    assert first["locations"][0]["logicalLocations"][0] == {"name": "a", "fullyQualifiedName": "host/a",
                                                            "kind": "resource"}
    assert first["locations"][0]["physicalLocation"] == {"artifactLocation": {"uri": "hosts/a"}, "region": {"startLine": 1}}
    props = first["properties"]
    assert props["status"] == "noncompliant"
    assert props["version"] == "12.1.0.1297"
    assert props["signatures_date"] == "2024-09-05"
    assert props["evidence"] == ["package: kesl 12.1.0.1297 (dpkg: install ok installed)", "unit: kesl.service (active)"]
    assert first["message"]["text"] == (
        "Host 'a' has 'Kaspersky Endpoint Security for Linux' version '12.1.0.1297', state 'installed'; verdict "
        "'violation' under policy 'bis-kaspersky-2024'; signatures from '2024-09-05'; host status 'noncompliant'.")
    # the same host and product give the same fingerprint, another host another one
    assert first["partialFingerprints"] != results[2]["partialFingerprints"]


def test_rules_derived_from_findings_without_catalogue(factory):
    one_two = [factory.finding(id="x.one", product="One"), factory.finding(id="x.two", product="Two")]
    hosts = [factory.host("a", "noncompliant", findings=one_two),
             factory.host("b", "noncompliant", findings=[factory.finding(id="x.two", product="Two")])]
    run = _render(factory.report(hosts))
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["x.one", "x.two"]
    assert [r["ruleIndex"] for r in run["results"]] == [0, 1, 1]


def test_finding_missing_from_catalogue_gets_a_rule(factory):
    hosts = [factory.host("a", "noncompliant", findings=[factory.finding(id="site.custom", product="Custom AV")])]
    run = _render(factory.report(hosts), CATALOG)
    rules = run["tool"]["driver"]["rules"]
    assert rules[-1]["id"] == "site.custom" and rules[-1]["name"] == "SiteCustom"
    assert "Custom AV" in rules[-1]["help"]["text"] and "no removal steps" in rules[-1]["help"]["text"]
    assert run["results"][0]["ruleIndex"] == len(rules) - 1


@pytest.mark.parametrize("verdict,level", [
    ("violation", "error"), ("waiver_expired", "error"), ("warning", "warning"), ("waived", "note"),
    ("residue", "note"), ("info", "note"),
])
def test_levels(factory, verdict, level):
    run = _render(factory.report([factory.host("a", "noncompliant", findings=[factory.finding(verdict=verdict)])]))
    assert run["results"][0]["level"] == level


def test_waived_finding_is_suppressed_with_justification(factory):
    host = factory.host("w", "waived", waiver={"id": "WVR-7", "owner": "ana", "ticket": "SEC-4411",
                                               "expires": "2026-12-15", "reason": "lab appliance migration",
                                               "expired": False})
    result = _render(factory.report([host]))["results"][0]
    assert result["level"] == "note"
    assert result["suppressions"] == [{
        "kind": "external", "status": "accepted",
        "justification": "lab appliance migration (ticket SEC-4411, owner ana, expires 2026-12-15)"}]
    plain = _render(factory.report([factory.host("n", "noncompliant")]))["results"][0]
    assert "suppressions" not in plain


def test_invocation_reports_hosts_that_could_not_be_checked(factory):
    ok = _render(factory.report([factory.host("a", "compliant")]))
    assert ok["invocations"][0]["executionSuccessful"] is True
    assert ok["invocations"][0]["endTimeUtc"] == "2026-11-27T23:59:59Z"
    bad = _render(factory.report([factory.host("m", "unknown", reasons=["unreachable: timeout"])]))
    invocation = bad["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert "unreachable: timeout" in invocation["toolExecutionNotifications"][0]["message"]["text"]


def test_hostile_names_survive(factory):
    host = factory.host(factory.MARKUP_HOST, "noncompliant", findings=[factory.finding(product=factory.FRENCH_PRODUCT)])
    data = sarif_report.render(factory.report([host]))
    run = check_sarif(json.loads(data.decode("utf-8")))
    assert run["results"][0]["properties"]["host"] == factory.MARKUP_HOST
    assert factory.FRENCH_PRODUCT in run["tool"]["driver"]["rules"][0]["shortDescription"]["text"]


def test_builtin_catalogue_gives_one_rule_per_finding_product(factory, catalog):
    run = _render(factory.report(), catalog.entries)
    rules = run["tool"]["driver"]["rules"]
    expected = [e["id"] for e in catalog.entries if e["category"] != "protection"]
    assert [r["id"] for r in rules] == expected
    by_id = dict((e["id"], e) for e in catalog.entries)
    for rule in rules:
        own = [re.search(r"https?://[^\s\"'<>()]+", s) for s in by_id[rule["id"]]["sources"]]
        own = [m.group(0).rstrip(".,;:") for m in own if m]
        if own:
            assert rule["helpUri"] == own[0], rule["id"]
        assert rule["properties"]["category"] == by_id[rule["id"]]["category"]


def test_rule_help_explains_what_why_how_and_sources(factory, catalog):
    """The help of a rule (text and Markdown) says what the product is, which policy bans it from
    when, how the collection removes it, and cites its sources and the policy's."""
    version, policies = policy.load_policies()
    report = factory.report(policies=policies)
    rules = dict((r["id"], r) for r in _render(report, catalog.entries)["tool"]["driver"]["rules"])
    kesl = rules["kaspersky.kesl"]
    for body in (kesl["help"]["text"], kesl["help"]["markdown"].replace("\\", "")):
        assert "Kaspersky Endpoint Security for Linux" in body and "a product banned for US persons" in body
        assert "BIS Final Determination on Kaspersky Lab (89 FR 52434) (bis-kaspersky-2024)" in body
        assert "enforced from 2024-09-29" in body and "severity critical" in body and "a violation from that date" in body
        assert "purges the packages kesl" in body and "stops and disables the units kesl.service, kesl-supervisor.service" in body
        assert "deletes /opt/kaspersky/kesl" in body
        assert "first makes an approved replacement healthy" in body
        assert "https://support.kaspersky.com/KES4Linux/12.2.0/en-US/273064.htm" in body
        assert "https://regulations.justia.com/regulations/fedreg/2024/06/24/2024-13532.html" in body
    assert "**Why it is reported.**" in kesl["help"]["markdown"] and "**Sources**" in kesl["help"]["markdown"]
    assert "BIS Final Determination" in kesl["fullDescription"]["text"]
    windows = rules["kaspersky.kes_windows"]["help"]["text"]
    assert "msiexec /x" in windows and "uninstall password" in windows
    ultraav = rules["pango.ultraav"]
    assert "set to warn" in ultraav["help"]["text"] and ultraav["properties"]["security-severity"] == "8.0"
    other = rules["kaspersky.other"]["help"]["text"]
    assert "not removed automatically" in other


def test_rule_without_policy_or_sources(factory):
    entry = {"id": "site.av", "product": "Site AV", "category": "oem", "removal": {"packages": ["siteav"]}}
    run = _render(factory.report([factory.host("h", "noncompliant", findings=[factory.finding(id="site.av")])],
                                 policies=[]), [entry])
    rule = run["tool"]["driver"]["rules"][0]
    assert "No policy of this report covers it" in rule["help"]["text"] and "fail closed" in rule["help"]["text"]
    assert rule["helpUri"] == "https://example.invalid/fleetsec/banned_av/docs/catalog.md"
    assert rule["properties"]["policies"] == []


def test_markdown_help_escapes_catalogue_values(factory):
    entry = {"id": "x.y", "product": "<img src=x> *bold* [link](javascript:1)", "category": "banned",
             "sources": ["`code` | pipe https://ok.example/doc"]}
    rule = _render(factory.report([]), [entry])["tool"]["driver"]["rules"][0]
    markdown_it = pytest.importorskip("markdown_it")
    tokens = markdown_it.MarkdownIt("commonmark").parse(rule["help"]["markdown"])
    kinds = set(t.type for t in tokens) | set(c.type for t in tokens for c in t.children or [])
    assert not kinds & {"html_block", "html_inline", "em_open", "link_open", "code_inline", "image"}, kinds
    assert "strong_open" in kinds  # the help's own headings
    text = "".join(c.content for t in tokens for c in t.children or [] if c.type == "text")
    assert "<img src=x> *bold* [link](javascript:1)" in text


@pytest.mark.parametrize("rule_id,name", [
    ("kaspersky.kesl_gui", "KasperskyKeslGui"), ("pango.ultraav", "PangoUltraav"), ("kaspersky.kav4fs", "KasperskyKav4fs"),
    ("a.b", "Productab"), ("x.10", "X10"), ("9lives", "Product9lives"), ("", "Product"), ("---", "Product"),
])
def test_rule_names_are_pascal_case(rule_id, name):
    assert sarif_rules.pascal_name(rule_id) == name
    assert PASCAL_RE.match(name)


@pytest.mark.parametrize("host,uri", [
    ("web01.example.com", "hosts/web01.example.com"), ("..", "hosts/~.."), (".", "hosts/~."), ("", "hosts/~"),
    ("../../etc/passwd", "hosts/..%2F..%2Fetc%2Fpasswd"), ("~..", "hosts/%7E.."), ("a b?#\\", "hosts/a%20b%3F%23%5C"),
    (u"h\u00f6st", "hosts/h%C3%B6st"), (u"x\ud800", "hosts/x%3F"),
])
def test_a_host_is_located_as_one_path_segment_under_hosts(host, uri):
    assert sarif_report.host_uri(host) == uri


def test_unknown_hosts_are_notifications_located_like_results(factory):
    run = _render(factory.report([factory.host("gone", "unknown", reasons=["unreachable: timed out"])]))
    note = run["invocations"][0]["toolExecutionNotifications"][0]
    assert note["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "hosts/gone"
    assert note["level"] == "error"


def test_mixed_slices_are_shown(factory):
    hosts = [factory.host("a", "noncompliant", slice=1)]
    report = factory.report(hosts, run={"conflicts": {"as_of": ["2026-11-27", "2026-11-28"]},
                                        "slices": [{"as_of": "2026-11-27"}, {"as_of": "2026-11-28", "policy_version": "p"}]})
    run = _render(report)
    assert run["properties"]["mixed"] == {"as_of": ["2026-11-27", "2026-11-28"]}
    assert run["results"][0]["properties"]["judged_by"] == {"as_of": "2026-11-28", "policy_version": "p",
                                                            "catalog_version": None}
    plain = _render(factory.report())
    assert plain["properties"]["mixed"] is None and "judged_by" not in plain["results"][0]["properties"]


# ---------------------------------------------------------------- hostile values in every field

class _Str(str):
    """A str subclass whose str() differs from its content."""

    def __str__(self):
        return "other"


# values that break naive writers or fast paths: JSON escapes, control characters, whitespace
# runs, separators, non-ASCII, lone surrogates, non-str values (all hashable: an unhashable
# verdict is an error, see below)
HOSTILE_VALUES = [
    None, "", " ", "plain", "violation", "waived", "waiver_expired", "warning", "residue", "ok", "critical", "high",
    "unknown", "=1+2", "-1", "'q", "\x00", "nu\x00l", "a,b", 'say "hi"', '"', "back\\slash", "\\u0000", "\\n",
    "line\nbreak", "cr\rlf\r\n", "  two  spaces  ", " lead", "trail ", "tab\there", "\x0b\x0c\x1c\x1f\x7f",
    "\x85\u2028\u2029\xa0\u3000", "h\u00f6st-\u00fc", "\u65e5\u672c", "\U0001f600", "\ud800", "x\udfffy",
    "</script>", "a | b", "x; y", "https://example.org/x.", 0, 1, -1, 12.5, float("nan"), float("inf"), True, False,
    b"by\xfftes", ("t", 1), frozenset(), datetime.date(2026, 11, 27), datetime.datetime(2026, 11, 27, 12, 0),
    _Str("sub \"str\""), _Str("waived"),
]
# also allowed where the writer only formats or dumps the value
ANY_VALUES = HOSTILE_VALUES + [["l1", 2, None], {"k": "v", 1: None, "n": [1.5, {"x": "\n"}]}, {}, []]


def _hostile_evidence(rng):
    pick = rng.choice
    kinds = [lambda: {"kind": pick(ANY_VALUES), "value": pick(ANY_VALUES)},
             lambda: {"value": pick(ANY_VALUES)}, lambda: {"kind": pick(ANY_VALUES)}, lambda: {},
             lambda: {"kind": "package", "value": "pkg " * rng.randint(1, 40)},
             lambda: {"kind": "file", "value": "/opt/kaspersky/%d, (active)" % rng.randint(0, 99)},
             lambda: pick(ANY_VALUES)]
    return [pick(kinds)() for _i in range(rng.randint(0, 14))]


def _hostile_report(rng, statuses):
    pick = rng.choice
    hosts = []
    for index in range(60):
        findings = []
        for _i in range(rng.choice((0, 0, 1, 3))):
            keys = ("vendor", "product", "category", "version", "signatures_date", "policy", "installed", "confidence", "family")
            finding = dict((key, pick(ANY_VALUES)) for key in keys if rng.random() < 0.85)
            if rng.random() < 0.85:
                finding["id"] = pick(ANY_VALUES + ["kaspersky.kesl", "x.one", "x.one", "site.custom"])
            if rng.random() < 0.85:
                finding["verdict"] = pick(HOSTILE_VALUES)
            if rng.random() < 0.9:
                finding["evidence"] = pick([_hostile_evidence(rng), None, "str evidence", {"kind": "k"}])
            findings.append(finding)
        host = {"name": pick(ANY_VALUES), "status": statuses[index % len(statuses)],
                "severity": pick(["critical", "high", "low", None] + HOSTILE_VALUES[:12]),
                "reasons": pick([None, [], [pick(ANY_VALUES) for _i in range(3)], ["one reason"], "chars"]),
                "findings": pick([findings, findings, None]),
                "waiver": pick([None, {}, dict((k, pick(ANY_VALUES)) for k in ("ticket", "expires", "owner", "reason"))])}
        for key in list(host):
            if rng.random() < 0.05:
                del host[key]  # missing keys
        hosts.append(host)
    run = dict((key, pick(ANY_VALUES)) for key in ("collection_version", "catalog_version", "policy_version", "as_of",
                                                   "awx_job_id", "play"))
    return {"hosts": hosts, "run": pick([run, {}, None]), "generated_at": pick(ANY_VALUES), "summary": pick(ANY_VALUES),
            "sha256": pick(ANY_VALUES)}


STATUSES_AND_UNKNOWN = list(policy.STATUSES) + ["exploded", None]
HOSTILE_CATALOG = CATALOG + [
    {"id": "x.one", "product": "One\n\"1\"", "vendor": "V\u00e9, \x00", "category": "oem", "sources": ["http://a.b/c,", 7]},
    {"id": "x.one", "product": "duplicate id"},
    {"id": 12, "product": None, "category": "banned", "confidence": None, "family": ["f"]},
    {"id": "", "product": "no id"}, "not a dict", None,
]


def _check_hostile(report, entries=None):
    """Any report gives a structurally valid log with one result per finding (dict) of every host,
    each pointing at a rule with its id, and one notification per unknown host."""
    data = sarif_report.render(report, catalog_entries=entries)
    run = check_sarif(json.loads(data.decode("utf-8")))
    findings = [f for h in report.get("hosts") or [] for f in h.get("findings") or [] if isinstance(f, dict)]
    assert len(run["results"]) == len(findings)
    unknown = [h for h in report.get("hosts") or [] if h.get("status") == "unknown"]
    notes = run["invocations"][0].get("toolExecutionNotifications", [])
    assert len(notes) == len(unknown)
    assert run["invocations"][0]["executionSuccessful"] is (not unknown)


def test_hostile_values_in_every_field(factory):
    for value in ANY_VALUES:
        finding = dict((key, value) for key in ("policy", "id", "vendor", "product", "category", "version",
                                                "signatures_date", "installed", "confidence", "family"))
        finding["verdict"] = value if value in HOSTILE_VALUES else "waived"
        finding["evidence"] = [{"kind": value, "value": value}, value, {"kind": "k", "value": value}]
        waiver = {"ticket": value, "expires": value, "owner": value, "reason": value}
        hosts = [
            {"name": value, "status": value, "severity": value, "reasons": [value, value], "waiver": waiver,
             "findings": [finding]},
            {"name": value, "status": "waived", "severity": value, "reasons": [value], "waiver": waiver, "findings": [finding]},
            {"name": value, "status": "unknown", "reasons": [value]},
            {"name": value},
        ]
        run = dict((key, value) for key in ("collection_version", "catalog_version", "policy_version", "as_of",
                                            "awx_job_id", "play"))
        for entries in (None, CATALOG):
            _check_hostile({"hosts": hosts, "run": run, "generated_at": "2026-11-27T23:59:59Z", "summary": value,
                            "sha256": value}, entries)


def test_random_hostile_reports(catalog):
    rng = random.Random(20261127)
    for _i in range(60):
        report = _hostile_report(rng, STATUSES_AND_UNKNOWN)
        report["generated_at"] = "2026-11-27T23:59:59Z"
        _check_hostile(report, rng.choice([None, CATALOG, HOSTILE_CATALOG, catalog.entries]))


def test_an_unlisted_product_gets_the_rule_of_its_catch_all_entry(factory):
    """A product named only by a vendor's markers (id "<catch-all>:<slug>", catalog_id the catch-all
    entry) gets its own rule, with the catch-all's sources and removal, and the policies that
    cover the catch-all by product id cover it too (policy.py, covers.products)."""
    catch_all = {"id": "kaspersky.other", "product": "Kaspersky software (not identified more precisely)",
                 "vendor": "Kaspersky", "family": "kaspersky", "category": "banned", "confidence": "medium",
                 "sources": ["https://example.org/kaspersky-markers"],
                 "removal": {"method": "manual", "notes": "review the evidence"}}
    policy = {"id": "site-kaspersky", "title": "Site ban", "enforcement_date": "2024-09-29", "severity": "high",
              "action": "enforce", "covers": {"categories": ["banned"], "products": ["kaspersky.other"]},
              "sources": ["https://example.org/site-policy"]}
    finding = factory.finding(id="kaspersky.other:kuma", catalog_id="kaspersky.other", product="KUMA", family="kaspersky",
                              confidence="medium", unlisted=True)
    run = _render(factory.report([factory.host("h", "noncompliant", findings=[finding])], policies=[policy]), [catch_all])
    rules = dict((r["id"], r) for r in run["tool"]["driver"]["rules"])
    rule = rules["kaspersky.other:kuma"]
    assert run["results"][0]["ruleId"] == "kaspersky.other:kuma"
    assert rule["name"] == "KasperskyOtherKuma" and rule["shortDescription"]["text"] == "KUMA found on a host."
    assert rule["helpUri"] == "https://example.org/kaspersky-markers"
    assert "not removed automatically" in rule["help"]["text"] and "Site ban (site-kaspersky)" in rule["help"]["text"]
    assert rule["properties"]["policies"] == ["site-kaspersky"]
