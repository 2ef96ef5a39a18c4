# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Safe file access inside a scanned root, as if the scan ran in a chroot.

A mounted disk image, a container's root file system or the live system (``/``) is read
through :class:`RootFS`:

* every path is resolved inside the root, one component at a time, the way the kernel
  resolves it after ``chroot``: an absolute symbolic link target starts again at the root,
  ``..`` stops at the root, and more than :data:`MAX_LINKS` links give ``ELOOP``.  No path
  the caller gets back, and no file this module opens, can lie outside the root.  On the
  live system (``/``) the directory a file is looked up in is resolved once per
  :class:`RootFS`; below any other root every lookup resolves afresh;
* globs are expanded one path component at a time inside the root (never ``glob.glob`` on
  host paths);
* only regular files are read.  A FIFO, device, socket or directory where a file is
  expected raises :class:`NotRegularFile` before anything is opened (opening a FIFO blocks,
  opening some devices has side effects); the file is then opened with
  ``O_NONBLOCK | O_NOFOLLOW`` and checked again with ``fstat``, so a file swapped in between
  is not read either;
* every read has a size cap chosen by the caller; a larger file raises :class:`TooLarge`.

File names are ``str`` as ``os.listdir`` returns them (undecodable bytes as surrogate
escapes, so they can be opened again); :func:`safe_text` turns them into text that always
serialises, with the undecodable bytes written as ``\\xNN``.

Plain functions on the standard library, no Ansible imports: the unit tests drive it
directly, and ``posix_collect.py`` and ``windows_offline.py`` use it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import fnmatch
import os
import stat

from ansible_collections.fleetsec.banned_av.plugins.module_utils import patterns as pattern_mod

#: symbolic links followed while resolving one path (Linux's own limit is 40)
MAX_LINKS = 40


_KINDS = (
    (stat.S_ISDIR, 'a directory'),
    (stat.S_ISFIFO, 'a FIFO'),
    (stat.S_ISCHR, 'a character device'),
    (stat.S_ISBLK, 'a block device'),
    (stat.S_ISSOCK, 'a socket'),
    (stat.S_ISLNK, 'a symbolic link'),
)


class _Described(OSError):
    """An OSError whose text is its own message (which already names the path)."""

    def __str__(self):
        return str(self.strerror)


class NotRegularFile(_Described):
    """A path that should be a regular file is something else; it was not opened."""


class TooLarge(_Described):
    """A file is larger than the cap of the source that wanted to read it; it was not read."""


def safe_text(value):
    """``value`` (str with surrogate escapes, or bytes) as text that always encodes as UTF-8:
    undecodable bytes become ``\\xNN``."""
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode('utf-8', 'backslashreplace')
    try:
        value.encode('utf-8')
        return value
    except UnicodeEncodeError:
        return value.encode('utf-8', 'surrogateescape').decode('utf-8', 'backslashreplace')


def sanitize(data):
    """A copy of ``data`` (dicts, lists, strings, scalars) where every string is :func:`safe_text`."""
    if isinstance(data, dict):
        return dict((safe_text(k) if isinstance(k, str) else k, sanitize(v)) for k, v in data.items())
    if isinstance(data, (list, tuple)):
        return [sanitize(v) for v in data]
    if isinstance(data, (str, bytes)):
        return safe_text(data)
    return data


def kind_of(mode):
    """``'a FIFO'``, ``'a character device'``, ... for a stat mode that is not a regular file."""
    for test, name in _KINDS:
        if test(mode):
            return name
    return 'not a regular file'


def split(path):
    """The components of a path inside the root (``.`` and empty ones dropped, ``..`` kept)."""
    return [p for p in path.split('/') if p not in ('', '.')]


def open_regular(host_path, cap, shown=None):
    """Open ``host_path`` for reading if, and only if, it is a regular file of at most ``cap``
    bytes; return a binary file object.  The final component is never followed.

    The file type is checked with ``lstat`` before opening (a FIFO or device is never
    opened), then the file is opened ``O_NONBLOCK | O_NOFOLLOW`` and checked again with
    ``fstat``.  ``shown`` is the name used in messages (the path inside the root).
    """
    shown = shown or host_path
    st = os.lstat(host_path)
    if not stat.S_ISREG(st.st_mode):
        raise NotRegularFile(errno.EINVAL, '%s is %s: not read' % (shown, kind_of(st.st_mode)), shown)
    flags = os.O_RDONLY | getattr(os, 'O_NONBLOCK', 0) | getattr(os, 'O_NOFOLLOW', 0) | getattr(os, 'O_CLOEXEC', 0)
    fd = os.open(host_path, flags)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotRegularFile(errno.EINVAL, '%s is %s: not read' % (shown, kind_of(st.st_mode)), shown)
        if st.st_size > cap:
            raise TooLarge(errno.EFBIG, '%s is %d bytes, over the %d-byte limit of this source: not read'
                           % (shown, st.st_size, cap), shown)
        handle = os.fdopen(fd, 'rb')
    except BaseException:
        os.close(fd)
        raise
    return handle


def read_capped(handle, cap, shown):
    """Read a whole file object, at most ``cap`` bytes (files that grow, or that report no size
    such as /proc files, are held to the cap too).

    The first read asks for the size the file has, not for the cap: Python allocates a buffer of
    the size asked for before it reads, and a scan reads hundreds of small files under caps of
    megabytes (every unit file: 1 MB).  A file that gives more than its size is read on to the cap.
    """
    try:
        size = os.fstat(handle.fileno()).st_size
    except (AttributeError, OSError, ValueError):  # not a file of the system (io.BytesIO)
        size = cap
    want = min(size, cap) + 1
    data = handle.read(want)
    if len(data) == want and want <= cap:
        data += handle.read(cap + 1 - want)  # it grew, or it reports no size (/proc)
    if len(data) > cap:
        raise TooLarge(errno.EFBIG, '%s is over the %d-byte limit of this source: not read' % (shown, cap), shown)
    return data


def read_regular(host_path, cap, shown=None):
    """The bytes of ``host_path`` (see :func:`open_regular`)."""
    with open_regular(host_path, cap, shown) as handle:
        return read_capped(handle, cap, shown or host_path)


class RootFS:
    """Read-only access to the files of one root, resolved inside it.

    Paths given to every method are absolute paths *inside* the root (``/etc/os-release``).
    Errors are ``OSError`` subclasses whose ``filename`` is that in-root path:
    ``FileNotFoundError``, ``NotADirectoryError``, ``PermissionError``, ``OSError(ELOOP)``,
    :class:`NotRegularFile` and :class:`TooLarge`.
    """

    def __init__(self, root='/'):
        self.root = os.path.realpath(root or '/')
        self.live = self.root == '/'
        # The live system only: each directory a file is looked up in is resolved once per scan
        # (``_resolve``).  Nothing lies outside ``/``, so a directory that changes during the scan
        # cannot lead a read out of the root; below any other root every lookup resolves afresh.
        self._dirs = {} if self.live else None

    # ------------------------------------------------------------------ resolution
    def host(self, parts):
        """The host path of resolved in-root components."""
        if self.root == '/':
            return '/' + '/'.join(parts)
        return os.path.join(self.root, *parts) if parts else self.root

    def _resolve(self, path, follow):
        """The real in-root components of ``path`` (no symbolic link among them, except the
        last one when ``follow`` is false)."""
        parts = split(path)
        if self._dirs is None or len(parts) < 2 or parts[-1] == '..':
            return self._walk(path, parts, follow, [], 0)[0]
        # a scan reads many files of one directory (every unit file, every init script): its
        # components are looked up once, not once per file
        key = tuple(parts[:-1])
        if key not in self._dirs:
            done, links = self._walk(path, list(key), True, [], 0)
            if done and not stat.S_ISDIR(os.lstat(self.host(done)).st_mode):
                raise NotADirectoryError(errno.ENOTDIR, 'not a directory', '/' + '/'.join(done))
            self._dirs[key] = (done, links)
        done, links = self._dirs[key]
        return self._walk(path, parts[-1:], follow, list(done), links)[0]

    def _walk(self, path, todo, follow, done, links):
        """Resolve the components ``todo`` of ``path`` below the resolved components ``done``,
        ``links`` links followed so far: ``(resolved components, links followed)``."""
        while todo:
            part = todo.pop(0)
            if part == '..':
                if done:
                    done.pop()
                continue
            candidate = done + [part]
            st = os.lstat(self.host(candidate))
            if stat.S_ISLNK(st.st_mode) and (todo or follow):
                links += 1
                if links > MAX_LINKS:
                    raise OSError(errno.ELOOP, 'too many levels of symbolic links', path)
                target = os.readlink(self.host(candidate))
                if target.startswith('/'):
                    done = []  # an absolute target starts again at the root, never on the host
                todo = split(target) + todo
                continue
            if todo and not stat.S_ISDIR(st.st_mode):
                raise NotADirectoryError(errno.ENOTDIR, 'not a directory', '/' + '/'.join(candidate))
            done = candidate
        return done, links

    def resolve(self, path, follow=True):
        """The in-root path ``path`` leads to, with every link resolved inside the root."""
        try:
            return '/' + '/'.join(self._resolve(path, follow))
        except OSError as exc:
            raise self._named(exc, path)

    def host_path(self, path, follow=True):
        """The host path of ``path`` resolved inside the root (safe to hand to a tool only if the
        caller also checks what it finds there is not a link)."""
        try:
            return self.host(self._resolve(path, follow))
        except OSError as exc:
            raise self._named(exc, path)

    def _named(self, exc, path):
        """``exc`` naming the in-root ``path`` instead of a host path."""
        name = getattr(exc, 'filename', None)
        if not isinstance(name, str) or (self.root != '/' and (name == self.root or name.startswith(self.root + '/'))):
            exc.filename = path
        return exc

    def lstat(self, path):
        """``lstat`` of ``path`` (its last component not followed)."""
        try:
            return os.lstat(self.host(self._resolve(path, False)))
        except OSError as exc:
            raise self._named(exc, path)

    def stat(self, path):
        """``stat`` of what ``path`` leads to inside the root."""
        try:
            return os.lstat(self.host(self._resolve(path, True)))
        except OSError as exc:
            raise self._named(exc, path)

    def lexists(self, path):
        """Whether ``path`` names something (a dangling link too).  Only absence is False:
        a directory that cannot be searched raises ``PermissionError``."""
        try:
            self.lstat(path)
            return True
        except (FileNotFoundError, NotADirectoryError):
            return False

    def exists(self, path):
        """Whether ``path`` leads to something inside the root (absence only is False)."""
        try:
            self.stat(path)
            return True
        except (FileNotFoundError, NotADirectoryError):
            return False

    def kind(self, path):
        """``file``, ``dir``, ``fifo``, ``chardev``, ``blockdev``, ``socket``, or ``link`` for a
        link that leads nowhere inside the root; None when nothing has that name."""
        try:
            st = self.lstat(path)
        except (FileNotFoundError, NotADirectoryError):
            return None
        if stat.S_ISLNK(st.st_mode):
            try:
                st = self.stat(path)
            except OSError:
                return 'link'
        mode = st.st_mode
        for test, name in ((stat.S_ISREG, 'file'), (stat.S_ISDIR, 'dir'), (stat.S_ISFIFO, 'fifo'),
                           (stat.S_ISCHR, 'chardev'), (stat.S_ISBLK, 'blockdev'), (stat.S_ISSOCK, 'socket')):
            if test(mode):
                return name
        return 'other'

    def listdir(self, path):
        """Sorted names in the directory ``path`` leads to."""
        try:
            return sorted(os.listdir(self.host(self._resolve(path, True))))
        except OSError as exc:
            raise self._named(exc, path)

    # ------------------------------------------------------------------ reading
    def open(self, path, cap):
        """A binary file object of the regular file ``path`` leads to (see :func:`open_regular`)."""
        try:
            return open_regular(self.host(self._resolve(path, True)), cap, path)
        except OSError as exc:
            raise self._named(exc, path)

    def read_bytes(self, path, cap):
        with self.open(path, cap) as handle:
            return read_capped(handle, cap, path)

    def read_text(self, path, cap):
        """The file as text (UTF-8; undecodable bytes as ``\\xNN``)."""
        return self.read_bytes(path, cap).decode('utf-8', 'backslashreplace')

    # ------------------------------------------------------------------ globs and walks
    def glob(self, pattern, errors=None):
        """In-root paths matching ``pattern`` (shell globs per component, ``*`` does not match a
        leading dot), sorted.  Links are resolved inside the root on the way; the last
        component may be a link (dangling ones too).  A directory that cannot be read is
        appended to ``errors`` as ``(in-root path, exception)`` and skipped."""
        parts = split(pattern)
        current = ['']
        for index, part in enumerate(parts):
            nxt = []
            for base in current:
                try:
                    if part == '..':
                        nxt.append(base + '/..')
                    elif pattern_mod.has_magic(part):
                        for name in self.listdir(base or '/'):
                            if fnmatch.fnmatchcase(name, part) and (not name.startswith('.') or part.startswith('.')):
                                nxt.append(base + '/' + name)
                    elif self.lexists(base + '/' + part):
                        nxt.append(base + '/' + part)
                except (FileNotFoundError, NotADirectoryError):
                    continue
                except OSError as exc:
                    if errors is not None:
                        errors.append((base or '/', exc))
            current = nxt
            if not current:
                break
        if not parts:
            return ['/']
        return sorted(set(current))

    def walk_files(self, path, max_depth, predicate, limit, max_entries=10000):
        """Regular files below the directory ``path`` leads to, breadth first and sorted, at most
        ``max_depth`` levels down, for which ``predicate(name, lstat result)`` is true.

        Links below the start directory are never followed (so the walk cannot leave the
        root or loop).  Returns ``(in-root paths, why it stopped early or None, unreadable
        [(in-root path, exception)])``; it stops after ``limit`` files or ``max_entries``
        directory entries.
        """
        queue = [(path.rstrip('/') or '/', self.host_path(path), 1)]
        found = []
        seen = 0
        unreadable = []
        while queue:
            logical, host, depth = queue.pop(0)
            try:
                with os.scandir(host) as entries:
                    listing = sorted(entries, key=lambda e: e.name)
            except OSError as exc:
                unreadable.append((logical, exc))
                continue
            for entry in listing:
                seen += 1
                if seen > max_entries:
                    return found, 'more than %d entries' % max_entries, unreadable
                child = logical.rstrip('/') + '/' + entry.name
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError as exc:
                    unreadable.append((child, exc))
                    continue
                if stat.S_ISDIR(st.st_mode):
                    if depth < max_depth:
                        queue.append((child, entry.path, depth + 1))
                elif stat.S_ISREG(st.st_mode) and predicate(entry.name, st):
                    if len(found) >= limit:
                        return found, 'more than %d files' % limit, unreadable
                    found.append(child)
        return found, None, unreadable
