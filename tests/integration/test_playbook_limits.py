# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 12, "every play that must run, runs": the input check, the reports, the artifacts and the
final verdict run whatever ``--limit`` or ``banned_av_hosts`` select, and a selection that leaves no
host is a clear failure, never a green run that checked nothing."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

pytest.importorskip('ansible_runner')

from ansible_collections.fleetsec.banned_av.tests.integration import playbook_runs as pr  # noqa: E402


@pytest.fixture(scope='module')
def base(tmp_path_factory):
    return tmp_path_factory.mktemp('limits')


def test_audit_limited_to_a_banned_host_reports_it_and_fails(base, fleet_roots):
    run = pr.run(base, 'audit-limit-kesl', 'audit', pr.inventory(fleet_roots), pr.extravars(), cmdline='--limit kesl-01')
    assert run.rc != 0
    assert run.statuses() == {'kesl-01': 'noncompliant'}
    assert run.detected_hosts() == ['kesl-01']
    artifacts = run.artifacts()
    assert artifacts['banned_av_failing_hosts'] == ['kesl-01']
    assert any('kesl-01' in m for m in run.failed_messages())


def test_enforce_check_limited_to_a_banned_host_does_not_pass(base, fleet_roots):
    """Every localhost play of the old enforce playbook was skipped under a limit: exit 0."""
    run = pr.run(base, 'enforce-limit-kesl', 'enforce', pr.inventory(fleet_roots), pr.extravars(),
                 cmdline='--check --limit kesl-01')
    assert run.rc != 0, 'enforce --check --limit <banned host> must not be green'
    assert set(run.statuses()) == {'kesl-01'}
    assert run.statuses()['kesl-01'] != 'compliant'
    assert run.artifacts()['banned_av_failing_hosts'] == ['kesl-01']


@pytest.mark.parametrize('playbook', ['audit', 'enforce'])
def test_a_hosts_pattern_that_matches_nothing_fails_clearly(base, fleet_roots, playbook):
    run = pr.run(base, playbook + '-nomatch', playbook, pr.inventory(fleet_roots),
                 pr.extravars(banned_av_hosts='no-such-group'))
    assert run.rc != 0, 'a selection without hosts must not be a green run'
    assert any('banned_av_hosts' in m and 'no host' in m for m in run.failed_messages()), run.failed_messages()
    assert run.detected_hosts() == []


@pytest.mark.parametrize('playbook', ['audit', 'enforce'])
def test_a_limit_outside_banned_av_hosts_fails_clearly(base, fleet_roots, playbook):
    run = pr.run(base, playbook + '-limit-outside', playbook, pr.inventory(fleet_roots),
                 pr.extravars(banned_av_hosts='lab'), cmdline='--limit kesl-01')
    assert run.rc != 0
    assert any('no host' in m and 'kesl-01' in m for m in run.failed_messages()), run.failed_messages()
    assert run.detected_hosts() == []


def test_a_limit_that_matches_no_inventory_host_is_an_error(base, fleet_roots):
    inventory = pr.write_inventory(base / 'inventory-nomatch.json', pr.inventory(fleet_roots))
    rc, out = pr.run_cli(['ansible-playbook', '-i', inventory, 'fleetsec.banned_av.audit', '--limit', 'no-such-host'],
                         cwd=base)
    assert rc != 0, out
    assert 'no hosts to target' in out
