# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Markdown summary, short enough to paste into a ticket or a chat message.

Sections: a heading with the one-line verdict ("3 of 4 hosts need action"), run details, a
warning when a merged report mixes slices judged differently, a table of host counts by status,
the trend since a previous report when the report has one (hosts fixed, newly failing, still
failing, new and gone; counts by status then and now; the deadlines of the policies that apply
to the hosts), a table of the hosts that need action (``common.NEEDS_ACTION``: failing statuses, ``warning``,
``reboot_pending``; most severe first), the hosts under a waiver (owner, ticket, expiry and the
products it covers), the waivers that expire within ``expiry_days`` (30) days of ``run.as_of``,
the hosts whose detection reported warnings, and a footer with the report's SHA-256 and
versions.  Each host table shows at most ``max_hosts`` rows and says how many more there are.

Every value that comes from the fleet is escaped for GitHub-flavoured / CommonMark tables:
line breaks become spaces, ``|`` becomes ``\\|`` and the characters that start emphasis,
links, code, HTML or entities (backslash, `` ` * _ [ ] < > ~ & ``) are backslash-escaped, so a
host named ``<script>`` or ``a|b`` stays one cell of plain text.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import io
import re

from ansible_collections.fleetsec.banned_av.plugins.module_utils import vocabulary
from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports import json_report, trend as trend_mod
from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports.common import (
    STATUS_ORDER,
    STATUSES,
    counted,
    host_messages,
    is_failing,
    mixed,
    needs_action,
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


def _capped(title, header, rows, total, max_hosts, align=None):
    """A section: heading with the count, the first ``max_hosts`` rows, and how many more."""
    out = ["## %s (%d)" % (title, total), ""] + _table(header, rows[:max_hosts], align)
    if total > max_hosts:
        out += ["", "...and %d more; see the full report." % (total - max_hosts)]
    return out + [""]


def _products(host, verdicts=None):
    out = []
    for finding in host.get("findings") or []:
        if verdicts is not None and finding.get("verdict") not in verdicts:
            continue
        name = text(finding.get("product") or finding.get("id"))
        if finding.get("version"):
            name += " " + text(finding.get("version"))
        if name not in out:
            out.append(name)
    return ", ".join(out)


def _head(report, hosts, acting):
    run = report.get("run") or {}
    total = len(hosts)
    failing = sum(1 for h in hosts if is_failing(h.get("status")))
    if not total:
        verdict = "No hosts in this report"
    elif acting:
        verdict = "%d of %s need%s action" % (len(acting), counted(total, "host"), "s" if len(acting) == 1 else "")
    else:
        verdict = "All %s %s compliant" % (counted(total, "host"), "is" if total == 1 else "are")
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
    return ["# Banned anti-virus compliance: %s" % verdict, "", line + ".", ""]


def _mixed(report):
    conflicts = mixed(report)
    if not conflicts:
        return []
    out = ["## Mixed inputs", "",
           "**This report merges slices that were not judged alike**; each host was judged by its own slice:", ""]
    out += ["- %s: %s" % (escape(field), ", ".join(escape(v) for v in values)) for field, values in sorted(conflicts.items())]
    return out + [""]


def _counts(hosts):
    by_status = summarize(hosts)["by_status"]
    rows = []
    for status in STATUS_ORDER + tuple(sorted(s for s in by_status if s not in STATUSES)):
        if by_status.get(status):
            rows.append([escape(status) + (" (failing)" if is_failing(status) else ""), str(by_status[status])])
    rows.append(["**total**", "**%d**" % len(hosts)])
    return ["## Hosts by status", ""] + _table(["Status", "Hosts"], rows, ["---", "--:"]) + [""]


TREND_LISTS = (("fixed", "Fixed"), ("new_failing", "Newly failing"), ("still_failing", "Still failing"),
               ("new_hosts", "New hosts"), ("gone_hosts", "Gone hosts"), ("not_audited", "Not audited in this run"))


def _trend(report, max_hosts):
    """What changed since the previous report (``report['trend']``), and the policies' deadlines."""
    trend = report.get("trend")
    if not isinstance(trend, dict):
        return []
    previous = trend.get("previous") or {}
    out = ["## Since the previous report", "",
           "Previous report generated %s%s, %s, SHA-256 `%s`." % (
               escape(previous.get("generated_at")), ", as of %s" % escape(previous.get("as_of")) if previous.get("as_of") else "",
               counted(previous.get("hosts") or 0, "host"), escape(previous.get("sha256"))), ""]
    rows = []
    for key, title in TREND_LISTS:
        names = trend.get(key) or []
        if key == "not_audited" and not names:
            continue  # a run of every host of the previous report (no --limit)
        shown = ", ".join(escape(n, 120) for n in names[:max_hosts])
        if len(names) > max_hosts:
            shown += " ...and %d more" % (len(names) - max_hosts)
        rows.append([title, str(len(names)), shown or "-"])
    out += _table(["Change", "Hosts", "Names"], rows, ["---", "--:", "---"]) + [""]
    rows = [[escape(s) + (" (failing)" if is_failing(s) else ""), str(then), str(now), "%+d" % (now - then)]
            for s, then, now in trend_mod.status_changes(trend)]
    out += _table(["Status", "Then", "Now", "Change"], rows, ["---", "--:", "--:", "--:"]) + [""]
    deadlines = trend_mod.deadlines(report)
    if deadlines:
        rows = [[escape(d["policy"]), escape(d["date"]), "-" if d["days_left"] is None else
                 ("%d" % d["days_left"] if d["days_left"] >= 0 else "passed %d days ago" % -d["days_left"]),
                 str(d["hosts"]), str(d["failing"])] for d in deadlines]
        out += ["Deadlines of the policies that apply to these hosts:", ""]
        out += _table(["Policy", "Deadline", "Days left", "Hosts", "Failing"], rows, ["---", "---", "--:", "--:", "--:"])
        out += [""]
    return out


def _acting(acting, max_hosts):
    if not acting:
        return []
    buckets = {}  # most severe first, bucketed by status: linear time
    for host in acting:
        buckets.setdefault(status_rank(host.get("status")), []).append(host)
    ordered = [host for rank in sorted(buckets) for host in buckets[rank]][:max_hosts]
    rows = [[escape(h.get("name"), 120), escape(h.get("status")), escape(_products(h), 200) or "-",
             escape("; ".join(one_line(r) for r in h.get("reasons") or []), 300) or "-"] for h in ordered]
    return _capped("Hosts needing action", ["Host", "Status", "Products", "Reasons"], rows, len(acting), max_hosts)


def _waived(hosts, max_hosts):
    """Every host under a waiver, soonest expiry first: who owns the waiver, until when, and which
    banned products it keeps on the host."""
    under = [h for h in hosts if isinstance(h.get("waiver"), dict) and h.get("waiver")]
    if not under:
        return []
    under.sort(key=lambda h: text(h["waiver"].get("expires")))
    rows = []
    for host in under[:max_hosts]:
        waiver = host["waiver"]
        expires = escape(waiver.get("expires")) + (" (expired)" if waiver.get("expired") else "")
        rows.append([escape(host.get("name"), 120), escape(host.get("status")),
                     escape(_products(host, vocabulary.WAIVER_VERDICTS), 200) or "-", escape(waiver.get("id")),
                     escape(waiver.get("owner")), escape(waiver.get("ticket")), expires])
    return _capped("Waived hosts", ["Host", "Status", "Products", "Waiver", "Owner", "Ticket", "Expires"], rows,
                   len(under), max_hosts)


def _expiring(report, hosts, max_hosts, expiry_days):
    run = report.get("run") or {}
    as_of = parse_date(run.get("as_of")) or parse_date(report.get("generated_at"))
    if as_of is None:
        return []
    limit = as_of + datetime.timedelta(days=expiry_days)
    by_day = [[] for _day in range(expiry_days + 1)]  # bucket by days left: linear time
    for host in hosts:
        waiver = host.get("waiver") or {}
        expires = parse_date(waiver.get("expires"))
        if not waiver.get("expired") and expires is not None and as_of <= expires <= limit:
            by_day[(expires - as_of).days].append((expires, host, waiver))
    soon = [item for day in by_day for item in day]
    title = "Waivers expiring within %d days of %s" % (expiry_days, as_of.isoformat())
    if not soon:
        return ["## %s (0)" % title, "", "None.", ""]
    rows = [[escape(host.get("name"), 120), escape(waiver.get("id")), escape(waiver.get("owner")),
             escape(waiver.get("ticket")), expires.isoformat(), str((expires - as_of).days)]
            for expires, host, waiver in soon[:max_hosts]]
    return _capped(title, ["Host", "Waiver", "Owner", "Ticket", "Expires", "Days left"], rows, len(soon), max_hosts,
                   ["---", "---", "---", "---", "---", "--:"])


def _warnings(hosts, max_hosts):
    """Hosts whose detection reported warnings (they do not change a status)."""
    warned = [(h, host_messages(h, "warnings")) for h in hosts if h.get("warnings")]
    if not warned:
        return []
    rows = [[escape(h.get("name"), 120), escape(h.get("status")), escape("; ".join(w), 300)] for h, w in warned[:max_hosts]]
    return _capped("Hosts with detection warnings", ["Host", "Status", "Warnings"], rows, len(warned), max_hosts)


def _footer(report):
    run = report.get("run") or {}
    sha = report.get("sha256")
    if not (isinstance(sha, str) and _SHA_RE.match(sha)):
        sha = json_report.digest(report)
    versions = ["%s %s" % (label, escape(run.get(key))) for key, label in (
        ("collection_version", "collection"), ("catalog_version", "catalogue"), ("policy_version", "policy"),
        ("ansible_version", "ansible-core")) if run.get(key)]
    return ["---", "", "Report SHA-256 `%s`%s" % (sha, " - " + ", ".join(versions) if versions else "")]


def write(report, out, max_hosts=50, expiry_days=30):
    """Write the Markdown summary to the text stream ``out``."""
    hosts = report.get("hosts") or []
    acting = [h for h in hosts if needs_action(h.get("status"))]
    lines = (_head(report, hosts, acting) + _mixed(report) + _counts(hosts) + _trend(report, max_hosts)
             + _acting(acting, max_hosts)
             + _waived(hosts, max_hosts) + _expiring(report, hosts, max_hosts, expiry_days)
             + _warnings(hosts, max_hosts) + _footer(report))
    out.write("\n".join(lines) + "\n")


def render(report, max_hosts=50, expiry_days=30):
    """The Markdown summary as UTF-8 bytes."""
    out = io.StringIO()
    write(report, out, max_hosts=max_hosts, expiry_days=expiry_days)
    return out.getvalue().encode("utf-8", "replace")
