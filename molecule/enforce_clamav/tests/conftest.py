# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures: the three containers (through podman directly), the reports, the Ansible log."""
import json
import os

import pytest
import testinfra
import yaml

SCENARIO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
PROJECT = os.path.abspath(os.path.join(SCENARIO, '..', '..'))
EPHEMERAL = os.environ.get('MOLECULE_EPHEMERAL_DIRECTORY', '')


def _host(name):
    return testinfra.get_host('podman://' + name)


@pytest.fixture(scope='session')
def kesl_host():
    return _host('banned-av-enforce-kesl')


@pytest.fixture(scope='session')
def waived_host():
    return _host('banned-av-enforce-waived')


@pytest.fixture(scope='session')
def broken_host():
    return _host('banned-av-enforce-broken')


@pytest.fixture(scope='session')
def ephemeral():
    assert EPHEMERAL and os.path.isdir(EPHEMERAL), 'MOLECULE_EPHEMERAL_DIRECTORY is not set: run through molecule'
    return EPHEMERAL


def _read(ephemeral, where):
    with open(os.path.join(ephemeral, where, 'banned_av_report.json'), encoding='utf-8') as handle:
        return json.load(handle)


@pytest.fixture(scope='session')
def report(ephemeral):
    """The report of the first real run (kept by side_effect.yml before the idempotence run)."""
    return _read(ephemeral, 'reports-first-run')


@pytest.fixture(scope='session')
def hosts(report):
    return dict((h['name'], h) for h in report['hosts'])


@pytest.fixture(scope='session')
def second_report(ephemeral):
    """The report of the second real run (idempotence)."""
    return _read(ephemeral, 'reports')


@pytest.fixture(scope='session')
def canaries():
    with open(os.path.join(SCENARIO, 'converge.yml'), encoding='utf-8') as handle:
        play = yaml.safe_load(handle)[0]['vars']
    values = [play['banned_av_uninstall_password'], play['banned_av_kes_login'], play['banned_av_network_agent_password']]
    assert all('canary' in v for v in values)
    return values


@pytest.fixture(scope='session')
def eicar():
    with open(os.path.join(PROJECT, 'roles', 'alternative_av', 'vars', 'main.yml'), encoding='utf-8') as handle:
        return ''.join(yaml.safe_load(handle)['__alternative_av_eicar_parts'])
