# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The live Windows collector's output (fixtures in tests/unit/fixtures/windows, see its README)
through the one matching engine: the products, versions, signature dates and categories."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.fleetsec.banned_av.plugins.action.av_facts import build_facts
from ansible_collections.fleetsec.banned_av.tests.unit.conftest import fixture_json


def facts_of(catalog, name):
    return build_facts(fixture_json('windows', name)['inventory'], catalog, '2026-11-27T00:00:00Z')


def installed(facts):
    return dict((f['id'], f) for f in facts['findings'] if f['installed'])


@pytest.mark.parametrize('name,expected', [
    ('kes11.json', {'kaspersky.kes_windows': ('11.10.0.399', '2024-09-27'), 'kaspersky.network_agent': ('14.0.0.10902', None),
                    'kaspersky.drivers': (None, None)}),
    ('kes12.json', {'kaspersky.kes_windows': ('12.9.0.201', '2026-11-25'), 'kaspersky.network_agent': ('15.1.0.20748', None),
                    'kaspersky.drivers': (None, None)}),
    ('ksws.json', {'kaspersky.ksws': ('11.0.1.897', '2024-09-19'), 'kaspersky.network_agent': ('14.0.0.10902', None)}),
    ('network_agent_en.json', {'kaspersky.network_agent': ('10.5.1781', None)}),
    ('network_agent_fr.json', {'kaspersky.network_agent': ('14.0.0.10902', None)}),
    ('consumer21.json', {'kaspersky.consumer': ('21.2.16.590', '2024-09-18'), 'kaspersky.addons': ('5.2.0.115', None),
                         'kaspersky.drivers': (None, None)}),
])
def test_kaspersky_products(catalog, name, expected):
    found = installed(facts_of(catalog, name))
    assert set(found) == set(expected)
    for fid, (version, sig) in expected.items():
        assert found[fid]['version'] == version, fid
        assert found[fid]['signatures_date'] == sig, fid
        assert found[fid]['category'] == 'banned'


def test_kes11_evidence_and_product_code(catalog):
    kes = installed(facts_of(catalog, 'kes11.json'))['kaspersky.kes_windows']
    kinds = set(e['kind'] for e in kes['evidence'])
    assert {'uninstall', 'service', 'process', 'security_center', 'registry'} <= kinds
    assert [(e['key'], e['hive'], e['view'], e['name'], e['version'], e['windows_installer'])
            for e in kes['evidence'] if e['kind'] == 'uninstall'] == [
        ('{305A9EC9-294E-4555-A7C5-E1C767E01C11}', 'HKLM', '32', 'Kaspersky Endpoint Security for Windows', '11.10.0.399', True)]
    assert [(e['value_name'], e['data']) for e in kes['evidence'] if e.get('value_name')] == [
        ('Protection_BasesDate', '27-09-2024 21-40-12')]


def test_network_agent_french_name_matches(catalog):
    agent = installed(facts_of(catalog, 'network_agent_fr.json'))['kaspersky.network_agent']
    assert [e['name'] for e in agent['evidence'] if e['kind'] == 'uninstall'] == ["Agent d'administration de Kaspersky Security Center"]


def test_consumer_per_user_vpn_is_found(catalog):
    addons = installed(facts_of(catalog, 'consumer21.json'))['kaspersky.addons']
    assert any(e.get('hive', '').startswith('HKU\\') for e in addons['evidence'] if e['kind'] == 'uninstall')


def test_ultraav_is_its_own_category(catalog):
    facts = facts_of(catalog, 'ultraav.json')
    found = installed(facts)
    assert set(found) == {'pango.ultraav', 'pango.ultravpn'}
    assert set(f['category'] for f in found.values()) == {'unapproved_successor'}
    assert all(f['family'] == 'ultraav' for f in found.values())
    assert not any(f['family'] == 'kaspersky' and f['installed'] for f in facts['findings'])


def test_defender_only_host_with_decoys(catalog):
    facts = facts_of(catalog, 'defender_only.json')
    assert facts['findings'] == []
    defender = [p for p in facts['protection'] if p['id'] == 'microsoft_defender'][0]
    assert defender['active'] is True and defender['mode'] == 'Normal'
    # the decoys the live collector itself filters out (K-names that are not Kaspersky): the
    # matcher must not match them either
    document = fixture_json('windows', 'defender_only.json')
    decoys = document['_decoys']
    assert set(decoys) == {'uninstall', 'services', 'paths', 'processes'} and all(decoys.values())
    inventory = dict(document['inventory'])
    for source, entries in decoys.items():
        inventory[source] = list(inventory[source]) + entries
    facts = build_facts(inventory, catalog, '2026-11-27T00:00:00Z')
    assert facts['findings'] == []
    defender = [p for p in facts['protection'] if p['id'] == 'microsoft_defender'][0]
    assert defender['active'] is True and defender['mode'] == 'Normal'


@pytest.mark.parametrize('name', ['kes11.json', 'kes12.json'])
def test_defender_not_active_beside_kes(catalog, name):
    defender = [p for p in facts_of(catalog, name)['protection'] if p['id'] == 'microsoft_defender']
    assert defender and defender[0]['active'] is False
