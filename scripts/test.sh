#!/usr/bin/env bash
# The test command of fleetsec.banned_av (CI runs it through .ci/run).
#
#   scripts/test.sh [STAGE...]       STAGE: unit sanity lint syntax packaging molecule consumer
#                                    integration compat (default: all)
#
#   unit         pytest tests/unit (plugins and module_utils, no hosts)
#   sanity       ansible-test sanity, no ignore file
#   lint         ansible-lint, production profile, offline
#   syntax       ansible-playbook --syntax-check of every playbook
#   packaging    the Galaxy tarball's contents, ansible-doc and ansible-builder on the installed
#                tarball (tests/packaging)
#   molecule     every Molecule scenario of this repository (podman, the debootstrap image)
#   consumer     the Molecule scenario for users' role repositories (docs/molecule/) in a throwaway
#                role outside this repository, with the collection installed from its tarball
#   integration  playbooks under ansible-runner, the HTML dashboard in Chromium, the README's audit
#   compat       unit tests and the audit integration run under the other supported ansible-core
#                versions: the oldest meta/runtime.yml claims and the newest (tests/compat)
#
# Stages always run in the order above, stop at the first failure, and end with a table of
# stage -> result -> seconds. Each stage logs to ${TEST_OUTPUT:-tests/output}/logs/<stage>.log;
# a failing stage prints the end of its log (the whole log when CI is set).
#
# Environment:
#   SKIP_BOOTSTRAP=1   do not run scripts/bootstrap.sh (the working tree is still copied into
#                      the installed collection, otherwise you would test stale code)
#   TEST_OUTPUT=DIR    where logs and JUnit files go (default: tests/output in the repository)
#   UNIT_WORKERS=N     pytest-xdist workers for the unit stage (default 0 = no xdist: on 2 cores
#                      2 workers took 24 s against 13 s serially for ~310 tests)
#   VERBOSE=1          stream every stage's output to the terminal as well as to its log
#   TAIL_LINES=N       how much of a failed stage's log to print (default 80)
#
# Everything runs against the installed copy of the collection,
# $BANNED_AV_COLLECTIONS/ansible_collections/fleetsec/banned_av (see scripts/env.sh), because
# ansible-test needs a real ansible_collections/NAMESPACE/NAME directory and the unit tests
# import ansible_collections.fleetsec.banned_av.plugins....
set -euo pipefail

INVOKED_FROM="$(pwd -P)"
SCRIPTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
# shellcheck source=scripts/env.sh
. "${SCRIPTS}/env.sh"
cd "${BANNED_AV_ROOT}"

ALL_STAGES=(unit sanity lint syntax packaging molecule consumer integration compat)

TEST_OUTPUT="${TEST_OUTPUT:-${BANNED_AV_ROOT}/tests/output}"
case "${TEST_OUTPUT}" in /*) ;; *) TEST_OUTPUT="${INVOKED_FROM}/${TEST_OUTPUT}" ;; esac
LOGS="${TEST_OUTPUT}/logs"
UNIT_WORKERS="${UNIT_WORKERS:-0}"
TAIL_LINES="${TAIL_LINES:-80}"
export TEST_OUTPUT

# --- arguments --------------------------------------------------------------------------------
declare -A WANT=()
if [ "$#" -eq 0 ]; then
    for s in "${ALL_STAGES[@]}"; do WANT[${s}]=1; done
fi
for arg in "$@"; do
    case "${arg}" in
        all) for s in "${ALL_STAGES[@]}"; do WANT[${s}]=1; done ;;
        unit | sanity | lint | syntax | packaging | molecule | consumer | integration | compat) WANT[${arg}]=1 ;;
        -h | --help)
            sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
            exit 0
            ;;
        *)
            echo "test.sh: unknown stage '${arg}' (stages: ${ALL_STAGES[*]})" >&2
            exit 2
            ;;
    esac
done
STAGES=()
for s in "${ALL_STAGES[@]}"; do
    [ -n "${WANT[${s}]:-}" ] && STAGES+=("${s}")
done

mkdir -p "${LOGS}"

# --- stage runner -----------------------------------------------------------------------------
RESULT_NAMES=()
RESULT_STATUS=()
RESULT_SECONDS=()

now() { printf '%s' "${EPOCHREALTIME/,/.}"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

banner() {
    printf '\n==============================================================================\n'
    printf '== %s\n' "$*"
    printf '==============================================================================\n'
}

summary() {
    printf '\n%-14s %-9s %8s\n' STAGE RESULT SECONDS
    printf '%-14s %-9s %8s\n' -------------- --------- --------
    local i
    for i in "${!RESULT_NAMES[@]}"; do
        printf '%-14s %-9s %8s\n' "${RESULT_NAMES[${i}]}" "${RESULT_STATUS[${i}]}" "${RESULT_SECONDS[${i}]}"
    done
}

# Stages that were asked for but not reached because an earlier one failed.
not_run_after() {
    local failed="$1" seen=0 s
    for s in "${STAGES[@]}"; do
        if [ "${seen}" = 1 ]; then
            RESULT_NAMES+=("${s}")
            RESULT_STATUS+=("not run")
            RESULT_SECONDS+=("-")
        fi
        [ "${s}" = "${failed}" ] && seen=1
    done
    return 0
}

# run_stage NAME FUNCTION: run FUNCTION in a subshell (its own cwd), output to the stage log.
run_stage() {
    local name="$1" fn="$2" log="${LOGS}/$1.log" start rc=0 secs
    banner "${name}  (log: ${log})"
    start="$(now)"
    # Not `( ... ) || rc=$?`: that would switch errexit off inside the stage.
    set +e
    if [ "${VERBOSE:-0}" = 1 ]; then
        (
            set -e
            "${fn}"
        ) </dev/null 2>&1 | tee "${log}"
        rc=$? # pipefail: the stage's status unless tee fails
    else
        (
            set -e
            "${fn}"
        ) </dev/null >"${log}" 2>&1
        rc=$?
    fi
    set -e
    secs="$(elapsed "${start}" "$(now)")"
    RESULT_NAMES+=("${name}")
    RESULT_SECONDS+=("${secs}")
    if [ "${rc}" = 0 ]; then
        RESULT_STATUS+=("passed")
        # One line of evidence: pytest's summary, ansible-lint's verdict, ...
        last_line "${log}"
        printf -- '-- %s passed in %ss\n' "${name}" "${secs}"
        return 0
    fi
    RESULT_STATUS+=("FAILED")
    if [ -n "${CI:-}" ] && [ "${VERBOSE:-0}" != 1 ]; then
        printf -- '-- full log of %s:\n' "${name}"
        cat "${log}"
    elif [ "${VERBOSE:-0}" != 1 ]; then
        printf -- '-- last %s lines of %s:\n' "${TAIL_LINES}" "${log}"
        tail -n "${TAIL_LINES}" "${log}"
    fi
    printf -- '-- %s FAILED (exit %s) after %ss\n' "${name}" "${rc}" "${secs}"
    not_run_after "${name}"
    summary
    exit "${rc}"
}

last_line() {
    local line
    line="$(grep -v -e '^[[:space:]]*$' -e '^WARNING: ' "$1" | tail -n 1)" || true
    [ -n "${line}" ] && printf '   %s\n' "${line}"
    return 0
}

in_collection() { cd "${BANNED_AV_COLLECTION_DIR}"; }

# --- stages -----------------------------------------------------------------------------------
stage_bootstrap() {
    if [ "${SKIP_BOOTSTRAP:-0}" = 1 ]; then
        echo "SKIP_BOOTSTRAP=1: only syncing the working tree into ${BANNED_AV_COLLECTION_DIR}"
        bash "${SCRIPTS}/bootstrap.sh" --sync-only
        return
    fi
    local flags=()
    # The podman image is only needed by Molecule and the integration tests.
    if [ -z "${WANT[molecule]:-}" ] && [ -z "${WANT[integration]:-}" ]; then
        flags+=(--no-image)
    fi
    bash "${SCRIPTS}/bootstrap.sh" "${flags[@]}"
    echo "bootstrap: up to date"
}

stage_unit() {
    in_collection
    # The collections root on sys.path makes `ansible_collections.fleetsec.banned_av...`
    # importable; ansible-core's collection loader handles the rest.
    export PYTHONPATH="${BANNED_AV_COLLECTIONS}${PYTHONPATH:+:${PYTHONPATH}}"
    local args=(tests/unit -ra -p no:cacheprovider --color=no -o junit_family=xunit1 --junitxml="${TEST_OUTPUT}/junit/unit.xml")
    if [ "${UNIT_WORKERS}" != 0 ]; then
        args+=(-n "${UNIT_WORKERS}")
    fi
    # Exit 5 ("no tests collected") is a failure too.
    pytest "${args[@]}"
    no_skips_in_ci "${TEST_OUTPUT}/junit/unit.xml"
}

# In CI a skipped test is a test that checked nothing (a tool bootstrap should have installed is
# missing): fail and name them. Locally they stay skips, with their reasons in the log.
no_skips_in_ci() {
    [ -n "${CI:-}" ] || return 0
    python - "$1" <<'PY'
import sys
import xml.etree.ElementTree as ET
skipped = [(case.get('classname'), case.get('name'), s.get('message'))
           for case in ET.parse(sys.argv[1]).iter('testcase') for s in case.findall('skipped')]
for classname, name, message in skipped:
    print('SKIPPED in CI: %s::%s: %s' % (classname, name, message))
sys.exit(1 if skipped else 0)
PY
}

# PowerShell and ansible-test 2.19 without pwsh (no registry we reach ships it):
#  * pslint needs pwsh + PSScriptAnalyzer; ansible-test would skip it with a warning. We skip
#    it explicitly.
#  * validate-modules asks pwsh for the argument spec of every .ps1 module that declares
#    `#AnsibleRequires -CSharpUtil Ansible.Basic`. Without pwsh,
#    validate_modules/module_args.py raises FileNotFoundError ("Required program for PowerShell
#    arg spec inspection "pwsh" not found."), validate.py dies with a traceback and ansible-test
#    aborts the whole sanity run with FATAL (the tests after it, e.g. yamllint, never run).
#    An ignore entry cannot help, since it is a crash and not a reported error.
#  So, when pwsh is missing and such .ps1 modules exist:
#    1. `ansible-test sanity --skip-test pslint --skip-test validate-modules`: every other test
#       runs on every file, .ps1 included (line-endings, shebang, no-smart-quotes, ...);
#    2. `ansible-test sanity --test validate-modules --exclude <those .ps1>`: validate-modules
#       still checks the Python modules, action plugins and the .ps1 modules' YAML/.py doc
#       sidecars (documentation schema, GPL header, ...); only the .ps1 arg-spec-vs-docs
#       comparison is left out. The unit tests parse the .ps1 with tree-sitter-powershell.
#  With pwsh on PATH, one plain `ansible-test sanity` run does everything.
stage_sanity() {
    in_collection
    local py common=() ps1=() f rc=0
    py="$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
    common=(--python "${py}" --venv --requirements --color no)
    # Every ERROR line ansible-test prints, repeated at the end so the log tail shows them all.
    local errors="${TEST_OUTPUT}/sanity-errors.txt"
    : >"${errors}"
    sanity() {
        echo "--- ansible-test sanity $*"
        ansible-test sanity "${common[@]}" "$@" 2>&1 | tee /dev/stderr | grep -E '^(ERROR|FATAL): ' >>"${errors}"
        return "${PIPESTATUS[0]}"
    }
    if command -v pwsh >/dev/null 2>&1; then
        sanity || rc=$?
    else
        shopt -s nullglob globstar
        for f in plugins/modules/**/*.ps1; do
            if grep -qiE '^#[[:space:]]*ansiblerequires[[:space:]]+-csharputil[[:space:]]+Ansible\.Basic' "${f}"; then
                ps1+=("${f}")
            fi
        done
        shopt -u nullglob globstar
        if [ "${#ps1[@]}" -eq 0 ]; then
            echo "pwsh not found: skipping pslint (no .ps1 module needs pwsh for validate-modules)"
            sanity --skip-test pslint || rc=$?
        else
            echo "pwsh not found: skipping pslint; validate-modules runs separately, without: ${ps1[*]}"
            # All tests but pslint and validate-modules, on every file.
            sanity --skip-test pslint --skip-test validate-modules || rc=$?
            # validate-modules on everything except the .ps1 modules that need pwsh (run even
            # if the first run failed, so one run shows all problems).
            local excludes=()
            for f in "${ps1[@]}"; do excludes+=(--exclude "${f}"); done
            sanity --test validate-modules "${excludes[@]}" || rc=$((rc ? rc : $?))
        fi
    fi
    if [ "${rc}" != 0 ]; then
        echo
        echo "=== ansible-test sanity problems ($(grep -c '^ERROR: ' "${errors}" || true) ERROR lines, also in ${errors}):"
        cat "${errors}"
    fi
    return "${rc}"
}

stage_lint() {
    in_collection
    # Config: .ansible-lint (profile production, offline). Dependency collections are in the
    # collections root already; nothing is installed or downloaded.
    ansible-lint --offline --nocolor
}

# Playbooks = YAML files under playbooks/ (and examples/) whose top level is a list of plays or
# import_playbook entries; vars files and the like are left alone.
find_playbooks() {
    local dirs=() d
    for d in playbooks examples; do [ -d "${d}" ] && dirs+=("${d}"); done
    [ "${#dirs[@]}" -eq 0 ] && return 0
    find "${dirs[@]}" -type f \( -name '*.yml' -o -name '*.yaml' \) -print0 | sort -z |
        python -c '
import sys, yaml
class Loader(yaml.SafeLoader):
    pass
# Tolerate Ansible tags such as !unsafe / !vault when sniffing.
Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
for path in sys.stdin.read().split("\0"):
    if not path:
        continue
    try:
        with open(path, encoding="utf-8") as f:
            data = yaml.load(f, Loader=Loader)
    except Exception:
        print(path)  # broken YAML: let --syntax-check say why
        continue
    keys = {"hosts", "import_playbook", "ansible.builtin.import_playbook"}
    if isinstance(data, list) and data and all(isinstance(p, dict) and keys & set(p) for p in data):
        print(path)
'
}

stage_syntax() {
    in_collection
    local books=() failed=() book
    mapfile -t books < <(find_playbooks)
    if [ "${#books[@]}" -eq 0 ]; then
        echo "no playbooks under playbooks/ or examples/"
        return 0
    fi
    # One ansible-playbook process for all of them (each start costs ~3 s); if that fails, one
    # per playbook so that every broken playbook is named.
    echo "--- ansible-playbook --syntax-check ${books[*]}"
    if ansible-playbook --syntax-check -i localhost, "${books[@]}"; then
        echo "syntax check passed: ${#books[@]} playbook(s)"
        return 0
    fi
    for book in "${books[@]}"; do
        echo "--- ansible-playbook --syntax-check ${book}"
        if ! ansible-playbook --syntax-check -i localhost, "${book}"; then
            failed+=("${book}")
        fi
    done
    if [ "${#failed[@]}" -gt 0 ]; then
        echo "syntax check failed: ${failed[*]}"
        return 1
    fi
    echo "syntax check passed: ${#books[@]} playbook(s)"
}

# Offline defaults for every scenario: no `prerun` (it would run ansible-galaxy to install
# galaxy.yml dependencies and the collection itself). Scenario files can still override it.
molecule_base_config() {
    local base="${BANNED_AV_CACHE}/molecule-base.yml"
    cat >"${base}" <<'EOF'
---
# Written by scripts/test.sh: offline defaults merged under each scenario's molecule.yml.
prerun: false
EOF
    printf '%s\n' "${base}"
}

# Scenario containers have fixed names: one Molecule run at a time on this machine (a second
# test run, from another clone or cache, waits here instead of destroying our containers).
molecule_lock() {
    local lock="${TMPDIR:-/tmp}/fleetsec-banned-av-molecule.lock"
    exec 8>"${lock}"
    if ! flock -n 8; then
        echo "another Molecule run holds ${lock}: waiting"
        flock 8
    fi
}

stage_molecule() {
    in_collection
    # Plain text in the log file (molecule passes this on to ansible as well).
    [ "${VERBOSE:-0}" = 1 ] || export NO_COLOR=1
    local base scenarios=() failed=() ran=0 yml dir scenario workdir
    base="$(molecule_base_config)"
    shopt -s nullglob
    scenarios=(molecule/*/molecule.yml roles/*/molecule/*/molecule.yml extensions/molecule/*/molecule.yml)
    shopt -u nullglob
    if [ "${#scenarios[@]}" -eq 0 ]; then
        echo "no scenarios (molecule/*/, roles/*/molecule/*/, extensions/molecule/*/): nothing to test"
        return 0
    fi
    podman image exists "${BANNED_AV_IMAGE}" || {
        echo "image ${BANNED_AV_IMAGE} is missing: run scripts/bootstrap.sh"
        return 1
    }
    molecule_lock
    for yml in "${scenarios[@]}"; do
        dir="$(dirname "${yml}")"
        scenario="$(basename "${dir}")"
        workdir="$(dirname "$(dirname "${dir}")")" # the directory that holds molecule/
        local configs=(-c "${base}") glob_env=()
        case "${yml}" in
            extensions/*)
                workdir=.
                glob_env=(MOLECULE_GLOB='extensions/molecule/*/molecule.yml')
                [ -f extensions/molecule/config.yml ] && configs+=(-c "${PWD}/extensions/molecule/config.yml")
                ;;
        esac
        # The installed copy has no .git, so molecule would not find the project's own config.
        [ -f "${workdir}/.config/molecule/config.yml" ] && configs+=(-c "$(cd "${workdir}" && pwd)/.config/molecule/config.yml")
        echo "--- (cd ${workdir} && molecule test -s ${scenario})"
        if (cd "${workdir}" && env "${glob_env[@]}" molecule "${configs[@]}" test -s "${scenario}"); then
            ran=$((ran + 1))
        else
            failed+=("${yml}")
        fi
    done
    if [ "${#failed[@]}" -gt 0 ]; then
        echo "molecule failed: ${failed[*]}"
        return 1
    fi
    echo "molecule passed: ${ran} scenario(s)"
}

stage_integration() {
    local script="${BANNED_AV_ROOT}/tests/integration/run.sh"
    if [ ! -f "${script}" ]; then
        echo "no tests/integration/run.sh: nothing to run"
        return 0
    fi
    # Runs from the repository root with scripts/env.sh exported (BANNED_AV_COLLECTION_DIR,
    # BANNED_AV_IMAGE, CONTAINERS_CONF, TEST_OUTPUT, ...) and, as for the unit tests, the
    # collections root on PYTHONPATH for `import ansible_collections.fleetsec.banned_av...`.
    export PYTHONPATH="${BANNED_AV_COLLECTIONS}${PYTHONPATH:+:${PYTHONPATH}}"
    local status=0
    bash "${script}" || status=$?
    # in CI a skipped test (Chromium, the SARIF Multitool, ansible-runner missing) fails the stage
    no_skips_in_ci "${TEST_OUTPUT}/junit/integration.xml" || status=1
    audit_statuses "${TEST_OUTPUT}/junit/integration.xml" || true
    return "${status}"
}

stage_packaging() {
    # From the repository root: the test builds the tarball from a copy of this working tree.
    pytest -p no:cacheprovider --color=no -q -o junit_family=xunit1 \
        --junitxml="${TEST_OUTPUT}/junit/packaging.xml" tests/packaging
}

# The scenario users copy (docs/molecule/banned_av), run the way a user runs it: in a new role
# outside this repository, with the collection from its tarball, and ansible's own collection
# paths (not this repository's collections root).
stage_consumer() {
    local work tarball role
    work="$(mktemp -d "${TMPDIR:-/tmp}/banned-av-consumer.XXXXXX")"
    ansible-galaxy collection build --output-path "${work}" "${BANNED_AV_COLLECTION_DIR}"
    tarball="$(ls "${work}"/fleetsec-banned_av-*.tar.gz)"
    (cd "${work}" && ansible-galaxy role init consumer_av)
    role="${work}/consumer_av"
    # A team's role: it deploys "their" anti-virus, here a stand-in service.
    cat >"${role}/tasks/main.yml" <<'YAML'
---
- name: Consumer AV | Install the service unit
  ansible.builtin.copy:
    dest: /etc/systemd/system/consumer-av.service
    content: |
      [Unit]
      Description=Consumer anti-virus (stand-in)
      [Service]
      ExecStart=/bin/sh -c 'while :; do sleep 3600; done'
      [Install]
      WantedBy=multi-user.target
    mode: "0644"
  register: consumer_av_unit

- name: Consumer AV | Start it
  ansible.builtin.systemd_service:
    name: consumer-av.service
    state: started
    enabled: true
    daemon_reload: "{{ consumer_av_unit is changed }}"
YAML
    cat >"${role}/meta/main.yml" <<'YAML'
---
galaxy_info:
  namespace: example
  role_name: consumer_av
  author: Example
  description: A role of a team that reuses fleetsec.banned_av
  license: GPL-3.0-or-later
  min_ansible_version: "2.16"
  platforms:
    - name: Debian
      versions: [bookworm]
dependencies: []
YAML
    mkdir -p "${role}/molecule"
    cp -r "${BANNED_AV_COLLECTION_DIR}/docs/molecule/banned_av" "${role}/molecule/"
    printf -- '---\ncollections:\n  - name: %s\n    type: file\n' "${tarball}" >"${role}/molecule/banned_av/collections.yml"
    molecule_lock
    [ "${VERBOSE:-0}" = 1 ] || export NO_COLOR=1
    echo "--- (cd ${role} && molecule test -s banned_av)"
    (
        cd "${role}"
        unset ANSIBLE_COLLECTIONS_PATH
        export ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=True MOLECULE_IMAGE="${BANNED_AV_IMAGE}"
        molecule test -s banned_av
    )
    rm -rf "${work}"
    echo "consumer scenario passed in a throwaway role"
}

# The other supported ansible-core versions: the oldest that meta/runtime.yml claims and the newest
# releases (the main venv is 2.19 on Python 3.11). CORE:PYTHON pairs; BANNED_AV_COMPAT overrides.
read -r -a COMPAT_VERSIONS <<<"${BANNED_AV_COMPAT:-2.16:3.11 2.20:3.12 2.21:3.12}"

# find_python X.Y: an interpreter of that version (on PATH, else from pyenv), or nothing.
find_python() {
    local want="$1" cand
    for cand in "python${want}" "${PYENV_ROOT:-${HOME}/.pyenv}"/versions/"${want}".*/bin/"python${want}"; do
        if "${cand}" -c 'import sys; assert "%d.%d" % sys.version_info[:2] == sys.argv[1]' "${want}" >/dev/null 2>&1; then
            command -v "${cand}"
            return 0
        fi
    done
    return 1
}

compat_venv() {
    local core="$1" python="$2" venv="$3" req="${BANNED_AV_ROOT}/tests/compat/requirements.txt" want
    want="ansible-core==${core}.* $(sha256sum "${req}" | cut -d' ' -f1) $("${python}" -V 2>&1)"
    if [ -x "${venv}/bin/python" ] && [ "$(cat "${venv}/.stamp" 2>/dev/null)" = "${want}" ]; then
        return 0
    fi
    echo "venv ${venv}: ansible-core ${core} on $("${python}" -V 2>&1)"
    rm -rf "${venv}"
    "${python}" -m venv "${venv}"
    "${venv}/bin/python" -m pip install -q --upgrade pip
    "${venv}/bin/python" -m pip install -q "ansible-core==${core}.*" -r "${req}"
    printf '%s\n' "${want}" >"${venv}/.stamp"
}

# The statuses the audit gave its fleet under one ansible-core (recorded by test_audit_runner.py).
audit_statuses() {
    python3 - "$1" <<'PY'
import sys
import xml.etree.ElementTree as ET
props = dict((p.get('name'), p.get('value')) for p in ET.parse(sys.argv[1]).iter('property'))
print('audit under ansible-core %s: %s' % (props.get('ansible_version', '?'), props.get('audit_statuses', 'not recorded')))
PY
}

stage_compat() {
    local spec core py python venv missing=() tested=()
    for spec in "${COMPAT_VERSIONS[@]}"; do
        core="${spec%%:*}"
        py="${spec#*:}"
        if ! python="$(find_python "${py}")"; then
            missing+=("ansible-core ${core} (needs Python ${py})")
            continue
        fi
        venv="${BANNED_AV_CACHE}/venv-core-${core}"
        compat_venv "${core}" "${python}" "${venv}"
        echo "=== $("${venv}/bin/ansible" --version | sed -n 1p) on $("${venv}/bin/python" -V 2>&1)"
        (
            export PATH="${venv}/bin:${PATH}" VIRTUAL_ENV="${venv}"
            export PYTHONPATH="${BANNED_AV_COLLECTIONS}${PYTHONPATH:+:${PYTHONPATH}}"
            in_collection
            python -m pytest -p no:cacheprovider --color=no -q -o junit_family=xunit1 \
                --junitxml="${TEST_OUTPUT}/junit/compat-${core}-unit.xml" tests/unit
            cd "${BANNED_AV_ROOT}"
            python -m pytest -p no:cacheprovider --color=no -q -o junit_family=xunit1 \
                --junitxml="${TEST_OUTPUT}/junit/compat-${core}-audit.xml" tests/integration/test_audit_runner.py
        )
        audit_statuses "${TEST_OUTPUT}/junit/compat-${core}-audit.xml"
        tested+=("${core}")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        echo "NOT TESTED: ${missing[*]}: no such Python here (PATH or pyenv)"
        # In CI a version that was not tested is a failure, not a quiet skip.
        [ -z "${CI:-}" ] || return 1
    fi
    echo "compat passed: ansible-core ${tested[*]} (and 2.19 in the other stages)"
}

# --- main -------------------------------------------------------------------------------------
START="$(now)"
run_stage bootstrap stage_bootstrap
for stage in "${STAGES[@]}"; do
    run_stage "${stage}" "stage_${stage}"
done
summary
printf '\nall %d stage(s) passed in %ss\n' "${#STAGES[@]}" "$(elapsed "${START}" "$(now)")"
