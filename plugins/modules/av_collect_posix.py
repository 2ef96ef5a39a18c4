#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: av_collect_posix
short_description: Collect the raw anti-virus inventory of a Linux or macOS host, or of an offline root
version_added: 1.0.0
description:
  - The target-side half of M(fleetsec.banned_av.av_facts). Users normally call M(fleetsec.banned_av.av_facts),
    which runs this module once per host and matches its output against the catalogue on the controller.
  - Runs targeted queries only, for the names a catalogue probe lists, never a full package dump -
    C(dpkg-query -W) or C(rpm -qa) with the catalogue package patterns, existence checks of catalogue paths,
    unit files and C(systemctl show) for catalogue units, C(/etc/group) for role groups, C(/proc) for
    catalogue process names and kernel modules, macOS package receipts, application bundles and launchd items,
    and vendor tools such as C(kesl-control --app-info) with the C locale.
  - With O(root) it scans a mounted image, container root filesystem or chroot instead of the live system.
    Live-only sources (processes, kernel modules, unit states, vendor tools) are then skipped and listed in
    C(inventory.skipped). A root holding C(Windows/System32/config/SOFTWARE) is read as an offline Windows
    system volume (registry hives, needs the C(regipy) Python library on the scanning host).
options:
  probe:
    description:
      - The probe spec per platform (C(linux), C(darwin), C(windows)), derived from the catalogue by
        M(fleetsec.banned_av.av_facts). Keys are the catalogue match kinds plus C(commands) and C(signature_keys).
    type: dict
    required: true
  root:
    description:
      - The root to scan. V(/) scans the live system.
    type: path
    default: /
extends_documentation_fragment:
  - action_common_attributes
attributes:
  check_mode:
    support: full
    details: The module only reads; it returns the same inventory in check mode.
  diff_mode:
    support: none
  platform:
    platforms: posix
notes:
  - The raw inventory format is documented in C(docs/architecture.md) of the collection.
seealso:
  - module: fleetsec.banned_av.av_facts
author:
  - fleetsec.banned_av contributors (@fleetsec)
'''

EXAMPLES = r'''
- name: Collect the raw inventory (normally done for you by av_facts)
  fleetsec.banned_av.av_collect_posix:
    probe:
      linux:
        packages: [kesl, klnagent64]
        units: [kesl.service]
  register: raw
'''

RETURN = r'''
inventory:
  description: The raw inventory, see C(docs/architecture.md).
  returned: always
  type: dict
  contains:
    schema:
      description: Raw inventory schema version.
      type: int
      sample: 1
    platform:
      description: C(linux), C(darwin) or C(windows) (offline Windows volume).
      type: str
      sample: linux
    root:
      description: The scanned root.
      type: str
      sample: /
    live:
      description: Whether the live system was scanned.
      type: bool
    commands:
      description: Tool queries that ran, with argv, rc and raw output, parsed on the controller.
      type: list
      elements: dict
    skipped:
      description: Sources that were not consulted, with the reason.
      type: list
      elements: dict
    errors:
      description: Sources that failed; findings may then be incomplete.
      type: list
      elements: dict
'''

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fleetsec.banned_av.plugins.module_utils import posix_collect


def main():
    module = AnsibleModule(
        argument_spec=dict(
            probe=dict(type='dict', required=True),
            root=dict(type='path', default='/'),
        ),
        supports_check_mode=True,
    )
    root = module.params['root']
    if not os.path.isdir(root):
        module.fail_json(msg="root: %s is not a directory on the target host" % root)

    def run(argv, environ_update=None):
        return module.run_command(argv, environ_update=environ_update, check_rc=False)

    def which(name):
        return module.get_bin_path(name, opt_dirs=['/usr/sbin', '/sbin', '/usr/local/bin', '/usr/bin', '/bin'])

    try:
        inventory = posix_collect.collect(module.params['probe'], root=root, run=run, which=which)
    except Exception as exc:  # pylint: disable=broad-except
        # the hive reader is imported only for offline roots (posix_collect.collect)
        from ansible_collections.fleetsec.banned_av.plugins.module_utils import windows_offline
        if isinstance(exc, windows_offline.RegipyMissingError):
            module.fail_json(msg=str(exc))
        raise
    module.exit_json(changed=False, inventory=inventory)


if __name__ == '__main__':
    main()
