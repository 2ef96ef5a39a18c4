#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# This file holds the documentation of the remediation_outcome action plugin (plugins/action/remediation_outcome.py).

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: remediation_outcome
short_description: Judge one host after the removal of banned anti-virus
version_added: 1.0.0
description:
  - Runs on the controller only. Used by the C(fleetsec.banned_av.remediate) role; nothing runs on the host.
  - Evaluates the facts detected after the removal with the same policy code as
    M(fleetsec.banned_av.compliance_report) and returns the host's C(banned_av_remediation) record - C(remediated),
    C(reboot_pending), C(blocked) or C(degraded), with the reasons and the before and after evidence.
  - C(blocked) - nothing was removed (the replacement was not healthy, a safety check stopped the removal, msiexec
    refused) and the banned product keeps protecting the host. C(degraded) - no approved anti-virus is active, the
    removal stopped half-way, a class filter driver of the removed vendor is still registered, the host could not be
    detected again, or a removed product came back before the re-check (a management server installed it again).
options:
  plan:
    description: The C(plan) returned by M(fleetsec.banned_av.remediation_plan).
    type: dict
    required: true
  facts:
    description: The C(ansible_facts.banned_av) detected after the removal; omit when the host could not be checked.
    type: dict
  recheck_facts:
    description: The facts detected once more after O(recheck_delay) seconds (optional).
    type: dict
  recheck_delay:
    description: Seconds waited before O(recheck_facts) were detected (shown in the reasons).
    type: int
    default: 0
  replacement_health:
    description: C(alternative_av_health) set by the C(fleetsec.banned_av.alternative_av) role after the removal.
    type: dict
    default: {}
  run:
    description:
      - What the role did, computed from its registered results by the C(fleetsec.banned_av.remediation_run) filter
        (C(ensure_ok), C(actions), C(failed), C(warnings), C(blocked), C(msi), C(changed_banned), C(reboot_required),
        C(rebooted), C(started_at), C(check_mode), ...).
    type: dict
    default: {}
extends_documentation_fragment:
  - fleetsec.banned_av.remediation
  - action_common_attributes
  - action_common_attributes.flow
notes:
  - The state machine and the statuses are described in C(docs/remediation.md).
seealso:
  - module: fleetsec.banned_av.remediation_plan
  - module: fleetsec.banned_av.compliance_report
author:
  - fleetsec.banned_av contributors (@fleetsec)
"""

EXAMPLES = r"""
- name: Decide the outcome
  fleetsec.banned_av.remediation_outcome:
    plan: "{{ plan.plan }}"
    facts: "{{ after.ansible_facts.banned_av | default(omit) }}"
    replacement_health: "{{ alternative_av_health }}"
    run: "{{ run_record }}"
  register: outcome

- name: Keep it for the report
  ansible.builtin.set_fact:
    banned_av_remediation: "{{ outcome.remediation }}"
"""

RETURN = r"""
remediation:
  description:
    - The host's remediation record, to be stored as the C(banned_av_remediation) fact - C(outcome), C(reasons),
      C(actions), C(before), C(after), C(replacement), C(replacement_health), C(targets), C(reboot_required),
      C(rebooted), C(started_at), C(finished_at). C(outcome) is null in check mode and for hosts left alone.
  returned: always
  type: dict
"""
