#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# This file holds the documentation of the remediation_plan action plugin (plugins/action/remediation_plan.py).

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: remediation_plan
short_description: Decide how to replace and remove banned anti-virus on one host
version_added: 1.0.0
description:
  - Runs on the controller only. Used by the C(fleetsec.banned_av.remediate) role; nothing runs on the host.
  - Evaluates the host's detection facts with the same policy code as M(fleetsec.banned_av.compliance_report)
    (dated policies, the host's own jurisdictions, waivers) and returns the ordered removal steps for the host's OS,
    from the catalogue's removal hints. Compliant, waived, not-yet-enforced hosts and products a policy names for
    information only get C(needs_action=false) and a C(skip_reason).
  - Linux - units stopped and packages removed one product at a time in catalogue order (C(kesl-gui) before C(kesl),
    products before C(klnagent64)), with apt purge, dnf, yum, zypper or C(rpm -e), then leftover paths, role groups,
    kernel modules and the vendor directories.
  - Windows - one C(msiexec /x) per ProductCode of a per-machine Windows Installer product (C(WindowsInstaller) = 1)
    found in the Uninstall keys at run time, products before the Network Agent; per-user products and entries that
    are not Windows Installer products are left for manual removal with the reason; the safety checks before the
    removal (data encryption, Kaspersky Security Center), the retry back-off, the class filter drivers to look for
    afterwards, stale Security Center entries.
  - macOS - the vendor uninstall script, leftover paths, launchd items and package receipts.
  - The plan never contains a password; O(credentials_supplied) only says which were given.
  - The outcome after the removal is decided by M(fleetsec.banned_av.remediation_outcome); the msiexec credential
    properties are built by the C(fleetsec.banned_av.msi_arguments) filter.
options:
  facts:
    description: The host's C(ansible_facts.banned_av) from M(fleetsec.banned_av.av_facts).
    type: dict
    required: true
  replacement:
    description: The approved replacement the role deploys before removing anything.
    type: str
    choices: [clamav, mdatp, defender, custom, none]
    default: clamav
  force:
    description: Also remove products whose verdict is only a warning (enforcement date not reached, policy set to warn).
      Waived products, and products a policy names for information only, are never removed.
    type: bool
    default: false
  allow_unprotected:
    description: With O(replacement=none), remove the banned product even when no approved anti-virus is active.
      Leaves the host unprotected; for lab use.
    type: bool
    default: false
  catalog_files:
    description: Extra catalogue files (vendor directories and driver names of the catalogue entries).
    type: list
    elements: str
    default: []
  catalog_entries:
    description: Inline catalogue entries.
    type: list
    elements: dict
    default: []
  system:
    description: What Ansible's facts say of the host; an empty value is taken from the detection facts.
    type: dict
    default: {}
    suboptions:
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
  removal:
    description: How to remove (the remediate role's C(remediate_*) settings).
    type: dict
    default: {}
    suboptions:
      purge:
        description: Purge Debian packages (their configuration files too).
        type: bool
        default: true
      purge_vendor_roots:
        description: Delete the vendor directories (C(/opt/kaspersky), ...) once every product of that vendor on the host
          is being removed.
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
      encryption_products:
        description: Catalogue ids whose data encryption is checked before their removal (C(kescli --opswat
          GetEncryptionState)).
        type: list
        elements: str
        default: []
      ksc_keys:
        description: Network Agent statistics keys read for the Kaspersky Security Center server (C(Protection_AdmServer)).
        type: list
        elements: str
        default: []
      filter_drivers:
        description: Driver names (globs) a class filter of a removed vendor has, besides the catalogue's driver names.
        type: list
        elements: str
        default: []
  credentials_supplied:
    description: Which uninstall credentials the role was given (their values never reach this plugin).
    type: list
    elements: str
    choices: [kes_login, kes_password, network_agent_password]
    default: []
extends_documentation_fragment:
  - fleetsec.banned_av.remediation
  - action_common_attributes
  - action_common_attributes.flow
notes:
  - The state machine and the statuses are described in C(docs/remediation.md).
seealso:
  - module: fleetsec.banned_av.av_facts
  - module: fleetsec.banned_av.remediation_outcome
  - module: fleetsec.banned_av.compliance_report
author:
  - fleetsec.banned_av contributors (@fleetsec)
"""

EXAMPLES = r"""
- name: Detect
  fleetsec.banned_av.av_facts:

- name: Plan the removal
  fleetsec.banned_av.remediation_plan:
    facts: "{{ ansible_facts.banned_av }}"
    replacement: clamav
    waivers: "{{ banned_av_waivers | default([]) }}"
    credentials_supplied: "{{ ['kes_password'] if vault_kes_password | default('') | length > 0 else [] }}"
  register: plan

- name: Show what would be done
  ansible.builtin.debug:
    msg: "{{ plan.plan.actions if plan.needs_action else plan.plan.skip_reason }}"
"""

RETURN = r"""
needs_action:
  description: Whether the host has banned products to remove.
  returned: always
  type: bool
plan:
  description:
    - The plan - C(status) (policy status before), C(needs_action), C(skip_reason), C(blocked) (reasons nothing can
      be done), C(targets), C(excluded), C(residue), C(manual), C(actions) (ordered, human-readable), C(before)
      (evidence), C(linux), C(windows) (C(steps), C(checks), C(filter_drivers), C(expected_return_codes),
      C(retry_delays), ...) or C(darwin), C(credentials) (which were supplied, never their values), C(warnings).
  returned: always
  type: dict
"""
