# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The CSV report: one row per host and finding, for spreadsheets and ticket imports.

Format
------
* RFC 4180: comma separated, ``\\r\\n`` line ends, a field is quoted (``"``, doubled inside)
  only when it holds a comma, a quote or a line break (``csv.QUOTE_MINIMAL``).  Values keep
  their line breaks, inside quotes.
* UTF-8 **without** a byte-order mark.  Excel opens a BOM-less file in the local code page:
  import it with *Data > From Text/CSV* and choose *65001: Unicode (UTF-8)* so that names such
  as ``Agent d'administration de Kaspersky Security Center`` or ``höst-ü`` survive.
* One header row, then one row per (host, finding); a host without findings has one row
  whose finding columns are empty.  ``reasons`` joins the host's reasons with `` | ``;
  ``evidence`` is ``common.evidence_summary`` of the finding.

Formula (CSV) injection guard
-----------------------------
A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula (and
some also after a leading TAB or CR).  Host and product names come from the fleet, so every
cell that starts with one of ``= + - @ TAB CR`` is written with a ``'`` in front, which
spreadsheets show as text.  A cell that already starts with ``'`` gets one more, so the
guard is reversible: a program that reads the CSV back and needs the original value strips
one leading ``'`` from a cell whose next character is one of ``= + - @ TAB CR '``
(``unguard``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import csv
import io

from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports.common import (
    evidence_summary,
    text,
)

COLUMNS = (
    "host", "status", "severity", "policy", "finding_id", "vendor", "product", "category", "version",
    "signatures_date", "verdict", "evidence", "waiver_ticket", "waiver_expires", "reasons",
)
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# a value that already starts with ' gets one more, so that unguard() is exact and a
# spreadsheet (which hides one leading ') shows the original value
_GUARDED = FORMULA_PREFIXES + ("'",)
REASON_SEPARATOR = " | "


def guard(value):
    """A cell value safe to open in a spreadsheet (see the module docstring)."""
    value = text(value).replace("\x00", "")
    if value.startswith(_GUARDED):
        return "'" + value
    return value


def unguard(value):
    """The original value of a guarded cell."""
    if value.startswith("'") and value[1:].startswith(_GUARDED):
        return value[1:]
    return value


def rows(report):
    """Yield the data rows (lists of guarded cells, in ``COLUMNS`` order)."""
    for host in report.get("hosts") or []:
        waiver = host.get("waiver") or {}
        head = [
            guard(host.get("name")),
            guard(host.get("status")),
            guard(host.get("severity")),
        ]
        tail = [
            guard(waiver.get("ticket")),
            guard(waiver.get("expires")),
            guard(REASON_SEPARATOR.join(text(r) for r in host.get("reasons") or [])),
        ]
        findings = host.get("findings") or []
        if not findings:
            yield head + [""] * 9 + tail
            continue
        for finding in findings:
            yield head + [
                guard(finding.get("policy")),
                guard(finding.get("id")),
                guard(finding.get("vendor")),
                guard(finding.get("product")),
                guard(finding.get("category")),
                guard(finding.get("version")),
                guard(finding.get("signatures_date")),
                guard(finding.get("verdict")),
                guard(evidence_summary(finding)),
            ] + tail


def render(report):
    """The CSV report as UTF-8 bytes (no BOM)."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, dialect="excel", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows(report))
    return buf.getvalue().encode("utf-8", "replace")
