# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 12: ``scripts/audit.sh INVENTORY -e '{"banned_av_report_dir": ...}'`` (or ``-e @file``) wrote
to ``./banned_av_reports`` instead.  The script now prints the summary from the directory the
playbook actually used, whatever form the user gave it in."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest

pytest.importorskip('ansible_runner')

from ansible_collections.fleetsec.banned_av.tests.integration import playbook_runs as pr  # noqa: E402

SCRIPT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', 'scripts', 'audit.sh'))


@pytest.fixture
def workdir(tmp_path, fleet_roots):
    inventory = pr.write_inventory(tmp_path / 'inventory.json', pr.inventory(fleet_roots, ('clean-01', 'kesl-01')))
    settings = tmp_path / 'settings.json'
    settings.write_text(json.dumps(pr.extravars()))
    return tmp_path, inventory, str(settings)


def summary_of(out, report_dir):
    assert '# Banned anti-virus compliance' in out, out[-3000:]
    assert '(reports in %s)' % report_dir in out, out[-3000:]


def test_report_dir_given_as_json_extra_vars(workdir):
    base, inventory, settings = workdir
    target = str(base / 'json-form')
    rc, out = pr.run_cli(['bash', SCRIPT, inventory, '-e', json.dumps({'banned_av_report_dir': target}),
                          '-e', '@' + settings], cwd=base)
    assert rc != 0, 'kesl-01 is noncompliant'
    assert os.path.isfile(os.path.join(target, 'banned_av_report.md')), out[-3000:]
    assert not os.path.exists(str(base / 'banned_av_reports')), 'wrote into ./banned_av_reports'
    summary_of(out, target)


def test_report_dir_given_in_a_vars_file(workdir):
    base, inventory, settings = workdir
    target = str(base / 'file-form')
    more = base / 'more.yml'
    more.write_text('banned_av_report_dir: %s\n' % target)
    rc, out = pr.run_cli(['bash', SCRIPT, inventory, '-e', '@' + settings, '-e', '@' + str(more)], cwd=base)
    assert rc != 0
    assert os.path.isfile(os.path.join(target, 'banned_av_report.md')), out[-3000:]
    assert not os.path.exists(str(base / 'banned_av_reports'))
    summary_of(out, target)


def test_default_report_dir_is_under_the_working_directory(workdir):
    base, inventory, settings = workdir
    rc, out = pr.run_cli(['bash', SCRIPT, inventory, '-e', '@' + settings, '--limit', 'clean-01'], cwd=base)
    assert rc == 0, out[-3000:]
    summary_of(out, str(base / 'banned_av_reports'))
