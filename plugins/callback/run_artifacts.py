# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: run_artifacts
type: aggregate
short_description: Write the artifacts a playbook published with set_stats to a JSON file
version_added: 1.0.0
description:
  - At the end of the run, writes the run-level data the playbook published with M(ansible.builtin.set_stats) (what
    AWX shows as the job's artifacts) to a JSON file, as one object.
  - C(scripts/audit.sh) enables it to learn where the audit wrote its reports (C(banned_av_reports)), whatever form
    the report directory was given in.
  - A run that published nothing writes C({}). The file is replaced atomically.
requirements:
  - enable it in C(callbacks_enabled) (C(ANSIBLE_CALLBACKS_ENABLED=fleetsec.banned_av.run_artifacts))
options:
  path:
    description: The JSON file to write. Nothing is written when it is not set.
    type: path
    env:
      - name: BANNED_AV_ARTIFACTS_FILE
    ini:
      - section: callback_fleetsec_banned_av_run_artifacts
        key: path
author:
  - fleetsec.banned_av contributors (@fleetsec)
'''

import json

from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.callback import CallbackBase

from ansible_collections.fleetsec.banned_av.plugins.plugin_utils.run_spool import write_atomic


def write_artifacts(path, artifacts):
    """Write ``artifacts`` (a mapping) to ``path`` as JSON, atomically."""
    text = json.dumps(artifacts, default=to_native, sort_keys=True)
    write_atomic(path, text.encode('utf-8'), prefix='.run_artifacts-')


class CallbackModule(CallbackBase):

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'fleetsec.banned_av.run_artifacts'
    CALLBACK_NEEDS_ENABLED = True

    def v2_playbook_on_stats(self, stats):
        path = self.get_option('path')
        if not path:
            return
        artifacts = dict((stats.custom or {}).get('_run') or {})
        try:
            write_artifacts(path, artifacts)
        except (IOError, OSError) as exc:
            self._display.warning('run_artifacts: cannot write %s: %s' % (path, to_native(exc)))
