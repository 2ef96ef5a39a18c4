# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The enforce rows of the exit-status table (docs/playbooks.md), on the three containers after the
converge run (kesl remediated, waived left alone, broken blocked), each with --limit one host.

The converge run itself is the "remediated and waived pass" row: it runs the verdict with
banned_av_fail_on_violation true and exits 0 (molecule fails the scenario otherwise). The runs
here use the default banned_av_fail_on (every failing status) and the same inputs as converge.
They run after tests/test_enforce.py (pytest takes files in name order), which checks the state
the converge run left."""
import json
import os
import subprocess

import pytest

from conftest import EPHEMERAL, PROJECT

INPUTS = {
    'banned_av_replacement': 'clamav',
    'banned_av_become': False,
    'banned_av_remediation_fail_on': [],
    'banned_av_waivers': [{'id': 'LAB-42', 'hosts': ['banned-av-enforce-waived'], 'expires': '2099-12-31',
                           'owner': 'lab-team', 'ticket': 'CHG-4242', 'reason': 'isolated malware-analysis lab'}],
}


def enforce(name, limit, check, **more):
    """ansible-playbook fleetsec.banned_av.enforce --limit LIMIT [--check] against the containers."""
    inventory = os.environ.get('MOLECULE_INVENTORY_FILE') or os.path.join(EPHEMERAL, 'inventory')
    report_dir = os.path.join(EPHEMERAL, 'reports-exit-' + name)
    variables = dict(INPUTS, banned_av_report_dir=report_dir, banned_av_clamav_database_files=[
        os.path.join(EPHEMERAL, 'eicar-site.hdb')])
    variables.update(more)
    argv = ['ansible-playbook', '-i', inventory, 'fleetsec.banned_av.enforce', '--limit', limit, '-e', json.dumps(variables)]
    if check:
        argv.append('--check')
    env = dict(os.environ, ANSIBLE_PIPELINING='true', ANSIBLE_NOCOLOR='1',
               ANSIBLE_CONNECTION_PLUGINS=os.path.join(PROJECT, 'molecule', 'shared', 'connection_plugins'))
    env.pop('ANSIBLE_LOG_PATH', None)
    proc = subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=1800, check=False)
    with open(os.path.join(report_dir, 'banned_av_report.json'), encoding='utf-8') as handle:
        report = json.load(handle)
    return proc.returncode, proc.stdout.decode('utf-8', 'replace'), dict((h['name'], h['status']) for h in report['hosts'])


ROWS = [
    # enforce --check --limit <banned host> must not be green (issue 12): the broken host still has KESL
    ('check-violation', 'banned-av-enforce-broken', True, 2, 'noncompliant'),
    ('check-waived', 'banned-av-enforce-waived', True, 0, 'waived'),
    ('check-remediated-earlier', 'banned-av-enforce-kesl', True, 0, 'compliant'),
    # a real run that ends blocked: the replacement cannot be installed, KESL stays, the run fails
    ('blocked', 'banned-av-enforce-broken', False, 2, 'blocked'),
]


@pytest.mark.parametrize('name,limit,check,rc,status', ROWS, ids=[r[0] for r in ROWS])
def test_enforce_exit_status(name, limit, check, rc, status):
    code, out, statuses = enforce(name, limit, check)
    assert statuses == {limit: status}, out[-4000:]
    assert code == rc, out[-4000:]
    if rc:
        assert 'with a status in' in out and limit in out.split('with a status in', 1)[1], out[-4000:]


def test_become_failure_is_said_plainly():
    """Issue 12: enforce with become against a container without sudo (Molecule connects as root through
    podman, whose user Ansible does not know, so it does become) failed with "Module result
    deserialization failed: No start of json char found"."""
    code, out, statuses = enforce('no-sudo', 'banned-av-enforce-broken', True, banned_av_become=True)
    assert code == 2, out[-4000:]
    assert statuses == {'banned-av-enforce-broken': 'noncompliant'}
    # the host's one failure is the one that says become failed and how to fix it (the raw error may follow)
    failed = [line for line in out.splitlines() if line.startswith('fatal: [banned-av-enforce-broken]')]
    assert len(failed) == 1, out[-4000:]
    assert 'become failed' in failed[0] and 'banned_av_become: false' in failed[0], failed[0]
    assert 'deserialization' not in failed[0].split('become failed', 1)[0], failed[0]
    assert 'TASK [fleetsec.banned_av.remediate' not in out, 'the remediate role ran although become does not work'
