# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The remediate and alternative_av roles on Windows, run for real by ansible-playbook on the
controller, with stand-ins for the host: ansible.windows (win_package, win_powershell,
win_regedit, win_feature, win_reboot, win_wait_for, setup) and fleetsec.banned_av.av_facts
answer with recorded outputs (tests/unit/fixtures/remediation/*.json, tests/unit/fixtures/windows/*.json).

No Windows host is reachable from CI. Each scenario is a queue of recorded answers per module
(per script marker for win_powershell, per ProductCode for win_package); every call is logged
with its arguments and its become settings, and the tests read the order of the calls, the
record the role sets (banned_av_remediation) and the -vvv output.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from ansible_collections.fleetsec.banned_av.plugins.action.av_facts import build_facts
from ansible_collections.fleetsec.banned_av.plugins.module_utils import catalog as catalog_mod
from ansible_collections.fleetsec.banned_av.plugins.module_utils import msi
from ansible_collections.fleetsec.banned_av.tests.unit.conftest import fixture_json

COLLECTION = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))
KES_PASSWORD = 'Kes-Canary 0c7e'
AGENT_PASSWORD = 'P@ss'
KES11 = '{305A9EC9-294E-4555-A7C5-E1C767E01C11}'
AGENT11 = '{0F05E4E5-5A89-482C-9A62-47CC58643788}'
KSWS = '{00000000-5357-4B4C-8000-000000000011}'
STATES = fixture_json('remediation', 'defender_states.json')
EICAR = fixture_json('remediation', 'defender_eicar.json')
CHECKS = fixture_json('remediation', 'windows_checks.json')
REGISTERED = fixture_json('remediation', 'registered_results.json')

STUB = '''
import json, os
from ansible.plugins.action import ActionBase
NAME = %(name)r


def key_of(args):
    if NAME == 'win_powershell':
        marks = [l.strip()[12:] for l in (args.get('script') or '').splitlines() if l.strip().startswith('# fleetsec: ')]
        return 'win_powershell:' + (marks[0] if marks else '?')
    if NAME == 'win_package':
        return 'win_package:' + str(args.get('product_id'))
    return NAME


class ActionModule(ActionBase):
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        args = dict(self._task.args)
        key = key_of(args)
        calls = os.environ['FLEETSEC_STUB_CALLS']
        seen = 0
        if os.path.exists(calls):
            with open(calls) as handle:
                seen = sum(1 for line in handle if json.loads(line)['key'] == key)
        with open(os.environ['FLEETSEC_STUB_SCENARIO']) as handle:
            scenario = json.load(handle)
        queue = scenario.get(key) or scenario.get(NAME) or [{}]
        answer = queue[min(seen, len(queue) - 1)]
        args.pop('script', None)
        with open(calls, 'a') as handle:
            handle.write(json.dumps({'key': key, 'args': args, 'become': self._task.become,
                                     'become_user': self._task.become_user, 'become_method': self._task.become_method,
                                     'no_log': self._task.no_log}, default=str) + '\\n')
        result.update(json.loads(json.dumps(answer)))
        return result
'''


def facts_of(name, **changes):
    inventory = fixture_json('windows', name + '.json')['inventory']
    inventory.update(changes)
    return build_facts(inventory, catalog_mod.load(), '2026-11-27T00:00:00Z')


def ps(output):
    """A win_powershell result with one output object."""
    return {'changed': False, 'output': [output], 'error': [], 'host_out': '', 'host_err': '', 'result': {}}


def defender_state(*names):
    return [ps(STATES[name]) for name in names]


@pytest.fixture(scope='module')
def harness(tmp_path_factory):
    if not shutil.which('ansible-playbook'):
        pytest.skip('ansible-playbook is not installed')
    root = tmp_path_factory.mktemp('windows_flow')
    stub = root / 'ansible_collections' / 'ansible' / 'windows'
    (stub / 'plugins' / 'action').mkdir(parents=True)
    (stub / 'plugins' / 'modules').mkdir(parents=True)
    (stub / 'meta').mkdir()
    (stub / 'meta' / 'runtime.yml').write_text('requires_ansible: ">=2.15"\n')
    (stub / 'galaxy.yml').write_text('namespace: ansible\nname: windows\nversion: 0.0.1\n')
    for name in ('win_package', 'win_wait_for', 'win_powershell', 'win_regedit', 'win_feature', 'win_reboot', 'setup'):
        (stub / 'plugins' / 'action' / (name + '.py')).write_text(STUB % {'name': name})
        (stub / 'plugins' / 'modules' / (name + '.py')).write_text('#!/usr/bin/python\n')
    # this collection, with a stand-in for the detection only
    ours = root / 'ansible_collections' / 'fleetsec' / 'banned_av'
    for part in ('plugins', 'roles', 'meta', 'catalog'):
        shutil.copytree(os.path.join(COLLECTION, part), str(ours / part), ignore=shutil.ignore_patterns('__pycache__', 'molecule'))
    shutil.copy(os.path.join(COLLECTION, 'galaxy.yml'), str(ours / 'galaxy.yml'))
    (ours / 'plugins' / 'action' / 'av_facts.py').write_text(STUB % {'name': 'av_facts'})
    (root / 'play.yml').write_text(textwrap.dedent('''\
        - hosts: win1
          gather_facts: false
          tasks:
            - name: Remediate, as the enforce playbook includes it (become applied to the whole role)
              ansible.builtin.include_role:
                name: fleetsec.banned_av.remediate
                apply:
                  become: true
            - name: Result
              ansible.builtin.copy:
                content: "{{ banned_av_remediation | to_json }}"
                dest: "{{ result_file }}"
                mode: "0600"
              delegate_to: localhost
              become: false
        '''))
    return root


def run_flow(harness, scenario, shell_type='powershell', **extra_vars):
    calls = harness / 'calls.jsonl'
    if calls.exists():
        calls.unlink()
    (harness / 'scenario.json').write_text(json.dumps(scenario))
    variables = {
        'result_file': str(harness / 'result.json'),
        'remediate_replacement': 'defender',
        'remediate_kes_login': '',
        'remediate_uninstall_password': KES_PASSWORD,
        'remediate_network_agent_password': AGENT_PASSWORD,
        'remediate_windows_become': False,
        'remediate_reboot_allowed': True,
        'remediate_as_of': '2026-11-27',
        'remediate_msi_retry_delay': 0,
        'alternative_av_start_timeout': 0,
    }
    variables.update(extra_vars)
    (harness / 'vars.json').write_text(json.dumps(variables))
    (harness / 'inventory.ini').write_text('win1 ansible_connection=local ansible_shell_type=%s '
                                           'ansible_python_interpreter=%s\n' % (shell_type, sys.executable))
    env = dict(os.environ, FLEETSEC_STUB_CALLS=str(calls), FLEETSEC_STUB_SCENARIO=str(harness / 'scenario.json'),
               ANSIBLE_NOCOLOR='1', ANSIBLE_COLLECTIONS_PATH=str(harness), ANSIBLE_LOCALHOST_WARNING='0')
    proc = subprocess.run(['ansible-playbook', '-vvv', '-i', str(harness / 'inventory.ini'), '-e', '@' + str(harness / 'vars.json'),
                           str(harness / 'play.yml')], env=env, capture_output=True, text=True, timeout=600, check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-6000:]
    record = json.loads((harness / 'result.json').read_text())
    sent = [json.loads(line) for line in calls.read_text().splitlines()] if calls.exists() else []
    return record, sent, output


def keys(sent, prefix):
    return [c for c in sent if c['key'].startswith(prefix)]


def first(sent, key):
    return [i for i, c in enumerate(sent) if c['key'].startswith(key)][0]


# ----------------------------------------------------------------------------- a client with KES 11

def kes11_client_scenario(**changes):
    scenario = {
        'av_facts': [{'ansible_facts': {'banned_av': facts_of('kes11')}},
                     {'ansible_facts': {'banned_av': facts_of('defender_only', class_filters=CHECKS['class_filters_after_clean'])}}],
        'setup': [{'ansible_facts': {'os_family': 'Windows', 'os_installation_type': 'Client'}}],
        'win_powershell:alternative_av defender state': defender_state(
            'kes11_client', 'kes11_client', 'kes11_client', 'defender_only_normal', 'defender_only_normal', 'defender_only_normal'),
        'win_powershell:alternative_av defender signatures': [ps('1.421.2191.0')],
        'win_powershell:alternative_av defender eicar': [ps(EICAR['detected_by_defender'])],
        'win_powershell:remediate windows preflight': [ps(dict(CHECKS['preflight_kes12_clear'],
                                                               ksc=CHECKS['preflight_kes12_encrypted_managed']['ksc']))],
        'win_powershell:remediate msi log scrub': [ps({'present': True, 'scrubbed': 3, 'removed': False})],
        'win_powershell:remediate security center': [REGISTERED['security_center_failed']],
        'win_package:' + KES11: [fixture_json('remediation', 'win_package_results.json')['busy_1618'],
                                 fixture_json('remediation', 'win_package_results.json')['uninstalled_reboot_3010']],
        'win_package:' + AGENT11: [fixture_json('remediation', 'win_package_results.json')['uninstalled']],
        'win_reboot': [REGISTERED['reboot_ok']],
    }
    scenario.update(changes)
    return scenario


@pytest.fixture(scope='module')
def client_run(harness):
    return run_flow(harness, kes11_client_scenario())


def test_a_client_is_remediated_through_every_phase(client_run):
    record, sent, _output = client_run
    assert record['outcome'] == 'remediated', record['reasons']
    assert record['rebooted'] is True and record['replacement'] == 'defender'
    assert any(a.startswith('ensure: replacement defender healthy, not active') for a in record['actions'])
    assert any(a.startswith('finalize: replacement defender healthy, active') for a in record['actions'])


def test_kes_goes_before_the_network_agent_through_msiexec_only(client_run):
    _record, sent, _output = client_run
    packages = keys(sent, 'win_package:')
    assert [c['args']['product_id'] for c in packages] == [KES11, KES11, AGENT11]      # 1618, then 3010
    for call in packages:
        assert call['args']['provider'] == 'msi' and call['args']['state'] == 'absent'
        assert call['become_user'] == 'SYSTEM' and call['become_method'] == 'ansible.builtin.runas' and call['no_log']
        assert call['args']['expected_return_code'] == msi.EXPECTED_RETURN_CODES
    assert packages[0]['args']['arguments'] == 'KLLOGIN="KLAdmin" KLPASSWD="%s"' % KES_PASSWORD
    assert packages[-1]['args']['arguments'] == 'KLUNINSTPASSWD=5000400073007300'


def test_the_replacement_is_ensured_before_and_finalized_after_the_removal(client_run):
    _record, sent, _output = client_run
    assert first(sent, 'win_powershell:alternative_av defender state') < first(sent, 'win_package:')
    assert first(sent, 'win_package:') < first(sent, 'win_reboot') < first(sent, 'win_powershell:alternative_av defender eicar')
    # no feature and no passive mode on a client; signatures only once Defender runs (after the removal)
    assert keys(sent, 'win_feature') == [] and keys(sent, 'win_regedit') == []
    assert first(sent, 'win_powershell:alternative_av defender signatures') > first(sent, 'win_package:')


def test_a_failing_security_center_clean_up_skips_nothing(client_run):
    record, sent, _output = client_run
    assert keys(sent, 'win_powershell:remediate security center')
    assert any(r.startswith('warning: removing stale Security Center entries failed') for r in record['reasons'])
    assert keys(sent, 'win_reboot') and record['rebooted']


def test_the_msi_logs_of_credential_steps_are_scrubbed(client_run):
    record, sent, _output = client_run
    scrubs = keys(sent, 'win_powershell:remediate msi log scrub')
    assert [c['args']['parameters']['Path'] for c in scrubs] == [
        'C:\\Windows\\Temp\\banned_av_kaspersky_kes_windows_305A9EC9-294E-4555-A7C5-E1C767E01C11.log',
        'C:\\Windows\\Temp\\banned_av_kaspersky_network_agent_0F05E4E5-5A89-482C-9A62-47CC58643788.log']
    assert scrubs[0]['args']['parameters']['Patterns'] == [{'pattern': p, 'replacement': r} for p, r in msi.LOG_SCRUB]
    assert any('removed the credential properties from the MSI log' in a for a in record['actions'])


def test_the_host_managed_by_ksc_is_warned_about(client_run):
    record, _sent, _output = client_run
    assert any('ksc01.corp.example' in r and r.startswith('warning: managed by Kaspersky Security Center') for r in record['reasons'])


def test_no_task_becomes_on_windows_but_msiexec_as_system(client_run):
    """The play applies become: true to the role (as the enforce playbook does for SSH hosts): on a
    Windows target the role turns it off for every task but the msiexec one, which runs as SYSTEM
    through runas when remediate_windows_become is true (false here)."""
    _record, sent, _output = client_run
    assert sent and all(c['become'] is False for c in sent), [c['key'] for c in sent if c['become'] is not False]


def test_the_recorded_become_is_real_a_posix_shell_keeps_the_plays(harness):
    """The same play against a host Ansible reaches through a POSIX shell: the role leaves become
    to the play (applied: true), which the stand-ins see."""
    scenario = kes11_client_scenario(av_facts=[{'ansible_facts': {'banned_av': facts_of('defender_only')}}])
    _record, sent, _output = run_flow(harness, scenario, shell_type='sh')
    assert [c['become'] for c in sent if c['key'] == 'av_facts'] == [True]


def test_no_secret_in_the_output_or_the_record(client_run):
    record, _sent, output = client_run
    for secret in (KES_PASSWORD, '5000400073007300', 'Kes-Canary'):
        assert secret not in output and secret not in json.dumps(record)


# ----------------------------------------------------------------------------- failures

def test_1603_stops_before_the_network_agent_and_the_host_stays_protected_by_kes(harness):
    results = fixture_json('remediation', 'win_package_results.json')
    scenario = kes11_client_scenario(**{
        'win_package:' + KES11: [results['fatal_1603']],
        'av_facts': [{'ansible_facts': {'banned_av': facts_of('kes11')}}],
        'win_powershell:alternative_av defender state': defender_state('kes11_client'),
    })
    record, sent, output = run_flow(harness, scenario)
    assert [c['args']['product_id'] for c in keys(sent, 'win_package:')] == [KES11]
    assert record['outcome'] == 'blocked', record['reasons']
    assert any('1603' in r and 'password' in r for r in record['reasons'])
    # finalize ran beside KES (Defender left off), and no EICAR was written next to KES
    assert any(a.startswith('finalize:') for a in record['actions'])
    assert keys(sent, 'win_powershell:alternative_av defender eicar') == []
    assert KES_PASSWORD not in output


def test_encrypted_data_blocks_the_removal_before_any_msiexec(harness):
    scenario = kes11_client_scenario(**{
        'win_powershell:remediate windows preflight': [ps(CHECKS['preflight_kes12_encrypted_managed'])],
        'av_facts': [{'ansible_facts': {'banned_av': facts_of('kes11')}}],
        'win_powershell:alternative_av defender state': defender_state('kes11_client'),
    })
    record, sent, _output = run_flow(harness, scenario)
    assert keys(sent, 'win_package:') == []
    assert record['outcome'] == 'blocked' and 'GetEncryptionState' in record['reasons'][0]
    acknowledged, sent, _output = run_flow(harness, kes11_client_scenario(**{
        'win_powershell:remediate windows preflight': [ps(CHECKS['preflight_kes12_encrypted_managed'])]}),
        remediate_encryption_acknowledged=True)
    assert keys(sent, 'win_package:') and acknowledged['outcome'] == 'remediated'
    assert any('removed anyway' in r for r in acknowledged['reasons'])


def test_a_per_user_product_is_not_sent_to_msiexec(harness):
    inventory = fixture_json('windows', 'consumer21.json')['inventory']
    before = facts_of('consumer21')
    after = facts_of('consumer21', uninstall=[u for u in inventory['uninstall'] if u['hive'] != 'HKLM'],
                     services=[s for s in inventory['services'] if not s['name'].startswith('AVP')], processes=[],
                     security_center=[])
    total = '{00000000-4B54-5332-8000-000000000212}'
    scenario = kes11_client_scenario(**{
        'av_facts': [{'ansible_facts': {'banned_av': before}}, {'ansible_facts': {'banned_av': after}}],
        'win_package:' + total: [fixture_json('remediation', 'win_package_results.json')['uninstalled']],
        'win_powershell:remediate windows preflight': [ps({'encryption': [], 'ksc': []})],
    })
    record, sent, _output = run_flow(harness, scenario, remediate_force=True)
    assert [c['args']['product_id'] for c in keys(sent, 'win_package:')] == [total]
    assert record['outcome'] in ('degraded', 'reboot_pending', 'blocked'), record['reasons']
    assert any(r.startswith('kaspersky.addons needs manual removal') and 'per user' in r for r in record['reasons'])


def test_a_product_ksc_installs_again_is_caught_by_the_recheck(harness):
    clean = {'ansible_facts': {'banned_av': facts_of('defender_only', class_filters=CHECKS['class_filters_after_clean'])}}
    scenario = kes11_client_scenario(av_facts=[{'ansible_facts': {'banned_av': facts_of('kes11')}}, clean,
                                               {'ansible_facts': {'banned_av': facts_of('kes11')}}])
    record, sent, _output = run_flow(harness, scenario, remediate_recheck_delay=1)
    assert [c['key'] for c in sent].count('av_facts') == 3
    assert record['outcome'] == 'degraded'
    assert any('installed again within 1 s' in r for r in record['reasons'])


# ----------------------------------------------------------------------------- servers

def ksws_facts(name='ksws'):
    return {'ansible_facts': {'banned_av': facts_of(name)}}


def server_after():
    return {'ansible_facts': {'banned_av': facts_of('defender_only', class_filters=CHECKS['class_filters_after_clean'])}}


def server_normal():
    raw = dict(STATES['ksws_server_2019'], feature={'name': 'Windows-Defender', 'install_state': 'Installed'},
               service={'exists': True, 'status': 'Running', 'start_type': 'Automatic'},
               status=STATES['defender_only_normal']['status'])
    return ps(raw)


def server_scenario(ensure_state, **changes):
    results = fixture_json('remediation', 'win_package_results.json')
    scenario = {
        'av_facts': [ksws_facts(), server_after()],
        'setup': [{'ansible_facts': {'os_family': 'Windows', 'os_installation_type': 'Server'}}],
        'win_powershell:alternative_av defender state': ensure_state,
        'win_powershell:alternative_av defender signatures': [ps('1.421.2191.0')],
        'win_powershell:alternative_av defender eicar': [ps(EICAR['detected_by_defender'])],
        'win_powershell:remediate windows preflight': [ps({'encryption': [], 'ksc': []})],
        'win_powershell:remediate msi log scrub': [ps({'present': True, 'scrubbed': 2, 'removed': False})],
        'win_package': [results['uninstalled']],
        'win_feature': [{'changed': True, 'success': True, 'exitcode': 'SuccessRestartRequired', 'reboot_required': True,
                         'feature_result': []}],
        'win_regedit': [{'changed': True}],
        'win_reboot': [REGISTERED['reboot_ok']],
    }
    scenario.update(changes)
    return scenario


def test_a_server_not_onboarded_gets_defender_only_after_ksws_is_gone(harness):
    states = defender_state('ksws_server_2019', 'ksws_server_2019') + [server_normal()] * 3
    record, sent, _output = run_flow(harness, server_scenario(states))
    assert record['outcome'] == 'remediated', record['reasons']
    assert any('deployed after the removal' in a for a in record['actions'])
    assert first(sent, 'win_package:') < first(sent, 'win_feature')
    assert keys(sent, 'win_regedit') == []          # no passive mode: not supported without onboarding


def test_a_server_not_onboarded_without_reboot_permission_is_blocked_untouched(harness):
    record, sent, _output = run_flow(harness, server_scenario(defender_state('ksws_server_2019')), remediate_reboot_allowed=False)
    assert record['outcome'] == 'blocked' and any('reboot' in r for r in record['reasons'])
    assert keys(sent, 'win_package:') == [] and keys(sent, 'win_feature') == []


def test_an_onboarded_server_is_made_passive_before_the_feature_is_installed(harness):
    passive = dict(STATES['ksws_server_2019_onboarded'], feature={'name': 'Windows-Defender', 'install_state': 'Installed'},
                   service={'exists': True, 'status': 'Running', 'start_type': 'Automatic'},
                   status=STATES['kes12_client_onboarded']['status'],
                   policy=[{'path': 'HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows Advanced Threat Protection',
                            'name': 'ForceDefenderPassiveMode', 'data': 1}])
    states = defender_state('ksws_server_2019_onboarded') + [ps(passive)] * 3 + [server_normal()] * 3
    record, sent, _output = run_flow(harness, server_scenario(states))
    regedits = keys(sent, 'win_regedit')
    assert regedits[0]['args']['name'] == 'ForceDefenderPassiveMode' and regedits[0]['args']['state'] == 'present'
    assert first(sent, 'win_regedit') < first(sent, 'win_feature') < first(sent, 'win_package:')
    clear = [c for c in regedits if c['args']['state'] == 'absent']
    assert clear and sent.index(clear[0]) > first(sent, 'win_package:')
    assert record['outcome'] == 'remediated', record['reasons']


def test_a_defender_policy_set_by_group_policy_blocks_and_is_never_deleted(harness):
    record, sent, _output = run_flow(harness, server_scenario(defender_state('domain_server_gpo_disabled')))
    assert record['outcome'] == 'blocked'
    assert any('DisableAntiSpyware' in r and 'Servers - Third-party AV' in r for r in record['reasons'])
    assert keys(sent, 'win_regedit') == [] and keys(sent, 'win_package:') == [] and keys(sent, 'win_feature') == []


def test_server_2012_r2_is_blocked_with_what_to_do(harness):
    record, sent, _output = run_flow(harness, server_scenario(defender_state('server_2012r2')))
    assert record['outcome'] == 'blocked' and any('md4ws.msi' in r for r in record['reasons'])
    assert keys(sent, 'win_feature') == [] and keys(sent, 'win_package:') == []
