# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 12, "fail closed by default": each row of the exit-status table in docs/playbooks.md, run.

The enforce outcome rows (remediated, waived, blocked on real packages) are run by the
molecule/enforce_clamav scenario (tests/test_exit_status.py there); the rows here run the audit
and enforce playbooks over offline roots."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

pytest.importorskip('ansible_runner')

from ansible_collections.fleetsec.banned_av.tests.integration import playbook_runs as pr  # noqa: E402

#: (row id, playbook, hosts, extra variables, ansible-playbook options, exit status, status of each host)
ROWS = [
    ('all-compliant', 'audit', ['clean-01'], {}, None, 0, {'clean-01': 'compliant'}),
    ('violation', 'audit', ['clean-01', 'kesl-01'], {}, None, 2, {'clean-01': 'compliant', 'kesl-01': 'noncompliant'}),
    ('violation-not-failing', 'audit', ['kesl-01'], {'banned_av_fail_on_violation': False}, None, 0,
     {'kesl-01': 'noncompliant'}),
    ('violation-survey-string', 'audit', ['kesl-01'], {'banned_av_fail_on_violation': 'false'}, None, 0,
     {'kesl-01': 'noncompliant'}),
    ('waived', 'audit', ['clean-01', 'waived-01'], {}, None, 0, {'clean-01': 'compliant', 'waived-01': 'waived'}),
    ('waiver-expired', 'audit', ['waived-01'], {'banned_av_as_of': '2100-01-01'}, None, 2, {'waived-01': 'waiver_expired'}),
    ('warning', 'audit', ['kesl-01'], {'banned_av_as_of': '2024-08-01'}, None, 0, {'kesl-01': 'warning'}),
    ('detection-failed', 'audit', ['clean-01', 'broken-01'], {}, None, 2, {'clean-01': 'compliant', 'broken-01': 'unknown'}),
    ('all-unreachable', 'audit', ['gone-01'], {}, None, 2, {'gone-01': 'unknown'}),
    ('unknown-allowed', 'audit', ['gone-01'], {'banned_av_fail_on': ['noncompliant']}, None, 0, {'gone-01': 'unknown'}),
    ('check-mode-violation', 'audit', ['kesl-01'], {}, '--check', 2, {'kesl-01': 'noncompliant'}),
    ('check-mode-compliant', 'audit', ['clean-01'], {}, '--check', 0, {'clean-01': 'compliant'}),
    ('enforce-image-refused', 'enforce', ['clean-01'], {}, '--check', 2, {'clean-01': 'unknown'}),
    ('enforce-image-refused-real', 'enforce', ['kesl-01'], {}, None, 2, {'kesl-01': 'unknown'}),
]


@pytest.fixture(scope='module')
def base(tmp_path_factory):
    return tmp_path_factory.mktemp('exit-status')


@pytest.mark.parametrize('row,playbook,hosts,variables,cmdline,rc,statuses', ROWS, ids=[r[0] for r in ROWS])
def test_exit_status(base, fleet_roots, row, playbook, hosts, variables, cmdline, rc, statuses):
    run = pr.run(base, row, playbook, pr.inventory(fleet_roots, hosts), pr.extravars(**variables), cmdline=cmdline)
    assert run.statuses() == statuses
    assert run.rc == rc, run.failed_messages()
    artifacts = run.artifacts()
    assert artifacts['banned_av_summary']['hosts'] == len(hosts)
    failing = sorted(h for h, s in statuses.items() if s in ('noncompliant', 'waiver_expired', 'unknown'))
    if variables.get('banned_av_fail_on') is None:
        assert sorted(artifacts['banned_av_failing_hosts']) == failing


def test_bad_input_row(base, fleet_roots):
    run = pr.run(base, 'bad-input', 'audit', pr.inventory(fleet_roots, ['clean-01']),
                 pr.extravars(banned_av_fail_on_violation='nope'))
    assert run.rc == 2 and run.detected_hosts() == []


def test_no_host_selected_row(base, fleet_roots):
    run = pr.run(base, 'no-host', 'audit', pr.inventory(fleet_roots, ['clean-01']), pr.extravars(banned_av_hosts='web'))
    assert run.rc == 2 and run.detected_hosts() == []
