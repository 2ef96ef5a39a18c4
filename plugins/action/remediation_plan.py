# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for fleetsec.banned_av.remediation_plan (runs on the controller only).

Three stages, all pure computations in ``module_utils/remediation.py``:

``plan``       evaluate the host with the same policy code as the reports and return the
               ordered removal steps (nothing secret in it);
``outcome``    evaluate the host again after the removal and return the
               ``banned_av_remediation`` record (remediated, reboot_pending, blocked, degraded);
``arguments``  the msiexec property string carrying an uninstall credential (no_log).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.action import ActionBase

from ansible_collections.fleetsec.banned_av.plugins.action.compliance_report import plain
from ansible_collections.fleetsec.banned_av.plugins.module_utils import catalog as catalog_mod
from ansible_collections.fleetsec.banned_av.plugins.module_utils import policy as policy_mod
from ansible_collections.fleetsec.banned_av.plugins.module_utils import remediation as rem

ARGUMENT_SPEC = dict(
    stage=dict(type='str', default='plan', choices=['plan', 'outcome', 'arguments']),
    facts=dict(type='dict'),
    plan=dict(type='dict'),
    replacement=dict(type='str', default='clamav', choices=list(rem.REPLACEMENTS)),
    replacement_health=dict(type='dict', default={}),
    run=dict(type='dict', default={}),
    force=dict(type='bool', default=False),
    allow_unprotected=dict(type='bool', default=False),
    host=dict(type='str'),
    host_groups=dict(type='list', elements='str'),
    as_of=dict(type='str'),
    policy_files=dict(type='list', elements='str', default=[]),
    policies=dict(type='list', elements='dict', default=[]),
    waivers=dict(type='list', elements='dict', default=[]),
    catalog_files=dict(type='list', elements='str', default=[]),
    catalog_entries=dict(type='list', elements='dict', default=[]),
    pkg_mgr=dict(type='str'),
    os_family=dict(type='str'),
    os_version=dict(type='str'),
    installation_type=dict(type='str'),
    purge=dict(type='bool', default=True),
    purge_vendor_roots=dict(type='bool', default=True),
    remove_groups=dict(type='bool', default=True),
    unload_kernel_modules=dict(type='bool', default=True),
    extra_paths=dict(type='list', elements='str', default=[]),
    windows_log_dir=dict(type='str', default='C:\\Windows\\Temp'),
    msi_attempts=dict(type='int', default=4),
    msi_retry_delay=dict(type='int', default=30),
    credential=dict(type='str', choices=['kes', 'network_agent']),
    kes_login=dict(type='str', no_log=True),
    kes_password=dict(type='str', no_log=True),
    network_agent_password=dict(type='str', no_log=True),
)


def load_policy(args):
    """Policies, waivers and the evaluation date, exactly as compliance_report loads them."""
    as_of, _version, policies, waivers = policy_mod.load_context(
        args['as_of'], args['policy_files'], args['policies'], args['waivers'])
    return as_of, policies, waivers


def make_plan(args, host, host_groups):
    """The ``plan`` stage (pure: unit-tested without Ansible's executor)."""
    facts = plain(args['facts'] or {})
    as_of, policies, waivers = load_policy(args)
    catalog = catalog_mod.load(extra_files=args['catalog_files'], extra_entries=args['catalog_entries'])
    record = policy_mod.evaluate_host(host, facts, policies, waivers, as_of, host_groups)
    options = dict((k, args[k]) for k in ('replacement', 'force', 'allow_unprotected', 'pkg_mgr', 'os_family', 'os_version',
                                          'installation_type', 'purge', 'purge_vendor_roots', 'remove_groups',
                                          'unload_kernel_modules', 'extra_paths', 'windows_log_dir', 'msi_attempts',
                                          'msi_retry_delay'))
    options.update(host=host, host_groups=host_groups, waivers=waivers,
                   credentials={'kes_login': args['kes_login'], 'kes_password': args['kes_password'],
                                'network_agent_password': args['network_agent_password']},
                   vendor_roots=rem.vendor_roots(catalog.entries, facts.get('platform') or 'linux'))
    plan = rem.build_plan(facts, record, options)
    plan['as_of'] = as_of.isoformat()
    return plan


def make_outcome(args, host, host_groups):
    """The ``outcome`` stage: evaluate the after-facts and decide the host's outcome."""
    plan = plain(args['plan'] or {})
    facts = plain(args['facts']) if args['facts'] else None
    run = plain(args['run'] or {})
    run.setdefault('finished_at', datetime.datetime.now(tz=datetime.timezone.utc).replace(microsecond=0).isoformat().replace('+00:00', 'Z'))
    after_record = None
    if facts:
        as_of, policies, waivers = load_policy(args)
        after_record = policy_mod.evaluate_host(host, facts, policies, waivers, as_of, host_groups)
    return rem.decide_outcome(plan, facts, after_record, plain(args['replacement_health'] or {}), run)


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        host = args['host'] or task_vars.get('inventory_hostname')
        host_groups = args['host_groups'] if args['host_groups'] is not None else list(task_vars.get('group_names') or [])

        if args['stage'] == 'arguments':
            result['_ansible_no_log'] = True
            try:
                result['arguments'] = rem.secret_arguments(args['credential'], args['kes_login'], args['kes_password'],
                                                           args['network_agent_password'])
            except ValueError as exc:
                raise AnsibleActionFail(to_native(exc))
            result['changed'] = False
            return result

        try:
            if args['stage'] == 'plan':
                if args['facts'] is None:
                    raise AnsibleActionFail('facts: the host\'s ansible_facts.banned_av (from fleetsec.banned_av.av_facts) is required')
                plan = make_plan(args, host, host_groups)
                result.update(changed=False, plan=plan, needs_action=plan['needs_action'],
                              msg='%s: %s' % (host, '; '.join(plan['actions']) if plan['needs_action'] else plan['skip_reason']))
            else:
                if args['plan'] is None:
                    raise AnsibleActionFail('plan: the result of the plan stage is required')
                remediation = make_outcome(args, host, host_groups)
                result.update(changed=False, remediation=remediation,
                              msg='%s: %s' % (host, remediation['outcome'] or 'no outcome (%s)' % '; '.join(remediation['reasons'])))
        except (policy_mod.PolicyError, catalog_mod.CatalogError) as exc:
            raise AnsibleActionFail(to_native(exc))
        return result
