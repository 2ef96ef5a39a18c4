# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The JSON report: the canonical document every other format is derived from.

Shape (``schema: fleetsec.banned_av/report/v1``)::

    schema, generated_at, run{...}, policies[...], summary{hosts, by_status, findings,
    violations, failing}, hosts[{name, status, severity, reasons, findings, protection, waiver,
    remediation, platform, collected_at, days_left, errors, warnings}], trend{...} (with a previous
    report only: ``trend.py``), sha256

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
import errno
import hashlib
import hmac
import io
import json
import os
import stat

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


class NotRegularFile(OSError):
    """A report path that names a FIFO, a device or a directory."""


def read_file(path, max_bytes):
    """The bytes of the report file at ``path``: at most ``max_bytes`` + 1 of them, so that the
    caller can refuse a larger file without reading it all. The file is opened without blocking,
    so a FIFO or a device given by mistake is refused (``NotRegularFile``), never waited on or read
    for ever; ``OSError`` when it cannot be read."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise NotRegularFile(errno.EINVAL, "not a regular file")
    with os.fdopen(fd, "rb") as handle:
        return handle.read(max_bytes + 1)


def encode(value):
    """Canonical (compact, keys sorted) JSON text of ``value``."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False,
                      default=_default)


def canonical(doc):
    """Canonical JSON bytes of ``doc``, as hashed."""
    return encode(doc).encode("utf-8", "replace")


def _parts(doc, keys):
    """``(encoded key, encoded value, encoded items)`` for each of ``keys`` of the object ``doc``:
    a non-empty top-level list (every host) as its items, encoded one at a time (``encoded value``
    None), anything else as one value (``encoded items`` None)."""
    for key in keys:
        value = doc[key]
        if isinstance(value, (list, tuple)) and value:
            yield encode(key), None, (encode(item) for item in value)
        else:
            yield encode(key), encode(value), None


class _Hash(object):
    """SHA-256 of the canonical JSON of an object, fed one key (and one list item) at a time: the
    same bytes as ``canonical(doc)``, without the whole text in memory (about 170 MB at 100,000
    hosts, docs/performance.md)."""

    def __init__(self):
        self.sha = hashlib.sha256()
        self.keys = 0
        self.sha.update(b"{")

    def update(self, text):
        self.sha.update(text.encode("utf-8", "replace"))

    def key(self, key_text):
        self.update("%s%s:" % ("," if self.keys else "", key_text))
        self.keys += 1

    def hexdigest(self):
        self.sha.update(b"}")
        return self.sha.hexdigest()


def digest(doc):
    """Hex SHA-256 of the canonical JSON of ``doc`` without its ``sha256`` key."""
    body = dict((k, v) for k, v in doc.items() if k != SHA_KEY)
    if not all(isinstance(k, str) for k in body):  # json.dumps sorts and converts such keys its own way
        return hashlib.sha256(canonical(body)).hexdigest()
    hashed = _Hash()
    for key_text, value_text, items in _parts(body, sorted(body)):
        hashed.key(key_text)
        if items is None:
            hashed.update(value_text)
        else:
            hashed.update("[")
            for index, item in enumerate(items):
                hashed.update(("," if index else "") + item)
            hashed.update("]")
    return hashed.hexdigest()


def finalize(report):
    """A shallow copy of ``report`` with its ``sha256`` set (the input is not modified)."""
    out = dict((k, v) for k, v in report.items() if k != SHA_KEY)
    out[SHA_KEY] = digest(out)
    return out


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


def _write_key(out, key_text, value_text, items, hashed=None, last=False):
    """One top-level key in the file's layout (and, with ``hashed``, in the checksum)."""
    out.write("  %s:" % key_text)
    if hashed is not None:
        hashed.key(key_text)
    if items is None:
        out.write(value_text)
        if hashed is not None:
            hashed.update(value_text)
    else:
        out.write("[\n")
        if hashed is not None:
            hashed.update("[")
        previous = None
        for item in items:
            if previous is not None:
                out.write("    %s,\n" % previous)
                if hashed is not None:
                    hashed.update(",")
            if hashed is not None:
                hashed.update(item)
            previous = item
        out.write("    %s\n  ]" % previous)
        if hashed is not None:
            hashed.update("]")
    out.write("\n" if last else ",\n")


def write(report, out):
    """Write the JSON report of ``report`` to the text stream ``out`` (see "The file" above) and
    return its ``sha256``.

    Each value is encoded once, for the file and for the checksum: the keys before ``sha256`` in
    sorted order (``hosts`` among them) are hashed as they are written; those after it
    (``summary``) are encoded and hashed before the ``sha256`` line is written.
    """
    body = dict((k, v) for k, v in report.items() if k != SHA_KEY)
    keys = sorted(body)
    hashed = _Hash()
    out.write("{\n")
    for parts in _parts(body, [k for k in keys if k < SHA_KEY]):
        _write_key(out, *parts, hashed=hashed)
    after = []
    for key_text, value_text, items in _parts(body, [k for k in keys if k > SHA_KEY]):
        after.append((key_text, value_text, None if items is None else list(items)))
        hashed.key(key_text)
        hashed.update(value_text if items is None else "[%s]" % ",".join(after[-1][2]))
    sha = hashed.hexdigest()
    _write_key(out, encode(SHA_KEY), encode(sha), None, last=not after)
    for number, parts in enumerate(after):
        _write_key(out, *parts, last=number == len(after) - 1)
    out.write("}\n")
    return sha


def render(report):
    """The JSON report file as UTF-8 bytes, with its ``sha256``."""
    out = io.StringIO()
    write(report, out)
    return out.getvalue().encode("utf-8", "replace")
