# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Host statuses, dated policies and waivers: findings in, one verdict per host out.

The statuses, verdicts and severities are defined in ``vocabulary.py``.  The policy data lives
in ``catalog/policies/*.yml`` (schema in ``docs/policy.md``).  Fail closed: a host that could
not be checked is ``unknown``, never ``compliant``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import datetime
import fnmatch
import functools
import glob
import os
import re

from ansible_collections.fleetsec.banned_av.plugins.module_utils.catalog import BUILTIN_DIR, FINDING_CATEGORIES, load_yaml_file
from ansible_collections.fleetsec.banned_av.plugins.module_utils import vocabulary
from ansible_collections.fleetsec.banned_av.plugins.module_utils.vocabulary import (
    ACTION_VERDICT, CONFIDENCE, FAILING, FAILING_VERDICTS, POLICY_ACTIONS, REMEDIATION_OUTCOMES,
    SEVERITIES, SEVERITY_OF_STATUS, SEVERITY_RANK, STATUS_BY_VERDICT, STATUSES, VERDICT_RANK, WAIVABLE_VERDICTS)

# read from here by the report action (its fail_on default); STATUSES and FAILING too
DEFAULT_FAIL_ON = vocabulary.DEFAULT_FAIL_ON
WAIVER_FIELDS = ('id', 'hosts', 'groups', 'products', 'expires', 'owner', 'ticket', 'reason')


class PolicyError(ValueError):
    """Malformed policy or waiver data; the message names the item and the field."""


def parse_date(value, what):
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.datetime.strptime(str(value).strip(), '%Y-%m-%d').date()
    except (TypeError, ValueError):
        raise PolicyError("%s must be a date YYYY-MM-DD, got %r" % (what, value))


@functools.lru_cache(maxsize=1024)
def _validated_date(value):
    """A policy or waiver date, validated before any host was evaluated: parsed once, not per finding."""
    return parse_date(value, 'date')


def today_utc():
    return datetime.datetime.now(tz=_utc()).date()


def _utc():
    return datetime.timezone.utc


# --------------------------------------------------------------------------- policies

#: a jurisdiction code: a two-letter country code, then optional sector parts (``us-federal``)
JURISDICTION_RE = re.compile(r'^[a-z]{2}(-[a-z0-9]+)*$')
#: jurisdictions of a host whose ``banned_av_jurisdictions`` is not set
DEFAULT_JURISDICTIONS = ('us',)
POLICY_FIELDS = ('id', 'title', 'enforcement_date', 'grace_days', 'severity', 'action', 'covers', 'applies_to',
                 'confidence', 'milestones', 'notes', 'sources')
COVERS_FIELDS = ('categories', 'families', 'products')
APPLIES_TO_FIELDS = ('jurisdictions', 'groups')


def validate_policy(policy, where):
    if not isinstance(policy, dict):
        raise PolicyError("%s: must be a mapping" % where)
    unknown = sorted(set(policy) - set(POLICY_FIELDS))
    if unknown:
        label = "policy %r (%s)" % (policy['id'], where) if isinstance(policy.get('id'), str) else where
        raise PolicyError("%s: unknown field '%s'" % (label, unknown[0]))
    if not isinstance(policy.get('id'), str) or not policy['id']:
        raise PolicyError("%s: field 'id' is required" % where)
    where = "policy %r (%s)" % (policy['id'], where)
    out = dict(policy)
    out['enforcement_date'] = parse_date(policy.get('enforcement_date'), "%s: field 'enforcement_date'" % where).isoformat()
    grace = policy.get('grace_days', 0)
    if not isinstance(grace, int) or isinstance(grace, bool) or grace < 0:
        raise PolicyError("%s: field 'grace_days' must be a whole number of days >= 0, got %r" % (where, grace))
    out['grace_days'] = grace
    out['severity'] = _choice(policy, 'severity', 'high', SEVERITIES, where)
    out['action'] = _choice(policy, 'action', 'enforce', POLICY_ACTIONS, where)
    out['confidence'] = _choice(policy, 'confidence', None, CONFIDENCE, where)
    out['covers'] = _validate_covers(policy.get('covers'), where)
    if 'applies_to' in policy:
        out['applies_to'] = _validate_applies_to(policy['applies_to'], where)
    out['milestones'] = _validate_milestones(policy.get('milestones'), where)
    out['title'] = policy.get('title') or policy['id']
    out['sources'] = list(policy.get('sources') or [])
    return out


def _choice(policy, field, default, allowed, where):
    value = policy.get(field, default)
    if value is not None and value not in allowed:
        raise PolicyError("%s: field '%s' must be one of %s, got %r" % (where, field, ', '.join(allowed), value))
    return value


def _str_list(value, field, where):
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise PolicyError("%s: field '%s' must be a list of non-empty strings" % (where, field))
    return list(value)


def _validate_covers(covers, where):
    if not isinstance(covers, dict) or not covers.get('categories'):
        raise PolicyError("%s: field 'covers.categories' is required" % where)
    unknown = sorted(set(covers) - set(COVERS_FIELDS))
    if unknown:
        raise PolicyError("%s: unknown field 'covers.%s'; allowed: %s" % (where, unknown[0], ', '.join(COVERS_FIELDS)))
    out = dict((key, _str_list(covers[key], 'covers.' + key, where)) for key in COVERS_FIELDS if covers.get(key) is not None)
    bad = [c for c in out['categories'] if c not in FINDING_CATEGORIES]
    if bad:
        raise PolicyError("%s: field 'covers.categories' has %r; allowed: %s" % (where, bad[0], ', '.join(FINDING_CATEGORIES)))
    return out


def _validate_applies_to(applies_to, where):
    unknown = sorted(set(applies_to) - set(APPLIES_TO_FIELDS)) if isinstance(applies_to, dict) else []
    if unknown:
        raise PolicyError("%s: unknown field 'applies_to.%s'; allowed: %s" % (where, unknown[0], ', '.join(APPLIES_TO_FIELDS)))
    if not isinstance(applies_to, dict) or not any(applies_to.get(k) for k in APPLIES_TO_FIELDS):
        raise PolicyError("%s: field 'applies_to' must name 'jurisdictions' and/or 'groups' (leave it out to apply "
                          "the policy to every host)" % where)
    out = dict((key, _str_list(applies_to[key], 'applies_to.' + key, where)) for key in APPLIES_TO_FIELDS if key in applies_to)
    for code in out.get('jurisdictions', []):
        if not JURISDICTION_RE.match(code):
            raise PolicyError("%s: field 'applies_to.jurisdictions' has %r: a jurisdiction code is a lower-case two-letter "
                              "country code with optional '-sector' parts, such as 'us' or 'us-federal'" % (where, code))
    return out


def _validate_milestones(milestones, where):
    if milestones is None:
        return []
    if not isinstance(milestones, list):
        raise PolicyError("%s: field 'milestones' must be a list of {date, event}" % where)
    out = []
    for i, milestone in enumerate(milestones):
        field = "milestones[%d]" % i
        if not isinstance(milestone, dict) or not isinstance(milestone.get('event'), str):
            raise PolicyError("%s: field '%s' must be a mapping {date, event}" % (where, field))
        date = parse_date(milestone.get('date'), "%s: field '%s.date'" % (where, field))
        out.append(dict(milestone, date=date.isoformat()))
    return out


def load_policies(extra_files=None, overrides=None, base=BUILTIN_DIR):
    """Built-in policies, then user files, then inline overrides (merged field by field by id).

    Returns ``(version, [policy, ...])``.
    """
    merged = {}
    order = []
    version = ''
    paths = sorted(glob.glob(os.path.join(base, 'policies', '*.yml')))
    for path in list(paths) + list(extra_files or []):
        if not os.path.isfile(path):
            raise PolicyError("policy file %s does not exist" % path)
        doc = load_yaml_file(path, PolicyError, 'policy')
        if not isinstance(doc, dict) or not isinstance(doc.get('policies'), list):
            raise PolicyError("%s: field 'policies' must be a list" % path)
        if path in paths:
            version = max(version, str(doc.get('version', '')))
        for i, raw in enumerate(doc['policies']):
            _merge_policy(merged, order, raw, '%s, policies[%d]' % (path, i))
    for i, raw in enumerate(overrides or []):
        _merge_policy(merged, order, raw, 'banned_av_policies[%d]' % i)
    policies = [validate_policy(merged[i], 'merged') for i in order]
    if extra_files or overrides:
        version += '+site'
    return version, policies


def _merge_policy(merged, order, raw, where):
    if not isinstance(raw, dict) or not isinstance(raw.get('id'), str):
        raise PolicyError("%s: field 'id' is required" % where)
    if raw['id'] in merged:
        base = copy.deepcopy(merged[raw['id']])
        base.update(raw)
        raw = base
    else:
        order.append(raw['id'])
    merged[raw['id']] = validate_policy(raw, where)


def load_context(as_of=None, policy_files=None, overrides=None, waivers=None):
    """The evaluation context both the reports and remediation use.

    Returns ``(as_of date, policy version, policies, validated waivers)``; ``as_of`` defaults to
    today (UTC).
    """
    as_of = parse_date(as_of, 'as_of') if as_of else today_utc()
    version, policies = load_policies(policy_files, overrides)
    return as_of, version, policies, validate_waivers(waivers)


# --------------------------------------------------------------------------- scope

def _with_countries(codes):
    """Every code and the codes it implies: ``us-federal`` is also ``us``."""
    out = set()
    for code in codes:
        parts = code.split('-')
        out.update('-'.join(parts[:n]) for n in range(1, len(parts) + 1))
    return out


def validate_jurisdictions(value, policies, where='banned_av_jurisdictions'):
    """A host's jurisdiction codes (``banned_av_jurisdictions``), checked; None gives ``['us']``.

    A country code only needs the right form; a sector code (``us-federal``) must be one that a
    loaded policy applies to, so that a typo cannot quietly drop a host out of its policies.
    """
    if value is None:
        return list(DEFAULT_JURISDICTIONS)
    if not isinstance(value, (list, tuple)):
        raise PolicyError("%s must be a list of jurisdiction codes such as ['us'], got %r" % (where, value))
    if not value:
        raise PolicyError("%s must name at least one jurisdiction (leave it unset for ['us'])" % where)
    known = _with_countries(code for p in policies for code in (p.get('applies_to') or {}).get('jurisdictions', ()))
    out = []
    for i, code in enumerate(value):
        if not isinstance(code, str) or not JURISDICTION_RE.match(code):
            raise PolicyError("%s[%d]: %r is not a jurisdiction code: use a lower-case two-letter country code with "
                              "optional '-sector' parts, such as 'us' or 'us-federal'" % (where, i, code))
        if '-' in code and code not in known:
            raise PolicyError("%s[%d]: unknown jurisdiction %r: no policy applies to it (known sector codes: %s)" % (
                where, i, code, ', '.join(sorted(k for k in known if '-' in k)) or 'none'))
        if code not in out:
            out.append(code)
    return out


def applicable_policies(policies, jurisdictions, host_groups=()):
    """The policies that apply to a host: those without ``applies_to``, and those naming one of
    its jurisdictions (a sector code brings its country) or matching one of its groups."""
    codes = _with_countries(jurisdictions)
    out = []
    for policy in policies:
        scope = policy.get('applies_to')
        if scope is None or codes.intersection(scope.get('jurisdictions', ())) or any(
                fnmatch.fnmatchcase(group, pattern) for pattern in scope.get('groups', ()) for group in host_groups):
            out.append(policy)
    return out


def _covers(policy, finding):
    covers = policy['covers']
    return (finding.get('category') in covers['categories']
            and (not covers.get('families') or finding.get('family') in covers['families'])
            and (not covers.get('products') or finding.get('id') in covers['products']
                 # an unlisted product (``kaspersky.other:<slug>``) is covered where its catch-all is
                 or finding.get('catalog_id') in covers['products']))


# --------------------------------------------------------------------------- waivers

def validate_waivers(waivers):
    """Validate ``banned_av_waivers``; raise PolicyError naming the waiver and the field."""
    if waivers is None:
        return []
    if not isinstance(waivers, list):
        raise PolicyError("banned_av_waivers must be a list of waivers")
    out = []
    for i, waiver in enumerate(waivers):
        label = 'waiver #%d' % i
        if isinstance(waiver, dict) and (waiver.get('id') or waiver.get('ticket')):
            label = 'waiver %r' % (waiver.get('id') or waiver.get('ticket'))
        where = '%s (banned_av_waivers[%d])' % (label, i)
        if not isinstance(waiver, dict):
            raise PolicyError("%s: must be a mapping" % where)
        unknown = sorted(set(waiver) - set(WAIVER_FIELDS))
        if unknown:
            raise PolicyError("%s: unknown field '%s'" % (where, unknown[0]))
        if not waiver.get('hosts') and not waiver.get('groups'):
            raise PolicyError("%s: field 'hosts' (or 'groups') is required: which hosts does it waive?" % where)
        for key in ('hosts', 'groups', 'products'):
            value = waiver.get(key)
            if value is not None and (not isinstance(value, list) or not all(isinstance(v, str) and v for v in value)):
                raise PolicyError("%s: field '%s' must be a list of non-empty strings" % (where, key))
        for key in ('owner', 'ticket', 'reason'):
            if not isinstance(waiver.get(key), str) or not waiver[key].strip():
                raise PolicyError("%s: field '%s' is required" % (where, key))
        if 'expires' not in waiver:
            raise PolicyError("%s: field 'expires' is required" % where)
        expires = parse_date(waiver['expires'], "%s: field 'expires'" % where)
        item = dict(waiver)
        item['expires'] = expires.isoformat()
        item['id'] = waiver.get('id') or waiver['ticket']
        out.append(item)
    return out


def waiver_for(waivers, host, host_groups, product_id):
    for waiver in waivers:
        host_ok = any(fnmatch.fnmatchcase(host, p) for p in waiver.get('hosts') or [])
        group_ok = any(fnmatch.fnmatchcase(g, p) for p in waiver.get('groups') or [] for g in host_groups)
        if not (host_ok or group_ok):
            continue
        if waiver.get('products') and not any(fnmatch.fnmatchcase(product_id, p) for p in waiver['products']):
            continue
        return waiver
    return None


# --------------------------------------------------------------------------- evaluation

def _severity_max(values):
    ranked = [v for v in values if v in SEVERITY_RANK]
    return min(ranked, key=SEVERITY_RANK.get) if ranked else None


def policy_outcome(policy, as_of):
    """What one policy says about an installed product it covers, on ``as_of``."""
    effective = _validated_date(policy['enforcement_date']) + datetime.timedelta(days=policy['grace_days'])
    days_left = None
    if policy['action'] == 'info':
        verdict = 'info'
    elif as_of < effective:
        verdict = 'warning'
        if policy['action'] == 'enforce':
            days_left = (effective - as_of).days
    else:
        verdict = ACTION_VERDICT[policy['action']]
    return {'id': policy['id'], 'verdict': verdict, 'action': policy['action'], 'severity': policy['severity'],
            'effective_date': effective.isoformat(), 'days_left': days_left}


def _strictness(outcome):
    """Sort key, strictest first: the verdict, then a coming deadline before a warn-only policy,
    then the severity, the earlier date and the id (so the order of the policy list never matters)."""
    return (VERDICT_RANK[outcome['verdict']], outcome['days_left'] is None, SEVERITY_RANK[outcome['severity']],
            outcome['effective_date'], outcome['id'])


def _note(outcome):
    """One policy's outcome in a reason line."""
    if outcome['verdict'] == 'violation':
        return '%s: violation since %s' % (outcome['id'], outcome['effective_date'])
    if outcome['days_left'] is not None:
        return '%s: takes effect on %s (%d days left)' % (outcome['id'], outcome['effective_date'], outcome['days_left'])
    if outcome['verdict'] == 'warning':
        return '%s: warning only, from %s' % (outcome['id'], outcome['effective_date'])
    return '%s: for information' % outcome['id']


def _decided_reason(label, outcome, as_of):
    if outcome['verdict'] == 'violation':
        return '%s present after %s (%s)' % (label, outcome['effective_date'], outcome['id'])
    if outcome['days_left'] is not None:
        return '%s present; %s takes effect on %s (%d days left)' % (label, outcome['id'], outcome['effective_date'], outcome['days_left'])
    since = 'since' if as_of >= _validated_date(outcome['effective_date']) else 'from'
    if outcome['verdict'] == 'warning':
        return '%s present; %s is set to warn %s %s' % (label, outcome['id'], since, outcome['effective_date'])
    return '%s present; %s names it for information (%s %s), not as a violation' % (label, outcome['id'], since, outcome['effective_date'])


class _Host(object):
    """What the verdict of each finding depends on, for one host."""

    def __init__(self, name, host_groups, jurisdictions, policies, all_policies, waivers, as_of):
        self.name = name
        self.host_groups = host_groups
        self.jurisdictions = jurisdictions
        self.policies = policies
        self.all_policies = all_policies
        self.waivers = waivers
        self.as_of = as_of

    def scope(self):
        text = 'jurisdictions %s' % ', '.join(self.jurisdictions)
        return text + ('; groups %s' % ', '.join(self.host_groups) if self.host_groups else '')


def _label(finding):
    label = ('%s: %s %s' % (finding['id'], finding['product'], finding.get('version') or '')).strip()
    if finding.get('signatures_date'):
        label += ', signatures from %s' % finding['signatures_date']
    return label


def judge_finding(raw, host):
    """One finding's verdict under every policy that applies to the host and covers it.

    Returns ``(finding, reason, severity, days_left, waiver)``; the finding gains ``verdict``,
    ``policy`` (the deciding policy's id, or None) and ``policies`` (each applicable policy's
    outcome, strictest first).
    """
    finding = dict(raw)
    finding.pop('removal', None)
    label = _label(finding)
    outcomes = sorted((policy_outcome(p, host.as_of) for p in host.policies if _covers(p, finding)), key=_strictness)
    finding['policies'] = outcomes
    finding['policy'] = outcomes[0]['id'] if outcomes else None
    if not finding.get('installed'):
        finding['verdict'] = 'residue'
        kinds = ', '.join(sorted(set(e['kind'] for e in finding.get('evidence', []))))
        return finding, '%s: residue only (%s)' % (finding['id'], kinds), None, None, None
    if not outcomes:
        return _uncovered(finding, label, host)
    decided = outcomes[0]
    others = '; also ' + ', '.join(_note(o) for o in outcomes[1:]) if len(outcomes) > 1 else ''
    waiver = None
    if decided['verdict'] in WAIVABLE_VERDICTS:
        waiver = waiver_for(host.waivers, host.name, host.host_groups, finding['id'])
    if waiver is not None:
        return _waived(finding, label, outcomes, waiver, host.as_of)
    finding['verdict'] = decided['verdict']
    severity = decided['severity'] if decided['verdict'] == 'violation' else None
    pending = [o['days_left'] for o in outcomes if o['days_left'] is not None]
    days_left = min(pending) if pending and decided['verdict'] == 'warning' else None
    return finding, _decided_reason(label, decided, host.as_of) + others, severity, days_left, None


def _waived(finding, label, outcomes, waiver, as_of):
    under = '; under ' + ', '.join(_note(o) for o in outcomes)
    record = dict(waiver, expired=_validated_date(waiver['expires']) < as_of)
    if record['expired']:
        finding['verdict'] = 'waiver_expired'
        reason = '%s present; waiver %s (owner %s) expired on %s' % (label, waiver['id'], waiver['owner'], waiver['expires'])
        return finding, reason + under, outcomes[0]['severity'], None, record
    finding['verdict'] = 'waived'
    reason = '%s present; waived by %s (owner %s) until %s: %s' % (label, waiver['id'], waiver['owner'], waiver['expires'], waiver['reason'])
    return finding, reason + under, None, None, record


def _uncovered(finding, label, host):
    """An installed product that no policy of this host covers."""
    elsewhere = [p for p in host.all_policies if _covers(p, finding)]
    if elsewhere:
        finding['verdict'] = 'info'
        mine = ', '.join(p['id'] for p in host.policies) or 'none'
        return finding, '%s present; no policy for this host covers it (%s; policies %s); covered elsewhere by %s' % (
            label, host.scope(), mine, ', '.join(p['id'] for p in elsewhere)), None, None, None
    if finding['category'] == 'unapproved_successor':
        finding['verdict'] = 'warning'
        return finding, '%s present; no policy covers %s' % (label, finding['category']), None, None, None
    # a catalogued banned/oem product that no policy anywhere covers is still banned: fail closed
    finding['verdict'] = 'violation'
    return finding, '%s present; catalogued as %s and no policy gives it a date' % (label, finding['category']), 'high', None, None


def _status(verdicts):
    for verdict, status in STATUS_BY_VERDICT:
        if verdict in verdicts:
            return status
    return 'compliant'


def _not_judged(record, reason):
    """A host that could not be judged: unknown, high severity (fail closed)."""
    record['reasons'].append(reason)
    record['severity'] = 'high'
    return record


def evaluate_host(name, facts, policies, waivers, as_of, host_groups=(), state=None, remediation=None, jurisdictions=None):
    """Evaluate one host.

    ``facts`` is the host's ``ansible_facts.banned_av`` or None; ``state`` may say
    ``{'unreachable': True, 'msg': ...}`` or ``{'failed': True, 'msg': ...}``; ``remediation`` is
    the remediate role's record (``{'outcome': ..., ...}``) when the host went through it;
    ``jurisdictions`` is the host's ``banned_av_jurisdictions`` (None: ``['us']``).
    Returns the host record used by every report.
    """
    state = state or {}
    host_groups = list(host_groups or ())
    record = {'name': name, 'status': 'unknown', 'severity': None, 'reasons': [], 'findings': [], 'protection': [],
              'waiver': None, 'remediation': remediation, 'platform': None, 'collected_at': None, 'days_left': None,
              'errors': [], 'warnings': [], 'jurisdictions': [], 'policies': []}
    try:
        codes = validate_jurisdictions(jurisdictions, policies)
    except PolicyError as exc:
        return _not_judged(record, str(exc))
    host = _Host(name, host_groups, codes, applicable_policies(policies, codes, host_groups), policies, waivers, as_of)
    record.update(jurisdictions=codes, policies=[p['id'] for p in host.policies])
    if state.get('unreachable'):
        return _not_judged(record, 'unreachable: %s' % (state.get('msg') or 'no connection'))
    if state.get('failed'):
        # never judge older (for example fact-cached) results when this run's detection failed
        return _not_judged(record, 'detection failed: %s' % (state.get('msg') or 'unknown error'))
    if not facts:
        return _not_judged(record, 'no detection data for this host (not reached by the play, or the audit did not run on it)')

    record.update(platform=facts.get('platform'), collected_at=facts.get('collected_at'),
                  protection=facts.get('protection') or [], errors=facts.get('errors') or [],
                  warnings=facts.get('warnings') or [])
    severities = []
    days_left = []
    for raw in facts.get('findings') or []:
        finding, reason, severity, days, waiver = judge_finding(raw, host)
        record['findings'].append(finding)
        record['reasons'].append(reason)
        severities.append(severity)
        days_left.append(days)
        if waiver is not None:
            record['waiver'] = waiver
    verdicts = [f['verdict'] for f in record['findings']]
    status = _status(verdicts)
    if status == 'compliant' and record['errors']:
        status = 'unknown'
        severities.append('high')
        record['reasons'].append('detection incomplete: %s' % '; '.join('%s: %s' % (e.get('source'), e.get('message')) for e in record['errors']))
    if record['errors'] and status != 'unknown':
        record['reasons'].append('some sources failed: %s' % ', '.join(e.get('source', '?') for e in record['errors']))
    status = _after_remediation(record, status, verdicts, severities)
    if status == 'compliant':
        record['reasons'].append(_compliant_reason(record, host, verdicts))
    record['status'] = status
    record['severity'] = _severity_max(severities)
    pending = [d for d in days_left if d is not None]
    record['days_left'] = min(pending) if pending else None
    return record


def _after_remediation(record, status, verdicts, severities):
    """The remediate role's outcome replaces the audit status (a claimed success with banned
    products still installed is ``degraded``)."""
    remediation = record['remediation']
    if not remediation or remediation.get('outcome') not in REMEDIATION_OUTCOMES:
        return status
    outcome = remediation['outcome']
    if outcome == 'remediated' and any(v in FAILING_VERDICTS for v in verdicts):
        outcome = 'degraded'
        record['reasons'].append('remediation reported success but banned products are still installed')
    record['reasons'].extend(remediation.get('reasons') or [])
    if SEVERITY_OF_STATUS.get(outcome):
        severities.append(SEVERITY_OF_STATUS[outcome])
    return outcome


def _compliant_reason(record, host, verdicts):
    protected = any(p.get('active') for p in record['protection'])
    if 'info' in verdicts:
        text = 'no product banned for this host (%s) is installed' % host.scope()
        return text if protected else text + '; no active anti-virus protection was detected'
    return 'no banned products found' if protected else 'no banned products; no active anti-virus protection was detected'


def summarize(hosts):
    by_status = dict((s, 0) for s in STATUSES)
    for host in hosts:
        by_status[host['status']] = by_status.get(host['status'], 0) + 1
    return {
        'hosts': len(hosts),
        'by_status': by_status,
        'findings': sum(len(h['findings']) for h in hosts),
        'violations': sum(1 for h in hosts for f in h['findings'] if f.get('verdict') in FAILING_VERDICTS),
        'failing': sum(1 for h in hosts if h['status'] in FAILING),
    }
