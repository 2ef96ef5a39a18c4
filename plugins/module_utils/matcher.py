# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The matching engine: raw inventory + catalogue -> findings and protection.

One implementation for Linux, macOS, Windows and offline images.  The raw inventory shape is
documented in ``docs/architecture.md``; catalogue entries are validated by ``catalog.py``.

Evidence strength decides what a finding means:

* *anchor* evidence (a package, an Uninstall entry, a service, driver or unit, a product file,
  a kernel module, a macOS receipt, bundle or launchd item, a Security Center entry) means the
  product is installed;
* *residue* evidence (a leftover directory, a role group, a vendor registry key, a package in
  ``config-files`` state) alone gives a finding with ``installed: false``;
* *supporting* evidence (a running process, tool output) is attached to a finding that already
  has evidence, and never creates one: process names such as ``avp.exe`` are shared by
  several products.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch
import re

from ansible_collections.fleetsec.banned_av.plugins.module_utils import parsers

ANCHOR_KINDS = ('package', 'uninstall', 'service', 'driver', 'unit', 'file', 'kernel_module', 'receipt',
                'bundle', 'launchd', 'security_center')
RESIDUE_KINDS = ('path', 'group', 'registry', 'package_residue')
SUPPORTING_KINDS = ('process', 'command')
VERSION_ORDER = ('package', 'uninstall', 'command', 'bundle', 'receipt', 'registry')


def _glob_any(value, patterns, nocase):
    if value is None:
        return None
    for pattern in patterns:
        if nocase:
            if fnmatch.fnmatchcase(value.lower(), pattern.lower()):
                return pattern
        elif fnmatch.fnmatchcase(value, pattern):
            return pattern
    return None


def _regex_any(value, patterns):
    if not value:
        return None
    for pattern in patterns:
        if re.search(pattern, value, re.IGNORECASE):
            return pattern
    return None


def _norm_path(path, windows):
    return path.replace('/', '\\').rstrip('\\') if windows else path.rstrip('/') or '/'


def _path_match(path, patterns, windows):
    """A path matches a pattern when it equals (glob) the pattern or lies below it."""
    value = _norm_path(path, windows)
    sep = '\\' if windows else '/'
    for pattern in patterns:
        pat = _norm_path(pattern, windows)
        cand, pat_c = (value.lower(), pat.lower()) if windows else (value, pat)
        if fnmatch.fnmatchcase(cand, pat_c) or fnmatch.fnmatchcase(cand, pat_c + sep + '*'):
            return pattern
    return None


def packages_of(inventory):
    """All packages of an inventory: parsed from dpkg/rpm command output plus collector lists."""
    packages = list(inventory.get('packages') or [])
    for command in inventory.get('commands') or []:
        if command.get('id') in ('dpkg', 'rpm'):
            packages.extend(parsers.parse_command(command))
    return packages


def _evidence(kind, value, **extra):
    item = {'kind': kind, 'value': value}
    item.update((k, v) for k, v in extra.items() if v is not None)
    return item


def _collect_evidence(entry, inventory, packages, windows):
    """Return a list of evidence dicts (with internal ``_version`` hints) for one entry."""
    match = entry['match']
    found = []
    for pkg in packages:
        pattern = _glob_any(pkg.get('name'), match.get('packages', []), windows)
        if pattern and (pkg.get('installed') or pkg.get('residue')):
            kind = 'package' if pkg.get('installed') else 'package_residue'
            found.append(_evidence(kind, '%s %s (%s: %s)' % (pkg['name'], pkg.get('version') or '?', pkg.get('manager'), pkg.get('status')),
                                   _version=pkg.get('version') if pkg.get('installed') else None))
    for item in inventory.get('uninstall') or []:
        pattern = _regex_any(item.get('display_name'), match.get('display_name', []))
        pattern = pattern or _regex_any(item.get('publisher'), match.get('publisher', []))
        if pattern:
            where = '%s\\%s' % (item.get('hive') or 'HKLM', item.get('key') or '?')
            found.append(_evidence('uninstall', '%s: %s %s (%s)' % (
                where, item.get('display_name'), item.get('display_version') or '', item.get('publisher') or 'no publisher'),
                _version=item.get('display_version'), product_code=item.get('key'), hive=item.get('hive'), view=item.get('view')))
    for item in inventory.get('services') or []:
        kind = 'driver' if item.get('kind') == 'driver' else 'service'
        patterns = match.get('drivers' if kind == 'driver' else 'services', [])
        if _glob_any(item.get('name'), patterns, True):
            state = item.get('state') or 'state unknown'
            found.append(_evidence(kind, '%s (%s, start %s)' % (item['name'], state, item.get('start') or '?'),
                                   _active=(item.get('state') == 'running')))
    for item in inventory.get('units') or []:
        if _glob_any(item.get('name'), match.get('units', []), False):
            found.append(_evidence('unit', '%s (%s, %s)' % (item['name'], item.get('active_state') or 'state unknown',
                                                            item.get('unit_file_state') or '?'),
                                   _active=(item.get('active_state') == 'active')))
    for item in inventory.get('paths') or []:
        path = item.get('path') or ''
        if _path_match(path, match.get('files', []), windows):
            found.append(_evidence('file', path))
        elif _path_match(path, match.get('paths', []), windows):
            found.append(_evidence('path', path))
    for item in inventory.get('groups') or []:
        if _glob_any(item.get('name'), match.get('groups', []), False):
            found.append(_evidence('group', '%s (gid %s)' % (item['name'], item.get('gid'))))
    for item in inventory.get('kernel_modules') or []:
        if _glob_any(item.get('name'), match.get('kernel_modules', []), False):
            found.append(_evidence('kernel_module', item['name']))
    for item in inventory.get('registry') or []:
        if _glob_any(item.get('key'), match.get('registry', []), True):
            values = item.get('values') or {}
            version = values.get('ProductDisplayVersion') or values.get('ProductVersion')
            found.append(_evidence('registry', item['key'], _version=version))
    for item in inventory.get('receipts') or []:
        if _regex_any(item.get('id'), match.get('receipts', [])):
            found.append(_evidence('receipt', '%s %s' % (item['id'], item.get('version') or ''), _version=item.get('version')))
    for item in inventory.get('bundles') or []:
        if _regex_any(item.get('id'), match.get('bundle_ids', [])):
            found.append(_evidence('bundle', '%s (%s %s)' % (item.get('path'), item['id'], item.get('version') or ''),
                                   _version=item.get('version')))
    for item in inventory.get('launchd') or []:
        if _regex_any(item.get('label'), match.get('launchd', [])):
            found.append(_evidence('launchd', '%s (%s)' % (item['label'], item.get('path'))))
    for item in inventory.get('security_center') or []:
        if _regex_any(item.get('display_name'), match.get('security_center', [])):
            found.append(_evidence('security_center', '%s (productState %s)' % (item['display_name'], item.get('product_state'))))
    for item in inventory.get('processes') or []:
        if _glob_any(item.get('name'), match.get('processes', []), windows):
            found.append(_evidence('process', '%s (pid %s)' % (item['name'], item.get('pid')), _active=True))
    return found


def _command_results(entry, inventory):
    """Parsed output of the catalogue commands of ``entry`` that the collector ran."""
    results = []
    wanted = [(c['parser'], tuple(c['argv'])) for c in entry.get('commands', [])]
    for command in inventory.get('commands') or []:
        key = (command.get('id'), tuple(command.get('argv') or ()))
        if key in wanted and command.get('rc') == 0:
            parsed = parsers.parse_command(command)
            if parsed is not None:
                results.append((command, parsed))
    return results


def _registry_values(inventory, key_glob, value_name):
    for item in inventory.get('registry') or []:
        if _glob_any(item.get('key'), [key_glob], True):
            values = item.get('values') or {}
            for name, value in values.items():
                if name.lower() == value_name.lower():
                    yield item['key'], value


def _signature_dates(entry, inventory, command_results):
    dates = []
    for command, parsed in command_results:
        if parsed.get('signatures_date'):
            dates.append((parsed['signatures_date'], 'command', ' '.join(command['argv'])))
    for sig in entry.get('signatures', []):
        convert = parsers.DATE_FORMATS[sig['format']]
        for key, value in _registry_values(inventory, sig['registry'], sig['value']):
            date = convert(value)
            if date:
                dates.append((date, 'registry', '%s\\%s = %s' % (key, sig['value'], value)))
    return dates


def _strip(evidence):
    return [dict((k, v) for k, v in e.items() if not k.startswith('_')) for e in evidence]


def _version(evidence, command_results):
    for kind in VERSION_ORDER:
        if kind == 'command':
            for _command, parsed in command_results:
                if parsed.get('version'):
                    return parsed['version']
            continue
        for e in evidence:
            if e['kind'] == kind and e.get('_version'):
                return e['_version']
    return None


def _explained(evidence, claimed, windows, family_found):
    """Residue a catch-all sees is explained by a specific finding: a vendor directory or registry
    key with something a specific entry claimed below it, or, once a specific product of the same
    family was found, any vendor directory or key (they are that product's)."""
    if evidence['kind'] not in ('path', 'registry'):
        return False
    if family_found:
        return True
    windows = windows or evidence['kind'] == 'registry'
    sep = '\\' if windows else '/'
    prefix = evidence['value'].rstrip(sep) + sep
    if windows:
        prefix = prefix.lower()
        return any(c.lower().startswith(prefix) for c in claimed)
    return any(c.startswith(prefix) for c in claimed)


def match(inventory, catalog):
    """Match ``inventory`` against ``catalog``; return ``{findings, protection}``."""
    platform = inventory.get('platform')
    windows = platform == 'windows'
    packages = packages_of(inventory)
    live = inventory.get('live', True)
    findings = []
    protection = []
    claimed = set()
    entries = catalog.for_platform(platform)
    # catch-all entries (``catch_all: true``) only see evidence no specific entry claimed
    entries = [e for e in entries if not e.get('catch_all')] + [e for e in entries if e.get('catch_all')]
    for entry in entries:
        evidence = _collect_evidence(entry, inventory, packages, windows)
        if entry.get('catch_all'):
            family_found = any(f['family'] == entry['family'] for f in findings)
            evidence = [e for e in evidence if e['value'] not in claimed and not _explained(e, claimed, windows, family_found)]
        anchors = [e for e in evidence if e['kind'] in ANCHOR_KINDS]
        residue = [e for e in evidence if e['kind'] in RESIDUE_KINDS]
        if not anchors and not residue:
            continue
        claimed.update(e['value'] for e in anchors + residue)
        command_results = _command_results(entry, inventory)
        for command, _parsed in command_results:
            evidence.append(_evidence('command', ' '.join(command['argv'])))
        version = _version(evidence, command_results)
        dates = _signature_dates(entry, inventory, command_results)
        for _date, kind, value in dates:
            if kind == 'registry':
                evidence.append(_evidence('registry', value))
        signatures_date = max(d[0] for d in dates) if dates else None
        if entry['category'] == 'protection':
            if not anchors:
                continue
            protection.append(_protection(entry, inventory, evidence, command_results, live, version, signatures_date))
            continue
        findings.append({
            'id': entry['id'], 'vendor': entry['vendor'], 'product': entry['product'],
            'category': entry['category'], 'family': entry['family'], 'installed': bool(anchors),
            'version': version, 'signatures_date': signatures_date, 'confidence': entry['confidence'],
            'evidence': _strip(evidence), 'removal': entry.get('removal') or {},
        })
    findings.sort(key=lambda f: (-int(f['installed']), f['removal'].get('order', 50), f['id']))
    return {'findings': findings, 'protection': protection}


def _protection(entry, inventory, evidence, command_results, live, version, signatures_date):
    rules = entry.get('active') or {}
    active = None
    mode = None
    if live:
        active = False
        if rules.get('defender'):
            defender = inventory.get('defender') or {}
            mode = defender.get('am_running_mode')
            if defender:
                active = bool(mode == 'Normal' and defender.get('antivirus_enabled') is not False
                              and defender.get('real_time_protection_enabled'))
                signatures_date = signatures_date or parsers.iso_date(defender.get('antivirus_signature_last_updated'))
                version = version or defender.get('am_product_version')
        unit_ok = any(e['kind'] == 'unit' and e.get('_active') and _glob_any(e['value'].split(' ')[0], rules.get('units', []), False)
                      for e in evidence)
        proc_ok = any(e['kind'] == 'process' and _glob_any(e['value'].split(' ')[0], rules.get('processes', []), True)
                      for e in evidence)
        svc_ok = any(e['kind'] == 'service' and e.get('_active') and _glob_any(e['value'].split(' ')[0], rules.get('services', []), True)
                     for e in evidence)
        if rules.get('health'):
            for _command, parsed in command_results:
                if parsed.get('healthy') is not None:
                    mode = 'passive' if parsed.get('passive_mode_enabled') else 'normal'
                    active = bool(parsed.get('healthy') and parsed.get('real_time_protection_enabled')
                                  and not parsed.get('passive_mode_enabled'))
                    break
            else:
                active = active or unit_ok or proc_ok
        elif not rules.get('defender'):
            active = unit_ok or proc_ok or svc_ok
        elif not inventory.get('defender'):
            active = svc_ok
    return {'id': entry['id'], 'vendor': entry['vendor'], 'product': entry['product'],
            'approved': entry.get('approved', False), 'present': True, 'active': active, 'mode': mode,
            'version': version, 'signatures_date': signatures_date, 'evidence': _strip(evidence)}
