# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Microsoft Defender Antivirus as the replacement on Windows: what to deploy, when, and whether
it is healthy, decided from what the ``alternative_av`` role read on the host.

The role's PowerShell only reads (the edition, the ``Windows-Defender`` feature, the WinDefend
service, ``Get-MpComputerStatus``, Defender for Endpoint onboarding, the Defender policy values
and the Group Policy settings behind them, Defender's own detections of a test file) and does
what :func:`deploy_plan` says.  The rules, from Microsoft's "Microsoft Defender Antivirus
compatibility with other security products"
(https://learn.microsoft.com/en-us/defender-endpoint/microsoft-defender-antivirus-compatibility):

* Windows 10/11 clients (Enterprise multi-session included) not onboarded to Defender for
  Endpoint disable Defender automatically while another anti-virus is registered: before the
  removal it is enough that Defender is installed, present and not disabled by policy; after
  it, Defender must run in Normal mode.  Signatures are updated only while Defender runs.
* Windows Server does not change Defender's mode by itself.  Passive mode
  (``ForceDefenderPassiveMode``) works only on servers onboarded to Defender for Endpoint: it is
  set *before* the feature is installed, so Defender never starts active beside the other
  product.  On a server that is not onboarded, Defender is installed (or enabled) only after
  the banned product is gone, which needs a reboot the user allows.
* Windows Server 2012 R2 has no ``Windows-Defender`` feature: Defender comes only with the
  modern, unified Defender for Endpoint solution.
* Policy values that switch Defender off are never deleted when Group Policy sets them (Resultant
  Set of Policy, ``RSOP_RegistryPolicySetting``): Group Policy would write them back; the host is
  ``blocked`` with the value named.  Values set without Group Policy are deleted.
* The EICAR test counts only Defender's own detection of the test file (``Get-MpThreatDetection``),
  never "the file disappeared" (another anti-virus quarantines it too), and it runs only when no
  other anti-virus is present (it would raise an alert in that product's console).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.fleetsec.banned_av.plugins.module_utils import windows_registry as wr

POLICY_KEY = 'HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows Defender'
RTP_KEY = POLICY_KEY + '\\Real-Time Protection'
ATP_POLICY_KEY = 'HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows Advanced Threat Protection'
#: policy values that switch Defender's protection off when set to 1 (Defender's ADMX settings:
#: "Turn off Microsoft Defender Antivirus", "Turn off real-time protection", ...)
DISABLING_VALUES = (
    (POLICY_KEY, 'DisableAntiSpyware'),
    (POLICY_KEY, 'DisableAntiVirus'),
    (RTP_KEY, 'DisableRealtimeMonitoring'),
    (RTP_KEY, 'DisableOnAccessProtection'),
    (RTP_KEY, 'DisableBehaviorMonitoring'),
    (RTP_KEY, 'DisableIOAVProtection'),
)
PASSIVE_VALUE = (ATP_POLICY_KEY, 'ForceDefenderPassiveMode')
#: the keys the role reads (values and Group Policy settings)
POLICY_KEYS = (POLICY_KEY, RTP_KEY, ATP_POLICY_KEY)

#: Get-MpComputerStatus.AMRunningMode values in which Defender runs
PASSIVE_MODES = ('Passive', 'Passive Mode', 'SxS Passive Mode', 'EDR Block Mode')
NORMAL = 'Normal'
#: the first Windows Server with the Windows-Defender feature (2016, build 14393)
FIRST_SERVER_BUILD = 14393


# --------------------------------------------------------------------------- reading the raw state

def edition(os_raw):
    """``{server, multi_session, build, name}`` from Win32_OperatingSystem and CurrentVersion."""
    os_raw = os_raw or {}
    sku = _int(os_raw.get('sku'))
    edition_id = (os_raw.get('edition_id') or '').strip()
    kind = wr.installation_type(os_raw.get('installation_type'), edition_id, None, _int(os_raw.get('product_type')), sku,
                                os_raw.get('caption'))
    return {
        'server': kind == 'Server',
        'multi_session': edition_id.lower() in wr.MULTI_SESSION_EDITIONS or sku in wr.MULTI_SESSION_SKUS,
        'build': _int(os_raw.get('build_number')),
        'name': os_raw.get('caption'),
    }


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _key(path):
    """A registry key as one comparable text (``HKLM:\\`` and ``HKEY_LOCAL_MACHINE\\`` forms too)."""
    text = (path or '').replace('/', '\\').strip('\\')
    for prefix in ('HKEY_LOCAL_MACHINE\\', 'HKLM:\\', 'MACHINE\\'):
        if text.upper().startswith(prefix):
            text = 'HKLM\\' + text[len(prefix):]
    if not text.upper().startswith('HKLM\\'):
        text = 'HKLM\\' + text  # RSoP names the key below its hive: Software\Policies\...
    return text.lower()


def policy_values(raw):
    """``[{path, name, data, gpo}]`` of the Defender policy values present on the host; ``gpo`` is
    the Group Policy object that sets it (its name or id), ``False`` when none does, or ``None``
    when Resultant Set of Policy could not be read."""
    rsop = raw.get('rsop') or {}
    settings = rsop.get('settings') or []
    out = []
    for value in raw.get('policy') or []:
        gpo = None
        if rsop.get('ok'):
            gpo = False
            for setting in settings:
                if (_key(setting.get('registry_key')) == _key(value.get('path'))
                        and (setting.get('value_name') or '').lower() == (value.get('name') or '').lower()
                        and _int(setting.get('precedence')) in (None, 1)):
                    gpo = setting.get('gpo_name') or setting.get('gpo_id') or 'a Group Policy object'
                    break
        out.append({'path': value.get('path'), 'name': value.get('name'), 'data': value.get('data'), 'gpo': gpo})
    return out


def _ps_path(path):
    """``HKLM:\\...``, the form win_regedit takes, of a ``HKLM\\...`` key."""
    text = (path or '').replace('/', '\\')
    return 'HKLM:' + text[4:] if text.upper().startswith('HKLM\\') else text


def _is(value, pair):
    return _key(value['path']) == _key(pair[0]) and (value['name'] or '').lower() == pair[1].lower()


def _set(value):
    return _int(value.get('data')) == 1


def _show(value):
    return '%s\\%s = %s' % (value['path'], value['name'], value['data'])


def _policy_conflicts(values, wanted_off):
    """Reasons the host is blocked by policy values the role must not delete, and the values it may."""
    blocked, removable = [], []
    for value in values:
        if not _set(value) or not any(_is(value, pair) for pair in wanted_off):
            continue
        if value['gpo']:
            blocked.append('%s is set by Group Policy (%s): Microsoft Defender Antivirus stays off; change the Group '
                           'Policy object (deleting the value would only be undone at the next policy refresh)'
                           % (_show(value), value['gpo']))
        elif value['gpo'] is None:
            blocked.append('%s is set and Resultant Set of Policy could not be read, so whether Group Policy sets it '
                           'is not known; the value is left alone' % _show(value))
        else:
            removable.append({'path': value['path'], 'name': value['name'], 'ps_path': _ps_path(value['path'])})
    return blocked, removable


def running(status):
    mode = (status or {}).get('AMRunningMode')
    return mode == NORMAL or mode in PASSIVE_MODES


# --------------------------------------------------------------------------- what to deploy

def deploy_plan(raw, other_av_present, reboot_allowed=False, install_feature=True, clear_policy_disables=True):
    """What the role does on the host now (``raw``: what it read), before the removal
    (``other_av_present``) or after it.

    Returns ``{edition, blocked, deferred, deferred_ready, set_passive, clear_passive,
    install_feature, remove_policy_values, notes}``; ``blocked`` lists why nothing can be done
    safely (the banned product stays), ``deferred`` says Defender is deployed only after the
    removal (``deferred_ready``: everything that needs is there)."""
    raw = raw or {}
    ed = edition(raw.get('os'))
    plan = {'edition': ed, 'blocked': [], 'deferred': False, 'deferred_ready': False, 'set_passive': False,
            'clear_passive': False, 'install_feature': False, 'remove_policy_values': [], 'notes': []}
    values = policy_values(raw)
    blocked, removable = _policy_conflicts(values, DISABLING_VALUES)
    plan['blocked'].extend(blocked)
    passive = [v for v in values if _is(v, PASSIVE_VALUE) and _set(v)]
    if ed['server']:
        _server(plan, raw, passive, removable, other_av_present, reboot_allowed, install_feature)
    else:
        # clients: no feature to install, no passive mode to force; local disables go now (Defender
        # stays off by itself while the other product is registered)
        plan['remove_policy_values'] = removable if clear_policy_disables else []
        if removable and not clear_policy_disables:
            plan['blocked'].append('policy values switch Microsoft Defender Antivirus off (%s) and '
                                   'alternative_av_defender_clear_policy_disables is false' % ', '.join(
                                       '%s\\%s' % (v['path'], v['name']) for v in removable))
        if not _present(raw):
            plan['blocked'].append('Microsoft Defender Antivirus is not present on this client (no WinDefend service '
                                   'or no status): it cannot be the replacement')
    if not clear_policy_disables:
        plan['remove_policy_values'] = []
    if plan['blocked']:
        # nothing changes on a host that cannot end protected
        plan.update(set_passive=False, clear_passive=False, install_feature=False, remove_policy_values=[])
    return plan


def _present(raw):
    service = raw.get('service') or {}
    return bool(service.get('exists')) and bool((raw.get('status') or {}).get('AMProductVersion'))


def _server(plan, raw, passive, removable, other_av_present, reboot_allowed, install_feature):
    ed = plan['edition']
    feature = (raw.get('feature') or {}).get('install_state')
    onboarded = _int((raw.get('mde') or {}).get('onboarding_state')) == 1
    present = _present(raw)
    if ed['build'] is not None and ed['build'] < FIRST_SERVER_BUILD and not present:
        plan['blocked'].append(
            '%s has no Windows-Defender feature: Microsoft Defender Antivirus comes only with the modern, unified '
            'Defender for Endpoint solution (md4ws.msi, https://learn.microsoft.com/en-us/defender-endpoint/'
            'configure-server-endpoints); install and onboard it, then run again, or use alternative_av_product: '
            'custom' % (ed['name'] or 'Windows Server 2012 R2'))
        return
    if not present and feature not in ('Installed', 'Available'):
        plan['blocked'].append('the Windows-Defender feature is %s: it cannot be installed without its source files '
                               '(Install-WindowsFeature -Source)' % (feature or 'not offered by this server'))
        return
    needs_feature = feature != 'Installed' and not present
    if needs_feature and not install_feature:
        plan['blocked'].append('the Windows-Defender feature is not installed and alternative_av_defender_install_feature '
                               'is false')
        return
    gpo_passive = [v for v in passive if v['gpo']]
    if other_av_present:
        if onboarded:
            # passive mode first, then the feature: Defender never starts active beside the other product
            plan['set_passive'] = not passive
            plan['install_feature'] = needs_feature
            plan['remove_policy_values'] = removable
        elif running((raw.get('status') or {})) and not removable:
            plan['notes'].append('Microsoft Defender Antivirus already runs beside the other anti-virus on this server '
                                 '(not onboarded to Defender for Endpoint: passive mode is not supported)')
        else:
            plan['deferred'] = True
            plan['deferred_ready'] = bool(reboot_allowed) and not plan['blocked']
            plan['notes'].append('this server is not onboarded to Defender for Endpoint, so Defender cannot run passive '
                                 'beside the banned product: it is %s only after the removal%s' % (
                                     'installed' if needs_feature else 'enabled',
                                     '' if reboot_allowed else ', which needs a reboot that banned_av_reboot_allowed '
                                     'does not permit'))
            if not reboot_allowed:
                plan['blocked'].append(plan['notes'][-1])
        return
    plan['install_feature'] = needs_feature
    plan['remove_policy_values'] = removable
    plan['clear_passive'] = bool(passive) and not gpo_passive
    for value in gpo_passive:
        plan['blocked'].append('%s is set by Group Policy (%s): Microsoft Defender Antivirus stays passive; change the '
                               'Group Policy object' % (_show(value), value['gpo']))


# --------------------------------------------------------------------------- checks and health

def check_plan(status, other_av_present, eicar_test=True):
    """Whether to update signatures and run the EICAR test now (``status``: Get-MpComputerStatus)."""
    status = status or {}
    return {
        'update_signatures': running(status),
        'eicar': bool(eicar_test) and not other_av_present and status.get('AMRunningMode') == NORMAL,
    }


def eicar_verdict(eicar):
    """``(detected, detail)`` from the EICAR test's raw result: only a Defender detection whose
    resources name the test file counts."""
    if not eicar or not eicar.get('path'):
        return None, 'not run'
    path = eicar['path'].lower()
    for detection in eicar.get('detections') or []:
        resources = detection.get('Resources') or []
        if isinstance(resources, str):
            resources = [resources]
        if any(path in (r or '').lower() for r in resources):
            return True, 'detected by Microsoft Defender Antivirus (threat %s)' % detection.get('ThreatID')
    if eicar.get('write_error'):
        return False, 'the test file could not be written (%s) and Defender reported no detection of it' % eicar['write_error']
    if not eicar.get('exists_after'):
        return False, 'the test file disappeared without a Defender detection (another anti-virus?)'
    return False, 'not detected by Microsoft Defender Antivirus within %s s' % eicar.get('waited', '?')


def health(raw, plan, phase_other_av_present, max_signature_age_days=7, reboot_pending=False, eicar=None):
    """``alternative_av_health`` for Defender: ``raw`` is the state read after the deployment,
    ``plan`` the :func:`deploy_plan` it followed."""
    raw = raw or {}
    plan = plan or {}
    status = raw.get('status') or {}
    mode = status.get('AMRunningMode') or 'unknown'
    client = not (plan.get('edition') or {}).get('server')
    values = policy_values(raw)
    still_off = [_show(v) for v in values if _set(v) and any(_is(v, pair) for pair in DISABLING_VALUES)]
    detected, eicar_detail = eicar_verdict(eicar)
    checks = [
        _check('Defender platform present', _present(raw), 'WinDefend service %s, AMProductVersion %s' % (
            'present' if (raw.get('service') or {}).get('exists') else 'missing', status.get('AMProductVersion') or 'unknown')),
        _check('not disabled by policy', not still_off, 'set: %s' % ', '.join(still_off) if still_off else 'no policy value switches it off'),
        _mode_check(mode, client, phase_other_av_present),
        _signature_check(status, max_signature_age_days),
        _check('EICAR test file detected by Defender', detected is not False, 'EICAR: %s' % eicar_detail, skipped=detected is None),
        _check('no reboot pending', not reboot_pending, 'the Windows-Defender feature needs a reboot (banned_av_reboot_allowed is false)'),
    ]
    reasons = list(plan.get('blocked') or []) + [c['detail'] for c in checks if not c['ok']]
    healthy = not reasons
    active = mode == NORMAL and bool(status.get('AntivirusEnabled')) and bool(status.get('RealTimeProtectionEnabled'))
    state = 'blocked' if plan.get('blocked') else 'reboot_pending' if reboot_pending else 'healthy' if healthy else 'unhealthy'
    return {'product': 'defender', 'healthy': healthy, 'active': active, 'status': state, 'checks': checks,
            'reasons': reasons, 'mode': mode, 'deferred': False, 'deferred_ready': False}


def deferred_health(plan):
    """``alternative_av_health`` when Defender is deployed only after the removal."""
    return {'product': 'defender', 'healthy': False, 'active': False, 'status': 'deferred', 'checks': [],
            'reasons': list(plan.get('blocked') or []) or list(plan.get('notes') or []), 'mode': None,
            'deferred': True, 'deferred_ready': bool(plan.get('deferred_ready'))}


def blocked_health(plan):
    return {'product': 'defender', 'healthy': False, 'active': False, 'status': 'blocked', 'checks': [],
            'reasons': list(plan.get('blocked') or []), 'mode': None, 'deferred': False, 'deferred_ready': False}


def _check(name, ok, detail, skipped=False):
    return {'name': name, 'ok': bool(ok), 'skipped': bool(skipped), 'detail': detail}


def _mode_check(mode, client, other_av_present):
    if other_av_present and client:
        # Defender turns itself off while another anti-virus is registered (not onboarded clients)
        return _check('running mode', True, 'AMRunningMode=%s (a client turns Defender off while another anti-virus is '
                                            'registered; it must run Normal after the removal)' % mode)
    if other_av_present:
        return _check('running mode', mode == NORMAL or mode in PASSIVE_MODES, 'AMRunningMode=%s (expected Passive or Normal)' % mode)
    return _check('running mode', mode == NORMAL, 'AMRunningMode=%s (expected Normal)' % mode)


def _signature_check(status, max_age):
    if not running(status):
        return _check('signatures fresh', True, 'not checked: Defender is not running', skipped=True)
    age = _int(status.get('AntivirusSignatureAge'))
    ok = age is not None and age <= int(max_age)
    return _check('signatures fresh', ok, 'signatures %s, %s day(s) old (at most %s)' % (
        status.get('AntivirusSignatureVersion') or '?', age if age is not None else '?', max_age))
