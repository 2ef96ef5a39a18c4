# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render the sample dashboard used by test_html_dashboard.py.

    PYTHONPATH=<collections root> python tests/integration/browser/render_dashboard.py [OUT.html]

The sample has 12 hosts covering every status, non-ASCII and CSV-hostile names, and two
hostile host names (a ``<script>`` element and an ``<img onerror>`` handler) that must show
as text and never run.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import sys

from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports import html_report, json_report
from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports.common import summarize

SCRIPT_HOST = "<script>alert(1)</script>"
IMG_HOST = "<img src=x onerror=\"document.body.setAttribute('data-pwned','1')\">"
NONASCII_HOST = u'h\u00f6st-\u00fc,"1"'

KESL = {
    "id": "kaspersky.kesl", "vendor": "Kaspersky", "product": "Kaspersky Endpoint Security for Linux",
    "category": "banned", "installed": True, "version": "12.1.0.1297", "signatures_date": "2024-09-05",
    "confidence": "high", "policy": "bis-kaspersky-2024", "verdict": "violation",
    "evidence": [{"kind": "package", "name": "kesl", "version": "12.1.0.1297", "manager": "dpkg",
                  "status": "install ok installed", "arch": "amd64"},
                 {"kind": "unit", "name": "kesl.service", "state": "active"}],
}
KLNAGENT_WIN = {
    "id": "kaspersky.klnagent_win", "vendor": "Kaspersky",
    "product": u"Agent d'administration de Kaspersky Security Center",
    "category": "banned", "installed": True, "version": "14.0.0.10902", "signatures_date": None,
    "confidence": "high", "policy": "bis-kaspersky-2024", "verdict": "violation",
    "evidence": [{"kind": "uninstall", "name": u"Agent d'administration de Kaspersky Security Center",
                  "version": "14.0.0.10902", "publisher": "AO Kaspersky Lab", "hive": "HKLM", "view": "64",
                  "key": "{9A017278-F7F4-4DF9-A482-0B97B70DD7ED}", "windows_installer": True},
                 {"kind": "service", "name": "klnagent", "state": "running", "start": "auto"}],
}
ULTRAAV = {
    "id": "ultraav.ultraav", "vendor": "Pango", "product": "UltraAV", "category": "unapproved_successor",
    "installed": True, "version": "2.1.6", "signatures_date": None, "confidence": "medium",
    "policy": "unapproved-successor", "verdict": "warning",
    "evidence": [{"kind": "uninstall", "name": "UltraAV", "version": "2.1.6", "hive": "HKLM", "view": "64", "key": "UltraAV"}],
}
CLAMAV = {"id": "clamav", "product": "ClamAV", "present": True, "active": True, "approved": True}
MDATP = {"id": "mdatp", "product": "Microsoft Defender for Endpoint", "present": True, "active": True, "approved": True}


def _finding(base, **changes):
    out = dict(base)
    out.update(changes)
    return out


def _host(name, status, severity=None, reasons=None, findings=None, protection=None, waiver=None,
          remediation=None, platform="linux", days_left=None):
    return {
        "name": name, "status": status, "severity": severity, "reasons": reasons or [],
        "findings": findings or [], "protection": protection if protection is not None else [CLAMAV],
        "waiver": waiver, "remediation": remediation, "platform": platform,
        "collected_at": "2026-11-27T23:5%d:00Z" % (len(name) % 10), "days_left": days_left,
    }


def sample_report():
    hosts = [
        _host("web01", "noncompliant", "critical",
              ["kaspersky.kesl: Kaspersky Endpoint Security for Linux 12.1.0.1297 present after 2024-09-29 "
               "(bis-kaspersky-2024), signatures from 2024-09-05"], [KESL]),
        _host("db02", "compliant", protection=[CLAMAV]),
        _host(NONASCII_HOST, "waived", "critical", ["kaspersky.kesl: waived by WVR-7 until 2026-12-15"],
              [_finding(KESL, verdict="waived")],
              waiver={"id": "WVR-7", "owner": "Jos\u00e9 \u00c5berg", "ticket": "SEC-4411", "expires": "2026-12-15",
                      "reason": "vendor migration of the lab appliance, <scheduled>", "expired": False}),
        _host("win-ws-07", "waiver_expired", "critical",
              ["kaspersky.klnagent_win: waiver WVR-2 expired on 2026-10-31"], [KLNAGENT_WIN],
              waiver={"id": "WVR-2", "owner": "desktop team", "ticket": "SEC-3990", "expires": "2026-10-31",
                      "reason": "kiosk image freeze", "expired": True}, platform="windows", protection=[]),
        _host("mac-design-3", "unknown", None, ["collector failed: ssh: connect to host mac-design-3 port 22: timed out"],
              protection=[], platform="darwin"),
        _host("app03", "remediated", None, ["kaspersky.kesl removed; ClamAV active"], [],
              remediation={"outcome": "remediated",
                           "actions": ["stopped kesl.service", "apt-get purge kesl", "removed /var/opt/kaspersky/kesl"],
                           "before": ["kaspersky.kesl 12.1.0.1297"], "after": []}),
        _host("win-srv-12", "reboot_pending", "critical", ["kaspersky.kes_win removed; reboot required to unload klif.sys"],
              [_finding(KLNAGENT_WIN, id="kaspersky.kes_win", product="Kaspersky Endpoint Security for Windows",
                        installed=False, version=None, verdict="residue",
                        evidence=[{"kind": "driver", "name": "klif", "state": "stopped", "start": "boot"}])],
              remediation={"outcome": "reboot_pending", "actions": ["msiexec /x {GUID} /qn"], "before": [], "after": []},
              platform="windows", protection=[MDATP]),
        _host("lab-kiosk", "blocked", "critical",
              ["kaspersky.kesl: removal blocked: package is held (dpkg hold)"], [KESL],
              remediation={"outcome": "blocked", "actions": ["apt-get purge kesl: E: Held packages were changed"],
                           "before": ["kaspersky.kesl"], "after": ["kaspersky.kesl"]}),
        _host("edge-gw", "degraded", "high", ["no active approved protection after removal"], [],
              protection=[dict(CLAMAV, active=False)]),
        _host("home-laptop", "warning", "high",
              ["ultraav.ultraav: UltraAV 2.1.6 installed without consent (unapproved-successor, action warn)"],
              [ULTRAAV], platform="windows", days_left=12, protection=[MDATP]),
        _host(SCRIPT_HOST, "noncompliant", "critical", ["name says <b>bold</b> & \"quoted\""], [KESL]),
        _host(IMG_HOST, "warning", "high", ["hostile name"], [ULTRAAV], days_left=3),
    ]
    return {
        "schema": json_report.SCHEMA,
        "generated_at": "2026-11-27T23:59:59Z",
        "run": {"ansible_version": "2.19.4", "collection_version": "1.0.0", "catalog_version": "2026.11.27",
                "policy_version": "2026.11.27", "as_of": "2026-11-27", "awx_job_id": "1234",
                "awx_job_template": "Banned AV audit", "play": "audit", "check_mode": False, "user": "ops"},
        "policies": [
            {"id": "bis-kaspersky-2024", "title": "BIS Final Determination on Kaspersky Lab (89 FR 52434)",
             "enforcement_date": "2024-09-29", "grace_days": 0, "severity": "critical", "action": "enforce",
             "sources": ["https://regulations.justia.com/regulations/fedreg/2024/06/24/2024-13532.html "
                         "(Final Determination, 89 FR 52434)"]},
            {"id": "unapproved-successor", "title": "Products installed in place of Kaspersky without the owner's consent",
             "enforcement_date": "2024-09-19", "grace_days": 0, "severity": "high", "action": "warn",
             "sources": ["https://helpnetsecurity.com/2024/09/24/kaspersky-ultraav-handover"]},
        ],
        "summary": summarize(hosts),
        "hosts": hosts,
    }


def trend_report(days=14):
    """The sample with a trend since a previous report: ``days`` daily reports in which the fleet
    moves towards compliance, and two policies with deadlines (one passed, one coming)."""
    report = sample_report()
    statuses = ("noncompliant", "waiver_expired", "unknown", "blocked", "warning", "waived", "compliant")
    history = []
    for day in range(days):
        left = days - day
        counts = dict((s, 0) for s in statuses)
        counts.update(noncompliant=2 + left // 4, waiver_expired=1, unknown=1 + (day % 3 == 1), blocked=1,
                      warning=2 + left // 8, waived=1)
        counts["compliant"] = max(0, len(report["hosts"]) - sum(counts.values()))  # the same 12 hosts each day
        history.append({"generated_at": "2026-11-%02dT06:00:00Z" % (13 + day - (days - 14)), "as_of": None,
                        "sha256": "%064x" % day, "by_status": counts})
    for host in report["hosts"]:
        host["policies"] = ["bis-kaspersky-2024"] + (["au-pspf-002-2025"] if host["platform"] == "windows" else [])
    report["policies"].append({"id": "au-pspf-002-2025", "title": "Australia PSPF Direction 002-2025",
                               "enforcement_date": "2027-01-10", "grace_days": 0, "severity": "high",
                               "action": "enforce", "sources": ["https://www.protectivesecurity.gov.au/"]})
    names = [h["name"] for h in report["hosts"]]
    report["trend"] = {
        "previous": {"generated_at": history[-1]["generated_at"], "as_of": "2026-11-26", "sha256": "%064x" % 99,
                     "hosts": len(names)},
        "fixed": ["app03"], "new_failing": [SCRIPT_HOST, "edge-gw"],
        "still_failing": ["lab-kiosk", "web01", "win-ws-07"], "new_hosts": [IMG_HOST], "gone_hosts": ["old-nas"],
        "counts": {"previous": history[-1]["by_status"], "now": summarize(report["hosts"])["by_status"]},
        "history": history,
    }
    return report


def fleet_report(size):
    """A fleet of ``size`` hosts cycling through the sample's hosts, each with its own name and
    collection time; every 97th host unreachable with its own reason (a profile of its own)."""
    base = sample_report()
    templates = base["hosts"][:10]  # the hostile names stay in the small sample
    hosts = []
    for index in range(size):
        host = dict(templates[index % len(templates)], name="srv-%06d.example.com" % index,
                    collected_at="2026-11-27T%02d:%02d:%02dZ" % (index // 3600 % 24, index // 60 % 60, index % 60))
        if index % 97 == 0:
            host.update(status="unknown", severity="high", findings=[], protection=[],
                        reasons=["unreachable: ssh: connect to host srv-%06d.example.com port 22: timed out" % index])
        hosts.append(host)
    return dict(base, hosts=hosts, summary=summarize(hosts))


def render(path, report=None, **kwargs):
    """Write the dashboard of ``report`` (default: the sample) to ``path``; return the report."""
    report = report or sample_report()
    report = dict(report, sha256=json_report.digest(report))
    data = html_report.render(report, **kwargs)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        os.makedirs(directory)
    with open(path, "wb") as handle:
        handle.write(data)
    return report


if __name__ == "__main__":
    OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join("tests", "output", "dashboard.html")
    render(OUT)
    print(OUT)
