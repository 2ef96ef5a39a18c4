# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The live Windows collector's dump, read on the controller (windows_live.py).

The dumps come from tests/unit/fixtures/windows/dumps/ (what av_collect_win.ps1 returns on the
machines of tests/fixtures/windows_images, for the probe frozen in each file) and from
tests/support/windows_host.py, which plays the PowerShell on those machines with a state
changed for a test (a stopped service, a failed CIM query, a timed-out step).
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import struct

import pytest

from ansible_collections.fleetsec.banned_av.plugins.module_utils import windows_live
from ansible_collections.fleetsec.banned_av.plugins.module_utils import windows_registry as wr
from ansible_collections.fleetsec.banned_av.tests.support import regf
from ansible_collections.fleetsec.banned_av.tests.support.windows_host import FakeWindowsHost, MACHINES
from ansible_collections.fleetsec.banned_av.tests.unit.conftest import fixture_json

WITH_LIVE_FIXTURE = tuple(m for m in MACHINES if m != 'avd_multisession')
KES11_AVP = 'C:\\Program Files (x86)\\Kaspersky Lab\\KES.11.10.0\\avp.exe'


def dump_fixture(name):
    return fixture_json('windows', 'dumps', '%s.json' % name)


def scan(name, probe, live=None, keys=None, limits=None, edit=None):
    """The raw inventory of machine ``name`` for ``probe``, the host changed by ``live`` (a
    live.json override), ``keys`` ({path: values} added to its registry) or ``edit`` (a
    function of the request)."""
    host = FakeWindowsHost(name, live)
    for path, values in (keys or {}).items():
        host.add_key(path, values)
    plan = windows_live.plan(probe)
    if limits:
        plan.args['limits'].update(limits)
    if edit:
        edit(plan.args)
    return windows_live.inventory(plan, host.run(plan.args)['dump'])


def normalised(inventory):
    return dict((k, sorted(v, key=lambda e: json.dumps(e, sort_keys=True)) if isinstance(v, list) else v)
                for k, v in inventory.items())


def sz(text):
    return (regf.REG_SZ, (text + '\0').encode('utf-16-le'))


def dword(number):
    return (regf.REG_DWORD, struct.pack('<I', number))


# --------------------------------------------------------------------------- the dump fixtures

@pytest.mark.parametrize('name', WITH_LIVE_FIXTURE)
def test_each_dump_reads_as_the_live_collector_fixture_of_its_machine(name):
    """The dump, through the one interpretation, gives exactly the raw inventory the live
    collector's fixture (written by hand before this design) describes, every key of it."""
    document = dump_fixture(name)
    inventory = windows_live.inventory(windows_live.plan(document['probe']), document['dump'])
    assert normalised(inventory) == normalised(fixture_json('windows', '%s.json' % name)['inventory'])


@pytest.mark.parametrize('name', MACHINES)
def test_dump_fixtures_are_what_the_host_returns_for_their_request(name):
    """A change to the request (or to the host emulation) that the dump fixtures do not follow
    fails here: regenerate them with python -m ansible_collections.fleetsec.banned_av.tests.support.windows_host."""
    document = dump_fixture(name)
    assert FakeWindowsHost(name).run(windows_live.plan(document['probe']).args)['dump'] == document['dump']


def test_a_dump_of_another_schema_is_refused():
    plan = windows_live.plan({})
    for dump in (None, {}, {'schema': 2}, 'text'):
        with pytest.raises(windows_live.DumpError):
            windows_live.inventory(plan, dump)


# --------------------------------------------------------------------------- issue 13 defects (live path)

def test_a_python_only_regex_is_run_by_the_controller():
    """Issue 13: .NET rejected (?P<n>...), and one such site pattern made every host unknown."""
    inv = scan('kes11', {'display_name': ['(?P<brand>Kaspersky) Endpoint Security'], 'publisher': ['(?P=nope']})
    assert [u['key'] for u in inv['uninstall']] == ['{305A9EC9-294E-4555-A7C5-E1C767E01C11}']
    # an expression Python cannot compile either is the probe's error, named, and ignored
    assert [e['source'] for e in inv['errors']] == ['probe']
    assert inv['errors'][0]['message'].startswith("probe.publisher pattern '(?P=nope' is not a valid regular expression")


def test_process_paths_come_from_executable_path_even_for_protected_processes():
    """Issue 13: Process.Path (MainModule) fails for protected (PPL) processes and for 64-bit
    processes under a 32-bit host; Win32_Process.ExecutablePath does not."""
    live = copy.deepcopy(FakeWindowsHost('kes11').live)
    for process in live['cim']['root/cimv2:Win32_Process']:
        if process['Name'] == 'avp.exe':
            process['ExecutablePath'] = KES11_AVP
    live['host']['ps64'] = False
    inv = scan('kes11', {'processes': ['avp.exe', 'klnagent', 'vapm.exe']}, live=live)
    assert sorted((p['name'], p['exe']) for p in inv['processes']) == [
        ('avp.exe', KES11_AVP),
        ('klnagent.exe', 'C:\\Program Files (x86)\\Kaspersky Lab\\NetworkAgent\\klnagent.exe'),  # named without .exe
        ('vapm.exe', 'C:\\Program Files (x86)\\Kaspersky Lab\\NetworkAgent\\vapm.exe')]


def test_a_multi_session_host_is_a_client_and_security_center_is_read(catalog):
    """Issue 13: Enterprise multi-session reports ProductType 3 and was treated as a server."""
    inv = scan('avd_multisession', catalog.probe('windows'))
    assert inv['os']['installation_type'] == 'Client'
    assert [s['display_name'] for s in inv['security_center']] == ['Windows Defender']
    assert 'security_center' not in [s['source'] for s in inv['skipped']]


def test_long_strings_are_cut_on_the_host_and_reported():
    """Issue 13: REG_SZ values were not capped."""
    path = 'HKLM\\SOFTWARE\\WOW6432Node\\KasperskyLab\\protected\\KES11\\environment'
    inv = scan('kes11', {'registry': ['HKLM\\SOFTWARE\\WOW6432Node\\KasperskyLab\\protected\\KES*\\environment']},
               keys={path: {'Huge': sz('x' * 5000), 'Never': dword(0xFFFFFFFF)}})
    values = [r for r in inv['registry'] if r['key'] == path][0]['values']
    assert values['Huge'] == 'x' * 2048 and values['Never'] == 4294967295
    assert values['ProductVersion'] == '11.10.0.399'
    assert inv['warnings'] == [{'source': 'registry', 'message': "%s value 'Huge' has 5000 characters: only the first "
                                                                 "2048 are returned" % path}]
    assert inv['errors'] == []


def test_logged_off_profiles_are_one_skipped_entry():
    """Issue 13: one skipped entry per logged-off profile (hundreds on remote-desktop hosts)."""
    keys = dict(('HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\ProfileList\\S-1-5-21-1-2-3-%d' % i,
                 {'ProfileImagePath': sz('C:\\Users\\u%d' % i)}) for i in range(1000, 1300))
    inv = scan('kes12', {'display_name': ['Kaspersky']}, keys=keys)
    profiles = [s for s in inv['skipped'] if s['source'].startswith('uninstall:HKU')]
    assert len(profiles) == 1
    assert profiles[0]['reason'].startswith('301 user profile(s) not loaded (users not logged on)')
    assert profiles[0]['reason'].endswith('S-1-5-21-1-2-3-1000, S-1-5-21-1-2-3-1001, S-1-5-21-1-2-3-1002, ...')


def test_per_user_msi_products_of_logged_off_users_are_found(catalog):
    inv = scan('avd_multisession', catalog.probe('windows'))
    assert ('HKU\\S-1-5-21-2849165073-1780522143-3912260718-1106', 'Kaspersky Password Manager') in [
        (u['hive'], u['display_name']) for u in inv['uninstall']]


def test_services_below_install_dirs_are_returned():
    inv = scan('kes11', {'install_dirs': ['C:\\Program Files*\\Kaspersky Lab\\*'], 'drivers': ['klif']})
    assert sorted((s['name'], s.get('install_dir'), s['state']) for s in inv['services']) == [
        ('AVP.KES.11.10.0', 'C:\\Program Files*\\Kaspersky Lab\\*', 'running'), ('klif', None, 'running'),
        ('klnagent', 'C:\\Program Files*\\Kaspersky Lab\\*', 'running')]


# --------------------------------------------------------------------------- errors or warnings

def cim_error(code, hresult, message):
    return {'error': {'m': message, 'x': 'Microsoft.Management.Infrastructure.CimException', 'h': hresult, 'c': code}}


def test_a_wmi_failure_the_registry_answers_is_a_warning(catalog):
    live = {'cim': dict(FakeWindowsHost('kes11').live['cim'])}
    live['cim']['root/cimv2:Win32_OperatingSystem'] = cim_error('Failed', '0x80041001', 'Échec générique ')
    inv = scan('kes11', catalog.probe('windows'), live=live)
    assert inv['errors'] == []
    assert [w['source'] for w in inv['warnings']] == ['os']
    assert inv['os'] == {'name': 'Microsoft Windows 10 Enterprise', 'family': 'windows', 'version': '10.0.19045',
                         'installation_type': 'Client'}


@pytest.mark.parametrize('change, expected', [
    # stopped, with a French message: the state is read from the service, not from the text
    ({'scm': {'WinDefend': ['Stopped', 'Service Antivirus Microsoft Defender']},
      'cim': cim_error('Failed', '0x800106BA', "Le service n'a pas pu démarrer ")},
     'the Microsoft Defender Antivirus service (WinDefend) is stopped'),
    ({'keys': {'HKLM\\SYSTEM\\CurrentControlSet\\Services\\WinDefend': {'Start': dword(4)}},
      'cim': cim_error('Failed', '0x800106BA', 'x')},
     'the Microsoft Defender Antivirus service (WinDefend) is disabled'),
    ({'cim': cim_error('InvalidNamespace', '0x8004100E', 'Invalid namespace ')},
     "Microsoft Defender Antivirus's WMI provider is not installed"),
    ({'cim': cim_error('Failed', '0x80004005', 'boom')}, 'MSFT_MpComputerStatus: the cim:defender step failed: boom'),
])
def test_defender_absent_disabled_stopped_or_failing_is_a_warning(catalog, change, expected):
    host = FakeWindowsHost('defender_only')
    live = {'cim': dict(host.live['cim']), 'scm': dict(host.live['scm'], **change.get('scm', {}))}
    live['cim']['root/Microsoft/Windows/Defender:MSFT_MpComputerStatus'] = change['cim']
    inv = scan('defender_only', catalog.probe('windows'), live=live, keys=change.get('keys'))
    assert inv['errors'] == [] and inv['defender'] is None
    assert [w['source'] for w in inv['warnings']] == ['defender']
    assert expected in inv['warnings'][0]['message']


def test_defender_not_installed_is_told_by_its_missing_service(catalog):
    inv = scan('ksws', catalog.probe('windows'))
    assert inv['errors'] == [] and inv['warnings'][0]['message'].startswith(
        'Microsoft Defender Antivirus is not installed (no WinDefend service)')


def test_security_center_failing_on_a_client_is_an_error_and_absent_on_a_server(catalog):
    live = {'cim': dict(FakeWindowsHost('kes11').live['cim'])}
    live['cim']['root/SecurityCenter2:AntiVirusProduct'] = cim_error('AccessDenied', '0x80041003', 'Access denied ')
    inv = scan('kes11', catalog.probe('windows'), live=live)
    assert [e['source'] for e in inv['errors']] == ['security_center']
    assert inv['security_center'] == []
    inv = scan('ksws', catalog.probe('windows'))
    assert {'source': 'security_center', 'reason': 'not available on Windows Server'} in inv['skipped']
    assert inv['errors'] == []


def test_a_timed_out_registry_step_makes_every_registry_source_an_error(catalog):
    inv = scan('kes11', catalog.probe('windows'), live={'fail_steps': {'registry': {'timeout': 60}}})
    assert sorted(e['source'] for e in inv['errors']) == ['registry', 'services', 'uninstall']
    assert all(e['message'] == 'the registry step did not finish within 60 s' for e in inv['errors'])
    # class filters cannot hide a banned product: their failure is a warning too
    assert sorted(w['source'] for w in inv['warnings']) == ['class_filters', 'defender', 'os', 'profiles']
    assert inv['uninstall'] == [] and inv['services'] == [] and inv['registry'] == []
    # Security Center and Defender still answered
    assert inv['security_center'] and inv['defender']


@pytest.mark.parametrize('step, source, kind', [
    ('paths', 'paths', 'errors'),
    ('cim:processes', 'processes', 'warnings'),
    ('scm', 'services', 'warnings'),
    ('cim:security_center', 'security_center', 'errors'),
])
def test_a_failed_step_is_an_error_only_when_it_can_hide_a_banned_product(catalog, step, source, kind):
    inv = scan('kes11', catalog.probe('windows'), live={'fail_steps': {step: {'error': {'m': 'boom', 'h': '0x80004005'}}}})
    other = 'warnings' if kind == 'errors' else 'errors'
    assert [e['source'] for e in inv[kind]] == [source]
    assert inv[other] == [] or [e['source'] for e in inv[other]] == ['defender'] * len(inv[other])


def test_cut_listings_warn_for_patterns_and_fail_for_uninstall():
    inv = scan('kes11', {'registry': ['HKLM\\SOFTWARE\\WOW6432Node\\KasperskyLab\\*']}, limits={'list': 1})
    # the device class listing is cut too (four classes with filters): a warning of its own source
    assert inv['errors'] == [] and sorted(w['source'] for w in inv['warnings']) == ['class_filters', 'registry']
    inv = scan('kes11', {'display_name': ['Kaspersky']}, limits={'keys': 1})
    assert set(e['source'] for e in inv['errors']) == {'uninstall'}
    assert all('more than 1 keys' in e['message'] for e in inv['errors'])


def test_a_rule_reading_what_the_request_did_not_ask_for_fails_closed(catalog):
    """If windows_request and windows_registry drift apart, the host is not silently clean."""
    def drop_services(args):
        args['registry'] = [w for w in args['registry'] if w['id'] != 'services']
    inv = scan('kes11', catalog.probe('windows'), edit=drop_services)
    assert inv['services'] == []
    assert [e['source'] for e in inv['errors']] == ['services']
    assert inv['errors'][0]['message'].startswith('internal: listing')


def test_a_32_bit_powershell_host_reports_the_same(catalog):
    live = copy.deepcopy(FakeWindowsHost('kes11').live)
    live['host']['ps64'] = False
    assert normalised(scan('kes11', catalog.probe('windows'), live=live)) == normalised(
        scan('kes11', catalog.probe('windows')))


def test_request_and_dump_sizes(catalog, capsys):
    plan = windows_live.plan(catalog.probe('windows'))
    sizes = dict((name, len(json.dumps(FakeWindowsHost(name).run(plan.args)['dump']))) for name in MACHINES)
    with capsys.disabled():
        print('\nav_collect_win request %d bytes; dumps %s' % (len(json.dumps(plan.args)), sizes))
    assert len(json.dumps(plan.args)) < 16000 and max(sizes.values()) < 16000
    assert wr.MAX_KEYS_PER_PATTERN == 64
