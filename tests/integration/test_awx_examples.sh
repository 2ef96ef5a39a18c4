#!/usr/bin/env bash
# Checks of the AWX / Automation Controller examples (examples/awx, docs/awx.md). No AWX server is
# needed; exits non-zero on the first stage with a problem.
#
#   tests/integration/test_awx_examples.sh        (tests/integration/run.sh calls it)
#
# 1. syntax   ansible-playbook --syntax-check of configure_awx.yml and the wrapper playbooks
# 2. lint     ansible-lint --offline, profile production, on examples/awx
# 3. api      configure_awx.yml against a small in-memory stand-in of the AWX v2 API: every awx.awx
#             module accepts its arguments, the objects sent are the intended ones (credential type
#             injectors, surveys, slices, the always-merge node, schedule), a second run changes
#             nothing, and no secret shows in the output. The stand-in is not AWX: AWX's own
#             validation of those objects (survey rules, rrule, ...) is not exercised.
# 4. slices   the sliced audit as AWX runs it, locally: the audit wrapper over three disjoint
#             slices of a fake fleet (offline root trees), then the merge wrapper; the fleet report
#             holds every host once, the merge fails on violations when asked to, and refuses a
#             missing slice or a host in two slices.
# 5. report   the report-driven workflow, locally: the enforce wrapper (check mode) with the audit's
#             banned_av_reports artifact as extra var takes exactly the hosts that audit failed.
# 6. trend    the audit wrapper as a scheduled standalone job, twice more: each report compares with
#             the newest earlier audit report (banned_av_previous_report), slices get no trend.
# 7. fleet trend  the merge wrapper of the next sliced workflows: the merged fleet report compares with
#             the newest earlier merged fleet report (not its own, not an audit's), an extra var wins,
#             banned_av_awx_trend: false switches it off, and a tampered previous fleet report fails the
#             merge naming banned_av_previous_report, with nothing written.
#
# fleetsec.banned_av resolves to this working tree (not to an installed copy) through a scratch
# collections directory put first on ANSIBLE_COLLECTIONS_PATH; awx.awx and the other dependencies
# come from $BANNED_AV_COLLECTIONS (scripts/bootstrap.sh). A wrapper whose playbook does not exist
# yet in the collection (enforce, merge_reports) is skipped with a message, and so are the checks
# that need it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
# shellcheck source=scripts/env.sh
. "${ROOT}/scripts/env.sh"
cd "${ROOT}"

EX=examples/awx
WORK="$(mktemp -d "${TMPDIR:-/tmp}/banned-av-awx.XXXXXX")"
MOCK_PID=""
cleanup() {
    if [ -n "${MOCK_PID}" ]; then kill "${MOCK_PID}" 2>/dev/null || true; fi
    rm -rf "${WORK}"
}
trap cleanup EXIT

say() { printf '\n== %s\n' "$*"; }
fail() {
    printf 'FAIL: %s\n' "$*" >&2
    exit 1
}

# --- environment --------------------------------------------------------------------------------
mkdir -p "${WORK}/collections/ansible_collections/fleetsec" "${WORK}/ansible-home"
ln -s "${ROOT}" "${WORK}/collections/ansible_collections/fleetsec/banned_av"
export ANSIBLE_COLLECTIONS_PATH="${WORK}/collections:${BANNED_AV_COLLECTIONS}"
# ansible-lint --offline puts $ANSIBLE_HOME/collections (default ~/.ansible/collections) first on the
# collections path; a stale copy of this collection there would shadow the working tree.
export ANSIBLE_HOME="${WORK}/ansible-home"
export ANSIBLE_NOCOLOR=1 ANSIBLE_HOST_KEY_CHECKING=False ANSIBLE_RETRY_FILES_ENABLED=False
export PYTHONPATH="${WORK}/collections${PYTHONPATH:+:${PYTHONPATH}}"
PY="$(command -v python)"

[ -d "${BANNED_AV_COLLECTIONS}/ansible_collections/awx/awx" ] ||
    fail "awx.awx is not in ${BANNED_AV_COLLECTIONS}: run scripts/bootstrap.sh"

BOOKS=("${EX}/configure_awx.yml" "${EX}/wrapper_playbooks/audit.yml")
SKIPPED=()
HAVE_MERGE=0
if [ -f playbooks/enforce.yml ]; then
    BOOKS+=("${EX}/wrapper_playbooks/enforce.yml")
else
    SKIPPED+=("${EX}/wrapper_playbooks/enforce.yml")
    echo "SKIP ${EX}/wrapper_playbooks/enforce.yml: playbooks/enforce.yml (fleetsec.banned_av.enforce) does not exist yet"
fi
if [ -f playbooks/merge_reports.yml ]; then
    BOOKS+=("${EX}/wrapper_playbooks/merge.yml")
    HAVE_MERGE=1
else
    SKIPPED+=("${EX}/wrapper_playbooks/merge.yml")
    echo "SKIP ${EX}/wrapper_playbooks/merge.yml and the slice merge checks: playbooks/merge_reports.yml does not exist yet"
fi

# --- 1. syntax ----------------------------------------------------------------------------------
say "syntax check"
for book in "${BOOKS[@]}"; do
    ansible-playbook --syntax-check -i localhost, "${book}" >"${WORK}/syntax.log" 2>&1 || {
        cat "${WORK}/syntax.log"
        fail "syntax check of ${book}"
    }
    echo "ok ${book}"
done

# --- 2. lint ------------------------------------------------------------------------------------
say "ansible-lint --offline --profile production ${EX}"
lint_args=(--offline --nocolor --profile production "${EX}")
for book in "${SKIPPED[@]}"; do lint_args+=(--exclude "${book}"); done
ansible-lint "${lint_args[@]}" || fail "ansible-lint found problems in ${EX}"

# --- 3. api -------------------------------------------------------------------------------------
say "configure_awx.yml against an AWX API stand-in"
cat >"${WORK}/awx_standin.py" <<'PYEOF'
"""In-memory stand-in for the AWX v2 REST API: list/filter, create, patch, associations, surveys."""
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

STORE, ASSOC, SURVEY, NEXT, LOCK = {}, {}, {}, [100], threading.Lock()
UJT = ('job_templates', 'workflow_job_templates', 'projects', 'inventory_sources')


def create(ep, data):
    NEXT[0] += 1
    obj = dict(data, id=NEXT[0], url='/api/v2/%s/%d/' % (ep, NEXT[0]), summary_fields={}, scm_revision='',
               related={'survey_spec': '/api/v2/%s/%d/survey_spec/' % (ep, NEXT[0])})
    STORE.setdefault(ep, {})[obj['id']] = obj
    return obj


def shown(ep, obj):
    if ep == 'credentials' and isinstance(obj.get('inputs'), dict):   # AWX never shows secrets back
        obj = dict(obj, inputs=dict((k, '$encrypted$' if 'password' in k else v) for k, v in obj['inputs'].items()))
    return obj


def matches(obj, query):
    ors = [(k[4:], v) for k, v in query.items() if k.startswith('or__')]
    if ors and not any(str(obj.get(k)) == v for k, v in ors):
        return False
    return all(str(obj.get(k)) == v for k, v in query.items() if not k.startswith('or__') and k not in ('page', 'page_size'))


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, code, body=None):
        data = b'' if body is None else json.dumps(body).encode()
        self.send_response(code)
        for k, v in (('Content-Type', 'application/json'), ('X-API-Product-Name', 'AWX'),
                     ('X-API-Product-Version', '24.6.1'), ('Content-Length', str(len(data)))):
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def route(self):
        url = urlparse(self.path)
        return [s for s in url.path.split('/') if s][2:], dict((k, v[-1]) for k, v in parse_qs(url.query).items())

    def payload(self, method, segs):
        size = int(self.headers.get('Content-Length') or 0)
        data = json.loads(self.rfile.read(size).decode() or '{}') if size else {}
        with open(sys.argv[2], 'a') as log:
            log.write(json.dumps({'method': method, 'path': '/'.join(segs), 'data': data}) + '\n')
        return data

    def listing(self, objs):
        return self.reply(200, {'count': len(objs), 'next': None, 'previous': None, 'results': objs})

    def do_GET(self):
        segs, query = self.route()
        with LOCK:
            if len(segs) == 1:
                eps = UJT if segs[0] == 'unified_job_templates' else (segs[0],)
                return self.listing([shown(e, o) for e in eps for o in STORE.get(e, {}).values() if matches(o, query)])
            if len(segs) == 2 and int(segs[1]) in STORE.get(segs[0], {}):
                return self.reply(200, shown(segs[0], STORE[segs[0]][int(segs[1])]))
            if len(segs) == 3 and segs[2] == 'survey_spec':
                return self.reply(200, SURVEY.get((segs[0], int(segs[1])), {}))
            if len(segs) == 3:
                return self.listing([{'id': i} for i in ASSOC.get((segs[0], int(segs[1]), segs[2]), [])])
        return self.reply(404, {'detail': 'Not found.'})

    def do_POST(self):
        segs, _ = self.route()
        data = self.payload('POST', segs)
        with LOCK:
            if len(segs) == 1:
                return self.reply(201, shown(segs[0], create(segs[0], data)))
            if len(segs) == 3 and segs[2] == 'survey_spec':
                SURVEY[(segs[0], int(segs[1]))] = data
                return self.reply(200, {})
            if len(segs) == 3:
                ids = ASSOC.setdefault((segs[0], int(segs[1]), segs[2]), [])
                if data.get('disassociate'):
                    ids.remove(data['id'])
                elif data['id'] not in ids:
                    ids.append(data['id'])
                return self.reply(204)
        return self.reply(404, {'detail': 'Not found.'})

    def do_PATCH(self):
        segs, _ = self.route()
        data = self.payload('PATCH', segs)
        with LOCK:
            obj = STORE.get(segs[0], {}).get(int(segs[1]))
            if obj is None:
                return self.reply(404, {'detail': 'Not found.'})
            obj.update(data)
            return self.reply(200, shown(segs[0], obj))


org = create('organizations', {'name': 'Default'})
create('inventories', {'name': 'Fleet', 'organization': org['id']})
create('credentials', {'name': 'Fleet SSH', 'organization': org['id']})
server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
with open(sys.argv[1], 'w') as handle:
    handle.write(str(server.server_address[1]))
server.serve_forever()
PYEOF
"${PY}" "${WORK}/awx_standin.py" "${WORK}/port" "${WORK}/requests.jsonl" &
MOCK_PID=$!
for _ in $(seq 50); do [ -s "${WORK}/port" ] && break; sleep 0.1; done
[ -s "${WORK}/port" ] || fail "the AWX API stand-in did not start"

SECRET='Uninst-0f-{{ not_templated }}'
configure() {
    env CONTROLLER_HOST="http://127.0.0.1:$(cat "${WORK}/port")" CONTROLLER_OAUTH_TOKEN=stand-in \
        BANNED_AV_UNINSTALL_PASSWORD="${SECRET}" BANNED_AV_NETWORK_AGENT_PASSWORD="Agent-${SECRET}" \
        BANNED_AV_KES_LOGIN=kes-admin \
        ansible-playbook -v "${EX}/configure_awx.yml" -e '{"banned_av_awx_machine_credentials": ["Fleet SSH"]}'
}
configure >"${WORK}/configure1.log" 2>&1 || {
    cat "${WORK}/configure1.log"
    fail "configure_awx.yml against the API stand-in"
}
cp "${WORK}/requests.jsonl" "${WORK}/requests1.jsonl"
configure >"${WORK}/configure2.log" 2>&1 || {
    cat "${WORK}/configure2.log"
    fail "second run of configure_awx.yml"
}
grep -q 'changed=0 ' "${WORK}/configure2.log" || {
    grep -E '^(changed|TASK)' "${WORK}/configure2.log"
    fail "the second run of configure_awx.yml changed something (not idempotent)"
}
if grep -F -q -e 'Uninst-0f' "${WORK}/configure1.log" "${WORK}/configure2.log"; then
    fail "an uninstall secret shows in the output of configure_awx.yml"
fi
"${PY}" - "${WORK}/requests1.jsonl" "${SECRET}" <<'PYEOF'
import json
import sys

reqs = [json.loads(line) for line in open(sys.argv[1])]
secret = sys.argv[2]


def created(path, name=None):
    found = [r['data'] for r in reqs if r['method'] == 'POST' and r['path'] == path and r['data'].get('name', name) == name]
    assert found, 'no %s named %r was created' % (path, name)
    return found[0]


ctype = created('credential_types', 'Banned AV uninstall secrets')
assert ctype['kind'] == 'cloud'
fields = dict((f['id'], f) for f in ctype['inputs']['fields'])
assert fields['uninstall_password']['secret'] and fields['network_agent_password']['secret'], fields
assert not fields['kes_login'].get('secret'), fields
assert ctype['injectors'] == {'extra_vars': {
    'banned_av_uninstall_password': '{{ uninstall_password }}',
    'banned_av_network_agent_password': '{{ network_agent_password }}',
    'banned_av_kes_login': '{{ kes_login }}'}}, ctype['injectors']
cred = created('credentials', 'Banned AV - uninstall secrets')
assert cred['inputs'] == {'uninstall_password': secret, 'network_agent_password': 'Agent-' + secret,
                          'kes_login': 'kes-admin'}, 'credential inputs (templated or missing?)'
for r in reqs:   # the secrets go to the credential and nowhere else
    if r['path'] != 'credentials':
        assert 'Uninst-0f' not in json.dumps(r['data']), 'secret sent to %s' % r['path']

jts = dict((r['data']['name'], (i, r['data'])) for i, r in enumerate(reqs)
           if r['method'] == 'POST' and r['path'] == 'job_templates')
surveys = [r['data'] for r in reqs if r['path'].endswith('/survey_spec')]
variables = [sorted(q['variable'] for q in s['spec']) for s in surveys]
assert ['banned_av_as_of', 'banned_av_fail_on_violation', 'banned_av_report_formats'] in variables, variables
assert ['banned_av_force', 'banned_av_reboot_allowed', 'banned_av_replacement', 'banned_av_serial'] in variables, variables
assert ['banned_av_as_of', 'banned_av_fail_on_violation'] in variables, variables
enforce_survey = [s for s in surveys if any(q['variable'] == 'banned_av_replacement' for q in s['spec'])][0]
replacement = [q for q in enforce_survey['spec'] if q['variable'] == 'banned_av_replacement'][0]
assert replacement['type'] == 'multiplechoice' and replacement['choices'] == ['clamav', 'mdatp', 'defender', 'custom', 'none']

audit = jts['Banned AV - audit'][1]
assert audit['ask_limit_on_launch'] and audit['survey_enabled'] and audit['playbook'] == 'wrapper_playbooks/audit.yml'
enforce = jts['Banned AV - enforce'][1]
assert enforce['ask_limit_on_launch'] and enforce['survey_enabled'] and enforce['playbook'] == 'wrapper_playbooks/enforce.yml'
sliced = jts['Banned AV - audit (sliced)'][1]
assert sliced['job_slice_count'] == 4 and json.loads(sliced['extra_vars'])['banned_av_report_formats'] == ['json']
merge = jts['Banned AV - merge slice reports'][1]
assert merge['playbook'] == 'wrapper_playbooks/merge.yml'
for name, (_, jt) in jts.items():
    assert 'banned_av_report_dir' not in json.loads(jt.get('extra_vars') or '{}'), name
    assert '{{' not in (jt.get('extra_vars') or ''), 'Jinja in the extra vars of %s' % name

# credential links: audit 1 (machine), enforce 2 (machine + secrets), sliced 1 (machine), merge none
links = [r for r in reqs if r['method'] == 'POST' and r['path'].startswith('job_templates/') and r['path'].endswith('/credentials')]
assert len(links) == 4, links

nodes = [r['data'] for r in reqs if r['method'] == 'POST' and r['path'] == 'workflow_job_template_nodes']
assert sorted(n['identifier'] for n in nodes) == ['audit', 'enforce-failed', 'merge', 'slices'], nodes
always = [r for r in reqs if r['path'].endswith('/always_nodes')]
assert len(always) == 1, 'slices must lead to the merge on "always"'
failure = [r for r in reqs if r['path'].endswith('/failure_nodes')]
assert len(failure) == 1, 'the audit must lead to the report-driven enforce on "failure"'
created('workflow_job_templates', 'Banned AV - audit, then enforce what failed')
schedule = created('schedules', 'Banned AV - daily audit')
assert 'FREQ=DAILY' in schedule['rrule'] and schedule['enabled'] is True
assert created('execution_environments', 'Banned AV EE')['image']
assert created('projects', 'Banned AV')['default_environment']
print('api stand-in: %d requests, objects and links as intended' % len(reqs))
PYEOF
kill "${MOCK_PID}" 2>/dev/null || true
wait "${MOCK_PID}" 2>/dev/null || true
MOCK_PID=""
echo "ok configure_awx.yml: accepted by every module, idempotent, no secret in the output"

# --- 4. slices ----------------------------------------------------------------------------------
say "sliced audit and merge, locally"
FLEET="${WORK}/fleet"
"${PY}" - "${FLEET}" "${PY}" <<'PYEOF'
import json
import os
import sys

from ansible_collections.fleetsec.banned_av.tests.support import roots

base, python = sys.argv[1], sys.argv[2]
hosts = {}
for name, build in (('clean-01', roots.clean_linux_root), ('clean-02', roots.clean_linux_root),
                    ('clean-03', roots.clean_linux_root), ('kesl-01', roots.kesl_linux_root),
                    ('kesl-02', roots.kesl_linux_root), ('waived-01', roots.kesl_linux_root),
                    ('clean-04', roots.clean_linux_root)):
    build(os.path.join(base, 'roots', name))
    hosts[name] = {'ansible_connection': 'local', 'ansible_python_interpreter': python,
                   'banned_av_scan_root': os.path.join(base, 'roots', name)}
with open(os.path.join(base, 'inventory.json'), 'w') as handle:
    json.dump({'all': {'hosts': hosts}}, handle)
names = sorted(hosts)
with open(os.path.join(base, 'slices'), 'w') as handle:   # AWX deals hosts out like this
    for number in range(3):
        handle.write(','.join(names[number::3]) + '\n')
waiver = {'hosts': ['waived-*'], 'products': ['kaspersky.*'], 'expires': '2099-12-31', 'owner': 'jane.doe',
          'ticket': 'SEC-4711', 'reason': 'isolated lab'}
with open(os.path.join(base, 'vars.json'), 'w') as handle:
    json.dump({'banned_av_awx_report_root': os.path.join(base, 'reports'), 'banned_av_report_formats': ['json'],
               'banned_av_fail_on_violation': False, 'banned_av_as_of': '2026-11-27', 'banned_av_waivers': [waiver]},
              handle)
PYEOF
INV="${FLEET}/inventory.json"
REPORTS="${FLEET}/reports"
job=700
while read -r slice; do
    job=$((job + 1))
    ansible-playbook -i "${INV}" "${EX}/wrapper_playbooks/audit.yml" --limit "${slice}" \
        -e "@${FLEET}/vars.json" -e awx_workflow_job_id=700 -e "awx_job_id=${job}" >"${WORK}/slice-${job}.log" 2>&1 || {
        cat "${WORK}/slice-${job}.log"
        fail "audit wrapper on slice ${slice}"
    }
    [ -f "${REPORTS}/workflow-700/job-${job}/banned_av_report.json" ] ||
        fail "slice ${slice} did not write ${REPORTS}/workflow-700/job-${job}/banned_av_report.json"
    echo "ok slice job-${job} (${slice}) -> workflow-700/job-${job}/"
done <"${FLEET}/slices"
# A job launched on its own (no awx_workflow_job_id) writes under standalone/.
ansible-playbook -i "${INV}" "${EX}/wrapper_playbooks/audit.yml" --limit clean-01 \
    -e "@${FLEET}/vars.json" -e awx_job_id=42 >"${WORK}/standalone.log" 2>&1 || {
    cat "${WORK}/standalone.log"
    fail "audit wrapper as a standalone job"
}
[ -f "${REPORTS}/standalone/job-42/banned_av_report.json" ] ||
    fail "a standalone job did not write ${REPORTS}/standalone/job-42/banned_av_report.json"
echo "ok standalone job-42 -> standalone/job-42/"

if [ "${HAVE_MERGE}" = 1 ]; then
    # As the workflow node: the artifacts of the last slice arrive as extra vars.
    artifact() { printf '{"banned_av_reports": {"json": "%s/%s/banned_av_report.json"}}' "${REPORTS}" "$1"; }
    merge() {
        local out="$1"
        shift
        ansible-playbook -i "${INV}" "${EX}/wrapper_playbooks/merge.yml" \
            -e "banned_av_awx_report_root=${REPORTS}" -e '{"banned_av_report_formats": ["json", "csv"]}' \
            -e banned_av_fail_on_violation=false "$@" >"${out}" 2>&1
    }
    merge "${WORK}/merge.log" -e "$(artifact workflow-700/job-703)" || {
        cat "${WORK}/merge.log"
        fail "merge wrapper on three complete slices"
    }
    "${PY}" - "${REPORTS}/workflow-700/fleet/banned_av_report.json" "${INV}" <<'PYEOF'
import json
import sys

report = json.load(open(sys.argv[1]))
inventory = sorted(json.load(open(sys.argv[2]))['all']['hosts'])
names = [h['name'] for h in report['hosts']]
assert sorted(names) == inventory, 'fleet report hosts %s != inventory %s' % (sorted(names), inventory)
assert len(names) == len(set(names)), 'a host counted twice'
status = dict((h['name'], h['status']) for h in report['hosts'])
assert status['kesl-01'] == 'noncompliant' and status['waived-01'] == 'waived' and status['clean-01'] == 'compliant', status
assert len(report['run']['slices']) == 3, report['run']['slices']
assert sorted(s['awx_job_id'] for s in report['run']['slices']) == ['701', '702', '703'], report['run']['slices']
assert report['summary']['hosts'] == len(inventory), report['summary']
print('fleet report: %d hosts from 3 slices, each once' % len(names))
PYEOF
    [ -f "${REPORTS}/workflow-700/fleet/banned_av_report.csv" ] || fail "the merge did not write the CSV fleet report"

    # AWX job status follows banned_av_fail_on_violation (kesl-01 and kesl-02 are noncompliant).
    if merge "${WORK}/merge-fail.log" -e "$(artifact workflow-700/job-703)" -e banned_av_fail_on_violation=true; then
        fail "the merge succeeded with banned_av_fail_on_violation=true and noncompliant hosts"
    fi
    grep -q 'kesl-01' "${WORK}/merge-fail.log" || fail "the failed merge does not name the failing hosts"
    echo "ok merge fails on violations when banned_av_fail_on_violation is true"

    # A slice report missing: hosts lost, the merge must refuse.
    mkdir -p "${REPORTS}/workflow-701"
    cp -r "${REPORTS}/workflow-700/job-701" "${REPORTS}/workflow-700/job-702" "${REPORTS}/workflow-701/"
    if merge "${WORK}/merge-lost.log" -e "$(artifact workflow-701/job-702)"; then
        fail "the merge accepted slices that miss hosts of the inventory"
    fi
    grep -q 'in no slice report' "${WORK}/merge-lost.log" || {
        cat "${WORK}/merge-lost.log"
        fail "the merge failed on a missing slice, but not with the expected message"
    }
    [ ! -e "${REPORTS}/workflow-701/fleet" ] || fail "a fleet report was written although hosts were lost"
    echo "ok merge refuses when a slice report is missing"
    merge "${WORK}/merge-partial.log" -e "$(artifact workflow-701/job-702)" \
        -e banned_av_awx_merge_require_all_hosts=false || {
        cat "${WORK}/merge-partial.log"
        fail "merge of a partial set of slices with banned_av_awx_merge_require_all_hosts=false"
    }
    echo "ok merge of part of the inventory when banned_av_awx_merge_require_all_hosts is false"

    # The same host in two slice reports (reports of two runs mixed): the merge must refuse.
    mkdir -p "${REPORTS}/workflow-702"
    cp -r "${REPORTS}/workflow-700/"job-70[123] "${REPORTS}/workflow-702/"
    cp -r "${REPORTS}/workflow-700/job-701" "${REPORTS}/workflow-702/job-799"
    if merge "${WORK}/merge-twice.log" -e "$(artifact workflow-702/job-701)"; then
        fail "the merge accepted a host in two slice reports"
    fi
    grep -q 'a host in two slices' "${WORK}/merge-twice.log" || {
        cat "${WORK}/merge-twice.log"
        fail "the merge failed on a duplicate host, but not with the expected message"
    }
    echo "ok merge refuses a host in two slice reports"

    # Without the artifact (not run after the slices) and without banned_av_awx_slice_dir: a clear error.
    if merge "${WORK}/merge-none.log"; then
        fail "the merge succeeded with no slice report location"
    fi
    grep -q 'No slice report to merge' "${WORK}/merge-none.log" || {
        cat "${WORK}/merge-none.log"
        fail "the merge without a slice location failed, but not with the expected message"
    }
    echo "ok merge without slice reports fails with a clear message"
fi

# --- 5. report-driven workflow -------------------------------------------------------------------
say "audit, then enforce on what failed (enforce wrapper fed the audit's artifact)"
AUDIT_JSON="${REPORTS}/standalone/job-43/banned_av_report.json"
ansible-playbook -i "${INV}" "${EX}/wrapper_playbooks/audit.yml" -e "@${FLEET}/vars.json" -e awx_job_id=43 \
    >"${WORK}/audit-all.log" 2>&1 || true
[ -f "${AUDIT_JSON}" ] || {
    cat "${WORK}/audit-all.log"
    fail "the audit wrapper wrote no JSON report"
}
# The enforce wrapper in check mode: the fleet is made of offline roots, which enforce refuses
# (unknown), so it exits non-zero; what matters is which hosts it took.
ansible-playbook -i "${INV}" "${EX}/wrapper_playbooks/enforce.yml" --check -e "@${FLEET}/vars.json" \
    -e awx_workflow_job_id=900 -e awx_job_id=901 \
    -e "{\"banned_av_reports\": {\"json\": \"${AUDIT_JSON}\"}}" >"${WORK}/enforce-failed.log" 2>&1 || true
"${PY}" - "${AUDIT_JSON}" "${REPORTS}/workflow-900/job-901/banned_av_report.json" <<'PYEOF'
import json
import sys

audit = json.load(open(sys.argv[1]))
failing = sorted(h['name'] for h in audit['hosts'] if h['status'] in ('noncompliant', 'waiver_expired', 'unknown', 'blocked', 'degraded'))
assert failing, 'the audit of the fake fleet should have failing hosts'
enforce = json.load(open(sys.argv[2]))
taken = sorted(h['name'] for h in enforce['hosts'])
assert taken == failing, 'enforce took %s, the audit failed %s' % (taken, failing)
print('enforce took exactly the %d host(s) the audit failed: %s' % (len(taken), ', '.join(taken)))
PYEOF
echo "ok the enforce wrapper takes its hosts from the audit's report artifact"

# --- 6. the trend between scheduled audits ---------------------------------------------------------
say "the next standalone audit gets the trend since the last audit report"
# a newer report of an enforce job in standalone/ (AWX launched enforce on its own) is not an audit's
mkdir -p "${REPORTS}/standalone/job-45"
sed 's/"play":"audit"/"play":"enforce"/' "${REPORTS}/standalone/job-43/banned_av_report.json" \
    >"${REPORTS}/standalone/job-45/banned_av_report.json"
ansible-playbook -i "${INV}" "${EX}/wrapper_playbooks/audit.yml" -e "@${FLEET}/vars.json" -e awx_job_id=44 \
    >"${WORK}/audit-next.log" 2>&1 || true
"${PY}" - "${REPORTS}" <<'PYEOF'
import json
import os
import sys

reports = sys.argv[1]


def load(path):
    with open(os.path.join(reports, path, 'banned_av_report.json')) as handle:
        return json.load(handle)


job42, job43, job44 = load('standalone/job-42'), load('standalone/job-43'), load('standalone/job-44')
assert 'trend' not in job42, 'job-42 ran with --limit: no previous report was looked for'
# job-43 follows job-42 (one host); job-44 follows job-43, the newest audit report, not the enforce report
assert job43['trend']['previous']['sha256'] == job42['sha256'], job43['trend']['previous']
assert job44['trend']['previous']['sha256'] == job43['sha256'], job44['trend']['previous']
assert job44['trend']['gone_hosts'] == [] and job44['trend']['new_hosts'] == []
assert [p['sha256'] for p in job44['trend']['history']] == [job42['sha256'], job43['sha256']]
assert sorted(job43['trend']['new_hosts']) == sorted(h['name'] for h in job43['hosts'] if h['name'] != 'clean-01')
assert not any('trend' in load('workflow-700/job-%d' % job) for job in (701, 702, 703)), 'a slice got a trend'
print('job-44 compares with job-43, job-43 with job-42; history of 2 reports; slices have no trend')
PYEOF
echo "ok each scheduled audit passes its report to the next one"

# --- 7. the trend of the sliced fleet ---------------------------------------------------------------
if [ "${HAVE_MERGE}" = 1 ]; then
    say "the merge node of the next sliced workflow gets the trend since the last merged fleet report"
    # The next scheduled runs of the sliced workflow: the slices of workflow-700 again (the fleet did not
    # change), merged by the merge node of workflow-710..713.
    for wf in 710 711 712 713; do
        mkdir -p "${REPORTS}/workflow-${wf}"
        cp -r "${REPORTS}/workflow-700/"job-70[123] "${REPORTS}/workflow-${wf}/"
    done
    merge "${WORK}/merge-710.log" -e "$(artifact workflow-710/job-703)" || {
        cat "${WORK}/merge-710.log"
        fail "merge wrapper of workflow-710"
    }
    cp "${REPORTS}/workflow-710/fleet/banned_av_report.json" "${WORK}/fleet-710-first.json"
    sleep 1   # a relaunch of the node, a second later: its own first report is not its previous one
    merge "${WORK}/merge-710-again.log" -e "$(artifact workflow-710/job-703)" || {
        cat "${WORK}/merge-710-again.log"
        fail "merge wrapper of workflow-710, relaunched"
    }
    merge "${WORK}/merge-711.log" -e "$(artifact workflow-711/job-703)" -e banned_av_awx_trend=false || {
        cat "${WORK}/merge-711.log"
        fail "merge wrapper of workflow-711 with banned_av_awx_trend=false"
    }
    merge "${WORK}/merge-712.log" -e "$(artifact workflow-712/job-703)" \
        -e "banned_av_previous_report=${REPORTS}/workflow-700/fleet/banned_av_report.json" || {
        cat "${WORK}/merge-712.log"
        fail "merge wrapper of workflow-712 with banned_av_previous_report as an extra var"
    }
    "${PY}" - "${REPORTS}" "${WORK}/fleet-710-first.json" <<'PYEOF'
import json
import os
import sys

reports = sys.argv[1]


def load(path):
    with open(os.path.join(reports, path) if not os.path.isabs(path) else path) as handle:
        return json.load(handle)


fleet700, fleet701 = load('workflow-700/fleet/banned_av_report.json'), load('workflow-701/fleet/banned_av_report.json')
first710, fleet710 = load(sys.argv[2]), load('workflow-710/fleet/banned_av_report.json')
fleet711, fleet712 = load('workflow-711/fleet/banned_av_report.json'), load('workflow-712/fleet/banned_av_report.json')
slice703 = sorted(h['name'] for h in load('workflow-700/job-703/banned_av_report.json')['hosts'])
# the first merge had no earlier fleet report; its relaunch (merge-fail) did not compare with itself
assert 'trend' not in fleet700, fleet700['trend']['previous']
# workflow-701 (two slices, banned_av_awx_merge_require_all_hosts false) compares with workflow-700: the hosts of
# the missing slice are still in the inventory, so not audited, not gone
assert fleet701['trend']['previous']['sha256'] == fleet700['sha256'], fleet701['trend']['previous']
assert fleet701['trend']['not_audited'] == slice703 and fleet701['trend']['gone_hosts'] == [], fleet701['trend']
# workflow-710: the newest earlier merged fleet report is workflow-701's (not an audit's, not a slice's)
assert first710['trend']['previous']['sha256'] == fleet701['sha256'], first710['trend']['previous']
assert [p['sha256'] for p in first710['trend']['history']] == [fleet700['sha256'], fleet701['sha256']]
assert first710['trend']['new_hosts'] == slice703, first710['trend']
assert first710['trend']['fixed'] == first710['trend']['new_failing'] == [] and first710['trend']['still_failing']
# relaunched: still against workflow-701, not against its own first report
assert fleet710['trend']['previous']['sha256'] == fleet701['sha256'], fleet710['trend']['previous']
assert 'trend' not in fleet711, 'banned_av_awx_trend=false gave a trend'
assert fleet712['trend']['previous']['sha256'] == fleet700['sha256'], 'the extra var did not win'
print('fleet trend: 701 vs 700, 710 vs 701 (also relaunched), 711 none, 712 vs the extra var (700)')
PYEOF
    echo "ok the merge node compares each fleet report with the previous merged fleet report"

    # The newest merged fleet report was edited by hand: the merge fails naming the variable, writes nothing.
    mkdir -p "${REPORTS}/workflow-799/fleet"
    sed 's/"status":"noncompliant"/"status":"compliant"/' "${REPORTS}/workflow-712/fleet/banned_av_report.json" \
        >"${REPORTS}/workflow-799/fleet/banned_av_report.json"
    if merge "${WORK}/merge-713.log" -e "$(artifact workflow-713/job-703)"; then
        fail "the merge accepted a tampered previous fleet report"
    fi
    grep -q "banned_av_previous_report: ${REPORTS}/workflow-799/fleet/banned_av_report.json .*sha256 does not match" \
        "${WORK}/merge-713.log" || {
        cat "${WORK}/merge-713.log"
        fail "the merge failed on a tampered previous fleet report, but not naming banned_av_previous_report"
    }
    [ ! -e "${REPORTS}/workflow-713/fleet" ] || fail "a fleet report was written although the previous report was refused"
    echo "ok a tampered previous fleet report fails the merge, naming banned_av_previous_report"
fi

say "AWX examples: all checks passed${SKIPPED[*]:+ (skipped: ${SKIPPED[*]})}"
