# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The trend between two audits: what changed since a previous JSON report.

``load_previous(path)`` reads a previous report and trusts nothing in it: it must be a report of
this collection (``json_report.SCHEMA``) whose ``sha256`` matches its content (the verification
merges use, ``json_report.verify``), no larger than ``MAX_PREVIOUS_BYTES``, with a list of host
records each named once, a ``generated_at`` time (ISO 8601) and, when it has one, a well-formed
trend ``history``; given this run's time, it must not have been written after this run
(``check_not_newer``).  Every refusal is a ``TrendError`` whose message starts with the variable
the user set (``banned_av_previous_report``).  It returns a ``Previous``: only what the trend needs (each
host's status, the time, the checksum, the history), so the previous report's records are not
held while this run's report is built.

``compute(previous, hosts)`` gives the report's ``trend`` section::

    trend:
      previous: {generated_at, as_of, sha256, hosts}
      fixed:         [names]   # in both reports: failing then, not failing now
      new_failing:   [names]   # in both reports: not failing then, failing now
      still_failing: [names]   # in both reports: failing then and now
      new_hosts:     [names]   # only in this report (whatever their status: see the host table)
      gone_hosts:    [names]   # only in the previous report, and no longer in the inventory
      not_audited:   [names]   # only in the previous report, still in the inventory: not selected
                               # for this run (--limit, banned_av_hosts); neither gone nor fixed
      counts: {previous: {<status>: n}, now: {<status>: n}}
      history: [{generated_at, as_of, sha256, by_status: {<status>: n}}]   # earlier reports, oldest first

"Failing" is the vocabulary's (``vocabulary.FAILING``: noncompliant, waiver_expired, unknown,
blocked, degraded); a status this version does not know counts as failing (fail safe,
``common.is_failing``).  The five host lists are sorted; ``fixed``, ``new_failing`` and
``still_failing`` are hosts of both reports, so the lists never overlap.  ``history`` is the
previous report's own history plus the previous report itself, the newest ``HISTORY_LIMIT``
points (a daily schedule keeps more than a year); a chart draws it and this run's counts.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json

from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports.common import STATUS_ORDER, STATUSES, is_failing, parse_date
from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports.json_report import (
    SCHEMA,
    SHA_KEY,
    NotRegularFile,
    read_file,
    verify,
)

VARIABLE = "banned_av_previous_report"

#: a previous report larger than this is refused (a 100,000-host report is about 120 MB)
MAX_PREVIOUS_BYTES = 2 * 1024 ** 3

#: points of ``history`` kept: the newest ones
HISTORY_LIMIT = 400

LISTS = ("fixed", "new_failing", "still_failing", "new_hosts", "gone_hosts")
#: every host list of a trend section
ALL_LISTS = LISTS + ("not_audited",)
_SHOWN = 5


class TrendError(ValueError):
    """A previous report the trend cannot use; the message names the variable."""


class Previous(object):
    """What the trend needs of a verified previous report."""

    def __init__(self, path, generated_at, as_of, sha256, statuses, history):
        self.path = path
        self.generated_at = generated_at
        self.as_of = as_of
        self.sha256 = sha256
        self.statuses = statuses  # {host name: status}, in the report's order
        self.history = history

    def point(self):
        """This report as a point of the history."""
        return {"generated_at": self.generated_at, "as_of": self.as_of, "sha256": self.sha256,
                "by_status": by_status(self.statuses.values())}


def _fail(path, message):
    raise TrendError("%s: %s %s" % (VARIABLE, path, message))


def read(path, max_bytes=None):
    """The parsed JSON document at ``path`` (at most ``max_bytes``)."""
    limit = MAX_PREVIOUS_BYTES if max_bytes is None else max_bytes
    try:
        data = read_file(path, limit)
    except NotRegularFile:
        _fail(path, "is not a regular file: give the JSON report (banned_av_report.json) of an earlier audit")
    except (IOError, OSError) as exc:
        _fail(path, "cannot be read: %s" % (exc.strerror or exc))
    if len(data) > limit:
        _fail(path, "is larger than %d bytes: not a report of this collection" % limit)
    if not data.strip():
        _fail(path, "is empty: give the JSON report (banned_av_report.json) of an earlier audit")
    try:
        return json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        _fail(path, "is not UTF-8 text: %s" % exc)
    except ValueError as exc:
        _fail(path, "is not a JSON report: %s" % exc)


def check(doc, path):
    """Refuse anything but a verified report of this schema whose hosts are each named once."""
    if not isinstance(doc, dict) or not doc:
        _fail(path, "is not a report (an empty or non-object JSON document)")
    if doc.get("schema") != SCHEMA:
        _fail(path, "has schema %s, not %s: give the JSON report of an audit of this collection"
              % (json.dumps(doc.get("schema"))[:80], SCHEMA))
    if not isinstance(doc.get(SHA_KEY), str):
        _fail(path, "has no sha256: every report this collection writes has one (edited by hand?)")
    if not verify(doc):
        _fail(path, "its sha256 does not match its content (edited or truncated?)")
    hosts = doc.get("hosts")
    if not isinstance(hosts, list) or not all(isinstance(h, dict) and isinstance(h.get("name"), str) and h["name"]
                                              for h in hosts):
        _fail(path, "hosts must be a list of host records, each with a name")
    if parse_time(doc.get("generated_at")) is None:
        _fail(path, "has no generated_at time (an ISO 8601 time such as 2026-11-27T06:00:00Z): %s"
              % json.dumps(doc.get("generated_at"), default=str)[:80])
    seen = set()
    twice = []
    for host in hosts:
        if host["name"] in seen:
            twice.append(host["name"])
        seen.add(host["name"])
    if twice:
        _fail(path, "names %d host(s) more than once (e.g. %s): a report of this collection names each host once"
              % (len(twice), ", ".join(sorted(set(twice))[:_SHOWN])))


def _history(doc, path):
    """The previous report's own ``trend.history``, checked (its newest points)."""
    trend = doc.get("trend")
    if trend is None:
        return []
    if not isinstance(trend, dict) or not isinstance(trend.get("history", []), list):
        _fail(path, "has a trend section that is not one this collection writes")
    points = trend.get("history", [])[-(HISTORY_LIMIT - 1):] if HISTORY_LIMIT > 1 else []
    for point in points:
        counts = point.get("by_status") if isinstance(point, dict) else None
        if (not isinstance(counts, dict) or not isinstance(point.get("generated_at"), str)
                or parse_date(point["generated_at"]) is None
                or not all(isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) and v >= 0
                           for k, v in counts.items())):
            _fail(path, "has a trend history point that is not one this collection writes: %s"
                  % json.dumps(point, default=str)[:120])
    return [{"generated_at": p["generated_at"], "as_of": p.get("as_of") if isinstance(p.get("as_of"), str) else None,
             "sha256": p.get("sha256") if isinstance(p.get("sha256"), str) else None,
             "by_status": dict(p["by_status"])} for p in points]


def parse_time(value):
    """An aware UTC ``datetime`` from an ISO 8601 time (``Z``, an offset, or none: UTC); None when
    ``value`` is not one."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith("Z") else value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.timezone.utc)
    return parsed.astimezone(datetime.timezone.utc)


def check_not_newer(doc, path, now):
    """Refuse a previous report written after ``now`` (this run's time, an aware datetime): a swapped
    file (this run's or a later report given as the previous one) or a clock that went back would give
    a reversed trend.  The same second is fine (``now`` is taken to the second, as reports write it).

    ``generated_at`` (the wall-clock time the report was written) is what is compared, not ``as_of``:
    ``as_of`` is the date hosts are judged against, which a user may set back on purpose
    (``banned_av_as_of``), and which a merge of mixed slices leaves unset."""
    written = parse_time(doc["generated_at"])  # checked by check()
    limit = now.astimezone(datetime.timezone.utc).replace(microsecond=0)
    if written > limit:
        _fail(path, "was generated_at %s, after this run (%s): a report newer than this run (a swapped file, or a "
                    "clock that went back) would give a reversed trend; give the report of an earlier run"
              % (doc["generated_at"], limit.isoformat().replace("+00:00", "Z")))


def load_previous(path, max_bytes=None, now=None):
    """The previous report at ``path``, verified (``check``), as a ``Previous``.  With ``now`` (this
    run's time, an aware datetime), a report written after it is refused (``check_not_newer``)."""
    doc = read(path, max_bytes)
    check(doc, path)
    if now is not None:
        check_not_newer(doc, path, now)
    run = doc.get("run") if isinstance(doc.get("run"), dict) else {}
    statuses = dict((h["name"], h.get("status") if isinstance(h.get("status"), str) else "unknown")
                    for h in doc["hosts"])
    return Previous(path, doc["generated_at"], run.get("as_of") if isinstance(run.get("as_of"), str) else None,
                    doc[SHA_KEY], statuses, _history(doc, path))


def by_status(statuses):
    """``{status: count}``: every status of the vocabulary, then any other seen."""
    counts = dict((s, 0) for s in STATUSES)
    for status in statuses:
        counts[status] = counts.get(status, 0) + 1
    return counts


def compute(previous, hosts, inventory=None):
    """The ``trend`` section of a report of ``hosts`` (records with ``name`` and ``status``) since
    ``previous`` (a ``Previous``).  ``inventory``: every host name of the inventory, when known; a
    host of the previous report that is still in it but not in this report was not selected for
    this run (``--limit``, ``banned_av_hosts``): it is ``not_audited``, not gone."""
    now = dict((h["name"], h.get("status")) for h in hosts)
    then = previous.statuses
    out = dict((name, []) for name in ALL_LISTS)
    for name, status in now.items():
        if name not in then:
            out["new_hosts"].append(name)
            continue
        before, after = is_failing(then[name]), is_failing(status)
        if before and after:
            out["still_failing"].append(name)
        elif before:
            out["fixed"].append(name)
        elif after:
            out["new_failing"].append(name)
    inventory = set(inventory) if inventory is not None else set()
    for name in then:
        if name not in now:
            out["not_audited" if name in inventory else "gone_hosts"].append(name)
    for name in ALL_LISTS:
        out[name].sort()
    history = (previous.history + [previous.point()])[-HISTORY_LIMIT:]
    out.update(previous={"generated_at": previous.generated_at, "as_of": previous.as_of, "sha256": previous.sha256,
                         "hosts": len(then)},
               counts={"previous": by_status(then.values()), "now": by_status(now.values())},
               history=history)
    return out


def sizes(section):
    """How many hosts each list of a ``trend`` section holds (the plugins' ``trend`` return value)."""
    return dict((name, len(section[name])) for name in ALL_LISTS)


def status_changes(section):
    """``[(status, count then, count now)]`` of a ``trend`` section, for every status either report
    has hosts in: the vocabulary's most severe first, then any other status sorted (the Markdown and
    HTML tables of counts then and now)."""
    counts = section.get("counts") or {}
    then, now = counts.get("previous") or {}, counts.get("now") or {}
    statuses = [s for s in STATUS_ORDER if then.get(s) or now.get(s)]
    statuses += sorted(s for s in set(then) | set(now) if s not in STATUSES and (then.get(s) or now.get(s)))
    return [(s, then.get(s, 0), now.get(s, 0)) for s in statuses]


def deadlines(report):
    """The deadlines of the policies that apply to the report's hosts (``host['policies']``) and
    enforce a date: ``[{policy, title, date, days_left, hosts, failing}]``, soonest first.
    ``date`` is the enforcement date plus the grace days; ``days_left`` counts from the report's
    ``as_of`` (negative: passed); ``hosts``: the hosts it applies to, ``failing``: those of them
    failing."""
    as_of = parse_date((report.get("run") or {}).get("as_of")) or parse_date(report.get("generated_at"))
    known = dict((p.get("id"), p) for p in report.get("policies") or [] if isinstance(p, dict))
    applies = {}
    failing = {}
    for host in report.get("hosts") or []:
        for pid in host.get("policies") or []:
            if not isinstance(pid, str):
                continue
            applies[pid] = applies.get(pid, 0) + 1
            failing[pid] = failing.get(pid, 0) + (1 if is_failing(host.get("status")) else 0)
    out = []
    for pid, count in applies.items():
        policy = known.get(pid) or {}
        date = parse_date(policy.get("enforcement_date"))
        if date is None or policy.get("action", "enforce") != "enforce":
            continue
        grace = policy.get("grace_days")
        if isinstance(grace, int) and not isinstance(grace, bool):
            date = date.fromordinal(date.toordinal() + grace)
        out.append({"policy": pid, "title": policy.get("title"), "date": date.isoformat(),
                    "days_left": (date - as_of).days if as_of else None, "hosts": count, "failing": failing[pid]})
    out.sort(key=lambda d: (d["date"], d["policy"]))
    return out
