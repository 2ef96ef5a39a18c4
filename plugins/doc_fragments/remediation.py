# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """What the remediation actions (remediation_plan, remediation_outcome) share: the host they
    judge, the policies that judge it, and their attributes (controller-side computation)."""

    DOCUMENTATION = r'''
options:
  host:
    description: Inventory name of the host (for waivers). Defaults to C(inventory_hostname).
    type: str
  host_groups:
    description: Groups of the host (for waivers). Defaults to C(group_names).
    type: list
    elements: str
  jurisdictions:
    description:
      - The host's jurisdiction codes (C(docs/policy.md)). Defaults to the host variable C(banned_av_jurisdictions),
        else C([us]). A code no policy knows fails the task, naming C(banned_av_jurisdictions).
    type: list
    elements: str
  as_of:
    description: Evaluate the policies as of this date (C(YYYY-MM-DD)); defaults to today (UTC).
    type: str
  policy_files:
    description: Extra policy files, as for M(fleetsec.banned_av.compliance_report).
    type: list
    elements: str
    default: []
  policies:
    description: Inline policy overrides, as for M(fleetsec.banned_av.compliance_report).
    type: list
    elements: dict
    default: []
  waivers:
    description: Waivers, as for M(fleetsec.banned_av.compliance_report). A waived product is never removed.
    type: list
    elements: dict
    default: []
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
'''
