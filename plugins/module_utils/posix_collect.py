# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""POSIX collector: targeted queries on a Linux or macOS host, or on an offline root.

It only *collects*: it asks for the names the catalogue probe lists and returns a raw
inventory (``docs/architecture.md``).  It never dumps the whole package database and never
decides what is banned; the controller does that.  Commands run with the C locale and argv
lists.  ``root`` other than ``/`` scans a mounted image, container root or chroot; live-only
sources (processes, kernel modules, unit states, vendor tools) are then skipped and said so.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch
import glob
import os
import re
import sys

from ansible_collections.fleetsec.banned_av.plugins.module_utils import parsers

SCHEMA = 1
C_LOCALE = {'LANG': 'C', 'LC_ALL': 'C', 'LC_MESSAGES': 'C', 'LANGUAGE': 'C'}
UNIT_DIRS = ('etc/systemd/system', 'run/systemd/system', 'usr/local/lib/systemd/system', 'usr/lib/systemd/system', 'lib/systemd/system')
RPM_DB_DIRS = ('var/lib/rpm', 'usr/lib/sysimage/rpm')


class Collector:
    """Collect a raw inventory.

    ``run(argv, environ_update)`` returns ``(rc, stdout, stderr)`` and ``which(name)`` returns a
    path or None; the Ansible module passes ``module.run_command`` / ``module.get_bin_path`` and
    unit tests pass fakes.
    """

    def __init__(self, probe, root='/', run=None, which=None, platform=None):
        self.root = os.path.abspath(root or '/')
        self.live = self.root == '/'
        self.run = run
        self.which = which or (lambda name: None)
        self.inv = {
            'schema': SCHEMA, 'platform': None, 'root': self.root, 'live': self.live, 'os': {},
            'commands': [], 'packages': [], 'uninstall': [], 'services': [], 'units': [], 'paths': [],
            'groups': [], 'processes': [], 'kernel_modules': [], 'registry': [], 'receipts': [],
            'bundles': [], 'launchd': [], 'security_center': [], 'defender': None, 'skipped': [], 'errors': [],
        }
        self.probe_all = probe or {}
        self.forced_platform = platform

    # ------------------------------------------------------------------ helpers
    def host_path(self, path):
        """Map an absolute path on the scanned system to a path on this host."""
        if self.live:
            return path
        return os.path.join(self.root, path.lstrip('/'))

    def skip(self, source, reason):
        self.inv['skipped'].append({'source': source, 'reason': reason})

    def error(self, source, message):
        self.inv['errors'].append({'source': source, 'message': str(message)})

    def command(self, ident, argv):
        rc, out, err = self.run(argv, environ_update=C_LOCALE)
        self.inv['commands'].append({'id': ident, 'argv': list(argv), 'rc': rc, 'stdout': out, 'stderr': err})
        return rc, out, err

    def detect_platform(self):
        if self.forced_platform:
            return self.forced_platform
        if self.live:
            return 'darwin' if sys.platform == 'darwin' else 'linux'
        if os.path.exists(self.host_path('/System/Library/CoreServices/SystemVersion.plist')):
            return 'darwin'
        return 'linux'

    # ------------------------------------------------------------------ entry point
    def collect(self):
        if not self.live and not self.forced_platform:
            # imported here: a live scan (every host of an audit) does not pay for the hive reader
            from ansible_collections.fleetsec.banned_av.plugins.module_utils import windows_offline
            if windows_offline.is_windows_root(self.root):
                return windows_offline.collect(self.root, self.probe_all.get('windows') or {})
        platform = self.detect_platform()
        self.inv['platform'] = platform
        probe = self.probe_all.get(platform) or {}
        steps = [('os', self.collect_os), ('paths', self.collect_paths)]
        if platform == 'linux':
            steps += [('packages', self.collect_linux_packages), ('units', self.collect_units),
                      ('groups', self.collect_groups), ('processes', self.collect_linux_processes),
                      ('kernel_modules', self.collect_kernel_modules)]
        else:
            steps += [('receipts', self.collect_receipts), ('bundles', self.collect_bundles),
                      ('launchd', self.collect_launchd), ('groups', self.collect_groups),
                      ('processes', self.collect_darwin_processes)]
        steps.append(('commands', self.collect_commands))
        for name, step in steps:
            try:
                step(probe)
            except Exception as exc:  # one failing source must not hide the others
                self.error(name, '%s: %s' % (type(exc).__name__, exc))
        return self.inv

    # ------------------------------------------------------------------ sources
    def collect_os(self, probe):
        if self.inv['platform'] == 'darwin':
            path = self.host_path('/System/Library/CoreServices/SystemVersion.plist')
            if os.path.exists(path):
                import plistlib  # macOS only
                with open(path, 'rb') as handle:
                    data = plistlib.load(handle)
                self.inv['os'] = {'name': '%s %s' % (data.get('ProductName', 'macOS'), data.get('ProductVersion', '')),
                                  'family': 'darwin', 'version': data.get('ProductVersion'), 'installation_type': None}
            return
        for candidate in ('/etc/os-release', '/usr/lib/os-release'):
            path = self.host_path(candidate)
            if os.path.exists(path):
                with open(path, 'r', errors='replace') as handle:
                    info = parsers.parse_os_release(handle.read())
                self.inv['os'] = {'name': info['name'], 'family': info['family'], 'version': info['version'],
                                  'installation_type': None}
                return
        self.inv['os'] = {'name': None, 'family': 'unknown', 'version': None, 'installation_type': None}

    def collect_paths(self, probe):
        seen = set()
        for kind in ('files', 'paths'):
            for pattern in probe.get(kind, []):
                if not pattern.startswith('/'):
                    continue  # Windows paths of cross-platform entries
                for hit in sorted(glob.glob(self.host_path(pattern))):
                    path = hit if self.live else '/' + os.path.relpath(hit, self.root)
                    if path in seen:
                        continue
                    seen.add(path)
                    kind_of = 'link' if os.path.islink(hit) else 'dir' if os.path.isdir(hit) else 'file'
                    self.inv['paths'].append({'path': path, 'type': kind_of})

    def collect_linux_packages(self, probe):
        names = probe.get('packages', [])
        if not names:
            return
        found_db = False
        admindir = self.host_path('/var/lib/dpkg')
        if os.path.exists(os.path.join(admindir, 'status')):
            found_db = True
            dpkg_query = self.which('dpkg-query')
            if dpkg_query:
                argv = [dpkg_query]
                if not self.live:
                    argv.append('--admindir=%s' % admindir)
                argv += ['-W', '-f=' + parsers.DPKG_FORMAT.replace('\\t', '\t').replace('\\n', '\n')] + names
                rc, _out, err = self.command('dpkg', argv)
                # rc 1 with "no packages found matching" is the normal answer for a clean host
                if rc not in (0, 1):
                    self.error('packages', 'dpkg-query failed (rc %s): %s' % (rc, err.strip()))
            else:
                self.inv['packages'].extend(read_dpkg_status(os.path.join(admindir, 'status'), names))
        for db in RPM_DB_DIRS:
            path = self.host_path('/' + db)
            if os.path.isdir(path) and os.listdir(path):
                found_db = True
                rpm = self.which('rpm')
                if not rpm:
                    self.skip('packages:rpm', 'an rpm database exists at %s but the rpm command is not installed on the scanning host' % path)
                    break
                argv = [rpm]
                if not self.live:
                    argv += ['--root', self.root]
                argv += ['-qa', '--qf', parsers.RPM_FORMAT.replace('\\t', '\t').replace('\\n', '\n')] + names
                rc, _out, err = self.command('rpm', argv)
                if rc != 0:
                    self.error('packages', 'rpm query failed (rc %s): %s' % (rc, err.strip()))
                break
        if not found_db:
            self.skip('packages', 'no dpkg or rpm database under %s' % self.root)

    def collect_units(self, probe):
        patterns = probe.get('units', [])
        found = {}
        for directory in UNIT_DIRS:
            path = self.host_path('/' + directory)
            if not os.path.isdir(path):
                continue
            for name in sorted(os.listdir(path)):
                if name not in found and any(fnmatch.fnmatchcase(name, p) for p in patterns):
                    found[name] = '/' + directory + '/' + name
        units = [{'name': n, 'path': p, 'active_state': None, 'unit_file_state': None} for n, p in sorted(found.items())]
        if units and self.live and os.path.isdir('/run/systemd/system') and self.which('systemctl'):
            rc, out, err = self.command('systemctl_show', [self.which('systemctl'), 'show', '--no-pager',
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
        self.inv['units'] = units

    def collect_groups(self, probe):
        names = set(probe.get('groups', []))
        path = self.host_path('/etc/group')
        if not names or not os.path.exists(path):
            return
        with open(path, 'r', errors='replace') as handle:
            for line in handle:
                parts = line.rstrip('\n').split(':')
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
                with open('/proc/%s/comm' % pid, 'r', errors='replace') as handle:
                    name = handle.read().strip()
            except (IOError, OSError):
                continue  # process ended while we looked
            if any(fnmatch.fnmatchcase(name, p) for p in patterns):
                try:
                    exe = os.readlink('/proc/%s/exe' % pid)
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
        with open('/proc/modules') as handle:
            for line in handle:
                name = line.split(' ', 1)[0]
                if any(fnmatch.fnmatchcase(name, p) for p in patterns):
                    self.inv['kernel_modules'].append({'name': name})

    def collect_receipts(self, probe):
        patterns = probe.get('receipts', [])
        directory = self.host_path('/var/db/receipts')
        if not patterns or not os.path.isdir(directory):
            return
        for name in sorted(os.listdir(directory)):
            if not name.endswith('.plist'):
                continue
            ident = name[:-len('.plist')]
            if not any(re.search(p, ident, re.IGNORECASE) for p in patterns):
                continue
            data = _read_plist(os.path.join(directory, name))
            self.inv['receipts'].append({'id': data.get('PackageIdentifier', ident), 'version': data.get('PackageVersion'),
                                         'install_date': _plist_date(data.get('InstallDate'))})

    def collect_bundles(self, probe):
        patterns = probe.get('bundle_ids', [])
        directory = self.host_path('/Applications')
        if not patterns or not os.path.isdir(directory):
            return
        for name in sorted(os.listdir(directory)):
            if not name.endswith('.app'):
                continue
            info = os.path.join(directory, name, 'Contents', 'Info.plist')
            if not os.path.exists(info):
                continue
            data = _read_plist(info)
            ident = data.get('CFBundleIdentifier') or ''
            if any(re.search(p, ident, re.IGNORECASE) for p in patterns):
                self.inv['bundles'].append({'path': '/Applications/' + name, 'id': ident,
                                            'version': data.get('CFBundleShortVersionString') or data.get('CFBundleVersion')})

    def collect_launchd(self, probe):
        patterns = probe.get('launchd', [])
        for directory in ('/Library/LaunchDaemons', '/Library/LaunchAgents'):
            path = self.host_path(directory)
            if not patterns or not os.path.isdir(path):
                continue
            for name in sorted(os.listdir(path)):
                label = name[:-len('.plist')] if name.endswith('.plist') else name
                if any(re.search(p, label, re.IGNORECASE) for p in patterns):
                    self.inv['launchd'].append({'label': label, 'path': directory + '/' + name})

    def collect_darwin_processes(self, probe):
        if not self.live:
            self.skip('processes', 'offline root: live-only source')
            return
        patterns = probe.get('processes', [])
        ps = self.which('ps')
        if not patterns or not ps:
            return
        rc, out, _err = self.run([ps, '-axco', 'pid=,comm='], environ_update=C_LOCALE)
        for line in out.splitlines() if rc == 0 else []:
            pid, _sep, name = line.strip().partition(' ')
            name = name.strip()
            if pid.isdigit() and any(fnmatch.fnmatchcase(name, p) for p in patterns):
                self.inv['processes'].append({'name': name, 'pid': int(pid), 'exe': None})

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


def _read_plist(path):
    import plistlib  # macOS only
    try:
        with open(path, 'rb') as handle:
            data = plistlib.load(handle)
        return data if isinstance(data, dict) else {}
    except Exception:  # a damaged plist is no reason to stop the scan
        return {}


def _plist_date(value):
    return value.isoformat() if hasattr(value, 'isoformat') else value


def read_dpkg_status(path, patterns):
    """Read matching stanzas of a dpkg ``status`` file (fallback when dpkg-query is absent)."""
    packages = []
    stanza = {}

    def flush():
        name = stanza.get('Package')
        if name and any(fnmatch.fnmatchcase(name, p) for p in patterns):
            line = '\t'.join([name, stanza.get('Version', ''), stanza.get('Architecture', ''), stanza.get('Status', '')])
            packages.extend(parsers.parse_dpkg(line))

    with open(path, 'r', errors='replace') as handle:
        for line in handle:
            if not line.strip():
                flush()
                stanza = {}
            elif not line[0].isspace() and ':' in line:
                key, _sep, value = line.partition(':')
                stanza[key] = value.strip()
    flush()
    return packages


def collect(probe, root='/', run=None, which=None, platform=None):
    return Collector(probe, root=root, run=run, which=which, platform=platform).collect()
