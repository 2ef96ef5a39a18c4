# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The remediation plan builder and outcome: ordering, package managers, MSI exit codes,
password encoding, waivers, and that no secret ever reaches a plan or a record."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json

import pytest

from ansible_collections.fleetsec.banned_av.plugins.module_utils import policy as pol
from ansible_collections.fleetsec.banned_av.plugins.module_utils import remediation as rem
from ansible_collections.fleetsec.banned_av.plugins.module_utils import msi
from ansible_collections.fleetsec.banned_av.tests.unit.conftest import fixture_json, fixture_text

AS_OF = datetime.date(2026, 11, 27)
CANARY = 'Canary-S3cret-P@ss-7f3a'
NA_CANARY = 'Agent-Canary-9b1e'


@pytest.fixture(scope='module')
def policies():
    return pol.load_policies()[1]


def inventory(platform='linux', **kwargs):
    inv = {'schema': 1, 'platform': platform, 'root': '/', 'live': True, 'os': {}, 'commands': [], 'packages': [],
           'uninstall': [], 'services': [], 'units': [], 'paths': [], 'groups': [], 'processes': [], 'kernel_modules': [],
           'registry': [], 'receipts': [], 'bundles': [], 'launchd': [], 'security_center': [], 'defender': None,
           'skipped': [], 'errors': []}
    inv.update(kwargs)
    return inv


def facts_of(inv, catalog):
    """The facts av_facts makes of a raw inventory (build_facts)."""
    from ansible_collections.fleetsec.banned_av.plugins.action.av_facts import build_facts
    return build_facts(inv, catalog, '2026-11-27T00:00:00Z')


def plan_for(facts, policies, catalog, waivers=None, host='web1', groups=(), jurisdictions=None, **options):
    waivers = pol.validate_waivers(waivers or [])
    record = pol.evaluate_host(host, facts, policies, waivers, AS_OF, list(groups), jurisdictions=jurisdictions)
    opts = {'host': host, 'host_groups': list(groups), 'waivers': waivers,
            'vendor_roots': rem.vendor_roots(catalog.entries, facts['platform'])}
    opts.update(options)
    return rem.build_plan(facts, record, opts), record


# ----------------------------------------------------------------------------- Linux fixtures

KESL_UNITS = [
    {'name': 'kesl.service', 'path': '/lib/systemd/system/kesl.service', 'active_state': 'active', 'unit_file_state': 'enabled'},
    {'name': 'kesl-supervisor.service', 'path': '/lib/systemd/system/kesl-supervisor.service', 'active_state': 'active',
     'unit_file_state': 'enabled'},
    {'name': 'klnagent64.service', 'path': '/lib/systemd/system/klnagent64.service', 'active_state': 'active',
     'unit_file_state': 'enabled'},
]
KESL_PATHS = [{'path': '/opt/kaspersky/kesl/bin/kesl-control', 'type': 'file'},
              {'path': '/opt/kaspersky/kesl', 'type': 'dir'},
              {'path': '/var/opt/kaspersky/kesl', 'type': 'dir'},
              {'path': '/opt/kaspersky/klnagent64/bin/klnagchk', 'type': 'file'},
              {'path': '/opt/kaspersky/klnagent64', 'type': 'dir'},
              {'path': '/var/opt/kaspersky/klnagent64', 'type': 'dir'},
              {'path': '/opt/kaspersky', 'type': 'dir'},
              {'path': '/var/opt/kaspersky', 'type': 'dir'}]
KESL_GROUPS = [{'name': 'kesladmin', 'gid': 999}, {'name': 'kesluser', 'gid': 998}, {'name': 'keslaudit', 'gid': 997},
               {'name': 'nokesl', 'gid': 996}]


def debian_kesl(catalog, **kwargs):
    inv = inventory(os={'name': 'Debian GNU/Linux 12 (bookworm)', 'family': 'debian', 'version': '12'},
                    commands=[{'id': 'dpkg', 'argv': ['dpkg-query', '-W'], 'rc': 0,
                               'stdout': fixture_text('linux', 'dpkg-query-kesl.txt'), 'stderr': ''}],
                    units=KESL_UNITS, paths=KESL_PATHS, groups=KESL_GROUPS, **kwargs)
    return facts_of(inv, catalog)


def redhat_kesl(catalog, version='9'):
    inv = inventory(os={'name': 'Red Hat Enterprise Linux 9.4', 'family': 'redhat', 'version': version},
                    commands=[{'id': 'rpm', 'argv': ['rpm', '-qa'], 'rc': 0,
                               'stdout': fixture_text('linux', 'rpm-kesl.txt'), 'stderr': ''}],
                    units=KESL_UNITS, paths=KESL_PATHS)
    return facts_of(inv, catalog)


# ----------------------------------------------------------------------------- Linux ordering

def test_linux_order_gui_then_kesl_then_agent(catalog, policies):
    plan, record = plan_for(debian_kesl(catalog), policies, catalog, replacement='clamav')
    assert record['status'] == 'noncompliant'
    assert plan['needs_action'] is True and plan['blocked'] == []
    assert plan['target_ids'] == ['kaspersky.kesl_gui', 'kaspersky.kesl', 'kaspersky.klnagent_linux']
    linux = plan['linux']
    assert linux['pkg_mgr'] == 'apt'
    assert [p['id'] for p in linux['products']] == plan['target_ids']
    assert [p['package']['names'] for p in linux['products']] == [['kesl-gui'], ['kesl'], ['klnagent64']]
    assert all(p['package']['purge'] for p in linux['products'])
    kesl = linux['products'][1]
    assert kesl['units'] == ['kesl.service', 'kesl-supervisor.service']
    assert kesl['groups'] == ['kesladmin', 'kesluser', 'keslaudit', 'nokesl']
    assert '/var/opt/kaspersky/kesl' in kesl['paths'] and '/etc/opt/kaspersky/kesl' in kesl['paths']
    assert linux['products'][2]['units'] == ['klnagent64.service']
    assert linux['vendor_roots'] == ['/opt/kaspersky', '/var/opt/kaspersky', '/etc/opt/kaspersky', '/etc/kaspersky']


def test_linux_actions_are_ordered_and_replacement_comes_first(catalog, policies):
    plan, _record = plan_for(debian_kesl(catalog), policies, catalog, replacement='clamav')
    actions = plan['actions']
    assert actions[0].startswith('ensure replacement clamav')
    idx = dict((name, i) for i, a in enumerate(actions) for name in ('purge kesl-gui', 'purge kesl ', 'purge klnagent64') if name in a + ' ')
    assert idx['purge kesl-gui'] < idx['purge kesl '] < idx['purge klnagent64']
    stop_agent = [i for i, a in enumerate(actions) if 'stop and disable klnagent64.service' in a][0]
    assert stop_agent > idx['purge kesl ']
    assert actions[-1].startswith('detect again')


def test_rpm_family_uses_dnf_and_yum_on_el7(catalog, policies):
    plan, _record = plan_for(redhat_kesl(catalog), policies, catalog)
    assert plan['linux']['pkg_mgr'] == 'dnf'
    assert [p['package']['names'] for p in plan['linux']['products'] if p['package']] == [['kesl'], ['klnagent64']]
    assert not any(p['package']['purge'] for p in plan['linux']['products'] if p['package'])
    plan7, _record = plan_for(redhat_kesl(catalog, version='7.9'), policies, catalog)
    assert plan7['linux']['pkg_mgr'] == 'yum'


def test_package_manager_decisions():
    assert rem.package_manager('apt') == 'apt'
    assert rem.package_manager('dnf5') == 'dnf'
    assert rem.package_manager(None, 'debian') == 'apt'
    assert rem.package_manager(None, 'redhat', '9.4') == 'dnf'
    assert rem.package_manager(None, 'redhat', '7') == 'yum'
    assert rem.package_manager(None, 'suse') == 'zypper'
    assert rem.package_manager('rpm', 'redhat', '9') == 'rpm'
    assert rem.package_manager(None, None) == 'unknown'


def test_rpm_fallback_erases_one_product_at_a_time_in_order(catalog, policies):
    plan, _record = plan_for(redhat_kesl(catalog), policies, catalog, pkg_mgr='rpm')
    argvs = [p['package']['argv'] for p in plan['linux']['products'] if p['package']]
    assert argvs == [['rpm', '-e', 'kesl'], ['rpm', '-e', 'klnagent64']]
    assert rem.package_step('apt', ['kesl'], purge=False)['describe'] == 'apt-get remove kesl'
    assert rem.package_step('zypper', ['kesl'])['describe'] == 'zypper remove kesl'
    assert rem.package_step('unknown', ['kesl'])['argv'] is None


def test_residue_only_host_is_left_alone(catalog, policies):
    inv = inventory(os={'family': 'debian'}, paths=[{'path': '/var/opt/kaspersky', 'type': 'dir'}],
                    groups=[{'name': 'kesladmin', 'gid': 999}])
    plan, record = plan_for(facts_of(inv, catalog), policies, catalog)
    assert record['status'] == 'compliant'
    assert plan['needs_action'] is False
    assert plan['skip_reason'].startswith('compliant')
    assert plan['linux'] is None


def test_kernel_modules_and_options(catalog, policies):
    inv = inventory(os={'family': 'debian'}, commands=[{'id': 'dpkg', 'argv': ['dpkg-query', '-W'], 'rc': 0,
                                                        'stdout': 'kav4fs\t8.0.4.312\ti386\tinstall ok installed\n', 'stderr': ''}],
                    kernel_modules=[{'name': 'kav4fs_oas'}, {'name': 'redirfs'}])
    plan, _record = plan_for(facts_of(inv, catalog), policies, catalog)
    product = plan['linux']['products'][0]
    assert product['id'] == 'kaspersky.kav4fs'
    assert product['kernel_modules'] == ['kav4fs_oas', 'redirfs']
    plan2, _record = plan_for(facts_of(inv, catalog), policies, catalog, unload_kernel_modules=False, remove_groups=False)
    assert plan2['linux']['products'][0]['kernel_modules'] == []


# ----------------------------------------------------------------------------- policy, waivers, force

def test_waived_host_is_untouched(catalog, policies):
    waiver = {'hosts': ['lab-*'], 'expires': '2027-01-31', 'owner': 'jane', 'ticket': 'SEC-1', 'reason': 'isolated lab'}
    plan, record = plan_for(debian_kesl(catalog), policies, catalog, waivers=[waiver], host='lab-3')
    assert record['status'] == 'waived'
    assert plan['needs_action'] is False
    assert plan['skip_reason'].startswith('waived')
    assert plan['target_ids'] == [] and plan['linux'] is None


def test_partly_waived_host_keeps_the_waived_product_and_vendor_dirs(catalog, policies):
    waiver = {'hosts': ['web1'], 'products': ['kaspersky.klnagent_linux'], 'expires': '2027-01-31', 'owner': 'jane',
              'ticket': 'SEC-2', 'reason': 'KSC migration'}
    plan, _record = plan_for(debian_kesl(catalog), policies, catalog, waivers=[waiver])
    assert plan['target_ids'] == ['kaspersky.kesl_gui', 'kaspersky.kesl']
    assert [e['id'] for e in plan['excluded']] == ['kaspersky.klnagent_linux']
    assert plan['linux']['vendor_roots'] == []
    assert any('vendor directories kept' in w for w in plan['warnings'])


def test_expired_waiver_is_enforced(catalog, policies):
    waiver = {'hosts': ['web1'], 'expires': '2025-01-31', 'owner': 'jane', 'ticket': 'SEC-3', 'reason': 'old'}
    plan, record = plan_for(debian_kesl(catalog), policies, catalog, waivers=[waiver])
    assert record['status'] == 'waiver_expired'
    assert plan['needs_action'] is True


def test_warning_needs_force(catalog, policies):
    future = [{'id': 'bis-kaspersky-2024', 'enforcement_date': '2027-06-01'}]
    _v, pols = pol.load_policies(overrides=future)
    plan, record = plan_for(debian_kesl(catalog), pols, catalog)
    assert record['status'] == 'warning'
    assert plan['needs_action'] is False and 'force' in plan['skip_reason']
    forced, _record = plan_for(debian_kesl(catalog), pols, catalog, force=True)
    assert forced['needs_action'] is True and len(forced['target_ids']) == 3


def test_unknown_status_is_never_changed(catalog, policies):
    facts = facts_of(inventory(errors=[{'source': 'packages', 'message': 'dpkg-query failed'}]), catalog)
    plan, record = plan_for(facts, policies, catalog)
    assert record['status'] == 'unknown'
    assert plan['needs_action'] is False and 'unknown' in plan['skip_reason']


def test_replacement_none_without_active_protection_is_blocked(catalog, policies):
    plan, _record = plan_for(debian_kesl(catalog), policies, catalog, replacement='none')
    assert plan['blocked'] and 'unprotected' in plan['blocked'][0]
    assert plan['actions'][0].startswith('nothing:')
    clam_unit = {'name': 'clamav-daemon.service', 'path': '/lib/systemd/system/clamav-daemon.service', 'active_state': 'active',
                 'unit_file_state': 'enabled'}
    facts = facts_of(inventory(os={'family': 'debian'}, commands=[{'id': 'dpkg', 'argv': ['dpkg-query', '-W'], 'rc': 0,
                                                                  'stdout': fixture_text('linux', 'dpkg-query-kesl.txt'), 'stderr': ''}],
                               units=KESL_UNITS + [clam_unit]), catalog)
    plan2, _record = plan_for(facts, policies, catalog, replacement='none')
    assert plan2['blocked'] == [] and plan2['protection_active'] == ['clamav']


def test_oem_engine_is_left_for_its_vendor(catalog, policies):
    inv = inventory(os={'family': 'debian'}, paths=[{'path': '/opt/kaspersky/ScanEngine/bin/kavhttpd', 'type': 'file'}])
    plan, _record = plan_for(facts_of(inv, catalog), policies, catalog)
    assert plan['needs_action'] is True
    assert [m['id'] for m in plan['manual']] == ['kaspersky.scan_engine']
    assert plan['blocked'] and 'automatically' in plan['blocked'][0]


# ----------------------------------------------------------------------------- Windows

KES_CODE = '{9A017278-F7F4-4DF9-A482-0B97B70DD7ED}'
NA_CODE = '{BCF4CF24-88AB-45E1-A6E6-40C8278A70C5}'


def windows_facts(catalog, installation_type='Client', with_codes=True):
    uninstall = [
        {'hive': 'HKLM', 'view': '32', 'key': NA_CODE if with_codes else 'KasperskyNetworkAgent',
         'display_name': 'Kaspersky Security Center Network Agent', 'display_version': '14.2.0.26967', 'publisher': 'AO Kaspersky Lab',
         'windows_installer': with_codes},
        {'hive': 'HKLM', 'view': '32', 'key': KES_CODE if with_codes else 'KES',
         'display_name': 'Kaspersky Endpoint Security for Windows', 'display_version': '12.1.0.506', 'publisher': 'AO Kaspersky Lab',
         'windows_installer': with_codes},
    ]
    inv = inventory('windows', os={'family': 'windows', 'installation_type': installation_type}, uninstall=uninstall,
                    services=[{'name': 'klif', 'kind': 'driver', 'state': 'running', 'start': 'boot'}],
                    security_center=[{'display_name': 'Kaspersky Endpoint Security for Windows', 'product_state': 266240}])
    return facts_of(inv, catalog)


def test_windows_kes_before_network_agent_with_runtime_product_codes(catalog, policies):
    plan, _record = plan_for(windows_facts(catalog), policies, catalog,
                             credentials={'kes_login': 'KLAdmin', 'kes_password': CANARY, 'network_agent_password': NA_CANARY})
    win = plan['windows']
    assert [s['id'] for s in win['steps']] == ['kaspersky.kes_windows', 'kaspersky.network_agent']
    assert [s['product_code'] for s in win['steps']] == [KES_CODE, NA_CODE]
    assert win['steps'][0]['properties'] == ['KLLOGIN', 'KLPASSWD']
    assert win['steps'][1]['properties'] == ['KLUNINSTPASSWD']
    assert win['steps'][0]['log_path'].startswith('C:\\Windows\\Temp\\banned_av_kaspersky_kes_windows_')
    assert win['drivers'] == ['klif']
    assert win['client'] is True and win['security_center'] == ['Kaspersky Endpoint Security for Windows']
    assert win['expected_return_codes'] == msi.EXPECTED_RETURN_CODES
    assert plan['credentials'] == {'kes': True, 'kes_login': True, 'network_agent': True}
    kes_action = [a for a in plan['actions'] if KES_CODE in a][0]
    assert 'KLPASSWD=<secret>' in kes_action and '/qn /norestart /L*v' in kes_action


def test_windows_without_product_code_is_manual_not_guessed(catalog, policies):
    plan, _record = plan_for(windows_facts(catalog, with_codes=False), policies, catalog)
    assert plan['windows']['steps'] == []
    assert {m['id'] for m in plan['manual']} >= {'kaspersky.kes_windows', 'kaspersky.network_agent'}
    assert all('ProductCode' in m['reason'] for m in plan['manual'])


def recorded_windows_facts(catalog, name, **changes):
    """The facts of one recorded live Windows inventory (tests/unit/fixtures/windows/<name>.json)."""
    inv = fixture_json('windows', name + '.json')['inventory']
    inv.update(changes)
    return facts_of(inv, catalog)


def test_a_guid_entry_that_is_not_a_windows_installer_product_gets_no_msiexec(catalog, policies):
    """A GUID-named Uninstall entry written by a bootstrapper (WindowsInstaller absent or 0) is
    not an MSI product: win_package would run its raw UninstallString, interactively, as SYSTEM."""
    bootstrapper = {'hive': 'HKLM', 'view': '32', 'key': '{C9EF800D-54AA-4F60-AB96-5A3966550F53}',
                    'display_name': 'Kaspersky Endpoint Security for Windows', 'display_version': '11.4.0.233',
                    'publisher': 'AO Kaspersky Lab', 'windows_installer': False,
                    'uninstall_string': '"C:\\ProgramData\\Package Cache\\setup_kes.exe" /uninstall'}
    facts = recorded_windows_facts(catalog, 'kes11')
    facts_b = recorded_windows_facts(catalog, 'kes11', uninstall=[bootstrapper])
    plan, _record = plan_for(facts_b, policies, catalog)
    assert plan['windows']['steps'] == []
    manual = dict((m['id'], m['reason']) for m in plan['manual'])
    assert 'Windows Installer' in manual['kaspersky.kes_windows'] and 'UninstallString' in manual['kaspersky.kes_windows']
    # the same host with the real MSI entries gets its msiexec steps
    plan, _record = plan_for(facts, policies, catalog)
    assert [s['id'] for s in plan['windows']['steps']] == ['kaspersky.kes_windows', 'kaspersky.network_agent']


def test_an_entry_whose_installer_kind_is_unknown_is_not_uninstalled(catalog, policies):
    facts = windows_facts(catalog)
    for finding in facts['findings']:
        for item in finding['evidence']:
            item.pop('windows_installer', None)
    plan, _record = plan_for(facts, policies, catalog)
    assert plan['windows']['steps'] == []
    assert {m['id'] for m in plan['manual']} >= {'kaspersky.kes_windows', 'kaspersky.network_agent'}


def test_a_per_user_product_is_left_for_manual_removal_never_called_absent(catalog, policies):
    """consumer21: Kaspersky VPN Secure Connection is registered for one user (HKU, not MSI);
    and a per-user MSI product (Installer\\UserData) that msiexec as SYSTEM would call 1605."""
    per_user_msi = {'hive': 'HKU\\S-1-5-21-3623811015-3361044348-30300820-1001', 'view': 'user',
                    'key': '{3B1A2C4D-5E6F-4A7B-8C9D-0E1F2A3B4C5D}', 'display_name': 'Kaspersky Password Manager',
                    'display_version': '9.0.2.1186', 'publisher': 'AO Kaspersky Lab', 'windows_installer': True}
    inv = fixture_json('windows', 'consumer21.json')['inventory']
    facts = recorded_windows_facts(catalog, 'consumer21', uninstall=inv['uninstall'] + [per_user_msi])
    plan, _record = plan_for(facts, policies, catalog)
    assert [s['id'] for s in plan['windows']['steps']] == ['kaspersky.consumer']
    assert all(not s['product_code'].startswith('{3B1A') for s in plan['windows']['steps'])
    manual = dict((m['id'], m['reason']) for m in plan['manual'])
    assert 'S-1-5-21-3623811015-3361044348-30300820-1001' in manual['kaspersky.addons']
    assert 'per user' in manual['kaspersky.addons'] and 'absent' not in manual['kaspersky.addons']
    assert any(a.startswith('left for manual removal: kaspersky.addons') for a in plan['actions'])


def test_msiexec_steps_carry_every_code_of_the_table_and_no_mapping_of_their_own(catalog, policies):
    plan, _record = plan_for(windows_facts(catalog), policies, catalog)
    assert plan['windows']['expected_return_codes'] == msi.EXPECTED_RETURN_CODES
    assert 'exit_codes' not in plan['windows']


# ----------------------------------------------------------------------------- jurisdictions and verdicts

def test_a_host_is_planned_with_its_own_jurisdictions(catalog, policies):
    """Kaspersky is only a warning for a 'de' host (BSI warning): nothing removed without force."""
    plan, record = plan_for(debian_kesl(catalog), policies, catalog, jurisdictions=['de'])
    assert record['status'] == 'warning' and 'de-bsi-2022' in record['policies']
    assert 'bis-kaspersky-2024' not in record['policies']
    assert plan['needs_action'] is False and 'force' in plan['skip_reason']
    us_plan, _record = plan_for(debian_kesl(catalog), policies, catalog, jurisdictions=['us'])
    assert us_plan['needs_action'] is True


def test_a_product_named_for_information_is_never_removed_and_says_why(catalog, policies):
    """ca-gov: the Treasury Board policy names Kaspersky for information only (verdict info)."""
    plan, record = plan_for(debian_kesl(catalog), policies, catalog, jurisdictions=['ca-gov'], force=True)
    assert {f['verdict'] for f in record['findings'] if f['installed']} == {'info'}
    assert plan['needs_action'] is False and plan['target_ids'] == []
    info = [e for e in plan['excluded'] if e['installed']]
    assert info and all('for information only' in e['reason'] for e in info)
    assert 'information' in plan['skip_reason']


def _carry_kes_code(facts, finding_id, only=False):
    """``finding_id`` also carries KES's ProductCode (from the other registry view), as facts
    matched by an older or a site catalogue can; with ``only``, it carries no other."""
    kes_entry = dict([e for f in facts['findings'] for e in f['evidence'] if e.get('key') == KES_CODE][0], view='64')
    for finding in facts['findings']:
        if finding['id'] == finding_id:
            kept = [e for e in finding['evidence'] if e['kind'] != 'uninstall'] if only else finding['evidence']
            finding['evidence'] = kept + [kes_entry]
    return facts


def test_one_product_code_is_one_uninstall_step_even_when_two_findings_carry_it(catalog, policies):
    facts = _carry_kes_code(windows_facts(catalog), 'kaspersky.network_agent')
    plan, _record = plan_for(facts, policies, catalog)
    steps = plan['windows']['steps']
    assert [(s['id'], s['product_code']) for s in steps] == [('kaspersky.kes_windows', KES_CODE),
                                                             ('kaspersky.network_agent', NA_CODE)]
    assert len([a for a in plan['actions'] if KES_CODE in a]) == 1
    # a finding whose only ProductCode another finding's step removes is neither planned twice nor manual
    facts = _carry_kes_code(windows_facts(catalog), 'kaspersky.network_agent', only=True)
    plan, _record = plan_for(facts, policies, catalog)
    assert [(s['id'], s['product_code']) for s in plan['windows']['steps']] == [('kaspersky.kes_windows', KES_CODE)]
    assert plan['manual'] == []
    assert {'kaspersky.kes_windows', 'kaspersky.network_agent'} <= set(plan['target_ids'])


def test_uninstall_entry_two_catalogue_entries_match_is_planned_once(catalog, policies):
    """UltraVPN's entry with Publisher "UltraAV" matches pango.ultravpn (DisplayName) and
    pango.ultraav (Publisher; that string was not observed, catalog/products/ultraav.yml):
    one finding, one msiexec step."""
    code = '{6E0A3C55-7B0F-4E55-9C1B-2F1F0B1A9D11}'
    inv = inventory('windows', os={'family': 'windows', 'installation_type': 'Client'}, uninstall=[
        {'hive': 'HKLM', 'view': '32', 'key': code, 'display_name': 'UltraVPN', 'display_version': '1.0.0.0',
         'publisher': 'UltraAV', 'windows_installer': True}])
    plan, _record = plan_for(facts_of(inv, catalog), policies, catalog, force=True)
    assert [(s['id'], s['product_code']) for s in plan['windows']['steps']] == [('pango.ultravpn', code)]


def test_product_codes_are_compared_without_case(catalog, policies):
    facts = windows_facts(catalog)
    for finding in facts['findings']:
        if finding['id'] == 'kaspersky.network_agent':
            finding['evidence'].append({'kind': 'uninstall', 'hive': 'HKLM', 'view': '64', 'key': KES_CODE.lower(),
                                        'name': 'Kaspersky Endpoint Security for Windows'})
    plan, _record = plan_for(facts, policies, catalog)
    assert [s['product_code'] for s in plan['windows']['steps']] == [KES_CODE, NA_CODE]


def test_windows_without_password_warns_about_1603(catalog, policies):
    plan, _record = plan_for(windows_facts(catalog, 'Server'), policies, catalog)
    assert plan['windows']['client'] is False
    assert all(s['properties'] == [] for s in plan['windows']['steps'])
    assert any('1603' in w for w in plan['warnings'])


# ----------------------------------------------------------------------------- secrets

def test_no_secret_in_plan_or_outcome(catalog, policies):
    creds = {'kes_login': 'SecretAdminLogin', 'kes_password': CANARY, 'network_agent_password': NA_CANARY}
    for facts in (windows_facts(catalog), debian_kesl(catalog)):
        plan, _record = plan_for(facts, policies, catalog, credentials=creds)
        text = json.dumps(plan)
        outcome = rem.decide_outcome(plan, facts, None, {'product': 'defender', 'healthy': True, 'active': True},
                                     {'ensure_ok': True, 'msi': [{'id': 'x', 'product_code': KES_CODE, 'rc': 1603, 'log_path': 'C:\\l.log'}]})
        text += json.dumps(outcome)
        for secret in (CANARY, NA_CANARY, 'SecretAdminLogin', msi.encode_kluninstpasswd(NA_CANARY)):
            assert secret not in text


# ----------------------------------------------------------------------------- outcome state machine

HEALTHY = {'product': 'clamav', 'healthy': True, 'active': True, 'checks': [{'name': 'clamd active', 'ok': True}]}


def after(catalog, policies, facts):
    return facts, pol.evaluate_host('web1', facts, policies, [], AS_OF, [])


def clean_facts(catalog, clamav_active=True):
    unit = {'name': 'clamav-daemon.service', 'path': '/lib/systemd/system/clamav-daemon.service',
            'active_state': 'active' if clamav_active else 'failed', 'unit_file_state': 'enabled'}
    return facts_of(inventory(os={'family': 'debian'}, units=[unit]), catalog)


def test_outcome_remediated(catalog, policies):
    plan, _r = plan_for(debian_kesl(catalog), policies, catalog)
    facts, record = after(catalog, policies, clean_facts(catalog))
    out = rem.decide_outcome(plan, facts, record, HEALTHY, {'ensure_ok': True, 'actions': ['apt-get purge kesl-gui']})
    assert out['outcome'] == 'remediated'
    assert out['before'] and any('kesl' in line for line in out['before'])
    assert out['after'] == ['protection clamav: active']
    assert pol.evaluate_host('web1', facts, policies, [], AS_OF, [], remediation=out)['status'] == 'remediated'


def test_outcome_blocked_when_replacement_unhealthy(catalog, policies):
    plan, _r = plan_for(debian_kesl(catalog), policies, catalog)
    before = debian_kesl(catalog)
    facts, record = after(catalog, policies, before)
    out = rem.decide_outcome(plan, facts, record, {'product': 'clamav', 'healthy': False, 'active': False,
                                                   'reasons': ['package clamav-daemon cannot be installed']},
                             {'ensure_ok': False})
    assert out['outcome'] == 'blocked'
    assert 'left in place' in out['reasons'][0] and 'cannot be installed' in out['reasons'][0]


def test_outcome_degraded_when_unprotected_after_removal(catalog, policies):
    plan, _r = plan_for(debian_kesl(catalog), policies, catalog)
    facts, record = after(catalog, policies, clean_facts(catalog, clamav_active=False))
    out = rem.decide_outcome(plan, facts, record, dict(HEALTHY, active=False), {'ensure_ok': True})
    assert out['outcome'] == 'degraded' and 'unprotected' in out['reasons'][0]


def test_outcome_degraded_when_removal_half_failed(catalog, policies):
    plan, _r = plan_for(debian_kesl(catalog), policies, catalog)
    inv = inventory(os={'family': 'debian'}, commands=[{'id': 'dpkg', 'argv': ['dpkg-query', '-W'], 'rc': 0,
                                                        'stdout': 'klnagent64\t14.2.0.26967\tamd64\tinstall ok installed\n', 'stderr': ''}],
                    units=[{'name': 'clamav-daemon.service', 'path': '/x', 'active_state': 'active', 'unit_file_state': 'enabled'}])
    facts, record = after(catalog, policies, facts_of(inv, catalog))
    out = rem.decide_outcome(plan, facts, record, HEALTHY,
                             {'ensure_ok': True, 'failed': [{'id': 'kaspersky.klnagent_linux', 'step': 'package removal', 'msg': 'dpkg error'}]})
    assert out['outcome'] == 'degraded'
    assert any('removal incomplete' in r for r in out['reasons'])
    assert any('dpkg error' in r for r in out['reasons'])


def test_outcome_blocked_when_nothing_was_removed(catalog, policies):
    plan, _r = plan_for(windows_facts(catalog), policies, catalog)
    facts, record = after(catalog, policies, windows_facts(catalog))
    facts['protection'] = [{'id': 'microsoft_defender', 'approved': True, 'active': True}]
    from ansible_collections.fleetsec.banned_av.plugins.module_utils import run_record as rr
    step = {'id': 'kaspersky.kes_windows', 'product_code': KES_CODE, 'log_path': 'C:\\Windows\\Temp\\kes.log'}
    run = rr.update(dict(rr.start(), ensure_ok=True), 'msi_step', step, msi.attempt_result({'rc': 1603, 'changed': True}, step))
    out = rem.decide_outcome(plan, facts, record, {'product': 'defender', 'healthy': True, 'active': True}, run)
    assert out['outcome'] == 'blocked'
    assert any('1603' in a and 'kes.log' in a for a in out['actions'])


def test_outcome_reboot_pending_for_drivers_only(catalog, policies):
    plan, _r = plan_for(windows_facts(catalog), policies, catalog)
    inv = inventory('windows', os={'family': 'windows', 'installation_type': 'Client'},
                    services=[{'name': 'klif', 'kind': 'driver', 'state': 'running', 'start': 'boot'},
                              {'name': 'WinDefend', 'kind': 'service', 'state': 'running', 'start': 'auto'}])
    facts, record = after(catalog, policies, facts_of(inv, catalog))
    run = {'ensure_ok': True, 'reboot_required': True, 'rebooted': False}
    out = rem.decide_outcome(plan, facts, record, {'product': 'defender', 'healthy': True, 'active': True}, run)
    assert out['outcome'] == 'reboot_pending'
    assert rem.decide_outcome(plan, clean_facts(catalog), None, HEALTHY, run)['outcome'] == 'reboot_pending'
    done = dict(run, rebooted=True)
    assert rem.decide_outcome(plan, clean_facts(catalog), None, HEALTHY, done)['outcome'] == 'remediated'


def test_outcome_check_mode_and_skipped(catalog, policies):
    plan, _r = plan_for(debian_kesl(catalog), policies, catalog)
    out = rem.decide_outcome(plan, None, None, None, {'check_mode': True})
    assert out['outcome'] is None and out['planned'] is True and out['actions'] == plan['actions']
    waiver = {'hosts': ['web1'], 'expires': '2027-01-31', 'owner': 'jane', 'ticket': 'SEC-1', 'reason': 'lab'}
    skipped, _r = plan_for(debian_kesl(catalog), policies, catalog, waivers=[waiver])
    out = rem.decide_outcome(skipped, None, None, None, {})
    assert out['outcome'] is None and out['skipped'] is True and out['reasons'][0].startswith('left alone: waived')


def test_outcome_unreached_after_check_is_degraded(catalog, policies):
    plan, _r = plan_for(debian_kesl(catalog), policies, catalog)
    assert rem.decide_outcome(plan, None, None, HEALTHY, {'ensure_ok': True})['outcome'] == 'degraded'


# ----------------------------------------------------------------------------- macOS

def test_macos_uninstall_scripts_in_order(catalog, policies):
    inv = inventory('darwin', os={'family': 'darwin'},
                    receipts=[{'id': 'com.kaspersky.klnagent.core', 'version': '14'}, {'id': 'com.kaspersky.kav.core', 'version': '12'}],
                    launchd=[{'label': 'com.kaspersky.kav', 'path': '/Library/LaunchDaemons/com.kaspersky.kav.plist'}],
                    paths=[{'path': '/Library/Application Support/Kaspersky Lab/KAV/Binaries/UninstallScript', 'type': 'file'}])
    plan, _record = plan_for(facts_of(inv, catalog), policies, catalog, replacement='mdatp')
    mac = plan['darwin']
    assert [s['id'] for s in mac['uninstall_scripts']] == ['kaspersky.kes_mac', 'kaspersky.klnagent_mac']
    assert mac['launchd'] == [{'label': 'com.kaspersky.kav', 'path': '/Library/LaunchDaemons/com.kaspersky.kav.plist'}]
    assert mac['vendor_roots'] == ['/Library/Application Support/Kaspersky Lab']
    assert 'com.kaspersky.kav.core' in mac['receipts']


def test_macos_app_named_with_parentheses_is_deleted_by_its_whole_path(catalog, policies):
    """A second copy of an application gets a name such as ``Foo (2).app``: the plan deletes that
    bundle, not ``/Applications/Foo`` (the display text cut at `` (``)."""
    app = '/Applications/Kaspersky Endpoint Security for Mac (2).app'
    inv = inventory('darwin', os={'family': 'darwin'},
                    bundles=[{'path': app, 'id': 'com.kaspersky.kav', 'version': '11.3.0.236'}],
                    launchd=[{'label': 'com.kaspersky.kav', 'path': '/Library/LaunchDaemons/com.kaspersky.kav (1).plist'}])
    plan, _record = plan_for(facts_of(inv, catalog), policies, catalog, replacement='mdatp')
    mac = plan['darwin']
    assert app in mac['paths']
    assert '/Applications/Kaspersky Endpoint Security for Mac' not in mac['paths']
    assert mac['launchd'] == [{'label': 'com.kaspersky.kav', 'path': '/Library/LaunchDaemons/com.kaspersky.kav (1).plist'}]
    assert any(action.startswith('delete ') and app in action for action in plan['actions'])
    assert any('bundle: %s (com.kaspersky.kav 11.3.0.236)' % app in line for line in plan['before'])


def test_vendor_roots_by_platform(catalog):
    assert rem.vendor_roots(catalog.entries, 'windows')['kaspersky'][0].startswith('C:\\')
    assert rem.path_platform('/Library/Application Support/x') == 'darwin'
    assert rem.path_platform('/opt/kaspersky') == 'linux'


# ----------------------------------------------------------------------------- Windows safety checks and after

DEFENDER_ACTIVE = {'product': 'defender', 'healthy': True, 'active': True}
CHECKS = fixture_json('remediation', 'windows_checks.json')


def windows_plan_with_checks(catalog, policies, name='kes11'):
    from ansible_collections.fleetsec.banned_av.plugins.module_utils import windows_safety
    return plan_for(recorded_windows_facts(catalog, name), policies, catalog, replacement='defender',
                    encryption_products=['kaspersky.kes_windows'],
                    ksc_keys=['HKLM\\SOFTWARE\\WOW6432Node\\KasperskyLab\\Components\\34\\1103\\1.0.0.0\\Statistics\\AVState'],
                    filter_drivers=windows_safety.filter_drivers(catalog.entries, {'kaspersky'}))[0]


def clean_windows_facts(catalog, **changes):
    inv = fixture_json('windows', 'defender_only.json')['inventory']
    inv.update(changes)
    return facts_of(inv, catalog)


def test_the_windows_plan_checks_encryption_of_kes_from_its_own_folder(catalog, policies):
    plan = windows_plan_with_checks(catalog, policies)
    checks = plan['windows']['checks']
    assert checks['encryption'] == [{'id': 'kaspersky.kes_windows', 'dirs': ['C:\\Program Files (x86)\\Kaspersky Lab\\KES.11.10.0']}]
    assert checks['ksc_keys'] and 'klkbdflt2' in plan['windows']['filter_drivers']
    assert any('GetEncryptionState' in a for a in plan['actions'])


def test_a_removal_the_safety_checks_stopped_is_blocked_with_their_reason(catalog, policies):
    from ansible_collections.fleetsec.banned_av.plugins.module_utils import run_record as rr
    from ansible_collections.fleetsec.banned_av.plugins.module_utils import windows_safety
    plan = windows_plan_with_checks(catalog, policies)
    verdict = windows_safety.preflight(plan['windows']['checks'], CHECKS['preflight_kes12_encrypted_managed'])
    run = rr.update(rr.update(rr.start(), 'replacement', 'ensure', DEFENDER_ACTIVE), 'blocked', verdict['blocked'], verdict['warnings'])
    facts = recorded_windows_facts(catalog, 'kes11')
    out = rem.decide_outcome(plan, facts, None, DEFENDER_ACTIVE, run)
    assert out['outcome'] == 'blocked'
    assert 'GetEncryptionState' in out['reasons'][0] and any('left in place' in r for r in out['reasons'])
    assert any(r.startswith('warning: managed by Kaspersky Security Center') for r in out['reasons'])


def test_left_over_kaspersky_class_filters_make_the_outcome_degraded(catalog, policies):
    plan = windows_plan_with_checks(catalog, policies)
    run = {'ensure_ok': True, 'changed_banned': True}
    leftover = clean_windows_facts(catalog, class_filters=CHECKS['class_filters_after_leftover'])
    out = rem.decide_outcome(plan, leftover, None, DEFENDER_ACTIVE, run)
    assert out['outcome'] == 'degraded'
    reason = [r for r in out['reasons'] if 'filter drivers' in r][0]
    assert 'Class\\{4d36e96b-e325-11ce-bfc1-08002be10318}\\UpperFilters still lists klkbdflt2 (Keyboard devices)' in reason
    clean = clean_windows_facts(catalog, class_filters=CHECKS['class_filters_after_clean'])
    assert rem.decide_outcome(plan, clean, None, DEFENDER_ACTIVE, run)['outcome'] == 'remediated'


def test_a_product_the_management_server_installs_again_is_degraded(catalog, policies):
    plan = windows_plan_with_checks(catalog, policies)
    run = {'ensure_ok': True, 'changed_banned': True}
    clean = clean_windows_facts(catalog)
    back = recorded_windows_facts(catalog, 'kes11')
    out = rem.decide_outcome(plan, clean, None, DEFENDER_ACTIVE, run, recheck={'facts': back, 'delay': 900})
    assert out['outcome'] == 'degraded' and any('installed again within 900 s' in r for r in out['reasons'])
    out = rem.decide_outcome(plan, clean, None, DEFENDER_ACTIVE, run, recheck={'facts': clean, 'delay': 900})
    assert out['outcome'] == 'remediated' and any('nothing removed came back' in r for r in out['reasons'])


def test_a_cosmetic_failure_is_a_warning_not_a_failure(catalog, policies):
    from ansible_collections.fleetsec.banned_av.plugins.module_utils import run_record as rr
    plan = windows_plan_with_checks(catalog, policies)
    run = rr.update(rr.update(rr.start(), 'replacement', 'ensure', DEFENDER_ACTIVE), 'security_center',
                    fixture_json('remediation', 'registered_results.json')['security_center_failed'])
    out = rem.decide_outcome(plan, clean_windows_facts(catalog), None, DEFENDER_ACTIVE, dict(run, changed_banned=True))
    assert out['outcome'] == 'remediated'
    assert any(r.startswith('warning: removing stale Security Center entries failed') for r in out['reasons'])


def test_a_per_user_product_left_by_the_removal_is_named_for_manual_removal(catalog, policies):
    plan, _record = plan_for(recorded_windows_facts(catalog, 'consumer21'), policies, catalog, replacement='defender')
    after = facts_of(dict(fixture_json('windows', 'consumer21.json')['inventory'],
                          uninstall=[u for u in fixture_json('windows', 'consumer21.json')['inventory']['uninstall']
                                     if u['hive'] != 'HKLM']), catalog)
    after['protection'] = [{'id': 'microsoft_defender', 'approved': True, 'active': True}]
    out = rem.decide_outcome(plan, after, None, DEFENDER_ACTIVE, {'ensure_ok': True, 'changed_banned': True})
    assert out['outcome'] == 'degraded'
    assert any(r.startswith('kaspersky.addons needs manual removal') and 'per user' in r for r in out['reasons'])
    assert not any('already absent' in r for r in out['reasons'] + out['actions'])


def test_nothing_removed_is_blocked_even_when_the_replacement_waits_beside_the_banned_product(catalog, policies):
    """1603 on KES of a client: Defender is still off (KES is registered), KES keeps protecting the
    host. That is blocked (high), not degraded (critical: "unprotected")."""
    plan, _r = plan_for(recorded_windows_facts(catalog, 'kes11'), policies, catalog, replacement='defender')
    facts, record = after(catalog, policies, recorded_windows_facts(catalog, 'kes11'))
    waiting = {'product': 'defender', 'healthy': True, 'active': False}
    out = rem.decide_outcome(plan, facts, record, waiting,
                             {'ensure_ok': True, 'failed': [{'id': 'kaspersky.kes_windows', 'step': 'msiexec', 'msg': '1603'}]})
    assert out['outcome'] == 'blocked'
