# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run the collection's playbooks as AWX does (ansible-runner) over a fleet of offline roots.

The fleet is built from tests/support/roots.py: a clean Debian root, Debian roots with KESL 12
(one of them waived), a host whose detection fails (``banned_av_scan_root`` is not absolute),
and a host that is unreachable (SSH to a closed local port).  Every host is scanned through
``banned_av_scan_root`` with the local connection, so nothing of the machine running the tests
is read, except for the live ``localhost`` hosts some tests add on purpose.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import subprocess
import sys

import ansible_runner

from ansible_collections.fleetsec.banned_av.tests.support import roots

AS_OF = '2026-11-27'
WAIVER = {'hosts': ['waived-*'], 'products': ['kaspersky.*'], 'expires': '2099-12-31', 'owner': 'jane.doe',
          'ticket': 'SEC-4711', 'reason': 'isolated lab until hardware refresh'}
LOCAL = {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}
UNREACHABLE = {'ansible_host': '127.0.0.1', 'ansible_port': 1, 'ansible_connection': 'ssh',
               'ansible_ssh_common_args': '-o ConnectTimeout=3 -o StrictHostKeyChecking=no'}
DETECT = 'fleetsec.banned_av.av_facts'


def build_roots(base):
    """Offline roots under ``base``: clean, kesl (twice: one is waived)."""
    paths = {}
    for name, build in (('clean', roots.clean_linux_root), ('kesl', roots.kesl_linux_root),
                        ('waived', roots.kesl_linux_root)):
        paths[name] = build(os.path.join(str(base), 'roots', name))
    return paths


def image(root):
    return dict(LOCAL, banned_av_scan_root=root)


def inventory(paths, hosts=('clean-01', 'kesl-01', 'waived-01', 'broken-01', 'gone-01')):
    """An inventory of the named hosts.  Groups: ``linux`` (the offline roots), ``lab`` (the waived
    one), ``unreachable``."""
    known = {
        'clean-01': ('linux', image(paths['clean'])),
        'kesl-01': ('linux', image(paths['kesl'])),
        'waived-01': ('lab', image(paths['waived'])),
        # av_facts refuses a relative root: this run's detection fails on the host
        'broken-01': ('linux', dict(LOCAL, banned_av_scan_root='relative/root')),
        'gone-01': ('unreachable', UNREACHABLE),
    }
    children = {}
    for name in hosts:
        group, hostvars = known[name]
        children.setdefault(group, {'hosts': {}})['hosts'][name] = hostvars
    return {'all': {'children': children}}


def extravars(**more):
    out = {'banned_av_waivers': [WAIVER], 'banned_av_as_of': AS_OF}
    out.update(more)
    return out


def runner_env():
    return {'ANSIBLE_COLLECTIONS_PATH': os.environ.get('ANSIBLE_COLLECTIONS_PATH', ''),
            'ANSIBLE_HOST_KEY_CHECKING': 'False', 'ANSIBLE_RETRY_FILES_ENABLED': 'False', 'ANSIBLE_NOCOLOR': '1'}


class Run(object):
    """One playbook run: exit status, events, and the JSON report it wrote (if any)."""

    def __init__(self, result, report_dir):
        self.result = result
        self.rc = result.rc
        self.report_dir = report_dir
        self.events = list(result.events)

    def stdout(self):
        return '\n'.join(e.get('stdout') or '' for e in self.events)

    def runs_of(self, action):
        """``(host, event)`` for every host result of tasks with this action (ok, failed, unreachable)."""
        kinds = ('runner_on_ok', 'runner_on_failed', 'runner_on_unreachable')
        return [(e['event_data'].get('host'), e['event']) for e in self.events
                if e.get('event') in kinds and e['event_data'].get('task_action') == action]

    def role_tasks(self, role):
        """Host results of the tasks of a role (the remediate role: a host went through remediation)."""
        return [(e['event_data'].get('host'), e['event_data'].get('task')) for e in self.events
                if e.get('event', '').startswith('runner_on_') and e['event_data'].get('role') == role]

    def detected_hosts(self):
        return sorted(set(host for host, _event in self.runs_of(DETECT)))

    def failed_messages(self):
        return [str((e['event_data'].get('res') or {}).get('msg', '')) for e in self.events
                if e.get('event') == 'runner_on_failed' and not e['event_data'].get('ignore_errors')]

    def report(self):
        path = os.path.join(str(self.report_dir), 'banned_av_report.json')
        with open(path, 'rb') as handle:
            return json.loads(handle.read().decode('utf-8'))

    def statuses(self):
        return dict((h['name'], h['status']) for h in self.report()['hosts'])

    def host(self, name):
        return [h for h in self.report()['hosts'] if h['name'] == name][0]

    def artifacts(self):
        stats = [e for e in self.events if e.get('event') == 'playbook_on_stats']
        return (stats[-1]['event_data'].get('artifact_data') or {}) if stats else {}


def run(base, name, playbook, inventory_data, variables=None, cmdline=None, report_dir=True):
    """Run ``fleetsec.banned_av.<playbook>`` under ansible-runner in ``base/runner-<name>``.

    ``report_dir`` True gives the run its own ``base/reports-<name>``; a string is used as is;
    None leaves ``banned_av_report_dir`` unset."""
    private = os.path.join(str(base), 'runner-' + name)
    os.makedirs(private, exist_ok=True)
    variables = dict(variables or {})
    if report_dir is True:
        report_dir = os.path.join(str(base), 'reports-' + name)
    if report_dir is not None and 'banned_av_report_dir' not in variables:
        variables['banned_av_report_dir'] = report_dir
    result = ansible_runner.run(private_data_dir=private, playbook='fleetsec.banned_av.' + playbook,
                                inventory=inventory_data, extravars=variables, envvars=runner_env(), quiet=True,
                                cmdline=cmdline, timeout=900)
    return Run(result, variables.get('banned_av_report_dir'))


def run_cli(argv, cwd, env=None, without_dac_override=False, timeout=900):
    """Run a command (``ansible-playbook ...``, ``scripts/audit.sh ...``) as a user would, optionally
    without root's DAC override (so that file permissions apply to root too)."""
    full_env = dict(os.environ)
    full_env.update(runner_env())
    full_env.update(env or {})
    if without_dac_override:
        quoted = ' '.join("'%s'" % a.replace("'", "'\\''") for a in argv)
        argv = ['capsh', '--drop=cap_dac_override,cap_dac_read_search', '--', '-c', quoted]
    proc = subprocess.run(argv, cwd=str(cwd), env=full_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          timeout=timeout, check=False)
    return proc.returncode, proc.stdout.decode('utf-8', 'replace')


def write_inventory(path, inventory_data):
    with open(str(path), 'w') as handle:
        json.dump(inventory_data, handle)
    return str(path)
