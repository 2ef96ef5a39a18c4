# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The words every part of the collection shares: host statuses, verdicts, severities, actions.

Defined here once; ``policy.py``, the reports, the playbooks' actions and the remediation
planner import them.  Meanings are in ``docs/policy.md``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# --------------------------------------------------------------------------- host statuses

#: every host status, in report order (summary tables, ``hosts_by_status``)
STATUSES = ('compliant', 'warning', 'noncompliant', 'waived', 'waiver_expired', 'unknown',
            'remediated', 'reboot_pending', 'blocked', 'degraded')

#: most severe first: failing statuses, then those that still need someone to act, then passing
STATUS_ORDER = ('noncompliant', 'blocked', 'waiver_expired', 'degraded', 'unknown',
                'reboot_pending', 'warning', 'waived', 'remediated', 'compliant')
STATUS_RANK = dict((status, rank) for rank, status in enumerate(STATUS_ORDER))

#: statuses that need action: JUnit failures, the failing count of a report
FAILING = ('noncompliant', 'waiver_expired', 'unknown', 'blocked', 'degraded')

#: statuses that fail a run when the user does not set ``banned_av_fail_on``: every failing one,
#: a host that could not be checked included (fail closed)
DEFAULT_FAIL_ON = FAILING

#: failing hosts, a host in its grace period and a host that only waits for a reboot
NEEDS_ACTION = FAILING + ('warning', 'reboot_pending')

#: outcomes the remediate role reports; each is also a host status
REMEDIATION_OUTCOMES = ('remediated', 'reboot_pending', 'blocked', 'degraded')

#: replacement products the alternative_av role knows (``banned_av_replacement``, remediation plans)
REPLACEMENTS = ('clamav', 'mdatp', 'defender', 'custom', 'none')

#: the severity a status gives a host by itself (None: the policy's severity decides)
SEVERITY_OF_STATUS = {'degraded': 'critical', 'blocked': 'high', 'unknown': 'high', 'waiver_expired': None, 'noncompliant': None}

# --------------------------------------------------------------------------- severities

SEVERITIES = ('critical', 'high', 'medium', 'low')
SEVERITY_RANK = dict((severity, rank) for rank, severity in enumerate(SEVERITIES))

# --------------------------------------------------------------------------- verdicts

#: what a policy makes of one finding, most severe first
VERDICTS = ('violation', 'waiver_expired', 'warning', 'info', 'residue', 'waived')
VERDICT_RANK = dict((verdict, rank) for rank, verdict in enumerate(VERDICTS))

#: verdicts that count as violations (the report summary) and are removed without ``force``
FAILING_VERDICTS = ('violation', 'waiver_expired')

#: verdicts a waiver can cover (a product named for information needs no waiver)
WAIVABLE_VERDICTS = ('violation', 'warning')

#: verdicts of a finding under a waiver: still waived, or the waiver has expired
WAIVER_VERDICTS = ('waived', 'waiver_expired')

#: a host's status from the verdicts of its findings: the first verdict present decides;
#: none of them (only information, residue, or nothing found) is ``compliant``
STATUS_BY_VERDICT = (('violation', 'noncompliant'), ('waiver_expired', 'waiver_expired'), ('warning', 'warning'),
                     ('waived', 'waived'))

# --------------------------------------------------------------------------- policy actions

#: ``enforce``: a violation from the date on; ``warn``: a warning only; ``info``: named in the
#: reports, never a warning or a failure
POLICY_ACTIONS = ('enforce', 'warn', 'info')

#: the verdict of an installed, covered product once the policy's date (plus grace) has passed
ACTION_VERDICT = {'enforce': 'violation', 'warn': 'warning', 'info': 'info'}

#: how sure the data is of a value (catalogue entries, policies)
CONFIDENCE = ('high', 'medium', 'low')
