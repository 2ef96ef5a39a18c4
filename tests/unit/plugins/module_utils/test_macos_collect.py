# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The macOS sources of the POSIX collector (module_utils/macos_collect.py): the Mach-O code
signature reader, and which collector each platform gets.  The macOS scans themselves are tested
on offline roots that imitate a Mac (test_posix_collect.py, test_vendor_markers.py)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.fleetsec.banned_av.plugins.module_utils import macos_collect
from ansible_collections.fleetsec.banned_av.plugins.module_utils import posix_collect
from ansible_collections.fleetsec.banned_av.plugins.module_utils import rootfs


def test_each_platform_gets_its_collector(tmp_path):
    fs = rootfs.RootFS(str(tmp_path))
    assert posix_collect.collector_class('darwin') is macos_collect.MacosCollector
    assert posix_collect.collector_class('linux') is posix_collect.Collector
    mac_sources = [name for name, _step in macos_collect.MacosCollector(None, fs, 'darwin').steps()]
    linux_sources = [name for name, _step in posix_collect.Collector(None, fs, 'linux').steps()]
    assert {'receipts', 'bundles', 'launchd'} <= set(mac_sources) and not {'receipts', 'bundles', 'launchd'} & set(linux_sources)
    assert {'packages', 'units', 'kernel_modules'} <= set(linux_sources) and not {'packages', 'units'} & set(mac_sources)
    # both end with the vendor tools, which may use what the other sources found
    assert mac_sources[-1] == linux_sources[-1] == 'commands'


def test_macho_team_id_thin_and_universal():
    from ansible_collections.fleetsec.banned_av.tests.support import roots
    signed = roots.macho_image(roots.code_signature('com.kaspersky.kav', '2Y8XE5CQ94'))
    assert macos_collect.macho_slices(signed[:4096]) == [0]
    offset, size = macos_collect.macho_code_signature(signed[:4096])
    assert offset == 0x1000 and macos_collect.macho_team_id(signed[offset:offset + size]) == '2Y8XE5CQ94'
    fat = roots.fat_macho([roots.macho_image(None, 0x0100000c), signed])
    slices = macos_collect.macho_slices(fat[:4096])
    assert len(slices) == 2 and macos_collect.macho_code_signature(fat[slices[0]:slices[0] + 4096]) is None
    offset, size = macos_collect.macho_code_signature(fat[slices[1]:slices[1] + 4096])
    assert macos_collect.macho_team_id(fat[slices[1] + offset:slices[1] + offset + size]) == '2Y8XE5CQ94'


@pytest.mark.parametrize('data', [
    b'', b'\xca\xfe\xba\xbe\x00\x00\x00\x34',                        # a Java class file (same magic, version 52)
    b'\xcf\xfa\xed\xfe' + b'\xff' * 28,                                # a header with absurd ncmds
    b'\x7fELF\x02\x01\x01' + b'\x00' * 100,                            # not Mach-O
])
def test_macho_readers_do_not_trust_the_input(data):
    assert macos_collect.macho_slices(data) in ([], [0])
    assert macos_collect.macho_code_signature(data) is None
    assert macos_collect.macho_team_id(data) is None


def test_code_signature_without_team_id():
    from ansible_collections.fleetsec.banned_av.tests.support import roots
    blob = bytearray(roots.code_signature('com.example', 'TEAM'))
    blob[20 + 8:20 + 12] = (0x20100).to_bytes(4, 'big')  # CodeDirectory version before team ids
    assert macos_collect.macho_team_id(bytes(blob)) is None
    assert macos_collect.macho_team_id(b'\xfa\xde\x0c\xc0' + b'\x00' * 8) is None
