# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The subset of regular expressions and globs a catalogue may use.

Catalogue regular expressions are run against values read from hosts, by Python on the controller
and on POSIX targets and by .NET on Windows targets.  ``check_pattern`` accepts only a subset of
the syntax in which a search cannot backtrack for ever (no backreferences, no nested repeats, no
alternatives that can match the same text, a bounded polynomial cost on a value of
``patterns.MAX_VALUE_LENGTH`` characters); ``check_glob`` bounds the wildcards of a glob.

Used when a catalogue is validated (``catalog.load``, the input check); matching uses
``patterns``, which does not need this module.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.fleetsec.banned_av.plugins.module_utils.patterns import COMPILED, MAX_VALUE_LENGTH

MAX_PATTERN_LENGTH = 512    # characters of one regular expression
MAX_GROUP_DEPTH = 16        # nested groups in one regular expression
MAX_PATTERN_COST = 8 * MAX_VALUE_LENGTH ** 2   # backtracking steps a pattern may need on one value
MAX_GLOB_STARS = 3          # '*' in one glob (Python < 3.9 on targets backtracks on each '*')


class PatternError(ValueError):
    """A regular expression outside the accepted subset; the message says why."""


# Characters that Python's re (and .NET) match case-insensitively although str.lower() differs:
# sre's table of equivalent lower-case letters, and U+0130 whose simple lower case is 'i'.
_EQUIVALENT = ((0x69, 0x131, 0x130), (0x73, 0x17f), (0xb5, 0x3bc), (0x345, 0x3b9, 0x1fbe), (0x390, 0x1fd3),
               (0x3b0, 0x1fe3), (0x3b2, 0x3d0), (0x3b5, 0x3f5), (0x3b8, 0x3d1), (0x3ba, 0x3f0), (0x3c0, 0x3d6),
               (0x3c1, 0x3f1), (0x3c2, 0x3c3), (0x3c6, 0x3d5), (0x1e61, 0x1e9b), (0xfb05, 0xfb06))
_CANONICAL = dict((member, group[0]) for group in _EQUIVALENT for member in group)
_MAX_CP = 0x10FFFF
_END = -1                   # pseudo character: the end of the value ($, \Z)
_ANY = ((0, _MAX_CP),)
# over-approximation of every non-ASCII character after folding: some fold into 'i', 'k', 's'
_NON_ASCII = ((0x69, 0x69), (0x6b, 0x6b), (0x73, 0x73), (0x80, _MAX_CP))
_CATEGORY = {   # digits and spaces have no case: none of them folds into an ASCII letter
    'd': ((0x30, 0x39), (0x80, _MAX_CP)),
    'w': ((0x30, 0x39), (0x5f, 0x5f), (0x61, 0x7a)) + _NON_ASCII,
    's': ((0x09, 0x0d), (0x1c, 0x20), (0x80, _MAX_CP)),
}
_FLAGS_RE = re.compile(r'\(\?([a-zA-Z]+)\)')
_BOUNDS_RE = re.compile(r'\{(\d*)(,?)(\d*)\}')
_SIMPLE_ESCAPES = {'n': 0x0a, 't': 0x09, 'r': 0x0d, 'f': 0x0c, 'v': 0x0b}
_ALLOWED_FLAGS = set('is')


def fold(cp):
    """The code point ``cp`` folds to when regular expressions compare case-insensitively."""
    if cp in _CANONICAL:
        return _CANONICAL[cp]
    low = chr(cp).lower()
    low = ord(low) if len(low) == 1 else cp
    return _CANONICAL.get(low, low)


def _chars(*intervals):
    """Normalised character set: sorted, merged (lo, hi) intervals of folded code points."""
    merged = []
    for lo, hi in sorted(i for group in intervals for i in group):
        if merged and lo <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
        else:
            merged.append((lo, hi))
    return tuple(merged)


def _overlap(left, right):
    i = j = 0
    while i < len(left) and j < len(right):
        if left[i][1] < right[j][0]:
            i += 1
        elif right[j][1] < left[i][0]:
            j += 1
        else:
            return True
    return False


def _range_chars(lo, hi):
    if hi - lo > 4096:
        return _ANY
    return _chars(tuple((fold(cp), fold(cp)) for cp in range(lo, hi + 1)))


class _Node:
    """One element of a parsed pattern.

    ``kind``: ``char`` (one character from ``chars``), ``assert`` (zero width: ``^ $ \\A \\Z \\b \\B``),
    ``look`` (lookahead), ``group`` (alternatives: lists of nodes) or ``repeat`` (``body`` repeated
    ``low``..``high`` times, ``high`` None for unbounded).  ``first`` is the set of characters the
    node can start with, ``nullable`` whether it can match without consuming one, ``empty_ok``
    whether it always can (no assertion in the way).
    """

    __slots__ = ('kind', 'chars', 'text', 'branches', 'body', 'low', 'high', 'anchor', 'first', 'nullable', 'empty_ok')

    def __init__(self, kind, chars=(), text=None, branches=(), body=None, low=1, high=1, anchor=False,
                 summary=((), True, True)):
        self.kind = kind
        self.chars = chars
        self.text = text            # the folded literal character, if one
        self.branches = branches
        self.body = body
        self.low = low
        self.high = high
        self.anchor = anchor        # ^ or \\A: matches only at the start of the value
        self.first, self.nullable, self.empty_ok = summary


_LITERALS = {}   # code point -> its (immutable, shareable) literal node


def _seq_summary(items):
    """(first characters, nullable, always matches empty) of a sequence of nodes."""
    first = []
    empty_ok = True
    for item in items:
        first.append(item.first)
        empty_ok = empty_ok and item.empty_ok
        if not item.nullable:
            return _chars(*first), False, False
    return _chars(*first), True, empty_ok


class _Parser:
    """Recursive descent over the accepted subset; anything outside it raises PatternError."""

    def __init__(self, pattern):
        self.src = pattern
        self.pos = 0
        self.depth = 0
        self.groups = 0

    def peek(self, ahead=0):
        index = self.pos + ahead
        return self.src[index] if index < len(self.src) else ''

    def parse(self):
        match = _FLAGS_RE.match(self.src)
        if match:
            bad = sorted(set(match.group(1)) - _ALLOWED_FLAGS)
            if bad:
                raise PatternError("the inline flag '%s' is not supported (only i and s)" % bad[0])
            self.pos = match.end()
        node = self.alternation()
        if self.pos != len(self.src):
            raise PatternError("unbalanced ')' at position %d" % self.pos)
        return node

    def alternation(self):
        branches = [self.sequence()]
        while self.peek() == '|':
            self.pos += 1
            branches.append(self.sequence())
        summaries = [_seq_summary(b) for b in branches]
        first = _chars(*[s[0] for s in summaries])
        return _Node('group', branches=branches,
                     summary=(first, any(s[1] for s in summaries), any(s[2] for s in summaries)))

    def sequence(self):
        items = []
        while self.peek() not in ('', '|', ')'):
            items.append(self.quantified(self.atom()))
        return items

    def atom(self):
        char = self.src[self.pos]
        self.pos += 1
        if char == '(':
            return self.group()
        if char == '[':
            return self.char_class()
        if char == '\\':
            return self.escape()
        if char == '.':
            return _Node('char', chars=_ANY, summary=(_ANY, False, False))
        if char == '^':
            return _Node('assert', anchor=True, summary=((), True, False))
        if char == '$':
            return _Node('assert', summary=(_chars(((_END, _END), (0x0a, 0x0a))), False, False))
        return self.literal(ord(char))

    @staticmethod
    def literal(cp):
        node = _LITERALS.get(cp)
        if node is None:
            folded = fold(cp)
            chars = ((folded, folded),)
            node = _LITERALS[cp] = _Node('char', chars=chars, text=folded, summary=(chars, False, False))
        return node

    def group(self):
        self.depth += 1
        if self.depth > MAX_GROUP_DEPTH:
            raise PatternError('groups are nested more than %d deep' % MAX_GROUP_DEPTH)
        look = False
        if self.peek() == '?':
            kind = self.src[self.pos:self.pos + 2]
            if kind in ('?:', '?=', '?!'):
                self.pos += 2
                look = kind != '?:'
            elif kind == '?P' and self.peek(2) == '=':
                raise PatternError('a backreference (?P=...) can make matching exponential')
            else:
                raise PatternError("the group syntax '(%s' is not supported (use (...), (?:...), (?=...), (?!...))"
                                   % self.src[self.pos:self.pos + 3])
        node = self.alternation()
        if self.peek() != ')':
            raise PatternError("missing ')'")
        self.pos += 1
        self.depth -= 1
        if look:
            # A lookaround checks characters without consuming them and runs again wherever it is
            # tried: for the cost model it may start with any character, so a repeat before it
            # counts as one whose every give-back costs a full attempt.
            return _Node('look', branches=[[node]], summary=(_ANY, True, False))
        return node

    def escape(self):
        char = self.peek()
        self.pos += 1
        if not char:
            raise PatternError('the pattern ends with a backslash')
        if char.isdigit():
            raise PatternError('a backreference (\\%s) can make matching exponential' % char)
        if char in 'AbB':
            return _Node('assert', anchor=char == 'A', summary=((), True, False))
        if char == 'Z':
            return _Node('assert', summary=(((_END, _END),), False, False))
        if char.lower() in _CATEGORY:
            chars = _CATEGORY[char] if char.islower() else _ANY
            return _Node('char', chars=chars, summary=(chars, False, False))
        return self.literal(self.escaped_code(char))

    def escaped_code(self, char):
        """The code point of a one-character escape (``\\.``, ``\\n``, ``\\x41``, ``\\u0410``)."""
        if char in _SIMPLE_ESCAPES:
            return _SIMPLE_ESCAPES[char]
        if char in ('x', 'u'):
            width = 2 if char == 'x' else 4
            digits = self.src[self.pos:self.pos + width]
            if len(digits) != width or not all(c in '0123456789abcdefABCDEF' for c in digits):
                raise PatternError('\\%s needs %d hexadecimal digits' % (char, width))
            self.pos += width
            return int(digits, 16)
        if not char or char.isalnum() or char == '_':
            raise PatternError("the escape '\\%s' is not supported" % char)
        return ord(char)

    def char_class(self):
        negated = self.peek() == '^'
        if negated:
            self.pos += 1
        parts = []
        first = True
        while self.peek() and (first or self.peek() != ']'):
            first = False
            lo = self.class_char(parts)
            if lo is None:
                continue
            if self.peek() == '-' and self.peek(1) not in (']', ''):
                self.pos += 1
                hi = self.class_char(parts)
                if hi is None:
                    raise PatternError('a character range cannot end with a class escape')
                parts.append(_range_chars(lo, hi))
            else:
                parts.append(_range_chars(lo, lo))
        if self.peek() != ']':
            raise PatternError("missing ']'")
        self.pos += 1
        chars = _ANY if negated else _chars(*parts)
        return _Node('char', chars=chars, summary=(chars, False, False))

    def class_char(self, parts):
        """One member of a character class: a code point, or None after adding a class escape."""
        char = self.src[self.pos]
        self.pos += 1
        if char != '\\':
            return ord(char)
        esc = self.peek()
        self.pos += 1
        if esc.lower() in _CATEGORY:
            parts.append(_CATEGORY[esc] if esc.islower() else _ANY)
            return None
        if esc.isdigit():
            raise PatternError("the escape '\\%s' is not supported in a character class" % esc)
        return self.escaped_code(esc)

    def quantified(self, node):
        bounds = self.quantifier()
        if bounds is None:
            return node
        low, high = bounds
        if self.peek() == '+':
            raise PatternError('possessive quantifiers are not supported by every engine that runs catalogue patterns')
        if self.peek() == '?':
            self.pos += 1
        if node.kind in ('assert', 'look'):
            raise PatternError('a zero-width assertion cannot be repeated')
        if self.quantifier(peek_only=True):
            raise PatternError('multiple repeat')
        nullable = low == 0 or node.nullable
        return _Node('repeat', body=node, low=low, high=high,
                     summary=(node.first, nullable, low == 0 or node.empty_ok))

    def quantifier(self, peek_only=False):
        """(low, high) of the quantifier at the current position, or None; ``{`` not followed by a
        valid bound is a literal, as in Python and .NET."""
        char = self.peek()
        bounds = {'*': (0, None), '+': (1, None), '?': (0, 1)}.get(char)
        size = 1
        if char == '{':
            match = _BOUNDS_RE.match(self.src, self.pos)
            if not match or not (match.group(1) or match.group(3)):
                return None
            low = int(match.group(1) or 0)
            high = int(match.group(3)) if match.group(3) else (None if match.group(2) else low)
            bounds, size = (low, high), match.end() - self.pos
        if bounds is not None and not peek_only:
            self.pos += size
        return bounds


def _walk(node, follow, accept, cost):
    """Check one node in context and account its backtracking cost.

    ``follow``/``accept``: the characters that can come after the node and whether the match can
    end successfully right after it.  ``cost`` collects ``paths`` (product of the choices a
    backtracking engine may have to try) and ``scan`` (length of linear rescans).
    """
    if node.kind == 'group':
        _check_alternatives(node.branches)
        for branch in node.branches:
            _walk_sequence(branch, follow, accept, cost)
    elif node.kind == 'look':
        _walk(node.branches[0][0], (), True, cost)
    elif node.kind == 'repeat':
        looping = node.high is None or node.high > 1
        if looping:
            if _has_variable_repeat(node.body):
                raise PatternError('a repeat nested inside another repeat (nested quantifiers) makes matching '
                                   'exponential; use a character class such as [\\d.]* instead')
            if node.body.nullable:
                raise PatternError('a repeated group that can match empty text makes matching exponential')
        inner = _chars(node.first, follow) if looping else follow
        _walk(node.body, inner, accept, cost)
        if node.low != node.high and not accept:
            width = MAX_VALUE_LENGTH if node.high is None else min(MAX_VALUE_LENGTH, node.high - node.low + 1)
            if _overlap(node.first, follow):
                cost['paths'] *= width
            else:
                cost['scan'] += width


def _walk_sequence(items, follow, accept, cost):
    for index in range(len(items) - 1, -1, -1):
        _walk(items[index], follow, accept, cost)
        item = items[index]
        follow = _chars(item.first, follow) if item.nullable else item.first
        accept = accept and item.empty_ok


def _has_variable_repeat(node):
    if node.kind == 'repeat':
        return node.low != node.high or _has_variable_repeat(node.body)
    return any(_has_variable_repeat(item) for branch in node.branches for item in branch)


def _literal_text(branch):
    if all(item.kind == 'char' and item.text is not None for item in branch):
        return tuple(item.text for item in branch)
    return None


def _check_alternatives(branches):
    """Alternatives must never match the same text: either all are plain strings none of which
    starts another, or no two can start with the same character and none can match empty text."""
    if len(branches) < 2:
        return
    texts = [_literal_text(b) for b in branches]
    if all(t is not None for t in texts):
        for i, left in enumerate(texts):
            for right in texts[i + 1:]:
                shorter, longer = sorted((left, right), key=len)
                if longer[:len(shorter)] == shorter:
                    raise PatternError('alternatives %r and %r can match the same text'
                                       % (''.join(chr(c) for c in left), ''.join(chr(c) for c in right)))
        return
    summaries = [_seq_summary(b) for b in branches]
    if any(s[1] for s in summaries):
        raise PatternError('an alternative that can match empty text lets the alternatives match the same text; '
                           'use an optional group (...)? instead')
    for i, left in enumerate(summaries):
        for right in summaries[i + 1:]:
            if _overlap(left[0], right[0]):
                raise PatternError('two alternatives can start with the same character, so they can match the '
                                   'same text; rewrite them so that each starts differently')


def pattern_cost(pattern):
    """Upper bound of the backtracking steps ``search`` may need for ``pattern``; raises
    PatternError when the pattern is outside the accepted subset."""
    tree = _Parser(pattern).parse()
    cost = {'paths': 1, 'scan': 0}
    _walk(tree, (), True, cost)
    # a search tries every start position unless each alternative starts with ^ or \A
    anchored = all(branch and branch[0].anchor for branch in tree.branches)
    starts = 1 if anchored else MAX_VALUE_LENGTH
    return starts * cost['paths'] * (1 + cost['scan'])


_CHECKED = {}    # pattern -> reason it is refused (None: accepted)


def check_pattern(pattern):
    """None when ``pattern`` is an accepted regular expression, else the reason it is refused."""
    if pattern in _CHECKED:
        return _CHECKED[pattern]
    reason = None
    if len(pattern) > MAX_PATTERN_LENGTH:
        reason = 'too long (%d characters, at most %d)' % (len(pattern), MAX_PATTERN_LENGTH)
    else:
        try:
            cost = pattern_cost(pattern)
            compiled = re.compile(pattern, re.IGNORECASE)
        except PatternError as exc:
            reason = str(exc)
        except re.error as exc:
            reason = 'not a valid regular expression: %s' % exc
        else:
            if cost > MAX_PATTERN_COST:
                reason = ('too costly: too many repeats that can match the same characters (about %d steps on a '
                          '%d-character value, at most %d); anchor it with ^ or use fewer .*'
                          % (cost, MAX_VALUE_LENGTH, MAX_PATTERN_COST))
            else:
                COMPILED[pattern] = compiled
    _CHECKED[pattern] = reason
    return reason


def check_glob(pattern):
    """None when ``pattern`` is an accepted shell glob, else the reason it is refused."""
    if pattern.count('*') > MAX_GLOB_STARS:
        return 'more than %d * wildcards (matching cost grows with each one)' % MAX_GLOB_STARS
    return None
