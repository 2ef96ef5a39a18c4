# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 12, "enforce ignores banned_av_scan_root": offline images are audit-only.

The old enforce detected an image host at ``/`` of the machine running the play: an image
holding KESL was reported compliant, and with KESL on the controller the plan for a clean image
was to remove it there.  Now enforce refuses image hosts: nothing of theirs is detected or
changed, and they are in the report as not remediable, with the reason."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

pytest.importorskip('ansible_runner')

from ansible_collections.fleetsec.banned_av.tests.integration import playbook_runs as pr  # noqa: E402


@pytest.fixture(scope='module')
def base(tmp_path_factory):
    return tmp_path_factory.mktemp('enforce-images')


@pytest.fixture(scope='module')
def enforce_run(base, fleet_roots):
    return pr.run(base, 'enforce-images', 'enforce', pr.inventory(fleet_roots, ('clean-01', 'kesl-01')), pr.extravars())


def test_image_hosts_are_never_detected_or_remediated(enforce_run):
    assert enforce_run.detected_hosts() == []
    assert enforce_run.role_tasks('remediate') == []


def test_image_hosts_are_in_the_report_as_not_remediable(enforce_run, fleet_roots):
    assert enforce_run.rc != 0, 'hosts that enforce could not check must not pass'
    assert enforce_run.statuses() == {'clean-01': 'unknown', 'kesl-01': 'unknown'}
    for name, root in (('clean-01', fleet_roots['clean']), ('kesl-01', fleet_roots['kesl'])):
        host = enforce_run.host(name)
        assert host['findings'] == [] and host['remediation'] is None
        reason = ' '.join(host['reasons'])
        assert 'banned_av_scan_root' in reason and root in reason and 'audit' in reason, reason
    assert enforce_run.report()['run']['play'] == 'enforce'


def test_the_audit_still_scans_the_same_images(base, fleet_roots):
    run = pr.run(base, 'audit-images', 'audit', pr.inventory(fleet_roots, ('clean-01', 'kesl-01')), pr.extravars())
    assert run.statuses() == {'clean-01': 'compliant', 'kesl-01': 'noncompliant'}
    assert run.detected_hosts() == ['clean-01', 'kesl-01']
