# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the remediate role did on one host, computed from the results its tasks registered.

The role keeps one record, ``run``, and after each step hands this module the step's
registered results (through the ``fleetsec.banned_av.remediation_run`` filter); each function
returns the updated record and never changes the one it was given.  ``remediation.decide_outcome``
reads the record at the end.  Fields:

``ensure_ok``, ``ensure_reasons``, ``deferred``   the replacement before the removal
``actions``         what was done, in order, one line each
``failed``          ``[{id, step, msg}]``: steps that failed (a failure stops the products after it)
``warnings``        steps that failed without touching the banned product (clean-up)
``blocked``         reasons the removal was not started (safety checks before it)
``msi``             ``[{id, product_code, rc, result, reason, log_path}]``: one per msiexec step
``changed_banned``  something of a banned product was removed
``reboot_required``, ``rebooted``, ``stop``, ``started_at``, ``check_mode``

No secret enters the record: a message is taken only from steps that carry none.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.fleetsec.banned_av.plugins.module_utils import msi

MSG_LIMIT = 600


def start(started_at=None, check_mode=False):
    """A new record."""
    return {'check_mode': bool(check_mode), 'started_at': started_at, 'ensure_ok': False, 'ensure_reasons': [],
            'deferred': False, 'actions': [], 'failed': [], 'warnings': [], 'blocked': [], 'msi': [],
            'changed_banned': False, 'reboot_required': False, 'rebooted': False, 'stop': False}


def _copy(run):
    out = start()
    out.update(copy.deepcopy(dict(run or {})))
    return out


def _results(registered):
    """The per-item results of a looped task (none when the task was skipped)."""
    if not isinstance(registered, dict) or registered.get('skipped'):
        return []
    return [r for r in registered.get('results') or [] if isinstance(r, dict) and not r.get('skipped')]


def _item(result):
    return result.get(result.get('ansible_loop_var') or 'item')


def _changed(registered):
    return isinstance(registered, dict) and not registered.get('skipped') and bool(registered.get('changed'))


def _message(result):
    text = ''
    if isinstance(result, dict):
        text = result.get('msg') or result.get('stderr') or result.get('module_stderr') or ''
    text = ' '.join(str(text).split()) or 'failed'
    return text if len(text) <= MSG_LIMIT else text[:MSG_LIMIT - 3] + '...'


# --------------------------------------------------------------------------- the replacement

def replacement(run, phase, health):
    """After ``alternative_av`` ran (``phase`` ensure or finalize) with its ``alternative_av_health``.

    At ``ensure`` the removal may start when the replacement is healthy, or when its deployment
    waits for the banned product to be gone and everything it needs is there (``deferred`` and
    ``deferred_ready``: Defender on a server that passive mode does not support)."""
    run = _copy(run)
    health = health or {}
    healthy = bool(health.get('healthy'))
    if phase == 'ensure':
        deferred = bool(health.get('deferred')) and bool(health.get('deferred_ready'))
        run['ensure_ok'] = healthy or deferred
        run['deferred'] = deferred and not healthy
        run['ensure_reasons'] = list(health.get('reasons') or []) if not run['ensure_ok'] else []
    state = 'healthy' if healthy else 'deployed after the removal' if phase == 'ensure' and run['deferred'] else 'NOT healthy'
    run['actions'].append('%s: replacement %s %s, %s' % (phase, health.get('product') or '?', state,
                                                         'active' if health.get('active') else 'not active'))
    return run


# --------------------------------------------------------------------------- Linux

def linux_product(run, product, units=None, packages=(), modules=None, paths=None, groups=None):
    """One Linux product of the plan: its registered unit, package, kernel-module, path and group tasks."""
    run = _copy(run)
    done = []
    stopped = [_item(r) for r in _results(units) if r.get('changed')]
    if stopped:
        done.append('stopped and disabled %s' % ', '.join(stopped))
    removed = any(_changed(p) for p in packages or ())
    if removed and product.get('package'):
        done.append(product['package'].get('describe') or 'packages removed')
    left = [_item(r) for r in _results(modules) if r.get('failed')]
    unloaded = [_item(r) for r in _results(modules) if not r.get('failed')]
    if unloaded:
        done.append('unloaded %s' % ', '.join(unloaded))
    if left:
        done.append('kernel modules still loaded until reboot: %s' % ', '.join(left))
    deleted = [_item(r) for r in _results(paths) if r.get('changed')]
    if deleted:
        done.append('deleted %s' % ', '.join(deleted))
    gone = [_item(r) for r in _results(groups) if r.get('changed')]
    if gone:
        done.append('deleted groups %s' % ', '.join(gone))
    run['changed_banned'] = run['changed_banned'] or removed
    run['reboot_required'] = run['reboot_required'] or bool(left)
    run['actions'].append('%s: %s' % (product.get('id'), '; '.join(done) or 'nothing left to do'))
    return run


def deleted_paths(run, registered, what='deleted'):
    """A looped file task (vendor directories, leftovers, launchd items)."""
    run = _copy(run)
    deleted = [_item(r) for r in _results(registered) if r.get('changed')]
    if deleted:
        run['actions'].append('%s %s' % (what, ', '.join(str(d) for d in deleted)))
    return run


# --------------------------------------------------------------------------- Windows

def msi_step(run, step, outcome, attempts=1):
    """One msiexec step after its last attempt: ``outcome`` is ``msi.attempt_result`` of it."""
    run = _copy(run)
    outcome = outcome or msi.msi_result(None, step.get('log_path'))
    reason = outcome.get('reason')
    if outcome.get('result') == 'retry':
        reason = 'another installation was still in progress after %d attempt(s) (msiexec exit 1618)' % attempts
    run['msi'].append({'id': step.get('id'), 'product_code': step.get('product_code'), 'rc': outcome.get('rc'),
                       'result': outcome.get('result'), 'reason': reason, 'log_path': step.get('log_path')})
    run['actions'].append('%s %s: %s' % (step.get('id'), step.get('product_code'), reason))
    run['changed_banned'] = run['changed_banned'] or outcome.get('result') == 'removed'
    run['reboot_required'] = run['reboot_required'] or bool(outcome.get('reboot_required'))
    if outcome.get('result') in ('blocked', 'retry'):
        run['failed'].append({'id': step.get('id'), 'step': 'msiexec /x %s' % step.get('product_code'), 'msg': reason})
        run['stop'] = True
    return run


def msi_log(run, step, registered):
    """What became of a verbose MSI log that could hold the credential properties."""
    run = _copy(run)
    path = step.get('log_path')
    out = {}
    if isinstance(registered, dict) and not registered.get('failed') and registered.get('output'):
        out = registered['output'][0] or {}
    if out.get('removed'):
        run['actions'].append('deleted the MSI log %s (it could not be scrubbed)' % path)
    elif not out or out.get('error'):
        run['warnings'].append('the MSI log %s could not be scrubbed or deleted: delete it, it may hold the uninstall '
                               'credential' % path)
    elif out.get('present') and out.get('scrubbed'):
        run['actions'].append('removed the credential properties from the MSI log %s (%d place(s))' % (path, out['scrubbed']))
    return run


def security_center(run, registered):
    """The Security Center clean-up (cosmetic: a failure is a warning, it stops nothing)."""
    run = _copy(run)
    if not isinstance(registered, dict) or registered.get('skipped'):
        return run
    if registered.get('failed'):
        run['warnings'].append('removing stale Security Center entries failed: %s' % _message(registered))
    elif registered.get('output'):
        run['actions'].append('removed stale Security Center entries: %s' % ', '.join(str(o) for o in registered['output']))
    return run


def drivers(run, names):
    """Kaspersky kernel drivers that unload at the next reboot."""
    run = _copy(run)
    if names:
        run['reboot_required'] = True
        run['actions'].append('kernel drivers %s unload at the next reboot' % ', '.join(names))
    return run


def blocked(run, reasons, warnings=()):
    """The safety checks before the removal: any reason stops it before it starts."""
    run = _copy(run)
    run['blocked'].extend(r for r in reasons or () if r not in run['blocked'])
    run['warnings'].extend(w for w in warnings or () if w not in run['warnings'])
    if run['blocked']:
        run['stop'] = True
    return run


# --------------------------------------------------------------------------- macOS

def darwin(run, scripts=None, paths=None, receipts=None):
    run = _copy(run)
    ran = [_item(r).get('path') for r in _results(scripts) if r.get('changed') and isinstance(_item(r), dict)]
    run['changed_banned'] = run['changed_banned'] or bool(ran)
    run['actions'].extend('ran %s' % p for p in ran)
    run = deleted_paths(run, paths)
    forgot = [_item(r) for r in _results(receipts) if r.get('changed')]
    if forgot:
        run['actions'].append('forgot receipts %s' % ', '.join(forgot))
    return run


# --------------------------------------------------------------------------- any step

def failure(run, where, task_name=None, result=None, secret=False):
    """A step failed (the role's ``rescue``): recorded, and the products after it are not touched.

    ``secret``: the step carried a credential; its message is not kept."""
    run = _copy(run)
    msg = 'details withheld: the step carried an uninstall credential' if secret else _message(result)
    run['failed'].append({'id': where, 'step': task_name or 'a task', 'msg': msg})
    run['stop'] = True
    return run


def cosmetic_failure(run, what, result=None):
    """A clean-up step failed: a warning; nothing after it is skipped."""
    run = _copy(run)
    run['warnings'].append('%s failed: %s' % (what, _message(result)))
    return run


def reboot(run, allowed, registered=None):
    run = _copy(run)
    done = bool(allowed) and isinstance(registered, dict) and not registered.get('skipped') and not registered.get('failed')
    run['rebooted'] = run['rebooted'] or done
    if done:
        run['actions'].append('rebooted')
    elif allowed:
        run['warnings'].append('the reboot failed: %s' % _message(registered))
    else:
        run['actions'].append('reboot needed, not done: banned_av_reboot_allowed is false')
    return run


EVENTS = {
    'replacement': replacement,
    'linux_product': linux_product,
    'deleted_paths': deleted_paths,
    'msi_step': msi_step,
    'msi_log': msi_log,
    'security_center': security_center,
    'drivers': drivers,
    'blocked': blocked,
    'darwin': darwin,
    'failure': failure,
    'cosmetic_failure': cosmetic_failure,
    'reboot': reboot,
}


def update(run, event, *args, **kwargs):
    """``EVENTS[event](run, ...)``; ``start`` makes a new record."""
    if event == 'start':
        return start(*args, **kwargs)
    if event not in EVENTS:
        raise ValueError('unknown remediation run event %r; expected one of start, %s' % (event, ', '.join(sorted(EVENTS))))
    return EVENTS[event](run, *args, **kwargs)
