# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parsers for the raw output that collectors bring back.

Collectors run tool queries and return stdout untouched; these parsers run on the controller
(one tested implementation for every OS).  Each parser takes the text and returns plain data.
The package database readers (:func:`parse_dpkg_status`, :func:`parse_rpm` with vendor and
packager) also run on the target, where the POSIX collector filters packages before anything is
sent back (the Mach-O code signature reader is macOS's: ``macos_collect.py``).

Formats: dpkg's status file and ``dpkg-query`` fields (deb-control(5), dpkg-query(1),
https://man7.org/linux/man-pages/man1/dpkg-query.1.html), rpm query tags (rpm(8),
https://rpm-software-management.github.io/rpm/manual/tags.html), ``kesl-control --app-info``
(https://support.kaspersky.com/KES4Linux/12.1.0/en-US/197654.htm; glpi-project/glpi-agent and
Checkmk's kaspersky_av plugin parse the same labels), ``mdatp health``
(https://learn.microsoft.com/en-us/defender-endpoint/linux-resources).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import fnmatch
import json
import re

# --------------------------------------------------------------------------- packages

#: dpkg-query format (one line per package) of the ``dpkg`` command output the matcher parses
DPKG_FORMAT = '${Package}\\t${Version}\\t${Architecture}\\t${Status}\\n'
#: rpm query format used by the POSIX collector: name, [epoch:]version-release, arch, vendor, packager
RPM_FORMAT = '%{NAME}\\t%{EPOCHNUM}:%{VERSION}-%{RELEASE}\\t%{ARCH}\\tinstalled\\t%{VENDOR}\\t%{PACKAGER}\\n'

_DPKG_INSTALLED = ('installed', 'half-configured', 'unpacked', 'half-installed', 'triggers-awaited', 'triggers-pending')


def dpkg_record(name, version, arch, status, maintainer=None):
    """One dpkg package record; ``installed`` and ``residue`` from the last word of Status."""
    status = (status or '').strip()
    state = status.split()[-1] if status else ''
    record = {
        'name': name, 'version': version or None, 'arch': arch or None, 'status': status,
        'installed': state in _DPKG_INSTALLED,
        'residue': state == 'config-files',
        'manager': 'dpkg',
    }
    if maintainer is not None:
        record['maintainer'] = maintainer
    return record


def parse_dpkg(text):
    """Parse ``dpkg-query -W -f=DPKG_FORMAT`` output.

    Returns ``[{name, version, arch, status, installed, manager}]``.  ``installed`` is true only
    for ``install ok installed``-like states; ``config-files`` (removed, not purged) and
    ``not-installed`` are kept with ``installed: false`` so residue can be reported.
    """
    packages = []
    for line in text.splitlines():
        if not line.strip():
            continue
        parts = line.split('\t')
        if len(parts) < 4:
            continue
        packages.append(dpkg_record(parts[0], parts[1], parts[2], parts[3], parts[4] if len(parts) > 4 else None))
    return packages


# the fields the collector needs (continuation lines start with a space, so never match)
_DPKG_FIELDS = ('Package:', 'Version:', 'Architecture:', 'Status:', 'Maintainer:')


def dpkg_stanzas(text):
    """The stanzas of a dpkg status file (deb-control(5)) as ``{field: value}`` with the fields
    the collector needs."""
    fields = {}
    for line in text.split('\n'):
        if not line.strip():
            if fields:
                yield fields
                fields = {}
        elif line.startswith(_DPKG_FIELDS):
            key, _sep, value = line.partition(':')
            fields[key] = value.strip()
    if fields:
        yield fields


def parse_dpkg_status(text, wanted=None):
    """Read a dpkg ``status`` file (or one ``updates/NNNN`` journal entry).

    Returns ``(records, count)``: ``count`` is the number of package stanzas read, ``records``
    those for which ``wanted(name, [maintainer])`` is true (all when ``wanted`` is None), each
    a :func:`dpkg_record` with ``maintainer``.
    """
    records = []
    count = 0
    for fields in dpkg_stanzas(text):
        name = fields.get('Package')
        if not name:
            continue
        count += 1
        maintainer = fields.get('Maintainer')
        if wanted is None or wanted(name, [maintainer] if maintainer else []):
            records.append(dpkg_record(name, fields.get('Version'), fields.get('Architecture'), fields.get('Status'),
                                       maintainer or ''))
    return records, count


def _rpm_field(value):
    value = (value or '').strip()
    return '' if value == '(none)' else value


def parse_rpm(text, wanted=None):
    """Parse ``rpm -qa --qf RPM_FORMAT`` output.  An epoch of 0 is dropped from the version.

    Lines with vendor and packager columns give records with ``maintainer`` ("VENDOR /
    PACKAGER", either part left out when rpm says ``(none)``).  ``wanted(name, [vendor,
    packager])`` filters the records, as for :func:`parse_dpkg_status`.
    """
    packages = []
    for line in text.splitlines():
        parts = line.split('\t')
        if len(parts) < 3 or not parts[0]:
            continue
        version = parts[1]
        if version.startswith('0:'):
            version = version[2:]
        marks = [_rpm_field(p) for p in parts[4:6]]
        if wanted is not None and not wanted(parts[0], [m for m in marks if m]):
            continue
        record = {'name': parts[0], 'version': version, 'arch': parts[2], 'status': 'installed',
                  'installed': True, 'residue': False, 'manager': 'rpm'}
        if len(parts) > 4:
            record['maintainer'] = ' / '.join(m for m in marks if m)
        packages.append(record)
    return packages


def package_filter(patterns, maintainer_regexes):
    """``wanted(name, marks)``: the name matches a glob of ``patterns`` (fnmatch, case-sensitive),
    or a mark (maintainer, vendor, packager) matches a compiled regex of ``maintainer_regexes``."""
    names = re.compile('|'.join(fnmatch.translate(p) for p in patterns)) if patterns else None

    def wanted(name, marks):
        if names is not None and names.match(name):
            return True
        return any(r.search(m) for r in maintainer_regexes for m in marks)
    return wanted


# --------------------------------------------------------------------------- dates


_DATE_FORMATS = ('%Y-%m-%d %H:%M:%S', '%Y-%m-%dT%H:%M:%S', '%Y-%m-%d', '%d.%m.%Y %H:%M:%S', '%d.%m.%Y',
                 '%m/%d/%Y %H:%M:%S', '%m/%d/%Y')


def iso_date(value):
    """Normalise a date or date-time string to ``YYYY-MM-DD``; None when it is not a date."""
    if value is None:
        return None
    value = str(value).strip()
    for candidate in (value, value[:19], value[:10]):
        for fmt in _DATE_FORMATS:
            try:
                return datetime.datetime.strptime(candidate, fmt).date().isoformat()
            except ValueError:
                continue
    return None


def ksc_avstate_date(value):
    """Network Agent ``Protection_BasesDate`` (``dd-MM-yyyy HH-mm-ss``, UTC) to ``YYYY-MM-DD``."""
    if value is None:
        return None
    try:
        return datetime.datetime.strptime(str(value).strip(), '%d-%m-%Y %H-%M-%S').date().isoformat()
    except ValueError:
        try:
            return datetime.datetime.strptime(str(value).strip()[:10], '%d-%m-%Y').date().isoformat()
        except ValueError:
            return None


def epoch_date(value):
    """``LastSuccessfulUpdate`` (DWORD Unix time, 0xFFFFFFFF or 0 = never) to ``YYYY-MM-DD``."""
    try:
        seconds = int(value)
    except (TypeError, ValueError):
        return None
    if seconds <= 0 or seconds >= 0xFFFFFFFF:
        return None
    return datetime.datetime.utcfromtimestamp(seconds).date().isoformat()


DATE_FORMATS = {'ksc_avstate': ksc_avstate_date, 'epoch': epoch_date, 'iso': iso_date}


# --------------------------------------------------------------------------- Kaspersky tools

# kesl-control --app-info labels, English and Russian (KESL follows LANG).
# Source: footprint §2 (glpi-agent KESL module; Checkmk kaspersky_av; KESL doc 197654).
KESL_LABELS = {
    'name': ('Name', 'Название', 'Имя'),
    'version': ('Version', 'Версия'),
    'signatures_date': ('Last release date of databases', 'Дата последнего выпуска баз приложения',
                        'Дата последнего выпуска баз'),
    'license_expiration': ('License expiration date', 'Дата окончания срока действия лицензии'),
    'databases_loaded': ('Anti-virus databases loaded', 'Антивирусные базы загружены'),
}
_KV_RE = re.compile(r'^\s*([^:]+?)\s*:\s+(.*?)\s*$')


def _key_values(text):
    values = {}
    for line in text.splitlines():
        match = _KV_RE.match(line)
        if match and match.group(1) not in values:
            values[match.group(1)] = match.group(2)
    return values


def parse_kesl_app_info(text):
    """Parse ``kesl-control --app-info`` (English or Russian labels).

    Returns ``{name, version, signatures_date, license_expiration, databases_loaded, language}``;
    missing fields are None.
    """
    values = _key_values(text)
    out = {'language': None}
    for field, labels in KESL_LABELS.items():
        out[field] = None
        for label in labels:
            if label in values:
                out[field] = values[label]
                if out['language'] is None and field in ('version', 'signatures_date'):
                    out['language'] = 'ru' if re.search('[\u0400-\u04ff]', label) else 'en'
                break
    out['signatures_date'] = iso_date(out['signatures_date'])
    out['license_expiration'] = iso_date(out['license_expiration'])
    return out


def parse_kav4fs_update_stat(text):
    """Parse ``kav4fs-control --get-stat Update`` (colon-separated key/values, footprint §2)."""
    values = _key_values(text)
    out = {'version': None, 'signatures_date': None}
    for key, value in values.items():
        low = key.lower()
        if out['signatures_date'] is None and ('release date' in low or 'bases date' in low or 'databases' in low):
            out['signatures_date'] = iso_date(value)
        if out['version'] is None and low in ('version', 'application version', 'product version'):
            out['version'] = value
    return out


def _mdatp_value(value):
    # `mdatp health --output json` wraps managed settings as {"value": ..., "scope": ...}
    if isinstance(value, dict) and 'value' in value:
        return value['value']
    return value


def parse_mdatp_health(text):
    """Parse ``mdatp health --output json`` (fields from learn.microsoft.com health-status)."""
    try:
        data = json.loads(text)
    except ValueError:
        return {'healthy': None, 'error': 'mdatp health output is not JSON'}
    if not isinstance(data, dict):
        return {'healthy': None, 'error': 'mdatp health output is not a JSON object'}
    fields = ('healthy', 'health_issues', 'licensed', 'app_version', 'definitions_status', 'definitions_updated',
              'real_time_protection_enabled', 'real_time_protection_available', 'passive_mode_enabled',
              'conflicting_applications', 'product_expiration')
    out = dict((f, _mdatp_value(data.get(f))) for f in fields)
    out['version'] = out.get('app_version')
    updated = out.get('definitions_updated')
    if isinstance(updated, (int, float)) and updated > 0:
        # milliseconds since the epoch in current builds
        seconds = updated / 1000.0 if updated > 1e11 else updated
        out['signatures_date'] = datetime.datetime.utcfromtimestamp(seconds).date().isoformat()
    else:
        out['signatures_date'] = iso_date(updated) if isinstance(updated, str) else None
    return out


def parse_systemctl_show(text):
    """Parse ``systemctl show -p Id,LoadState,ActiveState,UnitFileState u1 u2 ...`` blocks."""
    units = []
    current = {}
    for line in text.splitlines() + ['']:
        if not line.strip():
            if current:
                units.append(current)
                current = {}
            continue
        key, _sep, value = line.partition('=')
        current[key.strip()] = value.strip()
    out = []
    for unit in units:
        if not unit.get('Id'):
            continue
        out.append({'name': unit['Id'], 'load_state': unit.get('LoadState') or None,
                    'active_state': unit.get('ActiveState') or None,
                    'unit_file_state': unit.get('UnitFileState') or None})
    return out


def parse_os_release(text):
    values = {}
    for line in text.splitlines():
        key, sep, value = line.partition('=')
        if sep:
            values[key.strip()] = value.strip().strip('"').strip("'")
    like = (values.get('ID', '') + ' ' + values.get('ID_LIKE', '')).split()
    family = 'unknown'
    for fam, ids in (('debian', ('debian', 'ubuntu')), ('redhat', ('rhel', 'fedora', 'centos', 'rocky', 'almalinux')),
                     ('suse', ('suse', 'opensuse', 'sles')), ('alpine', ('alpine',)), ('arch', ('arch',))):
        if any(i in like for i in ids):
            family = fam
            break
    return {'name': values.get('PRETTY_NAME') or values.get('NAME'), 'id': values.get('ID'),
            'family': family, 'version': values.get('VERSION_ID')}


PARSERS = {
    'dpkg': parse_dpkg,
    'rpm': parse_rpm,
    'kesl_app_info': parse_kesl_app_info,
    'kav4fs_update_stat': parse_kav4fs_update_stat,
    'mdatp_health': parse_mdatp_health,
    'systemctl_show': parse_systemctl_show,
}


def parse_command(command):
    """Parse one ``commands`` entry of a raw inventory with its parser; None if unknown."""
    parser = PARSERS.get(command.get('id'))
    if parser is None:
        return None
    return parser(command.get('stdout') or '')
