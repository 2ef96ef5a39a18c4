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


# =========================================================================== scoped policies (issue 15.1)

def scoped(pid, date, jurisdictions=None, groups=None, action='enforce', severity='high', categories=('banned', 'oem'),
           families=('kaspersky',), grace=0):
    raw = {'id': pid, 'enforcement_date': date, 'action': action, 'severity': severity, 'grace_days': grace,
           'covers': {'categories': list(categories), 'families': list(families)}}
    applies = {}
    if jurisdictions is not None:
        applies['jurisdictions'] = list(jurisdictions)
    if groups is not None:
        applies['groups'] = list(groups)
    if applies:
        raw['applies_to'] = applies
    return pol.validate_policy(raw, 'test')


SCOPED = [
    scoped('p-us', '2024-09-29', ['us'], severity='critical'),
    scoped('p-us-fed', '2017-12-12', ['us-federal'], categories=['banned']),
    scoped('p-de', '2022-03-15', ['de'], action='warn'),
    scoped('p-au', '2025-04-01', ['au-gov'], categories=['banned']),
    scoped('p-ca', '2023-10-30', ['ca-gov'], action='info'),
    scoped('p-secret', '2017-12-01', groups=['secret_*'], severity='critical'),
]
TODAY = D(2026, 11, 27)
KES = finding('kaspersky.kes', 'banned')
ENGINE = finding('kaspersky.scan_engine', 'oem')


def outcomes(record, fid):
    found = [f for f in record['findings'] if f['id'] == fid][0]
    return found['policy'], dict((o['id'], o['verdict']) for o in found['policies'])


def test_covering_is_gone():
    assert not hasattr(pol, 'covering'), 'the first-match lookup must not come back'


def test_default_jurisdiction_is_us_and_changes_nothing(policies):
    every = facts(finding(), finding('kaspersky.klnagent_linux', installed=False), finding('pango.ultraav', 'unapproved_successor', 'ultraav'))
    implicit = pol.evaluate_host('web01', every, policies, [], TODAY)
    explicit = pol.evaluate_host('web01', every, policies, [], TODAY, jurisdictions=['us'])
    assert implicit == explicit
    assert implicit['jurisdictions'] == ['us']
    assert 'bis-kaspersky-2024' in implicit['policies']


@pytest.mark.parametrize('codes,status,deciding', [
    (['us'], 'noncompliant', 'p-us'),
    (['de'], 'warning', 'p-de'),                  # warn only
    (['ca-gov'], 'compliant', 'p-ca'),            # info never fails
    (['au-gov'], 'noncompliant', 'p-au'),
    (['au'], 'compliant', None),                  # the Commonwealth direction is not for every Australian host
    (['fr'], 'compliant', None),                  # no policy for France
    (['us-federal'], 'noncompliant', 'p-us'),     # a sector code implies its country; p-us is the stricter
])
def test_policies_apply_by_jurisdiction(codes, status, deciding):
    record = pol.evaluate_host('h', facts(KES), SCOPED, [], TODAY, jurisdictions=codes)
    assert record['status'] == status
    assert outcomes(record, 'kaspersky.kes')[0] == deciding
    if status == 'compliant':
        assert record['findings'][0]['verdict'] == 'info' and record['severity'] is None


def test_sector_code_brings_its_country_and_every_policy_is_named():
    record = pol.evaluate_host('h', facts(KES), SCOPED, [], TODAY, jurisdictions=['us-federal'])
    assert record['policies'] == ['p-us', 'p-us-fed']
    deciding, verdicts = outcomes(record, 'kaspersky.kes')
    assert verdicts == {'p-us': 'violation', 'p-us-fed': 'violation'}
    assert deciding == 'p-us', 'critical beats high'
    assert record['severity'] == 'critical'
    assert 'p-us' in record['reasons'][0] and 'p-us-fed' in record['reasons'][0]
    assert record['jurisdictions'] == ['us-federal']


def test_group_scope_applies_whatever_the_jurisdiction():
    record = pol.evaluate_host('h', facts(KES), SCOPED, [], TODAY, host_groups=['secret_lab'], jurisdictions=['fr'])
    assert record['status'] == 'noncompliant' and outcomes(record, 'kaspersky.kes')[0] == 'p-secret'
    other = pol.evaluate_host('h', facts(KES), SCOPED, [], TODAY, host_groups=['web'], jurisdictions=['fr'])
    assert other['status'] == 'compliant' and other['policies'] == []


def test_policy_coverage_can_leave_oem_engines_out():
    """Australia's direction reportedly does not cover embedded engines: the OEM finding is named, not failed."""
    record = pol.evaluate_host('h', facts(KES, ENGINE), SCOPED, [], TODAY, jurisdictions=['au-gov'])
    assert outcomes(record, 'kaspersky.kes') == ('p-au', {'p-au': 'violation'})
    engine = [f for f in record['findings'] if f['id'] == 'kaspersky.scan_engine'][0]
    assert engine['verdict'] == 'info' and engine['policy'] is None and engine['policies'] == []
    line = [r for r in record['reasons'] if r.startswith('kaspersky.scan_engine')][0]
    assert 'au-gov' in line and 'p-us' in line, 'say which host policies leave it out and where it is covered'
    only_engine = pol.evaluate_host('h', facts(ENGINE), SCOPED, [], TODAY, jurisdictions=['au-gov'])
    assert only_engine['status'] == 'compliant'


def test_strictest_outcome_decides_and_all_are_named():
    mixed = [scoped('warn-first', '2020-01-01', ['us'], action='warn', severity='critical'),
             scoped('enforce-later', '2024-01-01', ['us'], severity='low'),
             scoped('info-too', '2019-01-01', ['us'], action='info')]
    record = pol.evaluate_host('h', facts(KES), mixed, [], TODAY)
    deciding, verdicts = outcomes(record, 'kaspersky.kes')
    assert verdicts == {'warn-first': 'warning', 'enforce-later': 'violation', 'info-too': 'info'}
    assert deciding == 'enforce-later' and record['status'] == 'noncompliant' and record['severity'] == 'low'
    for pid in ('warn-first', 'enforce-later', 'info-too'):
        assert pid in record['reasons'][0]
    # the order of the policy list does not change the outcome
    assert pol.evaluate_host('h', facts(KES), list(reversed(mixed)), [], TODAY)['findings'] == record['findings']


def test_a_pending_deadline_beats_a_warn_policy_and_gives_days_left():
    pair = [scoped('warn-only', '2020-01-01', ['us'], action='warn'), scoped('deadline', '2026-12-07', ['us'])]
    record = pol.evaluate_host('h', facts(KES), pair, [], TODAY)
    assert record['status'] == 'warning' and record['days_left'] == 10
    assert outcomes(record, 'kaspersky.kes')[0] == 'deadline'
    late = pol.evaluate_host('h', facts(KES), pair, [], D(2026, 12, 7))
    assert late['status'] == 'noncompliant' and late['days_left'] is None


def test_two_deadlines_the_nearest_counts():
    pair = [scoped('far', '2027-06-01', ['us']), scoped('near', '2026-12-01', ['us'])]
    record = pol.evaluate_host('h', facts(KES), pair, [], TODAY)
    assert record['days_left'] == 4 and outcomes(record, 'kaspersky.kes')[0] == 'near'


def test_info_policy_names_but_never_fails():
    info = [scoped('fyi', '2020-06-05', ['us'], action='info', severity='critical')]
    for day in (D(2020, 6, 4), D(2020, 6, 5), TODAY):
        record = pol.evaluate_host('h', facts(KES), info, [], day)
        assert record['status'] == 'compliant' and record['severity'] is None and record['days_left'] is None
        assert record['findings'][0]['verdict'] == 'info' and 'fyi' in record['reasons'][0]
        assert 'no banned products found' not in ' '.join(record['reasons'])
    summary = pol.summarize([record])
    assert summary['failing'] == 0 and summary['violations'] == 0


def test_info_finding_is_not_waivable_into_a_failure():
    """An expired waiver must not turn a product no policy bans here into a failing host."""
    waiver = pol.validate_waivers([dict(WAIVER, hosts=['h'], products=['kaspersky.kes'], expires='2020-01-01')])
    record = pol.evaluate_host('h', facts(KES), SCOPED, waiver, TODAY, jurisdictions=['ca-gov'])
    assert record['status'] == 'compliant' and record['waiver'] is None


def test_waiver_covers_every_policy_and_names_them():
    waiver = pol.validate_waivers([dict(WAIVER, hosts=['h'], products=['kaspersky.kes'])])
    record = pol.evaluate_host('h', facts(KES), SCOPED, waiver, D(2026, 12, 1), jurisdictions=['us-federal'])
    assert record['status'] == 'waived'
    deciding, verdicts = outcomes(record, 'kaspersky.kes')
    assert verdicts == {'p-us': 'violation', 'p-us-fed': 'violation'} and deciding == 'p-us'
    assert 'waived by SEC-1' in record['reasons'][0] and 'p-us-fed' in record['reasons'][0]
    expired = pol.evaluate_host('h', facts(KES), SCOPED, waiver, D(2027, 1, 1), jurisdictions=['us-federal'])
    assert expired['status'] == 'waiver_expired' and expired['severity'] == 'critical'


def test_finding_records_each_policy_date_and_action():
    record = pol.evaluate_host('h', facts(KES), SCOPED + [scoped('p-soon', '2026-12-24', ['us'], grace=3)], [], TODAY)
    entries = dict((o['id'], o) for o in record['findings'][0]['policies'])
    assert entries['p-us'] == {'id': 'p-us', 'verdict': 'violation', 'action': 'enforce', 'severity': 'critical',
                               'effective_date': '2024-09-29', 'days_left': None}
    assert entries['p-soon']['effective_date'] == '2026-12-27' and entries['p-soon']['days_left'] == 30
    assert entries['p-soon']['verdict'] == 'warning'


def test_unscoped_site_policy_applies_everywhere():
    """A policy without applies_to (every site policy written before scopes existed) applies to every host."""
    site = [pol.validate_policy({'id': 'site', 'enforcement_date': '2025-01-01', 'covers': {'categories': ['banned']}}, 'x')]
    for codes in (['us'], ['fr'], ['de']):
        assert pol.evaluate_host('h', facts(KES), site, [], TODAY, jurisdictions=codes)['status'] == 'noncompliant'
    site_oem = [pol.validate_policy({'id': 'site', 'enforcement_date': '2025-01-01', 'covers': {'categories': ['oem']}}, 'x')]
    record = pol.evaluate_host('h', facts(ENGINE), SCOPED + site_oem, [], TODAY, jurisdictions=['au-gov'])
    assert record['status'] == 'noncompliant' and record['findings'][0]['policy'] == 'site'


@pytest.mark.parametrize('codes,needle', [
    ('us', 'must be a list'),
    ([], 'at least one'),
    (['US'], "'US'"),
    (['usa'], "'usa'"),
    (['u s'], "'u s'"),
    (['us-'], "'us-'"),
    ([None], 'None'),
    (['us', 7], '7'),
    (['us-fedral'], "'us-fedral'"),             # a typo in a sector code no policy knows
])
def test_bad_host_jurisdictions_fail_closed_naming_the_variable(codes, needle):
    with pytest.raises(pol.PolicyError) as err:
        pol.validate_jurisdictions(codes, SCOPED)
    assert 'banned_av_jurisdictions' in str(err.value) and needle in str(err.value)
    record = pol.evaluate_host('h', facts(KES), SCOPED, [], TODAY, jurisdictions=codes)
    assert record['status'] == 'unknown' and record['severity'] == 'high'
    assert 'banned_av_jurisdictions' in record['reasons'][0] and record['findings'] == []


def test_good_host_jurisdictions():
    assert pol.validate_jurisdictions(None, SCOPED) == ['us']
    assert pol.validate_jurisdictions(['fr', 'us-federal', 'fr'], SCOPED) == ['fr', 'us-federal']
    assert pol.validate_jurisdictions(['zz-newsector'], SCOPED + [scoped('x', '2025-01-01', ['zz-newsector'])]) == ['zz-newsector']


@pytest.mark.parametrize('change,field', [
    ({'applies_to': {'jurisdiction': ['us']}}, "'applies_to.jurisdiction'"),
    ({'applies_to': {}}, "'applies_to'"),
    ({'applies_to': ['us']}, "'applies_to'"),
    ({'applies_to': {'jurisdictions': 'us'}}, "'applies_to.jurisdictions'"),
    ({'applies_to': {'jurisdictions': ['USA']}}, "'applies_to.jurisdictions'"),
    ({'applies_to': {'jurisdictions': ['us_federal']}}, "'applies_to.jurisdictions'"),
    ({'applies_to': {'groups': [1]}}, "'applies_to.groups'"),
    ({'confidence': 'sure'}, "'confidence'"),
    ({'action': 'inform'}, "'action'"),
    ({'milestones': [{'date': '2024-02-30', 'event': 'x'}]}, "'milestones[0].date'"),
    ({'milestones': 'soon'}, "'milestones'"),
    ({'covers': {'categories': ['banned'], 'family': ['x']}}, "'covers.family'"),
    ({'scope': 'us'}, "'scope'"),
])
def test_bad_scoped_policy_names_field(change, field):
    raw = {'id': 'x', 'enforcement_date': '2025-01-01', 'covers': {'categories': ['banned']}}
    raw.update(change)
    with pytest.raises(pol.PolicyError) as err:
        pol.load_policies(overrides=[raw])
    assert field in str(err.value) and "'x'" in str(err.value)


def test_no_function_in_policy_over_80_lines():
    import ast
    path = pol.__file__
    with open(path) as handle:
        tree = ast.parse(handle.read())
    long = [(n.name, n.end_lineno - n.lineno + 1) for n in ast.walk(tree)
            if isinstance(n, ast.FunctionDef) and n.end_lineno - n.lineno + 1 > 80]
    assert long == []


# =========================================================================== built-in policy pack (issue 15.2)

DRWEB = finding('drweb.linux', 'banned', 'drweb')
QIHOO = finding('qihoo360.total_security', 'banned', 'qihoo360')
ULTRA = finding('pango.ultraav', 'unapproved_successor', 'ultraav')

#: id -> (host jurisdictions, a finding it covers, effective date, verdict before, verdict from the date on)
PACK = {
    'bis-kaspersky-2024': (['us'], KES, D(2024, 9, 29), 'warning', 'violation'),
    'unapproved-successor': (['us'], ULTRA, D(2024, 9, 19), 'warning', 'warning'),
    'us-bod-17-01': (['us-federal'], KES, D(2017, 12, 12), 'warning', 'violation'),
    'us-ndaa18-1634': (['us-fedcon'], ENGINE, D(2018, 10, 1), 'warning', 'violation'),
    'us-fcc-covered-list': (['us-usf'], KES, D(2022, 3, 25), 'warning', 'warning'),
    'qihoo360-entity-list': (['us'], QIHOO, D(2020, 6, 5), 'info', 'info'),
    'uk-ncsc-2017': (['uk-secret'], DRWEB, D(2017, 12, 1), 'warning', 'violation'),
    'lt-gov-2017': (['lt-cii'], KES, D(2017, 12, 20), 'warning', 'violation'),
    'nl-gov-2018': (['nl-gov'], KES, D(2018, 5, 14), 'warning', 'violation'),
    'ua-sanctions': (['ua-gov'], DRWEB, D(2015, 9, 16), 'warning', 'violation'),
    'de-bsi-2022': (['de'], KES, D(2022, 3, 15), 'warning', 'warning'),
    'it-acn-2022': (['it-pa'], KES, D(2022, 4, 26), 'warning', 'violation'),
    'au-pspf-002-2025': (['au-gov'], KES, D(2025, 4, 1), 'warning', 'violation'),
    'ca-tbs-2023': (['ca-gov'], KES, D(2023, 10, 30), 'info', 'info'),
}
DAY = datetime.timedelta(days=1)


def outcome_of(record, pid):
    matches = [o for f in record['findings'] for o in f['policies'] if o['id'] == pid]
    assert len(matches) == 1, (pid, record['reasons'])
    return matches[0]


def test_pack_is_complete_and_sourced(policies):
    by_id = dict((p['id'], p) for p in policies)
    assert set(PACK) <= set(by_id)
    for pid in PACK:
        policy = by_id[pid]
        assert policy['confidence'] in ('high', 'medium', 'low'), pid
        assert any('http' in s for s in policy['sources']), pid
        assert not any('../' in s or 'shared/reference' in s for s in policy['sources']), pid
        assert policy['title'] != pid and policy['notes'], pid
        if pid != 'unapproved-successor':
            assert policy['applies_to']['jurisdictions'], pid
        dates = [m['date'] for m in policy['milestones']]
        assert dates == sorted(dates) and policy['enforcement_date'] in dates, pid
        assert all(g == 0 for g in [policy['grace_days']]), pid
    assert 'applies_to' not in by_id['unapproved-successor'], 'not a legal rule: it applies to every host'


@pytest.mark.parametrize('pid', sorted(PACK))
def test_pack_date_boundaries(policies, pid):
    codes, item, date, before, after = PACK[pid]
    for day, verdict in ((date - DAY, before), (date, after), (date + DAY, after)):
        record = pol.evaluate_host('h', facts(item), policies, [], day, jurisdictions=codes)
        outcome = outcome_of(record, pid)
        assert outcome['verdict'] == verdict, (pid, day)
        assert outcome['effective_date'] == date.isoformat()
        pending = verdict == 'warning' and day < date and outcome['action'] == 'enforce'
        assert outcome['days_left'] == (1 if pending else None), (pid, day)


@pytest.mark.parametrize('pid', sorted(PACK))
def test_pack_date_boundaries_with_grace(pid):
    codes, item, date, before, after = PACK[pid]
    _v, policies = pol.load_policies(overrides=[{'id': pid, 'grace_days': 14}])
    effective = date + datetime.timedelta(days=14)
    for day, verdict in ((date, before), (effective - DAY, before), (effective, after), (effective + DAY, after)):
        outcome = outcome_of(pol.evaluate_host('h', facts(item), policies, [], day, jurisdictions=codes), pid)
        assert outcome['verdict'] == verdict and outcome['effective_date'] == effective.isoformat(), (pid, day)


@pytest.mark.parametrize('codes,item,expected', [
    # Australia's direction reportedly leaves embedded engines out; BOD 17-01 addresses Kaspersky-branded products
    (['au-gov'], ENGINE, set()),
    (['us-federal'], ENGINE, {'bis-kaspersky-2024', 'us-ndaa18-1634'}),
    (['us-federal'], KES, {'bis-kaspersky-2024', 'us-bod-17-01', 'us-ndaa18-1634'}),
    (['us-fedcon'], KES, {'bis-kaspersky-2024', 'us-ndaa18-1634'}),
    (['us'], KES, {'bis-kaspersky-2024'}),
    (['us'], DRWEB, set()),                                   # no US rule names Dr.Web
    (['uk-secret'], DRWEB, {'uk-ncsc-2017'}),                 # Russia-based AV, not only Kaspersky
    (['ua-gov'], DRWEB, {'ua-sanctions'}),
    (['uk'], KES, set()),                                     # the NCSC guidance is for SECRET systems
    (['lt-gov', 'nl-gov', 'it-pa'], KES, {'lt-gov-2017', 'nl-gov-2018', 'it-acn-2022'}),
])
def test_pack_scope_and_coverage(policies, codes, item, expected):
    record = pol.evaluate_host('h', facts(item), policies, [], TODAY, jurisdictions=codes)
    assert set(o['id'] for o in record['findings'][0]['policies']) == expected


def test_pack_fleet_statuses_on_one_day(policies):
    """The same KES install judged on 2026-11-27 by hosts of different jurisdictions."""
    expected = {('us',): 'noncompliant', ('de',): 'warning', ('ca-gov',): 'compliant', ('fr',): 'compliant',
                ('au-gov',): 'noncompliant', ('uk',): 'compliant', ('uk-secret',): 'noncompliant'}
    for codes, status in expected.items():
        record = pol.evaluate_host('h', facts(KES), policies, [], TODAY, jurisdictions=list(codes))
        assert record['status'] == status, codes
    qihoo = pol.evaluate_host('h', facts(QIHOO), policies, [], TODAY)
    assert qihoo['status'] == 'compliant' and 'qihoo360-entity-list' in qihoo['reasons'][0]
    drweb = pol.evaluate_host('h', facts(DRWEB), policies, [], TODAY)
    assert drweb['status'] == 'compliant' and 'uk-ncsc-2017' in drweb['reasons'][0] and 'ua-sanctions' in drweb['reasons'][0]


def test_federal_host_named_by_every_us_policy(policies):
    record = pol.evaluate_host('h', facts(KES), policies, [], D(2018, 1, 1), jurisdictions=['us-federal'])
    assert record['status'] == 'noncompliant' and record['findings'][0]['policy'] == 'us-bod-17-01'
    assert record['days_left'] is None
    for pid in ('us-bod-17-01', 'us-ndaa18-1634', 'bis-kaspersky-2024'):
        assert pid in record['reasons'][0]
    assert set(record['policies']) >= {'bis-kaspersky-2024', 'us-bod-17-01', 'us-ndaa18-1634', 'qihoo360-entity-list',
                                       'unapproved-successor'}


def test_pack_catalogue_families_exist(policies):
    from ansible_collections.fleetsec.banned_av.plugins.module_utils import catalog as catalog_mod
    catalog = catalog_mod.load()
    families = set(e['family'] for e in catalog.entries)
    for policy in policies:
        for family in policy['covers'].get('families', []):
            assert family in families, (policy['id'], family)
    for fid in ('drweb.linux', 'drweb.windows', 'qihoo360.total_security'):
        entry = catalog.by_id[fid]
        assert entry['category'] == 'banned' and any('http' in s or 'github.com' in s for s in entry['sources'])


# --------------------------------------------------------------------------- the families the pack names, end to end

def inventory(platform, **kwargs):
    inv = {'schema': 1, 'platform': platform, 'root': '/', 'live': True, 'os': {}, 'commands': [], 'packages': [],
           'uninstall': [], 'services': [], 'units': [], 'paths': [], 'groups': [], 'processes': [], 'kernel_modules': [],
           'registry': [], 'receipts': [], 'bundles': [], 'launchd': [], 'security_center': [], 'defender': None,
           'skipped': [], 'errors': []}
    inv.update(kwargs)
    return inv


# dpkg-query -W -f '${Package}\t${Version}\t${Architecture}\t${db:Status-Abbrev}' on a Dr.Web for Linux 11.1
# install from repo.drweb.com: the meta package and some of its drweb-* components (names: vendor repository
# and public install scripts; the version strings are illustrative, not sourced)
DRWEB_DPKG = ('drweb-workstations\t11.1.4\tamd64\tinstall ok installed\n'
              'drweb-configd\t11.1.4\tamd64\tinstall ok installed\n'
              'drweb-ctl\t11.1.4\tamd64\tinstall ok installed\n'
              'drweb-bases\t11.1.4\tall\tinstall ok installed\n'
              'drwright\t3.5\tamd64\tinstall ok installed\n')


def _match(inv):
    from ansible_collections.fleetsec.banned_av.plugins.module_utils import catalog as catalog_mod
    from ansible_collections.fleetsec.banned_av.plugins.module_utils import matcher
    return matcher.match(inv, catalog_mod.load())


def test_drweb_for_linux_is_one_finding_judged_by_jurisdiction(policies):
    inv = inventory('linux', commands=[{'id': 'dpkg', 'argv': ['dpkg-query', '-W'], 'rc': 0, 'stdout': DRWEB_DPKG, 'stderr': ''}],
                    units=[{'name': 'drweb-configd.service', 'path': '/lib/systemd/system/drweb-configd.service',
                            'active_state': 'active', 'unit_file_state': 'enabled'}])
    result = _match(inv)
    assert [(f['id'], f['installed']) for f in result['findings']] == [('drweb.linux', True)]
    data = facts(*result['findings'])
    assert pol.evaluate_host('h', data, policies, [], TODAY)['status'] == 'compliant'
    assert pol.evaluate_host('h', data, policies, [], TODAY, jurisdictions=['ua-gov'])['status'] == 'noncompliant'
    assert pol.evaluate_host('h', data, policies, [], TODAY, jurisdictions=['uk-secret'])['status'] == 'noncompliant'


@pytest.mark.parametrize('name,publisher,expected', [
    ('Dr.Web Security Space', 'Doctor Web', ['drweb.windows']),
    ('Dr.Web Agent', 'Doctor Web', ['drweb.windows']),
    ('Dr.Webster Dictionary', 'Webster Inc.', []),              # decoy: not the vendor
    # the vendor, product not named: still installed, one finding of the catch-all per unlisted product
    ('Doctor Web Helper', 'Doctor Web', ['drweb.other:doctor-web-helper']),
    ('360 Total Security', '360 Security Center', ['qihoo360.total_security']),
    ('360 Video Player', 'Some Vendor', []),                    # decoy
])
def test_windows_entries_of_the_new_families(name, publisher, expected):
    entry = {'hive': 'HKLM', 'view': '64', 'key': '{0F0E0D0C-0000-0000-0000-000000000001}', 'display_name': name,
             'display_version': '12.0', 'publisher': publisher}
    inv = inventory('windows', uninstall=[entry])
    findings = _match(inv)['findings']
    assert [f['id'] for f in findings] == expected
    assert all(f['installed'] for f in findings)


def test_a_policy_naming_a_catch_all_covers_the_unlisted_products_it_reports(policies):
    """``covers.products: [kaspersky.other]`` reaches ``kaspersky.other:<slug>`` findings (their
    ``catalog_id``), and only them: a specific product is still outside such a policy."""
    site = pol.validate_policy({'id': 'site-unlisted', 'enforcement_date': '2025-01-01', 'action': 'enforce',
                                'applies_to': {'jurisdictions': ['fr']},
                                'covers': {'categories': ['banned'], 'products': ['kaspersky.other']}}, 'test')
    unlisted = dict(finding('kaspersky.other:kuma'), catalog_id='kaspersky.other', unlisted=True, product='KUMA')
    record = pol.evaluate_host('paris01', facts(unlisted), policies + [site], [], D(2026, 12, 6), jurisdictions=['fr'])
    assert record['status'] == 'noncompliant'
    assert record['findings'][0]['policy'] == 'site-unlisted'
    listed = pol.evaluate_host('paris02', facts(finding()), policies + [site], [], D(2026, 12, 6), jurisdictions=['fr'])
    assert listed['status'] == 'compliant' and listed['findings'][0]['verdict'] == 'info'
