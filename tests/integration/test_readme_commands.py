# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The README's first command, as a new user runs it: ``scripts/audit.sh`` on this machine.

It must finish, write the reports, print the summary, and show no Python warning from a library
(the terminal is the product's face: a DeprecationWarning there reads like a fault).
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import subprocess

ROOT = os.environ.get('BANNED_AV_ROOT') or os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
# How Python's warnings module prints: "<file>:<line>: <Category>Warning: <message>"
PYTHON_WARNING = re.compile(r'^\S+:\d+: [A-Za-z_.]*Warning: ', re.MULTILINE)


def test_readme_audit_command(tmp_path):
    env = dict(os.environ)
    # as from a user's shell: nothing of the test environment's warning filters
    env.pop('PYTHONWARNINGS', None)
    proc = subprocess.run(['bash', os.path.join(ROOT, 'scripts', 'audit.sh')], cwd=str(tmp_path), env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, check=False, timeout=900)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert not PYTHON_WARNING.search(output), PYTHON_WARNING.search(output).group(0) + '\n' + output
    report = tmp_path / 'banned_av_reports' / 'banned_av_report.md'
    assert report.is_file(), output
    # the summary printed is the report written
    assert report.read_text(encoding='utf-8').strip() in proc.stdout
    assert 'localhost' in proc.stdout
