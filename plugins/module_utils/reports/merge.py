# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Merging the JSON reports of AWX job slices into one fleet report (moved from json_report)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports.common import status_rank, summarize
from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports.json_report import SHA_KEY, verify

# run fields that must agree between slices; a field that differs becomes None and is listed
# in run.conflicts with every value seen
_RUN_SHARED = ("ansible_version", "collection_version", "catalog_version", "policy_version", "as_of",
               "play", "user", "awx_job_template")


def _now():
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0, tzinfo=None)
    return now.isoformat() + "Z"


def _pick(kept, kept_label, new, new_label):
    """Choose between two records of the same host; returns the record to keep."""
    kept_status = kept.get("status")
    new_status = new.get("status")
    if kept_status == "unknown" and new_status != "unknown":
        return new
    if new_status == "unknown" and kept_status != "unknown":
        return kept
    if kept_status == new_status:
        # the same result twice: keep the newer collection
        if str(new.get("collected_at") or "") > str(kept.get("collected_at") or ""):
            return new
        return kept
    if status_rank(new_status) < status_rank(kept_status):
        winner, winner_label, loser, loser_label = new, new_label, kept, kept_label
    else:
        winner, winner_label, loser, loser_label = kept, kept_label, new, new_label
    winner = dict(winner)
    winner["reasons"] = list(winner.get("reasons") or []) + [
        "duplicate host: %s reported it as %s and %s as %s; the more severe result is kept"
        % (winner_label, winner.get("status"), loser_label, loser.get("status"))
    ]
    return winner


def merge(reports, names=None, generated_at=None, verify_checksums=True):
    """Merge the reports of several AWX job slices into one fleet report.

    * Every report must have the same ``schema``; otherwise ValueError naming the index of the
      first report that differs (and its name, from ``names``, e.g. its file path).  With
      ``verify_checksums``, a report that carries a ``sha256`` that does not match its
      content is refused the same way.
    * Hosts are the union of all slices, in first-seen order; a host that is in several
      slices is counted once.  A real result wins over ``unknown``; two different real
      results keep the most severe (``common.STATUS_ORDER``: failing first) and get a reason
      naming both slices; the same status twice keeps the later ``collected_at``.
    * ``summary`` is recomputed; ``policies`` is the union by id (first definition wins).
    * ``run`` is the first slice's, with ``slices: [{generated_at, awx_job_id, hosts,
      catalog_version, policy_version, name?}]`` (slices of an already merged report are
      carried over), ``awx_job_id`` None unless every slice has the same, ``check_mode`` true
      if any slice ran in check mode, and any other shared field (versions, ``as_of``,
      ``play``, ``user``, ``awx_job_template``) the slices disagree on set to None and listed
      with every value seen in ``run.conflicts``.
    * The result has no ``sha256``: ``render`` adds it.
    """
    reports = list(reports)
    if not reports:
        raise ValueError("merge needs at least one report")
    if names is not None:
        names = list(names)

    def label(index):
        if names is not None and index < len(names):
            return "report #%d (%s)" % (index, names[index])
        return "report #%d" % index

    schema = None
    for index, report in enumerate(reports):
        if not isinstance(report, dict):
            raise ValueError("%s is not a report document (got %s)" % (label(index), type(report).__name__))
        if index == 0:
            schema = report.get("schema")
        elif report.get("schema") != schema:
            raise ValueError("%s has schema %r but report #0 has %r: reports of different schemas cannot be merged"
                             % (label(index), report.get("schema"), schema))
        if verify_checksums and report.get(SHA_KEY) is not None and not verify(report):
            raise ValueError("%s: its sha256 does not match its content (edited or truncated?)" % label(index))

    chosen = {}
    order = []
    slices = []
    policies = []
    policy_ids = set()
    shared = dict((field, []) for field in _RUN_SHARED)
    job_ids = []
    check_mode = False
    for index, report in enumerate(reports):
        run = report.get("run") or {}
        for field in _RUN_SHARED:
            value = run.get(field)
            if value not in shared[field]:
                shared[field].append(value)
        check_mode = check_mode or bool(run.get("check_mode"))
        if run.get("awx_job_id") not in job_ids:
            job_ids.append(run.get("awx_job_id"))
        if run.get("slices"):
            slices.extend(dict(s) for s in run["slices"])
        else:
            entry = {
                "generated_at": report.get("generated_at"),
                "awx_job_id": run.get("awx_job_id"),
                "hosts": len(report.get("hosts") or []),
                "catalog_version": run.get("catalog_version"),
                "policy_version": run.get("policy_version"),
            }
            if names is not None and index < len(names):
                entry["name"] = names[index]
            slices.append(entry)
        for policy in report.get("policies") or []:
            pid = policy.get("id") if isinstance(policy, dict) else None
            if pid in policy_ids:
                continue
            policy_ids.add(pid)
            policies.append(policy)
        for host in report.get("hosts") or []:
            name = host.get("name")
            if name not in chosen:
                chosen[name] = (host, label(index))
                order.append(name)
                continue
            kept, kept_label = chosen[name]
            winner = _pick(kept, kept_label, host, label(index))
            chosen[name] = (winner, kept_label if winner is kept else label(index))

    hosts = [chosen[name][0] for name in order]
    first = reports[0]
    merged = dict((k, v) for k, v in first.items() if k != SHA_KEY)
    run = dict(first.get("run") or {})
    conflicts = {}
    for field, values in shared.items():
        if len(values) > 1:
            run[field] = None
            conflicts[field] = values
        elif field in run or values[0] is not None:
            run[field] = values[0]
    if conflicts:
        run["conflicts"] = conflicts
    # each slice of a sliced job has its own job id: they are listed in run.slices
    run["awx_job_id"] = job_ids[0] if len(job_ids) == 1 else None
    run["check_mode"] = check_mode
    run["slices"] = slices
    merged.update({
        "schema": schema,
        "generated_at": generated_at or _now(),
        "run": run,
        "policies": policies,
        "hosts": hosts,
        "summary": summarize(hosts),
    })
    return merged


