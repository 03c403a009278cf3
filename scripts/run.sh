#!/usr/bin/env bash
# Start Stretch Coach from nothing: set up (venv, packages, spaCy pipeline, model), start the action
# server and the Rasa server, then talk to it: in a text chat (`scripts/run.sh [chat] [options]`)
# or by voice (`scripts/run.sh voice [options]`: microphone in, speech out; with no microphone it
# says so and offers the text chat), or from a browser (`scripts/run.sh web [options]`: the page at
# http://127.0.0.1:${WEB_PORT:-8080}/, and HTTPS for phones on the network). Ctrl-D, /quit or
# Ctrl-C leaves and stops the servers.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export TF_CPP_MIN_LOG_LEVEL=3
RASA_PORT=${RASA_PORT:-5005}
ACTIONS_PORT=${ACTIONS_PORT:-5055}
mkdir -p build/logs

for port in "$RASA_PORT" "$ACTIONS_PORT"; do
  if .venv/bin/python -c "import socket,sys; s=socket.socket(); sys.exit(s.connect_ex(('127.0.0.1',$port))!=0)"; then
    echo "Port $port is in use: is the coach already running? Stop it, or set RASA_PORT / ACTIONS_PORT." >&2
    exit 1
  fi
done

# Where this run keeps its state: the conversations (SQLite) and the chat's session id. Tests point
# both at a temp dir, so they never resume (or write over) the person's own conversation.
STRETCH_DB=${STRETCH_DB:-stretch_coach.db}
export STRETCH_DB   # the history tables share its file (docs/history.md), for both servers
export STRETCH_SESSION_FILE=${STRETCH_SESSION_FILE:-.chat_session}
endpoints=build/endpoints-$RASA_PORT.yml
sed -e "s#127.0.0.1:5055#127.0.0.1:$ACTIONS_PORT#" -e "s#^\(  db: \).*#\1$STRETCH_DB#" \
  endpoints.yml > "$endpoints"

# Both servers listen on this machine only (STRETCH_HOST=0.0.0.0 opens the Rasa server to the
# network); the action server has no authentication, so it stays on 127.0.0.1. Rasa's HTTP API
# (/model/parse for the voice client, /conversations/... for the tests) needs a token: a fresh one
# per run unless STRETCH_API_TOKEN is set, exported for the clients started below.
STRETCH_HOST=${STRETCH_HOST:-127.0.0.1}
export STRETCH_API_TOKEN=${STRETCH_API_TOKEN:-$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(24))')}
SANIC_HOST=127.0.0.1 .venv/bin/python -m rasa_sdk --actions actions -p "$ACTIONS_PORT" \
  >build/logs/actions.log 2>&1 &
ACTIONS_PID=$!
.venv/bin/rasa run --enable-api --auth-token="$STRETCH_API_TOKEN" -i "$STRETCH_HOST" \
  -m models/current.tar.gz -p "$RASA_PORT" \
  --endpoints "$endpoints" --credentials credentials.yml >build/logs/rasa.log 2>&1 &
RASA_PID=$!
trap 'kill $ACTIONS_PID $RASA_PID 2>/dev/null; wait 2>/dev/null' EXIT

echo "[run] starting the coach (logs in build/logs/) ..."
.venv/bin/python -m stretch_run.wait_ready --what "the coach" --logs build/logs/ --timeout 240 \
  --actions "$ACTIONS_PORT" --rasa "$RASA_PORT"

mode=chat
case "${1:-}" in chat|voice|web) mode=$1; shift ;; esac
if [ "$mode" = web ]; then
  tls=()
  [ -f build/web/cert.pem ] && tls=(--cert build/web/cert.pem --key build/web/key.pem)
  status=0
  .venv/bin/stretch-web --url "http://127.0.0.1:$RASA_PORT" \
    --port "${WEB_PORT:-8080}" --https-port "${WEB_HTTPS_PORT:-8443}" "${tls[@]}" "$@" || status=$?
  exit "$status"
fi
if [ "$mode" = voice ]; then
  status=0
  .venv/bin/stretch-voice --url "http://127.0.0.1:$RASA_PORT" "$@" || status=$?
  [ "$status" -ne 3 ] && exit "$status"   # 3: no microphone (the message above says so)
  echo "[run] Starting the text chat instead: type what you would say." >&2
  set -- # the voice options do not apply to the chat
fi
.venv/bin/stretch-chat --url "http://127.0.0.1:$RASA_PORT" "$@"
