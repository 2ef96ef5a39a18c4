# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""reports.merge: a merge trusts nothing it reads, and loses or double-counts no host."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import os

import pytest

from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports import json_report
from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports import merge as merge_mod

NAMES = ["s1.json", "s2.json", "s3.json"]


def _parse(data):
    return json.loads(data.decode("utf-8"))


def _written(report):
    """The report as the writer writes it and a merge reads it back: with its checksum."""
    return _parse(json_report.render(report))


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
    return [_written(s) for s in (s1, s2, s3)]


def _signed(doc):
    return dict(doc, sha256=json_report.digest(doc))


def _merge(slices, **kwargs):
    return merge_mod.merge(slices, NAMES[:len(slices)], **kwargs)


# ---------------------------------------------------------------- every host once

def test_merge_counts_every_host_once(factory):
    merged = _merge(_slices(factory), generated_at="2026-11-28T00:00:00Z")
    names = [h["name"] for h in merged["hosts"]]
    assert names == ["a1", "a2", "shared", "b1", "b2", "c1"]
    summary = merged["summary"]
    assert summary["hosts"] == 6 and sum(summary["by_status"].values()) == 6
    assert summary["by_status"] == {
        "compliant": 2, "warning": 0, "noncompliant": 2, "waived": 1, "waiver_expired": 0, "unknown": 1,
        "remediated": 0, "reboot_pending": 0, "blocked": 0, "degraded": 0}
    assert merged["generated_at"] == "2026-11-28T00:00:00Z"
    assert "sha256" not in merged
    assert json_report.verify(_written(merged))  # the merged report is a valid report in its own right


def test_merge_prefers_real_results_and_keeps_the_most_severe_conflict(factory):
    merged = _merge(_slices(factory))
    shared = [h for h in merged["hosts"] if h["name"] == "shared"][0]
    # unknown (slice 0) loses to a real result; noncompliant (slice 1) beats compliant (slice 2)
    assert shared["status"] == "noncompliant" and shared["slice"] == 1
    notes = [r for r in shared["reasons"] if r.startswith("duplicate host")]
    assert len(notes) == 1 and "s2.json" in notes[0] and "s3.json" in notes[0] and "compliant" in notes[0]
    b2 = [h for h in merged["hosts"] if h["name"] == "b2"][0]
    assert b2["status"] == "unknown" and not [r for r in b2["reasons"] if r.startswith("duplicate")]


def test_merge_does_not_modify_its_inputs(factory):
    slices = _slices(factory)
    before = copy.deepcopy(slices)
    _merge(slices)
    assert slices == before


def test_merge_run_metadata_lists_the_slices_and_each_host_its_slice(factory):
    slices = _slices(factory)
    merged = _merge(slices)
    run = merged["run"]
    assert [s["name"] for s in run["slices"]] == NAMES
    assert [s["awx_job_id"] for s in run["slices"]] == ["101", "102", "103"]
    assert [s["hosts"] for s in run["slices"]] == [3, 3, 3]
    assert [s["sha256"] for s in run["slices"]] == [s["sha256"] for s in slices]
    assert [s["as_of"] for s in run["slices"]] == ["2026-11-27"] * 3
    assert run["awx_job_id"] is None and run["check_mode"] is True and run["catalog_version"] == "2026.11.27"
    assert "conflicts" not in run
    assert dict((h["name"], h["slice"]) for h in merged["hosts"]) == {"a1": 0, "a2": 0, "shared": 1, "b1": 1, "b2": 1,
                                                                      "c1": 2}
    # a merged report merged again with another slice: the slice list stays flat, the hosts keep theirs
    again = merge_mod.merge([_written(merged), slices[0]], ["fleet.json", "s1-again.json"], duplicates="merge")
    assert len(again["run"]["slices"]) == 4
    assert dict((h["name"], h["slice"]) for h in again["hosts"])["c1"] == 2


# ---------------------------------------------------------------- what is refused

@pytest.mark.parametrize("damage,message", [
    (lambda d: {}, "is not a report"),
    (lambda d: [], "is not a report"),
    (lambda d: "text", "is not a report"),
    (lambda d: dict(d, schema="fleetsec.banned_av/report/v2"), "has schema"),
    (lambda d: dict((k, v) for k, v in d.items() if k != "schema"), "has schema None"),
    (lambda d: dict((k, v) for k, v in d.items() if k != "sha256"), "has no sha256"),
    (lambda d: dict(d, sha256=None), "has no sha256"),
    (lambda d: dict(d, sha256="0" * 64), "does not match"),
    (lambda d: dict(d, hosts=d["hosts"][:-1]), "does not match"),                    # a host deleted by hand
    (lambda d: dict(d, hosts=[dict(d["hosts"][0], status="compliant")] + d["hosts"][1:]), "does not match"),
    (lambda d: _signed(dict(d, hosts=[{"status": "compliant"}])), "each with a name"),
    (lambda d: _signed(dict(d, hosts="web01")), "each with a name"),
    (lambda d: _signed(dict(d, run=None)), "no run metadata"),
])
def test_a_bad_slice_is_refused_naming_its_file(factory, damage, message):
    slices = _slices(factory)
    slices[1] = damage(slices[1])
    with pytest.raises(merge_mod.MergeError, match=r"^s2\.json: .*%s" % message):
        _merge(slices)
    with pytest.raises(merge_mod.MergeError, match="s2.json"):
        _merge(slices, allow_mixed=True)  # allowing a mix allows no damage


@pytest.mark.parametrize("field,value", [
    ("policy_version", "2027.01.01"), ("as_of", "2026-11-28"), ("catalog_version", "2026.11.27+site"),
    ("as_of", None),
])
def test_slices_judged_differently_are_refused_unless_allowed(factory, field, value):
    slices = _slices(factory)
    other = factory.report([factory.host("z1", "compliant")], run={field: value})
    slices.append(_written(other))
    names = NAMES + ["other.json"]
    with pytest.raises(merge_mod.MergeError, match=r"judged differently: %s is .* in s1\.json, .* in other\.json.*"
                       r"banned_av_merge_allow_mixed" % field):
        merge_mod.merge(slices, names)
    merged = merge_mod.merge(slices, names, allow_mixed=True)
    assert merged["run"][field] is None
    assert merged["run"]["conflicts"][field] == [slices[0]["run"][field], value]
    z1 = [h for h in merged["hosts"] if h["name"] == "z1"][0]
    assert merged["run"]["slices"][z1["slice"]][field] == value  # each host knows what it was judged against


def test_a_mix_hidden_in_a_merged_slice_is_still_seen(factory):
    slices = _slices(factory)
    late = _written(factory.report([factory.host("z1", "compliant")], run={"as_of": "2026-11-28"}))
    fleet = merge_mod.merge([slices[0], late], ["s1.json", "late.json"], allow_mixed=True)
    again = _written(fleet)
    with pytest.raises(merge_mod.MergeError, match="judged differently: as_of"):
        merge_mod.merge([again, slices[1]], ["fleet.json", "s2.json"])
    merged = merge_mod.merge([again, slices[1]], ["fleet.json", "s2.json"], allow_mixed=True)
    assert merged["run"]["conflicts"]["as_of"] == ["2026-11-27", "2026-11-28"]


def test_other_run_differences_are_listed_not_refused(factory):
    a = _written(factory.report([factory.host("a", "compliant")]))
    b = _written(factory.report([factory.host("b", "compliant")], run={"collection_version": "1.1.0", "user": "bob"}))
    run = merge_mod.merge([a, b], ["a.json", "b.json"])["run"]
    assert run["collection_version"] is None and run["user"] is None
    assert run["conflicts"] == {"collection_version": ["1.0.0", "1.1.0"], "user": ["ops", "bob"]}


def test_a_host_in_two_slices_is_refused_when_asked(factory):
    slices = _slices(factory)
    with pytest.raises(merge_mod.MergeError, match=r"2 host\(s\) .* e\.g\. b2 in s2\.json and s3\.json: a host in two slices"):
        _merge(slices, duplicates="refuse")
    with pytest.raises(merge_mod.MergeError, match="duplicates must be one of"):
        _merge(slices, duplicates="ignore")


def test_an_inventory_host_in_no_slice_is_refused_when_expected(factory):
    slices = _slices(factory)
    expected = ["a1", "a2", "shared", "b1", "b2", "c1"]
    assert len(_merge(slices, expected_hosts=expected)["hosts"]) == 6
    lost = ["lost-%02d" % i for i in range(25)]
    with pytest.raises(merge_mod.MergeError, match=r"25 inventory host\(s\) in no slice report: lost-00, .*lost-19, \.\.\."):
        _merge(slices, expected_hosts=expected + lost)
    with pytest.raises(merge_mod.MergeError, match=r"1 inventory host\(s\) in no slice report: c1 "):
        _merge(slices[:2], expected_hosts=expected)
    assert len(_merge(slices, expected_hosts=[])["hosts"]) == 6


def test_nothing_to_merge_and_unreadable_files(tmp_path):
    with pytest.raises(merge_mod.MergeError, match="at least one"):
        merge_mod.merge([], [])
    with pytest.raises(merge_mod.MergeError, match=r"missing\.json: cannot be read"):
        merge_mod.read_slice(str(tmp_path / "missing.json"))
    bad = tmp_path / "bad.json"
    for data in (b"", b"{not json", b"\xff\xfe\x00garbage", b"[1, 2"):
        bad.write_bytes(data)
        with pytest.raises(merge_mod.MergeError, match=r"bad\.json: is not a JSON report"):
            merge_mod.read_slice(str(bad))
    directory = tmp_path / "dir.json"
    directory.mkdir()
    with pytest.raises(merge_mod.MergeError, match=r"dir\.json: cannot be read"):
        merge_mod.read_slice(str(directory))


def test_read_slice_reads_what_the_writer_wrote(factory, tmp_path):
    path = tmp_path / "s.json"
    path.write_bytes(b"\xef\xbb\xbf" + json_report.render(factory.report()))  # a BOM added by an editor is fine
    doc = merge_mod.read_slice(str(path))
    merge_mod.check_slice(doc, "s.json")
    assert json_report.verify(doc)


def test_merge_same_status_twice_keeps_the_newer_collection(factory):
    old = _written(factory.report([factory.host("h", "noncompliant", collected_at="2026-11-27T10:00:00Z", platform="old")]))
    new = _written(factory.report([factory.host("h", "noncompliant", collected_at="2026-11-27T12:00:00Z", platform="new")]))
    assert merge_mod.merge([old, new], ["o", "n"])["hosts"][0]["platform"] == "new"
    assert merge_mod.merge([new, old], ["n", "o"])["hosts"][0]["platform"] == "new"


def test_a_fifo_or_a_device_given_as_a_slice_is_refused_without_waiting(tmp_path):
    """A FIFO among the slice reports used to block the merge for ever (nothing writes to it)."""
    fifo = str(tmp_path / "s2.json")
    os.mkfifo(fifo)
    for path in (fifo, "/dev/zero"):
        with pytest.raises(merge_mod.MergeError, match=r"cannot be read: not a regular file"):
            merge_mod.read_slice(path)


def test_a_slice_larger_than_the_limit_is_refused_unread(tmp_path, monkeypatch):
    path = tmp_path / "big.json"
    path.write_text('{"schema": "%s"}' % ("x" * 200))
    monkeypatch.setattr(merge_mod, "MAX_SLICE_BYTES", 100)
    with pytest.raises(merge_mod.MergeError, match=r"big\.json: is larger than 100 bytes"):
        merge_mod.read_slice(str(path))
