# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared helpers of the report writers (controller side, standard library only).

Every writer takes the one ``report`` document (see ``json_report`` for its shape) and writes
its format to a text stream; ``writer.write_reports`` stages the files next to their final
names (``open_temp``) and renames them into place (``commit_temp``).

Statuses.  ``STATUSES`` is the closed list of host statuses, ``FAILING`` the ones that need
action; both come from ``vocabulary.py``, where they are defined once.  ``STATUS_ORDER`` ranks
them from most to least severe: failing statuses first, then the statuses that still need
someone to act (``reboot_pending``, ``warning``), then the passing ones.  A status that is not in
``STATUSES`` (a newer policy module, a typo in a hand-edited report) is treated as failing and
ranked just after ``unknown``: fail safe.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import datetime
import gc
import io
import os
import re
import stat
import time

from ansible_collections.fleetsec.banned_av.plugins.module_utils import policy as _policy
from ansible_collections.fleetsec.banned_av.plugins.module_utils import vocabulary
from ansible_collections.fleetsec.banned_av.plugins.module_utils.evidence import describe

# The statuses, their order, verdicts and severities are defined once, in vocabulary.py;
# FAILING and NEEDS_ACTION are sets here for fast membership tests.
STATUSES = vocabulary.STATUSES
FAILING = frozenset(vocabulary.FAILING)
NEEDS_ACTION = frozenset(vocabulary.NEEDS_ACTION)
STATUS_ORDER = vocabulary.STATUS_ORDER  # most severe first: sorts tables, picks one record of a duplicated host
_STATUS_RANK = vocabulary.STATUS_RANK
_UNRECOGNISED_RANK = STATUS_ORDER.index("unknown") + 0.5

STATUS_LABELS = dict((s, s.replace("_", " ")) for s in STATUSES)

SEVERITIES = vocabulary.SEVERITIES

VERDICTS = vocabulary.VERDICTS  # most severe first

# The run fields that say what the hosts were judged against; a merge of reports that differ in
# one of them is refused unless the user allows it, and then shown in every format.
JUDGED_BY = ("policy_version", "as_of", "catalog_version")

_ONE_LINE_RE = re.compile(r"[\s\x00-\x1f\x7f\x85\u2028\u2029]+")
# characters that XML 1.0 does not allow at all (C0 controls except TAB LF CR, surrogates,
# U+FFFE and U+FFFF); HTML treats them as parse errors, so the HTML writer strips them too.
_ILLEGAL_XML_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

# Temporary files of ``open_temp``: ".<report file name>.<pid>.<8 hex digits>.tmp".
_TEMP_RE = re.compile(r"^\.(?P<name>.+)\.[0-9]+\.[0-9a-f]{8}\.tmp$")
# A temporary file older than this was left by a killed run: a report is staged and renamed
# within one task, in seconds.
STALE_TEMP_SECONDS = 3600


def status_rank(status):
    """Sort key of a status: 0 is the most severe."""
    return _STATUS_RANK.get(status, _UNRECOGNISED_RANK)


def is_failing(status):
    """True for a failing status, and for any status this module does not know (fail safe)."""
    return status in FAILING or status not in _STATUS_RANK


def needs_action(status):
    return status in NEEDS_ACTION or status not in _STATUS_RANK


@contextlib.contextmanager
def gc_paused():
    """No cyclic garbage collection while a report is built and written.

    The report's records and rendering add millions of objects to a controller process that
    already holds every host's results, and each full collection walks all of them again: at
    100,000 hosts that was 1.7 of the 2.8 CPU seconds of evaluating the hosts
    (docs/performance.md).  The report's data holds no reference cycles; reference counting
    frees it as usual.  Collection is restored as it was, also after an error.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def counted(number, noun, plural=None):
    """``"1 host"``, ``"2 hosts"``, ``"1,000 hosts"``: a count with its noun in the right number."""
    return "%s %s" % (format(number, ","), noun if number == 1 else (plural or noun + "s"))


def task_result(report, fail_on):
    """The fields of a report task's result: ``summary``, ``sha256``, ``generated_at``, ``as_of``,
    ``fail_on``, ``failing_hosts`` (hosts whose status is in ``fail_on``), ``hosts_by_status`` and
    ``msg``."""
    by_status = dict((s, []) for s in STATUSES)
    for host in report["hosts"]:
        by_status.setdefault(host["status"], []).append(host["name"])
    summary = report["summary"]
    return dict(
        summary=summary, sha256=report["sha256"], generated_at=report["generated_at"], as_of=report["run"].get("as_of"),
        fail_on=list(fail_on), failing_hosts=sorted(name for status in fail_on for name in by_status.get(status, [])),
        hosts_by_status=dict((s, sorted(by_status[s])) for s in STATUSES),
        msg="%s: %s" % (counted(summary["hosts"], "host"),
                        ", ".join("%s %d" % (s, n) for s, n in summary["by_status"].items() if n) or "none"),
    )


def summarize(hosts):
    """The ``summary`` block of a report, recomputed from its hosts (``policy.summarize``).

    Records read back from a file may lack keys; they are read as ``unknown`` with no
    findings rather than failing.
    """
    normalised = []
    for host in hosts:
        if host.get("status") and isinstance(host.get("findings"), list):
            normalised.append(host)
        else:
            normalised.append(dict(host, status=host.get("status") or "unknown", findings=host.get("findings") or []))
    return _policy.summarize(normalised)


def text(value):
    """A display string for any report value (None is the empty string)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return str.__str__(value)  # the characters, also of a str subclass (what JSON writes)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, dict):
        return ", ".join("%s: %s" % (text(k), text(v)) for k, v in value.items())
    if isinstance(value, (list, tuple, set, frozenset)):
        return ", ".join(text(v) for v in value)
    return str(value)


def one_line(value):
    """``text(value)`` with every run of whitespace and control characters made one space."""
    value = text(value)
    # A printable string has no whitespace but the ASCII space and no control character: without
    # two spaces in a row the substitution would change nothing.  Evidence text is nearly always
    # such a string, and it is rendered for every item in four formats: at 100,000 hosts this
    # test saves about 4 of the report's 14 CPU seconds (docs/performance.md).
    if value.isprintable() and "  " not in value:
        return value.strip()
    return _ONE_LINE_RE.sub(" ", value).strip()


def truncate(value, limit):
    """Cut ``value`` to at most ``limit`` characters, marking the cut with ``...``."""
    if limit is None or len(value) <= limit:
        return value
    if limit <= 3:
        return value[:limit]
    return value[:limit - 3].rstrip() + "..."


def xml_safe(value):
    """``text(value)`` without the characters XML 1.0 forbids."""
    return _ILLEGAL_XML_RE.sub("", text(value))


def evidence_item(evidence):
    """The one-line text of one evidence item: ``evidence.describe``, which every report uses."""
    return describe(evidence)


def evidence_summary(finding, limit=200, item_limit=80):
    """One line ``kind: what; kind: what`` describing the evidence of a finding.

    Whitespace and control characters (newlines included) become single spaces; each item is
    cut to ``item_limit`` characters and the whole line stops before ``limit`` characters,
    ending with ``+N more`` when items were left out.  The first item is always shown.
    """
    items = (finding or {}).get("evidence") or []
    parts = []
    used = 0
    for index, evidence in enumerate(items):
        item = evidence_item(evidence)
        if item_limit is not None and len(item) > item_limit:
            item = truncate(item, item_limit)
        if parts and used + len(item) + 2 > limit - 12:
            parts.append("+%d more" % (len(items) - index))
            break
        parts.append(item)
        used += len(item) + 2
    return "; ".join(parts)


def host_messages(host, key):
    """``source: message`` lines of a host's ``errors`` or ``warnings`` (lists of
    ``{source, message}``; anything else is shown as its text)."""
    out = []
    for item in host.get(key) or []:
        if isinstance(item, dict):
            source = one_line(item.get("source"))
            message = one_line(item.get("message"))
            out.append("%s: %s" % (source, message) if source else message)
        else:
            out.append(one_line(item))
    return out


def host_policy(host):
    """The policy a host is judged by: that of its most severe finding, else None."""
    best = None
    best_rank = None
    for finding in host.get("findings") or ():
        policy = finding.get("policy")
        if not policy:
            continue
        verdict = finding.get("verdict")
        rank = VERDICTS.index(verdict) if verdict in VERDICTS else len(VERDICTS)
        if best_rank is None or rank < best_rank:
            best, best_rank = policy, rank
    return best


def judged_by(report, host):
    """``{policy_version, as_of, catalog_version}`` a host was judged against: those of its slice
    in a merged report (``host['slice']`` indexes ``run.slices``), else the run's."""
    run = report.get("run") or {}
    source = run
    slices = run.get("slices")
    index = host.get("slice")
    if isinstance(index, int) and not isinstance(index, bool) and isinstance(slices, list) and 0 <= index < len(slices):
        if isinstance(slices[index], dict):
            source = slices[index]
    return dict((field, source.get(field)) for field in JUDGED_BY)


def mixed(report):
    """``{field: [values]}`` of the run fields the slices of a merged report disagree on (empty
    for a report of one run)."""
    conflicts = (report.get("run") or {}).get("conflicts")
    return conflicts if isinstance(conflicts, dict) else {}


def parse_date(value):
    """A ``datetime.date`` from a date, a datetime or an ISO string (date part); else None."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str) and len(value) >= 10:
        try:
            return datetime.date(int(value[0:4]), int(value[5:7]), int(value[8:10]))
        except ValueError:
            return None
    return None


# ------------------------------------------------------------------ staging files on disk

def open_temp(path):
    """A new temporary file next to ``path``, named ``.<name>.<pid>.<random>.tmp``, open for
    writing UTF-8 text (characters UTF-8 cannot carry, lone surrogates, become ``?``; no newline
    translation).  Returns ``(temporary path, text stream)``."""
    path = os.path.abspath(path)
    directory, name = os.path.split(path)
    for _attempt in range(100):
        candidate = os.path.join(directory, ".%s.%d.%s.tmp" % (name, os.getpid(), os.urandom(4).hex()))
        try:
            fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        except FileExistsError:
            continue
        return candidate, io.open(fd, "w", encoding="utf-8", errors="replace", newline="")
    raise OSError("cannot create a temporary file next to %s" % path)  # pragma: no cover


def sync_file(path):
    """fsync a file written and closed earlier, so that its content is on disk before it is renamed."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def commit_temp(tmp, path):
    """Rename ``tmp`` over ``path`` (atomic), keeping the permission bits of a file it replaces.
    The caller fsyncs the directory (``fsync_directory``)."""
    try:
        mode = os.stat(path).st_mode & 0o7777
    except OSError:
        mode = None
    if mode is not None:
        os.chmod(tmp, mode)
    os.replace(tmp, os.path.abspath(path))


def discard_temp(tmp):
    """Remove a temporary file of ``open_temp``; already gone is fine."""
    try:
        os.unlink(tmp)
    except OSError:
        pass


def fsync_directory(directory):
    """Make the renames durable (POSIX); not possible, and not needed, on every platform."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    try:
        dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def remove_stale_temps(directory, names, max_age=STALE_TEMP_SECONDS, now=None):
    """Remove the temporary files a killed run of ``open_temp`` left in ``directory``.

    Only regular files (not links, directories or devices) named like a temporary file of one
    of the report files ``names`` and not modified for ``max_age`` seconds are removed; any
    other file stays.  Returns the names removed.
    """
    now = time.time() if now is None else now
    removed = []
    try:
        entries = os.listdir(directory)
    except OSError:
        return removed
    for entry in entries:
        match = _TEMP_RE.match(entry)
        if not match or match.group("name") not in names:
            continue
        path = os.path.join(directory, entry)
        try:
            info = os.lstat(path)
        except OSError:
            continue
        if not stat.S_ISREG(info.st_mode) or now - info.st_mtime < max_age:
            continue
        try:
            os.unlink(path)
        except OSError:
            continue
        removed.append(entry)
    return sorted(removed)
