# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """The options the actions of the collection share, documented once.

    ``fleetsec.banned_av.inputs``: the catalogue, taken by every action of the
    ``fleetsec.banned_av.banned_av`` action group (the playbooks pass it once, with
    ``module_defaults`` for the group).  ``fleetsec.banned_av.inputs.policy``: the policies and
    waivers, taken by the actions that judge hosts.
    """

    DOCUMENTATION = r'''
options:
  catalog_files:
    description:
      - Catalogue files (on the controller) read after the built-in catalogue. An entry with the id of an existing
        entry replaces it; C(disabled=true) removes it. Schema in C(docs/catalog.md).
      - The playbooks pass C(banned_av_catalog_files) to every action of the C(fleetsec.banned_av.banned_av) action
        group with C(module_defaults).
    type: list
    elements: str
    default: []
  catalog_entries:
    description:
      - Catalogue product entries given inline, applied after O(catalog_files) (C(banned_av_catalog_entries) in the
        playbooks).
    type: list
    elements: dict
    default: []
'''

    POLICY = r'''
options:
  as_of:
    description: The date (C(YYYY-MM-DD)) to judge against instead of today (UTC) (C(banned_av_as_of) in the playbooks).
    type: str
  policy_files:
    description:
      - Policy files (controller paths) read after the built-in policies. A policy with an existing id is merged into
        it field by field, so a site can change one date. Schema in C(docs/policy.md) (C(banned_av_policy_files)).
    type: list
    elements: str
    default: []
  policies:
    description: Policies or policy overrides given inline, applied last (C(banned_av_policies)).
    type: list
    elements: dict
    default: []
  waivers:
    description:
      - Waivers (C(banned_av_waivers)). Each has C(hosts) and/or C(groups) (shell patterns), optional C(products)
        (catalogue ids or patterns), C(expires) (C(YYYY-MM-DD)), C(owner), C(ticket) and C(reason); optional C(id)
        (defaults to the ticket).
      - A waiver past its expiry turns into a violation (C(waiver_expired)); a waived product is never removed. A
        waiver with a missing or malformed field fails the task, naming the waiver and the field.
    type: list
    elements: dict
    default: []
'''
