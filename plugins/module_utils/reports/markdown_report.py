# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Markdown summary, short enough to paste into a ticket or a chat message.

Sections: a heading with the one-line verdict ("3 of 4 hosts need action"), run details, a
table of host counts by status, a table of the hosts that need action (``common.NEEDS_ACTION``:
failing statuses, ``warning``, ``reboot_pending``; most severe first, at most ``max_hosts``
rows), the waivers that expire within ``expiry_days`` (30) days of ``run.as_of``, and a footer
with the report's SHA-256 and versions.

Every value that comes from the fleet is escaped for GitHub-flavoured / CommonMark tables:
line breaks become spaces, ``|`` becomes ``\\|`` and the characters that start emphasis,
links, code, HTML or entities (backslash, `` ` * _ [ ] < > ~ & ``) are backslash-escaped, so a
host named ``<script>`` or ``a|b`` stays one cell of plain text.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import re

from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports import json_report
from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports.common import (
    STATUS_ORDER,
    STATUSES,
    needs_action,
    is_failing,
    one_line,
    parse_date,
    status_rank,
    summarize,
    text,
    truncate,
)

_MD_SPECIAL_RE = re.compile(r"([\\`*_\[\]<>~&|#])")
_SHA_RE = re.compile(r"^[0-9a-f]{64}$")


def escape(value, limit=None):
    """``value`` as plain text on one line, safe inside a Markdown table cell."""
    return _MD_SPECIAL_RE.sub(r"\\\1", truncate(one_line(value), limit))


def _table(header, rows, align=None):
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join(align or ["---"] * len(header)) + "|"]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return lines


def _digest(report):
    sha = report.get("sha256")
    if isinstance(sha, str) and _SHA_RE.match(sha):
        return sha
    return json_report.digest(report)


def render(report, max_hosts=50, expiry_days=30):
    """The Markdown summary as UTF-8 bytes."""
    hosts = report.get("hosts") or []
    run = report.get("run") or {}
    summary = summarize(hosts)
    by_status = summary["by_status"]
    total = len(hosts)
    acting = [h for h in hosts if needs_action(h.get("status"))]
    failing = sum(1 for h in hosts if is_failing(h.get("status")))

    if not total:
        verdict = "No hosts in this report"
    elif acting:
        verdict = "%d of %d host%s need%s action" % (
            len(acting), total, "" if total == 1 else "s", "s" if len(acting) == 1 else "")
    else:
        verdict = "All %d host%s compliant" % (total, " is" if total == 1 else "s are")
    out = ["# Banned anti-virus compliance: %s" % verdict, ""]
    line = "**%s**" % verdict
    if acting:
        line += " (%d failing)" % failing
    line += " - generated %s" % escape(report.get("generated_at"))
    if run.get("as_of"):
        line += ", as of %s" % escape(run.get("as_of"))
    if run.get("awx_job_id"):
        line += ", AWX job %s" % escape(run.get("awx_job_id"))
    if run.get("awx_job_template"):
        line += " (%s)" % escape(run.get("awx_job_template"))
    if run.get("check_mode"):
        line += ", check mode"
    out += [line + ".", ""]

    # counts by status, most severe first, only the statuses that occur
    out += ["## Hosts by status", ""]
    count_rows = []
    for status in STATUS_ORDER + tuple(sorted(s for s in by_status if s not in STATUSES)):
        if by_status.get(status):
            mark = " (failing)" if is_failing(status) else ""
            count_rows.append([escape(status) + mark, str(by_status[status])])
    count_rows.append(["**total**", "**%d**" % total])
    out += _table(["Status", "Hosts"], count_rows, ["---", "--:"]) + [""]

    # hosts needing action, most severe first (bucketed by status: linear time)
    if acting:
        out += ["## Hosts needing action (%d)" % len(acting), ""]
        buckets = {}
        for host in acting:
            buckets.setdefault(status_rank(host.get("status")), []).append(host)
        rows = []
        for rank in sorted(buckets):
            for host in buckets[rank]:
                if len(rows) >= max_hosts:
                    break
                products = []
                for finding in host.get("findings") or []:
                    name = text(finding.get("product") or finding.get("id"))
                    if finding.get("version"):
                        name += " " + text(finding.get("version"))
                    if name not in products:
                        products.append(name)
                rows.append([
                    escape(host.get("name"), 120),
                    escape(host.get("status")),
                    escape(", ".join(products), 200) or "-",
                    escape("; ".join(one_line(r) for r in host.get("reasons") or []), 300) or "-",
                ])
        out += _table(["Host", "Status", "Products", "Reasons"], rows)
        if len(acting) > len(rows):
            out.append("")
            out.append("...and %d more; see the full report." % (len(acting) - len(rows)))
        out.append("")

    # waivers that expire soon
    as_of = parse_date(run.get("as_of")) or parse_date(report.get("generated_at"))
    if as_of is not None:
        limit = as_of + datetime.timedelta(days=expiry_days)
        by_day = [[] for dummy in range(expiry_days + 1)]  # bucket by days left: linear time
        for host in hosts:
            waiver = host.get("waiver") or {}
            expires = parse_date(waiver.get("expires"))
            if waiver.get("expired") or expires is None or not as_of <= expires <= limit:
                continue
            by_day[(expires - as_of).days].append((expires, host, waiver))
        soon = [item for day in by_day for item in day]
        out += ["## Waivers expiring within %d days of %s (%d)" % (expiry_days, as_of.isoformat(), len(soon)), ""]
        if soon:
            rows = [[escape(host.get("name"), 120), escape(waiver.get("id")), escape(waiver.get("owner")),
                     escape(waiver.get("ticket")), expires.isoformat(), str((expires - as_of).days)]
                    for expires, host, waiver in soon[:max_hosts]]
            out += _table(["Host", "Waiver", "Owner", "Ticket", "Expires", "Days left"], rows,
                          ["---", "---", "---", "---", "---", "--:"])
            if len(soon) > max_hosts:
                out += ["", "...and %d more." % (len(soon) - max_hosts)]
        else:
            out.append("None.")
        out.append("")

    versions = []
    for key, label in (("collection_version", "collection"), ("catalog_version", "catalogue"),
                       ("policy_version", "policy"), ("ansible_version", "ansible-core")):
        if run.get(key):
            versions.append("%s %s" % (label, escape(run.get(key))))
    out += ["---", "", "Report SHA-256 `%s`%s" % (_digest(report), " - " + ", ".join(versions) if versions else "")]
    return ("\n".join(out) + "\n").encode("utf-8", "replace")
