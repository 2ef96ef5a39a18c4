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
    Every path is resolved inside O(root), as in a chroot (absolute link targets start again at O(root),
    C(..) stops there), only regular files are read, each with a size cap, and FIFOs, devices and sockets are
    never opened. Live-only sources (processes, kernel modules, unit states, vendor tools) are then skipped and
    listed in C(inventory.skipped).
  - An offline root is scanned only after it is identified as an operating system - Linux (os-release or a
    dpkg or rpm database), macOS (C(SystemVersion.plist)), Windows (a C(Windows/System32/config/SOFTWARE)
    registry hive, read with the C(regipy) Python library on the scanning host). A root that holds several is
    scanned once per system (C(inventories)); a root with none gives the error
    C(not an operating-system root) (is the image mounted?).
  - Package databases are read without the scanning host's defaults - the dpkg status file through the
    in-root resolver, rpm databases (C(var/lib/rpm) or C(usr/lib/sysimage/rpm)) with C(rpm --dbpath) on a
    copy of their files - and a database that exists but cannot be read is an error.
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
  timeout:
    description:
      - Seconds the whole collection may take. Each source may use at most half of the time that is left
        (the last one all of it); a source that runs out of time is stopped (with any command it started)
        and becomes an error of that source, and the collector returns what the other sources found.
      - V(0) means no limit.
    type: int
    default: 120
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
    identified_by:
      description: For an offline root, the files that identified the operating system (os-release, a package
        database, C(SystemVersion.plist), the SOFTWARE hive).
      type: list
      elements: str
    commands:
      description: Tool queries that ran, with argv, rc and raw output, parsed on the controller.
      type: list
      elements: dict
    packages:
      description: Packages the probe names (C(packages) globs) or whose dpkg Maintainer, rpm Vendor or Packager
        matches a C(maintainers) regex; only those leave the host.
      type: list
      elements: dict
    package_databases:
      description: The package databases read, C({manager, path, packages}) (rpm also C(backend)); C(path) is the
        database's location inside the root after resolving its links.
      type: list
      elements: dict
    executables:
      description: C({path, dir}) of regular files with an execute bit below each C(install_dirs) directory
        (at most 4 levels down, 25 per directory).
      type: list
      elements: dict
    skipped:
      description: Sources that were not consulted, with the reason.
      type: list
      elements: dict
    warnings:
      description: Harmless conditions (a capped list, a fallback), shown in reports; they do not change the status.
      type: list
      elements: dict
    errors:
      description: Sources that failed (a failure that could hide a banned product); findings may then be incomplete.
      type: list
      elements: dict
inventories:
  description:
    - One raw inventory per operating system found under O(root), in order (the first is also C(inventory)).
  returned: when O(root) holds more than one operating system
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
            timeout=dict(type='int', default=posix_collect.DEFAULT_TIMEOUT),
        ),
        supports_check_mode=True,
    )
    root = module.params['root']
    if not os.path.isdir(root):
        module.fail_json(msg="root: %s is not a directory on the target host" % root)
    if module.params['timeout'] < 0:
        module.fail_json(msg="timeout: must be 0 (no limit) or a positive number of seconds, got %s" % module.params['timeout'])

    def which(name):
        return module.get_bin_path(name, opt_dirs=['/usr/sbin', '/sbin', '/usr/local/bin', '/usr/bin', '/bin'])

    # commands run through posix_collect.run_command, which kills them (and their process group)
    # when the time limit is reached: module.run_command has no time limit
    inventories = posix_collect.collect_all(module.params['probe'], root=root, which=which,
                                            timeout=module.params['timeout'] or None)
    module.exit_json(changed=False, **posix_collect.module_result(inventories))


if __name__ == '__main__':
    main()
