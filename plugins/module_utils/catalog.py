# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The banned-product catalogue: loading, validation, merging and probe derivation.

The catalogue is data (``catalog/products/*.yml``); this module is the one place that knows
its schema (documented in ``docs/catalog.md``).  Every validation error names the entry and
the field, so a user who extends the catalogue sees exactly what to fix.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import os
import re

try:
    import yaml
    HAS_YAML = True
except ImportError:  # pragma: no cover - PyYAML ships with ansible-core on the controller
    HAS_YAML = False

SCHEMA_VERSION = 1
CATEGORIES = ('banned', 'oem', 'unapproved_successor', 'protection')
FINDING_CATEGORIES = ('banned', 'oem', 'unapproved_successor')
PLATFORMS = ('linux', 'darwin', 'windows')
CONFIDENCE = ('high', 'medium', 'low')

# match kinds: name -> (value type, is it a regex list)
GLOB_KINDS = ('packages', 'services', 'drivers', 'units', 'processes', 'groups', 'kernel_modules')
REGEX_KINDS = ('display_name', 'publisher', 'receipts', 'bundle_ids', 'launchd', 'security_center')
PATH_KINDS = ('files', 'paths', 'registry')
MATCH_KINDS = GLOB_KINDS + REGEX_KINDS + PATH_KINDS
SIGNATURE_FORMATS = ('ksc_avstate', 'epoch', 'iso')
ID_RE = re.compile(r'^[a-z0-9][a-z0-9_.-]*$')

BUILTIN_DIR = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'catalog'))


class CatalogError(ValueError):
    """A catalogue file or entry is malformed.  The message names the entry and the field."""


def _where(entry, index, origin):
    ident = entry.get('id') if isinstance(entry, dict) else None
    label = "catalog entry %r" % ident if ident else "catalog entry #%d" % index
    return "%s (%s)" % (label, origin)


def _str_list(value, field, where, regex=False):
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise CatalogError("%s: field '%s' must be a list of non-empty strings" % (where, field))
    if regex:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise CatalogError("%s: field '%s' has an invalid regular expression %r: %s" % (where, field, pattern, exc))
    return list(value)


def validate_entry(entry, index=0, origin='inline'):
    """Validate one product entry and return a normalised copy.

    Raises CatalogError naming the entry and the field on the first problem.
    """
    if not isinstance(entry, dict):
        raise CatalogError("catalog entry #%d (%s): must be a mapping, got %s" % (index, origin, type(entry).__name__))
    where = _where(entry, index, origin)
    known = {'id', 'vendor', 'product', 'family', 'category', 'platforms', 'confidence', 'sources', 'match',
             'commands', 'signatures', 'removal', 'active', 'approved', 'disabled', 'notes', 'catch_all'}
    unknown = sorted(set(entry) - known)
    if unknown:
        raise CatalogError("%s: unknown field '%s'" % (where, unknown[0]))
    out = dict(entry)
    if entry.get('disabled'):
        if not isinstance(entry.get('id'), str) or not ID_RE.match(entry['id']):
            raise CatalogError("%s: field 'id' is required to disable an entry" % where)
        return {'id': entry['id'], 'disabled': True}
    for field in ('id', 'vendor', 'product', 'category'):
        if not isinstance(entry.get(field), str) or not entry.get(field):
            raise CatalogError("%s: field '%s' is required and must be a non-empty string" % (where, field))
    if not ID_RE.match(entry['id']):
        raise CatalogError("%s: field 'id' must match %s" % (where, ID_RE.pattern))
    if entry['category'] not in CATEGORIES:
        raise CatalogError("%s: field 'category' must be one of %s, got %r" % (where, ', '.join(CATEGORIES), entry['category']))
    out['family'] = entry.get('family') or entry['id'].split('.')[0]
    if not isinstance(out['family'], str):
        raise CatalogError("%s: field 'family' must be a string" % where)
    platforms = entry.get('platforms', list(PLATFORMS))
    platforms = _str_list(platforms, 'platforms', where)
    bad = [p for p in platforms if p not in PLATFORMS]
    if bad:
        raise CatalogError("%s: field 'platforms' has %r; allowed: %s" % (where, bad[0], ', '.join(PLATFORMS)))
    out['platforms'] = platforms
    out['confidence'] = entry.get('confidence', 'low')
    if out['confidence'] not in CONFIDENCE:
        raise CatalogError("%s: field 'confidence' must be one of %s" % (where, ', '.join(CONFIDENCE)))
    if 'sources' not in entry:
        raise CatalogError("%s: field 'sources' is required: say where each value comes from" % where)
    out['sources'] = _str_list(entry['sources'], 'sources', where)
    match = entry.get('match')
    if not isinstance(match, dict) or not match:
        raise CatalogError("%s: field 'match' is required and must be a non-empty mapping" % where)
    unknown = sorted(set(match) - set(MATCH_KINDS))
    if unknown:
        raise CatalogError("%s: unknown field 'match.%s'; allowed: %s" % (where, unknown[0], ', '.join(MATCH_KINDS)))
    out['match'] = dict((k, _str_list(v, 'match.' + k, where, regex=k in REGEX_KINDS)) for k, v in match.items())
    commands = entry.get('commands', [])
    if not isinstance(commands, list):
        raise CatalogError("%s: field 'commands' must be a list" % where)
    for i, cmd in enumerate(commands):
        f = 'commands[%d]' % i
        if not isinstance(cmd, dict) or not isinstance(cmd.get('parser'), str):
            raise CatalogError("%s: field '%s.parser' is required" % (where, f))
        argv = _str_list(cmd.get('argv'), f + '.argv', where)
        if not argv[0].startswith('/'):
            raise CatalogError("%s: field '%s.argv' must start with an absolute path" % (where, f))
    out['commands'] = commands
    signatures = entry.get('signatures', [])
    if not isinstance(signatures, list):
        raise CatalogError("%s: field 'signatures' must be a list" % where)
    for i, sig in enumerate(signatures):
        f = 'signatures[%d]' % i
        if not isinstance(sig, dict):
            raise CatalogError("%s: field '%s' must be a mapping" % (where, f))
        for key in ('registry', 'value'):
            if not isinstance(sig.get(key), str):
                raise CatalogError("%s: field '%s.%s' is required" % (where, f, key))
        if sig.get('format') not in SIGNATURE_FORMATS:
            raise CatalogError("%s: field '%s.format' must be one of %s" % (where, f, ', '.join(SIGNATURE_FORMATS)))
    out['signatures'] = signatures
    for field in ('removal', 'active'):
        if field in entry and not isinstance(entry[field], dict):
            raise CatalogError("%s: field '%s' must be a mapping" % (where, field))
        out[field] = dict(entry.get(field) or {})
    if 'approved' in entry and not isinstance(entry['approved'], bool):
        raise CatalogError("%s: field 'approved' must be true or false" % where)
    out['approved'] = bool(entry.get('approved', False))
    for field in ('catch_all',):
        if field in entry and not isinstance(entry[field], bool):
            raise CatalogError("%s: field '%s' must be true or false" % (where, field))
    return out


def validate_document(doc, origin):
    """Validate a catalogue document ``{schema, version, products}``; return (version, entries)."""
    if not isinstance(doc, dict):
        raise CatalogError("%s: a catalogue file must be a mapping with 'products'" % origin)
    schema = doc.get('schema', SCHEMA_VERSION)
    if schema != SCHEMA_VERSION:
        raise CatalogError("%s: field 'schema' is %r; this collection reads schema %d" % (origin, schema, SCHEMA_VERSION))
    products = doc.get('products')
    if not isinstance(products, list):
        raise CatalogError("%s: field 'products' must be a list" % origin)
    entries = [validate_entry(p, i, origin) for i, p in enumerate(products)]
    return str(doc.get('version', '')), entries


def load_yaml_file(path, error=CatalogError, what='catalogue'):
    """Read a YAML data file; problems raise ``error`` with a message naming the ``what`` file."""
    if not HAS_YAML:
        raise error("PyYAML is required to read %s" % path)
    try:
        with open(path, 'rb') as handle:
            # the C loader (when PyYAML has it) parses the catalogue about 6x faster; the catalogue
            # is read for every host (docs/performance.md), and both loaders are safe loaders
            return yaml.load(handle, Loader=getattr(yaml, 'CSafeLoader', yaml.SafeLoader))
    except (IOError, OSError) as exc:
        raise error("cannot read %s file %s: %s" % (what, path, exc))
    except yaml.YAMLError as exc:
        raise error("%s file %s is not valid YAML: %s" % (what, path, exc))


def builtin_files(kind='products', base=BUILTIN_DIR):
    return sorted(glob.glob(os.path.join(base, kind, '*.yml')))


class Catalog:
    """A merged, validated catalogue."""

    def __init__(self, entries, version):
        self.entries = entries
        self.version = version
        self.by_id = dict((e['id'], e) for e in entries)

    def for_platform(self, platform):
        return [e for e in self.entries if platform in e['platforms']]

    def probe(self, platform):
        """The targeted queries a collector runs for ``platform``: the union of catalogue patterns."""
        spec = dict((k, []) for k in MATCH_KINDS)
        spec['commands'] = []
        spec['signature_keys'] = []
        for entry in self.for_platform(platform):
            for kind, values in entry['match'].items():
                for v in values:
                    if v not in spec[kind]:
                        spec[kind].append(v)
            for cmd in entry['commands']:
                if cmd not in spec['commands']:
                    spec['commands'].append(cmd)
            for sig in entry['signatures']:
                if sig['registry'] not in spec['signature_keys']:
                    spec['signature_keys'].append(sig['registry'])
        return spec


def load(extra_files=None, extra_entries=None, base=BUILTIN_DIR, include_builtin=True):
    """Load the built-in catalogue, then user files, then inline entries.

    A later entry with the same id replaces an earlier one; ``disabled: true`` removes it.
    The catalogue version is the built-in version, plus ``+site`` when users changed it.
    """
    merged = {}
    order = []
    versions = []
    sources = []
    if include_builtin:
        sources.extend((p, None) for p in builtin_files('products', base))
    for path in extra_files or []:
        if not os.path.isfile(path):
            raise CatalogError("catalogue file %s does not exist" % path)
        sources.append((path, None))
    for path, _unused in sources:
        version, entries = validate_document(load_yaml_file(path), path)
        if version:
            versions.append(version)
        for entry in entries:
            if entry['id'] not in merged:
                order.append(entry['id'])
            merged[entry['id']] = entry
    if extra_entries:
        if not isinstance(extra_entries, list):
            raise CatalogError("catalog entries must be a list of product mappings")
        for i, raw in enumerate(extra_entries):
            entry = validate_entry(raw, i, 'banned_av_catalog_entries')
            if entry['id'] not in merged:
                order.append(entry['id'])
            merged[entry['id']] = entry
    entries = [merged[i] for i in order if not merged[i].get('disabled')]
    version = max(versions) if versions else 'site'
    if extra_files or extra_entries:
        version += '+site'
    return Catalog(entries, version)
