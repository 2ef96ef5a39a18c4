# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The playbooks' one input check (module_utils/inputs.py): every bad input is refused with the
name of the variable the user set, before anything runs on a host."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import os
import subprocess
import sys

import pytest
import yaml

from ansible_collections.fleetsec.banned_av.plugins.module_utils import inputs
from ansible_collections.fleetsec.banned_av.plugins.module_utils import policy as policy_mod


@pytest.fixture
def report_dir(tmp_path):
    return str(tmp_path / 'reports')


def check(playbook='audit', cwd=None, **given):
    given.setdefault('banned_av_report_dir', os.path.join(str(cwd or '/tmp'), 'reports-%d' % os.getpid()))
    return inputs.check(playbook, given, cwd=cwd)


def refused(variable, playbook='audit', cwd=None, **given):
    with pytest.raises(inputs.InputError) as info:
        check(playbook, cwd=cwd, **given)
    message = str(info.value)
    assert variable in message, message
    assert 'remediate_' not in message
    return message


def test_defaults_when_nothing_is_given(tmp_path):
    values = check('enforce', cwd=tmp_path, banned_av_report_dir='reports')
    assert values['banned_av_report_dir'] == str(tmp_path / 'reports') and os.path.isdir(values['banned_av_report_dir'])
    assert values['banned_av_fail_on'] == list(policy_mod.FAILING)
    assert 'unknown' in values['banned_av_fail_on'], 'a host that could not be checked must fail the run by default'
    assert values['banned_av_fail_on_violation'] is True and values['banned_av_persist_facts'] is False
    assert values['banned_av_report_formats'] == list(inputs.FORMATS)
    assert values['banned_av_as_of'] is None and values['banned_av_hosts'] == 'all'
    assert values['banned_av_replacement'] == 'clamav' and values['banned_av_serial'] == '100%'
    assert values['banned_av_remediation_fail_on'] == ['degraded']


def test_the_audit_spec_has_no_enforce_input():
    assert 'banned_av_replacement' not in inputs.spec('audit')
    # the enforce playbook takes every audit input, the previous report of the trend included
    assert set(inputs.spec('audit')) < set(inputs.spec('enforce'))
    with pytest.raises(inputs.InputError, match='playbook'):
        inputs.spec('merge')


@pytest.mark.parametrize('value', ['nope', 'maybe', 'tru', '2', ['true'], {'a': 1}])
def test_booleans_are_strict(tmp_path, value):
    refused('banned_av_fail_on_violation', cwd=tmp_path, banned_av_fail_on_violation=value)


@pytest.mark.parametrize('value,expected', [('false', False), ('no', False), ('True', True), ('yes', True), (0, False), (True, True)])
def test_boolean_survey_answers_are_read(tmp_path, value, expected):
    assert check(cwd=tmp_path, banned_av_fail_on_violation=value)['banned_av_fail_on_violation'] is expected


@pytest.mark.parametrize('value', ['9999-12-31', '0001-01-01', '1999-12-31', '2200-01-01', '27/11/2026', '2026-02-30', 'today'])
def test_as_of_outside_the_range_or_not_a_date_is_refused(tmp_path, value):
    refused('banned_av_as_of', cwd=tmp_path, banned_av_as_of=value)


@pytest.mark.parametrize('value,expected', [('2000-01-01', '2000-01-01'), ('2199-12-31', '2199-12-31'),
                                            (datetime.date(2026, 11, 27), '2026-11-27'), ('', None), ('  ', None)])
def test_as_of_in_range(tmp_path, value, expected):
    assert check(cwd=tmp_path, banned_av_as_of=value)['banned_av_as_of'] == expected


@pytest.mark.parametrize('value', [[], ['json', 'pdf'], ['JSON']])
def test_formats(tmp_path, value):
    refused('banned_av_report_formats', cwd=tmp_path, banned_av_report_formats=value)


def test_formats_as_a_comma_separated_string(tmp_path):
    assert check(cwd=tmp_path, banned_av_report_formats='json,csv')['banned_av_report_formats'] == ['json', 'csv']


def test_fail_on_choices(tmp_path):
    refused('banned_av_fail_on', cwd=tmp_path, banned_av_fail_on=['noncompliant', 'nonsense'])
    assert check(cwd=tmp_path, banned_av_fail_on=[])['banned_av_fail_on'] == []


def test_report_dir_empty(tmp_path):
    assert 'empty' in refused('banned_av_report_dir', cwd=tmp_path, banned_av_report_dir='')
    refused('banned_av_report_dir', cwd=tmp_path, banned_av_report_dir='   ')
    refused('banned_av_report_dir', cwd=tmp_path, banned_av_report_dir=['a'])


def test_report_dir_that_is_a_file_or_under_one(tmp_path):
    (tmp_path / 'file').write_text('x')
    assert 'is a file' in refused('banned_av_report_dir', cwd=tmp_path, banned_av_report_dir=str(tmp_path / 'file'))
    message = refused('banned_av_report_dir', cwd=tmp_path, banned_av_report_dir=str(tmp_path / 'file' / 'a' / 'b'))
    assert 'lies under %s' % (tmp_path / 'file') in message and '[Errno' not in message


def test_report_dir_behind_a_link_to_a_file(tmp_path):
    (tmp_path / 'file').write_text('x')
    os.symlink(str(tmp_path / 'file'), str(tmp_path / 'link'))
    refused('banned_av_report_dir', cwd=tmp_path, banned_av_report_dir=str(tmp_path / 'link'))


def test_report_dir_relative_and_home(tmp_path, monkeypatch):
    monkeypatch.setenv('HOME', str(tmp_path / 'home'))
    os.makedirs(str(tmp_path / 'home'))
    assert check(cwd=tmp_path, banned_av_report_dir='~/r')['banned_av_report_dir'] == str(tmp_path / 'home' / 'r')
    assert check(cwd=tmp_path, banned_av_report_dir='a/../b')['banned_av_report_dir'] == str(tmp_path / 'b')


def _without_dac_override(code):
    """Run ``code`` in a Python child without root's DAC override (file permissions apply to root)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    return subprocess.run(['capsh', '--drop=cap_dac_override,cap_dac_read_search', '--', '-c',
                           '"%s" -c "$0"' % sys.executable, code], env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=120, check=False)


def test_report_dir_not_writable(tmp_path):
    locked = tmp_path / 'locked'
    locked.mkdir()
    os.chmod(str(locked), 0o555)
    code = ('from ansible_collections.fleetsec.banned_av.plugins.module_utils import inputs\n'
            'import sys\n'
            'for path in (%r, %r):\n'
            '    try:\n'
            '        inputs.usable_directory("banned_av_report_dir", path)\n'
            '    except inputs.InputError as exc:\n'
            '        print("REFUSED", exc)\n'
            '    else:\n'
            '        print("ACCEPTED", path)\n') % (str(locked), str(locked / 'sub'))
    out = _without_dac_override(code).stdout.decode()
    assert out.count('REFUSED banned_av_report_dir') == 2, out
    assert 'not writable' in out and 'cannot be created' in out, out
    assert not (locked / 'sub').exists()


@pytest.mark.parametrize('value,expected', [(10, 10), ('10', 10), ('20%', '20%'), ([1, '10%', '100%'], [1, '10%', '100%'])])
def test_serial(tmp_path, value, expected):
    assert check('enforce', cwd=tmp_path, banned_av_serial=value)['banned_av_serial'] == expected


@pytest.mark.parametrize('value', ['ten', 0, '0', '0%', '150%', True, -1, 2.5, [], [1, 'x']])
def test_bad_serial(tmp_path, value):
    refused('banned_av_serial', 'enforce', cwd=tmp_path, banned_av_serial=value)


@pytest.mark.parametrize('value', [150, -1, 'lots'])
def test_bad_max_fail_percentage(tmp_path, value):
    refused('banned_av_max_fail_percentage', 'enforce', cwd=tmp_path, banned_av_max_fail_percentage=value)


@pytest.mark.parametrize('name,value', [('banned_av_recheck_delay', -1), ('banned_av_recheck_delay', 'soon'),
                                        ('banned_av_encryption_acknowledged', 'nope'), ('banned_av_encryption_acknowledged', 'yes please')])
def test_bad_remediation_safety_inputs(tmp_path, name, value):
    refused(name, 'enforce', cwd=tmp_path, **{name: value})


def test_remediation_safety_inputs_default_to_the_safe_side(tmp_path):
    values = check('enforce', cwd=tmp_path)
    assert values['banned_av_encryption_acknowledged'] is False and values['banned_av_recheck_delay'] == 0
    assert check('enforce', cwd=tmp_path, banned_av_recheck_delay='300')['banned_av_recheck_delay'] == 300


def test_enforce_choices_and_files(tmp_path):
    refused('banned_av_replacement', 'enforce', cwd=tmp_path, banned_av_replacement='norton')
    refused('banned_av_remediation_fail_on', 'enforce', cwd=tmp_path, banned_av_remediation_fail_on=['exploded'])
    message = refused('banned_av_clamav_database_files', 'enforce', cwd=tmp_path,
                      banned_av_clamav_database_files=[str(tmp_path), '/nonexistent/main.cvd'])
    assert '/nonexistent/main.cvd' in message and str(tmp_path) in message
    cvd = tmp_path / 'main.cvd'
    cvd.write_bytes(b'ClamAV-VDB:')
    assert check('enforce', cwd=tmp_path, banned_av_clamav_database_files=[str(cvd)])['banned_av_clamav_database_files'] == [str(cvd)]


def test_secrets_are_checked_and_never_shown(tmp_path):
    secret = 'canary-0c5e-pass'
    message = refused('banned_av_uninstall_password', 'enforce', cwd=tmp_path, banned_av_uninstall_password=[secret])
    assert secret not in message
    # a secret pasted into another variable is masked in that variable's error too
    message = refused('banned_av_replacement', 'enforce', cwd=tmp_path, banned_av_uninstall_password=secret,
                      banned_av_replacement=secret)
    assert secret not in message and '********' in message
    assert inputs.secrets('enforce', {'banned_av_kes_login': 'admin', 'banned_av_replacement': 'clamav'}) == ['admin']


def test_waivers_policies_and_catalogue_name_their_variable(tmp_path):
    message = refused('banned_av_waivers', cwd=tmp_path, banned_av_waivers=[{'hosts': ['a'], 'expires': '2099-01-01',
                                                                             'ticket': 'T-1', 'reason': 'lab'}])
    assert "'owner'" in message
    refused('banned_av_waivers', cwd=tmp_path, banned_av_waivers='all hosts')
    refused('banned_av_policy_files', cwd=tmp_path, banned_av_policy_files=['/nonexistent/policy.yml'])
    refused('banned_av_policies', cwd=tmp_path, banned_av_policies=[{'id': 'bis-kaspersky-2024', 'severity': 'urgent'}])
    refused('banned_av_catalog_entries', cwd=tmp_path, banned_av_catalog_entries=[{'id': 'Bad Id'}])
    refused('banned_av_catalog_files', cwd=tmp_path, banned_av_catalog_files=['/nonexistent/catalog.yml'])


SITE_ENTRY = {'id': 'acme.av', 'vendor': 'Acme', 'product': 'Acme AV', 'category': 'banned', 'platforms': ['linux'],
              'sources': ['https://example.invalid/acme'], 'match': {'packages': ['acme-av']}}


def site_file(tmp_path, entry):
    path = tmp_path / 'site.yml'
    path.write_text(yaml.safe_dump({'products': [entry]}))
    return str(path)


@pytest.mark.parametrize('good_file,good_entries,named', [
    (True, False, 'banned_av_catalog_entries'),
    (False, True, 'banned_av_catalog_files'),
    (False, False, 'banned_av_catalog_files'),
])
def test_a_bad_catalogue_input_is_named_whichever_fails(tmp_path, good_file, good_entries, named):
    """The files and the entries are loaded together; when that fails, the variable named is the
    files' when they fail by themselves, else the entries'."""
    path = site_file(tmp_path, SITE_ENTRY if good_file else dict(SITE_ENTRY, category='bannd'))
    entries = [dict(SITE_ENTRY, id='acme.other')] if good_entries else [{'id': 'Bad Id'}]
    message = refused(named, cwd=tmp_path, banned_av_catalog_files=[path], banned_av_catalog_entries=entries)
    other = 'banned_av_catalog_entries' if named == 'banned_av_catalog_files' else 'banned_av_catalog_files'
    assert not message.startswith(other), message


def test_good_catalogue_inputs_are_loaded_once_and_returned(tmp_path, monkeypatch):
    """check_and_load returns the catalogue it checked (files and entries merged), so that the input
    check keeps it for the run without loading the YAML again."""
    loads = []
    real = inputs.catalog_mod.load
    monkeypatch.setattr(inputs.catalog_mod, 'load', lambda *a, **k: loads.append(k) or real(*a, **k))
    given = {'banned_av_report_dir': str(tmp_path / 'reports'), 'banned_av_catalog_files': [site_file(tmp_path, SITE_ENTRY)],
             'banned_av_catalog_entries': [dict(SITE_ENTRY, id='acme.other')]}
    values, catalog = inputs.check_and_load('audit', given, cwd=str(tmp_path))
    assert len(loads) == 1, loads
    assert {'acme.av', 'acme.other'} <= set(catalog.by_id) and catalog.version.endswith('+site')
    assert values['banned_av_catalog_entries'] == given['banned_av_catalog_entries']
    assert inputs.check('audit', given, cwd=str(tmp_path)) == values


def test_every_problem_is_reported_at_once(tmp_path):
    message = refused('banned_av_fail_on_violation', cwd=tmp_path, banned_av_fail_on_violation='nope',
                      banned_av_persist_facts='maybe', banned_av_report_formats=['pdf'])
    assert 'banned_av_persist_facts' in message and 'banned_av_report_formats' in message


def test_other_playbooks_variables_are_ignored_not_refused(tmp_path):
    values = check(cwd=tmp_path, banned_av_replacement='norton', banned_av_scan_root='relative')
    assert 'banned_av_replacement' not in values and 'banned_av_scan_root' not in values


@pytest.mark.parametrize('value,expected', [('linux', 'linux'), (['web', 'db'], 'web,db'), ('  all ', 'all')])
def test_hosts_pattern(tmp_path, value, expected):
    assert check(cwd=tmp_path, banned_av_hosts=value)['banned_av_hosts'] == expected


@pytest.mark.parametrize('value', ['', [], [''], 42])
def test_bad_hosts_pattern(tmp_path, value):
    refused('banned_av_hosts', cwd=tmp_path, banned_av_hosts=value)


def test_the_collect_timeout_default_is_av_facts_own():
    from ansible_collections.fleetsec.banned_av.plugins.action import av_facts
    assert inputs.COLLECT_TIMEOUT == av_facts.DEFAULT_TIMEOUT


def test_collect_timeout(tmp_path):
    refused('banned_av_collect_timeout', cwd=tmp_path, banned_av_collect_timeout=0)
    refused('banned_av_collect_timeout', cwd=tmp_path, banned_av_collect_timeout='soon')
    assert check(cwd=tmp_path)['banned_av_collect_timeout'] == inputs.COLLECT_TIMEOUT


def _signed_report(path, **changes):
    from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports import json_report
    doc = {'schema': json_report.SCHEMA, 'generated_at': '2026-11-26T06:00:00Z', 'run': {'as_of': '2026-11-26'},
           'policies': [], 'summary': {}, 'hosts': [{'name': 'web01', 'status': 'noncompliant'}]}
    doc.update(changes)
    with open(str(path), 'wb') as handle:
        handle.write(json_report.render(doc))
    return str(path)


def test_previous_report_is_verified_before_any_host_is_contacted(tmp_path):
    good = _signed_report(tmp_path / 'good.json')
    assert check(cwd=tmp_path, banned_av_previous_report='good.json')['banned_av_previous_report'] == good
    assert check(cwd=tmp_path)['banned_av_previous_report'] is None
    assert check(cwd=tmp_path, banned_av_previous_report=' ')['banned_av_previous_report'] is None  # empty survey answer
    tampered = tmp_path / 'tampered.json'
    tampered.write_text(open(good).read().replace('noncompliant', 'compliant'))
    assert 'sha256 does not match' in refused('banned_av_previous_report', cwd=tmp_path,
                                              banned_av_previous_report=str(tampered))
    assert 'schema' in refused('banned_av_previous_report', cwd=tmp_path, banned_av_previous_report=_signed_report(
        tmp_path / 'other.json', schema='someone.else/report/v1'))
    refused('banned_av_previous_report', cwd=tmp_path, banned_av_previous_report='missing.json')
    refused('banned_av_previous_report', cwd=tmp_path, banned_av_previous_report=['good.json'])
    refused('banned_av_previous_report', cwd=tmp_path, banned_av_previous_report=str(tmp_path))


def test_previous_report_of_the_enforce_playbook(tmp_path):
    """enforce writes its fleet report with compliance_report too: the previous report gives every report
    of the run (before, after each batch, final) the trend, and is verified the same way, up front."""
    good = _signed_report(tmp_path / 'good.json')
    assert check('enforce', cwd=tmp_path, banned_av_previous_report='good.json')['banned_av_previous_report'] == good
    assert check('enforce', cwd=tmp_path, banned_av_previous_report='')['banned_av_previous_report'] is None
    tampered = tmp_path / 'tampered.json'
    tampered.write_text(open(good).read().replace('noncompliant', 'compliant'))
    assert 'sha256 does not match' in refused('banned_av_previous_report', 'enforce', cwd=tmp_path,
                                              banned_av_previous_report=str(tampered))
    fifo = tmp_path / 'fifo.json'
    os.mkfifo(str(fifo))
    assert 'not a regular file' in refused('banned_av_previous_report', 'enforce', cwd=tmp_path,
                                           banned_av_previous_report=str(fifo))


@pytest.mark.parametrize('where', ['banned_av_report.json', 'before/banned_av_report.json', 'link'])
def test_enforce_refuses_a_previous_report_that_this_run_overwrites(tmp_path, where):
    """enforce writes its report after every batch: the previous report in its place would be replaced by
    the first batch's report, and the later batches would compare with this run itself."""
    reports = tmp_path / 'reports'
    (reports / 'before').mkdir(parents=True)
    if where == 'link':
        path = _signed_report(reports / 'banned_av_report.json')
        os.symlink(path, str(tmp_path / 'link.json'))
        path = str(tmp_path / 'link.json')
    else:
        path = _signed_report(reports / where)
    message = refused('banned_av_previous_report', 'enforce', cwd=tmp_path, banned_av_report_dir='reports',
                      banned_av_previous_report=path)
    assert 'banned_av_report_dir' in message and 'overwrite' in message, message
    # the audit reads it before writing its one report: the daily "same directory" use works
    assert check('audit', cwd=tmp_path, banned_av_report_dir='reports',
                 banned_av_previous_report=path)['banned_av_previous_report'] == path


def test_a_previous_report_from_the_future_is_refused_up_front(tmp_path):
    future = _signed_report(tmp_path / 'future.json', generated_at='2999-01-01T00:00:00Z')
    for playbook in ('audit', 'enforce'):
        message = refused('banned_av_previous_report', playbook, cwd=tmp_path, banned_av_previous_report=future)
        assert 'after this run' in message, message
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    this_second = _signed_report(tmp_path / 'now.json', generated_at=now.isoformat().replace('+00:00', 'Z'))
    assert check(cwd=tmp_path, banned_av_previous_report=this_second)['banned_av_previous_report'] == this_second
