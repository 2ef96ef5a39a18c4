#!/usr/bin/env bash
# Audit hosts for banned anti-virus products and print the Markdown summary.
#
#   scripts/audit.sh                          audit this machine (localhost, local connection)
#   scripts/audit.sh INVENTORY [ARGS...]      audit an inventory (file, directory or "h1,h2,")
#   scripts/audit.sh -- [ARGS...]             audit this machine, with extra ansible-playbook ARGS
#
# ARGS go to ansible-playbook unchanged (e.g. --limit web, -e banned_av_policy=..., -v).
# Reports are written to ${BANNED_AV_REPORT_DIR:-./banned_av_reports} (the playbook variable
# banned_av_report_dir); banned_av_report.md from there is printed at the end.
#
# The first run sets up a Python virtualenv and the collections (scripts/bootstrap.sh
# --light: no podman, no test image); later runs start at once.
set -euo pipefail

INVOKED_FROM="$(pwd -P)"
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

REPORT_DIR="${BANNED_AV_REPORT_DIR:-${INVOKED_FROM}/banned_av_reports}"
# An explicit `-e banned_av_report_dir=DIR` among the arguments wins; follow it for the summary.
prev=""
for arg in "$@"; do
    case "${prev}:${arg}" in
        -e:banned_av_report_dir=* | --extra-vars:banned_av_report_dir=*) REPORT_DIR="${arg#banned_av_report_dir=}" ;;
    esac
    case "${arg}" in
        --extra-vars=banned_av_report_dir=*) REPORT_DIR="${arg#--extra-vars=banned_av_report_dir=}" ;;
    esac
    prev="${arg}"
done
case "${REPORT_DIR}" in /*) ;; *) REPORT_DIR="${INVOKED_FROM}/${REPORT_DIR}" ;; esac
mkdir -p "${REPORT_DIR}"

started="$(mktemp)"
trap 'rm -f "${started}"' EXIT

rc=0
# Our -e comes last so the playbook gets the same absolute directory we print from.
ansible-playbook fleetsec.banned_av.audit "${target_args[@]}" "$@" \
    -e "banned_av_report_dir=${REPORT_DIR}" || rc=$?

report="${REPORT_DIR}/banned_av_report.md"
if [ -f "${report}" ] && [ "${report}" -nt "${started}" ]; then
    printf '\n'
    cat "${report}"
    printf '\n(reports in %s)\n' "${REPORT_DIR}"
else
    echo "audit: this run wrote no summary report at ${report}" >&2
    [ "${rc}" = 0 ] && rc=1
fi
exit "${rc}"
