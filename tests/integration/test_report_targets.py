# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 12, "targets from a report": audit and enforce take their hosts from a previous JSON
report (its checksum verified) with a JMESPath query, by default the failing hosts."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest

pytest.importorskip('ansible_runner')
pytest.importorskip('jmespath')

from ansible_collections.fleetsec.banned_av.tests.integration import playbook_runs as pr  # noqa: E402


@pytest.fixture(scope='module')
def base(tmp_path_factory):
    return tmp_path_factory.mktemp('report-targets')


@pytest.fixture(scope='module')
def first(base, fleet_roots):
    """The audit of the whole fleet, with violations and unknown hosts."""
    run = pr.run(base, 'first', 'audit', pr.inventory(fleet_roots), pr.extravars(banned_av_fail_on_violation=False))
    assert run.statuses() == {'clean-01': 'compliant', 'kesl-01': 'noncompliant', 'waived-01': 'waived',
                              'broken-01': 'unknown', 'gone-01': 'unknown'}
    return os.path.join(run.report_dir, 'banned_av_report.json')


def test_default_query_selects_the_failing_hosts(base, fleet_roots, first):
    run = pr.run(base, 'again-failing', 'audit', pr.inventory(fleet_roots), pr.extravars(banned_av_from_report=first))
    assert sorted(run.statuses()) == ['broken-01', 'gone-01', 'kesl-01']
    assert run.detected_hosts() == ['broken-01', 'gone-01', 'kesl-01']
    assert run.rc != 0


def test_a_query_selects_exactly_its_hosts(base, fleet_roots, first):
    run = pr.run(base, 'again-noncompliant', 'audit', pr.inventory(fleet_roots),
                 pr.extravars(banned_av_from_report=first, banned_av_report_query="hosts[?status=='noncompliant'].name"))
    assert run.statuses() == {'kesl-01': 'noncompliant'}
    assert run.detected_hosts() == ['kesl-01']


def test_enforce_takes_its_hosts_from_the_report(base, fleet_roots, first):
    run = pr.run(base, 'enforce-from-report', 'enforce', pr.inventory(fleet_roots),
                 pr.extravars(banned_av_from_report=first, banned_av_report_query="hosts[?status=='compliant'].name"),
                 cmdline='--check')
    assert sorted(run.statuses()) == ['clean-01']


def test_a_limit_still_applies(base, fleet_roots, first):
    run = pr.run(base, 'again-limited', 'audit', pr.inventory(fleet_roots), pr.extravars(banned_av_from_report=first),
                 cmdline='--limit kesl-01')
    assert run.statuses() == {'kesl-01': 'noncompliant'}


def tampered(base, first, name, change):
    with open(first, 'rb') as handle:
        doc = json.loads(handle.read().decode('utf-8'))
    change(doc)
    path = base / name
    path.write_text(json.dumps(doc))
    return str(path)


def _flip_status(doc):
    [h for h in doc['hosts'] if h['name'] == 'kesl-01'][0]['status'] = 'compliant'


BAD_REPORTS = [
    ('tampered', _flip_status, 'sha256'),
    ('no-checksum', lambda doc: doc.pop('sha256'), 'sha256'),
    ('empty', lambda doc: doc.clear(), 'banned_av_from_report'),
]


@pytest.mark.parametrize('name,change,needle', BAD_REPORTS, ids=[b[0] for b in BAD_REPORTS])
def test_a_report_that_fails_verification_is_refused(base, fleet_roots, first, name, change, needle):
    path = tampered(base, first, name + '.json', change)
    run = pr.run(base, 'refused-' + name, 'audit', pr.inventory(fleet_roots), pr.extravars(banned_av_from_report=path))
    assert run.rc != 0 and run.detected_hosts() == []
    messages = run.failed_messages()
    assert any('banned_av_from_report' in m and needle in m for m in messages), messages


BAD_QUERIES = [
    ('syntax', 'hosts[?status==', 'banned_av_report_query'),
    ('not-names', 'hosts[0]', 'banned_av_report_query'),
    ('nothing', "hosts[?status=='remediated'].name", 'no host'),
    ('not-in-inventory', "['kesl-01', 'retired-99']", 'retired-99'),
]


@pytest.mark.parametrize('name,query,needle', BAD_QUERIES, ids=[b[0] for b in BAD_QUERIES])
def test_a_query_that_selects_no_valid_host_is_refused(base, fleet_roots, first, name, query, needle):
    run = pr.run(base, 'query-' + name, 'audit', pr.inventory(fleet_roots),
                 pr.extravars(banned_av_from_report=first, banned_av_report_query=query))
    assert run.rc != 0 and run.detected_hosts() == []
    messages = run.failed_messages()
    assert any(needle in m for m in messages), messages
