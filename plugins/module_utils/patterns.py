# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Catalogue patterns as every consumer applies them: the matcher on the controller, the POSIX
collector on the target, the offline Windows reader.

Regular expressions match case-insensitively in at most the first ``MAX_VALUE_LENGTH`` characters
of a host value (the bound under which ``regex_subset`` accepts a pattern as cheap); globs match
as ``fnmatch.fnmatchcase``.  Which patterns a catalogue may hold is ``regex_subset``'s business.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch
import re

MAX_VALUE_LENGTH = 512      # characters of a host value a regular expression is searched in

#: pattern -> its compiled case-insensitive regex (``regex_subset.check_pattern`` adds the ones it accepts)
COMPILED = {}

_MAGIC = re.compile(r'[*?[]')


def search(pattern, value):
    """``re.search`` of a catalogue pattern, case-insensitively, in at most the first
    ``MAX_VALUE_LENGTH`` characters of ``value``."""
    if not value:
        return None
    regex = COMPILED.get(pattern)
    if regex is None:
        regex = COMPILED[pattern] = re.compile(pattern, re.IGNORECASE)
    return regex.search(value[:MAX_VALUE_LENGTH])


class CappedPattern(object):
    """A catalogue pattern compiled case-insensitively whose :meth:`search` looks at the first
    ``MAX_VALUE_LENGTH`` characters of a value only, as :func:`search` does.  The collectors
    (on the target and offline) filter with these, so that a planted multi-megabyte maintainer,
    display name or bundle id cannot make an accepted pattern slow there either."""

    __slots__ = ('pattern', 'regex')

    def __init__(self, pattern):
        self.pattern = pattern
        self.regex = COMPILED.get(pattern) or re.compile(pattern, re.IGNORECASE)

    def search(self, value):
        if not value:
            return None
        return self.regex.search(value[:MAX_VALUE_LENGTH])


def compile_pattern(pattern):
    """The :class:`CappedPattern` of ``pattern``; raises ``re.error`` when it does not compile."""
    return CappedPattern(pattern)


def compile_probe(values, kind, errors):
    """The :class:`CappedPattern` of each regular expression in ``values`` (the probe's ``kind``); one
    that does not compile is appended to the inventory's ``errors`` (source ``probe``) and left out."""
    compiled = []
    for pattern in values:
        try:
            compiled.append(compile_pattern(pattern))
        except re.error as exc:
            errors.append({'source': 'probe', 'message': "probe.%s pattern '%s' is not a valid regular expression "
                                                         "and was ignored: %s" % (kind, pattern, exc)})
    return compiled


def has_magic(text):
    """Whether the glob ``text`` has a wildcard (``*``, ``?`` or ``[``)."""
    return _MAGIC.search(text) is not None


def glob_match(value, pattern):
    """``fnmatch.fnmatchcase(value, pattern)``.  A pattern without wildcards is compared as text,
    and one whose text before its first wildcard does not start ``value`` is not compiled: a
    host's detection tests each value against every catalogue glob once, in a process that has
    compiled none of them before (docs/performance.md)."""
    magic = _MAGIC.search(pattern)
    if magic is None:
        return value == pattern
    if not value.startswith(pattern[:magic.start()]):
        return False
    return fnmatch.fnmatchcase(value, pattern)
