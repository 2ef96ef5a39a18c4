# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Generate the "Variables" section of a role README from its meta/argument_specs.yml.

    python scripts/argspec_to_md.py roles/alternative_av roles/remediate          # rewrite
    python scripts/argspec_to_md.py --check roles/alternative_av roles/remediate  # exit 1 if stale

The text between ``<!-- BEGIN ARGUMENT SPECS -->`` and ``<!-- END ARGUMENT SPECS -->`` in the
role's README.md is replaced; everything else in the README is hand-written.
"""

from __future__ import absolute_import, division, print_function

import argparse
import os
import re
import sys

import yaml

BEGIN = '<!-- BEGIN ARGUMENT SPECS -->'
END = '<!-- END ARGUMENT SPECS -->'


def markup(text):
    """Ansible doc markup (C(), V(), O(), I(), B(), M()) to Markdown."""
    text = re.sub(r'[CVO]\(([^)]*)\)', r'`\1`', str(text))
    text = re.sub(r'I\(([^)]*)\)', r'*\1*', text)
    text = re.sub(r'B\(([^)]*)\)', r'**\1**', text)
    text = re.sub(r'M\(([^)]*)\)', r'`\1`', text)
    return text.replace('|', '\\|')


def describe(value):
    if isinstance(value, list):
        return ' '.join(markup(v) for v in value)
    return markup(value or '')


def default_text(spec):
    if 'default' not in spec:
        return ''
    value = spec['default']
    if isinstance(value, (dict, list)):
        text = yaml.safe_dump(value, default_flow_style=True, width=10000).strip()
    elif isinstance(value, bool):
        text = 'true' if value else 'false'
    else:
        text = str(value)
    return '`%s`' % text.replace('|', '\\|') if text != '' else '`""`'


def rows(options, prefix=''):
    out = []
    for name in options:
        spec = options[name] or {}
        kind = spec.get('type', 'str')
        if spec.get('elements'):
            kind = '%s of %s' % (kind, spec['elements'])
        extra = []
        if spec.get('choices'):
            extra.append('choices: %s' % ', '.join('`%s`' % c for c in spec['choices']))
        if spec.get('required'):
            extra.append('**required**')
        if spec.get('no_log'):
            extra.append('secret (no_log)')
        text = describe(spec.get('description'))
        if extra:
            text += ' (%s)' % '; '.join(extra)
        out.append('| `%s%s` | %s | %s | %s |' % (prefix, name, kind, default_text(spec), text))
        if spec.get('options'):
            out.extend(rows(spec['options'], '%s%s.' % (prefix, name)))
    return out


def render(role_dir):
    with open(os.path.join(role_dir, 'meta', 'argument_specs.yml'), encoding='utf-8') as handle:
        specs = yaml.safe_load(handle)['argument_specs']
    parts = [BEGIN, '', '<!-- Generated from meta/argument_specs.yml by scripts/argspec_to_md.py: edit the spec, not this table. -->']
    for entry, spec in specs.items():
        parts.append('')
        parts.append('### Entry point `%s`: %s' % (entry, markup(spec.get('short_description', ''))))
        parts.append('')
        for para in spec.get('description') or []:
            parts.append(markup(para))
            parts.append('')
        parts.append('| Variable | Type | Default | Description |')
        parts.append('|---|---|---|---|')
        parts.extend(rows(spec.get('options') or {}))
    parts.extend(['', END])
    return '\n'.join(parts)


def update(role_dir, check):
    readme = os.path.join(role_dir, 'README.md')
    with open(readme, encoding='utf-8') as handle:
        text = handle.read()
    if BEGIN not in text or END not in text:
        raise SystemExit('%s: markers %s / %s missing' % (readme, BEGIN, END))
    head, rest = text.split(BEGIN, 1)
    _old, tail = rest.split(END, 1)
    new = head + render(role_dir) + tail
    if new == text:
        return True
    if check:
        print('%s is out of date: run %s %s' % (readme, sys.argv[0], role_dir))
        return False
    with open(readme, 'w', encoding='utf-8') as handle:
        handle.write(new)
    print('updated %s' % readme)
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--check', action='store_true', help='only check that the READMEs are up to date')
    parser.add_argument('roles', nargs='+', help='role directories')
    args = parser.parse_args()
    results = [update(role, args.check) for role in args.roles]  # every README, even after a stale one
    ok = all(results)
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
