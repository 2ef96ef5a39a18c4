# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""patterns: catalogue globs and regular expressions as the matcher and the collectors apply them.

``glob_match`` skips compiling a glob whose literal start rules a value out; it must still give
exactly ``fnmatch.fnmatchcase``'s answer, for the built-in catalogue's globs and for hostile ones.
The POSIX collector, shipped to every target, must not carry the catalogue's validation code.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch
import json
import random

import pytest

from ansible_collections.fleetsec.banned_av.plugins.module_utils import catalog as catalog_mod
from ansible_collections.fleetsec.banned_av.plugins.module_utils import patterns
from ansible_collections.fleetsec.banned_av.tests.support import roots

GLOB_FIELDS = catalog_mod.GLOB_KINDS + catalog_mod.PATH_KINDS


def builtin_globs():
    found = set()
    for entry in catalog_mod.load().entries:
        for kind in GLOB_FIELDS:
            found.update(entry['match'].get(kind) or [])
    return sorted(found)


def near_misses(pattern, rng):
    """Values around ``pattern``: its wildcards filled in, cut short, grown, case changed, one
    character changed at each position."""
    filled = pattern.replace('*', 'x').replace('?', 'y')
    filled = ''.join(c for c in filled if c not in '[]')
    values = {pattern, filled, filled.upper(), filled[:-1], filled + 'z', filled + '/sub', '', '/', 'kesl'}
    for i in range(len(filled)):
        values.add(filled[:i] + rng.choice('a/.-_*?[') + filled[i + 1:])
        values.add(filled[:i])
    return sorted(values)


def test_glob_match_is_fnmatchcase_on_every_builtin_glob():
    rng = random.Random(20261206)
    globs = builtin_globs()
    assert len(globs) > 100  # the whole catalogue, not a sample that checks nothing
    checked = matched = 0
    for pattern in globs:
        for value in near_misses(pattern, rng):
            assert patterns.glob_match(value, pattern) == fnmatch.fnmatchcase(value, pattern), (value, pattern)
            checked += 1
            matched += fnmatch.fnmatchcase(value, pattern)
    assert matched > len(globs) // 2 and checked - matched > len(globs)  # both answers were exercised


@pytest.mark.parametrize('value, pattern', [
    ('kesl', 'kesl'), ('kesl', 'KESL'), ('kesl', 'kesl*'), ('kesl-gui', 'kesl*'), ('ke', 'kesl*'),
    ('', ''), ('', '*'), ('a', ''), ('x', '?'), ('', '?'), ('ab', '?b'), ('kesl', '[kK]esl'),
    ('Kesl', '[kK]esl'), ('[kesl', '[kesl'), ('[', '['), ('a[', 'a['), ('a]', 'a]'), ('a!', 'a[!b]'),
    ('ab', 'a[!b]'), ('/opt/kaspersky/kesl/bin', '/opt/kaspersky/*'), ('/opt/kaspersky', '/opt/kaspersky/*'),
    ('/opt/kasperskyx/a', '/opt/kaspersky/*'), ('C:\\Program Files\\Kaspersky Lab\\x', 'c:\\program files\\kaspersky lab\\*'),
    ('a\nb', 'a*b'), ('a.b', 'a.b'), ('axb', 'a.b'), ('a+b', 'a+b'), ('a(b', 'a(b'), ('a\\', 'a\\'),
])
def test_glob_match_is_fnmatchcase_on_hostile_globs(value, pattern):
    assert patterns.glob_match(value, pattern) == fnmatch.fnmatchcase(value, pattern)


def test_glob_match_on_random_globs():
    rng = random.Random(7)
    alphabet = 'ab*?[]!/.\\'
    for _round in range(20000):
        pattern = ''.join(rng.choice(alphabet) for _char in range(rng.randint(0, 6)))
        value = ''.join(rng.choice('ab[]!/.\\') for _char in range(rng.randint(0, 6)))
        assert patterns.glob_match(value, pattern) == fnmatch.fnmatchcase(value, pattern), (value, pattern)


TARGET_CHILD = r'''
import json, sys
from ansible_collections.fleetsec.banned_av.plugins.module_utils import posix_collect
prefix = 'ansible_collections.fleetsec.banned_av.plugins.module_utils.'
args = json.load(sys.stdin)
out = []
for root in ('/', args['root']):  # a live scan (of this machine), then the offline image
    inventory = posix_collect.collect(args['probe'], root=root)
    out.append({'platform': inventory['platform'], 'packages': [p['name'] for p in inventory['packages']],
                'modules': sorted(m[len(prefix):] for m in sys.modules if m.startswith(prefix))})
print(json.dumps(out))
'''


def test_the_posix_collector_carries_no_catalogue_code(tmp_path):
    """The module every target compiles on each run (AnsiballZ ships source, not bytecode): it
    filters with ``patterns``, never with the catalogue's loader and checker, and a live scan does
    not import the offline Windows reader either."""
    root = roots.linux_root(str(tmp_path), packages=[('kesl', '12.1.0.1297')])
    probe = {'linux': {'packages': ['kesl*'], 'maintainers': ['(?i)kaspersky']}}
    rc, out, err = roots.run_child(TARGET_CHILD, json.dumps({'probe': probe, 'root': root}))
    assert rc == 0, err[-2000:]
    live, image = json.loads(out)
    assert live['platform'] == 'linux' and live['modules'] == ['parsers', 'patterns', 'posix_collect', 'rootfs'], live
    assert image['packages'] == ['kesl']  # the collector ran and filtered with the probe
    assert not set(image['modules']) & {'catalog', 'regex_subset', 'matcher'}, image
