# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 11 item 3: the vendor fails closed (the matching side).

An installed product of a banned vendor that no specific catalogue entry lists is reported as
an installed, banned finding of that vendor, with the product's own name and version taken
from the evidence, on Linux, macOS and Windows roots, live Windows hosts too.  Each "done when"
case below builds a real root (or plays a live Windows host), runs the collector the audit runs,
``av_facts``' matching and ``policy.evaluate_host``: the host must be ``noncompliant``, never
``compliant`` (what the catch-all's residue-only reading gave) and never ``unknown``.

The naming scheme (docs/catalog.md, "Products the catalogue does not list"): one finding per
unlisted product, id ``<catch-all id>:<product slug>`` (``kaspersky.other:kuma``), ``product``
the name the evidence gives, ``catalog_id`` the catch-all entry whose category, policy and
removal it takes, ``unlisted: true``.  Residue (directories, registry keys, groups, packages in
``config-files`` state) stays one residue finding with the catch-all's own id.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import shutil

import pytest

from ansible_collections.fleetsec.banned_av.plugins.action import av_facts
from ansible_collections.fleetsec.banned_av.plugins.module_utils import catalog as catalog_mod
from ansible_collections.fleetsec.banned_av.plugins.module_utils import evidence as ev
from ansible_collections.fleetsec.banned_av.plugins.module_utils import matcher
from ansible_collections.fleetsec.banned_av.plugins.module_utils import parsers
from ansible_collections.fleetsec.banned_av.plugins.module_utils import patterns as pattern_mod
from ansible_collections.fleetsec.banned_av.plugins.module_utils import policy
from ansible_collections.fleetsec.banned_av.plugins.module_utils import posix_collect
from ansible_collections.fleetsec.banned_av.plugins.module_utils import remediation as rem
from ansible_collections.fleetsec.banned_av.plugins.module_utils import windows_live
from ansible_collections.fleetsec.banned_av.plugins.module_utils import windows_registry as wr
from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports import sarif_report
from ansible_collections.fleetsec.banned_av.tests.support import regf
from ansible_collections.fleetsec.banned_av.tests.support import roots
from ansible_collections.fleetsec.banned_av.tests.support.windows_host import IMAGES_DIR, FakeWindowsHost

AS_OF = '2026-11-27'
COLLECTED_AT = AS_OF + 'T00:00:00Z'
needs_rpm = pytest.mark.skipif(roots.rpm_tools() is None, reason='rpm and rpmbuild are not installed (apt-get install rpm)')
HIVEX_MISSING = regf.hivex_unavailable_reason()
needs_hivex = pytest.mark.skipif(HIVEX_MISSING is not None, reason=HIVEX_MISSING or 'hivex available')


# --------------------------------------------------------------------------- helpers

def collect_root(catalog, root, **kwargs):
    """The POSIX collector's module result for an offline ``root``, with the probe av_facts sends."""
    probe = av_facts.posix_probe(catalog, str(root))
    return posix_collect.module_result(posix_collect.collect_all(probe, root=str(root), **kwargs))


def facts_of_result(catalog, result):
    return av_facts.build_facts_all(result.get('inventories') or [result['inventory']], catalog, COLLECTED_AT)


def evaluate(facts, waivers=None):
    as_of, _version, policies, checked = policy.load_context(as_of=AS_OF, waivers=waivers)
    return policy.evaluate_host('host1', facts, policies, checked, as_of)


def by_id(facts):
    return dict((f['id'], f) for f in facts['findings'])


def kinds(finding):
    return sorted(set(e['kind'] for e in finding['evidence']))


def unlisted(facts):
    return sorted(f['id'] for f in facts['findings'] if f.get('unlisted'))


def inventory(platform='linux', **kwargs):
    inv = {'schema': 1, 'platform': platform, 'root': '/', 'live': True, 'os': {}, 'commands': [], 'packages': [],
           'uninstall': [], 'services': [], 'units': [], 'paths': [], 'executables': [], 'groups': [], 'processes': [],
           'kernel_modules': [], 'registry': [], 'receipts': [], 'bundles': [], 'launchd': [], 'security_center': [],
           'defender': None, 'skipped': [], 'warnings': [], 'errors': []}
    inv.update(kwargs)
    return inv


def assert_unlisted_banned(finding, product, version):
    assert finding['installed'] is True
    assert finding['category'] == 'banned' and finding['family'] == 'kaspersky' and finding['vendor'] == 'Kaspersky'
    assert finding['catalog_id'] == 'kaspersky.other' and finding['unlisted'] is True
    assert finding['product'] == product
    assert finding['version'] == version
    assert finding['removal']['method'] == 'manual'


def noncompliant_because_of(record, finding_id):
    assert record['status'] == 'noncompliant', record['reasons']
    judged = [f for f in record['findings'] if f['id'] == finding_id]
    assert judged and judged[0]['verdict'] == 'violation'


# --------------------------------------------------------------------------- Linux roots

def test_linux_unlisted_package_by_maintainer_is_installed_and_banned(catalog, tmp_path):
    """The KSC Web Console for Linux (package ksc-web-console, roots.ksc_web_console_root): no
    catalogue entry names the package; its dpkg Maintainer names the vendor."""
    result = collect_root(catalog, roots.ksc_web_console_root(str(tmp_path)))
    facts = facts_of_result(catalog, result)
    assert unlisted(facts) == ['kaspersky.other:ksc-web-console']
    finding = by_id(facts)['kaspersky.other:ksc-web-console']
    assert_unlisted_banned(finding, 'ksc-web-console', roots.KSC_WEB_CONSOLE_VERSION)
    assert finding['evidence'] == [ev.make('package', name='ksc-web-console', version=roots.KSC_WEB_CONSOLE_VERSION,
                                           manager='dpkg', status='install ok installed', arch='amd64',
                                           maintainer=roots.KASPERSKY_MAINTAINER)]
    noncompliant_because_of(evaluate(facts), 'kaspersky.other:ksc-web-console')


@needs_rpm
def test_linux_unlisted_rpm_by_vendor_is_installed_and_banned(catalog, tmp_path):
    rpms = str(tmp_path / 'rpms')
    os.makedirs(rpms)
    console = roots.build_rpm(rpms, 'ksc-web-console', '15.1.0', '2044')
    bash = roots.build_rpm(rpms, 'bash', '5.1.8', '9.el9', vendor='Red Hat, Inc.',
                           packager='Red Hat, Inc. <http://bugzilla.redhat.com/bugzilla>')
    root = roots.rhel_root(str(tmp_path / 'root'), [console, bash])
    facts = facts_of_result(catalog, collect_root(catalog, root, which=shutil.which))
    assert unlisted(facts) == ['kaspersky.other:ksc-web-console']
    assert_unlisted_banned(by_id(facts)['kaspersky.other:ksc-web-console'], 'ksc-web-console', '15.1.0-2044')
    noncompliant_because_of(evaluate(facts), 'kaspersky.other:ksc-web-console')


def test_linux_product_directory_with_an_executable_and_no_package(catalog, tmp_path):
    """KUMA (roots.kuma_root) is installed by its own installer, not a package: only its
    executable below /opt/kaspersky tells it is there."""
    root = roots.kuma_root(str(tmp_path), unit=False)
    facts = facts_of_result(catalog, collect_root(catalog, root))
    assert unlisted(facts) == ['kaspersky.other:kuma']
    finding = by_id(facts)['kaspersky.other:kuma']
    assert_unlisted_banned(finding, 'kuma', None)
    assert ev.make('executable', path='/opt/kaspersky/kuma/kuma', dir='/opt/kaspersky/kuma') in finding['evidence']
    # the vendor directory is that product's, not residue beside it
    assert 'kaspersky.other' not in by_id(facts)
    noncompliant_because_of(evaluate(facts), 'kaspersky.other:kuma')


def test_linux_unit_starting_a_vendor_program_joins_its_product(catalog, tmp_path):
    root = roots.kuma_root(str(tmp_path), unit=True)
    facts = facts_of_result(catalog, collect_root(catalog, root))
    assert unlisted(facts) == ['kaspersky.other:kuma']
    finding = by_id(facts)['kaspersky.other:kuma']
    unit = [e for e in finding['evidence'] if e['kind'] == 'unit']
    assert unit == [ev.make('unit', name='kuma-collector-%s.service' % roots.KUMA_COLLECTOR_ID,
                            path='/usr/lib/systemd/system/kuma-collector-%s.service' % roots.KUMA_COLLECTOR_ID,
                            exec_path='/opt/kaspersky/kuma/kuma')]
    assert kinds(finding) == ['executable', 'unit']


def test_linux_package_executables_and_init_script_of_one_product_are_one_finding(catalog, tmp_path):
    """kav4lms (roots.kav4lms_linux_root): its package, the executables below its directory and
    the init script starting its daemon all name the same product."""
    facts = facts_of_result(catalog, collect_root(catalog, roots.kav4lms_linux_root(str(tmp_path))))
    assert unlisted(facts) == ['kaspersky.other:kav4lms']
    finding = by_id(facts)['kaspersky.other:kav4lms']
    assert_unlisted_banned(finding, 'kav4lms', '5.6.42')
    assert kinds(finding) == ['executable', 'init_script', 'package']
    assert ev.make('init_script', name='kav4lms', path='/etc/init.d/kav4lms',
                   exec_path='/opt/kaspersky/kav4lms/sbin/kavmd') in finding['evidence']
    assert ev.describe([e for e in finding['evidence'] if e['kind'] == 'init_script'][0]) == (
        'init_script: /etc/init.d/kav4lms (starts /opt/kaspersky/kav4lms/sbin/kavmd)')


KESL_PACKAGES = [('kesl', '12.1.0.1297'), ('kesl-gui', '12.1.0.1297'), ('klnagent64', '14.2.0.26967')]


def test_several_unlisted_products_beside_a_listed_one(catalog, tmp_path):
    """One finding per unlisted product, each with a stable id; the listed product keeps its
    own finding and the programs below its own directory."""
    root = str(tmp_path)
    roots.kesl_linux_root(root)
    roots.kuma_root(root, unit=True)
    roots.kav4lms_linux_root(root, packages=KESL_PACKAGES)
    facts = facts_of_result(catalog, collect_root(catalog, root))
    assert unlisted(facts) == ['kaspersky.other:kav4lms', 'kaspersky.other:kuma']
    found = by_id(facts)
    assert found['kaspersky.kesl']['installed'] and found['kaspersky.klnagent_linux']['installed']
    # the executables below /opt/kaspersky/kesl are KESL's evidence, never an unlisted "kesl"
    assert ev.make('executable', path='/opt/kaspersky/kesl/libexec/kesl', dir='/opt/kaspersky/kesl') in (
        found['kaspersky.kesl']['evidence'])
    assert sorted(facts['summary']['installed']) == sorted(
        ['kaspersky.kesl', 'kaspersky.kesl_gui', 'kaspersky.klnagent_linux', 'kaspersky.other:kav4lms', 'kaspersky.other:kuma'])
    record = evaluate(facts)
    assert record['status'] == 'noncompliant'
    assert sorted(f['id'] for f in record['findings'] if f['verdict'] == 'violation') == sorted(facts['summary']['installed'])
    # the same root scanned twice names its products the same way
    assert [f['id'] for f in facts_of_result(catalog, collect_root(catalog, root))['findings']] == [
        f['id'] for f in facts['findings']]


def test_residue_stays_residue(catalog, tmp_path):
    """A vendor package in config-files state, a vendor directory with no program below it and
    a role group: residue of the vendor, never an installed product."""
    root = roots.linux_root(str(tmp_path), packages=[dict(name='ksc-web-console', version=roots.KSC_WEB_CONSOLE_VERSION,
                                                          status='deinstall ok config-files',
                                                          maintainer=roots.KASPERSKY_MAINTAINER)],
                            dirs=['/opt/kaspersky/kuma/collector', '/var/opt/kaspersky/ksc-web-console'])
    roots._write(root, '/opt/kaspersky/kuma/LICENSE', 'EULA\n', 0o644)  # pylint: disable=protected-access
    facts = facts_of_result(catalog, collect_root(catalog, root))
    assert unlisted(facts) == []
    residue = by_id(facts)['kaspersky.other']
    assert residue['installed'] is False and 'catalog_id' not in residue
    assert kinds(residue) == ['package_residue', 'path']
    assert evaluate(facts)['status'] == 'compliant'


# --------------------------------------------------------------------------- macOS roots

def test_macos_unlisted_bundle_and_its_receipt_are_one_installed_product(catalog, tmp_path):
    root = roots.kpm_mac_root(roots.macos_root(str(tmp_path), kaspersky=False))
    facts = facts_of_result(catalog, collect_root(catalog, root))
    assert unlisted(facts) == ['kaspersky.other:kaspersky-password-manager']
    finding = by_id(facts)['kaspersky.other:kaspersky-password-manager']
    assert_unlisted_banned(finding, 'Kaspersky Password Manager', roots.KPM_MAC_VERSION)
    assert kinds(finding) == ['bundle', 'receipt']
    noncompliant_because_of(evaluate(facts), 'kaspersky.other:kaspersky-password-manager')


@pytest.mark.parametrize('fat', [False, True])
def test_macos_bundle_whose_only_marker_is_the_signing_team(catalog, tmp_path, fat):
    """A white-labelled app: bundle id outside com.kaspersky.*, main executable signed by
    Kaspersky's Apple Developer Team ID (read from its code signature by the collector)."""
    root = roots.macos_root(str(tmp_path), kaspersky=False)
    roots.signed_app(root, '/Applications/Secure Endpoint.app', 'com.example.secure-endpoint', '21.3', fat=fat)
    roots.signed_app(root, '/Applications/Other.app', 'com.example.other', '1.0', team_id='ABCDE12345')
    facts = facts_of_result(catalog, collect_root(catalog, root))
    assert unlisted(facts) == ['kaspersky.other:secure-endpoint']
    finding = by_id(facts)['kaspersky.other:secure-endpoint']
    assert_unlisted_banned(finding, 'Secure Endpoint', '21.3')
    assert finding['evidence'] == [ev.make('bundle', path='/Applications/Secure Endpoint.app', name='com.example.secure-endpoint',
                                           version='21.3', team_id=roots.KASPERSKY_TEAM_ID)]
    noncompliant_because_of(evaluate(facts), 'kaspersky.other:secure-endpoint')


# --------------------------------------------------------------------------- Windows: image and live host
# Kaspersky Security for Virtualization 5.2 Light Agent for Windows, which the catalogue does not
# list: the product name from its help (https://support.kaspersky.com/KSVLA/5.2/en-US/145520.htm,
# "Launch Kaspersky Security for Virtualization 5.2 Light Agent ..."), installed below
# C:\Program Files (x86)\Kaspersky Lab\ and running avp.exe
# (https://support.kaspersky.co.jp/help/KSVLA/6.2/en-US/65891.htm, the exclusions the help lists).
# Assumed, not observed: the Uninstall DisplayName (the product name), the illustrative version and
# ProductCode, the service name KSVLA and the product folder's name.

LA_CODE = '{6F3B2C1D-5A4E-4F7B-9C2D-1E0A8B7C6D52}'
LA_NAME = 'Kaspersky Security for Virtualization 5.2 Light Agent'
LA_VERSION = '5.2.0.1287'
LA_DIR = 'C:\\Program Files (x86)\\Kaspersky Lab\\Kaspersky Security for Virtualization Light Agent'
LA_IMAGE = '"%s\\avp.exe" -r' % LA_DIR
LA_UNINSTALL = 'HKLM\\SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\' + LA_CODE
LA_SERVICE = 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\KSVLA'
LA_ID = 'kaspersky.other:kaspersky-security-for-virtualization-light-agent'


def _reg_string(text):
    return '"%s"' % text.replace('\\', '\\\\').replace('"', '\\"')


def _la_reg(uninstall=True, service=True):
    software = system = ''
    if uninstall:
        software = ('\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\%s]\n'
                    '"DisplayName"=%s\n"DisplayVersion"=%s\n"Publisher"="AO Kaspersky Lab"\n"InstallLocation"=%s\n'
                    '"UninstallString"=%s\n"WindowsInstaller"=dword:00000001\n'
                    % (LA_CODE, _reg_string(LA_NAME), _reg_string(LA_VERSION), _reg_string(LA_DIR + '\\'),
                       _reg_string('MsiExec.exe /X' + LA_CODE)))
    if service:
        system = ('\n[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Services\\KSVLA]\n"Type"=dword:00000010\n'
                  '"Start"=dword:00000002\n"ErrorControl"=dword:00000001\n"ImagePath"=%s\n"DisplayName"=%s\n'
                  % (_reg_string(LA_IMAGE), _reg_string('Kaspersky Security for Virtualization Light Agent')))
    return software, system


def windows_image(tmp_path, uninstall=True, service=True):
    """A Windows 11 volume (the clean machine tests/fixtures/windows_images/defender_only) with
    the Light Agent added to its hives and files."""
    source = os.path.join(str(tmp_path), 'fixture')
    shutil.copytree(os.path.join(IMAGES_DIR, 'defender_only'), source)
    software, system = _la_reg(uninstall, service)
    for name, text in (('SOFTWARE.reg', software), ('SYSTEM.reg', system)):
        with open(os.path.join(source, name), 'a') as handle:
            handle.write(text)
    with open(os.path.join(source, 'files.txt'), 'a') as handle:
        handle.write(LA_DIR[3:].replace('\\', '/') + '/avp.exe\n')
    root = os.path.join(str(tmp_path), 'image')
    regf.build_image(source, root)
    return root


def sz(text):
    return (regf.REG_SZ, (text + '\0').encode('utf-16-le'))


def dword(number):
    return (regf.REG_DWORD, number.to_bytes(4, 'little'))


def live_windows_facts(catalog, uninstall=True, service=True):
    """What av_facts makes of the Light Agent on a live host: the PowerShell collector played
    by tests/support/windows_host.py on the same clean machine, the keys added to its registry."""
    scm = dict(FakeWindowsHost('defender_only').live['scm'])
    if service:
        scm['KSVLA'] = ['Running', 'Kaspersky Security for Virtualization Light Agent']
    host = FakeWindowsHost('defender_only', live={'scm': scm})
    if uninstall:
        host.add_key(LA_UNINSTALL, {'DisplayName': sz(LA_NAME), 'DisplayVersion': sz(LA_VERSION),
                                    'Publisher': sz('AO Kaspersky Lab'), 'InstallLocation': sz(LA_DIR + '\\'),
                                    'UninstallString': sz('MsiExec.exe /X' + LA_CODE), 'WindowsInstaller': dword(1)})
    if service:
        host.add_key(LA_SERVICE, {'Type': dword(0x10), 'Start': dword(2), 'ImagePath': sz(LA_IMAGE),
                                  'DisplayName': sz('Kaspersky Security for Virtualization Light Agent')})
    host.files[LA_DIR.lower() + '\\avp.exe'] = (LA_DIR + '\\avp.exe', False)
    for end in range(3, LA_DIR.count('\\') + 1):
        parent = '\\'.join(LA_DIR.split('\\')[:end + 1])
        host.files.setdefault(parent.lower(), (parent, True))
    plan = windows_live.plan(catalog.probe('windows'))
    inv = windows_live.inventory(plan, host.run(plan.args)['dump'])
    return av_facts.build_facts(inv, catalog, COLLECTED_AT)


def windows_image_facts(catalog, tmp_path, uninstall=True, service=True):
    return facts_of_result(catalog, collect_root(catalog, windows_image(tmp_path, uninstall, service)))


def assert_light_agent(facts, service=True, uninstall=True):
    assert unlisted(facts) == [LA_ID]
    finding = by_id(facts)[LA_ID]
    assert_unlisted_banned(finding, LA_NAME if uninstall else 'Kaspersky Security for Virtualization Light Agent',
                           LA_VERSION if uninstall else None)
    expected = (['service'] if service else []) + (['uninstall'] if uninstall else [])
    assert kinds(finding) == expected
    if service:
        svc = [e for e in finding['evidence'] if e['kind'] == 'service'][0]
        assert svc['name'] == 'KSVLA' and svc['install_dir'] == 'C:\\Program Files*\\Kaspersky Lab\\*'
    if uninstall:
        entry = [e for e in finding['evidence'] if e['kind'] == 'uninstall'][0]
        assert (entry['key'], entry['publisher'], entry['view']) == (LA_CODE, 'AO Kaspersky Lab', '32')
    assert 'kaspersky.other' not in by_id(facts)  # its folder below Kaspersky Lab is the product's
    noncompliant_because_of(evaluate(facts), LA_ID)


@needs_hivex
def test_windows_image_unlisted_product(catalog, tmp_path):
    assert_light_agent(windows_image_facts(catalog, tmp_path))


@needs_hivex
def test_windows_image_service_below_the_vendor_directory_alone(catalog, tmp_path):
    """No Uninstall entry (removed from the registry, or registered for a user whose hive is not
    there): the service running a program below Kaspersky Lab's folder still is the product."""
    assert_light_agent(windows_image_facts(catalog, tmp_path, uninstall=False), uninstall=False)


def test_live_windows_unlisted_product(catalog):
    assert_light_agent(live_windows_facts(catalog))


def test_live_windows_service_below_the_vendor_directory_alone(catalog):
    assert_light_agent(live_windows_facts(catalog, uninstall=False), uninstall=False)


@needs_hivex
def test_live_and_image_agree_on_the_unlisted_product(catalog, tmp_path):
    live = by_id(live_windows_facts(catalog))[LA_ID]
    image = by_id(windows_image_facts(catalog, tmp_path))[LA_ID]
    strip = [dict((k, v) for k, v in e.items() if k != 'state') for e in live['evidence']]
    assert strip == image['evidence']
    assert dict(live, evidence=None) == dict(image, evidence=None)


def test_windows_uninstall_entry_known_by_its_publisher_only():
    """A display name that names no vendor (localised, or a helper tool): the Publisher marker
    alone makes it an installed product of the vendor, named by its display name."""
    catalog = catalog_mod.load()
    inv = inventory('windows', root='C:\\', uninstall=[
        {'hive': 'HKLM', 'view': '32', 'key': '{00000000-1111-2222-3333-444444444444}', 'display_name': 'KSN Helper',
         'display_version': '1.0.2', 'publisher': 'AO Kaspersky Lab', 'windows_installer': True}])
    findings = matcher.match(inv, catalog)['findings']
    assert [(f['id'], f['product'], f['version'], f['installed']) for f in findings] == [
        ('kaspersky.other:ksn-helper', 'KSN Helper', '1.0.2', True)]


# --------------------------------------------------------------------------- decoys

def test_decoys_that_merely_resemble_the_vendor_stay_clean(catalog, tmp_path):
    """Names containing "kasper", a bakery called Kasperski, a packager whose surname is
    Kaspersky, a folder /opt/kasper, a bundle id that starts like the vendor's: none is
    Kaspersky software."""
    root = roots.linux_root(str(tmp_path), packages=roots.DECOY_PACKAGES + [
        dict(name='kasperbox', version='0.9-2'),
        dict(name='bakery-pos', version='2.1-1', maintainer='Kasperski Bakery <orders@kasperski-bakery.example>'),
        dict(name='libfoo1', version='1.4-3', maintainer='Peter Kaspersky <peter@example.org>'),
        dict(name='kasperskyfan-wallpapers', version='1.0', maintainer='Fan Club <fans@example.org>')])
    roots._write(root, '/opt/kasper/bin/kasper', '#!/bin/sh\n', 0o755)  # pylint: disable=protected-access
    roots._write(root, '/opt/kaspersky-fan/bin/tool', '#!/bin/sh\n', 0o755)  # pylint: disable=protected-access
    facts = facts_of_result(catalog, collect_root(catalog, root))
    assert facts['findings'] == []
    assert evaluate(facts)['status'] == 'compliant'
    mac = roots.macos_root(str(tmp_path / 'mac'), kaspersky=False)
    roots._plist(mac, '/Applications/Kasper.app/Contents/Info.plist',  # pylint: disable=protected-access
                 {'CFBundleIdentifier': 'com.kasperskyfan.kasper', 'CFBundleShortVersionString': '1.0'})
    assert facts_of_result(catalog, collect_root(catalog, mac))['findings'] == []
    windows = inventory('windows', root='C:\\', uninstall=[
        {'hive': 'HKLM', 'view': '64', 'key': 'KasperBackup', 'display_name': 'Kasper Backup 3.0',
         'publisher': 'Kasper Software GmbH'}],
        services=[{'name': 'KasperSvc', 'display_name': 'Kasper Backup', 'kind': 'service', 'start': 'auto',
                   'image_path': 'C:\\Program Files\\Kasper Software\\kasper.exe'}])
    assert matcher.match(windows, catalog)['findings'] == []


def test_the_maintainer_markers_are_anchored_on_the_vendor(catalog):
    patterns = catalog.by_id['kaspersky.other']['match']['maintainers']
    wanted = parsers.package_filter([], [pattern_mod.compile_pattern(p) for p in patterns])
    for mark in ('AO Kaspersky Lab <support@kaspersky.com>', 'Kaspersky Lab ZAO', 'Kaspersky Lab',
                 'AO Kaspersky Lab / AO Kaspersky Lab <support@kaspersky.com>', 'Kaspersky / build farm',
                 'Kaspersky', 'Build Farm <build@kaspersky.com>', 'Eugene K <e@kaspersky.ru>'):
        assert wanted('x', [mark]), mark
    for mark in ('Kasperski Bakery <orders@kasperski-bakery.example>', 'Peter Kaspersky <peter@example.org>',
                 'Debian QA Group <packages@qa.debian.org>', 'kaspersky-fans <fans@example.org>', 'Kasper Lab'):
        assert not wanted('x', [mark]), mark


# --------------------------------------------------------------------------- naming

def test_product_slugs_drop_version_tokens_and_are_stable():
    assert matcher.product_slug('Kaspersky Security Center 14.2 Web Server') == 'kaspersky-security-center-web-server'
    assert matcher.product_slug('KES.12.3.0') == 'kes'
    assert matcher.product_slug('ksc64') == 'ksc64'
    assert matcher.product_slug('kav4lms') == 'kav4lms'
    assert matcher.product_slug('Антивирус Касперского 6.0') == 'антивирус-касперского'
    assert matcher.product_slug('12.3') == '12-3'
    assert matcher.product_slug('') == 'unnamed'
    assert matcher.product_slug('x' * 300) == 'x' * 64
    assert matcher.product_slug('k\\xffey tool') == 'k-xffey-tool'
    # no slug can make an id a catalogue id could have: ids never hold ':'
    assert not catalog_mod.ID_RE.match('kaspersky.other:' + matcher.product_slug('kesl'))


@pytest.mark.parametrize('display_name', [
    'Kaspersky ' + 'X' * 100000,                       # a planted huge value
    'Kaspersky\nHelper\x1b[31m\u2028tool',             # line breaks and terminal escapes
    'Kaspersky k\udcffey helper',                       # a lone surrogate a collector may keep
    None,                                               # no DisplayName: the key names it
])
def test_hostile_product_names_give_one_short_line_and_a_bounded_id(catalog, display_name):
    inv = inventory('windows', root='C:\\', uninstall=[
        {'hive': 'HKLM', 'view': '64', 'key': '{6F3B2C1D-5A4E-4F7B-9C2D-1E0A8B7C6D52}', 'display_name': display_name,
         'display_version': '1.0', 'publisher': 'AO Kaspersky Lab', 'windows_installer': True}])
    facts = av_facts.build_facts(inv, catalog, COLLECTED_AT)
    [finding] = facts['findings']
    product, slug = finding['product'], finding['id'].split(':', 1)[1]
    assert finding['installed'] and finding['unlisted'] and 0 < len(product) <= matcher.NAME_LENGTH
    assert product == product.strip() and not re.search(u'[\x00-\x1f\x7f-\x9f\u2028\u2029]', product)
    product.encode('utf-8')
    assert 0 < len(slug) <= matcher.SLUG_LENGTH and slug == slug.strip('-')
    # the reasons of the host record name it through its product name: always writable
    json.dumps(evaluate(facts)['reasons'], ensure_ascii=False).encode('utf-8')


def test_unlisted_products_that_collide_on_a_slug_are_one_finding(catalog):
    """A package and a product folder of the same name are one product."""
    inv = inventory(packages=[{'name': 'kuma', 'version': '3.4.1', 'manager': 'dpkg', 'installed': True,
                               'status': 'install ok installed', 'maintainer': roots.KASPERSKY_MAINTAINER}],
                    executables=[{'path': '/opt/kaspersky/kuma/kuma', 'dir': '/opt/kaspersky/kuma'}])
    findings = matcher.match(inv, catalog)['findings']
    assert [(f['id'], f['version'], kinds(f)) for f in findings] == [('kaspersky.other:kuma', '3.4.1', ['executable', 'package'])]


def test_unlisted_findings_of_one_host_have_distinct_sarif_rules_and_fingerprints(catalog, tmp_path):
    root = str(tmp_path)
    roots.kuma_root(root, unit=True)
    roots.kav4lms_linux_root(root)
    facts = facts_of_result(catalog, collect_root(catalog, root))
    record = evaluate(facts)
    log = json.loads(sarif_report.render({'hosts': [record], 'run': {}}, catalog.entries).decode('utf-8'))
    results = log['runs'][0]['results']
    rules = log['runs'][0]['tool']['driver']['rules']
    assert sorted(r['ruleId'] for r in results) == ['kaspersky.other:kav4lms', 'kaspersky.other:kuma']
    assert len(set(r['partialFingerprints']['hostFinding/v1'] for r in results)) == 2
    for result in results:
        assert rules[result['ruleIndex']]['id'] == result['ruleId']
        assert result['level'] == 'error'


def test_every_report_format_shows_unlisted_products(catalog, tmp_path):
    """The audit's reports name each unlisted product by its id and its own name, whatever the
    name holds (the ':' of the id, a Cyrillic display name: a Russian build of Anti-Virus 6.0 for
    Workstations, which no English display-name pattern of the catalogue names; its Publisher does)."""
    from ansible_collections.fleetsec.banned_av.plugins.action import compliance_report
    russian = {'hive': 'HKLM', 'view': '32', 'key': '{11111111-2222-3333-4444-555555555555}',
               'display_name': 'Антивирус Касперского 6.0 для Windows Workstations', 'display_version': '6.0.4.1611',
               'publisher': 'AO Kaspersky Lab', 'windows_installer': True}
    inv = inventory('windows', root='C:\\', uninstall=[russian])
    facts = av_facts.build_facts(inv, catalog, COLLECTED_AT)
    assert unlisted(facts) == ['kaspersky.other:антивирус-касперского-для-windows-workstations']
    record = evaluate(facts)
    run = {'generated_at': COLLECTED_AT, 'catalog_version': catalog.version, 'as_of': AS_OF}
    report = compliance_report.build_report([record], run, [])
    paths = compliance_report.write_reports(report, str(tmp_path), ['json', 'csv', 'html', 'junit', 'sarif', 'markdown'],
                                            catalog_entries=catalog.entries)
    for fmt, path in sorted(paths.items()):
        with open(path, encoding='utf-8') as handle:
            text = handle.read()
        assert 'kaspersky.other:антивирус-касперского-для-windows-workstations' in text, fmt
        assert 'Антивирус Касперского 6.0 для Windows Workstations' in text or fmt == 'sarif', fmt


def test_waivers_name_unlisted_products_by_their_id_or_a_glob(catalog, tmp_path):
    root = str(tmp_path)
    roots.kuma_root(root, unit=False)
    roots.kav4lms_linux_root(root)
    facts = facts_of_result(catalog, collect_root(catalog, root))
    waiver = {'hosts': ['host1'], 'owner': 'secops', 'ticket': 'SEC-1', 'reason': 'lab', 'expires': '2027-01-31'}
    one = evaluate(facts, [dict(waiver, products=['kaspersky.other:kuma'])])
    assert sorted((f['id'], f['verdict']) for f in one['findings']) == [
        ('kaspersky.other:kav4lms', 'violation'), ('kaspersky.other:kuma', 'waived')]
    assert one['status'] == 'noncompliant'
    every = evaluate(facts, [dict(waiver, products=['kaspersky.other:*'])])
    assert every['status'] == 'waived'
    # a waiver of the catch-all's own id covers its residue, not the installed products it names
    residue_only = evaluate(facts, [dict(waiver, products=['kaspersky.other'])])
    assert residue_only['status'] == 'noncompliant'


# --------------------------------------------------------------------------- remediation

def plan_of(facts, catalog, **options):
    as_of, _version, policies, waivers = policy.load_context(as_of=AS_OF)
    record = policy.evaluate_host('host1', facts, policies, waivers, as_of)
    opts = {'host': 'host1', 'vendor_roots': rem.vendor_roots(catalog.entries, facts['platform'])}
    opts.update(options)
    return rem.build_plan(facts, record, opts), record


def test_remediation_leaves_unlisted_products_to_a_person_and_never_reports_them_removed(catalog, tmp_path):
    root = str(tmp_path)
    roots.kesl_linux_root(root)
    roots.kav4lms_linux_root(root, packages=KESL_PACKAGES)
    facts = facts_of_result(catalog, collect_root(catalog, root))
    plan, _record = plan_of(facts, catalog)
    assert [m['id'] for m in plan['manual']] == ['kaspersky.other:kav4lms']
    assert 'kaspersky.other:kav4lms' not in plan['target_ids']
    # the package manager never removes a package no catalogue entry vetted
    removed = [p['package']['names'] for p in plan['linux']['products'] if p['package']]
    assert not any('kav4lms' in names for names in removed)
    assert any('kaspersky.other:kav4lms' in a and 'manual' in a for a in plan['actions'])
    assert plan['linux']['vendor_roots'] == []  # the vendor's directories stay while a product of it does
    # after removing KESL the unlisted product is still there: degraded, never remediated
    after = dict(facts, findings=[f for f in facts['findings'] if f['id'] == 'kaspersky.other:kav4lms'])
    after_record = evaluate(after)
    outcome = rem.decide_outcome(plan, after, after_record, {'product': 'ClamAV', 'healthy': True, 'active': True},
                                 {'ensure_ok': True, 'removed': ['kaspersky.kesl'], 'changed_banned': True})
    assert outcome['outcome'] == 'degraded'
    assert any('kaspersky.other:kav4lms needs manual removal' in r for r in outcome['reasons'])


def test_remediation_of_a_host_with_only_unlisted_products_is_blocked(catalog, tmp_path):
    facts = facts_of_result(catalog, collect_root(catalog, roots.kuma_root(str(tmp_path), unit=True)))
    plan, _record = plan_of(facts, catalog)
    assert plan['blocked'] and 'kaspersky.other:kuma' in plan['blocked'][0]
    outcome = rem.decide_outcome(plan, facts, evaluate(facts), {'active': True, 'healthy': True}, {'ensure_ok': True})
    assert outcome['outcome'] == 'blocked'


def test_windows_msi_log_path_of_an_unlisted_product_is_a_valid_file_name(catalog):
    """A site that lets the catch-all's products be uninstalled by msiexec (an override of
    kaspersky.other with method msi): the log file name cannot hold the ':' of the id."""
    site = catalog_mod.load(extra_entries=[dict(dict((k, v) for k, v in catalog.by_id['kaspersky.other'].items()
                                                     if k in ('id', 'vendor', 'product', 'family', 'category', 'catch_all',
                                                              'platforms', 'confidence', 'sources', 'match')),
                                                override=True, removal={'order': 99, 'method': 'msi'})])
    inv = inventory('windows', root='C:\\', uninstall=[
        {'hive': 'HKLM', 'view': '32', 'key': LA_CODE, 'display_name': LA_NAME, 'display_version': LA_VERSION,
         'publisher': 'AO Kaspersky Lab', 'windows_installer': True}])
    result = matcher.match(inv, site)
    facts = {'platform': 'windows', 'os': {}, 'collected_at': COLLECTED_AT, 'findings': result['findings'],
             'protection': [], 'errors': [], 'skipped': []}
    plan, _record = plan_of(facts, site, replacement='defender')
    steps = plan['windows']['steps']
    assert [s['id'] for s in steps] == [LA_ID]
    name = steps[0]['log_path'].rsplit('\\', 1)[1]
    assert not re.search(r'[<>:"/\\|?*]', name), name


# --------------------------------------------------------------------------- per-user folders on Windows

PER_USER_ENTRY = {
    'id': 'site.portable_av', 'vendor': 'Acme', 'product': 'Acme Portable AV (per-user install)', 'category': 'banned',
    'platforms': ['windows'], 'sources': ['SP-12 (2026-03-01)'],
    'match': {'files': ['%LOCALAPPDATA%\\Programs\\Acme AV\\acmeav.exe'],
              'paths': ['%APPDATA%\\Acme AV', '%USERPROFILE%\\.acmeav']},
}


@pytest.mark.parametrize('root, path, kind', [
    ('C:\\', 'C:\\Users\\alice\\AppData\\Local\\Programs\\Acme AV\\acmeav.exe', 'file'),
    ('C:\\', 'C:\\Users\\bob\\AppData\\Roaming\\Acme AV', 'path'),
    ('C:\\', 'C:\\Users\\bob\\.acmeav\\cache', 'path'),
    ('D:\\', 'D:\\Users\\carol\\AppData\\Local\\Programs\\Acme AV\\acmeav.exe', 'file'),
    ('/mnt/image', 'C:\\Users\\alice\\AppData\\Local\\Programs\\Acme AV\\acmeav.exe', 'file'),
])
def test_per_user_path_patterns_match_the_paths_the_collectors_return(root, path, kind):
    site = catalog_mod.load(extra_entries=[PER_USER_ENTRY], include_builtin=False)
    inv = inventory('windows', root=root, paths=[{'path': path, 'type': 'file' if kind == 'file' else 'dir'}])
    findings = matcher.match(inv, site)['findings']
    assert [(f['id'], f['installed'], f['evidence']) for f in findings] == [
        ('site.portable_av', kind == 'file', [ev.make(kind, path=path)])]


def test_per_user_path_patterns_do_not_match_other_folders():
    site = catalog_mod.load(extra_entries=[PER_USER_ENTRY], include_builtin=False)
    for path in ('C:\\ProgramData\\Acme AV', 'C:\\Users\\alice\\AppData\\LocalLow\\Programs\\Acme AV\\acmeav.exe',
                 'E:\\Users\\alice\\AppData\\Roaming\\Acme AV'):
        inv = inventory('windows', root='C:\\', paths=[{'path': path, 'type': 'dir'}])
        assert matcher.match(inv, site)['findings'] == [], path


def test_per_user_files_found_on_a_live_host_reach_a_finding():
    """The live collector expands %LOCALAPPDATA% to every profile on the host; the matcher must
    recognise what it returns."""
    site = catalog_mod.load(extra_entries=[PER_USER_ENTRY], include_builtin=False)
    host = FakeWindowsHost('defender_only')
    exe = 'C:\\Users\\alice\\AppData\\Local\\Programs\\Acme AV\\acmeav.exe'
    parts = exe.split('\\')
    for end in range(2, len(parts)):
        host.files.setdefault('\\'.join(parts[:end]).lower(), ('\\'.join(parts[:end]), True))
    host.files[exe.lower()] = (exe, False)
    plan = windows_live.plan(site.probe('windows'))
    inv = windows_live.inventory(plan, host.run(plan.args)['dump'])
    assert {'path': exe, 'type': 'file'} in inv['paths']
    facts = av_facts.build_facts(inv, site, COLLECTED_AT)
    assert [(f['id'], f['installed']) for f in facts['findings']] == [('site.portable_av', True)]


def test_expand_vars_is_the_rule_the_matcher_uses():
    env = dict(wr.ENV_DIRS)
    assert matcher.windows_pattern('%LOCALAPPDATA%\\X', env) == 'C:\\Users\\*\\AppData\\Local\\X'
    assert matcher.windows_pattern('%ProgramFiles(x86)%\\Kaspersky Lab\\*', env) == 'C:\\Program Files (x86)\\Kaspersky Lab\\*'
    assert matcher.windows_pattern('%UNKNOWN%\\X', env) == '%UNKNOWN%\\X'
