# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render the report formats and put them on disk: all of them, or none.

``write_reports(report, report_dir, formats, catalog_entries, processes)``:

1. The JSON document is encoded and its SHA-256 computed: every other format quotes it.
2. Each format is rendered and written to a temporary file next to its final name
   (``common.write_temp``), and fsync'ed once all are written (the kernel writes the first
   ones back while the others are rendered).  The HTML dashboard embeds the JSON file's text
   rather than encoding the report again, so JSON and HTML are rendered by the calling
   process after step 1.
3. Only when every format succeeded are the temporary files renamed over the reports
   (``os.replace``, atomic) and the directory fsync'ed.  Any error removes the temporary files
   and leaves the previous reports untouched, so a report set is always from one run.

With ``processes`` > 1 (POSIX), the other formats go to up to ``processes - 1`` forked
children, spread over them by their measured cost (longest first onto the least loaded child),
which render them while this process does step 1 (see ``write_reports`` for how they get the
checksum).  A child renders from the memory it shares with its parent (nothing is pickled),
writes its temporary files, tells the parent their names through a pipe and exits with
``os._exit``.  At 100,000 hosts the six formats take about 5 s after the JSON encoding:
two processes cut that almost in half (docs/performance.md).  The price is memory:
a child that reads the report touches the reference counts of its objects, so the kernel
copies those pages, up to the size of the report in memory per child.  ``auto_processes``
therefore forks only for large reports.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports import (
    common, csv_report, html_report, json_report, junit_report, markdown_report, sarif_report)

FORMATS = {
    'json': ('banned_av_report.json', json_report),
    'csv': ('banned_av_report.csv', csv_report),
    'html': ('banned_av_report.html', html_report),
    'junit': ('banned_av_report.junit.xml', junit_report),
    'sarif': ('banned_av_report.sarif', sarif_report),
    'markdown': ('banned_av_report.md', markdown_report),
}

# Seconds to render and write each format for 100,000 hosts (bench/bench.py report --breakdown;
# for JSON only the file's layout, after the encoding; the dashboard reuses that text): only
# used to balance the children (``plan``).
COST = {'sarif': 1.3, 'junit': 1.25, 'html': 1.0, 'csv': 0.9, 'json': 0.55, 'markdown': 0.2}

# Below this many hosts a report takes under two seconds: not worth a fork and its memory.
PARALLEL_MIN_HOSTS = 20000


class ReportWriteError(Exception):
    """A format could not be rendered or written; no report was replaced."""


def available_cpus():
    """CPUs this process may run on (its affinity mask where the platform has one)."""
    if hasattr(os, 'sched_getaffinity'):
        try:
            return max(1, len(os.sched_getaffinity(0)))
        except OSError:  # pragma: no cover
            pass
    return os.cpu_count() or 1


def auto_processes(host_count, formats, cpus=None):
    """How many processes should render ``formats`` for ``host_count`` hosts: 1 below
    ``PARALLEL_MIN_HOSTS`` or without ``os.fork``, else one per available CPU, at most one per
    format."""
    if host_count < PARALLEL_MIN_HOSTS or not hasattr(os, 'fork'):
        return 1
    return max(1, min(cpus or available_cpus(), len(formats)))


def plan(formats, processes):
    """Spread ``formats`` over at most ``processes`` groups, most costly first onto the group
    with the least work so far; empty groups are left out."""
    groups = [[] for _i in range(max(1, processes))]
    load = [0.0] * len(groups)
    for fmt in sorted(formats, key=lambda f: (-COST.get(f, 1.0), f)):
        index = load.index(min(load))
        groups[index].append(fmt)
        load[index] += COST.get(fmt, 1.0)
    return [g for g in groups if g]


# The formats that need the encoded JSON itself: rendered by the calling process, after encoding.
NEEDS_JSON_TEXT = ('json', 'html')


def write_reports(report, report_dir, formats, catalog_entries=None, processes=1):
    """Render and write ``formats`` of ``report`` into ``report_dir``; return ``{format: path}``.

    Sets ``report['sha256']``.  Raises ``ReportWriteError`` (or the rendering error itself when
    ``processes`` is 1) with no report replaced.

    With forked children, the children start rendering their formats at once, with a random
    64-hex-digit token where the checksum goes, while this process encodes the JSON and
    computes the checksum; each child then gets the checksum through a pipe and puts it in
    place of the token (a plain byte replacement: hex digits need no escaping in any format)
    before writing.  The files are byte for byte those of one process (tests/unit).
    """
    if not os.path.isdir(report_dir):
        os.makedirs(report_dir)
    paths = dict((fmt, os.path.join(report_dir, FORMATS[fmt][0])) for fmt in formats)
    state = {}

    def render(fmt):
        if fmt == 'json':
            return state['prepared'].data()
        if fmt == 'html':  # the dashboard embeds the report: the JSON file's text, not a second encoding
            return html_report.render(report, report_json=state['prepared'].text())
        if fmt == 'sarif':
            return sarif_report.render(report, catalog_entries=catalog_entries)
        return FORMATS[fmt][1].render(report)

    own = [f for f in formats if f in NEEDS_JSON_TEXT]
    others = [f for f in formats if f not in NEEDS_JSON_TEXT]
    processes = processes if hasattr(os, 'fork') else 1
    child_groups = plan(others, processes - 1) if processes > 1 and others else []
    if not child_groups:
        own = list(formats)
    staged = {}
    children = {}
    try:
        if child_groups:
            token = os.urandom(32).hex()
            report['sha256'] = token  # what the children see until they are told the checksum
            for group in child_groups:
                # a child must not hold the pipes of the children before it: a child waits for
                # the end of its checksum pipe, which only comes when every write end is closed
                held = [fd for _g, r, box in children.values() for fd in [r] + box if fd is not None]
                pid, read_fd, sha_fd = _fork(group, render, paths, token, held)
                children[pid] = (group, read_fd, sha_fd)
        state['prepared'] = json_report.prepare(report)
        report['sha256'] = state['prepared'].sha
        for pid, (group, read_fd, sha_fd) in children.items():
            _tell(sha_fd, report['sha256'])
        for fmt in own:
            staged[fmt] = common.write_temp(paths[fmt], render(fmt), sync=False)
        errors = []
        while children:
            pid = next(iter(children))
            group, read_fd, sha_fd = children.pop(pid)
            message = _read_message(read_fd)
            _pid, status = os.waitpid(pid, 0)
            staged.update(message.get('staged') or {})
            if message.get('error') or status != 0:
                errors.append('%s: %s' % ('+'.join(group), message.get('error') or 'the rendering process exited with status %d' % status))
        if errors:
            raise ReportWriteError('; '.join(errors))
        # fsync'ed only now: the kernel wrote them back while the other formats were rendered
        for fmt in formats:
            common.sync_file(staged[fmt])
        for fmt in formats:
            common.commit_temp(staged.pop(fmt), paths[fmt])
        common.fsync_directory(os.path.abspath(report_dir))
    finally:
        # after an error here: children that were not told the checksum stop without writing;
        # the others finish, so that their temporary files are known and removed too
        for pid, (_group, read_fd, sha_fd) in children.items():
            _tell(sha_fd, '')
            staged.update(('%s.%d' % (fmt, pid), tmp) for fmt, tmp in (_read_message(read_fd).get('staged') or {}).items())
            try:
                os.waitpid(pid, 0)
            except OSError:  # pragma: no cover
                pass
        for tmp in staged.values():
            common.discard_temp(tmp)
    return paths


def _tell(sha_box, sha):
    """Send the checksum (or '' for "stop") to a child and close the pipe; only the first call
    of each child counts (``sha_box`` holds the pipe's write end, then None)."""
    sha_fd, sha_box[0] = sha_box[0], None
    if sha_fd is None:
        return
    try:
        os.write(sha_fd, sha.encode('ascii'))
    except OSError:  # the child is gone; its status tells why
        pass
    finally:
        os.close(sha_fd)


def _fork(group, render, paths, token, held=()):
    """Start a child that renders ``group`` with ``token`` as the checksum, waits for the real
    one and stages the files; returns ``(pid, read end of its message pipe, write end of its
    checksum pipe, in a list for ``_tell``)``.  ``held``: the parent's ends of the pipes of
    earlier children, closed in the new child."""
    read_fd, write_fd = os.pipe()
    sha_read, sha_write = os.pipe()
    pid = os.fork()
    if pid:
        os.close(write_fd)
        os.close(sha_read)
        return pid, read_fd, [sha_write]
    # the child: never return into the caller's stack, never run its exit handlers
    code = 1
    staged = {}
    message = {}
    try:
        for fd in [read_fd, sha_write] + list(held):
            os.close(fd)
        rendered = [(fmt, render(fmt)) for fmt in group]
        sha = _read_all(sha_read).decode('ascii')
        if len(sha) != 64:
            raise ReportWriteError('stopped: the report could not be encoded')
        old, new = token.encode('ascii'), sha.encode('ascii')
        for fmt, data in rendered:
            staged[fmt] = common.write_temp(paths[fmt], data.replace(old, new), sync=False)
        message = {'staged': staged}
        code = 0
    except BaseException as exc:  # report anything, even KeyboardInterrupt, to the parent
        for tmp in staged.values():
            common.discard_temp(tmp)
        message = {'error': '%s: %s' % (type(exc).__name__, exc)}
    finally:
        try:
            data = json.dumps(message).encode('utf-8')
            while data:
                data = data[os.write(write_fd, data):]
            os.close(write_fd)
        finally:
            os._exit(code)


def _read_all(fd):
    chunks = []
    try:
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(fd)
    return b''.join(chunks)


def _read_message(read_fd):
    data = _read_all(read_fd)
    try:
        return json.loads(data.decode('utf-8')) if data else {}
    except ValueError:
        return {'error': 'unreadable message from the rendering process'}
