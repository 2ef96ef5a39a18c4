# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for fleetsec.banned_av.av_facts.

Runs exactly one collector on the target (PowerShell on Windows, Python elsewhere) and does the
matching here, on the controller, with the catalogue data and the tested engine in
``plugins/module_utils``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

from ansible.errors import AnsibleConnectionFailure
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.action import ActionBase

from ansible_collections.fleetsec.banned_av.plugins.module_utils import catalog as catalog_mod
from ansible_collections.fleetsec.banned_av.plugins.module_utils import matcher
from ansible_collections.fleetsec.banned_av.plugins.plugin_utils import run_spool

POSIX_COLLECTOR = 'fleetsec.banned_av.av_collect_posix'
WINDOWS_COLLECTOR = 'fleetsec.banned_av.av_collect_win'

#: seconds the collector may take on one host (the POSIX module's own default, the Windows request's)
DEFAULT_TIMEOUT = 120

ARGUMENT_SPEC = dict(
    root=dict(type='str', default='/'),
    catalog_files=dict(type='list', elements='str', default=[]),
    catalog_entries=dict(type='list', elements='dict', default=[]),
    timeout=dict(type='int', default=DEFAULT_TIMEOUT),
    spool=dict(type='path'),
)


def compact_probe(probe):
    """The probe without its empty kinds (collectors treat an absent kind as an empty list)."""
    return dict((kind, values) for kind, values in probe.items() if values)


def posix_probe(catalog, root):
    """Probes for the POSIX collector: Linux and macOS for a live scan (it detects which one it
    is on); every platform for an offline root, which may be a mounted Windows volume.
    The argument travels with every host's module run: 4 KB instead of 9.6 KB for the built-in
    catalogue (docs/performance.md)."""
    platforms = catalog_mod.PLATFORMS if root != '/' else tuple(p for p in catalog_mod.PLATFORMS if p != 'windows')
    return dict((p, compact_probe(catalog.probe(p))) for p in platforms)


def _match(inventory, catalog):
    """``(findings, protection, error or None)`` of one raw inventory.  A failure of the matching
    code on this inventory becomes an error of the host (it is then ``unknown``), never a crash
    of the play."""
    try:
        if not isinstance(inventory, dict):
            raise TypeError('the raw inventory is a %s, not a mapping' % type(inventory).__name__)
        result = matcher.match(inventory, catalog)
        return result['findings'], result['protection'], None
    except Exception as exc:  # pylint: disable=broad-except
        return [], [], {'source': 'matching', 'message': 'matching the %s inventory against the catalogue failed: %s: %s'
                        % (inventory.get('platform') if isinstance(inventory, dict) else '?', type(exc).__name__, exc)}


def build_facts_all(inventories, catalog, collected_at):
    """Turn the raw inventories of one host (one per operating system under its root) into the
    ``ansible_facts.banned_av`` dict (pure, unit-tested).  Every finding and protection entry
    names its ``platform``; with several inventories, so do its errors, warnings and skips."""
    several = len(inventories) > 1
    findings, protection, errors, warnings, skipped, class_filters = [], [], [], [], [], []
    for inventory in inventories:
        found, protected, failure = _match(inventory, catalog)
        inventory = inventory if isinstance(inventory, dict) else {}
        platform = inventory.get('platform')
        findings.extend(dict(f, platform=platform) for f in found)
        protection.extend(dict(p, platform=platform) for p in protected)
        for target, items in ((errors, (inventory.get('errors') or []) + ([failure] if failure else [])),
                              (warnings, inventory.get('warnings') or []), (skipped, inventory.get('skipped') or [])):
            target.extend(dict(i, platform=platform) if several else i for i in items)
        class_filters.extend(inventory.get('class_filters') or [])
    first = inventories[0] if inventories and isinstance(inventories[0], dict) else {}
    return {
        'schema': 1,
        'catalog_version': catalog.version,
        'collected_at': collected_at,
        'platform': first.get('platform'),
        'platforms': [i.get('platform') for i in inventories if isinstance(i, dict)],
        'os': first.get('os') or {},
        'root': first.get('root'),
        'live': first.get('live'),
        'findings': findings,
        'protection': protection,
        'summary': {
            'installed': sorted(set(f['id'] for f in findings if f['installed'])),
            'residue': sorted(set(f['id'] for f in findings if not f['installed'])),
            'active_protection': sorted(set(p['id'] for p in protection if p['active'])),
        },
        # Windows: the UpperFilters/LowerFilters of the device classes (remediation checks them after a removal)
        'class_filters': class_filters,
        'skipped': skipped,
        'warnings': warnings,
        'errors': errors,
    }


def build_facts(inventory, catalog, collected_at):
    """Turn one raw inventory into the ``ansible_facts.banned_av`` dict (see :func:`build_facts_all`)."""
    return build_facts_all([inventory], catalog, collected_at)


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = True

    def run(self, tmp=None, task_vars=None):
        """Detect; with ``spool``, also record the outcome (facts, or unreachable / failed and why)
        in the run spool that compliance_report reads (plugin_utils/run_spool.py)."""
        task_vars = task_vars or {}
        spool = self._task.args.get('spool')
        if not spool:
            return self._detect(tmp, task_vars)
        host = task_vars.get('inventory_hostname')
        host_vars = run_spool.host_variables(task_vars, self._templar)
        try:
            result = self._detect(tmp, task_vars)
        except AnsibleConnectionFailure as exc:
            run_spool.write(spool, host, unreachable=True, msg=to_native(exc), host_vars=host_vars)
            raise
        except BaseException as exc:  # a task timeout is a BaseException
            run_spool.write(spool, host, failed=True, msg='detection did not finish: %s' % (to_native(exc) or type(exc).__name__),
                            host_vars=host_vars)
            raise
        run_spool.write_result(spool, host, result, host_vars=host_vars)
        return result

    def _detect(self, tmp, task_vars):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp

        validation, new_args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        root = new_args['root'] or '/'
        if not root.startswith('/'):
            result.update(failed=True, msg="root: must be an absolute path on the target, got %r" % root)
            return result
        if new_args['timeout'] <= 0:
            result.update(failed=True, msg="timeout: must be a positive number of seconds, got %r" % new_args['timeout'])
            return result
        try:
            catalog = run_spool.load_catalog(new_args['spool'], new_args['catalog_files'], new_args['catalog_entries'])
        except catalog_mod.CatalogError as exc:
            result.update(failed=True, msg='catalog: %s' % exc)
            return result

        windows = getattr(self._connection._shell, 'SHELL_FAMILY', '') == 'powershell'
        if windows:
            if root != '/':
                result.update(failed=True, msg="root: offline scans run from a Linux host that has the image mounted; "
                                               "it is not supported on a Windows target")
                return result
            module_name = WINDOWS_COLLECTOR
            # imported here, for Windows targets only: Ansible imports this action once per run (in
            # its parent process), so a top-level import would compile the Windows code (12 ms) in
            # every run; this way a Windows host's worker compiles it, small beside its WinRM calls
            from ansible_collections.fleetsec.banned_av.plugins.module_utils import windows_live
            windows_plan = windows_live.plan(catalog.probe('windows'), seconds=new_args['timeout'])
            module_args = {'request': windows_plan.args}
        else:
            module_name = POSIX_COLLECTOR
            module_args = {'probe': posix_probe(catalog, root), 'root': root, 'timeout': new_args['timeout']}

        collected = self._execute_module(module_name=module_name, module_args=module_args, task_vars=task_vars)
        if windows and not collected.get('failed'):
            try:  # the raw dump of the Windows collector, read with the rules offline images get
                collected['inventory'] = windows_live.inventory(windows_plan, collected.get('dump'))
            except windows_live.DumpError as exc:
                collected.update(failed=True, msg=str(exc))
        if collected.get('failed') or 'inventory' not in collected:
            result.update(failed=True, msg=collected.get('msg', 'the collector returned no inventory'),
                          collector=module_name)
            return result

        collected_at = datetime.datetime.utcnow().replace(microsecond=0).isoformat() + 'Z'
        facts = build_facts_all(collected.get('inventories') or [collected['inventory']], catalog, collected_at)
        result['changed'] = False
        result['ansible_facts'] = {'banned_av': facts}
        return result
