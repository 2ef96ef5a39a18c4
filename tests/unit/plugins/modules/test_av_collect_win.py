# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What can be proved about av_collect_win.ps1 without running it (no PowerShell here).

The file is parsed with tree-sitter-powershell (comments set aside where they could hide or
fake a construct).  These are the properties issue 13 asks of a thin collector: at most 350
lines, no product name, no regular expression of the catalogue, no interpretation to speak of,
a deadline on every step and one on all of them together (``limits.total``), no write to the
host (the event log included), and every key the controller reads from the dump written by it.  What only a Windows host can confirm is listed
in docs/windows-images.md ("Windows collector").
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

import pytest

from ansible_collections.fleetsec.banned_av.plugins.module_utils import windows_request

tree_sitter = pytest.importorskip('tree_sitter')
tsp = pytest.importorskip('tree_sitter_powershell')

MODULE = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'plugins', 'modules',
                                      'av_collect_win.ps1'))


@pytest.fixture(scope='module')
def source():
    with open(MODULE, 'rb') as handle:
        return handle.read()


@pytest.fixture(scope='module')
def tree(source):
    return tree_sitter.Parser(tree_sitter.Language(tsp.language())).parse(source)


def nodes(node, kind):
    found = [node] if node.type == kind else []
    for child in node.children:
        found.extend(nodes(child, kind))
    return found


@pytest.fixture(scope='module')
def code(source, tree):
    """The source without its comments."""
    text = bytearray(source)
    for comment in nodes(tree.root_node, 'comment'):
        text[comment.start_byte:comment.end_byte] = b' ' * (comment.end_byte - comment.start_byte)
    return text.decode('utf-8')


@pytest.fixture(scope='module')
def commands(source, tree):
    """``[(command name, whole command text)]`` of every command invocation."""
    out = []
    for node in nodes(tree.root_node, 'command'):
        text = source[node.start_byte:node.end_byte].decode('utf-8')
        out.append((text.split()[0], text))
    return out


def test_at_most_350_lines(source):
    assert len(source.decode('utf-8').splitlines()) <= 350


def test_no_product_name(source, catalog):
    """No name of the catalogue is in the file, comments included: products, vendors, families,
    services, drivers, processes, registry keys and directories all come with the request."""
    words = set()
    for entry in catalog.entries:
        words.update([entry['vendor'], entry['product'], entry['family']])
        match = entry['match']
        for kind in ('services', 'drivers', 'processes'):
            words.update(match.get(kind, []))
        for kind in ('registry', 'files', 'paths'):
            for pattern in match.get(kind, []):
                words.update(p for p in re.split(r'[\\/]', pattern) if len(p) > 3)
    words = set(re.sub(r'[*?\[\]]|\.exe$', '', w).strip().lower() for w in words)
    words -= {'', 'hklm', 'hku', 'software', 'wow6432node', 'program files', 'program files (x86)', 'programdata', 'windows', 'system32',
              'drivers', 'microsoft', 'opt', 'etc', 'var', 'library', 'application support', 'applications', 'usr', 'lib',
              'local', 'bin', 'protection', 'microsoft defender', 'defender', 'windefend', 'msmpeng', 'protected',
              'components', 'connectors', 'statistics', 'avstate'}
    text = source.decode('utf-8').lower()
    assert len(words) > 50
    assert [w for w in sorted(words) if re.search(r'(?<![a-z0-9])%s(?![a-z0-9])' % re.escape(w), text)] == []


def test_no_regular_expression_runs_on_request_data(code):
    """Regexes of the catalogue are never sent (windows_request) nor built here: the only -match
    is the module's own, literal, drive-letter check."""
    assert not re.search(r'\[regex\]|Regex\]::|RegularExpressions|Select-String', code, re.IGNORECASE)
    operators = re.findall(r"-(?:c|i)?(?:not)?(?:match|replace|split)\s+('[^']*'|\S+?)(?=[\s)])", code, re.IGNORECASE)
    assert operators == ["'^[A-Za-z]:\\\\'"]


def test_a_negative_control_finds_a_regex(tree):
    """The regex check can fail: the old collector compiled the probe's expressions with .NET."""
    old = "$list.Add([System.Text.RegularExpressions.Regex]::new($pattern, $regexOptions, $regexTimeout))"
    assert re.search(r'RegularExpressions', old)
    assert re.findall(r"-(?:c|i)?(?:not)?(?:match|replace|split)\s+('[^']*'|\S+?)(?=[\s)])", "if ($x -match $pattern) {}") == ['$pattern']


@pytest.mark.parametrize('forbidden', [
    'Get-Process', 'MainModule', 'Win32_Product', 'Get-WmiObject', 'Get-MpComputerStatus', 'Get-Service',
    'Set-ItemProperty', 'New-Item', 'Remove-Item', 'CreateSubKey', 'DeleteValue', 'SetValue(', 'DeleteSubKey',
    'Start-Service', 'Stop-Service', 'Set-Service', 'reg.exe', 'LoadHive', 'RegLoadKey', 'Write-EventLog',
    'LogEvent', 'New-EventLog', 'Invoke-Expression', 'iex ',
])
def test_reads_only_and_never_the_slow_or_unsafe_sources(code, forbidden):
    assert forbidden.lower() not in code.lower()


def test_registry_keys_are_opened_read_only(code):
    opens = re.findall(r'OpenSubKey\(([^)]*)\)', code)
    assert opens and all(args.split(',')[-1].strip() == '$false' for args in opens), opens
    assert 'RegistryView]::Registry64' in code


def test_the_event_log_gets_no_invocation(code):
    """Ansible.Basic logs "Invoked with: <arguments>" to the Application event log unless the
    argument spec says no_log (Ansible.Basic.cs: `if (!NoLog) LogEvent(...)`)."""
    spec = re.search(r'\$spec = @\{(.*?)\n\}', code, re.DOTALL).group(1)
    assert re.search(r'^\s*no_log = \$true\s*$', spec, re.MULTILINE)
    assert re.search(r"request = @\{ type = 'dict'; required = \$true \}", spec)


def test_every_step_runs_with_a_deadline(code, commands):
    """Each operation runs through Invoke-Step, which waits on the step's runspace with a timeout
    (WaitOne) and stops it when the time is up; every CIM query has -OperationTimeoutSec."""
    steps = re.findall(r'^\$(\w+Step) = \{', code, re.MULTILINE)
    assert steps == ['registryStep', 'scmStep', 'pathsStep', 'cimStep']
    invoked = [re.search(r'-Body \$(\w+)', text).group(1) for name, text in commands if name == 'Invoke-Step']
    assert sorted(invoked) == sorted(steps)
    body = re.search(r'Function Invoke-Step \{(.*?)\n\}', code, re.DOTALL).group(1)
    assert 'BeginInvoke()' in body and 'AsyncWaitHandle.WaitOne($Seconds * 1000)' in body and 'BeginStop' in body
    cim = [text for name, text in commands if name == 'Get-CimInstance']
    assert cim == ['Get-CimInstance @query']
    assert re.search(r'\$query = @\{[^}]*OperationTimeoutSec = \[Math\]::Min\(\[Int32\]\$Lim\.cim, \$Sec\)', code)


def test_no_step_outlives_the_collectors_total_budget(code):
    """The collector's clock starts before anything else runs; every step's wait is first cut to
    the whole seconds left of limits.total (recorded as 'total'), a step with none left is not
    started and is a timeout of 0, and the step's seconds are what its runspace gets as $Sec
    (the CIM query's -OperationTimeoutSec is at most that, checked above)."""
    statements = [line.strip() for line in code.splitlines() if line.strip()]
    clock = statements.index('$budget = [System.Diagnostics.Stopwatch]::StartNew()')
    assert clock < min(i for i, s in enumerate(statements) if s.startswith('$module ='))
    body = re.search(r'Function Invoke-Step \{(.*?)\n\}', code, re.DOTALL).group(1)
    lines = [line.strip() for line in body.splitlines() if line.strip()]
    left = lines.index('$left = [Math]::Floor([Double]($limits.total * 1000 - $budget.ElapsedMilliseconds) / 1000)')
    assert lines[left + 1] == 'if ($left -lt $Seconds) { $Seconds = [Math]::Max(0, $left); $record.total = $limits.total }'
    assert lines[left + 2] == 'if ($Seconds -lt 1) { $record.timeout = 0; return , $null }'
    # the record is in dump.steps before the early return, and nothing is started before the check
    assert lines.index('$dump.steps[$Name] = $record') < left
    assert left < min(i for i, line in enumerate(lines) if '[PowerShell]::Create()' in line or 'BeginInvoke' in line)
    assert '.AddArgument($Seconds)' in body and "param(`$Req, `$Lim, `$Sec)" in body
    # $Seconds is only changed by the budget check: the wait is the cut value
    assert [line for line in lines if re.match(r'\$Seconds\s*=', line)] == []
    assert len(re.findall(r'\$Seconds = ', body)) == 1


def test_a_negative_control_finds_a_step_without_the_budget():
    """The budget check can fail: the old Invoke-Step waited $Seconds whatever the time left."""
    old = "$record = [Ordered]@{ ms = 0 }\n$clock = [System.Diagnostics.Stopwatch]::StartNew()\n"
    assert '$left = [Math]::Floor' not in old
    assert not re.search(r'OperationTimeoutSec = \[Math\]::Min\(\[Int32\]\$Lim\.cim, \$Sec\)',
                         "$query = @{ Namespace = $Req['namespace']; OperationTimeoutSec = $Lim.cim }")


def test_processes_paths_come_from_win32_process(code):
    request = windows_request.build({'processes': ['avp.exe']}).args
    query = [q for q in request['cim'] if q['id'] == 'processes'][0]
    assert (query['class'], query['properties']) == ('Win32_Process', ['Name', 'ProcessId', 'ExecutablePath'])
    assert '.Path' not in code.replace('.PathTo', '')


@pytest.mark.parametrize('key', ['schema', 'host', 'os64', 'ps64', 'env', 'steps', 'ms', 'timeout', 'total', 'error',
                                 'found', 'lists', 'errors', 'scm', 'v', 'm', 't', 'd', 'n', 'k', 'f', 'c', 'w', 'e',
                                 'i', 'p', 'a', 's', 'items', 'registry', 'paths', 'cim', 'dump'])
def test_every_dump_key_the_controller_reads_is_written(code, key):
    assert re.search(r'(?:[@{;(]\s*|\$\w+(?:\.\w+)*\.|^\s*)%s\s*=' % key, code, re.MULTILINE), key


@pytest.mark.parametrize('key', ['limits', 'env', 'registry', 'paths', 'cim', 'path', 'list', 'like', 'read', 'keep',
                                 'names', 'text', 'id', 'namespace', 'class', 'properties', 'select', 'filter', 'total',
                                 'seconds'])
def test_every_request_key_is_read(code, key):
    assert re.search(r"\.%s\b|\['%s'\]" % (key, key), code), key
    assert key not in ('keys', 'values', 'count', 'item')  # PowerShell would read the dictionary's property


DOC = os.path.abspath(os.path.join(os.path.dirname(MODULE), '..', '..', 'docs', 'windows-images.md'))


def doc_line_groups():
    """``[(first, last, anchor)]`` of the docs' table of what only a Windows host can confirm."""
    with open(DOC, encoding='utf-8') as handle:
        text = handle.read()
    section = text[text.index('### What only a Windows host can confirm'):]
    rows = re.findall(r'^\| (\d+)–(\d+) \| ([^|]*) \|', section, re.MULTILINE)
    return [(int(a), int(b), (re.findall(r'`([^`]+)`', group) or [None])[0]) for a, b, group in rows]


def test_the_unverified_line_groups_of_the_docs_cover_the_file(source):
    """docs/windows-images.md lists, line group by line group, what only a Windows host can
    confirm: the groups must cover every line, in order, and each must still hold its anchor."""
    lines = source.decode('utf-8').splitlines()
    groups = doc_line_groups()
    assert groups and groups[0][0] == 1 and groups[-1][1] == len(lines)
    for (first, last, _anchor), (following, _l, _a) in zip(groups, groups[1:]):
        assert following == last + 1, (first, last, following)
    for first, last, anchor in groups:
        if anchor is not None:
            assert any(anchor in line for line in lines[first - 1:last]), (first, last, anchor)
