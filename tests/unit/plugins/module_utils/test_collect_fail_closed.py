# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 11: detection fails closed, on every root the issue reproduced it on.

Each case builds a real tree (links, FIFOs, device nodes, unreadable directories under capsh
without root's DAC override, names that are not UTF-8, real rpm databases) and follows it the
whole way: the collector's module result, ``av_facts``' facts, then the host's status from
``policy.evaluate_host``.  The claim each test holds: never a false ``compliant``, never a
hang, nothing read from outside the root.  Cases that could hang or eat memory on a broken
collector run it in a child process with a time and memory limit.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import stat
import time

import pytest

from ansible_collections.fleetsec.banned_av.plugins.action import av_facts
from ansible_collections.fleetsec.banned_av.plugins.module_utils import policy
from ansible_collections.fleetsec.banned_av.plugins.module_utils import posix_collect
from ansible_collections.fleetsec.banned_av.tests.support import regf
from ansible_collections.fleetsec.banned_av.tests.support import roots

AS_OF = '2026-11-27'
needs_capsh = pytest.mark.skipif(roots.CAPSH is None, reason='capsh is not installed (libcap2-bin)')
needs_rpm = pytest.mark.skipif(roots.rpm_tools() is None, reason='rpm and rpmbuild are not installed (apt-get install rpm)')

# The vendor markers of the catch-all entry (lanes.md contract; lane B2 adds them to the
# catalogue): built by hand here so that the collector side is tested on its own.
VENDOR_MARKERS = {
    'linux': {'maintainers': ['Kaspersky'], 'install_dirs': ['/opt/kaspersky/*']},
    'darwin': {'install_dirs': ['/Library/Application Support/Kaspersky Lab/*'], 'team_ids': [roots.KASPERSKY_TEAM_ID]},
}


def probe_of(catalog, markers=True):
    probe = dict((p, dict(catalog.probe(p))) for p in ('linux', 'darwin', 'windows'))
    if markers:
        for platform, kinds in VENDOR_MARKERS.items():
            for kind, values in kinds.items():
                probe[platform][kind] = list(probe[platform].get(kind) or []) + [v for v in values if v not in (probe[platform].get(kind) or [])]
    return probe


def collect(catalog, root, **kwargs):
    """The module result for ``root``, computed in this process."""
    return posix_collect.module_result(posix_collect.collect_all(probe_of(catalog), root=str(root), **kwargs))


def evaluate(catalog, result):
    """``(host record, facts)``: what the audit report says about the host."""
    facts = av_facts.build_facts_all(result.get('inventories') or [result['inventory']], catalog, AS_OF + 'T00:00:00Z')
    as_of, _version, policies, waivers = policy.load_context(as_of=AS_OF)
    return policy.evaluate_host('image', facts, policies, waivers, as_of), facts


def errors_of(facts, source=None):
    return [e['message'] for e in facts['errors'] if source is None or e['source'] == source]


def write(root, path, content=b'', mode=0o644):
    full = os.path.join(str(root), path.lstrip('/'))
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, 'wb') as handle:
        handle.write(content)
    os.chmod(full, mode)
    return full


def kesl_only_in_packages(root):
    """A Debian root whose only KESL evidence is its package database."""
    return roots.linux_root(str(root), packages=[('kesl', '12.1.0.1297'), ('klnagent64', '14.2.0.26967')] + roots.DECOY_PACKAGES)


# --------------------------------------------------------------------------- an empty directory

def test_empty_directory_is_unknown(catalog, tmp_path):
    """An image that failed to mount leaves an empty mount point: nothing to identify."""
    record, facts = evaluate(catalog, collect(catalog, tmp_path))
    assert record['status'] == 'unknown'
    assert facts['platform'] is None and facts['findings'] == []
    assert errors_of(facts) == ['not an operating-system root: is the image mounted?']
    assert any('is the image mounted?' in r for r in record['reasons'])


@pytest.mark.parametrize('planted', [
    ('/etc/os-release', b''),                                   # an empty os-release is no OS
    ('/System/Library/CoreServices/SystemVersion.plist', b''),  # an empty SystemVersion.plist
    ('/Windows/System32/config/SOFTWARE', b''),                 # an empty hive file
    ('/Windows/System32/config/SOFTWARE', b'MZ\x90\x00'),         # a file that is not a hive
    ('/var/lib/rpm/README', b'not a database\n'),               # an rpm directory without a database
])
def test_planted_marker_that_identifies_nothing_is_unknown(catalog, tmp_path, planted):
    write(tmp_path, planted[0], planted[1])
    record, facts = evaluate(catalog, collect(catalog, tmp_path))
    assert record['status'] == 'unknown'
    assert errors_of(facts)[0].startswith('not an operating-system root: is the image mounted?')


def test_each_identified_system_names_what_identified_it(catalog, tmp_path):
    linux = roots.kesl_linux_root(str(tmp_path / 'linux'))
    os.remove(os.path.join(linux, 'etc/os-release'))  # the package database alone identifies Linux
    mac = roots.macos_root(str(tmp_path / 'mac'))
    result = collect(catalog, linux)
    assert result['inventory']['platform'] == 'linux'
    assert result['inventory']['identified_by'] == ['/var/lib/dpkg/status']
    result = collect(catalog, mac)
    assert result['inventory']['platform'] == 'darwin'
    assert result['inventory']['identified_by'] == ['/System/Library/CoreServices/SystemVersion.plist']


# --------------------------------------------------------------------------- unreadable package databases

def _unreadable(catalog, root, path, mode=0):
    full = os.path.join(str(root), path.lstrip('/'))
    old = stat.S_IMODE(os.lstat(full).st_mode)
    os.chmod(full, mode)
    try:
        return roots.collect_in_child(probe_of(catalog), root, timeout=60, drop_dac=True)
    finally:
        os.chmod(full, old)


@needs_capsh
@pytest.mark.parametrize('path', ['/var/lib/dpkg', '/var/lib/dpkg/status'])
def test_unreadable_dpkg_database_is_unknown(catalog, tmp_path, path):
    """Run without DAC override: a database that is there and cannot be read is an error."""
    root = kesl_only_in_packages(tmp_path)
    record, facts = evaluate(catalog, _unreadable(catalog, root, path))
    assert record['status'] == 'unknown', record['reasons']
    assert len(errors_of(facts, 'packages')) == 1
    assert 'cannot read the dpkg database' in errors_of(facts, 'packages')[0]
    assert 'Permission denied' in errors_of(facts, 'packages')[0]


@needs_capsh
def test_unreadable_database_with_banned_software_found_anyway_is_noncompliant(catalog, tmp_path):
    root = roots.kesl_linux_root(str(tmp_path))
    record, facts = evaluate(catalog, _unreadable(catalog, root, '/var/lib/dpkg'))
    assert record['status'] == 'noncompliant'
    assert 'kaspersky.kesl' in facts['summary']['installed']  # from its files and units
    assert errors_of(facts, 'packages') and any('some sources failed: packages' in r for r in record['reasons'])


@needs_capsh
def test_unreadable_rpm_database_is_unknown(catalog, tmp_path):
    write(tmp_path, '/etc/os-release', roots.RHEL_OS_RELEASE.encode())
    write(tmp_path, '/var/lib/rpm/rpmdb.sqlite', b'SQLite format 3\x00')
    record, facts = evaluate(catalog, _unreadable(catalog, tmp_path, '/var/lib/rpm'))
    assert record['status'] == 'unknown'
    assert 'cannot read the rpm database' in errors_of(facts, 'packages')[0]


@pytest.mark.parametrize('kind', ['empty', 'garbage', 'fifo', 'directory'])
def test_dpkg_status_that_cannot_have_been_read_is_an_error(catalog, tmp_path, kind):
    root = roots.clean_linux_root(str(tmp_path))
    status = os.path.join(root, 'var/lib/dpkg/status')
    os.remove(status)
    if kind == 'fifo':
        os.mkfifo(status)
    elif kind == 'directory':
        os.mkdir(status)
    else:
        write(root, '/var/lib/dpkg/status', b'' if kind == 'empty' else b'\x00\x01binary junk\n' * 100)
    result = roots.collect_in_child(probe_of(catalog), root, timeout=30)
    record, facts = evaluate(catalog, result)
    assert record['status'] == 'unknown'
    message = errors_of(facts, 'packages')[0]
    assert {'empty': 'holds no package stanza', 'garbage': 'holds no package stanza', 'fifo': 'is a FIFO: not read',
            'directory': 'is a directory: not read'}[kind] in message


def test_dpkg_journal_is_read_after_the_status_file(catalog, tmp_path):
    """dpkg writes changes to updates/NNNN before folding them into status: KESL installed by an
    interrupted dpkg run is there, and only there."""
    root = roots.clean_linux_root(str(tmp_path))
    write(root, '/var/lib/dpkg/updates/0000', roots.dpkg_stanza('kesl', '12.1.0.1297', 'install ok unpacked').encode())
    write(root, '/var/lib/dpkg/updates/tmp.i', b'')
    record, facts = evaluate(catalog, collect(catalog, root))
    assert record['status'] == 'noncompliant'
    assert 'kaspersky.kesl' in facts['summary']['installed']


# --------------------------------------------------------------------------- links inside the image

def test_absolute_links_inside_the_image_are_resolved_inside_it(catalog, tmp_path):
    """/var/lib/dpkg and /opt/kaspersky are absolute links to other places inside the image."""
    root = kesl_only_in_packages(tmp_path)
    os.makedirs(os.path.join(root, 'srv'))
    shutil.move(os.path.join(root, 'var/lib/dpkg'), os.path.join(root, 'srv/dpkg'))
    os.symlink('/srv/dpkg', os.path.join(root, 'var/lib/dpkg'))
    write(root, '/data/kaspersky/kesl/bin/kesl-control', b'\x7fELF', 0o755)
    os.makedirs(os.path.join(root, 'opt'))
    os.symlink('/data/kaspersky', os.path.join(root, 'opt/kaspersky'))
    os.symlink('../../srv/dpkg/status', os.path.join(root, 'etc/dpkg-status-alias'))
    record, facts = evaluate(catalog, collect(catalog, root))
    assert record['status'] == 'noncompliant'
    kesl = [f for f in facts['findings'] if f['id'] == 'kaspersky.kesl'][0]
    assert kesl['installed'] and kesl['version'] == '12.1.0.1297'
    kinds = set(e['kind'] for e in kesl['evidence'])
    assert {'package', 'file'} <= kinds
    assert {'kind': 'file', 'path': '/opt/kaspersky/kesl/bin/kesl-control'} in kesl['evidence']
    inventory = collect(catalog, root)['inventory']
    assert inventory['package_databases'][0]['path'] == '/srv/dpkg/status'  # names the database it read
    assert errors_of(facts) == []


def _host_with_kesl(tmp_path):
    """A directory outside the image that holds KESL, as the scanning machine might."""
    host = roots.kesl_linux_root(str(tmp_path / 'host'))
    return host


def test_links_out_of_the_root_are_never_followed(catalog, tmp_path):
    """A clean image whose links point at the scanning machine's KESL: nothing of it is read."""
    host = _host_with_kesl(tmp_path)
    root = roots.clean_linux_root(str(tmp_path / 'image'))
    os.symlink(os.path.join(host, 'opt'), os.path.join(root, 'opt'))
    os.symlink(os.path.join(host, 'var/opt'), os.path.join(root, 'var/opt'))
    os.remove(os.path.join(root, 'etc/group'))
    os.symlink(os.path.join(host, 'etc/group'), os.path.join(root, 'etc/group'))
    shutil.rmtree(os.path.join(root, 'lib/systemd/system'))
    os.symlink(os.path.join(host, 'lib/systemd/system'), os.path.join(root, 'lib/systemd/system'))
    depth = len(root.split('/'))
    os.symlink('../' * depth + host.lstrip('/') + '/opt/kaspersky', os.path.join(root, 'usr/kaspersky'))
    record, facts = evaluate(catalog, collect(catalog, root))
    assert facts['findings'] == [], facts['findings']
    assert record['status'] == 'compliant', record['reasons']
    assert not any(host in str(v) for v in facts.values())


def test_package_database_link_out_of_the_root_is_unknown_not_read(catalog, tmp_path):
    host = _host_with_kesl(tmp_path)
    root = roots.clean_linux_root(str(tmp_path / 'image'))
    shutil.rmtree(os.path.join(root, 'var/lib/dpkg'))
    os.symlink(os.path.join(host, 'var/lib/dpkg'), os.path.join(root, 'var/lib/dpkg'))
    record, facts = evaluate(catalog, collect(catalog, root))
    assert record['status'] == 'unknown'
    assert facts['findings'] == []
    assert 'cannot read the dpkg database' in errors_of(facts, 'packages')[0]


# --------------------------------------------------------------------------- FIFOs and devices

def test_fifo_at_os_release_does_not_hang(catalog, tmp_path):
    root = roots.kesl_linux_root(str(tmp_path))
    os.remove(os.path.join(root, 'etc/os-release'))
    os.mkfifo(os.path.join(root, 'etc/os-release'))
    started = time.monotonic()
    record, facts = evaluate(catalog, roots.collect_in_child(probe_of(catalog), root, timeout=30))
    assert time.monotonic() - started < 20
    assert record['status'] == 'noncompliant'
    assert errors_of(facts, 'os') == ['/etc/os-release is a FIFO: not read']


def test_fifo_os_release_alone_identifies_nothing(catalog, tmp_path):
    os.makedirs(str(tmp_path / 'etc'))
    os.mkfifo(str(tmp_path / 'etc' / 'os-release'))
    record, facts = evaluate(catalog, roots.collect_in_child(probe_of(catalog), tmp_path, timeout=30))
    assert record['status'] == 'unknown'
    assert errors_of(facts) == ['not an operating-system root: is the image mounted? (/etc/os-release is a fifo)']


@pytest.mark.parametrize('device_in_image', [True, False])
def test_link_to_dev_zero_is_never_read(catalog, tmp_path, device_in_image):
    """/etc/os-release -> /dev/zero: the image's own device node is refused unopened; without
    one, the link leads nowhere inside the image (never to the host's /dev/zero)."""
    root = roots.kesl_linux_root(str(tmp_path))
    if device_in_image:
        os.makedirs(os.path.join(root, 'dev'))
        try:
            os.mknod(os.path.join(root, 'dev/zero'), stat.S_IFCHR | 0o666, os.makedev(1, 5))
        except PermissionError:
            pytest.skip('no CAP_MKNOD here')
    os.remove(os.path.join(root, 'etc/os-release'))
    os.symlink('/dev/zero', os.path.join(root, 'etc/os-release'))
    record, facts = evaluate(catalog, roots.collect_in_child(probe_of(catalog), root, timeout=30))
    assert record['status'] == 'noncompliant'
    if device_in_image:
        assert errors_of(facts, 'os') == ['/etc/os-release is a character device: not read']
    else:
        assert errors_of(facts, 'os') == []
        assert facts['os']['family'] == 'unknown'


def test_device_where_the_package_database_should_be(catalog, tmp_path):
    root = kesl_only_in_packages(tmp_path)
    status = os.path.join(root, 'var/lib/dpkg/status')
    os.remove(status)
    os.symlink('/dev/urandom', status)
    os.makedirs(os.path.join(root, 'dev'))
    try:
        os.mknod(os.path.join(root, 'dev/urandom'), stat.S_IFCHR | 0o666, os.makedev(1, 9))
    except PermissionError:
        pytest.skip('no CAP_MKNOD here')
    record, facts = evaluate(catalog, roots.collect_in_child(probe_of(catalog), root, timeout=30))
    assert record['status'] == 'unknown'
    assert 'is a character device: not read' in errors_of(facts, 'packages')[0]


# --------------------------------------------------------------------------- names that are not UTF-8

def test_non_utf8_launchd_name_keeps_kes_for_mac_found(catalog, tmp_path):
    root = roots.macos_root(str(tmp_path))
    daemons = os.path.join(root.encode(), b'Library', b'LaunchDaemons')
    for name in (b'com.kaspersky.kav.\xff\xfeupdater.plist', b'org.\xe9t\xe9.helper.plist'):
        with open(os.path.join(daemons, name), 'wb') as handle:
            handle.write(b'<plist/>')
    os.makedirs(os.path.join(root.encode(), b'Applications', b'Caf\xe9.app', b'Contents'))
    # strict UTF-8 serialisation in the child, as the module result travels to the controller
    result = roots.collect_in_child(probe_of(catalog), root, timeout=30)
    record, facts = evaluate(catalog, result)
    assert record['status'] == 'noncompliant'
    assert facts['errors'] == []
    labels = [i['label'] for i in result['inventory']['launchd']]
    assert 'com.kaspersky.kav.\\xff\\xfeupdater' in labels
    assert 'kaspersky.kes_mac' in facts['summary']['installed']


def test_non_utf8_package_and_path_names_serialise(catalog, tmp_path):
    root = roots.linux_root(str(tmp_path), packages=[('kesl', '12.1.0.1297')])
    with open(os.path.join(root, 'var/lib/dpkg/status'), 'ab') as handle:
        handle.write(b'Package: caf\xe9\nStatus: install ok installed\nMaintainer: Kaspersky \xff\nVersion: 1\n\n')
    os.makedirs(os.path.join(root.encode(), b'opt', b'kaspersky', b'k\xe9sl', b'bin'))
    with open(os.path.join(root.encode(), b'opt', b'kaspersky', b'k\xe9sl', b'bin', b'run\xff'), 'wb') as handle:
        handle.write(b'x')
    os.chmod(os.path.join(root.encode(), b'opt', b'kaspersky', b'k\xe9sl', b'bin', b'run\xff'), 0o755)
    result = roots.collect_in_child(probe_of(catalog), root, timeout=30)
    inventory = result['inventory']
    assert {'path': '/opt/kaspersky/k\\xe9sl/bin/run\\xff', 'dir': '/opt/kaspersky/k\\xe9sl'} in inventory['executables']
    assert [p['maintainer'] for p in inventory['packages'] if p['name'] == 'caf\\xe9'] == ['Kaspersky \\xff']
    record, _facts = evaluate(catalog, result)
    assert record['status'] == 'noncompliant'


# --------------------------------------------------------------------------- Windows markers in other roots

def test_empty_software_hive_in_a_linux_image_keeps_kesl(catalog, tmp_path):
    root = roots.kesl_linux_root(str(tmp_path))
    write(root, '/Windows/System32/config/SOFTWARE', b'')
    result = collect(catalog, root)
    assert 'inventories' not in result and result['inventory']['platform'] == 'linux'
    record, facts = evaluate(catalog, result)
    assert record['status'] == 'noncompliant'
    assert 'kaspersky.kesl' in facts['summary']['installed']
    assert facts['errors'] == []
    assert {'source': 'root', 'message': 'Windows/System32/config/SOFTWARE is empty: not scanned as Windows'} in facts['warnings']


def test_fifo_software_hive_is_not_opened(catalog, tmp_path):
    root = roots.kesl_linux_root(str(tmp_path))
    os.makedirs(os.path.join(root, 'Windows/System32/config'))
    os.mkfifo(os.path.join(root, 'Windows/System32/config/SOFTWARE'))
    result = roots.collect_in_child(probe_of(catalog), root, timeout=30)
    assert result['inventory']['platform'] == 'linux' and 'inventories' not in result
    assert evaluate(catalog, result)[0]['status'] == 'noncompliant'


# --------------------------------------------------------------------------- RHEL scanned from Debian

@pytest.fixture(scope='module')
def kaspersky_rpms(tmp_path_factory):
    if roots.rpm_tools() is None:
        pytest.skip('rpm and rpmbuild are not installed (apt-get install rpm)')
    work = str(tmp_path_factory.mktemp('rpms'))
    return {
        'kesl': roots.build_rpm(work, 'kesl', '12.1.0', '1297'),
        'klnagent64': roots.build_rpm(work, 'klnagent64', '14.2.0', '26967'),
        'kav4lms': roots.build_rpm(work, 'kav4lms', '5.6.42', '1'),
        'bash': roots.build_rpm(work, 'bash', '5.1.8', '9.el9', vendor='Red Hat, Inc.',
                                packager='Red Hat, Inc. <http://bugzilla.redhat.com/bugzilla>'),
    }


def _listing(path):
    return sorted(os.listdir(path))


@needs_rpm
@pytest.mark.parametrize('layout', ['var/lib/rpm', 'usr/lib/sysimage/rpm'])
def test_rhel_image_from_a_debian_host(catalog, tmp_path, kaspersky_rpms, layout):
    """Debian's rpm defaults to /root/.rpmdb: `rpm --root` returned nothing with rc 0.  The
    collector names the database (--dbpath, on a copy) in both layouts."""
    root = roots.rhel_root(str(tmp_path), [kaspersky_rpms['kesl'], kaspersky_rpms['klnagent64'], kaspersky_rpms['bash']],
                           layout=layout)
    before = _listing(os.path.join(root, layout))
    result = collect(catalog, root, which=shutil.which)
    record, facts = evaluate(catalog, result)
    assert record['status'] == 'noncompliant'
    by_id = dict((f['id'], f) for f in facts['findings'])
    assert by_id['kaspersky.kesl']['version'] == '12.1.0-1297'
    assert by_id['kaspersky.klnagent_linux']['version'] == '14.2.0-26967'
    databases = result['inventory']['package_databases']
    assert databases == [{'manager': 'rpm', 'path': '/' + layout, 'backend': 'sqlite', 'packages': 3}]
    assert errors_of(facts) == []
    assert _listing(os.path.join(root, layout)) == before  # rpm never wrote into the image
    kesl = [p for p in result['inventory']['packages'] if p['name'] == 'kesl'][0]
    assert kesl['maintainer'] == 'AO Kaspersky Lab / AO Kaspersky Lab <support@kaspersky.com>'


@needs_rpm
def test_rpm_database_link_out_of_the_root_is_not_handed_to_rpm(catalog, tmp_path, kaspersky_rpms):
    host_db = roots.rpm_install(str(tmp_path / 'host-rpmdb'), [kaspersky_rpms['kesl']])
    root = str(tmp_path / 'image')
    roots.rhel_root(root, [kaspersky_rpms['bash']])
    db = os.path.join(root, 'var/lib/rpm/rpmdb.sqlite')
    os.remove(db)
    os.symlink(os.path.join(host_db, 'rpmdb.sqlite'), db)
    record, facts = evaluate(catalog, collect(catalog, root, which=shutil.which))
    assert facts['findings'] == []
    assert record['status'] == 'unknown'
    assert errors_of(facts, 'packages') == ['rpm database file /var/lib/rpm/rpmdb.sqlite is link: not handed to rpm']


def test_rpm_that_reads_nothing_is_an_error(catalog, tmp_path):
    """rpm exits 0 with no package while the database files exist: it cannot have read them."""
    write(tmp_path, '/etc/os-release', roots.RHEL_OS_RELEASE.encode())
    write(tmp_path, '/var/lib/rpm/rpmdb.sqlite', b'SQLite format 3\x00' + b'\x00' * 4096)
    calls = []

    def run(argv, environ_update=None):
        calls.append(argv)
        return 0, '', ''

    record, facts = evaluate(catalog, collect(catalog, tmp_path, run=run, which=lambda n: '/usr/bin/' + n))
    assert record['status'] == 'unknown'
    assert errors_of(facts, 'packages') == ['rpm read no package from the database at /var/lib/rpm (rc 0): it cannot have read it']
    argv = calls[0]
    assert argv[:2] == ['/usr/bin/rpm', '--dbpath'] and argv[2] != os.path.join(str(tmp_path), 'var/lib/rpm')
    assert argv[3:5] == ['--define', '_db_backend sqlite'] and '--root' not in argv


# --------------------------------------------------------------------------- vendor markers (collector side)

def test_packages_by_maintainer_only_matching_records_leave_the_host(catalog, tmp_path):
    root = roots.kav4lms_linux_root(str(tmp_path))
    inventory = collect(catalog, root)['inventory']
    by_name = dict((p['name'], p) for p in inventory['packages'])
    assert sorted(by_name) == ['kav4lms']  # no decoy, no base package
    assert by_name['kav4lms']['maintainer'] == roots.KASPERSKY_MAINTAINER
    assert by_name['kav4lms']['version'] == '5.6.42' and by_name['kav4lms']['installed']
    assert inventory['package_databases'] == [{'manager': 'dpkg', 'path': '/var/lib/dpkg/status', 'packages': 6}]
    # without the marker in the probe, the unlisted product's packages are not asked for (the
    # catalogue carries the maintainer marker itself: left out here)
    plain = probe_of(catalog, markers=False)
    plain['linux'].pop('maintainers', None)
    plain = posix_collect.collect_all(plain, root=root)[0]
    assert plain['packages'] == []


@needs_rpm
def test_rpm_packages_by_vendor(catalog, tmp_path, kaspersky_rpms):
    root = roots.rhel_root(str(tmp_path), [kaspersky_rpms['kav4lms'], kaspersky_rpms['bash']])
    inventory = collect(catalog, root, which=shutil.which)['inventory']
    assert [(p['name'], p['version'], p['maintainer']) for p in inventory['packages']] == [
        ('kav4lms', '5.6.42-1', 'AO Kaspersky Lab / AO Kaspersky Lab <support@kaspersky.com>')]


def test_executables_below_install_dirs(catalog, tmp_path):
    root = roots.kav4lms_linux_root(str(tmp_path))
    inventory = collect(catalog, root)['inventory']
    assert inventory['executables'] == [
        {'path': '/opt/kaspersky/kav4lms/bin/kav4lms-cmd', 'dir': '/opt/kaspersky/kav4lms'},
        {'path': '/opt/kaspersky/kav4lms/sbin/kavmd', 'dir': '/opt/kaspersky/kav4lms'},
    ]
    assert inventory['warnings'] == []


def test_executables_are_capped_per_directory_with_a_warning(catalog, tmp_path):
    root = roots.kav4lms_linux_root(str(tmp_path))
    for i in range(40):
        write(root, '/opt/kaspersky/kav4lms/bin/tool%02d' % i, b'\x7fELF', 0o755)
    inventory = collect(catalog, root)['inventory']
    assert len(inventory['executables']) == 25
    assert inventory['warnings'] == [{'source': 'executables', 'message':
                                      '/opt/kaspersky/kav4lms: more than 25 files; only the first 25 executables are returned'}]
    assert evaluate(catalog, collect(catalog, root))[1]['errors'] == []


def test_units_and_init_scripts_that_start_a_vendor_program(catalog, tmp_path):
    root = roots.kuma_root(roots.kav4lms_linux_root(str(tmp_path)))
    inventory = collect(catalog, root)['inventory']
    unit = 'kuma-collector-%s.service' % roots.KUMA_COLLECTOR_ID
    assert inventory['units'] == [{'name': unit, 'path': '/usr/lib/systemd/system/' + unit,
                                   'active_state': None, 'unit_file_state': None,
                                   'exec_path': '/opt/kaspersky/kuma/kuma'}]
    assert inventory['services'] == [{'name': 'kav4lms', 'path': '/etc/init.d/kav4lms', 'kind': 'init_script',
                                      'exec_path': '/opt/kaspersky/kav4lms/sbin/kavmd'}]
    assert inventory['errors'] == [] and inventory['warnings'] == []


@pytest.mark.parametrize('fat', [False, True])
def test_bundle_team_id_from_the_code_signature(catalog, tmp_path, fat):
    """A white-labelled app (bundle id not com.kaspersky.*) signed by Kaspersky's team."""
    root = roots.macos_root(str(tmp_path), kaspersky=False)
    roots.signed_app(root, '/Applications/Secure Endpoint.app', 'com.example.secure-endpoint', '21.3', fat=fat)
    roots.signed_app(root, '/Applications/Other.app', 'com.example.other', '1.0', team_id='ABCDE12345')
    inventory = collect(catalog, root)['inventory']
    assert inventory['bundles'] == [{'path': '/Applications/Secure Endpoint.app', 'id': 'com.example.secure-endpoint',
                                     'version': '21.3', 'team_id': roots.KASPERSKY_TEAM_ID}]
    assert inventory['errors'] == []


# --------------------------------------------------------------------------- time limits

def test_hung_command_is_stopped_and_does_not_outlive_the_collector(catalog, tmp_path):
    """A vendor tool that never returns (and starts a child of its own): the source is an error,
    the others are reported, and neither process survives."""
    pids = str(tmp_path / 'pids')
    tool = write(tmp_path, '/tool/kesl-control', ('#!/bin/sh\nsleep 1000 &\necho $! >> %s\necho $$ >> %s\nsleep 1000\n'
                                                  % (pids, pids)).encode(), 0o755)
    probe = {'linux': {'commands': [{'parser': 'kesl_app_info', 'argv': [tool, '--app-info']}], 'groups': ['root']}}
    started = time.monotonic()
    inventory = posix_collect.collect_all(probe, root='/', platform='linux', which=shutil.which, timeout=3)[0]
    assert time.monotonic() - started < 6
    assert [e['source'] for e in inventory['errors']] == ['commands']
    assert 'ran out of time' in inventory['errors'][0]['message']
    assert inventory['groups'] == [{'name': 'root', 'gid': 0}]  # the sources before it still ran
    time.sleep(0.2)
    with open(pids) as handle:
        started_pids = [int(p) for p in handle.read().split()]
    assert len(started_pids) == 2
    for pid in started_pids:
        assert not running(pid)


def running(pid):
    """Whether ``pid`` is a live process (a killed child that PID 1 has not reaped yet is a zombie)."""
    try:
        with open('/proc/%d/stat' % pid) as handle:
            return handle.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except FileNotFoundError:
        return False


def test_slow_source_is_an_error_and_the_others_still_report(catalog, tmp_path, monkeypatch):
    root = roots.kesl_linux_root(str(tmp_path))

    def slow_file_system(self, probe):
        time.sleep(60)  # a read on a hung network file system

    monkeypatch.setattr(posix_collect.Collector, 'collect_units', slow_file_system)
    started = time.monotonic()
    record, facts = evaluate(catalog, collect(catalog, root, timeout=4))
    assert time.monotonic() - started < 6
    assert [e['source'] for e in facts['errors']] == ['units']
    assert 'ran out of time after' in facts['errors'][0]['message']
    assert record['status'] == 'noncompliant' and 'kaspersky.kesl' in facts['summary']['installed']


def test_time_limit_reached_sources_that_did_not_run_are_errors(catalog, tmp_path, monkeypatch):
    root = roots.clean_linux_root(str(tmp_path))
    clock = posix_collect.Clock(10)
    clock.deadline = time.monotonic() - 1
    inventory = posix_collect.Collector(probe_of(catalog), posix_collect.rootfs.RootFS(root), 'linux', clock=clock).collect()
    assert set(e['source'] for e in inventory['errors']) >= {'os', 'paths', 'packages'}
    assert all('reached its time limit' in e['message'] for e in inventory['errors'])
    record, _facts = evaluate(catalog, {'inventory': inventory})
    assert record['status'] == 'unknown'


# --------------------------------------------------------------------------- several systems in one root

def test_linux_and_macos_in_one_root_are_both_scanned(catalog, tmp_path):
    root = roots.kesl_linux_root(str(tmp_path))
    roots.macos_root(root)
    result = collect(catalog, root)
    assert [i['platform'] for i in result['inventories']] == ['linux', 'darwin']
    assert result['inventory'] is result['inventories'][0]
    record, facts = evaluate(catalog, result)
    assert record['status'] == 'noncompliant'
    platforms = dict((f['id'], f['platform']) for f in facts['findings'])
    assert platforms['kaspersky.kesl'] == 'linux' and platforms['kaspersky.kes_mac'] == 'darwin'
    assert facts['platforms'] == ['linux', 'darwin']


# --------------------------------------------------------------------------- a Windows volume beside another system

HIVEX_MISSING = regf.hivex_unavailable_reason()
WINDOWS_IMAGES = os.path.normpath(os.path.join(os.path.dirname(__file__), '..', '..', '..', 'fixtures', 'windows_images'))


@pytest.mark.skipif(HIVEX_MISSING is not None, reason=HIVEX_MISSING or 'hivex available')
def test_windows_and_linux_in_one_root_are_both_scanned(catalog, tmp_path):
    pytest.importorskip('regipy')
    root = str(tmp_path)
    regf.build_image(os.path.join(WINDOWS_IMAGES, 'kes11'), root)
    roots.kesl_linux_root(root)
    result = collect(catalog, root)
    assert [i['platform'] for i in result['inventories']] == ['linux', 'windows']
    record, facts = evaluate(catalog, result)
    assert record['status'] == 'noncompliant'
    platforms = dict((f['id'], f['platform']) for f in facts['findings'])
    assert platforms['kaspersky.kesl'] == 'linux' and platforms['kaspersky.kes_windows'] == 'windows'


@pytest.mark.skipif(HIVEX_MISSING is not None, reason=HIVEX_MISSING or 'hivex available')
def test_missing_hive_reader_is_an_error_of_the_windows_scan_only(catalog, tmp_path, monkeypatch):
    import sys
    root = str(tmp_path)
    regf.build_image(os.path.join(WINDOWS_IMAGES, 'kes11'), root)
    roots.kesl_linux_root(root)
    monkeypatch.setitem(sys.modules, 'regipy', None)
    monkeypatch.setitem(sys.modules, 'regipy.registry', None)
    result = collect(catalog, root)
    linux, windows = result['inventories']
    assert linux['errors'] == []
    assert [e['source'] for e in windows['errors']] == ['registry'] and 'regipy' in windows['errors'][0]['message']
    record, facts = evaluate(catalog, result)
    assert record['status'] == 'noncompliant'  # KESL on the Linux side, whatever the Windows side holds


@pytest.mark.parametrize('content,state', [
    (None, 'absent'), (b'', 'is empty'), (b'MZ\x90\x00', 'is not a registry hive (no regf signature)'),
    (b'regf' + b'\x00' * 508, 'hive'), ('fifo', 'is a FIFO'), ('dir', 'is a directory'),
])
def test_software_hive_state(tmp_path, content, state):
    from ansible_collections.fleetsec.banned_av.plugins.module_utils import windows_offline
    path = str(tmp_path / 'Windows' / 'System32' / 'config' / 'SOFTWARE')
    if content == 'fifo':
        os.makedirs(os.path.dirname(path))
        os.mkfifo(path)
    elif content == 'dir':
        os.makedirs(path)
    elif content is not None:
        write(tmp_path, '/Windows/System32/config/SOFTWARE', content)
    assert windows_offline.software_hive_state(str(tmp_path)) == state
    assert windows_offline.is_windows_root(str(tmp_path)) is (state == 'hive')


def test_distroless_status_d_is_a_dpkg_database(catalog, tmp_path):
    """Distroless images (https://github.com/GoogleContainerTools/distroless) have no dpkg
    ``status`` file but one stanza file per package in ``var/lib/dpkg/status.d``, next to
    ``<package>.md5sums``; a product installed there is found, and an unreadable entry is an error."""
    root = str(tmp_path)
    write(root, '/etc/os-release', roots.DEBIAN_OS_RELEASE.encode())
    for name, version in (('base-files', '12.4+deb12u8'), ('kesl', '12.1.0.1297')):
        write(root, '/var/lib/dpkg/status.d/' + name, roots.dpkg_stanza(name, version).encode())
        write(root, '/var/lib/dpkg/status.d/%s.md5sums' % name, b'0123456789abcdef  usr/bin/x\n')
    result = collect(catalog, root)
    assert result['inventory']['package_databases'] == [{'manager': 'dpkg', 'path': '/var/lib/dpkg/status.d', 'packages': 2}]
    record, facts = evaluate(catalog, result)
    assert record['status'] == 'noncompliant' and 'kaspersky.kesl' in facts['summary']['installed']
    os.remove(os.path.join(root, 'var/lib/dpkg/status.d/kesl'))
    os.mkfifo(os.path.join(root, 'var/lib/dpkg/status.d/kesl'))
    record, facts = evaluate(catalog, roots.collect_in_child(probe_of(catalog), root, timeout=30))
    assert record['status'] == 'unknown'
    assert errors_of(facts, 'packages') == ['cannot read the dpkg database: /var/lib/dpkg/status.d/kesl is a FIFO: not read']


def test_damaged_system_version_plist_only_loses_the_os_name(catalog, tmp_path):
    root = roots.macos_root(str(tmp_path))
    write(root, '/System/Library/CoreServices/SystemVersion.plist', b'<?xml version="1.0"?><plist><dict><key>Pro')
    record, facts = evaluate(catalog, collect(catalog, root))
    assert record['status'] == 'noncompliant'
    assert facts['errors'] == [] and [w['source'] for w in facts['warnings']] == ['os']


# --------------------------------------------------------------------------- huge, endless and undecodable input

def test_huge_package_database_is_an_error_not_a_memory_hog(catalog, tmp_path):
    root = kesl_only_in_packages(tmp_path)
    with open(os.path.join(root, 'var/lib/dpkg/status'), 'r+b') as handle:
        handle.truncate(posix_collect.CAPS['dpkg'] + 1)  # sparse: nothing is written
    record, facts = evaluate(catalog, roots.collect_in_child(probe_of(catalog), root, timeout=30))
    assert record['status'] == 'unknown'
    assert 'over the 268435456-byte limit of this source: not read' in errors_of(facts, 'packages')[0]


def test_endless_command_output_is_capped_and_the_command_killed():
    started = time.monotonic()
    with pytest.raises(posix_collect.rootfs.TooLarge):
        posix_collect.run_command(['yes', 'kesl'], timeout=30, cap=1 << 20)
    assert time.monotonic() - started < 10


def test_command_output_that_is_not_utf8_is_carried_safely():
    rc, out, err = posix_collect.run_command(['printf', 'Version: 12\\377\\n'], environ_update=posix_collect.C_LOCALE)
    assert (rc, out, err) == (0, 'Version: 12\\xff\n', '')
    out.encode('utf-8')


def test_root_given_through_a_link_is_shown_as_named(catalog, tmp_path):
    roots.kesl_linux_root(str(tmp_path / 'real'))
    os.symlink(str(tmp_path / 'real'), str(tmp_path / 'mnt'))
    inventory = collect(catalog, tmp_path / 'mnt')['inventory']
    assert inventory['root'] == str(tmp_path / 'mnt')
    assert [p['name'] for p in inventory['packages']][:1] == ['kesl']
