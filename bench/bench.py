# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark of fleetsec.banned_av: audit cost against the ping floor and the naive way.

Normally started by ``bench/run.sh`` (which sets up the toolchain first); see
``docs/performance.md``.  Sub-commands:

  run      everything: containers, fleet timings, collector target-side time, report scaling,
           table, JSON, plot; containers are removed at the end, whatever happens
  report   only the compliance_report scaling (no containers needed)
  cleanup  remove the containers of one run (``--run-id``), or of every bench run
  report-one, plot   internal helpers (one report size in its own process; redraw the plot)
  merge-one          report_merge on slices of a synthetic fleet, one size in this process (timings, peak memory)

What is measured (each over ``--reps`` repetitions, min/median/max wall time):

  ping    ``ansible all -m ansible.builtin.ping``: the floor, one module per host
  audit   ``ansible-playbook fleetsec.banned_av.audit`` (all six report formats)
  naive   ``bench/naive.yml``: gather_facts + package_facts + a Jinja match + one CSV
  target  one collector run inside a container, timed there (no Ansible transport)
  report  ``policy.evaluate_host`` + ``build_report`` + ``write_reports`` on synthetic
          results for 1k/10k/100k hosts, each size in a fresh process (time, peak memory)
"""

from __future__ import absolute_import, division, print_function

import argparse
import concurrent.futures
import copy
import datetime
import json
import math
import os
import platform
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RESULTS = os.environ.get('BENCH_RESULTS') or os.path.join(HERE, 'results')
FIXTURES = os.path.join(HERE, 'fixtures')

LABEL = 'org.fleetsec.banned-av.bench'
RECIPE_LABEL = 'org.fleetsec.banned-av.bench-recipe'
# Bump when an image recipe below changes: images with another label value are rebuilt.
IMAGE_RECIPE = '1'
BASE_IMAGE = os.environ.get('BANNED_AV_IMAGE', 'localhost/banned-av-debian12:latest')
BENCH_IMAGE = 'localhost/banned-av-bench-base:latest'
KESL_IMAGE = 'localhost/banned-av-bench-kesl:latest'
BIGDB_IMAGE = 'localhost/banned-av-bench-bigdb:latest'
BIGDB_PACKAGES = 1500
PREFIX = 'bav-bench'

GOALS = {'audit_vs_ping': 1.3, 'audit_vs_naive': 0.5, 'report_100k_s': 10.0}


def log(msg):
    sys.stderr.write('[bench] %s\n' % msg)
    sys.stderr.flush()


def sh(argv, check=True, capture=True, input_data=None, env=None, timeout=None):
    proc = subprocess.run(argv, input=input_data, env=env, timeout=timeout, universal_newlines=True, check=False,
                          stdout=subprocess.PIPE if capture else None, stderr=subprocess.PIPE if capture else None)
    if check and proc.returncode != 0:
        raise RuntimeError('command failed (rc %s): %s\n%s%s' % (proc.returncode, ' '.join(argv),
                                                                 proc.stdout or '', proc.stderr or ''))
    return proc


def stats(values):
    values = list(values)
    return {'runs': [round(v, 4) for v in values], 'min': round(min(values), 4),
            'median': round(statistics.median(values), 4), 'max': round(max(values), 4)}


def collection_path():
    """The collections root (ANSIBLE_COLLECTIONS_PATH) that holds the synced copy of the repo."""
    for path in (os.environ.get('ANSIBLE_COLLECTIONS_PATH') or '').split(os.pathsep):
        if path and os.path.isdir(os.path.join(path, 'ansible_collections', 'fleetsec', 'banned_av')):
            return path
    raise SystemExit('fleetsec.banned_av is not installed in ANSIBLE_COLLECTIONS_PATH: '
                     'run bench/run.sh (or source scripts/env.sh and scripts/bootstrap.sh)')


def import_collection():
    path = collection_path()
    if path not in sys.path:
        sys.path.insert(0, path)


# =========================================================================== images

def image_recipe(image):
    proc = sh(['podman', 'image', 'inspect', '--format', '{{ index .Config.Labels "%s" }}' % RECIPE_LABEL, image],
              check=False)
    return proc.stdout.strip() if proc.returncode == 0 else None


def commit(container, image):
    sh(['podman', 'commit', '-q', '--change', 'CMD ["/sbin/init"]', '--change', 'STOPSIGNAL SIGRTMIN+3',
        '--change', 'LABEL %s=%s' % (RECIPE_LABEL, IMAGE_RECIPE), container, image])


def build_images(force=False):
    """Derived images, built once and reused while IMAGE_RECIPE is unchanged.

    base:  the Molecule image plus python3-apt (package_facts needs it on Debian; a Debian
           server nearly always has it).  apt lists are removed again, which keeps package_facts
           (apt.Cache) as cheap as it can be: the naive way is measured at its best.
    kesl:  base plus the fake kesl, kesl-gui and klnagent64 packages (tests/fixtures/packages),
           installed with systemd running, so the units are enabled and the daemons start at boot.
    bigdb: base plus synthesized dpkg status stanzas, about BIGDB_PACKAGES packages in all.
    """
    timings = {}
    if force or image_recipe(BENCH_IMAGE) != IMAGE_RECIPE:
        start = time.time()
        log('image: building %s (apt-get install python3-apt, about a minute)' % BENCH_IMAGE)
        name = '%s-build-base-%d' % (PREFIX, os.getpid())
        sh(['podman', 'rm', '-f', name], check=False)
        try:
            sh(['podman', 'run', '--name', name, '--label', '%s=build' % LABEL, BASE_IMAGE, 'sh', '-c',
                'set -e; export DEBIAN_FRONTEND=noninteractive; apt-get -q update >/dev/null; '
                'apt-get -q install -y --no-install-recommends python3-apt >/dev/null; '
                'apt-get clean; rm -rf /var/lib/apt/lists/*; : > /etc/machine-id'])
            commit(name, BENCH_IMAGE)
        finally:
            sh(['podman', 'rm', '-f', name], check=False)
        timings['base'] = round(time.time() - start, 1)
    if force or image_recipe(KESL_IMAGE) != IMAGE_RECIPE:
        start = time.time()
        log('image: building %s (fake Kaspersky packages)' % KESL_IMAGE)
        name = '%s-build-kesl-%d' % (PREFIX, os.getpid())
        debs = tempfile.mkdtemp(prefix='bav-bench-debs-')
        sh(['podman', 'rm', '-f', name], check=False)
        try:
            sh([os.path.join(ROOT, 'tests', 'support', 'build_fake_debs.sh'), debs])
            sh(['podman', 'run', '-d', '--name', name, '--label', '%s=build' % LABEL, '--network', 'none',
                '--systemd=always', '-v', '%s:/tmp/debs:ro' % debs, BENCH_IMAGE, '/sbin/init'])
            wait_systemd(name)
            sh(['podman', 'exec', name, 'sh', '-c',
                'set -e; cd /tmp/debs; dpkg -i kesl_*.deb kesl-gui_*.deb klnagent64_*.deb >/dev/null; '
                'systemctl is-enabled kesl.service klnagent64.service >/dev/null'])
            sh(['podman', 'stop', '-t', '10', name], check=False)
            commit(name, KESL_IMAGE)
        finally:
            sh(['podman', 'rm', '-f', name], check=False)
            shutil.rmtree(debs, ignore_errors=True)
        timings['kesl'] = round(time.time() - start, 1)
    if force or image_recipe(BIGDB_IMAGE) != IMAGE_RECIPE:
        start = time.time()
        log('image: building %s (dpkg database of about %d packages)' % (BIGDB_IMAGE, BIGDB_PACKAGES))
        name = '%s-build-bigdb-%d' % (PREFIX, os.getpid())
        work = tempfile.mkdtemp(prefix='bav-bench-bigdb-')
        sh(['podman', 'rm', '-f', name], check=False)
        try:
            have = int(sh(['podman', 'run', '--rm', '--network', 'none', BENCH_IMAGE, 'sh', '-c',
                           "dpkg-query -W -f='${Package}\\n' | wc -l"]).stdout.strip())
            with open(os.path.join(work, 'extra.status'), 'w') as handle:
                handle.write(synth_dpkg_status(max(0, BIGDB_PACKAGES - have)))
            sh(['podman', 'run', '--name', name, '--label', '%s=build' % LABEL, '--network', 'none',
                '-v', '%s:/tmp/bench:ro' % work, BENCH_IMAGE, 'sh', '-c',
                'set -e; cat /tmp/bench/extra.status >> /var/lib/dpkg/status; dpkg-query -W >/dev/null'])
            commit(name, BIGDB_IMAGE)
        finally:
            sh(['podman', 'rm', '-f', name], check=False)
            shutil.rmtree(work, ignore_errors=True)
        timings['bigdb'] = round(time.time() - start, 1)
    return timings


# Name parts for synthesized packages: the names look like Debian's (lib*, python3-*, *-doc, ...)
# and none of them starts like a catalogued Kaspersky package.
_STEMS = ('acl', 'attr', 'bind', 'boost', 'cairo', 'curl', 'dbus', 'expat', 'ffi', 'fontconfig', 'gcc', 'gdk',
          'glib', 'gnutls', 'gtk', 'harfbuzz', 'icu', 'jpeg', 'lzma', 'mariadb', 'ncurses', 'nettle', 'nginx',
          'openssl', 'pango', 'perl', 'pixman', 'png', 'postgresql', 'qt', 'readline', 'ruby', 'sasl',
          'selinux', 'sqlite', 'ssh', 'tiff', 'udev', 'uuid', 'webp', 'x11', 'xml', 'xslt', 'yaml', 'zstd')
_SHAPES = ('lib%s%d', 'lib%s-dev%d', 'python3-%s%d', '%s-doc%d', '%s-utils%d', 'lib%s%d-data', '%s-common%d')


def synth_dpkg_status(count):
    """``count`` dpkg status stanzas of installed packages, shaped like real ones."""
    out = []
    for i in range(count):
        name = _SHAPES[i % len(_SHAPES)] % (_STEMS[(i // len(_SHAPES)) % len(_STEMS)], i // (len(_SHAPES) * len(_STEMS)) + 1)
        out.append(
            'Package: %s\nStatus: install ok installed\nPriority: optional\nSection: libs\n'
            'Installed-Size: %d\nMaintainer: Debian Bench Maintainers <bench@example.invalid>\n'
            'Architecture: amd64\nMulti-Arch: same\nSource: %s\nVersion: %d.%d.%d-%d+deb12u1\n'
            'Depends: libc6 (>= 2.34)\n'
            'Description: synthesized package %d for the fleetsec.banned_av benchmark\n'
            ' This stanza only exists in the dpkg database, to give the benchmark container a\n'
            ' package database of a real server\'s size. No files belong to it.\n .\n'
            ' It is never matched: no catalogued product has a name like it.\n\n'
            % (name, 100 + (i * 37) % 9000, name.split('-')[0], 1 + i % 9, i % 23, i % 7, 1 + i % 3, i))
    return ''.join(out)


# =========================================================================== containers

class Fleet:
    """N systemd containers: every 4th with the fake Kaspersky packages, one with a big dpkg db."""

    def __init__(self, run_id, hosts):
        self.run_id = run_id
        self.hosts = []
        for i in range(hosts):
            if i == 1:
                kind, image = 'bigdb', BIGDB_IMAGE
            elif i % 4 == 0:
                kind, image = 'kesl', KESL_IMAGE
            else:
                kind, image = 'clean', BENCH_IMAGE
            self.hosts.append({'name': '%s-%s-%03d' % (PREFIX, run_id, i), 'kind': kind, 'image': image})

    def layout(self, count=None):
        hosts = self.hosts[:count] if count else self.hosts
        out = {}
        for host in hosts:
            out[host['kind']] = out.get(host['kind'], 0) + 1
        return out

    def first(self, kind):
        return next(h['name'] for h in self.hosts if h['kind'] == kind)

    def start(self):
        start = time.time()
        raise_inotify_limit(len(self.hosts))
        log('containers: starting %d (%s)' % (len(self.hosts), ', '.join('%s %d' % kv for kv in sorted(self.layout().items()))))
        for host in self.hosts:
            sh(['podman', 'run', '-d', '--name', host['name'], '--label', '%s=%s' % (LABEL, self.run_id),
                '--network', 'none', '--systemd=always', host['image'], '/sbin/init'])
        pool = concurrent.futures.ThreadPoolExecutor(4)
        try:
            for future in [pool.submit(wait_systemd, h['name']) for h in self.hosts]:
                future.result()
        except BaseException:
            STOP.append(True)
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown()
        elapsed = time.time() - start
        log('containers: %d up in %.1fs' % (len(self.hosts), elapsed))
        return elapsed

    connection = 'containers.podman.podman'

    def inventory(self, path, count=None):
        hosts = self.hosts[:count] if count else self.hosts
        lines = ['# written by bench/bench.py', 'all:', '  vars:',
                 '    ansible_connection: %s' % self.connection,
                 '    ansible_python_interpreter: /usr/bin/python3',
                 '  hosts:']
        lines += ['    %s: {bench_kind: %s}' % (h['name'], h['kind']) for h in hosts]
        with open(path, 'w') as handle:
            handle.write('\n'.join(lines) + '\n')
        return path


STOP = []
INOTIFY = '/proc/sys/fs/inotify/max_user_instances'


def raise_inotify_limit(containers):
    """systemd in each container holds about 6 inotify instances, all counted against root.

    The kernel default of 128 instances per user lets only about 20 systemd containers boot;
    the next ones hang in 'initializing' with every job waiting.  Raise the limit (root only).
    """
    want = 128 + 8 * containers
    try:
        with open(INOTIFY) as handle:
            have = int(handle.read())
    except (IOError, OSError, ValueError):
        return
    if have >= want:
        return
    if os.geteuid() != 0:
        log('WARNING: %s is %d; %d containers need about %d (sysctl -w fs.inotify.max_user_instances=%d)'
            % (INOTIFY, have, containers, want, want))
        return
    log('containers: raising fs.inotify.max_user_instances from %d to %d (systemd in %d containers)' % (have, want, containers))
    with open(INOTIFY, 'w') as handle:
        handle.write('%d\n' % want)


def wait_systemd(name, timeout=180):
    """Wait until systemd in the container has finished booting: scripts/wait-systemd.sh, the
    bounded retry that scripts/bootstrap.sh uses too (its bus may not exist yet)."""
    if STOP:
        raise RuntimeError('interrupted')
    proc = sh([os.path.join(ROOT, 'scripts', 'wait-systemd.sh'), name, str(timeout)], check=False, timeout=timeout + 60)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip() or 'container %s: systemd did not come up' % name)
    return proc.stdout.strip()


def cleanup(run_id=None):
    """Remove the containers of one bench run (or of all bench runs): only ours, by label."""
    selector = '%s=%s' % (LABEL, run_id) if run_id else LABEL
    proc = sh(['podman', 'ps', '-a', '-q', '--filter', 'label=%s' % selector], check=False)
    ids = proc.stdout.split()
    if ids:
        log('cleanup: removing %d container(s)' % len(ids))
        sh(['podman', 'rm', '-f', '-t', '0'] + ids, check=False)
    return len(ids)


# =========================================================================== fleet timings

# The repository's test connection: containers.podman.podman with pipelining (one
# ``podman exec -i`` per module instead of five or six podman calls), the closest thing to SSH
# with pipelining that containers offer.  Used when it exists and --connection is not given.
PIPELINED_PLUGINS = os.path.join(ROOT, 'molecule', 'shared', 'connection_plugins')
CONNECTIONS = {'podman': 'containers.podman.podman', 'podman_pipelined': 'podman_pipelined'}


def ansible_env(forks, pipelining, extra=None):
    env = dict(os.environ)
    if os.path.isfile(os.path.join(PIPELINED_PLUGINS, 'podman_pipelined.py')):
        env['ANSIBLE_CONNECTION_PLUGINS'] = PIPELINED_PLUGINS
    env.update({
        'ANSIBLE_FORKS': str(forks),
        'ANSIBLE_PIPELINING': 'True' if pipelining else 'False',
        'ANSIBLE_HOST_KEY_CHECKING': 'False',
        'ANSIBLE_NOCOLOR': '1',
        'ANSIBLE_DEPRECATION_WARNINGS': 'False',
        'ANSIBLE_SYSTEM_WARNINGS': 'False',
        'ANSIBLE_RETRY_FILES_ENABLED': 'False',
    })
    env.pop('ANSIBLE_KEEP_REMOTE_FILES', None)
    env.pop('ANSIBLE_CALLBACKS_ENABLED', None)
    env.update(extra or {})
    return env


def commands(inventory, report_dir, naive_csv):
    return {
        'ping': ['ansible', 'all', '-i', inventory, '-m', 'ansible.builtin.ping'],
        'audit': ['ansible-playbook', '-i', inventory, 'fleetsec.banned_av.audit',
                  '-e', 'banned_av_report_dir=%s' % report_dir, '-e', 'banned_av_fail_on_violation=false'],
        'naive': ['ansible-playbook', '-i', inventory, os.path.join(HERE, 'naive.yml'),
                  '-e', 'bench_naive_report=%s' % naive_csv],
    }


CPU_LOG = []


def timed(argv, env, logfile):
    """Wall seconds of one run; its controller CPU seconds (ansible, its workers and the podman
    clients they start; not the processes inside the containers) go to CPU_LOG."""
    cpu0 = _children_cpu()
    start = time.perf_counter()
    with open(logfile, 'w') as out:
        proc = subprocess.run(argv, env=env, stdout=out, stderr=subprocess.STDOUT, check=False)
    elapsed = time.perf_counter() - start
    CPU_LOG.append(_children_cpu() - cpu0)
    if proc.returncode != 0:
        with open(logfile) as handle:
            tail = handle.read()[-3000:]
        raise RuntimeError('%s failed (rc %d), log %s:\n%s' % (' '.join(argv[:3]), proc.returncode, logfile, tail))
    return elapsed


_PROFILE_RE = re.compile(r'^(?P<task>\S.*?) -{2,} (?P<secs>\d+\.\d+)s$')


def profile(argv, env, logfile):
    """One extra run with profile_tasks: seconds per task (the first 20, slowest first)."""
    env = dict(env, ANSIBLE_CALLBACKS_ENABLED='ansible.posix.profile_tasks', PROFILE_TASKS_TASK_OUTPUT_LIMIT='40')
    total = timed(argv, env, logfile)
    tasks = []
    with open(logfile) as handle:
        for line in handle:
            match = _PROFILE_RE.match(line.rstrip())
            if match:
                tasks.append([match.group('task').strip(), float(match.group('secs'))])
    return {'total_s': round(total, 3), 'tasks': tasks}


def fleet_bench(fleet, count, reps, forks, pipelining, workdir):
    """ping / audit / naive over the first ``count`` hosts, interleaved, after one warm-up each."""
    inv = fleet.inventory(os.path.join(workdir, 'inventory-%d.yml' % count), count)
    report_dir = os.path.join(workdir, 'reports-%d' % count)
    cmds = commands(inv, report_dir, os.path.join(workdir, 'naive-%d.csv' % count))
    env = ansible_env(forks, pipelining)
    logs = os.path.join(workdir, 'logs')
    os.makedirs(logs, exist_ok=True)
    times = dict((k, []) for k in cmds)
    cpu = dict((k, []) for k in cmds)
    load = [os.getloadavg()[0]]
    log('fleet N=%d forks=%d pipelining=%s: warm-up' % (count, forks, pipelining))
    for key, argv in cmds.items():
        timed(argv, env, os.path.join(logs, 'N%d-%s-warmup.log' % (count, key)))
    for rep in range(reps):
        for key, argv in cmds.items():
            times[key].append(timed(argv, env, os.path.join(logs, 'N%d-%s-%d.log' % (count, key, rep))))
            cpu[key].append(CPU_LOG[-1])
        load.append(os.getloadavg()[0])
        log('fleet N=%d rep %d/%d: %s' % (count, rep + 1, reps, ', '.join('%s %.2fs' % (k, v[-1]) for k, v in times.items())))
    result = {'hosts': count, 'forks': forks, 'pipelining': pipelining, 'layout': fleet.layout(count),
              'connection': fleet.connection,
              # containers.podman.podman has no pipelining: ANSIBLE_PIPELINING has no effect there
              'pipelining_effective': pipelining and fleet.connection != 'containers.podman.podman',
              'loadavg_1min': [round(v, 2) for v in load]}
    for key, values in times.items():
        result[key] = stats(values)
        result[key]['controller_cpu'] = stats(cpu[key])
    result['ratios'] = {
        'audit_vs_ping': round(result['audit']['median'] / result['ping']['median'], 3),
        'audit_vs_naive': round(result['audit']['median'] / result['naive']['median'], 3),
        'naive_vs_ping': round(result['naive']['median'] / result['ping']['median'], 3),
        'controller_cpu_audit_vs_ping': round(result['audit']['controller_cpu']['median'] / result['ping']['controller_cpu']['median'], 3),
        'controller_cpu_audit_vs_naive': round(result['audit']['controller_cpu']['median'] / result['naive']['controller_cpu']['median'], 3),
    }
    result['per_host_s'] = dict((k, round(result[k]['median'] / count, 4)) for k in cmds)
    log('fleet N=%d: profiling one audit and one naive run (profile_tasks)' % count)
    result['profile'] = {
        'audit': profile(cmds['audit'], env, os.path.join(logs, 'N%d-audit-profile.log' % count)),
        'naive': profile(cmds['naive'], env, os.path.join(logs, 'N%d-naive-profile.log' % count)),
    }
    with open(os.path.join(report_dir, 'banned_av_report.json')) as handle:
        summary = json.load(handle)['summary']
    result['audit_summary'] = {'hosts': summary['hosts'], 'by_status': dict((k, v) for k, v in summary['by_status'].items() if v)}
    return result


# =========================================================================== explain

def explain_bench(fleet, count, reps, forks, pipelining, workdir):
    """Where the audit's extra time over the ping floor goes: variants, interleaved.

    ping          ansible -m ping (the floor)
    ping_play     the same as a one-task playbook: ansible-playbook's own cost
    av_facts      ansible -m fleetsec.banned_av.av_facts: the one module the audit needs per host
    audit         the audit playbook as shipped (av_facts plus the run-once tasks)
    """
    inv = fleet.inventory(os.path.join(workdir, 'inventory-%d.yml' % count), count)
    report_dir = os.path.join(workdir, 'explain-reports-%d' % count)
    exp = os.path.join(HERE, 'experiments')
    base = commands(inv, report_dir, os.path.join(workdir, 'naive-x.csv'))
    env = ansible_env(forks, pipelining)
    variants = [
        ('ping', base['ping'], env),
        ('ping_play', ['ansible-playbook', '-i', inv, os.path.join(exp, 'ping_play.yml')], env),
        ('av_facts', ['ansible', 'all', '-i', inv, '-m', 'fleetsec.banned_av.av_facts'], env),
        ('audit', base['audit'], env),
    ]
    logs = os.path.join(workdir, 'logs')
    os.makedirs(logs, exist_ok=True)
    times = dict((name, []) for name, _a, _e in variants)
    cpu = dict((name, []) for name, _a, _e in variants)
    for name, argv, venv in variants:
        timed(argv, venv, os.path.join(logs, 'explain-N%d-%s-warmup.log' % (count, name)))
    for rep in range(reps):
        for name, argv, venv in variants:
            times[name].append(timed(argv, venv, os.path.join(logs, 'explain-N%d-%s-%d.log' % (count, name, rep))))
            cpu[name].append(CPU_LOG[-1])
        log('explain N=%d rep %d/%d: %s' % (count, rep + 1, reps, ', '.join('%s %.2f' % (k, v[-1]) for k, v in times.items())))
    return against_ping({'hosts': count, 'forks': forks, 'pipelining': pipelining}, times, cpu)


def against_ping(out, times, cpu):
    """``out`` plus, per variant, the stats of its wall times and controller CPU and their
    medians' ratio to ping's."""
    ping, ping_cpu = statistics.median(times['ping']), statistics.median(cpu['ping'])
    for name, values in times.items():
        out[name] = stats(values)
        out[name]['vs_ping'] = round(statistics.median(values) / ping, 3)
        out[name]['controller_cpu'] = stats(cpu[name])
        out[name]['controller_cpu_vs_ping'] = round(statistics.median(cpu[name]) / ping_cpu, 3)
    return out


# =========================================================================== compare

def compare_bench(fleet, count, reps, forks, pipelining, versions, workdir):
    """Before and after a change, in one session: ``ansible -m ping`` and the audit of each code
    version (``versions``: ``[(name, collections root)]``) on the same containers, interleaved,
    the versions' order reversed every other repetition, after one warm-up each.  Separate runs
    of ``run`` differ by up to 0.1 in audit/ping on this machine; interleaving takes that out."""
    inv = fleet.inventory(os.path.join(workdir, 'inventory-compare-%d.yml' % count), count)
    cmds = commands(inv, os.path.join(workdir, 'compare-reports'), os.path.join(workdir, 'naive-compare.csv'))
    base = ansible_env(forks, pipelining)
    variants = [('ping', cmds['ping'], base)]
    # each version's root first, so that its fleetsec.banned_av is the one found; the other
    # collections (containers.podman for the connection) from the usual path after it
    others = base.get('ANSIBLE_COLLECTIONS_PATH', '')
    variants += [(name, cmds['audit'], dict(base, ANSIBLE_COLLECTIONS_PATH=os.pathsep.join(p for p in (root, others) if p)))
                 for name, root in versions]
    logs = os.path.join(workdir, 'logs')
    os.makedirs(logs, exist_ok=True)
    times = dict((name, []) for name, _a, _e in variants)
    cpu = dict((name, []) for name, _a, _e in variants)
    for name, argv, env in variants:
        timed(argv, env, os.path.join(logs, 'compare-%s-warmup.log' % name))
    for rep in range(reps):
        order = variants if rep % 2 == 0 else variants[:1] + variants[:0:-1]
        for name, argv, env in order:
            times[name].append(timed(argv, env, os.path.join(logs, 'compare-%s-%d.log' % (name, rep))))
            cpu[name].append(CPU_LOG[-1])
        log('compare N=%d rep %d/%d: %s (load %.1f)' % (count, rep + 1, reps, ', '.join(
            '%s %.2fs' % (name, values[-1]) for name, values in times.items()), os.getloadavg()[0]))
    out = against_ping({'hosts': count, 'forks': forks, 'pipelining': pipelining, 'layout': fleet.layout(count),
                        'versions': dict(versions), 'reps': reps}, times, cpu)
    first = versions[0][0]
    out['paired'] = dict((name, paired(times[first], times[name], times['ping'])) for name, _root in versions[1:])
    return out


def paired(base, other, ping, resamples=5000):
    """``other`` against ``base``, repetition by repetition (the two ran within seconds of each
    other): the median difference in seconds and in units of that repetition's ping, a 95 %
    bootstrap interval of the median (fixed seed: the same data gives the same interval), and in
    how many repetitions ``other`` was slower.  An interval that includes 0 is no evidence of a
    difference either way."""
    diffs = [b - a for a, b in zip(base, other)]
    ratios = [d / p for d, p in zip(diffs, ping)]
    rng = random.Random(17)
    medians = sorted(statistics.median(rng.choices(ratios, k=len(ratios))) for _sample in range(resamples))
    return {'median_s': round(statistics.median(diffs), 4), 'median_vs_ping': round(statistics.median(ratios), 4),
            'interval_vs_ping_95': [round(medians[int(resamples * 0.025)], 4), round(medians[int(resamples * 0.975) - 1], 4)],
            'slower': sum(1 for d in diffs if d > 0), 'reps': len(diffs)}


def compare_table(result):
    comp = result['compare']
    lines = ['', 'N=%d hosts (%s), forks %d, %d interleaved repetitions' % (
        comp['hosts'], ', '.join('%s %d' % kv for kv in sorted(comp['layout'].items())), comp['forks'], comp['reps']),
        '  %-12s %9s %9s %9s %9s %18s' % ('', 'min s', 'median s', 'max s', 'vs ping', 'controller CPU/ping')]
    for name in ['ping'] + list(comp['versions']):
        row = comp[name]
        values = (name, row['min'], row['median'], row['max'], row['vs_ping'], row['controller_cpu_vs_ping'])
        lines.append('  %-12s %9.2f %9.2f %9.2f %9.3f %18.3f' % values)
    for name, diff in sorted((comp.get('paired') or {}).items()):
        lines.append('  %s - %s, repetition by repetition: median %+.3f s, %+.3f x ping (95%% interval %+.3f to %+.3f), '
                     'slower in %d of %d' % (name, list(comp['versions'])[0], diff['median_s'], diff['median_vs_ping'],
                                             diff['interval_vs_ping_95'][0], diff['interval_vs_ping_95'][1],
                                             diff['slower'], diff['reps']))
    return '\n'.join(lines)


# =========================================================================== target side

TARGET_SCRIPT = r'''
import json, os, shutil, subprocess, sys, time
t0 = time.perf_counter()
sys.path.insert(0, '/tmp/bav_bench')
from ansible_collections.fleetsec.banned_av.plugins.module_utils import posix_collect
t_import = time.perf_counter() - t0
probe = json.load(open('/tmp/bav_bench/probe.json'))
cmd_times = {}
def run(argv, environ_update=None):
    env = dict(os.environ); env.update(environ_update or {})
    s = time.perf_counter()
    p = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = p.communicate()
    key = os.path.basename(argv[0])
    cmd_times[key] = cmd_times.get(key, 0.0) + time.perf_counter() - s
    return p.returncode, out.decode('utf-8', 'replace'), err.decode('utf-8', 'replace')
def which(name):
    return shutil.which(name, path=os.environ.get('PATH', '') + ':/usr/sbin:/sbin:/usr/local/bin:/usr/bin:/bin')
step_times = {}
for attr in dir(posix_collect.Collector):
    if attr.startswith('collect_'):
        def wrap(fn, attr=attr):
            def inner(self, *a, **k):
                s = time.perf_counter()
                try:
                    return fn(self, *a, **k)
                finally:
                    step_times[attr[8:]] = step_times.get(attr[8:], 0.0) + time.perf_counter() - s
            return inner
        setattr(posix_collect.Collector, attr, wrap(getattr(posix_collect.Collector, attr)))
reps = int(sys.argv[1])
times = []
for _rep in range(reps):
    s = time.perf_counter()
    inv = posix_collect.collect(probe, root='/', run=run, which=which)
    times.append(time.perf_counter() - s)
print(json.dumps({'import_s': t_import, 'collect_s': times,
                  'steps_s': dict((k, v / reps) for k, v in step_times.items()),
                  'commands_s': dict((k, v / reps) for k, v in cmd_times.items()),
                  'inventory': inv}))
'''

# Time one process start inside the container: date before and after, in nanoseconds.
_WALL = 'a=$(date +%s%N); "$@" >/dev/null 2>&1; rc=$?; b=$(date +%s%N); echo "$rc $(( (b - a) / 1000 ))"'


def in_container_wall(name, argv, reps):
    """Wall time (s) of running ``argv`` inside the container, measured inside it, ``reps`` times."""
    out = []
    for _rep in range(reps):
        proc = sh(['podman', 'exec', name, 'sh', '-c', _WALL, 'wall'] + argv)
        rc, micros = proc.stdout.split()
        if rc != '0':
            raise RuntimeError('%s in %s: rc %s' % (' '.join(argv), name, rc))
        out.append(int(micros) / 1e6)
    return out


def target_bench(fleet, reps, forks, workdir):
    """Target-side time of one collector run, measured inside the containers.

    1. the collector code alone (module_utils copied in, ``posix_collect.collect`` called in a
       loop; per-source and per-command breakdown), and the whole ``python3`` process;
    2. the real AnsiballZ payloads Ansible sends (kept with ANSIBLE_KEEP_REMOTE_FILES) of
       ping, av_collect_posix, and of the naive way's setup (gather_facts) and package_facts,
       each re-run inside the container: their size and target-side time.
    """
    import_collection()
    from ansible_collections.fleetsec.banned_av.plugins.module_utils import catalog as catalog_mod
    catalog = catalog_mod.load()
    probe = dict((p, catalog.probe(p)) for p in catalog_mod.PLATFORMS)
    stage = os.path.join(workdir, 'target')
    mu_src = os.path.join(collection_path(), 'ansible_collections', 'fleetsec', 'banned_av', 'plugins', 'module_utils')
    mu_dst = os.path.join(stage, 'ansible_collections', 'fleetsec', 'banned_av', 'plugins', 'module_utils')
    shutil.copytree(mu_src, mu_dst, ignore=shutil.ignore_patterns('__pycache__', '*.pyc', 'reports'))
    with open(os.path.join(stage, 'probe.json'), 'w') as handle:
        json.dump(probe, handle)
    with open(os.path.join(stage, 'collect.py'), 'w') as handle:
        handle.write(TARGET_SCRIPT)
    result = {'probe_bytes': len(json.dumps(probe)), 'probe_linux_bytes': len(json.dumps(probe['linux'])), 'hosts': {}}
    raw = {}
    for kind in ('clean', 'kesl', 'bigdb'):
        name = fleet.first(kind)
        sh(['podman', 'exec', name, 'rm', '-rf', '/tmp/bav_bench'])
        sh(['podman', 'cp', stage, '%s:/tmp/bav_bench' % name])
        proc = sh(['podman', 'exec', name, 'python3', '/tmp/bav_bench/collect.py', str(reps)])
        data = json.loads(proc.stdout)
        raw[kind] = data['inventory']
        process = in_container_wall(name, ['python3', '/tmp/bav_bench/collect.py', '1'], reps)
        packages = int(sh(['podman', 'exec', name, 'sh', '-c', "dpkg-query -W -f='${Package}\\n' | wc -l"]).stdout.strip())
        result['hosts'][kind] = {
            'container': name, 'dpkg_packages': packages,
            'collect': stats(data['collect_s']), 'import_s': round(data['import_s'], 4),
            'steps_s': dict((k, round(v, 4)) for k, v in sorted(data['steps_s'].items(), key=lambda kv: -kv[1])),
            'commands_s': dict((k, round(v, 4)) for k, v in data['commands_s'].items()),
            'python_process': stats(process),
            'inventory_bytes': len(json.dumps(data['inventory'])),
        }
        log('target %s (%d packages): collect median %.1f ms, python3 process %.1f ms' % (
            kind, packages, result['hosts'][kind]['collect']['median'] * 1000,
            result['hosts'][kind]['python_process']['median'] * 1000))
    for kind, inv in raw.items():
        with open(os.path.join(workdir, 'raw_inventory_%s.json' % kind), 'w') as handle:
            json.dump(inv, handle, indent=1, sort_keys=True)
    result['payloads'] = payload_bench(fleet, reps, forks, workdir)
    return result


def payload_bench(fleet, reps, forks, workdir):
    """Keep the AnsiballZ files Ansible sends and time them inside the container."""
    out = {}
    for kind in ('clean', 'bigdb'):
        name = fleet.first(kind)
        inv = os.path.join(workdir, 'inventory-one-%s.yml' % kind)
        with open(inv, 'w') as handle:
            # the plain podman connection: the AnsiballZ files must be copied in to be kept
            handle.write('all:\n  vars:\n    ansible_connection: containers.podman.podman\n'
                         '    ansible_python_interpreter: /usr/bin/python3\n  hosts:\n    %s: {}\n' % name)
        sh(['podman', 'exec', name, 'rm', '-rf', '/root/.ansible/tmp'])
        env = ansible_env(forks, True, {'ANSIBLE_KEEP_REMOTE_FILES': '1'})
        logs = os.path.join(workdir, 'logs')
        os.makedirs(logs, exist_ok=True)
        for argv in (['ansible', 'all', '-i', inv, '-m', 'ansible.builtin.ping'],
                     ['ansible', 'all', '-i', inv, '-m', 'fleetsec.banned_av.av_facts'],
                     ['ansible', 'all', '-i', inv, '-m', 'ansible.builtin.setup'],
                     ['ansible', 'all', '-i', inv, '-m', 'ansible.builtin.package_facts']):
            timed(argv, env, os.path.join(logs, 'payload-%s-%s.log' % (kind, argv[-1].rsplit('.', maxsplit=1)[-1])))
        listing = sh(['podman', 'exec', name, 'sh', '-c',
                      'for f in /root/.ansible/tmp/ansible-tmp-*/AnsiballZ_*.py; do echo "$(stat -c %s "$f") $f"; done']).stdout
        entry = {}
        for line in listing.split('\n'):
            if not line.strip():
                continue
            size, path = line.split(' ', 1)
            module = os.path.basename(path)[len('AnsiballZ_'):-3]
            times = in_container_wall(name, ['/usr/bin/python3', path], reps)
            entry[module] = {'payload_bytes': int(size), 'target_s': stats(times)}
        sh(['podman', 'exec', name, 'rm', '-rf', '/root/.ansible/tmp'])
        out[kind] = entry
        shown = ['%s %d B %.0f ms' % (m, v['payload_bytes'], v['target_s']['median'] * 1000) for m, v in sorted(entry.items())]
        log('payloads on %s: %s' % (kind, ', '.join(shown)))
    return out


# =========================================================================== report scaling

def synth_records(size, seed_dir=FIXTURES):
    """``size`` hosts' ``ansible_facts.banned_av`` plus host state, from real raw inventories.

    The raw inventories in bench/fixtures/ were collected from the bench containers (kesl: the
    fake kesl, kesl-gui and klnagent64 packages; clean: nothing banned).  They are matched once
    with the real matcher (``av_facts.build_facts``).  Mix (a fleet in the middle of the
    migration): 75% clean, 20% kesl (noncompliant), 2% kesl waived by group, 2% unreachable,
    1% detection failed.
    """
    import_collection()
    from ansible_collections.fleetsec.banned_av.plugins.action import av_facts
    from ansible_collections.fleetsec.banned_av.plugins.module_utils import catalog as catalog_mod
    catalog = catalog_mod.load()
    templates = {}
    for kind in ('clean', 'kesl'):
        with open(os.path.join(seed_dir, 'raw_inventory_%s.json' % kind)) as handle:
            templates[kind] = av_facts.build_facts(json.load(handle), catalog, '2026-11-27T10:00:00Z')
    hosts = []
    for i in range(size):
        slot = i % 100
        name = 'srv-%06d.dc%d.example.com' % (i, i % 3 + 1)
        groups = ['linux', 'dc%d' % (i % 3 + 1)]
        state = {'unreachable': False, 'failed': False, 'msg': ''}
        facts = None
        if slot < 75:
            facts = templates['clean']
        elif slot < 95:
            facts = templates['kesl']
        elif slot < 97:
            facts = templates['kesl']
            groups.append('kesl_waived')
        elif slot < 99:
            state = {'unreachable': True, 'failed': False, 'msg': 'Failed to connect to the host via ssh'}
        else:
            state = {'unreachable': False, 'failed': True, 'msg': 'the collector returned no inventory'}
        if facts is not None:
            facts = dict(facts, collected_at='2026-11-27T10:%02d:%02dZ' % (i // 60 % 60, i % 60))
        hosts.append({'name': name, 'facts': facts, 'groups': groups, 'state': state})
    return hosts, catalog


def detect_record(host):
    """What av_facts records in the run spool for one synthetic host (plugin_utils/run_spool.py)."""
    state = host['state']
    return {'facts': None if state['unreachable'] or state['failed'] else host['facts'],
            'unreachable': state['unreachable'], 'failed': state['failed'], 'msg': state['msg']}


def fleet_spool(size, workdir):
    """The run spool av_facts leaves behind for ``size`` synthetic hosts (one record per host, written
    as av_facts writes it), and the ``groups`` variable of their inventory.  Returns
    ``(spool, groups, names, catalog)``."""
    import_collection()
    from ansible_collections.fleetsec.banned_av.plugins.plugin_utils import run_spool
    hosts, catalog = synth_records(size)
    spool = os.path.join(workdir, 'spool-%d' % size)
    shutil.rmtree(spool, ignore_errors=True)
    os.makedirs(spool)
    groups = {'all': []}
    for h in hosts:
        run_spool.write(spool, h['name'], **detect_record(h))
        groups['all'].append(h['name'])
        for group in h['groups']:
            groups.setdefault(group, []).append(h['name'])
    names = [h['name'] for h in hosts]
    del hosts
    return spool, groups, names, catalog


def bench_context(catalog):
    from ansible_collections.fleetsec.banned_av.plugins.module_utils import policy as policy_mod
    version, policies = policy_mod.load_policies()
    waivers = policy_mod.validate_waivers([{
        'id': 'CHG-1234', 'groups': ['kesl_waived'], 'products': ['kaspersky.*'], 'expires': '2027-03-31',
        'owner': 'ops@example.com', 'ticket': 'CHG-1234', 'reason': 'replacement scheduled'}])
    as_of = policy_mod.parse_date('2026-11-27', 'as_of')
    run = {'generated_at': '2026-11-27T12:00:00Z', 'ansible_version': 'bench', 'collection_version': 'bench',
           'catalog_version': catalog.version, 'policy_version': version, 'as_of': as_of.isoformat(),
           'awx_job_id': None, 'awx_job_template': None, 'play': 'audit', 'check_mode': False, 'user': 'bench'}
    return policies, waivers, as_of, run


# --------------------------------------------------------------------------- report variants
# Other settings of the report path, measured on the same data (``bench.py report --variants ...``).
VARIANTS = {}


def variant_args(names):
    """compliance_report arguments that the variants ``names`` set (none defined at present)."""
    return {}


def report_once(size, reps, outdir, traced=False, variants=()):
    """Time (and, with ``traced``, tracemalloc) the action plugin's work for one size, in this process.

    What is timed is ``compliance_report.generate()``, everything the action does after checking
    its arguments and loading policies and catalogue: read every host's result from the run spool
    (``HostResults``), evaluate each host, build the document, render and atomically write the six
    formats, and the task result's host lists.  A second, instrumented pass splits it into
    reading + evaluating and writing.
    """
    import_collection()
    from ansible_collections.fleetsec.banned_av.plugins.action import compliance_report as cr
    from ansible_collections.fleetsec.banned_av.plugins.module_utils import policy as policy_mod
    from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports import common as report_common
    import gc
    import resource
    spool, groups, names, catalog = fleet_spool(size, os.path.dirname(os.path.abspath(outdir)))
    policies, waivers, as_of, run = bench_context(catalog)
    args = {'hosts': names, 'report_dir': outdir, 'formats': list(cr.FORMATS),
            'fail_on': list(policy_mod.FAILING), 'spool': spool, 'remediation_hosts': []}
    args.update(variant_args(variants))
    task_vars = {'hostvars': {}, 'groups': groups}
    gc.collect()
    baseline_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    if traced:
        import tracemalloc
        tracemalloc.start()
    phases = {'evaluate': [], 'write': [], 'total': [], 'cpu': []}
    for _rep in range(reps):
        if traced:
            tracemalloc.reset_peak()
            base = tracemalloc.get_traced_memory()[0]
        c0 = time.process_time() + _children_cpu()
        t0 = time.perf_counter()
        result = cr.generate(args, task_vars, copy.deepcopy(run), as_of, policies, waivers, catalog.entries)
        t1 = time.perf_counter()
        c1 = time.process_time() + _children_cpu()
        phases['total'].append(t1 - t0)
        phases['cpu'].append(c1 - c0)
        if traced:
            break
        # the same work in its two parts (gc paused, as generate() does)
        with report_common.gc_paused():
            t0 = time.perf_counter()
            report = cr.hosts_report(names, cr.HostResults(spool, {}, groups), policies, waivers, as_of,
                                     copy.deepcopy(run))
            t1 = time.perf_counter()
            cr.write_reports(report, outdir, args['formats'], catalog_entries=catalog.entries)
            t2 = time.perf_counter()
        phases['evaluate'].append(t1 - t0)
        phases['write'].append(t2 - t1)
        del report
    out = {'hosts': size, 'phases_s': dict((k, stats(v)) for k, v in phases.items() if v),
           'baseline_rss_mb': round(baseline_rss, 1),
           'maxrss_mb': round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1),
           'bytes': dict((fmt, os.path.getsize(path)) for fmt, path in result['reports'].items()),
           'summary': result['summary']['by_status']}
    if traced:
        out['traced_peak_mb'] = round((tracemalloc.get_traced_memory()[1] - base) / 1048576.0, 1)
        tracemalloc.stop()
    shutil.rmtree(spool, ignore_errors=True)
    return out


def merge_once(size, outdir, parts=4):
    """Time report_merge's work on ``parts`` slice reports of a ``size``-host fleet, in this process:
    read the JSON slices, verify and guard them (schema, checksums, judged alike, every inventory
    host in exactly one slice) and merge (``merge.merge``), then write the six formats."""
    import_collection()
    import gc
    import resource
    from ansible_collections.fleetsec.banned_av.plugins.action import compliance_report as cr
    from ansible_collections.fleetsec.banned_av.plugins.module_utils import policy as policy_mod
    from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports import merge, writer
    spool, groups, names, catalog = fleet_spool(size, os.path.dirname(os.path.abspath(outdir)))
    policies, waivers, as_of, run = bench_context(catalog)
    report = cr.hosts_report(names, cr.HostResults(spool, {}, groups), policies, waivers, as_of, run)
    shutil.rmtree(spool, ignore_errors=True)
    paths = []
    for index in range(parts):
        hosts = report['hosts'][index::parts]
        part = dict(report, hosts=hosts, summary=policy_mod.summarize(hosts))
        paths.append(writer.write_reports(part, os.path.join(outdir, 'slice-%d' % index), ['json'])['json'])
    del report, part, hosts
    gc.collect()
    baseline_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    gc.disable()  # as the report_merge action runs (reports.common.gc_paused)
    t0 = time.perf_counter()
    slices = [merge.read_slice(path) for path in paths]
    t1 = time.perf_counter()
    merged = merge.merge(slices, paths, expected_hosts=names, duplicates='refuse', generated_at=run['generated_at'])
    t2 = time.perf_counter()
    del slices
    writer.write_reports(merged, os.path.join(outdir, 'fleet'), list(writer.FORMATS), catalog_entries=catalog.entries)
    t3 = time.perf_counter()
    return {'hosts': size, 'slices': parts, 'read_s': round(t1 - t0, 3), 'verify_guard_merge_s': round(t2 - t1, 3),
            'write_s': round(t3 - t2, 3), 'total_s': round(t3 - t0, 3), 'merged_hosts': len(merged['hosts']),
            'baseline_rss_mb': round(baseline_rss, 1),
            'maxrss_mb': round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1)}


def spool_once(size, workdir):
    """Cost of the run spool at ``size`` hosts: writing every host's record (what av_facts adds to
    each host's detection, spread over the run) and reading them all (part of the report)."""
    import_collection()
    from ansible_collections.fleetsec.banned_av.plugins.plugin_utils import run_spool
    start = time.perf_counter()
    spool, _groups, names, _catalog = fleet_spool(size, workdir)
    write_s = time.perf_counter() - start
    start, cpu = time.perf_counter(), time.process_time()
    records = run_spool.read(spool, names)
    read_s, read_cpu = time.perf_counter() - start, time.process_time() - cpu
    assert len(records) == size
    shutil.rmtree(spool, ignore_errors=True)
    return {'hosts': size, 'setup_and_write_s': round(write_s, 3), 'read_s': round(read_s, 3),
            'read_cpu_s': round(read_cpu, 3), 'read_ms_per_host': round(read_s / size * 1000, 4)}


def _children_cpu():
    import resource
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def render_breakdown(size, outdir):
    """CPU seconds per format, each written as writer.write_reports writes it (the JSON to a file,
    which the dashboard embeds; the others to a null stream: the rendering only, not the disk)."""
    import_collection()
    import gc
    import io
    from ansible_collections.fleetsec.banned_av.plugins.action import compliance_report as cr
    from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports import json_report, writer
    spool, groups, names, catalog = fleet_spool(size, os.path.dirname(os.path.abspath(outdir)))
    policies, waivers, as_of, run = bench_context(catalog)
    out = {}
    gc.disable()  # as generate() runs (reports.common.gc_paused)
    s = time.process_time()
    report = cr.hosts_report(names, cr.HostResults(spool, {}, groups), policies, waivers, as_of, run)
    out['read + evaluate + build'] = time.process_time() - s
    json_file = os.path.join(outdir, 'breakdown.json')
    if not os.path.isdir(outdir):
        os.makedirs(outdir)
    for fmt in ['json'] + [f for f in cr.FORMATS if f != 'json']:  # as write_reports: the JSON first
        target = open(json_file if fmt == 'json' else os.devnull, 'wb')
        stream = io.TextIOWrapper(target, encoding='utf-8', errors='replace', newline='')
        s = time.process_time()
        if fmt == 'json':
            report['sha256'] = json_report.write(report, stream)
        else:
            writer.write_format(fmt, report, stream, report['sha256'], catalog.entries)
        stream.flush()
        out[fmt] = time.process_time() - s
        stream.close()
    os.unlink(json_file)
    shutil.rmtree(spool, ignore_errors=True)
    return dict((k, round(v, 4)) for k, v in out.items())


def report_bench(sizes, reps, workdir, breakdown=True, variants=()):
    results = []
    vargs = ['--variants', ','.join(variants)] if variants else []
    for size in sizes:
        size_reps = reps if size <= 10000 else max(1, min(reps, 3))
        log('report: %d hosts, %d rep(s) in a fresh process' % (size, size_reps))
        outdir = os.path.join(workdir, 'report-%d' % size)
        entry = run_child(['report-one', '--size', str(size), '--reps', str(size_reps), '--out', outdir] + vargs)
        traced = run_child(['report-one', '--size', str(size), '--reps', '1', '--out', outdir, '--traced'] + vargs)
        entry['traced_peak_mb'] = traced['traced_peak_mb']
        if breakdown and not variants:
            entry['render_s'] = run_child(['report-one', '--size', str(size), '--out', outdir, '--breakdown'])
        entry['per_host_ms'] = round(entry['phases_s']['total']['median'] / size * 1000, 4)
        log('report: %d hosts: total median %.2fs (read + evaluate + build %.2f, write %.2f), '
            'maxrss %.0f MB (%.0f MB before), traced peak %.0f MB' % (
                size, entry['phases_s']['total']['median'], entry['phases_s']['evaluate']['median'],
                entry['phases_s']['write']['median'], entry['maxrss_mb'], entry['baseline_rss_mb'], entry['traced_peak_mb']))
        if not variants:
            entry['spool'] = run_child(['spool-one', '--size', str(size), '--out', workdir])
            log('report: %d hosts: run spool written in %.1f s, read in %.2f s (%.4f ms/host)' % (
                size, entry['spool']['setup_and_write_s'], entry['spool']['read_s'], entry['spool']['read_ms_per_host']))
        shutil.rmtree(outdir, ignore_errors=True)
        results.append(entry)
    return {'sizes': results, 'linearity': linearity(results), 'variants': list(variants)}


def linearity(results):
    """log-log slope of total time over host count (1.0 is linear) and per-host time ratios."""
    points = [(r['hosts'], r['phases_s']['total']['median']) for r in results if r['phases_s']['total']['median'] > 0]
    if len(points) < 2:
        return None
    xs = [math.log(p[0]) for p in points]
    ys = [math.log(p[1]) for p in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
    per_host = [p[1] / p[0] for p in points]
    return {'loglog_slope': round(slope, 3), 'per_host_ratio_largest_vs_smallest': round(per_host[-1] / per_host[0], 3),
            'linear': slope <= 1.1}


def run_child(args):
    proc = sh([sys.executable, os.path.abspath(__file__)] + args)
    return json.loads(proc.stdout)


# =========================================================================== output

def host_facts():
    def read(path):
        try:
            with open(path) as handle:
                return handle.read()
        except (IOError, OSError):
            return ''
    cpu = re.search(r'model name\s*:\s*(.*)', read('/proc/cpuinfo'))
    mem = re.search(r'MemTotal:\s*(\d+)', read('/proc/meminfo'))
    try:
        from ansible.release import __version__ as ansible_version
    except ImportError:
        ansible_version = None
    podman = sh(['podman', '--version'], check=False).stdout.strip()
    runtime = sh(['podman', 'info', '--format', '{{ .Host.OCIRuntime.Name }}'], check=False).stdout.strip()
    return {'cpu': cpu.group(1) if cpu else platform.processor(), 'cpus': os.cpu_count(),
            'mem_gib': round(int(mem.group(1)) / 1048576.0, 1) if mem else None, 'kernel': platform.release(),
            'python': platform.python_version(), 'ansible_core': ansible_version, 'podman': podman,
            'oci_runtime': runtime, 'loadavg_at_start': os.getloadavg()}


def table(result):
    lines = []
    for fleet in result.get('fleet') or []:
        lines.append('')
        lines.append('N=%d hosts (%s), forks %d, pipelining %s, connection %s' % (
            fleet['hosts'], ', '.join('%s %d' % kv for kv in sorted(fleet['layout'].items())), fleet['forks'],
            ('on' if fleet.get('pipelining_effective', False) else 'off (the connection has none)' if fleet['pipelining'] else 'off'),
            fleet.get('connection', 'containers.podman.podman')))
        lines.append('  %-8s %9s %9s %9s %12s %16s' % ('', 'min s', 'median s', 'max s', 'per host s', 'controller CPU s'))
        for key in ('ping', 'audit', 'naive'):
            lines.append('  %-8s %9.2f %9.2f %9.2f %12.3f %16s' % (
                key, fleet[key]['min'], fleet[key]['median'], fleet[key]['max'], fleet['per_host_s'][key],
                '%.1f' % fleet[key]['controller_cpu']['median'] if 'controller_cpu' in fleet[key] else '-'))
        ratios = fleet['ratios']
        for key, label in (('audit_vs_ping', 'audit/ping '), ('audit_vs_naive', 'audit/naive')):
            verdict = 'met' if ratios[key] <= GOALS[key] else 'MISSED'
            lines.append('  %s %.2f  (goal <= %.1f: %s)' % (label, ratios[key], GOALS[key], verdict))
        lines.append('  naive/ping  %.2f' % ratios['naive_vs_ping'])
        if 'controller_cpu_audit_vs_ping' in ratios:
            lines.append('  controller CPU: audit/ping %.2f, audit/naive %.2f' % (
                ratios['controller_cpu_audit_vs_ping'], ratios['controller_cpu_audit_vs_naive']))
    for exp in result.get('explain') or []:
        lines.append('')
        lines.append('Where the time goes, N=%d (median s, and against ping)' % exp['hosts'])
        for key in ('ping', 'ping_play', 'av_facts', 'audit'):
            if key in exp:
                lines.append('  %-20s %8.2f  %5.2fx   controller CPU %6.1f s  %5.2fx' % (
                    key, exp[key]['median'], exp[key]['vs_ping'], exp[key].get('controller_cpu', {}).get('median', 0),
                    exp[key].get('controller_cpu_vs_ping', 0)))
    target = result.get('target')
    if target:
        lines.append('')
        lines.append('Collector, target side (inside the container, no Ansible transport)')
        lines.append('  %-6s %9s %14s %16s %18s' % ('host', 'packages', 'collect() ms', 'python3 run ms', 'AnsiballZ run ms'))
        for kind, entry in target['hosts'].items():
            zipped = (target.get('payloads', {}).get(kind) or {}).get('av_collect_posix')
            lines.append('  %-6s %9d %14.1f %16.1f %18s' % (kind, entry['dpkg_packages'], entry['collect']['median'] * 1000,
                                                            entry['python_process']['median'] * 1000,
                                                            '%.1f' % (zipped['target_s']['median'] * 1000) if zipped else '-'))
        for kind, mods in (target.get('payloads') or {}).items():
            lines.append('  AnsiballZ on %s: %s' % (kind, ', '.join('%s %.0f ms (%d KB)' % (
                m, v['target_s']['median'] * 1000, v['payload_bytes'] // 1024) for m, v in sorted(mods.items()))))
    report = result.get('report')
    if report:
        lines.append('')
        lines.append('compliance_report on synthetic results (read from the run spool + evaluate + write 6 formats, '
                     'fresh process per size)%s'
                     % (': variants ' + '+'.join(report['variants']) if report.get('variants') else ''))
        lines.append('  %8s %9s %9s %9s %9s %11s %11s %12s' % ('hosts', 'min s', 'median s', 'max s', 'CPU s', 'ms/host',
                                                               'maxrss MB', 'traced MB'))
        for entry in report['sizes']:
            total = entry['phases_s']['total']
            lines.append('  %8d %9.2f %9.2f %9.2f %9.2f %11.4f %11.0f %12.0f' % (
                entry['hosts'], total['min'], total['median'], total['max'], entry['phases_s']['cpu']['median'],
                entry['per_host_ms'], entry['maxrss_mb'], entry['traced_peak_mb']))
        for entry in report['sizes']:
            sp = entry.get('spool')
            if sp:
                lines.append('  %d hosts: reading the run spool %.2f s (%.4f ms/host, %.2f s CPU), part of the total above' % (
                    sp['hosts'], sp['read_s'], sp['read_ms_per_host'], sp['read_cpu_s']))
        lin = report.get('linearity')
        if lin:
            lines.append('  log-log slope %.2f (1.0 = linear), per-host time largest/smallest %.2f' % (
                lin['loglog_slope'], lin['per_host_ratio_largest_vs_smallest']))
        biggest = max(report['sizes'], key=lambda e: e['hosts'])
        if biggest['hosts'] >= 100000:
            secs = biggest['phases_s']['total']['median']
            lines.append('  %d hosts: %.1f s (goal < %.0f s: %s)' % (biggest['hosts'], secs, GOALS['report_100k_s'],
                                                                     'met' if secs < GOALS['report_100k_s'] else 'MISSED'))
    return '\n'.join(lines)


def plot(result, path):
    sizes = (result.get('report') or {}).get('sizes') or []
    if not sizes:
        return None
    try:
        import matplotlib
        matplotlib.use('Agg')
        import matplotlib.pyplot as plt
    except ImportError:
        svg = os.path.splitext(path)[0] + '.svg'
        plot_svg(sizes, svg)
        return svg
    xs = [e['hosts'] for e in sizes]
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=100)
    labels = {'total': 'total', 'write': 'render + write 6 formats', 'evaluate': 'read + evaluate + build'}
    for key, style in (('total', 'o-'), ('write', 's--'), ('evaluate', '^--')):
        ax.plot(xs, [e['phases_s'][key]['median'] for e in sizes], style, label=labels[key])
    hv = [(e['hosts'], e['hostvars']['hostvars_cpu_s']) for e in sizes if e.get('hostvars')]
    if hv:
        ax.plot([p[0] for p in hv], [p[1] for p in hv], 'x:', color='purple',
                label='reading via hostvars[] instead (CPU, not done)')
    base = sizes[0]['phases_s']['total']['median'] / xs[0]
    ax.plot(xs, [base * x for x in xs], color='grey', linewidth=0.8, label='linear from %d hosts' % xs[0])
    ax.axhline(GOALS['report_100k_s'], color='red', linewidth=0.8, linestyle='-.', label='goal at 100k: %.0f s' % GOALS['report_100k_s'])
    ax.set_xscale('log')
    ax.set_yscale('log')
    ax.set_xlabel('hosts in the report')
    ax.set_ylabel('seconds (median)')
    ax.set_title('compliance_report: time against host count (6 formats)')
    ax.grid(True, which='both', alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def plot_svg(sizes, path):
    """A plain log-log line plot written by hand (no matplotlib)."""
    width, height, pad = 640, 400, 60
    xs = [math.log10(e['hosts']) for e in sizes]
    ys = [math.log10(max(e['phases_s']['total']['median'], 1e-3)) for e in sizes]
    x0, x1 = math.floor(min(xs)), math.ceil(max(xs))
    y0, y1 = math.floor(min(ys)), math.ceil(max(ys + [1.0]))

    def px(x, y):
        return (pad + (x - x0) / float(max(x1 - x0, 1)) * (width - 2 * pad),
                height - pad - (y - y0) / float(max(y1 - y0, 1)) * (height - 2 * pad))
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">' % (width, height),
             '<rect width="100%" height="100%" fill="white"/>',
             '<text x="%d" y="20">compliance_report: median seconds against host count (log-log)</text>' % pad]
    for d in range(x0, x1 + 1):
        x = px(d, y0)[0]
        parts.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/><text x="%.1f" y="%d" text-anchor="middle">%s</text>'
                     % (x, pad, x, height - pad, x, height - pad + 18, format(10 ** d, ',')))
    for d in range(y0, y1 + 1):
        y = px(x0, d)[1]
        parts.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/><text x="%d" y="%.1f" text-anchor="end">%s s</text>'
                     % (pad, y, width - pad, y, pad - 6, y + 4, 10 ** d if d >= 0 else 10.0 ** d))
    points = ' '.join('%.1f,%.1f' % px(x, y) for x, y in zip(xs, ys))
    parts.append('<polyline points="%s" fill="none" stroke="#1f77b4" stroke-width="2"/>' % points)
    for x, y, e in zip(xs, ys, sizes):
        cx, cy = px(x, y)
        parts.append('<circle cx="%.1f" cy="%.1f" r="4" fill="#1f77b4"/><text x="%.1f" y="%.1f">%.2f s</text>'
                     % (cx, cy, cx + 6, cy - 6, e['phases_s']['total']['median']))
    parts.append('</svg>')
    with open(path, 'w') as handle:
        handle.write('\n'.join(parts) + '\n')


def is_experiment(result):
    return bool((result.get('report') or {}).get('variants'))


def save(result):
    """Write the results; a run of report variants (an experiment) does not replace latest.json."""
    os.makedirs(RESULTS, exist_ok=True)
    stamp = result['meta']['timestamp']
    if is_experiment(result):
        path = os.path.join(RESULTS, '%s-variants-%s.json' % (stamp, '+'.join(result['report']['variants'])))
        targets = (path,)
    else:
        path = os.path.join(RESULTS, '%s.json' % stamp)
        targets = (path, os.path.join(RESULTS, 'latest.json'))
    for target in targets:
        with open(target, 'w') as handle:
            json.dump(result, handle, indent=2, sort_keys=True)
            handle.write('\n')
    return path


# =========================================================================== main

def compare_main(args):
    versions = []
    for item in args.versions:
        name, _sep, root = item.partition('=')
        if not name or name == 'ping' or not os.path.isdir(os.path.join(root, 'ansible_collections', 'fleetsec', 'banned_av')):
            raise SystemExit('compare: %r is not NAME=COLLECTIONS_ROOT with fleetsec.banned_av installed below it' % item)
        versions.append((name, os.path.abspath(root)))
    stamp = datetime.datetime.now().strftime('%Y%m%dT%H%M%S')
    run_id = args.run_id or '%s-%d' % (stamp.lower(), os.getpid())
    result = {'meta': {'timestamp': stamp, 'run_id': run_id, 'argv': sys.argv[1:], 'machine': host_facts()}}
    workdir = tempfile.mkdtemp(prefix='bav-bench-')
    build_images(False)
    fleet = Fleet(run_id, args.hosts)
    fleet.connection = CONNECTIONS[args.connection or ('podman_pipelined' if os.path.isfile(
        os.path.join(PIPELINED_PLUGINS, 'podman_pipelined.py')) else 'podman')]
    try:
        fleet.start()
        result['compare'] = compare_bench(fleet, args.hosts, args.reps, args.forks, True, versions, workdir)
    finally:
        cleanup(run_id)
        shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(RESULTS, exist_ok=True)
    path = os.path.join(RESULTS, '%s-compare-%s.json' % (stamp, '+'.join(name for name, _root in versions)))
    with open(path, 'w') as handle:
        json.dump(result, handle, indent=2, sort_keys=True)
        handle.write('\n')
    print(compare_table(result))
    print('')
    print('results: %s (latest.json is left alone)' % os.path.relpath(path))
    return 0


def parse_list(text):
    return [int(v) for v in str(text).replace(' ', '').split(',') if v]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest='cmd')
    run = sub.add_parser('run', help='the whole benchmark')
    run.add_argument('--hosts', default='20',
                     help='container count(s), comma separated: 20 or 20,50 (default 20); '
                          'the largest is started once, smaller N use its first hosts')
    run.add_argument('--reps', type=int, default=5, help='repetitions of every measurement (default 5)')
    run.add_argument('--forks', type=int, default=5, help='Ansible forks (default 5, Ansible\'s own default)')
    run.add_argument('--sizes', default='1000,10000,100000', help='host counts of the report scaling test')
    run.add_argument('--no-pipelining', action='store_true', help='run with ANSIBLE_PIPELINING=False')
    run.add_argument('--connection', choices=sorted(CONNECTIONS), default=None,
                     help='podman_pipelined (default when molecule/shared/connection_plugins has it): one podman exec '
                          'per module, like SSH with pipelining; podman: containers.podman.podman, which has no '
                          'pipelining (five or six podman calls per module)')
    run.add_argument('--skip-fleet', action='store_true', help='no containers: only the report scaling')
    run.add_argument('--skip-report', action='store_true', help='no report scaling test')
    run.add_argument('--explain', action='store_true',
                     help='also time the variants that show where the audit\'s time goes '
                          '(ping_play, av_facts; at most 3 repetitions)')
    run.add_argument('--rebuild-images', action='store_true', help='rebuild the derived bench images')
    run.add_argument('--keep-workdir', action='store_true', help='keep the temporary directory (logs, reports)')
    run.add_argument('--run-id', default=None, help='label value of this run\'s containers (run.sh sets it)')
    rep = sub.add_parser('report', help='only the compliance_report scaling')
    rep.add_argument('--sizes', default='1000,10000,100000')
    rep.add_argument('--reps', type=int, default=5)
    rep.add_argument('--variants', default='', help='proposed changes to measure, comma separated: %s' % ', '.join(
        '%s (%s)' % kv for kv in sorted(VARIANTS.items())))
    one = sub.add_parser('report-one')
    one.add_argument('--size', type=int, required=True)
    one.add_argument('--reps', type=int, default=1)
    one.add_argument('--out', required=True)
    one.add_argument('--traced', action='store_true')
    one.add_argument('--breakdown', action='store_true')
    one.add_argument('--variants', default='')
    spp = sub.add_parser('spool-one')
    spp.add_argument('--size', type=int, required=True)
    spp.add_argument('--out', required=True)
    mrg = sub.add_parser('merge-one', help='report_merge on slices of a synthetic fleet (one size, this process)')
    mrg.add_argument('--size', type=int, required=True)
    mrg.add_argument('--slices', type=int, default=4)
    mrg.add_argument('--out', required=True)
    cmp_ = sub.add_parser('compare', help='the audit of several code versions against ping, interleaved on one fleet')
    cmp_.add_argument('versions', nargs='+', metavar='NAME=COLLECTIONS_ROOT',
                      help='a name and the collections root (ANSIBLE_COLLECTIONS_PATH) holding that version')
    cmp_.add_argument('--hosts', type=int, default=20)
    cmp_.add_argument('--reps', type=int, default=10)
    cmp_.add_argument('--forks', type=int, default=5)
    cmp_.add_argument('--connection', choices=sorted(CONNECTIONS), default=None)
    cmp_.add_argument('--run-id', default=None)
    clean = sub.add_parser('cleanup', help='remove bench containers')
    clean.add_argument('--run-id', default=None)
    pl = sub.add_parser('plot', help='redraw the plot from a results JSON')
    pl.add_argument('json', nargs='?', default=os.path.join(RESULTS, 'latest.json'))
    args = parser.parse_args(argv)

    if args.cmd == 'report-one':
        if args.breakdown:
            print(json.dumps(render_breakdown(args.size, args.out)))
        else:
            variants = [v for v in args.variants.split(',') if v]
            print(json.dumps(report_once(args.size, args.reps, args.out, traced=args.traced, variants=variants)))
        return 0
    if args.cmd == 'merge-one':
        print(json.dumps(merge_once(args.size, args.out, args.slices)))
        return 0
    if args.cmd == 'spool-one':
        print(json.dumps(spool_once(args.size, args.out)))
        return 0
    if args.cmd == 'cleanup':
        cleanup(args.run_id)
        return 0
    if args.cmd == 'plot':
        with open(args.json) as handle:
            print(plot(json.load(handle), os.path.join(RESULTS, 'report_scaling.png')))
        return 0
    if args.cmd == 'compare':
        return compare_main(args)
    if args.cmd not in ('run', 'report'):
        parser.print_help()
        return 2

    if args.cmd == 'report':
        args.skip_fleet, args.skip_report, args.keep_workdir, args.run_id = True, False, False, None
        args.hosts, args.forks, args.no_pipelining = '0', 0, False
    stamp = datetime.datetime.now().strftime('%Y%m%dT%H%M%S')
    run_id = args.run_id or '%s-%d' % (stamp.lower(), os.getpid())
    result = {'meta': {'timestamp': stamp, 'run_id': run_id, 'argv': sys.argv[1:], 'machine': host_facts(),
                       'goals': GOALS}}
    workdir = tempfile.mkdtemp(prefix='bav-bench-')
    result['meta']['workdir'] = workdir

    def on_signal(signum, _frame):
        raise KeyboardInterrupt('signal %d' % signum)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    fleet = None
    try:
        if not args.skip_fleet:
            counts = sorted(set(parse_list(args.hosts)))
            if not counts or counts[0] < 2:
                raise SystemExit('--hosts: at least 2 containers')
            result['meta']['images_built_s'] = build_images(args.rebuild_images)
            fleet = Fleet(run_id, max(counts))
            connection = args.connection or ('podman_pipelined' if os.path.isfile(
                os.path.join(PIPELINED_PLUGINS, 'podman_pipelined.py')) else 'podman')
            fleet.connection = CONNECTIONS[connection]
            result['meta']['connection'] = fleet.connection
            result['meta']['containers_started_s'] = round(fleet.start(), 1)
            pipelining = not args.no_pipelining
            result['fleet'] = [fleet_bench(fleet, n, args.reps, args.forks, pipelining, workdir) for n in counts]
            if args.explain:
                result['explain'] = [explain_bench(fleet, counts[0], min(args.reps, 3), args.forks, pipelining, workdir)]
            result['target'] = target_bench(fleet, args.reps, args.forks, workdir)
        if not args.skip_report:
            variants = [v for v in getattr(args, 'variants', '').split(',') if v]
            unknown = sorted(set(variants) - set(VARIANTS))
            if unknown:
                raise SystemExit('--variants: unknown %s (known: %s)' % (', '.join(unknown), ', '.join(sorted(VARIANTS))))
            result['report'] = report_bench(parse_list(args.sizes), args.reps, workdir, variants=variants)
    finally:
        if fleet is not None:
            cleanup(run_id)
        if not args.keep_workdir and not args.skip_fleet:
            log('logs and reports were in %s (removed; --keep-workdir keeps them)' % workdir)
            shutil.rmtree(workdir, ignore_errors=True)
        elif args.keep_workdir:
            log('kept %s' % workdir)
    result['meta']['loadavg_at_end'] = os.getloadavg()
    path = save(result)
    png = None if is_experiment(result) else plot(result, os.path.join(RESULTS, 'report_scaling.png'))
    print(table(result))
    print('')
    if is_experiment(result):
        print('results: %s (an experiment: latest.json and the plot are left alone)' % os.path.relpath(path))
    else:
        print('results: %s (and %s)%s' % (os.path.relpath(path), os.path.relpath(os.path.join(RESULTS, 'latest.json')),
                                          '; plot: %s' % os.path.relpath(png) if png else ''))
    return 0


if __name__ == '__main__':
    sys.exit(main())
