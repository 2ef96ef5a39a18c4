#!/usr/bin/env bash
# Benchmark of fleetsec.banned_av: the audit against the `ansible -m ping` floor and the naive
# gather_facts + package_facts way, the collector's target-side time, and compliance_report on
# synthetic results for 1k/10k/100k hosts.  Results: docs/performance.md.
#
#   bench/run.sh [--hosts N[,N...]] [--reps R] [--forks F] [--sizes 1000,10000,100000]
#                [--connection podman_pipelined|podman] [--no-pipelining] [--explain]
#                [--skip-fleet] [--skip-report] [--rebuild-images] [--keep-workdir]
#
#   --hosts N     Debian 12 containers to start (default 20). A list (20,50) starts the largest
#                 count once and measures each N on its first N containers. Every 4th container
#                 has the fake kesl, kesl-gui and klnagent64 packages, container #1 a dpkg
#                 database of about 1,500 packages, the others are minimal.
#   --reps R      repetitions of every measurement, min/median/max reported (default 5)
#   --forks F     Ansible forks for ping, audit and naive alike (default 5)
#   --sizes LIST  host counts of the compliance_report scaling test (default 1000,10000,100000)
#   --connection  podman_pipelined (default): one `podman exec -i` per module, like SSH with
#                 pipelining (molecule/shared/connection_plugins); podman: containers.podman.podman,
#                 which has no pipelining
#   --explain     also time variants that show where the audit's time goes (ping as a playbook,
#                 av_facts alone, the audit without its per-host set_fact/include, libyaml)
#   --skip-fleet  no containers: only the report scaling test (a few minutes)
#
#   bench/run.sh --compare REV [--hosts N] [--reps R] [--forks F] [--connection C]
#                 before and after a change in one session: ping, the audit of git revision REV
#                 and the audit of the working tree, interleaved on the same N containers (default
#                 20 hosts, 10 repetitions), and the working tree's difference repetition by
#                 repetition (median, 95 % bootstrap interval, in units of ping).
#                 Results: bench/results/<timestamp>-compare-*.json.
#   BENCH_RESULTS=DIR   write the JSON and the plot to DIR instead of bench/results
#
# It runs scripts/bootstrap.sh first (idempotent: it installs only what is missing and copies
# the working tree into the installed collection), installs bench/requirements.txt into the
# venv, builds the derived bench images once (podman commit), and removes its containers at
# the end, also when interrupted.  Output: a table with the ratios on stdout,
# bench/results/<timestamp>.json, bench/results/latest.json, bench/results/report_scaling.png.
# A run with the defaults takes 10-15 minutes on an otherwise idle 2-core machine.
set -euo pipefail

BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
ROOT="$(dirname "${BENCH}")"
# shellcheck source=scripts/env.sh
. "${ROOT}/scripts/env.sh"

case "${1:-}" in
    -h | --help)
        sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
        exit 0
        ;;
esac

say() { printf '[bench] %s\n' "$*" >&2; }

# Toolchain, podman configuration, test image, and a fresh copy of the working tree in
# ANSIBLE_COLLECTIONS_PATH (what ansible-playbook fleetsec.banned_av.audit runs).
say "bootstrap (scripts/bootstrap.sh)"
"${ROOT}/scripts/bootstrap.sh"

stamp="${BANNED_AV_VENV}/.fleetsec-bench-requirements.stamp"
want="$(sha256sum "${BENCH}/requirements.txt" | cut -d' ' -f1)"
if [ "$(cat "${stamp}" 2>/dev/null || true)" != "${want}" ]; then
    say "installing bench/requirements.txt into ${BANNED_AV_VENV}"
    if "${BANNED_AV_VENV}/bin/python" -m pip install -q -r "${BENCH}/requirements.txt"; then
        printf '%s\n' "${want}" >"${stamp}"
    else
        say "pip failed: the plot will be a plain SVG"
    fi
fi

RUN_ID="$(date +%Y%m%dt%H%M%S)-$$"
COMPARE_ROOT=""
# bench.py removes its containers itself; this is the second line of defence (kill -9 of
# python, a failing podman call during clean-up). Only containers labelled with this run's id.
cleanup() {
    "${BANNED_AV_VENV}/bin/python" "${BENCH}/bench.py" cleanup --run-id "${RUN_ID}" || true
    if [ -n "${COMPARE_ROOT}" ]; then rm -rf "${COMPARE_ROOT}"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

if [ "${1:-}" = "--compare" ]; then
    rev="${2:?--compare needs a git revision}"
    shift 2
    # the revision's collection, as bootstrap installs the working tree's: its files in a
    # collections root of their own
    COMPARE_ROOT="$(mktemp -d "${TMPDIR:-/tmp}/bav-compare.XXXXXX")"
    mkdir -p "${COMPARE_ROOT}/ansible_collections/fleetsec/banned_av"
    git -C "${ROOT}" archive "${rev}" | tar -x -C "${COMPARE_ROOT}/ansible_collections/fleetsec/banned_av"
    "${BANNED_AV_VENV}/bin/python" "${BENCH}/bench.py" compare --run-id "${RUN_ID}" "$@" \
        "${rev}=${COMPARE_ROOT}" "working-tree=${BANNED_AV_COLLECTIONS}"
    exit
fi
"${BANNED_AV_VENV}/bin/python" "${BENCH}/bench.py" run --run-id "${RUN_ID}" "$@"
