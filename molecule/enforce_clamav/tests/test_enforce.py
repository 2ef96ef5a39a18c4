# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""fleetsec.banned_av.enforce on Debian 12 with the fake Kaspersky packages (issue 4, item 5)."""
import glob
import os
import shlex

import pytest

PACKAGES = ('kesl', 'kesl-gui', 'klnagent64')
UNITS = ('kesl.service', 'kesl-supervisor.service', 'klnagent64.service')
GROUPS = ('kesladmin', 'kesluser', 'keslaudit', 'nokesl')
VENDOR_DIRS = ('/opt/kaspersky', '/var/opt/kaspersky', '/etc/opt/kaspersky')
DAEMONS = ('kesl', 'kesl-supervisor', 'klnagent')


def dpkg_state(host, name):
    out = host.run("dpkg-query -W -f='${db:Status-Abbrev}' %s", name)
    return out.stdout.strip() if out.rc == 0 else 'unknown'


def scan(host, eicar):
    script = ('f=$(mktemp); printf %s {0} > "$f"; clamdscan --fdpass --no-summary "$f"; rc=$?; rm -f "$f"; exit $rc'
              .format(shlex.quote(eicar)))
    return host.run(script)


# ----------------------------------------------------------------------------- remediated host

@pytest.mark.parametrize('name', PACKAGES)
def test_kaspersky_packages_purged(kesl_host, name):
    # purged: not even in "rc" (config-files) state
    assert dpkg_state(kesl_host, name) == 'unknown'


@pytest.mark.parametrize('unit', UNITS)
def test_kaspersky_units_gone(kesl_host, unit):
    out = kesl_host.run('systemctl list-unit-files --no-legend %s', unit)
    assert unit not in out.stdout
    assert not kesl_host.file('/lib/systemd/system/' + unit).exists


def test_kaspersky_daemons_stopped(kesl_host):
    for name in DAEMONS:
        assert kesl_host.run('pgrep -x %s', name).rc == 1, name


@pytest.mark.parametrize('path', VENDOR_DIRS)
def test_vendor_directories_gone(kesl_host, path):
    assert not kesl_host.file(path).exists


@pytest.mark.parametrize('group', GROUPS)
def test_role_groups_gone(kesl_host, group):
    assert not kesl_host.group(group).exists


def test_clamd_active_and_detects_eicar(kesl_host, eicar):
    clamd = kesl_host.service('clamav-daemon')
    assert clamd.is_running and clamd.is_enabled
    out = scan(kesl_host, eicar)
    assert out.rc == 1 and 'Eicar-Test-Signature.site.UNOFFICIAL FOUND' in out.stdout, out.stdout + out.stderr
    assert not kesl_host.service('clamav-freshclam').is_running


def test_report_says_remediated(hosts):
    host = hosts['banned-av-enforce-kesl']
    assert host['status'] == 'remediated'
    rem = host['remediation']
    assert rem['outcome'] == 'remediated'
    assert rem['replacement'] == 'clamav'
    assert rem['targets'] == ['kaspersky.kesl_gui', 'kaspersky.kesl', 'kaspersky.klnagent_linux']
    assert any(line.startswith('kaspersky.kesl (installed): package: kesl 12.1.0.1297') for line in rem['before'])
    assert rem['after'] == ['protection clamav: active']
    assert host['findings'] == []
    actions = rem['actions']
    order = [next(i for i, a in enumerate(actions) if a.startswith(prefix))
             for prefix in ('ensure: replacement clamav healthy', 'kaspersky.kesl_gui:', 'kaspersky.kesl:',
                            'kaspersky.klnagent_linux:', 'finalize: replacement clamav healthy, active')]
    assert order == sorted(order), actions
    assert 'EICAR test file detected by clamd: ok' in rem['replacement_health']


# ----------------------------------------------------------------------------- waived host

def test_waived_host_untouched(waived_host, hosts):
    for name in PACKAGES:
        assert dpkg_state(waived_host, name) == 'ii', name
    for unit in ('kesl', 'klnagent64'):
        assert waived_host.service(unit).is_running
    for group in GROUPS:
        assert waived_host.group(group).exists
    assert dpkg_state(waived_host, 'clamav') == 'unknown'
    host = hosts['banned-av-enforce-waived']
    assert host['status'] == 'waived'
    assert host['remediation'] is None
    assert host['waiver']['id'] == 'LAB-42'


# ----------------------------------------------------------------------------- blocked host

def test_blocked_host_keeps_its_product(broken_host, hosts):
    for name in PACKAGES:
        assert dpkg_state(broken_host, name) == 'ii', name
    for unit in ('kesl', 'kesl-supervisor', 'klnagent64'):
        assert broken_host.service(unit).is_running, unit
    assert dpkg_state(broken_host, 'clamav-daemon') == 'unknown'
    host = hosts['banned-av-enforce-broken']
    assert host['status'] == 'blocked'
    rem = host['remediation']
    assert rem['outcome'] == 'blocked'
    assert any('replacement clamav is not healthy' in r and 'left in place' in r for r in rem['reasons']), rem['reasons']
    assert host['severity'] in ('high', 'critical')


# ----------------------------------------------------------------------------- reports and secrets

def test_fleet_report_run_metadata(report):
    assert report['run']['play'] == 'enforce'
    assert report['run']['check_mode'] is False
    assert report['summary']['by_status']['remediated'] == 1
    assert report['summary']['by_status']['blocked'] == 1
    assert report['summary']['by_status']['waived'] == 1


def test_second_run_reports_the_same_fleet(second_report):
    status = dict((h['name'], h['status']) for h in second_report['hosts'])
    # remediated on the first run, compliant now; the others unchanged
    assert status == {'banned-av-enforce-kesl': 'compliant', 'banned-av-enforce-waived': 'waived',
                      'banned-av-enforce-broken': 'blocked'}
    kesl = [h for h in second_report['hosts'] if h['name'] == 'banned-av-enforce-kesl'][0]
    assert kesl['findings'] == [] and kesl['remediation'] is None


def test_before_report_kept(ephemeral):
    assert os.path.isfile(os.path.join(ephemeral, 'reports', 'before', 'banned_av_report.json'))


def test_canary_passwords_never_written(ephemeral, canaries):
    log = os.path.join(ephemeral, 'ansible.log')
    with open(log, encoding='utf-8', errors='replace') as handle:
        text = handle.read()
    # the log really holds the runs (check, converge, idempotence) with -v output
    assert 'Enforce | PATCH | Replace, then remove' in text and 'remediated' in text
    files = [log] + [p for p in glob.glob(os.path.join(ephemeral, 'reports*', '**', '*'), recursive=True) if os.path.isfile(p)]
    assert len(files) > 6
    for path in files:
        with open(path, encoding='utf-8', errors='replace') as handle:
            content = handle.read()
        for canary in canaries:
            assert canary not in content, '%s contains a canary password' % path


@pytest.mark.parametrize('fixture', ['kesl_host', 'waived_host', 'broken_host'])
def test_canary_passwords_not_on_hosts(request, canaries, fixture):
    host = request.getfixturevalue(fixture)
    pattern = '|'.join(canaries)
    out = host.run('grep -rIlE %s /etc /var /tmp /root /opt /home /run 2>/dev/null', pattern)
    assert out.stdout.strip() == '', out.stdout
