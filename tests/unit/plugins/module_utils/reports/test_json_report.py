# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import datetime
import hashlib
import io
import json

import pytest

from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports import json_report


def _parse(data):
    return json.loads(data.decode("utf-8"))


# ---------------------------------------------------------------- render / verify

def test_render_is_canonical_and_verifies(factory):
    report = factory.report()
    data = json_report.render(report)
    assert data.endswith(b"}\n")
    doc = _parse(data)
    assert json_report.verify(doc)
    assert doc["sha256"] == json_report.digest(report)
    # a fixed layout: rendering the parsed document again gives the same bytes
    assert json_report.render(doc) == data
    assert data.index(b'"generated_at"') < data.index(b'"hosts"') < data.index(b'"schema"')
    # one top-level key per line, one host per line, each in canonical (compact) JSON
    lines = data.decode("utf-8").split("\n")
    assert lines[0] == "{" and lines[-2:] == ["}", ""]
    start = lines.index('  "hosts":[')
    host_lines = lines[start + 1:start + 1 + len(report["hosts"])]
    assert [json.loads(line.strip().rstrip(",")) for line in host_lines] == report["hosts"]
    assert all(line.strip().rstrip(",") == json_report.canonical(h).decode("utf-8")
               for line, h in zip(host_lines, report["hosts"]))
    assert lines[start + 1 + len(report["hosts"])] == "  ],"


def test_the_file_is_the_canonical_document(factory):
    hosts = [factory.host(factory.MULTILINE_HOST, "noncompliant", reasons=["a\nb", "\u2028"], protection=[]),
             factory.host(factory.HOSTILE_HOST, "compliant", findings=[], waiver={}, remediation={"x": [[], {}]})]
    for report in (factory.report(), factory.report(hosts), factory.report([]), {"schema": "s"}, {}):
        data = json_report.render(report)
        doc = json.loads(data.decode("utf-8"))
        assert doc["sha256"] == json_report.digest(report)
        assert doc == json.loads(json_report.canonical(factory.signed(report)))
        assert data.endswith(b"\n") and json_report.render(doc) == data


def test_write_returns_the_checksum_it_wrote_and_never_trusts_a_stale_one(factory):
    hosts = [factory.host(u"h\u00f6st\ud800", "noncompliant"), factory.host("b", "compliant", findings=[])]
    for report in (factory.report(), factory.report(hosts), factory.report([]), {}, {"zzz": [1, 2], "aaa": []},
                   {"summary": None, "sha256": "0" * 64}):
        out = io.StringIO()
        sha = json_report.write(report, out)
        assert sha == json_report.digest(report)
        doc = json.loads(out.getvalue())
        assert doc["sha256"] == sha and json_report.verify(doc)
        assert out.getvalue().encode("utf-8", "replace") == json_report.render(report)


def test_sha256_follows_the_documented_recipe(factory):
    doc = _parse(json_report.render(factory.report()))
    sha = doc.pop("sha256")
    body = json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    assert sha == hashlib.sha256(body).hexdigest()
    # the checksum is not that of some other serialisation
    pretty = json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False).encode("utf-8")
    assert sha != hashlib.sha256(pretty).hexdigest()


def test_render_does_not_modify_the_input(factory):
    report = factory.report()
    before = copy.deepcopy(report)
    json_report.render(report)
    assert report == before
    assert "sha256" not in report


def test_finalize_signs_a_copy_that_render_would_write(factory):
    for report in (factory.report(), factory.report([]), {}, {"summary": None, "sha256": "0" * 64}):
        before = copy.deepcopy(report)
        signed = json_report.finalize(report)
        assert report == before
        assert json_report.verify(signed)
        assert signed["sha256"] == json_report.digest(report)
        assert signed == _parse(json_report.render(report))


def test_non_ascii_is_written_as_utf8(factory):
    report = factory.report([factory.host(factory.HOSTILE_HOST, "compliant")])
    data = json_report.render(report)
    assert factory.HOSTILE_HOST.replace('"', '\\"').encode("utf-8") in data
    assert b"\\u00f6" not in data


@pytest.mark.parametrize("tamper", [
    lambda d: d["hosts"][0].__setitem__("status", "compliant"),
    lambda d: d["hosts"].pop(),
    lambda d: d["summary"]["by_status"].__setitem__("noncompliant", 0),
    lambda d: d["run"].__setitem__("as_of", "2026-11-28"),
    lambda d: d.__setitem__("sha256", "0" * 64),
    lambda d: d.pop("sha256"),
    lambda d: d.__setitem__("sha256", None),
])
def test_tampering_is_detected(factory, tamper):
    doc = _parse(json_report.render(factory.report()))
    assert json_report.verify(doc)
    tamper(doc)
    assert not json_report.verify(doc)


def test_dates_and_sets_serialise_and_still_verify(factory):
    waiver = {"id": "W", "expires": datetime.date(2027, 1, 31), "expired": False, "owner": "o", "ticket": "t", "reason": "r"}
    host = factory.host("w", "waived", waiver=waiver)
    host["tags"] = {"b", "a"}
    data = json_report.render(factory.report([host]))
    doc = _parse(data)
    assert doc["hosts"][0]["waiver"]["expires"] == "2027-01-31"
    assert doc["hosts"][0]["tags"] == ["a", "b"]
    assert json_report.verify(doc)


def test_nan_and_unknown_types_are_refused(factory):
    with pytest.raises(ValueError):
        json_report.render(factory.report(hosts=[factory.host(days_left=float("nan"))]))
    with pytest.raises(TypeError):
        json_report.render(factory.report(hosts=[factory.host(days_left=object())]))


def test_the_checksum_is_that_of_the_canonical_text_for_any_document(factory):
    """digest() hashes the canonical JSON in parts (a host at a time): the same SHA-256 as hashing
    the whole canonical text, for any shape of document."""
    hostile = [factory.host(u"h\u00f6st\ud800", "noncompliant", reasons=["a\nb"], tags=("t", 1), extra={"k": {"x", "y"}}),
               factory.host("", "compliant", findings=[], waiver={}, remediation={"x": [[], {}]})]
    docs = [factory.report(), factory.report(hostile), factory.report([]), {}, {"schema": "s"},
            {"hosts": [], "policies": (), "run": None, "n": 1.5, "b": False},
            {"hosts": [1, "two", None, [3]], "z": datetime.date(2027, 1, 31), "s": {"b", "a"}},
            {1: "non-string keys", 2: "sort as numbers", 10: "then become strings"}]
    for doc in docs:
        body = dict((k, v) for k, v in doc.items() if k != "sha256")
        assert json_report.digest(doc) == hashlib.sha256(json_report.canonical(body)).hexdigest(), doc
