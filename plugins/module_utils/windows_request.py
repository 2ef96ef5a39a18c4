# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The request the live Windows collector runs, built on the controller from the catalogue probe.

``plugins/modules/av_collect_win.ps1`` does a handful of dumb operations and interprets
nothing.  This module decides what it reads, so that ``windows_registry.interpret`` finds in
the dump everything it reads on an offline image, and little else:

* registry *walks*: a key path whose segments are literal names or *listings* (the subkeys of
  the key reached so far, kept when their name matches a PowerShell ``-like`` wildcard), the
  values to read at the end (named, or all), and optionally a *keep* filter on the keys
  reached (a wildcard on the key name, or a text the value must contain);
* file-system paths to stat (environment variables expanded on the host, wildcards allowed);
* CIM classes to dump (with their properties) under a timeout;
* the limits that bound the output and the time: each step's own deadline, and the collector's
  total budget (``limits.total``, the ``av_facts`` option ``timeout``), which no step outlives:
  a step gets the smaller of its deadline and the time left, and is not started (recorded as a
  timeout of 0 s) when no whole second is left.

No regular expression is sent.  The catalogue's ``display_name`` and ``publisher`` regexes run
on the controller (Python's ``re``, where they were validated): the collector only keeps
the Uninstall entries whose ``DisplayName`` or ``Publisher`` contains a *needle*, a piece of
text every match of one of the regexes must contain (:func:`needles`), so it never ships the
full software list.  Catalogue globs become ``-like`` wildcards that match at least what the
glob matches (:func:`like`); the exact glob runs on the controller again.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch
import importlib
import re

from ansible_collections.fleetsec.banned_av.plugins.module_utils import windows_registry as wr

REQUEST_SCHEMA = 1

LIMITS = {
    'list': wr.MAX_LISTED,        # subkeys a -like listing keeps, items one path pattern returns
    'keys': 4 * wr.MAX_LISTED,    # keys one walk keeps
    'values': wr.MAX_VALUES_PER_KEY,
    'text': wr.MAX_TEXT_CHARS,
    'strings': wr.MAX_MULTI_STRINGS,
    'binary': wr.MAX_BINARY_BYTES,
    'seconds': 60,                # deadline of the registry, file-system and service steps
    'cim': 30,                    # -OperationTimeoutSec of each CIM query (its step's deadline: 10 s more)
    'total': 120,                 # seconds all the steps together may take (av_facts' timeout)
}

# environment variables the host reports (their values expand ImagePath and install_dirs)
ENV_NAMES = ('SystemDrive', 'SystemRoot', 'windir', 'ProgramFiles', 'ProgramFiles(x86)', 'ProgramW6432',
             'ProgramData', 'ALLUSERSPROFILE', 'CommonProgramFiles', 'CommonProgramFiles(x86)', 'PUBLIC')
# the variables a path pattern may start with (a drive letter otherwise)
KNOWN_VARS = frozenset(n.lower() for n in ENV_NAMES) | frozenset(wr.PROFILE_VARS)

# Win32_OperatingSystem, Win32_Process, root/SecurityCenter2 AntiVirusProduct and
# MSFT_MpComputerStatus properties (Microsoft's class documentation; AntiVirusProduct is
# undocumented and has no companyName, which only the old root/SecurityCenter class had)
CIM_OS = ('Caption', 'Version', 'ProductType', 'OperatingSystemSKU')
CIM_PROCESS = ('Name', 'ProcessId', 'ExecutablePath')
CIM_SECURITY_CENTER = ('displayName', 'productState', 'pathToSignedProductExe')
CIM_DEFENDER = ('AMRunningMode', 'AMServiceEnabled', 'AntivirusEnabled', 'RealTimeProtectionEnabled',
                'AMProductVersion', 'AntivirusSignatureVersion', 'AntivirusSignatureLastUpdated')

# needle characters: ASCII that Python's re.IGNORECASE and .NET's OrdinalIgnoreCase fold the
# same way.  i, k and s are left out: re.IGNORECASE also matches them with U+0130/U+0131,
# U+212A (Kelvin sign) and U+017F (long s), which OrdinalIgnoreCase does not fold to them.
_SAFE = frozenset('abcdefghjlmnopqrtuvwxyz0123456789 !"#$%&\'()+,-./:;<=>@[]^_`{|}~')
_LIKE_SPECIAL = '*?[]`'
# folders an ImagePath may name through a variable, \SystemRoot or a path relative to it
_KNOWN_FOLDERS = ('program files', 'program files (x86)', 'programdata', 'windows', 'system32', 'syswow64', 'drivers',
                  'users', 'appdata', 'local', 'roaming', 'programs', 'common files', 'public', 'all users')


class Plan(object):
    """A request for one host: ``args`` is what the module receives, ``warnings`` what the
    controller adds to the inventory about the request itself."""

    def __init__(self, probe, args, warnings):
        self.probe = probe
        self.args = args
        self.warnings = warnings


# --------------------------------------------------------------------------- needles

def _regex_parser():
    """The standard library's regex parser (``re._parser`` since Python 3.11, ``sre_parse`` before)."""
    parser = getattr(re, '_parser', None)
    if parser is None:
        parser = importlib.import_module('sre_parse')
    return parser


def _requirement(items):
    """Needles of a parsed sequence: a list of texts, one of which every match contains, or
    None when nothing is required (the best of the sequence's parts: the longest shortest)."""
    candidates, run = [], []

    def flush():
        if run:
            candidates.append([''.join(run)])
            del run[:]

    for op, arg in items:
        name = str(op)
        if name == 'LITERAL':
            char = chr(arg).lower()
            if char in _SAFE:
                run.append(char)
                continue
            flush()
            continue
        flush()
        found = None
        if name == 'SUBPATTERN':
            found = _requirement(arg[-1])
        elif name == 'ATOMIC_GROUP':
            found = _requirement(arg)
        elif name in ('MAX_REPEAT', 'MIN_REPEAT', 'POSSESSIVE_REPEAT') and arg[0] >= 1:
            found = _requirement(arg[2])
        elif name == 'BRANCH':
            branches = [_requirement(branch) for branch in arg[1]]
            if all(branches):
                found = sorted(set(n for b in branches for n in b))
        if found:
            candidates.append(found)
    flush()
    candidates = [c for c in candidates if all(c)]
    if not candidates:
        return None
    return max(candidates, key=lambda c: (min(len(n) for n in c), -len(c)))


def needles(patterns):
    """``(needles, unconstrained)`` for a list of regexes searched case-insensitively: every
    value one of them matches contains one of the needles (lower-case ASCII); ``unconstrained``
    lists the regexes with no such text (their field cannot be filtered on the host).  A regex
    that does not compile is left out: the controller reports it and ignores it."""
    parser = _regex_parser()
    found, unconstrained = [], []
    for pattern in patterns:
        try:
            re.compile(pattern)
            parsed = parser.parse(pattern)
        except (re.error, TypeError, ValueError, OverflowError, RecursionError):
            continue
        requirement = _requirement(list(parsed))
        if requirement is None:
            unconstrained.append(pattern)
            continue
        for needle in requirement:
            if needle not in found:
                found.append(needle)
    return found, unconstrained


def matches(needle_list, value):
    """What the collector does with needles: a case-insensitive substring test."""
    lowered = (value or '').lower()
    return any(n in lowered for n in needle_list)


# --------------------------------------------------------------------------- wildcards

def like(glob):
    """A PowerShell ``-like`` wildcard that matches every name the fnmatch ``glob`` matches
    case-insensitively (and maybe more).  ``[...]`` classes, ``?``, non-ASCII letters and
    i, k, s (see ``_SAFE``) become ``*``; the other wildcard characters are escaped."""
    out = []
    i = 0
    while i < len(glob):
        char = glob[i]
        if char == '[':
            end = glob.find(']', i + 2 if glob[i + 1:i + 2] in ('!', ']') else i + 1)
            if end > 0:
                out.append('*')
                i = end + 1
                continue
        if char in ('*', '?') or char.lower() not in _SAFE:
            out.append('*')
        elif char in _LIKE_SPECIAL:
            out.append('`' + char)
        else:
            out.append(char)
        i += 1
    return re.sub(r'\*+', '*', ''.join(out))


# --------------------------------------------------------------------------- walks

def _listing(list_id, likes=()):
    return {'list': list_id, 'like': list(likes)}


def _walk(source, path, values=None, keep=None, scm=False):
    walk = {'id': source, 'path': list(path)}
    if values is not None:
        walk['read'] = values if values == '*' else list(values)
    if keep is not None:
        walk['keep'] = keep
    if scm:
        walk['scm'] = True
    return walk


def _os_walks():
    return [_walk('os', wr.CURRENT_VERSION, wr.OS_VALUES),
            _walk('os', wr.PRODUCT_OPTIONS, wr.PRODUCT_OPTIONS_VALUES),
            _walk('os', wr.ENVIRONMENT, wr.ENVIRONMENT_VALUES)]


def _keep_values(probe, warnings):
    """The ``keep`` filter of an Uninstall walk: DisplayName or Publisher contains a needle."""
    keep = {}
    for field, value_name in (('display_name', 'DisplayName'), ('publisher', 'Publisher')):
        found, unconstrained = needles(wr.probe_list(probe, field))
        for pattern in unconstrained:
            warnings.append({'source': 'probe', 'message': "probe.%s pattern '%s' has no text the collector can look "
                             "for: the %s of every Uninstall entry is sent to the controller" % (field, pattern, value_name)})
        if unconstrained:
            found = ['']  # the empty text is in every value
        if found:
            keep[value_name] = found
    return keep


def _uninstall_walks(probe, warnings):
    if not wr.probe_list(probe, 'display_name') and not wr.probe_list(probe, 'publisher'):
        return []
    keep = {'names': [], 'text': _keep_values(probe, warnings)}
    users = _listing(wr.LIST_USERS, ['S-1-*'])
    entries = _listing(wr.LIST_UNINSTALL)
    return [
        _walk('uninstall', wr.HKLM_SOFTWARE + wr.UNINSTALL_KEY + (entries,), wr.UNINSTALL_VALUES, keep),
        _walk('uninstall', wr.HKLM_SOFTWARE + (wr.WOW64_NODE,) + wr.UNINSTALL_KEY + (entries,), wr.UNINSTALL_VALUES, keep),
        _walk('uninstall', wr.HKU + (users,)),
        _walk('uninstall', wr.HKU + (users,) + wr.USER_UNINSTALL_KEY + (entries,), wr.UNINSTALL_VALUES, keep),
        _walk('uninstall', wr.USER_DATA + (_listing(wr.LIST_USER_DATA, ['S-1-*']), 'Products',
                                           _listing(wr.LIST_PRODUCTS), 'InstallProperties'), wr.UNINSTALL_VALUES, keep),
        _walk('profiles', wr.PROFILE_LIST + (_listing(wr.LIST_PROFILES),)),
    ]


def _vendor_needle(glob):
    """The most selective text of an ``install_dirs`` glob that an ImagePath naming a file below
    it contains: the longest safe run of one component after the drive or variable and the
    well-known folders (which an ImagePath may spell as ``%ProgramFiles%``, ``\\SystemRoot``,
    or relative to the system root)."""
    parsed = wr.windows_parts(glob)
    if parsed is None:
        return ''
    best = ''
    for part in parsed[1]:
        if any(fnmatch.fnmatchcase(folder, part.lower()) for folder in _KNOWN_FOLDERS):
            continue  # Program Files*, ProgramData, Windows, System32, Users\*, ...
        for run in re.split(r'[*?\[\]]', part):
            for piece in re.split('[^%s]' % re.escape(''.join(sorted(_SAFE))), run.lower()):
                if len(piece) > len(best):
                    best = piece
    return best


def _service_walk(probe, warnings):
    service_globs = wr.probe_list(probe, 'services') + wr.probe_list(probe, 'drivers')
    install_dirs = wr.probe_list(probe, 'install_dirs')
    if not service_globs and not install_dirs:
        return []
    keep = {'names': sorted(set(like(g) for g in service_globs)), 'text': {}}
    if install_dirs:
        found = []
        for glob in install_dirs:
            needle = _vendor_needle(glob)
            if not needle:
                warnings.append({'source': 'probe', 'message': "probe.install_dirs glob '%s' has no text the collector can "
                                 "look for: the ImagePath of every service is sent to the controller" % glob})
            if needle not in found:
                found.append(needle)
        keep['text']['ImagePath'] = [''] if '' in found else found
    return [_walk('services', wr.SERVICES + (_listing(wr.LIST_SERVICES),), wr.SERVICE_VALUES, keep, scm=True)]


def _pattern_walks(probe):
    walks = []
    for pattern in wr.registry_patterns(probe):
        root, parts = wr.split_registry_pattern(pattern)
        if root is None or not parts or sum(1 for p in parts if wr.is_glob(p)) > wr.MAX_WILDCARD_SEGMENTS:
            continue  # reported by windows_registry.expand
        segments = [_listing(wr.glob_listing(p), [like(p)]) if wr.is_glob(p) else p for p in parts]
        for start in wr.pattern_starts(root, parts):
            walks.append(_walk('registry', tuple(start) + tuple(segments), '*'))
    return walks


def _class_walk():
    """The device setup classes that have a filter driver list (``windows_registry.collect_class_filters``)."""
    keep = {'names': [], 'text': {'UpperFilters': [''], 'LowerFilters': ['']}}  # '' is in every value there is
    return [_walk('class_filters', wr.CLASS + (_listing(wr.LIST_CLASSES, ['{*}']),), wr.CLASS_VALUES, keep)]


# --------------------------------------------------------------------------- paths and CIM

def host_path(pattern):
    """A catalogue path pattern as the collector stats it, or None when it is not a Windows path
    (the POSIX paths of multi-platform entries).  Per-user variables name every profile."""
    text = pattern.strip()
    match = re.match(r'^%([^%]+)%', text)
    if match:
        if match.group(1).lower() not in KNOWN_VARS:
            return None
        return re.sub(r'%([^%\\/]+)%', lambda m: (wr.PROFILES_GLOB + wr.PROFILE_VARS[m.group(1).lower()])
                      if m.group(1).lower() in wr.PROFILE_VARS else m.group(0), text)
    return text if wr.windows_parts(text, env={}) is not None else None


def _paths(probe):
    out = []
    for pattern in wr.probe_list(probe, 'files') + wr.probe_list(probe, 'paths'):
        path = host_path(pattern)
        if path is not None and path not in out:
            out.append(path)
    return out


def _cim(query_id, namespace, class_name, properties, select, filters=None):
    query = {'id': query_id, 'namespace': namespace, 'class': class_name, 'properties': list(properties),
             'select': select}
    if filters:
        query['filter'] = filters
    return query


def _cim_queries(probe):
    queries = [_cim('os', 'root/cimv2', 'Win32_OperatingSystem', CIM_OS, True)]
    processes = wr.probe_list(probe, 'processes')
    if processes:
        # the catalogue names images with '.exe' (avp.exe); Win32_Process.Name has it too
        wanted = sorted(set(like(p) for p in processes) | set(like(p + '.exe') for p in processes if '.' not in p))
        queries.append(_cim('processes', 'root/cimv2', 'Win32_Process', CIM_PROCESS, True, {'Name': wanted}))
    if wr.probe_list(probe, 'security_center'):
        queries.append(_cim('security_center', 'root/SecurityCenter2', 'AntiVirusProduct', CIM_SECURITY_CENTER, True))
    # no -Property: an older Defender platform lacks some of these properties, which WQL rejects
    queries.append(_cim('defender', 'root/Microsoft/Windows/Defender', 'MSFT_MpComputerStatus', CIM_DEFENDER, False))
    return queries


def budget(seconds):
    """``seconds`` as the collector's total budget, or ValueError naming the av_facts option."""
    if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds <= 0:
        raise ValueError('timeout: must be a positive whole number of seconds, got %r' % (seconds,))
    return seconds


def build(probe, seconds=LIMITS['total']):
    """The :class:`Plan` for a live Windows host and ``probe`` (``Catalog.probe('windows')``);
    ``seconds`` is the collector's total budget (the ``av_facts`` option ``timeout``)."""
    probe = probe or {}
    limits = dict(LIMITS, total=budget(seconds))
    warnings = []
    walks = (_os_walks() + _uninstall_walks(probe, warnings) + _service_walk(probe, warnings) + _pattern_walks(probe)
             + _class_walk())
    unique = []
    for walk in walks:
        if walk not in unique:
            unique.append(walk)
    args = {
        'schema': REQUEST_SCHEMA,
        'limits': limits,
        'env': list(ENV_NAMES),
        'registry': unique,
        'paths': _paths(probe),
        'cim': _cim_queries(probe),
    }
    return Plan(probe, args, warnings)


def templates(args):
    """The walk templates of a request (for the reader of its dump): ``(source, [segment])``
    where a segment is a lower-case name or a listing id prefixed with ``'\\0'``."""
    out = []
    for walk in args.get('registry') or []:
        segments = []
        for segment in walk['path']:
            segments.append('\0' + segment['list'] if isinstance(segment, dict) else segment.lower())
        out.append((walk['id'], segments, walk.get('read')))
    return out
