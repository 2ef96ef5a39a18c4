# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for fleetsec.banned_av.compliance_report (runs on the controller only)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import datetime
import gc
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
from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports import json_report, writer

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
    merge=dict(type='list', elements='path', default=[]),
    fail_on=dict(type='list', elements='str', default=list(policy_mod.DEFAULT_FAIL_ON), choices=list(policy_mod.STATUSES)),
    play=dict(type='str', default='audit'),
    validate_only=dict(type='bool', default=False),
    detect_result_var=dict(type='str'),
    render_processes=dict(type='int'),
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


@contextlib.contextmanager
def gc_paused():
    """No cyclic garbage collection while a report is built.

    A 100,000-host report allocates tens of millions of objects that all stay alive until the
    files are written; every generation-2 collection walks all of them again, which took a
    third of the time (37 s -> 25 s, docs/performance.md).  The report's data holds no
    reference cycles; reference counting frees it as usual.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def state_from_result(result):
    """A host's reachability from its registered detection result (``register:`` of av_facts)."""
    if not result:
        return {}
    return {'unreachable': bool(result.get('unreachable')), 'failed': bool(result.get('failed')),
            'msg': to_native(result.get('msg') or '')}


class HostResults(object):
    """Reads each host's detection results, state, remediation record and groups.

    A host's results are what this run's tasks returned: ``ansible_facts.banned_av`` (from
    av_facts), the registered detection result named by ``detect_result_var`` (its reachability,
    and its facts when present), and the ``banned_av_host_state`` / ``banned_av_remediation``
    variables the playbooks set with ``set_fact``.

    ``hostvars[name]`` computes *all* of a host's variables (inventory, group_vars, facts, magic
    variables) to return any one of them: about 1.2 ms per host, two minutes at 100,000 hosts,
    and its lazy templating containers must then be deep-copied into plain types.  Task results
    live in the VariableManager's two fact caches, which hold exactly what the strategy stored
    (plain JSON types, as av_facts returned them), so they are read from there, without a copy,
    when the ``hostvars`` object exposes them; any other mapping (older or newer ansible-core,
    tests) is read through ``hostvars[name]``.  Both paths give the same records
    (tests/unit/plugins/action/test_compliance_report.py).  ``policy.evaluate_host`` does not
    modify what it reads.
    """

    def __init__(self, hostvars, detect_result_var=None):
        self.hostvars = hostvars
        self.detect_result_var = detect_result_var
        manager = getattr(hostvars, '_variable_manager', None)
        inventory = getattr(hostvars, '_inventory', None)
        self._facts = getattr(manager, '_fact_cache', None)
        self._set_facts = getattr(manager, '_nonpersistent_fact_cache', None)
        self._inventory = inventory
        self.fast = (self._facts is not None and self._set_facts is not None
                     and callable(getattr(inventory, 'get_host', None)))

    def _cached_facts(self, name):
        try:
            return (self._facts.get(name) or {}).get('banned_av')
        except KeyError:  # file-based fact caches raise for a host they never saw
            return None

    def read(self, name):
        """``(facts, groups, state, remediation)`` as plain JSON data, for ``policy.evaluate_host``."""
        if self.fast:
            host = self._inventory.get_host(name)
            if host is None:
                return None, [], {}, None
            get = (self._set_facts.get(name) or {}).get
            groups = sorted(str(g.name) for g in host.get_groups() if g.name != 'all')
        else:
            if name not in self.hostvars:
                return None, [], {}, None
            hv = self.hostvars[name]
            get = hv.get
            groups = hv.get('group_names') or []
        detected = get(self.detect_result_var) if self.detect_result_var else None
        if detected and (detected.get('ansible_facts') or {}).get('banned_av') is not None:
            facts = detected['ansible_facts']['banned_av']  # this run's result wins over a cached fact
        elif self.fast:
            facts = self._cached_facts(name)  # read only when needed: a file-based cache reads a file
        else:
            facts = (hv.get('ansible_facts') or {}).get('banned_av')
        if not (self.fast and (facts is None or facts.__class__ is dict)):
            facts = plain(facts)
        if not self.fast:
            groups = plain(groups)
        # set_fact values (state, remediation) may be templated, tagged data: small, copied
        state = get('banned_av_host_state')
        state = plain(state) if state else state_from_result(detected)
        remediation = get('banned_av_remediation')
        remediation = plain(remediation) if remediation else None
        return facts, groups, state, remediation


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


def write_reports(report, report_dir, formats, catalog_entries=None, processes=1):
    """``writer.write_reports``: every format written atomically, all or none."""
    return writer.write_reports(report, report_dir, formats, catalog_entries=catalog_entries, processes=processes)


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = False
    BYPASS_HOST_LOOP = True

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)

        if args['render_processes'] is not None and args['render_processes'] < 1:
            raise AnsibleActionFail('render_processes: must be 1 or more, got %d' % args['render_processes'])
        try:
            as_of, policy_version, policies, waivers = policy_mod.load_context(
                args['as_of'], args['policy_files'], args['policies'], args['waivers'])
            catalog = catalog_mod.load(extra_files=args['catalog_files'], extra_entries=args['catalog_entries'])
        except (policy_mod.PolicyError, catalog_mod.CatalogError) as exc:
            raise AnsibleActionFail(to_native(exc))

        if args['validate_only']:
            result.update(changed=False, msg='policies, waivers and catalogue are valid (%d policies, %d waivers, catalogue %s)' % (
                len(policies), len(waivers), catalog.version))
            return result

        now = datetime.datetime.now(tz=datetime.timezone.utc).replace(microsecond=0)
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

        result.update(generate(args, task_vars, run, as_of, policies, waivers, catalog.entries))
        return result


def generate(args, task_vars, run, as_of, policies, waivers, catalog_entries):
    """Build the report (from the hosts' results, or by merging slices), write every format, and
    return the task result's fields.  Everything the action does after validating its input."""
    with gc_paused():
        if args['merge']:
            report = merged_report(args['merge'], run)
        else:
            names = args['hosts'] if args['hosts'] is not None else task_vars.get('ansible_play_hosts_all', [])
            reader = HostResults(task_vars.get('hostvars', {}), args['detect_result_var'])
            report = hosts_report(names, reader, policies, waivers, as_of, run)
        report_dir = os.path.abspath(args['report_dir'])
        processes = args.get('render_processes')
        if processes is None:
            processes = writer.auto_processes(len(report['hosts']), args['formats'])
        try:
            paths = write_reports(report, report_dir, args['formats'], catalog_entries=catalog_entries, processes=processes)
        except writer.ReportWriteError as exc:
            raise AnsibleActionFail('writing the reports failed, no report was replaced: %s' % to_native(exc))
        summary = report['summary']
        by_status = dict((s, []) for s in policy_mod.STATUSES)
        for host in report['hosts']:
            by_status.setdefault(host['status'], []).append(host['name'])
    return dict(
        changed=False,
        reports=paths,
        summary=summary,
        sha256=report['sha256'],
        generated_at=report['generated_at'],
        as_of=report['run']['as_of'],
        report_dir=report_dir,
        failing_hosts=sorted(name for status in args['fail_on'] for name in by_status.get(status, [])),
        hosts_by_status=dict((s, sorted(by_status[s])) for s in policy_mod.STATUSES),
        msg='%d hosts: %s' % (summary['hosts'], ', '.join('%s %d' % (s, n) for s, n in summary['by_status'].items() if n)),
    )


def merged_report(paths, run):
    """One fleet report from the JSON reports of several job slices (``json_report.merge``)."""
    try:
        slices = [_read_report(p) for p in paths]
        report = json_report.merge(slices, names=paths)
    except ValueError as exc:
        raise AnsibleActionFail('merge: %s' % to_native(exc))
    report['run'].update(dict((k, v) for k, v in run.items() if k not in report['run'] or k == 'generated_at'))
    report['run']['play'] = 'merge'
    report['generated_at'] = run['generated_at']
    return report


def hosts_report(names, reader, policies, waivers, as_of, run):
    """Evaluate every host named (``reader``: a ``HostResults``) and build the report document."""
    records = []
    for name in names:
        facts, groups, state, remediation = reader.read(name)
        records.append(policy_mod.evaluate_host(name, facts, policies, waivers, as_of, groups, state, remediation))
    return build_report(records, run, policies)


def _read_report(path):
    try:
        with open(path, 'rb') as handle:
            return json.loads(handle.read().decode('utf-8'))
    except (IOError, OSError, ValueError) as exc:
        raise ValueError('cannot read report %s: %s' % (path, exc))


def _str_or_none(value):
    return None if value in (None, '') else str(value)


def _local_user():
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry inside some execution environments
        return None
