# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A fleet in several jurisdictions: the audit playbook under ansible-runner, as AWX runs it.

Hosts are offline root trees (tests/support/roots.py) scanned with ``banned_av_scan_root``; each
sets ``banned_av_jurisdictions`` (or leaves it unset: ``["us"]``).  The same KESL install is
judged differently by each host's policies; Dr.Web is a violation only where a policy names it
(Ukrainian state bodies, UK SECRET systems, a site policy scoped to an inventory group); a typo
in a sector code makes the host ``unknown``.  Every policy a finding is judged by must be named
in the host's reasons.

The report reads each host's ``banned_av_jurisdictions`` (lane D, issue 15.1 report side); until
that is on main the test is skipped, saying so.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import sys

import pytest

ansible_runner = pytest.importorskip('ansible_runner')

from ansible_collections.fleetsec.banned_av.tests.support import roots  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
COLLECTION = os.path.abspath(os.path.join(HERE, '..', '..'))


def _report_reads_jurisdictions():
    """True once the audit passes each host's banned_av_jurisdictions to the report (lane D)."""
    places = [os.path.join(COLLECTION, 'plugins', 'action', 'compliance_report.py'), os.path.join(COLLECTION, 'playbooks', 'audit.yml')]
    tasks = os.path.join(COLLECTION, 'playbooks', 'tasks')
    if os.path.isdir(tasks):
        places += [os.path.join(tasks, name) for name in os.listdir(tasks)]
    for path in places:
        if os.path.isfile(path):
            with open(path, encoding='utf-8') as handle:
                if 'banned_av_jurisdictions' in handle.read():
                    return True
    return False


pytestmark = pytest.mark.skipif(
    not _report_reads_jurisdictions(),
    reason='needs lane D (issue 15.1, report side): the audit playbook / compliance_report must pass each host\'s '
           'banned_av_jurisdictions to policy.evaluate_host(jurisdictions=...); not on main yet')

AS_OF = '2026-11-27'

# Dr.Web for Linux 11.1 from repo.drweb.com: meta package drweb-workstations and drweb-* components,
# /opt/drweb.com/bin/drweb-ctl and drweb-configd, unit drweb-configd.service (sources in
# catalog/products/drweb.yml: vendor repository, glpi-agent DrWeb module, public install scripts).
DRWEB = {
    'packages': [('drweb-workstations', '11.1.4'), ('drweb-configd', '11.1.4'), ('drweb-ctl', '11.1.4')],
    'files': ['/opt/drweb.com/bin/drweb-ctl', '/opt/drweb.com/bin/drweb-configd'],
    'dirs': ['/var/opt/drweb.com/bases', '/etc/opt/drweb.com'],
    'units': ['drweb-configd.service'],
}

# host -> (root kind, banned_av_jurisdictions or None, inventory group, expected status,
#          policies the findings are judged by and the reasons must name)
FLEET = {
    'us-01': ('kesl', None, 'linux', 'noncompliant', {'bis-kaspersky-2024'}),
    'fed-01': ('kesl', ['us-federal'], 'linux', 'noncompliant', {'bis-kaspersky-2024', 'us-bod-17-01', 'us-ndaa18-1634'}),
    'de-01': ('kesl', ['de'], 'linux', 'warning', {'de-bsi-2022'}),
    'au-01': ('kesl', ['au-gov'], 'linux', 'noncompliant', {'au-pspf-002-2025'}),
    'ca-01': ('kesl', ['ca-gov'], 'linux', 'compliant', {'ca-tbs-2023'}),
    'fr-01': ('kesl', ['fr'], 'linux', 'compliant', set()),
    'multi-01': ('kesl', ['de', 'it-pa'], 'linux', 'noncompliant', {'de-bsi-2022', 'it-acn-2022'}),
    'ua-01': ('drweb', ['ua-gov'], 'linux', 'noncompliant', {'ua-sanctions'}),
    'secret-01': ('drweb', ['uk-secret'], 'linux', 'noncompliant', {'uk-ncsc-2017'}),
    'drweb-us-01': ('drweb', None, 'linux', 'compliant', set()),
    'lab-01': ('drweb', ['us'], 'labs', 'noncompliant', {'site-labs'}),
    'clean-de-01': ('clean', ['de'], 'linux', 'compliant', set()),
    'typo-01': ('kesl', ['us-fedral'], 'linux', 'unknown', set()),
}

# a site policy scoped to an inventory group, merged with the built-in pack
SITE_POLICY = {'id': 'site-labs', 'title': 'Lab machines: no Russia-based anti-virus from 2026-06-01',
               'enforcement_date': '2026-06-01', 'severity': 'high', 'action': 'enforce',
               'applies_to': {'groups': ['labs']}, 'covers': {'categories': ['banned'], 'families': ['kaspersky', 'drweb']},
               'sources': ['Site security standard SS-7 (2026-05-01)']}


def _root(kind, path):
    if kind == 'kesl':
        return roots.kesl_linux_root(path)
    if kind == 'clean':
        return roots.clean_linux_root(path)
    return roots.linux_root(path, packages=DRWEB['packages'] + roots.DECOY_PACKAGES, files=DRWEB['files'],
                            dirs=DRWEB['dirs'], units=DRWEB['units'])


@pytest.fixture(scope='module')
def audit(tmp_path_factory):
    base = tmp_path_factory.mktemp('jurisdictions')
    local = {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}
    groups = {}
    for name, (kind, codes, group, _status, _policies) in FLEET.items():
        host = dict(local, banned_av_scan_root=_root(kind, str(base / name)))
        if codes is not None:
            host['banned_av_jurisdictions'] = codes
        groups.setdefault(group, {'hosts': {}})['hosts'][name] = host
    inventory = {'all': {'children': groups}}
    report_dir = base / 'reports'
    extravars = {'banned_av_report_dir': str(report_dir), 'banned_av_as_of': AS_OF, 'banned_av_policies': [SITE_POLICY]}
    env = {'ANSIBLE_COLLECTIONS_PATH': os.environ.get('ANSIBLE_COLLECTIONS_PATH', ''), 'ANSIBLE_RETRY_FILES_ENABLED': 'False',
           'ANSIBLE_NOCOLOR': '1'}
    private = base / 'runner'
    private.mkdir()
    result = ansible_runner.run(private_data_dir=str(private), playbook='fleetsec.banned_av.audit', inventory=inventory,
                                extravars=extravars, envvars=env, quiet=True)
    with open(str(report_dir / 'banned_av_report.json'), 'rb') as handle:
        doc = json.loads(handle.read().decode('utf-8'))
    return result, dict((h['name'], h) for h in doc['hosts']), doc


def test_every_host_gets_its_jurisdictions_status(audit):
    result, hosts, _doc = audit
    assert result.rc != 0, 'noncompliant hosts fail the run'
    assert set(hosts) == set(FLEET), 'every inventory host is in the report'
    assert dict((n, h['status']) for n, h in hosts.items()) == dict((n, v[3]) for n, v in FLEET.items())
    for name, (_kind, codes, _group, _status, _policies) in FLEET.items():
        if name != 'typo-01':
            assert hosts[name]['jurisdictions'] == (codes or ['us']), name


@pytest.mark.parametrize('name', sorted(FLEET))
def test_reasons_name_every_applicable_policy(audit, name):
    _result, hosts, _doc = audit
    host = hosts[name]
    expected = FLEET[name][4]
    judged = set(o['id'] for f in host['findings'] for o in f.get('policies') or [])
    assert judged == expected
    reasons = ' '.join(host['reasons'])
    for pid in expected:
        assert pid in reasons, (name, pid, host['reasons'])
    for finding in host['findings']:
        if finding.get('installed') and finding.get('policies'):
            assert finding['policy'] == finding['policies'][0]['id']


def test_a_product_covered_elsewhere_is_named_not_failed(audit):
    _result, hosts, _doc = audit
    fr = hosts['fr-01']
    assert all(f['verdict'] in ('info', 'residue') for f in fr['findings'])
    assert any('covered elsewhere by' in r and 'bis-kaspersky-2024' in r for r in fr['reasons'])
    drweb = hosts['drweb-us-01']
    assert [f['id'] for f in drweb['findings']] == ['drweb.linux']
    assert 'uk-ncsc-2017' in drweb['reasons'][0] and 'ua-sanctions' in drweb['reasons'][0]


def test_a_typo_in_a_sector_code_fails_closed(audit):
    _result, hosts, _doc = audit
    typo = hosts['typo-01']
    assert typo['status'] == 'unknown' and typo['findings'] == []
    assert 'banned_av_jurisdictions' in typo['reasons'][0] and 'us-fedral' in typo['reasons'][0]


def test_report_lists_the_pack_and_the_site_policy(audit):
    _result, _hosts, doc = audit
    ids = [p['id'] for p in doc['policies']]
    for pid in ('bis-kaspersky-2024', 'us-bod-17-01', 'uk-ncsc-2017', 'au-pspf-002-2025', 'site-labs'):
        assert pid in ids
    assert doc['run']['policy_version'].endswith('+site')
