# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The macOS sources of the POSIX collector: installer receipts, application bundles and the Team
ID of their code signature, launchd jobs, processes; and the property-list and Mach-O readers
they use.

:class:`MacosCollector` is the collector :func:`posix_collect.collector_class` gives for macOS, a
live Mac or an offline root identified as one.  Everything else (time limits, paths, executables,
groups, vendor tools, reading through :mod:`rootfs`) is :class:`posix_collect.Collector`'s.  This
module is imported for macOS only: a Linux host does not compile it (docs/performance.md).

Formats: property lists (Python's ``plistlib``); Mach-O load commands and code signature blobs
(Apple's ``mach-o/loader.h`` and xnu ``osfmk/kern/cs_blobs.h``,
https://github.com/apple-oss-distributions/xnu/blob/main/osfmk/kern/cs_blobs.h).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import plistlib
import struct

from ansible_collections.fleetsec.banned_av.plugins.module_utils import patterns as pattern_mod
from ansible_collections.fleetsec.banned_av.plugins.module_utils import posix_collect
from ansible_collections.fleetsec.banned_av.plugins.module_utils import rootfs


class MacosCollector(posix_collect.Collector):
    """Collect the raw inventory of one macOS system (see :class:`posix_collect.Collector`)."""

    def steps(self):
        return [('os', self.collect_os), ('paths', self.collect_paths), ('receipts', self.collect_receipts),
                ('bundles', self.collect_bundles), ('launchd', self.collect_launchd),
                ('executables', self.collect_executables), ('groups', self.collect_groups),
                ('processes', self.collect_darwin_processes), ('commands', self.collect_commands)]

    def read_plist(self, path):
        return plist(self.fs.read_bytes(path, posix_collect.CAPS['plist']))

    def collect_os(self, probe):
        self.inv['os'] = {'name': None, 'family': 'darwin', 'version': None, 'installation_type': None}
        if self.fs.kind(posix_collect.SYSTEM_VERSION) is None:
            return
        # not a regular file: an error of this source
        raw = self.fs.read_bytes(posix_collect.SYSTEM_VERSION, posix_collect.CAPS['plist'])
        try:
            data = plist(raw)
        except Exception as exc:  # a damaged plist only loses the OS name: no product can hide behind it
            self.warn('os', 'cannot parse %s: %s' % (posix_collect.SYSTEM_VERSION, exc))
            return
        self.inv['os'] = {'name': '%s %s' % (data.get('ProductName', 'macOS'), data.get('ProductVersion', '')),
                          'family': 'darwin', 'version': data.get('ProductVersion'), 'installation_type': None}

    def collect_receipts(self, probe):
        patterns = posix_collect.compile_patterns(probe, 'receipts', self.inv)
        directory = '/var/db/receipts'
        if not patterns or self.fs.kind(directory) is None:
            return
        for name in self.fs.listdir(directory):
            if not name.endswith('.plist'):
                continue
            ident = rootfs.safe_text(name[:-len('.plist')])
            if not any(p.search(ident) for p in patterns):
                continue
            try:
                data = self.read_plist(directory + '/' + name)
            except Exception as exc:  # the receipt's name is the evidence; only its version is lost
                self.warn('receipts', 'cannot read %s/%s: %s' % (directory, rootfs.safe_text(name), exc))
                data = {}
            self.inv['receipts'].append({'id': data.get('PackageIdentifier', ident), 'version': data.get('PackageVersion'),
                                         'install_date': plist_date(data.get('InstallDate'))})

    def collect_bundles(self, probe):
        patterns = posix_collect.compile_patterns(probe, 'bundle_ids', self.inv)
        team_ids = set(probe.get('team_ids') or [])
        if (not patterns and not team_ids) or self.fs.kind('/Applications') is None:
            return
        for name in self.fs.listdir('/Applications'):
            if not name.endswith('.app'):
                continue
            path = '/Applications/' + name
            info = path + '/Contents/Info.plist'
            if self.fs.kind(info) is None:
                continue
            try:
                data = self.read_plist(info)
            except OSError as exc:
                self.error('bundles', 'cannot read %s: %s' % (rootfs.safe_text(info), exc))
                continue
            except Exception as exc:  # a damaged Info.plist: the app cannot start either
                self.warn('bundles', 'cannot parse %s: %s' % (rootfs.safe_text(info), exc))
                continue
            ident = str(data.get('CFBundleIdentifier') or '')
            team_id = self.team_id(path, data) if team_ids else None
            if any(p.search(ident) for p in patterns) or (team_id and team_id in team_ids):
                bundle = {'path': path, 'id': ident,
                          'version': data.get('CFBundleShortVersionString') or data.get('CFBundleVersion')}
                if team_id:
                    bundle['team_id'] = team_id
                self.inv['bundles'].append(bundle)

    def team_id(self, bundle, info):
        """The Team ID of the bundle's main executable's code signature, or None."""
        executable = info.get('CFBundleExecutable')
        if not isinstance(executable, str) or '/' in executable:
            return None
        path = bundle + '/Contents/MacOS/' + executable
        try:
            with self.fs.open(path, posix_collect.CAPS['macho']) as handle:
                return read_team_id(handle)
        except (OSError, ValueError) as exc:
            self.warn('bundles', 'cannot read the code signature of %s: %s' % (rootfs.safe_text(path), exc))
            return None

    def collect_launchd(self, probe):
        patterns = posix_collect.compile_patterns(probe, 'launchd', self.inv)
        for directory in ('/Library/LaunchDaemons', '/Library/LaunchAgents'):
            if not patterns or self.fs.kind(directory) is None:
                continue
            for name in self.fs.listdir(directory):
                label = rootfs.safe_text(name[:-len('.plist')] if name.endswith('.plist') else name)
                if any(p.search(label) for p in patterns):
                    self.inv['launchd'].append({'label': label, 'path': directory + '/' + name})

    def collect_darwin_processes(self, probe):
        if not self.live:
            self.skip('processes', 'offline root: live-only source')
            return
        patterns = probe.get('processes', [])
        ps = self.which('ps')
        if not patterns or not ps:
            return
        rc, out, _err = self.run([ps, '-axco', 'pid=,comm='], environ_update=posix_collect.C_LOCALE)
        for line in out.splitlines() if rc == 0 else []:
            pid, _sep, name = line.strip().partition(' ')
            name = name.strip()
            if pid.isdigit() and any(pattern_mod.glob_match(name, p) for p in patterns):
                self.inv['processes'].append({'name': name, 'pid': int(pid), 'exe': None})


def read_team_id(handle):
    """The Team ID of a Mach-O file (the first image of a universal file that has one)."""
    head = handle.read(posix_collect.CAPS['macho_header'])
    for offset in macho_slices(head):
        handle.seek(offset)
        location = macho_code_signature(handle.read(posix_collect.CAPS['macho_header']))
        if not location or location[1] > posix_collect.CAPS['code_signature']:
            continue
        handle.seek(offset + location[0])
        team_id = macho_team_id(handle.read(location[1]))
        if team_id:
            return team_id
    return None


def plist(data):
    """A property list (XML or binary) as a dict; one that is not a dict is an empty one."""
    data = plistlib.loads(data)
    return data if isinstance(data, dict) else {}


def plist_date(value):
    """A property-list date as ISO 8601 text (other values as they are)."""
    return value.isoformat() if hasattr(value, 'isoformat') else value


# --------------------------------------------------------------------------- Mach-O code signatures

_FAT_MAGIC = {b'\xca\xfe\xba\xbe': ('>5I', 20), b'\xca\xfe\xba\xbf': ('>2I2Q2I', 32)}
_MACHO = {b'\xce\xfa\xed\xfe': ('<', 28), b'\xcf\xfa\xed\xfe': ('<', 32),
          b'\xfe\xed\xfa\xce': ('>', 28), b'\xfe\xed\xfa\xcf': ('>', 32)}
LC_CODE_SIGNATURE = 0x1d
CSMAGIC_EMBEDDED_SIGNATURE = 0xfade0cc0
CSMAGIC_CODEDIRECTORY = 0xfade0c02
CSSLOT_CODEDIRECTORY = 0
CS_SUPPORTSTEAMID = 0x20200
MAX_FAT_ARCHS = 16


def macho_slices(head):
    """Offsets of the Mach-O images in a file whose first bytes are ``head`` (a fat/universal
    file holds several), or [] when it is not Mach-O."""
    magic = head[:4]
    if magic in _MACHO:
        return [0]
    if magic not in _FAT_MAGIC or len(head) < 8:
        return []
    fmt, size = _FAT_MAGIC[magic]
    count = struct.unpack('>I', head[4:8])[0]
    if count > MAX_FAT_ARCHS:
        return []  # also what Java class files (same magic) look like
    offsets = []
    for i in range(count):
        start = 8 + i * size
        if len(head) < start + size:
            break
        fields = struct.unpack(fmt, head[start:start + size])
        offsets.append(fields[2])
    return offsets


def macho_code_signature(image_head):
    """``(offset, size)`` of the code signature of one Mach-O image (relative to the image), from
    its header and load commands (``image_head``: enough bytes to hold them), or None."""
    kind = _MACHO.get(image_head[:4])
    if kind is None:
        return None
    endian, header_size = kind
    if len(image_head) < header_size:
        return None
    ncmds, sizeofcmds = struct.unpack(endian + '2I', image_head[16:24])
    offset = header_size
    end = min(len(image_head), header_size + sizeofcmds)
    for _i in range(ncmds):
        if offset + 8 > end:
            break
        cmd, cmdsize = struct.unpack(endian + '2I', image_head[offset:offset + 8])
        if cmd == LC_CODE_SIGNATURE and offset + 16 <= end:
            return struct.unpack(endian + '2I', image_head[offset + 8:offset + 16])
        if cmdsize < 8:
            break
        offset += cmdsize
    return None


def macho_team_id(signature):
    """The Team ID in an embedded code signature (the CodeDirectory's ``teamOffset``, code
    directory version 0x20200 and later), or None."""
    if len(signature) < 12:
        return None
    magic, _length, count = struct.unpack('>3I', signature[:12])
    if magic != CSMAGIC_EMBEDDED_SIGNATURE:
        return None
    for i in range(min(count, 64)):
        start = 12 + i * 8
        if start + 8 > len(signature):
            break
        slot, offset = struct.unpack('>2I', signature[start:start + 8])
        if slot != CSSLOT_CODEDIRECTORY or offset + 52 > len(signature):
            continue
        cd_magic, cd_length, version = struct.unpack('>3I', signature[offset:offset + 12])
        if cd_magic != CSMAGIC_CODEDIRECTORY or version < CS_SUPPORTSTEAMID:
            return None
        team_offset = struct.unpack('>I', signature[offset + 48:offset + 52])[0]
        if not team_offset or team_offset >= cd_length:
            return None
        start = offset + team_offset
        end = signature.find(b'\0', start, offset + cd_length)
        if end < 0:
            return None
        return signature[start:end].decode('ascii', 'backslashreplace') or None
    return None
