# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for fleetsec.banned_av.remediation_outcome (runs on the controller only).

Judges the facts detected after the removal with the same policy code as the reports and
returns the host's ``banned_av_remediation`` record (``module_utils/remediation.decide_outcome``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.action import ActionBase

from ansible_collections.fleetsec.banned_av.plugins.module_utils import policy as policy_mod
from ansible_collections.fleetsec.banned_av.plugins.module_utils import remediation as rem
from ansible_collections.fleetsec.banned_av.plugins.module_utils.plain import plain

ARGUMENT_SPEC = dict(
    rem.HOST_ARGUMENT_SPEC,
    plan=dict(type='dict', required=True),
    facts=dict(type='dict'),
    recheck_facts=dict(type='dict'),
    recheck_delay=dict(type='int', default=0),
    replacement_health=dict(type='dict', default={}),
    run=dict(type='dict', default={}),
)


def utc_now():
    return datetime.datetime.now(tz=datetime.timezone.utc).replace(microsecond=0).isoformat().replace('+00:00', 'Z')


def make_outcome(args, host, host_groups, jurisdictions):
    """The host's remediation record (pure: unit-tested without Ansible's executor)."""
    plan = plain(args['plan'])
    facts = plain(args['facts']) if args['facts'] else None
    run = plain(args['run'] or {})
    run.setdefault('finished_at', utc_now())
    after_record = None
    if facts:
        as_of, _version, policies, waivers = policy_mod.load_context(
            args['as_of'], args['policy_files'], args['policies'], args['waivers'])
        jurisdictions = policy_mod.validate_jurisdictions(jurisdictions, policies)
        after_record = policy_mod.evaluate_host(host, facts, policies, waivers, as_of, host_groups, jurisdictions=jurisdictions)
    recheck = None
    if args['recheck_facts']:
        recheck = {'facts': plain(args['recheck_facts']), 'delay': args['recheck_delay']}
    return rem.decide_outcome(plan, facts, after_record, plain(args['replacement_health'] or {}), run, recheck=recheck)


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
            remediation = make_outcome(args, host, host_groups, jurisdictions)
        except policy_mod.PolicyError as exc:
            raise AnsibleActionFail(to_native(exc))
        result.update(changed=False, remediation=remediation,
                      msg='%s: %s' % (host, remediation['outcome'] or 'no outcome (%s)' % '; '.join(remediation['reasons'])))
        return result
