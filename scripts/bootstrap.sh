#!/usr/bin/env bash
# Set up everything the tests of fleetsec.banned_av need on a Debian 12 machine that reaches
# PyPI and Debian's archive but no Galaxy, container registry or GitHub.
#
# Idempotent and cheap to re-run: each step checks what is already there (stamp files, dpkg
# status, `podman image exists`) and does nothing if it is up to date.
#
#   scripts/bootstrap.sh [--light] [--no-apt] [--no-image] [--sync-only] [-v|--verbose]
#
#   --light      venv + collections only (scripts/audit.sh): no podman set-up or image, and
#                from apt only what that needs (rsync, python3-venv)
#   --no-apt     do not install Debian packages (they must be there already, or not needed)
#   --no-image   skip the Molecule test image (scripts/test.sh without molecule/integration)
#   --sync-only  only copy the working tree into the installed collection (SKIP_BOOTSTRAP=1)
#   --verbose    show apt, pip and debootstrap output instead of logging it
#
# Steps:
#   1. apt: podman runc debootstrap uidmap python3-hivex libhivex-bin chromium rsync dpkg-dev
#      and the ShellCheck linter (with it, ansible-test's shellcheck sanity test runs everywhere
#      instead of being skipped where the binary happens to be missing); rpm (rpm/rpmbuild: real
#      RPM databases for the offline-image tests) and libcap2-bin (capsh: the permission tests
#      run without root's DAC override); npm unless one is on PATH (the SARIF Multitool for the
#      report-consumer test).
#   2. venv at $BANNED_AV_VENV from requirements-dev.txt (re-installed when its sha256 changes).
#   3. collections root $BANNED_AV_COLLECTIONS/ansible_collections/: this working tree as
#      fleetsec/banned_av, plus the dependency collections copied from the `ansible` package.
#   4. ansible-test's pip bootstrap stand-in in ~/.ansible/test/cache (no ci-files download).
#   5. podman: $BANNED_AV_CACHE/containers.conf (CONTAINERS_CONF, see scripts/env.sh).
#   6. the Molecule image $BANNED_AV_IMAGE: debootstrap bookworm from the host's apt mirror,
#      `podman import`, checked once to boot systemd.
set -euo pipefail

# shellcheck source=scripts/env.sh
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"

DO_APT=1
DO_IMAGE=1
LIGHT=0
SYNC_ONLY=0
VERBOSE=0
while [ "$#" -gt 0 ]; do
    case "$1" in
        --light)
            LIGHT=1
            DO_IMAGE=0
            ;;
        --no-apt) DO_APT=0 ;;
        --no-image) DO_IMAGE=0 ;;
        --sync-only) SYNC_ONLY=1 ;;
        -v | --verbose) VERBOSE=1 ;;
        -h | --help)
            sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
            exit 0
            ;;
        *)
            echo "bootstrap: unknown option: $1" >&2
            exit 2
            ;;
    esac
    shift
done

# Bump when the image recipe below changes: an image with another label value is rebuilt.
IMAGE_RECIPE=1
APT_PACKAGES=(podman runc debootstrap uidmap python3-hivex libhivex-bin chromium rsync dpkg-dev shellcheck rpm libcap2-bin)
# Collections our code and tests use, copied from the `ansible` package (no Galaxy here).
# ansible-test only looks in the collections root the collection itself lives in.
DEP_COLLECTIONS=(ansible.windows ansible.posix community.general containers.podman awx.awx)
# shellcheck disable=SC2206  # word splitting wanted: a space separated list
DEP_COLLECTIONS+=(${BANNED_AV_EXTRA_COLLECTIONS:-})

LOG_DIR="${BANNED_AV_CACHE}/logs"
STAMP_DIR="${BANNED_AV_CACHE}/stamps"
mkdir -p "${LOG_DIR}" "${STAMP_DIR}" "${BANNED_AV_COLLECTIONS}/ansible_collections"

START=${SECONDS}
DID=()

say() { printf '[bootstrap] %s\n' "$*" >&2; }
die() {
    say "ERROR: $*"
    exit 1
}

# run LOGNAME CMD...: run quietly into $LOG_DIR/LOGNAME.log; show its tail if it fails.
run() {
    local name="$1"
    shift
    local log="${LOG_DIR}/${name}.log"
    if [ "${VERBOSE}" = 1 ]; then
        "$@" 2>&1 | tee -a "${log}"
        return "${PIPESTATUS[0]}"
    fi
    if ! "$@" >>"${log}" 2>&1; then
        say "command failed: $*"
        say "last lines of ${log}:"
        tail -n 40 "${log}" >&2
        return 1
    fi
}

as_root() {
    if [ "$(id -u)" = 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo -n "$@"
    else
        die "need root (or sudo) for: $*"
    fi
}

sha256() { sha256sum "$@" | cut -d' ' -f1; }

# --- 1. Debian packages -----------------------------------------------------------------------
apt_step() {
    local missing=() pkg
    local pkgs=("${APT_PACKAGES[@]}")
    [ "${LIGHT}" = 1 ] && pkgs=(rsync)
    # pip needs the CA bundle for PyPI.
    pkgs+=(ca-certificates)
    # The venv and ansible-test's per-test venvs need ensurepip; Debian splits it out.
    if ! command -v "${BANNED_AV_PYTHON}" >/dev/null 2>&1; then
        pkgs+=(python3 python3-venv)
    elif ! "${BANNED_AV_PYTHON}" -c 'import ensurepip, venv' >/dev/null 2>&1; then
        pkgs+=(python3-venv)
    fi
    # npm for the SARIF Multitool: Debian's package, unless an npm is there already (NodeSource's
    # nodejs ships its own and conflicts with Debian's npm package)
    [ "${LIGHT}" = 1 ] || command -v npm >/dev/null 2>&1 || pkgs+=(npm)
    for pkg in "${pkgs[@]}"; do
        if [ "$(dpkg-query -W -f='${db:Status-Status}' "${pkg}" 2>/dev/null)" != installed ]; then
            missing+=("${pkg}")
        fi
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    say "apt: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # Wait for another apt/dpkg run to finish instead of failing on its lock.
    local apt=(apt-get -q -y -o DPkg::Lock::Timeout=900)
    run apt as_root "${apt[@]}" update
    run apt as_root "${apt[@]}" install "${missing[@]}"
    DID+=(apt)
}

# --- 2. Python virtualenv ---------------------------------------------------------------------
venv_step() {
    local req="${BANNED_AV_ROOT}/requirements-dev.txt"
    [ -f "${req}" ] || die "missing ${req}"
    local py_version want have=""
    py_version="$("${BANNED_AV_PYTHON}" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')" ||
        die "cannot run ${BANNED_AV_PYTHON}"
    want="$(sha256 "${req}") python-${py_version}"
    local stamp="${BANNED_AV_VENV}/.fleetsec-requirements.stamp"
    if [ -x "${BANNED_AV_VENV}/bin/python" ] && "${BANNED_AV_VENV}/bin/python" -c '' 2>/dev/null; then
        [ -f "${stamp}" ] && have="$(cat "${stamp}")"
        [ "${have}" = "${want}" ] && return 0
        # A venv built by another interpreter version is rebuilt from scratch.
        case "${have}" in "" | *" python-${py_version}") ;; *) rm -rf "${BANNED_AV_VENV}" ;; esac
    fi
    if [ ! -x "${BANNED_AV_VENV}/bin/python" ]; then
        say "venv: creating ${BANNED_AV_VENV} (python ${py_version})"
        rm -rf "${BANNED_AV_VENV}"
        run venv "${BANNED_AV_PYTHON}" -m venv "${BANNED_AV_VENV}"
        run venv "${BANNED_AV_VENV}/bin/python" -m pip install --upgrade pip
    fi
    say "venv: installing requirements-dev.txt (a few minutes the first time)"
    run venv "${BANNED_AV_VENV}/bin/python" -m pip install --upgrade-strategy only-if-needed -r "${req}"
    "${BANNED_AV_VENV}/bin/python" -m pip check >>"${LOG_DIR}/venv.log" 2>&1 ||
        say "venv: 'pip check' reports conflicts (see ${LOG_DIR}/venv.log)"
    printf '%s\n' "${want}" >"${stamp}"
    rm -f "${STAMP_DIR}/collections.stamp" # the `ansible` package may have changed
    DID+=(venv)
}

# --- 3. collections root ----------------------------------------------------------------------
# The working tree, as ansible_collections/fleetsec/banned_av. A copy, not a symlink: ansible-test
# resolves the physical cwd. No .git in the copy, so ansible-test walks the files itself
# ("unversioned" provider): keep venvs, caches, reports and test output out of it.
sync_collection() {
    local dest="${BANNED_AV_COLLECTION_DIR}"
    mkdir -p "${dest}"
    # --delete-excluded: junk left in the copy by earlier runs (ansible-lint's .ansible/,
    # ansible-test's tests/output/) goes too, so every run starts from the working tree alone.
    rsync -a --delete --delete-excluded --filter=':- .gitignore' \
        --exclude=/.git --exclude=/.github --exclude=/tests/output/ \
        --exclude=.venv/ --exclude=/venv/ --exclude=.tox/ --exclude=__pycache__/ --exclude='*.py[co]' \
        --exclude=.pytest_cache/ --exclude=.mypy_cache/ --exclude=.ruff_cache/ \
        --exclude=/.cache/ --exclude=/.ansible/ --exclude=/banned_av_reports/ \
        --exclude='/*.tar.gz' \
        "${BANNED_AV_ROOT}/" "${dest}/"
}

dep_collections_step() {
    local site
    site="$("${BANNED_AV_VENV}/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/ansible_collections"
    [ -d "${site}" ] || die "no ansible_collections in ${site}: is the 'ansible' package installed?"
    # Also every dependency galaxy.yml declares, if the `ansible` package has it.
    local deps=("${DEP_COLLECTIONS[@]}") dep
    if [ -f "${BANNED_AV_ROOT}/galaxy.yml" ]; then
        while IFS= read -r dep; do
            [ -n "${dep}" ] && deps+=("${dep}")
        done < <("${BANNED_AV_VENV}/bin/python" - "${BANNED_AV_ROOT}/galaxy.yml" <<'PY' 2>/dev/null || true
import sys, yaml
with open(sys.argv[1], encoding="utf-8") as f:
    data = yaml.safe_load(f) or {}
for name in sorted((data.get("dependencies") or {})):
    print(name)
PY
        )
    fi
    local ansible_version want
    ansible_version="$("${BANNED_AV_VENV}/bin/python" -c 'from importlib.metadata import version; print(version("ansible"))')"
    want="ansible-${ansible_version} $(printf '%s\n' "${deps[@]}" | sort -u | tr '\n' ' ')"
    local stamp="${STAMP_DIR}/collections.stamp" root="${BANNED_AV_COLLECTIONS}/ansible_collections" ns name
    if [ -f "${stamp}" ] && [ "$(cat "${stamp}")" = "${want}" ]; then
        local complete=1
        for dep in "${DEP_COLLECTIONS[@]}"; do
            [ -d "${root}/${dep%%.*}/${dep#*.}" ] || complete=0
        done
        [ "${complete}" = 1 ] && return 0
    fi
    for dep in $(printf '%s\n' "${deps[@]}" | sort -u); do
        ns="${dep%%.*}"
        name="${dep#*.}"
        [ "${dep}" = fleetsec.banned_av ] && continue
        if [ ! -d "${site}/${ns}/${name}" ]; then
            say "collections: ${dep} is not in the ansible package (${site}); skipped"
            continue
        fi
        mkdir -p "${root}/${ns}/${name}"
        rsync -a --delete --exclude=__pycache__/ "${site}/${ns}/${name}/" "${root}/${ns}/${name}/"
    done
    printf '%s\n' "${want}" >"${stamp}"
    DID+=(collections)
}

# --- 4. ansible-test pip bootstrap stand-in ---------------------------------------------------
# ansible-test builds a venv per sanity test and bootstraps pip in it with a get-pip.py it
# downloads from ci-files.testing.ansible.com (unreachable here). It first looks for
# ~/.ansible/test/cache/get_pip_<pip version with underscores>.py. The stand-in below gives
# the venv pip from ensurepip (in a subprocess: ensurepip run in-process sets PIP_CONFIG_FILE
# to /dev/null and breaks the next pip call) and then lets that pip install the pinned pip
# from PyPI.
GET_PIP_MARKER='fleetsec.banned_av get-pip stand-in'
get_pip_step() {
    local cache="${HOME}/.ansible/test/cache" versions version target
    versions="$("${BANNED_AV_VENV}/bin/python" - <<'PY'
import pathlib, re
import ansible_test
src = pathlib.Path(ansible_test.__file__).parent / "_internal" / "python_requirements.py"
text = src.read_text(encoding="utf-8")
# default_packages = dict(pip='24.2') and any per-Python override such as {'pip': '21.3.1'}
found = set(re.findall(r"""pip\s*=\s*['"]([0-9][0-9.]*)['"]""", text))
found |= set(re.findall(r"""['"]pip['"]\s*:\s*['"]([0-9][0-9.]*)['"]""", text))
print("\n".join(sorted(found)))
PY
)"
    [ -n "${versions}" ] || die "could not find the pip version ansible-test wants"
    mkdir -p "${cache}"
    for version in ${versions}; do
        target="${cache}/get_pip_${version//./_}.py"
        # Leave a real get-pip.py alone (e.g. downloaded on a connected machine).
        if [ -f "${target}" ] && ! grep -q "${GET_PIP_MARKER}" "${target}"; then
            continue
        fi
        if [ -f "${target}" ] && [ "$(get_pip_script | sha256 -)" = "$(sha256 "${target}")" ]; then
            continue
        fi
        get_pip_script >"${target}.tmp"
        mv "${target}.tmp" "${target}"
        DID+=("get_pip_${version//./_}")
    done
}

get_pip_script() {
    cat <<PY
"""${GET_PIP_MARKER} (written by scripts/bootstrap.sh).

ansible-test runs this as get-pip.py with pip's arguments, e.g.
    --disable-pip-version-check pip==24.2 --no-setuptools --no-wheel
1. \`python -m ensurepip --upgrade\` in a subprocess gives the venv the pip bundled with Python.
2. That pip installs the requested packages (the exact pip version) from PyPI.
"""
import subprocess
import sys

DROP = {"--no-setuptools", "--no-wheel"}


def main():
    args = [arg for arg in sys.argv[1:] if arg not in DROP]
    subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade"], stdout=sys.stderr)
    if args:
        subprocess.check_call([sys.executable, "-m", "pip", "install"] + args)


if __name__ == "__main__":
    main()
PY
}

# --- 5. podman configuration ------------------------------------------------------------------
podman_conf_step() {
    local want
    want="$(cat <<'TOML'
# Written by scripts/bootstrap.sh; used through CONTAINERS_CONF (scripts/env.sh).
[containers]
# The kernel refuses to raise rlimits: podman's defaults fail with
# "setrlimit RLIMIT_NOFILE: Operation not permitted".
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
log_driver = "k8s-file"

[engine]
# crun fails here ("cgroups in hybrid mode not supported"); runc works.
runtime = "runc"
cgroup_manager = "cgroupfs"
# No systemd/journald on the host.
events_logger = "file"
TOML
)"
    if [ ! -f "${CONTAINERS_CONF}" ] || [ "$(cat "${CONTAINERS_CONF}")" != "${want}" ]; then
        printf '%s\n' "${want}" >"${CONTAINERS_CONF}"
        DID+=(containers.conf)
    fi
}

# --- 6. Molecule image ------------------------------------------------------------------------
# The mirror apt already uses for the host's Debian suite (deb822 .sources or one-line .list).
debian_mirror() {
    local suite="$1"
    if [ -n "${BANNED_AV_DEBIAN_MIRROR:-}" ]; then
        printf '%s\n' "${BANNED_AV_DEBIAN_MIRROR}"
        return
    fi
    local files=() f
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
        [ -f "${f}" ] && files+=("${f}")
    done
    python3 - "${suite}" "${files[@]}" <<'PY'
import re, sys
suite, files = sys.argv[1], sys.argv[2:]
found = []
for path in files:
    text = open(path, encoding="utf-8", errors="replace").read()
    if path.endswith(".sources"):
        for stanza in re.split(r"\n\s*\n", text):
            fields, key = {}, None
            for line in stanza.splitlines():
                if line.startswith("#") or not line.strip():
                    continue
                if line[0].isspace() and key:
                    fields[key] += " " + line.strip()
                    continue
                key, _, value = line.partition(":")
                key = key.strip().lower()
                fields[key] = value.strip()
            if fields.get("enabled", "yes").lower() == "no":
                continue
            if "deb" in fields.get("types", "").split() and suite in fields.get("suites", "").split():
                found += fields.get("uris", "").split()
    else:
        for line in text.splitlines():
            line = re.sub(r"\[[^]]*\]", " ", line.split("#", 1)[0]).split()
            if len(line) >= 3 and line[0] == "deb" and line[2] == suite:
                found.append(line[1])
print(next((u for u in found if u.startswith(("http://", "https://", "file:"))), "http://deb.debian.org/debian"))
PY
}

image_label() {
    podman image inspect --format '{{ index .Config.Labels "org.fleetsec.banned-av.recipe" }}' "${BANNED_AV_IMAGE}" 2>/dev/null || true
}

# Boot a throwaway container and wait (bounded, with retries: scripts/wait-systemd.sh) for
# systemd to finish starting; then check its Python.
check_image_boots() {
    local name="banned-av-image-check-$$" rc=0
    podman rm -f "${name}" >/dev/null 2>&1 || true
    podman run -d --name "${name}" --systemd=always "${BANNED_AV_IMAGE}" /sbin/init >/dev/null
    if ! "${BANNED_AV_ROOT}/scripts/wait-systemd.sh" "${name}" "${BANNED_AV_BOOT_TIMEOUT:-180}" >/dev/null; then
        podman rm -f "${name}" >/dev/null 2>&1 || true
        say "image: systemd in ${BANNED_AV_IMAGE} did not come up (see above)"
        return 1
    fi
    podman exec "${name}" python3 -c 'import sys; assert sys.version_info >= (3, 9)' || rc=$?
    podman rm -f "${name}" >/dev/null 2>&1 || true
    return "${rc}"
}

image_step() {
    if [ "$(id -u)" != 0 ]; then
        say "image: not root, skipping the debootstrap image (Molecule needs ${BANNED_AV_IMAGE})"
        return 0
    fi
    if podman image exists "${BANNED_AV_IMAGE}" && [ "$(image_label)" = "${IMAGE_RECIPE}" ]; then
        return 0
    fi
    local suite=bookworm mirror security work rootfs
    mirror="$(debian_mirror "${suite}")"
    security="$(BANNED_AV_DEBIAN_MIRROR="${BANNED_AV_DEBIAN_SECURITY_MIRROR:-}" debian_mirror "${suite}-security")"
    [ "${security}" = http://deb.debian.org/debian ] && security=http://deb.debian.org/debian-security
    say "image: building ${BANNED_AV_IMAGE} with debootstrap from ${mirror} (about a minute)"
    work="${BANNED_AV_CACHE}/image-build"
    rootfs="${work}/rootfs"
    rm -rf "${rootfs}"
    mkdir -p "${work}/debs" "${rootfs}"
    run image debootstrap --variant=minbase --cache-dir="${work}/debs" \
        --include=python3,systemd,systemd-sysv,dbus,procps,ca-certificates \
        "${suite}" "${rootfs}" "${mirror}"
    # apt inside the container uses the same mirrors as the host.
    cat >"${rootfs}/etc/apt/sources.list" <<EOF
deb ${mirror} ${suite} main
deb ${mirror} ${suite}-updates main
deb ${security} ${suite}-security main
EOF
    # Each container gets its own machine-id at boot; no apt caches in the image.
    : >"${rootfs}/etc/machine-id"
    rm -f "${rootfs}/var/lib/dbus/machine-id"
    rm -rf "${rootfs}"/var/cache/apt/archives/*.deb "${rootfs}"/var/lib/apt/lists/*_Packages
    podman rmi -f "${BANNED_AV_IMAGE}" >/dev/null 2>&1 || true
    tar --numeric-owner -C "${rootfs}" -c . |
        run image podman import \
            --change 'CMD ["/sbin/init"]' \
            --change 'STOPSIGNAL SIGRTMIN+3' \
            --change 'ENV container=podman' \
            --change "LABEL org.fleetsec.banned-av.recipe=${IMAGE_RECIPE}" \
            - "${BANNED_AV_IMAGE}"
    rm -rf "${rootfs}"
    if ! check_image_boots; then
        podman rmi -f "${BANNED_AV_IMAGE}" >/dev/null 2>&1 || true
        die "image ${BANNED_AV_IMAGE} does not boot systemd; see ${LOG_DIR}/image.log"
    fi
    DID+=(image)
}

# --- 7. SARIF Multitool (tests) ---------------------------------------------------------------
# Microsoft's SARIF validator, run on the SARIF report by tests/integration/test_report_consumers.py.
# From the npm registry into $BANNED_AV_CACHE/npm (the package ships its own binary); skipped,
# with a message, when npm is missing or the registry cannot be reached (the test is then skipped).
SARIF_MULTITOOL_VERSION=5.7.0
sarif_multitool_step() {
    local prefix="${BANNED_AV_CACHE}/npm" pkg=@microsoft/sarif-multitool-linux
    local dir="${BANNED_AV_CACHE}/npm/node_modules/@microsoft/sarif-multitool-linux"
    if ! command -v npm >/dev/null 2>&1; then
        say "sarif-multitool: npm not found, not installed (its integration test is skipped)"
        return 0
    fi
    if [ -x "${dir}/Sarif.Multitool" ] && grep -q "\"version\": \"${SARIF_MULTITOOL_VERSION}\"" "${dir}/package.json" 2>/dev/null; then
        return 0
    fi
    mkdir -p "${prefix}"
    if ! run npm npm install --prefix "${prefix}" --no-save --no-package-lock --no-audit --no-fund \
        "${pkg}@${SARIF_MULTITOOL_VERSION}"; then
        say "sarif-multitool: npm install failed, not installed (its integration test is skipped)"
        return 0
    fi
    chmod u+x "${dir}/Sarif.Multitool" # the package's postinstall, which npm may not run
    DID+=(sarif-multitool)
}

# ---------------------------------------------------------------------------------------------
# One bootstrap at a time (parallel test runs share the cache).
exec 9>"${BANNED_AV_CACHE}/.bootstrap.lock"
flock 9

if [ "${SYNC_ONLY}" = 1 ]; then
    [ -x "${BANNED_AV_VENV}/bin/python" ] || die "no venv at ${BANNED_AV_VENV}: run scripts/bootstrap.sh once"
    sync_collection
    exit 0
fi

[ "${DO_APT}" = 1 ] && apt_step
command -v rsync >/dev/null 2>&1 || die "rsync is missing (apt-get install rsync)"
venv_step
sync_collection
dep_collections_step
get_pip_step
podman_conf_step
[ "${LIGHT}" = 1 ] || sarif_multitool_step
if [ "${DO_IMAGE}" = 1 ]; then
    image_step
fi

if [ "${#DID[@]}" -gt 0 ]; then
    say "done in $((SECONDS - START))s: ${DID[*]}"
fi
