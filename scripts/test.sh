#!/usr/bin/env bash
# Run every test from nothing: set up (venv, packages, spaCy pipeline, model), then pytest, which also
# runs `rasa data validate`, `rasa test` on the test stories, the held-out NLU floors, the end-to-end
# tests against the real servers, and the voice tests on real audio.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export TF_CPP_MIN_LOG_LEVEL=3
exec .venv/bin/python -m pytest -q "$@"
