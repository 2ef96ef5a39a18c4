#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# This file holds the documentation of the report_merge action plugin (plugins/action/report_merge.py).

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: report_merge
short_description: Verify the JSON reports of AWX job slices and merge them into one fleet report
version_added: 1.0.0
description:
  - Runs once, on the controller. Reads the JSON reports written by M(fleetsec.banned_av.compliance_report) (for example
    one per slice of a sliced AWX job), verifies each of them, merges them and writes the fleet report in every format
    into O(report_dir), all formats or none.
  - A slice is refused, with an error naming its file, when it cannot be read, is not a JSON object, is empty, has another
    schema than C(fleetsec.banned_av/report/v1), has no C(sha256), or its C(sha256) does not match its content (edited
    or truncated).
  - Slices judged against different policy versions, C(as_of) dates or catalogue versions are refused unless
    O(allow_mixed) is true; the merged report then shows the differences in every format, and which slice judged each
    host.
  - Hosts are the union of the slices; a host in several slices is counted once (a real result wins over C(unknown), two
    different results keep the more severe with a reason naming both), or is refused with O(duplicate_hosts=refuse).
    With O(expected_hosts), a host that is in no slice is refused.
  - With O(previous_report) (the fleet report of an earlier merge or audit), the merged report gains a C(trend) section
    against it. A slice's own C(trend) (its share of the fleet against its own previous report) is never carried into the
    merged report.
  - Nothing is written when a slice or the previous report is refused.
options:
  reports:
    description: The JSON reports (controller paths) to merge, in the order their hosts appear in the fleet report.
    type: list
    elements: path
    required: true
  report_dir:
    description: Directory on the controller for the fleet report; created when missing.
    type: path
    required: true
  formats:
    description: Report formats to write.
    type: list
    elements: str
    choices: [json, csv, html, junit, sarif, markdown]
    default: [json, csv, html, junit, sarif, markdown]
  fail_on:
    description: Statuses listed in the C(failing_hosts) return value.
    type: list
    elements: str
    default: [noncompliant, waiver_expired, unknown, blocked, degraded]
    choices: [compliant, warning, noncompliant, waived, waiver_expired, unknown, remediated, reboot_pending, blocked, degraded]
  allow_mixed:
    description:
      - Merge slices judged against different policy versions, C(as_of) dates or catalogue versions. The differences are
        listed in the report's C(run.conflicts) and shown in every format; each host records its slice.
      - Without it such slices are refused, because their verdicts do not compare.
    type: bool
    default: false
  expected_hosts:
    description:
      - Hosts that must be in some slice, for example C(groups['all']) of the inventory the sliced job ran on. A host in
        no slice report (a slice that failed before writing its report, a report missing) makes the merge fail, naming
        the hosts.
      - Not set, hosts are not checked against an inventory.
    type: list
    elements: str
  duplicate_hosts:
    description:
      - What to do with a host that is in more than one slice report.
      - C(merge) keeps one record (a real result over C(unknown), else the more severe, with a reason naming both slices).
      - C(refuse) fails the merge. The slices of one sliced job never share a host, so a host in two slices means reports
        of different runs were mixed.
    type: str
    choices: [merge, refuse]
    default: merge
  catalog_files:
    description: Catalogue files, as for M(fleetsec.banned_av.av_facts); used for the rules (help, removal, sources) of the
      SARIF report.
    type: list
    elements: str
    default: []
  catalog_entries:
    description: Inline catalogue entries, as for M(fleetsec.banned_av.av_facts).
    type: list
    elements: dict
    default: []
  previous_report:
    description:
      - The JSON report (C(banned_av_report.json)) of an earlier fleet report (a merge or an audit). The merged report then
        gains a C(trend) section (hosts fixed, newly failing, still failing, new and gone since that report; counts by
        status then and now; a bounded history of earlier reports' counts), which the Markdown and HTML reports show. A
        host of the previous report that is in no slice but still in the inventory (C(groups['all'])) is listed as not
        audited, not as gone.
      - It is verified before any slice is read, as M(fleetsec.banned_av.compliance_report) verifies its previous report -
        a regular file, a report of this collection whose C(sha256) matches its content, naming each host once, and not
        generated after this merge (a swapped file or a clock that went back would reverse the trend). Anything else is
        an error naming C(banned_av_previous_report), and nothing is written.
      - Unset or empty - no trend. The merge_reports playbook sets it from C(banned_av_previous_report).
    type: str
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
    details: The fleet report is written in check mode too (it changes no managed host).
  diff_mode:
    support: none
  platform:
    platforms: all
seealso:
  - module: fleetsec.banned_av.compliance_report
author:
  - fleetsec.banned_av contributors (@fleetsec)
'''

EXAMPLES = r'''
- name: Merge the reports of three AWX job slices; every inventory host in exactly one slice
  fleetsec.banned_av.report_merge:
    reports:
      - /var/lib/banned_av/workflow-700/job-701/banned_av_report.json
      - /var/lib/banned_av/workflow-700/job-702/banned_av_report.json
      - /var/lib/banned_av/workflow-700/job-703/banned_av_report.json
    report_dir: /var/lib/banned_av/workflow-700/fleet
    expected_hosts: "{{ groups['all'] }}"
    duplicate_hosts: refuse
  run_once: true
  register: fleet

- name: Merge the audits of two sites that were judged on different days, on purpose
  fleetsec.banned_av.report_merge:
    reports: [site-a/banned_av_report.json, site-b/banned_av_report.json]
    report_dir: both-sites
    allow_mixed: true
  run_once: true

- name: Merge today's slices, with the trend since yesterday's fleet report
  fleetsec.banned_av.report_merge:
    reports: "{{ slice_reports }}"
    report_dir: /var/lib/banned_av/workflow-800/fleet
    previous_report: /var/lib/banned_av/workflow-700/fleet/banned_av_report.json
  run_once: true
'''

RETURN = r'''
trend:
  description: How many hosts are in each list of the merged report's C(trend) section.
  returned: when O(previous_report) is set
  type: dict
  sample: {fixed: 3, new_failing: 1, still_failing: 12, new_hosts: 2, gone_hosts: 0, not_audited: 0}
reports:
  description: Paths of the written reports by format.
  returned: success
  type: dict
  sample: {json: /var/lib/banned_av/fleet/banned_av_report.json}
summary:
  description: Counts over the merged hosts - C(hosts), C(by_status), C(findings), C(violations), C(failing).
  returned: success
  type: dict
sha256:
  description: SHA-256 of the merged JSON report content (without its own sha256 field).
  returned: success
  type: str
generated_at:
  description: UTC time the merged report was generated.
  returned: success
  type: str
as_of:
  description: The date the hosts were judged against; null when the slices differ (see O(allow_mixed)).
  returned: success
  type: str
report_dir:
  description: Absolute path of the report directory.
  returned: success
  type: str
slices:
  description: How many slices the merged report lists (a merged report given as input counts with its own slices).
  returned: success
  type: int
mixed:
  description: The run fields the slices disagree on, with every value seen (empty when they agree).
  returned: success
  type: dict
  sample: {as_of: ["2026-11-27", "2026-11-28"]}
failing_hosts:
  description: Hosts whose status is in O(fail_on).
  returned: success
  type: list
  elements: str
hosts_by_status:
  description: Host names for each status.
  returned: success
  type: dict
msg:
  description: One line with the host count and the count of each status.
  returned: always
  type: str
'''
