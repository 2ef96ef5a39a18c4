# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for fleetsec.banned_av.check_inputs: the playbooks' one input check (controller only)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib

from ansible.errors import AnsibleActionFail, AnsibleError
from ansible.inventory.manager import InventoryManager
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.fleetsec.banned_av.plugins.module_utils import inputs
from ansible_collections.fleetsec.banned_av.plugins.plugin_utils import report_targets, run_spool

display = Display()

ARGUMENT_SPEC = dict(
    playbook=dict(type='str', required=True, choices=list(inputs.PLAYBOOKS)),
)


def plural(count, word):
    return '%d %s%s' % (count, word, '' if count == 1 else 's')


def matching_hosts(loader, groups, pattern):
    """Inventory host names matching an Ansible host pattern, in inventory order (as the
    ``ansible.builtin.inventory_hostnames`` lookup computes them, but an invalid pattern is an error)."""
    manager = InventoryManager(loader, parse=False)
    for group, hosts in groups.items():
        manager.add_group(group)
        for host in hosts:
            manager.add_host(host, group=group)
    return [h.name for h in manager.get_hosts(pattern=pattern)]


def select_hosts(values, groups, play_hosts, loader, limit=None):
    """The hosts of this run: ``banned_av_hosts`` (a pattern) or the hosts a previous report names
    (``banned_av_from_report`` + ``banned_av_report_query``), within ``--limit`` (``play_hosts``: the
    hosts of the input check's play, ``all`` under the limit).  Raises InputError when none is left."""
    inventory = set(groups.get('all') or [])
    if values.get('banned_av_from_report'):
        try:
            names = report_targets.hosts_from_report(values['banned_av_from_report'], values.get('banned_av_report_query'))
        except report_targets.TargetError as exc:
            field = 'banned_av_from_report' if exc.field == 'report' else 'banned_av_report_query'
            raise inputs.InputError('%s: %s' % (field, exc))
        unknown = [n for n in names if n not in inventory]
        if unknown:
            raise inputs.InputError('banned_av_report_query: %s of %s not in the inventory: %s' % (
                plural(len(unknown), 'host'), values['banned_av_from_report'], ', '.join(unknown[:20])))
        query = values.get('banned_av_report_query') or report_targets.DEFAULT_QUERY
        source = 'banned_av_from_report %s (query %s)' % (values['banned_av_from_report'], query)
    else:
        try:
            names = matching_hosts(loader, groups, values['banned_av_hosts'])
        except AnsibleError as exc:
            raise inputs.InputError('banned_av_hosts: %r is not a valid host pattern: %s' % (values['banned_av_hosts'], to_native(exc)))
        source = 'banned_av_hosts %r' % values['banned_av_hosts']
    within = set(play_hosts)
    selected = [n for n in names if n in within]
    if not selected:
        if names and limit:
            raise inputs.InputError('no host selected: %s gives %s, none of them within --limit %r' % (
                source, plural(len(names), 'host'), limit))
        raise inputs.InputError('no host selected: %s matches no host of the inventory' % source)
    return selected


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = False
    BYPASS_HOST_LOOP = True

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        playbook = args['playbook']
        given = self._given(playbook, task_vars)
        try:
            values, catalog = inputs.check_and_load(playbook, given)
            hosts = select_hosts(values, task_vars.get('groups') or {}, task_vars.get('ansible_play_hosts_all') or [],
                                 self._loader, limit=task_vars.get('ansible_limit'))
            run_id, spool, removed = run_spool.create()
            # the catalogue the check loaded, kept for every host's detection (run_spool.load_catalog)
            run_spool.write_catalog(spool, catalog, run_spool.catalog_key(values['banned_av_catalog_files'],
                                                                          values['banned_av_catalog_entries']))
        except inputs.InputError as exc:
            raise AnsibleActionFail('fleetsec.banned_av.%s: invalid input: %s' % (playbook, exc))
        except (run_spool.SpoolError, OSError) as exc:
            raise AnsibleActionFail(to_native(exc))
        for name in self._unknown_names(task_vars):
            display.warning(name)
        secret_names = [k for k, o in inputs.spec(playbook).items() if o.get('no_log')]
        result.update(
            changed=False,
            playbook=playbook,
            inputs=dict((k, v) for k, v in values.items() if k not in secret_names),
            hosts=hosts,
            run_id=run_id,
            spool=spool,
            stale_spools_removed=removed,
            detect_timeout=values['banned_av_collect_timeout'] + inputs.COLLECT_TIMEOUT_MARGIN,
            msg='fleetsec.banned_av.%s: inputs valid; %s selected; reports in %s' % (
                playbook, plural(len(hosts), 'host'), values['banned_av_report_dir']),
        )
        return result

    def _given(self, playbook, task_vars):
        """The ``banned_av_*`` inputs of ``playbook`` that are set, templated."""
        given = {}
        for name in inputs.spec(playbook):
            if name not in task_vars:
                continue
            try:
                given[name] = self._templar.template(task_vars[name])
            except AnsibleError as exc:
                raise AnsibleActionFail('fleetsec.banned_av.%s: invalid input: %s: %s' % (playbook, name, to_native(exc)))
        return given

    @staticmethod
    def _unknown_names(task_vars):
        """A warning for every ``banned_av_*`` variable no playbook or role of the collection reads."""
        known = (set(inputs.spec('audit')) | set(inputs.spec('enforce')) | set(inputs.HOST_VARIABLES)
                 | set(inputs.OTHER_VARIABLES))
        out = []
        for name in sorted(task_vars):
            if not name.startswith('banned_av_') or name in known or name.startswith('banned_av_awx_'):
                continue
            close = difflib.get_close_matches(name, sorted(known), n=1)
            out.append('%s is not a variable of fleetsec.banned_av%s' % (name, '; did you mean %s?' % close[0] if close else ''))
        return out
