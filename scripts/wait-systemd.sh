#!/usr/bin/env bash
# Wait until systemd in a podman container has finished booting.
#
#   scripts/wait-systemd.sh CONTAINER [TIMEOUT_SECONDS]     (default timeout: 180)
#
# Right after `podman run -d`, `systemctl is-system-running --wait` inside the container answers
# "Failed to connect to bus: No such file or directory" until systemd has created its bus, and
# then "starting" until boot finishes. So this asks again, once a second, until the answer is
# `running` or `degraded` (a unit failed, the system is up) or the time is over. Exit 0 when up;
# exit 1 with what it saw last (state, error, container status, end of its log) when not.
set -euo pipefail

name="${1:?usage: wait-systemd.sh CONTAINER [TIMEOUT_SECONDS]}"
timeout_s="${2:-180}"
deadline=$((SECONDS + timeout_s))
attempts=0
state=""
err=""
errfile="$(mktemp)"
trap 'rm -f "${errfile}"' EXIT

while :; do
    attempts=$((attempts + 1))
    # One attempt may itself wait for boot (--wait); bound it by what is left of the timeout.
    left=$((deadline - SECONDS))
    [ "${left}" -lt 1 ] && left=1
    state="$(timeout "${left}" podman exec "${name}" systemctl is-system-running --wait 2>"${errfile}" || true)"
    state="$(printf '%s' "${state}" | tr -d '\r' | tail -n 1)"
    err="$(tr -d '\r' <"${errfile}" | tail -n 3)"
    case "${state}" in
        running | degraded)
            printf '%s\n' "${state}"
            exit 0
            ;;
    esac
    if [ "${SECONDS}" -ge "${deadline}" ]; then
        break
    fi
    sleep 1
done

{
    printf 'wait-systemd: systemd in container %s did not come up within %ss (%d attempts)\n' \
        "${name}" "${timeout_s}" "${attempts}"
    printf '  last state: %s\n' "${state:-none}"
    [ -n "${err}" ] && printf '  last error: %s\n' "${err}"
    printf '  container: %s\n' \
        "$(podman inspect --format '{{.State.Status}} (exit {{.State.ExitCode}}, pid {{.State.Pid}})' "${name}" 2>&1 || true)"
    printf '  last lines of its log:\n'
    podman logs "${name}" 2>&1 | tail -n 20 | sed 's/^/    /' || true
} >&2
exit 1
