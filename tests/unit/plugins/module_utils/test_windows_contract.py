# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One contract for both Windows collectors.

The live PowerShell collector (``plugins/modules/av_collect_win.ps1``) cannot run here; its
expected output for a machine is a JSON fixture (``tests/unit/fixtures/windows/<name>.json``),
and ``tests/support/windows_host.py`` plays it on the machine to give the raw dump the
controller reads (``windows_live.py``, through the same ``windows_registry.py`` rules).
The offline image reader (``plugins/module_utils/windows_offline.py``) scans the registry hives
of the same machine (``tests/fixtures/windows_images/<name>/``, built into real hives by
``tests/support/regf.py``).  For every machine, this checks that

* the two raw inventories agree on every source both collectors read: ``os``, ``uninstall``,
  ``services`` (without the live-only ``state``), ``registry`` and ``paths``;
* the findings of the one matcher (``av_facts.build_facts``) agree on id, category, installed,
  version, signatures date, confidence and evidence, once the live-only evidence (processes,
  Security Center, the running state of services and drivers) is set aside;
* the offline scan lists the live-only sources (processes, Security Center, Defender) in
  ``skipped``.

So a change to one collector, or to one of the two fixtures of a machine, that the other does
not follow fails here.  ``KNOWN_DIFFERENCES`` lists the differences that come from the
collectors themselves (a real machine shows them too), each with both exact values: any other
difference, or a listed one that goes away, still fails.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import os

import pytest

from ansible_collections.fleetsec.banned_av.plugins.action.av_facts import build_facts
from ansible_collections.fleetsec.banned_av.plugins.module_utils import windows_live
from ansible_collections.fleetsec.banned_av.plugins.module_utils import windows_offline
from ansible_collections.fleetsec.banned_av.tests.support import regf
from ansible_collections.fleetsec.banned_av.tests.support.windows_host import FakeWindowsHost
from ansible_collections.fleetsec.banned_av.tests.unit.conftest import fixture_json

IMAGES_DIR = os.path.normpath(os.path.join(os.path.dirname(__file__), '..', '..', '..', 'fixtures', 'windows_images'))
MACHINES = ('kes11', 'kes12', 'ksws', 'consumer21', 'network_agent_fr', 'ultraav', 'defender_only')
COLLECTED_AT = '2026-11-27T00:00:00Z'

SHARED_SOURCES = ('os', 'uninstall', 'services', 'registry', 'paths', 'class_filters')
OS_FIELDS = ('name', 'family', 'version', 'installation_type')
# what identifies one entry of a list source
IDENTITY = {
    'uninstall': lambda e: (e['hive'], e['view'], e['key']),
    'services': lambda e: e['name'],
    'registry': lambda e: e['key'],
    'paths': lambda e: e['path'],
    'class_filters': lambda e: e['class_guid'],
}
LIVE_ONLY_SOURCES = ('processes', 'security_center', 'defender')
LIVE_ONLY_EVIDENCE = ('process', 'security_center')

# Differences of the collectors' code, not of the fixtures: (source, entry, field, live, offline).
# WinDefend: its DisplayName is an indirect string; the live collector reports the name the Service
# Control Manager resolves from it (av_collect_win.yml: "as resolved by the Service Control
# Manager"), the offline reader cannot load MpAsDesc.dll's resources and reports the raw value.
WINDEFEND_DISPLAY_NAME = ('services', 'WinDefend', 'display_name', 'Microsoft Defender Antivirus Service',
                          '@%ProgramFiles%\\Windows Defender\\MpAsDesc.dll,-310')
# A French Windows: WMI's Caption is localised, the registry's ProductName stays English.
FRENCH_CAPTION = ('os', None, 'name', 'Microsoft Windows 10 Professionnel', 'Microsoft Windows 10 Pro')
KNOWN_DIFFERENCES = {
    'kes11': [WINDEFEND_DISPLAY_NAME],
    'kes12': [WINDEFEND_DISPLAY_NAME],
    'ksws': [],  # the Windows Defender feature is uninstalled on this server
    'consumer21': [WINDEFEND_DISPLAY_NAME],
    'network_agent_fr': [FRENCH_CAPTION, WINDEFEND_DISPLAY_NAME],
    'ultraav': [WINDEFEND_DISPLAY_NAME],
    'defender_only': [WINDEFEND_DISPLAY_NAME],
    'avd_multisession': [WINDEFEND_DISPLAY_NAME],
}

HIVEX_MISSING = regf.hivex_unavailable_reason()
try:
    import regipy  # noqa: F401  pylint: disable=unused-import
    REGIPY_MISSING = None
except ImportError:
    REGIPY_MISSING = 'regipy is not installed (pip install regipy)'
pytestmark = [
    pytest.mark.skipif(HIVEX_MISSING is not None, reason=HIVEX_MISSING or 'hivex available'),
    pytest.mark.skipif(REGIPY_MISSING is not None, reason=REGIPY_MISSING or 'regipy available'),
]


# --------------------------------------------------------------------------- helpers

def live_inventory(name):
    return fixture_json('windows', '%s.json' % name)['inventory']


def offline_inventory(name, tmp_path, catalog):
    root = str(tmp_path / name)
    regf.build_image(os.path.join(IMAGES_DIR, name), root)
    return windows_offline.collect(root, catalog.probe('windows'))


def _sorted(entries):
    return sorted(entries, key=lambda e: json.dumps(e, sort_keys=True))


def normalise(inventory):
    """The sources both collectors read, in a form that does not depend on their order:
    ``os`` (its four fields), ``uninstall``, ``services`` without ``state``, ``registry`` and
    ``paths`` as sorted lists of dicts."""
    os_info = inventory.get('os') or {}
    return {
        'os': dict((field, os_info.get(field)) for field in OS_FIELDS),
        'uninstall': _sorted(inventory['uninstall']),
        'services': _sorted(dict((k, v) for k, v in s.items() if k != 'state') for s in inventory['services']),
        'registry': _sorted(inventory['registry']),
        'paths': _sorted(inventory['paths']),
        'class_filters': _sorted(inventory.get('class_filters') or []),
    }


def inventory_differences(live, offline):
    """Every datum of the shared sources on which the two inventories disagree, as a sorted list
    of ``(source, entry, field, live value, offline value)``; an entry only one side has is
    reported with field None and the whole entry (None on the other side)."""
    live, offline = normalise(live), normalise(offline)
    found = []
    for field in OS_FIELDS:
        if live['os'][field] != offline['os'][field]:
            found.append(('os', None, field, live['os'][field], offline['os'][field]))
    for source in SHARED_SOURCES[1:]:
        identity = IDENTITY[source]
        for side in (live, offline):
            ids = [identity(e) for e in side[source]]
            assert len(ids) == len(set(ids)), (source, 'an entry is listed twice', ids)
        live_by = dict((identity(e), e) for e in live[source])
        offline_by = dict((identity(e), e) for e in offline[source])
        for key in sorted(set(live_by) | set(offline_by), key=repr):
            left, right = live_by.get(key), offline_by.get(key)
            if left is None or right is None:
                found.append((source, key, None, left, right))
                continue
            for field in sorted(set(left) | set(right)):
                if left.get(field) != right.get(field):
                    found.append((source, key, field, left.get(field), right.get(field)))
    return sorted(found, key=repr)


def apply_known_differences(live, known):
    """A copy of ``live`` with each known difference replaced by the offline value; the live
    value must be exactly the listed one."""
    patched = copy.deepcopy(live)
    for source, entry, field, live_value, offline_value in known:
        if source == 'os':
            targets = [patched['os']]
        else:
            targets = [e for e in patched[source] if IDENTITY[source](e) == entry]
        assert len(targets) == 1, (source, entry)
        assert targets[0][field] == live_value, (source, entry, field, targets[0][field])
        targets[0][field] = offline_value
    return patched


def _evidence(item):
    """An evidence item without the running state of a service or driver: it comes from the
    Service Control Manager, which only the live collector asks."""
    item = dict(item)
    if item['kind'] in ('service', 'driver'):
        assert item.pop('state', None) in (None, 'running', 'stopped'), item
    return item


def findings_view(facts):
    """What both collectors must agree on for each finding."""
    view = []
    for finding in facts['findings']:
        evidence = [_evidence(e) for e in finding['evidence'] if e['kind'] not in LIVE_ONLY_EVIDENCE]
        view.append({
            'id': finding['id'], 'category': finding['category'], 'installed': finding['installed'],
            'version': finding['version'], 'signatures_date': finding['signatures_date'],
            'confidence': finding['confidence'], 'evidence': _sorted(evidence),
        })
    return view


def findings_differences(live, offline, catalog):
    """``[(finding id, live view, offline view)]`` of the findings that differ."""
    live_view = dict((f['id'], f) for f in findings_view(build_facts(live, catalog, COLLECTED_AT)))
    offline_view = dict((f['id'], f) for f in findings_view(build_facts(offline, catalog, COLLECTED_AT)))
    return [(fid, live_view.get(fid), offline_view.get(fid))
            for fid in sorted(set(live_view) | set(offline_view)) if live_view.get(fid) != offline_view.get(fid)]


# --------------------------------------------------------------------------- the contract

@pytest.mark.parametrize('name', MACHINES)
def test_raw_inventories_agree(name, tmp_path, catalog):
    live = live_inventory(name)
    offline = offline_inventory(name, tmp_path, catalog)
    assert offline['errors'] == [], offline['errors']
    assert live['errors'] == []
    assert inventory_differences(live, offline) == sorted(KNOWN_DIFFERENCES[name], key=repr)
    assert normalise(apply_known_differences(live, KNOWN_DIFFERENCES[name])) == normalise(offline)


@pytest.mark.parametrize('name', MACHINES)
def test_findings_agree(name, tmp_path, catalog):
    live = live_inventory(name)
    offline = offline_inventory(name, tmp_path, catalog)
    live_facts = build_facts(live, catalog, COLLECTED_AT)
    offline_facts = build_facts(offline, catalog, COLLECTED_AT)
    assert [f['id'] for f in live_facts['findings']] == [f['id'] for f in offline_facts['findings']]
    assert findings_view(live_facts) == findings_view(offline_facts)
    assert findings_differences(live, offline, catalog) == []


@pytest.mark.parametrize('name', MACHINES)
def test_offline_scan_skips_the_live_only_sources(name, tmp_path, catalog):
    offline = offline_inventory(name, tmp_path, catalog)
    assert [s['source'] for s in offline['skipped']] == list(LIVE_ONLY_SOURCES)
    assert offline['processes'] == [] and offline['security_center'] == [] and offline['defender'] is None
    assert offline['live'] is False and live_inventory(name)['live'] is True


def test_every_machine_has_known_differences_listed():
    assert set(KNOWN_DIFFERENCES) == set(MACHINES) | {'avd_multisession'}


def dumped_inventory(name, catalog):
    """The raw inventory the controller reads from the dump of the machine running."""
    plan = windows_live.plan(catalog.probe('windows'))
    return windows_live.inventory(plan, FakeWindowsHost(name).run(plan.args)['dump'])


@pytest.mark.parametrize('name', MACHINES + ('avd_multisession',))
def test_the_live_dump_and_the_image_agree(name, tmp_path, catalog):
    """Both paths now share the interpretation: the dump of the running machine and the image of
    the machine agree on every datum both can see, and on the findings."""
    live = dumped_inventory(name, catalog)
    offline = offline_inventory(name, tmp_path, catalog)
    assert live['errors'] == [] and offline['errors'] == []
    assert inventory_differences(live, offline) == sorted(KNOWN_DIFFERENCES[name], key=repr)
    assert findings_differences(live, offline, catalog) == []
    assert [f['id'] for f in build_facts(live, catalog, COLLECTED_AT)['findings']] == [
        f['id'] for f in build_facts(offline, catalog, COLLECTED_AT)['findings']]


# --------------------------------------------------------------------------- negative controls

def test_a_changed_display_version_is_reported(tmp_path, catalog):
    """The comparison can fail: one DisplayVersion changed in a copy of the live fixture is
    reported, in the raw inventories and in the findings."""
    live = copy.deepcopy(live_inventory('kes11'))
    offline = offline_inventory('kes11', tmp_path, catalog)
    kes = [u for u in live['uninstall'] if u['display_name'] == 'Kaspersky Endpoint Security for Windows']
    assert len(kes) == 1 and kes[0]['display_version'] == '11.10.0.399'
    kes[0]['display_version'] = '11.11.0.452'
    key = ('HKLM', '32', '{305A9EC9-294E-4555-A7C5-E1C767E01C11}')
    assert inventory_differences(live, offline) == sorted(
        KNOWN_DIFFERENCES['kes11'] + [('uninstall', key, 'display_version', '11.11.0.452', '11.10.0.399')], key=repr)
    assert normalise(apply_known_differences(live, KNOWN_DIFFERENCES['kes11'])) != normalise(offline)
    changed = findings_differences(live, offline, catalog)
    assert [(fid, a['version'], b['version']) for fid, a, b in changed] == [
        ('kaspersky.kes_windows', '11.11.0.452', '11.10.0.399')]


def test_a_changed_signature_date_and_a_missing_driver_are_reported(tmp_path, catalog):
    live = copy.deepcopy(live_inventory('kes12'))
    offline = offline_inventory('kes12', tmp_path, catalog)
    avstate = [r for r in live['registry'] if r['key'].endswith('\\Statistics\\AVState')][0]
    avstate['values']['Protection_BasesDate'] = '03-11-2025 05-12-40'
    live['services'] = [s for s in live['services'] if s['name'] != 'klelam']
    found = inventory_differences(live, offline)
    assert [(d[0], d[1], d[2]) for d in found if d not in KNOWN_DIFFERENCES['kes12']] == [
        ('registry', avstate['key'], 'values'), ('services', 'klelam', None)]
    changed = dict((fid, (a, b)) for fid, a, b in findings_differences(live, offline, catalog))
    assert set(changed) == {'kaspersky.kes_windows', 'kaspersky.drivers'}
    assert (changed['kaspersky.kes_windows'][0]['signatures_date'],
            changed['kaspersky.kes_windows'][1]['signatures_date']) == ('2025-11-03', '2026-11-25')


def test_a_known_difference_that_goes_away_is_reported(tmp_path, catalog):
    """If both collectors come to agree on a listed difference, the list must be updated."""
    live = live_inventory('defender_only')
    offline = offline_inventory('defender_only', tmp_path, catalog)
    agreed = apply_known_differences(live, KNOWN_DIFFERENCES['defender_only'])
    assert inventory_differences(agreed, offline) == []
    assert inventory_differences(agreed, offline) != sorted(KNOWN_DIFFERENCES['defender_only'], key=repr)


def test_live_state_and_live_only_evidence_are_not_compared(tmp_path, catalog):
    """A stopped service and an extra process change the live facts, not the contract."""
    live = copy.deepcopy(live_inventory('ksws'))
    offline = offline_inventory('ksws', tmp_path, catalog)
    for service in live['services']:
        service['state'] = 'stopped'
    live['processes'].append({'name': 'avp.exe', 'pid': 1, 'exe': None})
    assert inventory_differences(live, offline) == []
    assert findings_differences(live, offline, catalog) == []


@pytest.mark.parametrize('name, probe, source, expected', [
    # per-user program folders: a per-user variable names every profile, on the host and on the image
    ('consumer21', {'paths': ['%LOCALAPPDATA%\\Programs\\Kaspersky Lab\\*']}, 'paths',
     [{'path': 'C:\\Users\\alice\\AppData\\Local\\Programs\\Kaspersky Lab\\Kaspersky VPN 5.2', 'type': 'dir'}]),
    # vendor markers with a hand-built probe: Uninstall entries by Publisher only ...
    ('ultraav', {'publisher': ['\\bPango\\b']}, 'uninstall', ['UltraAV', 'UltraVPN']),
    # ... and services whose image lies below an install_dirs glob, whatever their name
    ('ksws', {'install_dirs': ['C:\\Program Files*\\Kaspersky Lab\\*']}, 'services', ['KAVFS', 'kavfsslp', 'klnagent']),
])
def test_hand_built_probes_reach_the_inventory_by_both_paths(name, probe, source, expected, tmp_path):
    plan = windows_live.plan(probe)
    live = windows_live.inventory(plan, FakeWindowsHost(name).run(plan.args)['dump'])
    root = str(tmp_path / name)
    regf.build_image(os.path.join(IMAGES_DIR, name), root)
    offline = windows_offline.collect(root, probe)
    for inventory in (live, offline):
        assert inventory['errors'] == [], inventory['errors']
        entries = inventory[source]
        if source == 'uninstall':
            entries = sorted(e['key'] for e in entries)
        elif source == 'services':
            assert all(e['install_dir'] == probe['install_dirs'][0] for e in entries)
            entries = sorted(e['name'] for e in entries)
        assert entries == expected
