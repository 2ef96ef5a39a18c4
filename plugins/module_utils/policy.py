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

from ansible_collections.fleetsec.banned_av.plugins.module_utils.catalog import BUILTIN_DIR, FINDING_CATEGORIES, load_yaml_file
# STATUSES, FAILING and DEFAULT_FAIL_ON are read from here by the actions and the reports
from ansible_collections.fleetsec.banned_av.plugins.module_utils.vocabulary import (
    DEFAULT_FAIL_ON, FAILING, FAILING_VERDICTS, POLICY_ACTIONS, REMEDIATION_OUTCOMES, SEVERITIES, SEVERITY_OF_STATUS,
    SEVERITY_RANK, STATUSES)

ACTIONS = POLICY_ACTIONS[:2]
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

def validate_policy(policy, where):
    if not isinstance(policy, dict):
        raise PolicyError("%s: must be a mapping" % where)
    known = {'id', 'title', 'enforcement_date', 'grace_days', 'severity', 'action', 'covers', 'milestones', 'notes', 'sources'}
    unknown = sorted(set(policy) - known)
    if unknown:
        raise PolicyError("%s: unknown field '%s'" % (where, unknown[0]))
    if not isinstance(policy.get('id'), str) or not policy['id']:
        raise PolicyError("%s: field 'id' is required" % where)
    where = "policy %r (%s)" % (policy['id'], where)
    out = dict(policy)
    out['enforcement_date'] = parse_date(policy.get('enforcement_date'), "%s: field 'enforcement_date'" % where).isoformat()
    grace = policy.get('grace_days', 0)
    if not isinstance(grace, int) or isinstance(grace, bool) or grace < 0:
        raise PolicyError("%s: field 'grace_days' must be a whole number of days >= 0, got %r" % (where, grace))
    out['grace_days'] = grace
    out['severity'] = policy.get('severity', 'high')
    if out['severity'] not in SEVERITIES:
        raise PolicyError("%s: field 'severity' must be one of %s" % (where, ', '.join(SEVERITIES)))
    out['action'] = policy.get('action', 'enforce')
    if out['action'] not in ACTIONS:
        raise PolicyError("%s: field 'action' must be one of %s, got %r" % (where, ', '.join(ACTIONS), out['action']))
    covers = policy.get('covers')
    if not isinstance(covers, dict) or not covers.get('categories'):
        raise PolicyError("%s: field 'covers.categories' is required" % where)
    for key in ('categories', 'families', 'products'):
        value = covers.get(key)
        if value is not None and (not isinstance(value, list) or not all(isinstance(v, str) for v in value)):
            raise PolicyError("%s: field 'covers.%s' must be a list of strings" % (where, key))
    bad = [c for c in covers['categories'] if c not in FINDING_CATEGORIES]
    if bad:
        raise PolicyError("%s: field 'covers.categories' has %r; allowed: %s" % (where, bad[0], ', '.join(FINDING_CATEGORIES)))
    out['title'] = policy.get('title') or policy['id']
    out['sources'] = list(policy.get('sources') or [])
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


def covering(policies, finding):
    for policy in policies:
        covers = policy['covers']
        if finding.get('category') not in covers['categories']:
            continue
        if covers.get('families') and finding.get('family') not in covers['families']:
            continue
        if covers.get('products') and finding.get('id') not in covers['products']:
            continue
        return policy
    return None


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


def evaluate_host(name, facts, policies, waivers, as_of, host_groups=(), state=None, remediation=None):
    """Evaluate one host.

    ``facts`` is the host's ``ansible_facts.banned_av`` or None; ``state`` may say
    ``{'unreachable': True, 'msg': ...}`` or ``{'failed': True, 'msg': ...}``; ``remediation`` is
    the remediate role's record (``{'outcome': ..., ...}``) when the host went through it.
    Returns the host record used by every report.
    """
    state = state or {}
    record = {'name': name, 'status': 'unknown', 'severity': None, 'reasons': [], 'findings': [], 'protection': [],
              'waiver': None, 'remediation': remediation, 'platform': None, 'collected_at': None, 'days_left': None,
              'errors': []}
    if state.get('unreachable'):
        record['reasons'].append('unreachable: %s' % (state.get('msg') or 'no connection'))
        record['severity'] = 'high'
        return record
    if state.get('failed'):
        # never judge older (for example fact-cached) results when this run's detection failed
        record['reasons'].append('detection failed: %s' % (state.get('msg') or 'unknown error'))
        record['severity'] = 'high'
        return record
    if not facts:
        record['reasons'].append('no detection data for this host (not reached by the play, or the audit did not run on it)')
        record['severity'] = 'high'
        return record

    record.update(platform=facts.get('platform'), collected_at=facts.get('collected_at'),
                  protection=facts.get('protection') or [], errors=facts.get('errors') or [])
    verdicts = []
    severities = []
    days_left = []
    for raw in facts.get('findings') or []:
        finding = dict(raw)
        finding.pop('removal', None)
        policy = covering(policies, finding)
        finding['policy'] = policy['id'] if policy else None
        label = '%s: %s %s' % (finding['id'], finding['product'], finding.get('version') or '')
        label = label.strip()
        if finding.get('signatures_date'):
            label += ', signatures from %s' % finding['signatures_date']
        if not finding.get('installed'):
            finding['verdict'] = 'residue'
            record['reasons'].append('%s: residue only (%s)' % (finding['id'], ', '.join(sorted(set(e['kind'] for e in finding.get('evidence', []))))))
        elif policy is None:
            # a catalogued banned/oem product without a policy is still banned: fail closed
            if finding['category'] == 'unapproved_successor':
                finding['verdict'] = 'warning'
                record['reasons'].append('%s present; no policy covers %s' % (label, finding['category']))
            else:
                finding['verdict'] = 'violation'
                severities.append('high')
                record['reasons'].append('%s present; catalogued as %s and no policy gives it a date' % (label, finding['category']))
        else:
            effective = _validated_date(policy['enforcement_date']) + datetime.timedelta(days=policy['grace_days'])
            waiver = waiver_for(waivers, name, host_groups, finding['id'])
            if waiver is not None:
                expired = _validated_date(waiver['expires']) < as_of
                record['waiver'] = dict(waiver, expired=expired)
                if expired:
                    finding['verdict'] = 'waiver_expired'
                    severities.append(policy['severity'])
                    record['reasons'].append('%s present; waiver %s (owner %s) expired on %s' % (label, waiver['id'], waiver['owner'], waiver['expires']))
                else:
                    finding['verdict'] = 'waived'
                    record['reasons'].append('%s present; waived by %s (owner %s) until %s: %s' % (
                        label, waiver['id'], waiver['owner'], waiver['expires'], waiver['reason']))
            elif as_of < effective:
                finding['verdict'] = 'warning'
                days_left.append((effective - as_of).days)
                record['reasons'].append('%s present; %s takes effect on %s (%d days left)' % (
                    label, policy['id'], effective.isoformat(), (effective - as_of).days))
            elif policy['action'] == 'warn':
                finding['verdict'] = 'warning'
                record['reasons'].append('%s present; %s is set to warn since %s' % (label, policy['id'], effective.isoformat()))
            else:
                finding['verdict'] = 'violation'
                severities.append(policy['severity'])
                record['reasons'].append('%s present after %s (%s)' % (label, effective.isoformat(), policy['id']))
        verdicts.append(finding['verdict'])
        record['findings'].append(finding)

    if 'violation' in verdicts:
        status = 'noncompliant'
    elif 'waiver_expired' in verdicts:
        status = 'waiver_expired'
    elif 'warning' in verdicts:
        status = 'warning'
    elif 'waived' in verdicts:
        status = 'waived'
    else:
        status = 'compliant'
    if status == 'compliant' and record['errors']:
        status = 'unknown'
        severities.append('high')
        record['reasons'].append('detection incomplete: %s' % '; '.join('%s: %s' % (e.get('source'), e.get('message')) for e in record['errors']))
    if record['errors'] and status != 'unknown':
        record['reasons'].append('some sources failed: %s' % ', '.join(e.get('source', '?') for e in record['errors']))

    if remediation and remediation.get('outcome') in REMEDIATION_OUTCOMES:
        outcome = remediation['outcome']
        if outcome == 'remediated' and any(v in FAILING_VERDICTS for v in verdicts):
            outcome = 'degraded'
            record['reasons'].append('remediation reported success but banned products are still installed')
        record['reasons'].extend(remediation.get('reasons') or [])
        status = outcome
        if SEVERITY_OF_STATUS.get(outcome):
            severities.append(SEVERITY_OF_STATUS[outcome])

    if status == 'compliant':
        if not any(p.get('active') for p in record['protection']):
            record['reasons'].append('no banned products; no active anti-virus protection was detected')
        else:
            record['reasons'].append('no banned products found')
    record['status'] = status
    record['severity'] = _severity_max(severities)
    record['days_left'] = min(days_left) if days_left else None
    return record


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
