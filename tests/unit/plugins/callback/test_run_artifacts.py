# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The run_artifacts callback writes what the run published with set_stats (scripts/audit.sh reads it)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
from unittest import mock

from ansible.executor.stats import AggregateStats

from ansible_collections.fleetsec.banned_av.plugins.callback import run_artifacts


def callback(path):
    """The plugin with its ``path`` option set (as ANSIBLE_CALLBACKS_ENABLED + BANNED_AV_ARTIFACTS_FILE do)."""
    plugin = run_artifacts.CallbackModule()
    plugin.get_option = lambda name, hostvars=None: {'path': path}[name]
    return plugin


def test_the_run_artifacts_are_written(tmp_path):
    stats = AggregateStats()
    stats.set_custom_stats('banned_av_reports', {'markdown': '/srv/reports/banned_av_report.md'})
    stats.set_custom_stats('banned_av_failing_hosts', ['kesl-01'])
    stats.set_custom_stats('per_host_value', 1, host='web01')  # per-host stats are not the run's artifacts
    path = str(tmp_path / 'artifacts.json')
    callback(path).v2_playbook_on_stats(stats)
    with open(path) as handle:
        assert json.load(handle) == {'banned_av_reports': {'markdown': '/srv/reports/banned_av_report.md'},
                                     'banned_av_failing_hosts': ['kesl-01']}
    assert os.listdir(str(tmp_path)) == ['artifacts.json']


def test_a_run_that_published_nothing(tmp_path):
    path = tmp_path / 'artifacts.json'
    path.write_text('{"banned_av_reports": {"markdown": "from an earlier run"}}')
    callback(str(path)).v2_playbook_on_stats(AggregateStats())
    assert json.loads(path.read_text()) == {}


def test_no_path_writes_nothing(tmp_path):
    callback(None).v2_playbook_on_stats(AggregateStats())
    assert os.listdir(str(tmp_path)) == []


def test_an_unwritable_path_is_a_warning_not_a_crash(tmp_path):
    plugin = callback(str(tmp_path / 'missing-dir' / 'artifacts.json'))
    with mock.patch.object(plugin._display, 'warning') as warning:
        plugin.v2_playbook_on_stats(AggregateStats())
    assert 'cannot write' in warning.call_args[0][0]
