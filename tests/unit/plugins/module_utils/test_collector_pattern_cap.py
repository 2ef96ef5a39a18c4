# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collectors search catalogue patterns in at most ``patterns.MAX_VALUE_LENGTH`` characters of
a host value, as the controller does (``patterns.compile_pattern``, one helper for both
collectors): a planted huge value cannot stall a scan with an accepted pattern."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.fleetsec.banned_av.plugins.module_utils import patterns as pattern_mod
from ansible_collections.fleetsec.banned_av.plugins.module_utils import posix_collect
from ansible_collections.fleetsec.banned_av.plugins.module_utils import windows_registry as wr
from ansible_collections.fleetsec.banned_av.tests.support import roots


# --------------------------------------------------------------------------- hostile values on the collector side
# An accepted pattern such as 'a.*z' is quadratic in the length of the value it searches: on a
# planted 200,000-character Maintainer or DisplayName it would not finish.  The collectors search
# at most patterns.MAX_VALUE_LENGTH characters, as the controller does (one shared helper).

HUGE = 200000


def test_a_huge_maintainer_cannot_stall_the_collector(tmp_path):
    root = roots.linux_root(str(tmp_path), packages=[dict(name='bakery-pos', version='2.1-1', maintainer='a' * HUGE)])
    result = roots.collect_in_child({'linux': {'maintainers': ['a.*z']}}, root, timeout=30)
    assert result['inventory']['packages'] == [] and result['inventory']['errors'] == []


REGISTRY_CHILD = r'''
import json, sys
from ansible_collections.fleetsec.banned_av.plugins.module_utils import windows_registry as wr
inventory = {'errors': []}
regexes = wr.compile_patterns({'display_name': ['a.*z']}, 'display_name', inventory)
print(json.dumps([wr.search_any('a' * %d, regexes), inventory['errors']]))
''' % HUGE


def test_a_huge_display_name_cannot_stall_the_windows_collectors():
    rc, out, err = roots.run_child(REGISTRY_CHILD, timeout=30)
    assert rc == 0, (rc, err[-2000:])
    assert out.decode().strip() == '[false, []]'


@pytest.mark.parametrize('compile_one', [
    lambda p: posix_collect.compile_patterns({'maintainers': [p]}, 'maintainers', {'errors': []})[0],
    lambda p: wr.compile_patterns({'display_name': [p]}, 'display_name', {'errors': []})[0],
    lambda p: pattern_mod.compile_pattern(p),  # pylint: disable=unnecessary-lambda
], ids=['posix_collect', 'windows_registry', 'catalog'])
def test_collectors_search_the_first_max_value_length_characters_like_the_controller(compile_one):
    regex = compile_one('Kaspersky Lab')
    near = 'x' * (pattern_mod.MAX_VALUE_LENGTH - len('Kaspersky Lab')) + 'Kaspersky Lab'
    far = 'x' * pattern_mod.MAX_VALUE_LENGTH + 'Kaspersky Lab'
    assert regex.search(near) and pattern_mod.search('Kaspersky Lab', near)
    assert not regex.search(far) and not pattern_mod.search('Kaspersky Lab', far)
    assert not regex.search('') and not regex.search(None)
