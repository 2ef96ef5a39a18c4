# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Windows Installer removal decisions: one exit-code table, the result of a registered
win_package run (tests/unit/fixtures/remediation/win_package_results.json, shapes of
ansible.windows 3.3.0), the credential properties and the MSI log scrub."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.fleetsec.banned_av.plugins.module_utils import msi
from ansible_collections.fleetsec.banned_av.tests.unit.conftest import fixture_json

RESULTS = fixture_json('remediation', 'win_package_results.json')
LOGS = fixture_json('remediation', 'msi_logs.json')
KES_CANARY = 'Kes-Canary 0c7e'
AGENT_HEX = msi.encode_kluninstpasswd('Agent-Canary')
STEP = {'id': 'kaspersky.kes_windows', 'product_code': '{9A017278-F7F4-4DF9-A482-0B97B70DD7ED}',
        'log_path': 'C:\\Windows\\Temp\\banned_av_kaspersky_kes_windows_9A017278-F7F4-4DF9-A482-0B97B70DD7ED.log',
        'credential': 'kes'}


@pytest.mark.parametrize('rc,result,reboot', [
    (0, 'removed', False), (3010, 'removed', True), (1641, 'removed', True),
    (1605, 'absent', False), (1614, 'absent', False),
    (1618, 'retry', False),
    (1603, 'blocked', False), (1612, 'blocked', False), (1625, 'blocked', False),
    (1627, 'blocked', False), (-1, 'blocked', False), (None, 'blocked', False), ('x', 'blocked', False),
])
def test_every_exit_code_is_in_one_table(rc, result, reboot):
    out = msi.msi_result(rc, 'C:\\Windows\\Temp\\kes.log')
    assert out['result'] == result and out['reboot_required'] is reboot
    assert out['result'] in msi.RESULTS
    if result == 'blocked':
        assert 'C:\\Windows\\Temp\\kes.log' in out['reason']


def test_reasons_name_the_cause_and_the_code():
    assert 'password' in msi.msi_result(1603)['reason'] and 'self-defence' in msi.msi_result(1603)['reason']
    assert 'C:\\Windows\\Installer' in msi.msi_result(1612)['reason'] and '1612' in msi.msi_result(1612)['reason']
    assert 'already uninstalled' in msi.msi_result(1614)['reason']
    assert msi.msi_result(1627)['code_name'] is None and '1627' in msi.msi_result(1627)['reason']


def test_win_package_is_told_every_code_of_the_table():
    assert msi.EXPECTED_RETURN_CODES == sorted(msi.EXIT_CODES)
    assert {0, 1603, 1605, 1612, 1614, 1618, 1641, 3010} <= set(msi.EXPECTED_RETURN_CODES)


@pytest.mark.parametrize('case,result,reboot', [
    ('uninstalled', 'removed', False),
    ('uninstalled_reboot_3010', 'removed', True),
    ('uninstalled_reboot_1641', 'removed', True),
    ('not_installed_for_machine', 'absent', False),
    ('already_uninstalled_1614', 'absent', False),
    ('busy_1618', 'retry', False),
    ('fatal_1603', 'blocked', False),
    ('source_absent_1612', 'blocked', False),
    ('unknown_code_1627', 'blocked', False),
    ('crashed_before_msiexec', 'blocked', False),
    ('no_rc', 'blocked', False),
    ('skipped', 'blocked', False),
])
def test_the_outcome_comes_from_the_registered_result(case, result, reboot):
    out = msi.attempt_result(RESULTS[case], STEP)
    assert out['result'] == result and out['reboot_required'] is reboot


def test_a_module_failure_is_never_read_as_already_absent():
    # win_package sets rc 0 before it starts msiexec: a crash then is rc 0, not changed, failed
    out = msi.attempt_result(RESULTS['crashed_before_msiexec'], dict(STEP, credential=None))
    assert out['result'] == 'blocked' and 'before msiexec' in out['reason'] and 'QueryProductState' in out['reason']


def test_no_win_package_message_of_a_credential_step_reaches_the_reason():
    for case in RESULTS:
        if case.startswith('_'):
            continue
        text = json.dumps(msi.attempt_result(RESULTS[case], STEP))
        assert KES_CANARY not in text and 'KLPASSWD=' not in text and 'msiexec.exe' not in text, case


def test_retry_back_off():
    assert msi.retry_delays(4, 30) == [30, 60, 120]
    assert msi.retry_delays(1) == []
    assert msi.retry_delays(10, 100)[-1] == 600


def test_network_agent_password_encoding():
    assert msi.encode_kluninstpasswd('P@ss') == '5000400073007300'
    assert msi.encode_kluninstpasswd('ä') == 'E400'
    assert msi.encode_kluninstpasswd('\U0001F512') == '3DD812DD'
    with pytest.raises(ValueError):
        msi.encode_kluninstpasswd(None)


def test_secret_arguments_quote_and_encode():
    assert msi.secret_arguments('kes', None, 'pa ss"w') == 'KLLOGIN="KLAdmin" KLPASSWD="pa ss""w"'
    assert msi.secret_arguments('kes', 'admin', 'x') == 'KLLOGIN="admin" KLPASSWD="x"'
    assert msi.secret_arguments('network_agent', network_agent_password='P@ss') == 'KLUNINSTPASSWD=5000400073007300'
    assert msi.secret_arguments('kes') == ''
    assert msi.secret_arguments(None, 'a', 'b', 'c') == ''
    with pytest.raises(ValueError):
        msi.msi_property('bad name', 'x')


def test_the_log_scrub_removes_every_credential_and_keeps_the_rest():
    log = LOGS['kes_1603']
    assert KES_CANARY in log and AGENT_HEX in log
    scrubbed = msi.scrub_log_text(log)
    assert KES_CANARY not in scrubbed and AGENT_HEX not in scrubbed and 'KLAdmin' not in scrubbed
    assert 'Canary' not in scrubbed and '0c7e' not in scrubbed
    # what an administrator reads the log for stays
    for kept in ('Return value 3.', 'Removal success or error status: 1603.', 'REMOVE=ALL',
                 'Property(S): ProductCode = {9A017278-F7F4-4DF9-A482-0B97B70DD7ED}', 'CLIENTPROCESSID=5032'):
        assert kept in scrubbed
    assert msi.scrub_log_text(scrubbed) == scrubbed


@pytest.mark.parametrize('password', ['with space', "quote'd", 'dbl""quote', 'tab\there', '=leading', 'x' * 300])
def test_the_log_scrub_handles_hostile_passwords(password):
    quoted = msi.msi_property('KLPASSWD', password)
    log = ('MSI (s) (F0:C4) [10:14:03:521]: Command Line: %s REMOVE=ALL \r\n'
           "MSI (s) (F0:C4) [10:14:03:521]: PROPERTY CHANGE: Adding KLPASSWD property. Its value is '%s'.\r\n"
           'Property(S): KLPASSWD = %s\r\n' % (quoted, password, password))
    scrubbed = msi.scrub_log_text(log)
    assert password not in scrubbed
    assert all(part not in scrubbed for part in password.split() if len(part) > 3)
    assert 'REMOVE=ALL' in scrubbed


def test_the_scrub_patterns_use_only_what_dotnet_reads_alike():
    for pattern, replacement in msi.LOG_SCRUB:
        assert '(?P' not in pattern and '(?<' not in pattern and '\\Z' not in pattern
        assert '\\' not in replacement.replace('\\\\', '')
