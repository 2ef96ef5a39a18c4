# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for fleetsec.banned_av.remediation_plan (runs on the controller only).

Judges the host with the same policy code as the reports (its own jurisdictions, waivers) and
returns the ordered removal plan of ``module_utils/remediation.build_plan``.  Nothing secret
enters it: the role says only which credentials were supplied.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.action import ActionBase

from ansible_collections.fleetsec.banned_av.plugins.module_utils import catalog as catalog_mod
from ansible_collections.fleetsec.banned_av.plugins.module_utils import policy as policy_mod
from ansible_collections.fleetsec.banned_av.plugins.module_utils import remediation as rem
from ansible_collections.fleetsec.banned_av.plugins.module_utils import windows_safety
from ansible_collections.fleetsec.banned_av.plugins.module_utils.plain import plain

CREDENTIALS = ('kes_login', 'kes_password', 'network_agent_password')

ARGUMENT_SPEC = dict(
    rem.HOST_ARGUMENT_SPEC,
    facts=dict(type='dict', required=True),
    replacement=dict(type='str', default='clamav', choices=list(rem.REPLACEMENTS)),
    force=dict(type='bool', default=False),
    allow_unprotected=dict(type='bool', default=False),
    catalog_files=dict(type='list', elements='str', default=[]),
    catalog_entries=dict(type='list', elements='dict', default=[]),
    system=dict(type='dict', default={}, options=dict(
        pkg_mgr=dict(type='str'),
        os_family=dict(type='str'),
        os_version=dict(type='str'),
        installation_type=dict(type='str'),
    )),
    removal=dict(type='dict', default={}, options=dict(
        purge=dict(type='bool', default=True),
        purge_vendor_roots=dict(type='bool', default=True),
        remove_groups=dict(type='bool', default=True),
        unload_kernel_modules=dict(type='bool', default=True),
        extra_paths=dict(type='list', elements='str', default=[]),
        windows_log_dir=dict(type='str', default='C:\\Windows\\Temp'),
        msi_attempts=dict(type='int', default=4),
        msi_retry_delay=dict(type='int', default=30),
        encryption_products=dict(type='list', elements='str', default=[]),
        ksc_keys=dict(type='list', elements='str', default=[]),
        filter_drivers=dict(type='list', elements='str', default=[]),
    )),
    credentials_supplied=dict(type='list', elements='str', default=[], choices=list(CREDENTIALS)),
)


def load_policy(args):
    """Policies, waivers and the evaluation date, exactly as compliance_report loads them."""
    as_of, _version, policies, waivers = policy_mod.load_context(
        args['as_of'], args['policy_files'], args['policies'], args['waivers'])
    return as_of, policies, waivers


def make_plan(args, host, host_groups, jurisdictions):
    """The plan of one host (pure: unit-tested without Ansible's executor)."""
    facts = plain(args['facts'] or {})
    as_of, policies, waivers = load_policy(args)
    catalog = catalog_mod.load(extra_files=args['catalog_files'], extra_entries=args['catalog_entries'])
    # a bad banned_av_jurisdictions fails the task here, naming it, before anything changes
    jurisdictions = policy_mod.validate_jurisdictions(jurisdictions, policies)
    record = policy_mod.evaluate_host(host, facts, policies, waivers, as_of, host_groups, jurisdictions=jurisdictions)
    platform = facts.get('platform') or 'linux'
    families = set(f.get('family') for f in facts.get('findings') or [])
    options = dict(args['system'] or {})
    options.update(args['removal'] or {})
    options['filter_drivers'] = list(options.get('filter_drivers') or []) + windows_safety.filter_drivers(catalog.entries, families)
    options.update(
        replacement=args['replacement'], force=args['force'], allow_unprotected=args['allow_unprotected'],
        host=host, host_groups=host_groups, waivers=waivers,
        credentials=dict((name, 'supplied') for name in args['credentials_supplied']),
        vendor_roots=rem.vendor_roots(catalog.entries, platform))
    plan = rem.build_plan(facts, record, options)
    plan['as_of'] = as_of.isoformat()
    return plan


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        host, host_groups, jurisdictions = rem.host_context(args, task_vars)
        try:
            plan = make_plan(args, host, host_groups, jurisdictions)
        except (policy_mod.PolicyError, catalog_mod.CatalogError) as exc:
            raise AnsibleActionFail(to_native(exc))
        result.update(changed=False, plan=plan, needs_action=plan['needs_action'],
                      msg='%s: %s' % (host, '; '.join(plan['actions']) if plan['needs_action'] else plan['skip_reason']))
        return result
