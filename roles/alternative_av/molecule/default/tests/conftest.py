# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Talk to the Molecule container through podman directly (testinfra's ansible backend has no
fast path for the podman connection)."""
import os

import pytest
import testinfra
import yaml

ROLE = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))


@pytest.fixture(scope='module')
def clamav_host():
    return testinfra.get_host('podman://banned-av-altav-clamav')


@pytest.fixture(scope='module')
def eicar():
    with open(os.path.join(ROLE, 'vars', 'main.yml'), encoding='utf-8') as handle:
        return ''.join(yaml.safe_load(handle)['__alternative_av_eicar_parts'])
