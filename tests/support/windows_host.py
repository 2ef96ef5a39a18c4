# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A stand-in for a live Windows host, for the tests of the live collector's controller side.

No Windows host and no PowerShell runtime exist here, so ``plugins/modules/av_collect_win.ps1``
cannot run.  :class:`FakeWindowsHost` does what it does, step by step, on one of the machines
of ``tests/fixtures/windows_images/`` (the same machine the offline tests read as hives):

* the registry is the machine's ``.reg`` fixtures: ``HKLM\\SOFTWARE``, ``HKLM\\SYSTEM`` (with
  ``CurrentControlSet`` the control set ``Select\\Current`` names, as Windows links it at
  boot) and ``HKU\\<SID>`` for each hive ``live.json`` says is loaded;
* values are read as .NET's ``RegistryKey.GetValue`` (``DoNotExpandEnvironmentNames``) returns
  them: REG_SZ/REG_EXPAND_SZ as ``str`` without the terminating NUL, REG_DWORD as a *signed*
  Int32, REG_QWORD as a signed Int64, REG_MULTI_SZ as a list, anything else as bytes, with
  ``GetValueKind`` names (REG_NONE is ``Unknown``: RegistryValueKind.Unknown is 0)
  (https://learn.microsoft.com/en-us/dotnet/api/microsoft.win32.registryvaluekind);
* subkeys are listed in the order Windows keeps them (sorted by upper-case name), and
  ``-like`` and ``IndexOf(..., OrdinalIgnoreCase)`` are emulated here, independently of
  ``windows_request`` (which the tests check against this emulation);
* files are those of ``files.txt``; ``live.json`` gives the rest of the host: environment,
  loaded user hives, Service Control Manager states and the CIM instances.

It is a twin of the PowerShell, written from the same description: a change to one that the
other does not follow makes the dump fixtures (``tests/unit/fixtures/windows/dumps/``) stale,
which ``test_windows_live.py`` reports.  It proves the controller side, not the PowerShell.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import io
import json
import math
import os
import re
import struct

from ansible_collections.fleetsec.banned_av.tests.support import regf

IMAGES_DIR = os.path.normpath(os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'windows_images'))
KINDS = {regf.REG_SZ: 'String', regf.REG_EXPAND_SZ: 'ExpandString', regf.REG_BINARY: 'Binary', regf.REG_DWORD: 'DWord',
         regf.REG_MULTI_SZ: 'MultiString', regf.REG_QWORD: 'QWord'}


class Node(object):
    """One registry key: subkeys by lower-case name, values as (name, type, bytes) in order."""

    def __init__(self, name):
        self.name = name
        self.children = {}
        self.values = []

    def child(self, name, create=False):
        found = self.children.get(name.lower())
        if found is None and create:
            found = self.children[name.lower()] = Node(name)
        return found

    def subkey_names(self):
        return [c.name for c in sorted(self.children.values(), key=lambda c: c.name.upper())]


def _load(node, reg_path, prefixes):
    for path, values in regf.parse_reg(reg_path):
        rel = regf._relative(path, prefixes, reg_path)  # pylint: disable=protected-access
        current = node
        for part in [p for p in rel.split('\\') if p]:
            current = current.child(part, create=True)
        for name, vtype, data in values:
            current.values = [v for v in current.values if v[0].lower() != name.lower()] + [(name, vtype, data)]


def net_value(vtype, data):
    """``(GetValueKind name, GetValue data)`` as .NET returns them."""
    kind = KINDS.get(vtype, 'Unknown')
    if vtype in (regf.REG_SZ, regf.REG_EXPAND_SZ, regf.REG_MULTI_SZ):
        text = data.decode('utf-16-le', 'surrogatepass')
        if text.endswith('\0'):
            text = text[:-1]
        if vtype != regf.REG_MULTI_SZ:
            return kind, text
        strings = text.split('\0')
        if strings and strings[-1] == '':
            strings.pop()
        return kind, strings
    if vtype == regf.REG_DWORD:
        return kind, struct.unpack('<i', data[:4])[0]
    if vtype == regf.REG_QWORD:
        return kind, struct.unpack('<q', data[:8])[0]
    return kind, bytes(data)


def fold(text):
    """Each character by its simple upper-case mapping, as .NET's invariant, ordinal case-insensitive
    comparisons fold them (U+212A KELVIN SIGN stays itself: it is not "k"; U+0130 is not "i")."""
    return ''.join(c.upper() if len(c.upper()) == 1 else c for c in text)


def like(wildcard, name):
    """PowerShell's ``-like`` (WildcardPattern, ignoring case): ``*``, ``?``, ``[...]``, backtick escapes."""
    wildcard, name = fold(wildcard), fold(name)
    regex, i = [], 0
    while i < len(wildcard):
        char = wildcard[i]
        if char == '`' and i + 1 < len(wildcard):
            regex.append(re.escape(wildcard[i + 1]))
            i += 2
            continue
        if char == '[':
            end = wildcard.find(']', i + 1)
            if end > i + 1:
                regex.append('[' + wildcard[i + 1:end].replace('\\', '\\\\') + ']')
                i = end + 1
                continue
        regex.append('.*' if char == '*' else '.' if char == '?' else re.escape(char))
        i += 1
    return re.match('(?s)' + ''.join(regex) + r'\Z', name) is not None


def contains(text, needle):
    """``text.IndexOf(needle, StringComparison.OrdinalIgnoreCase) -ge 0``."""
    return fold(needle) in fold(text)


class FakeWindowsHost(object):
    """One machine of ``tests/fixtures/windows_images`` as a live host (see the module doc)."""

    def __init__(self, name, live=None):
        self.name = name
        self.dir = os.path.join(IMAGES_DIR, name)
        with io.open(os.path.join(self.dir, 'live.json'), encoding='utf-8') as handle:
            self.live = json.load(handle)
        if live:
            self.live.update(live)
        self.root = Node('')
        hklm = self.root.child('HKLM', create=True)
        _load(hklm.child('SOFTWARE', create=True), os.path.join(self.dir, 'SOFTWARE.reg'), regf.HIVE_PREFIXES['SOFTWARE'])
        system = hklm.child('SYSTEM', create=True)
        _load(system, os.path.join(self.dir, 'SYSTEM.reg'), regf.HIVE_PREFIXES['SYSTEM'])
        select = dict((v[0].lower(), v) for v in (system.child('Select').values if system.child('Select') else []))
        current = struct.unpack('<I', select['current'][2])[0] if 'current' in select else 1
        control_set = system.child('ControlSet%03d' % current)
        if control_set is not None:
            system.children['currentcontrolset'] = control_set
        hku = self.root.child('HKU', create=True)
        for sid, folder in sorted(self.live.get('hku', {}).items()):
            node = hku.child(sid, create=True)
            if folder:
                _load(node, os.path.join(self.dir, 'Users', folder, 'NTUSER.reg'), regf.HIVE_PREFIXES['NTUSER'])
        self.files = self._files()

    def add_key(self, path, values=None):
        """Add ``HKLM\\...`` or ``HKU\\...`` with ``{name: (regf type, bytes)}`` values (tests)."""
        node = self.root
        for part in [p for p in path.split('\\') if p]:
            node = node.child(part, create=True)
        for name, (vtype, data) in (values or {}).items():
            node.values = [v for v in node.values if v[0].lower() != name.lower()] + [(name, vtype, data)]
        return node

    # ------------------------------------------------------------------ file system

    def _files(self):
        """``{lower-case path: (real path, is directory)}`` of the volume (files.txt)."""
        found = {}
        listing = os.path.join(self.dir, 'files.txt')
        lines = io.open(listing, encoding='utf-8').read().splitlines() if os.path.exists(listing) else []
        for line in lines + ['Users/', 'Windows/System32/']:
            line = line.strip()
            if not line or line.startswith('#'):
                continue
            parts = [p for p in re.split(r'[\\/]', line) if p]
            for end in range(1, len(parts) + 1):
                path = 'C:\\' + '\\'.join(parts[:end])
                is_dir = end < len(parts) or line.endswith(('/', '\\'))
                found.setdefault(path.lower(), (path, is_dir))
        return found

    def _get_item(self, pattern):
        """Get-Item -Path with wildcards, one component at a time."""
        parts = [p for p in pattern.split('\\') if p]
        current = [parts[0]]
        for part in parts[1:]:
            nxt = []
            for parent in current:
                children = [real for low, (real, _d) in sorted(self.files.items())
                            if low.startswith(parent.lower() + '\\') and '\\' not in low[len(parent) + 1:]]
                for child in children:
                    leaf = child[len(parent) + 1:]
                    if re.search(r'[*?[]', part):
                        if like(part, leaf):
                            nxt.append(child)  # an expanded wildcard: the name as stored
                    elif leaf.lower() == part.lower():
                        nxt.append(parent + '\\' + part)  # a literal component keeps the case it was given
            current = nxt
        return [(path, self.files[path.lower()][1]) for path in current if path.lower() in self.files]

    def _expand(self, text):
        env = dict((k.lower(), v) for k, v in self.live['host']['env'].items() if v)
        return re.sub(r'%([^%]+)%', lambda m: env.get(m.group(1).lower(), m.group(0)), text)

    # ------------------------------------------------------------------ registry

    def _key(self, path):
        node = self.root
        for part in [p for p in path.split('\\') if p]:
            node = node.child(part)
            if node is None:
                return None
        return node

    @staticmethod
    def _read_value(node, name, limits):
        vtype, data = [(t, d) for n, t, d in node.values if n.lower() == name.lower()][0]
        kind, value = net_value(vtype, data)
        out = {'t': kind}
        if isinstance(value, str) and len(value) > limits['text']:
            out['n'], value = len(value), value[:limits['text']]
        elif isinstance(value, list):
            if len(value) > limits['strings'] or any(len(s) > limits['text'] for s in value):
                out['n'] = len(value)
            value = [s[:limits['text']] for s in value[:limits['strings']]]
        elif isinstance(value, bytes):
            out['n'] = len(value)
            value = value.hex().upper() if len(value) <= limits['binary'] else None
        out['d'] = value
        return out

    def _read_values(self, node, wanted, limits):
        names = [n for n, _t, _d in node.values]
        if isinstance(wanted, str):
            picked = names[:limits['values']]
        else:
            picked = [n for n in names if n.lower() in [w.lower() for w in wanted]]
        return {'v': dict((n, self._read_value(node, n, limits)) for n in picked), 'm': len(names)}

    @staticmethod
    def _keep(keep, node, leaf):
        if keep is None:
            return True
        if any(like(w, leaf) for w in keep.get('names') or []):
            return True
        for value_name, wanted in (keep.get('text') or {}).items():
            found = [(t, d) for n, t, d in node.values if n.lower() == value_name.lower()]
            if not found:
                continue
            _kind, data = net_value(*found[0])
            if isinstance(data, bytes):
                continue
            text = ' '.join(data) if isinstance(data, list) else str(data)
            if any(contains(text, n) for n in wanted):
                return True
        return False

    def _registry(self, walks, limits):
        out = {'found': {}, 'lists': [], 'errors': [], 'scm': []}
        cache = {}
        for walk in walks:
            current, listings = [walk['path'][0]], []
            for segment in walk['path'][1:]:
                nxt = []
                for parent in current:
                    if isinstance(segment, str):
                        if self._key(parent + '\\' + segment) is not None:
                            nxt.append(parent + '\\' + segment)
                        continue
                    cache_key = (parent.lower(), segment['list'])
                    if cache_key not in cache:
                        node, names, capped = self._key(parent), [], False
                        for name in node.subkey_names() if node else []:
                            if not segment['like']:
                                names.append(name)
                                continue
                            if not any(like(w, name) for w in segment['like']):
                                continue
                            if len(names) >= limits['list']:
                                capped = True
                                break
                            names.append(name)
                        cache[cache_key] = (names, capped)
                    names, capped = cache[cache_key]
                    listings.append({'k': parent, 'f': segment['list'], 'c': capped, 'n': []})
                    nxt.extend(parent + '\\' + name for name in names)
                current = nxt
            kept = []
            for path in current:
                node = self._key(path)
                leaf = path.rsplit('\\', 1)[-1]
                if node is None or not self._keep(walk.get('keep'), node, leaf):
                    continue
                if len(kept) >= limits['keys']:
                    out['errors'].append({'w': walks.index(walk), 'k': path, 'c': limits['keys']})
                    break
                record = self._read_values(node, walk['read'], limits) if walk.get('read') is not None else {}
                kept.append(path)
                existing = [k for k in out['found'] if k.lower() == path.lower()]
                if not existing:
                    out['found'][path] = record
                elif 'v' in record:
                    target = out['found'][existing[0]]
                    target.setdefault('v', {}).update(record['v'])
                    target.setdefault('m', record['m'])
                if walk.get('scm'):
                    out['scm'].append(leaf)
            for listing in listings:
                prefix = listing['k'].lower() + '\\'
                for path in kept:
                    if path.lower().startswith(prefix):
                        name = path[len(prefix):].split('\\')[0]
                        if name not in listing['n']:
                            listing['n'].append(name)
                out['lists'].append(listing)
        return out

    # ------------------------------------------------------------------ the other steps

    def _paths(self, patterns, limits):
        out = {'found': [], 'errors': []}
        for index, pattern in enumerate(patterns):
            lookup = self._expand(pattern)
            if not re.match(r'^[A-Za-z]:\\', lookup):
                out['errors'].append({'i': index, 'e': {'m': 'not an absolute path on this host: %s' % lookup}})
                continue
            items = self._get_item(lookup)
            if len(items) > limits['list']:
                out['errors'].append({'i': index, 'c': len(items)})
                items = items[:limits['list']]
            for path, is_dir in items:
                out['found'].append({'i': index, 'p': path, 'a': 16 if is_dir else 32})
        return out

    def _cim(self, query):
        source = self.live['cim'].get('%s:%s' % (query['namespace'], query['class']))
        if isinstance(source, dict):
            return None, source['error']
        items = []
        for instance in source or []:
            if any(not any(like(w, str(instance.get(prop))) for w in wanted)
                   for prop, wanted in (query.get('filter') or {}).items()):
                continue
            items.append(dict((p, instance[p]) for p in query['properties'] if p in instance))
        return {'items': items}, None

    def run(self, args):
        """The module result for the request ``args``: ``{'dump': ...}``.

        Time is virtual: ``live['step_seconds']`` says how long each step takes on this host (0
        unless given), and the steps follow the collector's deadline rule: the collector's clock
        starts with it; a step gets the smaller of its own deadline and the whole seconds left of
        ``limits.total`` (its record then has ``total``), is not started with none left (a
        ``timeout`` of 0), and a step that takes longer than it got is a ``timeout`` after that
        time; a CIM query also fails after ``-OperationTimeoutSec``, at most its step's time (a
        CimException whose message, HRESULT and NativeErrorCode were not observed: none is claimed)."""
        limits = args['limits']
        failures = self.live.get('fail_steps') or {}
        took = self.live.get('step_seconds') or {}
        used = [0]
        dump = {'schema': 1, 'steps': {}, 'host': {
            'os64': self.live['host']['os64'], 'ps64': self.live['host']['ps64'],
            'env': dict((name, self.live['host']['env'].get(name)) for name in args['env'])}}

        def step(name, func, own, cim=False):
            record = {'ms': 0}
            dump['steps'][name] = record
            left = int(math.floor(limits['total'] - used[0]))
            seconds = own
            if left < seconds:
                seconds = max(0, left)
                record['total'] = limits['total']
            if seconds < 1:
                record['timeout'] = 0
                return None
            if name in failures:
                dump['steps'][name] = dict({'ms': 0}, **failures[name])
                used[0] += failures[name].get('timeout') or 0
                return None
            duration = took.get(name, 0)
            if duration > seconds:  # WaitOne gave up (BeginStop)
                used[0] += seconds
                record.update(ms=seconds * 1000, timeout=seconds)
                return None
            operation = min(limits['cim'], seconds) if cim else None  # -OperationTimeoutSec
            if operation is not None and duration > operation:
                duration = operation
                data, problem = None, {'m': 'the CIM operation did not finish within %s s' % operation,
                                       'x': 'Microsoft.Management.Infrastructure.CimException'}
            else:
                data, problem = func()
            used[0] += duration
            record['ms'] = int(duration * 1000)
            if problem:
                record['error'] = problem
            return data

        if args['registry']:
            dump['registry'] = step('registry', lambda: (self._registry(args['registry'], limits), None), limits['seconds'])
            if dump['registry'] and dump['registry']['scm']:
                names = set(n.lower() for n in dump['registry']['scm'])
                states = dict((n, {'s': s[0], 'd': s[1]}) for n, s in self.live.get('scm', {}).items() if n.lower() in names)
                dump['scm'] = step('scm', lambda: (states, None), limits['seconds'])
        if args['paths']:
            dump['paths'] = step('paths', lambda: (self._paths(args['paths'], limits), None), limits['seconds'])
        dump['cim'] = {}
        for query in args['cim']:
            dump['cim'][query['id']] = step('cim:%s' % query['id'], lambda q=query: self._cim(q), limits['cim'] + 10, cim=True)
        return {'changed': False, 'dump': dump}


# --------------------------------------------------------------------------- dump fixtures

MACHINES = ('kes11', 'kes12', 'ksws', 'consumer21', 'network_agent_fr', 'ultraav', 'defender_only', 'avd_multisession')
DUMPS_DIR = os.path.normpath(os.path.join(os.path.dirname(__file__), '..', 'unit', 'fixtures', 'windows', 'dumps'))
DUMP_SOURCE = (
    'Shapes: registry value kinds and data as .NET RegistryKey.GetValue/GetValueKind return them '
    '(https://learn.microsoft.com/en-us/dotnet/api/microsoft.win32.registrykey.getvalue, '
    'https://learn.microsoft.com/en-us/dotnet/api/microsoft.win32.registryvaluekind: DWord an Int32, QWord an Int64, '
    'REG_NONE Unknown); Win32_OperatingSystem (https://learn.microsoft.com/en-us/windows/win32/cimwin32prov/'
    'win32-operatingsystem: Caption, Version strings, ProductType and OperatingSystemSKU uint32), Win32_Process '
    '(https://learn.microsoft.com/en-us/windows/win32/cimwin32prov/win32-process: Name, ProcessId uint32, '
    'ExecutablePath), MSFT_MpComputerStatus (https://learn.microsoft.com/en-us/previous-versions/windows/desktop/'
    'defender/msft-mpcomputerstatus: AMRunningMode string, AntivirusEnabled boolean, AntivirusSignatureLastUpdated '
    'datetime, written as UTC ISO 8601), root/SecurityCenter2 AntiVirusProduct (undocumented by Microsoft: '
    'displayName, productState uint32, pathToSignedProductExe, as '
    'glpi-project/glpi-agent:lib/GLPI/Agent/Task/Inventory/Win32/AntiVirus.pm reads it), CIM errors as '
    'Microsoft.Management.Infrastructure.CimException with NativeErrorCode and the WBEM HRESULT '
    '(0x8004100E WBEM_E_INVALID_NAMESPACE, https://learn.microsoft.com/en-us/windows/win32/wmisdk/wmi-error-constants). '
    'Product data: the machine\'s .reg, files.txt and live.json (their own sources).')


def dump_fixture(name, probe):
    """The dump fixture of one machine for ``probe`` (the catalogue's Windows probe, frozen in it)."""
    from ansible_collections.fleetsec.banned_av.plugins.module_utils import windows_live  # pylint: disable=import-outside-toplevel
    plan = windows_live.plan(probe)
    return {
        '_source': DUMP_SOURCE,
        '_comment': ('What av_collect_win.ps1 returns under "dump" on the machine tests/fixtures/windows_images/%s for the '
                     'request windows_live.plan(probe) builds; written by tests/support/windows_host.py (python -m '
                     'ansible_collections.fleetsec.banned_av.tests.support.windows_host), which plays the PowerShell. '
                     'No Windows host was captured.' % name),
        'probe': probe,
        'dump': FakeWindowsHost(name).run(plan.args)['dump'],
    }


def main():
    """Write the dump fixtures (after a change to the request or to the PowerShell)."""
    from ansible_collections.fleetsec.banned_av.plugins.module_utils import catalog  # pylint: disable=import-outside-toplevel
    probe = dict((k, v) for k, v in catalog.load().probe('windows').items() if v)
    if not os.path.isdir(DUMPS_DIR):
        os.makedirs(DUMPS_DIR)
    for name in MACHINES:
        path = os.path.join(DUMPS_DIR, '%s.json' % name)
        with io.open(path, 'w', encoding='utf-8') as handle:
            handle.write(json.dumps(dump_fixture(name, probe), indent=1, ensure_ascii=False, sort_keys=True) + '\n')
        print(path)


if __name__ == '__main__':
    main()
