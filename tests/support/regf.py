# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turn readable ``.reg`` fixtures into real REGF hive files, and fixture directories into
Windows system images, for the tests of the offline Windows image collector.

Why this exists: the collector reads real hives with regipy, so its tests need real hives.
Binary hives cannot be reviewed, so the fixtures are ``.reg`` text (what ``reg export``
writes) and this module builds the hives at test time:

1. :func:`write_base_hive` writes a minimal empty hive by hand (a 4 KiB ``regf`` base block
   and one 4 KiB ``hbin`` with a root ``nk`` cell, its ``sk`` cell and one free cell; see
   ``../shared/reference/air-gapped-toolchain.md``, "Windows registry hives on Linux"),
   because hivex can only open an existing hive;
2. :func:`parse_reg` parses the ``.reg`` text (``REGEDIT4`` or
   ``Windows Registry Editor Version 5.00``; ``[key]`` lines; ``"name"=`` and ``@=`` values of
   type string, ``dword:``, ``hex:``, ``hex(N):`` with ``\\`` line continuations; ``;`` comments);
3. :func:`build_hive` opens the base hive with Debian's ``python3-hivex`` and adds the keys and
   values, so the hive is written by a maintained library, not by this module;
4. :func:`build_image` lays out a volume: ``Windows/System32/config/SOFTWARE`` and ``SYSTEM``,
   ``Users/<name>/NTUSER.DAT`` and the empty files listed in ``files.txt``.

``hivex`` comes from the Debian package ``python3-hivex`` (``apt-get install python3-hivex``),
which installs it for the system Python only.  When the running interpreter cannot import it,
:func:`load_hivex` retries with ``/usr/lib/python3/dist-packages`` appended to ``sys.path``
(appended, so a virtualenv's own packages still win).  :func:`hivex_unavailable_reason` says
why it is missing, for ``pytest.skip``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import codecs
import io
import os
import re
import struct
import sys
import time

REG_NONE = 0
REG_SZ = 1
REG_EXPAND_SZ = 2
REG_BINARY = 3
REG_DWORD = 4
REG_DWORD_BIG_ENDIAN = 5
REG_LINK = 6
REG_MULTI_SZ = 7
REG_QWORD = 11

HEADER_V5 = 'Windows Registry Editor Version 5.00'
HEADER_V4 = 'REGEDIT4'

# where each fixture file goes in the image, and the key prefix its [key] lines carry
HIVE_PREFIXES = {
    'SOFTWARE': ('HKEY_LOCAL_MACHINE\\SOFTWARE', 'HKLM\\SOFTWARE'),
    'SYSTEM': ('HKEY_LOCAL_MACHINE\\SYSTEM', 'HKLM\\SYSTEM'),
    'NTUSER': ('HKEY_CURRENT_USER', 'HKCU'),
}

# the file name Windows records in the base block (last 31 characters of the hive's path)
HIVE_FILE_NAMES = {
    'SOFTWARE': '\\SystemRoot\\System32\\Config\\SOFTWARE',
    'SYSTEM': 'SYSTEM',
    'NTUSER': '\\??\\C:\\Users\\user\\ntuser.dat',
}

DIST_PACKAGES = '/usr/lib/python3/dist-packages'

_HIVEX = []          # [module] once imported
_HIVEX_ERROR = []    # [reason] once known to be missing


class RegFileError(ValueError):
    """A ``.reg`` file could not be parsed; the message names the file and the line."""


class HivexUnavailable(RuntimeError):
    """Debian's python3-hivex cannot be imported by this interpreter."""


# --------------------------------------------------------------------------- hivex

def load_hivex():
    """Import and return the ``hivex`` module, falling back to Debian's dist-packages."""
    if _HIVEX:
        return _HIVEX[0]
    if _HIVEX_ERROR:
        raise HivexUnavailable(_HIVEX_ERROR[0])
    try:
        import hivex  # pylint: disable=import-outside-toplevel
    except ImportError as first:
        if os.path.isdir(DIST_PACKAGES) and DIST_PACKAGES not in sys.path:
            sys.path.append(DIST_PACKAGES)
        try:
            import hivex  # pylint: disable=import-outside-toplevel,reimported
        except ImportError as second:
            reason = ("python3-hivex is needed to build test hives: install it with "
                      "'apt-get install python3-hivex' (Debian/Ubuntu); this interpreter (%s, Python %s) "
                      "could not import it (%s; with %s on sys.path: %s)"
                      % (sys.executable, '.'.join(str(v) for v in sys.version_info[:3]), first, DIST_PACKAGES, second))
            _HIVEX_ERROR.append(reason)
            raise HivexUnavailable(reason)
    _HIVEX.append(hivex)
    return hivex


def hivex_unavailable_reason():
    """None when hivex can be imported, else a sentence saying what to install."""
    try:
        load_hivex()
    except HivexUnavailable as exc:
        return str(exc)
    return None


# --------------------------------------------------------------------------- minimal base hive

def _filetime(epoch=None):
    """Windows FILETIME (100 ns ticks since 1601-01-01) for a Unix time."""
    if epoch is None:
        epoch = time.time()
    return int((epoch + 11644473600) * 10000000)


def _security_descriptor():
    """A self-relative SECURITY_DESCRIPTOR: owner Administrators, group SYSTEM, and a DACL
    granting KEY_ALL_ACCESS to SYSTEM and Administrators and KEY_READ to Users."""
    def sid(authority, *subs):
        return struct.pack('<BB6s', 1, len(subs), struct.pack('>Q', authority)[2:]) + b''.join(struct.pack('<I', s) for s in subs)

    system = sid(5, 18)
    admins = sid(5, 32, 544)
    users = sid(5, 32, 545)
    aces = b''
    for mask, who in ((0x000F003F, system), (0x000F003F, admins), (0x00020019, users)):
        # ACCESS_ALLOWED_ACE, CONTAINER_INHERIT_ACE
        aces += struct.pack('<BBHI', 0, 0x02, 8 + len(who), mask) + who
    dacl = struct.pack('<BBHHH', 2, 0, 8 + len(aces), 3, 0) + aces
    header_size = 20
    owner_off = header_size
    group_off = owner_off + len(admins)
    dacl_off = group_off + len(system)
    control = 0x8004  # SE_SELF_RELATIVE | SE_DACL_PRESENT
    header = struct.pack('<BBHIIII', 1, 0, control, owner_off, group_off, 0, dacl_off)
    return header + admins + system + dacl


def _cell(payload):
    """An allocated cell: negative size (header included), payload, padded to 8 bytes."""
    size = 4 + len(payload)
    size += (-size) % 8
    return struct.pack('<i', -size) + payload + b'\0' * (size - 4 - len(payload))


def base_hive_bytes(root_name='ROOT', file_name='', timestamp=None):
    """Bytes of a minimal, valid, empty REGF hive (8 KiB) whose root key is ``root_name``.

    Layout (offsets of cells are relative to the first hbin, i.e. file offset - 0x1000):
    base block ``regf`` (4 KiB) | ``hbin`` header (0x20) | root ``nk`` | ``sk`` | free cell.
    Cells are contiguous (hivex walks them in sequence) and the base block carries the XOR
    checksum of its first 508 bytes at 0x1FC.
    """
    ft = _filetime(timestamp)
    name = root_name.encode('ascii')
    nk_offset = 0x20
    nk_len = len(_cell(b'\0' * (2 + 74 + len(name))))
    sk_offset = nk_offset + nk_len
    nk = (b'nk' + struct.pack(
        '<HQ' + 'I' * 15 + 'HH',
        0x2C,            # flags: KEY_HIVE_ENTRY | KEY_NO_DELETE | KEY_COMP_NAME
        ft,              # last written
        0,               # access bits
        0xFFFFFFFF,      # parent (none)
        0, 0,            # subkeys, volatile subkeys
        0xFFFFFFFF, 0xFFFFFFFF,  # subkey lists
        0,               # values
        0xFFFFFFFF,      # value list
        sk_offset,       # security key
        0xFFFFFFFF,      # class name
        0, 0, 0, 0,      # largest subkey name, class name, value name, value data
        0,               # work var
        len(name),       # key name length
        0,               # class name length
    ) + name)
    sd = _security_descriptor()
    sk = b'sk' + struct.pack('<HIIII', 0, sk_offset, sk_offset, 1, len(sd)) + sd
    cells = _cell(nk) + _cell(sk)
    assert len(_cell(nk)) == nk_len
    hbin_size = 0x1000
    free = hbin_size - 0x20 - len(cells)
    cells += struct.pack('<i', free) + b'\0' * (free - 4)
    hbin = b'hbin' + struct.pack('<IIIIQI', 0, hbin_size, 0, 0, ft, 0) + cells
    assert len(hbin) == hbin_size

    fname = file_name[-31:].encode('utf-16-le')
    base = bytearray(0x1000)
    base[0:4] = b'regf'
    struct.pack_into('<IIQIIIIIII', base, 4,
                     1, 1,          # primary and secondary sequence numbers (equal: clean hive)
                     ft,            # last written
                     1, 3,          # version 1.3
                     0,             # file type: primary
                     1,             # file format: direct memory load
                     nk_offset,     # root cell offset
                     hbin_size,     # hive bins data size
                     1)             # clustering factor
    base[0x30:0x30 + len(fname)] = fname
    checksum = 0
    for (dword,) in struct.iter_unpack('<I', bytes(base[:0x1FC])):
        checksum ^= dword
    if checksum == 0xFFFFFFFF:
        checksum = 0xFFFFFFFE
    elif checksum == 0:
        checksum = 1
    struct.pack_into('<I', base, 0x1FC, checksum)
    return bytes(base) + hbin


def write_base_hive(path, root_name='ROOT', file_name=''):
    """Write :func:`base_hive_bytes` to ``path``; return ``path``."""
    with open(path, 'wb') as handle:
        handle.write(base_hive_bytes(root_name, file_name))
    return path


# --------------------------------------------------------------------------- .reg parser

_HEX_VALUE_RE = re.compile(r'^\s*(@|"(?:[^"\\]|\\.)*")\s*=\s*hex(\([0-9a-fA-F]+\))?:', re.DOTALL)


def _decode(data):
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        return data.decode('utf-16')
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode('utf-8')
    return data.decode('utf-8')


def _logical_lines(text):
    """Yield (line number, logical line), joining ``\\``-continued hex data lines."""
    pending = None
    start = 0
    for number, line in enumerate(text.splitlines(), 1):
        if pending is not None:
            pending += line.strip()
        else:
            pending, start = line.rstrip(), number
        if pending.endswith('\\') and _HEX_VALUE_RE.match(pending):
            pending = pending[:-1]
            continue
        yield start, pending
        pending = None
    if pending is not None:
        yield start, pending


def _read_quoted(text, pos, where):
    """Read a ``"..."`` string with ``\\\\`` and ``\\"`` escapes at ``text[pos]``; return (str, next pos)."""
    if pos >= len(text) or text[pos] != '"':
        raise RegFileError('%s: expected a quoted string' % where)
    out = []
    pos += 1
    while pos < len(text):
        char = text[pos]
        if char == '\\' and pos + 1 < len(text):
            out.append(text[pos + 1])
            pos += 2
            continue
        if char == '"':
            return ''.join(out), pos + 1
        out.append(char)
        pos += 1
    raise RegFileError('%s: unterminated string' % where)


def _hex_bytes(data, where):
    data = data.replace(' ', '').replace('\t', '').rstrip(',')
    if not data:
        return b''
    try:
        return bytes(int(part, 16) for part in data.split(','))
    except ValueError:
        raise RegFileError('%s: bad hex data %r' % (where, data[:40]))


def _sz(value):
    return (value + '\0').encode('utf-16-le')


def _parse_data(data, where, regedit4):
    """Return (type, bytes) for the text after ``=``."""
    data = data.strip()
    if data.startswith('"'):
        value, end = _read_quoted(data, 0, where)
        if data[end:].strip():
            raise RegFileError('%s: unexpected text after the string' % where)
        return REG_SZ, _sz(value)
    lowered = data.lower()
    if lowered.startswith('dword:'):
        digits = data[6:].strip()
        if not re.match(r'^[0-9a-fA-F]{1,8}$', digits):
            raise RegFileError('%s: dword needs 1 to 8 hex digits, got %r' % (where, digits))
        return REG_DWORD, struct.pack('<I', int(digits, 16))
    match = re.match(r'^hex(?:\(([0-9a-fA-F]+)\))?:(.*)$', data, re.DOTALL | re.IGNORECASE)
    if match:
        vtype = int(match.group(1), 16) if match.group(1) is not None else REG_BINARY
        raw = _hex_bytes(match.group(2), where)
        if regedit4 and vtype in (REG_EXPAND_SZ, REG_MULTI_SZ):
            # REGEDIT4 writes these as ANSI bytes; a hive stores UTF-16LE
            raw = raw.decode('cp1252').encode('utf-16-le')
        if vtype == REG_QWORD and len(raw) != 8:
            raise RegFileError('%s: hex(b) (QWORD) needs 8 bytes, got %d' % (where, len(raw)))
        return vtype, raw
    if data == '-':
        raise RegFileError('%s: value deletion ("name"=-) is not supported in fixtures' % where)
    raise RegFileError('%s: unknown value data %r' % (where, data[:40]))


def parse_reg(source, name=None):
    """Parse ``.reg`` text (str), bytes, or a file path.

    Returns ``[(key path, [(value name, type, data bytes), ...]), ...]`` in file order, a key
    that appears twice merged into its first position.  The default value (``@``) has the
    name ``''``.  Key paths are returned as written (e.g. ``HKEY_LOCAL_MACHINE\\SOFTWARE\\X``).
    """
    if isinstance(source, bytes):
        text = _decode(source)
    elif '\n' not in source and os.path.isfile(source):
        name = name or source
        with open(source, 'rb') as handle:
            text = _decode(handle.read())
    else:
        text = source
    name = name or '<reg text>'
    keys = []
    index = {}
    current = None
    header = None
    for number, line in _logical_lines(text):
        where = '%s line %d' % (name, number)
        stripped = line.strip()
        if not stripped:
            continue
        if header is None:
            if stripped not in (HEADER_V5, HEADER_V4):
                raise RegFileError('%s: the first line must be %r or %r, got %r' % (where, HEADER_V5, HEADER_V4, stripped[:60]))
            header = stripped
            continue
        if stripped.startswith(';'):
            continue
        if stripped.startswith('['):
            if not stripped.endswith(']'):
                raise RegFileError('%s: a key line must end with "]"' % where)
            path = stripped[1:-1].strip()
            if path.startswith('-'):
                raise RegFileError('%s: key deletion ([-key]) is not supported in fixtures' % where)
            if not path:
                raise RegFileError('%s: empty key path' % where)
            lowered = path.lower()
            if lowered not in index:
                index[lowered] = len(keys)
                keys.append((path, []))
            current = keys[index[lowered]][1]
            continue
        if current is None:
            raise RegFileError('%s: a value before the first [key] line' % where)
        if stripped.startswith('@'):
            vname, pos = '', 1
        else:
            vname, pos = _read_quoted(stripped, 0, where)
        rest = stripped[pos:].lstrip()
        if not rest.startswith('='):
            raise RegFileError('%s: expected "=" after the value name' % where)
        vtype, data = _parse_data(rest[1:], where, header == HEADER_V4)
        for i, (existing, _t, _d) in enumerate(current):
            if existing.lower() == vname.lower():
                current[i] = (vname, vtype, data)
                break
        else:
            current.append((vname, vtype, data))
    if header is None:
        raise RegFileError('%s: empty file (no header line)' % name)
    return keys


# --------------------------------------------------------------------------- hive builder

def _relative(path, prefixes, where):
    lowered = path.lower()
    for prefix in prefixes:
        p = prefix.lower()
        if lowered == p:
            return ''
        if lowered.startswith(p + '\\'):
            return path[len(prefix) + 1:]
    if lowered.startswith('hkey_users\\') and any(p.lower() == 'hkey_current_user' for p in prefixes):
        parts = path.split('\\', 2)
        return parts[2] if len(parts) > 2 else ''
    raise RegFileError('%s: key %r is outside this hive (expected a key under %s)' % (where, path, ' or '.join(prefixes)))


def build_hive(reg_source, dest, kind='SOFTWARE', root_name=None):
    """Build the REGF hive ``dest`` from a ``.reg`` file (path or text) with hivex.

    ``kind`` (SOFTWARE, SYSTEM or NTUSER) says which key prefix the ``.reg`` keys carry
    (``HKEY_LOCAL_MACHINE\\SOFTWARE``, ``HKEY_LOCAL_MACHINE\\SYSTEM``, ``HKEY_CURRENT_USER`` or
    ``HKEY_USERS\\<SID>``); the prefix maps to the hive root.  Returns ``dest``.
    """
    hivex = load_hivex()
    keys = parse_reg(reg_source)
    prefixes = HIVE_PREFIXES[kind]
    base = dest + '.base'
    write_base_hive(base, root_name or ('CMI-CreateHive{%s}' % kind), HIVE_FILE_NAMES[kind])
    try:
        hive = hivex.Hivex(base, write=True)
        root = hive.root()
        for path, values in keys:
            node = root
            rel = _relative(path, prefixes, str(reg_source) if '\n' not in str(reg_source) else kind)
            for part in [p for p in rel.split('\\') if p]:
                child = hive.node_get_child(node, part)
                if not child:
                    child = hive.node_add_child(node, part)
                node = child
            for vname, vtype, data in values:
                hive.node_set_value(node, {'key': vname, 't': vtype, 'value': data})
        hive.commit(dest)
        del hive
    finally:
        if os.path.exists(base):
            os.unlink(base)
    return dest


def _find(directory, name):
    """The entry of ``directory`` called ``name``, compared case-insensitively, or None."""
    if not os.path.isdir(directory):
        return None
    for entry in sorted(os.listdir(directory)):
        if entry.lower() == name.lower():
            return os.path.join(directory, entry)
    return None


def build_image(fixture_dir, dest_root):
    """Lay out a Windows system volume at ``dest_root`` from a fixture directory.

    ``fixture_dir`` holds ``SOFTWARE.reg``, ``SYSTEM.reg``, optional ``Users/<name>/NTUSER.reg``
    and optional ``files.txt`` (one volume-relative path per line, ``/`` or ``\\`` separated,
    ``#`` comments; a trailing separator makes a directory).  Returns a dict with the paths it
    created: ``{'SOFTWARE': ..., 'SYSTEM': ..., 'NTUSER': {name: path}, 'files': [...]}``.
    """
    config = os.path.join(dest_root, 'Windows', 'System32', 'config')
    if not os.path.isdir(config):
        os.makedirs(config)
    created = {'NTUSER': {}, 'files': []}
    for kind in ('SOFTWARE', 'SYSTEM'):
        source = os.path.join(fixture_dir, kind + '.reg')
        if os.path.exists(source):
            created[kind] = build_hive(source, os.path.join(config, kind), kind)
    users = os.path.join(fixture_dir, 'Users')
    if os.path.isdir(users):
        for user in sorted(os.listdir(users)):
            source = _find(os.path.join(users, user), 'NTUSER.reg')
            if not source:
                continue
            home = os.path.join(dest_root, 'Users', user)
            if not os.path.isdir(home):
                os.makedirs(home)
            created['NTUSER'][user] = build_hive(source, os.path.join(home, 'NTUSER.DAT'), 'NTUSER')
    listing = os.path.join(fixture_dir, 'files.txt')
    if os.path.exists(listing):
        with io.open(listing, encoding='utf-8') as handle:
            for line in handle:
                line = line.strip()
                if not line or line.startswith('#'):
                    continue
                is_dir = line.endswith(('/', '\\'))
                parts = [p for p in re.split(r'[\\/]', line) if p]
                if not parts or any(p in ('.', '..') for p in parts):
                    raise ValueError('%s: bad path %r' % (listing, line))
                target = os.path.join(dest_root, *parts)
                if is_dir:
                    if not os.path.isdir(target):
                        os.makedirs(target)
                else:
                    parent = os.path.dirname(target)
                    if not os.path.isdir(parent):
                        os.makedirs(parent)
                    open(target, 'ab').close()
                created['files'].append(target)
    return created
