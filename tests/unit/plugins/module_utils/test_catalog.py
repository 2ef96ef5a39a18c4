# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The catalogue: built-in data is valid and sourced; user data is merged; bad data is named."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

import pytest

from ansible_collections.fleetsec.banned_av.plugins.module_utils import catalog as catalog_mod

GOOD = {'id': 'acme.av', 'vendor': 'Acme', 'product': 'Acme AV', 'category': 'banned', 'platforms': ['linux'],
        'sources': ['policy SP-12'], 'match': {'packages': ['acme-av']}}


def test_builtin_catalogue_loads_and_every_entry_cites_sources(catalog):
    assert catalog.version == '2026.11.27'
    ids = [e['id'] for e in catalog.entries]
    assert len(ids) == len(set(ids))
    for entry in catalog.entries:
        assert entry['sources'], entry['id']
        assert entry['confidence'] in ('high', 'medium', 'low')


def test_builtin_catalogue_covers_the_footprint(catalog):
    by_id = catalog.by_id
    assert by_id['kaspersky.kesl']['match']['packages'] == ['kesl']
    assert set(by_id['kaspersky.klnagent_linux']['match']['packages']) == {'klnagent', 'klnagent64'}
    assert 'kav4fs' in by_id['kaspersky.kav4fs']['match']['packages']
    assert by_id['kaspersky.kes_mac']['platforms'] == ['darwin']
    assert by_id['kaspersky.scan_engine']['category'] == 'oem'
    assert by_id['pango.ultraav']['category'] == 'unapproved_successor'
    assert by_id['pango.ultraav']['family'] != 'kaspersky'
    assert by_id['clamav']['category'] == 'protection' and by_id['clamav']['approved'] is True
    assert by_id['kaspersky.kesl_gui']['removal']['order'] < by_id['kaspersky.kesl']['removal']['order'] \
        < by_id['kaspersky.klnagent_linux']['removal']['order']


def test_probe_is_targeted_per_platform(catalog):
    linux = catalog.probe('linux')
    assert 'kesl' in linux['packages'] and 'klnagent64' in linux['packages']
    assert not any(p in linux['packages'] for p in ('klavaro', 'kasumi', 'k*', '*'))
    assert 'com.kaspersky' not in ' '.join(linux['receipts'])
    windows = catalog.probe('windows')
    assert 'klnagent' in windows['services'] and 'klif' in windows['drivers']
    assert not windows['packages']


def test_user_entry_added_and_overrides(tmp_path):
    extra = tmp_path / 'site.yml'
    extra.write_text('schema: 1\nversion: "site-1"\nproducts:\n'
                     '  - {id: kaspersky.kesl, vendor: Kaspersky, product: KESL (site), category: banned, sources: [x],'
                     ' match: {packages: [kesl, kesl-custom]}}\n'
                     '  - {id: kaspersky.ksc_console, disabled: true}\n')
    cat = catalog_mod.load(extra_files=[str(extra)], extra_entries=[GOOD])
    assert cat.by_id['kaspersky.kesl']['match']['packages'] == ['kesl', 'kesl-custom']
    assert 'kaspersky.ksc_console' not in cat.by_id
    assert cat.by_id['acme.av']['family'] == 'acme'
    assert cat.version.endswith('+site')


@pytest.mark.parametrize('change,field', [
    ({'category': 'bannd'}, "'category'"),
    ({'id': 'Bad Id'}, "'id'"),
    ({'vendor': ''}, "'vendor'"),
    ({'platforms': ['solaris']}, "'platforms'"),
    ({'match': {'packagez': ['x']}}, "'match.packagez'"),
    ({'match': {'display_name': ['(unclosed']}}, "'match.display_name'"),
    ({'match': {'packages': 'kesl'}}, "'match.packages'"),
    ({'match': {}}, "'match'"),
    ({'confidence': 'sure'}, "'confidence'"),
    ({'commands': [{'parser': 'x', 'argv': ['relative']}]}, "'commands[0].argv'"),
    ({'signatures': [{'registry': 'HKLM\\x', 'value': 'v', 'format': 'dd-mm'}]}, "'signatures[0].format'"),
    ({'approved': 'yes'}, "'approved'"),
    ({'colour': 'red'}, "'colour'"),
])
def test_malformed_entry_names_entry_and_field(change, field):
    entry = copy.deepcopy(GOOD)
    entry.update(change)
    with pytest.raises(catalog_mod.CatalogError) as err:
        catalog_mod.load(extra_entries=[entry], include_builtin=False)
    assert field in str(err.value)
    assert 'catalog entry' in str(err.value)


def test_missing_sources_rejected():
    entry = copy.deepcopy(GOOD)
    del entry['sources']
    with pytest.raises(catalog_mod.CatalogError, match="'sources'"):
        catalog_mod.load(extra_entries=[entry], include_builtin=False)


def test_bad_files(tmp_path):
    with pytest.raises(catalog_mod.CatalogError, match='does not exist'):
        catalog_mod.load(extra_files=[str(tmp_path / 'nope.yml')])
    bad = tmp_path / 'bad.yml'
    bad.write_text('products: [\n')
    with pytest.raises(catalog_mod.CatalogError, match='not valid YAML'):
        catalog_mod.load(extra_files=[str(bad)])
    wrong = tmp_path / 'wrong.yml'
    wrong.write_text('schema: 2\nproducts: []\n')
    with pytest.raises(catalog_mod.CatalogError, match="'schema'"):
        catalog_mod.load(extra_files=[str(wrong)])
