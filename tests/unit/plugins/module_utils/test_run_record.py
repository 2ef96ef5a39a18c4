# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The remediate role's record of one host, computed from registered results
(tests/unit/fixtures/remediation/*.json: the shapes ansible-core and ansible.windows register)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.fleetsec.banned_av.plugins.module_utils import msi
from ansible_collections.fleetsec.banned_av.plugins.module_utils import run_record as rr
from ansible_collections.fleetsec.banned_av.tests.unit.conftest import fixture_json

REG = fixture_json('remediation', 'registered_results.json')
WIN = fixture_json('remediation', 'win_package_results.json')
KESL = {'id': 'kaspersky.kesl', 'package': {'manager': 'apt', 'names': ['kesl'], 'describe': 'apt-get purge kesl'}}
STEP = {'id': 'kaspersky.kes_windows', 'product_code': '{9A017278-F7F4-4DF9-A482-0B97B70DD7ED}',
        'log_path': 'C:\\Windows\\Temp\\kes.log', 'credential': 'kes'}


def test_a_new_record_has_every_field_the_outcome_reads():
    run = rr.update(None, 'start', started_at='2026-11-27T10:00:00Z')
    assert run['started_at'] == '2026-11-27T10:00:00Z' and run['stop'] is False
    assert run['failed'] == [] and run['msi'] == [] and run['ensure_ok'] is False


def test_linux_product_from_its_registered_tasks():
    run = rr.update(rr.start(), 'linux_product', KESL, units=REG['units'], packages=[REG['apt'], REG['dnf_skipped']],
                    modules=REG['modules'], paths=REG['paths'], groups=REG['groups'])
    assert run['changed_banned'] is True
    assert run['reboot_required'] is True      # kav4fs_oas stays loaded
    line = run['actions'][0]
    assert line.startswith('kaspersky.kesl: stopped and disabled kesl.service; apt-get purge kesl')
    assert 'kesl-supervisor.service' not in line.split(';')[0]   # it was already stopped
    assert 'unloaded redirfs' in line and 'still loaded until reboot: kav4fs_oas' in line
    assert 'deleted /var/opt/kaspersky/kesl' in line and '/etc/opt/kaspersky/kesl' not in line
    assert 'deleted groups kesladmin' in line


def test_a_product_with_nothing_left_and_skipped_tasks():
    run = rr.update(rr.start(), 'linux_product', KESL, units=REG['loop_skipped'], packages=[REG['dnf_skipped']],
                    modules=REG['loop_skipped'], paths=REG['loop_skipped'], groups=None)
    assert run['actions'] == ['kaspersky.kesl: nothing left to do'] and run['changed_banned'] is False


def test_the_given_record_is_never_changed():
    before = rr.start()
    frozen = json.dumps(before, sort_keys=True)
    rr.update(before, 'linux_product', KESL, packages=[REG['apt']])
    rr.update(before, 'failure', 'kaspersky.kesl', 'apt', {'msg': 'x'})
    assert json.dumps(before, sort_keys=True) == frozen


@pytest.mark.parametrize('case,result,stops,removed', [
    ('uninstalled', 'removed', False, True),
    ('uninstalled_reboot_3010', 'removed', False, True),
    ('not_installed_for_machine', 'absent', False, False),
    ('fatal_1603', 'blocked', True, False),
    ('busy_1618', 'retry', True, False),
    ('crashed_before_msiexec', 'blocked', True, False),
])
def test_msi_step_from_its_last_attempt(case, result, stops, removed):
    outcome = msi.attempt_result(WIN[case], STEP)
    run = rr.update(rr.start(), 'msi_step', STEP, outcome, attempts=4)
    assert run['msi'][0]['result'] == result and run['stop'] is stops and run['changed_banned'] is removed
    assert bool(run['failed']) is stops
    if case == 'busy_1618':
        assert 'after 4 attempt(s)' in run['failed'][0]['msg']


def test_a_failing_security_center_clean_up_is_only_a_warning():
    run = rr.update(rr.start(), 'security_center', REG['security_center_failed'])
    assert run['stop'] is False and run['failed'] == [] and 'Access denied' in run['warnings'][0]
    run = rr.update(rr.start(), 'security_center', REG['security_center_ok'])
    assert run['actions'] == ['removed stale Security Center entries: Kaspersky Endpoint Security for Windows']


def test_a_failure_stops_and_a_secret_step_keeps_its_message_to_itself():
    run = rr.update(rr.start(), 'failure', 'kaspersky.kes_windows', 'Build the properties',
                    {'msg': 'KLPASSWD="Canary" rejected'}, secret=True)
    assert run['stop'] is True and 'Canary' not in json.dumps(run)
    run = rr.update(rr.start(), 'failure', 'kaspersky.kesl', 'Purge', {'msg': 'x' * 5000})
    assert len(run['failed'][0]['msg']) == rr.MSG_LIMIT


@pytest.mark.parametrize('health,ok,deferred', [
    ({'product': 'defender', 'healthy': True, 'active': False}, True, False),
    ({'product': 'defender', 'healthy': False, 'reasons': ['AMRunningMode=Not running']}, False, False),
    ({'product': 'defender', 'healthy': False, 'deferred': True, 'deferred_ready': True}, True, True),
    ({'product': 'defender', 'healthy': False, 'deferred': True, 'deferred_ready': False,
      'reasons': ['needs a reboot']}, False, False),
])
def test_the_ensure_phase_accepts_a_healthy_or_a_ready_deferred_replacement(health, ok, deferred):
    run = rr.update(rr.start(), 'replacement', 'ensure', health)
    assert run['ensure_ok'] is ok and run['deferred'] is deferred
    assert bool(run['ensure_reasons']) is (not ok)


def test_reboot_and_blocked_records():
    assert rr.update(rr.start(), 'reboot', True, REG['reboot_ok'])['rebooted'] is True
    failed = rr.update(rr.start(), 'reboot', True, REG['reboot_failed'])
    assert failed['rebooted'] is False and 'Timed out' in failed['warnings'][0]
    assert rr.update(rr.start(), 'reboot', False)['actions'] == ['reboot needed, not done: banned_av_reboot_allowed is false']
    run = rr.update(rr.start(), 'blocked', ['encrypted'], ['KSC'])
    assert run['stop'] and run['blocked'] == ['encrypted'] and run['warnings'] == ['KSC']


def test_an_unknown_event_names_the_known_ones():
    with pytest.raises(ValueError, match='linux_product'):
        rr.update(rr.start(), 'nonsense')
