# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build realistic offline root trees (Linux, macOS) for collector tests.

Layouts follow the vendor documentation (the same sources the catalogue cites):
KESL and Network Agent for Linux - packages ``kesl``, ``kesl-gui``, ``klnagent64``
(https://support.kaspersky.com/KES4Linux/12.2.0/en-US/273064.htm,
https://support.kaspersky.com/KES4Linux/10.1.1/en-US/161235.htm), ``/opt/kaspersky/kesl/bin/kesl-control``
and ``/var/opt/kaspersky/kesl/common/kesl.ini`` (KESL 12.1 doc 197654), ``kesl.service``
(glpi-project/glpi-agent KESL module), ``klnagent64.service`` (KSVLA 6.3 doc 179792), role groups
kesladmin/kesluser/keslaudit/nokesl (https://support.kaspersky.com/ca/kes-for-linux/12.1.0/264128);
KES for Mac - receipts ``com.kaspersky.kav.core`` and ``com.kaspersky.klnagent.core``, bundle id
``com.kaspersky.kav``, ``/Library/Application Support/Kaspersky Lab/KAV/Binaries/UninstallScript``
(gist mrowell/732b71cc3699865e6aefe54edf3c1329; provisioning scripts checking both receipts).
Products the catalogue does not list (issue 11 item 3) follow their own sources, cited where
they are built below.
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


DEBIAN_MAINTAINER = 'Debian QA Group <packages@qa.debian.org>'


def dpkg_stanza(name, version, status='install ok installed', arch='amd64', maintainer=DEBIAN_MAINTAINER):
    """One stanza of /var/lib/dpkg/status, fields in dpkg's own order (deb-control(5))."""
    return ('Package: %s\nStatus: %s\nPriority: optional\nSection: misc\nInstalled-Size: 1024\nMaintainer: %s\n'
            'Architecture: %s\nVersion: %s\nDescription: %s\n the %s package\n\n') % (
        name, status, maintainer, arch, version, name, name)


def linux_root(root, packages=(), files=(), dirs=(), units=(), groups=(), os_release=DEBIAN_OS_RELEASE):
    """Create a Debian-like root: dpkg status, files, directories, unit files and groups."""
    _write(root, '/etc/os-release', os_release)
    status = ''.join(dpkg_stanza(**p) if isinstance(p, dict) else dpkg_stanza(*p) if isinstance(p, tuple)
                     else dpkg_stanza(p, '1.0') for p in list(packages) + [('base-files', '12.4+deb12u8'), ('coreutils', '9.1-1')])
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


# --------------------------------------------------------------------------- products the catalogue does not list

#: dpkg Maintainer / rpm Vendor of Kaspersky's own packages.  Kaspersky does not publish the
#: control fields of its packages; the value is an assumption that names the vendor the way its
#: legal notices do ("AO Kaspersky Lab", https://www.kaspersky.com/end-user-license-agreement).
#: The vendor-marker probe searches for "Kaspersky", which any such value matches.
KASPERSKY_MAINTAINER = 'AO Kaspersky Lab <support@kaspersky.com>'


def kav4lms_linux_root(root, packages=()):
    """Kaspersky Anti-Virus for Linux Mail Server 5.6 (``kav4lms``, the predecessor of KLMS), a
    product the catalogue does not list: Debian package ``kav4lms`` 5.6.42, install root
    ``/opt/kaspersky/kav4lms`` with ``bin/kav4lms-cmd`` and the daemon ``sbin/kavmd``, an init
    script ``kav4lms``, configuration ``/etc/opt/kaspersky/kav4lms.conf`` and data below
    ``/var/opt/kaspersky/kav4lms`` (dtouzeau/artica-1.5:bin/src/artica-install/kavm4mls.pas, the
    Artica appliance's installer of the product: INSTROOT, FILE, DEFAULTCONFIG, PATH_BASES,
    INITD_kav4lms, USED_PKGMGR deb, VERSION 5.6.42).  The init script's contents are an assumption
    (Artica names the script only).  ``packages``: more packages for the same dpkg database."""
    linux_root(root, packages=[dict(name='kav4lms', version='5.6.42', arch='i386', maintainer=KASPERSKY_MAINTAINER)]
               + DECOY_PACKAGES + list(packages))
    _write(root, '/opt/kaspersky/kav4lms/bin/kav4lms-cmd', '\x7fELF', 0o755)
    _write(root, '/opt/kaspersky/kav4lms/sbin/kavmd', '\x7fELF', 0o755)
    _write(root, '/opt/kaspersky/kav4lms/lib/libkavmd.so', '\x7fELF', 0o644)
    _write(root, '/opt/kaspersky/kav4lms/share/doc/README', 'kav4lms\n', 0o644)
    _write(root, '/etc/opt/kaspersky/kav4lms.conf', '[path]\nBasesPath=/var/opt/kaspersky/kav4lms/bases\n', 0o644)
    os.makedirs(os.path.join(root, 'var/opt/kaspersky/kav4lms/bases'), exist_ok=True)
    _write(root, '/etc/init.d/kav4lms', '#!/bin/sh\n### BEGIN INIT INFO\n# Provides: kav4lms\n### END INIT INFO\n'
                                        'DAEMON=/opt/kaspersky/kav4lms/sbin/kavmd\ncase "$1" in start) $DAEMON ;; esac\n', 0o755)
    _write(root, '/etc/init.d/cron', '#!/bin/sh\nDAEMON=/usr/sbin/cron\n', 0o755)
    return root


#: the id of one KUMA collector (KUMA names each service after its id; illustrative value)
KUMA_COLLECTOR_ID = '5c1d8e1b-2f4a-4a7e-9b0c-3e6f1d2a8b47'


def kuma_root(root, unit=True):
    """Kaspersky Unified Monitoring and Analysis Platform (KUMA) with one collector, a product
    the catalogue does not list.  KUMA is installed by its own (Ansible) installer, not as a
    package: its services live in ``/opt/kaspersky/kuma``, the executable
    ``/opt/kaspersky/kuma/kuma`` and the licence text ``/opt/kaspersky/kuma/LICENSE``
    (https://support.kaspersky.it/help/KUMA/1.5/en-US/all-in-one.htm?sectionUrl=217688.htm,
    https://support.kaspersky.co.jp/help/KUMA/3.4/en-US/all-in-one.htm?sectionUrl=217959.htm); a
    collector is the systemd service ``kuma-collector-<ID>`` with its data in
    ``/opt/kaspersky/kuma/collector/<ID>`` (https://support.kaspersky.com/help/KUMA/3.0.2/en-US/238522.htm).
    Assumed, not published: the unit file's place (``/usr/lib/systemd/system``) and its
    ``ExecStart`` line.  With ``unit``, the collector's unit and two decoy units (one starting a
    program elsewhere, one masked) are written too.  A root without ``etc/os-release`` first
    becomes a bare Debian root."""
    if not os.path.exists(os.path.join(root, 'etc/os-release')):
        linux_root(root)
    _write(root, '/opt/kaspersky/kuma/kuma', '\x7fELF', 0o755)
    _write(root, '/opt/kaspersky/kuma/LICENSE', 'End User License Agreement\n', 0o644)
    os.makedirs(os.path.join(root, 'opt/kaspersky/kuma/collector', KUMA_COLLECTOR_ID, 'buffers'), exist_ok=True)
    if unit:
        _write(root, '/usr/lib/systemd/system/kuma-collector-%s.service' % KUMA_COLLECTOR_ID,
               '[Unit]\nDescription=KUMA collector %s\n[Service]\nType=simple\n'
               'ExecStart=/opt/kaspersky/kuma/kuma collector --core https://kuma-core.example.com:7210 --id %s\n'
               '[Install]\nWantedBy=multi-user.target\n' % (KUMA_COLLECTOR_ID, KUMA_COLLECTOR_ID))
        _write(root, '/lib/systemd/system/cron.service', '[Service]\nExecStart=/usr/sbin/cron -f\n')
        masked = os.path.join(root, 'etc/systemd/system/masked.service')
        os.makedirs(os.path.dirname(masked), exist_ok=True)
        if not os.path.lexists(masked):
            os.symlink('/dev/null', masked)
    return root


#: Debian version of the KSC Web Console package in the fixtures (illustrative)
KSC_WEB_CONSOLE_VERSION = '15.1.0.2044'


def ksc_web_console_root(root):
    """Kaspersky Security Center Web Console for Linux, a product the catalogue does not list:
    the package ``ksc-web-console`` with its response file ``/etc/ksc-web-console-setup.json``
    (https://support.kaspersky.com/help/KSCLinux/16/en-US/271767.htm).  Only the package marks it
    here: its files are not laid out."""
    linux_root(root, packages=[dict(name='ksc-web-console', version=KSC_WEB_CONSOLE_VERSION, maintainer=KASPERSKY_MAINTAINER)]
               + DECOY_PACKAGES)
    _write(root, '/etc/ksc-web-console-setup.json', '{"address": "ksc-web-console.example.com", "port": 8080, "acceptEula": true}\n')
    return root


#: CFBundleShortVersionString of the Password Manager app in the fixtures (illustrative)
KPM_MAC_VERSION = '9.2.106'


def kpm_mac_root(root):
    """Kaspersky Password Manager for Mac, which the catalogue does not list for macOS.  Bundle
    id ``com.kaspersky.passwordmanager`` as observed for the vendor's iOS app (codesign output in
    public scripts; the Mac app is assumed to share it); the installer receipt id is assumed to
    be the bundle id with ``.pkg``, the usual pkgbuild identifier."""
    _plist(root, '/Applications/Kaspersky Password Manager.app/Contents/Info.plist',
           {'CFBundleIdentifier': 'com.kaspersky.passwordmanager', 'CFBundleShortVersionString': KPM_MAC_VERSION})
    _plist(root, '/var/db/receipts/com.kaspersky.passwordmanager.pkg.plist',
           {'PackageIdentifier': 'com.kaspersky.passwordmanager.pkg', 'PackageVersion': KPM_MAC_VERSION})
    return root


# --------------------------------------------------------------------------- RPM databases

RHEL_OS_RELEASE = ('NAME="Red Hat Enterprise Linux"\nVERSION="9.4 (Plow)"\nID="rhel"\nID_LIKE="fedora"\n'
                   'VERSION_ID="9.4"\nPRETTY_NAME="Red Hat Enterprise Linux 9.4 (Plow)"\n')

RPM_SPEC = """Name: %(name)s
Version: %(version)s
Release: %(release)s
Summary: %(name)s
License: Proprietary
Vendor: %(vendor)s
Packager: %(packager)s
%%description
%(name)s
%%files
"""


def rpm_tools():
    """``(rpm, rpmbuild)`` paths, or None when Debian's ``rpm`` package is not installed."""
    rpm, rpmbuild = shutil.which('rpm'), shutil.which('rpmbuild')
    return (rpm, rpmbuild) if rpm and rpmbuild else None


def build_rpm(workdir, name, version, release, vendor=KASPERSKY_MAINTAINER.split(' <', maxsplit=1)[0], packager=KASPERSKY_MAINTAINER,
              arch='x86_64'):
    """Build a real (empty) binary RPM with rpmbuild; return its path.  Names and versions
    follow the vendor's files: ``kesl-12.1.0-1297.x86_64.rpm`` (KESL doc 273064),
    ``klnagent64-14.2.0-26967.x86_64.rpm`` (KES4Linux doc 161235)."""
    top = os.path.join(workdir, 'rpmbuild-' + name)
    spec = _write(top, '/%s.spec' % name, RPM_SPEC % dict(name=name, version=version, release=release, vendor=vendor,
                                                          packager=packager))
    subprocess.run([shutil.which('rpmbuild'), '--define', '_topdir ' + top, '--target', arch, '-bb', spec],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return os.path.join(top, 'RPMS', arch, '%s-%s-%s.%s.rpm' % (name, version, release, arch))


def rpm_install(dbpath, rpms):
    """A real rpm database at ``dbpath`` (sqlite, rpm 4.16+) holding ``rpms``."""
    os.makedirs(dbpath, exist_ok=True)
    rpm = shutil.which('rpm')
    subprocess.run([rpm, '--dbpath', dbpath, '--initdb'], check=True)
    if rpms:
        subprocess.run([rpm, '--dbpath', dbpath, '-i', '--justdb', '--nodeps', '--noscripts', '--ignorearch', '--ignoreos']
                       + list(rpms), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return dbpath


def rhel_root(root, rpms, layout='var/lib/rpm'):
    """A RHEL 9 root whose rpm database (``layout``: ``var/lib/rpm``, or Fedora's
    ``usr/lib/sysimage/rpm`` with ``var/lib/rpm`` a relative link to it) holds ``rpms``."""
    _write(root, '/etc/os-release', RHEL_OS_RELEASE)
    _write(root, '/etc/group', BASE_GROUPS)
    rpm_install(os.path.join(root, layout), rpms)
    if layout != 'var/lib/rpm':
        os.makedirs(os.path.join(root, 'var/lib'), exist_ok=True)
        os.symlink('../../' + layout, os.path.join(root, 'var/lib/rpm'))
    return root


# --------------------------------------------------------------------------- Mach-O code signatures

#: Kaspersky's Apple Developer Team ID (codesign output of com.kaspersky.kav.downloader, Santa
#: and MDM allow-list scripts; catalogue sources, medium)
KASPERSKY_TEAM_ID = '2Y8XE5CQ94'


def code_signature(identifier, team_id):
    """An embedded signature SuperBlob with one CodeDirectory (version 0x20400, SHA-256) that
    carries ``team_id``; layout of xnu osfmk/kern/cs_blobs.h (CS_SuperBlob, CS_CodeDirectory)."""
    import struct
    header = 88  # CS_CodeDirectory up to execSegFlags (version 0x20400)
    ident = identifier.encode() + b'\0'
    team = team_id.encode() + b'\0'
    ident_off, team_off = header, header + len(ident)
    hash_off = team_off + len(team)
    length = hash_off + 32
    directory = struct.pack('>9I4B3I', 0xfade0c02, length, 0x20400, 0, hash_off, ident_off, 0, 1, 4096,
                            32, 2, 0, 12, 0, 0, team_off)
    directory += struct.pack('>IQQQQ', 0, 0, 0, 4096, 1) + ident + team + b'\x11' * 32
    return struct.pack('>3I', 0xfade0cc0, 12 + 8 + len(directory), 1) + struct.pack('>2I', 0, 20) + directory


def macho_image(signature=None, cputype=0x01000007):
    """A 64-bit little-endian Mach-O executable (mach-o/loader.h): header, one LC_SEGMENT_64 and,
    when ``signature`` is given, LC_CODE_SIGNATURE pointing at it (page aligned, as ld puts it)."""
    import struct
    segment = struct.pack('<2I16s4Q2i2I', 0x19, 72, b'__TEXT', 0x100000000, 0x1000, 0, 0x1000, 5, 5, 0, 0)
    commands = [segment]
    if signature is not None:
        commands.append(struct.pack('<4I', 0x1d, 16, 0x1000, len(signature)))
    body = b''.join(commands)
    header = struct.pack('<7I I', 0xfeedfacf, cputype, 3, 2, len(commands), len(body), 0x00200085, 0)
    image = (header + body).ljust(0x1000, b'\0')
    return image + (signature or b'')


def fat_macho(images):
    """A universal (fat) file of Mach-O ``images`` (big-endian fat_header and fat_arch entries,
    each image at a 16 KiB boundary)."""
    import struct
    head = struct.pack('>2I', 0xcafebabe, len(images))
    body = b''
    for image in images:
        start = 0x4000 + ((len(body) + 0x3fff) // 0x4000) * 0x4000
        body = body.ljust(start - 0x4000, b'\0') + image
        cputype, cpusubtype = struct.unpack('<2I', image[4:12])
        head += struct.pack('>5I', cputype, cpusubtype, start, len(image), 14)
    return head.ljust(0x4000, b'\0') + body


def signed_app(root, path, bundle_id, version, team_id=KASPERSKY_TEAM_ID, fat=False):
    """An application bundle whose main executable is signed with ``team_id``."""
    executable = os.path.basename(path)[:-len('.app')]
    _plist(root, path + '/Contents/Info.plist', {'CFBundleIdentifier': bundle_id, 'CFBundleShortVersionString': version,
                                                 'CFBundleExecutable': executable})
    signed = macho_image(code_signature(bundle_id, team_id))
    binary = fat_macho([macho_image(None, 0x0100000c), signed]) if fat else signed
    _write(root, path + '/Contents/MacOS/' + executable, binary, 0o755)
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
