# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hosts from a previous report (plugin_utils/report_targets.py): only a verified report of this
collection selects hosts, and only a query that gives host names."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

pytest.importorskip('jmespath')

from ansible_collections.fleetsec.banned_av.plugins.action import compliance_report as cr  # noqa: E402
from ansible_collections.fleetsec.banned_av.plugins.module_utils import policy as policy_mod  # noqa: E402
from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports import json_report  # noqa: E402
from ansible_collections.fleetsec.banned_av.plugins.plugin_utils import report_targets  # noqa: E402

STATES = {
    'clean': None, 'kesl': None, 'down': {'unreachable': True, 'msg': 'timed out'},
    'broken': {'failed': True, 'msg': 'no inventory'},
}


@pytest.fixture
def report_path(tmp_path, catalog):
    """A real report (policy.evaluate_host, compliance_report.build_report), written as the writer does."""
    from ansible_collections.fleetsec.banned_av.tests.unit.plugins.action.test_compliance_report import clean_facts, kesl_facts
    _version, policies = policy_mod.load_policies()
    as_of = policy_mod.parse_date('2026-11-27', 'as_of')
    facts = {'clean': clean_facts(catalog), 'kesl': kesl_facts(catalog)}
    records = [policy_mod.evaluate_host(name, facts.get(name), policies, [], as_of, state=state)
               for name, state in STATES.items()]
    remediated = policy_mod.evaluate_host('fixed', facts['clean'], policies, [], as_of,
                                          remediation={'outcome': 'remediated', 'reasons': []})
    report = json_report.finalize(cr.build_report(records + [remediated], {'generated_at': 'now', 'as_of': '2026-11-27'},
                                                  policies))
    path = tmp_path / 'banned_av_report.json'
    path.write_text(json.dumps(report))
    return str(path)


def test_default_query_gives_every_failing_host(report_path):
    assert sorted(report_targets.hosts_from_report(report_path)) == ['broken', 'down', 'kesl']
    for status in policy_mod.FAILING:
        assert "'%s'" % status in report_targets.DEFAULT_QUERY


def test_a_query(report_path):
    assert report_targets.hosts_from_report(report_path, "hosts[?status=='remediated'].name") == ['fixed']
    assert report_targets.hosts_from_report(report_path, "hosts[?status=='waived'].name") == []
    assert report_targets.hosts_from_report(report_path, "[hosts[0].name, hosts[0].name]") == ['broken']


def rewrite(path, change):
    with open(path) as handle:
        doc = json.load(handle)
    change(doc)
    with open(path, 'w') as handle:
        json.dump(doc, handle)


def _flip(doc):
    [h for h in doc['hosts'] if h['name'] == 'kesl'][0]['status'] = 'compliant'


@pytest.mark.parametrize('change,needle', [
    (_flip, 'does not match'),
    (lambda doc: doc.pop('sha256'), 'no sha256'),
    (lambda doc: doc.update(sha256=None), 'no sha256'),
    (lambda doc: doc.update(schema='other/v9'), 'not a report of this collection'),
    (lambda doc: doc.clear(), 'not a report of this collection'),
])
def test_a_report_that_cannot_be_trusted_is_refused(report_path, change, needle):
    rewrite(report_path, change)
    with pytest.raises(report_targets.TargetError, match=needle) as info:
        report_targets.hosts_from_report(report_path)
    assert info.value.field == 'report'


@pytest.mark.parametrize('content,needle', [(b'', 'not a JSON report'), (b'\xff\xfe', 'not a JSON report'),
                                            (b'[1, 2]', 'not a report of this collection')])
def test_a_file_that_is_not_a_report(tmp_path, content, needle):
    path = tmp_path / 'x.json'
    path.write_bytes(content)
    with pytest.raises(report_targets.TargetError, match=needle):
        report_targets.load_report(str(path))


def test_a_missing_or_unreadable_report(tmp_path):
    with pytest.raises(report_targets.TargetError, match='cannot read'):
        report_targets.load_report(str(tmp_path / 'missing.json'))
    with pytest.raises(report_targets.TargetError, match='cannot read'):
        report_targets.load_report(str(tmp_path))


def test_a_report_larger_than_the_limit(report_path, monkeypatch):
    monkeypatch.setattr(report_targets, 'MAX_REPORT_BYTES', 100)
    with pytest.raises(report_targets.TargetError, match='larger than'):
        report_targets.load_report(report_path)


@pytest.mark.parametrize('query,needle', [
    ('hosts[?status==', 'invalid JMESPath'),
    ('hosts[0]', 'must give a list of host names'),
    ('summary', 'must give a list of host names'),
    ('hosts[*].findings', 'must give a list of host names'),
    ("['a', '']", 'must give a list of host names'),
])
def test_a_query_that_gives_no_host_names(report_path, query, needle):
    with pytest.raises(report_targets.TargetError, match=needle) as info:
        report_targets.hosts_from_report(report_path, query)
    assert info.value.field == 'query'


@pytest.mark.parametrize('special', ['fifo', 'device'])
def test_a_fifo_or_a_device_given_as_the_report_is_refused_without_waiting(tmp_path, special):
    """``banned_av_from_report`` naming a FIFO used to block the input check for ever (nothing
    writes to it); a device such as /dev/zero would be read up to the limit."""
    import os
    path = str(tmp_path / 'report.json')
    if special == 'fifo':
        os.mkfifo(path)
    else:
        path = '/dev/zero'
    with pytest.raises(report_targets.TargetError, match='cannot read .*not a regular file'):
        report_targets.load_report(path)
