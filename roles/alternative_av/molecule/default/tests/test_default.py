# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ClamAV deployed by fleetsec.banned_av.alternative_av from site-supplied signatures."""
import shlex


def test_packages_installed(clamav_host):
    for name in ('clamav', 'clamav-daemon', 'clamav-freshclam'):
        assert clamav_host.package(name).is_installed


def test_clamd_active_and_enabled(clamav_host):
    clamd = clamav_host.service('clamav-daemon')
    assert clamd.is_running
    assert clamd.is_enabled


def test_freshclam_off_without_a_mirror(clamav_host):
    freshclam = clamav_host.service('clamav-freshclam')
    assert not freshclam.is_running
    assert not freshclam.is_enabled


def test_site_signature_file_and_unit_condition(clamav_host):
    hdb = clamav_host.file('/var/lib/clamav/eicar-site.hdb')
    assert hdb.exists and hdb.user == 'clamav' and hdb.mode == 0o644
    dropin = clamav_host.file('/etc/systemd/system/clamav-daemon.service.d/fleetsec-database-condition.conf')
    assert dropin.exists
    assert 'ConditionPathExistsGlob=|/var/lib/clamav/*.hdb' in dropin.content_string


def test_clamd_detects_eicar_and_passes_clean_files(clamav_host, eicar):
    script = ('f=$(mktemp); c=$(mktemp); printf %s {0} > "$f"; echo clean > "$c"; '
              'clamdscan --fdpass --no-summary "$f" "$c"; rc=$?; rm -f "$f" "$c"; exit $rc').format(shlex.quote(eicar))
    result = clamav_host.run(script)
    assert result.rc == 1, result.stdout + result.stderr
    assert 'Eicar-Test-Signature.site.UNOFFICIAL FOUND' in result.stdout
    assert result.stdout.count(': OK') == 1


def test_no_eicar_file_left_behind(clamav_host):
    assert clamav_host.run('ls /tmp/fleetsec-eicar.* 2>/dev/null').stdout == ''
