#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# This file holds the documentation of the av_facts action plugin (plugins/action/av_facts.py).

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: av_facts
short_description: Detect banned anti-virus (Kaspersky, Kaspersky-based OEM engines, UltraAV) and the protection present
version_added: 1.0.0
description:
  - Runs one collector per host (Python on Linux and macOS, PowerShell on Windows) with targeted queries
    derived from the banned-product catalogue, and matches the result on the controller. No C(gather_facts)
    is needed and no full package database is dumped; C(Win32_Product) is never used.
  - Sets C(ansible_facts.banned_av) with the findings (each with its evidence), the anti-virus protection
    present and whether it is active, the catalogue version and the collection time.
  - The catalogue is versioned data (C(catalog/products/*.yml) in the collection). Users add or override
    entries with O(catalog_files) or O(catalog_entries); a malformed entry fails the task with an error that
    names the entry and the field, before anything runs on the host.
  - With O(root) the collector scans a mounted image, container root filesystem or chroot instead of the live
    system, including an offline Windows system volume (registry hives). Live-only sources are skipped and
    listed in C(skipped). Paths are resolved inside O(root) as in a chroot, only regular files are read (each
    with a size cap) and FIFOs, devices and sockets are never opened.
  - Detection fails closed. An offline root is scanned only after it is identified as an operating system; a
    root with none (for example an image that failed to mount) gets the error
    C(not an operating-system root) (is the image mounted?), and a root with several (a Linux image that also
    holds a Windows volume) is scanned once per system, each finding naming its C(platform). A package
    database that exists and cannot be read, a source that runs out of time (O(timeout)) and a failure while
    matching the host's inventory are C(errors), and the host is then reported C(unknown) unless banned software
    is found anyway. Nothing stops the play.
options:
  root:
    description:
      - Absolute path on the target of a root filesystem to scan instead of the live system.
      - V(/) scans the live system. The audit playbook passes the host variable C(banned_av_scan_root).
      - A directory holding C(Windows/System32/config/SOFTWARE) is scanned as an offline Windows volume;
        that needs the C(regipy) Python library on the scanning host.
    type: str
    default: /
  timeout:
    description:
      - Seconds the collector may take on the host (Linux, macOS, offline roots, and Windows).
      - On Linux, macOS and offline roots, each source (package database, unit files, paths, ...) may use at
        most half of the time that is left, the last one all of it. A source that runs out of time is stopped,
        with any command it started and that command's children, and becomes an error of that source (the host
        is then C(unknown) unless banned software is found anyway); the other sources still report.
      - On Windows, each step of the PowerShell collector (registry, service states, paths, each CIM query) gets
        its own deadline (60 seconds; a CIM query 30 seconds, its step 40) or the time left of O(timeout), whichever
        is less; a step for which no time is left is not run. Either way the sources of that step are not read
        and become errors (or warnings, for sources that cannot hide a banned product), as above.
      - This bounds the collector itself. The task keyword C(timeout) bounds the whole task (connection and
        transfer included, and on Windows the start of PowerShell) and should be larger.
    type: int
    default: 120
  spool:
    description:
      - A run spool directory on the controller. When set, this host's outcome - its facts, or why the host was
        unreachable or its detection failed or did not finish - is also recorded there, one file per host, for
        M(fleetsec.banned_av.compliance_report) to read (its O(fleetsec.banned_av.compliance_report#module:spool)
        option). The playbooks take it from M(fleetsec.banned_av.check_inputs).
      - The catalogue is then read from the validated snapshot M(fleetsec.banned_av.check_inputs) left in the spool,
        when it was made from the same O(catalog_files) and O(catalog_entries); otherwise it is loaded and validated
        here.
    type: path
extends_documentation_fragment:
  - fleetsec.banned_av.inputs
  - action_common_attributes
  - action_common_attributes.flow
  - action_common_attributes.facts
attributes:
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: full
    details: Detection only reads; the facts are the same in check mode.
  diff_mode:
    support: none
  facts:
    support: full
  platform:
    platforms: [posix, windows]
notes:
  - Matching and policy run on the controller; the collectors only collect. See C(docs/architecture.md).
  - What only a live Windows or macOS host can confirm is listed in C(docs/limitations.md).
seealso:
  - module: fleetsec.banned_av.compliance_report
  - module: fleetsec.banned_av.av_collect_posix
  - module: fleetsec.banned_av.av_collect_win
author:
  - fleetsec.banned_av contributors (@fleetsec)
'''

EXAMPLES = r'''
# In a play with gather_facts: false
- name: Detect banned anti-virus
  fleetsec.banned_av.av_facts:

- name: Show what was found
  ansible.builtin.debug:
    msg: "{{ ansible_facts.banned_av.findings | map(attribute='product') | list }}"

- name: Scan a mounted golden image instead of the live system
  fleetsec.banned_av.av_facts:
    root: /mnt/images/win11-golden

- name: Give a slow host (large package database, network file system) more time
  fleetsec.banned_av.av_facts:
    timeout: 300
  timeout: 420

- name: Add a site-specific ban
  fleetsec.banned_av.av_facts:
    catalog_entries:
      - id: acme.legacy_av
        vendor: Acme
        product: Acme Legacy AV
        category: banned
        family: acme
        platforms: [linux]
        sources: ["Security policy SP-12, 2026-03-01"]
        match:
          packages: [acme-av]
          units: [acme-av.service]
'''

RETURN = r'''
ansible_facts:
  description: Facts set by the module.
  returned: always
  type: complex
  contains:
    banned_av:
      description: Detection result for the host.
      returned: always
      type: complex
      contains:
        schema:
          description: Version of this fact's layout.
          type: int
          sample: 1
        catalog_version:
          description: Version of the catalogue used; C(+site) when users extended it.
          type: str
          sample: "2026.12.06"
        collected_at:
          description: UTC time of the collection, ISO 8601.
          type: str
          sample: "2026-11-27T23:59:59Z"
        platform:
          description: C(linux), C(darwin) or C(windows) (the first system found under O(root)); null when an
            offline root holds no operating system it could identify.
          type: str
        platforms:
          description: Every operating system scanned under O(root), in order (one for a live scan).
          type: list
          elements: str
        os:
          description: What the collector could tell about the OS (name, family, version, installation type).
          type: dict
        root:
          description: The scanned root.
          type: str
          sample: /
        live:
          description: Whether the live system was scanned (false for an offline root).
          type: bool
        findings:
          description: Catalogue products found, installed ones first, in removal order.
          type: list
          elements: dict
          contains:
            id:
              description: Catalogue product id.
              type: str
              sample: kaspersky.kesl
            vendor:
              description: Vendor name.
              type: str
              sample: Kaspersky
            product:
              description: Product name.
              type: str
              sample: Kaspersky Endpoint Security for Linux
            category:
              description: C(banned), C(oem) (an embedded engine) or C(unapproved_successor) (UltraAV, UltraVPN).
              type: str
            family:
              description: Product family, used by policies.
              type: str
              sample: kaspersky
            installed:
              description: True when the evidence shows the product installed; false when only residue
                (leftover paths, role groups, vendor registry keys, removed-not-purged packages) was found.
              type: bool
            version:
              description: Product version, when a source exposes it.
              type: str
              sample: 12.1.0.1297
            signatures_date:
              description: ISO date of the newest signature database found, or null.
              type: str
              sample: "2024-09-05"
            confidence:
              description: Confidence of the catalogue entry (C(high), C(medium), C(low)).
              type: str
            evidence:
              description: Why the product was reported, as C({kind, ...}) items with the fields of each kind
                (package, uninstall, service, driver, unit, file, path, group, kernel_module, registry, receipt,
                bundle, launchd, security_center, process, command); see docs/architecture.md.
              type: list
              elements: dict
            removal:
              description: Removal hints from the catalogue, used by the remediate role.
              type: dict
            platform:
              description: The operating system the finding was made on (C(linux), C(darwin), C(windows)).
              type: str
        protection:
          description: Anti-virus products from the catalogue's protection entries that are present.
          type: list
          elements: dict
          contains:
            id:
              description: Catalogue id (C(clamav), C(mdatp), C(microsoft_defender), or a site entry).
              type: str
            product:
              description: Product name.
              type: str
            approved:
              description: Whether the catalogue marks it as an approved replacement.
              type: bool
            present:
              description: Always true (only present products are listed).
              type: bool
            active:
              description: Whether it is running and protecting; null when it cannot be known (offline root).
              type: bool
            mode:
              description: Running mode where the product reports one (Defender C(Normal), C(Passive); mdatp C(normal), C(passive)).
              type: str
            evidence:
              description: Evidence items as for findings.
              type: list
              elements: dict
        summary:
          description: Ids of installed products, of residue-only products and of active protection.
          type: dict
        skipped:
          description: Sources not consulted, with the reason (for example live-only sources on an offline root).
          type: list
          elements: dict
        warnings:
          description:
            - Harmless conditions a source met, C({source, message}) (a fallback that succeeded, Microsoft Defender
              absent or stopped, output or a list cut to its limits, a marker that did not identify a system); shown
              in reports, they do not change the host's status.
          type: list
          elements: dict
        errors:
          description: C({source, message}) of sources that failed in a way that could hide a banned product (an
            unreadable package database, a FIFO where a file should be, a source out of time, a root with no
            operating system, a failure while matching); the host is C(unknown) unless banned software is found
            anyway. With several systems under O(root), each entry also names its C(platform).
          type: list
          elements: dict
'''
