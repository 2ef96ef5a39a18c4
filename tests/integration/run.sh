#!/usr/bin/env bash
# Integration tests: the audit playbook under ansible-runner, the HTML dashboard in headless
# Chromium, and the AWX examples (syntax check + lint).  Called by scripts/test.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../.."
status=0
junit="${TEST_OUTPUT:-tests/output}/junit"
mkdir -p "$junit"
# the JUnit file lets scripts/test.sh fail a CI run in which a test was skipped (a tool missing)
python -m pytest -p no:cacheprovider -q -ra -o junit_family=xunit1 --junitxml="$junit/integration.xml" \
    tests/integration "$@" || status=$?
if [ -x tests/integration/test_awx_examples.sh ]; then
    tests/integration/test_awx_examples.sh || status=$?
fi
exit "$status"
