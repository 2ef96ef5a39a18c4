# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The matching engine on raw inventories built from real-looking tool output."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.fleetsec.banned_av.plugins.module_utils import matcher
from ansible_collections.fleetsec.banned_av.tests.unit.conftest import fixture_text

KESL_APP_INFO = ['/opt/kaspersky/kesl/bin/kesl-control', '--app-info']


def linux_inventory(**kwargs):
    inv = {'schema': 1, 'platform': 'linux', 'root': '/', 'live': True, 'os': {}, 'commands': [], 'packages': [],
           'uninstall': [], 'services': [], 'units': [], 'paths': [], 'groups': [], 'processes': [], 'kernel_modules': [],
           'registry': [], 'receipts': [], 'bundles': [], 'launchd': [], 'security_center': [], 'defender': None,
           'skipped': [], 'errors': []}
    inv.update(kwargs)
    return inv


def dpkg(name):
    return {'id': 'dpkg', 'argv': ['dpkg-query', '-W'], 'rc': 0, 'stdout': fixture_text('linux', name), 'stderr': ''}


def test_live_kesl_with_app_info_gives_signatures_date(catalog):
    inv = linux_inventory(
        commands=[dpkg('dpkg-query-kesl.txt'),
                  {'id': 'kesl_app_info', 'argv': KESL_APP_INFO, 'rc': 0, 'stdout': fixture_text('linux', 'kesl-app-info-ru.txt'), 'stderr': ''}],
        units=[{'name': 'kesl.service', 'path': '/lib/systemd/system/kesl.service', 'active_state': 'active', 'unit_file_state': 'enabled'}],
        processes=[{'name': 'kesl', 'pid': 812, 'exe': '/opt/kaspersky/kesl/libexec/kesl'}])
    result = matcher.match(inv, catalog)
    kesl = [f for f in result['findings'] if f['id'] == 'kaspersky.kesl'][0]
    assert kesl['signatures_date'] == '2024-09-05'
    assert kesl['version'] == '12.1.0.1297'
    kinds = [e['kind'] for e in kesl['evidence']]
    assert 'command' in kinds and 'process' in kinds and 'unit' in kinds
    assert {'kind': 'unit', 'name': 'kesl.service', 'path': '/lib/systemd/system/kesl.service', 'state': 'active',
            'enabled': 'enabled'} in kesl['evidence']
    assert {'kind': 'process', 'name': 'kesl', 'pid': 812, 'exe': '/opt/kaspersky/kesl/libexec/kesl'} in kesl['evidence']
    assert {'kind': 'command', 'argv': KESL_APP_INFO} in kesl['evidence']


def test_failed_command_output_is_not_trusted(catalog):
    inv = linux_inventory(commands=[dpkg('dpkg-query-kesl.txt'),
                                    {'id': 'kesl_app_info', 'argv': KESL_APP_INFO, 'rc': 1,
                                     'stdout': fixture_text('linux', 'kesl-app-info-en.txt'), 'stderr': 'error'}])
    kesl = [f for f in matcher.match(inv, catalog)['findings'] if f['id'] == 'kaspersky.kesl'][0]
    assert kesl['signatures_date'] is None


def test_decoys_never_match(catalog):
    inv = linux_inventory(commands=[dpkg('dpkg-query-decoys.txt')],
                          paths=[{'path': '/usr/bin/klavaro', 'type': 'file'}],
                          processes=[{'name': 'klavaro', 'pid': 5, 'exe': None}])
    result = matcher.match(inv, catalog)
    assert result['findings'] == []
    assert [p['id'] for p in result['protection']] == ['clamav']


def test_process_alone_creates_no_finding(catalog):
    inv = linux_inventory(processes=[{'name': 'kesl', 'pid': 812, 'exe': None}])
    assert matcher.match(inv, catalog)['findings'] == []


def test_clamav_active_from_unit_state(catalog):
    unit = {'name': 'clamav-daemon.service', 'path': '/lib/systemd/system/clamav-daemon.service', 'unit_file_state': 'enabled'}
    active = linux_inventory(commands=[dpkg('dpkg-query-decoys.txt')], units=[dict(unit, active_state='active')])
    inactive = linux_inventory(commands=[dpkg('dpkg-query-decoys.txt')], units=[dict(unit, active_state='failed')])
    assert matcher.match(active, catalog)['protection'][0]['active'] is True
    assert matcher.match(inactive, catalog)['protection'][0]['active'] is False


def test_mdatp_passive_mode_is_present_not_active(catalog):
    pkg = {'name': 'mdatp', 'version': '101.24092.0002', 'installed': True, 'manager': 'dpkg', 'status': 'install ok installed'}
    inv = linux_inventory(packages=[pkg],
                          commands=[{'id': 'mdatp_health', 'argv': ['/usr/bin/mdatp', 'health', '--output', 'json'], 'rc': 0,
                                     'stdout': fixture_text('linux', 'mdatp-health.json'), 'stderr': ''}])
    mdatp = matcher.match(inv, catalog)['protection'][0]
    assert mdatp['id'] == 'mdatp' and mdatp['present'] is True
    assert mdatp['active'] is False and mdatp['mode'] == 'passive'
    assert mdatp['signatures_date'] == '2024-11-27'


def test_scan_engine_is_oem(catalog):
    unit = {'name': 'kavhttpd.service', 'path': '/etc/systemd/system/kavhttpd.service', 'active_state': 'active', 'unit_file_state': 'enabled'}
    inv = linux_inventory(paths=[{'path': '/opt/kaspersky/ScanEngine/bin/kavhttpd', 'type': 'file'}], units=[unit])
    findings = matcher.match(inv, catalog)['findings']
    assert [(f['id'], f['category'], f['installed']) for f in findings] == [('kaspersky.scan_engine', 'oem', True)]


def test_catch_all_only_takes_unexplained_evidence(catalog):
    kesl = [{'path': '/opt/kaspersky/kesl/bin/kesl-control', 'type': 'file'}, {'path': '/opt/kaspersky/kesl', 'type': 'dir'}]
    vendor_dir = [{'path': '/opt/kaspersky', 'type': 'dir'}]
    findings = dict((f['id'], f) for f in matcher.match(linux_inventory(paths=kesl + vendor_dir), catalog)['findings'])
    assert findings['kaspersky.kesl']['installed'] is True
    assert 'kaspersky.other' not in findings  # /opt/kaspersky is explained by KESL below it
    alone = matcher.match(linux_inventory(paths=vendor_dir), catalog)['findings']
    assert [(f['id'], f['installed'], f['evidence']) for f in alone] == [
        ('kaspersky.other', False, [{'kind': 'path', 'path': '/opt/kaspersky'}])]


def test_windows_uninstall_by_publisher_only_goes_to_catch_all(catalog):
    inv = linux_inventory(platform='windows', uninstall=[
        {'hive': 'HKLM', 'view': '32', 'key': '{00000000-1111-2222-3333-444444444444}', 'display_name': 'KSN Helper',
         'display_version': '1.0', 'publisher': 'AO Kaspersky Lab'}])
    findings = matcher.match(inv, catalog)['findings']
    # one installed finding of the catch-all per unlisted product, named by its display name
    assert [(f['id'], f['installed']) for f in findings] == [('kaspersky.other:ksn-helper', True)]


def test_site_entry_matches(catalog):
    from ansible_collections.fleetsec.banned_av.plugins.module_utils import catalog as catalog_mod
    site = catalog_mod.load(extra_entries=[{'id': 'acme.av', 'vendor': 'Acme', 'product': 'Acme AV', 'category': 'banned',
                                            'platforms': ['linux'], 'sources': ['SP-12'], 'match': {'packages': ['acme-*']}}])
    inv = linux_inventory(packages=[{'name': 'acme-av', 'version': '3', 'installed': True, 'manager': 'rpm', 'status': 'installed'}])
    assert [f['id'] for f in matcher.match(inv, site)['findings']] == ['acme.av']


# One Uninstall entry, one product: which catalogue entry takes an entry that two entries match.
# The UltraVPN entry is shaped like the fixture tests/unit/fixtures/windows/ultraav.json; the
# Publisher "UltraAV" is one of the two publisher strings the catalogue expects for Pango's
# products (catalog/products/ultraav.yml: "detection by DisplayName UltraAV and Publisher
# Pango/UltraAV", https://helpnetsecurity.com/2024/09/24/kaspersky-ultraav-handover; the exact
# string was not observed).
ULTRAVPN_BY_ULTRAAV = {'hive': 'HKLM', 'view': '32', 'key': '{6E0A3C55-7B0F-4E55-9C1B-2F1F0B1A9D11}',
                       'display_name': 'UltraVPN', 'display_version': '1.0.0.0', 'publisher': 'UltraAV',
                       'windows_installer': True}


def test_uninstall_entry_goes_to_the_display_name_match_not_the_publisher_match(catalog):
    """pango.ultraav (earlier in the catalogue) matches only by Publisher, pango.ultravpn by
    DisplayName: the entry is UltraVPN's, and no UltraAV finding is made of it."""
    inv = linux_inventory(platform='windows', uninstall=[ULTRAVPN_BY_ULTRAAV])
    findings = matcher.match(inv, catalog)['findings']
    assert [(f['id'], f['installed']) for f in findings] == [('pango.ultravpn', True)]
    assert [e['key'] for e in findings[0]['evidence']] == [ULTRAVPN_BY_ULTRAAV['key']]


def test_uninstall_entry_two_display_names_match_goes_to_the_first_in_catalogue_order(catalog):
    from ansible_collections.fleetsec.banned_av.plugins.module_utils import catalog as catalog_mod

    def site_entry(entry_id):
        return {'id': entry_id, 'vendor': 'Kaspersky', 'product': 'KES (site entry %s)' % entry_id, 'category': 'banned',
                'family': 'kaspersky', 'platforms': ['windows'], 'sources': ['SP-12'],
                'match': {'display_name': ['^Kaspersky Endpoint Security']}}

    kes = {'hive': 'HKLM', 'view': '32', 'key': '{305A9EC9-294E-4555-A7C5-E1C767E01C11}',
           'display_name': 'Kaspersky Endpoint Security for Windows', 'display_version': '11.10.0.399',
           'publisher': 'AO Kaspersky Lab', 'windows_installer': True}
    inv = linux_inventory(platform='windows', uninstall=[kes])
    site = catalog_mod.load(extra_entries=[site_entry('site.kes_b'), site_entry('site.kes_a')])
    assert [f['id'] for f in matcher.match(inv, site)['findings']] == ['kaspersky.kes_windows']
    # two site entries alone: the first (in the order given, not by id) takes it
    only_site = catalog_mod.load(extra_entries=[site_entry('site.kes_b'), site_entry('site.kes_a')], include_builtin=False)
    assert [f['id'] for f in matcher.match(inv, only_site)['findings']] == ['site.kes_b']


def test_uninstall_owners_skip_catch_alls_and_prefer_display_name_in_any_order(catalog):
    """The KSN Helper entry matches only the catch-all (no owner); the UltraVPN entry goes to
    its DisplayName match whether the publisher match comes before or after it."""
    inv = linux_inventory(platform='windows', uninstall=[
        ULTRAVPN_BY_ULTRAAV,
        {'hive': 'HKLM', 'view': '64', 'key': 'KSN Helper', 'display_name': 'KSN Helper', 'publisher': 'AO Kaspersky Lab'}])
    entries = catalog.for_platform('windows')
    owners = matcher.uninstall_owners(entries, inv)
    assert owners == {('uninstall', 'HKLM', '32', ULTRAVPN_BY_ULTRAAV['key']): 'pango.ultravpn'}
    assert matcher.uninstall_owners(list(reversed(entries)), inv) == {
        ('uninstall', 'HKLM', '32', ULTRAVPN_BY_ULTRAAV['key']): 'pango.ultravpn'}
