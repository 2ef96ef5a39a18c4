#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# This file holds the documentation of the remediation_plan action plugin (plugins/action/remediation_plan.py).

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: remediation_plan
short_description: Decide how to replace and remove banned anti-virus on one host, and judge the result
version_added: 1.0.0
description:
  - Runs on the controller only. Used by the C(fleetsec.banned_av.remediate) role; nothing runs on the host.
  - With O(stage=plan), evaluates the host's detection facts with the same policy code as
    M(fleetsec.banned_av.compliance_report) (dated policies, waivers) and returns the ordered removal steps for
    the host's OS, from the catalogue's removal hints. Compliant, waived and not-yet-enforced hosts get
    C(needs_action=false) and a C(skip_reason). Linux - units stopped and packages removed one product at a time in
    catalogue order (C(kesl-gui) before C(kesl), products before C(klnagent64)), with apt purge, dnf, yum, zypper or
    C(rpm -e), then leftover paths, role groups, kernel modules and the vendor directories. Windows - one
    C(msiexec /x) per ProductCode found in the Uninstall keys at run time, products before the Network Agent, the
    exit-code mapping and the retry back-off, stale Security Center entries. macOS - the vendor uninstall script,
    leftover paths, launchd items and package receipts.
  - With O(stage=outcome), evaluates the facts detected after the removal and returns the host's
    C(banned_av_remediation) record with its outcome - C(remediated), C(reboot_pending), C(blocked) or C(degraded).
  - With O(stage=arguments), returns the msiexec property string for an uninstall credential - C(KLLOGIN)/C(KLPASSWD)
    for Kaspersky Endpoint Security, C(KLUNINSTPASSWD) as UTF-16LE hex for the Network Agent. The result is
    marked no_log.
  - The plan never contains a password; it only records whether one was supplied.
options:
  stage:
    description: What to compute.
    type: str
    choices: [plan, outcome, arguments]
    default: plan
  facts:
    description:
      - The host's C(ansible_facts.banned_av) from M(fleetsec.banned_av.av_facts). Required for O(stage=plan);
        for O(stage=outcome) the facts detected after the removal (omit when the host could not be checked).
    type: dict
  plan:
    description: The C(plan) returned by the plan stage. Required for O(stage=outcome).
    type: dict
  replacement:
    description: The approved replacement the role deploys before removing anything.
    type: str
    choices: [clamav, mdatp, defender, custom, none]
    default: clamav
  replacement_health:
    description: C(alternative_av_health) set by the C(fleetsec.banned_av.alternative_av) role (O(stage=outcome)).
    type: dict
    default: {}
  run:
    description:
      - What the role did (O(stage=outcome)) - C(ensure_ok), C(ensure_reasons), C(actions), C(failed) (list of
        C(id), C(step), C(msg)), C(changed_banned), C(reboot_required), C(rebooted), C(msi) (list of C(id),
        C(product_code), C(rc), C(log_path)), C(started_at), C(check_mode).
    type: dict
    default: {}
  force:
    description: Also remove products whose verdict is only a warning (enforcement date not reached, policy set to warn).
      Waived products are never removed.
    type: bool
    default: false
  allow_unprotected:
    description: With O(replacement=none), remove the banned product even when no approved anti-virus is active.
      Leaves the host unprotected; for lab use.
    type: bool
    default: false
  host:
    description: Inventory name of the host (for waivers). Defaults to C(inventory_hostname).
    type: str
  host_groups:
    description: Groups of the host (for waivers). Defaults to C(group_names).
    type: list
    elements: str
  pkg_mgr:
    description: Ansible's C(pkg_mgr) fact when gathered; otherwise derived from the OS family in the facts.
    type: str
  os_family:
    description: OS family override (C(debian), C(redhat), C(suse)).
    type: str
  os_version:
    description: OS version override (Red Hat 7 and older use yum).
    type: str
  installation_type:
    description: Windows installation type override (C(Client), C(Server)); defaults to the collector's.
    type: str
  purge:
    description: Purge Debian packages (their configuration files too).
    type: bool
    default: true
  purge_vendor_roots:
    description: Delete the vendor directories (C(/opt/kaspersky), C(/var/opt/kaspersky), C(/etc/opt/kaspersky), ...)
      once every product of that vendor on the host is being removed.
    type: bool
    default: true
  remove_groups:
    description: Delete the product's local role groups.
    type: bool
    default: true
  unload_kernel_modules:
    description: Unload the product's kernel modules.
    type: bool
    default: true
  extra_paths:
    description: More leftover paths to delete on a remediated host.
    type: list
    elements: str
    default: []
  windows_log_dir:
    description: Directory on Windows hosts for the verbose MSI logs.
    type: str
    default: C:\Windows\Temp
  msi_attempts:
    description: How many times an uninstall that gets exit code 1618 (another installation running) is tried.
    type: int
    default: 4
  msi_retry_delay:
    description: Seconds before the first retry; doubled for each following one (at most 600).
    type: int
    default: 30
  credential:
    description: Which credential O(stage=arguments) encodes (C(removal.credential) of the catalogue entry).
    type: str
    choices: [kes, network_agent]
  kes_login:
    description: Kaspersky Endpoint Security administrator login (C(KLLOGIN)); C(KLAdmin) when omitted.
    type: str
  kes_password:
    description: Kaspersky Endpoint Security uninstall password (C(KLPASSWD)). Only its presence enters the plan.
    type: str
  network_agent_password:
    description: Network Agent uninstall password (C(KLUNINSTPASSWD), sent as UTF-16LE hex). Only its presence enters
      the plan.
    type: str
extends_documentation_fragment:
  - fleetsec.banned_av.inputs
  - fleetsec.banned_av.inputs.policy
  - action_common_attributes
  - action_common_attributes.flow
attributes:
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: full
    details: Pure computation on the controller; the same in check mode.
  diff_mode:
    support: none
  platform:
    platforms: all
notes:
  - The state machine and the statuses are described in C(docs/remediation.md).
seealso:
  - module: fleetsec.banned_av.av_facts
  - module: fleetsec.banned_av.compliance_report
author:
  - fleetsec.banned_av contributors (@fleetsec)
'''

EXAMPLES = r'''
- name: Detect
  fleetsec.banned_av.av_facts:

- name: Plan the removal
  fleetsec.banned_av.remediation_plan:
    facts: "{{ ansible_facts.banned_av }}"
    replacement: clamav
    waivers: "{{ banned_av_waivers | default([]) }}"
  register: plan

- name: Show what would be done
  ansible.builtin.debug:
    msg: "{{ plan.plan.actions if plan.needs_action else plan.plan.skip_reason }}"

- name: Network Agent uninstall property (never logged)
  fleetsec.banned_av.remediation_plan:
    stage: arguments
    credential: network_agent
    network_agent_password: "{{ vault_network_agent_password }}"
  register: na_args
  no_log: true
'''

RETURN = r'''
needs_action:
  description: Whether the host has banned products to remove (O(stage=plan)).
  returned: stage is plan
  type: bool
plan:
  description:
    - The plan - C(status) (policy status before), C(needs_action), C(skip_reason), C(blocked) (reasons nothing can
      be done), C(targets), C(excluded), C(residue), C(manual), C(actions) (ordered, human-readable), C(before)
      (evidence), C(linux), C(windows) or C(darwin) (the steps), C(credentials) (which were supplied, never their
      values), C(warnings).
  returned: stage is plan
  type: dict
remediation:
  description:
    - The host's remediation record, to be stored as the C(banned_av_remediation) fact - C(outcome), C(reasons),
      C(actions), C(before), C(after), C(replacement), C(replacement_health), C(targets), C(reboot_required),
      C(rebooted), C(started_at), C(finished_at). C(outcome) is null in check mode and for hosts left alone.
  returned: stage is outcome
  type: dict
arguments:
  description: The msiexec property string (O(stage=arguments)); the result is marked no_log.
  returned: stage is arguments
  type: str
'''
