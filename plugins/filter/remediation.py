# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters the remediate and alternative_av roles decide with: thin wrappers of the tested
functions in ``plugins/module_utils`` (msi, run_record, defender, windows_safety, remediation).
Each filter's documentation is in the YAML file of its name next to this one."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.fleetsec.banned_av.plugins.module_utils import defender
from ansible_collections.fleetsec.banned_av.plugins.module_utils import msi
from ansible_collections.fleetsec.banned_av.plugins.module_utils import remediation
from ansible_collections.fleetsec.banned_av.plugins.module_utils import run_record
from ansible_collections.fleetsec.banned_av.plugins.module_utils import windows_safety
from ansible_collections.fleetsec.banned_av.plugins.module_utils.plain import plain


def msi_arguments(credential, kes_login=None, kes_password=None, network_agent_password=None):
    """The msiexec property string carrying an uninstall credential (use it only in no_log tasks)."""
    try:
        return msi.secret_arguments(credential, kes_login or None, kes_password or None, network_agent_password or None)
    except ValueError as exc:
        raise AnsibleFilterError('msi_arguments: %s' % exc)


def msi_log_scrub(properties):
    """``[{pattern, replacement}]`` that remove ``properties`` (credential properties) from an MSI log."""
    if not properties:
        return []
    return [{'pattern': p, 'replacement': r} for p, r in msi.LOG_SCRUB]


def msi_attempt(registered, step):
    """What one registered win_package run means (``msi.attempt_result``)."""
    return msi.attempt_result(plain(registered or {}), plain(step or {}))


def remediation_run(run, event, *args, **kwargs):
    """The remediate role's record after one step (``run_record.update``)."""
    try:
        return run_record.update(plain(run) if run else None, event, *plain(list(args)), **plain(kwargs))
    except (TypeError, ValueError) as exc:
        raise AnsibleFilterError('remediation_run: %s' % exc)


def remediation_preflight(raw, checks, acknowledged=False, recheck_delay=0):
    """Safety checks before a Windows removal (``windows_safety.preflight``)."""
    return windows_safety.preflight(plain(checks or {}), plain(raw or {}), bool(acknowledged), int(recheck_delay or 0))


def remediation_become(requested, detected=None, shell_type=None):
    """Become for the role's host tasks: false on Windows, else ``requested`` (None: the play decides)."""
    return remediation.become_for(requested, detected, shell_type)


def remediation_banned_left(after_facts, plan):
    """Whether a banned product of the plan may still be on the host (``remediation.banned_left``)."""
    return remediation.banned_left(plain(plan or {}), plain(after_facts) if after_facts else None)


def defender_plan(raw, other_av_present, reboot_allowed=False, install_feature=True, clear_policy_disables=True):
    """What to deploy of Microsoft Defender Antivirus now (``defender.deploy_plan``)."""
    return defender.deploy_plan(plain(raw or {}), bool(other_av_present), bool(reboot_allowed), bool(install_feature),
                                bool(clear_policy_disables))


def defender_checks(status, other_av_present, eicar_test=True):
    """Whether to update signatures and run the EICAR test (``defender.check_plan``)."""
    return defender.check_plan(plain(status or {}), bool(other_av_present), bool(eicar_test))


def defender_health(raw, plan, other_av_present, max_signature_age_days=7, reboot_pending=False, eicar=None):
    """``alternative_av_health`` of Defender (blocked, deferred or measured)."""
    plan = plain(plan or {})
    if plan.get('blocked'):
        return defender.blocked_health(plan)
    if plan.get('deferred'):
        return defender.deferred_health(plan)
    return defender.health(plain(raw or {}), plan, bool(other_av_present), int(max_signature_age_days),
                           bool(reboot_pending), plain(eicar) if eicar else None)


class FilterModule(object):

    def filters(self):
        return {
            'msi_arguments': msi_arguments,
            'msi_log_scrub': msi_log_scrub,
            'msi_attempt': msi_attempt,
            'remediation_run': remediation_run,
            'remediation_preflight': remediation_preflight,
            'remediation_become': remediation_become,
            'remediation_banned_left': remediation_banned_left,
            'defender_plan': defender_plan,
            'defender_checks': defender_checks,
            'defender_health': defender_health,
        }
