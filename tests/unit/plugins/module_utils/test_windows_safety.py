# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Safety checks around a Windows removal (issue 14 points 11 and 12), over recorded read-outs
(tests/unit/fixtures/remediation/windows_checks.json)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.fleetsec.banned_av.plugins.module_utils import windows_safety as ws
from ansible_collections.fleetsec.banned_av.tests.unit.conftest import fixture_json

CHECKS = fixture_json('remediation', 'windows_checks.json')
KES_CHECK = {'encryption': [{'id': 'kaspersky.kes_windows', 'dirs': ['C:\\Program Files (x86)\\Kaspersky Lab\\KES.12.9.0']}]}


def test_encrypted_disks_block_the_removal_unless_acknowledged():
    verdict = ws.preflight(KES_CHECK, CHECKS['preflight_kes12_encrypted_managed'])
    assert len(verdict['blocked']) == 1 and 'GetEncryptionState' in verdict['blocked'][0]
    assert 'remediate_encryption_acknowledged' in verdict['blocked'][0]
    acknowledged = ws.preflight(KES_CHECK, CHECKS['preflight_kes12_encrypted_managed'], acknowledged=True)
    assert acknowledged['blocked'] == [] and any('removed anyway' in w for w in acknowledged['warnings'])


def test_no_encryption_lets_the_removal_go():
    assert ws.preflight(KES_CHECK, CHECKS['preflight_kes12_clear']) == {'blocked': [], 'warnings': [], 'ksc_servers': []}


@pytest.mark.parametrize('case', ['preflight_kes11_no_kescli', 'preflight_kescli_failed'])
def test_an_unknown_encryption_state_blocks_too(case):
    verdict = ws.preflight(KES_CHECK, CHECKS[case])
    assert verdict['blocked'] and 'not known' in verdict['blocked'][0]


def test_a_product_the_read_out_forgot_is_unknown_not_clear():
    assert ws.preflight(KES_CHECK, {'encryption': [], 'ksc': []})['blocked']


def test_a_managed_host_gets_a_warning_naming_its_server():
    verdict = ws.preflight({}, CHECKS['preflight_kes12_encrypted_managed'])
    assert verdict['ksc_servers'] == ['ksc01.corp.example']
    assert 'ksc01.corp.example' in verdict['warnings'][0] and 'remediate_recheck_delay' in verdict['warnings'][0]
    assert 'remediate_recheck_delay' not in ws.preflight({}, CHECKS['preflight_kes12_encrypted_managed'], recheck_delay=600)['warnings'][0]
    # an agent with no server configured is no warning
    assert ws.preflight({}, CHECKS['preflight_kes11_no_kescli'])['ksc_servers'] == []


def test_leftover_kaspersky_class_filters_are_found_with_their_path():
    drivers = ['klkbdflt', 'klkbdflt2', 'klbackupdisk', 'klmouflt']
    found = ws.leftover_filters(CHECKS['class_filters_after_leftover'], drivers)
    assert [(f['path'], f['entries']) for f in found] == [
        ('HKLM\\SYSTEM\\CurrentControlSet\\Control\\Class\\{4d36e96b-e325-11ce-bfc1-08002be10318}\\UpperFilters', ['klkbdflt2']),
        ('HKLM\\SYSTEM\\CurrentControlSet\\Control\\Class\\{4d36e967-e325-11ce-bfc1-08002be10318}\\LowerFilters', ['klbackupdisk'])]
    assert 'Keyboard devices' in ws.describe_leftovers(found)
    assert ws.leftover_filters(CHECKS['class_filters_after_clean'], drivers + ['kl*']) == []


def test_filter_names_are_matched_as_globs_without_case():
    found = ws.leftover_filters([{'class_guid': '{x}', 'name': 'Keyboard', 'upper': ['KLKBDFLT2'], 'lower': None}], ['kl*'])
    assert found and found[0]['entries'] == ['KLKBDFLT2']


def test_filter_drivers_come_from_the_catalogue(catalog):
    names = ws.filter_drivers(catalog.entries, {'kaspersky'})
    assert {'klif', 'klkbdflt2', 'klbackupdisk', 'klmouflt'} <= set(names)
    assert ws.filter_drivers(catalog.entries, {'nobody'}) == []


def test_product_folders_come_from_file_path_and_process_evidence():
    finding = {'evidence': [
        {'kind': 'file', 'path': 'C:\\Program Files (x86)\\Kaspersky Lab\\KES.12.9.0\\avp.exe'},
        {'kind': 'path', 'path': 'C:\\Program Files (x86)\\Kaspersky Lab\\KES.12.9.0\\'},
        {'kind': 'process', 'name': 'avp.exe', 'exe': None},
        {'kind': 'process', 'name': 'avpui.exe', 'exe': 'C:\\Program Files (x86)\\Kaspersky Lab\\KES.12.9.0\\avpui.exe'},
        {'kind': 'path', 'path': '/opt/kaspersky'}]}
    assert ws.encryption_dirs(finding) == ['C:\\Program Files (x86)\\Kaspersky Lab\\KES.12.9.0']
