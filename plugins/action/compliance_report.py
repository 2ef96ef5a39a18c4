# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for fleetsec.banned_av.compliance_report (runs on the controller only)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import getpass
import json
import os

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.action import ActionBase
from ansible.release import __version__ as ANSIBLE_VERSION

from ansible_collections.fleetsec.banned_av.plugins.module_utils import catalog as catalog_mod
from ansible_collections.fleetsec.banned_av.plugins.module_utils import policy as policy_mod
from ansible_collections.fleetsec.banned_av.plugins.module_utils.plain import plain
from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports import common as report_common
from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports import trend as trend_mod
from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports import writer
from ansible_collections.fleetsec.banned_av.plugins.plugin_utils import run_spool

REPORT_SCHEMA = 'fleetsec.banned_av/report/v1'
FORMATS = writer.FORMATS

ARGUMENT_SPEC = dict(
    report_dir=dict(type='path', required=True),
    hosts=dict(type='list', elements='str'),
    formats=dict(type='list', elements='str', default=list(FORMATS), choices=list(FORMATS)),
    as_of=dict(type='str'),
    policy_files=dict(type='list', elements='str', default=[]),
    policies=dict(type='list', elements='dict', default=[]),
    waivers=dict(type='list', elements='dict', default=[]),
    catalog_files=dict(type='list', elements='str', default=[]),
    catalog_entries=dict(type='list', elements='dict', default=[]),
    fail_on=dict(type='list', elements='str', default=list(policy_mod.FAILING), choices=list(policy_mod.STATUSES)),
    play=dict(type='str', default='audit'),
    spool=dict(type='path'),
    remove_spool=dict(type='bool', default=False),
    remediation_hosts=dict(type='list', elements='str', default=[]),
    previous_report=dict(type='path'),
)


def collection_version():
    base = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
    for name in ('MANIFEST.json', 'galaxy.yml'):
        path = os.path.join(base, name)
        if not os.path.exists(path):
            continue
        with open(path) as handle:
            text = handle.read()
        if name.endswith('.json'):
            return json.loads(text)['collection_info']['version']
        for line in text.splitlines():
            if line.startswith('version:'):
                return line.split(':', 1)[1].strip().strip('"\'')
    return None


def host_groups(groups):
    """``{host: [group, ...]}`` from the ``groups`` magic variable (``all`` left out)."""
    out = {}
    for group in sorted(groups or {}):
        if group == 'all':
            continue
        for host in groups[group]:
            out.setdefault(host, []).append(group)
    return out


class HostResults(object):
    """Each host's detection result of this run, its groups, jurisdictions and remediation record.

    Detection results come from the run spool that ``av_facts`` wrote (``spool``; see
    ``plugin_utils/run_spool.py``), one host's record at a time (read when the host is
    evaluated, so that only the report is in memory, not every host's facts besides it), with the
    host's ``banned_av_jurisdictions`` as av_facts saw it; groups come from the ``groups`` magic
    variable.  A host's variables are read through ``hostvars`` (public, but it computes all of a
    host's variables) only where the report needs one of them: the ``banned_av_remediation``
    record of the hosts that went through the remediate role (``remediation_hosts``), and
    ``banned_av_scan_root`` and ``banned_av_jurisdictions`` of a host without a detection result.
    """

    def __init__(self, spool, hostvars, groups, remediation_hosts=()):
        self.spool = spool
        self.hostvars = hostvars
        self.groups = host_groups(groups)
        self.remediation_hosts = set(remediation_hosts or ())

    def _var(self, name, variable):
        if name not in self.hostvars:
            return None
        value = self.hostvars[name].get(variable)
        return plain(value) if value is not None else None

    def read(self, name):
        """One host's data for ``policy.evaluate_host`` (plain JSON types): ``facts``, ``groups``,
        ``state``, ``remediation``, ``jurisdictions``, and ``scan_root`` for a host without a
        detection result."""
        record = run_spool.read_one(self.spool, name) if self.spool else None
        out = {'groups': self.groups.get(name, []), 'remediation': None, 'scan_root': None}
        if name in self.remediation_hosts:
            out['remediation'] = self._var(name, 'banned_av_remediation')
        if record is None:
            out.update(facts=None, state={}, scan_root=self._var(name, 'banned_av_scan_root'),
                       jurisdictions=self._var(name, 'banned_av_jurisdictions'))
        else:
            out.update(facts=record['facts'], jurisdictions=(record.get('vars') or {}).get('banned_av_jurisdictions'),
                       state={'unreachable': record['unreachable'], 'failed': record['failed'], 'msg': record['msg']})
        return out


def build_report(host_records, run, policies):
    hosts = sorted(host_records, key=lambda h: h['name'])
    return {
        'schema': REPORT_SCHEMA,
        'generated_at': run['generated_at'],
        'run': run,
        'policies': policies,
        'summary': policy_mod.summarize(hosts),
        'hosts': hosts,
    }


def write_reports(report, report_dir, formats, catalog_entries=None):
    """``writer.write_reports``: every format written atomically, all or none."""
    return writer.write_reports(report, report_dir, formats, catalog_entries=catalog_entries)


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = False
    BYPASS_HOST_LOOP = True

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)

        now = datetime.datetime.now(tz=datetime.timezone.utc).replace(microsecond=0)
        try:
            as_of, policy_version, policies, waivers = policy_mod.load_context(
                args['as_of'], args['policy_files'], args['policies'], args['waivers'])
            # the run's validated snapshot when the input check left one in the spool
            catalog = run_spool.load_catalog(args.get('spool'), args['catalog_files'], args['catalog_entries'])
            # read and verified before any host is evaluated; only its hosts' statuses are kept
            # (and not written after this run: a swapped file or a clock problem would reverse the trend)
            previous = trend_mod.load_previous(args['previous_report'], now=now) if args['previous_report'] else None
        except (policy_mod.PolicyError, catalog_mod.CatalogError, trend_mod.TrendError) as exc:
            raise AnsibleActionFail(to_native(exc))
        remove_spool = args['remove_spool'] and args.get('spool')
        try:  # a path that is not a spool is refused before any report is written
            remove_spool = remove_spool and run_spool.check_removable(args['spool'])
        except run_spool.SpoolError as exc:
            raise AnsibleActionFail('remove_spool: %s' % to_native(exc))

        run = {
            'generated_at': now.isoformat().replace('+00:00', 'Z'),
            'ansible_version': ANSIBLE_VERSION,
            'collection_version': collection_version(),
            'catalog_version': catalog.version,
            'policy_version': policy_version,
            'as_of': as_of.isoformat(),
            'awx_job_id': _str_or_none(task_vars.get('awx_job_id', task_vars.get('tower_job_id'))),
            'awx_job_template': _str_or_none(task_vars.get('awx_job_template_name', task_vars.get('tower_job_template_name'))),
            'play': args['play'],
            'check_mode': bool(self._task.check_mode),
            'user': _str_or_none(task_vars.get('awx_user_name', task_vars.get('tower_user_name'))) or _local_user(),
        }

        result.update(generate(args, task_vars, run, as_of, policies, waivers, catalog.entries, previous))
        if remove_spool:  # every report is written: this run's detection results live on in them
            run_spool.remove(args['spool'])
        return result


def generate(args, task_vars, run, as_of, policies, waivers, catalog_entries, previous=None):
    """Build the report from the hosts' results, write every format, and return the task
    result's fields.  Everything the action does after validating its input.  ``previous``: the
    verified previous report (``trend.Previous``), which gives the report its ``trend``."""
    names = args['hosts'] if args['hosts'] is not None else task_vars.get('ansible_play_hosts_all', [])
    reader = HostResults(args.get('spool'), task_vars.get('hostvars') or {}, task_vars.get('groups') or {},
                         args.get('remediation_hosts'))
    report_dir = os.path.abspath(args['report_dir'])
    with report_common.gc_paused():
        report = hosts_report(names, reader, policies, waivers, as_of, run)
        if previous is not None:
            report['trend'] = trend_mod.compute(previous, report['hosts'],
                                                inventory=(task_vars.get('groups') or {}).get('all'))
        paths = write_reports(report, report_dir, args['formats'], catalog_entries=catalog_entries)
    result = report_common.task_result(report, args['fail_on'])
    result.update(changed=False, reports=paths, report_dir=report_dir)
    if previous is not None:
        result['trend'] = trend_mod.sizes(report['trend'])
    return result


def hosts_report(names, reader, policies, waivers, as_of, run):
    """Evaluate every host named (``reader``: a ``HostResults``) and build the report document.

    One host's data cannot stop the report: an error while reading or evaluating a host makes
    that host ``unknown`` with the reason, and every other host is still evaluated."""
    records = []
    for name in names:
        try:
            record = evaluate(name, reader, policies, waivers, as_of, run['play'])
        except Exception as exc:  # anything a damaged record or a host variable can raise
            record = policy_mod.evaluate_host(name, None, policies, waivers, as_of, state={
                'failed': True, 'msg': 'the report could not evaluate this host: %s: %s' % (type(exc).__name__, to_native(exc))})
        records.append(record)
    return build_report(records, run, policies)


def evaluate(name, reader, policies, waivers, as_of, play):
    host = reader.read(name)
    record = policy_mod.evaluate_host(name, host['facts'], policies, waivers, as_of, host['groups'], host['state'],
                                      host['remediation'], jurisdictions=host['jurisdictions'])
    if host['facts'] is None and not host['state'] and host['scan_root'] not in (None, '', '/'):
        where = 'offline image (banned_av_scan_root: %s)' % host['scan_root']
        if play.startswith('enforce'):
            record['reasons'] = ['%s: not remediable here; enforce neither detects nor changes images, '
                                 'check it with the audit playbook (fleetsec.banned_av.audit)' % where]
        else:
            record['reasons'] = ['%s: not detected in this run' % where]
    return record


def _str_or_none(value):
    return None if value in (None, '') else str(value)


def _local_user():
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry inside some execution environments
        return None
