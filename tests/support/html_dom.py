# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A small DOM for checking the HTML dashboard, from the standard library's HTMLParser.

Used by the server-side HTML tests and by the headless-Chromium test (on ``--dump-dom``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Node:
    def __init__(self, tag, attrs, parent=None):
        self.tag, self.attrs, self.parent, self.children = tag, dict(attrs), parent, []

    def text(self):
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def classes(self):
        return (self.attrs.get("class") or "").split()

    def matches(self, tag=None, cls=None, **attrs):
        """``cls`` (or ``class_=``) is one class name; other keyword names use ``-`` for ``_``."""
        if tag is not None and self.tag != tag:
            return False
        if cls is not None and cls not in self.classes():
            return False
        for key, value in attrs.items():
            if key == "class_":
                if value not in self.classes():
                    return False
            elif self.attrs.get(key.replace("_", "-")) != value:
                return False
        return True

    def iter(self, tag=None, cls=None, **attrs):
        for child in self.children:
            if isinstance(child, Node):
                if child.matches(tag, cls, **attrs):
                    yield child
                yield from child.iter(tag, cls, **attrs)

    def find(self, tag=None, cls=None, **attrs):
        return next(self.iter(tag, cls, **attrs), None)


class Builder(HTMLParser):
    def __init__(self, strict=True):
        HTMLParser.__init__(self, convert_charrefs=True)
        self.strict = strict
        self.root = self.cur = Node("#root", {})

    def handle_starttag(self, tag, attrs):
        node = Node(tag, attrs, self.cur)
        self.cur.children.append(node)
        if tag not in VOID:
            self.cur = node

    def handle_endtag(self, tag):
        node = self.cur
        while node is not None and node.tag != tag:
            node = node.parent
        if node is None:
            assert not self.strict, "stray </%s>" % tag
            return
        self.cur = node.parent

    def handle_data(self, data):
        self.cur.children.append(data)


def parse(markup, strict=True):
    """Parse ``markup``; with ``strict`` a stray closing tag or an unclosed element fails the test."""
    builder = Builder(strict)
    builder.feed(markup)
    builder.close()
    assert not strict or builder.cur is builder.root, "unclosed <%s>" % builder.cur.tag
    return builder.root
