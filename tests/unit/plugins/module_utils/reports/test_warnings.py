# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A host's detection warnings go from av_facts through the evaluation into every report, and
never change its status (docs/architecture.md: warnings are harmless conditions)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import csv
import io
import json

from ansible_collections.fleetsec.banned_av.plugins.action import av_facts
from ansible_collections.fleetsec.banned_av.plugins.module_utils import policy
from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports import writer

WARNINGS = [{"source": "executables", "message": "/opt/kaspersky/kesl: more than 25 executables, the first 25 listed"},
            {"source": "defender", "message": "mdatp not installed"}]


def _facts(catalog, warnings):
    inventory = {"schema": 1, "platform": "linux", "root": "/", "live": True, "os": {"family": "debian"},
                 "commands": [], "skipped": [], "errors": [], "warnings": warnings}
    return av_facts.build_facts(inventory, catalog, "2026-11-27T10:00:00Z")


def test_warnings_reach_every_format_and_change_no_status(catalog, tmp_path, factory):
    as_of, version, policies, waivers = policy.load_context("2026-11-27", [], [], [])
    warned = policy.evaluate_host("warned", _facts(catalog, WARNINGS), policies, waivers, as_of, ["linux"])
    quiet = policy.evaluate_host("quiet", _facts(catalog, []), policies, waivers, as_of, ["linux"])
    assert warned["warnings"] == WARNINGS and quiet["warnings"] == []
    assert warned["status"] == quiet["status"] == "compliant"
    assert warned["severity"] == quiet["severity"] and len(warned["reasons"]) == len(quiet["reasons"])
    report = factory.report([warned, quiet])
    paths = writer.write_reports(report, str(tmp_path), list(writer.FORMATS))
    with open(paths["json"], "rb") as handle:
        assert json.loads(handle.read().decode("utf-8"))["hosts"][0]["warnings"] == WARNINGS
    with open(paths["csv"], "rb") as handle:
        rows = list(csv.DictReader(io.StringIO(handle.read().decode("utf-8"), newline="")))
    assert rows[0]["warnings"] == " | ".join("%s: %s" % (w["source"], w["message"]) for w in WARNINGS)
    for fmt in ("html", "markdown", "junit"):
        with open(paths[fmt], "rb") as handle:
            assert "defender: mdatp not installed" in handle.read().decode("utf-8"), fmt
