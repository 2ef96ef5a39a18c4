# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The JSON report: the canonical document every other format is derived from.

Shape (``schema: fleetsec.banned_av/report/v1``)::

    schema, generated_at, run{...}, policies[...], summary{hosts, by_status, findings,
    violations}, hosts[{name, status, severity, reasons, findings, protection, waiver,
    remediation, platform, collected_at, days_left}], sha256

Canonical form and checksum
---------------------------
``sha256`` is the hex SHA-256 of the *canonical JSON* of the document without its ``sha256``
key.  Canonical JSON is ``json.dumps(doc, sort_keys=True, ensure_ascii=False,
separators=(",", ":"), allow_nan=False)`` encoded as UTF-8 (a lone surrogate, which UTF-8
cannot carry, becomes ``?``): compact, so that json's C encoder writes it (``indent`` makes
CPython fall back to its pure-Python encoder, five times slower: 7 s of the 100,000-host
report).  Dates and datetimes are written as ISO 8601 strings, sets as sorted lists.  To
check a report by hand::

    python3 -c 'import json,sys,hashlib; d=json.load(open(sys.argv[1],encoding="utf-8")); \
s=d.pop("sha256"); print(s == hashlib.sha256(json.dumps(d, sort_keys=True, \
ensure_ascii=False, separators=(",", ":")).encode("utf-8")).hexdigest())' report.json

or call ``verify(json.load(...))``.  The checksum detects accidental or careless edits
(truncation, a host deleted by hand); it is not a signature.

The file
--------
The file holds the same document, laid out for people and line-based tools: one top-level key
per line, sorted, and each element of a top-level list (every host, every policy) on a line
of its own, in canonical (compact) JSON; then one newline.  ``grep`` finds a host's whole
record, ``diff`` of two runs shows changed hosts line by line, and ``jq`` reads it as usual.
The layout is fixed (``render`` of the parsed file gives the same bytes), but only the
canonical JSON defines the checksum.

Merging (AWX job slicing)
-------------------------
``merge(reports)`` joins the reports of the slices of one sliced job into one fleet report;
see its docstring.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import hashlib
import hmac
import json

from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports.common import (
    STATUSES,
    status_rank,
    summarize,
)

SCHEMA = "fleetsec.banned_av/report/v1"
SHA_KEY = "sha256"

# run fields that must agree between slices; a field that differs becomes None and is listed
# in run.conflicts with every value seen
_RUN_SHARED = ("ansible_version", "collection_version", "catalog_version", "policy_version", "as_of",
               "play", "user", "awx_job_template")


def _default(value):
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=lambda v: (type(v).__name__, str(v)))
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    raise TypeError("a report cannot hold a %s (%r)" % (type(value).__name__, value))


def _encoder():
    return json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False,
                            default=_default)


def _utf8(value):
    return value.encode("utf-8", "replace")


def canonical(doc):
    """Canonical JSON bytes of ``doc`` (compact, keys sorted), as hashed."""
    return _utf8(_encoder().encode(doc))


def digest(doc):
    """Hex SHA-256 of the canonical JSON of ``doc`` without its ``sha256`` key."""
    body = dict((k, v) for k, v in doc.items() if k != SHA_KEY)
    return hashlib.sha256(canonical(body)).hexdigest()


def finalize(report):
    """A shallow copy of ``report`` with its ``sha256`` set (the input is not modified)."""
    out = dict((k, v) for k, v in report.items() if k != SHA_KEY)
    out[SHA_KEY] = digest(out)
    return out


def _pieces(doc, encode):
    """``{key: (encoded key, encoded value, encoded list items or None)}`` of a top-level object."""
    pieces = {}
    for key, value in doc.items():
        items = [encode(v) for v in value] if isinstance(value, (list, tuple)) and value else None
        pieces[key] = (encode(key), None if items is not None else encode(value), items)
    return pieces


def _canonical_text(pieces):
    return "{" + ",".join("%s:%s" % (k, "[" + ",".join(items) + "]" if items is not None else v)
                          for k, v, items in (pieces[key] for key in sorted(pieces))) + "}"


def _file_text(pieces):
    lines = []
    for key in sorted(pieces):
        k, v, items = pieces[key]
        if items is None:
            lines.append("  %s:%s" % (k, v))
        else:
            lines.append("  %s:[\n    %s\n  ]" % (k, ",\n    ".join(items)))
    return "{\n" + ",\n".join(lines) + "\n}\n" if lines else "{}\n"


class Prepared(object):
    """A report encoded once: its checksum, and its file's text and bytes when asked for."""

    def __init__(self, sha, text):
        self.sha = sha
        self._text = text
        self._value = None

    def text(self):
        """The JSON file's text (str), laid out as described above (computed once)."""
        if self._value is None:
            self._value = self._text()
        return self._value

    def data(self):
        """The JSON file's bytes."""
        return _utf8(self.text())


def prepare(report):
    """``Prepared``: the report's checksum now, its file text when ``text()`` is called.

    Each top-level value (each element of a top-level list) is encoded once with the C
    encoder; the canonical text that is hashed and the file's layout are both joined from
    those pieces (JSON text has no raw line break inside a string, so the file's line breaks
    are all layout).  The other formats need the checksum; the JSON file itself can then be
    laid out by another process, and the HTML dashboard embeds the same text
    (``writer.write_reports``).
    """
    body = dict((k, v) for k, v in report.items() if k != SHA_KEY)
    if not all(isinstance(k, str) for k in body):
        final = finalize(report)
        return Prepared(final[SHA_KEY], lambda: _encoder().encode(final) + "\n")
    encode = _encoder().encode
    pieces = _pieces(body, encode)
    sha = hashlib.sha256(_utf8(_canonical_text(pieces))).hexdigest()
    pieces[SHA_KEY] = (encode(SHA_KEY), encode(sha), None)
    return Prepared(sha, lambda: _file_text(pieces))


def render_with_sha(report):
    """``(render(report), sha256)``, encoding every value only once (see ``prepare``)."""
    prepared = prepare(report)
    return prepared.data(), prepared.sha


def render(report):
    """The JSON report file (see "The file" above), with its ``sha256``."""
    return render_with_sha(report)[0]


def verify(doc):
    """True when ``doc`` (a parsed report) carries a ``sha256`` that matches its content."""
    if not isinstance(doc, dict):
        return False
    expected = doc.get(SHA_KEY)
    if not isinstance(expected, str):
        return False
    try:
        actual = digest(doc)
    except (TypeError, ValueError):
        return False
    return hmac.compare_digest(actual, expected.lower())


def loads(data, check=True):
    """Parse a JSON report (bytes or str); with ``check``, raise ValueError on a bad checksum."""
    if isinstance(data, (bytes, bytearray)):
        data = bytes(data).decode("utf-8-sig")
    doc = json.loads(data)
    if not isinstance(doc, dict):
        raise ValueError("a report must be a JSON object")
    if check and not verify(doc):
        raise ValueError("report sha256 is missing or does not match its content")
    return doc


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


__all__ = ["SCHEMA", "STATUSES", "canonical", "digest", "finalize", "prepare", "render", "render_with_sha", "verify", "loads",
           "merge"]
