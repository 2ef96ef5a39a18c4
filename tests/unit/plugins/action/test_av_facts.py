# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The av_facts action plugin: one collector run, the right collector, bad input before the host."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
from unittest import mock

import pytest

from ansible.playbook.task import Task
from ansible.plugins.action import ActionBase

from ansible_collections.fleetsec.banned_av.plugins.action import av_facts
from ansible_collections.fleetsec.banned_av.tests.support import windows_host
from ansible_collections.fleetsec.banned_av.tests.unit.conftest import fixture_text


def make_action(args, shell_family='sh', check_mode=False):
    task = mock.MagicMock(Task)
    task.args = args
    task.check_mode = check_mode
    task.async_val = 0
    connection = mock.MagicMock()
    connection._shell.SHELL_FAMILY = shell_family
    play_context = mock.MagicMock()
    play_context.check_mode = check_mode
    action = av_facts.ActionModule(task, connection, play_context, loader=None, templar=None, shared_loader_obj=None)
    return action


def linux_inventory():
    return {'schema': 1, 'platform': 'linux', 'root': '/', 'live': True, 'os': {'family': 'debian'},
            'commands': [{'id': 'dpkg', 'argv': ['dpkg-query'], 'rc': 0, 'stdout': fixture_text('linux', 'dpkg-query-kesl.txt'), 'stderr': ''}],
            'packages': [], 'uninstall': [], 'services': [], 'units': [], 'paths': [], 'groups': [], 'processes': [],
            'kernel_modules': [], 'registry': [], 'receipts': [], 'bundles': [], 'launchd': [], 'security_center': [],
            'defender': None, 'skipped': [], 'errors': []}


@pytest.fixture(autouse=True)
def no_base_run():
    with mock.patch.object(ActionBase, 'run', return_value={}):
        yield


def test_posix_host_runs_the_posix_collector_once():
    action = make_action({})
    with mock.patch.object(action, '_execute_module', return_value={'inventory': linux_inventory()}) as execute:
        result = action.run(task_vars={})
    assert execute.call_count == 1
    kwargs = execute.call_args.kwargs
    assert kwargs['module_name'] == 'fleetsec.banned_av.av_collect_posix'
    # a live POSIX host is Linux or macOS: the Windows probe does not travel with every module run
    assert set(kwargs['module_args']['probe']) == {'linux', 'darwin'}
    assert kwargs['module_args']['root'] == '/'
    linux = kwargs['module_args']['probe']['linux']
    assert 'kesl' in linux['packages'] and all(linux.values())  # empty kinds are left out
    facts = result['ansible_facts']['banned_av']
    assert result['changed'] is False
    assert facts['summary']['installed'] == ['kaspersky.kesl', 'kaspersky.kesl_gui', 'kaspersky.klnagent_linux']
    assert facts['collected_at'].endswith('Z') and facts['catalog_version']


def test_windows_host_runs_the_powershell_collector():
    """The PowerShell collector gets a request (no probe, no regex) and returns a raw dump, which
    the action reads on the controller (tests/support/windows_host.py plays the host)."""
    action = make_action({}, shell_family='powershell')
    host = windows_host.FakeWindowsHost('kes11')
    with mock.patch.object(action, '_execute_module', side_effect=lambda **kw: host.run(kw['module_args']['request'])) as execute:
        result = action.run(task_vars={})
    assert execute.call_count == 1
    assert execute.call_args.kwargs['module_name'] == 'fleetsec.banned_av.av_collect_win'
    assert set(execute.call_args.kwargs['module_args']) == {'request'}
    facts = result['ansible_facts']['banned_av']
    assert 'kaspersky.kes_windows' in facts['summary']['installed']
    assert facts['errors'] == [] and facts['warnings'] == [] and facts['live'] is True


def test_windows_host_without_a_dump_fails():
    action = make_action({}, shell_family='powershell')
    with mock.patch.object(action, '_execute_module', return_value={'changed': False}):
        result = action.run(task_vars={})
    assert result['failed'] and result['msg'] == 'the Windows collector returned no dump of schema 1'


def test_offline_root_sends_every_platform_probe():
    """An offline root may be a mounted Windows volume: the collector then needs the Windows probe."""
    action = make_action({'root': '/mnt/image'})
    with mock.patch.object(action, '_execute_module', return_value={'inventory': linux_inventory()}) as execute:
        action.run(task_vars={})
    probe = execute.call_args.kwargs['module_args']['probe']
    assert set(probe) == {'linux', 'darwin', 'windows'}
    assert 'klnagent' in probe['windows']['services']


def test_compact_probe_gives_the_collector_the_same_queries():
    """Leaving out empty kinds changes nothing for the collector, which reads absent kinds as []."""
    from ansible_collections.fleetsec.banned_av.plugins.module_utils import catalog as catalog_mod
    full = catalog_mod.load().probe('linux')
    compact = av_facts.compact_probe(full)
    assert any(not v for v in full.values()) and all(compact.values())
    assert dict((k, compact.get(k, [])) for k in full) == full


def test_root_on_windows_target_is_refused_before_running_anything():
    action = make_action({'root': '/mnt/image'}, shell_family='powershell')
    with mock.patch.object(action, '_execute_module') as execute:
        result = action.run(task_vars={})
    assert result['failed'] and result['msg'].startswith('root:')
    execute.assert_not_called()


@pytest.mark.parametrize('args,needle', [
    ({'catalog_entries': [{'id': 'x.y', 'vendor': 'X', 'product': 'Y', 'category': 'nope', 'sources': ['s'], 'match': {'packages': ['y']}}]},
     "'category'"),
    ({'catalog_files': ['/nonexistent/site.yml']}, 'does not exist'),
    ({'root': 'relative/path'}, 'root:'),
])
def test_bad_input_fails_before_the_host_is_contacted(args, needle):
    action = make_action(args)
    with mock.patch.object(action, '_execute_module') as execute:
        result = action.run(task_vars={})
    assert result['failed'] and needle in result['msg']
    execute.assert_not_called()


def test_collector_failure_is_reported():
    action = make_action({})
    with mock.patch.object(action, '_execute_module', return_value={'failed': True, 'msg': 'regipy missing'}):
        result = action.run(task_vars={})
    assert result['failed'] and result['msg'] == 'regipy missing' and 'ansible_facts' not in result


def test_check_mode_gives_the_same_facts():
    results = []
    for check in (False, True):
        action = make_action({}, check_mode=check)
        with mock.patch.object(action, '_execute_module', return_value={'inventory': linux_inventory()}):
            facts = action.run(task_vars={})['ansible_facts']['banned_av']
        facts.pop('collected_at')
        results.append(facts)
    assert results[0] == results[1]


# --------------------------------------------------------------------------- issue 11: time limit, several systems, matching failures

def test_timeout_reaches_the_collector():
    for args, expected in (({}, av_facts.DEFAULT_TIMEOUT), ({'timeout': 30}, 30)):
        action = make_action(args)
        with mock.patch.object(action, '_execute_module', return_value={'inventory': linux_inventory()}) as execute:
            action.run(task_vars={})
        assert execute.call_args.kwargs['module_args']['timeout'] == expected


@pytest.mark.parametrize('value', [0, -5])
def test_bad_timeout_fails_before_the_host_is_contacted(value):
    action = make_action({'timeout': value})
    with mock.patch.object(action, '_execute_module') as execute:
        result = action.run(task_vars={})
    assert result['failed'] and result['msg'].startswith('timeout:')
    execute.assert_not_called()


def test_every_inventory_of_a_root_is_matched_and_each_finding_names_its_platform():
    darwin = dict(linux_inventory(), platform='darwin', commands=[],
                  receipts=[{'id': 'com.kaspersky.kav.core', 'version': '11.3.0.236', 'install_date': None}],
                  warnings=[{'source': 'executables', 'message': 'capped'}])
    action = make_action({'root': '/mnt/image'})
    collected = {'inventory': linux_inventory(), 'inventories': [linux_inventory(), darwin]}
    with mock.patch.object(action, '_execute_module', return_value=collected):
        facts = action.run(task_vars={})['ansible_facts']['banned_av']
    assert facts['platform'] == 'linux' and facts['platforms'] == ['linux', 'darwin']
    platforms = dict((f['id'], f['platform']) for f in facts['findings'])
    assert platforms['kaspersky.kesl'] == 'linux' and platforms['kaspersky.kes_mac'] == 'darwin'
    assert facts['warnings'] == [{'source': 'executables', 'message': 'capped', 'platform': 'darwin'}]


def test_a_matching_failure_makes_the_host_unknown_not_the_play_fail():
    from ansible_collections.fleetsec.banned_av.plugins.module_utils import policy
    action = make_action({})
    with mock.patch.object(action, '_execute_module', return_value={'inventory': linux_inventory()}), \
            mock.patch.object(av_facts.matcher, 'match', side_effect=RecursionError('maximum recursion depth exceeded')):
        result = action.run(task_vars={})
    assert not result.get('failed')
    facts = result['ansible_facts']['banned_av']
    assert facts['findings'] == []
    assert facts['errors'] == [{'source': 'matching', 'message': 'matching the linux inventory against the catalogue '
                                                                 'failed: RecursionError: maximum recursion depth exceeded'}]
    as_of, _version, policies, waivers = policy.load_context(as_of='2026-11-27')
    record = policy.evaluate_host('h1', facts, policies, waivers, as_of)
    assert record['status'] == 'unknown' and 'RecursionError' in ' '.join(record['reasons'])


def test_an_inventory_that_is_not_a_mapping_is_an_error_of_the_host():
    action = make_action({})
    with mock.patch.object(action, '_execute_module', return_value={'inventory': ['not', 'a', 'mapping']}):
        facts = action.run(task_vars={})['ansible_facts']['banned_av']
    assert [e['source'] for e in facts['errors']] == ['matching']


def test_timeout_typo_names_the_field():
    from ansible.errors import AnsibleActionFail
    action = make_action({'timeout': '12O'})
    with mock.patch.object(action, '_execute_module') as execute:
        with pytest.raises(AnsibleActionFail) as caught:
            action.run(task_vars={})
    assert 'timeout' in str(caught.value)
    execute.assert_not_called()


DETECT_CHILD = r'''
import json, sys
from unittest import mock
from ansible.plugins.action import ActionBase
from ansible_collections.fleetsec.banned_av.plugins.module_utils import catalog
from ansible_collections.fleetsec.banned_av.tests.unit.plugins.action import test_av_facts as t
args = json.loads(sys.argv[1])
with mock.patch.object(ActionBase, "run", return_value={}), mock.patch.object(catalog, "load", wraps=catalog.load) as load:
    action = t.make_action(args)
    with mock.patch.object(action, "_execute_module", return_value={"inventory": t.linux_inventory()}):
        facts = action.run(task_vars={"inventory_hostname": "h1"})["ansible_facts"]["banned_av"]
prefix = "ansible_collections.fleetsec.banned_av.plugins.module_utils."
print(json.dumps({"findings": [f["id"] for f in facts["findings"]], "catalog_loaded": load.called,
                  "modules": sorted(m[len(prefix):] for m in sys.modules if m.startswith(prefix))}))
'''


def detect_in_child(args):
    """A Linux host's detection with ``args`` in a fresh process, as an Ansible worker runs it:
    its findings, whether it loaded the catalogue files, and the module_utils it imported."""
    import json
    import subprocess
    import sys
    out = subprocess.run([sys.executable, '-c', DETECT_CHILD, json.dumps(args)], capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def test_a_linux_detection_does_not_import_the_windows_code():
    """Ansible imports the action once per run, in its parent process; what the action imports while
    it runs, each host's worker (a new process) compiles from source, as the collection loader keeps
    no bytecode.  The Windows request, reader and registry rules, 1,700 lines, are imported that
    way, for Windows targets only: a run over Linux hosts never compiles them (docs/performance.md)."""
    result = detect_in_child({})
    assert result['findings'], result
    assert [m for m in result['modules'] if m.startswith('windows')] == [], result


def test_a_detection_from_the_run_snapshot_does_not_import_the_pattern_checker(tmp_path):
    """With the run's validated catalogue snapshot in the spool, a host's detection imports neither
    the regular-expression checker (regex_subset, 450 lines) nor the YAML catalogue files: the
    input check validated them once for the run (docs/performance.md).  Without a snapshot it
    loads and checks the catalogue itself."""
    from ansible_collections.fleetsec.banned_av.plugins.module_utils import catalog as catalog_mod
    from ansible_collections.fleetsec.banned_av.plugins.plugin_utils import run_spool
    spool = str(tmp_path / 'spool')
    run_spool.write_catalog(spool, catalog_mod.load(), run_spool.catalog_key([], []))
    result = detect_in_child({'spool': spool})
    assert result['findings'] and not result['catalog_loaded'], result
    assert 'regex_subset' not in result['modules'], result
    assert os.path.isfile(run_spool.record_path(spool, 'h1'))  # the detection was recorded for the report
    alone = detect_in_child({})
    assert alone['findings'] == result['findings'] and alone['catalog_loaded'] and 'regex_subset' in alone['modules'], alone


def audit_detection_templates():
    """The strings ansible-core templates for every host of the audit's detection task: the task's
    arguments and keywords, and the play's module_defaults for av_facts and for its action group."""
    import yaml
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))
    with open(os.path.join(root, 'playbooks', 'audit.yml')) as handle:
        plays = yaml.safe_load(handle)
    found = []

    def strings(value):
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                strings(item)
        elif isinstance(value, list):
            for item in value:
                strings(item)

    for play in plays:
        defaults = play.get('module_defaults') or {}
        for task in play.get('tasks') or []:
            if 'fleetsec.banned_av.av_facts' in task:
                strings(task)
                strings(defaults.get('fleetsec.banned_av.av_facts'))
                strings(defaults.get('group/fleetsec.banned_av.banned_av'))
    return [s for s in found if '{{' in s or '{%' in s]


def test_the_audit_detection_templates_use_no_filter():
    """Each host's detection is templated in a new worker process, and the first Jinja filter a
    process looks up makes ansible-core load every filter plugin: about 8 ms of CPU per host, which
    the audit/ping budget measured (docs/performance.md).  Tests such as ``is defined`` are looked
    up by the play's host selection in the parent process already."""
    import jinja2
    from jinja2 import nodes
    templates = audit_detection_templates()
    assert len(templates) >= 4, templates  # root, timeout, spool, the catalogue: the check checks something
    environment = jinja2.Environment()
    with_filters = [t for t in templates if list(environment.parse(t).find_all(nodes.Filter))]
    assert with_filters == []
