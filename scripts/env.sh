# shellcheck shell=bash
# Environment for the fleetsec.banned_av toolchain.
#
# Sourced by scripts/bootstrap.sh, scripts/test.sh and scripts/audit.sh; you can also source it
# in an interactive shell (`. scripts/env.sh`) to get the same ansible, molecule, ansible-lint,
# ansible-test and podman set-up by hand. It only sets variables: it never installs anything
# (run scripts/bootstrap.sh for that) and never changes shell options.
#
# Every location can be overridden from the environment:
#   BANNED_AV_CACHE        cache root              (~/.cache/fleetsec-banned-av)
#   BANNED_AV_VENV         Python virtualenv       ($BANNED_AV_CACHE/venv)
#   BANNED_AV_COLLECTIONS  collections root, i.e. the directory that holds ansible_collections/
#                                                  ($BANNED_AV_CACHE/collections)
#   BANNED_AV_IMAGE        Molecule test image     (localhost/banned-av-debian12:latest)
#   BANNED_AV_PYTHON       interpreter for the venv (python3.11, else python3)

BANNED_AV_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
BANNED_AV_CACHE="${BANNED_AV_CACHE:-${HOME}/.cache/fleetsec-banned-av}"
BANNED_AV_VENV="${BANNED_AV_VENV:-${BANNED_AV_CACHE}/venv}"
BANNED_AV_COLLECTIONS="${BANNED_AV_COLLECTIONS:-${BANNED_AV_CACHE}/collections}"
# The installed copy of this repository. ansible-test, ansible-lint and the unit tests run from
# here, because ansible-test needs a real (not symlinked) ansible_collections/NS/NAME directory.
BANNED_AV_COLLECTION_DIR="${BANNED_AV_COLLECTIONS}/ansible_collections/fleetsec/banned_av"
BANNED_AV_IMAGE="${BANNED_AV_IMAGE:-localhost/banned-av-debian12:latest}"
if [ -z "${BANNED_AV_PYTHON:-}" ]; then
    if command -v python3.11 >/dev/null 2>&1; then
        BANNED_AV_PYTHON=python3.11
    else
        BANNED_AV_PYTHON=python3
    fi
fi
export BANNED_AV_ROOT BANNED_AV_CACHE BANNED_AV_VENV BANNED_AV_COLLECTIONS \
    BANNED_AV_COLLECTION_DIR BANNED_AV_IMAGE BANNED_AV_PYTHON

# Python virtualenv first on PATH (added once, even if this file is sourced repeatedly).
case ":${PATH}:" in
    *":${BANNED_AV_VENV}/bin:"*) ;;
    *) PATH="${BANNED_AV_VENV}/bin:${PATH}" ;;
esac
export PATH
export VIRTUAL_ENV="${BANNED_AV_VENV}"
unset PYTHONHOME

# Ansible sees exactly this collection plus the dependency collections that bootstrap copied
# next to it (ansible.windows, ansible.posix, community.general, containers.podman, awx.awx).
# Not scanning sys.path keeps the ~100 other collections bundled in the `ansible` package out of
# sight, so a dependency missing from galaxy.yml fails here rather than on a user's controller.
export ANSIBLE_COLLECTIONS_PATH="${BANNED_AV_COLLECTIONS}"
export ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=False
export ANSIBLE_PYTHON_INTERPRETER="${ANSIBLE_PYTHON_INTERPRETER:-auto_silent}"
export ANSIBLE_RETRY_FILES_ENABLED=False

# ansible-lint: `offline: true` lives in .ansible-lint (no version check against GitHub, no
# schema refresh, no ansible-galaxy install of requirements). This is a second guard for runs
# that use another config file.
export ANSIBLE_LINT_SKIP_SCHEMA_UPDATE=1

# Podman: runc (crun fails on this cgroup v1 / hybrid host), cgroupfs, ulimits the kernel lets us
# set, file-based events (no journald on the host). Written by scripts/bootstrap.sh.
export CONTAINERS_CONF="${BANNED_AV_CACHE}/containers.conf"

# Library warnings that say nothing about this collection stay off the user's terminal, each
# filtered by the start of its message (not by category, which would need the library imported):
#   cryptography >= 43 warns about DSA when ansible-core 2.19 imports its SSH agent support.
case ",${PYTHONWARNINGS:-}," in
    *",ignore:DSA is deprecated:Warning,"*) ;;
    *) PYTHONWARNINGS="${PYTHONWARNINGS:+${PYTHONWARNINGS},}ignore:DSA is deprecated:Warning" ;;
esac
export PYTHONWARNINGS

# pip talks to PyPI (or to the mirror configured in pip.conf) only; keep it quiet.
export PIP_DISABLE_PIP_VERSION_CHECK=1

# Molecule: no Galaxy dependency step (scenarios also set `dependency.enabled: false`).
export MOLECULE_IMAGE="${BANNED_AV_IMAGE}"
