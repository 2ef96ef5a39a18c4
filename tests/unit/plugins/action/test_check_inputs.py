# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The check_inputs action: the variables as the play sees them (templated), the hosts of the run
within --limit, a clear failure when none is left, and a result without secrets."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
from unittest import mock

import pytest

from ansible.errors import AnsibleActionFail
from ansible.parsing.dataloader import DataLoader
from ansible.playbook.task import Task
from ansible.plugins.action import ActionBase
from ansible.template import Templar
try:
    from ansible.template import trust_as_template
except ImportError:  # ansible-core < 2.19 templates every string
    def trust_as_template(value):
        return value

from ansible_collections.fleetsec.banned_av.plugins.action import check_inputs as ci
from ansible_collections.fleetsec.banned_av.plugins.plugin_utils import run_spool

GROUPS = {'all': ['web01', 'web02', 'db01', 'lab01'], 'ungrouped': [], 'web': ['web01', 'web02'], 'db': ['db01'],
          'lab': ['lab01']}


@pytest.fixture(autouse=True)
def private_spool(tmp_path, monkeypatch):
    monkeypatch.setattr(run_spool.tempfile, 'gettempdir', lambda: str(tmp_path / 'tmp'))
    os.makedirs(str(tmp_path / 'tmp'))


@pytest.fixture(autouse=True)
def no_base_run():
    with mock.patch.object(ActionBase, 'run', return_value={}):
        yield


def run(playbook, variables, play_hosts=None, limit=None, tmp_path=None):
    task_vars = dict(variables, groups=GROUPS, ansible_play_hosts_all=play_hosts or GROUPS['all'] + ['localhost'])
    task_vars.setdefault('banned_av_report_dir', str(tmp_path / 'reports'))
    if limit:
        task_vars['ansible_limit'] = limit
    task = mock.MagicMock(Task)
    task.args = {'playbook': playbook}
    task.check_mode = False
    task.async_val = 0
    loader = DataLoader()
    action = ci.ActionModule(task, mock.MagicMock(), mock.MagicMock(), loader=loader,
                             templar=Templar(loader=loader, variables=task_vars), shared_loader_obj=None)
    return action.run(task_vars=task_vars)


def failure(*args, **kwargs):
    with pytest.raises(AnsibleActionFail) as info:
        run(*args, **kwargs)
    return str(info.value)


def test_every_host_by_default(tmp_path):
    result = run('audit', {}, tmp_path=tmp_path)
    assert result['hosts'] == ['web01', 'web02', 'db01', 'lab01']
    assert result['inputs']['banned_av_report_dir'] == str(tmp_path / 'reports')
    assert os.path.isdir(result['spool']) and result['run_id'] in result['spool']
    assert result['detect_timeout'] > result['inputs']['banned_av_collect_timeout']
    assert result['msg'].startswith('fleetsec.banned_av.audit: inputs valid; 4 hosts selected')


@pytest.mark.parametrize('pattern,expected', [('web', ['web01', 'web02']), ('all:!lab', ['web01', 'web02', 'db01']),
                                              ('web:&db', None), ('db01,lab01', ['db01', 'lab01']), ('~web0[2]', ['web02']),
                                              (['db', 'lab'], ['db01', 'lab01'])])
def test_the_hosts_pattern(tmp_path, pattern, expected):
    if expected is None:
        assert 'no host selected' in failure('audit', {'banned_av_hosts': pattern}, tmp_path=tmp_path)
    else:
        assert run('audit', {'banned_av_hosts': pattern}, tmp_path=tmp_path)['hosts'] == expected


def test_within_the_limit(tmp_path):
    result = run('audit', {'banned_av_hosts': 'web'}, play_hosts=['web02', 'db01'], limit='web02,db01', tmp_path=tmp_path)
    assert result['hosts'] == ['web02']
    message = failure('audit', {'banned_av_hosts': 'lab'}, play_hosts=['web02'], limit='web02', tmp_path=tmp_path)
    assert "no host selected: banned_av_hosts 'lab' gives 1 host, none of them within --limit 'web02'" in message


def test_a_pattern_that_matches_nothing(tmp_path):
    message = failure('enforce', {'banned_av_hosts': 'nothing'}, tmp_path=tmp_path)
    assert "fleetsec.banned_av.enforce: invalid input: no host selected: banned_av_hosts 'nothing' matches no host" in message


def test_an_invalid_pattern(tmp_path):
    assert 'banned_av_hosts' in failure('audit', {'banned_av_hosts': '~(web'}, tmp_path=tmp_path)


def test_variables_are_templated_as_the_play_sees_them(tmp_path):
    result = run('audit', {'site': 'berlin', 'banned_av_report_dir': trust_as_template(str(tmp_path) + '/{{ site }}'),
                           'banned_av_fail_on_violation': trust_as_template("{{ 'no' }}")}, tmp_path=tmp_path)
    assert result['inputs']['banned_av_report_dir'] == str(tmp_path / 'berlin')
    assert result['inputs']['banned_av_fail_on_violation'] is False


def test_a_variable_that_cannot_be_templated_is_named(tmp_path):
    message = failure('audit', {'banned_av_as_of': trust_as_template('{{ undefined_date }}')}, tmp_path=tmp_path)
    assert 'banned_av_as_of' in message


def test_secrets_are_not_in_the_result(tmp_path):
    result = run('enforce', {'banned_av_uninstall_password': 'canary-77e1', 'banned_av_kes_login': 'admin'}, tmp_path=tmp_path)
    assert 'canary-77e1' not in json.dumps(result)
    assert 'banned_av_uninstall_password' not in result['inputs'] and 'banned_av_kes_login' not in result['inputs']
    assert result['inputs']['banned_av_replacement'] == 'clamav'


def test_a_typo_in_a_variable_name_gives_a_warning(tmp_path):
    with mock.patch.object(ci.display, 'warning') as warning:
        run('audit', {'banned_av_fail_on_violaton': False, 'banned_av_awx_report_root': '/x', 'banned_av_summary': {},
                      'banned_av_scan_root': '/mnt'}, tmp_path=tmp_path)
    assert [c.args[0] for c in warning.call_args_list] == [
        'banned_av_fail_on_violaton is not a variable of fleetsec.banned_av; did you mean banned_av_fail_on_violation?']


def report_with(tmp_path, statuses):
    """A verified report of this collection naming these hosts."""
    from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports import json_report
    doc = json_report.finalize({'schema': json_report.SCHEMA, 'hosts': [{'name': n, 'status': s} for n, s in statuses]})
    path = tmp_path / 'previous.json'
    path.write_text(json.dumps(doc))
    return str(path)


def test_hosts_from_a_previous_report(tmp_path):
    pytest.importorskip('jmespath')
    previous = report_with(tmp_path, [('web01', 'noncompliant'), ('web02', 'compliant'), ('db01', 'unknown')])
    assert run('enforce', {'banned_av_from_report': previous}, tmp_path=tmp_path)['hosts'] == ['web01', 'db01']
    assert run('enforce', {'banned_av_from_report': previous}, play_hosts=['db01'], limit='db01',
               tmp_path=tmp_path)['hosts'] == ['db01']
    query = "hosts[?status=='compliant'].name"
    assert run('audit', {'banned_av_from_report': previous, 'banned_av_report_query': query},
               tmp_path=tmp_path)['hosts'] == ['web02']


def test_a_previous_report_naming_hosts_outside_the_inventory(tmp_path):
    pytest.importorskip('jmespath')
    previous = report_with(tmp_path, [('web01', 'noncompliant'), ('retired99', 'noncompliant')])
    message = failure('enforce', {'banned_av_from_report': previous}, tmp_path=tmp_path)
    assert 'banned_av_report_query: 1 host of %s not in the inventory: retired99' % previous in message


def test_a_previous_report_and_a_hosts_pattern_together(tmp_path):
    previous = report_with(tmp_path, [('web01', 'noncompliant')])
    message = failure('audit', {'banned_av_from_report': previous, 'banned_av_hosts': 'web'}, tmp_path=tmp_path)
    assert 'banned_av_from_report' in message and 'banned_av_hosts' in message


def test_a_query_with_nothing_to_do(tmp_path):
    pytest.importorskip('jmespath')
    previous = report_with(tmp_path, [('web01', 'compliant')])
    assert 'no host selected: banned_av_from_report' in failure('enforce', {'banned_av_from_report': previous},
                                                                tmp_path=tmp_path)


def test_the_checked_catalogue_is_kept_in_the_spool_loaded_once(tmp_path):
    """The run's catalogue snapshot (read by every host's detection) is the catalogue the input
    check validated, site entries included; the YAML is read once for the whole run."""
    entry = {'id': 'acme.av', 'vendor': 'Acme', 'product': 'Acme AV', 'category': 'banned', 'platforms': ['linux'],
             'sources': ['https://example.invalid/acme'], 'match': {'packages': ['acme-av']}}
    with mock.patch.object(ci.inputs.catalog_mod, 'load', wraps=ci.inputs.catalog_mod.load) as load:
        result = run('audit', {'banned_av_catalog_entries': [entry]}, tmp_path=tmp_path)
    assert load.call_count == 1
    snapshot = run_spool.read_catalog(result['spool'], run_spool.catalog_key([], [entry]))
    assert snapshot is not None and 'acme.av' in snapshot.by_id and snapshot.version.endswith('+site')
    # made from these inputs only: a detection given other catalogue inputs loads its own
    assert run_spool.read_catalog(result['spool'], run_spool.catalog_key([], [])) is None
