#!/usr/bin/env bash
# Run every test from nothing: set up (venv, packages, spaCy pipeline, model), then pytest, which also
# runs `rasa data validate`, `rasa test` on the test stories, the held-out NLU floors, the end-to-end
# tests against the real servers, and the voice tests on real audio.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export TF_CPP_MIN_LOG_LEVEL=3
# Two workers (these machines have 2 cores); a file's tests stay in one worker, as they share its
# servers (tests/conftest.py). PYTEST_WORKERS=0 runs them one after another.
exec .venv/bin/python -m pytest -q -n "${PYTEST_WORKERS:-2}" --dist loadgroup "$@"
