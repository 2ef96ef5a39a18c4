# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build realistic offline root trees (Linux, macOS) for collector tests.

Layouts follow ../shared/reference/kaspersky-footprint.md: §2 (KESL, Network Agent for
Linux: packages, /opt/kaspersky/..., /var/opt/kaspersky/..., kesl.service, klnagent64.service,
role groups kesladmin/kesluser/keslaudit/nokesl) and §3 (macOS receipts com.kaspersky.kav.core,
com.kaspersky.klnagent.core, bundle ids, /Library/Application Support/Kaspersky Lab).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import plistlib
import shutil
import subprocess
import sys

DEBIAN_OS_RELEASE = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n'
BASE_GROUPS = 'root:x:0:\ndaemon:x:1:\nusers:x:100:\n'

DECOY_PACKAGES = [('klavaro', '3.13-2'), ('kasumi', '2.5-11'), ('klatexformula', '4.1.0-1+b2')]


def _write(root, path, content='', mode=0o644):
    full = os.path.join(root, path.lstrip('/'))
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, 'wb' if isinstance(content, bytes) else 'w') as handle:
        handle.write(content)
    os.chmod(full, mode)
    return full


def dpkg_stanza(name, version, status='install ok installed', arch='amd64'):
    return 'Package: %s\nStatus: %s\nPriority: optional\nArchitecture: %s\nVersion: %s\nDescription: %s\n\n' % (
        name, status, arch, version, name)


def linux_root(root, packages=(), files=(), dirs=(), units=(), groups=(), os_release=DEBIAN_OS_RELEASE):
    """Create a Debian-like root: dpkg status, files, directories, unit files and groups."""
    _write(root, '/etc/os-release', os_release)
    status = ''.join(dpkg_stanza(*p) if isinstance(p, tuple) else dpkg_stanza(p, '1.0') for p in
                     list(packages) + [('base-files', '12.4+deb12u8'), ('coreutils', '9.1-1')])
    _write(root, '/var/lib/dpkg/status', status)
    for path in files:
        _write(root, path, '#!/bin/sh\n', 0o755)
    for path in dirs:
        os.makedirs(os.path.join(root, path.lstrip('/')), exist_ok=True)
    for unit in units:
        _write(root, '/lib/systemd/system/' + unit, '[Unit]\nDescription=%s\n[Service]\nExecStart=/bin/true\n' % unit)
    group_lines = BASE_GROUPS + ''.join('%s:x:%d:\n' % (g, 990 + i) for i, g in enumerate(groups))
    _write(root, '/etc/group', group_lines)
    return root


def kesl_linux_root(root):
    """A KESL 12.1 workstation with kesl-gui and Network Agent 14 (footprint §2)."""
    return linux_root(
        root,
        packages=[('kesl', '12.1.0.1297'), ('kesl-gui', '12.1.0.1297'), ('klnagent64', '14.2.0.26967')] + DECOY_PACKAGES,
        files=['/opt/kaspersky/kesl/bin/kesl-control', '/opt/kaspersky/kesl/libexec/kesl',
               '/opt/kaspersky/klnagent64/bin/klnagchk', '/opt/kaspersky/klnagent64/bin/klmover',
               '/var/opt/kaspersky/kesl/common/kesl.ini', '/var/opt/kaspersky/kesl/common/agreements.ini'],
        dirs=['/var/opt/kaspersky/klnagent64'],
        units=['kesl.service', 'kesl-supervisor.service', 'klnagent64.service'],
        groups=['kesladmin', 'kesluser', 'keslaudit', 'nokesl'],
    )


def clean_linux_root(root):
    """A clean Debian host with ClamAV and K-named decoy packages only."""
    return linux_root(root, packages=DECOY_PACKAGES + [('clamav', '1.0.7+dfsg-1~deb12u1'), ('clamav-daemon', '1.0.7+dfsg-1~deb12u1')],
                      files=['/usr/sbin/clamd', '/usr/bin/clamscan', '/usr/bin/klavaro'],
                      units=['clamav-daemon.service', 'clamav-freshclam.service'])


def residue_linux_root(root):
    """KESL removed without purge: config-files packages, leftover directories and groups."""
    return linux_root(root, packages=[('kesl', '12.1.0.1297', 'deinstall ok config-files')],
                      dirs=['/var/opt/kaspersky/kesl/common', '/opt/kaspersky'], groups=['kesladmin', 'nokesl'])


def _plist(root, path, data):
    return _write(root, path, plistlib.dumps(data))


def macos_root(root, kaspersky=True):
    """A macOS 14 volume, with KES for Mac 11.3 and Network Agent when ``kaspersky`` (footprint §3)."""
    _plist(root, '/System/Library/CoreServices/SystemVersion.plist', {'ProductName': 'macOS', 'ProductVersion': '14.6.1'})
    _plist(root, '/Applications/Safari.app/Contents/Info.plist', {'CFBundleIdentifier': 'com.apple.Safari', 'CFBundleShortVersionString': '17.6'})
    _plist(root, '/Applications/Keynote.app/Contents/Info.plist', {'CFBundleIdentifier': 'com.apple.iWork.Keynote', 'CFBundleShortVersionString': '14.1'})
    _plist(root, '/var/db/receipts/com.apple.pkg.XProtectPayloads_10_15.16U4362.plist',
           {'PackageIdentifier': 'com.apple.pkg.XProtectPayloads_10_15.16U4362', 'PackageVersion': '2200'})
    if kaspersky:
        _plist(root, '/var/db/receipts/com.kaspersky.kav.core.plist',
               {'PackageIdentifier': 'com.kaspersky.kav.core', 'PackageVersion': '11.3.0.236'})
        _plist(root, '/var/db/receipts/com.kaspersky.klnagent.core.plist',
               {'PackageIdentifier': 'com.kaspersky.klnagent.core', 'PackageVersion': '14.0.0.20023'})
        _plist(root, '/Applications/Kaspersky Endpoint Security for Mac.app/Contents/Info.plist',
               {'CFBundleIdentifier': 'com.kaspersky.kav', 'CFBundleShortVersionString': '11.3.0.236'})
        _plist(root, '/Library/LaunchDaemons/com.kaspersky.kav.plist', {'Label': 'com.kaspersky.kav'})
        _write(root, '/Library/Application Support/Kaspersky Lab/KAV/Binaries/UninstallScript', '#!/bin/sh\n', 0o755)
        _write(root, '/Library/Application Support/Kaspersky Lab/klnagent/Binaries/UninstallScript', '#!/bin/sh\n', 0o755)
    return root


# --------------------------------------------------------------------------- hostile trees
# Helpers for the fail-closed tests (issue 11): run code in a child process, with a time limit
# and a memory limit (a hang or an endless read fails the test instead of the test run), and,
# for permission cases, without root's DAC override (tests run as root here; capsh drops
# cap_dac_override and cap_dac_read_search, so mode bits apply as they would to any user).

CHILD_MEMORY = 1024 * 1024 * 1024
CAPSH = shutil.which('capsh')

COLLECT_CHILD = r'''
import json, resource, sys
limit = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
from ansible_collections.fleetsec.banned_av.plugins.module_utils import posix_collect
args = json.load(sys.stdin)
inventories = posix_collect.collect_all(args['probe'], root=args['root'], timeout=args.get('timeout'))
# as Ansible sends it: text that is not valid UTF-8 cannot be written
sys.stdout.buffer.write(json.dumps(posix_collect.module_result(inventories), ensure_ascii=False).encode('utf-8'))
'''


def child_env():
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join(p for p in sys.path if p)
    return env


def run_child(code, stdin='', timeout=60, drop_dac=False, memory=CHILD_MEMORY):
    """Run Python ``code`` in a child process (``sys.argv[1]`` is the memory limit in bytes).

    Returns ``(rc, stdout, stderr)``; rc is None when the child was killed after ``timeout``
    seconds.  ``drop_dac`` runs it under capsh without cap_dac_override/cap_dac_read_search.
    """
    argv = [sys.executable, '-c', code, str(memory)]
    if drop_dac:
        if CAPSH is None:
            raise RuntimeError('capsh is not installed (Debian package libcap2-bin)')
        quoted = ' '.join("'%s'" % a.replace("'", "'\\''") for a in argv)
        argv = [CAPSH, '--drop=cap_dac_override,cap_dac_read_search', '--', '-c', 'exec ' + quoted]
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=child_env(), start_new_session=True)
    try:
        out, err = proc.communicate(stdin.encode('utf-8'), timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        out, err = proc.communicate()
        return None, out, err
    return proc.returncode, out, err


def collect_in_child(probe, root, timeout=60, drop_dac=False, collector_timeout=None):
    """The POSIX collector's module result for ``root``, computed in a child process."""
    rc, out, err = run_child(COLLECT_CHILD, json.dumps({'probe': probe, 'root': str(root), 'timeout': collector_timeout}),
                             timeout=timeout, drop_dac=drop_dac)
    if rc is None:
        raise AssertionError('the collector did not finish within %s s (stderr: %s)' % (timeout, err.decode('utf-8', 'replace')[-2000:]))
    if rc != 0:
        raise AssertionError('the collector failed (rc %s): %s' % (rc, err.decode('utf-8', 'replace')[-2000:]))
    return json.loads(out.decode('utf-8'))
