# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for fleetsec.banned_av.report_merge (runs on the controller only)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import os

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.action import ActionBase

from ansible_collections.fleetsec.banned_av.plugins.module_utils import catalog as catalog_mod
from ansible_collections.fleetsec.banned_av.plugins.module_utils import vocabulary
from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports import common, merge, trend, writer

ARGUMENT_SPEC = dict(
    reports=dict(type='list', elements='path', required=True),
    report_dir=dict(type='path', required=True),
    formats=dict(type='list', elements='str', default=list(writer.FORMATS), choices=list(writer.FORMATS)),
    fail_on=dict(type='list', elements='str', default=list(vocabulary.DEFAULT_FAIL_ON), choices=list(vocabulary.STATUSES)),
    allow_mixed=dict(type='bool', default=False),
    expected_hosts=dict(type='list', elements='str'),
    duplicate_hosts=dict(type='str', default='merge', choices=list(merge.DUPLICATES)),
    catalog_files=dict(type='list', elements='str', default=[]),
    catalog_entries=dict(type='list', elements='dict', default=[]),
    previous_report=dict(type='str'),
)


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = False
    BYPASS_HOST_LOOP = True

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars or {})
        del tmp
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        if not args['reports']:
            raise AnsibleActionFail('reports: give at least one JSON report to merge')
        clock = datetime.datetime.now(tz=datetime.timezone.utc).replace(microsecond=0)
        now = clock.isoformat().replace('+00:00', 'Z')
        previous_path = (args['previous_report'] or '').strip()
        try:
            catalog = catalog_mod.load(extra_files=args['catalog_files'], extra_entries=args['catalog_entries'])
            # the previous fleet report of the trend: verified (and not written after now) before any slice is read
            previous = trend.load_previous(os.path.abspath(os.path.expanduser(previous_path)), now=clock) if previous_path else None
        except (catalog_mod.CatalogError, trend.TrendError) as exc:
            raise AnsibleActionFail(to_native(exc))
        report_dir = os.path.abspath(args['report_dir'])
        with common.gc_paused():
            try:
                slices = [merge.read_slice(path) for path in args['reports']]
                report = merge.merge(slices, args['reports'], allow_mixed=args['allow_mixed'],
                                     expected_hosts=args['expected_hosts'], duplicates=args['duplicate_hosts'],
                                     generated_at=now)
            except merge.MergeError as exc:
                raise AnsibleActionFail('merge refused: %s' % to_native(exc))
            del slices
            report['run'].update(generated_at=now, play='merge')
            if previous is not None:  # the slices' own trends are dropped by merge(): this is the fleet's
                report['trend'] = trend.compute(previous, report['hosts'],
                                                inventory=((task_vars or {}).get('groups') or {}).get('all'))
            paths = writer.write_reports(report, report_dir, args['formats'], catalog_entries=catalog.entries)
        result.update(common.task_result(report, args['fail_on']))
        result.update(changed=False, reports=paths, report_dir=report_dir, slices=len(report['run']['slices']),
                      mixed=common.mixed(report))
        if previous is not None:
            result['trend'] = trend.sizes(report['trend'])
        return result
