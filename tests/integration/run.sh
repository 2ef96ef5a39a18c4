#!/usr/bin/env bash
# Integration tests: the audit playbook under ansible-runner, the HTML dashboard in headless
# Chromium, and the AWX examples (syntax check + lint).  Called by scripts/test.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../.."
status=0
python -m pytest -p no:cacheprovider -q tests/integration "$@" || status=$?
if [ -x tests/integration/test_awx_examples.sh ]; then
    tests/integration/test_awx_examples.sh || status=$?
fi
exit "$status"
