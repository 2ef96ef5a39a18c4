# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 12, "a typo passes" and "the report directory is checked last": every input is checked
once, up front, before any host is contacted, and the error names the variable the user set."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

pytest.importorskip('ansible_runner')

from ansible_collections.fleetsec.banned_av.tests.integration import playbook_runs as pr  # noqa: E402

HOSTS = ('clean-01', 'kesl-01')
NO_OWNER = [{'hosts': ['kesl-*'], 'expires': '2099-01-01', 'ticket': 'T-1', 'reason': 'lab'}]


@pytest.fixture(scope='module')
def base(tmp_path_factory):
    path = tmp_path_factory.mktemp('inputs')
    (path / 'a-file').write_text('not a directory\n')
    return path


def refused(run, variable):
    """The run failed in the input check: nothing detected, no report, the variable named."""
    assert run.rc != 0, 'the run passed with a bad %s' % variable
    assert run.detected_hosts() == [], 'hosts were contacted before the input check failed'
    messages = run.failed_messages()
    assert any(variable in m for m in messages), messages
    assert not any('remediate_' in m for m in messages), messages
    return messages


BAD_AUDIT_INPUTS = [
    ('fail-on-violation-typo', {'banned_av_fail_on_violation': 'nope'}, 'banned_av_fail_on_violation'),
    ('persist-typo', {'banned_av_persist_facts': 'maybe'}, 'banned_av_persist_facts'),
    ('formats-empty', {'banned_av_report_formats': []}, 'banned_av_report_formats'),
    ('formats-unknown', {'banned_av_report_formats': ['json', 'pdf']}, 'banned_av_report_formats'),
    ('fail-on-unknown', {'banned_av_fail_on': ['noncompliant', 'nonsense']}, 'banned_av_fail_on'),
    ('as-of-far-future', {'banned_av_as_of': '9999-12-31'}, 'banned_av_as_of'),
    ('as-of-year-one', {'banned_av_as_of': '0001-01-01'}, 'banned_av_as_of'),
    ('as-of-not-a-date', {'banned_av_as_of': '27/11/2026'}, 'banned_av_as_of'),
    ('report-dir-empty', {'banned_av_report_dir': ''}, 'banned_av_report_dir'),
    ('waiver-without-owner', {'banned_av_waivers': NO_OWNER}, 'banned_av_waivers'),
    ('policy-file-missing', {'banned_av_policy_files': ['/nonexistent/policy.yml']}, 'banned_av_policy_files'),
    ('catalog-entry-bad', {'banned_av_catalog_entries': [{'id': 'Bad Id'}]}, 'banned_av_catalog_entries'),
]


@pytest.mark.parametrize('name,variables,variable', BAD_AUDIT_INPUTS, ids=[c[0] for c in BAD_AUDIT_INPUTS])
def test_audit_refuses_bad_input_before_any_host(base, fleet_roots, name, variables, variable):
    run = pr.run(base, 'audit-' + name, 'audit', pr.inventory(fleet_roots, HOSTS), pr.extravars(**variables))
    refused(run, variable)


BAD_ENFORCE_INPUTS = [
    ('replacement', {'banned_av_replacement': 'norton'}, 'banned_av_replacement'),
    ('force-typo', {'banned_av_force': 'perhaps'}, 'banned_av_force'),
    ('reboot-typo', {'banned_av_reboot_allowed': 'sometimes'}, 'banned_av_reboot_allowed'),
    ('serial', {'banned_av_serial': 'ten'}, 'banned_av_serial'),
    ('serial-zero', {'banned_av_serial': 0}, 'banned_av_serial'),
    ('max-fail', {'banned_av_max_fail_percentage': 150}, 'banned_av_max_fail_percentage'),
    ('remediation-fail-on', {'banned_av_remediation_fail_on': ['exploded']}, 'banned_av_remediation_fail_on'),
    ('clamav-files-missing', {'banned_av_clamav_database_files': ['/nonexistent/main.cvd']},
     'banned_av_clamav_database_files'),
    # the old enforce checked waivers as the role's remediate_waivers and said so
    ('waiver-without-owner', {'banned_av_waivers': NO_OWNER}, 'banned_av_waivers'),
    ('fail-on-violation-typo', {'banned_av_fail_on_violation': 'nope'}, 'banned_av_fail_on_violation'),
    ('as-of-far-future', {'banned_av_as_of': '9999-12-31'}, 'banned_av_as_of'),
]


@pytest.mark.parametrize('name,variables,variable', BAD_ENFORCE_INPUTS, ids=[c[0] for c in BAD_ENFORCE_INPUTS])
def test_enforce_refuses_bad_input_before_any_host(base, fleet_roots, name, variables, variable):
    run = pr.run(base, 'enforce-' + name, 'enforce', pr.inventory(fleet_roots, HOSTS), pr.extravars(**variables),
                 cmdline='--check')
    refused(run, variable)


def test_secrets_are_never_shown_in_input_errors(base, fleet_roots):
    secret = 'canary-5d1e-uninstall'
    run = pr.run(base, 'enforce-secret', 'enforce', pr.inventory(fleet_roots, HOSTS),
                 pr.extravars(banned_av_uninstall_password=[secret]), cmdline='--check')
    refused(run, 'banned_av_uninstall_password')
    assert secret not in run.stdout()


@pytest.mark.parametrize('where', ['file', 'under-file'])
def test_report_dir_that_cannot_be_a_directory_is_refused_up_front(base, fleet_roots, where):
    target = str(base / 'a-file') if where == 'file' else str(base / 'a-file' / 'reports')
    run = pr.run(base, 'audit-dir-' + where, 'audit', pr.inventory(fleet_roots, HOSTS),
                 pr.extravars(banned_av_report_dir=target))
    messages = refused(run, 'banned_av_report_dir')
    assert not any('[Errno' in m for m in messages), messages


def test_report_dir_that_is_not_writable_is_refused_up_front(base, fleet_roots):
    """Without root's DAC override, so that the directory's permissions apply."""
    locked = base / 'locked'
    locked.mkdir()
    os.chmod(str(locked), 0o555)
    inventory = pr.write_inventory(base / 'inventory-locked.json', pr.inventory(fleet_roots, HOSTS))
    rc, out = pr.run_cli(['ansible-playbook', '-i', inventory, 'fleetsec.banned_av.audit',
                          '-e', 'banned_av_report_dir=%s' % (locked / 'reports'), '-e', 'banned_av_as_of=2026-11-27'],
                         cwd=base, without_dac_override=True)
    assert rc != 0, out
    assert 'banned_av_report_dir' in out and 'cannot be created (Permission denied)' in out, out
    assert 'Detect banned anti-virus' not in out, 'detection ran before the check'
    assert not (locked / 'reports').exists()


def test_hosts_and_a_previous_report_are_exclusive(base, fleet_roots):
    run = pr.run(base, 'audit-hosts-and-report', 'audit', pr.inventory(fleet_roots, HOSTS),
                 pr.extravars(banned_av_hosts='linux', banned_av_from_report=str(base / 'a-file')))
    refused(run, 'banned_av_from_report')
