# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rules (``reportingDescriptor`` objects) of the SARIF report, built from catalogue entries.

A rule tells the reader of a code-scanning alert what the product is, why it is reported
(the policies of the report that cover it: where they apply, their date, severity and action), how this collection
removes it (the entry's ``removal`` data) and where that knowledge comes from (the entry's and
the policy's sources).  That goes to ``fullDescription`` (one paragraph), ``help.text`` and
``help.markdown`` (GitHub code scanning shows the Markdown help on every alert of the rule) and
``helpUri``: the first URL in the entry's sources, else in its most severe policy's, else the
collection's catalogue documentation.

Conventions of the SARIF Multitool: ``name`` is a Pascal-case identifier made from the id
(``kaspersky.kesl_gui`` -> ``KasperskyKeslGui``); ``id`` stays the catalogue id, the key that
identifies a product everywhere else in this collection (a tool prefix with a number, the
Multitool's other suggestion, would need a number catalogued for every product).
``properties`` carries ``tags`` (with ``security``), ``precision`` (from the entry's
confidence) and ``security-severity`` (from the most severe covering policy), which GitHub uses to
classify and rank the alerts.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.fleetsec.banned_av.plugins.module_utils import vocabulary
from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports.common import one_line, text

# galaxy.yml `documentation`
CATALOG_DOC_URI = "https://example.invalid/fleetsec/banned_av/docs/catalog.md"

_URL_RE = re.compile(r"https?://[^\s\"'<>()]+")
_WORD_RE = re.compile(r"[A-Za-z0-9]+")
_PASCAL_RE = re.compile(r"^(?:[A-Z][a-z0-9]+)+$")
_MD_SPECIAL_RE = re.compile(r"([\\`*_\[\]<>~&|#])")

CATEGORY_TEXT = {
    "banned": "a product banned for US persons",
    "oem": "a product built on a banned vendor's engine (OEM)",
    "unapproved_successor": "a product installed in place of a banned one without the owner's consent",
}
# The message of every result (SARIF: the rule's "default" message string, with the result's
# arguments; every argument quoted, the sentence ends with a period).  Arguments: host, product,
# version, "installed" or "residue only", verdict, policy, signatures date, host status.
MESSAGE = ("Host '{0}' has '{1}' version '{2}', state '{3}'; verdict '{4}' under policy '{5}'; "
           "signatures from '{6}'; host status '{7}'.")

# GitHub code scanning: security-severity (0.0-10.0) ranks alerts as critical (>= 9.0), high, medium, low
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}
PRECISION = {"high": "high", "medium": "medium", "low": "low"}

_ACTIONS = {
    "enforce": "a violation from that date",
    "warn": "a warning (the policy is set to warn)",
    "info": "named for information only (the policy is set to info)",
}
_METHODS = {
    "msi": "uninstalled with msiexec /x, once per MSI ProductCode read from the Uninstall registry keys at run time",
    "reboot": "unloaded by a reboot once the product that installed it is removed",
    "vendor": "removed with the uninstaller of the product it is embedded in",
    "manual": "not removed automatically: remove it by hand after reviewing the evidence, or catalogue it precisely",
}
_STEPS = (
    ("units", "stops and disables the units %s"),
    ("uninstall_script", "runs the vendor uninstall script %s"),
    ("launchd", "unloads the launchd items matching %s"),
    ("packages", "purges the packages %s"),
    ("kernel_modules", "unloads the kernel modules %s"),
    ("paths", "deletes %s"),
    ("receipts", "forgets the installer receipts matching %s"),
    ("groups", "deletes the groups %s"),
)


def first_url(sources):
    """The first http(s) URL in a list of source citations, or None."""
    for source in sources or ():
        match = _URL_RE.search(text(source))
        if match:
            return match.group(0).rstrip(".,;:")
    return None


def pascal_name(rule_id):
    """A Pascal-case identifier from a rule id: ``kaspersky.kesl_gui`` -> ``KasperskyKeslGui``."""
    name = "".join(word[:1].upper() + word[1:].lower() for word in _WORD_RE.findall(text(rule_id)))
    if not _PASCAL_RE.match(name):  # empty, a word of one letter, a word that starts with a digit
        name = "Product" + "".join(_WORD_RE.findall(text(rule_id))).lower()
    return name if _PASCAL_RE.match(name) else "Product"


def covering_policies(policies, entry):
    """The report's policies that cover a catalogue entry, most severe first: by the entry's
    category, family and id (or, for an unlisted product, the id of its catch-all entry,
    ``catalog_id``), as ``policy.py`` matches a finding (``covers``); malformed policies (a
    hand-edited or foreign report) are ignored."""
    found = []
    for policy in policies or ():
        covers = policy.get("covers") if isinstance(policy, dict) else None
        if not isinstance(covers, dict) or not isinstance(covers.get("categories"), list):
            continue
        if entry.get("category") not in covers["categories"]:
            continue
        if covers.get("families") and entry.get("family") not in covers["families"]:
            continue
        if covers.get("products") and not (entry.get("id") in covers["products"]
                                           or entry.get("catalog_id") in covers["products"]):
            continue
        found.append(policy)
    return sorted(found, key=lambda p: vocabulary.SEVERITY_RANK.get(p.get("severity"), len(vocabulary.SEVERITIES)))


def _md(value):
    return _MD_SPECIAL_RE.sub(r"\\\1", one_line(value))


def _listed(values):
    if isinstance(values, (list, tuple)):
        return ", ".join(one_line(v) for v in values)
    return one_line(values)


def _covered_by(policy):
    grace = policy.get("grace_days") or 0
    applies = policy.get("applies_to") if isinstance(policy.get("applies_to"), dict) else {}
    scope = "; ".join("%s %s" % (what, _listed(applies[key])) for key, what in (
        ("jurisdictions", "jurisdictions"), ("groups", "groups")) if applies.get(key))
    action = _ACTIONS.get(policy.get("action"), "judged by its action %s" % one_line(policy.get("action")))
    return "%s (%s)%s: enforced from %s%s, severity %s; it is %s" % (
        one_line(policy.get("title") or policy.get("id")), one_line(policy.get("id")),
        " for hosts in %s" % scope if scope else "", one_line(policy.get("enforcement_date")),
        " plus %s days of grace" % one_line(grace) if grace else "", one_line(policy.get("severity")), action)


def _why(entry, policies):
    category = text(entry.get("category")) or "banned"
    if not policies:
        if category == "unapproved_successor":
            return "No policy of this report covers it; it is reported as a warning."
        return ("No policy of this report covers it; a catalogued %s product is reported as a violation anyway "
                "(fail closed)." % category)
    return "It is covered by %s." % "; and by ".join(_covered_by(p) for p in policies)


def _how(entry):
    removal = entry.get("removal") if isinstance(entry.get("removal"), dict) else None
    if not removal:
        return ("This collection has no removal steps for it in the catalogue: remove it by hand, then audit "
                "again.")
    steps = ["%s" % (template % _listed(removal[key])) for key, template in _STEPS if removal.get(key)]
    method = removal.get("method")
    if method:
        steps.insert(0, _METHODS.get(method, "removed by method %s" % one_line(method)))
    if removal.get("credential"):
        steps.append("uses the product's uninstall password when it is password-protected (a secret, never logged)")
    how = ("The enforce playbook (fleetsec.banned_av.enforce) first makes an approved replacement healthy; only "
           "then is the product removed: %s. It then detects again and checks that the replacement is active."
           % "; ".join(steps or ["as the catalogue's removal data says"]))
    if removal.get("notes"):
        how += " Note: %s" % one_line(removal.get("notes"))
    return how


def _what(entry):
    product = one_line(entry.get("product") or entry.get("id"))
    vendor = one_line(entry.get("vendor"))
    category = text(entry.get("category")) or "banned"
    platforms = _listed(entry.get("platforms")) if entry.get("platforms") else ""
    return "%s%s is %s (catalogue entry %s%s)." % (
        product, " (%s)" % vendor if vendor and vendor not in product else "",
        CATEGORY_TEXT.get(category, "a catalogued product"), one_line(entry.get("id")),
        "; platforms: %s" % platforms if platforms else "")


def _help(what, why, how, sources):
    plain = "%s\n\nWhy it is reported: %s\n\nHow it is removed: %s\n" % (what, why, how)
    markdown = "%s\n\n**Why it is reported.** %s\n\n**How it is removed.** %s\n" % (_md(what), _md(why), _md(how))
    if sources:
        plain += "\nSources:\n%s\n" % "\n".join("- %s" % one_line(s) for s in sources)
        markdown += "\n**Sources**\n\n%s\n" % "\n".join("- %s" % _md(s) for s in sources)
    return {"text": plain, "markdown": markdown}


def rule(entry, policies=None):
    """The ``reportingDescriptor`` of one catalogue entry (or of an entry derived from a finding)."""
    rule_id = text(entry.get("id"))
    product = one_line(entry.get("product") or rule_id)
    category = text(entry.get("category")) or "banned"
    covering = covering_policies(policies, entry)
    policy = covering[0] if covering else None  # the most severe: severity, helpUri
    what, why, how = _what(entry), _why(entry, covering), _how(entry)
    sources = [s for s in entry.get("sources") or () if one_line(s)]
    for covered in covering:
        sources += ["%s (policy %s)" % (one_line(s), one_line(covered.get("id"))) for s in covered.get("sources") or ()]
    tags = ["security", "antivirus", category]
    family = one_line(entry.get("family") or rule_id.split(".")[0])
    if family and family not in tags:
        tags.append(family)
    severity = text((policy or {}).get("severity")) or ("medium" if category == "unapproved_successor" else "high")
    return {
        "id": rule_id,
        "name": pascal_name(rule_id),
        "shortDescription": {"text": "%s found on a host." % product},
        "fullDescription": {"text": "%s %s" % (what, why)},
        "help": _help(what, why, how, sources),
        "helpUri": first_url(entry.get("sources")) or first_url((policy or {}).get("sources")) or CATALOG_DOC_URI,
        "messageStrings": {"default": {"text": MESSAGE}},
        "defaultConfiguration": {"level": "warning" if category == "unapproved_successor" else "error"},
        "properties": {
            "category": category, "confidence": text(entry.get("confidence")) or "low", "tags": tags,
            "precision": PRECISION.get(text(entry.get("confidence")), "low"),
            "security-severity": SECURITY_SEVERITY.get(severity, "5.5"),
            "policies": [p.get("id") for p in covering],
        },
    }
