# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 12: running enforce as root against a host without sudo failed with "Module result
deserialization failed: No start of json char found" instead of saying that become failed.

The host is this machine, reached through the local connection, made "banned" by a test-only
catalogue entry whose marker file exists everywhere (/usr/bin/env), and its sudo is made missing
(``ansible_become_exe``; become to another user, as Ansible skips become to the connection's own
user).  Everything runs in check mode, and the become check stops the host
before the remediate role: nothing on this machine is changed either way."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import sys

import pytest

pytest.importorskip('ansible_runner')

from ansible_collections.fleetsec.banned_av.tests.integration import playbook_runs as pr  # noqa: E402

TEST_PRODUCT = {
    'id': 'testlab.fake_av', 'vendor': 'Testlab', 'product': 'Fake banned AV (test entry)', 'category': 'banned',
    'platforms': ['linux'], 'confidence': 'high', 'match': {'files': ['/usr/bin/env']},
    'sources': ['tests/integration/test_become.py (a test entry, not a real product)'],
}


@pytest.fixture
def live_host():
    return {'all': {'hosts': {'live-01': {
        'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable,
        # root to another user, so that become is really used (same-user become is skipped), with
        # a sudo that does not exist
        'ansible_become_user': 'nobody', 'ansible_become_exe': '/nonexistent/sudo'}}}}


def become_refused(run):
    messages = run.failed_messages()
    assert run.rc != 0
    assert not any('deserialization' in m for m in messages), messages
    assert any('become' in m and 'banned_av_become: false' in m for m in messages), messages


def test_enforce_says_become_failed(tmp_path, live_host):
    run = pr.run(tmp_path, 'enforce-no-sudo', 'enforce', live_host,
                 pr.extravars(banned_av_catalog_entries=[TEST_PRODUCT]), cmdline='--check')
    assert run.statuses() == {'live-01': 'noncompliant'}
    become_refused(run)
    assert run.role_tasks('remediate') == [], 'the remediate role ran although become does not work'


def test_audit_persisting_facts_says_become_failed(tmp_path, live_host):
    run = pr.run(tmp_path, 'audit-no-sudo', 'audit', live_host,
                 pr.extravars(banned_av_catalog_entries=[TEST_PRODUCT], banned_av_persist_facts=True,
                              banned_av_fail_on_violation=False), cmdline='--check')
    become_refused(run)
