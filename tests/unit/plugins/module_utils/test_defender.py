# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Microsoft Defender Antivirus as the replacement on Windows (issue 14 points 1, 5, 6, 7, 9):
decisions over recorded host states (tests/unit/fixtures/remediation/defender_*.json)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

import pytest

from ansible_collections.fleetsec.banned_av.plugins.module_utils import defender
from ansible_collections.fleetsec.banned_av.tests.unit.conftest import fixture_json

STATES = fixture_json('remediation', 'defender_states.json')
EICAR = fixture_json('remediation', 'defender_eicar.json')


def state(name, **changes):
    raw = copy.deepcopy(STATES[name])
    raw.update(changes)
    return raw


def healthy_after(name, other_av_present, eicar=None, **plan_options):
    raw = state(name)
    plan = defender.deploy_plan(raw, other_av_present, **plan_options)
    return defender.health(raw, plan, other_av_present, eicar=eicar), plan


# ----------------------------------------------------------------------------- clients (point 1)

@pytest.mark.parametrize('name', ['kes11_client', 'avd_multisession'])
def test_a_client_with_defender_turned_off_by_the_other_product_passes_ensure(name):
    health, plan = healthy_after(name, True)
    assert plan['blocked'] == [] and plan['install_feature'] is False and plan['set_passive'] is False
    assert health['healthy'] is True and health['active'] is False, health['reasons']
    checks = dict((c['name'], c) for c in health['checks'])
    assert checks['signatures fresh']['skipped'] is True        # 83 days old, but Defender is not running
    assert checks['EICAR test file detected by Defender']['skipped'] is True


def test_the_same_client_must_run_normal_after_the_removal():
    health, _plan = healthy_after('kes11_client', False)
    assert health['healthy'] is False
    assert any('AMRunningMode=Not running (expected Normal)' in r for r in health['reasons'])


def test_signatures_are_updated_only_while_defender_runs():
    assert defender.check_plan(STATES['kes11_client']['status'], True)['update_signatures'] is False
    assert defender.check_plan(STATES['kes12_client_onboarded']['status'], True)['update_signatures'] is True
    assert defender.check_plan(STATES['defender_only_normal']['status'], False)['update_signatures'] is True
    assert defender.check_plan(None, False)['update_signatures'] is False


def test_multi_session_is_a_client_and_gets_no_feature():
    plan = defender.deploy_plan(state('avd_multisession'), True)
    assert plan['edition'] == {'server': False, 'multi_session': True, 'build': 19043,
                               'name': 'Microsoft Windows 10 Enterprise for Virtual Desktops'}
    assert plan['install_feature'] is False


def test_a_client_without_defender_cannot_be_the_replacement():
    raw = state('kes11_client', service={'exists': False}, status=None)
    assert defender.deploy_plan(raw, True)['blocked']


# ----------------------------------------------------------------------------- servers (point 6, 9)

def test_an_onboarded_server_gets_passive_mode_before_the_feature():
    plan = defender.deploy_plan(state('ksws_server_2019_onboarded'), True, reboot_allowed=False)
    assert plan['set_passive'] is True and plan['install_feature'] is True and plan['deferred'] is False
    after = state('ksws_server_2019_onboarded', feature={'install_state': 'Installed'},
                  service={'exists': True, 'status': 'Running'}, status=STATES['kes12_client_onboarded']['status'],
                  policy=[{'path': defender.ATP_POLICY_KEY, 'name': 'ForceDefenderPassiveMode', 'data': 1}])
    health = defender.health(after, plan, True)
    assert health['healthy'] is True and health['mode'] == 'Passive Mode'
    # a second run: the value is there, nothing to set again
    assert defender.deploy_plan(after, True)['set_passive'] is False


def test_a_server_not_onboarded_gets_defender_only_after_the_removal():
    plan = defender.deploy_plan(state('ksws_server_2019'), True, reboot_allowed=True)
    assert plan['deferred'] is True and plan['deferred_ready'] is True
    assert plan['install_feature'] is False and plan['set_passive'] is False and plan['blocked'] == []
    health = defender.deferred_health(plan)
    assert health['deferred'] and health['deferred_ready'] and not health['healthy']
    # after the removal: install now, nothing passive
    after = defender.deploy_plan(state('ksws_server_2019'), False, reboot_allowed=True)
    assert after['install_feature'] is True and after['set_passive'] is False and after['deferred'] is False


def test_a_server_not_onboarded_without_reboot_permission_is_blocked_before_anything_changes():
    plan = defender.deploy_plan(state('ksws_server_2019'), True, reboot_allowed=False)
    assert plan['deferred'] is True and plan['deferred_ready'] is False
    assert any('reboot' in b for b in plan['blocked'])


def test_server_2012_r2_says_what_the_user_must_do():
    plan = defender.deploy_plan(state('server_2012r2'), True, reboot_allowed=True)
    assert plan['blocked'] and 'md4ws.msi' in plan['blocked'][0] and 'no Windows-Defender feature' in plan['blocked'][0]
    assert plan['install_feature'] is False
    # with the unified solution installed, Defender is there: no feature needed
    unified = state('server_2012r2', service={'exists': True, 'status': 'Running'},
                    status=STATES['defender_only_normal']['status'], mde={'onboarding_state': 1})
    plan = defender.deploy_plan(unified, True)
    assert plan['blocked'] == [] and plan['install_feature'] is False


def test_a_removed_feature_payload_blocks():
    raw = state('ksws_server_2019', feature={'install_state': 'Removed'})
    assert 'Removed' in defender.deploy_plan(raw, True, reboot_allowed=True)['blocked'][0]


# ----------------------------------------------------------------------------- Group Policy (point 7)

def test_a_value_group_policy_sets_is_reported_never_deleted():
    plan = defender.deploy_plan(state('domain_server_gpo_disabled'), True, reboot_allowed=True)
    assert plan['remove_policy_values'] == []
    assert not (plan['set_passive'] or plan['install_feature'] or plan['clear_passive'])   # nothing changes
    assert any('DisableAntiSpyware' in b and 'Servers - Third-party AV' in b for b in plan['blocked'])


def test_local_values_are_deleted_and_other_values_kept():
    plan = defender.deploy_plan(state('client_local_disable'), True)
    assert plan['blocked'] == []
    assert plan['remove_policy_values'] == [
        {'path': defender.POLICY_KEY, 'name': 'DisableAntiSpyware',
         'ps_path': 'HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows Defender'},
        {'path': defender.RTP_KEY, 'name': 'DisableRealtimeMonitoring',
         'ps_path': 'HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows Defender\\Real-Time Protection'}]
    assert defender.deploy_plan(state('client_local_disable'), True, clear_policy_disables=False)['blocked']


def test_a_value_whose_source_cannot_be_told_is_left_alone_and_blocks():
    plan = defender.deploy_plan(state('client_disable_rsop_unreadable'), True)
    assert plan['remove_policy_values'] == [] and 'Resultant Set of Policy' in plan['blocked'][0]


def test_passive_mode_group_policy_keeps_defender_passive_after_the_removal():
    plan = defender.deploy_plan(state('server_passive_by_gpo_after_removal'), False)
    assert plan['clear_passive'] is False and 'MDE - passive on servers' in plan['blocked'][0]
    local = state('server_passive_by_gpo_after_removal', rsop={'ok': True, 'settings': []})
    assert defender.deploy_plan(local, False)['clear_passive'] is True


def test_policy_values_match_the_rsop_key_below_its_hive_in_any_case():
    raw = state('domain_server_gpo_disabled')
    raw['rsop']['settings'][0]['registry_key'] = 'SOFTWARE\\POLICIES\\MICROSOFT\\WINDOWS DEFENDER'
    assert defender.policy_values(raw)[0]['gpo'] == 'Servers - Third-party AV'
    raw['rsop']['settings'][0]['precedence'] = 2     # a losing setting does not decide
    assert defender.policy_values(raw)[0]['gpo'] is False


# ----------------------------------------------------------------------------- EICAR (point 5)

@pytest.mark.parametrize('case,detected', [
    ('detected_by_defender', True),
    ('other_file_detected', False),
    ('quarantined_by_someone_else', False),
    ('write_blocked_no_detection', False),
    ('not_detected', False),
])
def test_eicar_counts_only_defenders_own_detection_of_the_test_file(case, detected):
    got, detail = defender.eicar_verdict(EICAR[case])
    assert got is detected, detail
    health, _plan = healthy_after('defender_only_normal', False, eicar=EICAR[case])
    assert health['healthy'] is detected and health['active'] is True


def test_eicar_runs_only_without_another_anti_virus_and_in_normal_mode():
    normal = STATES['defender_only_normal']['status']
    assert defender.check_plan(normal, False)['eicar'] is True
    assert defender.check_plan(normal, True)['eicar'] is False       # the other product would raise an alert
    assert defender.check_plan(STATES['kes12_client_onboarded']['status'], False)['eicar'] is False
    assert defender.check_plan(normal, False, eicar_test=False)['eicar'] is False


def test_a_blocked_plan_is_an_unhealthy_replacement_with_its_reasons():
    plan = defender.deploy_plan(state('domain_server_gpo_disabled'), True)
    health = defender.blocked_health(plan)
    assert health['healthy'] is False and health['status'] == 'blocked' and health['reasons'] == plan['blocked']


def test_the_role_reads_the_policy_keys_this_module_judges():
    import os
    import yaml
    path = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'roles', 'alternative_av', 'vars', 'main.yml')
    with open(path) as handle:
        keys = yaml.safe_load(handle)['__alternative_av_defender_policy_keys']
    assert tuple(keys) == defender.POLICY_KEYS
