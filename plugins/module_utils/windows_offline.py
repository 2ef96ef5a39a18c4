# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Offline scan of a Windows system volume (a mounted disk image) from its registry hives.

``collect(root, probe)`` returns the same *raw inventory* as the live Windows collector
(``plugins/modules/av_collect_win.ps1``; shape in ``docs/architecture.md``), so one matcher
serves both.  ``root`` is the directory that holds ``Windows/`` (a mounted system volume).
What it reads:

* ``Windows/System32/config/SOFTWARE``: the Uninstall keys of both registry views (native and
  ``WOW6432Node``), the vendor keys the catalogue names (``registry`` and ``signature_keys``
  globs, e.g. ``KasperskyLab``), the OS name and version, and the ProfileList (profile -> SID);
* ``Windows/System32/config/SYSTEM``: the services and drivers of the control set that
  ``Select\\Current`` names (``CurrentControlSet`` only exists on a running system), the
  product type (workstation or server) and the processor architecture;
* every ``Users/*/NTUSER.DAT``, and any other profile hive ProfileList places on the volume
  (the service profiles): the per-user Uninstall keys, reported as hive ``HKU\\<SID>`` (or
  ``HKU\\<folder name>`` for a folder ProfileList does not list).  Unlike a live scan, this
  also sees users who are not logged on;
* the files and directories the catalogue names (``files``, ``paths``), with ``C:\\`` mapped
  to ``root``.

Live-only sources (running processes, Security Center, Defender status) are listed in
``skipped``.  Every path component, key name and value name is resolved case-insensitively:
a mounted NTFS volume may or may not be case-insensitive, and the registry never is.
Symbolic links (NTFS junctions under ntfs-3g) are never followed, so an image cannot point
the scan at files of the scanning host.

The same bounds as the live collector keep the result small: at most 64 keys per registry
pattern, 4 wildcard levels per pattern, 128 values per key, 64 strings per REG_MULTI_SZ, and
binary values over 512 bytes summarised.

Hives are read with regipy (PyPI, pure Python), imported only when a scan runs; without it
:func:`collect` raises :class:`MissingParser`.  Pure functions, no Ansible imports:
``posix_collect.py`` calls ``windows_offline.collect(root, probe)`` when
``windows_offline.is_windows_root(root)``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import fnmatch
import io
import logging
import os
import re
import stat
import sys

SCHEMA_VERSION = 1
REGIPY_MISSING = 'install `regipy` (pip install regipy) on the host that scans the image'
LIVE_ONLY_REASON = 'offline image: live-only source'
LIVE_ONLY_SOURCES = ('processes', 'security_center', 'defender')

SOFTWARE_HIVE = ('Windows', 'System32', 'config', 'SOFTWARE')
SYSTEM_HIVE = ('Windows', 'System32', 'config', 'SYSTEM')
UNINSTALL_KEY = ('Microsoft', 'Windows', 'CurrentVersion', 'Uninstall')
USER_UNINSTALL_KEY = ('Software',) + UNINSTALL_KEY
CURRENT_VERSION_KEY = ('Microsoft', 'Windows NT', 'CurrentVersion')
PROFILE_LIST_KEY = CURRENT_VERSION_KEY + ('ProfileList',)

START_TYPES = {0: 'boot', 1: 'system', 2: 'auto', 3: 'manual', 4: 'disabled'}
# SERVICE_DRIVER = SERVICE_KERNEL_DRIVER (1) | SERVICE_FILE_SYSTEM_DRIVER (2) | SERVICE_RECOGNIZER_DRIVER (8)
DRIVER_TYPE_MASK = 0xB
# SYSTEM\<control set>\Control\ProductOptions\ProductType (what Win32_OperatingSystem.ProductType reports)
PRODUCT_TYPES = {'winnt': 'Client', 'servernt': 'Server', 'lanmannt': 'Server'}

# bounds shared with the live collector (plugins/modules/av_collect_win.ps1)
MAX_KEYS_PER_PATTERN = 64
MAX_WILDCARD_SEGMENTS = 4
MAX_VALUES_PER_KEY = 128
MAX_MULTI_STRINGS = 64
MAX_BINARY_BYTES = 512

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
    'public': 'C:\\Users\\Public',
}

# regipy value type name -> .NET RegistryValueKind name (what the live collector sees)
_STRING_TYPES = ('REG_SZ', 'REG_EXPAND_SZ', 'REG_EXPAND')
_INT_TYPES = ('REG_DWORD', 'REG_QWORD')
_KIND_NAMES = {'REG_BINARY': 'Binary', 'REG_NONE': 'None'}

_MAGIC = re.compile(r'[*?[]')
_DRIVE = re.compile(r'^([A-Za-z]):(?:[\\/]|$)')


class MissingParser(ImportError):
    """regipy cannot be imported on the scanning host; the message says what to install."""


RegipyMissingError = MissingParser


_INLINE_DATA = 0x80000000


def _bound_inline_reads(nk_record_class):
    """Stop regipy from copying the rest of the hive for every value stored inline.

    A value of 4 bytes or less (every REG_DWORD, short strings) is stored in the data offset
    field of its VK record, flagged by bit 31 of the data size.  regipy (up to 6.5.0 at least)
    decodes those values from the VK record, but ``NKRecord.read_value`` first calls
    ``stream.read(data_size)`` with the flag still set, i.e. ``read(2 GiB + n)``: a copy of the
    hive from a meaningless offset to its end, per value.  On a 45 MB SOFTWARE hive that made a
    scan take 35 s instead of well under a second.  The wrapper hands such reads an empty
    stream; regipy's results are unchanged (it does not use that data for inline values).
    """
    original = getattr(nk_record_class, 'read_value', None)
    if original is None or getattr(original, '_banned_av_bounded', False):
        return

    def read_value(vk, stream):
        if getattr(vk, 'data_size', 0) >= _INLINE_DATA:
            return original(vk, io.BytesIO(b''))
        return original(vk, stream)

    read_value._banned_av_bounded = True
    read_value._banned_av_original = original
    nk_record_class.read_value = staticmethod(read_value)


def _import_regipy():
    try:
        from regipy import registry  # pylint: disable=import-outside-toplevel
    except ImportError as exc:
        error = MissingParser(REGIPY_MISSING)
        error.python = sys.executable
        error.cause = str(exc)
        raise error
    _bound_inline_reads(getattr(registry, 'NKRecord', None))
    regipy_log = logging.getLogger('regipy')
    if regipy_log.level == logging.NOTSET:
        # regipy logs every unidentified hive name; problems reach the inventory's errors instead
        regipy_log.setLevel(logging.ERROR)
    return registry.RegistryHive


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
        """Expand a list of (glob) path components; return ``[(path, [real names])]``."""
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
    (the POSIX patterns of multi-platform catalogue entries)."""
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
    for pattern in probe_list(probe, 'files') + probe_list(probe, 'paths'):
        parsed = _windows_parts(pattern)
        if parsed is None:
            continue
        drive, parts = parsed
        if drive != 'C' or not parts:
            continue  # another drive letter is another volume; the image root is the system volume
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


# --------------------------------------------------------------------------- registry values

def _raw_bytes(raw):
    if isinstance(raw, (bytes, bytearray)):
        return bytes(raw)
    if isinstance(raw, str):
        # regipy decodes the data of rare types (REG_LINK, REG_DWORD_BIG_ENDIAN, ...) as text
        return raw.encode('utf-16-le')
    return None


def registry_value(value_type, raw):
    """One value as the live collector returns it: REG_SZ/REG_EXPAND_SZ as the stored string
    (not expanded), REG_DWORD/REG_QWORD as unsigned ints, REG_MULTI_SZ as a list of str, and
    anything else as a lowercase hex string (over 512 bytes: a one-line summary)."""
    if value_type in _STRING_TYPES and isinstance(raw, str):
        return raw
    if value_type in _INT_TYPES and isinstance(raw, int):
        return raw
    if value_type == 'REG_MULTI_SZ' and isinstance(raw, (list, tuple)):
        return [str(s) for s in raw][:MAX_MULTI_STRINGS]
    if isinstance(raw, (datetime.datetime, datetime.date)):
        return raw.isoformat()  # regipy's REG_FILETIME
    data = _raw_bytes(raw)
    if data is None:
        return None if raw is None else str(raw)
    if len(data) > MAX_BINARY_BYTES:
        return '<%d bytes of %s data not returned>' % (len(data), _KIND_NAMES.get(value_type, 'Unknown'))
    return data.hex()


def _string_field(typed):
    """A value read as a string field, as the live collector's Get-RegistryString does:
    trailing NULs dropped, an empty string or binary data is None, REG_MULTI_SZ joined, and
    REG_EXPAND_SZ not expanded (the live collector reads these fields with -DoNotExpand)."""
    if typed is None:
        return None
    value_type, raw = typed
    if raw is None or isinstance(raw, (bytes, bytearray)):
        return None
    if isinstance(raw, (list, tuple)):
        text = ' '.join(str(s) for s in raw)
    elif value_type in _STRING_TYPES or value_type in _INT_TYPES or isinstance(raw, (str, int)):
        text = str(raw)
    else:
        return None
    text = text.rstrip('\0')
    return text or None


def _int_field(typed):
    """A value read as an integer (REG_DWORD, REG_QWORD or a numeric string), else None."""
    if typed is None:
        return None
    raw = typed[1]
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str):
        try:
            return int(raw.strip().rstrip('\0'))
        except ValueError:
            return None
    return None


class _Hive:
    """A read-only view of one hive file: case-insensitive key lookup and typed values."""

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
        """Subkeys of ``nk`` (a list), cached by ``cache_key`` (the lowercase key path)."""
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
    def typed_values(nk):
        """``{lowercase name: (name, regipy type name, value)}``; the default value is ``(default)``."""
        out = {}
        if not nk.values_count:
            return out
        try:
            iterator = nk.iter_values(as_json=False, trim_values=False)
        except TypeError:  # regipy before 2.0 has no trim_values
            iterator = nk.iter_values(as_json=False)
        for value in iterator:
            out.setdefault(value.name.lower(), (value.name, str(value.value_type), value.value))
        return out

    def get(self, nk, *names):
        """``(type, value)`` of the first of ``names`` that ``nk`` has, or None."""
        values = self.typed_values(nk) if nk is not None else {}
        return _pick(values, *names)

    def expand(self, parts, errors, pattern):
        """Expand registry glob components below the root; return ``[([real names], nk)]``.

        A wildcard component matches one key name (fnmatch, case-insensitive).  As ``*`` also
        crosses ``\\`` in the matcher's fnmatch, a wildcard component that is not the last one
        may also match two levels: ``SOFTWARE\\*KasperskyLab\\...`` finds both ``KasperskyLab``
        and ``WOW6432Node\\KasperskyLab``.  Nothing deeper is walked (the live collector's rule).
        """
        if sum(1 for p in parts if _MAGIC.search(p)) > MAX_WILDCARD_SEGMENTS:
            errors.append({'source': 'registry', 'message': "'%s' has more than %d wildcard levels and was not read"
                           % (pattern, MAX_WILDCARD_SEGMENTS)})
            return []
        current = [([], self.root, ())]
        truncated = False
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            nxt = []
            for names, nk, path in current:
                if not _MAGIC.search(part):
                    sub = self.child(nk, part, path)
                    if sub is not None:
                        nxt.append((names + [sub.name], sub, path + (sub.name.lower(),)))
                    continue
                pattern_l = part.lower()
                for sub in self.subkeys(nk, path):
                    sub_path = path + (sub.name.lower(),)
                    if fnmatch.fnmatchcase(sub.name.lower(), pattern_l):
                        nxt.append((names + [sub.name], sub, sub_path))
                    if not last:
                        for grand in self.subkeys(sub, sub_path):
                            if fnmatch.fnmatchcase((sub.name + '\\' + grand.name).lower(), pattern_l):
                                nxt.append((names + [sub.name, grand.name], grand, sub_path + (grand.name.lower(),)))
                    if len(nxt) > MAX_KEYS_PER_PATTERN:
                        truncated = True
                        break
                if truncated:
                    break
            current = nxt[:MAX_KEYS_PER_PATTERN]
            if not current:
                break
        if truncated:
            errors.append({'source': 'registry', 'message': "'%s' matched more than %d keys; only the first %d are returned"
                           % (pattern, MAX_KEYS_PER_PATTERN, MAX_KEYS_PER_PATTERN)})
        return [(names, nk) for names, nk, _path in current]

    def key_values(self, nk, key_path, errors):
        """``{name: value}`` of a key for the ``registry`` section (bounded like the live collector)."""
        typed = list(self.typed_values(nk).values())
        if len(typed) > MAX_VALUES_PER_KEY:
            errors.append({'source': 'registry', 'message': '%s has %d values; only the first %d are returned'
                           % (key_path, len(typed), MAX_VALUES_PER_KEY)})
            typed = typed[:MAX_VALUES_PER_KEY]
        return dict((name, registry_value(value_type, raw)) for name, value_type, raw in typed)


def _pick(values, *names):
    for name in names:
        found = values.get(name.lower())
        if found is not None:
            return found[1], found[2]
    return None


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


def probe_list(probe, name):
    """``probe[name]`` as a list of non-empty strings (absent: empty; one string: a list of it)."""
    value = probe.get(name)
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    return [str(item) for item in value if item is not None and str(item) != '']


def _compile(probe, name, inventory):
    """The probe's regular expressions, searched case-insensitively; one that does not compile
    is reported (source ``probe``) and ignored, as the live collector does."""
    compiled = []
    for pattern in probe_list(probe, name):
        try:
            compiled.append(re.compile(pattern, re.IGNORECASE))
        except re.error as exc:
            inventory['errors'].append({'source': 'probe', 'message': "probe.%s pattern '%s' is not a valid regular "
                                                                      "expression and was ignored: %s" % (name, pattern, exc)})
    return compiled


def _search_any(value, regexes):
    return bool(value) and any(r.search(value) for r in regexes)


def _glob_any(value, patterns):
    lowered = value.lower()
    return any(fnmatch.fnmatchcase(lowered, p.lower()) for p in patterns)


# --------------------------------------------------------------------------- sources

def _current_control_set(system):
    """Name of the control set ``Select\\Current`` (else ``Default``) names, or None."""
    select = system.key(('Select',))
    number = None
    if select is not None:
        values = system.typed_values(select)
        for name in ('Current', 'Default'):
            candidate = _int_field(_pick(values, name))
            if candidate and candidate > 0:
                number = candidate
                break
    nk = system.key(('ControlSet%03d' % (number or 1),))
    return nk.name if nk is not None else None


def _system_facts(system, control_set):
    """``(architecture, product type)`` from the control set (either may be None)."""
    if system is None or control_set is None:
        return None, None
    env = system.key((control_set, 'Control', 'Session Manager', 'Environment'))
    arch = _string_field(system.get(env, 'PROCESSOR_ARCHITECTURE'))
    options = system.key((control_set, 'Control', 'ProductOptions'))
    product = _string_field(system.get(options, 'ProductType'))
    return arch, PRODUCT_TYPES.get((product or '').lower())


def _collect_os(software, product_type, inventory):
    key = software.key(CURRENT_VERSION_KEY)
    if key is None:
        raise ValueError('SOFTWARE hive has no Microsoft\\Windows NT\\CurrentVersion key')
    values = software.typed_values(key)
    name = _string_field(_pick(values, 'ProductName'))
    build = _string_field(_pick(values, 'CurrentBuildNumber', 'CurrentBuild'))
    major = _int_field(_pick(values, 'CurrentMajorVersionNumber'))
    minor = _int_field(_pick(values, 'CurrentMinorVersionNumber'))
    if major is not None and minor is not None:
        version = '%d.%d' % (major, minor)
    else:
        version = _string_field(_pick(values, 'CurrentVersion'))  # 6.1, 6.3 before Windows 10
    if build:
        version = '%s.%s' % (version, build) if version else build
    installation_type = product_type
    if installation_type is None:
        raw_type = _string_field(_pick(values, 'InstallationType')) or ''  # Client, Server, Server Core, Nano Server
        if raw_type:
            installation_type = 'Server' if 'server' in raw_type.lower() else 'Client'
        elif name:
            installation_type = 'Server' if 'server' in name.lower() else 'Client'
    if name:
        if build and build.isdigit() and int(build) >= 22000 and name.startswith('Windows 10') \
                and installation_type == 'Client':
            # Windows 11 keeps ProductName "Windows 10 ..."; the build number tells them apart
            name = 'Windows 11' + name[len('Windows 10'):]
        if name.startswith('Windows'):
            name = 'Microsoft ' + name  # Win32_OperatingSystem.Caption, as the live collector reports
    inventory['os'] = {'name': name, 'family': 'windows', 'version': version,
                       'installation_type': installation_type}


def _uninstall_entries(hive, parts, hive_name, view, display_re, publisher_re, inventory):
    key = hive.key(parts)
    if key is None:
        return
    for sub in hive.subkeys(key):
        try:
            values = hive.typed_values(sub)
        except Exception as exc:  # pylint: disable=broad-except
            inventory['errors'].append({'source': 'uninstall', 'message': '%s\\%s\\%s: %s: %s' % (
                hive_name + ('\\SOFTWARE' if hive_name == 'HKLM' else ''), '\\'.join(parts), sub.name,
                type(exc).__name__, exc)})
            continue
        display_name = _string_field(_pick(values, 'DisplayName'))
        publisher = _string_field(_pick(values, 'Publisher'))
        if not (_search_any(display_name, display_re) or _search_any(publisher, publisher_re)):
            continue
        inventory['uninstall'].append({
            'hive': hive_name,
            'view': view,
            'key': sub.name,
            'display_name': display_name,
            'display_version': _string_field(_pick(values, 'DisplayVersion')),
            'publisher': publisher,
            'install_location': _string_field(_pick(values, 'InstallLocation')),
            'uninstall_string': _string_field(_pick(values, 'UninstallString')),
            'quiet_uninstall_string': _string_field(_pick(values, 'QuietUninstallString')),
            'windows_installer': _int_field(_pick(values, 'WindowsInstaller')) == 1,
        })


def _collect_services(system, control_set, service_globs, driver_globs, inventory):
    if control_set is None:
        raise ValueError('the SYSTEM hive has no control set that Select\\Current names')
    services = system.key((control_set, 'Services'))
    if services is None:
        raise ValueError('the SYSTEM hive has no %s\\Services key' % control_set)
    for sub in system.subkeys(services):
        name = sub.name
        as_service = _glob_any(name, service_globs)
        as_driver = _glob_any(name, driver_globs)
        if not (as_service or as_driver):
            continue
        try:
            values = system.typed_values(sub)
        except Exception as exc:  # pylint: disable=broad-except
            inventory['errors'].append({'source': 'services', 'message': 'HKLM\\SYSTEM\\%s\\Services\\%s: %s: %s' % (
                control_set, name, type(exc).__name__, exc)})
            continue
        service_type = _int_field(_pick(values, 'Type'))
        if service_type is None:
            continue  # no Type: not something the service control manager loads (a stub key)
        kind = 'driver' if service_type & DRIVER_TYPE_MASK else 'service'
        if not (as_driver if kind == 'driver' else as_service):
            continue  # kept only when it matched the probe list of its kind
        start = _int_field(_pick(values, 'Start'))
        inventory['services'].append({
            'name': name,
            # the Service Control Manager names a service without DisplayName after its key, and
            # the live collector reports the SCM's name (an indirect "@file,-id" value stays raw here)
            'display_name': _string_field(_pick(values, 'DisplayName')) or name,
            'image_path': _string_field(_pick(values, 'ImagePath')),
            'start': START_TYPES.get(start),
            'kind': kind,
            'state': None,
        })


def _profiles(software):
    """``{lowercase volume-relative profile path: SID}`` from ProfileList."""
    out = {}
    key = software.key(PROFILE_LIST_KEY)
    if key is None:
        return out
    for sub in software.subkeys(key):
        path = _string_field(software.get(sub, 'ProfileImagePath'))
        parsed = _windows_parts(path) if path else None
        if parsed is None or parsed[0] != 'C' or not parsed[1]:
            continue
        out['\\'.join(parsed[1]).lower()] = sub.name
    return out


def _user_hives(volume, profiles):
    """``[(label, volume-relative parts of NTUSER.DAT)]``: every ``Users/*/NTUSER.DAT`` (label:
    the SID ProfileList gives the folder, else the folder name), then the other ProfileList
    profiles whose hive is on the volume (LocalSystem, LocalService, NetworkService, ...)."""
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
            seen.add('users\\' + lowered)
            found.append((profiles.get('users\\' + lowered, real), parts))
    for profile, sid in sorted(profiles.items()):
        if profile in seen:
            continue
        parts = tuple(profile.split('\\')) + ('NTUSER.DAT',)
        if volume.regular_file(parts) is not None:
            found.append((sid, parts))
    return found


_HKLM = ('hklm', 'hkey_local_machine')
_HKU = ('hku', 'hkey_users')


def _split_registry_pattern(pattern):
    """``(root, [components])`` with root ``SOFTWARE``, ``SYSTEM`` or ``HKU``, or
    ``(None, reason)`` for keys the offline reader cannot see."""
    text = pattern.strip()
    if text.lower().startswith('registry::'):
        text = text[len('registry::'):]
    parts = [p for p in text.replace('/', '\\').split('\\') if p]
    head = parts[0].rstrip(':').lower() if parts else ''
    if head in _HKU and len(parts) >= 2:
        return 'HKU', parts[1:]
    if head in _HKLM and len(parts) >= 2 and parts[1].upper() in ('SOFTWARE', 'SYSTEM'):
        return parts[1].upper(), parts[2:]
    if head in _HKLM:
        return None, 'offline image: only the SOFTWARE and SYSTEM hives of HKLM are read'
    return None, 'only HKLM and HKU keys are read'


def _collect_registry(hives, user_hives, control_set, probe, inventory):
    seen = set()
    patterns = []
    for pattern in probe_list(probe, 'registry') + probe_list(probe, 'signature_keys'):
        if pattern.lower() not in seen:
            seen.add(pattern.lower())
            patterns.append(pattern)
    seen = set()
    errors = inventory['errors']
    for pattern in patterns:
        root, parts = _split_registry_pattern(pattern)
        if root is None:
            errors.append({'source': 'registry', 'message': "'%s': %s" % (pattern, parts)})
            continue
        found = []  # (shown key path, hive, nk)
        if root == 'HKU':
            sid_pattern, rest = parts[0].lower(), parts[1:]
            for label, hive in user_hives:
                if not fnmatch.fnmatchcase(label.lower(), sid_pattern):
                    continue
                for names, nk in hive.expand(rest, errors, pattern):
                    found.append(('\\'.join(['HKU', label] + names), hive, nk))
        else:
            hive = hives.get(root)
            if hive is None or not parts:
                continue
            shown = ['HKLM', root]
            if root == 'SYSTEM' and parts[0].lower() == 'currentcontrolset':
                # CurrentControlSet is a link Windows creates at boot: read the set Select names,
                # and show the key under the name a live scan sees
                if control_set is None:
                    continue
                for names, nk in hive.expand([control_set] + parts[1:], errors, pattern):
                    found.append(('\\'.join(shown + ['CurrentControlSet'] + names[1:]), hive, nk))
            else:
                for names, nk in hive.expand(parts, errors, pattern):
                    found.append(('\\'.join(shown + names), hive, nk))
        for key_path, hive, nk in found:
            if key_path.lower() in seen:
                continue
            seen.add(key_path.lower())
            inventory['registry'].append({'key': key_path, 'values': hive.key_values(nk, key_path, errors)})


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
    ``docs/architecture.md``).  Raises :class:`MissingParser` when regipy is not installed;
    an unreadable hive becomes an ``errors`` entry and the scan carries on.
    """
    registry_hive_class = _import_regipy()
    probe = probe or {}
    inventory = _empty_inventory(root)
    volume = _Volume(root)
    skipped = inventory['skipped']

    software = _open_hive(registry_hive_class, volume, SOFTWARE_HIVE, 'SOFTWARE', inventory)
    system = _open_hive(registry_hive_class, volume, SYSTEM_HIVE, 'SYSTEM', inventory)
    control_set = _guard(inventory, 'services', _current_control_set, system) if system is not None else None
    arch, product_type = _guard(inventory, 'os', _system_facts, system, control_set) or (None, None)

    profiles = {}
    if software is not None:
        _guard(inventory, 'os', _collect_os, software, product_type, inventory)
        profiles = _guard(inventory, 'uninstall', _profiles, software) or {}

    display_re = _compile(probe, 'display_name', inventory)
    publisher_re = _compile(probe, 'publisher', inventory)
    user_hives = []
    if not display_re and not publisher_re:
        skipped.append({'source': 'uninstall', 'reason': 'the probe has no display_name or publisher pattern'})
    elif software is not None:
        # a 32-bit Windows has one view, the 32-bit one, and no WOW6432Node
        if (arch or '').strip().lower() == 'x86':
            views = [('32', UNINSTALL_KEY)]
        else:
            views = [('64', UNINSTALL_KEY), ('32', ('WOW6432Node',) + UNINSTALL_KEY)]
        for view, parts in views:
            _guard(inventory, 'uninstall', _uninstall_entries, software, parts, 'HKLM', view,
                   display_re, publisher_re, inventory)
    for label, parts in _guard(inventory, 'uninstall', _user_hives, volume, profiles) or []:
        hive_name = 'HKU\\%s' % label
        user_hive = _open_hive(registry_hive_class, volume, parts, hive_name, inventory)
        if user_hive is None:
            continue
        user_hives.append((label, user_hive))
        if display_re or publisher_re:
            _guard(inventory, 'uninstall', _uninstall_entries, user_hive, USER_UNINSTALL_KEY, hive_name, 'user',
                   display_re, publisher_re, inventory)

    service_globs = probe_list(probe, 'services')
    driver_globs = probe_list(probe, 'drivers')
    if not service_globs and not driver_globs:
        skipped.append({'source': 'services', 'reason': 'the probe has no services or drivers pattern'})
    elif system is not None:
        _guard(inventory, 'services', _collect_services, system, control_set, service_globs, driver_globs, inventory)

    hives = dict((label, hive) for label, hive in (('SOFTWARE', software), ('SYSTEM', system)) if hive is not None)
    _guard(inventory, 'registry', _collect_registry, hives, user_hives, control_set, probe, inventory)

    _guard(inventory, 'paths', _collect_paths, volume, probe, inventory)
    for message in volume.errors:
        inventory['errors'].append({'source': 'paths', 'message': message})

    for source in LIVE_ONLY_SOURCES:
        skipped.append({'source': source, 'reason': LIVE_ONLY_REASON})
    if probe.get('commands'):
        skipped.append({'source': 'commands', 'reason': LIVE_ONLY_REASON})
    return inventory
