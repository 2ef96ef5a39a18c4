# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render the report formats and put them on disk: all of them, or none.

``write_reports(report, report_dir, formats, catalog_entries)``:

1. Temporary files that a killed run left in ``report_dir`` are removed
   (``common.remove_stale_temps``: only the writer's own temporary files, by name and age).
2. The JSON report is written first, to a temporary file next to its final name
   (``common.open_temp``), and its SHA-256 computed from the same text (``json_report.write``;
   without the JSON format, ``json_report.digest``): every format quotes it.
3. Each other format is written by its module to a temporary file next to its final name; the
   files are fsync'ed once all are written.
4. Only when every format succeeded are the temporary files renamed over the reports
   (``os.replace``, atomic) and the directory fsync'ed.  Any error removes the temporary files
   and leaves the previous reports untouched, so a report set is always from one run.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports import (
    common, csv_report, html_report, json_report, junit_report, markdown_report, sarif_report)

FORMATS = {
    'json': 'banned_av_report.json',
    'csv': 'banned_av_report.csv',
    'html': 'banned_av_report.html',
    'junit': 'banned_av_report.junit.xml',
    'sarif': 'banned_av_report.sarif',
    'markdown': 'banned_av_report.md',
}


def write_format(fmt, report, out, sha, catalog_entries):
    """Write one format of ``report`` (whose SHA-256 is ``sha``) to the text stream ``out``."""
    if fmt == 'json':
        json_report.write(report, out)
    elif fmt == 'html':
        html_report.write(report, out, sha=sha)
    elif fmt == 'sarif':
        sarif_report.write(report, out, catalog_entries=catalog_entries)
    else:
        {'csv': csv_report, 'junit': junit_report, 'markdown': markdown_report}[fmt].write(report, out)


def write_reports(report, report_dir, formats, catalog_entries=None):
    """Write ``formats`` of ``report`` into ``report_dir``; return ``{format: path}``.

    Sets ``report['sha256']``.  Raises the rendering or writing error with no report replaced.
    """
    if not os.path.isdir(report_dir):
        os.makedirs(report_dir)
    common.remove_stale_temps(report_dir, FORMATS.values())
    paths = dict((fmt, os.path.join(report_dir, FORMATS[fmt])) for fmt in formats)
    staged = {}
    try:
        # the JSON first: it is hashed as it is written, and every format quotes its checksum
        if 'json' in formats:
            staged['json'], out = common.open_temp(paths['json'])
            with out:
                report['sha256'] = json_report.write(report, out)
        else:
            report['sha256'] = json_report.digest(report)
        for fmt in formats:
            if fmt != 'json':
                staged[fmt], out = common.open_temp(paths[fmt])
                with out:
                    write_format(fmt, report, out, report['sha256'], catalog_entries)
        # fsync'ed only now: the kernel wrote the first files back while the others were rendered
        for fmt in formats:
            common.sync_file(staged[fmt])
        for fmt in formats:
            common.commit_temp(staged[fmt], paths[fmt])
            del staged[fmt]
    finally:
        for tmp in staged.values():
            common.discard_temp(tmp)
    common.fsync_directory(os.path.abspath(report_dir))
    return paths
