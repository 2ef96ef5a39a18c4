# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Windows Installer removal: exit codes, the result of one ``win_package`` run, credentials.

One table (:data:`EXIT_CODES`) maps every ``msiexec /x`` exit code the remediation tells apart
to what it does next; :func:`attempt_result` reads the result ``ansible.windows.win_package``
registered (the role never lets ``win_package`` fail the play by itself) and decides from it.
Exit codes: https://learn.microsoft.com/en-us/windows/win32/msi/error-codes.

The uninstall credentials become msiexec properties here (:func:`secret_arguments`), and
:data:`LOG_SCRUB` says how to remove them from a verbose MSI log.  Nothing in a result of this
module carries a secret: a ``win_package`` message can (its "unexpected rc from '<command
line>'" names the properties), so it is never copied from a step that carried a credential.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

#: what the remediation does after an exit code (``result``):
#: removed - next product; absent - nothing was installed, next product; retry - wait, try again;
#: blocked - stop: the products after this one stay (the Network Agent is never removed first)
RESULTS = ('removed', 'absent', 'retry', 'blocked')

# Every exit code the role tells apart: (result, reboot, Windows Installer name, what it means).
EXIT_CODES = {
    0: ('removed', False, 'ERROR_SUCCESS', 'uninstalled'),
    3010: ('removed', True, 'ERROR_SUCCESS_REBOOT_REQUIRED', 'uninstalled; a reboot is required to finish'),
    1641: ('removed', True, 'ERROR_SUCCESS_REBOOT_INITIATED', 'uninstalled; Windows Installer asked for a reboot'),
    1605: ('absent', False, 'ERROR_UNKNOWN_PRODUCT', 'the product is not installed for this machine'),
    1614: ('absent', False, 'ERROR_PRODUCT_UNINSTALLED', 'the product is already uninstalled'),
    1618: ('retry', False, 'ERROR_INSTALL_ALREADY_RUNNING', 'another installation is in progress'),
    1603: ('blocked', False, 'ERROR_INSTALL_FAILURE',
           'fatal error during the uninstall: typically a wrong or missing uninstall password (KLLOGIN/KLPASSWD, '
           'KLUNINSTPASSWD) or Kaspersky self-defence / a Kaspersky Security Center policy protecting the product'),
    1612: ('blocked', False, 'ERROR_INSTALL_SOURCE_ABSENT',
           'the installation source is not available: the cached package of the product (C:\\Windows\\Installer) '
           'is missing; restore it, or remove the product with the Kaspersky Security Center uninstall task'),
    1601: ('blocked', False, 'ERROR_INSTALL_SERVICE_FAILURE', 'the Windows Installer service could not be accessed'),
    1602: ('blocked', False, 'ERROR_INSTALL_USEREXIT', 'the uninstall was cancelled'),
    1619: ('blocked', False, 'ERROR_INSTALL_PACKAGE_OPEN_FAILED', 'the installation package could not be opened'),
    1620: ('blocked', False, 'ERROR_INSTALL_PACKAGE_INVALID', 'the installation package is not valid'),
    1622: ('blocked', False, 'ERROR_INSTALL_LOG_FAILURE', 'the MSI log file could not be opened (remediate_windows_log_dir)'),
    1625: ('blocked', False, 'ERROR_INSTALL_PACKAGE_REJECTED', 'the uninstall is forbidden by system policy'),
    1639: ('blocked', False, 'ERROR_INVALID_COMMAND_LINE', 'msiexec rejected its command line'),
}

#: the exit codes ``win_package`` must not fail on: all of the table (the role decides)
EXPECTED_RETURN_CODES = sorted(EXIT_CODES)

#: the property names that carry an uninstall credential
SECRET_PROPERTIES = ('KLLOGIN', 'KLPASSWD', 'KLUNINSTPASSWD')

_PROPERTY_NAME = re.compile(r'^[A-Z][A-Z0-9_]*$')


def msi_result(rc, log_path=None):
    """What one ``msiexec /x`` exit code means for the remediation.

    Returns ``{rc, result, reboot_required, code_name, reason}``; ``result`` is one of
    :data:`RESULTS`.  A code the table does not know (or no code at all) is ``blocked``: the
    products after it are not touched.
    """
    try:
        rc = int(rc)
    except (TypeError, ValueError):
        rc = None
    result, reboot, name, meaning = EXIT_CODES.get(rc, ('blocked', False, None, 'the uninstall failed'))
    reason = '%s (msiexec exit %s%s)' % (meaning, rc if rc is not None else 'unknown', ', %s' % name if name else '')
    if result == 'retry':
        reason += '; retried with back-off'
    if result == 'blocked' and log_path:
        reason += '; MSI log: %s' % log_path
    return {'rc': rc, 'result': result, 'reboot_required': reboot, 'code_name': name, 'reason': reason}


def attempt_result(registered, step):
    """The result of one ``win_package state=absent`` run, from what the task registered.

    ``registered`` is the task's result (``rc``, ``changed``, ``failed``, ``reboot_required``,
    ``msg``; the task runs with ``ignore_errors``); ``step`` the plan's step (``product_code``,
    ``log_path``, ``credential``).  ``win_package`` runs no msiexec when Windows Installer does
    not list the ProductCode as installed for the machine: that is ``absent``, like 1605 (a
    per-user product never gets here: the plan leaves it for manual removal).
    """
    registered = registered or {}
    log_path = step.get('log_path')
    rc = _int(registered.get('rc'))
    if registered.get('skipped'):
        return dict(msi_result(None, log_path), reason='the uninstall did not run (skipped)')
    if rc is None or (registered.get('failed') and rc == 0):
        # the module failed before msiexec returned (win_package sets rc 0 before it starts it)
        detail = 'details withheld: the task carried an uninstall credential' if step.get('credential') else \
            _one_line(registered.get('msg') or 'no message')
        return dict(msi_result(None, log_path), reason='win_package failed before msiexec returned an exit code (%s)' % detail)
    if not registered.get('changed') and rc == 0:
        return {'rc': None, 'result': 'absent', 'reboot_required': False, 'code_name': None,
                'reason': 'Windows Installer does not list %s as installed for this machine: nothing to uninstall'
                          % step.get('product_code')}
    out = msi_result(registered.get('rc'), log_path)
    out['reboot_required'] = bool(out['reboot_required'] or registered.get('reboot_required'))
    return out


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _one_line(text):
    return ' '.join(str(text).split())[:300]


def retry_delays(attempts, base=30, factor=2, cap=600):
    """Seconds to wait before each retry of an uninstall that got 1618 (exponential back-off)."""
    attempts = max(1, int(attempts))
    return [int(min(cap, base * factor ** i)) for i in range(attempts - 1)]


# --------------------------------------------------------------------------- credentials

def encode_kluninstpasswd(password):
    """Network Agent uninstall password as msiexec wants it: UTF-16LE bytes as hex.

    Every character becomes its UTF-16LE code unit(s) as hex digits, i.e. for ASCII two hex
    digits followed by ``00``: ``'P@ss'`` -> ``'5000400073007300'``.  Upper-case hex, like the
    community scripts that use this property (jl-oclinux/SecWinBatchMode
    ``Modules/SWMB/LocalMachine-Uninstall.psm1``, joshuafelixp/uninstall-script-kaspersky).
    """
    if password is None:
        raise ValueError('no password to encode')
    if not isinstance(password, str):
        password = str(password)
    return password.encode('utf-16-le').hex().upper()


def msi_property(name, value):
    """``NAME="value"`` with embedded double quotes doubled, as msiexec parses properties."""
    if not _PROPERTY_NAME.match(name or ''):
        raise ValueError('invalid MSI property name %r' % name)
    return '%s="%s"' % (name, str(value).replace('"', '""'))


def secret_arguments(credential, kes_login=None, kes_password=None, network_agent_password=None):
    """The msiexec property string carrying a product's uninstall credential.

    ``credential`` comes from the catalogue (``removal.credential``): ``kes`` (KES, KSWS, KEA:
    ``KLLOGIN``/``KLPASSWD``), ``network_agent`` (``KLUNINSTPASSWD``, UTF-16LE hex) or none.
    Returns '' when no credential applies or none was supplied.  Never log the result.
    """
    if credential == 'kes' and kes_password:
        return ' '.join([msi_property('KLLOGIN', kes_login or 'KLAdmin'), msi_property('KLPASSWD', kes_password)])
    if credential == 'network_agent' and network_agent_password:
        return 'KLUNINSTPASSWD=%s' % encode_kluninstpasswd(network_agent_password)
    return ''


# --------------------------------------------------------------------------- the MSI log

def _scrub_patterns():
    names = '|'.join(SECRET_PROPERTIES)
    value = r'(?:"(?:[^"]|"")*"|\S+)'
    return [
        # whole-line forms first: their value may hold spaces
        # "Property(S): KLPASSWD = value" (the property dump at the end of a verbose log)
        (r'\b(Property\([A-Z]\): (?:%s)) = .*' % names, r'$1 = <removed>'),
        # "PROPERTY CHANGE: Adding KLPASSWD property. Its value is 'value'."
        (r"(Adding (?:%s) property\. Its value is ').*('\.)" % names, r'$1<removed>$2'),
        (r"(Modifying (?:%s) property\. Its current value is ').*('\. Its new value: ').*('\.)" % names,
         r'$1<removed>$2<removed>$3'),
        # the command line Windows Installer logs ("******* Command Line: '... KLPASSWD="..." ...'")
        # and any other NAME=value pair
        (r'\b(%s)\s*=\s*%s' % (names, value), r'$1=<removed>'),
    ]


#: ``[(pattern, replacement)]`` that remove the credential properties from a verbose MSI log
#: (https://learn.microsoft.com/en-us/windows/win32/msi/windows-installer-logging; a package lists
#: the properties it hides from the log in MsiHiddenProperties, which Kaspersky's may not do).
#: The patterns use only constructs .NET and Python read alike; the replacements are .NET's
#: (``$1``): the role applies them on the host with ``[regex]::Replace``, case-insensitively.
LOG_SCRUB = _scrub_patterns()


def scrub_log_text(text):
    """What the role's scrub does to a log, in Python (``$n`` read as ``\\n``): for tests."""
    for pattern, replacement in LOG_SCRUB:
        text = re.sub(pattern, re.sub(r'\$(\d)', r'\\\1', replacement), text, flags=re.IGNORECASE)
    return text
