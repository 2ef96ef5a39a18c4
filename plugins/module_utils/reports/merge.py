# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Merge the JSON reports of AWX job slices (or of separate audits) into one fleet report.

A merge trusts nothing it reads (``check_slice``, ``check_judged_alike``, ``check_hosts``);
every refusal is a ``MergeError`` that names the file:

* every slice is a report of this collection's schema (``json_report.SCHEMA``) and carries a
  ``sha256`` that matches its content: an empty document, a slice without ``sha256``, an edited
  or truncated slice are refused;
* slices judged against different policy versions, ``as_of`` dates or catalogue versions
  (``common.JUDGED_BY``) are refused unless the caller allows it (``allow_mixed``); the merged
  report then lists the differences in ``run.conflicts`` and every format shows them;
* with ``duplicates='refuse'`` a host in two slices is refused (slices of one sliced job never
  share a host: reports of different runs were mixed); with ``expected_hosts`` a host in no
  slice is refused (a slice report is missing).

Then (``merge``): hosts are the union of the slices, in first-seen order, each tagged with the
index of its slice in ``run.slices`` (``host['slice']``); a host in several slices is counted
once (a real result wins over ``unknown``; two different real results keep the most severe,
``common.STATUS_ORDER``, with a reason naming both slices; the same status twice keeps the
later ``collected_at``).  ``summary`` is recomputed; ``policies`` is the union by id (first
definition wins); ``run`` is the first slice's with ``slices`` (one entry per slice: name,
generated_at, awx_job_id, hosts, the fields of ``JUDGED_BY``, its sha256; slices of an already
merged report are carried over), ``awx_job_id`` None unless every slice has the same,
``check_mode`` true if any slice ran in check mode, and any other shared field the slices
disagree on set to None and listed with every value seen in ``run.conflicts``.  The result has
no ``sha256``: the writer adds it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json

from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports.common import (
    JUDGED_BY,
    status_rank,
    summarize,
    text,
)
from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports.json_report import SCHEMA, SHA_KEY, read_file, verify

# run fields the slices should share; one that differs becomes None in the merged run and is
# listed in run.conflicts with every value seen
SHARED_RUN_FIELDS = ("ansible_version", "collection_version", "catalog_version", "policy_version", "as_of",
                     "play", "user", "awx_job_template")
DUPLICATES = ("merge", "refuse")
#: a slice larger than this is refused unread (a 100,000-host report is about 120 MB)
MAX_SLICE_BYTES = 2 * 1024 ** 3
_SHOWN = 20  # host names quoted in an error


class MergeError(ValueError):
    """A slice that cannot be merged; the message names the file."""


def read_slice(path):
    """The parsed JSON report at ``path`` (a FIFO or a device is refused, never waited on)."""
    try:
        data = read_file(path, MAX_SLICE_BYTES)
    except (IOError, OSError) as exc:
        raise MergeError("%s: cannot be read: %s" % (path, exc.strerror or exc))
    if len(data) > MAX_SLICE_BYTES:
        raise MergeError("%s: is larger than %d bytes: not a report of this collection" % (path, MAX_SLICE_BYTES))
    try:
        return json.loads(data.decode("utf-8-sig"))
    except ValueError as exc:  # not UTF-8, not JSON
        raise MergeError("%s: is not a JSON report: %s" % (path, exc))


def check_slice(doc, name):
    """Refuse anything but a report of this schema whose checksum matches its content."""
    if not isinstance(doc, dict) or not doc:
        raise MergeError("%s: is not a report (an empty or non-object JSON document)" % name)
    if doc.get("schema") != SCHEMA:
        raise MergeError("%s: has schema %r, not %r: only reports of this schema can be merged"
                         % (name, doc.get("schema"), SCHEMA))
    if not isinstance(doc.get(SHA_KEY), str):
        raise MergeError("%s: has no sha256: every report this collection writes has one (edited by hand?)" % name)
    if not verify(doc):
        raise MergeError("%s: its sha256 does not match its content (edited or truncated?)" % name)
    hosts = doc.get("hosts")
    if not isinstance(hosts, list) or not all(isinstance(h, dict) and isinstance(h.get("name"), str) for h in hosts):
        raise MergeError("%s: hosts must be a list of host records, each with a name" % name)
    if not isinstance(doc.get("run"), dict):
        raise MergeError("%s: has no run metadata" % name)


def _judged(doc):
    """``{field: value}`` of ``JUDGED_BY`` each host of a slice was judged against (a merged slice
    contributes the values of each of its own slices)."""
    run = doc.get("run") or {}
    sources = [s for s in run.get("slices") or [] if isinstance(s, dict)] or [run]
    return [dict((field, source.get(field)) for field in JUDGED_BY) for source in sources]


def check_judged_alike(docs, names, allow_mixed=False):
    """Refuse slices judged against different policy versions, dates or catalogue versions,
    unless ``allow_mixed``; return ``{field: [values]}`` of the differences."""
    mixed = {}
    for field in JUDGED_BY:
        seen = []
        for doc, name in zip(docs, names):
            for judged in _judged(doc):
                if judged[field] not in [value for value, _name in seen]:
                    seen.append((judged[field], name))
        if len(seen) > 1:
            mixed[field] = [value for value, _name in seen]
            if not allow_mixed:
                raise MergeError("the slices were judged differently: %s is %s; merge them only if that is "
                                 "intended (allow_mixed: true, playbook variable banned_av_merge_allow_mixed)"
                                 % (field, ", ".join("%s in %s" % (text(value) or "unset", name) for value, name in seen)))
    return mixed


def check_hosts(docs, names, expected_hosts=None, duplicates="merge"):
    """With ``duplicates='refuse'``, refuse a host in two slices; with ``expected_hosts``, refuse
    when one of them is in no slice."""
    where = {}
    for doc, name in zip(docs, names):
        for host in doc["hosts"]:
            where.setdefault(host["name"], []).append(name)
    if duplicates == "refuse":
        twice = sorted(host for host, files in where.items() if len(files) > 1)
        if twice:
            raise MergeError("%d host(s) are each in more than one slice report, e.g. %s in %s: a host in two slices "
                             "means reports of different runs were mixed" % (
                                 len(twice), twice[0], " and ".join(where[twice[0]])))
    if expected_hosts is not None:
        lost = [host for host in expected_hosts if host not in where]
        if lost:
            raise MergeError("%d inventory host(s) in no slice report: %s%s (a slice report is missing, or a slice "
                             "failed before writing it)" % (len(lost), ", ".join(lost[:_SHOWN]),
                                                            ", ..." if len(lost) > _SHOWN else ""))


def _pick(kept, kept_label, new, new_label):
    """Choose between two records of the same host; returns the record to keep."""
    kept_status = kept.get("status")
    new_status = new.get("status")
    if kept_status == "unknown" and new_status != "unknown":
        return new
    if new_status == "unknown" and kept_status != "unknown":
        return kept
    if kept_status == new_status:  # the same result twice: keep the newer collection
        return new if text(new.get("collected_at")) > text(kept.get("collected_at")) else kept
    if status_rank(new_status) < status_rank(kept_status):
        winner, winner_label, loser, loser_label = new, new_label, kept, kept_label
    else:
        winner, winner_label, loser, loser_label = kept, kept_label, new, new_label
    return dict(winner, reasons=list(winner.get("reasons") or []) + [
        "duplicate host: %s reported it as %s and %s as %s; the more severe result is kept"
        % (winner_label, winner.get("status"), loser_label, loser.get("status"))])


def _slices(docs, names):
    """``(run.slices of the merged report, for each slice the offset of its entries)``."""
    entries = []
    offsets = []
    for doc, name in zip(docs, names):
        run = doc["run"]
        offsets.append(len(entries))
        if run.get("slices"):
            entries.extend(dict(s) for s in run["slices"])
            continue
        entry = {"name": name, "generated_at": doc.get("generated_at"), "awx_job_id": run.get("awx_job_id"),
                 "hosts": len(doc["hosts"]), "sha256": doc.get(SHA_KEY)}
        entry.update((field, run.get(field)) for field in JUDGED_BY)
        entries.append(entry)
    return entries, offsets


def _hosts(docs, names, offsets):
    chosen = {}
    order = []
    for doc, name, offset in zip(docs, names, offsets):
        merged_slice = bool(doc["run"].get("slices"))
        for host in doc["hosts"]:
            index = host.get("slice") if merged_slice and isinstance(host.get("slice"), int) else 0
            record = dict(host, slice=offset + index)
            if host["name"] not in chosen:
                chosen[host["name"]] = (record, name)
                order.append(host["name"])
                continue
            kept, kept_name = chosen[host["name"]]
            winner = _pick(kept, kept_name, record, name)
            chosen[host["name"]] = (winner, kept_name if winner is kept else name)
    return [chosen[name][0] for name in order]


def _run(docs, entries):
    run = dict(docs[0]["run"])
    conflicts = {}
    for field in SHARED_RUN_FIELDS:
        values = []
        for doc in docs:
            if doc["run"].get(field) not in values:
                values.append(doc["run"].get(field))
        if len(values) > 1:
            run[field] = None
            conflicts[field] = values
    for field in JUDGED_BY:  # what the hosts were judged against, over every slice (nested merges too)
        values = []
        for entry in entries:
            if entry.get(field) not in values:
                values.append(entry.get(field))
        if len(values) > 1:
            run[field] = None
            conflicts[field] = values
    job_ids = set(text(doc["run"].get("awx_job_id")) for doc in docs)
    run.update(awx_job_id=docs[0]["run"].get("awx_job_id") if len(job_ids) == 1 else None,
               check_mode=any(bool(doc["run"].get("check_mode")) for doc in docs), slices=entries)
    run.pop("conflicts", None)
    if conflicts:
        run["conflicts"] = conflicts
    return run


def merge(docs, names, allow_mixed=False, expected_hosts=None, duplicates="merge", generated_at=None):
    """Check the parsed slices ``docs`` (``names``: their file names, for messages) and merge
    them into one fleet report (see the module docstring)."""
    docs = list(docs)
    names = [text(n) for n in names]
    if not docs:
        raise MergeError("merge needs at least one report")
    if duplicates not in DUPLICATES:
        raise MergeError("duplicates must be one of %s, got %r" % (", ".join(DUPLICATES), duplicates))
    for doc, name in zip(docs, names):
        check_slice(doc, name)
    check_judged_alike(docs, names, allow_mixed)
    check_hosts(docs, names, expected_hosts, duplicates)
    entries, offsets = _slices(docs, names)
    hosts = _hosts(docs, names, offsets)
    policies = []
    for doc in docs:
        for policy in doc.get("policies") or []:
            pid = policy.get("id") if isinstance(policy, dict) else None
            if pid not in [p.get("id") if isinstance(p, dict) else None for p in policies]:
                policies.append(policy)
    # a slice's trend compares that slice with its own previous report, not the merged fleet
    merged = dict((k, v) for k, v in docs[0].items() if k not in (SHA_KEY, "trend"))
    merged.update(schema=SCHEMA, run=_run(docs, entries), policies=policies, hosts=hosts, summary=summarize(hosts),
                  generated_at=generated_at or datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
    return merged
