# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Safety checks around a Windows removal: data encryption and Kaspersky Security Center before
it, left-over filter drivers after it (issue 14 points 11 and 12).

* **Encryption.** Kaspersky Endpoint Security can encrypt disks (FDE) and files (FLE); "if ...
  Kaspersky Endpoint Security, or encryption components has been removed, the encrypted status of
  previously encrypted files is not guaranteed" (https://support.kaspersky.com/KESWin/11/en-US/128081.htm),
  and data encrypted before the removal stays readable only through the kept local key store and a
  reinstallation with the encryption component (KES uninstall wizard, support.kaspersky.com/KESWin/
  11.3.0/de-DE/127987.htm).  ``kescli --opswat GetEncryptionState`` answers 1 when a disk is
  protected by Kaspersky or BitLocker encryption, 0 when none is
  (https://support.kaspersky.com/kes-for-windows/12.5/265778).  A 1, or no answer, blocks the
  removal unless the user acknowledges it (``remediate_encryption_acknowledged``).
* **Kaspersky Security Center.** A Network Agent that reports an Administration Server
  (``Protection_AdmServer`` in its ``AVState`` statistics key, as the Checkmk plugin
  Checkmk/checkmk:agents/windows/plugins/kaspersky_av_client.vbs reads it) belongs to a KSC server that can install the product again
  (remote installation tasks); the removal goes ahead with a warning, and the role can detect
  again after a delay to catch it.
* **Class filters.** A filter driver left in ``UpperFilters``/``LowerFilters`` of a device class
  (``HKLM\\SYSTEM\\CurrentControlSet\\Control\\Class\\{GUID}``) after its driver is gone can stop the
  device (keyboard, disk) from starting at the next boot: the outcome is ``degraded`` with the
  registry path (https://learn.microsoft.com/en-us/windows-hardware/drivers/install/system-defined-device-setup-classes-available-to-vendors).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch
import ntpath

CLASS_KEY = 'HKLM\\SYSTEM\\CurrentControlSet\\Control\\Class'


# --------------------------------------------------------------------------- what to check

def encryption_dirs(finding):
    """The directories a finding's product runs from (where ``kescli.exe`` lives): the folder of each
    file it was found by, and the folders it was found as."""
    dirs = []
    for item in finding.get('evidence') or []:
        path = item.get('path') if item.get('kind') in ('file', 'path') else item.get('exe') if item.get('kind') == 'process' else None
        if not path or not (len(path) > 2 and path[1] == ':'):
            continue
        folder = ntpath.dirname(path) if item.get('kind') in ('file', 'process') else path.rstrip('\\')
        if folder and folder.lower() not in [d.lower() for d in dirs]:
            dirs.append(folder)
    return dirs


def filter_drivers(catalog_entries, families):
    """Driver names (globs) of the banned catalogue entries of ``families``: the names a left-over
    class filter of those vendors has."""
    names = []
    for entry in catalog_entries or []:
        if entry.get('family') in families and entry.get('category') in ('banned', 'oem'):
            for name in (entry.get('match') or {}).get('drivers') or []:
                if name not in names:
                    names.append(name)
    return names


# --------------------------------------------------------------------------- before the removal

def preflight(checks, raw, acknowledged=False, recheck_delay=0):
    """``{blocked, warnings, ksc_servers}`` from what the role read before the removal.

    ``checks`` is the plan's ``windows.checks`` (``encryption``: ``[{id, dirs}]``); ``raw`` the
    role's read-out: ``encryption`` (``[{id, kescli, rc, stdout, error}]``, one per product; no
    ``kescli`` when none was found) and ``ksc`` (``[{key, server, last_connected}]``)."""
    raw = raw or {}
    blocked, warnings = [], []
    results = dict((r.get('id'), r) for r in raw.get('encryption') or [])
    for check in (checks or {}).get('encryption') or []:
        state, why = _encryption_state(results.get(check['id']))
        if state == 0:
            continue
        text = ('%s: %s. Removing Kaspersky Endpoint Security can leave data it encrypted (full disk or file '
                'encryption) unreadable: decrypt it first (Kaspersky Security Center policy), then run again' % (check['id'], why))
        if acknowledged:
            warnings.append(text + '; removed anyway: remediate_encryption_acknowledged is true')
        else:
            blocked.append(text + ', or set remediate_encryption_acknowledged: true once the data is safe')
    servers = []
    for item in raw.get('ksc') or []:
        server = (item.get('server') or '').strip()
        if server and server not in servers:
            servers.append(server)
    if servers:
        warnings.append('managed by Kaspersky Security Center (Network Agent reports Administration Server %s): KSC can '
                        'install the product again (remote installation tasks, automatic deployment); remove the host '
                        'from those tasks first%s' % (', '.join(servers), '' if recheck_delay else
                                                      '; set remediate_recheck_delay to detect again after the removal'))
    return {'blocked': blocked, 'warnings': warnings, 'ksc_servers': servers}


def _encryption_state(result):
    """``(1 or 0 or None, why)`` of one product's GetEncryptionState."""
    if not result or not result.get('kescli'):
        return None, ('the encryption state is not known: kescli.exe was not found (it comes with Kaspersky Endpoint '
                      'Security 11.5 and later)')
    out = (result.get('stdout') or '').strip()
    if result.get('rc') == 0 and out in ('0', '1'):
        if out == '0':
            return 0, 'no disk is encrypted'
        return 1, ('kescli --opswat GetEncryptionState reports an encrypted disk (Kaspersky or BitLocker '
                   'encryption)')
    return None, 'the encryption state is not known: kescli --opswat GetEncryptionState answered rc %s, %r%s' % (
        result.get('rc'), out[:80], (' (%s)' % result['error'][:200]) if result.get('error') else '')


# --------------------------------------------------------------------------- after the removal

def leftover_filters(class_filters, drivers):
    """``[{path, entries, class}]``: class filter values that still name one of ``drivers``."""
    found = []
    for cls in class_filters or []:
        for side, field in (('UpperFilters', 'upper'), ('LowerFilters', 'lower')):
            entries = [e for e in cls.get(field) or [] if any(fnmatch.fnmatchcase((e or '').lower(), d.lower()) for d in drivers)]
            if entries:
                found.append({'path': '%s\\%s\\%s' % (CLASS_KEY, cls.get('class_guid'), side), 'entries': entries,
                              'class': cls.get('name')})
    return found


def describe_leftovers(found):
    return '; '.join('%s still lists %s%s' % (f['path'], ', '.join(f['entries']), ' (%s devices)' % f['class'] if f['class'] else '')
                     for f in found)
