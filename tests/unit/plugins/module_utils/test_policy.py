# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Dated policy, waivers and host statuses."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

import pytest

from ansible_collections.fleetsec.banned_av.plugins.module_utils import policy as pol

D = datetime.date


@pytest.fixture(scope='module')
def policies():
    return pol.load_policies()[1]


def finding(fid='kaspersky.kesl', category='banned', family='kaspersky', installed=True):
    return {'id': fid, 'vendor': 'Kaspersky', 'product': 'Kaspersky Endpoint Security for Linux', 'category': category,
            'family': family, 'installed': installed, 'version': '12.1.0.1297', 'signatures_date': '2024-09-05',
            'confidence': 'high', 'evidence': [{'kind': 'package', 'value': 'kesl 12.1.0.1297'}], 'removal': {'order': 20}}


def facts(*findings, **kwargs):
    data = {'platform': 'linux', 'collected_at': '2026-11-27T00:00:00Z', 'findings': list(findings),
            'protection': [{'id': 'clamav', 'active': True}], 'errors': []}
    data.update(kwargs)
    return data


WAIVER = {'hosts': ['lab-*'], 'products': ['kaspersky.kesl'], 'expires': '2026-12-31', 'owner': 'jane', 'ticket': 'SEC-1', 'reason': 'isolated lab'}


def test_builtin_policy_dates_and_sources(policies):
    bis = [p for p in policies if p['id'] == 'bis-kaspersky-2024'][0]
    assert bis['enforcement_date'] == '2024-09-29'
    assert [m['date'] for m in bis['milestones']][:3] == ['2024-06-24', '2024-07-20', '2024-09-29']
    assert any('52434' in s or '2024-13532' in s for s in bis['sources'])
    assert any('2024-09-10' in n for n in bis['notes'])
    succ = [p for p in policies if p['id'] == 'unapproved-successor'][0]
    assert succ['action'] == 'warn' and succ['covers']['categories'] == ['unapproved_successor']


@pytest.mark.parametrize('as_of,status,days_left', [
    (D(2024, 9, 28), 'warning', 1),      # the day before enforcement
    (D(2024, 9, 29), 'noncompliant', None),  # the day of
    (D(2024, 9, 30), 'noncompliant', None),  # the day after
    (D(2024, 7, 20), 'warning', 71),
])
def test_enforcement_date_boundaries(policies, as_of, status, days_left):
    record = pol.evaluate_host('web01', facts(finding()), policies, [], as_of)
    assert record['status'] == status
    assert record['days_left'] == days_left
    if status == 'noncompliant':
        assert record['severity'] == 'critical'
        assert 'present after 2024-09-29 (bis-kaspersky-2024)' in record['reasons'][0]


@pytest.mark.parametrize('as_of,status', [(D(2024, 10, 5), 'warning'), (D(2024, 10, 6), 'noncompliant')])
def test_grace_window_override(as_of, status):
    _v, policies = pol.load_policies(overrides=[{'id': 'bis-kaspersky-2024', 'grace_days': 7}])
    assert pol.evaluate_host('web01', facts(finding()), policies, [], as_of)['status'] == status


def test_override_keeps_other_fields_and_marks_version():
    version, policies = pol.load_policies(overrides=[{'id': 'bis-kaspersky-2024', 'enforcement_date': '2024-09-10'}])
    bis = [p for p in policies if p['id'] == 'bis-kaspersky-2024'][0]
    assert bis['enforcement_date'] == '2024-09-10' and bis['severity'] == 'critical'
    assert version.endswith('+site')


@pytest.mark.parametrize('as_of,status', [
    (D(2026, 12, 30), 'waived'), (D(2026, 12, 31), 'waived'), (D(2027, 1, 1), 'waiver_expired')])
def test_waiver_expiry_boundaries(policies, as_of, status):
    waivers = pol.validate_waivers([WAIVER])
    record = pol.evaluate_host('lab-07', facts(finding()), policies, waivers, as_of)
    assert record['status'] == status
    assert record['waiver']['ticket'] == 'SEC-1' and record['waiver']['expired'] is (status == 'waiver_expired')


def test_waiver_by_group_and_product_scope(policies):
    waivers = pol.validate_waivers([{'groups': ['kiosks'], 'products': ['kaspersky.klnagent*'], 'expires': '2030-01-01',
                                     'owner': 'o', 'ticket': 'T-2', 'reason': 'r'}])
    both = facts(finding(), finding('kaspersky.klnagent_linux'))
    record = pol.evaluate_host('k1', both, policies, waivers, D(2026, 11, 27), host_groups=['kiosks'])
    verdicts = dict((f['id'], f['verdict']) for f in record['findings'])
    assert verdicts == {'kaspersky.kesl': 'violation', 'kaspersky.klnagent_linux': 'waived'}
    assert record['status'] == 'noncompliant'
    other = pol.evaluate_host('k2', both, policies, waivers, D(2026, 11, 27), host_groups=['web'])
    assert all(f['verdict'] == 'violation' for f in other['findings'])


@pytest.mark.parametrize('change,field', [
    ({'expires': '2025-13-01'}, "'expires'"), ({'expires': None}, "'expires'"), ('del expires', "'expires'"),
    ({'owner': ''}, "'owner'"), ('del ticket', "'ticket'"), ('del reason', "'reason'"),
    ({'hosts': None}, "'hosts'"), ({'hosts': 'lab-*'}, "'hosts'"), ({'products': [1]}, "'products'"),
    ({'expiry': '2026-01-01'}, "'expiry'"),
])
def test_bad_waiver_names_waiver_and_field(change, field):
    waiver = dict(WAIVER)
    if isinstance(change, str):
        del waiver[change.split()[1]]
    else:
        waiver.update(change)
    with pytest.raises(pol.PolicyError) as err:
        pol.validate_waivers([dict(WAIVER, ticket='OK-1'), waiver])
    assert field in str(err.value) and 'banned_av_waivers[1]' in str(err.value)


@pytest.mark.parametrize('override,field', [
    ({'id': 'x', 'enforcement_date': '29/09/2024', 'covers': {'categories': ['banned']}}, "'enforcement_date'"),
    ({'id': 'bis-kaspersky-2024', 'grace_days': -1}, "'grace_days'"),
    ({'id': 'bis-kaspersky-2024', 'severity': 'urgent'}, "'severity'"),
    ({'id': 'bis-kaspersky-2024', 'action': 'block'}, "'action'"),
    ({'id': 'x', 'enforcement_date': '2025-01-01', 'covers': {'categories': ['protection']}}, "'covers.categories'"),
    ({'id': 'x', 'enforcement_date': '2025-01-01'}, "'covers.categories'"),
])
def test_bad_policy_names_field(override, field):
    with pytest.raises(pol.PolicyError) as err:
        pol.load_policies(overrides=[override])
    assert field in str(err.value)


def test_fail_closed_statuses(policies):
    today = D(2026, 11, 27)
    assert pol.evaluate_host('a', None, policies, [], today, state={'unreachable': True, 'msg': 'ssh timeout'})['status'] == 'unknown'
    failed = pol.evaluate_host('b', None, policies, [], today, state={'failed': True, 'msg': 'python missing'})
    assert failed['status'] == 'unknown' and 'python missing' in failed['reasons'][0]
    assert pol.evaluate_host('c', None, policies, [], today)['status'] == 'unknown'
    cached = pol.evaluate_host('c2', facts(), policies, [], today, state={'failed': True, 'msg': 'timeout'})
    assert cached['status'] == 'unknown', 'cached facts must not be judged when this run failed'
    partial = pol.evaluate_host('d', facts(errors=[{'source': 'packages', 'message': 'dpkg-query failed'}]), policies, [], today)
    assert partial['status'] == 'unknown' and 'dpkg-query failed' in partial['reasons'][0]
    clean = pol.evaluate_host('e', facts(), policies, [], today)
    assert clean['status'] == 'compliant'


def test_residue_and_successor(policies):
    today = D(2026, 11, 27)
    residue = pol.evaluate_host('r', facts(finding(installed=False)), policies, [], today)
    assert residue['status'] == 'compliant' and residue['findings'][0]['verdict'] == 'residue'
    ultra = pol.evaluate_host('u', facts(finding('pango.ultraav', 'unapproved_successor', 'ultraav')), policies, [], today)
    assert ultra['status'] == 'warning'
    _v, strict = pol.load_policies(overrides=[{'id': 'unapproved-successor', 'action': 'enforce'}])
    assert pol.evaluate_host('u', facts(finding('pango.ultraav', 'unapproved_successor', 'ultraav')), strict, [], today)['status'] == 'noncompliant'


def test_uncovered_banned_product_fails_closed(policies):
    record = pol.evaluate_host('x', facts(finding('acme.av', 'banned', 'acme')), policies, [], D(2026, 11, 27))
    assert record['status'] == 'noncompliant' and record['severity'] == 'high'


def test_remediation_outcomes(policies):
    today = D(2026, 11, 27)
    ok = pol.evaluate_host('a', facts(), policies, [], today, remediation={'outcome': 'remediated'})
    assert ok['status'] == 'remediated'
    lying = pol.evaluate_host('b', facts(finding()), policies, [], today, remediation={'outcome': 'remediated'})
    assert lying['status'] == 'degraded' and lying['severity'] == 'critical'
    blocked = pol.evaluate_host('c', facts(finding()), policies, [], today,
                                remediation={'outcome': 'blocked', 'reasons': ['replacement clamav not healthy']})
    assert blocked['status'] == 'blocked' and 'replacement clamav not healthy' in blocked['reasons']


def test_summary_counts_every_status(policies):
    hosts = [pol.evaluate_host('a', facts(), policies, [], D(2026, 11, 27)),
             pol.evaluate_host('b', None, policies, [], D(2026, 11, 27))]
    summary = pol.summarize(hosts)
    assert summary['hosts'] == 2 and summary['by_status']['compliant'] == 1 and summary['by_status']['unknown'] == 1
    assert set(summary['by_status']) == set(pol.STATUSES) and summary['failing'] == 1
