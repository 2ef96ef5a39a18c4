# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plain JSON data from what Ansible hands a plugin (shared by the actions and filters)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible.module_utils.common.text.converters import to_native


def plain(value):
    """Deep copy into plain JSON types (hostvars and registered results hold lazy, tagged containers)."""
    return json.loads(json.dumps(value, default=to_native))
