# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test-only connection: containers.podman.podman with pipelining (``podman exec -i``).

The podman connection runs five or six ``podman exec`` per module (temporary directory, copy,
chmod, run, clean-up), about three seconds per task here. With pipelining a module is one
``podman exec -i <container> python3`` that reads the module on stdin. Molecule scenarios of
fleetsec.banned_av use it through ``ansible_connection: podman_pipelined`` and
``ANSIBLE_CONNECTION_PLUGINS``; it changes only how modules reach the container.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = '''
name: podman_pipelined
short_description: containers.podman.podman with pipelining, for Molecule tests
description:
  - Runs modules in a podman container with C(podman exec -i), feeding the module on stdin.
author: fleetsec.banned_av contributors
extends_documentation_fragment: []
options:
  remote_addr:
    description: The ID of the container.
    default: inventory_hostname
    vars:
      - name: inventory_hostname
      - name: ansible_host
      - name: ansible_podman_host
  remote_user:
    description: User inside the container.
    vars:
      - name: ansible_user
  podman_extra_args:
    description: Extra arguments for podman.
    default: ''
    vars:
      - name: ansible_podman_extra_args
  podman_executable:
    description: The podman executable.
    default: podman
    vars:
      - name: ansible_podman_executable
  pipelining:
    description: Pipelining on or off.
    type: boolean
    default: true
    vars:
      - name: ansible_pipelining
'''

from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.loader import connection_loader

import shlex

_Base = connection_loader.get('containers.podman.podman', class_only=True)


class Connection(_Base):

    transport = 'podman_pipelined'
    has_pipelining = True

    def exec_command(self, cmd, in_data=None, sudoable=False):
        if not self._connected:
            self._connect()
        cmd_args_list = shlex.split(to_native(cmd, errors='surrogate_or_strict'))
        exec_args_list = ['exec', '-i'] if in_data is not None else ['exec']
        if self.user:
            exec_args_list.extend(('--user', self.user))
        return self._podman(exec_args_list, cmd_args_list, in_data)
