# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The live Windows collector's raw dump, read as the raw inventory (on the controller).

``plugins/modules/av_collect_win.ps1`` runs the request of ``windows_request.build`` and
returns a dump: registry keys, listings and values as Windows stores them, file-system items,
Service Control Manager states and CIM instances, each step with its failure or timeout.
:func:`inventory` reads it:

* the registry through :class:`DumpRegistry`, a ``windows_registry`` reader, so that
  ``windows_registry.interpret`` applies the rules offline images get;
* the live-only sources here: paths, processes (``Win32_Process.ExecutablePath``), Security
  Center, Microsoft Defender (``MSFT_MpComputerStatus``), service states, the OS caption;
* failures by what they can hide: a source that could hide a banned product (Uninstall,
  services, registry, paths, Security Center on a client) is an ``errors`` entry, anything
  else (the OS query when the registry answered, process paths, Defender absent, disabled or
  stopped, output capped) a ``warnings`` entry.  States are read from data (HRESULTs, CIM
  status codes, service states), never from localised message text.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import re

from ansible_collections.fleetsec.banned_av.plugins.module_utils import windows_registry as wr
from ansible_collections.fleetsec.banned_av.plugins.module_utils import windows_request

DUMP_SCHEMA = 1
# the CIM status codes of a namespace or class that does not exist on this host
# (Microsoft.Management.Infrastructure.NativeErrorCode)
CIM_ABSENT = ('InvalidNamespace', 'InvalidClass', 'NotFound')
# sources whose failure can hide a banned product
CRITICAL = ('uninstall', 'services', 'registry', 'paths', 'security_center')
# the source a capped listing can hide data of (a pattern's listing: registry, output capped)
LISTING_SOURCES = {wr.LIST_USERS: 'uninstall', wr.LIST_USER_DATA: 'uninstall', wr.LIST_PRODUCTS: 'uninstall',
                   wr.LIST_UNINSTALL: 'uninstall', wr.LIST_SERVICES: 'services', wr.LIST_PROFILES: 'profiles',
                   wr.LIST_CLASSES: 'class_filters'}
FILE_ATTRIBUTE_DIRECTORY = 0x10
FILE_ATTRIBUTE_REPARSE_POINT = 0x400
DEFENDER_SERVICE = wr.SERVICES + ('WinDefend',)
DEFENDER_VALUES = ('Start', 'Type')
_ISO = re.compile(r'^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.\d+)?(Z|[+-]\d\d:?\d\d)?$')


class DumpError(ValueError):
    """The module returned no dump this reader understands."""


def plan(probe, seconds=windows_request.LIMITS['total']):
    """The request for one host (``windows_request.Plan``) with the collector's total budget of
    ``seconds`` (the ``av_facts`` option ``timeout``), and the Defender service key that tells
    Defender's state when its status cannot be read."""
    result = windows_request.build(probe, seconds=seconds)
    result.args['registry'].append({'id': 'defender', 'path': list(DEFENDER_SERVICE), 'read': list(DEFENDER_VALUES),
                                    'scm': True})
    return result


def _lower(path):
    return tuple(p.lower() for p in path)


def _split(text):
    return tuple(p for p in text.split('\\') if p)


class DumpRegistry(object):
    """The registry part of a dump as a ``windows_registry`` reader.

    A key the request covered but the dump does not show does not exist (or led to nothing
    the request kept); a key, listing or value the request did not cover raises
    ``windows_registry.NotCollected``: the rules never read "absent" where nothing was asked.
    """

    def __init__(self, args, data):
        data = data or {}
        self.templates = [segments for _source, segments, _read in windows_request.templates(args)]
        self.real, self.exists, self.found, self.lists, self.failed = {}, set(), {}, {}, set()
        for text, record in (data.get('found') or {}).items():
            path = _split(text)
            self._exist(path)
            self.found[_lower(path)] = record or {}
        for listing in data.get('lists') or []:
            parent = _split(listing['k'])
            self._exist(parent)
            names = self.lists.setdefault((_lower(parent), listing['f']), [])
            for name in listing.get('n') or []:
                self._exist(parent + (name,))
                if name.lower() not in [n.lower() for n in names]:
                    names.append(name)
        for problem in data.get('errors') or []:
            self.failed.add(_lower(_split(problem.get('k') or '')))

    def _exist(self, path):
        for end in range(1, len(path) + 1):
            low = _lower(path[:end])
            if low not in self.exists:
                self.exists.add(low)
                self.real[low] = path[:end]

    def _covered(self, low):
        for segments in self.templates:
            if len(segments) >= len(low) and all(s.startswith('\0') or s == p for s, p in zip(segments, low)):
                return True
        return False

    def key(self, path):
        low = _lower(path)
        if low in self.exists:
            return wr.Key(self.real[low])
        if self._covered(low):
            return None
        raise wr.NotCollected('key %s' % '\\'.join(path))

    def subkeys(self, key, listing):
        low = _lower(key.path)
        names = self.lists.get((low, listing))
        if names is None:
            if low in self.failed:
                return []
            raise wr.NotCollected('listing %r of %s' % (listing, key.shown()))
        return [wr.Key(self.real[low] + (name,)) for name in names]

    def values(self, key, names=None):
        low = _lower(key.path)
        record = self.found.get(low)
        if record is None or 'v' not in record:
            if low in self.failed:
                return wr.Values()
            raise wr.NotCollected('values of %s' % key.shown())
        wanted = set(n.lower() for n in names) if names is not None else None
        values = []
        for name, raw in (record.get('v') or {}).items():
            if wanted is not None and name.lower() not in wanted:
                continue
            data = raw.get('d')
            if isinstance(data, str) and raw.get('t') not in ('String', 'ExpandString'):
                data = bytes.fromhex(data)  # binary data comes as hex
            values.append(wr.make_value(name, raw.get('t'), data, raw.get('n')))
        return wr.cut_values(values, record.get('m', len(values)))


# --------------------------------------------------------------------------- failures

def _describe(problem):
    if not problem:
        return 'unknown error'
    text = problem.get('m') or 'unknown error'
    details = [d for d in (problem.get('x'), problem.get('h'), problem.get('c')) if d]
    return '%s (%s)' % (text, ', '.join(details)) if details else text


def _report(inventory, source, message):
    if source in CRITICAL:
        wr.error(inventory, source, message)
    else:
        wr.warning(inventory, source, message)


def _step_failure(dump, name):
    """A sentence for a step that failed, timed out or was not run for lack of time, else None.
    A step that ran into the collector's time limit (``limits.total``) rather than its own
    deadline has that limit as ``total``; its ``timeout`` is the time that was left (0: not run)."""
    record = (dump.get('steps') or {}).get(name)
    if record is None:
        return 'the collector did not run its %s step' % name
    if 'timeout' in record and record.get('total'):
        if not record['timeout']:
            return "the %s step was not run: the collector's time limit (%s s) was used up" % (name, record['total'])
        return ("the %s step did not finish within %s s, the time left of the collector's time limit (%s s)"
                % (name, record['timeout'], record['total']))
    if 'timeout' in record:
        return 'the %s step did not finish within %s s' % (name, record['timeout'])
    if record.get('error'):
        return 'the %s step failed: %s' % (name, _describe(record['error']))
    return None


def _registry_failures(args, dump, inventory):
    walks = args.get('registry') or []
    if not walks:
        return
    failure = _step_failure(dump, 'registry')
    if failure:
        for source in sorted(set(w['id'] for w in walks)):
            _report(inventory, source, failure)
        return
    for problem in (dump.get('registry') or {}).get('errors') or []:
        index = problem.get('w')
        source = walks[index]['id'] if isinstance(index, int) and 0 <= index < len(walks) else 'registry'
        if problem.get('c'):
            _report(inventory, source, 'more than %s keys like %s: the others were not read' % (problem['c'], problem.get('k')))
        else:
            _report(inventory, source, '%s: %s' % (problem.get('k'), _describe(problem.get('e'))))
    for listing in (dump.get('registry') or {}).get('lists') or []:
        if listing.get('c'):
            source = LISTING_SOURCES.get(listing.get('f'))
            report = _report if source else wr.warning  # a pattern's listing: output capped
            report(inventory, source or 'registry', '%s has more than %d subkeys for %s: only the first %d were read'
                   % (listing.get('k'), args['limits']['list'], listing.get('f'), args['limits']['list']))


# --------------------------------------------------------------------------- live-only sources

def _cim(dump, query_id):
    """``(items, failure)`` of one CIM query: failure is ``(sentence, problem record)``."""
    failure = _step_failure(dump, 'cim:%s' % query_id)
    if failure:
        record = (dump.get('steps') or {}).get('cim:%s' % query_id) or {}
        return None, (failure, record.get('error') or {})
    return ((dump.get('cim') or {}).get(query_id) or {}).get('items') or [], None


def _scm(dump, inventory):
    """``{lower-case name: (status, display name)}`` from the Service Control Manager step."""
    if 'scm' not in (dump.get('steps') or {}):
        return {}
    failure = _step_failure(dump, 'scm')
    if failure:
        wr.warning(inventory, 'services', '%s: service states are unknown' % failure)
        return {}
    out = {}
    for name, record in (dump.get('scm') or {}).items():
        if record and record.get('s'):
            out[name.lower()] = (record['s'], record.get('d'))
    return out


def _paths(args, dump, inventory):
    patterns = args.get('paths') or []
    if not patterns:
        return
    failure = _step_failure(dump, 'paths')
    if failure:
        wr.error(inventory, 'paths', failure)
        return
    data = dump.get('paths') or {}
    for problem in data.get('errors') or []:
        index = problem.get('i')
        pattern = patterns[index] if isinstance(index, int) and 0 <= index < len(patterns) else '?'
        if problem.get('c'):
            wr.warning(inventory, 'paths', '%s: %d items; only the first %d are returned' % (pattern, problem['c'], args['limits']['list']))
        else:
            wr.error(inventory, 'paths', '%s: %s' % (pattern, _describe(problem.get('e'))))
    seen = set()
    for item in data.get('found') or []:
        path = item.get('p')
        if not path or path.lower() in seen:
            continue
        seen.add(path.lower())
        attributes = item.get('a') or 0
        if attributes & FILE_ATTRIBUTE_REPARSE_POINT:
            kind = 'link'
        elif attributes & FILE_ATTRIBUTE_DIRECTORY:
            kind = 'dir'
        else:
            kind = 'file'
        inventory['paths'].append({'path': path, 'type': kind})


def _process_matches(name, patterns):
    # Win32_Process.Name has the extension; catalogue entries shared with Linux name images without it
    if wr.glob_any(name, patterns):
        return True
    return name.lower().endswith('.exe') and wr.glob_any(name[:-4], patterns)


def _processes(probe, dump, inventory):
    patterns = wr.probe_list(probe, 'processes')
    if not patterns:
        inventory['skipped'].append({'source': 'processes', 'reason': 'the probe has no processes pattern'})
        return
    items, failure = _cim(dump, 'processes')
    if failure:
        wr.warning(inventory, 'processes', 'Win32_Process: %s' % failure[0])
        return
    for item in items:
        name = item.get('Name') or ''
        if _process_matches(name, patterns):
            inventory['processes'].append({'name': name, 'pid': item.get('ProcessId'), 'exe': item.get('ExecutablePath')})


def _security_center(probe, dump, inventory):
    regexes = wr.compile_patterns(probe, 'security_center', inventory)
    if inventory['os'].get('installation_type') == 'Server':
        inventory['skipped'].append({'source': 'security_center', 'reason': 'not available on Windows Server'})
        return
    if not regexes:
        inventory['skipped'].append({'source': 'security_center', 'reason': 'the probe has no security_center pattern'})
        return
    items, failure = _cim(dump, 'security_center')
    if failure:
        wr.error(inventory, 'security_center', 'root/SecurityCenter2 AntiVirusProduct: %s' % failure[0])
        return
    for item in items:
        name = item.get('displayName')
        if wr.search_any(name, regexes):
            state = item.get('productState')
            inventory['security_center'].append({
                'display_name': name,
                'company': None,  # companyName only exists in the old root/SecurityCenter class
                'product_state': int(state) if state is not None else None,
                'path': item.get('pathToSignedProductExe'),
            })


def _utc(text):
    """An ISO 8601 time of the dump (``ToString('o')``) as ``YYYY-MM-DDTHH:MM:SSZ``, or None."""
    match = _ISO.match((text or '').strip())
    if not match:
        return None
    moment = datetime.datetime.strptime(match.group(1), '%Y-%m-%dT%H:%M:%S')
    zone = match.group(2)
    if zone and zone != 'Z':
        digits = zone[1:].replace(':', '')
        offset = datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        moment = moment - offset if zone[0] == '+' else moment + offset
    return moment.strftime('%Y-%m-%dT%H:%M:%SZ')


def _bool(value):
    return None if value is None else bool(value)


def _defender_state(reader, scm):
    """Why Microsoft Defender's status is missing, from the state of its service, or None when
    the WinDefend service is there and running."""
    try:
        key = reader.key(DEFENDER_SERVICE)
        values = reader.values(key, DEFENDER_VALUES) if key is not None else None
    except wr.NotCollected:
        return None
    if key is None:
        return 'Microsoft Defender Antivirus is not installed (no WinDefend service)'
    if wr.int_field(wr.pick(values, 'Start')) == 4:
        return 'the Microsoft Defender Antivirus service (WinDefend) is disabled'
    status = scm.get('windefend', (None, None))[0]
    if status is not None and status != 'Running':
        return 'the Microsoft Defender Antivirus service (WinDefend) is %s' % status.lower()
    return None


def _defender(dump, inventory, reader, scm):
    items, failure = _cim(dump, 'defender')
    state = _defender_state(reader, scm)
    if failure:
        sentence, problem = failure
        if problem.get('c') in CIM_ABSENT and state is None:
            state = "Microsoft Defender Antivirus's WMI provider is not installed"
        wr.warning(inventory, 'defender', '%s; MSFT_MpComputerStatus: %s' % (state, sentence) if state
                   else 'MSFT_MpComputerStatus: %s (the WinDefend service runs)' % sentence)
        return
    if not items:
        wr.warning(inventory, 'defender', '%s; MSFT_MpComputerStatus has no instance' % (state or 'Microsoft Defender Antivirus'))
        return
    status = items[0]
    inventory['defender'] = {
        'am_running_mode': status.get('AMRunningMode'),
        'antivirus_enabled': _bool(status.get('AntivirusEnabled')),
        'real_time_protection_enabled': _bool(status.get('RealTimeProtectionEnabled')),
        'am_product_version': status.get('AMProductVersion'),
        'antivirus_signature_version': status.get('AntivirusSignatureVersion'),
        'antivirus_signature_last_updated': _utc(status.get('AntivirusSignatureLastUpdated')),
    }


def _profiles(reader, inventory):
    """One ``skipped`` entry for every user profile whose hive is not loaded."""
    sids = wr.guard(inventory, 'uninstall', wr.logged_off_profiles, reader) or []
    if sids:
        shown = ', '.join(sids[:3]) + (', ...' if len(sids) > 3 else '')
        inventory['skipped'].append({'source': 'uninstall:HKU', 'reason': (
            '%d user profile(s) not loaded (users not logged on): their per-user Uninstall keys were not read; '
            'their per-user Windows Installer products were (Installer\\UserData): %s' % (len(sids), shown))})


# --------------------------------------------------------------------------- all of it

def inventory(result_plan, dump):
    """The raw inventory of one host from its dump (``result['dump']``)."""
    if not isinstance(dump, dict) or dump.get('schema') != DUMP_SCHEMA:
        raise DumpError('the Windows collector returned no dump of schema %d' % DUMP_SCHEMA)
    args, probe = result_plan.args, result_plan.probe or {}
    env = dict((name.lower(), value) for name, value in ((dump.get('host') or {}).get('env') or {}).items() if value)
    root = '%s\\' % env.get('systemdrive', 'C:')
    out = wr.empty_inventory(root, True)
    out['warnings'].extend(result_plan.warnings)
    reader = DumpRegistry(args, dump.get('registry'))
    _registry_failures(args, dump, out)
    scm = _scm(dump, out)
    wmi_items, wmi_failure = _cim(dump, 'os')
    if wmi_failure:
        wr.warning(out, 'os', 'Win32_OperatingSystem: %s; the registry was read instead' % wmi_failure[0])
    wr.interpret(reader, probe, out, env, wmi=wmi_items[0] if wmi_items else None, scm=scm)
    if wr.probe_list(probe, 'display_name') or wr.probe_list(probe, 'publisher'):
        _profiles(reader, out)
    _paths(args, dump, out)
    _processes(probe, dump, out)
    _security_center(probe, dump, out)
    _defender(dump, out, reader, scm)
    return out
