# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One interpretation of Windows registry data, for live hosts and for offline images.

Both Windows collectors read the registry through a *reader*:

* ``windows_offline.HiveRegistry`` reads the hive files of a mounted system volume (regipy);
* ``windows_live.DumpRegistry`` reads the raw dump the PowerShell collector
  (``plugins/modules/av_collect_win.ps1``) returns for the request ``windows_request.py`` built.

A reader names keys by their full path as a live host shows it (``('HKLM', 'SOFTWARE', ...)``,
``('HKLM', 'SYSTEM', 'CurrentControlSet', ...)``, ``('HKU', '<SID>', ...)``) and offers three
operations, described by :class:`RegistryReader`.  :func:`interpret` turns what a reader shows
into the ``os``, ``uninstall``, ``services`` and ``registry`` sections of the raw inventory
(``docs/architecture.md``), so every rule below exists once and is tested once:

* value kinds (:func:`make_value`, :func:`registry_value`, :func:`string_field`, :func:`int_field`)
  and the caps on what one value, one key and one pattern return;
* the installation type (:func:`installation_type`; Enterprise multi-session is a client);
* the Uninstall entries of both registry views, of every user hive the reader shows, and the
  per-user Windows Installer products registered machine-wide under ``Installer\\UserData``;
* service kinds and start types, and the services whose image lies below a catalogue
  ``install_dirs`` glob;
* the expansion of catalogue registry patterns.

Only a failure of a source that could hide a banned product is an ``errors`` entry; a
harmless condition (output capped) is a ``warnings`` entry.  Pure functions, no Ansible
imports: the offline reader runs on the host that has the image mounted.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import fnmatch
import re

from ansible_collections.fleetsec.banned_av.plugins.module_utils import patterns

SCHEMA_VERSION = 1

# Bounds that keep the result small, the same for a live host and an image.
MAX_KEYS_PER_PATTERN = 64     # registry keys one catalogue pattern returns
MAX_WILDCARD_SEGMENTS = 4     # wildcard levels one pattern may have
MAX_VALUES_PER_KEY = 128      # values one key returns
MAX_MULTI_STRINGS = 64        # strings one REG_MULTI_SZ returns
MAX_TEXT_CHARS = 2048         # characters one string returns
MAX_BINARY_BYTES = 512        # longer binary values are summarised, not returned
MAX_LISTED = 1024             # subkeys kept at one level of a walk

HKLM_SOFTWARE = ('HKLM', 'SOFTWARE')
HKLM_SYSTEM = ('HKLM', 'SYSTEM')
HKU = ('HKU',)
WOW64_NODE = 'WOW6432Node'
UNINSTALL_KEY = ('Microsoft', 'Windows', 'CurrentVersion', 'Uninstall')
USER_UNINSTALL_KEY = ('Software',) + UNINSTALL_KEY
CURRENT_VERSION = HKLM_SOFTWARE + ('Microsoft', 'Windows NT', 'CurrentVersion')
PROFILE_LIST = CURRENT_VERSION + ('ProfileList',)
USER_DATA = HKLM_SOFTWARE + ('Microsoft', 'Windows', 'CurrentVersion', 'Installer', 'UserData')
SERVICES = HKLM_SYSTEM + ('CurrentControlSet', 'Services')
PRODUCT_OPTIONS = HKLM_SYSTEM + ('CurrentControlSet', 'Control', 'ProductOptions')
ENVIRONMENT = HKLM_SYSTEM + ('CurrentControlSet', 'Control', 'Session Manager', 'Environment')
MACHINE_SID = 'S-1-5-18'  # LocalSystem: UserData\S-1-5-18 holds the per-machine products
# device setup classes: a class's filter drivers (UpperFilters/LowerFilters, REG_MULTI_SZ)
# https://learn.microsoft.com/en-us/windows-hardware/drivers/install/system-defined-device-setup-classes-available-to-vendors
CLASS = HKLM_SYSTEM + ('CurrentControlSet', 'Control', 'Class')

# the values each rule reads (the live request asks the collector for exactly these)
OS_VALUES = ('ProductName', 'EditionID', 'InstallationType', 'CurrentMajorVersionNumber',
             'CurrentMinorVersionNumber', 'CurrentVersion', 'CurrentBuildNumber', 'CurrentBuild')
PRODUCT_OPTIONS_VALUES = ('ProductType',)
ENVIRONMENT_VALUES = ('PROCESSOR_ARCHITECTURE',)
PROFILE_VALUES = ('ProfileImagePath',)
UNINSTALL_VALUES = ('DisplayName', 'DisplayVersion', 'Publisher', 'InstallLocation', 'UninstallString',
                    'QuietUninstallString', 'WindowsInstaller')
SERVICE_VALUES = ('Type', 'Start', 'ImagePath', 'DisplayName')
CLASS_VALUES = ('Class', 'UpperFilters', 'LowerFilters')

# Listings: a reader lists the subkeys of a key for one purpose.  The live collector keeps, for
# each purpose, only the names the request asked for, so a reader is told which listing it is.
LIST_USERS = 'users'          # HKU: the loaded user hives (offline: every user hive of the volume)
LIST_PROFILES = 'profiles'    # ProfileList
LIST_UNINSTALL = 'uninstall'  # an Uninstall key
LIST_USER_DATA = 'userdata'   # Installer\UserData: one key per SID
LIST_PRODUCTS = 'products'    # Installer\UserData\<SID>\Products
LIST_SERVICES = 'services'    # CurrentControlSet\Services
LIST_CLASSES = 'classes'      # CurrentControlSet\Control\Class: one key per setup class GUID


def glob_listing(segment):
    """The listing that expands one wildcard segment of a catalogue registry pattern."""
    return 'glob:' + segment.lower()


START_TYPES = {0: 'boot', 1: 'system', 2: 'auto', 3: 'manual', 4: 'disabled'}
# SERVICE_DRIVER = SERVICE_KERNEL_DRIVER (1) | SERVICE_FILE_SYSTEM_DRIVER (2) | SERVICE_RECOGNIZER_DRIVER (8)
DRIVER_TYPE_MASK = 0xB
# Control\ProductOptions\ProductType, and Win32_OperatingSystem.ProductType (1 work station,
# 2 domain controller, 3 server)
PRODUCT_OPTIONS_TYPES = {'winnt': 'Client', 'servernt': 'Server', 'lanmannt': 'Server'}
WMI_PRODUCT_TYPES = {1: 'Client', 2: 'Server', 3: 'Server'}
# Windows 10/11 Enterprise multi-session reports ProductType 3 like a server
# (https://learn.microsoft.com/en-us/azure/virtual-desktop/windows-10-multisession-faq); its
# OperatingSystemSKU is 175 (PRODUCT_SERVERRDSH in winnt.h) and its EditionID ServerRdsh.
MULTI_SESSION_SKUS = (175,)
MULTI_SESSION_EDITIONS = ('serverrdsh',)

# volume-relative directories the usual environment variables name, for an image (C: is the
# scanned volume) and for the request when the host's own value is not known
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
# Per-user variables name every profile: a live scan must not read the WinRM user's own value.
PROFILE_VARS = {
    'userprofile': '',
    'localappdata': '\\AppData\\Local',
    'appdata': '\\AppData\\Roaming',
}
PROFILES_GLOB = '%SystemDrive%\\Users\\*'

_DRIVE = re.compile(r'^([A-Za-z]):(?:[\\/]|$)')
_VAR = re.compile(r'%([^%\\/]+)%')
_USER_SID = re.compile(r'^S-1-(?:5-21|12-1)-[0-9-]+$', re.IGNORECASE)
_CLASS_GUID = re.compile(r'^\{[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}$')

# kind names: regipy's value_type strings, and .NET's RegistryValueKind names (the live dump)
_NET_KINDS = {'String': 'REG_SZ', 'ExpandString': 'REG_EXPAND_SZ', 'MultiString': 'REG_MULTI_SZ',
              'DWord': 'REG_DWORD', 'QWord': 'REG_QWORD', 'Binary': 'REG_BINARY', 'None': 'REG_NONE',
              'Unknown': 'REG_UNKNOWN'}
_TEXT_KINDS = ('REG_SZ', 'REG_EXPAND_SZ', 'REG_EXPAND')
_INT_KINDS = ('REG_DWORD', 'REG_QWORD')
# .NET cannot tell REG_NONE from the other types it does not know (RegistryValueKind.Unknown is 0)
_SUMMARY_KINDS = {'REG_BINARY': 'Binary'}


class NotCollected(LookupError):
    """A rule asked a reader for data the live request did not ask the collector for: a bug of
    ``windows_request.py`` or of this module, reported as an error, never read as "absent"."""


class RegistryReader(object):
    """What :func:`interpret` needs from a reader (documentation; readers implement it).

    ``key(path)``: the :class:`Key` at ``path`` (a tuple of names, any case), or None when it
    does not exist.  ``subkeys(key, listing)``: the subkeys of ``key`` (Keys), for the purpose
    ``listing`` (one of the ``LIST_*`` names or :func:`glob_listing`); a live reader returns
    only the names the request kept for that purpose, every rule filters them again.
    ``values(key, names=None)``: ``{lower-case name: Value}`` of the named values (all values
    for None), with the attribute ``total``: how many values the key has.
    """


class Key(object):
    """A registry key a reader found: ``path`` is its full path (real names where known)."""

    __slots__ = ('path', 'handle')

    def __init__(self, path, handle=None):
        self.path = tuple(path)
        self.handle = handle

    @property
    def name(self):
        return self.path[-1]

    def shown(self):
        return '\\'.join(self.path)


class Values(dict):
    """``{lower-case name: Value}`` with ``total``, the number of values the key holds."""

    total = 0


Value = collections.namedtuple('Value', 'name kind data size')
Value.__doc__ = """One registry value: ``kind`` REG_SZ, REG_EXPAND_SZ, REG_MULTI_SZ, REG_DWORD,
REG_QWORD, REG_BINARY, REG_NONE or another REG_* name; ``data`` str, unsigned int, list of str,
bytes (None for binary data too long to return); ``size`` the original length (characters,
strings or bytes) when ``data`` was cut, else None."""


# --------------------------------------------------------------------------- values

def _raw_bytes(raw):
    if isinstance(raw, (bytes, bytearray)):
        return bytes(raw)
    if isinstance(raw, str):
        # regipy decodes the data of rare types (REG_LINK, REG_DWORD_BIG_ENDIAN, ...) as text
        return raw.encode('utf-16-le')
    return None


def make_value(name, kind, data, size=None):
    """One :class:`Value` with the caps applied.

    ``kind`` is regipy's type name (REG_SZ, ...) or a .NET RegistryValueKind name (the live
    dump: String, DWord, ...).  ``data`` is a str, an int, a list of str, bytes, or None for
    binary data the live collector did not return because it was too long; ``size`` is the
    original length when the live collector already cut ``data``.  A REG_DWORD or REG_QWORD
    that .NET read as a signed number is made unsigned: 0xFFFFFFFF (``LastSuccessfulUpdate``
    "never") stays 4294967295.  The default value is named ``(default)``.
    """
    kind = _NET_KINDS.get(kind, kind or 'REG_UNKNOWN')
    if name == '':
        name = '(default)'
    if kind in _TEXT_KINDS and isinstance(data, str):
        if len(data) > MAX_TEXT_CHARS:
            size, data = size or len(data), data[:MAX_TEXT_CHARS]
        return Value(name, kind, data, size)
    if kind in _INT_KINDS and isinstance(data, int) and not isinstance(data, bool):
        return Value(name, kind, data & (0xFFFFFFFF if kind == 'REG_DWORD' else 0xFFFFFFFFFFFFFFFF), None)
    if kind == 'REG_MULTI_SZ' and isinstance(data, (list, tuple)):
        strings = [str(s) for s in data]
        cut = [s[:MAX_TEXT_CHARS] for s in strings[:MAX_MULTI_STRINGS]]
        if cut != strings and size is None:
            size = len(strings)
        return Value(name, kind, cut, size)
    if hasattr(data, 'isoformat'):
        return Value(name, kind, data.isoformat(), None)  # regipy's REG_FILETIME
    if data is None:
        return Value(name, kind, None, size if size and size > MAX_BINARY_BYTES else None)
    raw = _raw_bytes(data)
    if raw is None:
        return Value(name, kind, str(data), None)
    if len(raw) > MAX_BINARY_BYTES:
        return Value(name, kind, None, len(raw))
    return Value(name, kind, raw, None)


def registry_value(value):
    """A value as the ``registry`` section returns it: REG_SZ/REG_EXPAND_SZ as the stored string
    (not expanded), REG_DWORD/REG_QWORD as unsigned ints, REG_MULTI_SZ as a list of str, and
    anything else as a lowercase hex string (over 512 bytes: a one-line summary)."""
    data = value.data
    if isinstance(data, (bytes, bytearray)):
        return bytes(data).hex()
    if data is None and value.size:
        return '<%d bytes of %s data not returned>' % (value.size, _SUMMARY_KINDS.get(value.kind, 'Unknown'))
    return data


def string_field(value):
    """A value read as a string field: trailing NULs dropped, an empty string or binary data is
    None, REG_MULTI_SZ joined, REG_EXPAND_SZ not expanded (as stored: the host's environment is
    not the one of the user or service the value belongs to)."""
    if value is None:
        return None
    data = value.data
    if data is None or isinstance(data, (bytes, bytearray)):
        return None
    if isinstance(data, (list, tuple)):
        text = ' '.join(str(s) for s in data)
    elif isinstance(data, (str, int)):
        text = str(data)
    else:
        return None
    text = text.rstrip('\0')
    return text or None


def int_field(value):
    """A value read as an integer (REG_DWORD, REG_QWORD or a numeric string), else None."""
    if value is None:
        return None
    data = value.data
    if isinstance(data, bool):
        return None
    if isinstance(data, int):
        return data
    if isinstance(data, str):
        try:
            return int(data.strip().rstrip('\0'))
        except ValueError:
            return None
    return None


def pick(values, *names):
    """The first of ``names`` that ``values`` (a :class:`Values`) has, or None."""
    for name in names:
        found = values.get(name.lower())
        if found is not None:
            return found
    return None


def cut_values(values, total):
    """``values`` (a list of Value in the key's order) as :class:`Values`, at most 128 of them."""
    out = Values()
    for value in values[:MAX_VALUES_PER_KEY]:
        out.setdefault(value.name.lower(), value)
    out.total = total
    return out


# --------------------------------------------------------------------------- inventory helpers

def empty_inventory(root, live):
    inventory = {
        'schema': SCHEMA_VERSION,
        'platform': 'windows',
        'root': root,
        'live': live,
        'os': {'name': None, 'family': 'windows', 'version': None, 'installation_type': None},
    }
    for key in ('commands', 'packages', 'uninstall', 'services', 'units', 'paths', 'groups', 'processes',
                'kernel_modules', 'registry', 'receipts', 'bundles', 'launchd', 'security_center', 'class_filters',
                'skipped', 'warnings', 'errors'):
        inventory[key] = []
    inventory['defender'] = None
    return inventory


def error(inventory, source, message):
    inventory['errors'].append({'source': source, 'message': message})


def warning(inventory, source, message):
    inventory['warnings'].append({'source': source, 'message': message})


def guard(inventory, source, func, *args):
    """Run one rule; a failure becomes an ``errors`` entry of ``source`` and the scan carries on."""
    try:
        return func(*args)
    except NotCollected as exc:
        error(inventory, source, 'internal: %s was not collected (windows_request.py and windows_registry.py '
                                 'disagree): findings may be incomplete' % exc)
    except Exception as exc:  # pylint: disable=broad-except
        error(inventory, source, '%s: %s' % (type(exc).__name__, exc))
    return None


def _cut_warnings(inventory, source, key, values):
    """A warning for each string value the caps cut (binary values are summarised instead)."""
    for value in values:
        if value is None or value.size is None:
            continue
        if value.kind == 'REG_MULTI_SZ':
            warning(inventory, source, "%s value '%s' has %d strings: at most %d strings of at most %d characters "
                    "are returned" % (key.shown(), value.name, value.size, MAX_MULTI_STRINGS, MAX_TEXT_CHARS))
        elif value.kind in _TEXT_KINDS:
            warning(inventory, source, "%s value '%s' has %d characters: only the first %d are returned"
                    % (key.shown(), value.name, value.size, MAX_TEXT_CHARS))


def probe_list(probe, name):
    """``probe[name]`` as a list of non-empty strings (absent: empty; one string: a list of it)."""
    value = probe.get(name)
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    return [str(item) for item in value if item is not None and str(item) != '']


def compile_patterns(probe, name, inventory):
    """The probe's regular expressions, searched case-insensitively in at most the first
    ``patterns.MAX_VALUE_LENGTH`` characters of a value (``patterns.compile_pattern``); one that
    does not compile is reported (source ``probe``) and ignored (``patterns.compile_probe``)."""
    return patterns.compile_probe(probe_list(probe, name), name, inventory['errors'])


def search_any(value, regexes):
    return bool(value) and any(r.search(value) for r in regexes)


def glob_any(value, patterns):
    lowered = value.lower()
    return any(fnmatch.fnmatchcase(lowered, p.lower()) for p in patterns)


def is_glob(segment):
    return patterns.has_magic(segment)


# --------------------------------------------------------------------------- paths

def expand_vars(text, env):
    """``%NAME%`` replaced by ``env[name.lower()]``; a per-user variable by its every-profile
    glob; an unknown variable is left as it is."""
    def one(match):
        name = match.group(1).lower()
        if name in PROFILE_VARS:
            return expand_vars(PROFILES_GLOB, env) + PROFILE_VARS[name]
        return env.get(name, match.group(0))
    return _VAR.sub(one, text)


def windows_parts(pattern, env=None):
    """``(drive letter, [components])`` of a Windows path pattern, or None when it is not one
    (the POSIX patterns of multi-platform catalogue entries)."""
    expanded = expand_vars(pattern, ENV_DIRS if env is None else env)
    match = _DRIVE.match(expanded)
    if not match:
        return None
    parts = [p for p in re.split(r'[\\/]+', expanded[match.end():]) if p]
    if any(p in ('.', '..') for p in parts):
        return None
    return match.group(1).upper(), parts


def image_file(image_path, env, keep_case=False):
    """The file a service ``ImagePath`` names, as a lower-case ``c:\\...`` path (``keep_case``:
    as written), or None.

    The Service Control Manager accepts a quoted path with arguments, an unquoted path, the
    NT forms ``\\??\\C:\\...`` and ``\\SystemRoot\\...``, a path relative to the system root
    (``system32\\DRIVERS\\klif.sys``) and ``%SystemRoot%``-style variables.  An unquoted path
    keeps its arguments: the globs below end with ``\\*``, which matches them too.
    """
    if not image_path:
        return None
    text = image_path.strip()
    if text.startswith('"'):
        end = text.find('"', 1)
        text = text[1:end] if end > 0 else text[1:]
    if text.startswith('\\??\\'):
        text = text[4:]
    if text.lower().startswith('\\systemroot\\'):
        text = '%SystemRoot%' + text[len('\\systemroot'):]
    elif not _DRIVE.match(text) and not text.startswith('%') and not text.startswith('\\'):
        text = '%SystemRoot%\\' + text
    text = expand_vars(text, env).replace('/', '\\')
    if not _DRIVE.match(text):
        return None
    return text if keep_case else text.lower()


def below_any(path, globs, env):
    """The first of ``globs`` (Windows directory globs) that ``path`` lies below, or None."""
    if not path:
        return None
    for pattern in globs:
        expanded = expand_vars(pattern, env).replace('/', '\\').rstrip('\\').lower()
        if fnmatch.fnmatchcase(path, expanded + '\\*'):
            return pattern
    return None


# --------------------------------------------------------------------------- os

def installation_type(installation=None, edition=None, product_options=None, wmi_product_type=None, sku=None,
                      name=None):
    """``Client``, ``Server`` or None.  ``InstallationType`` (Client, Server, Server Core, Nano
    Server) decides; without it, Enterprise multi-session (EditionID ServerRdsh, SKU 175) is a
    client although its ProductType says server; then Win32_OperatingSystem.ProductType, then
    Control\\ProductOptions, then the product name."""
    text = (installation or '').strip().lower()
    if text == 'client':
        return 'Client'
    if 'server' in text:
        return 'Server'
    if (edition or '').strip().lower() in MULTI_SESSION_EDITIONS or sku in MULTI_SESSION_SKUS:
        return 'Client'
    if wmi_product_type in WMI_PRODUCT_TYPES:
        return WMI_PRODUCT_TYPES[wmi_product_type]
    if product_options:
        found = PRODUCT_OPTIONS_TYPES.get(product_options.strip().lower())
        if found:
            return found
    if name:
        return 'Server' if 'server' in name.lower() else 'Client'
    return None


def _optional_values(reader, path, names):
    """Values of a key that may be missing (None when it, or its hive, is not there)."""
    try:
        key = reader.key(path)
    except ValueError:
        return None
    return reader.values(key, names) if key is not None else None


def read_os(reader, inventory, wmi=None):
    """``inventory['os']`` from CurrentVersion, ProductOptions and (live) Win32_OperatingSystem:
    ``wmi`` is ``{Caption, Version, ProductType, OperatingSystemSKU}`` or None."""
    wmi = wmi or {}
    key = reader.key(CURRENT_VERSION)
    if key is None and not wmi.get('Caption'):
        raise ValueError('HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion does not exist')
    values = reader.values(key, OS_VALUES) if key is not None else Values()
    name = string_field(pick(values, 'ProductName'))
    build = string_field(pick(values, 'CurrentBuildNumber', 'CurrentBuild'))
    major = int_field(pick(values, 'CurrentMajorVersionNumber'))
    minor = int_field(pick(values, 'CurrentMinorVersionNumber'))
    if major is not None and minor is not None:
        version = '%d.%d' % (major, minor)
    else:
        version = string_field(pick(values, 'CurrentVersion'))  # 6.1, 6.3 before Windows 10
    if build:
        version = '%s.%s' % (version, build) if version else build
    options = _optional_values(reader, PRODUCT_OPTIONS, PRODUCT_OPTIONS_VALUES)
    kind = installation_type(string_field(pick(values, 'InstallationType')), string_field(pick(values, 'EditionID')),
                             string_field(pick(options, 'ProductType')) if options else None,
                             wmi.get('ProductType'), wmi.get('OperatingSystemSKU'), name)
    if name:
        if build and build.isdigit() and int(build) >= 22000 and name.startswith('Windows 10') and kind == 'Client':
            # Windows 11 keeps ProductName "Windows 10 ..."; the build number tells them apart
            name = 'Windows 11' + name[len('Windows 10'):]
        if name.startswith('Windows'):
            name = 'Microsoft ' + name  # as Win32_OperatingSystem.Caption says it
    caption = (wmi.get('Caption') or '').strip()
    inventory['os'] = {'name': caption or name, 'family': 'windows', 'version': wmi.get('Version') or version,
                       'installation_type': kind}


def architecture(reader):
    """PROCESSOR_ARCHITECTURE of the system environment (AMD64, x86, ARM64), or None."""
    values = _optional_values(reader, ENVIRONMENT, ENVIRONMENT_VALUES)
    return string_field(pick(values, 'PROCESSOR_ARCHITECTURE')) if values else None


# --------------------------------------------------------------------------- uninstall

def _uninstall_entry(hive_name, view, key, values, product_code=None):
    return {
        'hive': hive_name,
        'view': view,
        'key': product_code or key.name,
        'display_name': string_field(pick(values, 'DisplayName')),
        'display_version': string_field(pick(values, 'DisplayVersion')),
        'publisher': string_field(pick(values, 'Publisher')),
        'install_location': string_field(pick(values, 'InstallLocation')),
        'uninstall_string': string_field(pick(values, 'UninstallString')),
        'quiet_uninstall_string': string_field(pick(values, 'QuietUninstallString')),
        # a product of Installer\UserData is a Windows Installer product by definition
        'windows_installer': True if product_code else int_field(pick(values, 'WindowsInstaller')) == 1,
    }


def _wanted(values, display_re, publisher_re):
    return (search_any(string_field(pick(values, 'DisplayName')), display_re)
            or search_any(string_field(pick(values, 'Publisher')), publisher_re))


def _uninstall_entries(reader, path, hive_name, view, display_re, publisher_re, inventory):
    key = reader.key(path)
    if key is None:
        return
    for sub in reader.subkeys(key, LIST_UNINSTALL):
        try:
            values = reader.values(sub, UNINSTALL_VALUES)
        except NotCollected:
            raise
        except Exception as exc:  # pylint: disable=broad-except
            error(inventory, 'uninstall', '%s: %s: %s' % (sub.shown(), type(exc).__name__, exc))
            continue
        if _wanted(values, display_re, publisher_re):
            _cut_warnings(inventory, 'uninstall', sub, values.values())
            inventory['uninstall'].append(_uninstall_entry(hive_name, view, sub, values))


def product_code(packed):
    """The ProductCode ``{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}`` of a packed GUID (the 32 hex
    digits Windows Installer names a product key after), or None.  Packing reverses the first
    three groups and swaps the two digits of each byte of the last two."""
    if not re.match(r'^[0-9A-Fa-f]{32}$', packed or ''):
        return None
    text = packed.upper()
    tail = ''.join(text[i + 1] + text[i] for i in range(16, 32, 2))
    return '{%s-%s-%s-%s-%s}' % (text[0:8][::-1], text[8:12][::-1], text[12:16][::-1], tail[:4], tail[4:])


def _user_data_products(reader, display_re, publisher_re, inventory):
    """Per-user Windows Installer products, registered machine-wide under
    ``Installer\\UserData\\<SID>\\Products\\<packed code>\\InstallProperties``: a live scan
    sees those of users who are not logged on too."""
    root = reader.key(USER_DATA)
    if root is None:
        return
    for sid in reader.subkeys(root, LIST_USER_DATA):
        if sid.name.upper() == MACHINE_SID:
            continue  # per-machine products: the Uninstall keys list them
        products = reader.key(sid.path + ('Products',))
        if products is None:
            continue
        for product in reader.subkeys(products, LIST_PRODUCTS):
            props = reader.key(product.path + ('InstallProperties',))
            if props is None:
                continue
            values = reader.values(props, UNINSTALL_VALUES)
            if _wanted(values, display_re, publisher_re):
                _cut_warnings(inventory, 'uninstall', props, values.values())
                inventory['uninstall'].append(_uninstall_entry('HKU\\%s' % sid.name, 'user', product, values,
                                                               product_code(product.name) or product.name))


def user_hives(reader):
    """The user hives a reader shows under HKU (not the ``<SID>_Classes`` hives, nor ``.DEFAULT``,
    which is LocalSystem's hive again)."""
    root = reader.key(HKU)
    if root is None:
        return []
    return [k for k in reader.subkeys(root, LIST_USERS)
            if not k.name.lower().endswith('_classes') and k.name.lower() != '.default']


def collect_uninstall(reader, probe, inventory):
    display_re = compile_patterns(probe, 'display_name', inventory)
    publisher_re = compile_patterns(probe, 'publisher', inventory)
    if not display_re and not publisher_re:
        inventory['skipped'].append({'source': 'uninstall', 'reason': 'the probe has no display_name or publisher pattern'})
        return
    # a 32-bit Windows has one view, the 32-bit one, and no WOW6432Node
    if (guard(inventory, 'uninstall', architecture, reader) or '').strip().lower() == 'x86':
        views = [('32', HKLM_SOFTWARE + UNINSTALL_KEY)]
    else:
        views = [('64', HKLM_SOFTWARE + UNINSTALL_KEY), ('32', HKLM_SOFTWARE + (WOW64_NODE,) + UNINSTALL_KEY)]
    for view, path in views:
        guard(inventory, 'uninstall', _uninstall_entries, reader, path, 'HKLM', view, display_re, publisher_re, inventory)
    for user in guard(inventory, 'uninstall', user_hives, reader) or []:
        guard(inventory, 'uninstall', _uninstall_entries, reader, user.path + USER_UNINSTALL_KEY, 'HKU\\%s' % user.name,
              'user', display_re, publisher_re, inventory)
    guard(inventory, 'uninstall', _user_data_products, reader, display_re, publisher_re, inventory)
    # a per-user MSI product of a logged-on user may show both ways: one entry, the first one,
    # completed by the other (Installer\UserData knows it is a Windows Installer product)
    seen = {}
    entries = []
    for entry in inventory['uninstall']:
        identity = (entry['hive'].lower(), entry['view'], (entry['key'] or '').lower())
        first = seen.get(identity)
        if first is None:
            seen[identity] = entry
            entries.append(entry)
            continue
        for field, value in entry.items():
            if first.get(field) is None:
                first[field] = value
        first['windows_installer'] = first['windows_installer'] or entry['windows_installer']
    inventory['uninstall'][:] = entries


def logged_off_profiles(reader):
    """User profiles (ProfileList; local, domain and Entra ID accounts) whose hive is not loaded."""
    root = reader.key(PROFILE_LIST)
    if root is None:
        return []
    loaded = set(k.name.lower() for k in user_hives(reader))
    return [k.name for k in reader.subkeys(root, LIST_PROFILES)
            if _USER_SID.match(k.name) and k.name.lower() not in loaded]


# --------------------------------------------------------------------------- services

def collect_services(reader, probe, inventory, env, scm=None):
    """Services and drivers whose key name matches the probe list of their kind, and those whose
    image lies below a catalogue ``install_dirs`` glob.  ``scm`` (live only) maps a lower-case
    service name to ``(status, display name)`` from the Service Control Manager."""
    service_globs = probe_list(probe, 'services')
    driver_globs = probe_list(probe, 'drivers')
    install_dirs = probe_list(probe, 'install_dirs')
    services = reader.key(SERVICES)
    if services is None:
        return
    for sub in reader.subkeys(services, LIST_SERVICES):
        name = sub.name
        as_service = glob_any(name, service_globs)
        as_driver = glob_any(name, driver_globs)
        if not (as_service or as_driver or install_dirs):
            continue
        try:
            values = reader.values(sub, SERVICE_VALUES)
        except NotCollected:
            raise
        except Exception as exc:  # pylint: disable=broad-except
            error(inventory, 'services', '%s: %s: %s' % (sub.shown(), type(exc).__name__, exc))
            continue
        service_type = int_field(pick(values, 'Type'))
        if service_type is None:
            continue  # no Type: not something the Service Control Manager loads (a stub key)
        kind = 'driver' if service_type & DRIVER_TYPE_MASK else 'service'
        image_path = string_field(pick(values, 'ImagePath'))
        below = below_any(image_file(image_path, env), install_dirs, env) if install_dirs else None
        if not (below or (as_driver if kind == 'driver' else as_service)):
            continue  # kept only when it matched the probe list of its kind, or lies below an install dir
        status, scm_name = (scm or {}).get(name.lower(), (None, None))
        entry = {
            'name': name,
            # the Service Control Manager names a service without DisplayName after its key, and
            # resolves an indirect "@file,-id" name; without it the value stays raw
            'display_name': scm_name or string_field(pick(values, 'DisplayName')) or name,
            'image_path': image_path,
            'start': START_TYPES.get(int_field(pick(values, 'Start'))),
            'kind': kind,
            # any state but Stopped (pending, paused) means the image is loaded
            'state': None if status is None else ('stopped' if status == 'Stopped' else 'running'),
        }
        if below:
            entry['install_dir'] = below
        _cut_warnings(inventory, 'services', sub, values.values())
        inventory['services'].append(entry)


# --------------------------------------------------------------------------- registry patterns

_HKLM = ('hklm', 'hkey_local_machine')
_HKU = ('hku', 'hkey_users')


def split_registry_pattern(pattern):
    """``(root path, [components])`` with root ``('HKLM', 'SOFTWARE')``, ``('HKLM', 'SYSTEM')``
    or ``('HKU',)``, or ``(None, reason)`` for keys the collectors do not read."""
    text = pattern.strip()
    if text.lower().startswith('registry::'):
        text = text[len('registry::'):]
    parts = [p for p in text.replace('/', '\\').split('\\') if p]
    head = parts[0].rstrip(':').lower() if parts else ''
    if head in _HKU and len(parts) >= 2:
        return HKU, parts[1:]
    if head in _HKLM and len(parts) >= 2 and parts[1].upper() in ('SOFTWARE', 'SYSTEM'):
        return ('HKLM', parts[1].upper()), parts[2:]
    if head in _HKLM:
        return None, 'only the SOFTWARE and SYSTEM hives of HKLM are read'
    return None, 'only HKLM and HKU keys are read'


def pattern_starts(root, parts):
    """Where a pattern is looked up: its root, and for a first segment below HKLM\\SOFTWARE that
    begins with ``*`` also the 32-bit view ``HKLM\\SOFTWARE\\WOW6432Node`` (the matcher's ``*``
    crosses ``\\``, so ``*KasperskyLab`` matches ``WOW6432Node\\KasperskyLab`` too).  Nothing
    else is walked two levels deep."""
    starts = [tuple(root)]
    if tuple(root) == HKLM_SOFTWARE and parts and parts[0].startswith('*'):
        starts.append(HKLM_SOFTWARE + (WOW64_NODE,))
    return starts


def expand(reader, pattern, inventory):
    """The keys a catalogue registry pattern names: ``[Key]``, at most 64.

    Each segment matches one key name (fnmatch, case-insensitive; ``?`` and ``[...]`` never
    match ``\\``); see :func:`pattern_starts` for the 32-bit view.  Every level of the walk
    keeps at most 1024 keys and the result at most 64, each cut a warning: a cut at one level
    never empties the levels after it.
    """
    root, parts = split_registry_pattern(pattern)
    if root is None:
        error(inventory, 'registry', "'%s': %s" % (pattern, parts))
        return []
    if sum(1 for p in parts if is_glob(p)) > MAX_WILDCARD_SEGMENTS:
        error(inventory, 'registry', "'%s' has more than %d wildcard levels and was not read" % (pattern, MAX_WILDCARD_SEGMENTS))
        return []
    if not parts:
        return []
    found, seen, cut = [], set(), False
    for start in pattern_starts(root, parts):
        base = reader.key(start)
        current = [base] if base is not None else []
        for part in parts:
            nxt = []
            for key in current:
                if not is_glob(part):
                    child = reader.key(key.path + (part,))
                    if child is not None:
                        nxt.append(child)
                    continue
                lowered = part.lower()
                nxt.extend(sub for sub in reader.subkeys(key, glob_listing(part))
                           if fnmatch.fnmatchcase(sub.name.lower(), lowered))
            if len(nxt) > MAX_LISTED:
                nxt, cut = nxt[:MAX_LISTED], True
            current = nxt
        for key in current:
            if key.shown().lower() not in seen:
                seen.add(key.shown().lower())
                found.append(key)
    if cut:
        warning(inventory, 'registry', "'%s': more than %d keys at one level; only the first %d were walked"
                % (pattern, MAX_LISTED, MAX_LISTED))
    if len(found) > MAX_KEYS_PER_PATTERN:
        warning(inventory, 'registry', "'%s' matched more than %d keys; only the first %d are returned"
                % (pattern, MAX_KEYS_PER_PATTERN, MAX_KEYS_PER_PATTERN))
        found = found[:MAX_KEYS_PER_PATTERN]
    return found


def registry_patterns(probe):
    """The probe's ``registry`` and ``signature_keys`` patterns, each once (case-insensitive)."""
    seen, patterns = set(), []
    for pattern in probe_list(probe, 'registry') + probe_list(probe, 'signature_keys'):
        if pattern.lower() not in seen:
            seen.add(pattern.lower())
            patterns.append(pattern)
    return patterns


def collect_registry(reader, probe, inventory):
    seen = set()
    for pattern in registry_patterns(probe):
        for key in expand(reader, pattern, inventory):
            shown = key.shown()
            if shown.lower() in seen:
                continue
            seen.add(shown.lower())
            values = reader.values(key)
            if values.total > MAX_VALUES_PER_KEY:
                warning(inventory, 'registry', '%s has %d values; only the first %d are returned'
                        % (shown, values.total, MAX_VALUES_PER_KEY))
            _cut_warnings(inventory, 'registry', key, values.values())
            inventory['registry'].append({'key': shown, 'values': dict((v.name, registry_value(v)) for v in values.values())})


# --------------------------------------------------------------------------- class filters

def _strings(value):
    """The entries of a REG_MULTI_SZ (or REG_SZ) filter list, empty ones left out."""
    if value is None or value.data is None:
        return []
    data = value.data if isinstance(value.data, (list, tuple)) else [value.data] if isinstance(value.data, str) else []
    return [entry for entry in data if isinstance(entry, str) and entry.strip()]


def collect_class_filters(reader, inventory):
    """``class_filters``: the device setup classes that have filter drivers, with them (not
    catalogue data: the remediation checks that a removed vendor's filters are gone)."""
    root = reader.key(CLASS)
    if root is None:
        return
    for sub in reader.subkeys(root, LIST_CLASSES):
        if not _CLASS_GUID.match(sub.name):
            continue
        values = reader.values(sub, CLASS_VALUES)
        upper = _strings(pick(values, 'UpperFilters'))
        lower = _strings(pick(values, 'LowerFilters'))
        if upper or lower:
            _cut_warnings(inventory, 'class_filters', sub, values.values())
            inventory['class_filters'].append({'class_guid': sub.name, 'name': string_field(pick(values, 'Class')),
                                               'upper': upper, 'lower': lower})


# --------------------------------------------------------------------------- all of it

def interpret(reader, probe, inventory, env, wmi=None, scm=None):
    """Fill the registry sections of ``inventory`` from ``reader``: ``os``, ``uninstall``,
    ``services``, ``registry``, ``class_filters``.  ``env`` maps lower-case environment variable names to the
    host's directories (``ENV_DIRS`` for an image); ``wmi`` and ``scm`` are the live-only
    Win32_OperatingSystem properties and Service Control Manager states."""
    probe = probe or {}
    guard(inventory, 'os', read_os, reader, inventory, wmi)
    collect_uninstall(reader, probe, inventory)
    if not probe_list(probe, 'services') and not probe_list(probe, 'drivers') and not probe_list(probe, 'install_dirs'):
        inventory['skipped'].append({'source': 'services', 'reason': 'the probe has no services or drivers pattern'})
    else:
        guard(inventory, 'services', collect_services, reader, probe, inventory, env, scm)
    guard(inventory, 'registry', collect_registry, reader, probe, inventory)
    # class filters cannot hide a banned product: a failure is a warning, the remediation then
    # says it could not check them
    before = len(inventory['errors'])
    guard(inventory, 'class_filters', collect_class_filters, reader, inventory)
    inventory['warnings'].extend(inventory['errors'][before:])
    del inventory['errors'][before:]
    return inventory
