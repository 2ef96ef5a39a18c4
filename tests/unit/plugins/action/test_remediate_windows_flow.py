# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Windows removal tasks of roles/remediate, run for real by ansible-playbook on the
controller, with stand-ins for ansible.windows.win_package / win_wait_for / win_powershell.

No Windows host is reachable from CI. This drives the task files with a plan built by
module_utils/remediation.py and checks what the role would send to msiexec (order, ProductCode,
credential properties from the remediation_plan ``arguments`` stage, no_log, SYSTEM) and what it
records for the exit codes 0, 3010, 1618 (retried) and 1603 (stop before the Network Agent).
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from ansible_collections.fleetsec.banned_av.plugins.module_utils import catalog as catalog_mod
from ansible_collections.fleetsec.banned_av.plugins.module_utils import matcher
from ansible_collections.fleetsec.banned_av.plugins.module_utils import policy
from ansible_collections.fleetsec.banned_av.plugins.module_utils import remediation as rem

COLLECTION = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))
ROLE = os.path.join(COLLECTION, 'roles', 'remediate')
KES = '{9A017278-F7F4-4DF9-A482-0B97B70DD7ED}'
AGENT = '{BCF4CF24-88AB-45E1-A6E6-40C8278A70C5}'
KES_PASSWORD = 'Kes-Canary-0c7e'
AGENT_PASSWORD = 'P@ss'

STUB_PACKAGE = '''
import json, os
from ansible.plugins.action import ActionBase
class ActionModule(ActionBase):
    _requires_connection = False
    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        calls = os.environ['FLEETSEC_STUB_CALLS']
        product = self._task.args['product_id']
        seen = sum(1 for line in open(calls) if json.loads(line)['product_id'] == product) if os.path.exists(calls) else 0
        codes = json.loads(os.environ['FLEETSEC_STUB_CODES']).get(product, [0])
        rc = codes[min(seen, len(codes) - 1)]
        with open(calls, 'a') as handle:
            handle.write(json.dumps({'product_id': product, 'arguments': self._task.args.get('arguments'),
                                     'log_path': self._task.args.get('log_path'), 'become_user': self._task.become_user,
                                     'no_log': self._task.no_log, 'state': self._task.args.get('state')}) + '\\n')
        result.update(rc=rc, changed=rc in (0, 1641, 3010), reboot_required=rc == 3010)
        return result
'''
STUB_OTHER = '''
from ansible.plugins.action import ActionBase
class ActionModule(ActionBase):
    _requires_connection = False
    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        result.update(changed=True, output=['Kaspersky Endpoint Security for Windows'])
        return result
'''


def windows_plan():
    catalog = catalog_mod.load()
    inventory = {
        'platform': 'windows', 'os': {'family': 'windows', 'installation_type': 'Client'},
        'uninstall': [
            {'hive': 'HKLM', 'view': '32', 'key': AGENT, 'display_name': 'Kaspersky Security Center Network Agent',
             'display_version': '14.2.0.26967', 'publisher': 'AO Kaspersky Lab'},
            {'hive': 'HKLM', 'view': '32', 'key': KES, 'display_name': 'Kaspersky Endpoint Security for Windows',
             'display_version': '12.1.0.506', 'publisher': 'AO Kaspersky Lab'}],
        'services': [{'name': 'klif', 'kind': 'driver', 'state': 'running', 'start': 'boot'}],
        'security_center': [{'display_name': 'Kaspersky Endpoint Security for Windows', 'product_state': 266240}],
    }
    found = matcher.match(inventory, catalog)
    facts = {'platform': 'windows', 'os': inventory['os'], 'findings': found['findings'], 'protection': found['protection'], 'errors': []}
    record = policy.evaluate_host('win1', facts, policy.load_policies()[1], [], datetime.date(2026, 11, 27))
    return rem.build_plan(facts, record, {
        'host': 'win1', 'msi_retry_delay': 1, 'vendor_roots': rem.vendor_roots(catalog.entries, 'windows'),
        'credentials': {'kes_password': 'supplied', 'network_agent_password': 'supplied'}})


@pytest.fixture(scope='module')
def harness(tmp_path_factory):
    if not shutil.which('ansible-playbook'):
        pytest.skip('ansible-playbook is not installed')
    root = tmp_path_factory.mktemp('stub')
    stub = root / 'ansible_collections' / 'ansible' / 'windows'
    (stub / 'plugins' / 'action').mkdir(parents=True)
    (stub / 'plugins' / 'modules').mkdir(parents=True)
    (stub / 'meta').mkdir()
    (stub / 'meta' / 'runtime.yml').write_text('requires_ansible: ">=2.15"\n')
    (stub / 'galaxy.yml').write_text('namespace: ansible\nname: windows\nversion: 0.0.1\n')
    for name, code in (('win_package', STUB_PACKAGE), ('win_wait_for', STUB_OTHER), ('win_powershell', STUB_OTHER)):
        (stub / 'plugins' / 'action' / (name + '.py')).write_text(code)
        (stub / 'plugins' / 'modules' / (name + '.py')).write_text('#!/usr/bin/python\n')
    (root / 'plan.json').write_text(json.dumps(windows_plan()))
    (root / 'play.yml').write_text(textwrap.dedent('''\
        - hosts: localhost
          gather_facts: false
          vars:
            __remediate_plan: "{{ lookup('file', '%(plan)s') | from_json }}"
            remediate_kes_login: ''
            remediate_uninstall_password: %(kes)s
            remediate_network_agent_password: '%(agent)s'
            remediate_windows_become: false
            remediate_security_center_cleanup: true
          tasks:
            - name: Start
              ansible.builtin.set_fact:
                __remediate_stop: false
                __remediate_run: {ensure_ok: true, actions: [], failed: [], changed_banned: false, reboot_required: false, msi: []}
            - name: Windows removal
              ansible.builtin.include_tasks: %(role)s/tasks/remove_windows.yml
            - name: Result
              ansible.builtin.copy:
                content: "{{ __remediate_run | to_json }}"
                dest: %(out)s
                mode: "0600"
        ''' % {'plan': root / 'plan.json', 'kes': KES_PASSWORD, 'agent': AGENT_PASSWORD, 'role': ROLE, 'out': root / 'run.json'}))
    return root


def run_flow(harness, codes):
    calls = harness / 'calls.jsonl'
    if calls.exists():
        calls.unlink()
    env = dict(os.environ, FLEETSEC_STUB_CALLS=str(calls), FLEETSEC_STUB_CODES=json.dumps(codes), ANSIBLE_NOCOLOR='1',
               ANSIBLE_COLLECTIONS_PATH='%s:%s' % (harness, os.environ.get('ANSIBLE_COLLECTIONS_PATH', os.path.dirname(os.path.dirname(
                   os.path.dirname(COLLECTION))))))
    proc = subprocess.run(['ansible-playbook', '-vvv', '-i', 'localhost,', '-c', 'local', '-e', 'ansible_python_interpreter=' + sys.executable,
                           str(harness / 'play.yml')],
                          env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    run = json.loads((harness / 'run.json').read_text())
    sent = [json.loads(line) for line in calls.read_text().splitlines()] if calls.exists() else []
    return run, sent, proc.stdout + proc.stderr


def test_order_credentials_retries_and_reboot(harness):
    run, sent, output = run_flow(harness, {KES: [1618, 1618, 3010]})
    # KES retried twice (1618) then uninstalled (3010), then the Network Agent
    assert [c['product_id'] for c in sent] == [KES, KES, KES, AGENT]
    assert all(c['state'] == 'absent' and c['become_user'] == 'SYSTEM' and c['no_log'] for c in sent)
    assert sent[0]['arguments'] == 'KLLOGIN="KLAdmin" KLPASSWD="%s"' % KES_PASSWORD
    assert sent[-1]['arguments'] == 'KLUNINSTPASSWD=5000400073007300'
    assert sent[0]['log_path'].startswith('C:\\Windows\\Temp\\banned_av_kaspersky_kes_windows_')
    assert [(m['id'], m['rc']) for m in run['msi']] == [('kaspersky.kes_windows', 3010), ('kaspersky.network_agent', 0)]
    assert run['failed'] == [] and run['reboot_required'] and run['changed_banned']
    assert any('Security Center' in a for a in run['actions'])
    # -vvv output of the whole run: no password, no encoded password
    assert KES_PASSWORD not in output and '5000400073007300' not in output


def test_1603_blocks_before_the_network_agent(harness):
    run, sent, output = run_flow(harness, {KES: [1603]})
    assert [c['product_id'] for c in sent] == [KES]
    assert [(m['id'], m['rc']) for m in run['msi']] == [('kaspersky.kes_windows', 1603)]
    assert 'password' in run['failed'][0]['msg'] and '.log' in run['failed'][0]['msg']
    assert not run['changed_banned'] and run['actions'] == []
    assert KES_PASSWORD not in output
