#!/usr/bin/env bash
# Audit hosts for banned anti-virus products and print the Markdown summary.
#
#   scripts/audit.sh                          audit this machine (localhost, local connection)
#   scripts/audit.sh INVENTORY [ARGS...]      audit an inventory (file, directory or "h1,h2,")
#   scripts/audit.sh -- [ARGS...]             audit this machine, with extra ansible-playbook ARGS
#
# ARGS go to ansible-playbook unchanged (e.g. --limit web, -e banned_av_policy_files=..., -v).
# Reports are written to banned_av_report_dir: the one given in ARGS in any form (-e key=value,
# -e '{"banned_av_report_dir": ...}', -e @file, inventory variables), else $BANNED_AV_REPORT_DIR,
# else ./banned_av_reports.  The summary (banned_av_report.md) is printed at the end from the
# directory the playbook actually wrote to, which the run itself reports (its set_stats artifacts,
# recorded by the fleetsec.banned_av.run_artifacts callback).
#
# The first run sets up a Python virtualenv and the collections (scripts/bootstrap.sh
# --light: no podman, no test image); later runs start at once.
set -euo pipefail

SCRIPTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
# shellcheck source=scripts/env.sh
. "${SCRIPTS}/env.sh"

case "${1:-}" in
    -h | --help)
        sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
        exit 0
        ;;
esac

bash "${SCRIPTS}/bootstrap.sh" --light

target_args=()
if [ "$#" -gt 0 ] && [ "$1" != "--" ] && [ "${1#-}" = "$1" ]; then
    # An inventory: use it as it is (its own connection settings apply).
    target_args=(-i "$1")
    shift
else
    [ "${1:-}" = "--" ] && shift
    # Default target: this machine, through the local connection, with the controller's Python.
    target_args=(-i "localhost," -c local -e "ansible_python_interpreter=${BANNED_AV_VENV}/bin/python")
fi

# $BANNED_AV_REPORT_DIR goes first: any banned_av_report_dir in ARGS comes later and wins.
default_dir=()
if [ -n "${BANNED_AV_REPORT_DIR:-}" ]; then
    default_dir=(-e "$("${BANNED_AV_VENV}/bin/python" -c 'import json, sys; print(json.dumps({"banned_av_report_dir": sys.argv[1]}))' "${BANNED_AV_REPORT_DIR}")")
fi

artifacts="$(mktemp)"
trap 'rm -f "${artifacts}"' EXIT

rc=0
ANSIBLE_CALLBACKS_ENABLED="fleetsec.banned_av.run_artifacts${ANSIBLE_CALLBACKS_ENABLED:+,${ANSIBLE_CALLBACKS_ENABLED}}" \
    BANNED_AV_ARTIFACTS_FILE="${artifacts}" \
    ansible-playbook fleetsec.banned_av.audit "${target_args[@]}" "${default_dir[@]}" "$@" || rc=$?

# The Markdown summary this run wrote, from the run's own artifacts.
report="$("${BANNED_AV_VENV}/bin/python" - "${artifacts}" <<'PY'
import json, sys
try:
    with open(sys.argv[1]) as handle:
        print(((json.load(handle) or {}).get('banned_av_reports') or {}).get('markdown') or '')
except ValueError:
    print('')
PY
)"
if [ -n "${report}" ] && [ -f "${report}" ]; then
    printf '\n'
    cat "${report}"
    printf '\n(reports in %s)\n' "$(dirname "${report}")"
else
    echo "audit: this run wrote no summary report (banned_av_report.md): see the output above" >&2
    [ "${rc}" = 0 ] && rc=1
fi
exit "${rc}"
