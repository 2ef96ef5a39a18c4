# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The CSV report: one row per host and finding, for spreadsheets and ticket imports.

Format
------
* RFC 4180, written by the ``csv`` module (``excel`` dialect): comma separated, ``\\r\\n`` line
  ends, a field is quoted (``"``, doubled inside) only when it holds a comma, a quote or a line
  break.  Values keep their line breaks, inside quotes.
* UTF-8 **without** a byte-order mark.  Excel opens a BOM-less file in the local code page:
  import it with *Data > From Text/CSV* and choose *65001: Unicode (UTF-8)* so that names such
  as ``Agent d'administration de Kaspersky Security Center`` or ``höst-ü`` survive.
* One header row, then one row per (host, finding); a host without findings has one row
  whose finding columns are empty.  ``reasons`` joins the host's reasons and ``warnings`` its
  warnings (``source: message``) with `` | ``; ``evidence`` is ``common.evidence_summary`` of the
  finding; ``as_of``, ``policy_version`` and ``catalog_version`` say what the host was judged
  against (in a merged report: its slice's).

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
    host_messages,
    judged_by,
    text,
)

COLUMNS = (
    "host", "status", "severity", "policy", "finding_id", "vendor", "product", "category", "version",
    "signatures_date", "verdict", "evidence", "waiver_ticket", "waiver_expires", "reasons", "warnings",
    "as_of", "policy_version", "catalog_version",
)
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# a value that already starts with ' gets one more, so that unguard() is exact and a
# spreadsheet (which hides one leading ') shows the original value
_GUARDED = FORMULA_PREFIXES + ("'",)
FINDING_COLUMNS = 9
SEPARATOR = " | "


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


def _finding_cells(finding):
    return [finding.get("policy"), finding.get("id"), finding.get("vendor"), finding.get("product"),
            finding.get("category"), finding.get("version"), finding.get("signatures_date"),
            finding.get("verdict"), evidence_summary(finding)]


def rows(report):
    """Yield the data rows (lists of guarded cells, in ``COLUMNS`` order)."""
    empty = [""] * FINDING_COLUMNS
    for host in report.get("hosts") or []:
        waiver = host.get("waiver") or {}
        judged = judged_by(report, host)
        # the host's cells, the same on each of its rows
        head = [guard(cell) for cell in (host.get("name"), host.get("status"), host.get("severity"))]
        tail = [guard(cell) for cell in (waiver.get("ticket"), waiver.get("expires"),
                                         SEPARATOR.join(text(r) for r in host.get("reasons") or []),
                                         SEPARATOR.join(host_messages(host, "warnings")),
                                         judged["as_of"], judged["policy_version"], judged["catalog_version"])]
        for finding in host.get("findings") or [None]:
            yield head + ([guard(cell) for cell in _finding_cells(finding)] if finding else empty) + tail


def write(report, out):
    """Write the CSV report to the text stream ``out`` (opened with ``newline=''``)."""
    writer = csv.writer(out, dialect="excel", lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows(report))


def render(report):
    """The CSV report as UTF-8 bytes (no BOM)."""
    out = io.StringIO(newline="")
    write(report, out)
    return out.getvalue().encode("utf-8", "replace")
