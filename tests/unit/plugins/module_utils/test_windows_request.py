# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The request the live Windows collector runs: no regex sent, nothing missed, little shipped.

The needles and wildcards are checked against tests/support/windows_host.py's own emulation of
.NET's OrdinalIgnoreCase and PowerShell's -like, not against windows_request's helpers.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch
import json
import re

import pytest

from ansible_collections.fleetsec.banned_av.plugins.module_utils import windows_request as wq
from ansible_collections.fleetsec.banned_av.plugins.module_utils import windows_registry as wr
from ansible_collections.fleetsec.banned_av.tests.support import windows_host
from ansible_collections.fleetsec.banned_av.tests.unit.conftest import fixture_json

FIXTURES = ('kes11', 'kes12', 'ksws', 'consumer21', 'network_agent_en', 'network_agent_fr', 'ultraav', 'defender_only')
HOSTILE_REGEXES = [
    '(?P<brand>Kaspersky) Endpoint',           # Python-only syntax, which .NET rejects
    '(?P<k>Kas)(?P=k)?persky',                  # a Python-only back reference
    'K(?!x)aspersky\\b',                        # look-ahead
    '(?x) Kas per sky \\s Lab',                 # verbose
    '(?i:kaspersky) (?:Free|Plus)?',            # scoped flags, optional group
    '^(Kaspersky|AO Kaspersky Lab|ЗАО Лаборатория Касперского)$',
    'Ultra[A-Z]V',                              # a class: no text inside it is required
    'Kaspersky{1,3} Lab',
]
# the same names in the forms a regex with IGNORECASE also matches
SPOOFS = [('K', u'\u212a'), ('k', u'\u212a'), ('s', u'\u017f'), ('S', u'\u017f'), ('i', u'\u0131'), ('I', u'\u0130'),
          ('a', 'A'), ('y', 'Y')]


def corpus():
    names = set()
    for name in FIXTURES:
        document = fixture_json('windows', '%s.json' % name)
        entries = document['inventory']['uninstall'] + (document.get('_decoys') or {}).get('uninstall', [])
        for entry in entries:
            names.update(v for v in (entry['display_name'], entry['publisher']) if v)
    names.update(['Kaspersky', 'AO Kaspersky Lab', 'Kaspersky Lab ZAO', 'Kaspersky Free 21.3', 'Kaspersky Plus',
                  'Agent d\'administration de Kaspersky Security Center 14', 'Kaspersky Security Center 14 Console',
                  'UltraAV', 'UltraVPN by Pango', 'Pango Group', 'Kaspersky Password Manager', 'Kaspersky Safe Kids',
                  'KASPERSKY ENDPOINT SECURITY FOR WINDOWS', 'kaspersky lab', 'Kaspersky Lab', 'Kasperskyyy Lab',
                  u'ЗАО Лаборатория Касперского', 'Kas per sky Lab'])
    spoofed = set()
    for name in names:
        for old, new in SPOOFS:
            spoofed.add(name.replace(old, new))
    return sorted(names | spoofed)


def compiled_matches(pattern, value):
    try:
        return re.search(pattern, value, re.IGNORECASE) is not None
    except re.error:
        return False


@pytest.mark.parametrize('field', ['display_name', 'publisher', 'security_center'])
def test_every_value_a_catalogue_regex_matches_contains_a_needle(catalog, field):
    """Soundness: a needle is text every match contains, compared the way .NET compares it."""
    patterns = catalog.probe('windows')[field] + HOSTILE_REGEXES
    values = corpus()
    checked = 0
    for pattern in patterns:
        found, unconstrained = wq.needles([pattern])
        for value in values:
            if compiled_matches(pattern, value):
                checked += 1
                if pattern in unconstrained:
                    continue
                assert any(windows_host.contains(value, n) for n in found), (pattern, value, found)
    assert checked > 50  # the corpus exercises the patterns


def test_needles_are_lower_case_ascii_without_the_letters_net_folds_differently():
    found, unconstrained = wq.needles(HOSTILE_REGEXES + ['Kaspersky', '\\bUltraAV\\b'])
    assert unconstrained == ['Ultra[A-Z]V'] or 'Ultra[A-Z]V' not in unconstrained
    for needle in found:
        assert needle == needle.lower() and all(ord(c) < 128 for c in needle)
        assert not set(needle) & set('iks'), needle
    assert 'ultraav' in found
    # Python-only syntax still gives a needle, and is never sent as a regex
    assert wq.needles(['(?P<brand>Kaspersky) Endpoint'])[0] == [' endpo']


def test_the_checks_can_fail_a_needle_or_wildcard_with_k_misses_the_kelvin_sign():
    """Negative control: Python's IGNORECASE matches U+212A KELVIN SIGN as "k", .NET does not."""
    spoof = u'\u212aaspersky \u212alif'
    assert re.search('Kaspersky', spoof, re.IGNORECASE) and fnmatch.fnmatchcase(u'\u212alif'.lower(), 'klif')
    assert not windows_host.contains(spoof, 'kaspersky') and windows_host.contains(spoof, 'per')
    assert not windows_host.like('klif', u'\u212alif') and windows_host.like(wq.like('klif'), u'\u212alif')


def test_a_regex_with_no_text_sends_every_entry_with_a_warning():
    plan = wq.build({'display_name': ['\\d+'], 'publisher': ['Kaspersky']})
    walk = [w for w in plan.args['registry'] if w['id'] == 'uninstall' and 'keep' in w][0]
    assert walk['keep']['text'] == {'DisplayName': [''], 'Publisher': ['per']}
    assert plan.warnings == [{'source': 'probe', 'message': "probe.display_name pattern '\\d+' has no text the "
                              "collector can look for: the DisplayName of every Uninstall entry is sent to the controller"}]
    assert windows_host.contains('anything at all', '')


def test_an_invalid_regex_is_left_to_the_controller():
    assert wq.needles(['Kaspersky (Endpoint']) == ([], [])
    # a regex that requires a dot has the dot as its needle
    assert wq.needles(['\\d+\\.\\d+']) == (['.'], [])


def test_no_catalogue_regex_travels_to_the_host(catalog):
    probe = dict(catalog.probe('windows'))
    probe['display_name'] = probe['display_name'] + ['(?P<brand>Kaspersky) Endpoint']
    text = json.dumps(wq.build(probe).args)
    for field in ('display_name', 'publisher', 'security_center'):
        for pattern in probe[field]:
            if re.search(r'[\\^$()|+{}]', pattern):
                assert json.dumps(pattern)[1:-1] not in text, pattern
    assert '(?P<' not in text and '"display_name"' not in text and '"publisher"' not in text


# --------------------------------------------------------------------------- wildcards

def glob_corpus():
    names = set(['klif', 'KLIF', 'klif2', 'klifx', 'kbdclass', 'KeyIso', 'KSecDD', 'KtmRm', 'AVP.KES.11.10.0', 'AVP21.2',
                 'AVP21.3', 'AVP2.0', 'avp.exe', 'AVP.EXE', 'avpui.exe', 'klnagent', 'kavfs', 'KAVFS', 'agent.exe',
                 'a[b]c', 'a`b', 'x', 'S-1-5-21-1-2-3-1001', 'S-1-5-21-1-2-3-1001_Classes', '.DEFAULT', u'Klé'])
    return sorted(names | set(n.replace('k', u'\u212a').replace('s', u'\u017f') for n in names))


HOSTILE_GLOBS = ['[!a]x', 'a[b]c', 'a`b', 'k?if', '*[0-9]', 'AVP2[2-9].*', '[', 'a[]b]c', u'Kl\u00e9', 'S-1-5-21-*']


def test_every_name_a_glob_matches_also_matches_its_wildcard(catalog):
    probe = catalog.probe('windows')
    globs = probe['services'] + probe['drivers'] + probe['processes'] + HOSTILE_GLOBS
    names = glob_corpus()
    checked = 0
    for glob in globs:
        wildcard = wq.like(glob)
        for name in names:
            if fnmatch.fnmatchcase(name.lower(), glob.lower()):
                checked += 1
                assert windows_host.like(wildcard, name), (glob, wildcard, name)
    assert checked > 25


# --------------------------------------------------------------------------- walks

def walks_of(plan, source):
    return [w for w in plan.args['registry'] if w['id'] == source]


def shown(path):
    return '\\'.join(s if isinstance(s, str) else '{%s}' % s['list'] for s in path)


def test_uninstall_roots_both_views_user_hives_and_user_data(catalog):
    plan = wq.build(catalog.probe('windows'))
    paths = [shown(w['path']) for w in walks_of(plan, 'uninstall')]
    assert paths == [
        'HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\{uninstall}',
        'HKLM\\SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\{uninstall}',
        'HKU\\{users}',
        'HKU\\{users}\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\{uninstall}',
        'HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Installer\\UserData\\{userdata}\\Products\\{products}\\InstallProperties']
    for walk in walks_of(plan, 'uninstall'):
        if 'keep' in walk:
            assert walk['read'] == list(wr.UNINSTALL_VALUES) and walk['keep']['names'] == []
            assert set(walk['keep']['text']) == {'DisplayName', 'Publisher'}
    assert [shown(w['path']) for w in walks_of(plan, 'profiles')] == [
        'HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\ProfileList\\{profiles}']


def test_no_uninstall_walk_without_display_name_or_publisher():
    plan = wq.build({'services': ['klif']})
    assert walks_of(plan, 'uninstall') == [] and walks_of(plan, 'profiles') == []


def test_a_leading_star_pattern_is_two_walks_that_list_software_and_wow6432node_only():
    """Issue 13: '*KasperskyLab' listed every grandchild of HKLM\\SOFTWARE (Classes included)."""
    plan = wq.build({'signature_keys': ['HKLM\\SOFTWARE\\*KasperskyLab\\protected\\AVP*\\Data']})
    assert [shown(w['path']) for w in walks_of(plan, 'registry')] == [
        'HKLM\\SOFTWARE\\{glob:*kasperskylab}\\protected\\{glob:avp*}\\Data',
        'HKLM\\SOFTWARE\\WOW6432Node\\{glob:*kasperskylab}\\protected\\{glob:avp*}\\Data']
    first = walks_of(plan, 'registry')[0]['path']
    assert first[2] == {'list': 'glob:*kasperskylab', 'like': ['*a*per*yLab']} and first[4]['like'] == ['AVP*']


def test_a_host_with_a_huge_classes_key_lists_nothing_below_it(catalog):
    host = windows_host.FakeWindowsHost('consumer21')
    for i in range(3000):
        host.add_key('HKLM\\SOFTWARE\\Classes\\CLSID\\{%08d-0000-0000-0000-000000000000}' % i)
        host.add_key('HKLM\\SOFTWARE\\Classes\\.ext%d' % i)
    plan = wq.build(catalog.probe('windows'))
    dump = host.run(plan.args)['dump']
    parents = [entry['k'] for entry in dump['registry']['lists']]
    assert not [p for p in parents if p.lower().startswith('hklm\\software\\classes')]
    assert len(json.dumps(dump)) < 20000
    # what leaves the host: the keys the catalogue names, not the 6000 class keys
    assert not [path for path in dump['registry']['found'] if path.lower().startswith('hklm\\software\\classes')]


def test_services_walk_keeps_names_by_wildcard_and_images_by_vendor_text():
    plan = wq.build({'services': ['AVP.KES*'], 'drivers': ['klif'], 'install_dirs': ['C:\\Program Files*\\Kaspersky Lab\\*']})
    walk = walks_of(plan, 'services')[0]
    assert shown(walk['path']) == 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\{services}'
    assert walk['keep'] == {'names': ['*l*f', 'AVP.*E*'], 'text': {'ImagePath': ['y lab']}}
    assert walk['read'] == list(wr.SERVICE_VALUES) and walk['scm'] is True
    plan = wq.build({'install_dirs': ['C:\\Program Files\\*']})
    assert walks_of(plan, 'services')[0]['keep']['text'] == {'ImagePath': ['']}
    assert [w['source'] for w in plan.warnings] == ['probe']


@pytest.mark.parametrize('pattern, expected', [
    ('C:\\Program Files (x86)\\Kaspersky Lab\\KES*', 'C:\\Program Files (x86)\\Kaspersky Lab\\KES*'),
    ('%ProgramData%\\Kaspersky Lab', '%ProgramData%\\Kaspersky Lab'),
    ('%LOCALAPPDATA%\\Programs\\Kaspersky Lab\\*', '%SystemDrive%\\Users\\*\\AppData\\Local\\Programs\\Kaspersky Lab\\*'),
    ('%APPDATA%\\UltraAV', '%SystemDrive%\\Users\\*\\AppData\\Roaming\\UltraAV'),
    ('%USERPROFILE%\\x', '%SystemDrive%\\Users\\*\\x'),
    ('/opt/kaspersky', None),
    ('%TEMP%\\x', None),                  # not a variable the collector knows: never stat'ed relative to the cwd
    ('relative\\path', None),
])
def test_paths_per_user_variables_name_every_profile(pattern, expected):
    assert wq.host_path(pattern) == expected


def test_cim_queries(catalog):
    plan = wq.build(catalog.probe('windows'))
    queries = dict((q['id'], q) for q in plan.args['cim'])
    assert set(queries) == {'os', 'processes', 'security_center', 'defender'}
    assert queries['processes']['class'] == 'Win32_Process' and 'ExecutablePath' in queries['processes']['properties']
    assert 'kavhttpd.exe' in queries['processes']['filter']['Name'] or '*avhttpd.exe' in queries['processes']['filter']['Name']
    assert queries['defender']['select'] is False  # older platforms lack properties WQL would reject
    assert queries['os']['properties'] == ['Caption', 'Version', 'ProductType', 'OperatingSystemSKU']
    assert set(wq.build({}).args['cim'][i]['id'] for i in range(2)) == {'os', 'defender'}
