# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Replace-then-remove remediation: the plan and the outcome, as pure functions.

``roles/remediate`` runs the steps; this module decides them, so that every decision is
unit-tested once for Linux, Windows and macOS:

* which findings to remove (the policy verdict from ``policy.evaluate_host``, waivers, force);
* the ordered removal steps per OS, from the catalogue's ``removal`` hints carried by each
  finding (``kesl-gui`` before ``kesl``, products before the Network Agent);
* the package manager path (apt purge, dnf, yum, zypper, ``rpm -e`` one product at a time);
* the MSI exit-code mapping and the retry back-off;
* the Network Agent ``KLUNINSTPASSWD`` encoding (UTF-16LE hex) and msiexec property quoting;
* the final outcome (``remediated``, ``reboot_pending``, ``blocked``, ``degraded``).

Secrets never enter a plan: the plan only records whether a credential was supplied.
The state machine is described in ``docs/remediation.md``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch
import re

from ansible_collections.fleetsec.banned_av.plugins.module_utils import msi
from ansible_collections.fleetsec.banned_av.plugins.module_utils import windows_safety
from ansible_collections.fleetsec.banned_av.plugins.module_utils.evidence import describe
from ansible_collections.fleetsec.banned_av.plugins.module_utils.policy import REMEDIATION_OUTCOMES, waiver_for
from ansible_collections.fleetsec.banned_av.plugins.module_utils.vocabulary import FAILING_VERDICTS, REPLACEMENTS

#: verdicts (policy.evaluate_host) that are removed without ``force``
ENFORCED_VERDICTS = FAILING_VERDICTS
#: removal methods the remediate role carries out itself (Linux and macOS entries have none)
AUTOMATIC_METHODS = (None, 'package', 'msi', 'uninstall_script', 'reboot')

_GUID_RE = re.compile(r'^\{[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}$')


# --------------------------------------------------------------------------- package managers


def package_manager(pkg_mgr=None, os_family=None, os_version=None):
    """Which package manager removes Linux packages: ``apt``, ``dnf``, ``yum``, ``zypper`` or ``rpm``.

    ``pkg_mgr`` is Ansible's fact when gathered; otherwise it is derived from the OS family the
    collector reported (``debian``, ``redhat``, ``suse``) and, for Red Hat, its major version
    (7 and older: yum).
    """
    pkg_mgr = (pkg_mgr or '').lower() or None
    if pkg_mgr in ('apt', 'dnf', 'yum', 'zypper', 'rpm'):
        return pkg_mgr
    if pkg_mgr == 'dnf5':
        return 'dnf'
    family = (os_family or '').lower()
    if family == 'debian':
        return 'apt'
    if family == 'redhat':
        try:
            major = int(str(os_version or '').split('.', maxsplit=1)[0])
        except ValueError:
            major = None
        return 'yum' if major is not None and major <= 7 else 'dnf'
    if family == 'suse':
        return 'zypper'
    return pkg_mgr or 'unknown'


def package_step(manager, names, purge=True):
    """One product's package removal: the module to use, its arguments, and the ``rpm -e`` argv."""
    names = list(names)
    step = {'manager': manager, 'names': names, 'purge': bool(purge and manager == 'apt'), 'argv': None}
    if manager == 'apt':
        step['describe'] = 'apt-get %s %s' % ('purge' if step['purge'] else 'remove', ' '.join(names))
    elif manager in ('dnf', 'yum', 'zypper'):
        step['describe'] = '%s remove %s' % (manager, ' '.join(names))
    elif manager == 'rpm':
        # No dependency-solving front end: erase with rpm, one product at a time, in catalogue
        # order, so that a package is never erased before the packages that depend on it.
        step['argv'] = ['rpm', '-e'] + names
        step['describe'] = ' '.join(step['argv'])
    else:
        step['describe'] = 'package %s state=absent' % ' '.join(names)
    return step


# --------------------------------------------------------------------------- helpers

def _evidence(finding, *kinds):
    return [e for e in finding.get('evidence') or [] if e.get('kind') in kinds]


def _dedupe(values):
    out = []
    for value in values:
        if value not in out:
            out.append(value)
    return out


def path_platform(path):
    """Which platform a catalogue path belongs to (catch-all entries list every platform's paths)."""
    if re.match(r'^[A-Za-z]:\\', path or ''):
        return 'windows'
    if (path or '').startswith(('/Library/', '/Applications/', '/Users/')) or path in ('/Library', '/Applications'):
        return 'darwin'
    return 'linux'


def vendor_roots(catalog_entries, platform):
    """``{family: [paths]}``: the vendor directories of each family's catch-all entry for ``platform``."""
    roots = {}
    for entry in catalog_entries or []:
        if not entry.get('catch_all') or platform not in entry.get('platforms', []):
            continue
        paths = [p for p in (entry.get('match') or {}).get('paths', []) if path_platform(p) == platform]
        if paths:
            roots.setdefault(entry.get('family'), []).extend(p for p in paths if p not in roots.get(entry.get('family'), []))
    return roots


def _fields(finding, field, *kinds):
    """The values of ``field`` in the evidence of ``kinds``, each once, in order; absent ones skipped."""
    return _dedupe(e[field] for e in _evidence(finding, *kinds) if e.get(field))


def evidence_lines(findings, protection=None, installed_only=False):
    """Human-readable evidence for the report (``before`` / ``after``), one string per item
    (``evidence.describe``)."""
    lines = []
    for finding in findings or []:
        if installed_only and not finding.get('installed'):
            continue
        state = 'installed' if finding.get('installed') else 'residue'
        for item in finding.get('evidence') or []:
            lines.append('%s (%s): %s' % (finding.get('id'), state, describe(item)))
    for prod in protection or []:
        active = prod.get('active')
        state = 'active' if active else 'inactive' if active is False else 'activity unknown'
        lines.append('protection %s: %s%s' % (prod.get('id'), state, '' if prod.get('approved') else ' (not approved)'))
    return lines


def _removal_method(finding, platform):
    removal = finding.get('removal') or {}
    method = removal.get('method')
    if method:
        return method
    if platform == 'darwin' and removal.get('uninstall_script'):
        return 'uninstall_script'
    if platform == 'linux':
        return 'package'
    return None


# --------------------------------------------------------------------------- the plan

def build_plan(facts, record, options=None):
    """Decide what to do on one host.

    ``facts``   the host's ``ansible_facts.banned_av`` (findings carry their ``removal`` hints);
    ``record``  ``policy.evaluate_host`` for the same facts (findings carry their ``verdict``);
    ``options`` replacement, force, allow_unprotected, waivers, host, host_groups;
                Linux: pkg_mgr, os_family, os_version, purge, purge_vendor_roots, remove_groups,
                unload_kernel_modules, extra_paths; Windows: installation_type, windows_log_dir,
                msi_attempts, msi_retry_delay, encryption_products (ids whose data encryption is
                checked first), ksc_keys (Network Agent AVState keys), filter_drivers (driver
                globs a left-over class filter of a removed vendor has); credentials (values are
                only tested for presence); vendor_roots (``{family: [paths]}``).

    Returns a JSON-friendly dict; see docs/remediation.md.  Never contains a secret.
    """
    options = dict(options or {})
    facts = facts or {}
    record = record or {}
    plan = _new_plan(facts, record, options)
    platform = plan['platform']
    replacement = plan['replacement']
    os_info = facts.get('os') or {}
    if replacement not in REPLACEMENTS:
        plan['blocked'].append('unknown replacement %r; use one of %s' % (replacement, ', '.join(REPLACEMENTS)))

    excluded_families = _sort_findings(plan, record, facts, platform, options)
    plan['targets'].sort(key=lambda t: (t['order'], t['id']))
    plan['residue'].sort(key=lambda t: (t['order'], t['id']))
    plan['target_ids'] = [t['id'] for t in plan['targets']]

    installed_targets = [t for t in plan['targets'] if t['installed']]
    if not installed_targets and not plan['manual']:
        plan['skip_reason'] = _skip_reason(record, plan)
        _strip_findings(plan)
        return plan
    plan['needs_action'] = True

    if plan['manual'] and not installed_targets:
        plan['blocked'].append('no banned product here can be removed automatically: %s' % '; '.join(
            '%s: %s' % (m['id'], m['reason']) for m in plan['manual']))
    if replacement == 'none' and not plan['protection_active'] and not options.get('allow_unprotected'):
        plan['blocked'].append('no replacement requested and no active approved anti-virus found: removing the banned '
                               'product would leave the host unprotected')

    # ---- per-OS steps
    if platform == 'windows':
        plan['windows'] = _windows_steps(plan, options, os_info)
    elif platform == 'darwin':
        plan['darwin'] = _darwin_steps(plan, options, excluded_families)
    else:
        plan['linux'] = _linux_steps(plan, options, os_info, excluded_families)
    _describe(plan)
    _strip_findings(plan)
    return plan


def _new_plan(facts, record, options):
    """The plan of one host before any finding is sorted: who, what status, which replacement."""
    platform = facts.get('platform') or record.get('platform') or 'linux'
    replacement = options.get('replacement') or 'clamav'
    force = bool(options.get('force'))
    creds = options.get('credentials') or {}
    credentials = {'kes': bool(creds.get('kes_password')), 'kes_login': bool(creds.get('kes_login')),
                   'network_agent': bool(creds.get('network_agent_password'))}
    return {
        'schema': 1,
        'host': options.get('host') or record.get('name'),
        'platform': platform,
        'status': record.get('status'),
        'status_reasons': list(record.get('reasons') or []),
        'replacement': replacement,
        'force': force,
        'needs_action': False,
        'skip_reason': None,
        'blocked': [],
        'warnings': [],
        'targets': [],
        'target_ids': [],
        'residue': [],
        'excluded': [],
        'manual': [],
        'actions': [],
        'before': evidence_lines(facts.get('findings'), facts.get('protection')),
        'protection_active': sorted(p.get('id') for p in facts.get('protection') or [] if p.get('approved') and p.get('active')),
        'credentials': credentials,
        'linux': None,
        'windows': None,
        'darwin': None,
    }


def _sort_findings(plan, record, facts, platform, options):
    """Put each finding of ``record`` in ``plan``'s targets, residue, manual or excluded list;
    return the families that keep a product on the host (their vendor directories stay)."""
    waivers = options.get('waivers') or []
    force = plan['force']
    removal_by_id = dict((f.get('id'), f) for f in facts.get('findings') or [])
    host = plan['host'] or ''
    host_groups = options.get('host_groups') or []
    excluded_families = set()
    for finding in record.get('findings') or []:
        full = dict(removal_by_id.get(finding.get('id')) or finding)
        full['verdict'] = finding.get('verdict')
        verdict = full['verdict']
        method = _removal_method(full, platform)
        full['method'] = method
        summary = {'id': full.get('id'), 'product': full.get('product'), 'verdict': verdict, 'version': full.get('version'),
                   'order': (full.get('removal') or {}).get('order', 50), 'method': method, 'installed': bool(full.get('installed'))}
        if verdict in ENFORCED_VERDICTS or (force and verdict == 'warning'):
            if method not in AUTOMATIC_METHODS:
                reason = (full.get('removal') or {}).get('notes') or 'removal method %r is not automated' % method
                plan['manual'].append(dict(summary, reason=reason))
                excluded_families.add(full.get('family'))
            else:
                plan['targets'].append(dict(summary, finding=full))
        elif verdict == 'residue':
            waiver = waiver_for(waivers, host, host_groups, full.get('id') or '')
            if waiver is not None:
                plan['excluded'].append(dict(summary, reason='residue covered by waiver %s' % waiver.get('id')))
                excluded_families.add(full.get('family'))
            else:
                plan['residue'].append(dict(summary, finding=full))
        else:
            plan['excluded'].append(dict(summary, reason=_excluded_reason(verdict, record)))
            excluded_families.add(full.get('family'))
    return excluded_families


def _excluded_reason(verdict, record):
    """Why a finding with a verdict that is not removed stays (every verdict named; an unknown one
    stays too: nothing is removed on a verdict this planner does not know)."""
    if verdict == 'waived':
        return 'waived'
    if verdict == 'warning':
        return 'warning only (enforcement date not reached or policy set to warn); set force to remove it'
    if verdict == 'info':
        return ('named for information only by the policies of this host (jurisdictions %s); never removed'
                % ', '.join(record.get('jurisdictions') or []) or 'default')
    return 'verdict %s: not one the remediation removes' % verdict


def _skip_reason(record, plan):
    status = record.get('status')
    installed = [e for e in plan['excluded'] if e['installed']]
    if installed and all(e['verdict'] == 'info' for e in installed):
        return 'no product banned for this host is installed: %s named for information only (jurisdictions %s)' % (
            ', '.join(e['id'] for e in installed), ', '.join(record.get('jurisdictions') or []))
    if any(e['verdict'] == 'warning' for e in installed):
        return 'not past enforcement (status %s); nothing is removed without force' % status
    if installed and all(e['verdict'] == 'waived' for e in installed):
        return 'waived: %s' % '; '.join(r for r in record.get('reasons') or [] if 'waived by' in r)
    if any(e['verdict'] == 'warning' for e in plan['excluded']):
        return 'not past enforcement (status %s); nothing removed without force' % status
    if status == 'unknown':
        return 'detection incomplete (status unknown): a host that could not be checked is never changed'
    if plan['residue']:
        return 'compliant: no banned product installed, only residue (%s), cleaned up only during a remediation' % ', '.join(
            r['id'] for r in plan['residue'])
    return 'compliant: no banned product installed'


def _strip_findings(plan):
    for key in ('targets', 'residue'):
        for item in plan[key]:
            item.pop('finding', None)


def _linux_steps(plan, options, os_info, excluded_families):
    manager = package_manager(options.get('pkg_mgr'), options.get('os_family') or os_info.get('family'),
                              options.get('os_version') or os_info.get('version'))
    purge = options.get('purge', True)
    products = []
    families = set()
    for item in plan['targets'] + plan['residue']:
        finding = item['finding']
        families.add(finding.get('family'))
        removal = finding.get('removal') or {}
        pkg_patterns = removal.get('packages') or []
        packages = _fields(finding, 'name', 'package', 'package_residue')
        packages = [p for p in packages if not pkg_patterns or any(fnmatch.fnmatchcase(p, pat) for pat in pkg_patterns)]
        units = _fields(finding, 'name', 'unit')
        modules = _fields(finding, 'name', 'kernel_module')
        groups = _fields(finding, 'name', 'group')
        for group in removal.get('groups') or []:
            if group not in groups:
                groups.append(group)
        paths = list(removal.get('paths') or [])
        for path in _fields(finding, 'path', 'path', 'file'):
            if not any(path == p or path.startswith(p.rstrip('/') + '/') for p in paths):
                paths.append(path)
        if not options.get('remove_groups', True):
            groups = []
        if not options.get('unload_kernel_modules', True):
            modules = []
        products.append({
            'id': item['id'],
            'residue_only': not item['installed'],
            'units': units,
            'package': package_step(manager, packages, purge) if packages else None,
            'kernel_modules': modules,
            'paths': _dedupe(paths),
            'groups': groups,
        })
    roots = []
    if options.get('purge_vendor_roots', True):
        for family, paths in sorted((options.get('vendor_roots') or {}).items()):
            if family in families and family not in excluded_families:
                roots.extend(p for p in paths if p not in roots)
    if excluded_families & families and options.get('purge_vendor_roots', True):
        plan['warnings'].append('vendor directories kept: another product of the same vendor is waived, not yet enforced '
                                'or needs manual removal (%s)' % ', '.join(sorted(excluded_families & families)))
    return {
        'pkg_mgr': manager,
        'products': products,
        'vendor_roots': roots,
        'extra_paths': list(options.get('extra_paths') or []),
    }


def _windows_steps(plan, options, os_info):
    log_dir = (options.get('windows_log_dir') or 'C:\\Windows\\Temp').rstrip('\\')
    installation_type = options.get('installation_type') or os_info.get('installation_type')
    steps = []
    drivers = []
    security_center = []
    planned = set()     # ProductCodes (upper case) already in a step: one msiexec /x each
    for item in plan['targets']:
        finding = item['finding']
        security_center.extend(n for n in _fields(finding, 'name', 'security_center') if n not in security_center)
        if item['method'] == 'reboot':
            drivers.extend(_fields(finding, 'name', 'driver'))
            continue
        if not item['installed']:
            continue
        codes, manual = _uninstall_entries(finding)
        for reason in manual if manual or codes else [NO_PRODUCT_CODE]:
            plan['manual'].append(dict(_summary(item), reason=reason))
        for code in [c for c in codes if c['product_code'].upper() not in planned]:
            planned.add(code['product_code'].upper())
            steps.append(_msi_step(plan, item, code, log_dir))
    attempts = int(options.get('msi_attempts') or 4)
    encryption = [{'id': t['id'], 'dirs': windows_safety.encryption_dirs(t['finding'])} for t in plan['targets']
                  if t['installed'] and t['id'] in (options.get('encryption_products') or ())]
    return {
        'checks': {'encryption': encryption, 'ksc_keys': list(options.get('ksc_keys') or [])},
        'filter_drivers': _dedupe(list(options.get('filter_drivers') or [])),
        'steps': steps,
        'client': (installation_type or '').lower() != 'server' if installation_type else None,
        'installation_type': installation_type,
        'security_center': security_center,
        'drivers': _dedupe(drivers),
        'expected_return_codes': list(msi.EXPECTED_RETURN_CODES),
        'retry_delays': msi.retry_delays(attempts, int(options.get('msi_retry_delay') or 30)),
    }


NO_PRODUCT_CODE = ('no Windows Installer ProductCode ({GUID}) in its Uninstall entries; remove it with the vendor tool '
                   'or the Kaspersky Security Center uninstall task')


def _summary(item):
    return dict((k, item[k]) for k in ('id', 'product', 'verdict', 'version', 'order', 'method', 'installed'))


def _uninstall_entries(finding):
    """``(codes, manual reasons)`` of a finding's Uninstall entries: a ProductCode to give msiexec
    for each per-machine Windows Installer product (``WindowsInstaller`` = 1), a reason for every
    per-user entry and, when the finding has no such product, for every other entry.  A per-user
    product is invisible to msiexec run as SYSTEM (it answers 1605, "not installed"); an entry
    that is not a Windows Installer product would make win_package run its raw UninstallString
    (an uninstaller that may wait for input, as SYSTEM, until a timeout)."""
    codes, manual, other = [], [], []
    for e in _evidence(finding, 'uninstall'):
        key = e.get('key') or ''
        hive = e.get('hive') or 'HKLM'
        if hive.upper().startswith('HKU'):
            manual.append('%s is installed per user (%s): msiexec run as SYSTEM does not see it and would report it '
                          'not installed (1605); remove it in that user\'s session or with the Kaspersky Security '
                          'Center uninstall task' % (e.get('name') or key, hive))
        elif not _GUID_RE.match(key):
            other.append(NO_PRODUCT_CODE)
        elif e.get('windows_installer') is not True:
            other.append('its Uninstall entry %s is not a Windows Installer product (WindowsInstaller is not 1): the '
                         'role does not run its UninstallString; remove it with the vendor\'s uninstaller or the '
                         'Kaspersky Security Center uninstall task' % key)
        elif key.upper() not in [c['product_code'].upper() for c in codes]:
            codes.append({'product_code': key, 'hive': hive, 'view': e.get('view'), 'display_name': e.get('name')})
    # an entry that is not an MSI product beside one that is: most likely the same product's
    # setup registration; the detection after the removal tells whether anything is left
    return codes, _dedupe(manual + ([] if codes else other))


def _msi_step(plan, item, code, log_dir):
    credential = (item['finding'].get('removal') or {}).get('credential')
    properties = []
    if credential == 'kes' and plan['credentials']['kes']:
        properties = ['KLLOGIN', 'KLPASSWD']
    elif credential == 'network_agent' and plan['credentials']['network_agent']:
        properties = ['KLUNINSTPASSWD']
    if credential and not properties:
        plan['warnings'].append('%s: no uninstall password supplied; a password-protected installation will refuse '
                                'removal with msiexec exit 1603' % item['id'])
    return {
        'id': item['id'],
        'product': item['product'],
        'product_code': code['product_code'],
        'display_name': code['display_name'],
        'hive': code['hive'],
        'view': code['view'],
        'credential': credential if properties else None,
        'properties': properties,
        # an unlisted product's id holds ':' (kaspersky.other:kuma), which no Windows file name may
        'log_path': '%s\\banned_av_%s_%s.log' % (log_dir, re.sub(r'[^A-Za-z0-9_-]', '_', item['id']),
                                                 code['product_code'].strip('{}')),
        'notes': (item['finding'].get('removal') or {}).get('notes'),
    }


def _darwin_steps(plan, options, excluded_families):
    scripts = []
    paths = []
    launchd = []
    receipts = []
    families = set()
    for item in plan['targets'] + plan['residue']:
        finding = item['finding']
        families.add(finding.get('family'))
        removal = finding.get('removal') or {}
        script = removal.get('uninstall_script')
        if script and item['installed']:
            scripts.append({'id': item['id'], 'path': script})
        for p in removal.get('paths') or []:
            if p not in paths:
                paths.append(p)
        for path in _fields(finding, 'path', 'path', 'file', 'bundle'):
            if path not in paths and not any(path.startswith(p.rstrip('/') + '/') for p in paths):
                paths.append(path)
        for e in _evidence(finding, 'launchd'):
            launchd.append({'label': e.get('name'), 'path': e.get('path')})
        receipts.extend(_fields(finding, 'name', 'receipt'))
    roots = []
    if options.get('purge_vendor_roots', True):
        for family, root_paths in sorted((options.get('vendor_roots') or {}).items()):
            if family in families and family not in excluded_families:
                roots.extend(p for p in root_paths if p not in roots)
    return {'uninstall_scripts': scripts, 'paths': paths, 'launchd': launchd, 'receipts': _dedupe(receipts),
            'vendor_roots': roots, 'extra_paths': list(options.get('extra_paths') or [])}


def _describe(plan):
    """The ordered, human-readable actions (check mode shows them; the report keeps them)."""
    actions = []
    if plan['blocked']:
        plan['actions'] = ['nothing: %s' % b for b in plan['blocked']]
        return
    if plan['replacement'] == 'none':
        actions.append('verify an approved anti-virus is active (%s)' % (', '.join(plan['protection_active']) or 'none found'))
    else:
        actions.append('ensure replacement %s is installed and healthy before touching the banned product '
                       '(fleetsec.banned_av.alternative_av)' % plan['replacement'])
    if plan['linux']:
        linux = plan['linux']
        for product in linux['products']:
            what = '%s%s' % (product['id'], ' (residue)' if product['residue_only'] else '')
            if product['units']:
                actions.append('%s: stop and disable %s' % (what, ', '.join(product['units'])))
            if product['package']:
                actions.append('%s: %s' % (what, product['package']['describe']))
            if product['kernel_modules']:
                actions.append('%s: unload kernel modules %s' % (what, ', '.join(product['kernel_modules'])))
            if product['paths']:
                actions.append('%s: delete %s' % (what, ', '.join(product['paths'])))
            if product['groups']:
                actions.append('%s: delete groups %s' % (what, ', '.join(product['groups'])))
        if linux['vendor_roots'] or linux['extra_paths']:
            actions.append('delete vendor leftovers %s' % ', '.join(linux['vendor_roots'] + linux['extra_paths']))
    if plan['windows']:
        win = plan['windows']
        for check in win['checks']['encryption']:
            actions.append('%s: check data encryption (kescli --opswat GetEncryptionState); encrypted or unknown '
                           'blocks the removal unless acknowledged' % check['id'])
        if win['checks']['ksc_keys']:
            actions.append('warn when a Kaspersky Security Center server manages the host (Network Agent AVState)')
        for step in win['steps']:
            props = ' %s=<secret>' % '=<secret> '.join(step['properties']) if step['properties'] else ''
            actions.append('%s: msiexec /x %s%s /qn /norestart /L*v %s' % (step['id'], step['product_code'], props, step['log_path']))
        if win['drivers']:
            actions.append('kernel drivers %s unload at the next reboot' % ', '.join(win['drivers']))
        if win['security_center']:
            actions.append('remove stale root\\SecurityCenter2 AntiVirusProduct entries: %s' % ', '.join(win['security_center']))
    if plan['darwin']:
        mac = plan['darwin']
        for script in mac['uninstall_scripts']:
            actions.append('%s: run %s' % (script['id'], script['path']))
        if mac['launchd']:
            actions.append('unload and delete launchd items %s' % ', '.join(i['label'] for i in mac['launchd']))
        if mac['paths'] or mac['vendor_roots']:
            actions.append('delete %s' % ', '.join(mac['paths'] + mac['vendor_roots']))
        if mac['receipts']:
            actions.append('forget package receipts %s' % ', '.join(mac['receipts']))
    for manual in plan['manual']:
        actions.append('left for manual removal: %s (%s)' % (manual['id'], manual['reason']))
    if plan['replacement'] in ('mdatp', 'defender'):
        actions.append('switch %s from passive to active mode' % plan['replacement'])
    actions.append('reboot if needed and allowed (banned_av_reboot_allowed), else report reboot_pending')
    actions.append('detect again, verify the replacement is active, record the before and after evidence')
    plan['actions'] = actions


# --------------------------------------------------------------------------- the outcome

def _reboot_only(finding):
    """A finding that only a reboot finishes removing (a driver or kernel module still loaded)."""
    if (finding.get('removal') or {}).get('method') == 'reboot':
        return True
    anchors = [e for e in finding.get('evidence') or [] if e.get('kind') not in ('process', 'command', 'path', 'group',
                                                                                 'registry', 'package_residue')]
    return bool(anchors) and all(e.get('kind') in ('driver', 'kernel_module') for e in anchors)


def decide_outcome(plan, after_facts=None, after_record=None, replacement=None, run=None, recheck=None):
    """The remediation record of one host: ``banned_av_remediation``.

    ``plan``          build_plan's result (before);
    ``after_facts``   ``ansible_facts.banned_av`` detected after the removal (None if not reached);
    ``after_record``  ``policy.evaluate_host`` of ``after_facts``;
    ``replacement``   the alternative_av role's ``alternative_av_health`` after the removal
                      (or after the failed ensure step);
    ``run``           what the role did (``module_utils/run_record.py``);
    ``recheck``       ``{'facts': ..., 'delay': seconds}``: detected again after a delay (optional).
    """
    run = dict(run or {})
    replacement = replacement or {}
    record = _new_record(plan, after_facts or {}, replacement, run)
    reasons = record['reasons']
    if run.get('check_mode'):
        record['planned'] = True
        record['actions'] = list(plan.get('actions') or [])
        reasons.append('check mode: nothing was changed; the status shown is the detected one')
        return record
    if not plan.get('needs_action'):
        record['skipped'] = True
        reasons.append('left alone: %s' % plan.get('skip_reason'))
        return record
    blocked = _blocked_before_removal(plan, replacement, run)
    reasons.extend('warning: %s' % w for w in run.get('warnings') or [])
    if blocked:
        record['outcome'] = 'blocked'
        reasons[:0] = blocked
        return record
    for item in run.get('failed') or []:
        reasons.append('%s: %s failed: %s' % (item.get('id'), item.get('step'), item.get('msg')))
    for manual in plan.get('manual') or []:
        reasons.append('%s needs manual removal: %s' % (manual['id'], manual['reason']))
    if not after_facts:
        record['outcome'] = 'degraded'
        reasons.append('the host could not be checked after the removal: state unknown')
        return record
    removed = _after_removal(record, plan, after_facts, after_record or {}, replacement, run)
    _came_back(record, removed, recheck)
    return record


def _new_record(plan, after_facts, replacement, run):
    record = {
        'outcome': None,
        'replacement': plan.get('replacement'),
        'targets': list(plan.get('target_ids') or []),
        'reasons': [],
        'actions': list(run.get('actions') or []),
        'before': list(plan.get('before') or []),
        'after': evidence_lines(after_facts.get('findings'), after_facts.get('protection')) if after_facts else [],
        'reboot_required': bool(run.get('reboot_required')),
        'rebooted': bool(run.get('rebooted')),
        'check_mode': bool(run.get('check_mode')),
        'started_at': run.get('started_at'),
        'finished_at': run.get('finished_at'),
    }
    if replacement:
        record['replacement_health'] = _health_line(replacement)
    return record


def _blocked_before_removal(plan, replacement, run):
    """Why nothing was removed although the host needed it (the plan, the replacement, the checks
    before the removal), or [] when the removal went ahead."""
    if plan.get('blocked'):
        return list(plan['blocked']) + ['the banned product was left in place']
    if not run.get('ensure_ok'):
        why = '; '.join(run.get('ensure_reasons') or replacement.get('reasons') or ['health check failed'])
        return ['replacement %s is not healthy (%s): the banned product was left in place' % (plan.get('replacement'), why)]
    if run.get('blocked'):
        return list(run['blocked']) + ['the banned product was left in place']
    return []


def _after_removal(record, plan, after_facts, after_record, replacement, run):
    """The outcome once the removal ran, from what detection found afterwards."""
    reasons = record['reasons']
    target_ids = set(plan.get('target_ids') or [])
    manual_ids = [m['id'] for m in plan.get('manual') or []]
    remaining = [f for f in after_record.get('findings') or after_facts.get('findings') or []
                 if f.get('installed') and (f.get('id') in target_ids or f.get('id') in manual_ids)]
    full_by_id = dict((f.get('id'), f) for f in after_facts.get('findings') or [])
    remaining_full = [full_by_id.get(f['id'], f) for f in remaining]
    removed = [i for i in plan.get('target_ids') or [] if i not in [f['id'] for f in remaining]]
    protected = bool(replacement.get('active')) or any(
        p.get('approved') and p.get('active') for p in after_facts.get('protection') or [])
    reboot_pending = record['reboot_required'] and not record['rebooted']
    leftovers = _leftover_filters(record, plan, after_facts) if removed else []

    if remaining_full and not removed and not run.get('changed_banned'):
        # nothing was removed: the host keeps the protection it had (the banned product's)
        record['outcome'] = 'blocked'
        reasons.append('%s still installed; nothing was removed' % ', '.join(f['id'] for f in remaining_full))
    elif not protected:
        record['outcome'] = 'degraded'
        reasons.append('no approved anti-virus is active after the removal: the host is unprotected (replacement %s: %s)' % (
            plan.get('replacement'), record.get('replacement_health') or 'no health data'))
    elif leftovers:
        record['outcome'] = 'degraded'
        reasons.append('left-over filter drivers: %s; the device class may fail to start at the next boot: remove the '
                       'entries before rebooting' % windows_safety.describe_leftovers(leftovers))
    elif remaining_full and reboot_pending and all(_reboot_only(f) for f in remaining_full):
        record['outcome'] = 'reboot_pending'
        reasons.append('removed; %s finish at the next reboot, which banned_av_reboot_allowed does not permit' % ', '.join(
            f['id'] for f in remaining_full))
    elif remaining_full:
        record['outcome'] = 'degraded'
        reasons.append('removal incomplete: %s removed, %s still installed' % (
            ', '.join(removed) or 'parts', ', '.join(f['id'] for f in remaining_full)))
    elif reboot_pending:
        record['outcome'] = 'reboot_pending'
        reasons.append('removed; a reboot is required to finish (banned_av_reboot_allowed is false)')
    else:
        record['outcome'] = 'remediated'
        reasons.append('removed %s; replacement %s active' % (', '.join(removed) or 'nothing', plan.get('replacement')))
    residue = [f.get('id') for f in after_facts.get('findings') or [] if not f.get('installed')]
    if residue:
        reasons.append('residue left: %s' % ', '.join(residue))
    if record['outcome'] not in REMEDIATION_OUTCOMES:  # pragma: no cover - guarded by the branches above
        raise ValueError('invalid outcome %r' % record['outcome'])
    return removed


def _leftover_filters(record, plan, after_facts):
    """Class filter entries of the removed vendors still registered (Windows facts that carry them)."""
    drivers = ((plan.get('windows') or {}).get('filter_drivers')) or []
    if plan.get('platform') != 'windows' or not drivers:
        return []
    if not after_facts.get('class_filters'):
        record['reasons'].append('left-over class filter drivers not checked: the detection returned no class filter values')
        return []
    return windows_safety.leftover_filters(after_facts['class_filters'], drivers)


def _came_back(record, removed, recheck):
    """A removed product detected again after the re-check delay (re-installed by its management
    server, e.g. a Kaspersky Security Center remote installation task): ``degraded``."""
    if not recheck or not recheck.get('facts') or not removed:
        return
    back = sorted(set(f.get('id') for f in recheck['facts'].get('findings') or [] if f.get('installed') and f.get('id') in removed))
    if back:
        record['outcome'] = 'degraded'
        record['reasons'].append('%s installed again within %s s of the removal: a management server (Kaspersky Security '
                                 'Center remote installation tasks) re-installs it; stop those tasks for this host, then '
                                 'run again' % (', '.join(back), recheck.get('delay', '?')))
    else:
        record['reasons'].append('detected again after %s s: nothing removed came back' % recheck.get('delay', '?'))


def _health_line(health):
    bits = ['healthy' if health.get('healthy') else 'not healthy',
            'active' if health.get('active') else 'not active']
    if health.get('status'):
        bits.append('status %s' % health['status'])
    checks = health.get('checks') or []
    if checks:
        bits.append('; '.join('%s: %s' % (c.get('name'), 'ok' if c.get('ok') else 'failed') for c in checks if isinstance(c, dict)))
    return '%s: %s' % (health.get('product') or '?', ', '.join(bits))


# --------------------------------------------------------------------------- the host an action judges

#: options the remediation actions share: who the host is and which policies judge it
HOST_ARGUMENT_SPEC = dict(
    host=dict(type='str'),
    host_groups=dict(type='list', elements='str'),
    jurisdictions=dict(type='list', elements='str'),
    as_of=dict(type='str'),
    policy_files=dict(type='list', elements='str', default=[]),
    policies=dict(type='list', elements='dict', default=[]),
    waivers=dict(type='list', elements='dict', default=[]),
)


def host_context(args, task_vars):
    """``(host, groups, jurisdictions)`` of the host a task runs for: the options when given, else
    ``inventory_hostname``, ``group_names`` and the host variable ``banned_av_jurisdictions``
    (None: the default, checked by ``policy.validate_jurisdictions``)."""
    host = args.get('host') or task_vars.get('inventory_hostname')
    groups = args['host_groups'] if args.get('host_groups') is not None else list(task_vars.get('group_names') or [])
    jurisdictions = args.get('jurisdictions')
    if jurisdictions is None:
        jurisdictions = task_vars.get('banned_av_jurisdictions')
    return host, groups, jurisdictions


# --------------------------------------------------------------------------- become

#: shells Ansible talks to a Windows host with (WinRM, PSRP or SSH)
WINDOWS_SHELLS = ('powershell', 'cmd')


def target_platform(detected=None, shell_type=None):
    """The target's OS family for the role's own decisions: the detection result's ``platform``
    when there is one, else ``windows`` when Ansible talks to the host through a Windows shell
    (``ansible_shell_type``, required for Windows over SSH too), else None (a POSIX host)."""
    if detected:
        return detected
    if (shell_type or '').lower() in WINDOWS_SHELLS:
        return 'windows'
    return None


def become_for(requested, detected=None, shell_type=None):
    """Whether the role's host tasks run with become: never on Windows (the connection user is an
    administrator; msiexec runs as SYSTEM through ``runas`` on its own task), whatever the
    connection (WinRM, PSRP or SSH); elsewhere what the user asked (None: leave it to the play)."""
    if target_platform(detected, shell_type) == 'windows':
        return False
    return None if requested is None else bool(requested)


def banned_left(plan, after_facts):
    """Whether a banned product the plan meant to remove (or left for manual removal) may still be
    on the host after the removal: the replacement's ``finalize`` then keeps the mode it had beside
    it (Defender passive).  A host that could not be detected again counts as "still there"."""
    if not after_facts:
        return True
    ids = set(plan.get('target_ids') or []) | set(m.get('id') for m in plan.get('manual') or [])
    return any(f.get('installed') and f.get('id') in ids for f in after_facts.get('findings') or [])
