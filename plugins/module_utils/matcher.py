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

from ansible_collections.fleetsec.banned_av.plugins.module_utils import catalog as catalog_mod
from ansible_collections.fleetsec.banned_av.plugins.module_utils import evidence as ev
from ansible_collections.fleetsec.banned_av.plugins.module_utils import parsers

ANCHOR_KINDS = ('package', 'uninstall', 'service', 'driver', 'unit', 'file', 'kernel_module', 'receipt',
                'bundle', 'launchd', 'security_center')
RESIDUE_KINDS = ('path', 'group', 'registry', 'package_residue')
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
        if catalog_mod.search(pattern, value):
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


def _package_evidence(pkg):
    kind = 'package' if pkg.get('installed') else 'package_residue'
    return ev.make(kind, name=pkg.get('name'), version=pkg.get('version'), manager=pkg.get('manager'),
                   status=pkg.get('status'), arch=pkg.get('arch'))


def _uninstall_evidence(item):
    return ev.make('uninstall', name=item.get('display_name'), version=item.get('display_version'),
                   publisher=item.get('publisher'), hive=item.get('hive'), view=item.get('view'), key=item.get('key'),
                   windows_installer=item.get('windows_installer'))


def uninstall_owners(entries, inventory):
    """Which specific catalogue entry takes each Uninstall entry: ``{identity: entry id}``.

    One Uninstall entry (hive, view, key) belongs to at most one product, so that one
    ProductCode is never planned twice: the first entry, in catalogue order, whose
    ``display_name`` pattern matches it; failing that, the first whose ``publisher`` pattern
    does.  Catch-all entries own nothing: they see what no specific entry took.
    """
    specific = [e for e in entries if not e.get('catch_all')]
    owners = {}
    for item in inventory.get('uninstall') or []:
        for field in ('display_name', 'publisher'):
            owner = [e['id'] for e in specific if _regex_any(item.get(field), e['match'].get(field, []))][:1]
            if owner:
                owners[ev.identity(_uninstall_evidence(item))] = owner[0]
                break
    return owners


def _uninstall_matches(entry, inventory, owners):
    match = entry['match']
    found = []
    for item in inventory.get('uninstall') or []:
        evidence = _uninstall_evidence(item)
        if entry.get('catch_all'):
            if _regex_any(item.get('display_name'), match.get('display_name', [])) or \
                    _regex_any(item.get('publisher'), match.get('publisher', [])):
                found.append(evidence)
        elif owners.get(ev.identity(evidence)) == entry['id']:
            found.append(evidence)
    return found


def _collect_evidence(entry, inventory, packages, windows, owners):
    """The evidence items (``evidence.make``) of one catalogue entry in one inventory."""
    match = entry['match']
    found = []
    for pkg in packages:
        if _glob_any(pkg.get('name'), match.get('packages', []), windows) and (pkg.get('installed') or pkg.get('residue')):
            found.append(_package_evidence(pkg))
    found.extend(_uninstall_matches(entry, inventory, owners))
    for item in inventory.get('services') or []:
        kind = 'driver' if item.get('kind') == 'driver' else 'service'
        if _glob_any(item.get('name'), match.get('drivers' if kind == 'driver' else 'services', []), True):
            found.append(ev.make(kind, name=item['name'], state=item.get('state'), start=item.get('start'),
                                 image_path=item.get('image_path')))
    for item in inventory.get('units') or []:
        if _glob_any(item.get('name'), match.get('units', []), False):
            found.append(ev.make('unit', name=item['name'], path=item.get('path'), state=item.get('active_state'),
                                 enabled=item.get('unit_file_state')))
    for item in inventory.get('paths') or []:
        path = item.get('path') or ''
        if _path_match(path, match.get('files', []), windows):
            found.append(ev.make('file', path=path))
        elif _path_match(path, match.get('paths', []), windows):
            found.append(ev.make('path', path=path))
    for item in inventory.get('groups') or []:
        if _glob_any(item.get('name'), match.get('groups', []), False):
            found.append(ev.make('group', name=item['name'], gid=item.get('gid')))
    for item in inventory.get('kernel_modules') or []:
        if _glob_any(item.get('name'), match.get('kernel_modules', []), False):
            found.append(ev.make('kernel_module', name=item['name']))
    return found + _more_evidence(entry, inventory, windows)


def _more_evidence(entry, inventory, windows):
    """Registry keys, receipts, bundles, launchd items, Security Center products and processes."""
    match = entry['match']
    found = []
    for item in inventory.get('registry') or []:
        if _glob_any(item.get('key'), match.get('registry', []), True):
            values = item.get('values') or {}
            found.append(ev.make('registry', path=item['key'],
                                 version=values.get('ProductDisplayVersion') or values.get('ProductVersion')))
    for item in inventory.get('receipts') or []:
        if _regex_any(item.get('id'), match.get('receipts', [])):
            found.append(ev.make('receipt', name=item['id'], version=item.get('version')))
    for item in inventory.get('bundles') or []:
        if _regex_any(item.get('id'), match.get('bundle_ids', [])):
            found.append(ev.make('bundle', path=item.get('path'), name=item['id'], version=item.get('version'),
                                 team_id=item.get('team_id')))
    for item in inventory.get('launchd') or []:
        if _regex_any(item.get('label'), match.get('launchd', [])):
            found.append(ev.make('launchd', name=item['label'], path=item.get('path')))
    for item in inventory.get('security_center') or []:
        if _regex_any(item.get('display_name'), match.get('security_center', [])):
            found.append(ev.make('security_center', name=item['display_name'], product_state=item.get('product_state')))
    for item in inventory.get('processes') or []:
        if _glob_any(item.get('name'), match.get('processes', []), windows):
            found.append(ev.make('process', name=item['name'], pid=item.get('pid'), exe=item.get('exe')))
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
    """``[(ISO date, registry evidence item or None)]`` of the signature databases found."""
    dates = []
    for _command, parsed in command_results:
        if parsed.get('signatures_date'):
            dates.append((parsed['signatures_date'], None))
    for sig in entry.get('signatures', []):
        convert = parsers.DATE_FORMATS[sig['format']]
        for key, value in _registry_values(inventory, sig['registry'], sig['value']):
            date = convert(value)
            if date:
                dates.append((date, ev.make('registry', path=key, value_name=sig['value'], data=value)))
    return dates


def _version(evidence, command_results):
    for kind in VERSION_ORDER:
        if kind == 'command':
            for _command, parsed in command_results:
                if parsed.get('version'):
                    return parsed['version']
            continue
        for e in evidence:
            if e['kind'] == kind and e.get('version'):
                return e['version']
    return None


def _location(evidence):
    """The path or registry key an item lies at, for the items a vendor directory can hold."""
    return evidence.get('path') if evidence['kind'] in ('path', 'file', 'bundle', 'registry') else None


def _explained(evidence, locations, windows, family_found):
    """Residue a catch-all sees is explained by a specific finding: a vendor directory or registry
    key with something a specific entry claimed below it, or, once a specific product of the same
    family was found, any vendor directory or key (they are that product's)."""
    if evidence['kind'] not in ('path', 'registry'):
        return False
    if family_found:
        return True
    windows = windows or evidence['kind'] == 'registry'
    sep = '\\' if windows else '/'
    prefix = evidence['path'].rstrip(sep) + sep
    if windows:
        prefix = prefix.lower()
        return any(c.lower().startswith(prefix) for c in locations)
    return any(c.startswith(prefix) for c in locations)


def match(inventory, catalog):
    """Match ``inventory`` against ``catalog``; return ``{findings, protection}``."""
    platform = inventory.get('platform')
    windows = platform == 'windows'
    packages = packages_of(inventory)
    live = inventory.get('live', True)
    findings = []
    protection = []
    claimed = set()     # evidence.identity() of every item a finding took
    locations = []      # paths and keys of those items
    entries = catalog.for_platform(platform)
    # catch-all entries (``catch_all: true``) only see evidence no specific entry claimed
    entries = [e for e in entries if not e.get('catch_all')] + [e for e in entries if e.get('catch_all')]
    owners = uninstall_owners(entries, inventory)
    for entry in entries:
        evidence = _collect_evidence(entry, inventory, packages, windows, owners)
        if entry.get('catch_all'):
            family_found = any(f['family'] == entry['family'] for f in findings)
            evidence = [e for e in evidence
                        if ev.identity(e) not in claimed and not _explained(e, locations, windows, family_found)]
        anchors = [e for e in evidence if e['kind'] in ANCHOR_KINDS]
        residue = [e for e in evidence if e['kind'] in RESIDUE_KINDS]
        if not anchors and not residue:
            continue
        claimed.update(ev.identity(e) for e in anchors + residue)
        locations.extend(loc for loc in (_location(e) for e in anchors + residue) if loc)
        command_results = _command_results(entry, inventory)
        evidence.extend(ev.make('command', argv=list(command['argv'])) for command, _parsed in command_results)
        version = _version(evidence, command_results)
        dates = _signature_dates(entry, inventory, command_results)
        evidence.extend(item for _date, item in dates if item)
        signatures_date = max(d[0] for d in dates) if dates else None
        if entry['category'] == 'protection':
            if anchors:
                protection.append(_protection(entry, inventory, evidence, command_results, live, version, signatures_date))
            continue
        findings.append({
            'id': entry['id'], 'vendor': entry['vendor'], 'product': entry['product'],
            'category': entry['category'], 'family': entry['family'], 'installed': bool(anchors),
            'version': version, 'signatures_date': signatures_date, 'confidence': entry['confidence'],
            'evidence': evidence, 'removal': entry.get('removal') or {},
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
        unit_ok = any(e['kind'] == 'unit' and e.get('state') == 'active' and _glob_any(e['name'], rules.get('units', []), False)
                      for e in evidence)
        proc_ok = any(e['kind'] == 'process' and _glob_any(e['name'], rules.get('processes', []), True)
                      for e in evidence)
        svc_ok = any(e['kind'] == 'service' and e.get('state') == 'running' and _glob_any(e['name'], rules.get('services', []), True)
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
            'version': version, 'signatures_date': signatures_date, 'evidence': evidence}
