# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The POSIX collector on offline roots (real files) and on a faked live system."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil

import pytest

from ansible_collections.fleetsec.banned_av.plugins.module_utils import posix_collect
from ansible_collections.fleetsec.banned_av.plugins.action.av_facts import build_facts
from ansible_collections.fleetsec.banned_av.tests.support import roots
from ansible_collections.fleetsec.banned_av.tests.unit.conftest import fixture_text


def probe_of(catalog):
    return dict((p, catalog.probe(p)) for p in ('linux', 'darwin', 'windows'))


def scan(catalog, root, **kwargs):
    inventory = posix_collect.collect(probe_of(catalog), root=str(root), **kwargs)
    return inventory, build_facts(inventory, catalog, '2026-11-27T00:00:00Z')


def test_offline_kesl_root_without_dpkg_query(catalog, tmp_path):
    """dpkg-query absent on the scanning host: the status file is read, filtered to the probe."""
    inventory, facts = scan(catalog, roots.kesl_linux_root(str(tmp_path)))
    assert inventory['platform'] == 'linux' and inventory['live'] is False
    assert inventory['os']['family'] == 'debian'
    assert sorted(p['name'] for p in inventory['packages']) == ['kesl', 'kesl-gui', 'klnagent64']
    ids = dict((f['id'], f) for f in facts['findings'])
    assert set(ids) == {'kaspersky.kesl', 'kaspersky.kesl_gui', 'kaspersky.klnagent_linux'}
    kesl = ids['kaspersky.kesl']
    assert kesl['installed'] and kesl['version'] == '12.1.0.1297' and kesl['category'] == 'banned'
    kinds = set(e['kind'] for e in kesl['evidence'])
    assert {'package', 'unit', 'group', 'file', 'path'} <= kinds
    assert {'kind': 'group', 'name': 'kesladmin', 'gid': 990} in kesl['evidence']
    # live-only sources are skipped, and said to be
    skipped = set(s['source'] for s in inventory['skipped'])
    assert {'processes', 'kernel_modules', 'units:state'} <= skipped
    assert [f['id'] for f in facts['findings']][0] == 'kaspersky.kesl_gui'  # removal order: GUI first


def test_offline_clean_root_with_decoys(catalog, tmp_path):
    inventory, facts = scan(catalog, roots.clean_linux_root(str(tmp_path)))
    assert facts['findings'] == []
    assert not any(p['name'] in ('klavaro', 'kasumi', 'klatexformula') for p in inventory['packages'])
    clamav = [p for p in facts['protection'] if p['id'] == 'clamav']
    assert clamav and clamav[0]['present'] and clamav[0]['active'] is None  # offline: unknown


def test_offline_residue_is_not_installed(catalog, tmp_path):
    _inventory, facts = scan(catalog, roots.residue_linux_root(str(tmp_path)))
    by_id = dict((f['id'], f) for f in facts['findings'])
    assert by_id['kaspersky.kesl']['installed'] is False
    assert any(e['kind'] == 'package_residue' for e in by_id['kaspersky.kesl']['evidence'])
    assert facts['summary']['installed'] == []
    assert 'kaspersky.kesl' in facts['summary']['residue']


def test_offline_macos_root(catalog, tmp_path):
    inventory, facts = scan(catalog, roots.macos_root(str(tmp_path)))
    assert inventory['platform'] == 'darwin'
    by_id = dict((f['id'], f) for f in facts['findings'])
    assert set(by_id) == {'kaspersky.kes_mac', 'kaspersky.klnagent_mac'}
    assert by_id['kaspersky.kes_mac']['version'] == '11.3.0.236'
    kinds = set(e['kind'] for e in by_id['kaspersky.kes_mac']['evidence'])
    assert {'receipt', 'bundle', 'launchd', 'file'} <= kinds
    assert by_id['kaspersky.klnagent_mac']['version'] == '14.0.0.20023'


def test_offline_clean_macos_root(catalog, tmp_path):
    _inventory, facts = scan(catalog, roots.macos_root(str(tmp_path), kaspersky=False))
    assert facts['findings'] == []


def test_dpkg_status_is_read_through_rootfs_not_dpkg_query(catalog, tmp_path):
    """dpkg-query would open the image's admindir with the host's path resolution (links in
    ``updates/`` or ``info/`` lead out of the root, a FIFO blocks it): the collector reads the
    status file itself, inside the root, and names the database it read."""
    root = roots.kesl_linux_root(str(tmp_path))
    calls = []

    def run(argv, environ_update=None):
        calls.append(argv)
        return 0, fixture_text('linux', 'dpkg-query-kesl.txt'), ''

    inventory, facts = scan(catalog, root, run=run, which=lambda n: '/usr/bin/' + n if n == 'dpkg-query' else None)
    assert calls == []
    assert inventory['package_databases'] == [{'manager': 'dpkg', 'path': '/var/lib/dpkg/status', 'packages': 8}]
    assert sorted(p['name'] for p in inventory['packages']) == ['kesl', 'kesl-gui', 'klnagent64']
    assert 'kaspersky.kesl' in facts['summary']['installed']


def test_rpm_db_without_rpm_binary_is_an_error(catalog, tmp_path):
    """Changed on purpose (issue 11): an rpm database the scanning host cannot read was only
    'skipped', and the host came out compliant.  It is an error now: the host is unknown."""
    roots.linux_root(str(tmp_path))
    os.makedirs(str(tmp_path / 'var/lib/rpm'))
    (tmp_path / 'var/lib/rpm/rpmdb.sqlite').write_bytes(b'SQLite format 3\x00')
    inventory, _facts = scan(catalog, tmp_path)
    assert not any(s['source'].startswith('packages') for s in inventory['skipped'])
    assert [e['message'] for e in inventory['errors'] if e['source'] == 'packages'] == [
        'an rpm database is at /var/lib/rpm but the rpm command is not installed on the scanning host: install rpm to read it']


class FakeLive(object):
    """Answers the live commands the collector runs, from fixtures."""

    def __init__(self, outputs):
        self.outputs = outputs
        self.calls = []

    def run(self, argv, environ_update=None):
        self.calls.append(list(argv))
        for key, value in self.outputs.items():
            if key in ' '.join(argv):
                return value
        return 1, '', 'not faked'


def test_failing_source_is_reported_and_others_continue(catalog, tmp_path, monkeypatch):
    root = roots.kesl_linux_root(str(tmp_path))

    def boom(self, probe):
        raise OSError('permission denied')

    monkeypatch.setattr(posix_collect.Collector, 'collect_groups', boom)
    inventory, facts = scan(catalog, root)
    assert inventory['errors'] == [{'source': 'groups', 'message': 'OSError: permission denied'}]
    assert 'kaspersky.kesl' in facts['summary']['installed']


@pytest.mark.skipif(not os.path.isdir('/proc'), reason='needs /proc')
def test_live_collector_on_this_machine_is_targeted(catalog):
    """Live run on the test machine itself: only probe names come back, commands use argv lists."""
    fake = FakeLive({})
    inventory = posix_collect.collect(probe_of(catalog), root='/', run=fake.run, which=shutil.which)
    assert inventory['live'] is True and inventory['platform'] == 'linux'
    probe = catalog.probe('linux')
    for pkg in inventory['packages']:
        assert pkg['name'] in probe['packages']
    for command in inventory['commands']:
        assert isinstance(command['argv'], list)
    for proc in inventory['processes']:
        assert proc['name'] in probe['processes']
