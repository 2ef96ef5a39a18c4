# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The run spool: each host's detection result of this run, for the report.

The detection action (``av_facts``) runs on the controller, once per host; with its ``spool``
option it records that host's result (facts, or unreachable / failed and why) in one file of
the run's spool directory.  ``compliance_report`` reads the spool instead of ansible-core's
internal caches: no private interface, and a host that was never detected in this run simply
has no record.  A later detection of the same host (enforce detects again after removing)
replaces its record.

The input check creates the spool (``create()``): a directory of its own per run, mode 0700,
under a per-user directory in the controller's temporary directory, and removes spools of
earlier runs left behind (killed runs) once untouched for ``STALE_AFTER`` seconds.  The last
task of the playbook removes the run's spool.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import errno
import hashlib
import json
import os
import shutil
import stat
import tempfile
import time
import uuid

from ansible.module_utils.common.text.converters import to_native

from ansible_collections.fleetsec.banned_av.plugins.module_utils import catalog as catalog_mod

#: host variables the report needs, recorded with the host's result (as the detection task saw them)
HOST_VARIABLES = ('banned_av_jurisdictions',)
#: a spool untouched for this long belongs to a run that was killed
STALE_AFTER = 2 * 24 * 3600
#: a record larger than this is not read (a detection result is a few kilobytes)
MAX_RECORD_BYTES = 64 * 1024 * 1024
PREFIX = 'run-'
RECORD_SUFFIX = '.json'
#: the validated catalogue of the run (not a host record: its name is no SHA-256)
CATALOG_FILE = 'catalog.json'


class SpoolError(Exception):
    """The spool cannot be created or used."""


def root_dir(base=None):
    """``<tmp>/fleetsec-banned-av-<uid>``: this user's spools, nobody else's."""
    return os.path.join(base or tempfile.gettempdir(), 'fleetsec-banned-av-%d' % os.getuid())


def _own_private_dir(path):
    os.makedirs(path, mode=0o700, exist_ok=True)
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise SpoolError('%s is not a directory owned by this user: refusing to use it as the run spool' % path)
    if info.st_mode & 0o077:
        os.chmod(path, 0o700)


def create(base=None, now=None):
    """Create this run's spool directory; return ``(run_id, path, removed)`` where ``removed``
    lists the stale spools of earlier runs that were deleted."""
    root = root_dir(base)
    try:
        _own_private_dir(root)
        removed = clean_stale(root, now)
        stamp = datetime.datetime.now(tz=datetime.timezone.utc).strftime('%Y%m%dT%H%M%SZ')
        run_id = '%s-%s' % (stamp, uuid.uuid4().hex[:12])
        path = os.path.join(root, PREFIX + run_id)
        os.mkdir(path, 0o700)
    except OSError as exc:
        raise SpoolError('cannot create the run spool under %s: %s' % (root, exc.strerror or exc))
    return run_id, path, removed


def clean_stale(root, now=None):
    """Remove the spools in ``root`` that nothing wrote to for ``STALE_AFTER`` seconds."""
    now = time.time() if now is None else now
    removed = []
    for name in sorted(os.listdir(root)):
        path = os.path.join(root, name)
        if not name.startswith(PREFIX):
            continue
        try:
            info = os.lstat(path)
        except OSError:
            continue
        if not stat.S_ISDIR(info.st_mode) or now - info.st_mtime < STALE_AFTER:
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def check_removable(spool):
    """Whether :func:`remove` may remove ``spool``: False when it does not exist; a path that is
    not a spool :func:`create` made (its name, a link, not a directory) raises ``SpoolError``, so
    that a wrong path can never make the report delete it."""
    try:
        info = os.lstat(spool)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return False
        raise SpoolError('cannot remove the run spool %s: %s' % (spool, exc.strerror or exc))
    if not os.path.basename(os.path.normpath(spool)).startswith(PREFIX) or not stat.S_ISDIR(info.st_mode):
        raise SpoolError('%s is not a run spool of this collection (a directory named %s...): not removed' % (spool, PREFIX))
    return True


def remove(spool):
    """Remove a spool that :func:`create` made, once its last reader is done with it."""
    if check_removable(spool):
        shutil.rmtree(spool)


def record_path(spool, host):
    return os.path.join(spool, hashlib.sha256(host.encode('utf-8', 'surrogateescape')).hexdigest() + RECORD_SUFFIX)


def host_variables(task_vars, templar):
    """The ``HOST_VARIABLES`` a host has, templated.  A value that cannot be templated is recorded
    as the error text: the report then refuses it by name (the host is ``unknown``)."""
    out = {}
    for name in HOST_VARIABLES:
        if name in task_vars:
            try:
                out[name] = templar.template(task_vars[name])
            except Exception as exc:  # any templating error: recorded, judged by the report
                out[name] = 'cannot be templated: %s' % to_native(exc)
    return out


def write(spool, host, facts=None, unreachable=False, failed=False, msg='', host_vars=None):
    """Record one host's detection result (atomically: a reader sees the old record or the new)."""
    record = {'host': host, 'unreachable': bool(unreachable), 'failed': bool(failed), 'msg': to_native(msg or ''),
              'facts': facts, 'vars': host_vars or {}}
    data = json.dumps(record, default=to_native, separators=(',', ':')).encode('utf-8', 'backslashreplace')
    os.makedirs(spool, mode=0o700, exist_ok=True)
    write_atomic(record_path(spool, host), data)


def write_atomic(target, data, prefix='.tmp-'):
    """Write the bytes ``data`` to ``target`` through a temporary file beside it (``prefix``) and a
    rename: a reader sees the old file or the new one, never half of one."""
    handle, temp = tempfile.mkstemp(prefix=prefix, dir=os.path.dirname(os.path.abspath(target)))
    try:
        with os.fdopen(handle, 'wb') as stream:
            stream.write(data)
        os.replace(temp, target)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise


def catalog_key(catalog_files, catalog_entries):
    """What a catalogue snapshot is made from: the built-in and the user's catalogue files (path,
    size, modification time) and the inline entries. A file that changed gives another key."""
    stamps = []
    for path in list(catalog_mod.builtin_files('products')) + list(catalog_files or []):
        try:
            info = os.stat(path)
            stamps.append([path, info.st_size, info.st_mtime_ns])
        except OSError:
            stamps.append([path, None, None])
    text = json.dumps({'files': stamps, 'entries': catalog_entries or []}, sort_keys=True, default=to_native)
    return hashlib.sha256(text.encode('utf-8', 'surrogateescape')).hexdigest()


def write_catalog(spool, catalog, key):
    """Keep the validated catalogue of this run in the spool (the input check loaded it), so that
    each host's detection reads it as JSON instead of loading and validating the YAML again."""
    data = json.dumps({'key': key, 'version': catalog.version, 'entries': catalog.entries},
                      separators=(',', ':')).encode('utf-8', 'surrogateescape')
    os.makedirs(spool, mode=0o700, exist_ok=True)
    write_atomic(os.path.join(spool, CATALOG_FILE), data)


def read_catalog(spool, key):
    """The catalogue snapshot of this run when it was made from the same inputs (``key``), else
    None: the caller then loads the catalogue itself. A snapshot that is missing, damaged, not a
    regular file or made from other inputs is never used."""
    try:
        snapshot = json.loads(_read_regular(os.path.join(spool, CATALOG_FILE)).decode('utf-8'))
    except (OSError, ValueError):
        return None
    if (not isinstance(snapshot, dict) or snapshot.get('key') != key or not isinstance(snapshot.get('entries'), list)
            or not isinstance(snapshot.get('version'), str)):
        return None
    return catalog_mod.Catalog(snapshot['entries'], snapshot['version'])


def load_catalog(spool, catalog_files, catalog_entries):
    """The run's catalogue: the snapshot the input check left in ``spool`` when it was made from the
    same files and entries (JSON, already validated), else loaded and validated (``catalog.load``)."""
    if spool:
        snapshot = read_catalog(spool, catalog_key(catalog_files, catalog_entries))
        if snapshot is not None:
            return snapshot
    return catalog_mod.load(extra_files=catalog_files, extra_entries=catalog_entries)


def write_result(spool, host, result, host_vars=None):
    """Record an action result (``av_facts``'s): its facts, or why there are none."""
    facts = (result.get('ansible_facts') or {}).get('banned_av')
    write(spool, host, facts=facts, unreachable=result.get('unreachable'), failed=result.get('failed'),
          msg=result.get('msg') if (result.get('failed') or result.get('unreachable')) else '', host_vars=host_vars)


def read(spool, hosts):
    """``{host: record}`` for the ``hosts`` that have a record (``read_one``)."""
    out = {}
    for host in hosts:
        record = read_one(spool, host)
        if record is not None:
            out[host] = record
    return out


def read_one(spool, host):
    """The record of ``host``, or None when it has none.  A record that cannot be read is returned
    as a failed detection with the reason, never skipped and never trusted."""
    path = record_path(spool, host)
    try:
        data = _read_regular(path)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return None
        return _unreadable(host, 'cannot read its detection record %s: %s' % (path, exc.strerror or exc))
    try:
        record = json.loads(data.decode('utf-8'))
        if not isinstance(record, dict) or record.get('host') != host:
            raise ValueError('not the record of this host')
        if record.get('facts') is not None and not isinstance(record['facts'], dict):
            raise ValueError("'facts' is not a mapping")
        if not isinstance(record.setdefault('vars', {}), dict):
            raise ValueError("'vars' is not a mapping")
    except ValueError as exc:
        return _unreadable(host, 'its detection record %s is damaged: %s' % (path, exc))
    return record


def _read_regular(path):
    """Read a regular file without following a link or blocking on a FIFO."""
    fd = os.open(path, os.O_RDONLY | getattr(os, 'O_NOFOLLOW', 0) | getattr(os, 'O_NONBLOCK', 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(errno.EINVAL, 'not a regular file')
        if info.st_size > MAX_RECORD_BYTES:
            raise OSError(errno.EFBIG, 'larger than %d bytes' % MAX_RECORD_BYTES)
        chunks = []
        while True:  # records are replaced by rename, never written in place: one read is the rule
            chunk = os.read(fd, info.st_size + 1)
            if not chunk:
                break
            chunks.append(chunk)
            if len(chunk) <= info.st_size:
                break
        return b''.join(chunks)
    finally:
        os.close(fd)


def _unreadable(host, msg):
    return {'host': host, 'unreachable': False, 'failed': True, 'msg': msg, 'facts': None, 'vars': {}}
