# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The CSV report: one row per host and finding, for spreadsheets and ticket imports.

Format
------
* RFC 4180: comma separated, ``\\r\\n`` line ends, a field is quoted (``"``, doubled inside)
  only when it holds a comma, a quote or a line break (``csv.QUOTE_MINIMAL``).  Values keep
  their line breaks, inside quotes.  ``render`` builds the lines itself, byte for byte what the
  csv module's excel dialect writes, without its per-cell cost.
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
_GUARDED_FIRST = frozenset(_GUARDED)
_NO_FINDING = [""] * 9
_NO_FINDING_TEXT = "," * (len(_NO_FINDING) - 1)
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


def _cell(value):
    """``guard(value)``, with a fast path for None and for a str that needs no guard."""
    if value is None:
        return ""
    if value.__class__ is str and value[:1] not in _GUARDED_FIRST and "\x00" not in value:
        return value
    return guard(value)


def _reasons(host):
    """``REASON_SEPARATOR`` joining ``text()`` of each of the host's reasons, guarded."""
    reasons = host.get("reasons") or []
    if reasons.__class__ is list:
        try:
            joined = REASON_SEPARATOR.join(reasons)  # all str: text() would change nothing
        except TypeError:
            joined = REASON_SEPARATOR.join([text(r) for r in reasons])
    else:
        joined = REASON_SEPARATOR.join(text(r) for r in reasons)
    return _cell(joined)


def _host_cells(host):
    """The guarded (head, tail) cells of a host's rows."""
    waiver = host.get("waiver") or {}
    head = [_cell(host.get("name")), _cell(host.get("status")), _cell(host.get("severity"))]
    tail = [_cell(waiver.get("ticket")), _cell(waiver.get("expires")), _reasons(host)]
    return head, tail


def _finding_cells(finding):
    """The nine guarded finding cells of a row."""
    get = finding.get
    return [
        _cell(get("policy")),
        _cell(get("id")),
        _cell(get("vendor")),
        _cell(get("product")),
        _cell(get("category")),
        _cell(get("version")),
        _cell(get("signatures_date")),
        _cell(get("verdict")),
        _cell(evidence_summary(finding)),
    ]


def rows(report):
    """Yield the data rows (lists of guarded cells, in ``COLUMNS`` order)."""
    for host in report.get("hosts") or []:
        head, tail = _host_cells(host)
        findings = host.get("findings") or []
        if not findings:
            yield head + _NO_FINDING + tail
            continue
        for finding in findings:
            yield head + _finding_cells(finding) + tail


def _quote(cell):
    """A guarded cell as the csv module writes it (``csv.QUOTE_MINIMAL``, excel dialect).

    The csv writer quotes a field when it holds the delimiter, the quote character or a
    character of the line terminator, and doubles the quotes inside.  Each field is quoted on
    its own (the one exception, a row of one empty field, never happens: rows have
    ``len(COLUMNS)`` fields).
    """
    if "," in cell or '"' in cell or "\n" in cell or "\r" in cell:
        return '"' + cell.replace('"', '""') + '"'
    return cell


def _join(cells):
    """``cells`` (guarded) as one CSV line fragment, separated by commas."""
    line = ",".join(cells)
    if line.count(",") == len(cells) - 1 and '"' not in line and "\n" not in line and "\r" not in line:
        return line
    return ",".join([_quote(cell) for cell in cells])


def render(report):
    """The CSV report as UTF-8 bytes (no BOM)."""
    # The same bytes as csv.writer(dialect="excel", quoting=csv.QUOTE_MINIMAL,
    # lineterminator="\r\n").writerows(rows(report)) after the header, built without the
    # csv module: a host's head and tail cells are quoted once for all its rows, and a
    # fragment whose cells need no quotes is joined as it is (see _quote and _join).
    lines = [",".join(COLUMNS)]
    append = lines.append
    for host in report.get("hosts") or []:
        head, tail = _host_cells(host)
        head_text = _join(head) + ","
        tail_text = "," + _join(tail)
        findings = host.get("findings") or []
        if not findings:
            append(head_text + _NO_FINDING_TEXT + tail_text)
            continue
        for finding in findings:
            cells = _finding_cells(finding)
            evidence = cells.pop()
            append(head_text + _join(cells) + "," + _quote(evidence) + tail_text)
    lines.append("")
    return "\r\n".join(lines).encode("utf-8", "replace")
