# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parsers against fixtures that imitate real output (tests/unit/fixtures/linux/README.md)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.fleetsec.banned_av.plugins.module_utils import parsers
from ansible_collections.fleetsec.banned_av.tests.unit.conftest import fixture_text


def test_dpkg_installed_packages():
    pkgs = parsers.parse_dpkg(fixture_text('linux', 'dpkg-query-kesl.txt'))
    assert [(p['name'], p['version'], p['installed']) for p in pkgs] == [
        ('kesl', '12.1.0.1297', True), ('kesl-gui', '12.1.0.1297', True), ('klnagent64', '14.2.0.26967', True)]
    assert all(p['manager'] == 'dpkg' and p['arch'] == 'amd64' for p in pkgs)


def test_dpkg_config_files_is_residue_not_installed():
    pkgs = dict((p['name'], p) for p in parsers.parse_dpkg(fixture_text('linux', 'dpkg-query-residue.txt')))
    assert pkgs['kesl']['installed'] is False and pkgs['kesl']['residue'] is True
    assert pkgs['clamav']['installed'] is True and pkgs['clamav']['residue'] is False


def test_dpkg_ignores_malformed_lines():
    assert parsers.parse_dpkg('garbage line\n\nkesl\t1\tamd64\n') == []


def test_rpm_drops_zero_epoch():
    pkgs = parsers.parse_rpm(fixture_text('linux', 'rpm-kesl.txt'))
    assert [(p['name'], p['version']) for p in pkgs] == [('kesl', '12.1.0-1297'), ('klnagent64', '14.2.0-26967')]
    assert parsers.parse_rpm('foo\t2:1.0-1\tx86_64\tinstalled\n')[0]['version'] == '2:1.0-1'


@pytest.mark.parametrize('name,language', [('kesl-app-info-en.txt', 'en'), ('kesl-app-info-ru.txt', 'ru')])
def test_kesl_app_info_both_languages(name, language):
    info = parsers.parse_kesl_app_info(fixture_text('linux', name))
    assert info['version'] == '12.1.0.1297'
    assert info['signatures_date'] == '2024-09-05'
    assert info['license_expiration'] == '2025-03-31'
    assert info['language'] == language


def test_kesl_app_info_without_fields():
    info = parsers.parse_kesl_app_info('Error: the application is not running\n')
    assert info['version'] is None and info['signatures_date'] is None


def test_mdatp_health_unwraps_managed_values():
    health = parsers.parse_mdatp_health(fixture_text('linux', 'mdatp-health.json'))
    assert health['healthy'] is True
    assert health['real_time_protection_enabled'] is True
    assert health['passive_mode_enabled'] is True
    assert health['version'] == '101.24092.0002'
    assert health['signatures_date'] == '2024-11-27'
    assert 'kesl' in health['conflicting_applications'][0]


def test_mdatp_health_not_json():
    assert parsers.parse_mdatp_health('mdatp: command failed')['healthy'] is None


def test_systemctl_show_blocks():
    units = parsers.parse_systemctl_show(fixture_text('linux', 'systemctl-show.txt'))
    assert units == [
        {'name': 'kesl.service', 'load_state': 'loaded', 'active_state': 'active', 'unit_file_state': 'enabled'},
        {'name': 'klnagent64.service', 'load_state': 'loaded', 'active_state': 'active', 'unit_file_state': 'enabled'}]


@pytest.mark.parametrize('value,expected', [
    ('05-09-2024 14-22-10', '2024-09-05'), ('31-12-2023 23-59-59', '2023-12-31'), ('', None), (None, None), ('2024-09-05', None)])
def test_ksc_avstate_date(value, expected):
    assert parsers.ksc_avstate_date(value) == expected


@pytest.mark.parametrize('value,expected', [
    (1725540000, '2024-09-05'), ('1725540000', '2024-09-05'), (0xFFFFFFFF, None), (0, None), ('never', None)])
def test_epoch_date(value, expected):
    assert parsers.epoch_date(value) == expected


@pytest.mark.parametrize('value,expected', [
    ('2024-09-05 12:34:00', '2024-09-05'), ('2024-09-05T12:34:00.5Z', '2024-09-05'), ('9/5/2024 1:02:03', '2024-09-05'),
    ('09/05/2024 13:02:03', '2024-09-05'), ('05.09.2024', '2024-09-05'), ('not a date', None), ('2024-13-45', None)])
def test_iso_date(value, expected):
    assert parsers.iso_date(value) == expected


def test_os_release_family():
    info = parsers.parse_os_release('PRETTY_NAME="Rocky Linux 9.4 (Blue Onyx)"\nID="rocky"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.4"\n')
    assert info == {'name': 'Rocky Linux 9.4 (Blue Onyx)', 'id': 'rocky', 'family': 'redhat', 'version': '9.4'}


# --------------------------------------------------------------------------- package databases read on the target

STATUS = (
    'Package: kesl\nStatus: install ok installed\nPriority: optional\nMaintainer: AO Kaspersky Lab <support@kaspersky.com>\n'
    'Architecture: amd64\nVersion: 12.1.0.1297\nDepends: libc6\nDescription: Kaspersky Endpoint Security\n'
    ' Package: not-a-package (a continuation line)\n Maintainer: nobody\n\n'
    'Package: klavaro\nStatus: install ok installed\nMaintainer: Debian QA Group <packages@qa.debian.org>\n'
    'Architecture: amd64\nVersion: 3.13-2\n\n'
    'Package: kess\nStatus: deinstall ok config-files\nMaintainer: Kaspersky Lab\nArchitecture: amd64\nVersion: 3.3.0\n'
)


def test_dpkg_status_reads_stanzas_and_skips_continuation_lines():
    records, count = parsers.parse_dpkg_status(STATUS)
    assert count == 3
    assert [(r['name'], r['version'], r['installed'], r['residue'], r['maintainer']) for r in records] == [
        ('kesl', '12.1.0.1297', True, False, 'AO Kaspersky Lab <support@kaspersky.com>'),
        ('klavaro', '3.13-2', True, False, 'Debian QA Group <packages@qa.debian.org>'),
        ('kess', '3.3.0', False, True, 'Kaspersky Lab')]


def test_dpkg_status_filter_by_name_or_maintainer():
    import re
    wanted = parsers.package_filter(['kl*'], [re.compile('kaspersky', re.IGNORECASE)])
    records, count = parsers.parse_dpkg_status(STATUS, wanted)
    assert count == 3 and [r['name'] for r in records] == ['kesl', 'klavaro', 'kess']
    records, _count = parsers.parse_dpkg_status(STATUS, parsers.package_filter(['kesl'], []))
    assert [r['name'] for r in records] == ['kesl']
    assert parsers.parse_dpkg_status('') == ([], 0)
    assert parsers.parse_dpkg_status('\x00\x01 binary\n' * 10) == ([], 0)


def test_rpm_vendor_and_packager_make_the_maintainer():
    import re
    text = ('kesl\t0:12.1.0-1297\tx86_64\tinstalled\tAO Kaspersky Lab\tAO Kaspersky Lab <support@kaspersky.com>\n'
            'gpg-pubkey\t0:fd431d51-4ae0493b\t(none)\tinstalled\t(none)\t(none)\n'
            'kess\t0:3.3.0-1\tx86_64\tinstalled\t(none)\tKaspersky build farm\n'
            'bash\t0:5.1.8-9.el9\tx86_64\tinstalled\tRed Hat, Inc.\tRed Hat, Inc. <http://bugzilla.redhat.com/bugzilla>\n')
    records = parsers.parse_rpm(text)
    assert [(r['name'], r['maintainer']) for r in records] == [
        ('kesl', 'AO Kaspersky Lab / AO Kaspersky Lab <support@kaspersky.com>'), ('gpg-pubkey', ''),
        ('kess', 'Kaspersky build farm'), ('bash', 'Red Hat, Inc. / Red Hat, Inc. <http://bugzilla.redhat.com/bugzilla>')]
    wanted = parsers.package_filter([], [re.compile('^kaspersky', re.IGNORECASE)])
    assert [r['name'] for r in parsers.parse_rpm(text, wanted)] == ['kess']  # the packager starts with it
    assert 'maintainer' not in parsers.parse_rpm('foo\t0:1-1\tnoarch\tinstalled\n')[0]  # the old format
