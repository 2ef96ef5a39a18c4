# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hosts taken from a previous JSON report: the report verified, then a JMESPath query.

Used by the input check of the playbooks (``banned_av_from_report``, ``banned_av_report_query``),
which selects the hosts of the run from them.  A report is
used only when it is a report of this collection (``schema``) whose ``sha256`` matches its
content: a tampered or truncated report never chooses which hosts are changed.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

try:
    import jmespath
    HAS_JMESPATH = True
except ImportError:  # pragma: no cover - jmespath is a requirement of the execution environment
    jmespath = None
    HAS_JMESPATH = False

from ansible_collections.fleetsec.banned_av.plugins.module_utils import policy as policy_mod
from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports import json_report

#: reports larger than this are refused (a 100,000-host report is about 300 MB)
MAX_REPORT_BYTES = 2 * 1024 ** 3

#: the hosts that failed the previous run: every failing status (``policy.FAILING``)
DEFAULT_QUERY = 'hosts[?contains(%s, status)].name' % json.dumps(list(policy_mod.FAILING)).replace('"', "'")


class TargetError(ValueError):
    """A report or query that cannot select hosts.  ``field`` is ``report`` or ``query``."""

    def __init__(self, field, message):
        super(TargetError, self).__init__(message)
        self.field = field


def load_report(path):
    """The parsed report at ``path``, after checking its schema and its checksum."""
    try:  # a FIFO or a device is refused, never waited on
        data = json_report.read_file(path, MAX_REPORT_BYTES)
    except (IOError, OSError) as exc:
        raise TargetError('report', 'cannot read %s: %s' % (path, exc.strerror or exc))
    if len(data) > MAX_REPORT_BYTES:
        raise TargetError('report', '%s is larger than %d bytes' % (path, MAX_REPORT_BYTES))
    try:
        doc = json.loads(data.decode('utf-8'))
    except (UnicodeDecodeError, ValueError) as exc:
        raise TargetError('report', '%s is not a JSON report: %s' % (path, exc))
    if not isinstance(doc, dict) or doc.get('schema') != json_report.SCHEMA:
        raise TargetError('report', '%s is not a report of this collection (schema %s)' % (path, json_report.SCHEMA))
    if not isinstance(doc.get('sha256'), str):
        raise TargetError('report', '%s has no sha256: it cannot be verified' % path)
    if not json_report.verify(doc):
        raise TargetError('report', '%s: its sha256 does not match its content (changed after it was written?)' % path)
    return doc


def select(doc, query=None):
    """Host names selected by the JMESPath ``query`` (default: the failing hosts) from a report."""
    if not HAS_JMESPATH:
        raise TargetError('query', 'the Python library jmespath is required on the controller (pip install jmespath)')
    query = query or DEFAULT_QUERY
    try:
        found = jmespath.search(query, doc)
    except jmespath.exceptions.JMESPathError as exc:
        raise TargetError('query', 'invalid JMESPath query %r: %s' % (query, exc))
    if not isinstance(found, list) or not all(isinstance(name, str) and name for name in found):
        raise TargetError('query', '%r must give a list of host names, got %s' % (query, _shown(found)))
    seen = set()
    return [name for name in found if not (name in seen or seen.add(name))]


def hosts_from_report(path, query=None):
    return select(load_report(path), query)


def _shown(value):
    text = json.dumps(value, default=str)
    return text if len(text) <= 80 else text[:77] + '...'
