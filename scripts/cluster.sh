#!/usr/bin/env bash
# Stretch Coach on Rasa's own distributed set-up: two Rasa servers, each with its own action server,
# sharing a PostgreSQL tracker store (SQLTrackerStore, dialect postgresql) and a Redis lock store
# (RedisLockStore), behind HAProxy on one port. REST is spread round robin over the Rasa servers;
# socket.io connections stick to one server (a cookie, or the client's address when the client
# keeps no cookies), because a socket.io session and the hold reminders live in one server.
# Two page gateways (python -m stretch_web) sit behind the same HAProxy on a second port, each
# talking to the coach through the balancer; a page sticks to one gateway (a cookie), and when that
# gateway dies the page reconnects to another, which takes its session over from Redis.
#
#   scripts/cluster.sh [chat]   start it, then chat with the coach through the balancer
#   scripts/cluster.sh serve    start it and wait (Ctrl-C stops everything)
#
# Environment (defaults in brackets):
#   PGHOST [127.0.0.1] PGPORT [5432] PGDATABASE [test] PGUSER [postgres] PGPASSWORD []
#   REDIS_HOST [127.0.0.1] REDIS_PORT [6379] REDIS_DB [1] REDIS_PASSWORD []
#   CLUSTER_PORT [5005]: the balancer; CLUSTER_RASA_PORTS ["5006 5007"];
#   CLUSTER_ACTIONS_PORTS ["5056 5057"]; CLUSTER_WEB_PORT [8080]: the page, through the balancer;
#   CLUSTER_GATEWAY_PORTS ["8081 8082"] ("" for none); CLUSTER_GATEWAY_ARGS: more options for each
#   gateway (python -m stretch_web --help); CLUSTER_DIR [build/cluster]: generated endpoints files,
#   haproxy.cfg, logs, pid files and the chat's session id (unless STRETCH_SESSION_FILE is set);
#   STRETCH_API_TOKEN: Rasa's HTTP API token [a fresh one].
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${CLUSTER_NO_SETUP:-}" ] || scripts/setup.sh
export TF_CPP_MIN_LOG_LEVEL=3

PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGDATABASE=${PGDATABASE:-test}
PGUSER=${PGUSER:-postgres} PGPASSWORD=${PGPASSWORD:-}
REDIS_HOST=${REDIS_HOST:-127.0.0.1} REDIS_PORT=${REDIS_PORT:-6379} REDIS_DB=${REDIS_DB:-1}
REDIS_PASSWORD=${REDIS_PASSWORD:-}
CLUSTER_PORT=${CLUSTER_PORT:-5005}
read -r -a RASA_PORTS <<<"${CLUSTER_RASA_PORTS:-5006 5007}"
read -r -a ACTIONS_PORTS <<<"${CLUSTER_ACTIONS_PORTS:-5056 5057}"
CLUSTER_WEB_PORT=${CLUSTER_WEB_PORT:-8080}
read -r -a GATEWAY_PORTS <<<"${CLUSTER_GATEWAY_PORTS-8081 8082}"
read -r -a GATEWAY_ARGS <<<"${CLUSTER_GATEWAY_ARGS:-}"
CLUSTER_DIR=${CLUSTER_DIR:-build/cluster}
mkdir -p "$CLUSTER_DIR"
# The chat's session id: its own file, not `make run`'s .chat_session (that conversation is in SQLite).
export STRETCH_SESSION_FILE=${STRETCH_SESSION_FILE:-$CLUSTER_DIR/chat_session}
if [ "${#RASA_PORTS[@]}" -ne "${#ACTIONS_PORTS[@]}" ]; then
  echo "CLUSTER_RASA_PORTS and CLUSTER_ACTIONS_PORTS need as many ports each." >&2
  exit 1
fi
command -v haproxy >/dev/null || { echo "haproxy is not installed: run scripts/setup.sh" >&2; exit 1; }

WEB_PORTS=()
[ "${#GATEWAY_PORTS[@]}" -eq 0 ] || WEB_PORTS=("$CLUSTER_WEB_PORT" "${GATEWAY_PORTS[@]}")
for port in "$CLUSTER_PORT" "${RASA_PORTS[@]}" "${ACTIONS_PORTS[@]}" "${WEB_PORTS[@]}"; do
  if .venv/bin/python -c "import socket,sys; s=socket.socket(); sys.exit(s.connect_ex(('127.0.0.1',$port))!=0)"; then
    echo "Port $port is in use: is the cluster (or the coach) already running? Set CLUSTER_*PORT*." >&2
    exit 1
  fi
done

# Check the database and Redis first, so a wrong setting is one clear line, not a Rasa traceback.
PGHOST=$PGHOST PGPORT=$PGPORT PGDATABASE=$PGDATABASE PGUSER=$PGUSER PGPASSWORD=$PGPASSWORD \
REDIS_HOST=$REDIS_HOST REDIS_PORT=$REDIS_PORT REDIS_DB=$REDIS_DB REDIS_PASSWORD=$REDIS_PASSWORD \
  .venv/bin/python - <<'PY'
import os, sys
import psycopg2, redis
e = os.environ
try:
    psycopg2.connect(host=e["PGHOST"], port=e["PGPORT"], dbname=e["PGDATABASE"], user=e["PGUSER"],
                     password=e["PGPASSWORD"] or None, connect_timeout=5).close()
except Exception as x:
    sys.exit(f"PostgreSQL at {e['PGHOST']}:{e['PGPORT']} (database {e['PGDATABASE']}, user "
             f"{e['PGUSER']}) is not reachable: {x}".strip())
try:
    redis.Redis(host=e["REDIS_HOST"], port=int(e["REDIS_PORT"]), db=int(e["REDIS_DB"]),
                password=e["REDIS_PASSWORD"] or None, socket_timeout=5).ping()
except Exception as x:
    sys.exit(f"Redis at {e['REDIS_HOST']}:{e['REDIS_PORT']} is not reachable: {x}")
PY

export STRETCH_API_TOKEN=${STRETCH_API_TOKEN:-$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(24))')}
# The history tables (docs/history.md) in the same PostgreSQL database, for every server.
if [ -z "${STRETCH_HISTORY_URL:-}" ]; then
  STRETCH_HISTORY_URL=$(PGHOST=$PGHOST PGPORT=$PGPORT PGDATABASE=$PGDATABASE PGUSER=$PGUSER \
    PGPASSWORD=$PGPASSWORD .venv/bin/python - <<'PY'
import os
from sqlalchemy.engine import URL
e = os.environ
print(URL.create("postgresql", username=e["PGUSER"], password=e["PGPASSWORD"] or None,
                 host=e["PGHOST"], port=int(e["PGPORT"]),
                 database=e["PGDATABASE"]).render_as_string(hide_password=False))
PY
)
fi
export STRETCH_HISTORY_URL
PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null; wait 2>/dev/null' EXIT
trap 'exit 130' INT TERM
q() { printf '"%s"' "${1//\"/\\\"}"; }   # a YAML double-quoted string

rest_servers="" sticky_servers=""
for i in "${!RASA_PORTS[@]}"; do
  n=$((i + 1)) rasa=${RASA_PORTS[$i]} actions=${ACTIONS_PORTS[$i]}
  endpoints=$CLUSTER_DIR/endpoints-$rasa.yml
  cat >"$endpoints" <<EOF
# Generated by scripts/cluster.sh for the Rasa server on port $rasa.
action_endpoint:
  url: "http://127.0.0.1:$actions/webhook"
  enable_selective_domain: true
tracker_store:
  # Rasa's SQLTrackerStore, saying when PostgreSQL is down (components/stores.py)
  type: components.stores.CheckedSQLTrackerStore
  dialect: postgresql
  url: $(q "$PGHOST")
  port: $PGPORT
  db: $(q "$PGDATABASE")
  username: $(q "$PGUSER")
  password: $(q "$PGPASSWORD")
lock_store:
  type: redis
  url: $(q "$REDIS_HOST")
  port: $REDIS_PORT
  db: $REDIS_DB
  password: $(q "$REDIS_PASSWORD")
EOF
  sed -i '/^  password: ""$/d' "$endpoints"   # no password: trust auth
  SANIC_HOST=127.0.0.1 .venv/bin/python -m rasa_sdk --actions actions -p "$actions" \
    >"$CLUSTER_DIR/actions-$n.log" 2>&1 &
  PIDS+=($!); echo $! >"$CLUSTER_DIR/actions-$n.pid"
  .venv/bin/rasa run --enable-api --auth-token="$STRETCH_API_TOKEN" -i 127.0.0.1 \
    -m models/current.tar.gz -p "$rasa" \
    --endpoints "$endpoints" --credentials credentials.yml >"$CLUSTER_DIR/rasa-$n.log" 2>&1 &
  PIDS+=($!); echo $! >"$CLUSTER_DIR/rasa-$n.pid"
  rest_servers+="  server rasa-$n 127.0.0.1:$rasa check"$'\n'
  sticky_servers+="  server rasa-$n 127.0.0.1:$rasa check cookie rasa-$n"$'\n'
done

cat >"$CLUSTER_DIR/haproxy.cfg" <<EOF
# Generated by scripts/cluster.sh.
global
  maxconn 512
defaults
  mode http
  timeout connect 3s
  timeout client 1h
  timeout server 1h
  timeout tunnel 1h
  option redispatch
  retries 2
  retry-on conn-failure empty-response
frontend coach
  bind 127.0.0.1:$CLUSTER_PORT
  acl socketio path_beg /socket.io
  use_backend socketio if socketio
  default_backend rest
  # which Rasa server answered (tests, debugging)
  http-response set-header X-Coach-Server %s
backend rest
  balance roundrobin
  option httpchk GET /
  default-server inter 1s fall 2 rise 2
$rest_servers
backend socketio
  balance source
  cookie COACH_SERVER insert indirect nocache
  option httpchk GET /
  default-server inter 1s fall 2 rise 2
$sticky_servers
EOF
if [ "${#GATEWAY_PORTS[@]}" -gt 0 ]; then
  gateway_servers=""
  for i in "${!GATEWAY_PORTS[@]}"; do
    gateway_servers+="  server gateway-$((i + 1)) 127.0.0.1:${GATEWAY_PORTS[$i]} check cookie gateway-$((i + 1))"$'\n'
  done
  # The page, its static files and its WebSocket: a new page goes to the gateway with the fewest
  # connections (its pages' WebSockets), then sticks to it (a cookie set with the page); a gateway
  # that fails is left out, and its pages' new connections go to another.
  cat >>"$CLUSTER_DIR/haproxy.cfg" <<EOF
frontend pages
  bind 127.0.0.1:$CLUSTER_WEB_PORT
  default_backend gateways
  http-response set-header X-Coach-Gateway %s
backend gateways
  balance leastconn
  cookie COACH_GATEWAY insert indirect nocache
  option httpchk GET /status
  default-server inter 1s fall 2 rise 2
$gateway_servers
EOF
fi

echo "[cluster] starting ${#RASA_PORTS[@]} Rasa servers and action servers (logs in $CLUSTER_DIR/) ..."
.venv/bin/python -m stretch_run.wait_ready --what "the cluster" --logs "$CLUSTER_DIR/" --timeout 300 \
  --actions "${ACTIONS_PORTS[@]}" --rasa "${RASA_PORTS[@]}"
if [ "${#GATEWAY_PORTS[@]}" -gt 0 ]; then
  # The gateways keep their pages' sessions in the cluster's Redis, so another can take them over.
  shared=$(REDIS_HOST=$REDIS_HOST REDIS_PORT=$REDIS_PORT REDIS_DB=$REDIS_DB REDIS_PASSWORD=$REDIS_PASSWORD \
    .venv/bin/python -c 'import os, urllib.parse as u; e = os.environ
auth = ":" + u.quote(e["REDIS_PASSWORD"], safe="") + "@" if e["REDIS_PASSWORD"] else ""
print("redis://" + auth + e["REDIS_HOST"] + ":" + e["REDIS_PORT"] + "/" + e["REDIS_DB"])')
  echo "[cluster] starting ${#GATEWAY_PORTS[@]} page gateways ..."
  for i in "${!GATEWAY_PORTS[@]}"; do
    n=$((i + 1))
    .venv/bin/python -m stretch_web --url "http://127.0.0.1:$CLUSTER_PORT" --port "${GATEWAY_PORTS[$i]}" \
      --shared "$shared" -v "${GATEWAY_ARGS[@]}" >"$CLUSTER_DIR/gateway-$n.log" 2>&1 &
    PIDS+=($!); echo $! >"$CLUSTER_DIR/gateway-$n.pid"
  done
  for i in "${!GATEWAY_PORTS[@]}"; do
    until .venv/bin/python -c "import urllib.request as r; r.urlopen('http://127.0.0.1:${GATEWAY_PORTS[$i]}/status', timeout=2)" 2>/dev/null; do
      kill -0 "$(cat "$CLUSTER_DIR/gateway-$((i + 1)).pid")" 2>/dev/null \
        || { tail -20 "$CLUSTER_DIR/gateway-$((i + 1)).log" >&2; exit 1; }
      sleep 0.5
    done
  done
fi
haproxy -db -f "$CLUSTER_DIR/haproxy.cfg" >"$CLUSTER_DIR/haproxy.log" 2>&1 &
PIDS+=($!); echo $! >"$CLUSTER_DIR/haproxy.pid"
until .venv/bin/python -c "import socket,sys; s=socket.socket(); sys.exit(s.connect_ex(('127.0.0.1',$CLUSTER_PORT))!=0)"; do
  kill -0 "${PIDS[-1]}" 2>/dev/null || { cat "$CLUSTER_DIR/haproxy.log" >&2; exit 1; }
  sleep 0.2
done
echo "[cluster] ready at http://127.0.0.1:$CLUSTER_PORT (REST /webhooks/rest/webhook, socket.io /socket.io)"
[ "${#GATEWAY_PORTS[@]}" -eq 0 ] || echo "[cluster] the page at http://127.0.0.1:$CLUSTER_WEB_PORT/ (gateways on ${GATEWAY_PORTS[*]})"

mode=chat
case "${1:-}" in chat|serve) mode=$1; shift ;; esac
if [ "$mode" = serve ]; then
  wait || true   # until Ctrl-C; one server dying leaves the others serving
  exit 0
fi
.venv/bin/stretch-chat --url "http://127.0.0.1:$CLUSTER_PORT" "$@"
