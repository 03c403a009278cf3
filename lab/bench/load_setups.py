"""The set-ups lab/bench/load.py drives: Rasa's stock `rasa init` bot, and ours on SQLite, on PostgreSQL
(one server, with and without Sanic workers) and as the two-server cluster (scripts/cluster.sh).

Each is a context manager yielding the base URL of its REST channel. All listen on free ports on
127.0.0.1; the conversations a run leaves in PostgreSQL (sender ids starting with the run's prefix)
are deleted when the set-up stops.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import time
from pathlib import Path
from typing import Iterator

from components.rasa_patches import ALL as ALL_PATCHES
from lab.bench import as_shipped
from lab.harness.servers import BIN, ROOT, Servers, free_ports, stop_process, wait_for

PG = dict(host=os.environ.get("PGHOST", "127.0.0.1"), port=int(os.environ.get("PGPORT", "5432")),
          dbname=os.environ.get("PGDATABASE", "test"), user=os.environ.get("PGUSER", "postgres"),
          password=os.environ.get("PGPASSWORD") or None)
REDIS = dict(host=os.environ.get("REDIS_HOST", "127.0.0.1"),
             port=int(os.environ.get("REDIS_PORT", "6379")), db=int(os.environ.get("REDIS_DB", "1")))
PG_STORE = ("tracker_store:\n  type: components.stores.CheckedSQLTrackerStore\n"
            "  dialect: postgresql\n  url: \"{host}\"\n  port: {port}\n  db: \"{dbname}\"\n"
            "  username: \"{user}\"\n").format(**PG) + (
            f"  password: \"{PG['password']}\"\n" if PG["password"] else "")
REDIS_LOCK = ("lock_store:\n  type: redis\n  url: \"{host}\"\n  port: {port}\n  db: {db}\n"
              ).format(**REDIS) + (
              f"  password: \"{os.environ['REDIS_PASSWORD']}\"\n" if os.environ.get("REDIS_PASSWORD")
              else "")


STOCK_ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "RASA_TELEMETRY_ENABLED": "false"}


def delete_conversations(prefix: str) -> int:
    """Delete the run's conversations (sender ids starting with ``prefix``) from PostgreSQL."""
    import psycopg2

    with psycopg2.connect(**PG) as conn, conn.cursor() as cur:
        cur.execute("DELETE FROM events WHERE sender_id LIKE %s", (prefix + "%",))
        n = cur.rowcount
    conn.close()
    return n


def make_stock_bot(where: Path) -> Path:
    """Rasa's stock bot: `rasa init --no-prompt` (writes the project and trains it; nothing is
    downloaded). Returns its folder."""
    bot = where / "bot"
    bot.mkdir(parents=True, exist_ok=True)   # --no-prompt wants it to exist
    log = where / "init.log"
    with log.open("wb") as out:
        done = subprocess.run([str(BIN / "rasa"), "init", "--no-prompt", "--init-dir", str(bot)],
                              cwd=where, stdout=out, stderr=subprocess.STDOUT, env=STOCK_ENV)
    if done.returncode != 0:
        raise RuntimeError(f"rasa init failed:\n{log.read_text()[-3000:]}")
    return bot


@contextlib.contextmanager
def stock(bot: Path, workdir: Path, **_: object) -> Iterator[str]:
    """The stock bot as `rasa run` serves it: in-memory tracker store, REST, no action server."""
    (port,) = free_ports(1)
    log = workdir / "stock-rasa.log"
    proc = subprocess.Popen(
        [str(BIN / "rasa"), "run", "--enable-api", "-i", "127.0.0.1", "-p", str(port),
         "-m", str(bot / "models")],
        cwd=bot, stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True,
        env=STOCK_ENV)
    try:
        wait_for(f"http://127.0.0.1:{port}/status", proc, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process(proc)


@contextlib.contextmanager
def ours(workdir: Path, stores: str | None = None, env: dict | None = None,
         prefix: str = "", patches: tuple | None = None, rasa_sqlite: bool = False,
         **_: object) -> Iterator[str]:
    """Our bot, one Rasa server and one action server (lab/harness/servers.py): SQLite unless
    ``stores`` says otherwise; ``env`` for both servers (SANIC_WORKERS). Parts as Rasa ships them
    (lab/bench/as_shipped.py): ``patches``, the only Rasa patches put on (REST channel only);
    ``rasa_sqlite``, the SQLite tracker store as Rasa uses it."""
    rasa_port, actions_port = free_ports(2)
    if rasa_sqlite:
        stores = as_shipped.sqlite_store(workdir / "tracker.db")
    servers = Servers(workdir, rasa_port, actions_port, stores=stores)
    servers.env.update(env or {})
    if patches is not None:
        (workdir / "credentials.yml").write_text(as_shipped.credentials(patches))
    try:
        with servers:
            yield servers.url
    finally:
        if stores and "postgresql" in stores:
            delete_conversations(prefix)


@contextlib.contextmanager
def cluster(workdir: Path, env: dict | None = None, prefix: str = "", **_: object) -> Iterator[str]:
    """`scripts/cluster.sh serve` (two Rasa servers, two action servers, PostgreSQL, Redis,
    HAProxy) on free ports."""
    balancer, r1, r2, a1, a2 = free_ports(5)
    log = workdir / "cluster.log"
    proc = subprocess.Popen(
        [str(ROOT / "scripts" / "cluster.sh"), "serve"], cwd=ROOT, stdout=log.open("ab"),
        stderr=subprocess.STDOUT, start_new_session=True,
        env={**os.environ, **(env or {}), "CLUSTER_NO_SETUP": "1", "CLUSTER_PORT": str(balancer),
             "CLUSTER_RASA_PORTS": f"{r1} {r2}", "CLUSTER_ACTIONS_PORTS": f"{a1} {a2}",
             "CLUSTER_DIR": str(workdir), "STRETCH_API_TOKEN": secrets.token_urlsafe(24)})
    try:
        deadline = time.time() + 400
        while "[cluster] ready" not in log.read_text():
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"the cluster did not start: see {workdir}")
            time.sleep(0.5)
        yield f"http://127.0.0.1:{balancer}"
    finally:
        stop_process(proc)
        delete_conversations(prefix)


# name -> (bot, how to start it, its arguments, what it is)
SETUPS = {
    "stock": ("stock", stock, {}, "rasa init bot, in-memory tracker, 1 server"),
    "sqlite-rasa": ("ours", ours, {"patches": ("bounded_wait",), "rasa_sqlite": True},
                    "SQLite, 1 server, without our caches, kept connections and store changes "
                    "(Rasa as shipped, but for the bounded wait on the action server)"),
    "sqlite-rasa-store": ("ours", ours, {"rasa_sqlite": True},
                          "SQLite, 1 server, the tracker store as Rasa ships it (a new connection "
                          "per read and save, rollback journal, ORM queries)"),
    "sqlite-newconn": ("ours", ours,
                       {"patches": tuple(p for p in ALL_PATCHES if p != "kept_alive")},
                       "SQLite, 1 server, a new connection per action call (as Rasa)"),
    "sqlite": ("ours", ours, {}, "SQLite, 1 server (shipped default)"),
    "pg": ("ours", ours, {"stores": PG_STORE}, "PostgreSQL, 1 server"),
    "pg-w2": ("ours", ours, {"stores": PG_STORE + REDIS_LOCK, "env": {"SANIC_WORKERS": "2"}},
              "PostgreSQL + Redis lock, SANIC_WORKERS=2"),
    "cluster": ("ours", cluster, {}, "cluster: 2 servers, PostgreSQL, Redis"),
}


def check_stores() -> str:
    """Why PostgreSQL or Redis cannot be used, or ''."""
    import psycopg2
    import redis

    try:
        psycopg2.connect(connect_timeout=3, **PG).close()
        redis.Redis(socket_timeout=3, **REDIS).ping()
    except Exception as e:  # noqa: BLE001 - any failure: skip those set-ups, say why
        return str(e).strip().splitlines()[0]
    return ""

