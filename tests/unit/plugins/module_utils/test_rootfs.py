# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""rootfs: every path resolved inside the root, only regular files read, each read capped.

Real files only: symbolic links, FIFOs (os.mkfifo), device nodes (os.mknod), sockets,
unreadable directories (checked in a child process without root's DAC override, under capsh),
names that are not UTF-8 (bytes paths).
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import json
import os
import signal
import socket
import stat
from contextlib import contextmanager

import pytest

from ansible_collections.fleetsec.banned_av.plugins.module_utils import rootfs
from ansible_collections.fleetsec.banned_av.tests.support import roots


@contextmanager
def must_finish(seconds=5):
    """Fail (instead of hanging the test run) when the block blocks for ``seconds``."""
    def handler(signum, frame):
        raise AssertionError('blocked for %s s' % seconds)
    old = signal.signal(signal.SIGALRM, handler)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def write(path, content=b'', mode=0o644):
    os.makedirs(os.path.dirname(str(path)), exist_ok=True)
    with open(str(path), 'wb') as handle:
        handle.write(content)
    os.chmod(str(path), mode)
    return str(path)


@pytest.fixture
def tree(tmp_path):
    """An image root next to a "host" directory holding files the image must never reach."""
    root = tmp_path / 'image'
    host = tmp_path / 'host'
    write(root / 'etc' / 'os-release', b'ID=debian\n')
    write(host / 'etc' / 'os-release', b'ID=the-scanning-host\n')
    write(host / 'secret', b'host secret\n')
    return root, host


# --------------------------------------------------------------------------- resolution

def test_absolute_link_is_resolved_inside_the_root(tree):
    root, host = tree
    write(root / 'srv' / 'dpkg' / 'status', b'Package: kesl\n')
    os.makedirs(str(root / 'var' / 'lib'))
    os.symlink('/srv/dpkg', str(root / 'var' / 'lib' / 'dpkg'))
    fs = rootfs.RootFS(str(root))
    assert fs.read_bytes('/var/lib/dpkg/status', 1024) == b'Package: kesl\n'
    assert fs.resolve('/var/lib/dpkg/status') == '/srv/dpkg/status'


def test_absolute_link_to_a_host_path_never_reaches_the_host(tree):
    root, host = tree
    os.symlink(str(host / 'secret'), str(root / 'secret'))
    os.symlink(str(host / 'etc'), str(root / 'hostetc'))
    fs = rootfs.RootFS(str(root))
    with pytest.raises(FileNotFoundError):
        fs.read_bytes('/secret', 1024)
    with pytest.raises(FileNotFoundError):
        fs.read_bytes('/hostetc/os-release', 1024)
    assert fs.kind('/secret') == 'link'  # the name exists; it leads nowhere inside the root
    assert fs.exists('/secret') is False and fs.lexists('/secret') is True


def test_dotdot_stops_at_the_root(tree):
    root, host = tree
    depth = len(str(root).split('/'))
    os.symlink('../' * (depth + 3) + 'etc/os-release', str(root / 'escape'))
    fs = rootfs.RootFS(str(root))
    assert fs.read_bytes('/escape', 1024) == b'ID=debian\n'       # the image's file, not the host's
    assert fs.read_bytes('/../../../etc/os-release', 1024) == b'ID=debian\n'
    assert fs.resolve('/etc/../../../../etc/os-release') == '/etc/os-release'


def test_dotdot_after_a_link_is_taken_from_the_link_target(tree):
    root, host = tree
    write(root / 'usr' / 'lib' / 'os-release', b'ID=fedora\n')
    os.makedirs(str(root / 'var' / 'lib' / 'x'))
    os.symlink('/usr/lib/rpm-dir', str(root / 'var' / 'lib' / 'rpm'))
    os.makedirs(str(root / 'usr' / 'lib' / 'rpm-dir'))
    fs = rootfs.RootFS(str(root))
    assert fs.read_bytes('/var/lib/rpm/../os-release', 1024) == b'ID=fedora\n'


@pytest.mark.parametrize('links', [
    [('a', 'b'), ('b', 'a')],
    [('self', 'self')],
    [('abs', '/abs')],
])
def test_link_loops_end_with_eloop(tree, links):
    root, host = tree
    for name, target in links:
        os.symlink(target, str(root / name))
    fs = rootfs.RootFS(str(root))
    with pytest.raises(OSError) as caught:
        fs.read_bytes('/' + links[0][0], 10)
    assert caught.value.errno == errno.ELOOP
    assert caught.value.filename == '/' + links[0][0]


def test_long_chain_of_links_is_bounded(tree):
    root, host = tree
    for i in range(rootfs.MAX_LINKS + 5):
        os.symlink('l%d' % (i + 1), str(root / ('l%d' % i)))
    write(root / ('l%d' % (rootfs.MAX_LINKS + 5)), b'end')
    fs = rootfs.RootFS(str(root))
    with pytest.raises(OSError) as caught:
        fs.read_bytes('/l0', 10)
    assert caught.value.errno == errno.ELOOP
    assert fs.read_bytes('/l10', 10) == b'end'  # 35 links: within the bound


def test_errors_name_the_path_inside_the_root(tree):
    root, host = tree
    fs = rootfs.RootFS(str(root))
    with pytest.raises(FileNotFoundError) as caught:
        fs.read_bytes('/var/lib/dpkg/status', 10)
    assert caught.value.filename == '/var/lib/dpkg/status'
    assert str(root) not in str(caught.value)


# --------------------------------------------------------------------------- file types and sizes

def test_fifo_is_never_opened(tree, monkeypatch):
    root, host = tree
    os.remove(str(root / 'etc' / 'os-release'))
    os.mkfifo(str(root / 'etc' / 'os-release'))
    opened = []
    real_open = os.open
    monkeypatch.setattr(os, 'open', lambda path, *a, **k: opened.append(path) or real_open(path, *a, **k))
    fs = rootfs.RootFS(str(root))
    with must_finish(5):
        with pytest.raises(rootfs.NotRegularFile) as caught:
            fs.read_text('/etc/os-release', 65536)
    assert 'a FIFO' in str(caught.value) and '/etc/os-release' in str(caught.value)
    assert opened == []
    assert fs.kind('/etc/os-release') == 'fifo'


def test_device_node_is_never_opened(tree, monkeypatch):
    root, host = tree
    os.makedirs(str(root / 'dev'))
    try:
        os.mknod(str(root / 'dev' / 'zero'), stat.S_IFCHR | 0o666, os.makedev(1, 5))
    except PermissionError:
        pytest.skip('no CAP_MKNOD here')
    os.remove(str(root / 'etc' / 'os-release'))
    os.symlink('/dev/zero', str(root / 'etc' / 'os-release'))
    opened = []
    real_open = os.open
    monkeypatch.setattr(os, 'open', lambda path, *a, **k: opened.append(path) or real_open(path, *a, **k))
    fs = rootfs.RootFS(str(root))
    with pytest.raises(rootfs.NotRegularFile) as caught:
        fs.read_bytes('/etc/os-release', 65536)
    assert 'a character device' in str(caught.value)
    assert opened == []


def test_socket_and_directory_are_not_read(tree):
    root, host = tree
    sock = socket.socket(socket.AF_UNIX)
    path = str(root / 'etc' / 'group')
    if len(path) > 100:
        pytest.skip('path too long for a unix socket')
    sock.bind(path)
    try:
        fs = rootfs.RootFS(str(root))
        with pytest.raises(rootfs.NotRegularFile) as caught:
            fs.read_bytes('/etc/group', 100)
        assert 'a socket' in str(caught.value)
        with pytest.raises(rootfs.NotRegularFile) as caught:
            fs.read_bytes('/etc', 100)
        assert 'a directory' in str(caught.value)
    finally:
        sock.close()


def test_live_root_gets_the_same_file_type_protection():
    fs = rootfs.RootFS('/')
    assert fs.live
    with must_finish(5):
        with pytest.raises(rootfs.NotRegularFile):
            fs.read_bytes('/dev/zero', 1 << 20)
    # /proc files are regular files that report size 0: read, and held to the cap
    assert b'Name:' in fs.read_bytes('/proc/self/status', 1 << 20)
    with pytest.raises(rootfs.TooLarge):
        fs.read_bytes('/proc/self/status', 16)


def _outcome(call):
    """What a call gives: its value, or the type and errno of what it raises."""
    try:
        return 'ok', call()
    except OSError as exc:
        return type(exc).__name__, exc.errno


def test_live_root_resolves_each_path_as_the_kernel_does(tmp_path):
    """The live root looks each directory up once per scan; a lookup through the cache gives
    what the kernel gives (os.path.realpath, open) for links of every kind, .., loops, files
    used as directories and dangling links, on the first lookup in a directory and after it."""
    base = str(tmp_path)
    write(tmp_path / 'real' / 'sub' / 'a.service', b'A')
    write(tmp_path / 'real' / 'sub' / 'b.service', b'B')
    write(tmp_path / 'real' / 'top.txt', b'T')
    os.symlink('real', str(tmp_path / 'rel'))                      # relative directory link
    os.symlink(base + '/real/sub', str(tmp_path / 'abs'))           # absolute directory link
    os.symlink('rel', str(tmp_path / 'chain'))                     # link to a link
    os.symlink('a.service', str(tmp_path / 'real' / 'sub' / 'c.service'))
    os.symlink('missing', str(tmp_path / 'real' / 'sub' / 'dangling.service'))
    os.symlink('loop2', str(tmp_path / 'loop1'))
    os.symlink('loop1', str(tmp_path / 'loop2'))
    paths = ['/real/sub/a.service', '/rel/sub/b.service', '/abs/a.service', '/chain/sub/c.service',
             '/abs/../top.txt', '/rel/sub/../top.txt', '/abs/dangling.service', '/abs/nothing',
             '/real/top.txt/x', '/loop1/x', '/loop1', '/nodir/x', '/chain/sub/a.service']
    fs = rootfs.RootFS('/')
    for _round in range(2):                                         # the second round hits the cache
        for path in paths:
            full = base + path

            def kernel():
                with open(full, 'rb') as handle:
                    return handle.read()
            assert _outcome(lambda: fs.read_bytes(full, 10)) == _outcome(kernel), path
            assert _outcome(lambda: rootfs.RootFS('/').read_bytes(full, 10)) == _outcome(kernel), path
            if os.path.exists(full):
                assert fs.resolve(full) == os.path.realpath(full), path


def test_live_root_looks_each_directory_up_once(tmp_path, monkeypatch):
    """100 unit files of one directory five links deep: about one lstat per file, not six."""
    directory = tmp_path / 'a' / 'b' / 'c' / 'd'
    for i in range(100):
        write(directory / ('u%03d.service' % i), b'[Service]\nExecStart=/bin/true\n')
    fs = rootfs.RootFS('/')
    calls = []
    real_lstat = os.lstat
    monkeypatch.setattr(rootfs.os, 'lstat', lambda path, *a, **k: calls.append(path) or real_lstat(path, *a, **k))
    for i in range(100):
        assert fs.read_text('%s/u%03d.service' % (directory, i), 1024).startswith('[Service]')
    depth = len(str(directory).split('/'))
    # per file: the lookup of its name and open_regular's lstat; the directory's components once
    assert len(calls) <= 2 * 100 + depth + 1, len(calls)


def test_live_root_files_of_a_known_directory_keep_their_protection(tmp_path):
    """After a directory is known, a FIFO, a link to /dev/zero or a directory in it is still
    never read, and a link in it is still followed by name."""
    write(tmp_path / 'units' / 'ok.service', b'ok')
    os.mkfifo(str(tmp_path / 'units' / 'fifo.service'))
    os.symlink('/dev/zero', str(tmp_path / 'units' / 'zero.service'))
    os.mkdir(str(tmp_path / 'units' / 'dir.service'))
    os.symlink('ok.service', str(tmp_path / 'units' / 'alias.service'))
    fs = rootfs.RootFS('/')
    units = str(tmp_path / 'units')
    with must_finish(5):
        assert fs.read_bytes(units + '/ok.service', 10) == b'ok'
        for name in ('fifo.service', 'zero.service', 'dir.service'):
            with pytest.raises(rootfs.NotRegularFile):
                fs.read_bytes(units + '/' + name, 1 << 20)
        assert fs.read_bytes(units + '/alias.service', 10) == b'ok'


def test_image_root_resolves_every_lookup_afresh(tree):
    """Below a root other than /, a directory swapped for a link to the host between two reads
    never leads the second read out of the root (nothing is remembered between lookups)."""
    root, host = tree
    write(root / 'opt' / 'vendor' / 'file', b'image file')
    write(host / 'vendor' / 'file', b'host secret')
    fs = rootfs.RootFS(str(root))
    assert fs.read_bytes('/opt/vendor/file', 100) == b'image file'
    os.rename(str(root / 'opt' / 'vendor'), str(root / 'opt' / 'old'))
    os.symlink(str(host / 'vendor'), str(root / 'opt' / 'vendor'))
    with pytest.raises(FileNotFoundError):
        fs.read_bytes('/opt/vendor/file', 100)


def test_size_cap(tree):
    root, host = tree
    write(root / 'big', b'x' * 1001)
    fs = rootfs.RootFS(str(root))
    assert len(fs.read_bytes('/big', 1001)) == 1001
    with pytest.raises(rootfs.TooLarge) as caught:
        fs.read_bytes('/big', 1000)
    assert '1001 bytes' in str(caught.value) and '/big' in str(caught.value)


class _Reads(object):
    """A file object that records the sizes asked of ``read``."""

    def __init__(self, handle):
        self.handle, self.asked = handle, []

    def fileno(self):
        return self.handle.fileno()

    def read(self, size):
        self.asked.append(size)
        return self.handle.read(size)


def test_a_small_file_is_read_without_a_cap_sized_buffer(tmp_path):
    """The first read asks for the file's size plus one byte, not for the cap (1 MB for a unit
    file): a scan reads hundreds of small files (docs/performance.md)."""
    path = write(tmp_path / 'unit.service', b'[Service]\nExecStart=/opt/x/bin/x\n')
    with open(path, 'rb') as handle:
        reads = _Reads(handle)
        assert rootfs.read_capped(reads, 1024 * 1024, path) == b'[Service]\nExecStart=/opt/x/bin/x\n'
    assert reads.asked == [len(b'[Service]\nExecStart=/opt/x/bin/x\n') + 1]


@pytest.mark.parametrize('told,content,cap,whole', [
    (0, b'x' * 5000, 10000, True),       # a /proc file: size 0, read on to the cap
    (10, b'x' * 5000, 10000, True),      # it grew after its size was taken, within the cap
    (10, b'x' * 10001, 10000, False),    # it grew past the cap: refused, never read beyond cap + 1
    (10, b'x' * 10000, 10000, True),     # exactly the cap
    (20000, b'x' * 10001, 10000, False),  # says it is over the cap, and is
    (20000, b'x' * 50, 10000, True),     # says it is over the cap, but shrank: what is there
])
def test_the_cap_holds_whatever_size_the_file_reports(tmp_path, monkeypatch, told, content, cap, whole):
    path = write(tmp_path / 'f', content)
    real_fstat = os.fstat

    class Stat(object):
        def __init__(self, st):
            self.st_mode, self.st_size = st.st_mode, told

    monkeypatch.setattr(rootfs.os, 'fstat', lambda fd: Stat(real_fstat(fd)))
    with open(path, 'rb') as handle:
        reads = _Reads(handle)
        if whole:
            assert rootfs.read_capped(reads, cap, path) == content
        else:
            with pytest.raises(rootfs.TooLarge):
                rootfs.read_capped(reads, cap, path)
    assert sum(reads.asked) <= cap + 1


def test_a_file_object_without_a_descriptor_is_held_to_the_cap():
    import io
    assert rootfs.read_capped(io.BytesIO(b'abc'), 3, 'x') == b'abc'
    with pytest.raises(rootfs.TooLarge):
        rootfs.read_capped(io.BytesIO(b'abcd'), 3, 'x')


def test_final_link_swapped_to_a_fifo_is_refused_by_fstat(tree, monkeypatch):
    """Between the lstat and the open, the file is replaced by a FIFO: fstat still refuses it."""
    root, host = tree
    target = str(root / 'etc' / 'os-release')
    real_lstat = os.lstat
    swapped = []

    def lstat_then_swap(path, *args, **kwargs):
        result = real_lstat(path, *args, **kwargs)
        if path == target and not swapped:
            swapped.append(True)
            os.remove(target)
            os.mkfifo(target)
        return result

    fs = rootfs.RootFS(str(root))
    fs.resolve('/etc/os-release')
    monkeypatch.setattr(os, 'lstat', lstat_then_swap)
    with must_finish(5):
        with pytest.raises(rootfs.NotRegularFile):
            rootfs.open_regular(target, 100, '/etc/os-release')


# --------------------------------------------------------------------------- names that are not UTF-8

def test_non_utf8_names_are_listed_read_and_shown_safely(tree):
    root, host = tree
    name = b'com.kaspersky.\xff\xfe.plist'
    directory = os.path.join(str(root).encode(), b'Library', b'LaunchDaemons')
    os.makedirs(directory)
    with open(os.path.join(directory, name), 'wb') as handle:
        handle.write(b'data')
    fs = rootfs.RootFS(str(root))
    listed = fs.listdir('/Library/LaunchDaemons')
    assert len(listed) == 1
    assert fs.read_bytes('/Library/LaunchDaemons/' + listed[0], 10) == b'data'
    shown = rootfs.safe_text(listed[0])
    assert shown == 'com.kaspersky.\\xff\\xfe.plist'
    shown.encode('utf-8')
    assert json.loads(json.dumps(rootfs.sanitize({'a': [listed[0], {listed[0]: 1}]}), ensure_ascii=False)) == \
        {'a': [shown, {shown: 1}]}
    assert rootfs.safe_text(b'\xd0\x9a\xff') == '\u041a\\xff'


# --------------------------------------------------------------------------- globs and walks

def test_glob_expands_inside_the_root_through_absolute_links(tree):
    root, host = tree
    write(root / 'data' / 'kaspersky' / 'kesl' / 'bin' / 'kesl-control', b'#!/bin/sh\n', 0o755)
    os.makedirs(str(root / 'data' / 'kaspersky' / 'klnagent64'))
    os.makedirs(str(root / 'data' / 'kaspersky' / '.hidden'))
    os.makedirs(str(root / 'opt'))
    os.symlink('/data/kaspersky', str(root / 'opt' / 'kaspersky'))
    fs = rootfs.RootFS(str(root))
    assert fs.glob('/opt/kaspersky/*') == ['/opt/kaspersky/kesl', '/opt/kaspersky/klnagent64']
    assert fs.glob('/opt/kaspersky/kesl/bin/kesl-control') == ['/opt/kaspersky/kesl/bin/kesl-control']
    assert fs.glob('/opt/kaspersky/.h*') == ['/opt/kaspersky/.hidden']
    assert fs.glob('/opt/missing/*') == []


def test_glob_never_lists_host_directories(tree):
    root, host = tree
    os.makedirs(str(host / 'opt' / 'kaspersky' / 'kesl'))
    os.symlink(str(host / 'opt'), str(root / 'opt'))
    fs = rootfs.RootFS(str(root))
    assert fs.glob('/opt/kaspersky/*') == []
    assert fs.glob('/opt/kaspersky') == []
    assert fs.glob('/opt') == ['/opt']  # the dangling link itself is there


def test_walk_does_not_follow_links_and_is_bounded(tree):
    root, host = tree
    base = root / 'opt' / 'kaspersky' / 'kesl'
    write(base / 'bin' / 'kesl-control', b'x', 0o755)
    write(base / 'bin' / 'readme.txt', b'x', 0o644)
    write(base / 'a' / 'b' / 'c' / 'deep', b'x', 0o755)        # depth 4: found
    write(base / 'a' / 'b' / 'c' / 'd' / 'deeper', b'x', 0o755)  # depth 5: not
    write(host / 'bin' / 'hostbin', b'x', 0o755)
    os.symlink(str(host / 'bin'), str(base / 'hostlink'))
    os.symlink('/opt/kaspersky/kesl/bin/kesl-control', str(base / 'alias'))
    fs = rootfs.RootFS(str(root))

    def executable(name, st):
        return bool(st.st_mode & 0o111)

    found, stopped, unreadable = fs.walk_files('/opt/kaspersky/kesl', 4, executable, 25)
    assert found == ['/opt/kaspersky/kesl/bin/kesl-control', '/opt/kaspersky/kesl/a/b/c/deep']
    assert stopped is None and unreadable == []
    found, stopped, _unreadable = fs.walk_files('/opt/kaspersky/kesl', 4, executable, 1)
    assert found == ['/opt/kaspersky/kesl/bin/kesl-control'] and stopped == 'more than 1 files'


# --------------------------------------------------------------------------- permissions (no DAC override)

PERMISSION_CHILD = r'''
import json, sys
from ansible_collections.fleetsec.banned_av.plugins.module_utils import rootfs
fs = rootfs.RootFS(sys.stdin.read())
out = {}
for name, call in (('lexists', lambda: fs.lexists('/var/lib/dpkg/status')),
                   ('read', lambda: fs.read_bytes('/var/lib/dpkg/status', 100)),
                   ('glob', lambda: (lambda errors: (fs.glob('/var/lib/dpkg/*', errors), [(p, str(e)) for p, e in errors]))([]))):
    try:
        out[name] = repr(call())
    except OSError as exc:
        out[name] = '%s: %s' % (type(exc).__name__, exc.filename)
print(json.dumps(out))
'''


@pytest.mark.skipif(roots.CAPSH is None, reason='capsh is not installed')
def test_unreadable_directory_is_an_error_not_an_absence(tree):
    root, host = tree
    write(root / 'var' / 'lib' / 'dpkg' / 'status', b'Package: kesl\n')
    os.chmod(str(root / 'var' / 'lib' / 'dpkg'), 0)
    try:
        rc, out, err = roots.run_child(PERMISSION_CHILD, str(root), timeout=30, drop_dac=True)
    finally:
        os.chmod(str(root / 'var' / 'lib' / 'dpkg'), 0o755)
    assert rc == 0, err
    result = json.loads(out)
    assert result['lexists'] == 'PermissionError: /var/lib/dpkg/status'
    assert result['read'] == 'PermissionError: /var/lib/dpkg/status'
    assert result['glob'] == repr(([], [('/var/lib/dpkg', "[Errno 13] Permission denied: '/var/lib/dpkg'")]))
