# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Evidence items: one definition (``make``), one identity, one display text (``describe``)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json

import pytest

from ansible_collections.fleetsec.banned_av.plugins.module_utils import evidence as ev

# One item of every kind, with the values of the real-looking inventories in the fixtures:
# tests/unit/fixtures/linux/dpkg-query-kesl.txt and dpkg-query-residue.txt (KESL 12.1), the KES 11.10
# client of tests/unit/fixtures/windows/kes11.json and the French Network Agent of
# network_agent_fr.json, the KES for Mac root of tests/support/roots.py.
EVERY_KIND = [
    (ev.make('package', name='kesl', version='12.1.0.1297', manager='dpkg', status='install ok installed', arch='amd64'),
     'package: kesl 12.1.0.1297 (dpkg: install ok installed)'),
    (ev.make('package_residue', name='kesl', version='12.1.0.1297', manager='dpkg', status='deinstall ok config-files'),
     'package_residue: kesl 12.1.0.1297 (dpkg: deinstall ok config-files)'),
    (ev.make('uninstall', name="Agent d'administration de Kaspersky Security Center", version='14.0.0.10902',
             publisher='AO Kaspersky Lab', hive='HKLM', view='32', key='{0F05E4E5-5A89-482C-9A62-47CC58643788}',
             windows_installer=True),
     "uninstall: HKLM\\{0F05E4E5-5A89-482C-9A62-47CC58643788} [32]: Agent d'administration de Kaspersky Security "
     "Center 14.0.0.10902 (AO Kaspersky Lab)"),
    (ev.make('service', name='AVP.KES.11.10.0', state='running', start='auto',
             image_path='"C:\\Program Files (x86)\\Kaspersky Lab\\KES.11.10.0\\avp.exe" -r'),
     'service: AVP.KES.11.10.0 (running, start auto)'),
    (ev.make('driver', name='klelam', start='boot', image_path='system32\\DRIVERS\\klelam.sys'),
     'driver: klelam (state unknown, start boot)'),
    (ev.make('unit', name='kesl.service', path='/lib/systemd/system/kesl.service', state='active', enabled='enabled'),
     'unit: kesl.service (active, enabled)'),
    # the KUMA collector unit and the kav4lms init script of tests/support/roots.py (kuma_root, kav4lms_linux_root)
    (ev.make('init_script', name='kav4lms', path='/etc/init.d/kav4lms', exec_path='/opt/kaspersky/kav4lms/sbin/kavmd'),
     'init_script: /etc/init.d/kav4lms (starts /opt/kaspersky/kav4lms/sbin/kavmd)'),
    (ev.make('executable', path='/opt/kaspersky/kuma/kuma', dir='/opt/kaspersky/kuma'), 'executable: /opt/kaspersky/kuma/kuma'),
    (ev.make('file', path='/opt/kaspersky/kesl/bin/kesl-control'), 'file: /opt/kaspersky/kesl/bin/kesl-control'),
    (ev.make('path', path='/var/opt/kaspersky'), 'path: /var/opt/kaspersky'),
    (ev.make('group', name='kesladmin', gid=990), 'group: kesladmin (gid 990)'),
    (ev.make('kernel_module', name='kav4fs_oas'), 'kernel_module: kav4fs_oas'),
    (ev.make('registry', path='HKLM\\SOFTWARE\\WOW6432Node\\KasperskyLab\\protected\\KES11', version='11.10.0.399'),
     'registry: HKLM\\SOFTWARE\\WOW6432Node\\KasperskyLab\\protected\\KES11 (version 11.10.0.399)'),
    (ev.make('registry', path='HKLM\\SOFTWARE\\WOW6432Node\\KasperskyLab\\Components\\34\\1103\\1.0.0.0\\Statistics\\AVState',
             value_name='Protection_BasesDate', data='27-09-2024 21-40-12'),
     'registry: HKLM\\SOFTWARE\\WOW6432Node\\KasperskyLab\\Components\\34\\1103\\1.0.0.0\\Statistics\\AVState'
     '\\Protection_BasesDate = 27-09-2024 21-40-12'),
    (ev.make('receipt', name='com.kaspersky.kav.core', version='11.3.0.236'), 'receipt: com.kaspersky.kav.core 11.3.0.236'),
    (ev.make('bundle', path='/Applications/Kaspersky Endpoint Security for Mac.app', name='com.kaspersky.kav',
             version='11.3.0.236', team_id='2Y8XE5CQ94'),
     'bundle: /Applications/Kaspersky Endpoint Security for Mac.app (com.kaspersky.kav 11.3.0.236, team 2Y8XE5CQ94)'),
    (ev.make('launchd', name='com.kaspersky.kav', path='/Library/LaunchDaemons/com.kaspersky.kav.plist'),
     'launchd: com.kaspersky.kav (/Library/LaunchDaemons/com.kaspersky.kav.plist)'),
    (ev.make('security_center', name='Kaspersky Endpoint Security for Windows', product_state=266256),
     'security_center: Kaspersky Endpoint Security for Windows (productState 266256)'),
    (ev.make('process', name='kesl', pid=812, exe='/opt/kaspersky/kesl/libexec/kesl'), 'process: kesl (pid 812)'),
    (ev.make('command', argv=['/opt/kaspersky/kesl/bin/kesl-control', '--app-info']),
     'command: /opt/kaspersky/kesl/bin/kesl-control --app-info'),
]

HOSTILE = ['', ' ', 'line\nbreak', 'cr\r\nlf', 'tab\there', '\x00nul', '\x1b[31mred\x1b[0m', '\x85\u2028\u2029',
           'x' * 100000, 'Foo (2).app', 'a (b) (c', ')', 'k\udcffey', b'by\xfftes', 0, -1, 12.5, True, False,
           ['l1', 2, None], {'k': 'v'}, datetime.date(2026, 11, 27), None]


def test_every_kind_is_covered_and_described():
    assert sorted(set(item['kind'] for item, _text in EVERY_KIND)) == sorted(ev.KINDS)
    for item, text in EVERY_KIND:
        assert ev.describe(item) == text


def test_make_leaves_out_unknown_values_and_refuses_unknown_kinds_and_fields():
    assert ev.make('service', name='klnagent', state=None, start='auto') == {'kind': 'service', 'name': 'klnagent', 'start': 'auto'}
    assert ev.make('path', path='') == {'kind': 'path', 'path': ''}
    with pytest.raises(ValueError, match='unknown evidence kind'):
        ev.make('value', value='kesl 12.1')
    with pytest.raises(ValueError, match='has no field value'):
        ev.make('package', name='kesl', value='kesl 12.1')


def test_items_are_plain_json_data():
    for item, _text in EVERY_KIND:
        assert json.loads(json.dumps(item)) == item
        assert None not in item.values()


def test_vendor_marker_fields_are_shown_when_the_item_carries_them():
    """The field that tied an item to the vendor (a package's maintainer, a unit's program, a
    service's image below the vendor's directory) is part of its display text."""
    assert ev.describe(ev.make('package', name='ksc-web-console', version='15.1.0.2044', manager='dpkg',
                               status='install ok installed', maintainer='AO Kaspersky Lab <support@kaspersky.com>')) == (
        'package: ksc-web-console 15.1.0.2044 (dpkg: install ok installed, maintainer AO Kaspersky Lab <support@kaspersky.com>)')
    unit = 'kuma-collector-5c1d8e1b-2f4a-4a7e-9b0c-3e6f1d2a8b47.service'
    assert ev.describe(ev.make('unit', name=unit, path='/usr/lib/systemd/system/' + unit, exec_path='/opt/kaspersky/kuma/kuma')) == (
        'unit: %s (state unknown, starts /opt/kaspersky/kuma/kuma)' % unit)
    image = '"C:\\Program Files (x86)\\Kaspersky Lab\\Kaspersky Security for Virtualization Light Agent\\avp.exe" -r'
    assert ev.describe(ev.make('service', name='KSVLA', state='running', start='auto', image_path=image,
                               install_dir='C:\\Program Files*\\Kaspersky Lab\\*')) == (
        'service: KSVLA (running, start auto, image %s)' % image)
    # without the marker the image stays out, as before
    assert ev.describe(ev.make('service', name='KSVLA', state='running', image_path=image)) == 'service: KSVLA (running)'
    # an identity per inventory entry: the init script by its path, the executable by its path
    assert ev.identity(ev.make('init_script', name='kav4lms', path='/etc/init.d/kav4lms')) == ('init_script', '/etc/init.d/kav4lms')
    assert ev.identity(ev.make('executable', path='/opt/kaspersky/kuma/kuma', dir='/opt/kaspersky/kuma')) == (
        'executable', '/opt/kaspersky/kuma/kuma')


def test_missing_fields_still_describe_something():
    assert ev.describe({'kind': 'package', 'name': 'kesl'}) == 'package: kesl'
    assert ev.describe({'kind': 'service', 'name': 'klnagent'}) == 'service: klnagent (state unknown)'
    assert ev.describe({'kind': 'service', 'image_path': 'C:\\x.exe'}) == 'service: C:\\x.exe'
    assert ev.describe({'kind': 'uninstall', 'key': '{GUID}'}) == 'uninstall: {GUID}'
    assert ev.describe({'kind': 'uninstall', 'name': 'UltraAV'}) == 'uninstall: UltraAV'
    assert ev.describe({'kind': 'registry', 'path': 'HKLM\\X', 'value_name': 'V'}) == 'registry: HKLM\\X\\V'
    assert ev.describe({'kind': 'unit'}) == 'unit'
    assert ev.describe({}) == ''


def test_unknown_kinds_and_values_show_what_they_have():
    assert ev.describe({'kind': 'firmware', 'path': '/lib/firmware/kl.bin', 'dir': '/lib/firmware'}) == (
        'firmware: /lib/firmware/kl.bin, /lib/firmware')
    # a known kind without its own fields (an item of another shape) shows its values too
    assert ev.describe({'kind': 'path', 'value': '/opt/kaspersky'}) == 'path: /opt/kaspersky'
    assert ev.describe({'value': 'no kind'}) == 'no kind'
    assert ev.describe('plain string') == 'plain string'
    assert ev.describe(None) == ''
    assert ev.describe(42) == '42'
    assert ev.describe(['a', 'b']) == 'a b'


@pytest.mark.parametrize('value', HOSTILE, ids=lambda v: repr(v)[:20])
def test_describe_never_raises_and_gives_one_short_line(value):
    items = [{'kind': kind, field: value} for kind, fields in ev.KINDS.items() for field in fields]
    items += [{'kind': value}, {'kind': value, 'name': value}, {'kind': 'uninstall', 'name': value, 'key': value},
              dict((field, value) for field in ev.KINDS['bundle']), value]
    for item in items:
        line = ev.describe(item)
        assert isinstance(line, str)
        assert line == line.strip()
        assert not any(c in line for c in '\n\r\t\x00\x1b\x85\u2028\u2029'), repr(line)
        line.encode('utf-8')  # no lone surrogate: the report can always be written
        assert len(line) <= 12 * ev.FIELD_LIMIT


def test_long_values_are_cut_and_marked():
    line = ev.describe({'kind': 'path', 'path': '/opt/' + 'x' * 5000})
    assert line.startswith('path: /opt/xxx') and line.endswith('...')
    assert len(line) == len('path: ') + ev.FIELD_LIMIT


def test_names_with_parentheses_are_shown_as_they_are():
    item = ev.make('bundle', path='/Applications/Foo (2).app', name='com.example.foo', version='1 (2)')
    assert ev.describe(item) == 'bundle: /Applications/Foo (2).app (com.example.foo 1 (2))'
    assert ev.describe(ev.make('launchd', name='a (b)', path='/L/a (b).plist')) == 'launchd: a (b) (/L/a (b).plist)'


def test_control_characters_and_bad_bytes_are_made_visible_safe():
    assert ev.describe(ev.make('path', path='/opt/kaspersky/evil\nfile')) == 'path: /opt/kaspersky/evil file'
    assert ev.describe(ev.make('path', path='/opt/k\udcffey')) == 'path: /opt/k\\udcffey'
    assert ev.describe(ev.make('path', path=b'/opt/k\xffey')) == 'path: /opt/k\\xffey'


def test_identity_names_the_inventory_entry_not_its_text():
    pkg = ev.make('package', name='kesl', version='12.1.0.1297', manager='dpkg', status='install ok installed')
    assert ev.identity(pkg) == ev.identity(dict(pkg, status='hold ok installed'))
    assert ev.identity(pkg) != ev.identity(dict(pkg, version='11.2'))
    # a product file and a vendor directory are the same entry of the inventory's paths
    assert ev.identity(ev.make('file', path='/opt/kaspersky/kesl')) == ev.identity(ev.make('path', path='/opt/kaspersky/kesl'))
    assert ev.identity(ev.make('driver', name='klif')) == ev.identity(ev.make('service', name='klif', state='running'))
    one = ev.make('uninstall', name='Kaspersky Endpoint Security for Windows', hive='HKLM', view='64', key='{A}')
    assert ev.identity(one) == ev.identity(dict(one, name='renamed'))
    assert ev.identity(one) != ev.identity(dict(one, view='32'))
    assert ev.identity(ev.make('command', argv=['a', 'b'])) == ('command', ('a', 'b'))
    assert hash(ev.identity({'kind': ['odd'], 'x': {'y': [1]}}))
