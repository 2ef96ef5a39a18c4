# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shared report helpers as they were before their fast paths, frozen as test oracles.

``common.text``, ``one_line``, ``evidence_item`` and ``evidence_summary`` gained fast paths for
plain strings; the JUnit, CSV and SARIF writers were rewritten on top of them.  The reference
writers kept in ``test_junit_reference.py``, ``test_csv_report.py`` and ``test_sarif_report.py``
use these copies, so that what they compare against does not depend on the code under test;
``test_common.py`` holds the fast paths to them directly.  Do not "fix" or speed these up.
The one exception is ``evidence_item``: evidence items became structured data, which only
``evidence.describe`` renders.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import re

from ansible_collections.fleetsec.banned_av.plugins.module_utils.evidence import describe

_ONE_LINE_RE = re.compile(r"[\s\x00-\x1f\x7f\x85\u2028\u2029]+")
_ILLEGAL_XML_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def text(value):
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, dict):
        return ", ".join("%s: %s" % (text(k), text(v)) for k, v in value.items())
    if isinstance(value, (list, tuple, set, frozenset)):
        return ", ".join(text(v) for v in value)
    return str(value)


def one_line(value):
    return _ONE_LINE_RE.sub(" ", text(value)).strip()


def truncate(value, limit):
    if limit is None or len(value) <= limit:
        return value
    if limit <= 3:
        return value[:limit]
    return value[:limit - 3].rstrip() + "..."


def xml_safe(value):
    return _ILLEGAL_XML_RE.sub("", text(value))


def evidence_item(evidence):
    # Evidence items are structured data now, and evidence.describe() is the one place that
    # turns one into text (it has no fast path): the reference writers render evidence with it.
    return describe(evidence)


def evidence_summary(finding, limit=200, item_limit=80):
    items = (finding or {}).get("evidence") or []
    parts = []
    used = 0
    for index, evidence in enumerate(items):
        item = truncate(evidence_item(evidence), item_limit)
        if parts and used + len(item) + 2 > limit - 12:
            parts.append("+%d more" % (len(items) - index))
            break
        parts.append(item)
        used += len(item) + 2
    return "; ".join(parts)
