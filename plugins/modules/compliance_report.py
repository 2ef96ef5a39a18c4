#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# This file holds the documentation of the compliance_report action plugin (plugins/action/compliance_report.py).

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: compliance_report
short_description: Evaluate banned anti-virus findings against dated policy and waivers, and write fleet reports
version_added: 1.0.0
description:
  - Runs once, on the controller. Reads every host's detection result of this run from the run spool O(spool) that
    M(fleetsec.banned_av.av_facts) wrote (its C(ansible_facts.banned_av), or why the host was unreachable or its
    detection failed), the host's groups, and the remediation record (C(banned_av_remediation)) of the hosts in
    O(remediation_hosts); evaluates each host against the dated policies and the waivers, and writes the fleet
    reports into O(report_dir).
  - Every host named in O(hosts) appears in every report. A host without a result in this run is C(unknown), never
    C(compliant); so is a host whose result cannot be read or evaluated (the reason says why), and every other host
    is still reported.
  - Statuses are C(compliant), C(warning) (a banned product present before its enforcement date; days left reported),
    C(noncompliant), C(waived), C(waiver_expired) (counts as noncompliant), C(unknown) (unreachable, failed, unsupported,
    no data, or detection incomplete), and the remediation outcomes C(remediated), C(reboot_pending), C(blocked),
    C(degraded).
  - Formats, written atomically (a failed run never leaves a half-written report) -
    C(banned_av_report.json) (schema C(fleetsec.banned_av/report/v1), see C(docs/reports.md), with a SHA-256 of its
    content), C(banned_av_report.csv), C(banned_av_report.html) (self-contained dashboard),
    C(banned_av_report.junit.xml), C(banned_av_report.sarif) (SARIF 2.1.0) and C(banned_av_report.md).
  - M(fleetsec.banned_av.report_merge) merges the JSON reports of several AWX job slices into one fleet report.
options:
  report_dir:
    description: Directory on the controller for the reports; created when missing. Relative paths are relative to the
      controller's working directory.
    type: path
    required: true
  hosts:
    description: Hosts to report on. Defaults to every host of the play (C(ansible_play_hosts_all)), including those that
      failed or were unreachable.
    type: list
    elements: str
  formats:
    description: Report formats to write.
    type: list
    elements: str
    choices: [json, csv, html, junit, sarif, markdown]
    default: [json, csv, html, junit, sarif, markdown]
  spool:
    description:
      - The run spool, a directory on the controller where M(fleetsec.banned_av.av_facts) recorded each host's
        detection result of this run (its own O(fleetsec.banned_av.av_facts#module:spool) option). The playbooks
        take it from M(fleetsec.banned_av.check_inputs).
      - Without it no host has a detection result, and every host is C(unknown).
      - The catalogue is read from the validated snapshot M(fleetsec.banned_av.check_inputs) left in the spool, when it
        was made from the same O(catalog_files) and O(catalog_entries); otherwise it is loaded and validated here.
    type: path
  remove_spool:
    description:
      - Remove the run spool once every report is written (the audit playbook's report is the spool's last reader;
        the enforce playbook rewrites its report after every batch and removes the spool at the end).
      - Only a directory that M(fleetsec.banned_av.check_inputs) created (its name starts with C(run-)) is removed;
        any other path is an error and nothing is removed. The spool is removed in check mode too (it is the
        controller's scratch data of this run, not a managed host's).
    type: bool
    default: false
  remediation_hosts:
    description:
      - Hosts that went through the C(fleetsec.banned_av.remediate) role in this run; their C(banned_av_remediation)
        record is read (through C(hostvars)) and reported.
    type: list
    elements: str
    default: []
  previous_report:
    description:
      - The JSON report (C(banned_av_report.json)) of an earlier audit. The report then gains a C(trend) section (hosts
        fixed, newly failing, still failing, new and gone since that report; counts by status then and now; a bounded
        history of earlier reports' counts), which the Markdown and HTML reports show.
      - It must be a report of this collection whose C(sha256) matches its content, naming each host once, and not
        generated after this run (a swapped file or a clock that went back would reverse the trend; the same second is
        fine); anything else is an error naming C(banned_av_previous_report), raised before any host is evaluated.
      - The audit and enforce playbooks set it from C(banned_av_previous_report) (enforce gives it to each of its
        reports - before the changes, after each batch, final).
    type: path
  fail_on:
    description:
      - Statuses listed in the C(failing_hosts) return value, which the playbooks use to fail the run
        (C(banned_av_fail_on)).
      - The default is every status that needs action, C(unknown) included - a host that could not be checked fails
        the run unless it is left out here.
    type: list
    elements: str
    default: [noncompliant, waiver_expired, unknown, blocked, degraded]
    choices: [compliant, warning, noncompliant, waived, waiver_expired, unknown, remediated, reboot_pending, blocked, degraded]
  play:
    description: Name of the play recorded in the run metadata (C(audit), C(enforce), C(enforce-before)).
    type: str
    default: audit
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
    support: full
  check_mode:
    support: full
    details: The reports are written in check mode too (they change no managed host), so a dry run produces the same reports.
  diff_mode:
    support: none
  platform:
    platforms: all
notes:
  - The AWX job id, template name and user are recorded when AWX/Tower provides them (C(awx_job_id), C(tower_job_id)).
seealso:
  - module: fleetsec.banned_av.av_facts
  - module: fleetsec.banned_av.check_inputs
  - module: fleetsec.banned_av.report_merge
author:
  - fleetsec.banned_av contributors (@fleetsec)
'''

EXAMPLES = r'''
- name: Detect, recording each host's result in the run spool
  fleetsec.banned_av.av_facts:
    spool: "{{ run.spool }}"  # run: registered from fleetsec.banned_av.check_inputs
  ignore_unreachable: true
  ignore_errors: true

- name: Write the reports for every host of the play
  fleetsec.banned_av.compliance_report:
    report_dir: /var/lib/banned_av/reports
    spool: "{{ run.spool }}"
    waivers:
      - hosts: [lab-*]
        products: [kaspersky.kesl]
        expires: "2026-12-31"
        owner: jane.doe
        ticket: SEC-1234
        reason: Lab isolated from the internet until the hardware refresh
  run_once: true
  register: report
'''

RETURN = r'''
reports:
  description: Paths of the written reports by format.
  returned: success
  type: dict
  sample: {json: /var/lib/banned_av/reports/banned_av_report.json}
summary:
  description: Counts - C(hosts), C(by_status), C(findings), C(violations), C(failing).
  returned: success
  type: dict
sha256:
  description: SHA-256 of the JSON report content (without its own sha256 field).
  returned: success
  type: str
generated_at:
  description: UTC time the report was generated.
  returned: success
  type: str
as_of:
  description: The date the hosts were judged against.
  returned: success
  type: str
report_dir:
  description: Absolute path of the report directory.
  returned: success
  type: str
fail_on:
  description: The statuses that make a host failing (O(fail_on)), for the playbooks' messages.
  returned: success
  type: list
  elements: str
failing_hosts:
  description: Hosts whose status is in O(fail_on).
  returned: success
  type: list
  elements: str
hosts_by_status:
  description: Host names for each status.
  returned: success
  type: dict
trend:
  description: How many hosts are in each list of the report's C(trend) section.
  returned: when O(previous_report) is set
  type: dict
  sample: {fixed: 3, new_failing: 1, still_failing: 12, new_hosts: 2, gone_hosts: 0, not_audited: 0}
'''
