# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The run spool (plugin_utils/run_spool.py): what the detection records is what the report
reads; a damaged, planted or missing record never makes a host compliant and never blocks."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import stat
import time

import pytest

from ansible_collections.fleetsec.banned_av.plugins.plugin_utils import run_spool

FACTS = {'schema': 1, 'platform': 'linux', 'findings': [{'id': 'kaspersky.kesl', 'installed': True}], 'errors': []}


@pytest.fixture
def spool(tmp_path):
    _run_id, path, _removed = run_spool.create(base=str(tmp_path))
    return path


def test_create_makes_a_private_directory_per_run(tmp_path):
    first = run_spool.create(base=str(tmp_path))
    second = run_spool.create(base=str(tmp_path))
    assert first[0] != second[0] and first[1] != second[1]
    for path in (first[1], os.path.dirname(first[1])):
        info = os.lstat(path)
        assert stat.S_ISDIR(info.st_mode) and stat.S_IMODE(info.st_mode) == 0o700 and info.st_uid == os.getuid()


def test_records_round_trip(spool):
    run_spool.write(spool, 'kesl.example.com', facts=FACTS)
    run_spool.write(spool, 'down.example.com', unreachable=True, msg='Failed to connect to the host via ssh')
    run_spool.write_result(spool, 'broken.example.com', {'failed': True, 'msg': 'the collector returned no inventory'})
    records = run_spool.read(spool, ['kesl.example.com', 'down.example.com', 'broken.example.com', 'never.example.com'])
    assert set(records) == {'kesl.example.com', 'down.example.com', 'broken.example.com'}
    assert records['kesl.example.com'] == {'host': 'kesl.example.com', 'unreachable': False, 'failed': False, 'msg': '',
                                           'facts': FACTS, 'vars': {}}
    assert records['down.example.com']['unreachable'] and records['down.example.com']['facts'] is None
    assert records['broken.example.com']['failed'] and 'no inventory' in records['broken.example.com']['msg']
    assert not [n for n in os.listdir(spool) if n.startswith('.tmp-')], 'temporary files left behind'


def test_a_later_detection_replaces_the_earlier_one(spool):
    run_spool.write(spool, 'h', facts=FACTS)
    run_spool.write_result(spool, 'h', {'ansible_facts': {'banned_av': dict(FACTS, findings=[])}})
    assert run_spool.read(spool, ['h'])['h']['facts']['findings'] == []


def test_host_names_that_are_not_file_names(spool):
    names = ['a/../../etc/passwd', 'fe80::1%eth0', 'h\udcff', '.', '']
    for name in names:
        run_spool.write(spool, name, facts=FACTS)
    assert sorted(run_spool.read(spool, names)) == sorted(names)
    assert all(os.path.dirname(os.path.realpath(os.path.join(spool, n))) == os.path.realpath(spool) for n in os.listdir(spool))


@pytest.mark.parametrize('damage,needle', [
    (b'{"host": "h", "facts": ', 'damaged'),
    (b'\xff\xfe not utf-8', 'damaged'),
    (b'[]', 'damaged'),
    (b'{"host": "other", "unreachable": false, "failed": false, "msg": "", "facts": {}}', 'not the record of this host'),
    (b'{"host": "h", "unreachable": false, "failed": false, "msg": "", "facts": [42]}', 'not a mapping'),
])
def test_a_damaged_record_is_a_failed_detection(spool, damage, needle):
    with open(run_spool.record_path(spool, 'h'), 'wb') as handle:
        handle.write(damage)
    record = run_spool.read(spool, ['h'])['h']
    assert record['failed'] and record['facts'] is None and needle in record['msg'], record


def test_a_fifo_in_place_of_a_record_does_not_block(spool):
    os.mkfifo(run_spool.record_path(spool, 'h'))
    started = time.time()
    record = run_spool.read(spool, ['h'])['h']
    assert time.time() - started < 5
    assert record['failed'] and 'not a regular file' in record['msg']


def test_a_link_in_place_of_a_record_is_not_followed(spool, tmp_path):
    planted = tmp_path / 'planted.json'
    planted.write_text('{"host": "h", "unreachable": false, "failed": false, "msg": "", "facts": {"findings": []}}')
    os.symlink(str(planted), run_spool.record_path(spool, 'h'))
    record = run_spool.read(spool, ['h'])['h']
    assert record['failed'] and record['facts'] is None


def test_a_huge_record_is_not_read(spool, monkeypatch):
    monkeypatch.setattr(run_spool, 'MAX_RECORD_BYTES', 100)
    run_spool.write(spool, 'h', facts=dict(FACTS, notes='x' * 200))
    record = run_spool.read(spool, ['h'])['h']
    assert record['failed'] and 'larger than' in record['msg']


def test_stale_spools_of_killed_runs_are_removed_and_nothing_else(tmp_path):
    _id, old, _removed = run_spool.create(base=str(tmp_path))
    run_spool.write(old, 'h', facts=FACTS)
    _id, fresh, _removed = run_spool.create(base=str(tmp_path))
    root = os.path.dirname(old)
    other = os.path.join(root, 'not-a-spool')
    os.mkdir(other)
    long_ago = time.time() - run_spool.STALE_AFTER - 60
    os.utime(old, (long_ago, long_ago))
    os.utime(other, (long_ago, long_ago))
    _id, current, removed = run_spool.create(base=str(tmp_path))
    assert removed == [old]
    assert not os.path.exists(old) and os.path.isdir(fresh) and os.path.isdir(current) and os.path.isdir(other)


def test_a_spool_root_owned_by_someone_else_is_refused(tmp_path):
    root = run_spool.root_dir(str(tmp_path))
    os.makedirs(root)
    os.chown(root, 65534, 65534)
    with pytest.raises(run_spool.SpoolError, match='not a directory owned by this user'):
        run_spool.create(base=str(tmp_path))


def test_a_spool_root_that_is_a_link_is_refused(tmp_path):
    elsewhere = tmp_path / 'elsewhere'
    elsewhere.mkdir()
    os.symlink(str(elsewhere), run_spool.root_dir(str(tmp_path)))
    with pytest.raises(run_spool.SpoolError):
        run_spool.create(base=str(tmp_path))
    assert os.listdir(str(elsewhere)) == []


def test_host_variables_are_recorded_templated_and_a_bad_template_is_kept_as_an_error(spool):
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar
    try:
        from ansible.template import trust_as_template
    except ImportError:  # ansible-core < 2.19 templates every string
        def trust_as_template(value):
            return value
    task_vars = {'site_codes': ['us', 'us-federal'], 'banned_av_jurisdictions': trust_as_template('{{ site_codes }}'),
                 'banned_av_scan_root': '/not/recorded'}
    templar = Templar(loader=DataLoader(), variables=task_vars)
    host_vars = run_spool.host_variables(task_vars, templar)
    assert host_vars == {'banned_av_jurisdictions': ['us', 'us-federal']}
    run_spool.write(spool, 'h', facts=FACTS, host_vars=host_vars)
    assert run_spool.read_one(spool, 'h')['vars'] == host_vars
    task_vars['banned_av_jurisdictions'] = trust_as_template('{{ no_such_variable }}')
    value = run_spool.host_variables(task_vars, Templar(loader=DataLoader(), variables=task_vars))['banned_av_jurisdictions']
    assert value.startswith('cannot be templated:') and 'no_such_variable' in value
    assert run_spool.host_variables({}, templar) == {}


def test_a_record_with_bad_vars_is_a_failed_detection(spool):
    with open(run_spool.record_path(spool, 'h'), 'w') as handle:
        handle.write('{"host": "h", "unreachable": false, "failed": false, "msg": "", "facts": null, "vars": [1]}')
    assert run_spool.read_one(spool, 'h')['failed']
