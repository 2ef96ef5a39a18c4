# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""POSIX collector: targeted queries on a Linux or macOS host, or on an offline root.

It only *collects*: it asks for the names the catalogue probe lists and returns a raw
inventory (``docs/architecture.md``).  It never ships the whole package database and never
decides what is banned; the controller does that.  Commands run with the C locale and argv
lists.  ``root`` other than ``/`` scans a mounted image, container root or chroot; live-only
sources (processes, kernel modules, unit states, vendor tools) are then skipped and said so.
macOS's own sources are in ``macos_collect.py``, offline Windows volumes in ``windows_offline.py``.

It fails closed (issue 11):

* every file is read through :mod:`rootfs`: paths are resolved inside the root like a
  chroot, only regular files are read, each source has a size cap (:data:`CAPS`);
* an offline root is scanned only after it is identified as an operating system
  (:func:`identify`), one raw inventory per identified OS; a root with nothing to identify
  gives the error :data:`NOT_AN_OS_ROOT`;
* a package database that exists but cannot be read, or a query that cannot have read it,
  is an error; queries name the database they read (``package_databases``);
* the collection has a time limit (:data:`DEFAULT_TIMEOUT`): each source may use at most half
  of the time that is left (the last one all of it), a source that runs out of time is an
  error of that source, and no command outlives it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager

from ansible_collections.fleetsec.banned_av.plugins.module_utils import parsers
from ansible_collections.fleetsec.banned_av.plugins.module_utils import patterns as pattern_mod
from ansible_collections.fleetsec.banned_av.plugins.module_utils import rootfs

SCHEMA = 1
#: seconds one collection may take (av_facts ``timeout``)
DEFAULT_TIMEOUT = 120
C_LOCALE = {'LANG': 'C', 'LC_ALL': 'C', 'LC_MESSAGES': 'C', 'LANGUAGE': 'C'}
UNIT_DIRS = ('etc/systemd/system', 'run/systemd/system', 'usr/local/lib/systemd/system', 'usr/lib/systemd/system', 'lib/systemd/system')
INIT_DIRS = ('/etc/init.d',)
RPM_DB_DIRS = ('var/lib/rpm', 'usr/lib/sysimage/rpm')
#: rpm database files and the backend that reads them (rpm 4.16+; Debian's rpm has no ndb)
RPM_DB_FILES = {'rpmdb.sqlite': 'sqlite', 'Packages': 'bdb_ro', 'Packages.db': 'ndb'}
RPM_DB_ORDER = ('rpmdb.sqlite', 'Packages.db', 'Packages')  # the newest format wins after a conversion
DPKG_STATUS = '/var/lib/dpkg/status'
DPKG_UPDATES = '/var/lib/dpkg/updates'
DPKG_STATUS_D = '/var/lib/dpkg/status.d'  # distroless images: one file per package
OS_RELEASE = ('/etc/os-release', '/usr/lib/os-release')
SYSTEM_VERSION = '/System/Library/CoreServices/SystemVersion.plist'
NOT_AN_OS_ROOT = 'not an operating-system root: is the image mounted?'

#: size cap per source, in bytes (docs/architecture.md)
CAPS = {
    'os': 64 * 1024,
    'dpkg': 256 * 1024 * 1024,
    'rpm': 2 * 1024 * 1024 * 1024,
    'groups': 16 * 1024 * 1024,
    'plist': 4 * 1024 * 1024,
    'unit': 1024 * 1024,
    'init_script': 1024 * 1024,
    'proc': 4 * 1024 * 1024,
    'macho': 4 * 1024 * 1024 * 1024,
    'macho_header': 64 * 1024,
    'code_signature': 4 * 1024 * 1024,
    'output': 64 * 1024 * 1024,
}
EXECUTABLE_DEPTH = 4
EXECUTABLES_PER_DIR = 25
ENTRIES_PER_DIR = 10000

_EXEC_START = re.compile(r'^\s*ExecStart\s*=\s*(.*)$', re.MULTILINE)
_ABS_PATH = re.compile(r'''(?<![\w.])(/[^\s"'`;|&<>()$]+)''')


# --------------------------------------------------------------------------- time limits

class SourceTimeout(BaseException):
    """A source ran out of time.  A BaseException, so that the ``except Exception`` blocks of
    the code it interrupts cannot swallow it."""


class CommandTimeout(Exception):
    """A command did not finish in time; it was killed."""


@contextmanager
def time_limit(seconds):
    """Raise :class:`SourceTimeout` in the block after ``seconds`` (SIGALRM: it also interrupts
    a read that blocks).  Without setitimer, or off the main thread, only commands are bounded."""
    usable = seconds is not None and hasattr(signal, 'setitimer') and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def expired(signum, frame):
        raise SourceTimeout()

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.001))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _kill(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        pass
    proc.wait()


def _read_output(proc, deadline, cap):
    chunks = {proc.stdout.fileno(): [], proc.stderr.fileno(): []}
    total = 0
    with selectors.DefaultSelector() as selector:
        for pipe in (proc.stdout, proc.stderr):
            selector.register(pipe, selectors.EVENT_READ)
        while selector.get_map():
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise CommandTimeout()
            for key, _events in selector.select(left):
                data = os.read(key.fd, 65536)
                if not data:
                    selector.unregister(key.fileobj)
                    continue
                chunks[key.fd].append(data)
                total += len(data)
                if total > cap:
                    raise rootfs.TooLarge(0, 'more than %d bytes of output' % cap)
    left = None if deadline is None else max(deadline - time.monotonic(), 0)
    try:
        proc.wait(left)
    except subprocess.TimeoutExpired:
        raise CommandTimeout()
    return [b''.join(chunks[p.fileno()]).decode('utf-8', 'backslashreplace') for p in (proc.stdout, proc.stderr)]


def run_command(argv, environ_update=None, timeout=None, cap=CAPS['output']):
    """Run ``argv`` (no shell) in its own process group; return ``(rc, stdout, stderr)``.

    A command still running after ``timeout`` seconds, or writing more than ``cap`` bytes, is
    killed with its whole process group and :class:`CommandTimeout` (or ``TooLarge``) is raised;
    so is it when anything interrupts the wait (a :class:`SourceTimeout`).
    """
    env = dict(os.environ)
    env.update(environ_update or {})
    deadline = None if timeout is None else time.monotonic() + timeout
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env, close_fds=True, start_new_session=True)
    try:
        out, err = _read_output(proc, deadline, cap)
    except BaseException:
        _kill(proc)
        raise
    finally:
        proc.stdout.close()
        proc.stderr.close()
    return proc.returncode, out, err


class Clock:
    """The collector's time limit: ``budget()`` is what the next source may use."""

    def __init__(self, timeout):
        self.timeout = timeout
        self.deadline = None if not timeout else time.monotonic() + timeout

    def remaining(self):
        return None if self.deadline is None else self.deadline - time.monotonic()

    def budget(self, last=False):
        left = self.remaining()
        if left is None:
            return None
        return left if last else left / 2.0


# --------------------------------------------------------------------------- identification

def _regular_nonempty(fs, path):
    """``(True, None)`` for a non-empty regular file; ``(False, reason or None)`` otherwise."""
    try:
        kind = fs.kind(path)
        if kind is None:
            return False, None
        if kind != 'file':
            return False, '%s is %s' % (path, 'a link that leads nowhere inside the root' if kind == 'link' else 'a ' + kind)
        if fs.stat(path).st_size == 0:
            return False, '%s is empty' % path
        return True, None
    except OSError as exc:
        return False, 'cannot check %s: %s' % (path, exc)


def _has_rpm_db(fs):
    for directory in RPM_DB_DIRS:
        try:
            if any(name in RPM_DB_FILES for name in fs.listdir('/' + directory)):
                return True
        except (FileNotFoundError, NotADirectoryError):
            continue
        except OSError:
            return True  # there, and unreadable: the packages source says so
    return False


def identify(fs):
    """Which operating systems ``fs`` holds: ``([(platform, [markers])], [notes])``.

    Linux: a non-empty os-release, or a dpkg or rpm package database; macOS: a non-empty
    SystemVersion.plist; Windows: a ``Windows/System32/config/SOFTWARE`` that is a registry
    hive (``regf`` signature).  ``notes`` say why a candidate marker did not count.
    """
    found = []
    notes = []
    linux = []
    for path in OS_RELEASE:
        ok, why = _regular_nonempty(fs, path)
        if ok:
            linux.append(path)
            break
        if why:
            notes.append(why)
    for database in (DPKG_STATUS, DPKG_STATUS_D):
        try:
            if fs.lexists(database):
                linux.append(database)
                break
        except OSError as exc:
            linux.append(database)
            notes.append('cannot check %s: %s' % (database, exc))
            break
    if _has_rpm_db(fs):
        linux.append('rpm database')
    if linux:
        found.append(('linux', linux))
    ok, why = _regular_nonempty(fs, SYSTEM_VERSION)
    if ok:
        found.append(('darwin', [SYSTEM_VERSION]))
    elif why:
        notes.append(why)
    # imported here: a live scan (every host of an audit) does not pay for the hive reader
    from ansible_collections.fleetsec.banned_av.plugins.module_utils import windows_offline
    state = windows_offline.software_hive_state(fs.root)
    if state == 'hive':
        found.append(('windows', ['Windows/System32/config/SOFTWARE']))
    elif state != 'absent':
        notes.append('Windows/System32/config/SOFTWARE %s: not scanned as Windows' % state)
    return found, notes


# --------------------------------------------------------------------------- the collector

def empty_inventory(platform, root, live):
    return {
        'schema': SCHEMA, 'platform': platform, 'root': root, 'live': live, 'os': {},
        'commands': [], 'packages': [], 'package_databases': [], 'uninstall': [], 'services': [], 'units': [],
        'paths': [], 'executables': [], 'groups': [], 'processes': [], 'kernel_modules': [], 'registry': [],
        'receipts': [], 'bundles': [], 'launchd': [], 'security_center': [], 'defender': None,
        'skipped': [], 'warnings': [], 'errors': [],
    }


def compile_patterns(probe, kind, inventory):
    """The probe's regular expressions of ``kind``, each searched in at most the first
    ``patterns.MAX_VALUE_LENGTH`` characters of a value (``patterns.compile_probe``)."""
    return pattern_mod.compile_probe(probe.get(kind) or [], kind, inventory['errors'])


def _below(path, patterns):
    """The install-dir glob ``path`` lies below, or None (``*`` also matches ``/``)."""
    for pattern in patterns:
        if pattern_mod.glob_match(path, pattern.rstrip('/') + '/*'):
            return pattern
    return None


def _exec_start(text):
    """The program path of the first ``ExecStart=`` of a unit file, or None."""
    match = _EXEC_START.search(text)
    if not match:
        return None
    value = match.group(1).strip().lstrip('-@:+!').strip().strip('"\'')
    program = value.split()[0] if value.split() else ''
    return program if program.startswith('/') else None


class Collector:
    """Collect the raw inventory of one Linux system under ``fs`` (macOS: its subclass
    ``macos_collect.MacosCollector``, see :func:`collector_class`).

    ``run(argv, environ_update)`` returns ``(rc, stdout, stderr)`` and ``which(name)`` returns a
    path or None; without ``run`` the collector runs commands itself (:func:`run_command`,
    bounded by the time limit).  Unit tests pass fakes.
    """

    def __init__(self, probe, fs, platform, run=None, which=None, clock=None):
        self.fs = fs
        self.live = fs.live
        self.root = fs.root
        self.platform = platform
        self.clock = clock or Clock(None)
        self.step_deadline = None
        self.run = run or self._run
        self.which = which or (lambda name: None)
        self.probe = (probe or {}).get(platform) or {}
        self.inv = empty_inventory(platform, self.root, self.live)
        self.install_dirs = [p for p in self.probe.get('install_dirs') or [] if p.startswith('/')]

    # ------------------------------------------------------------------ helpers
    def skip(self, source, reason):
        self.inv['skipped'].append({'source': source, 'reason': reason})

    def warn(self, source, message):
        self.inv['warnings'].append({'source': source, 'message': str(message)})

    def error(self, source, message):
        self.inv['errors'].append({'source': source, 'message': str(message)})

    def _run(self, argv, environ_update=None):
        left = None if self.step_deadline is None else max(self.step_deadline - time.monotonic(), 0.001)
        return run_command(argv, environ_update, timeout=left)

    def command(self, ident, argv):
        rc, out, err = self.run(argv, environ_update=C_LOCALE)
        self.inv['commands'].append({'id': ident, 'argv': list(argv), 'rc': rc, 'stdout': out, 'stderr': err})
        return rc, out, err

    # ------------------------------------------------------------------ entry point
    def steps(self):
        """``(source, method)`` in the order they run (Linux; macos_collect.MacosCollector has macOS's)."""
        return [('os', self.collect_os), ('paths', self.collect_paths), ('packages', self.collect_linux_packages),
                ('units', self.collect_units), ('services', self.collect_init_scripts),
                ('executables', self.collect_executables), ('groups', self.collect_groups),
                ('processes', self.collect_linux_processes), ('kernel_modules', self.collect_kernel_modules),
                ('commands', self.collect_commands)]

    def collect(self):
        steps = self.steps()
        for index, (name, step) in enumerate(steps):
            self.run_step(name, step, last=index == len(steps) - 1)
        return self.inv

    def run_step(self, name, step, last=False):
        """Run one source within its share of the time limit; a failure or a timeout becomes an
        error of that source and the others still run."""
        budget = self.clock.budget(last)
        if budget is not None and budget <= 0:
            self.error(name, 'not consulted: the collector reached its time limit of %s s' % self.clock.timeout)
            return
        self.step_deadline = None if budget is None else time.monotonic() + budget
        try:
            with time_limit(budget):
                step(self.probe)
        except SourceTimeout:
            self.error(name, 'ran out of time after %.1f s (the collector has %s s in all); what it found until '
                             'then is kept' % (budget, self.clock.timeout))
        except CommandTimeout:
            self.error(name, 'a command ran out of time after %.1f s and was stopped (the collector has %s s in all)'
                       % (budget, self.clock.timeout))
        except (rootfs.NotRegularFile, rootfs.TooLarge) as exc:
            self.error(name, str(exc))  # the message names the path and what it is
        except Exception as exc:  # one failing source must not hide the others
            self.error(name, '%s: %s' % (type(exc).__name__, exc))
        finally:
            self.step_deadline = None

    # ------------------------------------------------------------------ OS and paths
    def collect_os(self, probe):
        self.inv['os'] = {'name': None, 'family': 'unknown', 'version': None, 'installation_type': None}
        for candidate in OS_RELEASE:
            if self.fs.kind(candidate) in (None, 'link'):
                continue  # absent, or a link that leads nowhere inside the root: try the next one
            info = parsers.parse_os_release(self.fs.read_text(candidate, CAPS['os']))
            self.inv['os'] = {'name': info['name'], 'family': info['family'], 'version': info['version'],
                              'installation_type': None}
            return

    def collect_paths(self, probe):
        seen = set()
        for kind in ('files', 'paths'):
            for pattern in probe.get(kind, []):
                if not pattern.startswith('/'):
                    continue  # Windows paths of cross-platform entries
                problems = []
                for path in self.fs.glob(pattern, problems):
                    if path not in seen:
                        seen.add(path)
                        self.inv['paths'].append({'path': path, 'type': self.fs.kind(path)})
                for where, exc in problems:
                    self.error('paths', '%s (for %s): %s' % (where, pattern, exc))

    # ------------------------------------------------------------------ packages
    def package_filter(self, probe):
        return parsers.package_filter(probe.get('packages') or [], compile_patterns(probe, 'maintainers', self.inv))

    def collect_linux_packages(self, probe):
        if not probe.get('packages') and not probe.get('maintainers'):
            return
        wanted = self.package_filter(probe)
        found_dpkg = self.read_dpkg(wanted)
        found_rpm = self.read_rpm(wanted)
        if not found_dpkg and not found_rpm:
            self.skip('packages', 'no dpkg or rpm database under %s' % self.root)

    def read_dpkg(self, wanted):
        """Read ``/var/lib/dpkg/status`` (and the ``updates`` journal dpkg has not yet folded into
        it), or the ``status.d`` directory of distroless images, through rootfs.  Returns whether
        a dpkg database is there."""
        try:
            kind = self.fs.kind(DPKG_STATUS)
            if kind is None and self.fs.kind(DPKG_STATUS_D) == 'dir':
                return self._dpkg_status_d(wanted)
        except OSError as exc:
            self.error('packages', 'cannot read the dpkg database: %s' % exc)
            return True
        if kind is None:
            if self.fs.kind(os.path.dirname(DPKG_STATUS)) == 'link':
                self.error('packages', 'cannot read the dpkg database: %s is a link that leads nowhere inside the root'
                           % os.path.dirname(DPKG_STATUS))
                return True
            return False
        resolved = self.fs.resolve(DPKG_STATUS) if kind != 'link' else DPKG_STATUS
        try:
            text = self.fs.read_text(DPKG_STATUS, CAPS['dpkg'])
        except OSError as exc:
            self.error('packages', 'cannot read the dpkg database: %s' % (
                '%s is a link that leads nowhere inside the root' % DPKG_STATUS if kind == 'link' else exc))
            return True
        records, count = parsers.parse_dpkg_status(text, wanted)
        by_name = dict(((r['name'], r['arch']), r) for r in records)
        count += self._dpkg_entries(DPKG_UPDATES, wanted, by_name, str.isdigit)
        if count == 0:
            self.error('packages', '%s holds no package stanza: not a dpkg database that can be read' % resolved)
        self.inv['packages'].extend(by_name.values())
        self.inv['package_databases'].append({'manager': 'dpkg', 'path': resolved, 'packages': count})
        return True

    def _dpkg_entries(self, directory, wanted, by_name, name_ok):
        """Fold the stanzas of each file in ``directory`` (sorted) into ``by_name``; return how
        many stanzas were read."""
        try:
            names = [n for n in self.fs.listdir(directory) if name_ok(n)]
        except (FileNotFoundError, NotADirectoryError):
            return 0
        count = 0
        for name in sorted(names, key=lambda n: (len(n), n)):
            try:
                text = self.fs.read_text(directory + '/' + name, CAPS['dpkg'])
            except OSError as exc:
                self.error('packages', 'cannot read the dpkg database: %s' % exc)
                continue
            records, found = parsers.parse_dpkg_status(text, wanted)
            count += found
            by_name.update(((r['name'], r['arch']), r) for r in records)
        return count

    def _dpkg_status_d(self, wanted):
        """Distroless images keep one stanza file per package in ``status.d`` instead of ``status``."""
        by_name = {}
        count = self._dpkg_entries(DPKG_STATUS_D, wanted, by_name, lambda n: not n.startswith('.') and not n.endswith('.md5sums'))
        resolved = self.fs.resolve(DPKG_STATUS_D)
        if count == 0:
            self.error('packages', '%s holds no package stanza: not a dpkg database that can be read' % resolved)
        self.inv['packages'].extend(by_name.values())
        self.inv['package_databases'].append({'manager': 'dpkg', 'path': resolved, 'packages': count})
        return True

    def rpm_databases(self):
        """``[(resolved in-root directory, [database file names])]`` of the rpm databases."""
        found = []
        for directory in RPM_DB_DIRS:
            logical = '/' + directory
            try:
                kind = self.fs.kind(logical)
                if kind is None:
                    continue
                if kind == 'link':
                    raise OSError('%s is a link that leads nowhere inside the root' % logical)
                resolved = self.fs.resolve(logical)
                files = [n for n in self.fs.listdir(logical) if n in RPM_DB_FILES]
            except NotADirectoryError:
                continue
            except OSError as exc:
                self.error('packages', 'cannot read the rpm database: %s' % exc)
                found.append((logical, None))
                continue
            if files and resolved not in [f[0] for f in found]:
                found.append((resolved, files))
        return found

    def read_rpm(self, wanted):
        databases = self.rpm_databases()
        for directory, files in databases:
            if files is not None:
                self._query_rpm(directory, files, wanted)
        return bool(databases)

    def _query_rpm(self, directory, files, wanted):
        for name in files:
            kind = self.fs.kind(directory + '/' + name)
            if kind != 'file':
                self.error('packages', 'rpm database file %s/%s is %s: not handed to rpm' % (directory, name, kind))
                return
        rpm = self.which('rpm')
        if not rpm:
            self.error('packages', 'an rpm database is at %s but the rpm command is not installed on the scanning host: '
                                   'install rpm to read it' % directory)
            return
        backend = next(RPM_DB_FILES[f] for f in RPM_DB_ORDER if f in files)
        copy = None if self.live else tempfile.mkdtemp(prefix='banned_av_rpmdb_')
        try:
            argv = [rpm, '--dbpath', self.fs.host_path(directory) if self.live else copy]
            if copy:
                self._copy_rpm_db(directory, copy)
                if backend:
                    argv += ['--define', '_db_backend %s' % backend]
            rc, out, err = self.run(argv + ['-qa', '--qf', parsers.RPM_FORMAT.replace('\\t', '\t').replace('\\n', '\n')],
                                    environ_update=C_LOCALE)
        finally:
            if copy:
                shutil.rmtree(copy, ignore_errors=True)
        count = sum(1 for line in out.splitlines() if line.strip())
        self.inv['packages'].extend(parsers.parse_rpm(out, wanted))
        self.inv['package_databases'].append({'manager': 'rpm', 'path': directory, 'backend': backend, 'packages': count})
        if rc != 0:
            self.error('packages', 'rpm could not read the database at %s (rc %s): %s' % (directory, rc, err.strip()[-500:]))
        elif count == 0:
            self.error('packages', 'rpm read no package from the database at %s (rc 0): it cannot have read it%s'
                       % (directory, (': ' + err.strip()[-500:]) if err.strip() else ''))

    def _copy_rpm_db(self, directory, dest):
        """Copy the database's regular files out of the image (rpm never sees a path into it,
        and never writes into it)."""
        for name in self.fs.listdir(directory):
            if name == '.rpm.lock' or name.startswith('__db'):
                continue
            path = directory + '/' + name
            if self.fs.kind(path) != 'file':
                continue
            with self.fs.open(path, CAPS['rpm']) as source, open(os.path.join(dest, name), 'wb') as target:
                shutil.copyfileobj(source, target)

    # ------------------------------------------------------------------ units, init scripts, executables
    def collect_units(self, probe):
        patterns = probe.get('units', [])
        found = {}
        seen = set()
        for directory in UNIT_DIRS:
            try:
                names = self.fs.listdir('/' + directory)
            except (FileNotFoundError, NotADirectoryError):
                continue
            for name in names:
                if name in seen:
                    continue  # the first directory wins, as in systemd
                seen.add(name)
                path = '/' + directory + '/' + name
                named = any(pattern_mod.glob_match(name, p) for p in patterns)
                exec_path = self._unit_exec(path) if self.install_dirs and name.endswith('.service') else None
                if named or (exec_path and _below(exec_path, self.install_dirs)):
                    unit = {'name': name, 'path': path, 'active_state': None, 'unit_file_state': None}
                    if exec_path:
                        unit['exec_path'] = exec_path
                    found[name] = unit
        units = [found[n] for n in sorted(found)]
        self.inv['units'] = units
        self._unit_states(units)

    def _unit_exec(self, path):
        try:
            return _exec_start(self.fs.read_text(path, CAPS['unit']))
        except (rootfs.NotRegularFile, FileNotFoundError):
            return None  # masked (a link to /dev/null) or dangling: nothing runs
        except OSError as exc:
            self.warn('units', 'cannot read %s: %s' % (path, exc))
            return None

    def _unit_states(self, units):
        if units and self.live and os.path.isdir('/run/systemd/system') and self.which('systemctl'):
            rc, out, _err = self.command('systemctl_show', [self.which('systemctl'), 'show', '--no-pager',
                                                            '-p', 'Id,LoadState,ActiveState,UnitFileState'] + [u['name'] for u in units])
            states = dict((u['name'], u) for u in parsers.parse_systemctl_show(out)) if rc == 0 else {}
            for unit in units:
                state = states.get(unit['name'], {})
                unit['active_state'] = state.get('active_state')
                unit['unit_file_state'] = state.get('unit_file_state')
        elif units and self.live:
            self.skip('units:state', 'systemd is not running; unit states unknown')
        elif units:
            self.skip('units:state', 'offline root: unit states are live-only')

    def collect_init_scripts(self, probe):
        """SysV init scripts that start a program below a vendor install directory."""
        if not self.install_dirs:
            return
        for directory in INIT_DIRS:
            try:
                names = self.fs.listdir(directory)
            except (FileNotFoundError, NotADirectoryError):
                continue
            for name in names:
                path = directory + '/' + name
                try:
                    text = self.fs.read_text(path, CAPS['init_script'])
                except (rootfs.NotRegularFile, FileNotFoundError):
                    continue
                except OSError as exc:
                    self.warn('services', 'cannot read %s: %s' % (path, exc))
                    continue
                exec_path = next((p for p in _ABS_PATH.findall(text) if _below(p, self.install_dirs)), None)
                if exec_path:
                    self.inv['services'].append({'name': name, 'path': path, 'kind': 'init_script', 'exec_path': exec_path})

    def collect_executables(self, probe):
        """Regular files with an execute bit below each vendor install directory (depth <= 4,
        at most 25 per directory)."""
        seen = set()
        for pattern in self.install_dirs:
            problems = []
            for directory in self.fs.glob(pattern, problems):
                if self.fs.kind(directory) != 'dir':
                    continue
                found, stopped, unreadable = self.fs.walk_files(
                    directory, EXECUTABLE_DEPTH, lambda name, st: bool(st.st_mode & 0o111), EXECUTABLES_PER_DIR, ENTRIES_PER_DIR)
                for path in found:
                    if path not in seen:
                        seen.add(path)
                        self.inv['executables'].append({'path': path, 'dir': directory})
                if stopped:
                    self.warn('executables', '%s: %s; only the first %d executables are returned'
                              % (directory, stopped, len(found)))
                problems.extend(unreadable)
            for where, exc in problems:
                self.error('executables', 'cannot read %s (below %s): %s' % (where, pattern, exc))

    # ------------------------------------------------------------------ groups, processes, modules
    def collect_groups(self, probe):
        names = set(probe.get('groups', []))
        kind = self.fs.kind('/etc/group') if names else None
        if kind is None:
            return
        if kind == 'link':  # role groups are residue: a missing group file cannot hide an installed product
            self.warn('groups', '/etc/group is a link that leads nowhere inside the root: not read')
            return
        for line in self.fs.read_text('/etc/group', CAPS['groups']).splitlines():
            parts = line.split(':')
            if len(parts) >= 3 and parts[0] in names:
                self.inv['groups'].append({'name': parts[0], 'gid': int(parts[2]) if parts[2].isdigit() else None})

    def collect_linux_processes(self, probe):
        if not self.live:
            self.skip('processes', 'offline root: live-only source')
            return
        patterns = probe.get('processes', [])
        if not patterns or not os.path.isdir('/proc'):
            return
        for pid in os.listdir('/proc'):
            if not pid.isdigit():
                continue
            try:
                name = rootfs.read_regular('/proc/%s/comm' % pid, 4096).decode('utf-8', 'backslashreplace').strip()
            except (IOError, OSError):
                continue  # process ended while we looked
            if any(pattern_mod.glob_match(name, p) for p in patterns):
                try:
                    exe = rootfs.safe_text(os.readlink('/proc/%s/exe' % pid))
                except (IOError, OSError):
                    exe = None
                self.inv['processes'].append({'name': name, 'pid': int(pid), 'exe': exe})

    def collect_kernel_modules(self, probe):
        if not self.live:
            self.skip('kernel_modules', 'offline root: live-only source')
            return
        patterns = probe.get('kernel_modules', [])
        if not patterns or not os.path.exists('/proc/modules'):
            return
        for line in rootfs.read_regular('/proc/modules', CAPS['proc']).decode('utf-8', 'backslashreplace').splitlines():
            name = line.split(' ', 1)[0]
            if any(pattern_mod.glob_match(name, p) for p in patterns):
                self.inv['kernel_modules'].append({'name': name})

    def collect_commands(self, probe):
        commands = probe.get('commands', [])
        if not commands:
            return
        if not self.live:
            self.skip('commands', 'offline root: vendor tools are not run from an image')
            return
        for spec in commands:
            argv = spec['argv']
            if os.path.isfile(argv[0]) and os.access(argv[0], os.X_OK):
                self.command(spec['parser'], argv)


def read_dpkg_status(path, patterns):
    """Matching packages of a dpkg ``status`` file at a host path (kept for callers that read
    a status file outside a scan; the collector itself reads through rootfs)."""
    return parsers.parse_dpkg_status(rootfs.read_regular(path, CAPS['dpkg']).decode('utf-8', 'backslashreplace'),
                                     parsers.package_filter(patterns, []))[0]


# --------------------------------------------------------------------------- entry points

def _windows(probe, fs, clock):
    from ansible_collections.fleetsec.banned_av.plugins.module_utils import windows_offline
    from ansible_collections.fleetsec.banned_av.plugins.module_utils import windows_registry
    inventory = None
    budget = clock.budget(last=True)
    try:
        with time_limit(budget):
            inventory = windows_offline.collect(fs.root, (probe or {}).get('windows') or {})
    except windows_offline.MissingParser as exc:
        inventory = windows_registry.empty_inventory(fs.root, False)
        inventory['errors'].append({'source': 'registry', 'message': str(exc)})
    except SourceTimeout:
        inventory = windows_registry.empty_inventory(fs.root, False)
        inventory['errors'].append({'source': 'registry', 'message': 'the Windows image scan ran out of time after %.1f s' % budget})
    for key in ('warnings', 'executables', 'package_databases'):
        inventory.setdefault(key, [])
    return inventory


def collector_class(platform):
    """The collector of ``platform``.  macOS's sources (receipts, bundles and their code signatures,
    launchd) are imported for macOS only: a Linux host does not compile them (docs/performance.md)."""
    if platform == 'darwin':
        from ansible_collections.fleetsec.banned_av.plugins.module_utils import macos_collect
        return macos_collect.MacosCollector
    return Collector


def collect_all(probe, root='/', run=None, which=None, platform=None, timeout=DEFAULT_TIMEOUT):
    """Collect one raw inventory per operating system under ``root`` (a list, never empty).

    A live scan (``root`` ``/``) is the system it runs on; an offline root is identified first
    (:func:`identify`).  ``platform`` forces one platform (no identification).
    """
    fs = rootfs.RootFS(root)
    shown_root = os.path.abspath(root or '/')  # as the user named it (fs.root has its links resolved)
    clock = Clock(timeout)
    if fs.live or platform:
        platforms = [(platform or ('darwin' if sys.platform == 'darwin' else 'linux'), [])]
        notes = []
    else:
        platforms, notes = identify(fs)
    if not platforms:
        inventory = empty_inventory(None, shown_root, fs.live)
        inventory['os'] = {'name': None, 'family': 'unknown', 'version': None, 'installation_type': None}
        inventory['errors'].append({'source': 'root', 'message': NOT_AN_OS_ROOT + (
            ' (%s)' % '; '.join(notes) if notes else '')})
        return [rootfs.sanitize(inventory)]
    inventories = []
    for name, markers in platforms:
        if name == 'windows':
            inventory = _windows(probe, fs, clock)
        else:
            inventory = collector_class(name)(probe, fs, name, run=run, which=which, clock=clock).collect()
        inventory['root'] = shown_root
        if markers:
            inventory['identified_by'] = markers
        inventory['warnings'].extend({'source': 'root', 'message': note} for note in notes)
        inventories.append(rootfs.sanitize(inventory))
    return inventories


def collect(probe, root='/', run=None, which=None, platform=None, timeout=DEFAULT_TIMEOUT):
    """The raw inventory of the first (usually the only) operating system under ``root``."""
    return collect_all(probe, root=root, run=run, which=which, platform=platform, timeout=timeout)[0]


def module_result(inventories):
    """What the module returns: ``inventory`` (the first OS) and, when the root holds several
    operating systems, ``inventories`` (all of them, in order)."""
    result = {'inventory': inventories[0]}
    if len(inventories) > 1:
        result['inventories'] = inventories
    return result
