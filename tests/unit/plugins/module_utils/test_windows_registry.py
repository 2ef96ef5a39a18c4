# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rules of windows_registry.py, once, for both Windows collectors.

Whole images and dumps go through them in test_windows_offline.py and test_windows_live.py;
here each rule is driven directly, with a small in-memory reader where a reader is needed.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

import pytest

from ansible_collections.fleetsec.banned_av.plugins.module_utils import windows_registry as wr


class MemoryReader(object):
    """A reader over ``{path tuple: {value name: (kind, data)}}``; parents exist implicitly."""

    def __init__(self, keys):
        self.keys = dict((tuple(p.lower() for p in path), (path, values)) for path, values in keys.items())
        self.listings = []

    def _real(self, low):
        for path, _values in self.keys.values():
            if tuple(p.lower() for p in path[:len(low)]) == low:
                return path[:len(low)]
        return None

    def key(self, path):
        real = self._real(tuple(p.lower() for p in path))
        return wr.Key(real) if real else None

    def subkeys(self, key, listing):
        self.listings.append((key.shown(), listing))
        low = tuple(p.lower() for p in key.path)
        names = []
        for path, _values in sorted(self.keys.values(), key=lambda e: [p.upper() for p in e[0]]):
            if len(path) > len(low) and tuple(p.lower() for p in path[:len(low)]) == low and path[len(low)] not in names:
                names.append(path[len(low)])
        return [wr.Key(key.path + (n,)) for n in names]

    def values(self, key, names=None):
        entry = self.keys.get(tuple(p.lower() for p in key.path))
        raw = entry[1] if entry else {}
        values = [wr.make_value(n, k, d) for n, (k, d) in raw.items() if names is None or n.lower() in [x.lower() for x in names]]
        return wr.cut_values(values, len(raw)) if names is None else dict_values(values, len(raw))


def dict_values(values, total):
    out = wr.Values((v.name.lower(), v) for v in values)
    out.total = total
    return out


def inventory():
    return wr.empty_inventory('C:\\', True)


# --------------------------------------------------------------------------- values

@pytest.mark.parametrize('kind, data, size, expected', [
    # .NET reads REG_DWORD as a signed Int32: 0xFFFFFFFF ("never") must stay 4294967295
    ('DWord', -1, None, 4294967295),
    ('REG_DWORD', 4294967295, None, 4294967295),
    ('QWord', -2, None, 18446744073709551614),
    ('String', 'a' * 3000, None, 'a' * 2048),
    ('String', 'a' * 2048, 3000, 'a' * 2048),            # already cut by the live collector
    ('MultiString', ['x'] * 70, None, ['x'] * 64),
    ('REG_BINARY', b'\xde\xad', None, 'dead'),
    ('Binary', None, 600, '<600 bytes of Binary data not returned>'),
    ('REG_BINARY', b'\xab' * 600, None, '<600 bytes of Binary data not returned>'),
    # .NET names REG_NONE "Unknown" (RegistryValueKind.Unknown is 0): one summary for both readers
    ('REG_NONE', b'\x01' * 513, None, '<513 bytes of Unknown data not returned>'),
    ('Unknown', None, 513, '<513 bytes of Unknown data not returned>'),
    ('REG_LINK', u'\\Registry\\Machine', None, u'\\Registry\\Machine'.encode('utf-16-le').hex()),
])
def test_value_kinds(kind, data, size, expected):
    assert wr.registry_value(wr.make_value('v', kind, data, size)) == expected


def test_cut_strings_keep_their_length_and_the_default_value_its_name():
    value = wr.make_value('', 'String', 'b' * 5000)
    assert (value.name, len(value.data), value.size) == ('(default)', 2048, 5000)
    assert wr.make_value('x', 'String', 'short').size is None
    multi = wr.make_value('m', 'REG_MULTI_SZ', ['a', 'c' * 3000])
    assert multi.data == ['a', 'c' * 2048] and multi.size == 2
    assert wr.make_value('t', 'REG_FILETIME', datetime.datetime(2024, 9, 18, 20, 55, 2)).data == '2024-09-18T20:55:02'


@pytest.mark.parametrize('kind, data, text, number', [
    ('String', 'Kaspersky\0\0', 'Kaspersky', None),
    ('String', '', None, None),
    ('String', ' 42 ', ' 42 ', 42),
    ('MultiString', ['a', 'b'], 'a b', None),
    ('DWord', 1, '1', 1),
    ('Binary', b'\x01', None, None),
])
def test_string_and_int_fields(kind, data, text, number):
    value = wr.make_value('v', kind, data)
    assert wr.string_field(value) == text
    assert wr.int_field(value) == number
    assert wr.string_field(None) is None and wr.int_field(None) is None


# --------------------------------------------------------------------------- installation type

@pytest.mark.parametrize('args, expected', [
    ({'installation': 'Client', 'product_options': 'ServerNT', 'wmi_product_type': 3}, 'Client'),  # multi-session
    ({'installation': 'Server Core'}, 'Server'),
    ({'installation': 'Nano Server'}, 'Server'),
    ({'edition': 'ServerRdsh', 'wmi_product_type': 3}, 'Client'),
    ({'sku': 175, 'wmi_product_type': 3}, 'Client'),
    ({'wmi_product_type': 3}, 'Server'),
    ({'wmi_product_type': 2}, 'Server'),
    ({'wmi_product_type': 1, 'product_options': 'ServerNT'}, 'Client'),
    ({'product_options': 'LanmanNT'}, 'Server'),
    ({'product_options': 'WinNT'}, 'Client'),
    ({'name': 'Windows Server 2019 Standard'}, 'Server'),
    ({}, None),
])
def test_installation_type(args, expected):
    assert wr.installation_type(**args) == expected


def test_read_os_prefers_the_wmi_caption_and_renames_windows_11():
    reader = MemoryReader({wr.CURRENT_VERSION: {'ProductName': ('String', 'Windows 10 Enterprise multi-session'),
                                                'EditionID': ('String', 'ServerRdsh'),
                                                'CurrentBuildNumber': ('String', '22631'),
                                                'CurrentMajorVersionNumber': ('DWord', 10),
                                                'CurrentMinorVersionNumber': ('DWord', 0)},
                           wr.PRODUCT_OPTIONS: {'ProductType': ('String', 'ServerNT')}})
    inv = inventory()
    wr.read_os(reader, inv)
    assert inv['os'] == {'name': 'Microsoft Windows 11 Enterprise multi-session', 'family': 'windows',
                         'version': '10.0.22631', 'installation_type': 'Client'}
    wr.read_os(reader, inv, {'Caption': 'Microsoft Windows 11 Entreprise multisession ', 'Version': '10.0.22631',
                             'ProductType': 3, 'OperatingSystemSKU': 175})
    assert inv['os']['name'] == 'Microsoft Windows 11 Entreprise multisession'
    assert inv['os']['installation_type'] == 'Client'
    with pytest.raises(ValueError):
        wr.read_os(MemoryReader({}), inv)
    wr.read_os(MemoryReader({}), inv, {'Caption': 'Microsoft Windows Server 2022 Datacenter', 'Version': '10.0.20348',
                                       'ProductType': 3})
    assert inv['os']['installation_type'] == 'Server'


# --------------------------------------------------------------------------- product codes, image paths

def test_product_code_of_a_packed_guid():
    # the Windows Installer key of Office 2007 Enterprise ({90120000-0030-0000-0000-0000000FF1CE})
    assert wr.product_code('00002109030000000000000000F01FEC') == '{90120000-0030-0000-0000-0000000FF1CE}'
    assert wr.product_code('00000000420205b4d813a5c3e1f0a042') == '{00000000-2024-4B50-8D31-5A3C1E0F0A24}'
    for bad in ('', 'KasperskyVPN', '00002109030000000000000000F01FE', '00002109030000000000000000F01FEZ'):
        assert wr.product_code(bad) is None


ENV = dict(wr.ENV_DIRS, systemroot='D:\\WINNT', programfiles='D:\\Apps')


@pytest.mark.parametrize('image, expected', [
    ('"C:\\Program Files (x86)\\Kaspersky Lab\\KES.11.10.0\\avp.exe" -r', 'c:\\program files (x86)\\kaspersky lab\\kes.11.10.0\\avp.exe'),
    ('C:\\Program Files\\Vendor\\svc.exe -k x', 'c:\\program files\\vendor\\svc.exe -k x'),
    ('system32\\DRIVERS\\klif.sys', 'd:\\winnt\\system32\\drivers\\klif.sys'),
    ('\\SystemRoot\\system32\\DRIVERS\\klhk.sys', 'd:\\winnt\\system32\\drivers\\klhk.sys'),
    ('\\??\\C:\\Windows\\system32\\drivers\\klbackupflt.sys', 'c:\\windows\\system32\\drivers\\klbackupflt.sys'),
    ('%SystemRoot%\\System32\\svchost.exe -k netsvcs', 'd:\\winnt\\system32\\svchost.exe -k netsvcs'),
    ('%ProgramFiles%\\Kaspersky Lab\\x.exe', 'd:\\apps\\kaspersky lab\\x.exe'),
    ('"%UNKNOWN%\\x.exe"', None),
    ('', None),
    (None, None),
])
def test_image_file(image, expected):
    assert wr.image_file(image, ENV) == expected


def test_below_any_install_dir():
    globs = ['C:\\Program Files*\\Kaspersky Lab\\*', '%ProgramData%\\Kaspersky Lab']
    assert wr.below_any('c:\\program files (x86)\\kaspersky lab\\kes.11\\avp.exe" -r', globs, wr.ENV_DIRS) == globs[0]
    assert wr.below_any('c:\\programdata\\kaspersky lab\\avp21.2\\x.exe', globs, wr.ENV_DIRS) == globs[1]
    # the directory itself is not below it, nor is a sibling whose name starts the same
    assert wr.below_any('c:\\program files\\kaspersky lab', globs, wr.ENV_DIRS) is None
    assert wr.below_any('c:\\programdata\\kaspersky labs\\x.exe', globs, wr.ENV_DIRS) is None
    assert wr.below_any(None, globs, wr.ENV_DIRS) is None


def test_windows_parts_and_profile_variables():
    assert wr.windows_parts('%LOCALAPPDATA%\\Programs\\Kaspersky*') == ('C', ['Users', '*', 'AppData', 'Local', 'Programs', 'Kaspersky*'])
    assert wr.windows_parts('%USERPROFILE%\\x') == ('C', ['Users', '*', 'x'])
    assert wr.windows_parts('/opt/kaspersky') is None
    assert wr.windows_parts('C:\\a\\..\\b') is None
    assert wr.windows_parts('%NOPE%\\x') is None


# --------------------------------------------------------------------------- registry patterns

@pytest.mark.parametrize('pattern, expected', [
    ('HKLM\\SOFTWARE\\KasperskyLab', (('HKLM', 'SOFTWARE'), ['KasperskyLab'])),
    ('Registry::HKEY_LOCAL_MACHINE\\system\\CurrentControlSet\\Services\\klif', (('HKLM', 'SYSTEM'), ['CurrentControlSet', 'Services', 'klif'])),
    ('HKU\\S-1-5-21-*\\Software', (('HKU',), ['S-1-5-21-*', 'Software'])),
    ('HKLM:/SOFTWARE/x', (('HKLM', 'SOFTWARE'), ['x'])),
    ('HKLM\\SAM\\SAM', (None, 'only the SOFTWARE and SYSTEM hives of HKLM are read')),
    ('HKCR\\CLSID', (None, 'only HKLM and HKU keys are read')),
    ('HKU', (None, 'only HKLM and HKU keys are read')),
])
def test_split_registry_pattern(pattern, expected):
    root, parts = wr.split_registry_pattern(pattern)
    assert (root, parts) == expected


def test_only_a_leading_star_below_software_is_also_looked_up_in_the_32_bit_view():
    assert wr.pattern_starts(wr.HKLM_SOFTWARE, ['*KasperskyLab', 'protected']) == [wr.HKLM_SOFTWARE, wr.HKLM_SOFTWARE + ('WOW6432Node',)]
    assert wr.pattern_starts(wr.HKLM_SOFTWARE, ['Kaspersky*']) == [wr.HKLM_SOFTWARE]
    assert wr.pattern_starts(wr.HKLM_SYSTEM, ['*']) == [wr.HKLM_SYSTEM]


def vendor_tree(children, grandchildren):
    keys = {}
    for i in range(children):
        for j in range(grandchildren):
            keys[wr.HKLM_SOFTWARE + ('Vendor', 'K%04d' % i, 'Data%d' % j)] = {'Stamp': ('DWord', i)}
    return keys


def test_expand_walks_every_level_and_cuts_only_the_result():
    reader = MemoryReader(vendor_tree(70, 1))
    inv = inventory()
    found = wr.expand(reader, 'HKLM\\SOFTWARE\\Vendor\\*\\Data*', inv)
    assert [k.shown() for k in found] == ['HKLM\\SOFTWARE\\Vendor\\K%04d\\Data0' % i for i in range(64)]
    assert [w['message'] for w in inv['warnings']] == [
        "'HKLM\\SOFTWARE\\Vendor\\*\\Data*' matched more than 64 keys; only the first 64 are returned"]
    assert inv['errors'] == []
    # each listing names the glob it serves (the live collector kept its names for that glob)
    assert reader.listings == [('HKLM\\SOFTWARE\\Vendor', 'glob:*')] + [
        ('HKLM\\SOFTWARE\\Vendor\\K%04d' % i, 'glob:data*') for i in range(70)]


def test_expand_bounds_a_level_at_1024_keys_with_a_warning():
    reader = MemoryReader(vendor_tree(1030, 1))
    inv = inventory()
    found = wr.expand(reader, 'HKLM\\SOFTWARE\\Vendor\\*\\Data0', inv)
    assert len(found) == 64
    assert len([name for name, listing in reader.listings if listing == 'glob:data0']) == 0  # literal: no listing
    assert sorted(w['message'] for w in inv['warnings']) == [
        "'HKLM\\SOFTWARE\\Vendor\\*\\Data0' matched more than 64 keys; only the first 64 are returned",
        "'HKLM\\SOFTWARE\\Vendor\\*\\Data0': more than 1024 keys at one level; only the first 1024 were walked"]


def test_expand_star_prefix_reaches_the_32_bit_view_and_nothing_deeper():
    reader = MemoryReader({wr.HKLM_SOFTWARE + ('KasperskyLab', 'protected', 'AVP21.2', 'Data'): {},
                           wr.HKLM_SOFTWARE + ('WOW6432Node', 'KasperskyLab', 'protected', 'AVP21.3', 'Data'): {},
                           wr.HKLM_SOFTWARE + ('Classes', 'KasperskyLab', 'protected', 'AVP1', 'Data'): {},
                           wr.HKLM_SOFTWARE + ('Policies', 'Deep', 'KasperskyLab', 'protected', 'AVP2', 'Data'): {}})
    inv = inventory()
    found = [k.shown() for k in wr.expand(reader, 'HKLM\\SOFTWARE\\*KasperskyLab\\protected\\AVP*\\Data', inv)]
    assert found == ['HKLM\\SOFTWARE\\KasperskyLab\\protected\\AVP21.2\\Data',
                     'HKLM\\SOFTWARE\\WOW6432Node\\KasperskyLab\\protected\\AVP21.3\\Data']
    # no listing below a child of SOFTWARE other than WOW6432Node (Classes holds tens of thousands)
    assert [k for k, _l in reader.listings if k.startswith('HKLM\\SOFTWARE\\') and k.count('\\') == 2] == [
        'HKLM\\SOFTWARE\\WOW6432Node']


def test_expand_refuses_too_many_wildcards_and_unread_roots():
    inv = inventory()
    assert wr.expand(MemoryReader({}), 'HKLM\\SOFTWARE\\*\\*\\*\\*\\*', inv) == []
    assert wr.expand(MemoryReader({}), 'HKCR\\x', inv) == []
    assert [e['message'] for e in inv['errors']] == [
        "'HKLM\\SOFTWARE\\*\\*\\*\\*\\*' has more than 4 wildcard levels and was not read",
        "'HKCR\\x': only HKLM and HKU keys are read"]


def test_values_over_128_are_cut_with_a_warning():
    reader = MemoryReader({wr.HKLM_SOFTWARE + ('Vendor',): dict(('V%03d' % i, ('DWord', i)) for i in range(130))})
    inv = inventory()
    wr.collect_registry(reader, {'registry': ['HKLM\\SOFTWARE\\Vendor']}, inv)
    assert len(inv['registry'][0]['values']) == 128
    assert [w['message'] for w in inv['warnings']] == ['HKLM\\SOFTWARE\\Vendor has 130 values; only the first 128 are returned']


# --------------------------------------------------------------------------- uninstall and services

KES = {'DisplayName': ('String', 'Kaspersky Endpoint Security for Windows'), 'DisplayVersion': ('String', '12.9.0.201'),
       'Publisher': ('String', 'AO Kaspersky Lab'), 'WindowsInstaller': ('DWord', 1)}
PROBE = {'display_name': ['Kaspersky Endpoint Security', '(?P<brand>Kaspersky) Password'], 'publisher': ['Kaspersky'],
         'services': ['AVP.KES*'], 'drivers': ['klif']}


def test_uninstall_views_users_and_user_data_products():
    sid = 'S-1-5-21-1-2-3-1001'
    reader = MemoryReader({
        wr.ENVIRONMENT: {'PROCESSOR_ARCHITECTURE': ('String', 'AMD64')},
        wr.HKLM_SOFTWARE + wr.UNINSTALL_KEY + ('{9A017278-F7F4-4DF9-A482-0B97B70DD7ED}',): KES,
        wr.HKLM_SOFTWARE + wr.UNINSTALL_KEY + ('7-Zip',): {'DisplayName': ('String', '7-Zip'), 'Publisher': ('String', 'Igor Pavlov')},
        wr.HKU + (sid,) + wr.USER_UNINSTALL_KEY + ('{00000000-2024-4B50-8D31-5A3C1E0F0A24}',): {
            'DisplayName': ('String', 'Kaspersky Password Manager')},
        wr.HKU + (sid + '_Classes', 'x'): {},
        wr.USER_DATA + (sid, 'Products', '00000000420205B4D813A5C3E1F0A042', 'InstallProperties'): {
            'DisplayName': ('String', 'Kaspersky Password Manager'), 'DisplayVersion': ('String', '24.0')},
        wr.USER_DATA + ('S-1-5-18', 'Products', '8727109A4F7F9FD4A428B0797BD07DDE', 'InstallProperties'): KES,
    })
    inv = inventory()
    wr.collect_uninstall(reader, PROBE, inv)
    assert [(u['hive'], u['view'], u['key'], u['display_name'], u['windows_installer']) for u in inv['uninstall']] == [
        ('HKLM', '64', '{9A017278-F7F4-4DF9-A482-0B97B70DD7ED}', 'Kaspersky Endpoint Security for Windows', True),
        ('HKU\\' + sid, 'user', '{00000000-2024-4B50-8D31-5A3C1E0F0A24}', 'Kaspersky Password Manager', True)]
    # the HKCU entry of the logged-on user, completed by its Installer\UserData registration
    assert inv['uninstall'][1]['display_version'] == '24.0'
    assert inv['errors'] == [] and inv['skipped'] == []


def test_uninstall_on_32_bit_windows_has_one_view():
    reader = MemoryReader({wr.ENVIRONMENT: {'PROCESSOR_ARCHITECTURE': ('String', 'x86')},
                           wr.HKLM_SOFTWARE + wr.UNINSTALL_KEY + ('KES',): KES,
                           wr.HKLM_SOFTWARE + ('WOW6432Node',) + wr.UNINSTALL_KEY + ('Ghost',): KES})
    inv = inventory()
    wr.collect_uninstall(reader, PROBE, inv)
    assert [(u['view'], u['key']) for u in inv['uninstall']] == [('32', 'KES')]


@pytest.mark.parametrize('service_type, start, kind, start_name, kept', [
    (0x10, 2, 'service', 'auto', True),
    (0x20, 3, 'service', 'manual', True),
    (0x1, 0, 'driver', 'boot', False),       # named like the services glob, but a driver
    (0x2, 1, 'driver', 'system', False),
    (0x8, 4, 'driver', 'disabled', False),
    (0x110, 7, 'service', None, True),       # interactive service; an unknown start type
])
def test_service_kinds_and_start_types(service_type, start, kind, start_name, kept):
    reader = MemoryReader({wr.SERVICES + ('AVP.KES.12.9.0',): {'Type': ('DWord', service_type), 'Start': ('DWord', start)},
                           wr.SERVICES + ('klif',): {'Type': ('DWord', service_type), 'Start': ('DWord', start)},
                           wr.SERVICES + ('AVP.KES.stub',): {'DisplayName': ('String', 'no Type: a stub')}})
    inv = inventory()
    wr.collect_services(reader, PROBE, inv, wr.ENV_DIRS, scm={'avp.kes.12.9.0': ('StartPending', 'KES'), 'klif': ('Stopped', None)})
    found = dict((s['name'], s) for s in inv['services'])
    assert ('AVP.KES.12.9.0' in found) is kept and ('klif' in found) is (not kept)
    entry = found['AVP.KES.12.9.0' if kept else 'klif']
    assert (entry['kind'], entry['start']) == (kind, start_name)
    assert entry['state'] == ('running' if kept else 'stopped')  # StartPending: the image is loaded
    assert entry['display_name'] == ('KES' if kept else 'klif')  # the SCM's name, else the key name
    assert 'AVP.KES.stub' not in found


# --------------------------------------------------------------------------- class filters

CLASS = wr.CLASS


def test_class_filters_returns_the_classes_with_filter_lists_only():
    reader = MemoryReader({
        CLASS + ('{4d36e96b-e325-11ce-bfc1-08002be10318}',): {
            'Class': ('String', 'Keyboard'), 'UpperFilters': ('MultiString', ['kbdclass', '', 'klkbdflt2'])},
        CLASS + ('{4d36e967-e325-11ce-bfc1-08002be10318}',): {
            'Class': ('String', 'DiskDrive'), 'LowerFilters': ('String', 'EhStorClass')},   # REG_SZ, not MULTI_SZ
        CLASS + ('{4d36e972-e325-11ce-bfc1-08002be10318}',): {'Class': ('String', 'Net')},
        CLASS + ('Properties',): {'Class': ('String', 'not a class key')},
        CLASS + ('{4d36e96f-e325-11ce-bfc1-08002be10318}',): {'UpperFilters': ('Binary', b'\x00\x01')},
    })
    inv = inventory()
    wr.collect_class_filters(reader, inv)
    assert inv['class_filters'] == [
        {'class_guid': '{4d36e967-e325-11ce-bfc1-08002be10318}', 'name': 'DiskDrive', 'upper': [], 'lower': ['EhStorClass']},
        {'class_guid': '{4d36e96b-e325-11ce-bfc1-08002be10318}', 'name': 'Keyboard', 'upper': ['kbdclass', 'klkbdflt2'],
         'lower': []}]
    assert (('HKLM\\SYSTEM\\CurrentControlSet\\Control\\Class', wr.LIST_CLASSES)) in reader.listings


def test_a_class_filter_failure_is_a_warning_never_an_error():
    class Broken(MemoryReader):
        def subkeys(self, key, listing):
            if listing == wr.LIST_CLASSES:
                raise OSError('access denied')
            return MemoryReader.subkeys(self, key, listing)

    reader = Broken({CLASS + ('{4d36e96b-e325-11ce-bfc1-08002be10318}',): {'UpperFilters': ('MultiString', ['kbdclass'])},
                     wr.CURRENT_VERSION: {'ProductName': ('String', 'Windows 10 Pro')}})
    inv = wr.interpret(reader, {}, inventory(), dict(wr.ENV_DIRS))
    assert [w['source'] for w in inv['warnings']] == ['class_filters'] and 'access denied' in inv['warnings'][0]['message']
    assert [e['source'] for e in inv['errors']] == []
    assert inv['class_filters'] == []
