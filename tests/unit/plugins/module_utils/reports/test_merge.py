# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json

import pytest

from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports import json_report
from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports import merge as merge_mod


def _parse(data):
    return json.loads(data.decode("utf-8"))


# ---------------------------------------------------------------- merge

def _slices(factory):
    """Three AWX slices; 'shared' is in all three (unknown, noncompliant, compliant)."""
    s1 = factory.report([factory.host("a1", "compliant"), factory.host("a2", "noncompliant"),
                         factory.host("shared", "unknown", reasons=["unreachable"])],
                        generated_at="2026-11-27T23:50:00Z", run={"awx_job_id": "101"})
    s2 = factory.report([factory.host("b1", "waived"), factory.host("shared", "noncompliant"),
                         factory.host("b2", "unknown", reasons=["unreachable"])],
                        generated_at="2026-11-27T23:51:00Z", run={"awx_job_id": "102", "check_mode": True})
    s3 = factory.report([factory.host("c1", "compliant"), factory.host("shared", "compliant"),
                         factory.host("b2", "unknown", reasons=["still unreachable"])],
                        generated_at="2026-11-27T23:52:00Z", run={"awx_job_id": "103"})
    return [_parse(json_report.render(s)) for s in (s1, s2, s3)]


def test_merge_counts_every_host_once(factory):
    slices = _slices(factory)
    merged = merge_mod.merge(slices, generated_at="2026-11-28T00:00:00Z")
    names = [h["name"] for h in merged["hosts"]]
    assert sorted(names) == sorted(["a1", "a2", "shared", "b1", "b2", "c1"])
    assert len(names) == len(set(names))
    summary = merged["summary"]
    assert summary["hosts"] == 6
    assert sum(summary["by_status"].values()) == 6
    assert summary["by_status"] == {
        "compliant": 2, "warning": 0, "noncompliant": 2, "waived": 1, "waiver_expired": 0, "unknown": 1,
        "remediated": 0, "reboot_pending": 0, "blocked": 0, "degraded": 0}
    assert merged["generated_at"] == "2026-11-28T00:00:00Z"
    assert "sha256" not in merged
    # the merged report is a valid report in its own right
    assert json_report.verify(_parse(json_report.render(merged)))


def test_merge_prefers_real_results_and_keeps_the_most_severe_conflict(factory):
    merged = merge_mod.merge(_slices(factory))
    shared = [h for h in merged["hosts"] if h["name"] == "shared"][0]
    # unknown (slice 0) loses to a real result; noncompliant (slice 1) beats compliant (slice 2)
    assert shared["status"] == "noncompliant"
    notes = [r for r in shared["reasons"] if r.startswith("duplicate host")]
    assert len(notes) == 1
    assert "report #1" in notes[0] and "report #2" in notes[0] and "compliant" in notes[0]
    # b2 is unknown in two slices: kept once, without a conflict note
    b2 = [h for h in merged["hosts"] if h["name"] == "b2"][0]
    assert b2["status"] == "unknown"
    assert not [r for r in b2["reasons"] if r.startswith("duplicate")]


def test_merge_does_not_modify_its_inputs(factory):
    slices = _slices(factory)
    before = copy.deepcopy(slices)
    merge_mod.merge(slices)
    assert slices == before


def test_merge_run_metadata_lists_the_slices(factory):
    merged = merge_mod.merge(_slices(factory), names=["s1.json", "s2.json", "s3.json"])
    run = merged["run"]
    assert [s["awx_job_id"] for s in run["slices"]] == ["101", "102", "103"]
    assert [s["hosts"] for s in run["slices"]] == [3, 3, 3]
    assert [s["generated_at"] for s in run["slices"]] == [
        "2026-11-27T23:50:00Z", "2026-11-27T23:51:00Z", "2026-11-27T23:52:00Z"]
    assert [s["name"] for s in run["slices"]] == ["s1.json", "s2.json", "s3.json"]
    assert run["awx_job_id"] is None
    assert run["check_mode"] is True
    assert run["catalog_version"] == "2026.11.27"
    assert "conflicts" not in run
    # merging a merged report with another slice keeps the slice list flat
    again = merge_mod.merge([merged, _slices(factory)[0]])
    assert len(again["run"]["slices"]) == 4


def test_merge_reports_version_conflicts(factory):
    a = factory.report([factory.host("a", "compliant")])
    b = factory.report([factory.host("b", "compliant")], run={"catalog_version": "2027.01.01"})
    run = merge_mod.merge([a, b])["run"]
    assert run["catalog_version"] is None
    assert run["conflicts"] == {"catalog_version": ["2026.11.27", "2027.01.01"]}


def test_merge_refuses_different_schemas(factory):
    slices = _slices(factory)
    slices[2]["schema"] = "fleetsec.banned_av/report/v2"
    with pytest.raises(ValueError, match=r"report #2 \(c\.json\) has schema"):
        merge_mod.merge(slices, names=["a.json", "b.json", "c.json"], verify_checksums=False)
    with pytest.raises(ValueError, match="report #2 "):
        merge_mod.merge(slices, verify_checksums=False)


def test_merge_refuses_tampered_slices(factory):
    slices = _slices(factory)
    slices[1]["hosts"].pop(0)  # b1, only in this slice
    with pytest.raises(ValueError, match="report #1: its sha256 does not match"):
        merge_mod.merge(slices)
    merged = merge_mod.merge(slices, verify_checksums=False)
    assert merged["summary"]["hosts"] == 5


def test_merge_refuses_nothing_and_non_documents():
    with pytest.raises(ValueError, match="at least one"):
        merge_mod.merge([])
    with pytest.raises(ValueError, match="report #1 is not a report"):
        merge_mod.merge([{"schema": json_report.SCHEMA, "hosts": []}, ["x"]])


def test_merge_same_status_twice_keeps_the_newer_collection(factory):
    old = factory.report([factory.host("h", "noncompliant", collected_at="2026-11-27T10:00:00Z", platform="old")])
    new = factory.report([factory.host("h", "noncompliant", collected_at="2026-11-27T12:00:00Z", platform="new")])
    assert merge_mod.merge([old, new])["hosts"][0]["platform"] == "new"
    assert merge_mod.merge([new, old])["hosts"][0]["platform"] == "new"
