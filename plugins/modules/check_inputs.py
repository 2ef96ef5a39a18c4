#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# This file holds the documentation of the check_inputs action plugin (plugins/action/check_inputs.py).

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: check_inputs
short_description: Check every input of the audit or enforce playbook, select the hosts, and start the run
version_added: 1.0.0
description:
  - Runs once, on the controller, as the first task of the C(fleetsec.banned_av.audit) and
    C(fleetsec.banned_av.enforce) playbooks, before any host is contacted.
  - Reads the C(banned_av_*) variables of O(playbook) that are set (extra vars, play vars, inventory variables of the
    host it runs for) and validates them against one argument spec whose option names are the variable names, so that
    every error names the variable the user set. Booleans are strict (C(nope) is an error), lists take their documented
    choices, C(banned_av_as_of) must be a date from 2000-01-01 to 2199-12-31, C(banned_av_report_dir) must be a
    directory this user can write to (it is created when missing), C(banned_av_report_formats) must name at least one
    format, and the policies, waivers and catalogue must load. The variables and their defaults are listed in
    C(docs/playbooks.md).
  - Selects the hosts of the run - those of C(banned_av_hosts), or those a previous JSON report names
    (C(banned_av_from_report), its checksum verified, and the JMESPath query C(banned_av_report_query), by default the
    hosts with a failing status) - within the C(--limit) of the run (the hosts of the play it runs in), and fails when
    none is left.
  - Creates the run spool where M(fleetsec.banned_av.av_facts) records each host's result for
    M(fleetsec.banned_av.compliance_report), and removes the spools that runs killed earlier left behind.
  - Host variables (C(banned_av_scan_root), C(banned_av_become), C(banned_av_windows_fact_path),
    C(banned_av_jurisdictions)) are checked where each host uses them.
options:
  playbook:
    description: The playbook whose inputs are checked.
    type: str
    required: true
    choices: [audit, enforce]
extends_documentation_fragment:
  - action_common_attributes
  - action_common_attributes.flow
attributes:
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: full
  check_mode:
    support: full
    details: The check and the selection are the same in check mode; the run spool is created on the controller.
  diff_mode:
    support: none
  platform:
    platforms: all
requirements:
  - jmespath (on the controller, for C(banned_av_report_query))
notes:
  - A variable named C(banned_av_*) that no playbook of the collection reads gives a warning with the closest known
    name (a typo in a variable name would otherwise be ignored silently).
  - The values of C(banned_av_uninstall_password), C(banned_av_kes_login) and C(banned_av_network_agent_password) are
    checked but never returned or shown.
seealso:
  - module: fleetsec.banned_av.compliance_report
  - module: fleetsec.banned_av.av_facts
author:
  - fleetsec.banned_av contributors (@fleetsec)
'''

EXAMPLES = r'''
- name: Check the inputs of the audit playbook and select its hosts
  fleetsec.banned_av.check_inputs:
    playbook: audit
  delegate_to: localhost
  run_once: true
  register: run

- name: Later, in a play over the selected hosts (hosts is "{{ hostvars['localhost'].run.hosts }}")
  ansible.builtin.debug:
    msg: "reports go to {{ run.inputs.banned_av_report_dir }}"
'''

RETURN = r'''
inputs:
  description:
    - The validated C(banned_av_*) inputs of the playbook, every one with its default applied; C(banned_av_report_dir)
      absolute; C(banned_av_as_of) V(null) for today. The uninstall secrets are left out.
  returned: success
  type: dict
  sample: {banned_av_report_dir: /srv/reports, banned_av_fail_on_violation: true, banned_av_as_of: null}
hosts:
  description: The hosts of this run, in inventory order.
  returned: success
  type: list
  elements: str
run_id:
  description: Identifier of this run (UTC time and a random part).
  returned: success
  type: str
  sample: 20261127T020000Z-3f1c0a9b2e7d
spool:
  description: The run spool directory (for the O(fleetsec.banned_av.av_facts#module:spool) and
    O(fleetsec.banned_av.compliance_report#module:spool) options).
  returned: success
  type: str
stale_spools_removed:
  description: Spools of earlier, killed runs that were removed.
  returned: success
  type: list
  elements: str
detect_timeout:
  description: Seconds the detection task may take on one host (C(banned_av_collect_timeout) plus a margin).
  returned: success
  type: int
playbook:
  description: O(playbook).
  returned: success
  type: str
'''
