# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest

FIXTURES = os.path.join(os.path.dirname(__file__), 'fixtures')


def fixture_text(*parts):
    with open(os.path.join(FIXTURES, *parts), encoding='utf-8') as handle:
        return handle.read()


def fixture_json(*parts):
    return json.loads(fixture_text(*parts))


@pytest.fixture(scope='session')
def catalog():
    from ansible_collections.fleetsec.banned_av.plugins.module_utils import catalog as catalog_mod
    return catalog_mod.load()
