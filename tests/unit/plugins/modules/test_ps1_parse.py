# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every PowerShell file the collection ships must parse.

No PowerShell runs on the development and CI hosts, so a syntax error in a ``.ps1`` module would
only show up on the first Windows target. tree-sitter-powershell catches it here: the file is
parsed and the test fails on any ERROR or MISSING node, naming the file, line and column.

A grammar is not PowerShell itself: this proves the files are well formed, not that they run.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

tree_sitter = pytest.importorskip('tree_sitter')
tsp = pytest.importorskip('tree_sitter_powershell')

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))
EXTENSIONS = ('.ps1', '.psm1')
UTF8_BOM = b'\xef\xbb\xbf'


def powershell_files():
    """The .ps1/.psm1 files under plugins/ and roles/*/{files,library}, relative to the repo."""
    tops = [os.path.join(REPO_ROOT, 'plugins')]
    roles = os.path.join(REPO_ROOT, 'roles')
    if os.path.isdir(roles):
        for role in sorted(os.listdir(roles)):
            for sub in ('files', 'library'):
                tops.append(os.path.join(roles, role, sub))
    found = []
    for top in tops:
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames.sort()
            for name in sorted(filenames):
                if name.lower().endswith(EXTENSIONS):
                    found.append(os.path.relpath(os.path.join(dirpath, name), REPO_ROOT))
    return found


@pytest.fixture(scope='module')
def parser():
    return tree_sitter.Parser(tree_sitter.Language(tsp.language()))


def syntax_problems(parser, source):
    """Return one 'line L, column C: ...' string per ERROR or MISSING node (1-based positions)."""
    if source.startswith(UTF8_BOM):
        source = source[len(UTF8_BOM):]
    tree = parser.parse(source)
    problems = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.is_missing:
            problems.append((node.start_point, 'missing %r' % node.type))
        elif node.is_error:
            text = source[node.start_byte:node.end_byte].decode('utf-8', 'replace')
            first_line = text.splitlines()[0] if text else ''
            problems.append((node.start_point, 'cannot parse %r' % first_line[:80]))
        if node.has_error:
            stack.extend(node.children)
    # has_error on the root with no ERROR/MISSING node found would be a grammar oddity: report it.
    if tree.root_node.has_error and not problems:
        problems.append((tree.root_node.start_point, 'tree has an error but no ERROR/MISSING node'))
    return ['line %d, column %d: %s' % (point.row + 1, point.column + 1, msg) for point, msg in sorted(problems)]


def test_powershell_files_exist():
    """The collection ships the Windows collector: an empty parametrisation must not pass silently."""
    assert os.path.join('plugins', 'modules', 'av_collect_win.ps1') in powershell_files()


@pytest.mark.parametrize('path', powershell_files())
def test_powershell_file_parses(parser, path):
    with open(os.path.join(REPO_ROOT, path), 'rb') as handle:
        problems = syntax_problems(parser, handle.read())
    assert not problems, '%s does not parse:\n  %s' % (path, '\n  '.join(problems))


def test_valid_snippet_is_accepted(parser):
    """Positive control: constructs the modules rely on parse cleanly."""
    source = b'''#!powershell
#AnsibleRequires -CSharpUtil Ansible.Basic
$spec = @{ options = @{ probe = @{ type = 'dict'; required = $true } }; supports_check_mode = $true }
$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)
$list = [System.Collections.Generic.List[Object]]@()
try {
    $list.Add([Ordered]@{ name = 'avp.exe'; pid = 4 })
}
catch {
    $module.FailJson("failed: $($_.Exception.Message)", $_)
}
$module.Result.inventory = @{ processes = $list }
$module.ExitJson()
'''
    assert syntax_problems(parser, source) == []


@pytest.mark.parametrize('source, expected', [
    # an unclosed block: the closing brace is MISSING at the end of the file
    (b'function Get-Foo {\n    if ($x) {\n        $y = 1\n    }\n', "line 4, column 6: missing '}'"),
    # a closing brace without its block
    (b'$a = 1\n}\ncatch { $b = 2 }\n', 'line 2, column 1: cannot parse'),
    # an unterminated string in the middle of the file
    (b'$ok = 1\n$y = "abc\n$z = 3\n', 'line 2, column 1: cannot parse'),
    # a binary operator without its right operand
    (b'$ok = 1\nif ($a -eq) { 1 }\n$z = 2\n', "line 2, column 8: cannot parse '-eq'"),
])
def test_broken_snippet_is_rejected(parser, source, expected):
    """Negative control: the check can fail, and it says where."""
    problems = syntax_problems(parser, source)
    assert problems, 'a broken snippet was accepted: the parse test would never fail'
    assert any(p.startswith(expected) for p in problems), problems
