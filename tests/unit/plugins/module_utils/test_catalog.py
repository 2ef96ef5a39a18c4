# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The catalogue: built-in data is valid and sourced; user data is merged; bad data is named.

Hostile cases: duplicate ids that would silently hide a product, overrides of ids that do not
exist, user patterns that backtrack for ever, a catalogue large enough to expose quadratic work.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import fnmatch
import multiprocessing
import random
import re
import time

import pytest

from ansible_collections.fleetsec.banned_av.plugins.module_utils import catalog as catalog_mod
from ansible_collections.fleetsec.banned_av.plugins.module_utils import matcher
from ansible_collections.fleetsec.banned_av.plugins.module_utils import patterns as pattern_mod
from ansible_collections.fleetsec.banned_av.plugins.module_utils import regex_subset

GOOD = {'id': 'acme.av', 'vendor': 'Acme', 'product': 'Acme AV', 'category': 'banned', 'platforms': ['linux'],
        'sources': ['policy SP-12'], 'match': {'packages': ['acme-av']}}


def within(seconds, func, *args):
    """Run ``func(*args)`` in a forked child and return its result; fail if it has not finished in
    ``seconds``.  Backtracking inside the C regex engine cannot be interrupted by a signal, so a
    hang must be contained in a process to be reported instead of hanging the test run."""
    ctx = multiprocessing.get_context('fork')
    receiver, sender = ctx.Pipe(duplex=False)

    def child():
        try:
            sender.send(('ok', func(*args)))
        except BaseException as exc:  # pylint: disable=broad-except
            sender.send(('error', '%s: %s' % (type(exc).__name__, exc)))

    proc = ctx.Process(target=child)
    proc.start()
    sender.close()
    try:
        if not receiver.poll(seconds):
            raise AssertionError('still running after %s s: this would hang an audit' % seconds)
        status, value = receiver.recv()
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join()
    assert status == 'ok', value
    return value


def entry(**changes):
    out = copy.deepcopy(GOOD)
    out.update(changes)
    return out


def write(path, text):
    path.write_text(text)
    return str(path)


def load_error(**kwargs):
    kwargs.setdefault('include_builtin', False)
    with pytest.raises(catalog_mod.CatalogError) as err:
        catalog_mod.load(**kwargs)
    return str(err.value)


# --------------------------------------------------------------------------- built-in data

def test_builtin_catalogue_loads_and_every_entry_cites_sources(catalog):
    assert catalog.version == '2026.12.06'
    ids = [e['id'] for e in catalog.entries]
    assert len(ids) == len(set(ids))
    for item in catalog.entries:
        assert item['sources'], item['id']
        assert item['confidence'] in ('high', 'medium', 'low')


SOURCE_RE = re.compile(r'(https?://[^\s)]+|\b[\w.-]+/[\w.-]+:[\w./@%-]+)')


# the built-in families this check covers: every family of the built-in catalogue
ADDRESSED_FAMILIES = ('kaspersky', 'ultraav', 'clamav', 'microsoft_defender', 'drweb', 'qihoo360')


def test_every_builtin_source_cites_an_url_or_a_repository_file(catalog):
    """Sources name a public address (URL or owner/repo:path), never a research file outside the
    repository ("footprint §2", "../shared/...")."""
    for item in catalog.entries:
        if item['family'] not in ADDRESSED_FAMILIES:
            continue
        for source in item['sources']:
            assert SOURCE_RE.search(source), (item['id'], source)
            assert 'footprint' not in source.lower() and '../' not in source and '§' not in source, (item['id'], source)


def test_builtin_files_do_not_point_outside_the_repository():
    for path in catalog_mod.builtin_files():
        with open(path, encoding='utf-8') as handle:
            text = handle.read()
        assert '../shared' not in text and 'footprint §' not in text, path


def test_builtin_catalogue_covers_the_footprint(catalog):
    by_id = catalog.by_id
    assert by_id['kaspersky.kesl']['match']['packages'] == ['kesl']
    assert set(by_id['kaspersky.klnagent_linux']['match']['packages']) == {'klnagent', 'klnagent64'}
    assert 'kav4fs' in by_id['kaspersky.kav4fs']['match']['packages']
    assert by_id['kaspersky.kes_mac']['platforms'] == ['darwin']
    assert by_id['kaspersky.scan_engine']['category'] == 'oem'
    assert by_id['pango.ultraav']['category'] == 'unapproved_successor'
    assert by_id['pango.ultraav']['family'] != 'kaspersky'
    assert by_id['clamav']['category'] == 'protection' and by_id['clamav']['approved'] is True
    assert by_id['kaspersky.kesl_gui']['removal']['order'] < by_id['kaspersky.kesl']['removal']['order'] \
        < by_id['kaspersky.klnagent_linux']['removal']['order']


def test_probe_is_targeted_per_platform(catalog):
    linux = catalog.probe('linux')
    assert 'kesl' in linux['packages'] and 'klnagent64' in linux['packages']
    assert not any(p in linux['packages'] for p in ('klavaro', 'kasumi', 'k*', '*'))
    assert 'com.kaspersky' not in ' '.join(linux['receipts'])
    windows = catalog.probe('windows')
    assert 'klnagent' in windows['services'] and 'klif' in windows['drivers']
    assert not windows['packages']


# --------------------------------------------------------------------------- merging, duplicates, overrides

def test_user_entry_added_and_overrides(tmp_path):
    """A user file replaces a built-in entry only when it says so (``override: true``)."""
    extra = write(tmp_path / 'site.yml', 'schema: 1\nversion: "site-1"\nproducts:\n'
                  '  - {id: kaspersky.kesl, override: true, vendor: Kaspersky, product: KESL (site), category: banned,'
                  ' sources: [x], match: {packages: [kesl, kesl-custom]}}\n'
                  '  - {id: kaspersky.ksc_console, disabled: true}\n')
    cat = catalog_mod.load(extra_files=[extra], extra_entries=[GOOD])
    assert cat.by_id['kaspersky.kesl']['match']['packages'] == ['kesl', 'kesl-custom']
    assert 'kaspersky.ksc_console' not in cat.by_id
    assert cat.by_id['acme.av']['family'] == 'acme'
    assert cat.version.endswith('+site')
    assert [e['id'] for e in cat.entries].count('kaspersky.kesl') == 1


def test_duplicate_id_in_one_file_names_both_places(tmp_path):
    path = write(tmp_path / 'site.yml', 'products:\n'
                 '  - {id: acme.av, vendor: Acme, product: Acme AV, category: banned, sources: [x], match: {packages: [acme-av]}}\n'
                 '  - {id: acme.tools, vendor: Acme, product: Acme Tools, category: banned, sources: [x], match: {packages: [acme-tools]}}\n'
                 '  - {id: acme.av, vendor: Acme, product: Acme AV 2, category: banned, sources: [x], match: {packages: [acme-av2]}}\n')
    message = load_error(extra_files=[path])
    assert "'acme.av'" in message and '%s products[0]' % path in message and '%s products[2]' % path in message
    assert 'duplicate' in message


def test_duplicate_id_in_one_file_is_an_error_even_with_override(tmp_path):
    path = write(tmp_path / 'site.yml', 'products:\n'
                 '  - {id: acme.av, vendor: Acme, product: A, category: banned, sources: [x], match: {packages: [a]}}\n'
                 '  - {id: acme.av, override: true, vendor: Acme, product: B, category: banned, sources: [x], match: {packages: [b]}}\n')
    message = load_error(extra_files=[path])
    assert 'products[0]' in message and 'products[1]' in message


def test_duplicate_inline_entries_name_both_indexes():
    message = load_error(extra_entries=[GOOD, entry(id='acme.other'), entry(product='Acme AV again')])
    assert 'banned_av_catalog_entries[0]' in message and 'banned_av_catalog_entries[2]' in message
    assert "'acme.av'" in message


def test_duplicate_id_across_user_files(tmp_path):
    first = write(tmp_path / 'a.yml', 'products:\n  - {id: acme.av, vendor: Acme, product: A, category: banned,'
                                      ' sources: [x], match: {packages: [a]}}\n')
    second = write(tmp_path / 'b.yml', 'products:\n  - {id: acme.av, vendor: Acme, product: B, category: banned,'
                                       ' sources: [x], match: {packages: [b]}}\n')
    message = load_error(extra_files=[first, second])
    assert '%s products[0]' % first in message and '%s products[0]' % second in message
    assert 'override: true' in message


def test_duplicate_id_across_builtin_files(tmp_path):
    products = tmp_path / 'products'
    products.mkdir()
    write(products / 'a.yml', 'products:\n  - {id: x.y, vendor: X, product: A, category: banned, sources: [s], match: {packages: [a]}}\n')
    write(products / 'b.yml', 'products:\n  - {id: x.y, vendor: X, product: B, category: banned, sources: [s], match: {packages: [b]}}\n')
    message = load_error(base=str(tmp_path), include_builtin=True)
    assert 'a.yml products[0]' in message and 'b.yml products[0]' in message


def test_user_entry_with_a_builtin_id_needs_override():
    """Without ``override: true`` a typo'd copy of a built-in entry would silently replace it."""
    message = load_error(include_builtin=True, extra_entries=[entry(id='kaspersky.kesl', platforms=['linux'])])
    assert 'banned_av_catalog_entries[0]' in message and 'kaspersky.yml products[0]' in message
    assert "override: true" in message


def test_inline_entry_overriding_a_user_file_entry(tmp_path):
    path = write(tmp_path / 'site.yml', 'products:\n  - {id: acme.av, vendor: Acme, product: A, category: banned,'
                                        ' sources: [x], match: {packages: [a]}}\n')
    cat = catalog_mod.load(extra_files=[path], extra_entries=[entry(override=True, product='Acme AV (inline)')],
                           include_builtin=False)
    assert cat.by_id['acme.av']['product'] == 'Acme AV (inline)'
    assert len(cat.entries) == 1


def test_override_of_an_id_that_does_not_exist_is_an_error():
    message = load_error(include_builtin=True, extra_entries=[entry(id='kaspersky.kesll', override=True)])
    assert "'kaspersky.kesll'" in message and 'banned_av_catalog_entries[0]' in message and 'override' in message


def test_disable_of_an_id_that_does_not_exist_is_an_error():
    """A typo in ``disabled: true`` would otherwise leave the built-in entry active without a word."""
    message = load_error(include_builtin=True, extra_entries=[{'id': 'kaspersky.ksc_consol', 'disabled': True}])
    assert "'kaspersky.ksc_consol'" in message and 'banned_av_catalog_entries[0]' in message


def test_override_must_be_a_boolean():
    message = load_error(extra_entries=[entry(override='yes')])
    assert "'override'" in message and "catalog entry 'acme.av'" in message


def test_entry_errors_name_the_index_of_inline_entries():
    message = load_error(extra_entries=[GOOD, entry(id='acme.two', category='bannd')])
    assert "catalog entry 'acme.two' (banned_av_catalog_entries[1])" in message


# --------------------------------------------------------------------------- malformed entries

@pytest.mark.parametrize('change,field', [
    ({'category': 'bannd'}, "'category'"),
    ({'id': 'Bad Id'}, "'id'"),
    ({'vendor': ''}, "'vendor'"),
    ({'platforms': ['solaris']}, "'platforms'"),
    ({'match': {'packagez': ['x']}}, "'match.packagez'"),
    ({'match': {'display_name': ['(unclosed']}}, "'match.display_name'"),
    ({'match': {'packages': 'kesl'}}, "'match.packages'"),
    ({'match': {}}, "'match'"),
    ({'confidence': 'sure'}, "'confidence'"),
    ({'commands': [{'parser': 'x', 'argv': ['relative']}]}, "'commands[0].argv'"),
    ({'signatures': [{'registry': 'HKLM\\x', 'value': 'v', 'format': 'dd-mm'}]}, "'signatures[0].format'"),
    ({'approved': 'yes'}, "'approved'"),
    ({'colour': 'red'}, "'colour'"),
    ({'match': {'team_ids': ['2y8xe5cq94']}}, "'match.team_ids'"),
    ({'match': {'team_ids': ['2Y8XE5CQ9']}}, "'match.team_ids'"),
    ({'match': {'install_dirs': ['opt/kaspersky/*']}}, "'match.install_dirs'"),
    ({'match': {'install_dirs': ['Program Files\\Kaspersky Lab\\*']}}, "'match.install_dirs'"),
    ({'match': {'maintainers': ['(Kaspersky']}}, "'match.maintainers'"),
    ({'removal': {'upgrade_code': '{B9518725-0B76-4793-A409-C6794442FB50}'}}, "'removal.upgrade_code'"),
    ({'removal': {'method': 'msiexec'}}, "'removal.method'"),
    ({'removal': {'order': 'first'}}, "'removal.order'"),
    ({'removal': {'credential': 'klpasswd'}}, "'removal.credential'"),
    ({'removal': {'packages': 'acme-av'}}, "'removal.packages'"),
    ({'removal': {'uninstall_script': 'Binaries/UninstallScript'}}, "'removal.uninstall_script'"),
])
def test_malformed_entry_names_entry_and_field(change, field):
    message = load_error(extra_entries=[entry(**change)])
    assert field in message
    assert 'catalog entry' in message


def test_missing_sources_rejected():
    bad = entry()
    del bad['sources']
    with pytest.raises(catalog_mod.CatalogError, match="'sources'"):
        catalog_mod.load(extra_entries=[bad], include_builtin=False)


def test_bad_files(tmp_path):
    with pytest.raises(catalog_mod.CatalogError, match='does not exist'):
        catalog_mod.load(extra_files=[str(tmp_path / 'nope.yml')])
    bad = tmp_path / 'bad.yml'
    bad.write_text('products: [\n')
    with pytest.raises(catalog_mod.CatalogError, match='not valid YAML'):
        catalog_mod.load(extra_files=[str(bad)])
    wrong = tmp_path / 'wrong.yml'
    wrong.write_text('schema: 2\nproducts: []\n')
    with pytest.raises(catalog_mod.CatalogError, match="'schema'"):
        catalog_mod.load(extra_files=[str(wrong)])


def test_upgrade_code_is_gone_from_the_data(catalog):
    """``removal.upgrade_code`` was never read by the planner (ProductCodes come from the host's
    Uninstall entries); it is no longer part of the schema or the data."""
    assert not any('upgrade_code' in item['removal'] for item in catalog.entries)


# --------------------------------------------------------------------------- patterns that cannot hang

HOSTILE_PATTERNS = [
    (r'^(a+)+$', 'nested'),
    (r'(a|a)*$', 'same text'),
    (r'(.*)*', 'nested'),
    (r'\1', 'backreference'),
    (r'(a)\1', 'backreference'),
    (r'(?P<x>a)(?P=x)', 'group syntax'),
    (r'(a|aa)+$', 'same text'),
    (r'(x(a|a))*y', 'same text'),
    (r'(\d+\.)+x', 'nested'),
    (r'(a?){25}a{25}', 'nested'),
    (r'(a|)*b', 'empty'),
    (r'(?:\b)*x', 'empty'),
    (r'(foo|foobar)', 'same text'),
    (r'(\w|\d)x', 'same text'),
    (r'a.*a.*a.*b', 'too costly'),
    (r'a.*b.*c', 'too costly'),
    (r'a?' * 30 + 'a' * 30, 'too costly'),
    # a lookaround after a repeat runs again at every character the repeat gives back (found by fuzzing)
    (r'[^a]*?(?=x+\d+ab*)', 'too costly'),
    (r'\w*(?!\w*\.)', 'too costly'),
    (r'a*+b', 'possessive'),
    (r'(?x) a b', 'flag'),
    (r'(?(1)a|b)', 'group syntax'),
    (r'(?<=a)b', 'group syntax'),
    (r'\p{L}', 'escape'),
    (r'[z-a]', 'not a valid regular expression'),
    (r'x' * 600, 'long'),
    (r'(' * 40 + 'a' + ')' * 40, 'deep'),
]


@pytest.mark.parametrize('pattern,reason', HOSTILE_PATTERNS)
def test_hostile_user_pattern_is_refused_naming_entry_field_and_pattern(pattern, reason):
    message = load_error(extra_entries=[entry(match={'display_name': [pattern]}, platforms=['windows'])])
    assert "catalog entry 'acme.av' (banned_av_catalog_entries[0])" in message
    assert "'match.display_name'" in message
    assert repr(pattern)[:60].strip("'") in message or pattern[:60] in message
    assert reason in message


@pytest.mark.parametrize('kind', ['publisher', 'receipts', 'bundle_ids', 'launchd', 'security_center', 'maintainers'])
def test_every_regex_kind_is_checked(kind):
    message = load_error(extra_entries=[entry(match={kind: ['^(a+)+$']})])
    assert "'match.%s'" % kind in message


def test_hostile_pattern_in_a_user_file_names_the_file_place(tmp_path):
    path = write(tmp_path / 'site.yml', "products:\n  - {id: acme.av, vendor: Acme, product: A, category: banned,"
                                        " sources: [x], match: {publisher: ['^(a|a)*$']}}\n")
    message = load_error(extra_files=[path])
    assert '%s products[0]' % path in message and "'match.publisher'" in message


SAFE_PATTERNS = [
    r'^Kaspersky Security( \d[\d.]*)? for Windows Servers?$',
    r'(?i)ultraav',
    r'^Kaspersky(?! Endpoint Security)',
    r'Agent.*Kaspersky Security Center',
    r'(foo|bar)+x',
    r'[a-z]+\d',
    r'^com\.kaspersky\.kav($|_agent$|\.)',
    r'\bPango\b',
    r'^a.*a.*b',
    r'a.*b',
    r'(\.\d)*x',
    r'^(Security Cloud|Small Office Security|Standard)',
    r'\d{1,3}\.\d{1,3}',
]


@pytest.mark.parametrize('pattern', SAFE_PATTERNS)
def test_useful_user_patterns_are_accepted(pattern):
    cat = catalog_mod.load(extra_entries=[entry(match={'display_name': [pattern]}, platforms=['windows'])],
                           include_builtin=False)
    assert cat.by_id['acme.av']['match']['display_name'] == [pattern]


def adversarial_values(pattern):
    """Values built from the pattern's own characters: what makes a backtracking engine work hardest."""
    letters = sorted(set(c for c in pattern if c.isalnum() or c in ' .-_')) or ['a']
    width = pattern_mod.MAX_VALUE_LENGTH
    values = [''.join(letters) * (width // len(letters) + 1), 'a' * width, '1' * width, ' 1' * (width // 2)]
    for letter in letters:
        values.append(letter * width)
        values.append(letter * (width - 1) + '!')
    prefix = re.sub(r'\\.|[^A-Za-z ]', '', pattern)[:40]
    values.append(prefix + ' 1' * width)
    return [v + '!' for v in values] + values


def accepted_patterns(catalog):
    patterns = [p for item in catalog.entries for kind in catalog_mod.REGEX_KINDS for p in item['match'].get(kind, [])]
    return patterns + SAFE_PATTERNS


def test_accepted_patterns_stay_fast_on_adversarial_values(catalog):
    """Every pattern that passes validation (built-in ones included) searches a hostile value of the
    capped length quickly: the cost bound is real, not only a rule on paper."""
    def slowest(patterns):
        worst = (0.0, None)
        for pattern in patterns:
            for value in adversarial_values(pattern):
                start = time.perf_counter()
                pattern_mod.search(pattern, value)
                worst = max(worst, (time.perf_counter() - start, pattern))
        return worst

    worst = within(120, slowest, sorted(set(accepted_patterns(catalog))))
    assert worst[0] < 0.25, worst


FUZZ_ATOMS = ['a', 'b', 'ab', '.', r'\d', r'\w', r'\s', '[ab]', '[^a]', ' ', 'x', r'\.', '$', '^', r'\b']
FUZZ_QUANTIFIERS = ['', '', '', '*', '+', '?', '{1,3}', '{2}', '*?', '{0,}']


def random_pattern(rng, depth=0):
    parts = []
    for _unused in range(rng.randint(1, 5)):
        if rng.random() < 0.2 and depth < 3:
            inner = random_pattern(rng, depth + 1)
            if rng.random() < 0.4:
                inner += '|' + random_pattern(rng, depth + 1)
            atom = rng.choice(['(', '(?:', '(?=', '(?!']) + inner + ')'
        else:
            atom = rng.choice(FUZZ_ATOMS)
        zero_width = atom in ('$', '^', r'\b') or atom.startswith(('(?=', '(?!'))
        parts.append(atom + ('' if zero_width else rng.choice(FUZZ_QUANTIFIERS)))
    return ''.join(parts)


def test_random_accepted_patterns_stay_fast():
    """Try to fool the cost model: random patterns from a small grammar (repeats, alternatives,
    lookarounds, anchors); every one the catalogue accepts must search hostile values quickly.
    Fuzzing like this found the lookaround case above (cubic, accepted before)."""
    def run():
        rng = random.Random(20261206)
        worst = (0.0, None)
        accepted = 0
        while accepted < 600:
            pattern = random_pattern(rng)
            try:
                re.compile(pattern)
            except re.error:
                continue
            if regex_subset.check_pattern(pattern):
                continue
            accepted += 1
            for unit in ('a', 'b', 'ab', 'a ', 'x', '1', '1.', ' ', 'aab', 'a1'):
                value = (unit * pattern_mod.MAX_VALUE_LENGTH)[:pattern_mod.MAX_VALUE_LENGTH]
                for candidate in (value, value[:-1] + '!'):
                    start = time.perf_counter()
                    pattern_mod.search(pattern, candidate)
                    worst = max(worst, (time.perf_counter() - start, pattern))
        return worst

    worst = within(300, run)
    assert worst[0] < 0.5, worst


def test_search_caps_the_length_of_the_value():
    """An accepted quadratic pattern on a 4 MB value would run for hours without the cap."""
    value = 'Agent ' * (4 * 1024 * 1024 // 6)

    def both():
        return (pattern_mod.search(r'Agent.*Kaspersky Security Center', value) is None,
                bool(pattern_mod.search(r'^Agent', value)))

    assert within(10, both) == (True, True)


def test_a_hostile_host_value_cannot_hang_the_matcher(catalog):
    """A planted multi-megabyte DisplayName against the built-in patterns finishes promptly."""
    huge = 'Agent Kaspersky ' * 250000
    inventory = {'platform': 'windows', 'live': True,
                 'uninstall': [{'display_name': huge, 'publisher': huge + 'x', 'key': '{00000000-0000-0000-0000-000000000000}',
                                'hive': 'HKLM', 'view': 64}],
                 'security_center': [{'display_name': huge, 'product_state': 266240}]}
    findings = within(20, lambda: [f['id'] for f in matcher.match(inventory, catalog)['findings']])
    assert findings


@pytest.mark.parametrize('kind,pattern', [
    ('packages', '*a*a*a*a*'),
    ('registry', 'HKLM\\*\\*\\*\\*'),
    ('install_dirs', '/opt/*/*/*/*'),
])
def test_globs_with_too_many_stars_are_refused(kind, pattern):
    message = load_error(extra_entries=[entry(match={kind: [pattern]})])
    assert "'match.%s'" % kind in message and pattern in message


def test_case_folding_model_matches_python(catalog):
    """The ambiguity check folds characters as Python's re does under IGNORECASE: a character that
    matches a letter case-insensitively must fold to the same code point (Kelvin sign, long s, dotless i...)."""
    targets = [ord(c) for c in 'aiksuyzAIKS\u00b5\u00e5\u03c9\u03b2\u03b8\u03c3\u0430\u0451']
    compiled = [(t, re.compile(re.escape(chr(t)), re.IGNORECASE)) for t in targets]
    for cp in range(0x3000):
        char = chr(cp)
        for target, regex in compiled:
            if regex.fullmatch(char):
                assert regex_subset.fold(cp) == regex_subset.fold(target), (hex(cp), hex(target))


# --------------------------------------------------------------------------- scale

def generated_entries(count):
    entries = []
    for i in range(count):
        entries.append(catalog_mod.validate_entry({
            'id': 'gen.product%d' % i, 'vendor': 'Vendor %d' % (i % 97), 'product': 'Product %d' % i,
            'category': 'banned', 'platforms': ['linux', 'windows'], 'sources': ['https://example.invalid/%d' % i],
            'match': {'packages': ['pkg%d' % i, 'pkg-common'], 'units': ['unit%d.service' % i],
                      'display_name': ['^Product %d( \\d[\\d.]*)?$' % i], 'paths': ['/opt/vendor%d' % i],
                      'services': ['svc%d' % i], 'registry': ['HKLM\\SOFTWARE\\Vendor%d\\*' % i]},
            'commands': [{'parser': 'kesl_app_info', 'argv': ['/opt/vendor%d/bin/ctl' % (i % 50), '--info']}],
        }, i, 'generated'))
    return entries


def test_probe_of_20000_entries_builds_in_under_half_a_second():
    """Quadratic before (4.8 s); the probe travels to every host, so it must stay linear."""
    cat = catalog_mod.Catalog(generated_entries(20000), 'gen')

    def timed():
        start = time.process_time()   # this process's CPU time: other load on the machine does not count
        probe = cat.probe('linux')
        return time.process_time() - start, len(probe['packages']), probe['packages'][:3], len(probe['commands'])

    took, packages, first, commands = within(60, timed)
    assert took < 0.5, took
    assert packages == 20001 and first == ['pkg0', 'pkg-common', 'pkg1']
    assert commands == 50


def test_probe_keeps_first_seen_order_and_drops_repeats(catalog):
    """The faster probe gives exactly what the plain de-duplicating loop gave."""
    for platform in catalog_mod.PLATFORMS:
        expected = dict((k, []) for k in catalog_mod.MATCH_KINDS)
        expected['commands'] = []
        expected['signature_keys'] = []
        for item in catalog.for_platform(platform):
            for kind, values in item['match'].items():
                expected[kind].extend(v for v in values if v not in expected[kind])
            expected['commands'].extend(c for c in item['commands'] if c not in expected['commands'])
            expected['signature_keys'].extend(s['registry'] for s in item['signatures']
                                              if s['registry'] not in expected['signature_keys'])
        expected['install_dirs'] = [d for d in expected['install_dirs'] if d.startswith('/') != (platform == 'windows')]
        assert catalog.probe(platform) == expected


def test_loading_20000_inline_entries_stays_reasonable():
    raw = [{'id': 'gen.p%d' % i, 'vendor': 'V', 'product': 'P %d' % i, 'category': 'banned', 'platforms': ['windows'],
            'sources': ['https://example.invalid'],
            'match': {'display_name': ['^Product %d( \\d[\\d.]*)? for Windows$' % i], 'services': ['svc%d' % i]}}
           for i in range(20000)]

    def timed():
        start = time.process_time()
        cat = catalog_mod.load(extra_entries=raw)
        return time.process_time() - start, len(cat.entries)

    took, count = within(120, timed)
    assert count > 20000
    assert took < 20, took


# --------------------------------------------------------------------------- vendor markers

def test_vendor_markers_on_the_kaspersky_catch_all(catalog):
    other = catalog.by_id['kaspersky.other']
    assert other['catch_all'] is True
    assert '2Y8XE5CQ94' in other['match']['team_ids']
    dirs = other['match']['install_dirs']
    assert '/opt/kaspersky/*' in dirs and '/Library/Application Support/Kaspersky Lab/*' in dirs
    assert 'C:\\Program Files*\\Kaspersky Lab\\*' in dirs
    for maintainer in ('AO Kaspersky Lab', 'Kaspersky Lab', 'Kaspersky Lab ZAO', 'Kaspersky Lab <support@kaspersky.com>',
                       'AO Kaspersky Lab / Kaspersky Lab'):
        assert any(pattern_mod.search(p, maintainer) for p in other['match']['maintainers']), maintainer
    for maintainer in ('Debian ClamAV Maintainers', 'Microsoft', 'Ubuntu Developers'):
        assert not any(pattern_mod.search(p, maintainer) for p in other['match']['maintainers']), maintainer


def test_probe_emits_the_vendor_markers_per_platform(catalog):
    for platform in catalog_mod.PLATFORMS:
        probe = catalog.probe(platform)
        assert probe['maintainers'] and probe['install_dirs'] and probe['team_ids'] == ['2Y8XE5CQ94']
    # each collector gets the install directories it can look in (a Windows collector cannot
    # search for /opt/kaspersky/* and would fall back to sending every service's ImagePath)
    assert catalog.probe('windows')['install_dirs'] == ['C:\\Program Files*\\Kaspersky Lab\\*']
    for platform in ('linux', 'darwin'):
        assert all(d.startswith('/') for d in catalog.probe(platform)['install_dirs'])


def test_vendor_marker_kinds_are_probe_keys():
    for kind in ('maintainers', 'install_dirs', 'team_ids'):
        assert kind in catalog_mod.MATCH_KINDS
    assert 'maintainers' in catalog_mod.REGEX_KINDS
    cat = catalog_mod.load(include_builtin=False, extra_entries=[entry(match={
        'maintainers': ['Acme'], 'install_dirs': ['/opt/acme/*'], 'team_ids': ['ABCDE12345']})])
    probe = cat.probe('linux')
    assert probe['maintainers'] == ['Acme'] and probe['install_dirs'] == ['/opt/acme/*'] and probe['team_ids'] == ['ABCDE12345']


# --------------------------------------------------------------------------- coverage: names hit one specific entry

WINDOWS_DISPLAY_NAMES = [
    # KSWS 10/10.1/11: names carry the version (catalogue-coverage research, support.kaspersky.com/ksws/11/ja-JP/147898.htm)
    ('Kaspersky Security 10 for Windows Server', 'kaspersky.ksws'),
    ('Kaspersky Security 10.1.2 for Windows Server', 'kaspersky.ksws'),
    ('Kaspersky Security 11 for Windows Server', 'kaspersky.ksws'),
    ('Kaspersky Security for Windows Server', 'kaspersky.ksws'),
    ('Kaspersky Embedded Systems Security', 'kaspersky.ksws'),
    ('Kaspersky Anti-Virus 6.0 for Windows Servers Enterprise Edition', 'kaspersky.ksws'),
    ('Kaspersky Anti-Virus 8.0 for Windows Servers Enterprise Edition', 'kaspersky.ksws'),
    # Network Agent, KSC 10 and current, localised (SWMB)
    ('Kaspersky Security Center 10 Network Agent', 'kaspersky.network_agent'),
    ('Kaspersky Security Center Network Agent', 'kaspersky.network_agent'),
    ('Kaspersky Security Center 14.2 Network Agent', 'kaspersky.network_agent'),
    ("Agent d'administration de Kaspersky Security Center", 'kaspersky.network_agent'),
    ("Agent d'administration de Kaspersky Security Center 10", 'kaspersky.network_agent'),
    # KSC Administration Server / console
    ('Kaspersky Security Center 14.2', 'kaspersky.ksc_server'),
    ('Kaspersky Security Center 14.2 Administration Server', 'kaspersky.ksc_server'),
    ('Kaspersky Security Center 10', 'kaspersky.ksc_server'),
    ('Kaspersky Security Center Administration Console', 'kaspersky.ksc_console'),
    ("Console d'administration de Kaspersky Security Center", 'kaspersky.ksc_console'),
    # KES, with and without version tokens; KES 10 / KAV 6 for Workstations (service AVP)
    ('Kaspersky Endpoint Security 10 for Windows', 'kaspersky.kes_windows'),
    ('Kaspersky Endpoint Security 11 for Windows', 'kaspersky.kes_windows'),
    ('Kaspersky Endpoint Security 11.10.0 for Windows', 'kaspersky.kes_windows'),
    ('Kaspersky Endpoint Security for Windows', 'kaspersky.kes_windows'),
    ('Kaspersky Endpoint Security 10 SP2', 'kaspersky.kes_windows'),
    ('Kaspersky Endpoint Security 8', 'kaspersky.kes_windows'),
    ('Kaspersky Anti-Virus 6.0 for Windows Workstations', 'kaspersky.kes_windows'),
    ('Kaspersky Anti-Virus 6.0 for Windows Workstations MP4', 'kaspersky.kes_windows'),
    ('Kaspersky Anti-Virus 6.0 for Windows Servers', 'kaspersky.kes_windows'),
    ('Kaspersky Endpoint Agent', 'kaspersky.endpoint_agent'),
    # consumer (winget manifests; legacy years and versions)
    ('Kaspersky Free', 'kaspersky.consumer'),
    ('Kaspersky Anti-Virus', 'kaspersky.consumer'),
    ('Kaspersky Anti-Virus 6.0', 'kaspersky.consumer'),
    ('Kaspersky Internet Security', 'kaspersky.consumer'),
    ('Kaspersky Internet Security 2015', 'kaspersky.consumer'),
    ('Kaspersky Total Security', 'kaspersky.consumer'),
    ('Kaspersky Security Cloud', 'kaspersky.consumer'),
    ('Kaspersky Small Office Security', 'kaspersky.consumer'),
    ('Kaspersky Small Office Security 2 for Personal Computer', 'kaspersky.consumer'),
    ('Kaspersky', 'kaspersky.consumer'),
    ('Kaspersky 21.9', 'kaspersky.consumer'),
    ('Kaspersky VPN Secure Connection', 'kaspersky.addons'),
    ('Kaspersky Password Manager', 'kaspersky.addons'),
    ('Kaspersky Safe Kids', 'kaspersky.addons'),
    # products new in this catalogue version
    ('Kaspersky Industrial CyberSecurity for Nodes', 'kaspersky.kics_nodes'),
    ('Kaspersky Security 9.0 for Microsoft Exchange Servers', 'kaspersky.ks_msservers'),
    ('Kaspersky Security for Microsoft SharePoint Server', 'kaspersky.ks_msservers'),
    ('Kaspersky Anti-Ransomware Tool for Business', 'kaspersky.kart'),
    ('Kaspersky Security 10.1.2 for Windows Server Administration Tools', 'kaspersky.ksws_tools'),
    ('Kaspersky Security 11 for Windows Server Console', 'kaspersky.ksws_tools'),
]


def specific_hits(catalog, platform, kind, value):
    hits = set()
    for item in catalog.for_platform(platform):
        if item.get('catch_all'):
            continue
        if any(pattern_mod.search(p, value) for p in item['match'].get(kind, [])):
            hits.add(item['id'])
    return hits


@pytest.mark.parametrize('name,expected', WINDOWS_DISPLAY_NAMES)
def test_windows_display_name_hits_exactly_its_specific_entry(catalog, name, expected):
    assert specific_hits(catalog, 'windows', 'display_name', name) == {expected}
    inventory = {'platform': 'windows', 'live': True, 'uninstall': [{
        'display_name': name, 'display_version': '1.0', 'publisher': 'AO Kaspersky Lab',
        'key': '{11111111-2222-3333-4444-555555555555}', 'hive': 'HKLM', 'view': 64}]}
    assert [f['id'] for f in matcher.match(inventory, catalog)['findings']] == [expected]


@pytest.mark.parametrize('name', [
    'Kaspersky Security Center 14.2 Web Console',
    'Kaspersky Endpoint Security for Linux',
    'Kasperskyx',
    'Kaspersky Freedom Planner',
])
def test_names_the_specific_entries_must_not_claim(catalog, name):
    hits = specific_hits(catalog, 'windows', 'display_name', name)
    assert len(hits) <= 1, hits
    assert 'kaspersky.consumer' not in hits or name == 'Kaspersky Security Center 14.2 Web Console'


LINUX_PACKAGES = [
    ('kess', 'kaspersky.kess_linux'), ('kess-gui', 'kaspersky.kess_linux'),
    ('kics', 'kaspersky.kics_linux'), ('kics-gui', 'kaspersky.kics_linux'),
    ('kics4net', 'kaspersky.kics_networks'), ('kics4net-sensor', 'kaspersky.kics_networks'),
    ('lightagent', 'kaspersky.ksv_light_agent'), ('ksvla-viis', 'kaspersky.ksv_integration_server'),
    ('kes4lwks', 'kaspersky.kes8_linux'), ('kav4ws', 'kaspersky.kav4ws'), ('kav4proxy', 'kaspersky.kav4proxy'),
    ('klms', 'kaspersky.klms'), ('ksmg', 'kaspersky.ksmg'), ('kwts', 'kaspersky.kwts'),
    ('ksc64', 'kaspersky.ksc_server_linux'),
    ('kesl', 'kaspersky.kesl'), ('klnagent64', 'kaspersky.klnagent_linux'), ('kav4fs', 'kaspersky.kav4fs'),
]


@pytest.mark.parametrize('name,expected', LINUX_PACKAGES)
def test_linux_package_hits_exactly_its_specific_entry(catalog, name, expected):
    hits = set(e['id'] for e in catalog.for_platform('linux') if not e.get('catch_all')
               and any(fnmatch.fnmatchcase(name, p) for p in e['match'].get('packages', [])))
    assert hits == {expected}
    assert any(fnmatch.fnmatchcase(name, p) for p in catalog.probe('linux')['packages'])


def test_kes_for_mac_system_extension(catalog):
    assert specific_hits(catalog, 'darwin', 'bundle_ids', 'com.kaspersky.kav.sysext') == {'kaspersky.kes_mac'}
    files = catalog.by_id['kaspersky.kes_mac']['match']['files']
    assert any('com.kaspersky.kav.sysext' in f for f in files)


@pytest.mark.parametrize('service,expected', [
    ('CSAdminServer', 'kaspersky.ksc_server'), ('AVP', 'kaspersky.kes_windows'), ('AVP.KES.11.10.0', 'kaspersky.kes_windows'),
    ('KAVFS', 'kaspersky.ksws'), ('klnagent', 'kaspersky.network_agent'), ('AVP21.3', 'kaspersky.consumer'),
])
def test_windows_service_hits_exactly_its_specific_entry(catalog, service, expected):
    hits = set(e['id'] for e in catalog.for_platform('windows') if not e.get('catch_all')
               and any(fnmatch.fnmatchcase(service.lower(), p.lower()) for p in e['match'].get('services', [])))
    assert hits == {expected}


def test_kvrt_is_residue_only(catalog):
    kvrt = catalog.by_id['kaspersky.kvrt']
    assert set(kvrt['match']) <= {'paths', 'registry', 'groups'}
    assert 'C:\\KVRT2020_Data' in kvrt['match']['paths']
