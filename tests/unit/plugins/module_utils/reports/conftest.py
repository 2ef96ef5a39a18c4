# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A small factory of report documents for the report-writer tests."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

import pytest

from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports.common import summarize

SCHEMA = "fleetsec.banned_av/report/v1"
# names that break naive writers: separators, quotes, line breaks, markup, non-ASCII
HOSTILE_HOST = u'h\u00f6st-\u00fc,"1"'
MULTILINE_HOST = u"line1\nline2\r\n\u00e9t\u00e9"
MARKUP_HOST = u"<script>alert(1)</script> & 'x'"
FRENCH_PRODUCT = u"Agent d'administration de Kaspersky Security Center"

_FINDING = {
    "id": "kaspersky.kesl", "vendor": "Kaspersky", "product": "Kaspersky Endpoint Security for Linux",
    "category": "banned", "installed": True, "version": "12.1.0.1297", "signatures_date": "2024-09-05",
    "confidence": "high", "policy": "bis-kaspersky-2024", "verdict": "violation",
    "evidence": [{"kind": "package", "name": "kesl", "version": "12.1.0.1297", "manager": "dpkg",
                  "status": "install ok installed", "arch": "amd64"},
                 {"kind": "unit", "name": "kesl.service", "path": "/lib/systemd/system/kesl.service", "state": "active"}],
}


class Factory:
    SCHEMA = SCHEMA
    HOSTILE_HOST = HOSTILE_HOST
    MULTILINE_HOST = MULTILINE_HOST
    MARKUP_HOST = MARKUP_HOST
    FRENCH_PRODUCT = FRENCH_PRODUCT

    @staticmethod
    def finding(**changes):
        out = copy.deepcopy(_FINDING)
        out.update(changes)
        return out

    @staticmethod
    def host(name="web01", status="noncompliant", findings=None, **changes):
        if findings is None:
            verdicts = {"noncompliant": "violation", "blocked": "violation", "waived": "waived",
                        "warning": "warning", "waiver_expired": "waiver_expired"}
            findings = [Factory.finding(verdict=verdicts[status])] if status in verdicts else []
        out = {
            "name": name, "status": status,
            "severity": "critical" if status in ("noncompliant", "waiver_expired", "blocked") else None,
            "reasons": ["%s: %s" % (f["id"], f["verdict"]) for f in findings],
            "findings": findings,
            "protection": [{"id": "clamav", "product": "ClamAV", "present": True, "active": True, "approved": True}],
            "waiver": None, "remediation": None, "platform": "linux",
            "collected_at": "2026-11-27T23:00:00Z", "days_left": None,
        }
        out.update(changes)
        return out

    @staticmethod
    def signed(report):
        """A copy of ``report`` with its ``sha256``, as the writer sets it."""
        from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports.json_report import digest
        return dict(report, sha256=digest(report))

    @staticmethod
    def report(hosts=None, **changes):
        if hosts is None:
            hosts = [Factory.host("web01", "noncompliant"), Factory.host("db02", "compliant"),
                     Factory.host("app03", "waived", findings=[Factory.finding(verdict="waived")],
                                  waiver={"id": "WVR-1", "owner": "ops", "ticket": "SEC-1", "expires": "2026-12-10",
                                          "reason": "migration", "expired": False}),
                     Factory.host("mac04", "unknown", reasons=["unreachable: timed out"])]
        run = {"ansible_version": "2.19.4", "collection_version": "1.0.0", "catalog_version": "2026.11.27",
               "policy_version": "2026.11.27", "as_of": "2026-11-27", "awx_job_id": "1234",
               "awx_job_template": "audit", "play": "audit", "check_mode": False, "user": "ops"}
        run.update(changes.pop("run", {}))
        out = {
            "schema": SCHEMA, "generated_at": "2026-11-27T23:59:59Z", "run": run,
            "policies": [{"id": "bis-kaspersky-2024", "title": "BIS", "enforcement_date": "2024-09-29", "grace_days": 0,
                          "severity": "critical", "action": "enforce",
                          "covers": {"categories": ["banned", "oem"], "families": ["kaspersky"]},
                          "sources": ["https://regulations.justia.com/x.html (Final Determination)"]}],
            "summary": summarize(hosts), "hosts": hosts,
        }
        out.update(changes)
        return out


@pytest.fixture
def factory():
    return Factory
