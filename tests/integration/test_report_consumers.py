# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The reports as tools that no one here wrote read them.

A mixed fleet (clean, banned, waived, warning, two kinds of unknown) is detected from real raw
inventories and evaluated with the built-in catalogue and policies, then written in every
format by the report writer.  Then:

* Microsoft's SARIF Multitool (``@microsoft/sarif-multitool-linux`` 5.7.0, installed by
  ``scripts/bootstrap.sh`` into ``$BANNED_AV_CACHE/npm``; ``SARIF_MULTITOOL`` overrides the
  path) validates the SARIF log with the SARIF and GitHub rule kinds
  (``validate --rule-kind "Sarif;Gh"``), once with its default configuration and once with
  every GitHub ingestion rule (GH1xxx, off by default) turned on: no error, no warning.
* ``junitparser`` reads the JUnit file: one case per host, failures exactly for the failing
  statuses.

The raw inventories were collected from the bench containers (``bench/fixtures``: a Debian 12
host with the fake ``kesl``, ``kesl-gui`` and ``klnagent64`` packages of
``tests/fixtures/packages``, and a clean one) and from the Windows fixtures of the unit tests
(``tests/unit/fixtures/windows``, which cite their sources).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import json
import os
import re
import subprocess

import pytest

from ansible_collections.fleetsec.banned_av.plugins.action import av_facts
from ansible_collections.fleetsec.banned_av.plugins.action import compliance_report
from ansible_collections.fleetsec.banned_av.plugins.module_utils import catalog as catalog_mod
from ansible_collections.fleetsec.banned_av.plugins.module_utils import policy as policy_mod
from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports import writer

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
CACHE = os.environ.get('BANNED_AV_CACHE') or os.path.join(os.path.expanduser('~'), '.cache', 'fleetsec-banned-av')
MULTITOOL = os.environ.get('SARIF_MULTITOOL') or os.path.join(
    CACHE, 'npm', 'node_modules', '@microsoft', 'sarif-multitool-linux', 'Sarif.Multitool')


def _json(*parts):
    with open(os.path.join(ROOT, *parts), encoding='utf-8') as handle:
        return json.load(handle)


def _fleet():
    """``(name, groups, raw inventory or None, state)`` of every host of the mixed fleet."""
    kesl = _json('bench', 'fixtures', 'raw_inventory_kesl.json')
    clean = _json('bench', 'fixtures', 'raw_inventory_clean.json')
    return [
        ('clean-01.example.com', ['linux'], clean, {}),
        ('kesl-01.example.com', ['linux'], kesl, {}),
        ('kesl-lab-01.example.com', ['linux', 'lab'], kesl, {}),
        ('win-kes12-01.example.com', ['windows'], _json('tests', 'unit', 'fixtures', 'windows', 'kes12.json')['inventory'], {}),
        ('home-ultraav-01.example.com', ['windows'], _json('tests', 'unit', 'fixtures', 'windows', 'ultraav.json')['inventory'], {}),
        ('gone-01.example.com', ['linux'], None, {'unreachable': True, 'msg': 'Failed to connect to the host via ssh'}),
        ('broken-01.example.com', ['linux'], None, {'failed': True, 'msg': 'the collector returned no inventory'}),
    ]


@pytest.fixture(scope='module')
def reports(tmp_path_factory):
    catalog = catalog_mod.load()
    waivers = [{'id': 'WVR-7', 'groups': ['lab'], 'products': ['kaspersky.*'], 'expires': '2027-03-31',
                'owner': 'ops@example.com', 'ticket': 'CHG-1234', 'reason': 'lab appliance, replacement scheduled'}]
    as_of, policy_version, policies, waivers = policy_mod.load_context('2026-11-27', [], [], waivers)
    records = []
    for name, groups, inventory, state in _fleet():
        facts = av_facts.build_facts(inventory, catalog, '2026-11-27T10:00:00Z') if inventory else None
        records.append(policy_mod.evaluate_host(name, facts, policies, waivers, as_of, groups, state))
    run = {'generated_at': '2026-11-27T12:00:00Z', 'ansible_version': 'test', 'collection_version': '1.0.0',
           'catalog_version': catalog.version, 'policy_version': policy_version, 'as_of': as_of.isoformat(),
           'awx_job_id': None, 'awx_job_template': None, 'play': 'audit', 'check_mode': False, 'user': 'test'}
    report = compliance_report.build_report(records, run, policies)
    out = str(tmp_path_factory.mktemp('reports'))
    paths = writer.write_reports(report, out, list(writer.FORMATS), catalog_entries=catalog.entries)
    statuses = dict((h['name'], h['status']) for h in report['hosts'])
    # the fleet is as mixed as the test says
    assert sorted(set(statuses.values())) == ['compliant', 'noncompliant', 'unknown', 'waived', 'warning'], statuses
    return report, paths


# ------------------------------------------------------------------------- SARIF Multitool

def _multitool(args, cwd):
    if not (os.path.isfile(MULTITOOL) and os.access(MULTITOOL, os.X_OK)):
        pytest.skip('the SARIF Multitool is not installed at %s (scripts/bootstrap.sh installs it with npm)' % MULTITOOL)
    env = dict(os.environ, DOTNET_CLI_TELEMETRY_OPTOUT='1')
    proc = subprocess.run([MULTITOOL] + args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                          timeout=600, check=False)
    return proc.returncode, proc.stdout.decode('utf-8', 'replace')


def _gh_strict_config(directory):
    """The Multitool's configuration with every GitHub ingestion rule (GH1xxx, off by default) on."""
    path = os.path.join(directory, 'all-rules.xml')
    code, output = _multitool(['export-validation-config', path], directory)
    assert code == 0 and os.path.isfile(path), output
    with open(path, encoding='utf-8-sig') as handle:
        text = handle.read()
    text, count = re.subn(r'(<Properties Key="GH1\d+\.[^"]+\.Options">\s*<Property Key="RuleEnabled" )Value="Default"',
                          r'\1Value="Error"', text)
    assert count >= 10, 'the GitHub rules were not found in the exported configuration'
    with open(path, 'w', encoding='utf-8') as handle:
        handle.write(text)
    return path


def _run_validate(sarif_path, config=None):
    """Run ``validate --rule-kind "Sarif;Gh"``; ``(exit code, output, path of its log)``."""
    directory = os.path.dirname(sarif_path)
    log = os.path.join(directory, 'validation%s.sarif' % ('-strict' if config else ''))
    args = ['validate', '--rule-kind', 'Sarif;Gh', '--level', 'Error;Warning;Note', '--log', 'ForceOverwrite',
            '--output', log]
    if config:
        args += ['--config', config]
    code, output = _multitool(args + [sarif_path], directory)
    return code, output, log


def _validate(sarif_path, config=None):
    """``{(rule id, level): count}`` of what the validation reports, and its output."""
    code, output, log = _run_validate(sarif_path, config)
    assert code == 0, output
    assert 'UnhandledEngineException' not in output and 'ERR999' not in output, output
    with open(log, encoding='utf-8-sig') as handle:
        validation = json.load(handle)
    found = collections.Counter()
    for run in validation['runs']:
        for result in run.get('results') or []:
            found[(result['ruleId'], result.get('level', 'warning'))] += 1
        for invocation in run.get('invocations') or []:
            for note in invocation.get('toolConfigurationNotifications') or []:
                found[('configuration', note.get('level', 'warning'))] += 1
    return found, output


# Notes the Multitool may leave on a report of hosts, and why they stay (docs/reports.md):
EXPECTED_NOTES = {
    'SARIF2003',  # no versionControlProvenance: hosts are not files of a repository
    'SARIF2006',  # helpUri/$schema not reachable: checked over HTTP, and this machine is offline
    'SARIF2009',  # rule ids are the catalogue ids, not a tool prefix and a number
    'SARIF2010',  # no region snippet: the location hosts/<host> is not a file with code
    'SARIF2011',  # no context region: likewise
}


@pytest.mark.parametrize('strict', [False, True], ids=['default-rules', 'all-github-rules'])
def test_sarif_multitool_finds_no_error_and_no_warning(reports, strict):
    _report, paths = reports
    config = _gh_strict_config(os.path.dirname(paths['sarif'])) if strict else None
    found, output = _validate(paths['sarif'], config)
    bad = dict((key, n) for key, n in found.items() if key[1] in ('error', 'warning'))
    assert not bad, 'the SARIF Multitool reports errors or warnings: %s\n%s' % (bad, output)
    unexpected = set(rule for rule, _level in found) - EXPECTED_NOTES
    assert not unexpected, 'notes not explained in docs/reports.md: %s\n%s' % (sorted(unexpected), output)


def _broken_copy(paths, directory, name, damage):
    with open(paths['sarif'], encoding='utf-8') as handle:
        log = json.load(handle)
    damage(log['runs'][0])
    path = os.path.join(directory, name)
    with open(path, 'w', encoding='utf-8') as handle:
        json.dump(log, handle)
    return path, log['runs'][0]


def test_the_multitool_does_see_what_is_wrong(reports, tmp_path):
    """The validations above can fail: a copy of the log whose rules have no help, and one whose
    results have only logical locations (what the report had before), do not pass."""
    _report, paths = reports

    def no_help(run):
        for rule in run['tool']['driver']['rules']:
            del rule['help']

    def no_file(run):
        for result in run['results']:
            for location in result['locations']:
                del location['physicalLocation']

    path, run = _broken_copy(paths, str(tmp_path), 'no-help.sarif', no_help)
    found, _output = _validate(path)
    assert found[('GH2012', 'error')] == len(run['tool']['driver']['rules'])
    path, run = _broken_copy(paths, str(tmp_path), 'no-file.sarif', no_file)
    code, output, _log = _run_validate(path, _gh_strict_config(str(tmp_path)))
    # GH1001 finds every result without a file location; Multitool 5.7.0 then fails while
    # formatting its own message (ERR999): either way the log does not pass
    assert code != 0 and ('GH1001' in output or 'ERR999' in output), output


# ------------------------------------------------------------------------- JUnit

def test_junitparser_reads_one_case_per_host_with_the_right_failures(reports):
    junitparser = pytest.importorskip('junitparser')
    report, paths = reports
    xml = junitparser.JUnitXml.fromfile(paths['junit'])
    suites = list(xml) if isinstance(xml, junitparser.JUnitXml) else [xml]
    assert len(suites) == 1
    suite = suites[0]
    cases = dict((case.name, case) for case in suite)
    assert sorted(cases) == sorted(h['name'] for h in report['hosts'])
    failing = policy_mod.FAILING
    for host in report['hosts']:
        case = cases[host['name']]
        failures = [r for r in case.result if isinstance(r, junitparser.Failure)]
        errors = [r for r in case.result if isinstance(r, (junitparser.Error, junitparser.Skipped))]
        assert not errors, host['name']
        if host['status'] in failing:
            assert len(failures) == 1 and failures[0].type == host['status'], host['name']
            assert host['reasons'][0].split()[0] in failures[0].message
        else:
            assert failures == [] and case.is_passed, host['name']
    assert suite.tests == len(report['hosts'])
    assert suite.failures == sum(1 for h in report['hosts'] if h['status'] in failing)
    assert suite.errors == 0 and suite.skipped == 0
