# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One vocabulary: statuses, verdicts, severities and actions are defined once, in vocabulary.py.

The guard test below reads every Python file in ``plugins/`` and fails when one of them holds
its own list of these words (two or more members of one vocabulary in a tuple, list or set
literal): such a copy is how the statuses drifted apart before (issue 17.6).
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ast
import os

import pytest

from ansible_collections.fleetsec.banned_av.plugins.module_utils import policy
from ansible_collections.fleetsec.banned_av.plugins.module_utils import vocabulary as voc
from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports import common

PLUGINS = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', '..', 'plugins'))


def test_statuses_and_their_order():
    assert voc.STATUSES == ('compliant', 'warning', 'noncompliant', 'waived', 'waiver_expired', 'unknown',
                            'remediated', 'reboot_pending', 'blocked', 'degraded')
    assert sorted(voc.STATUS_ORDER) == sorted(voc.STATUSES) and len(set(voc.STATUS_ORDER)) == len(voc.STATUSES)
    assert [voc.STATUS_RANK[s] for s in voc.STATUS_ORDER] == list(range(len(voc.STATUSES)))
    # failing statuses rank before every passing one; "needs action" is failing plus two
    assert max(voc.STATUS_RANK[s] for s in voc.FAILING) < min(voc.STATUS_RANK[s] for s in voc.STATUSES if s not in voc.FAILING)
    assert set(voc.NEEDS_ACTION) == set(voc.FAILING) | {'warning', 'reboot_pending'}
    assert set(voc.REMEDIATION_OUTCOMES) <= set(voc.STATUSES)


def test_default_fail_on_includes_unknown():
    """A host that could not be checked fails the run by default (fail closed, issue 12)."""
    assert 'unknown' in voc.DEFAULT_FAIL_ON
    assert set(voc.DEFAULT_FAIL_ON) == set(voc.FAILING)
    assert set(voc.DEFAULT_FAIL_ON) <= set(voc.STATUSES)


def test_verdicts_severities_actions():
    assert voc.VERDICTS == ('violation', 'waiver_expired', 'warning', 'info', 'residue', 'waived')
    assert 'ok' not in voc.VERDICTS, 'the unused verdict ok is gone'
    assert voc.FAILING_VERDICTS == ('violation', 'waiver_expired')
    assert voc.SEVERITIES == ('critical', 'high', 'medium', 'low')
    assert [voc.SEVERITY_RANK[s] for s in voc.SEVERITIES] == [0, 1, 2, 3]
    assert voc.POLICY_ACTIONS == ('enforce', 'warn', 'info')
    # what each action makes of a covered, installed product once its date has passed
    assert voc.ACTION_VERDICT == {'enforce': 'violation', 'warn': 'warning', 'info': 'info'}
    assert set(voc.SEVERITY_OF_STATUS) <= set(voc.STATUSES)


def test_policy_and_reports_use_the_same_objects():
    assert policy.STATUSES is voc.STATUSES and policy.FAILING is voc.FAILING
    assert policy.DEFAULT_FAIL_ON is voc.DEFAULT_FAIL_ON and policy.SEVERITIES is voc.SEVERITIES
    assert policy.REMEDIATION_OUTCOMES is voc.REMEDIATION_OUTCOMES
    assert common.STATUSES is voc.STATUSES and common.STATUS_ORDER is voc.STATUS_ORDER
    assert common.FAILING == frozenset(voc.FAILING) and common.NEEDS_ACTION == frozenset(voc.NEEDS_ACTION)
    assert common.VERDICTS is voc.VERDICTS and common.SEVERITIES is voc.SEVERITIES


#: literals that share words with a vocabulary but are not a copy of it: (file, vocabulary)
NOT_COPIES = {
    ('module_utils/catalog.py', 'severity'): 'catalogue confidence levels (high, medium, low), not severities',
    ('module_utils/regex_subset.py', 'severity'): "a pattern node's attribute names (its repeat bounds low and high), not severities",
    ('module_utils/reports/sarif_report.py', 'severity'): 'the severities SARIF marks as errors (lane C, reports)',
}

VOCABULARIES = {
    'status': set(voc.STATUSES),
    'verdict': set(voc.VERDICTS) | {'ok'},
    'severity': set(voc.SEVERITIES),
    'action': set(voc.POLICY_ACTIONS),
}


def _copies(path):
    with open(path) as handle:
        tree = ast.parse(handle.read(), path)
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            continue
        words = [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
        for name, vocabulary in VOCABULARIES.items():
            hits = [w for w in words if w in vocabulary]
            if len(hits) >= 2:
                yield node.lineno, name, hits


def test_no_copy_of_the_vocabulary_in_plugins():
    found = []
    for root, _dirs, files in os.walk(PLUGINS):
        for name in sorted(files):
            if not name.endswith('.py') or name == 'vocabulary.py':
                continue
            path = os.path.join(root, name)
            rel = os.path.relpath(path, PLUGINS).replace(os.sep, '/')
            for line, vocabulary, hits in _copies(path):
                if (rel, vocabulary) not in NOT_COPIES:
                    found.append('%s:%d %s %s' % (rel, line, vocabulary, hits))
    assert found == []


@pytest.mark.parametrize('source,expected', [
    ("STATES = ('compliant', 'unknown')", [(1, 'status', ['compliant', 'unknown'])]),
    ("if verdict in ['violation', 'waiver_expired']: pass", [(1, 'verdict', ['violation', 'waiver_expired'])]),
    ("x = {'critical', 'high'}", [(1, 'severity', ['critical', 'high'])]),
    ("x = ('compliant',)", []),
    ("x = {'violation': 'error', 'warning': 'warning'}", []),
])
def test_the_guard_sees_a_copy(tmp_path, source, expected):
    path = tmp_path / 'copy.py'
    path.write_text(source)
    assert list(_copies(str(path))) == expected


def test_report_action_documents_the_vocabulary():
    """The compliance_report docs state the same default fail_on and status choices as its argument spec."""
    import yaml
    from ansible_collections.fleetsec.banned_av.plugins.action import compliance_report as action
    from ansible_collections.fleetsec.banned_av.plugins.modules import compliance_report as module
    documented = yaml.safe_load(module.DOCUMENTATION)['options']['fail_on']
    assert documented['default'] == list(voc.DEFAULT_FAIL_ON) == action.ARGUMENT_SPEC['fail_on']['default']
    assert documented['choices'] == list(voc.STATUSES) == action.ARGUMENT_SPEC['fail_on']['choices']
