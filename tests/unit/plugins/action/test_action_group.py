# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action group of meta/runtime.yml against the playbooks' module_defaults.

A play's ``module_defaults`` for ``group/fleetsec.banned_av.banned_av`` hands its options to every
action of the group; an action that does not take one of them fails with "Unsupported parameters"
on the first host it runs for (the enforce playbook did, with remediation_outcome, which takes no
catalogue).  The action names and option names are read from the files users get, so a new group
member, a new shared option or a renamed one is checked without editing this test.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib
import os

import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))
GROUP = 'group/fleetsec.banned_av.banned_av'


def group_members():
    with open(os.path.join(ROOT, 'meta', 'runtime.yml')) as handle:
        return yaml.safe_load(handle)['action_groups']['banned_av']


def argument_spec(action):
    module = importlib.import_module('ansible_collections.fleetsec.banned_av.plugins.action.%s' % action)
    return module.ARGUMENT_SPEC


def group_defaults():
    """(playbook, play name, options) of every play that sets defaults for the group."""
    found = []
    folder = os.path.join(ROOT, 'playbooks')
    for name in sorted(os.listdir(folder)):
        if not name.endswith('.yml'):
            continue
        with open(os.path.join(folder, name)) as handle:
            plays = yaml.safe_load(handle) or []
        for play in plays:
            defaults = (play.get('module_defaults') or {}).get(GROUP)
            if defaults is not None:
                found.append((name, play.get('name'), sorted(defaults)))
    return found


def test_the_playbooks_set_group_defaults():
    # the test below checks something: the playbooks do pass inputs through the group
    assert any(name == 'enforce.yml' for name, _play, _options in group_defaults())
    assert any(name == 'audit.yml' for name, _play, _options in group_defaults())


@pytest.mark.parametrize('member', group_members())
def test_every_group_member_takes_every_option_the_playbooks_give_the_group(member):
    spec = argument_spec(member)
    for playbook, play, options in group_defaults():
        missing = [option for option in options if option not in spec]
        assert not missing, '%s, play %r: module_defaults for %s give %s, which %s does not take' % (
            playbook, play, GROUP, missing, member)


def test_every_action_that_takes_the_catalogue_is_in_the_group():
    """The doc fragment fleetsec.banned_av.inputs says the catalogue goes to every action of the
    group; an action that takes it but is not a member would silently miss the site's catalogue."""
    members = set(group_members())
    folder = os.path.join(ROOT, 'plugins', 'action')
    takers = []
    for name in sorted(os.listdir(folder)):
        if name.endswith('.py') and not name.startswith('_'):
            spec = argument_spec(name[:-3])
            if 'catalog_files' in spec and 'catalog_entries' in spec:
                takers.append(name[:-3])
    assert takers, 'no action takes the catalogue: the check below would check nothing'
    assert sorted(set(takers) - members) == []
