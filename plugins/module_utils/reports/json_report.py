# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The JSON report: the canonical document every other format is derived from.

Shape (``schema: fleetsec.banned_av/report/v1``)::

    schema, generated_at, run{...}, policies[...], summary{hosts, by_status, findings,
    violations, failing}, hosts[{name, status, severity, reasons, findings, protection, waiver,
    remediation, platform, collected_at, days_left, errors, warnings}], sha256

Canonical form and checksum
---------------------------
``sha256`` is the hex SHA-256 of the *canonical JSON* of the document without its ``sha256``
key.  Canonical JSON is ``json.dumps(doc, sort_keys=True, ensure_ascii=False,
separators=(",", ":"), allow_nan=False)`` encoded as UTF-8 (a lone surrogate, which UTF-8
cannot carry, becomes ``?``).  Dates and datetimes are written as ISO 8601 strings, sets as
sorted lists.  To check a report by hand::

    python3 -c 'import json,sys,hashlib; d=json.load(open(sys.argv[1],encoding="utf-8")); \
s=d.pop("sha256"); print(s == hashlib.sha256(json.dumps(d, sort_keys=True, \
ensure_ascii=False, separators=(",", ":")).encode("utf-8")).hexdigest())' report.json

or call ``verify(json.load(...))``.  The checksum detects accidental or careless edits
(truncation, a host deleted by hand); it is not a signature.

The file
--------
The file holds the same document, laid out for people and line-based tools: one top-level key
per line, sorted, and each element of a top-level list (every host, every policy) on a line
of its own, in canonical (compact) JSON; then one newline.  ``grep`` finds a host's whole
record, ``diff`` of two runs shows changed hosts line by line, and ``jq`` reads it as usual.
The layout is fixed (``render`` of the parsed file gives the same bytes), but only the
canonical JSON defines the checksum.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import hashlib
import hmac
import io
import json

SCHEMA = "fleetsec.banned_av/report/v1"
SHA_KEY = "sha256"


def _default(value):
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=lambda v: (type(v).__name__, str(v)))
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    raise TypeError("a report cannot hold a %s (%r)" % (type(value).__name__, value))


def encode(value):
    """Canonical (compact, keys sorted) JSON text of ``value``."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False,
                      default=_default)


def canonical(doc):
    """Canonical JSON bytes of ``doc``, as hashed."""
    return encode(doc).encode("utf-8", "replace")


def _canonical_parts(doc):
    """The canonical JSON of the object ``doc`` in parts: each element of a top-level list (every
    host) encoded on its own, so that a large report is hashed without its whole text in memory
    at once (about 170 MB at 100,000 hosts, docs/performance.md).  Joined, the parts are
    ``encode(doc)``: the same keys in the same order, the same separators."""
    yield "{"
    for number, key in enumerate(sorted(doc)):
        value = doc[key]
        yield "%s%s:" % ("," if number else "", encode(key))
        if isinstance(value, (list, tuple)):
            yield "["
            for index, item in enumerate(value):
                yield ("," if index else "") + encode(item)
            yield "]"
        else:
            yield encode(value)
    yield "}"


def digest(doc):
    """Hex SHA-256 of the canonical JSON of ``doc`` without its ``sha256`` key."""
    body = dict((k, v) for k, v in doc.items() if k != SHA_KEY)
    if not all(isinstance(k, str) for k in body):  # json.dumps sorts and converts such keys its own way
        return hashlib.sha256(canonical(body)).hexdigest()
    sha = hashlib.sha256()
    for part in _canonical_parts(body):
        sha.update(part.encode("utf-8", "replace"))
    return sha.hexdigest()


def verify(doc):
    """True when ``doc`` (a parsed report) carries a ``sha256`` that matches its content."""
    if not isinstance(doc, dict):
        return False
    expected = doc.get(SHA_KEY)
    if not isinstance(expected, str):
        return False
    try:
        actual = digest(doc)
    except (TypeError, ValueError):
        return False
    return hmac.compare_digest(actual, expected.lower())


def write_layout(doc, out):
    """Write ``doc`` to the text stream ``out`` in the file's layout (see "The file" above)."""
    keys = sorted(doc)
    if not keys:
        out.write("{}\n")
        return
    out.write("{\n")
    for number, key in enumerate(keys):
        value = doc[key]
        out.write("  %s:" % encode(key))
        if isinstance(value, (list, tuple)) and value:
            out.write("[\n")
            last = len(value) - 1
            for index, item in enumerate(value):
                out.write("    %s%s\n" % (encode(item), "," if index < last else ""))
            out.write("  ]")
        else:
            out.write(encode(value))
        out.write(",\n" if number < len(keys) - 1 else "\n")
    out.write("}\n")


def write(report, out, sha=None):
    """Write the JSON report of ``report`` to ``out``, with ``sha`` as its ``sha256`` (the caller
    computed it with ``digest(report)``) or, without ``sha``, the digest computed here."""
    doc = dict((k, v) for k, v in report.items() if k != SHA_KEY)
    doc[SHA_KEY] = sha or digest(doc)
    write_layout(doc, out)


def render(report):
    """The JSON report file as UTF-8 bytes, with its ``sha256``."""
    out = io.StringIO()
    write(report, out)
    return out.getvalue().encode("utf-8", "replace")
