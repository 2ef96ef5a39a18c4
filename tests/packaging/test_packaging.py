# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection as users' tooling consumes it: the Galaxy tarball, ansible-doc on the installed
copy, and ansible-builder reading its execution-environment metadata.

Run by ``scripts/test.sh packaging`` from the repository root (BANNED_AV_ROOT). The tarball is
built from a copy of the working tree with the junk a working tree collects (test output, bench
results, reports, old tarballs, byte code), so build_ignore is what keeps it out.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shutil
import subprocess
import sys
import tarfile

import pytest
import yaml

ROOT = os.environ.get('BANNED_AV_ROOT') or os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
BIN = os.path.dirname(sys.executable)

# What a user runs: every plugin, both roles, the playbooks, the data, the docs, the metadata.
MUST_HAVE = [
    'MANIFEST.json', 'FILES.json', 'README.md', 'LICENSE', 'CHANGELOG.rst', 'changelogs/changelog.yaml',
    'meta/runtime.yml', 'meta/execution-environment.yml', 'meta/ee-requirements.txt', 'meta/ee-bindep.txt',
    'plugins/action/av_facts.py', 'plugins/action/compliance_report.py', 'plugins/modules/av_facts.py',
    'plugins/modules/av_collect_posix.py', 'plugins/modules/av_collect_win.ps1', 'plugins/module_utils/matcher.py',
    'roles/remediate/tasks/main.yml', 'roles/remediate/meta/argument_specs.yml',
    'roles/alternative_av/tasks/main.yml', 'roles/alternative_av/meta/argument_specs.yml',
    'playbooks/audit.yml', 'playbooks/enforce.yml', 'playbooks/merge_reports.yml',
    'catalog/products/kaspersky.yml', 'catalog/policies/bis-kaspersky-2024.yml',
    'docs/execution-environment/execution-environment.yml', 'docs/molecule.md',
]
# What users do not run: none of these prefixes may appear.
MUST_NOT_HAVE = ['bench/', 'roles/tools/', 'scripts/', '.ci/', 'tests/output/', 'banned_av_reports/',
                 'molecule/', 'roles/remediate/molecule/', 'roles/alternative_av/molecule/', 'requirements-dev.txt']
JUNK = ['tests/output/junit/unit.xml', 'bench/results/19990101T000000.json', 'banned_av_reports/banned_av_report.json',
        'fleetsec-banned_av-0.9.0.tar.gz', 'plugins/module_utils/__pycache__/matcher.cpython-311.pyc']


def run(argv, cwd=None, env=None):
    proc = subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, check=False)
    assert proc.returncode == 0, '%s failed (rc %d):\n%s%s' % (' '.join(argv), proc.returncode, proc.stdout, proc.stderr)
    return proc.stdout


def galaxy_version():
    with open(os.path.join(ROOT, 'galaxy.yml'), encoding='utf-8') as handle:
        return yaml.safe_load(handle)['version']


@pytest.fixture(scope='module')
def tarball(tmp_path_factory):
    base = tmp_path_factory.mktemp('build')
    tree = base / 'tree'
    ignore = shutil.ignore_patterns('.git', 'tests/output', '__pycache__', '.pytest_cache')
    shutil.copytree(ROOT, str(tree), ignore=ignore, symlinks=True)
    for junk in JUNK:
        path = tree / junk
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text('junk a working tree collects\n')
    out = base / 'out'
    out.mkdir()
    run([os.path.join(BIN, 'ansible-galaxy'), 'collection', 'build', '--output-path', str(out), str(tree)])
    path = out / ('fleetsec-banned_av-%s.tar.gz' % galaxy_version())
    assert path.is_file()
    return path


@pytest.fixture(scope='module')
def members(tarball):
    with tarfile.open(str(tarball)) as archive:
        return sorted(m.name for m in archive.getmembers())


@pytest.fixture(scope='module')
def installed(tarball, tmp_path_factory):
    dest = tmp_path_factory.mktemp('installed')
    run([os.path.join(BIN, 'ansible-galaxy'), 'collection', 'install', '--force', '--no-deps', '-p', str(dest), str(tarball)])
    return dest


def test_tarball_holds_what_users_run(members):
    missing = [name for name in MUST_HAVE if name not in members]
    assert not missing, 'missing from the tarball: %s' % missing


def test_tarball_holds_no_tooling_no_junk(members):
    found = [name for name in members for prefix in MUST_NOT_HAVE if name == prefix.rstrip('/') or name.startswith(prefix)]
    assert not found, 'not for users, but in the tarball: %s' % found[:20]
    assert not [name for name in members if name.endswith(('.pyc', '.tar.gz')) or '__pycache__' in name]


def test_manifest_names_the_collection(installed):
    with open(str(installed / 'ansible_collections' / 'fleetsec' / 'banned_av' / 'MANIFEST.json'), encoding='utf-8') as handle:
        info = json.load(handle)['collection_info']
    assert (info['namespace'], info['name'], info['version']) == ('fleetsec', 'banned_av', galaxy_version())


def test_ansible_doc_sees_exactly_the_two_roles(installed):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(installed), ANSIBLE_COLLECTIONS_SCAN_SYS_PATH='False')
    out = run([os.path.join(BIN, 'ansible-doc'), '-t', 'role', '-l', 'fleetsec.banned_av', '--json'], env=env)
    roles = sorted(json.loads(out))
    assert roles == ['fleetsec.banned_av.alternative_av', 'fleetsec.banned_av.remediate']
    out = run([os.path.join(BIN, 'ansible-doc'), '--json', 'fleetsec.banned_av.av_facts'], env=env)
    assert 'fleetsec.banned_av.av_facts' in json.loads(out)


def test_ansible_builder_introspect_lists_the_dependencies(installed):
    out = run([os.path.join(BIN, 'ansible-builder'), 'introspect', '--sanitize', str(installed)])
    data = yaml.safe_load(out)
    python = ' '.join(data['python'])
    for name in ('pywinrm', 'jmespath', 'regipy'):
        assert name in python, out
    assert any(line.startswith('rpm ') and 'platform:dpkg' in line for line in data['system']), out
    assert all('fleetsec.banned_av' in line for line in data['python'] + data['system']), out


@pytest.mark.parametrize('definition', ['execution-environment.yml', 'execution-environment-kerberos.yml'])
def test_ansible_builder_create_on_the_example(tarball, tmp_path, definition):
    work = tmp_path / 'ee'
    shutil.copytree(os.path.join(ROOT, 'docs', 'execution-environment'), str(work))
    shutil.copy(str(tarball), str(work / 'fleetsec-banned_av.tar.gz'))
    context = tmp_path / 'context'
    run([os.path.join(BIN, 'ansible-builder'), 'create', '-f', definition, '--context', str(context)], cwd=str(work))
    containerfile = (context / 'Containerfile').read_text()
    assert 'ansible-galaxy' in containerfile and 'requirements.yml' in containerfile
    assert (context / '_build' / 'collections' / 'fleetsec-banned_av.tar.gz').is_file()
    with open(str(context / '_build' / 'requirements.yml'), encoding='utf-8') as handle:
        names = [c['name'] for c in yaml.safe_load(handle)['collections']]
    assert 'collections/fleetsec-banned_av.tar.gz' in names
    assert 'ansible-core>=2.16,<2.22' in containerfile or 'ansible-core>=2.16,<2.22' in ''.join(
        p.read_text() for p in context.rglob('*') if p.is_file() and p.suffix in ('', '.txt'))


def test_role_readmes_match_their_argument_specs():
    proc = subprocess.run([sys.executable, os.path.join(ROOT, 'scripts', 'argspec_to_md.py'), '--check',
                           os.path.join(ROOT, 'roles', 'alternative_av'), os.path.join(ROOT, 'roles', 'remediate')],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    assert proc.returncode == 0, proc.stdout
