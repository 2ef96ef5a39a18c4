# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The matching engine: raw inventory + catalogue -> findings and protection.

One implementation for Linux, macOS, Windows and offline images.  The raw inventory shape is
documented in ``docs/architecture.md``; catalogue entries are validated by ``catalog.py``.

Evidence strength decides what a finding means:

* *anchor* evidence (a package, an Uninstall entry, a service, driver, unit or init script, a
  product file, an executable below a product or vendor directory, a kernel module, a macOS
  receipt, bundle or launchd item, a Security Center entry) means the product is installed;
* *residue* evidence (a leftover directory, a role group, a vendor registry key, a package in
  ``config-files`` state) alone gives a finding with ``installed: false``;
* *supporting* evidence (a running process, tool output) is attached to a finding that already
  has evidence, and never creates one: process names such as ``avp.exe`` are shared by
  several products.

A program found below a directory the catalogue names (an executable, or a service, unit or init
script whose program lies there) belongs to the entry naming the directory: a product's own
``paths``, or the vendor's ``install_dirs`` on the family's catch-all entry.  The catch-all turns
every vendor marker no specific entry claimed into one installed finding per product it cannot
name (``<catch-all id>:<product slug>``, see :func:`product_slug`), never into residue.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.fleetsec.banned_av.plugins.module_utils import catalog as catalog_mod
from ansible_collections.fleetsec.banned_av.plugins.module_utils import evidence as ev
from ansible_collections.fleetsec.banned_av.plugins.module_utils import parsers
from ansible_collections.fleetsec.banned_av.plugins.module_utils import patterns as pattern_mod

ANCHOR_KINDS = ('package', 'uninstall', 'service', 'driver', 'unit', 'init_script', 'executable', 'file', 'kernel_module',
                'receipt', 'bundle', 'launchd', 'security_center')
RESIDUE_KINDS = ('path', 'group', 'registry', 'package_residue')
VERSION_ORDER = ('package', 'uninstall', 'command', 'bundle', 'receipt', 'registry')
#: evidence kinds that run a program from a directory (a vendor marker when it is the vendor's)
PROGRAM_KINDS = ('service', 'driver', 'unit', 'init_script', 'executable')
#: which item names an unlisted product made of several items (lower first)
NAMING_RANK = {'package': 0, 'uninstall': 1, 'bundle': 2, 'receipt': 3, 'service': 4, 'driver': 4, 'unit': 5,
               'init_script': 6, 'executable': 7, 'launchd': 8, 'security_center': 9}
#: characters of an unlisted product's slug (the part of its id after the catch-all's id)
SLUG_LENGTH = 64
#: characters of an unlisted product's name
NAME_LENGTH = 256
_SLUG_SPLIT = re.compile(r'[\W_]+')
_LIVE_DRIVE = re.compile(r'^([A-Za-z]):\\?$')
_CONTROL = re.compile(u'[\x00-\x1f\x7f-\x9f\u2028\u2029]+')


def _glob_any(value, patterns, nocase):
    if value is None:
        return None
    for pattern in patterns:
        if nocase:
            if pattern_mod.glob_match(value.lower(), pattern.lower()):
                return pattern
        elif pattern_mod.glob_match(value, pattern):
            return pattern
    return None


def _regex_any(value, patterns):
    if not value:
        return None
    for pattern in patterns:
        if pattern_mod.search(pattern, value):
            return pattern
    return None


def _norm_path(path, windows):
    return path.replace('/', '\\').rstrip('\\') if windows else path.rstrip('/') or '/'


def _wr():
    """``windows_registry``, imported when a Windows inventory is matched: every host's detection
    compiles the modules it imports (docs/performance.md), and a Linux or macOS host needs none of it."""
    from ansible_collections.fleetsec.banned_av.plugins.module_utils import windows_registry
    return windows_registry


def windows_env(inventory):
    """The directories ``%VAR%`` names on a scanned Windows volume: ``windows_registry.ENV_DIRS``
    (what the offline reader uses), on the drive of a live host's root (``D:\\``)."""
    match = _LIVE_DRIVE.match(inventory.get('root') or '')
    drive = match.group(1).upper() + ':' if match else 'C:'
    return dict((name, drive + value[2:]) for name, value in _wr().ENV_DIRS.items())


def windows_pattern(pattern, env):
    """A catalogue Windows path pattern as the collectors return the paths it names:
    ``%ProgramFiles%`` by ``env``, and ``%LOCALAPPDATA%``, ``%APPDATA%``, ``%USERPROFILE%`` for every
    profile (``C:\\Users\\*\\AppData\\Local``), as ``windows_registry.expand_vars`` expands them for
    the collectors.  An unknown variable is left as it is."""
    return _wr().expand_vars(pattern, env)


def _path_match(path, patterns, windows, env=None):
    """A path matches a pattern when it equals (glob) the pattern or lies below it."""
    value = _norm_path(path, windows)
    sep = '\\' if windows else '/'
    for pattern in patterns:
        pat = _norm_path(windows_pattern(pattern, env or _wr().ENV_DIRS) if windows else pattern, windows)
        cand, pat_c = (value.lower(), pat.lower()) if windows else (value, pat)
        if pattern_mod.glob_match(cand, pat_c) or pattern_mod.glob_match(cand, pat_c + sep + '*'):
            return pattern
    return None


def packages_of(inventory):
    """All packages of an inventory: parsed from dpkg/rpm command output plus collector lists."""
    packages = list(inventory.get('packages') or [])
    for command in inventory.get('commands') or []:
        if command.get('id') in ('dpkg', 'rpm'):
            packages.extend(parsers.parse_command(command))
    return packages


def _package_evidence(pkg, by_maintainer=False):
    kind = 'package' if pkg.get('installed') else 'package_residue'
    return ev.make(kind, name=pkg.get('name'), version=pkg.get('version'), manager=pkg.get('manager'),
                   status=pkg.get('status'), arch=pkg.get('arch'), maintainer=pkg.get('maintainer') if by_maintainer else None)


def _uninstall_evidence(item):
    return ev.make('uninstall', name=item.get('display_name'), version=item.get('display_version'),
                   publisher=item.get('publisher'), hive=item.get('hive'), view=item.get('view'), key=item.get('key'),
                   windows_installer=item.get('windows_installer'))


def uninstall_owners(entries, inventory):
    """Which specific catalogue entry takes each Uninstall entry: ``{identity: entry id}``.

    One Uninstall entry (hive, view, key) belongs to at most one product, so that one
    ProductCode is never planned twice: the first entry, in catalogue order, whose
    ``display_name`` pattern matches it; failing that, the first whose ``publisher`` pattern
    does.  Catch-all entries own nothing: they see what no specific entry took.
    """
    specific = [e for e in entries if not e.get('catch_all')]
    owners = {}
    for item in inventory.get('uninstall') or []:
        for field in ('display_name', 'publisher'):
            owner = [e['id'] for e in specific if _regex_any(item.get(field), e['match'].get(field, []))][:1]
            if owner:
                owners[ev.identity(_uninstall_evidence(item))] = owner[0]
                break
    return owners


def _uninstall_matches(entry, inventory, owners):
    match = entry['match']
    found = []
    for item in inventory.get('uninstall') or []:
        evidence = _uninstall_evidence(item)
        if entry.get('catch_all'):
            if _regex_any(item.get('display_name'), match.get('display_name', [])) or \
                    _regex_any(item.get('publisher'), match.get('publisher', [])):
                found.append(evidence)
        elif owners.get(ev.identity(evidence)) == entry['id']:
            found.append(evidence)
    return found


class _Scan(object):
    """What every entry's matching needs to know about one inventory."""

    def __init__(self, inventory):
        self.inventory = inventory
        self.platform = inventory.get('platform')
        self.windows = self.platform == 'windows'
        self.sep = '\\' if self.windows else '/'
        self.env = windows_env(inventory) if self.windows else None
        self.packages = packages_of(inventory)
        self._dirs = {}

    def dir_patterns(self, patterns):
        """``[(pattern, components, ends with a wildcard)]`` of the directory patterns of this
        platform (Windows ones expanded and compared in lower case), worked out once per list."""
        key = tuple(patterns)
        found = self._dirs.get(key)
        if found is None:
            found = self._dirs[key] = []
            for pattern in patterns:
                if bool(catalog_mod.WINDOWS_PATH_RE.match(pattern)) != self.windows:
                    continue
                text = _norm_path(windows_pattern(pattern, self.env) if self.windows else pattern, self.windows)
                parts = text.lower().split(self.sep) if self.windows else text.split(self.sep)
                found.append((pattern, parts, pattern_mod.has_magic(parts[-1])))
        return found

    def below(self, path, dir_patterns):
        """``(pattern, product directory)`` of the first directory pattern ``path`` lies below,
        compared one component at a time, or None.  The product directory is the directory the
        pattern names (``/opt/kaspersky/*`` names ``/opt/kaspersky/kuma``) or, below a literal
        vendor root (``C:\\ProgramData\\Kaspersky Lab``), the folder inside it."""
        if not path:
            return None
        parts = _norm_path(path, self.windows).split(self.sep)
        compared = [p.lower() for p in parts] if self.windows else parts
        for pattern, pattern_parts, wild in dir_patterns:
            count = len(pattern_parts)
            if len(parts) > count and all(pattern_mod.glob_match(a, b) for a, b in zip(compared, pattern_parts)):
                depth = count if wild or len(parts) == count + 1 else count + 1
                return pattern, self.sep.join(parts[:depth])
        return None

    def image(self, item):
        """The program a Windows service runs, as written (case kept), or None."""
        return _wr().image_file(item.get('image_path'), self.env, keep_case=True) if self.windows else None


def _collect_evidence(entry, scan, owners):
    """The evidence items (``evidence.make``) of one catalogue entry in one inventory."""
    match = entry['match']
    found = []
    for pkg in scan.packages:
        if not (pkg.get('installed') or pkg.get('residue')):
            continue
        if _glob_any(pkg.get('name'), match.get('packages', []), scan.windows):
            found.append(_package_evidence(pkg))
        elif _regex_any(pkg.get('maintainer'), match.get('maintainers', [])):
            found.append(_package_evidence(pkg, by_maintainer=True))
    found.extend(_uninstall_matches(entry, scan.inventory, owners))
    dirs = scan.dir_patterns(match.get('install_dirs', []) + match.get('paths', []))
    found.extend(_program_evidence(entry, scan, dirs))
    files = set()
    for item in scan.inventory.get('paths') or []:
        path = item.get('path') or ''
        if _path_match(path, match.get('files', []), scan.windows, scan.env):
            found.append(ev.make('file', path=path))
            files.add(path)
        elif _path_match(path, match.get('paths', []), scan.windows, scan.env):
            found.append(ev.make('path', path=path))
    for item in scan.inventory.get('executables') or []:
        if item.get('path') not in files and scan.below(item.get('path'), dirs):
            found.append(ev.make('executable', path=item.get('path'), dir=item.get('dir')))
    for item in scan.inventory.get('groups') or []:
        if _glob_any(item.get('name'), match.get('groups', []), False):
            found.append(ev.make('group', name=item['name'], gid=item.get('gid')))
    for item in scan.inventory.get('kernel_modules') or []:
        if _glob_any(item.get('name'), match.get('kernel_modules', []), False):
            found.append(ev.make('kernel_module', name=item['name']))
    return found + _more_evidence(entry, scan.inventory, scan.windows)


def _program_evidence(entry, scan, dirs):
    """Services, drivers, units and init scripts of ``entry``: named by it, or running a program
    below one of its directories ``dirs`` (``install_dirs``, ``paths``).  The field that tied an
    item to a directory (``install_dir``, ``exec_path``) is kept on the item when that is why it
    matched."""
    match = entry['match']
    found = []
    for item in scan.inventory.get('services') or []:
        if item.get('kind') == 'init_script':
            if scan.below(item.get('exec_path'), dirs):
                found.append(ev.make('init_script', name=item.get('name'), path=item.get('path'), exec_path=item.get('exec_path')))
            continue
        kind = 'driver' if item.get('kind') == 'driver' else 'service'
        named = _glob_any(item.get('name'), match.get(kind + 's', []), True)
        below = None
        if not named and scan.windows:
            below = item.get('install_dir') if item.get('install_dir') in match.get('install_dirs', []) else None
            below = below or (scan.below(scan.image(item), dirs) or (None,))[0]
        if named or below:
            found.append(ev.make(kind, name=item['name'], state=item.get('state'), start=item.get('start'),
                                 image_path=item.get('image_path'), install_dir=below))
    for item in scan.inventory.get('units') or []:
        named = _glob_any(item.get('name'), match.get('units', []), False)
        below = not named and scan.below(item.get('exec_path'), dirs)
        if named or below:
            found.append(ev.make('unit', name=item['name'], path=item.get('path'), state=item.get('active_state'),
                                 enabled=item.get('unit_file_state'), exec_path=item.get('exec_path') if below else None))
    return found


def _more_evidence(entry, inventory, windows):
    """Registry keys, receipts, bundles, launchd items, Security Center products and processes."""
    match = entry['match']
    found = []
    for item in inventory.get('registry') or []:
        if _glob_any(item.get('key'), match.get('registry', []), True):
            values = item.get('values') or {}
            found.append(ev.make('registry', path=item['key'],
                                 version=values.get('ProductDisplayVersion') or values.get('ProductVersion')))
    for item in inventory.get('receipts') or []:
        if _regex_any(item.get('id'), match.get('receipts', [])):
            found.append(ev.make('receipt', name=item['id'], version=item.get('version')))
    team_ids = match.get('team_ids', [])
    for item in inventory.get('bundles') or []:
        if _regex_any(item.get('id'), match.get('bundle_ids', [])) or (item.get('team_id') and item['team_id'] in team_ids):
            found.append(ev.make('bundle', path=item.get('path'), name=item.get('id'), version=item.get('version'),
                                 team_id=item.get('team_id')))
    for item in inventory.get('launchd') or []:
        if _regex_any(item.get('label'), match.get('launchd', [])):
            found.append(ev.make('launchd', name=item['label'], path=item.get('path')))
    for item in inventory.get('security_center') or []:
        if _regex_any(item.get('display_name'), match.get('security_center', [])):
            found.append(ev.make('security_center', name=item['display_name'], product_state=item.get('product_state')))
    for item in inventory.get('processes') or []:
        if _glob_any(item.get('name'), match.get('processes', []), windows):
            found.append(ev.make('process', name=item['name'], pid=item.get('pid'), exe=item.get('exe')))
    return found


def _command_results(entry, inventory):
    """Parsed output of the catalogue commands of ``entry`` that the collector ran."""
    results = []
    wanted = [(c['parser'], tuple(c['argv'])) for c in entry.get('commands', [])]
    for command in inventory.get('commands') or []:
        key = (command.get('id'), tuple(command.get('argv') or ()))
        if key in wanted and command.get('rc') == 0:
            parsed = parsers.parse_command(command)
            if parsed is not None:
                results.append((command, parsed))
    return results


def _registry_values(inventory, key_glob, value_name):
    for item in inventory.get('registry') or []:
        if _glob_any(item.get('key'), [key_glob], True):
            values = item.get('values') or {}
            for name, value in values.items():
                if name.lower() == value_name.lower():
                    yield item['key'], value


def _signature_dates(entry, inventory, command_results):
    """``[(ISO date, registry evidence item or None)]`` of the signature databases found."""
    dates = []
    for _command, parsed in command_results:
        if parsed.get('signatures_date'):
            dates.append((parsed['signatures_date'], None))
    for sig in entry.get('signatures', []):
        convert = parsers.DATE_FORMATS[sig['format']]
        for key, value in _registry_values(inventory, sig['registry'], sig['value']):
            date = convert(value)
            if date:
                dates.append((date, ev.make('registry', path=key, value_name=sig['value'], data=value)))
    return dates


def _version(evidence, command_results):
    for kind in VERSION_ORDER:
        if kind == 'command':
            for _command, parsed in command_results:
                if parsed.get('version'):
                    return parsed['version']
            continue
        for e in evidence:
            if e['kind'] == kind and e.get('version'):
                return e['version']
    return None


def _location(evidence):
    """The path or registry key an item lies at, for the items a vendor directory can hold."""
    return evidence.get('path') if evidence['kind'] in ('path', 'file', 'bundle', 'registry', 'executable') else None


def _explained(evidence, locations, windows, family_found):
    """Residue a catch-all sees is explained by a specific finding: a vendor directory or registry
    key with something a specific entry claimed below it, or, once a specific product of the same
    family was found, any vendor directory or key (they are that product's)."""
    if evidence['kind'] not in ('path', 'registry'):
        return False
    if family_found:
        return True
    windows = windows or evidence['kind'] == 'registry'
    sep = '\\' if windows else '/'
    prefix = evidence['path'].rstrip(sep) + sep
    if windows:
        prefix = prefix.lower()
        return any(c.lower().startswith(prefix) for c in locations)
    return any(c.startswith(prefix) for c in locations)


class _Claims(object):
    """What the findings made so far took from one inventory."""

    def __init__(self, scan):
        self.scan = scan
        self.identities = set()   # evidence.identity() of every item a finding took
        self.locations = []       # paths and keys of those items
        self.packages = set()     # lower-case names of the packages they took
        self.unlisted = []        # (family, location) of unlisted products: bundle paths, product directories

    def add(self, items):
        self.identities.update(ev.identity(e) for e in items)
        self.locations.extend(loc for loc in (_location(e) for e in items) if loc)
        self.packages.update(e['name'].lower() for e in items if e['kind'] in ('package', 'package_residue') and e.get('name'))

    def taken(self, item):
        return ev.identity(item) in self.identities

    def directory_taken(self, directory):
        """A product directory is a listed product's when something a specific entry claimed lies
        in it, or when its name is the name of a package one claimed (``/opt/kaspersky/kesl``)."""
        sep = self.scan.sep
        norm = (lambda t: t.rstrip(sep).lower()) if self.scan.windows else (lambda t: t.rstrip(sep))
        base = norm(directory)
        if any(loc == base or loc.startswith(base + sep) for loc in (norm(c) for c in self.locations)):
            return True
        return base.rsplit(sep, 1)[-1].lower() in self.packages


def product_slug(name):
    """The part of an unlisted product's id after the catch-all's id: the words of its name in
    lower case joined by ``-``, version numbers left out (``Kaspersky Security Center 14.2 Web
    Server`` -> ``kaspersky-security-center-web-server``), at most ``SLUG_LENGTH`` characters.
    Catalogue ids cannot hold ``:``, so ``<catch-all id>:<slug>`` never names a catalogue entry."""
    tokens = [t for t in _SLUG_SPLIT.split((name or '').lower()) if t]
    words = [t for t in tokens if not t.isdigit()] or tokens
    return '-'.join(words)[:SLUG_LENGTH].strip('-') or 'unnamed'


def _display_name(text):
    """One line of text, at most ``NAME_LENGTH`` characters, that can always be written."""
    text = text if isinstance(text, str) else str(text or '')
    text = _CONTROL.sub(' ', text.encode('utf-8', 'backslashreplace').decode('utf-8')).strip()
    return text[:NAME_LENGTH] or 'unnamed'


def _product_dir(item, scan, dirs):
    """The product directory a program item runs from, below one of ``dirs``, or None."""
    kind = item['kind']
    if kind == 'executable':
        found = scan.below(item.get('path'), dirs)
        return found[1] if found else item.get('dir')
    if kind in ('unit', 'init_script'):
        found = scan.below(item.get('exec_path'), dirs)
    elif kind in ('service', 'driver'):
        image = scan.image(item)
        found = scan.below(image, dirs)
        if not found and image and item.get('install_dir'):
            return image.rsplit('\\', 1)[0]
    else:
        return None
    return found[1] if found else None


def _product_name(item, directory, sep):
    """The name an item gives the unlisted product it belongs to."""
    kind = item['kind']
    if directory:
        name = directory.rstrip(sep).rsplit(sep, 1)[-1]
    elif kind == 'uninstall':
        name = item.get('name') or item.get('key')
    elif kind == 'bundle':
        base = (item.get('path') or '').rstrip('/').rsplit('/', 1)[-1]
        name = (base[:-4] if base.lower().endswith('.app') else base) or item.get('name')
    elif kind in ('executable', 'file'):
        name = (item.get('path') or '').rstrip(sep).rsplit(sep, 1)[-1]
    else:
        name = item.get('name') or item.get('path')
    return _display_name(name)


def _product_keys(item, directory, scan):
    """What ties items of one unlisted product together: its name's slug, its directory, its
    bundle, receipt or launchd identifier (a receipt ``<bundle id>.pkg`` joins the bundle)."""
    keys = [product_slug(_product_name(item, directory, scan.sep))]
    if directory:
        keys.append('dir:' + (directory.lower() if scan.windows else directory))
    if item['kind'] in ('bundle', 'receipt', 'launchd') and item.get('name'):
        ident = item['name'].lower()
        keys.append('id:' + ident)
        parts = ident.split('.')
        if item['kind'] != 'bundle' and len(parts) >= 4:
            keys.append('id:' + '.'.join(parts[:-1]))
    return keys


def _products(anchors, scan):
    """The anchor items ``[(item, product directory)]`` grouped by product (items sharing a key
    are one product), in the order each product was first seen."""
    parent = list(range(len(anchors)))

    def top(index):
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    first = {}
    for index, (item, directory) in enumerate(anchors):
        for key in _product_keys(item, directory, scan):
            if key in first:
                a, b = sorted((top(index), top(first[key])))
                parent[b] = a
            else:
                first[key] = index
    groups = {}
    for index, anchor in enumerate(anchors):
        groups.setdefault(top(index), []).append(anchor)
    return list(groups.values())


def _finding(entry, evidence, installed, version, signatures_date):
    return {
        'id': entry['id'], 'vendor': entry['vendor'], 'product': entry['product'],
        'category': entry['category'], 'family': entry['family'], 'installed': installed,
        'version': version, 'signatures_date': signatures_date, 'confidence': entry['confidence'],
        'evidence': evidence, 'removal': entry.get('removal') or {},
    }


def _unlisted_finding(entry, group, scan):
    """One installed finding of a product the catalogue does not list (``<catch-all id>:<slug>``):
    named by its strongest item (a package, an Uninstall entry, a bundle, ...), with the category,
    confidence and removal of the catch-all entry ``catalog_id``."""
    items = [item for item, _directory in group]
    best = min(range(len(group)), key=lambda i: (NAMING_RANK.get(group[i][0]['kind'], 10), i))
    name = _product_name(group[best][0], group[best][1], scan.sep)
    finding = _finding(entry, items, True, _version(items, []), None)
    finding.update(id='%s:%s' % (entry['id'], product_slug(name)), product=name, catalog_id=entry['id'], unlisted=True)
    return finding


def _catch_all(entry, evidence, scan, findings, claims):
    """The findings of a family's catch-all entry: one per product it cannot name (installed),
    and one residue finding with its own id for what is left (directories, keys, groups, removed
    packages).  It sees only what no specific entry claimed or explains."""
    family_found = any(f['family'] == entry['family'] for f in findings)
    dirs = scan.dir_patterns(entry['match'].get('install_dirs', []) + entry['match'].get('paths', []))
    anchors, residue, support = [], [], []
    for item in evidence:
        if claims.taken(item) or _explained(item, claims.locations, scan.windows, family_found):
            continue
        if item['kind'] in ANCHOR_KINDS:
            directory = _product_dir(item, scan, dirs) if item['kind'] in PROGRAM_KINDS else None
            if not (directory and claims.directory_taken(directory)):
                anchors.append((item, directory))
        elif item['kind'] in RESIDUE_KINDS:
            residue.append(item)
        else:
            support.append(item)
    groups = _products(anchors, scan)
    if groups:  # the vendor's directories and keys are those products'
        residue = [e for e in residue if e['kind'] not in ('path', 'registry')]
    made = [_unlisted_finding(entry, group, scan) for group in groups]
    if residue:
        made.append(_finding(entry, residue, False, _version(residue, []), None))
    if not made:
        return []
    claims.add([item for item, _directory in anchors] + residue)
    for group in groups:
        claims.unlisted.extend((entry['family'], loc) for item, directory in group
                               for loc in (directory, item.get('path') if item['kind'] == 'bundle' else None) if loc)
    # supporting items and tool output cannot tell which unlisted product they belong to: the
    # first finding carries them (catch-all entries seldom have commands or signatures)
    command_results = _command_results(entry, scan.inventory)
    dates = _signature_dates(entry, scan.inventory, command_results)
    made[0]['evidence'].extend(support + [ev.make('command', argv=list(c['argv'])) for c, _parsed in command_results]
                               + [item for _date, item in dates if item])
    made[0]['version'] = made[0]['version'] or _version([], command_results)
    made[0]['signatures_date'] = max(d[0] for d in dates) if dates else None
    return made


def _without_explained_residue(findings, claims):
    """A residue-only finding's directory that is where an unlisted product of the same family
    lives (``/Applications/Kaspersky*.app`` of KES for Mac, when the app is another product) is
    that product's: such paths are dropped, and the finding when nothing else is left."""
    if not claims.unlisted:
        return findings
    sep = claims.scan.sep
    norm = (lambda t: t.rstrip(sep).lower()) if claims.scan.windows else (lambda t: t.rstrip(sep))
    out = []
    for finding in findings:
        places = [norm(loc) for family, loc in claims.unlisted if family == finding['family']]
        if finding['installed'] or not places:
            out.append(finding)
            continue
        kept = [e for e in finding['evidence'] if not (e['kind'] == 'path' and any(
            norm(e['path']) == p or norm(e['path']).startswith(p + sep) for p in places))]
        if any(e['kind'] in RESIDUE_KINDS for e in kept):
            out.append(dict(finding, evidence=kept))
    return out


def match(inventory, catalog):
    """Match ``inventory`` against ``catalog``; return ``{findings, protection}``."""
    scan = _Scan(inventory)
    live = inventory.get('live', True)
    findings = []
    protection = []
    claims = _Claims(scan)
    entries = catalog.for_platform(scan.platform)
    # catch-all entries (``catch_all: true``) only see evidence no specific entry claimed
    entries = [e for e in entries if not e.get('catch_all')] + [e for e in entries if e.get('catch_all')]
    owners = uninstall_owners(entries, inventory)
    for entry in entries:
        evidence = _collect_evidence(entry, scan, owners)
        if entry.get('catch_all') and entry['category'] in catalog_mod.FINDING_CATEGORIES:
            findings.extend(_catch_all(entry, evidence, scan, findings, claims))
            continue
        if entry.get('catch_all'):
            family_found = any(f['family'] == entry['family'] for f in findings)
            evidence = [e for e in evidence if not (claims.taken(e) or _explained(e, claims.locations, scan.windows, family_found))]
        anchors = [e for e in evidence if e['kind'] in ANCHOR_KINDS]
        residue = [e for e in evidence if e['kind'] in RESIDUE_KINDS]
        if not anchors and not residue:
            continue
        claims.add(anchors + residue)
        command_results = _command_results(entry, inventory)
        evidence.extend(ev.make('command', argv=list(command['argv'])) for command, _parsed in command_results)
        version = _version(evidence, command_results)
        dates = _signature_dates(entry, inventory, command_results)
        evidence.extend(item for _date, item in dates if item)
        signatures_date = max(d[0] for d in dates) if dates else None
        if entry['category'] == 'protection':
            if anchors:
                protection.append(_protection(entry, inventory, evidence, command_results, live, version, signatures_date))
            continue
        findings.append(_finding(entry, evidence, bool(anchors), version, signatures_date))
    findings = _without_explained_residue(findings, claims)
    findings.sort(key=lambda f: (-int(f['installed']), f['removal'].get('order', 50), f['id']))
    return {'findings': findings, 'protection': protection}


def _protection(entry, inventory, evidence, command_results, live, version, signatures_date):
    rules = entry.get('active') or {}
    active = None
    mode = None
    if live:
        active = False
        if rules.get('defender'):
            defender = inventory.get('defender') or {}
            mode = defender.get('am_running_mode')
            if defender:
                active = bool(mode == 'Normal' and defender.get('antivirus_enabled') is not False
                              and defender.get('real_time_protection_enabled'))
                signatures_date = signatures_date or parsers.iso_date(defender.get('antivirus_signature_last_updated'))
                version = version or defender.get('am_product_version')
        unit_ok = any(e['kind'] == 'unit' and e.get('state') == 'active' and _glob_any(e['name'], rules.get('units', []), False)
                      for e in evidence)
        proc_ok = any(e['kind'] == 'process' and _glob_any(e['name'], rules.get('processes', []), True)
                      for e in evidence)
        svc_ok = any(e['kind'] == 'service' and e.get('state') == 'running' and _glob_any(e['name'], rules.get('services', []), True)
                     for e in evidence)
        if rules.get('health'):
            for _command, parsed in command_results:
                if parsed.get('healthy') is not None:
                    mode = 'passive' if parsed.get('passive_mode_enabled') else 'normal'
                    active = bool(parsed.get('healthy') and parsed.get('real_time_protection_enabled')
                                  and not parsed.get('passive_mode_enabled'))
                    break
            else:
                active = active or unit_ok or proc_ok
        elif not rules.get('defender'):
            active = unit_ok or proc_ok or svc_ok
        elif not inventory.get('defender'):
            active = svc_ok
    return {'id': entry['id'], 'vendor': entry['vendor'], 'product': entry['product'],
            'approved': entry.get('approved', False), 'present': True, 'active': active, 'mode': mode,
            'version': version, 'signatures_date': signatures_date, 'evidence': evidence}
