# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""fleetsec.banned_av.remediate removed the fake Kaspersky products and kept the host protected."""
import pytest
import testinfra

HOST = testinfra.get_host('podman://banned-av-remediate-kesl')


@pytest.mark.parametrize('name', ['kesl', 'kesl-gui', 'klnagent64'])
def test_packages_purged(name):
    assert HOST.run("dpkg-query -W -f='${db:Status-Abbrev}' %s", name).rc != 0


@pytest.mark.parametrize('path', ['/opt/kaspersky', '/var/opt/kaspersky', '/etc/opt/kaspersky'])
def test_vendor_directories_gone(path):
    assert not HOST.file(path).exists


@pytest.mark.parametrize('group', ['kesladmin', 'kesluser', 'keslaudit', 'nokesl'])
def test_role_groups_gone(group):
    assert not HOST.group(group).exists


def test_daemons_stopped_and_units_gone():
    for name in ('kesl', 'kesl-supervisor', 'klnagent'):
        assert HOST.run('pgrep -x %s', name).rc == 1
    out = HOST.run('systemctl list-unit-files --no-legend kesl.service kesl-supervisor.service klnagent64.service')
    assert out.stdout.strip() == ''


def test_replacement_running():
    assert HOST.service('site-av').is_running
    assert HOST.service('site-av').is_enabled
