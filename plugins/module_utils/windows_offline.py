# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Offline scan of a Windows system volume (a mounted disk image) from its registry hives.

``collect(root, probe)`` returns the same *raw inventory* as a live scan of the machine
(``docs/architecture.md``): the hives are read through :class:`HiveRegistry`, and the one
interpretation of registry data that serves live hosts too (``windows_registry.py``) turns
them into ``os``, ``uninstall``, ``services`` and ``registry``.  ``root`` is the directory
that holds ``Windows/`` (a mounted system volume).  What it reads:

* ``Windows/System32/config/SOFTWARE``: the Uninstall keys of both registry views (native and
  ``WOW6432Node``), the per-user Windows Installer products (``Installer\\UserData``), the
  vendor keys the catalogue names, the OS name and version, and the ProfileList;
* ``Windows/System32/config/SYSTEM``: the services and drivers of the control set that
  ``Select\\Current`` names (``CurrentControlSet`` only exists on a running system, and is
  shown under that name), the product type and the processor architecture;
* every ``Users/*/NTUSER.DAT``, and any other profile hive ProfileList places on the volume
  (the service profiles): the per-user Uninstall keys, shown as hive ``HKU\\<SID>`` (or
  ``HKU\\<folder name>`` for a folder ProfileList does not list).  Unlike a live scan, this
  also sees users who are not logged on;
* the files and directories the catalogue names (``files``, ``paths``), with ``C:\\`` mapped
  to ``root``.

Live-only sources (running processes, Security Center, Defender status) are listed in
``skipped``.  Every path component, key name and value name is resolved case-insensitively:
a mounted NTFS volume may or may not be case-insensitive, and the registry never is.
Symbolic links (NTFS junctions under ntfs-3g) are never followed, so an image cannot point
the scan at files of the scanning host.

Hives are read with regipy (PyPI, pure Python), imported only when a scan runs; without it
:func:`collect` raises :class:`MissingParser`.  Pure functions, no Ansible imports:
``posix_collect.py`` calls ``windows_offline.collect(root, probe)`` when
``windows_offline.software_hive_state(root)`` identifies a registry hive (the ``regf``
signature, read through ``rootfs`` so that a FIFO or device is never opened).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch
import io
import logging
import os
import stat
import sys

from ansible_collections.fleetsec.banned_av.plugins.module_utils import rootfs
from ansible_collections.fleetsec.banned_av.plugins.module_utils import windows_registry as wr

SCHEMA_VERSION = wr.SCHEMA_VERSION
REGIPY_MISSING = 'install `regipy` (pip install regipy) on the host that scans the image'
LIVE_ONLY_REASON = 'offline image: live-only source'
LIVE_ONLY_SOURCES = ('processes', 'security_center', 'defender')

SOFTWARE_HIVE = ('Windows', 'System32', 'config', 'SOFTWARE')
SYSTEM_HIVE = ('Windows', 'System32', 'config', 'SYSTEM')

#: the first bytes of every registry hive file (base block signature)
HIVE_SIGNATURE = b'regf'
#: hives over this size are not read (regipy holds the whole hive in memory)
MAX_HIVE_BYTES = 1024 * 1024 * 1024


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
                if not wr.is_glob(part):
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


def software_hive_state(root):
    """Whether ``root`` is a Windows system volume: ``'hive'`` when it holds
    ``Windows/System32/config/SOFTWARE`` (any letter case, no symbolic link on the way) and
    that file is a registry hive (a regular file that starts with the ``regf`` signature);
    ``'absent'`` when there is no such file; otherwise why the file does not count
    (``'is empty'``, ``'is a FIFO'``, ...).  A FIFO or device is never opened (rootfs)."""
    try:
        if not root or not os.path.isdir(root):
            return 'absent'
        found = _Volume(root).resolve(SOFTWARE_HIVE)
        if found is None:
            return 'absent'
        with rootfs.open_regular(found[0], MAX_HIVE_BYTES, '/'.join(found[1])) as handle:
            head = handle.read(len(HIVE_SIGNATURE))
    except (rootfs.NotRegularFile, rootfs.TooLarge) as exc:
        return str(exc).split(' ', 1)[1].replace(': not read', '')
    except (OSError, ValueError) as exc:
        return 'cannot be read (%s)' % exc
    if not head:
        return 'is empty'
    if head != HIVE_SIGNATURE:
        return 'is not a registry hive (no regf signature)'
    return 'hive'


def is_windows_root(root):
    """True when ``root`` holds ``Windows/System32/config/SOFTWARE`` (any letter case) and it is
    a registry hive (see :func:`software_hive_state`)."""
    return software_hive_state(root) == 'hive'


def _collect_paths(volume, probe, inventory):
    seen = set()
    for pattern in wr.probe_list(probe, 'files') + wr.probe_list(probe, 'paths'):
        parsed = wr.windows_parts(pattern)
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


# --------------------------------------------------------------------------- hives

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


def _open_hive(registry_hive_class, volume, parts, label, inventory, required=True):
    path = volume.regular_file(parts)
    if path is None:
        if required:
            inventory['errors'].append({'source': 'hive:%s' % label,
                                        'message': 'hive %s not found under %s' % ('/'.join(parts), volume.root)})
        return None
    try:
        # a regular file within the size cap, checked without opening a FIFO or device
        rootfs.open_regular(path, MAX_HIVE_BYTES, '/'.join(parts)).close()
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


def _current_control_set(system):
    """Name of the control set ``Select\\Current`` (else ``Default``) names, or None."""
    select = system.key(('Select',))
    number = None
    if select is not None:
        values = system.typed_values(select)
        for name in ('Current', 'Default'):
            found = values.get(name.lower())
            candidate = wr.int_field(wr.make_value(*found)) if found else None
            if candidate and candidate > 0:
                number = candidate
                break
    nk = system.key(('ControlSet%03d' % (number or 1),))
    return nk.name if nk is not None else None


class HiveRegistry(object):
    """The registry of an image as a live host would show it (``windows_registry.RegistryReader``):
    ``HKLM\\SOFTWARE`` and ``HKLM\\SYSTEM`` from the hive files, ``CurrentControlSet`` the
    control set ``Select`` names, and ``HKU\\<label>`` for each user hive of the volume."""

    def __init__(self, software, system, control_set, users):
        self.hives = {'SOFTWARE': software, 'SYSTEM': system}
        self.control_set = control_set
        self.users = users  # [(label, _Hive)]

    @staticmethod
    def _walk(hive, parts):
        """``(nk, [real names], lower-case path below the hive root)``, or Nones."""
        nk, names, path = hive.root, [], ()
        for part in parts:
            nk = hive.child(nk, part, path)
            if nk is None:
                return None, None, None
            names.append(nk.name)
            path += (nk.name.lower(),)
        return nk, names, path

    def key(self, path):
        path = tuple(path)
        head = path[0].upper() if path else ''
        if head == 'HKU':
            if len(path) == 1:
                return wr.Key(wr.HKU)
            for label, hive in self.users:
                if label.lower() == path[1].lower():
                    nk, names, rel = self._walk(hive, path[2:])
                    return wr.Key(('HKU', label) + tuple(names), (hive, nk, rel)) if nk is not None else None
            return None
        root = path[1].upper() if head == 'HKLM' and len(path) > 1 else None
        hive = self.hives.get(root)
        if hive is None:
            return None
        rest, shown = path[2:], ()
        if root == 'SYSTEM' and rest and rest[0].lower() == 'currentcontrolset':
            if self.control_set is None:
                raise ValueError('the SYSTEM hive has no control set that Select\\Current names')
            rest, shown = (self.control_set,) + rest[1:], ('CurrentControlSet',)
        nk, names, rel = self._walk(hive, rest)
        if nk is None:
            return None
        if shown:
            names = list(shown) + names[1:]
        return wr.Key(('HKLM', root) + tuple(names), (hive, nk, rel))

    def subkeys(self, key, listing):
        del listing  # an image shows every subkey; the rules filter them
        if key.path == wr.HKU:
            return [wr.Key(('HKU', label), (hive, hive.root, ())) for label, hive in self.users]
        hive, nk, rel = key.handle
        return [wr.Key(key.path + (sub.name,), (hive, sub, rel + (sub.name.lower(),))) for sub in hive.subkeys(nk, rel)]

    @staticmethod
    def values(key, names=None):
        if key.handle is None or key.handle[1] is None:
            return wr.Values()
        typed = key.handle[0].typed_values(key.handle[1])
        if names is None:
            return wr.cut_values([wr.make_value(*t) for t in typed.values()], len(typed))
        out = wr.Values()
        for name in names:
            found = typed.get(name.lower())
            if found is not None:
                out[name.lower()] = wr.make_value(*found)
        out.total = len(typed)
        return out


def _profiles(reader):
    """``{lowercase volume-relative profile path: SID}`` from ProfileList."""
    out = {}
    key = reader.key(wr.PROFILE_LIST)
    if key is None:
        return out
    for sub in reader.subkeys(key, wr.LIST_PROFILES):
        path = wr.string_field(wr.pick(reader.values(sub, wr.PROFILE_VALUES), 'ProfileImagePath'))
        parsed = wr.windows_parts(path) if path else None
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


def probe_list(probe, name):
    """``probe[name]`` as a list of non-empty strings (see ``windows_registry.probe_list``)."""
    return wr.probe_list(probe, name)


def collect(root, probe):
    """Scan the Windows system volume mounted at ``root`` for what ``probe`` names.

    ``probe`` is ``Catalog.probe('windows')``.  Returns the raw inventory (see
    ``docs/architecture.md``).  Raises :class:`MissingParser` when regipy is not installed;
    an unreadable hive becomes an ``errors`` entry and the scan carries on.
    """
    registry_hive_class = _import_regipy()
    probe = probe or {}
    inventory = wr.empty_inventory(root, False)
    volume = _Volume(root)

    software = _open_hive(registry_hive_class, volume, SOFTWARE_HIVE, 'SOFTWARE', inventory)
    system = _open_hive(registry_hive_class, volume, SYSTEM_HIVE, 'SYSTEM', inventory)
    control_set = wr.guard(inventory, 'services', _current_control_set, system) if system is not None else None
    reader = HiveRegistry(software, system, control_set, [])
    profiles = {}
    if software is not None:
        profiles = wr.guard(inventory, 'uninstall', _profiles, reader) or {}
    for label, parts in wr.guard(inventory, 'uninstall', _user_hives, volume, profiles) or []:
        user_hive = _open_hive(registry_hive_class, volume, parts, 'HKU\\%s' % label, inventory)
        if user_hive is not None:
            reader.users.append((label, user_hive))

    wr.interpret(reader, probe, inventory, wr.ENV_DIRS)

    wr.guard(inventory, 'paths', _collect_paths, volume, probe, inventory)
    for message in volume.errors:
        wr.error(inventory, 'paths', message)

    for source in LIVE_ONLY_SOURCES:
        inventory['skipped'].append({'source': source, 'reason': LIVE_ONLY_REASON})
    if probe.get('commands'):
        inventory['skipped'].append({'source': 'commands', 'reason': LIVE_ONLY_REASON})
    return inventory
