# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Evidence items: what a finding rests on, as data.

An evidence item is a plain dict ``{'kind': <kind>, <field>: <value>, ...}`` with the fields of
its kind (``KINDS``); a value that is not known is left out, never ``None``.  The matcher builds
items with ``make()``, the remediation plan reads their fields, and every report and message
shows them through ``describe()``: nothing parses a display string back.  The fields of each
kind are listed in ``docs/architecture.md``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

_PACKAGE = ('name', 'version', 'manager', 'status', 'arch', 'maintainer')

#: every evidence kind and its fields, in display order
KINDS = {
    'package': _PACKAGE,
    'package_residue': _PACKAGE,
    'uninstall': ('name', 'version', 'publisher', 'hive', 'view', 'key', 'windows_installer'),
    'service': ('name', 'state', 'start', 'image_path', 'install_dir'),
    'driver': ('name', 'state', 'start', 'image_path', 'install_dir'),
    'unit': ('name', 'path', 'state', 'enabled', 'exec_path'),
    'init_script': ('name', 'path', 'exec_path'),
    'executable': ('path', 'dir'),
    'file': ('path',),
    'path': ('path',),
    'group': ('name', 'gid'),
    'kernel_module': ('name',),
    'registry': ('path', 'value_name', 'data', 'version'),
    'receipt': ('name', 'version'),
    'bundle': ('path', 'name', 'version', 'team_id'),
    'launchd': ('name', 'path'),
    'security_center': ('name', 'product_state'),
    'process': ('name', 'pid', 'exe'),
    'command': ('argv',),
}

# The fields that tell one item from another of the same source.  A product file and a vendor
# directory are both entries of the inventory's ``paths``, a driver and a service both entries
# of its ``services``: each pair shares one identity.
_IDENTITY = {
    'package': ('package', ('manager', 'name', 'version', 'arch')),
    'package_residue': ('package_residue', ('manager', 'name', 'version', 'arch')),
    'uninstall': ('uninstall', ('hive', 'view', 'key')),
    'service': ('service', ('name',)),
    'driver': ('service', ('name',)),
    'unit': ('unit', ('name',)),
    'init_script': ('init_script', ('path',)),
    'executable': ('executable', ('path',)),
    'file': ('path', ('path',)),
    'path': ('path', ('path',)),
    'group': ('group', ('name',)),
    'kernel_module': ('kernel_module', ('name',)),
    'registry': ('registry', ('path', 'value_name')),
    'receipt': ('receipt', ('name',)),
    'bundle': ('bundle', ('path',)),
    'launchd': ('launchd', ('name', 'path')),
    'security_center': ('security_center', ('name', 'product_state')),
    'process': ('process', ('name', 'pid')),
    'command': ('command', ('argv',)),
}

#: at most this many characters of one field appear in a description
FIELD_LIMIT = 256

_ONE_LINE_RE = re.compile(u'[\\s\x00-\x1f\x7f-\x9f\u2028\u2029]+')


def make(kind, **fields):
    """One evidence item of ``kind``; fields that are None are left out.

    Raises ``ValueError`` for a kind or a field that ``KINDS`` does not list: a programming
    error in the caller, never a property of the scanned host.
    """
    if kind not in KINDS:
        raise ValueError('unknown evidence kind %r' % (kind,))
    unknown = sorted(set(fields) - set(KINDS[kind]))
    if unknown:
        raise ValueError('evidence kind %s has no field %s' % (kind, ', '.join(unknown)))
    item = {'kind': kind}
    item.update((name, value) for name, value in fields.items() if value is not None)
    return item


def identity(item):
    """A hashable key naming the inventory entry behind ``item`` (kind plus identifying fields)."""
    kind = item.get('kind')
    if isinstance(kind, str) and kind in _IDENTITY:
        group, fields = _IDENTITY[kind]
        return (group,) + tuple(_hashable(item.get(name)) for name in fields)
    return (_hashable(kind), _hashable(dict((k, v) for k, v in item.items() if k != 'kind')))


def _hashable(value):
    if isinstance(value, dict):
        return tuple(sorted(((str(k), _hashable(v)) for k, v in value.items()), key=lambda pair: pair[0]))
    if isinstance(value, (list, tuple)):
        return tuple(_hashable(v) for v in value)
    return value


# --------------------------------------------------------------------------- describe()

def _text(value):
    """One line of display text for any JSON-like value, at most ``FIELD_LIMIT`` characters."""
    if not isinstance(value, str):
        value = _as_str(value)
    if not (value.isascii() and value.isprintable()):
        # lone surrogates (undecodable bytes some collectors keep) cannot be written as UTF-8
        value = value.encode('utf-8', 'backslashreplace').decode('utf-8')
        value = _ONE_LINE_RE.sub(' ', value)
    value = value.strip()
    if len(value) > FIELD_LIMIT:
        value = value[:FIELD_LIMIT - 3].rstrip() + '...'
    return value


def _as_str(value):
    if value is None:
        return ''
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, bytes):
        return value.decode('utf-8', 'backslashreplace')
    if isinstance(value, (list, tuple)):
        return ' '.join(_text(v) for v in value)
    if isinstance(value, dict):
        return ', '.join('%s: %s' % (_text(k), _text(v)) for k, v in value.items())
    return str(value)


def _words(*parts):
    return ' '.join(p for p in parts if p)


def _paren(head, *parts):
    inner = ', '.join(p for p in parts if p)
    return '%s (%s)' % (head, inner) if head and inner else head or inner


def _package(f):
    how = ': '.join(p for p in (f['manager'], f['status']) if p)
    return _paren(_words(f['name'], f['version']), how, 'maintainer ' + f['maintainer'] if f['maintainer'] else '')


def _uninstall(f):
    where = '\\'.join(p for p in (f['hive'], f['key']) if p)
    if where and f['view']:
        where += ' [%s]' % f['view']
    what = _paren(_words(f['name'], f['version']), f['publisher'])
    return ': '.join(p for p in (where, what) if p)


def _service(f):
    state = f['state'] or ('state unknown' if f['name'] else '')
    # the image is shown when it is what tied the service to a vendor's install directory
    image = 'image ' + f['image_path'] if f['install_dir'] and f['image_path'] else ''
    return _paren(f['name'], state, 'start ' + f['start'] if f['start'] else '', image)


def _unit(f):
    return _paren(f['name'], f['state'] or ('state unknown' if f['name'] else ''), f['enabled'],
                  'starts ' + f['exec_path'] if f['exec_path'] else '')


def _registry(f):
    head = '\\'.join(p for p in (f['path'], f['value_name']) if p)
    head = ' = '.join(p for p in (head, f['data']) if p)
    return _paren(head, 'version ' + f['version'] if f['version'] else '')


def _bundle(f):
    return _paren(f['path'], _words(f['name'], f['version']), 'team ' + f['team_id'] if f['team_id'] else '')


_FORMATS = {
    'package': _package,
    'package_residue': _package,
    'uninstall': _uninstall,
    'service': _service,
    'driver': _service,
    'unit': _unit,
    'init_script': lambda f: _paren(f['path'] or f['name'], 'starts ' + f['exec_path'] if f['exec_path'] else ''),
    'executable': lambda f: f['path'] or f['dir'],
    'file': lambda f: f['path'],
    'path': lambda f: f['path'],
    'group': lambda f: _paren(f['name'], 'gid ' + f['gid'] if f['gid'] else ''),
    'kernel_module': lambda f: f['name'],
    'registry': _registry,
    'receipt': lambda f: _words(f['name'], f['version']),
    'bundle': _bundle,
    'launchd': lambda f: _paren(f['name'], f['path']),
    'security_center': lambda f: _paren(f['name'], 'productState ' + f['product_state'] if f['product_state'] else ''),
    'process': lambda f: _paren(f['name'], 'pid ' + f['pid'] if f['pid'] else ''),
    'command': lambda f: f['argv'],
}


def describe(item):
    """The one-line display text of an evidence item: ``'<kind>: <what it shows>'``.

    Never raises and always returns one line of text: control characters and line breaks
    become spaces, each field is cut to ``FIELD_LIMIT`` characters.  An item of a kind this
    module does not know, or one without the fields of its kind, shows the values it has; a
    value that is not an item at all is shown as text.
    """
    if not isinstance(item, dict):
        return _text(item)
    kind = item.get('kind')
    body = ''
    if isinstance(kind, str) and kind in _FORMATS:
        fields = dict.fromkeys(KINDS[kind], '')
        fields.update((name, _text(item[name])) for name in KINDS[kind] if name in item)
        body = _FORMATS[kind](fields)
    if not body:
        body = ', '.join(t for t in (_text(v) for k, v in item.items() if k != 'kind') if t)
    kind = _text(kind)
    return '%s: %s' % (kind, body) if kind and body else kind or body
