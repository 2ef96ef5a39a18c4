# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Offline scan of a Windows system volume (a mounted disk image) from its registry hives.

``collect(root, probe)`` returns the same *raw inventory* as the live Windows collector
(``docs/architecture.md``), so one matcher serves both.  ``root`` is the directory that holds
``Windows/`` (a mounted system volume).  What it reads:

* ``Windows/System32/config/SOFTWARE``: the Uninstall keys of both registry views (native and
  ``WOW6432Node``), the vendor keys the catalogue names (``registry`` and ``signature_keys``
  globs, e.g. ``KasperskyLab``), the OS name, version and installation type, and the
  ProfileList (user folder -> SID);
* ``Windows/System32/config/SYSTEM``: the services and drivers of the control set that
  ``Select\\Current`` names;
* every ``Users/*/NTUSER.DAT`` (and any other profile hive ProfileList points to inside the
  volume): the per-user Uninstall keys, reported as hive ``HKU\\<SID>``;
* the files and directories the catalogue names (``files``, ``paths``), with ``C:\\`` mapped
  to ``root``.

Live-only sources (running processes, Security Center, Defender status) are listed in
``skipped``.  Every path component, key name and value name is resolved case-insensitively:
a mounted NTFS volume may or may not be case-insensitive, and the registry never is.
Symbolic links (NTFS junctions under ntfs-3g) are never followed, so an image cannot point
the scan at files of the scanning host.

Hives are read with regipy (PyPI, pure Python), imported only when a scan runs.
Pure functions, no Ansible imports: ``posix_collect.py`` calls
``if windows_offline.is_windows_root(root): inventory = windows_offline.collect(root, probe)``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import fnmatch
import logging
import os
import re
import stat
import struct
import sys

SCHEMA_VERSION = 1
REGIPY_MISSING = 'install `regipy` (pip install regipy) on the host that scans the image'
LIVE_ONLY_REASON = 'offline image: live-only source'
LIVE_ONLY_SOURCES = ('processes', 'security_center', 'defender')

SOFTWARE_HIVE = ('Windows', 'System32', 'config', 'SOFTWARE')
SYSTEM_HIVE = ('Windows', 'System32', 'config', 'SYSTEM')
UNINSTALL_KEY = ('Microsoft', 'Windows', 'CurrentVersion', 'Uninstall')
USER_UNINSTALL_KEY = ('Software', 'Microsoft', 'Windows', 'CurrentVersion', 'Uninstall')
CURRENT_VERSION_KEY = ('Microsoft', 'Windows NT', 'CurrentVersion')
PROFILE_LIST_KEY = CURRENT_VERSION_KEY + ('ProfileList',)

START_TYPES = {0: 'boot', 1: 'system', 2: 'auto', 3: 'manual', 4: 'disabled'}
# SERVICE_KERNEL_DRIVER (1) and SERVICE_FILE_SYSTEM_DRIVER (2)
DRIVER_TYPE_MASK = 0x3

# volume-relative directories the usual environment variables name (C: = the scanned root)
ENV_DIRS = {
    'systemdrive': 'C:',
    'systemroot': 'C:\\Windows',
    'windir': 'C:\\Windows',
    'programfiles': 'C:\\Program Files',
    'programfiles(x86)': 'C:\\Program Files (x86)',
    'programw6432': 'C:\\Program Files',
    'programdata': 'C:\\ProgramData',
    'allusersprofile': 'C:\\ProgramData',
    'commonprogramfiles': 'C:\\Program Files\\Common Files',
    'commonprogramfiles(x86)': 'C:\\Program Files (x86)\\Common Files',
}

_MAGIC = re.compile(r'[*?[]')
_DRIVE = re.compile(r'^([A-Za-z]):(?:[\\/]|$)')


class RegipyMissingError(ImportError):
    """regipy cannot be imported: the message says what to install on the scanning host."""


def _import_regipy():
    try:
        from regipy.registry import RegistryHive  # pylint: disable=import-outside-toplevel
    except ImportError as exc:
        error = RegipyMissingError(REGIPY_MISSING)
        error.python = sys.executable
        error.cause = str(exc)
        raise error
    regipy_log = logging.getLogger('regipy')
    if regipy_log.level == logging.NOTSET:
        # regipy logs every unidentified hive name and odd value; findings carry our own errors
        regipy_log.setLevel(logging.ERROR)
    return RegistryHive


# --------------------------------------------------------------------------- file system

class _Volume:
    """Case-insensitive, symlink-refusing path resolution under ``root``."""

    def __init__(self, root):
        self.root = root
        self._listings = {}
        self.errors = []

    def listdir(self, path):
        """``{lowercase name: name}`` of a directory (empty when it is not one)."""
        if path not in self._listings:
            entries = {}
            try:
                for name in sorted(os.listdir(path)):
                    entries.setdefault(name.lower(), name)
            except OSError as exc:
                if os.path.isdir(path):
                    self.errors.append('cannot list %s: %s' % (path, exc))
            self._listings[path] = entries
        return self._listings[path]

    @staticmethod
    def lstat(path):
        try:
            return os.lstat(path)
        except OSError:
            return None

    def is_dir(self, path):
        """A real directory (not a symbolic link to one); the root itself may be a link."""
        if path == self.root:
            return os.path.isdir(path)
        st = self.lstat(path)
        return st is not None and stat.S_ISDIR(st.st_mode)

    def child(self, directory, name):
        """``(path, real name)`` of ``name`` in ``directory``, matched case-insensitively, or None."""
        real = self.listdir(directory).get(name.lower())
        if real is None:
            return None
        return os.path.join(directory, real), real

    def resolve(self, parts):
        """``(path, [real names])`` of a volume-relative path, or None.  Intermediate
        components must be real directories (symbolic links are not followed)."""
        path, names = self.root, []
        for part in parts:
            if not self.is_dir(path):
                return None
            found = self.child(path, part)
            if found is None:
                return None
            path = found[0]
            names.append(found[1])
        return path, names

    def regular_file(self, parts):
        found = self.resolve(parts)
        if found is None:
            return None
        st = self.lstat(found[0])
        return found[0] if st is not None and stat.S_ISREG(st.st_mode) else None

    def glob(self, parts):
        """Expand a list of (glob) path components; yield ``(path, [real names])``."""
        current = [(self.root, [])]
        for part in parts:
            nxt = []
            for path, names in current:
                if not self.is_dir(path):
                    continue
                if not _MAGIC.search(part):
                    found = self.child(path, part)
                    if found:
                        nxt.append((found[0], names + [found[1]]))
                    continue
                pattern = part.lower()
                for lowered, real in sorted(self.listdir(path).items()):
                    if fnmatch.fnmatchcase(lowered, pattern):
                        nxt.append((os.path.join(path, real), names + [real]))
            current = nxt
        return current


def is_windows_root(root):
    """True when ``root`` holds ``Windows/System32/config/SOFTWARE`` (any letter case)."""
    try:
        if not root or not os.path.isdir(root):
            return False
        return _Volume(root).regular_file(SOFTWARE_HIVE) is not None
    except (OSError, ValueError):
        return False


def _windows_parts(pattern):
    """``(drive letter, [components])`` of a Windows path pattern, or None when it is not one
    (POSIX patterns of multi-platform catalogue entries)."""
    expanded = re.sub(r'%([^%]+)%', lambda m: ENV_DIRS.get(m.group(1).lower(), m.group(0)), pattern)
    match = _DRIVE.match(expanded)
    if not match:
        return None
    parts = [p for p in re.split(r'[\\/]+', expanded[match.end():]) if p]
    if any(p in ('.', '..') for p in parts):
        return None
    return match.group(1).upper(), parts


def _collect_paths(volume, probe, inventory):
    seen = set()
    for pattern in list(probe.get('files') or []) + list(probe.get('paths') or []):
        parsed = _windows_parts(pattern)
        if parsed is None:
            continue
        drive, parts = parsed
        if drive != 'C' or not parts:
            # other drive letters are other volumes; the image root is the system volume
            continue
        for path, names in volume.glob(parts):
            st = volume.lstat(path)
            if st is None:
                continue
            winpath = 'C:\\' + '\\'.join(names)
            if winpath.lower() in seen:
                continue
            seen.add(winpath.lower())
            if stat.S_ISLNK(st.st_mode):
                kind = 'link'
            elif stat.S_ISDIR(st.st_mode):
                kind = 'dir'
            else:
                kind = 'file'
            inventory['paths'].append({'path': winpath, 'type': kind})


# --------------------------------------------------------------------------- registry

def _convert(value_type, value):
    """A registry value as the live collector returns it: DWORD/QWORD as int, strings as str,
    REG_MULTI_SZ as a list of str, binary (and anything undecodable) as a hex string."""
    if isinstance(value, (bytes, bytearray)):
        if value_type in ('REG_DWORD_BIG_ENDIAN',) and len(value) == 4:
            return struct.unpack('>I', bytes(value))[0]
        return bytes(value).hex()
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (list, tuple)):
        return [_convert('REG_SZ', v) for v in value]
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if value is None or isinstance(value, (int, str)):
        return value
    return str(value)


class _Hive:
    """A read-only view of one hive file: case-insensitive key lookup and converted values."""

    def __init__(self, registry_hive_class, path, label):
        self.path = path
        self.label = label
        self.hive = registry_hive_class(path)
        self._subkeys = {}

    def dirty(self):
        header = self.hive.header
        primary, secondary = header.primary_sequence_num, header.secondary_sequence_num
        return (primary, secondary) if primary != secondary else None

    @property
    def root(self):
        return self.hive.root

    def subkeys(self, nk, cache_key=None):
        """Subkeys of ``nk`` (a list); cached by ``cache_key`` (the lowercase key path)."""
        if cache_key is not None and cache_key in self._subkeys:
            return self._subkeys[cache_key]
        result = list(nk.iter_subkeys() or []) if nk.subkey_count else []
        if cache_key is not None:
            self._subkeys[cache_key] = result
        return result

    def child(self, nk, name, cache_key=None):
        lowered = name.lower()
        for sub in self.subkeys(nk, cache_key):
            if sub.name.lower() == lowered:
                return sub
        return None

    def key(self, parts):
        """The key at ``parts`` (names, any case) below the root, or None."""
        nk = self.root
        path = ()
        for part in parts:
            nk = self.child(nk, part, path)
            if nk is None:
                return None
            path += (nk.name.lower(),)
        return nk

    @staticmethod
    def values(nk):
        """``{name: value}`` of a key; the default value is named ``(default)``."""
        out = {}
        if not nk.values_count:
            return out
        try:
            iterator = nk.iter_values(as_json=False, trim_values=False)
        except TypeError:  # regipy < 2.0 has no trim_values
            iterator = nk.iter_values(as_json=False)
        for value in iterator:
            out[value.name] = _convert(str(value.value_type), value.value)
        return out

    @staticmethod
    def value(values, name):
        """Case-insensitive lookup in a ``values()`` dict."""
        if name in values:
            return values[name]
        lowered = name.lower()
        for key, val in values.items():
            if key.lower() == lowered:
                return val
        return None

    def expand(self, parts):
        """Expand registry glob components below the root; return ``[[real names], nk]`` pairs.

        A component matches one key name (fnmatch, case-insensitive).  A wildcard component
        that is not the last one may also match two levels, as ``*`` crosses ``\\`` in the
        matcher's fnmatch: ``SOFTWARE\\*KasperskyLab\\...`` finds both
        ``KasperskyLab`` and ``WOW6432Node\\KasperskyLab``.
        """
        results = []

        def walk(nk, path, names, index):
            if index == len(parts):
                results.append((names, nk))
                return
            part = parts[index]
            last = index == len(parts) - 1
            if not _MAGIC.search(part):
                sub = self.child(nk, part, path)
                if sub is not None:
                    walk(sub, path + (sub.name.lower(),), names + [sub.name], index + 1)
                return
            pattern = part.lower()
            for sub in self.subkeys(nk, path):
                sub_path = path + (sub.name.lower(),)
                if fnmatch.fnmatchcase(sub.name.lower(), pattern):
                    walk(sub, sub_path, names + [sub.name], index + 1)
                if last:
                    continue
                for grand in self.subkeys(sub, sub_path):
                    joined = (sub.name + '\\' + grand.name).lower()
                    if fnmatch.fnmatchcase(joined, pattern):
                        walk(grand, sub_path + (grand.name.lower(),), names + [sub.name, grand.name], index + 1)

        walk(self.root, (), [], 0)
        return results


def _open_hive(registry_hive_class, volume, parts, label, inventory, required=True):
    path = volume.regular_file(parts)
    if path is None:
        if required:
            inventory['errors'].append({'source': 'hive:%s' % label,
                                        'message': 'hive %s not found under %s' % ('/'.join(parts), volume.root)})
        return None
    try:
        hive = _Hive(registry_hive_class, path, label)
    except Exception as exc:  # pylint: disable=broad-except
        inventory['errors'].append({'source': 'hive:%s' % label,
                                    'message': 'cannot read hive %s: %s: %s' % (path, type(exc).__name__, exc)})
        return None
    dirty = hive.dirty()
    if dirty:
        inventory['errors'].append({'source': 'hive:%s' % label, 'message': (
            'hive %s was not closed cleanly (sequence numbers %d/%d): changes still held in its '
            'transaction logs (.LOG1/.LOG2) are not applied, so findings may be incomplete; image a '
            'cleanly shut down machine, or replay the logs into a copy with regipy-process-transaction-logs'
            % (path, dirty[0], dirty[1]))})
    return hive


def _guard(inventory, source, func, *args):
    """Run one collection step; a failure becomes an ``errors`` entry and the scan carries on."""
    try:
        return func(*args)
    except Exception as exc:  # pylint: disable=broad-except
        inventory['errors'].append({'source': source, 'message': '%s: %s' % (type(exc).__name__, exc)})
        return None


def _compile(patterns):
    return [re.compile(p, re.IGNORECASE) for p in patterns or []]


def _search_any(value, regexes):
    if not value or not isinstance(value, str):
        return False
    return any(r.search(value) for r in regexes)


def _glob_any(value, patterns):
    lowered = value.lower()
    return any(fnmatch.fnmatchcase(lowered, p.lower()) for p in patterns)


def _str_or_none(value):
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def _uninstall_entries(hive, parts, hive_name, view, display_re, publisher_re, inventory):
    key = hive.key(parts)
    if key is None:
        return
    for sub in hive.subkeys(key):
        values = hive.values(sub)
        display_name = _str_or_none(hive.value(values, 'DisplayName'))
        publisher = _str_or_none(hive.value(values, 'Publisher'))
        if not (_search_any(display_name, display_re) or _search_any(publisher, publisher_re)):
            continue
        installer = hive.value(values, 'WindowsInstaller')
        inventory['uninstall'].append({
            'hive': hive_name,
            'view': view,
            'key': sub.name,
            'display_name': display_name,
            'display_version': _str_or_none(hive.value(values, 'DisplayVersion')),
            'publisher': publisher,
            'install_location': _str_or_none(hive.value(values, 'InstallLocation')),
            'uninstall_string': _str_or_none(hive.value(values, 'UninstallString')),
            'quiet_uninstall_string': _str_or_none(hive.value(values, 'QuietUninstallString')),
            'windows_installer': isinstance(installer, int) and installer == 1,
        })


def _native_view(system, control_set):
    """'32' on an x86 Windows (no WOW64: the native view is the 32-bit one), else '64'."""
    if system is None or control_set is None:
        return '64'
    env = system.key((control_set, 'Control', 'Session Manager', 'Environment'))
    if env is None:
        return '64'
    arch = system.value(system.values(env), 'PROCESSOR_ARCHITECTURE')
    return '32' if isinstance(arch, str) and arch.strip().lower() == 'x86' else '64'


def _current_control_set(system):
    """Name of the control set ``Select\\Current`` points to (``ControlSet001`` ...), or None."""
    select = system.key(('Select',))
    number = None
    if select is not None:
        values = system.values(select)
        for name in ('Current', 'Default'):
            candidate = system.value(values, name)
            if isinstance(candidate, int) and candidate > 0:
                number = candidate
                break
    nk = system.key(('ControlSet%03d' % (number or 1),))
    return nk.name if nk is not None else None


def _collect_services(system, control_set, probe, inventory):
    if control_set is None:
        raise ValueError('SYSTEM hive has no control set (Select\\Current names none that exists)')
    services = system.key((control_set, 'Services'))
    if services is None:
        raise ValueError('SYSTEM hive has no %s\\Services key' % control_set)
    service_globs = list(probe.get('services') or [])
    driver_globs = list(probe.get('drivers') or [])
    for sub in system.subkeys(services):
        name = sub.name
        as_service = _glob_any(name, service_globs)
        as_driver = _glob_any(name, driver_globs)
        if not (as_service or as_driver):
            continue
        values = system.values(sub)
        service_type = system.value(values, 'Type')
        if not isinstance(service_type, int):
            continue  # no Type: not a service the service control manager loads (e.g. a stub key)
        kind = 'driver' if service_type & DRIVER_TYPE_MASK else 'service'
        if not (as_driver if kind == 'driver' else as_service):
            continue
        start = system.value(values, 'Start')
        inventory['services'].append({
            'name': name,
            'display_name': _str_or_none(system.value(values, 'DisplayName')),
            'image_path': _str_or_none(system.value(values, 'ImagePath')),
            'start': START_TYPES.get(start) if isinstance(start, int) else None,
            'kind': kind,
            'state': None,
        })


def _registry_patterns(probe):
    seen = set()
    for pattern in list(probe.get('registry') or []) + list(probe.get('signature_keys') or []):
        if pattern.lower() not in seen:
            seen.add(pattern.lower())
            yield pattern


_ROOTS = {'hklm': 'HKLM', 'hkey_local_machine': 'HKLM'}


def _split_registry_pattern(pattern):
    """``(hive label, [components below the hive root])`` or None for keys outside HKLM\\SOFTWARE
    and HKLM\\SYSTEM (per-user keys, HKCR, ...)."""
    parts = [p for p in pattern.replace('/', '\\').split('\\') if p]
    if len(parts) < 2 or _ROOTS.get(parts[0].lower()) != 'HKLM':
        return None
    hive = parts[1].upper()
    if hive not in ('SOFTWARE', 'SYSTEM'):
        return None
    return hive, parts[2:]


def _collect_registry(hives, control_set, probe, inventory):
    seen = set()
    unsupported = []
    for pattern in _registry_patterns(probe):
        split = _split_registry_pattern(pattern)
        if split is None:
            unsupported.append(pattern)
            continue
        label, parts = split
        hive = hives.get(label)
        if hive is None or not parts:
            continue
        if label == 'SYSTEM' and parts[0].lower() == 'currentcontrolset':
            # CurrentControlSet is a link Windows creates at boot: read the set Select names,
            # report the key under the name a live scan sees
            if control_set is None:
                continue
            expanded = [(['CurrentControlSet'] + names[1:], nk) for names, nk in hive.expand([control_set] + parts[1:])]
        else:
            expanded = hive.expand(parts)
        for names, nk in expanded:
            key = 'HKLM\\%s\\%s' % (label, '\\'.join(names))
            if key.lower() in seen:
                continue
            seen.add(key.lower())
            inventory['registry'].append({'key': key, 'values': hive.values(nk)})
    if unsupported:
        inventory['skipped'].append({'source': 'registry', 'reason': (
            'offline image: only HKLM\\SOFTWARE and HKLM\\SYSTEM keys are read; not read: %s' % ', '.join(unsupported))})


def _collect_os(software, inventory):
    key = software.key(CURRENT_VERSION_KEY)
    if key is None:
        raise ValueError('SOFTWARE hive has no Microsoft\\Windows NT\\CurrentVersion key')
    values = software.values(key)
    name = _str_or_none(software.value(values, 'ProductName'))
    build = software.value(values, 'CurrentBuild') or software.value(values, 'CurrentBuildNumber')
    build = _str_or_none(build)
    major = software.value(values, 'CurrentMajorVersionNumber')
    minor = software.value(values, 'CurrentMinorVersionNumber')
    legacy = _str_or_none(software.value(values, 'CurrentVersion'))
    if isinstance(major, int) and isinstance(minor, int):
        version = '%d.%d' % (major, minor)
    else:
        version = legacy
    if build:
        version = '%s.%s' % (version, build) if version else build
    raw_type = _str_or_none(software.value(values, 'InstallationType'))
    if raw_type:
        installation_type = 'Server' if 'server' in raw_type.lower() else 'Client'
    elif name:
        installation_type = 'Server' if 'server' in name.lower() else 'Client'
    else:
        installation_type = None
    if name and build and build.isdigit() and int(build) >= 22000 and installation_type == 'Client' \
            and name.startswith('Windows 10'):
        # Windows 11 keeps ProductName "Windows 10 ..."; the build number tells them apart
        name = 'Windows 11' + name[len('Windows 10'):]
    inventory['os'] = {'name': name, 'family': 'windows', 'version': version,
                       'installation_type': installation_type}


def _profile_sids(software):
    """``{lowercase profile path below C:\\: SID}`` from ProfileList."""
    out = {}
    key = software.key(PROFILE_LIST_KEY)
    if key is None:
        return out
    for sub in software.subkeys(key):
        path = software.value(software.values(sub), 'ProfileImagePath')
        if not isinstance(path, str):
            continue
        parsed = _windows_parts(path)
        if parsed is None or parsed[0] != 'C':
            continue
        out['\\'.join(parsed[1]).lower()] = sub.name
    return out


def _user_hives(volume, sids):
    """``[(label, volume-relative parts)]`` of the profile hives to read: every
    ``Users/*/NTUSER.DAT``, then ProfileList profiles elsewhere on the volume."""
    found = []
    seen = set()
    users = volume.resolve(('Users',))
    if users is not None and volume.is_dir(users[0]):
        for lowered, real in sorted(volume.listdir(users[0]).items()):
            if not volume.is_dir(os.path.join(users[0], real)):
                continue  # junctions such as "All Users" and "Default User"
            parts = (users[1][0], real, 'NTUSER.DAT')
            if volume.regular_file(parts) is None:
                continue
            seen.add('%s\\%s' % (users[1][0].lower(), lowered))
            found.append((sids.get('users\\' + lowered, real), parts))
    for profile, sid in sorted(sids.items()):
        if profile in seen:
            continue
        parts = tuple(profile.split('\\')) + ('NTUSER.DAT',)
        if volume.regular_file(parts) is not None:
            found.append((sid, parts))
    return found


def _empty_inventory(root):
    inventory = {
        'schema': SCHEMA_VERSION,
        'platform': 'windows',
        'root': root,
        'live': False,
        'os': {'name': None, 'family': 'windows', 'version': None, 'installation_type': None},
    }
    for key in ('commands', 'packages', 'uninstall', 'services', 'units', 'paths', 'groups', 'processes',
                'kernel_modules', 'registry', 'receipts', 'bundles', 'launchd', 'security_center',
                'skipped', 'errors'):
        inventory[key] = []
    inventory['defender'] = None
    return inventory


def collect(root, probe):
    """Scan the Windows system volume mounted at ``root`` for what ``probe`` names.

    ``probe`` is ``Catalog.probe('windows')``.  Returns the raw inventory (see
    ``docs/architecture.md``).  Raises :class:`RegipyMissingError` when regipy is not
    installed; an unreadable hive becomes an ``errors`` entry and the scan carries on.
    """
    registry_hive_class = _import_regipy()
    probe = probe or {}
    inventory = _empty_inventory(root)
    volume = _Volume(root)

    software = _open_hive(registry_hive_class, volume, SOFTWARE_HIVE, 'SOFTWARE', inventory)
    system = _open_hive(registry_hive_class, volume, SYSTEM_HIVE, 'SYSTEM', inventory)
    control_set = _guard(inventory, 'services', _current_control_set, system) if system else None

    display_re = _compile(probe.get('display_name'))
    publisher_re = _compile(probe.get('publisher'))
    sids = {}
    if software is not None:
        _guard(inventory, 'os', _collect_os, software, inventory)
        native = _guard(inventory, 'uninstall', _native_view, system, control_set) or '64'
        views = [(native, UNINSTALL_KEY)]
        if native == '64':
            views.append(('32', ('WOW6432Node',) + UNINSTALL_KEY))
        for view, parts in views:
            _guard(inventory, 'uninstall', _uninstall_entries, software, parts, 'HKLM', view,
                   display_re, publisher_re, inventory)
        sids = _guard(inventory, 'uninstall', _profile_sids, software) or {}
    if system is not None and control_set is not None:
        _guard(inventory, 'services', _collect_services, system, control_set, probe, inventory)
    hives = dict((label, hive) for label, hive in (('SOFTWARE', software), ('SYSTEM', system)) if hive is not None)
    _guard(inventory, 'registry', _collect_registry, hives, control_set, probe, inventory)

    for label, parts in _guard(inventory, 'uninstall', _user_hives, volume, sids) or []:
        hive_name = 'HKU\\%s' % label
        user_hive = _open_hive(registry_hive_class, volume, parts, hive_name, inventory)
        if user_hive is not None:
            _guard(inventory, 'uninstall', _uninstall_entries, user_hive, USER_UNINSTALL_KEY, hive_name, 'user',
                   display_re, publisher_re, inventory)

    _guard(inventory, 'paths', _collect_paths, volume, probe, inventory)
    for message in volume.errors:
        inventory['errors'].append({'source': 'paths', 'message': message})

    for source in LIVE_ONLY_SOURCES:
        inventory['skipped'].append({'source': source, 'reason': LIVE_ONLY_REASON})
    if probe.get('commands'):
        inventory['skipped'].append({'source': 'commands', 'reason': LIVE_ONLY_REASON})
    return inventory
