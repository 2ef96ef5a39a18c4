# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import sys

import pytest

# the tests run from the installed collection copy; make tests.support importable either way
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


@pytest.fixture(scope='session')
def fleet_roots(tmp_path_factory):
    """Offline roots shared by the playbook tests (tests/integration/playbook_runs.py); read-only."""
    pytest.importorskip('ansible_runner')
    from ansible_collections.fleetsec.banned_av.tests.integration import playbook_runs
    base = tmp_path_factory.mktemp('fleet-roots')
    return playbook_runs.build_roots(base)
