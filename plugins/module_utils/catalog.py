# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The banned-product catalogue: loading, validation, merging and probe derivation.

The catalogue is data (``catalog/products/*.yml``); this module is the one place that knows
its schema (documented in ``docs/catalog.md``).  Every validation error names the entry and
the field, so a user who extends the catalogue sees exactly what to fix.

Regular expressions and globs in the catalogue must lie in the subset ``regex_subset`` accepts,
and every consumer matches them through ``patterns``, so that no catalogue pattern and no host
value can stop a run.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import itertools
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

# match kinds: shell globs, regular expressions, paths (globs), exact values
GLOB_KINDS = ('packages', 'services', 'drivers', 'units', 'processes', 'groups', 'kernel_modules')
REGEX_KINDS = ('display_name', 'publisher', 'receipts', 'bundle_ids', 'launchd', 'security_center', 'maintainers')
PATH_KINDS = ('files', 'paths', 'registry', 'install_dirs')
EXACT_KINDS = ('team_ids',)
MATCH_KINDS = GLOB_KINDS + REGEX_KINDS + PATH_KINDS + EXACT_KINDS
SIGNATURE_FORMATS = ('ksc_avstate', 'epoch', 'iso')
ID_RE = re.compile(r'^[a-z0-9][a-z0-9_.-]*$')
TEAM_ID_RE = re.compile(r'^[A-Z0-9]{10}$')
WINDOWS_PATH_RE = re.compile(r'^([A-Za-z]:\\|%[^%\\]+%\\)')   # C:\... or %ProgramFiles%\...

# removal hints read by roles/remediate and plugins/module_utils/remediation.py
REMOVAL_METHODS = ('package', 'msi', 'uninstall_script', 'reboot', 'vendor', 'manual')
REMOVAL_CREDENTIALS = ('kes', 'network_agent')
REMOVAL_LISTS = ('packages', 'units', 'paths', 'groups', 'kernel_modules', 'launchd', 'receipts')
REMOVAL_FIELDS = ('order', 'method', 'credential', 'uninstall_script', 'notes') + REMOVAL_LISTS
RETIRED_REMOVAL_FIELDS = {
    'upgrade_code': 'nothing read it (an uninstall step uses the ProductCode of the Uninstall entry found on the host); remove it',
}

BUILTIN_DIR = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'catalog'))


class CatalogError(ValueError):
    """A catalogue file or entry is malformed.  The message names the entry and the field."""


# --------------------------------------------------------------------------- entries

def _where(entry, index, origin):
    ident = entry.get('id') if isinstance(entry, dict) else None
    label = "catalog entry %r" % ident if ident else "catalog entry #%d" % index
    return "%s (%s)" % (label, origin)


def _str_list(value, field, where):
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise CatalogError("%s: field '%s' must be a list of non-empty strings" % (where, field))
    return list(value)


def _regex_subset():
    """``regex_subset``, imported when entries are validated: a host's detection reads the run's
    validated catalogue snapshot and compiles none of the checker (docs/performance.md)."""
    from ansible_collections.fleetsec.banned_av.plugins.module_utils import regex_subset
    return regex_subset


def _match_values(kind, value, where):
    values = _str_list(value, 'match.' + kind, where)
    check = _regex_subset()
    for item in values:
        if kind in REGEX_KINDS:
            reason = check.check_pattern(item)
        elif kind in EXACT_KINDS:
            reason = None if TEAM_ID_RE.match(item) else 'an Apple Team ID is 10 upper-case letters or digits'
        else:
            reason = check.check_glob(item)
            if reason is None and kind == 'install_dirs' and not (item.startswith('/') or WINDOWS_PATH_RE.match(item)):
                reason = 'an install directory must be an absolute path (/..., C:\\... or %ProgramFiles%\\...)'
        if reason:
            raise CatalogError("%s: field 'match.%s' pattern '%s' is refused: %s" % (where, kind, item, reason))
    return values


def _validate_match(entry, where):
    match = entry.get('match')
    if not isinstance(match, dict) or not match:
        raise CatalogError("%s: field 'match' is required and must be a non-empty mapping" % where)
    unknown = sorted(set(match) - set(MATCH_KINDS))
    if unknown:
        raise CatalogError("%s: unknown field 'match.%s'; allowed: %s" % (where, unknown[0], ', '.join(MATCH_KINDS)))
    return dict((k, _match_values(k, v, where)) for k, v in match.items())


def _validate_commands(entry, where):
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
    return commands


def _validate_signatures(entry, where):
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
    return signatures


def _validate_removal(entry, where):
    removal = entry.get('removal') or {}
    if not isinstance(removal, dict):
        raise CatalogError("%s: field 'removal' must be a mapping" % where)
    for key in sorted(removal):
        if key in RETIRED_REMOVAL_FIELDS:
            raise CatalogError("%s: field 'removal.%s' is no longer part of the schema: %s" % (where, key, RETIRED_REMOVAL_FIELDS[key]))
        if key not in REMOVAL_FIELDS:
            raise CatalogError("%s: unknown field 'removal.%s'; allowed: %s" % (where, key, ', '.join(REMOVAL_FIELDS)))
    value = removal.get('order', 50)
    if not isinstance(value, int) or isinstance(value, bool):
        raise CatalogError("%s: field 'removal.order' must be an integer (lower is removed first)" % where)
    for key, allowed in (('method', REMOVAL_METHODS), ('credential', REMOVAL_CREDENTIALS)):
        if key in removal and removal[key] not in allowed:
            raise CatalogError("%s: field 'removal.%s' must be one of %s, got %r" % (where, key, ', '.join(allowed), removal[key]))
    for key in REMOVAL_LISTS:
        if key in removal:
            _str_list(removal[key], 'removal.' + key, where)
    script = removal.get('uninstall_script')
    if script is not None and not (isinstance(script, str) and script.startswith('/')):
        raise CatalogError("%s: field 'removal.uninstall_script' must be an absolute path" % where)
    if not isinstance(removal.get('notes', ''), str):
        raise CatalogError("%s: field 'removal.notes' must be a string" % where)
    return dict(removal)


def _validate_identity(entry, where, out):
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
    platforms = _str_list(entry.get('platforms', list(PLATFORMS)), 'platforms', where)
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


KNOWN_FIELDS = ('id', 'vendor', 'product', 'family', 'category', 'platforms', 'confidence', 'sources', 'match', 'commands',
                'signatures', 'removal', 'active', 'approved', 'disabled', 'override', 'notes', 'catch_all')


def validate_entry(entry, index=0, origin='inline'):
    """Validate one product entry and return a normalised copy.

    Raises CatalogError naming the entry and the field on the first problem.
    """
    if not isinstance(entry, dict):
        raise CatalogError("catalog entry #%d (%s): must be a mapping, got %s" % (index, origin, type(entry).__name__))
    where = _where(entry, index, origin)
    unknown = sorted(set(entry) - set(KNOWN_FIELDS))
    if unknown:
        raise CatalogError("%s: unknown field '%s'" % (where, unknown[0]))
    for field in ('approved', 'catch_all', 'override', 'disabled'):
        if field in entry and not isinstance(entry[field], bool):
            raise CatalogError("%s: field '%s' must be true or false" % (where, field))
    if entry.get('disabled'):
        if not isinstance(entry.get('id'), str) or not ID_RE.match(entry['id']):
            raise CatalogError("%s: field 'id' is required to disable an entry" % where)
        return {'id': entry['id'], 'disabled': True}
    out = dict(entry)
    _validate_identity(entry, where, out)
    out['match'] = _validate_match(entry, where)
    out['commands'] = _validate_commands(entry, where)
    out['signatures'] = _validate_signatures(entry, where)
    out['removal'] = _validate_removal(entry, where)
    if 'active' in entry and not isinstance(entry['active'], dict):
        raise CatalogError("%s: field 'active' must be a mapping" % where)
    out['active'] = dict(entry.get('active') or {})
    out['approved'] = bool(entry.get('approved', False))
    out.pop('override', None)
    return out


def validate_document(doc, origin):
    """Validate a catalogue document ``{schema, version, products}``; return (version, [(place, entry)])."""
    if not isinstance(doc, dict):
        raise CatalogError("%s: a catalogue file must be a mapping with 'products'" % origin)
    schema = doc.get('schema', SCHEMA_VERSION)
    if schema != SCHEMA_VERSION:
        raise CatalogError("%s: field 'schema' is %r; this collection reads schema %d" % (origin, schema, SCHEMA_VERSION))
    products = doc.get('products')
    if not isinstance(products, list):
        raise CatalogError("%s: field 'products' must be a list" % origin)
    places = ['%s products[%d]' % (origin, i) for i in range(len(products))]
    return str(doc.get('version', '')), [(places[i], p) for i, p in enumerate(products)]


def load_yaml_file(path, error=CatalogError, what='catalogue'):
    """Read a YAML data file; problems raise ``error`` with a message naming the ``what`` file."""
    if not HAS_YAML:
        raise error("PyYAML is required to read %s" % path)
    try:
        with open(path, 'rb') as handle:
            # the C loader (when PyYAML has it) is the faster of PyYAML's two safe loaders
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
        """The targeted queries a collector runs for ``platform``: the union of catalogue patterns,
        each once, in first-seen order (linear in the size of the catalogue)."""
        gathered = dict((k, []) for k in MATCH_KINDS)
        commands = {}
        signature_keys = []
        for entry in self.entries:
            if platform not in entry['platforms']:
                continue
            for kind, values in entry['match'].items():
                gathered[kind].append(values)
            for cmd in entry['commands']:
                commands.setdefault(_command_key(cmd), cmd)
            signature_keys.extend(sig['registry'] for sig in entry['signatures'])
        spec = dict((k, list(dict.fromkeys(itertools.chain.from_iterable(v)))) for k, v in gathered.items())
        # install directories go only to the collector that can look there (the catch-all entry
        # lists every platform's): Windows paths to Windows, POSIX paths to Linux and macOS
        windows = platform == 'windows'
        spec['install_dirs'] = [d for d in spec['install_dirs'] if bool(WINDOWS_PATH_RE.match(d)) == windows]
        spec['commands'] = list(commands.values())
        spec['signature_keys'] = list(dict.fromkeys(signature_keys))
        return spec


def _command_key(cmd):
    if len(cmd) == 2 and 'argv' in cmd and 'parser' in cmd:
        return (cmd['parser'],) + tuple(cmd['argv'])
    return repr(sorted(cmd.items()))


class _Merge:
    """Entries by id in first-seen order, with where each was defined (to name both places of a clash)."""

    def __init__(self):
        self.entries = {}
        self.places = {}

    def add(self, raw, index, place, source):
        entry = validate_entry(raw, index, place)
        ident = entry['id']
        earlier = self.places.get(ident)
        where = _where(entry, index, place)
        if entry.get('disabled'):
            if earlier is None:
                raise CatalogError("%s: 'disabled: true' names id %r, which no earlier catalogue entry has" % (where, ident))
        elif earlier is not None:
            if earlier[1] == source:
                raise CatalogError("%s: duplicate id %r, already defined at %s; ids must be unique" % (where, ident, earlier[0]))
            if not (isinstance(raw, dict) and raw.get('override')):
                raise CatalogError("%s: duplicate id %r, already defined at %s; set 'override: true' on this entry to "
                                   "replace that one deliberately, or choose another id" % (where, ident, earlier[0]))
        elif isinstance(raw, dict) and raw.get('override'):
            raise CatalogError("%s: 'override: true' but no earlier catalogue entry has id %r" % (where, ident))
        self.entries[ident] = entry
        self.places[ident] = (place, source)

    def result(self):
        return [e for e in self.entries.values() if not e.get('disabled')]


def load(extra_files=None, extra_entries=None, base=BUILTIN_DIR, include_builtin=True):
    """Load the built-in catalogue, then user files, then inline entries.

    Ids are unique: a later entry with the id of an earlier one is an error unless it says
    ``override: true`` (it then replaces the earlier entry); ``disabled: true`` removes one.
    The catalogue version is the built-in version, plus ``+site`` when users changed it.
    """
    merged = _Merge()
    versions = []
    paths = builtin_files('products', base) if include_builtin else []
    for path in extra_files or []:
        if not os.path.isfile(path):
            raise CatalogError("catalogue file %s does not exist" % path)
        paths.append(path)
    for path in paths:
        version, entries = validate_document(load_yaml_file(path), path)
        if version:
            versions.append(version)
        for index, (place, raw) in enumerate(entries):
            merged.add(raw, index, place, path)
    if extra_entries:
        if not isinstance(extra_entries, list):
            raise CatalogError("catalog entries must be a list of product mappings")
        for index, raw in enumerate(extra_entries):
            merged.add(raw, index, 'banned_av_catalog_entries[%d]' % index, 'banned_av_catalog_entries')
    version = max(versions) if versions else 'site'
    if extra_files or extra_entries:
        version += '+site'
    return Catalog(merged.result(), version)
