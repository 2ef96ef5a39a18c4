# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The offline Windows image collector on real REGF hives.

The images are built at test time from the readable fixtures in
``tests/fixtures/windows_images/<image>/`` (``.reg`` text, ``files.txt``) by
``tests/support/regf.py``, which writes a minimal base hive and fills it with Debian's
python3-hivex; the collector then reads them with regipy, as it reads a mounted disk image.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import io
import os
import shutil
import struct
import sys
import time

import pytest

from ansible_collections.fleetsec.banned_av.plugins.module_utils import matcher
from ansible_collections.fleetsec.banned_av.plugins.module_utils import windows_offline
from ansible_collections.fleetsec.banned_av.tests.support import regf

FIXTURES = os.path.normpath(os.path.join(os.path.dirname(__file__), '..', '..', '..', 'fixtures', 'windows_images'))
IMAGES = ('kes11', 'kes12', 'ksws', 'consumer21', 'network_agent_fr', 'ultraav', 'defender_only', 'avd_multisession')
LIVE_ONLY = [{'source': s, 'reason': 'offline image: live-only source'} for s in ('processes', 'security_center', 'defender')]
ALICE = 'S-1-5-21-3623811015-3361044348-30300820-1001'
WOW_KL = 'HKLM\\SOFTWARE\\WOW6432Node\\KasperskyLab'
AVSTATE = WOW_KL + '\\Components\\34\\1103\\1.0.0.0\\Statistics\\AVState'

HIVEX_MISSING = regf.hivex_unavailable_reason()
needs_hivex = pytest.mark.skipif(HIVEX_MISSING is not None, reason=HIVEX_MISSING or 'hivex available')
try:
    import regipy  # noqa: F401  pylint: disable=unused-import
    REGIPY_MISSING = None
except ImportError:
    REGIPY_MISSING = 'regipy is not installed (pip install regipy)'
needs_regipy = pytest.mark.skipif(REGIPY_MISSING is not None, reason=REGIPY_MISSING or 'regipy available')


def build(name, dest):
    regf.build_image(os.path.join(FIXTURES, name), str(dest))
    return str(dest)


@pytest.fixture(scope='module')
def probe(catalog):
    return catalog.probe('windows')


@pytest.fixture(scope='module')
def images(tmp_path_factory):
    if HIVEX_MISSING:
        pytest.skip(HIVEX_MISSING)
    base = tmp_path_factory.mktemp('windows_images')
    return dict((name, build(name, base / name)) for name in IMAGES)


@pytest.fixture(scope='module')
def scans(images, probe):
    if REGIPY_MISSING:
        pytest.skip(REGIPY_MISSING)
    return dict((name, windows_offline.collect(root, probe)) for name, root in images.items())


def by(items, field):
    return dict((item[field], item) for item in items)


# --------------------------------------------------------------------------- is_windows_root

@needs_hivex
def test_is_windows_root_on_every_image(images):
    assert all(windows_offline.is_windows_root(root) for root in images.values())


def test_is_windows_root_rejects_other_trees(tmp_path):
    assert windows_offline.is_windows_root(str(tmp_path)) is False
    assert windows_offline.is_windows_root(str(tmp_path / 'missing')) is False
    assert windows_offline.is_windows_root('') is False
    (tmp_path / 'Windows' / 'System32' / 'config' / 'SOFTWARE').mkdir(parents=True)  # a directory, not a hive
    assert windows_offline.is_windows_root(str(tmp_path)) is False


def test_is_windows_root_resolves_case_insensitively(tmp_path):
    (tmp_path / 'WINDOWS' / 'system32' / 'Config').mkdir(parents=True)
    (tmp_path / 'WINDOWS' / 'system32' / 'Config' / 'software').write_bytes(b'regf')
    assert windows_offline.is_windows_root(str(tmp_path)) is True


def test_is_windows_root_does_not_follow_symbolic_links(tmp_path):
    real = tmp_path / 'elsewhere' / 'System32' / 'config'
    real.mkdir(parents=True)
    (real / 'SOFTWARE').write_bytes(b'regf')
    image = tmp_path / 'image'
    image.mkdir()
    os.symlink(str(tmp_path / 'elsewhere'), str(image / 'Windows'))
    assert windows_offline.is_windows_root(str(image)) is False


# --------------------------------------------------------------------------- regipy missing

def test_missing_regipy_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, 'regipy', None)
    monkeypatch.setitem(sys.modules, 'regipy.registry', None)
    with pytest.raises(windows_offline.MissingParser) as caught:
        windows_offline.collect(str(tmp_path), {})
    assert str(caught.value) == 'install `regipy` (pip install regipy) on the host that scans the image'
    assert isinstance(caught.value, ImportError)
    assert windows_offline.RegipyMissingError is windows_offline.MissingParser


# --------------------------------------------------------------------------- images

@needs_hivex
@needs_regipy
def test_every_image_has_the_contract_shape(scans, images):
    keys = {'schema', 'platform', 'root', 'live', 'os', 'commands', 'packages', 'uninstall', 'services', 'units',
            'paths', 'groups', 'processes', 'kernel_modules', 'registry', 'receipts', 'bundles', 'launchd',
            'security_center', 'class_filters', 'defender', 'skipped', 'warnings', 'errors'}
    for name, inv in scans.items():
        assert set(inv) == keys, name
        assert (inv['schema'], inv['platform'], inv['live'], inv['root']) == (1, 'windows', False, images[name])
        assert inv['skipped'] == LIVE_ONLY, name
        assert inv['errors'] == [] and inv['warnings'] == [], name
        assert inv['processes'] == [] and inv['security_center'] == [] and inv['defender'] is None
        for entry in inv['uninstall']:
            assert set(entry) == {'hive', 'view', 'key', 'display_name', 'display_version', 'publisher',
                                  'install_location', 'uninstall_string', 'quiet_uninstall_string', 'windows_installer'}
        for service in inv['services']:
            # install_dir: the built-in probe's install directory the service's image lies below
            assert set(service) - {'install_dir'} == {'name', 'display_name', 'image_path', 'start', 'kind', 'state'}
            assert service['state'] is None
        for path in inv['paths']:
            assert path['path'].startswith('C:\\') and path['type'] in ('file', 'dir', 'link')
        assert inv['class_filters'], name
        for cls in inv['class_filters']:
            assert set(cls) == {'class_guid', 'name', 'upper', 'lower'} and (cls['upper'] or cls['lower'])
            assert cls['name'] != 'Net'     # no filter list: not returned


@needs_hivex
@needs_regipy
def test_kes11(scans):
    inv = scans['kes11']
    assert inv['os'] == {'name': 'Microsoft Windows 10 Enterprise', 'family': 'windows', 'version': '10.0.19045',
                         'installation_type': 'Client'}
    uninstall = by(inv['uninstall'], 'key')
    assert set(uninstall) == {'{305A9EC9-294E-4555-A7C5-E1C767E01C11}', '{0F05E4E5-5A89-482C-9A62-47CC58643788}'}
    kes = uninstall['{305A9EC9-294E-4555-A7C5-E1C767E01C11}']
    assert kes == {
        'hive': 'HKLM', 'view': '32', 'key': '{305A9EC9-294E-4555-A7C5-E1C767E01C11}',
        'display_name': 'Kaspersky Endpoint Security for Windows', 'display_version': '11.10.0.399',
        'publisher': 'AO Kaspersky Lab', 'install_location': 'C:\\Program Files (x86)\\Kaspersky Lab\\KES.11.10.0\\',
        'uninstall_string': 'MsiExec.exe /X{305A9EC9-294E-4555-A7C5-E1C767E01C11}', 'quiet_uninstall_string': None,
        'windows_installer': True}
    services = by(inv['services'], 'name')
    assert set(services) == {'AVP.KES.11.10.0', 'klnagent', 'klif', 'klflt', 'klhk', 'klim6', 'klelam', 'WinDefend'}
    assert services['AVP.KES.11.10.0'] == {
        'name': 'AVP.KES.11.10.0', 'display_name': 'Kaspersky Endpoint Security Service',
        'image_path': '"C:\\Program Files (x86)\\Kaspersky Lab\\KES.11.10.0\\avp.exe" -r',
        'start': 'auto', 'kind': 'service', 'state': None, 'install_dir': 'C:\\Program Files*\\Kaspersky Lab\\*'}
    assert services['klif'] == {
        'name': 'klif', 'display_name': 'Kaspersky Lab Core System Interceptors',
        'image_path': 'system32\\DRIVERS\\klif.sys', 'start': 'boot', 'kind': 'driver', 'state': None}
    assert dict((n, (s['kind'], s['start'])) for n, s in services.items()) == {
        'AVP.KES.11.10.0': ('service', 'auto'), 'klnagent': ('service', 'auto'), 'WinDefend': ('service', 'auto'),
        'klif': ('driver', 'boot'), 'klflt': ('driver', 'boot'), 'klhk': ('driver', 'system'),
        'klim6': ('driver', 'manual'), 'klelam': ('driver', 'boot')}
    # klbackupflt only exists in ControlSet002, which Select\Current does not name
    assert 'klbackupflt' not in services
    registry = by(inv['registry'], 'key')
    assert set(registry) == {WOW_KL, WOW_KL + '\\protected\\KES11', WOW_KL + '\\Components\\34\\Connectors\\KES\\11.0.0.0',
                             WOW_KL + '\\Components\\34\\1103\\1.0.0.0', AVSTATE}
    assert registry[AVSTATE]['values'] == {
        'Protection_BasesDate': '27-09-2024 21-40-12', 'Protection_LastFscan': '22-09-2024 02-00-00',
        'Protection_LastConnected': '27-11-2026 07-58-31', 'Protection_AdmServer': 'ksc01.corp.example',
        'Protection_AvInstalled': 1, 'Protection_AvRunning': 1}
    assert registry[WOW_KL + '\\protected\\KES11']['values'] == {}
    paths = dict((p['path'], p['type']) for p in inv['paths'])
    assert paths == {
        'C:\\Program Files (x86)\\Kaspersky Lab\\KES.11.10.0\\avp.exe': 'file',
        'C:\\Program Files (x86)\\Kaspersky Lab\\KES.11.10.0': 'dir',
        'C:\\Program Files (x86)\\Kaspersky Lab\\NetworkAgent\\klnagent.exe': 'file',
        'C:\\Program Files (x86)\\Kaspersky Lab\\NetworkAgent': 'dir',
        'C:\\Program Files (x86)\\Kaspersky Lab': 'dir',
        'C:\\Windows\\System32\\drivers\\klif.sys': 'file', 'C:\\Windows\\System32\\drivers\\klflt.sys': 'file',
        'C:\\Windows\\System32\\drivers\\klhk.sys': 'file', 'C:\\Windows\\System32\\drivers\\klim6.sys': 'file',
        'C:\\Windows\\System32\\drivers\\klelam.sys': 'file'}


@needs_hivex
@needs_regipy
def test_kes12_reads_the_control_set_select_names(scans):
    inv = scans['kes12']
    assert inv['os']['name'] == 'Microsoft Windows 11 Enterprise'  # ProductName says "Windows 10 Enterprise"
    assert inv['os']['version'] == '10.0.22631'
    names = set(s['name'] for s in inv['services'])
    assert names == {'AVP.KES.12.9.0', 'avpsus', 'klnagent', 'klif', 'klflt', 'klhk', 'klgse', 'kneps', 'klwfp', 'klelam',
                     'WinDefend'}
    assert 'AVP.KES.11.10.0' not in names  # only in ControlSet001; Select\Current = 2
    services = by(inv['services'], 'name')
    # no DisplayName value: named after the key, as the Service Control Manager (so the live collector) names it
    assert services['klhk']['display_name'] == 'klhk'
    assert services['klwfp']['display_name'] == 'klwfp'
    assert services['kneps']['start'] == 'disabled'
    registry = by(inv['registry'], 'key')
    assert registry[AVSTATE]['values']['Protection_BasesDate'] == '25-11-2026 04-10-33'
    assert [u['display_version'] for u in inv['uninstall'] if u['display_name'].startswith('Kaspersky Endpoint')] == ['12.9.0.201']


@needs_hivex
@needs_regipy
def test_ksws_server_with_protected_kavfs_service(scans):
    inv = scans['ksws']
    assert inv['os'] == {'name': 'Microsoft Windows Server 2019 Standard', 'family': 'windows', 'version': '10.0.17763',
                         'installation_type': 'Server'}
    services = by(inv['services'], 'name')
    assert services['KAVFS'] == {
        'name': 'KAVFS', 'display_name': 'Kaspersky Security Service',
        'image_path': '"C:\\Program Files (x86)\\Kaspersky Lab\\Kaspersky Security for Windows Server\\kavfs.exe"',
        'start': 'auto', 'kind': 'service', 'state': None, 'install_dir': 'C:\\Program Files*\\Kaspersky Lab\\*'}
    assert services['kavfsslp']['start'] == 'manual'
    assert set(services) == {'KAVFS', 'kavfsslp', 'klnagent'}  # the Windows Defender feature is uninstalled
    assert [u['display_name'] for u in inv['uninstall']] == ['Kaspersky Security for Windows Server',
                                                             'Kaspersky Security Center Network Agent']
    assert WOW_KL + '\\Components\\34\\Connectors\\WSEE\\10.0.0.0' in by(inv['registry'], 'key')


@needs_hivex
@needs_regipy
def test_consumer21_with_per_user_vpn(scans):
    inv = scans['consumer21']
    uninstall = by(inv['uninstall'], 'display_name')
    assert set(uninstall) == {'Kaspersky Total Security', 'Kaspersky VPN Secure Connection'}
    assert (uninstall['Kaspersky Total Security']['hive'], uninstall['Kaspersky Total Security']['view']) == ('HKLM', '32')
    vpn = uninstall['Kaspersky VPN Secure Connection']
    assert vpn['hive'] == 'HKU\\' + ALICE  # the SID ProfileList gives C:\Users\alice
    assert vpn['view'] == 'user'
    assert vpn['key'] == 'Kaspersky VPN Secure Connection'
    assert vpn['windows_installer'] is False
    assert vpn['quiet_uninstall_string'].endswith('ksde.exe" /uninstall /s')
    # bob's hive was read (no ProfileList entry: HKU\bob) but holds nothing the catalogue names
    assert not [u for u in inv['uninstall'] if u['hive'] == 'HKU\\bob']
    registry = by(inv['registry'], 'key')
    data = WOW_KL + '\\protected\\AVP21.2\\Data'
    # found through the signature glob HKLM\SOFTWARE\*KasperskyLab\protected\AVP*\Data (two levels for '*KasperskyLab')
    assert registry[data]['values'] == {'LastSuccessfulUpdate': 1726697647, 'LicDaysTillExpiration': 110}
    assert WOW_KL + '\\protected\\AVP21.2' in registry
    services = by(inv['services'], 'name')
    assert services['AVP21.2']['display_name'] == 'Kaspersky Anti-Virus Service 21.2'
    assert services['klif']['kind'] == 'driver' and services['AVP21.2']['kind'] == 'service'
    assert {'path': 'C:\\ProgramData\\Kaspersky Lab\\AVP21.2', 'type': 'dir'} in inv['paths']


@needs_hivex
@needs_regipy
def test_network_agent_under_its_french_name_on_32bit_windows(scans):
    inv = scans['network_agent_fr']
    # no Control\ProductOptions in this image: the type comes from InstallationType
    assert inv['os'] == {'name': 'Microsoft Windows 10 Pro', 'family': 'windows', 'version': '10.0.19044',
                         'installation_type': 'Client'}
    assert inv['uninstall'] == [{
        'hive': 'HKLM', 'view': '32', 'key': '{2924BEDA-E0D7-4DAF-A224-50D2E0B12F5B}',
        'display_name': "Agent d'administration de Kaspersky Security Center", 'display_version': '14.0.0.10902',
        'publisher': 'AO Kaspersky Lab', 'install_location': 'C:\\Program Files\\Kaspersky Lab\\NetworkAgent\\',
        'uninstall_string': 'MsiExec.exe /I{2924BEDA-E0D7-4DAF-A224-50D2E0B12F5B}', 'quiet_uninstall_string': None,
        'windows_installer': True}]
    assert [s['name'] for s in inv['services']] == ['klnagent', 'WinDefend']
    assert {'path': 'C:\\Program Files\\Kaspersky Lab\\NetworkAgent\\klnagent.exe', 'type': 'file'} in inv['paths']


@needs_hivex
@needs_regipy
def test_ultraav_and_ultravpn(scans):
    inv = scans['ultraav']
    assert inv['os']['name'] == 'Microsoft Windows 11 Home'
    assert sorted((u['key'], u['view'], u['publisher']) for u in inv['uninstall']) == [
        ('UltraAV', '64', 'Pango Group'), ('UltraVPN', '32', 'Pango Group')]
    assert [s['name'] for s in inv['services']] == ['WinDefend']
    assert inv['registry'] == []
    assert sorted(p['path'] for p in inv['paths']) == ['C:\\ProgramData\\Kaspersky Lab', 'C:\\ProgramData\\Kaspersky Lab\\AVP21.3']


@needs_hivex
@needs_regipy
def test_defender_only_image_returns_no_decoy(scans):
    inv = scans['defender_only']
    assert inv['uninstall'] == []  # KeePass, K-Lite Codec Pack, 7-Zip, Adobe are filtered out
    assert [(s['name'], s['kind'], s['start']) for s in inv['services']] == [('WinDefend', 'service', 'auto')]
    names = set(s['name'].lower() for s in inv['services'])
    assert not names & {'keyiso', 'ksecdd', 'ktmrm', 'kbdclass', 'wdfilter'}
    assert inv['registry'] == [] and inv['paths'] == []


EXPECTED_FINDINGS = {
    # image: {finding id: (installed, version, signatures_date)}
    'kes11': {'kaspersky.kes_windows': (True, '11.10.0.399', '2024-09-27'),
              'kaspersky.network_agent': (True, '14.0.0.10902', None),
              'kaspersky.drivers': (True, None, None)},
    'kes12': {'kaspersky.kes_windows': (True, '12.9.0.201', '2026-11-25'),
              'kaspersky.network_agent': (True, '15.1.0.20748', None),
              'kaspersky.drivers': (True, None, None)},
    'ksws': {'kaspersky.ksws': (True, '11.0.1.897', '2024-09-19'),
             'kaspersky.network_agent': (True, '14.0.0.10902', None)},
    'consumer21': {'kaspersky.consumer': (True, '21.2.16.590', '2024-09-18'),
                   'kaspersky.addons': (True, '5.2.0.115', None),
                   'kaspersky.drivers': (True, None, None)},
    'network_agent_fr': {'kaspersky.network_agent': (True, '14.0.0.10902', None)},
    'ultraav': {'pango.ultraav': (True, '1.0.0.0', None), 'pango.ultravpn': (True, '1.0.0.0', None),
                'kaspersky.consumer': (False, None, None)},
    'defender_only': {},
    'avd_multisession': {'kaspersky.network_agent': (True, '14.2.0.26967', None),
                         'kaspersky.addons': (True, '24.0.0.427', None)},
}


@needs_hivex
@needs_regipy
@pytest.mark.parametrize('name', IMAGES)
def test_one_matcher_serves_offline_images(scans, name, catalog):
    """The raw inventory goes through the same matcher as a live scan's."""
    result = matcher.match(scans[name], catalog)
    found = dict((f['id'], (f['installed'], f['version'], f['signatures_date'])) for f in result['findings'])
    for finding_id, expected in EXPECTED_FINDINGS[name].items():
        assert found.get(finding_id) == expected, (name, finding_id, found)
    specific = set(f for f in found if f != 'kaspersky.other')  # the catch-all takes unclaimed residue
    assert specific == set(EXPECTED_FINDINGS[name])
    protection = by(result['protection'], 'id')
    if name == 'ksws':
        assert 'microsoft_defender' not in protection  # the Windows Defender feature is uninstalled
    else:
        assert protection['microsoft_defender']['active'] is None  # offline: cannot tell


# --------------------------------------------------------------------------- robustness

@needs_hivex
@needs_regipy
def test_case_changed_volume_is_read_with_real_names(tmp_path, probe):
    root = build('kes11', tmp_path / 'img')
    os.rename(os.path.join(root, 'Windows'), os.path.join(root, 'WINDOWS'))
    os.rename(os.path.join(root, 'WINDOWS', 'System32'), os.path.join(root, 'WINDOWS', 'system32'))
    os.rename(os.path.join(root, 'Program Files (x86)'), os.path.join(root, 'PROGRAM FILES (X86)'))
    assert windows_offline.is_windows_root(root)
    inv = windows_offline.collect(root, probe)
    assert inv['errors'] == []
    assert len(inv['uninstall']) == 2 and len(inv['services']) == 8
    paths = set(p['path'] for p in inv['paths'])
    assert 'C:\\PROGRAM FILES (X86)\\Kaspersky Lab\\KES.11.10.0\\avp.exe' in paths
    assert 'C:\\WINDOWS\\system32\\drivers\\klif.sys' in paths


@needs_hivex
@needs_regipy
def test_symbolic_links_are_reported_not_followed(tmp_path, probe):
    root = build('defender_only', tmp_path / 'img')
    outside = tmp_path / 'host'
    (outside / 'KES.66.6.0').mkdir(parents=True)
    (outside / 'KES.66.6.0' / 'avp.exe').write_bytes(b'')
    os.makedirs(os.path.join(root, 'Program Files (x86)', 'Kaspersky Lab'))
    os.symlink(str(outside / 'KES.66.6.0'), os.path.join(root, 'Program Files (x86)', 'Kaspersky Lab', 'KES.66.6.0'))
    # a user folder that is a link (as "All Users" is) is not read either
    shutil.copy(build('consumer21', tmp_path / 'other') + '/Users/alice/NTUSER.DAT', str(outside / 'NTUSER.DAT'))
    os.makedirs(os.path.join(root, 'Users'))
    os.symlink(str(outside), os.path.join(root, 'Users', 'evil'))
    inv = windows_offline.collect(root, probe)
    paths = dict((p['path'], p['type']) for p in inv['paths'])
    assert paths['C:\\Program Files (x86)\\Kaspersky Lab\\KES.66.6.0'] == 'link'
    assert 'C:\\Program Files (x86)\\Kaspersky Lab\\KES.66.6.0\\avp.exe' not in paths
    assert inv['uninstall'] == []


@needs_hivex
@needs_regipy
def test_unreadable_hive_is_an_error_and_the_scan_carries_on(tmp_path, probe):
    root = build('kes11', tmp_path / 'img')
    with open(os.path.join(root, 'Windows', 'System32', 'config', 'SYSTEM'), 'wb') as handle:
        handle.write(b'this is not a hive')
    inv = windows_offline.collect(root, probe)
    assert [e['source'] for e in inv['errors']] == ['hive:SYSTEM']
    assert 'cannot read hive' in inv['errors'][0]['message']
    assert inv['services'] == []
    assert len(inv['uninstall']) == 2 and inv['registry'] and inv['paths']
    assert inv['os']['installation_type'] == 'Client'  # from InstallationType when SYSTEM is unreadable


@needs_hivex
@needs_regipy
def test_missing_system_hive_is_reported(tmp_path, probe):
    root = build('kes12', tmp_path / 'img')
    os.unlink(os.path.join(root, 'Windows', 'System32', 'config', 'SYSTEM'))
    inv = windows_offline.collect(root, probe)
    assert inv['errors'] == [{'source': 'hive:SYSTEM', 'message': 'hive Windows/System32/config/SYSTEM not found under %s' % root}]
    assert len(inv['uninstall']) == 2


@needs_hivex
@needs_regipy
def test_dirty_hive_is_flagged(tmp_path, probe):
    root = build('consumer21', tmp_path / 'img')
    path = os.path.join(root, 'Windows', 'System32', 'config', 'SOFTWARE')
    with open(path, 'r+b') as handle:
        handle.seek(8)
        secondary = struct.unpack('<I', handle.read(4))[0]
        handle.seek(8)
        handle.write(struct.pack('<I', secondary - 1))  # a write was in progress when the image was taken
    inv = windows_offline.collect(root, probe)
    assert [e['source'] for e in inv['errors']] == ['hive:SOFTWARE']
    assert 'not closed cleanly' in inv['errors'][0]['message']
    assert len(inv['uninstall']) == 2  # still read


@needs_hivex
@needs_regipy
def test_empty_probe_lists_are_skipped_like_the_live_collector(images):
    inv = windows_offline.collect(images['kes11'], {})
    assert inv['uninstall'] == [] and inv['services'] == [] and inv['registry'] == [] and inv['paths'] == []
    assert inv['skipped'] == [{'source': 'uninstall', 'reason': 'the probe has no display_name or publisher pattern'},
                              {'source': 'services', 'reason': 'the probe has no services or drivers pattern'}] + LIVE_ONLY
    assert inv['os']['version'] == '10.0.19045'


@needs_hivex
@needs_regipy
def test_invalid_probe_regex_is_reported_and_ignored(images):
    inv = windows_offline.collect(images['kes11'], {'display_name': ['Kaspersky (Endpoint', 'Network Agent$'],
                                                    'services': 'klnagent'})
    assert [u['key'] for u in inv['uninstall']] == ['{0F05E4E5-5A89-482C-9A62-47CC58643788}']
    assert [s['name'] for s in inv['services']] == ['klnagent']
    assert [e['source'] for e in inv['errors']] == ['probe']
    assert "probe.display_name pattern 'Kaspersky (Endpoint' is not a valid regular expression" in inv['errors'][0]['message']


@needs_hivex
@needs_regipy
def test_registry_patterns_of_user_hives_system_and_other_roots(images):
    probe = {'registry': ['HKU\\S-1-5-21-*\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\Kaspersky*',
                          'HKLM\\SYSTEM\\CurrentControlSet\\Services\\klif\\Instances\\*',
                          'HKLM\\SAM\\SAM\\Domains', 'HKCR\\CLSID'],
             'commands': [{'parser': 'x', 'argv': ['/bin/true']}]}
    inv = windows_offline.collect(images['consumer21'], probe)
    assert [r['key'] for r in inv['registry']] == [
        'HKU\\%s\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\Kaspersky VPN Secure Connection' % ALICE]
    assert inv['registry'][0]['values']['DisplayVersion'] == '5.2.0.115'
    assert [e['message'] for e in inv['errors']] == [
        "'HKLM\\SAM\\SAM\\Domains': only the SOFTWARE and SYSTEM hives of HKLM are read",
        "'HKCR\\CLSID': only HKLM and HKU keys are read"]
    assert {'source': 'commands', 'reason': 'offline image: live-only source'} in inv['skipped']
    inv = windows_offline.collect(images['kes11'], {'registry': ['HKLM\\SYSTEM\\CurrentControlSet\\Services\\klif\\Instances\\*']})
    assert inv['registry'] == [{'key': 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\klif\\Instances\\klif Instance',
                                'values': {'Altitude': '323600', 'Flags': 0}}]


@needs_hivex
@needs_regipy
def test_registry_glob_bounds(tmp_path):
    """The last glob component matches one level only; more than 64 keys are cut with a warning
    (output capped: nothing is hidden that the 64 keys of the pattern do not show); a pattern with
    more than 4 wildcard levels is not read at all, an error."""
    lines = ['Windows Registry Editor Version 5.00', '']
    lines += ['[HKEY_LOCAL_MACHINE\\SOFTWARE\\Vendor\\K%03d\\Sub]' % i for i in range(70)]
    root = tmp_path / 'img'
    (root / 'Windows' / 'System32' / 'config').mkdir(parents=True)
    regf.build_hive('\n'.join(lines) + '\n', str(root / 'Windows' / 'System32' / 'config' / 'SOFTWARE'), 'SOFTWARE')
    inv = windows_offline.collect(str(root), {'registry': ['HKLM\\SOFTWARE\\Vendor\\K00*']})
    assert [r['key'] for r in inv['registry']] == ['HKLM\\SOFTWARE\\Vendor\\K%03d' % i for i in range(10)]
    inv = windows_offline.collect(str(root), {'registry': ['HKLM\\SOFTWARE\\Vendor\\*'],
                                              'signature_keys': ['HKLM\\SOFTWARE\\*\\*\\*\\*\\*']})
    assert len(inv['registry']) == 64
    assert [e['message'] for e in inv['warnings'] if e['source'] == 'registry'] == [
        "'HKLM\\SOFTWARE\\Vendor\\*' matched more than 64 keys; only the first 64 are returned"]
    assert [e['message'] for e in inv['errors'] if e['source'] == 'registry'] == [
        "'HKLM\\SOFTWARE\\*\\*\\*\\*\\*' has more than 4 wildcard levels and was not read"]


# --------------------------------------------------------------------------- hive tooling and regipy

ALL_TYPES_REG = u'''Windows Registry Editor Version 5.00

; every value type reg export writes
[HKEY_LOCAL_MACHINE\\SOFTWARE\\KasperskyLab\\protected\\KES99\\environment]
@="default \\"quoted\\" C:\\\\path"
"String"="Kaspersky Lab – Лаборатория Касперского"
"Empty"=""
"Dword"=dword:0000002a
"Never"=dword:ffffffff
"Qword"=hex(b):00,00,55,dd,5b,f2,d7,01
"Expand"=hex(2):25,00,53,00,79,00,73,00,74,00,65,00,6d,00,52,00,6f,00,6f,00,74,\\
  00,25,00,5c,00,78,00,00,00
"Multi"=hex(7):61,00,00,00,62,00,63,00,00,00,00,00
"Binary"=hex:de,ad,be,ef
"None"=hex(0):01,02
"Big"=hex:%s
'''


def all_types_hive(tmp_path):
    big = ','.join(['ab'] * 600)
    root = tmp_path / 'img'
    (root / 'Windows' / 'System32' / 'config').mkdir(parents=True)
    path = str(root / 'Windows' / 'System32' / 'config' / 'SOFTWARE')
    regf.build_hive(ALL_TYPES_REG % big, path, 'SOFTWARE')
    return str(root), path


@needs_hivex
@needs_regipy
def test_regipy_reads_every_value_type_hivex_wrote(tmp_path):
    from regipy.registry import RegistryHive
    _root, path = all_types_hive(tmp_path)
    key = RegistryHive(path).get_key('\\KasperskyLab\\protected\\KES99\\environment')
    got = dict((v.name, (v.value_type, v.value)) for v in key.iter_values(trim_values=False))
    assert got['(default)'] == ('REG_SZ', 'default "quoted" C:\\path')
    assert got['String'] == ('REG_SZ', u'Kaspersky Lab – Лаборатория Касперского')
    assert got['Empty'] == ('REG_SZ', '')
    assert got['Dword'] == ('REG_DWORD', 42)
    assert got['Never'] == ('REG_DWORD', 0xFFFFFFFF)
    assert got['Qword'] == ('REG_QWORD', 132841190400000000)
    assert got['Expand'] == ('REG_EXPAND_SZ', '%SystemRoot%\\x')
    assert got['Multi'] == ('REG_MULTI_SZ', ['a', 'bc'])
    assert got['Binary'] == ('REG_BINARY', b'\xde\xad\xbe\xef')
    assert got['None'] == ('REG_NONE', b'\x01\x02')
    assert got['Big'] == ('REG_BINARY', b'\xab' * 600)


@needs_hivex
@needs_regipy
def test_registry_values_as_the_live_collector_returns_them(tmp_path):
    root, _path = all_types_hive(tmp_path)
    inv = windows_offline.collect(root, {'registry': ['HKLM\\SOFTWARE\\KasperskyLab\\protected\\KES*\\environment']})
    assert [e for e in inv['errors'] if e['source'] == 'registry'] == []
    assert inv['registry'] == [{'key': 'HKLM\\SOFTWARE\\KasperskyLab\\protected\\KES99\\environment', 'values': {
        '(default)': 'default "quoted" C:\\path', 'String': u'Kaspersky Lab – Лаборатория Касперского', 'Empty': '',
        'Dword': 42, 'Never': 4294967295, 'Qword': 132841190400000000, 'Expand': '%SystemRoot%\\x',
        'Multi': ['a', 'bc'], 'Binary': 'deadbeef', 'None': '0102', 'Big': '<600 bytes of Binary data not returned>'}}]


@needs_hivex
def test_base_hive_opens_in_hivex(tmp_path):
    path = regf.write_base_hive(str(tmp_path / 'base'), 'ROOT', 'SYSTEM')
    data = open(path, 'rb').read()
    assert len(data) == 8192 and data[:4] == b'regf' and data[4096:4100] == b'hbin'
    checksum = 0
    for (dword,) in struct.iter_unpack('<I', data[:0x1FC]):
        checksum ^= dword
    assert struct.unpack('<I', data[0x1FC:0x200])[0] == checksum
    hive = regf.load_hivex().Hivex(path)
    assert hive.node_name(hive.root()) == 'ROOT' and hive.node_children(hive.root()) == []


def test_parse_reg_formats():
    keys = regf.parse_reg(u'REGEDIT4\r\n\r\n[HKEY_CURRENT_USER\\Software\\X]\r\n"A"="b"\r\n'
                          u'"E"=hex(2):25,00\r\n[hkey_current_user\\software\\x]\r\n"a"=dword:1\r\n')
    assert keys == [('HKEY_CURRENT_USER\\Software\\X', [('a', regf.REG_DWORD, b'\x01\0\0\0'),
                                                        ('E', regf.REG_EXPAND_SZ, b'%\0\0\0')])]
    utf16 = u'\ufeffWindows Registry Editor Version 5.00\r\n\r\n[HKEY_CURRENT_USER\\X]\r\n@="v"\r\n'.encode('utf-16-le')
    assert regf.parse_reg(utf16) == [('HKEY_CURRENT_USER\\X', [('', regf.REG_SZ, u'v\0'.encode('utf-16-le'))])]
    for bad, message in ((u'[HKEY_CURRENT_USER\\X]\n', 'first line'),
                         (u'REGEDIT4\n[-HKEY_CURRENT_USER\\X]\n', 'deletion'),
                         (u'REGEDIT4\n[HKEY_CURRENT_USER\\X]\n"a"=dword:123456789\n', 'dword'),
                         (u'REGEDIT4\n[HKEY_CURRENT_USER\\X]\n"a"=hex(b):01\n', 'QWORD'),
                         (u'REGEDIT4\n"a"="b"\n', 'before the first')):
        with pytest.raises(regf.RegFileError, match=message):
            regf.parse_reg(bad)


@needs_hivex
def test_every_fixture_parses_and_stays_in_its_hive(tmp_path):
    for name in IMAGES:
        created = regf.build_image(os.path.join(FIXTURES, name), str(tmp_path / name))
        assert os.path.getsize(created['SOFTWARE']) >= 8192 and os.path.getsize(created['SYSTEM']) >= 8192
        assert all(os.path.exists(p) for p in created['files'])


# --------------------------------------------------------------------------- regipy inline reads

def test_inline_values_are_not_read_from_the_hive_stream():
    class FakeNK(object):
        @staticmethod
        def read_value(vk, stream):
            return stream.read(vk.data_size)

    windows_offline._bound_inline_reads(FakeNK)
    windows_offline._bound_inline_reads(FakeNK)  # wrapping twice is a no-op
    stream = io.BytesIO(b'x' * 100)
    assert FakeNK.read_value(Vk(0x80000004), stream) == b''
    assert stream.tell() == 0
    assert FakeNK.read_value(Vk(3), stream) == b'xxx'
    assert FakeNK.read_value._banned_av_original(Vk(2), stream) == b'xx'


class Vk(object):
    def __init__(self, data_size):
        self.data_size = data_size
        self.data_offset = 0x2a


def dump_hive(path):
    from regipy.registry import RegistryHive
    out = []

    def walk(nk, prefix):
        out.append((prefix, sorted((v.name, v.value_type, repr(v.value)) for v in nk.iter_values(trim_values=False))))
        for sub in nk.iter_subkeys() or []:
            walk(sub, prefix + '\\' + sub.name)

    walk(RegistryHive(path).root, '')
    return out


@needs_hivex
@needs_regipy
def test_bounded_inline_reads_keep_regipy_results(images, monkeypatch, tmp_path):
    from regipy import registry
    windows_offline._import_regipy()
    patched = registry.NKRecord.read_value
    assert patched._banned_av_bounded
    hives = [all_types_hive(tmp_path)[1]]
    for root in images.values():
        for dirpath, _dirs, files in os.walk(root):
            hives += [os.path.join(dirpath, f) for f in files if f in ('SOFTWARE', 'SYSTEM', 'NTUSER.DAT')]
    fixed = [dump_hive(path) for path in hives]
    monkeypatch.setattr(registry.NKRecord, 'read_value', staticmethod(patched._banned_av_original))
    assert [dump_hive(path) for path in hives] == fixed


# --------------------------------------------------------------------------- timing

@needs_hivex
@needs_regipy
def test_scan_time_of_one_image(images, probe, capsys, record_property):
    started = time.time()
    inv = windows_offline.collect(images['kes11'], probe)
    elapsed = time.time() - started
    record_property('windows_offline_kes11_seconds', round(elapsed, 4))
    with capsys.disabled():
        print('\nwindows_offline.collect(kes11): %.1f ms (%d uninstall, %d services, %d registry, %d paths)'
              % (elapsed * 1000, len(inv['uninstall']), len(inv['services']), len(inv['registry']), len(inv['paths'])))
    assert elapsed < 5


@needs_hivex
@needs_regipy
def test_scan_time_of_a_10mb_software_hive(tmp_path, capsys):
    """500 Uninstall entries in a 10 MB hive: regipy alone copied the rest of the hive for every
    inline DWORD (about 20 s here); with inline reads bounded it takes well under a second."""
    lines = ['Windows Registry Editor Version 5.00', '']
    for i in range(500):
        lines += ['[HKEY_LOCAL_MACHINE\\SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\{%08d-0000-0000-0000-000000000000}]' % i,
                  '"DisplayName"="Product %d"' % i, '"Publisher"="Vendor"', '"WindowsInstaller"=dword:00000001',
                  '"NoModify"=dword:00000001', '"EstimatedSize"=dword:00000100']
    config = tmp_path / 'img' / 'Windows' / 'System32' / 'config'
    config.mkdir(parents=True)
    path = regf.build_hive('\n'.join(lines) + '\n', str(config / 'SOFTWARE'), 'SOFTWARE')
    hivex = regf.load_hivex()
    hive = hivex.Hivex(path, write=True)
    filler = hive.node_add_child(hive.root(), 'Filler')
    for k in range(20):
        node = hive.node_add_child(filler, 'K%d' % k)
        hive.node_set_values(node, [{'key': 'V%d' % j, 't': regf.REG_BINARY, 'value': b'\xab' * 16000} for j in range(25)])
    hive.commit(path)
    del hive
    started = time.time()
    inv = windows_offline.collect(str(tmp_path / 'img'), {'display_name': ['^Product 4[0-9]$']})
    elapsed = time.time() - started
    assert len(inv['uninstall']) == 10 and all(u['windows_installer'] for u in inv['uninstall'])
    with capsys.disabled():
        print('\nwindows_offline.collect(%.1f MB SOFTWARE, 500 Uninstall entries): %.0f ms'
              % (os.path.getsize(path) / 1e6, elapsed * 1000))
    assert elapsed < 10


# --------------------------------------------------------------------------- issue 13 defects (offline path)

def software_image(tmp_path, lines, system_lines=None):
    root = tmp_path / 'img'
    (root / 'Windows' / 'System32' / 'config').mkdir(parents=True)
    regf.build_hive('\n'.join(['Windows Registry Editor Version 5.00', ''] + lines) + '\n',
                    str(root / 'Windows' / 'System32' / 'config' / 'SOFTWARE'), 'SOFTWARE')
    if system_lines is not None:
        regf.build_hive('\n'.join(['Windows Registry Editor Version 5.00', ''] + system_lines) + '\n',
                        str(root / 'Windows' / 'System32' / 'config' / 'SYSTEM'), 'SYSTEM')
    return str(root)


@needs_hivex
@needs_regipy
def test_a_cut_middle_wildcard_level_does_not_empty_the_next_one(tmp_path):
    """Issue 13: once more than 64 keys matched a middle wildcard segment, the next wildcard
    segment returned no key (live) or only the keys below the first parent (offline).  Now
    every level is walked; only the result is cut to 64, with a warning."""
    lines = []
    for i in range(70):
        lines += ['[HKEY_LOCAL_MACHINE\\SOFTWARE\\Vendor\\K%03d\\Data%d]' % (i, i), '"Stamp"=dword:%08x' % i]
    root = software_image(tmp_path, lines)
    inv = windows_offline.collect(root, {'registry': ['HKLM\\SOFTWARE\\Vendor\\*\\Data*']})
    keys = [r['key'] for r in inv['registry']]
    assert keys == ['HKLM\\SOFTWARE\\Vendor\\K%03d\\Data%d' % (i, i) for i in range(64)]
    assert [w['message'] for w in inv['warnings']] == [
        "'HKLM\\SOFTWARE\\Vendor\\*\\Data*' matched more than 64 keys; only the first 64 are returned"]
    assert [e for e in inv['errors'] if e['source'] == 'registry'] == []


@needs_hivex
@needs_regipy
def test_long_strings_are_cut_with_a_warning(tmp_path):
    """Issue 13: REG_SZ values were returned whole, whatever their size."""
    lines = ['[HKEY_LOCAL_MACHINE\\SOFTWARE\\KasperskyLab\\protected\\KES99\\environment]',
             '"Huge"="%s"' % ('x' * 5000), '"Small"="ok"',
             '[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\KES]',
             '"DisplayName"="Kaspersky Endpoint Security %s"' % ('y' * 3000), '"Publisher"="AO Kaspersky Lab"']
    root = software_image(tmp_path, lines)
    inv = windows_offline.collect(root, {'registry': ['HKLM\\SOFTWARE\\KasperskyLab\\protected\\*\\environment'],
                                         'display_name': ['^Kaspersky Endpoint Security']})
    values = inv['registry'][0]['values']
    assert values['Huge'] == 'x' * 2048 and values['Small'] == 'ok'
    assert len(inv['uninstall'][0]['display_name']) == 2048
    assert sorted((w['source'], w['message']) for w in inv['warnings']) == [
        ('registry', "HKLM\\SOFTWARE\\KasperskyLab\\protected\\KES99\\environment value 'Huge' has 5000 characters: "
                     "only the first 2048 are returned"),
        ('uninstall', "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\KES value 'DisplayName' has 3028 "
                      "characters: only the first 2048 are returned")]
    # a hand-made hive: no SYSTEM hive and no CurrentVersion key; nothing wrong with the values
    assert sorted(e['source'] for e in inv['errors']) == ['hive:SYSTEM', 'os']


@needs_hivex
@needs_regipy
def test_multi_session_image_is_a_client_with_per_user_msi_products(tmp_path, probe):
    """Issue 13: Enterprise multi-session (ProductOptions ServerNT, ProductType 3) was a server;
    and per-user Windows Installer products of users who are not logged on were invisible.
    Their registration under Installer\\UserData\\<SID> is read, once per product (not again
    for the per-machine copies under S-1-5-18)."""
    inv = windows_offline.collect(build('avd_multisession', tmp_path / 'img'), probe)
    assert inv['os'] == {'name': 'Microsoft Windows 10 Enterprise for Virtual Desktops', 'family': 'windows',
                         'version': '10.0.19043', 'installation_type': 'Client'}
    assert [(u['hive'], u['view'], u['key'], u['display_name'], u['windows_installer']) for u in inv['uninstall']] == [
        ('HKLM', '32', '{ED1C2D7E-5C7A-48D8-A697-57D1C080ABA7}', 'Kaspersky Security Center Network Agent', True),
        ('HKU\\S-1-5-21-2849165073-1780522143-3912260718-1106', 'user', '{00000000-2024-4B50-8D31-5A3C1E0F0A24}',
         'Kaspersky Password Manager', True)]
    assert inv['errors'] == [] and inv['warnings'] == []


@needs_hivex
@needs_regipy
def test_services_below_install_dirs_are_returned(images):
    """Vendor markers (lanes contract): a service whose image lies below a catalogue install_dirs
    glob is returned whatever its name; drivers named by a relative path are normalised first."""
    probe = {'install_dirs': ['C:\\Program Files*\\Kaspersky Lab\\*'], 'drivers': ['klif']}
    inv = windows_offline.collect(images['kes11'], probe)
    services = dict((s['name'], s) for s in inv['services'])
    assert sorted(services) == ['AVP.KES.11.10.0', 'klif', 'klnagent']
    assert services['klnagent']['install_dir'] == 'C:\\Program Files*\\Kaspersky Lab\\*'
    assert 'install_dir' not in services['klif'] and services['klif']['kind'] == 'driver'
    inv = windows_offline.collect(images['kes11'], {'install_dirs': ['%SystemRoot%\\System32\\drivers']})
    # WdFilter (system32\\drivers\\wd\\WdFilter.sys) lies below it too
    assert sorted(s['name'] for s in inv['services']) == ['WdFilter', 'klelam', 'klflt', 'klhk', 'klif', 'klim6']


@needs_hivex
@needs_regipy
def test_uninstall_entries_by_publisher_only(images):
    inv = windows_offline.collect(images['ultraav'], {'publisher': ['\\bPango\\b']})
    assert sorted(u['key'] for u in inv['uninstall']) == ['UltraAV', 'UltraVPN']
