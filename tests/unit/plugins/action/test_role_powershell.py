# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The PowerShell the roles send with ansible.windows.win_powershell must parse.

No PowerShell runs here; tree-sitter-powershell checks each script of the roles' task files
(the same parser as tests/unit/plugins/modules/test_ps1_parse.py). A grammar is not
PowerShell: this proves the scripts are well formed, not that they run.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest
import yaml

from ansible_collections.fleetsec.banned_av.tests.unit.plugins.modules.test_ps1_parse import syntax_problems

tree_sitter = pytest.importorskip('tree_sitter')
tsp = pytest.importorskip('tree_sitter_powershell')

ROLES = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'roles'))


def _tasks(items):
    for task in items or []:
        if not isinstance(task, dict):
            continue
        yield task
        for key in ('block', 'rescue', 'always'):
            yield from _tasks(task.get(key))


def scripts():
    found = []
    for role in sorted(os.listdir(ROLES)):
        tasks = os.path.join(ROLES, role, 'tasks')
        for name in sorted(os.listdir(tasks)) if os.path.isdir(tasks) else []:
            with open(os.path.join(tasks, name)) as handle:
                data = yaml.safe_load(handle)
            for task in _tasks(data):
                module = task.get('ansible.windows.win_powershell')
                if isinstance(module, dict) and module.get('script'):
                    found.append(('%s/%s: %s' % (role, name, task.get('name')), module['script']))
    return found


@pytest.fixture(scope='module')
def parser():
    return tree_sitter.Parser(tree_sitter.Language(tsp.language()))


def test_the_roles_have_powershell_to_check():
    names = [name for name, _script in scripts()]
    assert any('defender_state.yml' in n for n in names) and any('windows_preflight.yml' in n for n in names)


@pytest.mark.parametrize('name, script', scripts(), ids=[n for n, _s in scripts()])
def test_every_role_script_parses(parser, name, script):
    problems = syntax_problems(parser, script.encode('utf-8'))
    assert not problems, '%s does not parse:\n  %s' % (name, '\n  '.join(problems))


def test_the_check_sees_a_broken_script(parser):
    assert syntax_problems(parser, b'param([string]$x)\nif ($x) {\n  $y = 1\n')
