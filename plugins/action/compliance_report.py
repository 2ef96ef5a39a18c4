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
from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports import (
    common, csv_report, html_report, json_report, junit_report, markdown_report, sarif_report)

REPORT_SCHEMA = 'fleetsec.banned_av/report/v1'
FORMATS = {
    'json': ('banned_av_report.json', json_report),
    'csv': ('banned_av_report.csv', csv_report),
    'html': ('banned_av_report.html', html_report),
    'junit': ('banned_av_report.junit.xml', junit_report),
    'sarif': ('banned_av_report.sarif', sarif_report),
    'markdown': ('banned_av_report.md', markdown_report),
}

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


def plain(value):
    """Deep copy into plain JSON types (hostvars hold lazy, tagged containers)."""
    return json.loads(json.dumps(value, default=to_native))


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
    """Render and atomically write every format; return ``{format: path}``.

    The JSON is rendered first: its SHA-256 goes into the other formats as evidence.
    Every format is rendered before the first file is written, so a rendering error leaves
    the previous reports untouched.
    """
    if not os.path.isdir(report_dir):
        os.makedirs(report_dir)
    rendered = {}
    data, report['sha256'] = json_report.render_with_sha(report)
    if 'json' in formats:
        rendered['json'] = data
    for fmt in formats:
        if fmt == 'json':
            continue
        module = FORMATS[fmt][1]
        if fmt == 'sarif':
            rendered[fmt] = module.render(report, catalog_entries=catalog_entries)
        else:
            rendered[fmt] = module.render(report)
    paths = {}
    for fmt in formats:
        path = os.path.join(report_dir, FORMATS[fmt][0])
        common.atomic_write(path, rendered[fmt])
        paths[fmt] = path
    return paths


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = False
    BYPASS_HOST_LOOP = True

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)

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

        if args['merge']:
            try:
                slices = [_read_report(p) for p in args['merge']]
                report = json_report.merge(slices, names=args['merge'])
            except ValueError as exc:
                raise AnsibleActionFail('merge: %s' % to_native(exc))
            report['run'].update(dict((k, v) for k, v in run.items() if k not in report['run'] or k == 'generated_at'))
            report['run']['play'] = 'merge'
            report['generated_at'] = run['generated_at']
        else:
            hostvars = task_vars.get('hostvars', {})
            names = args['hosts'] if args['hosts'] is not None else task_vars.get('ansible_play_hosts_all', [])
            records = []
            for name in names:
                hv = hostvars[name] if name in hostvars else {}
                facts = plain((hv.get('ansible_facts') or {}).get('banned_av'))
                state = plain(hv.get('banned_av_host_state') or {})
                remediation = plain(hv.get('banned_av_remediation')) if hv.get('banned_av_remediation') else None
                groups = plain(hv.get('group_names') or [])
                records.append(policy_mod.evaluate_host(name, facts, policies, waivers, as_of, groups, state, remediation))
            report = build_report(records, run, policies)

        report_dir = os.path.abspath(args['report_dir'])
        paths = write_reports(report, report_dir, args['formats'], catalog_entries=catalog.entries)
        summary = report['summary']
        failing = sorted(h['name'] for h in report['hosts'] if h['status'] in args['fail_on'])
        result.update(
            changed=False,
            reports=paths,
            summary=summary,
            sha256=report['sha256'],
            generated_at=report['generated_at'],
            as_of=report['run']['as_of'],
            report_dir=report_dir,
            failing_hosts=failing,
            hosts_by_status=dict((s, sorted(h['name'] for h in report['hosts'] if h['status'] == s)) for s in policy_mod.STATUSES),
            msg='%d hosts: %s' % (summary['hosts'], ', '.join('%s %d' % (s, n) for s, n in summary['by_status'].items() if n)),
        )
        return result


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
