# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inputs of the audit and enforce playbooks: one argument spec, one check.

The option names of the spec are the playbook variables (``banned_av_*``), so every error names
the variable the user set.  ``check()`` validates types (strict booleans), choices, the date
range of ``banned_av_as_of``, the report directory (it exists or is created, is a directory and
writable), the ClamAV signature files, and the policies, waivers and catalogue, and returns the
values every later task of the playbook uses, defaults applied.  Host variables
(``HOST_VARIABLES``) can differ from host to host: they are checked where each host uses them,
not here.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import functools
import os
import re
import tempfile

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.fleetsec.banned_av.plugins.module_utils import catalog as catalog_mod
from ansible_collections.fleetsec.banned_av.plugins.module_utils import policy as policy_mod
from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports import trend as trend_mod
from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports import writer
from ansible_collections.fleetsec.banned_av.plugins.module_utils.vocabulary import REPLACEMENTS

PLAYBOOKS = ('audit', 'enforce')
FORMATS = tuple(writer.FORMATS)

#: ``banned_av_as_of`` must lie in this range: a typo such as 9999-12-31 or 0001-01-01 would
#: otherwise judge every host against a date nobody meant
AS_OF_RANGE = (datetime.date(2000, 1, 1), datetime.date(2199, 12, 31))

#: seconds the collector may take on one host (``banned_av_collect_timeout``, passed as av_facts'
#: ``timeout``): av_facts' own default, which a unit test holds equal
COLLECT_TIMEOUT = 120
#: added to ``banned_av_collect_timeout`` for the detection task as a whole (connection, transfer)
COLLECT_TIMEOUT_MARGIN = 120

DEFAULT_REPORT_DIR = 'banned_av_reports'


class InputError(ValueError):
    """Bad playbook input; the message starts with the variable's name."""


def text(value):
    """A string, never something converted to one (a list given as a password stays an error)."""
    if not isinstance(value, str):
        raise TypeError('must be a string, got %s' % type(value).__name__)
    return value


def host_pattern(value):
    """An Ansible host pattern: a non-empty string, or a list of non-empty strings."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, list) and value and all(isinstance(v, str) and v.strip() for v in value):
        return ','.join(v.strip() for v in value)
    raise TypeError('must be a host pattern (a non-empty string or list of strings)')


def batch_size(value):
    """Ansible's ``serial``: a number of hosts (1 or more) or a percentage, or a list of them."""
    items = value if isinstance(value, list) and value else [value]
    out = []
    for item in items:
        if isinstance(item, bool):
            raise TypeError('must be a number of hosts or a percentage such as "20%%", got %r' % (item,))
        if isinstance(item, int) and item >= 1:
            out.append(item)
            continue
        match = re.match(r'^\s*(\d+)\s*(%?)\s*$', str(item)) if isinstance(item, (str, int)) else None
        number = int(match.group(1)) if match else 0
        if not match or number < 1 or (match.group(2) and number > 100):
            raise TypeError('must be a number of hosts (1 or more) or a percentage from 1%% to 100%%, got %r' % (item,))
        out.append('%d%%' % number if match.group(2) else number)
    return out if isinstance(value, list) else out[0]


COMMON = dict(
    banned_av_hosts=dict(type=host_pattern, default='all'),
    banned_av_from_report=dict(type='path'),
    banned_av_report_query=dict(type='str'),
    banned_av_report_dir=dict(type=text, default=DEFAULT_REPORT_DIR),
    banned_av_report_formats=dict(type='list', elements='str', choices=list(FORMATS), default=list(FORMATS)),
    banned_av_as_of=dict(type='str'),
    banned_av_policy_files=dict(type='list', elements='path', default=[]),
    banned_av_policies=dict(type='list', elements='dict', default=[]),
    banned_av_waivers=dict(type='list', elements='dict', default=[]),
    banned_av_catalog_files=dict(type='list', elements='path', default=[]),
    banned_av_catalog_entries=dict(type='list', elements='dict', default=[]),
    banned_av_fail_on=dict(type='list', elements='str', choices=list(policy_mod.STATUSES),
                           default=list(policy_mod.FAILING)),
    banned_av_fail_on_violation=dict(type='bool', default=True),
    banned_av_persist_facts=dict(type='bool', default=False),
    banned_av_collect_timeout=dict(type='int', default=COLLECT_TIMEOUT),
    # the JSON report of an earlier run: the reports gain a trend section (None or '': no trend)
    banned_av_previous_report=dict(type=text),
)

#: inputs of the audit playbook only (none today: every audit input is an enforce input too)
AUDIT = dict()

#: the reports the enforce playbook writes under banned_av_report_dir, each several times (after every
#: batch): a previous report in one of these places would be replaced by this run's own report
ENFORCE_REPORTS = (writer.FORMATS['json'], os.path.join('before', writer.FORMATS['json']))

ENFORCE = dict(
    banned_av_replacement=dict(type='str', choices=list(REPLACEMENTS), default='clamav'),
    banned_av_force=dict(type='bool', default=False),
    banned_av_reboot_allowed=dict(type='bool', default=False),
    banned_av_encryption_acknowledged=dict(type='bool', default=False),
    banned_av_recheck_delay=dict(type='int', default=0),
    banned_av_clamav_database_files=dict(type='list', elements='path', default=[]),
    banned_av_uninstall_password=dict(type=text, default='', no_log=True),
    banned_av_kes_login=dict(type=text, default='', no_log=True),
    banned_av_network_agent_password=dict(type=text, default='', no_log=True),
    banned_av_serial=dict(type=batch_size, default='100%'),
    banned_av_max_fail_percentage=dict(type='float', default=20.0),
    banned_av_remediation_fail_on=dict(type='list', elements='str', choices=list(policy_mod.REMEDIATION_OUTCOMES),
                                       default=['degraded']),
)

#: variables that belong to each host, checked where the host uses them
HOST_VARIABLES = ('banned_av_scan_root', 'banned_av_become', 'banned_av_windows_fact_path', 'banned_av_jurisdictions')

#: other ``banned_av_*`` names of the collection: results and artifacts of the playbooks (AWX passes
#: artifacts on as extra vars), the merge playbook's inputs
OTHER_VARIABLES = ('banned_av_report', 'banned_av_remediation', 'banned_av_summary', 'banned_av_failing_hosts',
                   'banned_av_report_sha256', 'banned_av_reports', 'banned_av_remediation_outcomes',
                   'banned_av_merge_reports', 'banned_av_merge_allow_mixed')


def spec(playbook):
    """The argument spec of one playbook's inputs (option name = variable name)."""
    if playbook not in PLAYBOOKS:
        raise InputError('playbook: must be one of %s, got %r' % (', '.join(PLAYBOOKS), playbook))
    out = dict(COMMON)
    out.update(AUDIT if playbook == 'audit' else ENFORCE)
    return out


def secrets(playbook, values):
    """The values of the no_log inputs, to be kept out of every message and result."""
    return [values[k] for k, o in spec(playbook).items() if o.get('no_log') and isinstance(values.get(k), str) and values[k]]


def check(playbook, given, cwd=None):
    """Validate the ``banned_av_*`` variables ``given`` for ``playbook``.

    Returns the validated values, defaults applied, the report directory absolute (made when
    missing) and ``banned_av_as_of`` normalised (``None``: today).  Raises InputError with every
    problem found, each naming its variable; no secret value appears in the message.
    """
    return check_and_load(playbook, given, cwd=cwd)[0]


def check_and_load(playbook, given, cwd=None):
    """:func:`check`, and the catalogue it loaded to check the catalogue inputs: ``(values,
    catalog)``.  The input check keeps that catalogue for the run instead of loading it again."""
    options = spec(playbook)
    params = dict((k, v) for k, v in given.items() if k in options)
    result = ArgumentSpecValidator(options).validate(params)
    errors = list(result.error_messages)
    values = result.validated_parameters
    if params.get('banned_av_from_report') and 'banned_av_hosts' in params:
        errors.append('banned_av_from_report: give banned_av_hosts or banned_av_from_report, not both '
                      '(use --limit to narrow the hosts of a report)')
    catalog = None
    if not errors:
        for checker in (_check_as_of, _check_formats, _check_numbers, _check_files, _check_policy_and_catalog,
                        _check_report_dir, functools.partial(_check_previous_report, playbook=playbook)):
            if playbook == 'audit' and checker is _check_files:
                continue
            try:
                # only the catalogue's check returns something: the catalogue it loaded
                catalog = checker(values, cwd) or catalog
            except InputError as exc:
                errors.append(str(exc))
    if errors:
        message = '; '.join(errors)
        for secret in secrets(playbook, params):
            message = message.replace(secret, '********')
        raise InputError(message)
    return values, catalog


def _check_as_of(values, _cwd):
    raw = values.get('banned_av_as_of')
    if raw is None or not raw.strip():
        values['banned_av_as_of'] = None  # an empty survey answer: today (UTC)
        return
    try:
        day = policy_mod.parse_date(raw, 'banned_av_as_of')
    except policy_mod.PolicyError as exc:
        raise InputError(str(exc))
    low, high = AS_OF_RANGE
    if not low <= day <= high:
        raise InputError('banned_av_as_of: %s is outside %s..%s; give the date to judge the hosts against (YYYY-MM-DD)'
                         % (day.isoformat(), low.isoformat(), high.isoformat()))
    values['banned_av_as_of'] = day.isoformat()


def _check_formats(values, _cwd):
    if not values['banned_av_report_formats']:
        raise InputError('banned_av_report_formats: give at least one of %s' % ', '.join(FORMATS))


def _check_numbers(values, _cwd):
    if values['banned_av_collect_timeout'] < 1:
        raise InputError('banned_av_collect_timeout: must be 1 second or more, got %d' % values['banned_av_collect_timeout'])
    delay = values.get('banned_av_recheck_delay')
    if delay is not None and delay < 0:
        raise InputError('banned_av_recheck_delay: must be 0 (no re-check) or more seconds, got %d' % delay)
    percentage = values.get('banned_av_max_fail_percentage')
    if percentage is not None and not 0 <= percentage <= 100:
        raise InputError('banned_av_max_fail_percentage: must be from 0 to 100, got %s' % percentage)


def _check_files(values, _cwd):
    missing = [p for p in values['banned_av_clamav_database_files'] if not os.path.isfile(p)]
    if missing:
        raise InputError('banned_av_clamav_database_files: not a file on the controller: %s' % ', '.join(missing))


def _check_policy_and_catalog(values, _cwd):
    """Policies, waivers and catalogue, with the messages of their loaders (which name the
    variables).  Returns the catalogue, loaded once when the inputs are good."""
    try:
        policy_mod.load_context(values['banned_av_as_of'], values['banned_av_policy_files'],
                                values['banned_av_policies'], values['banned_av_waivers'])
    except policy_mod.PolicyError as exc:
        message = str(exc)
        if 'banned_av_' not in message:
            message = 'banned_av_policy_files: %s' % message
        raise InputError(message)
    files = values['banned_av_catalog_files']
    try:
        return catalog_mod.load(extra_files=files, extra_entries=values['banned_av_catalog_entries'])
    except catalog_mod.CatalogError as exc:
        refused = exc
    # which variable to name: the files when they fail by themselves, else the entries added to them
    try:
        catalog_mod.load(extra_files=files, extra_entries=[])
    except catalog_mod.CatalogError as exc:
        raise InputError('banned_av_catalog_files: %s' % exc)
    raise InputError('banned_av_catalog_entries: %s' % refused)


def _check_previous_report(values, cwd, playbook='audit'):
    """The previous report of the trend (``banned_av_previous_report``): read and verified here, before
    any host is contacted (``trend.load_previous``; its errors name the variable), and not written
    after now.  An empty value (an unanswered AWX survey question) is no previous report.  enforce
    writes its reports several times (``ENFORCE_REPORTS``): a previous report in their place would
    be this run's own by the second batch, so it is refused (the audit reads it before its one write:
    the same place is fine there)."""
    raw = values.get('banned_av_previous_report')
    if raw is None or not raw.strip():
        values['banned_av_previous_report'] = None
        return
    path = os.path.normpath(os.path.join(cwd or os.getcwd(), os.path.expanduser(raw)))
    try:
        trend_mod.load_previous(path, now=datetime.datetime.now(datetime.timezone.utc))
    except trend_mod.TrendError as exc:
        raise InputError(str(exc))
    if playbook == 'enforce':
        for name in ENFORCE_REPORTS:
            written = os.path.join(cwd or os.getcwd(), os.path.expanduser(values['banned_av_report_dir']), name)
            if os.path.realpath(path) == os.path.realpath(written) or (
                    os.path.exists(written) and os.path.samefile(path, written)):
                raise InputError('banned_av_previous_report: %s is the report this run writes (%s under '
                                 'banned_av_report_dir): enforce would overwrite it after the first batch and compare '
                                 'the next ones with itself; copy it elsewhere, or give another banned_av_report_dir'
                                 % (path, name))
    values['banned_av_previous_report'] = path


def _check_report_dir(values, cwd):
    values['banned_av_report_dir'] = usable_directory('banned_av_report_dir', values['banned_av_report_dir'], cwd)


def usable_directory(name, path, cwd=None):
    """``path`` as an absolute directory that exists (made when missing) and this user can write
    to; raises InputError naming ``name`` otherwise."""
    if not path or not path.strip():
        raise InputError('%s: must be a directory path, got an empty string' % name)
    full = os.path.normpath(os.path.join(cwd or os.getcwd(), os.path.expanduser(path)))
    existing = full
    while not os.path.lexists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        if existing == full:
            raise InputError('%s: %s is a file, not a directory' % (name, full))
        raise InputError('%s: %s lies under %s, which is not a directory' % (name, full, existing))
    try:
        if existing != full:
            os.makedirs(full)
        handle, probe = tempfile.mkstemp(prefix='.banned_av-write-check-', dir=full)
        os.close(handle)
        os.unlink(probe)
    except OSError as exc:
        what = 'cannot be created' if not os.path.isdir(full) else 'is not writable by this user'
        raise InputError('%s: %s %s (%s)' % (name, full, what, exc.strerror or exc))
    return full
