"""``scripts/cluster.sh serve`` (``make cluster``) on free ports, for tests: two Rasa servers and
two action servers on PostgreSQL and Redis behind HAProxy, and (``gateways=True``) two page
gateways behind the same HAProxy. Its generated files, logs and pid files go to ``workdir``."""

from __future__ import annotations

import os
import secrets
import subprocess
import time
from pathlib import Path

import requests

from .servers import ROOT, free_ports, stop_process

PG = dict(host=os.environ.get("PGHOST", "127.0.0.1"), port=int(os.environ.get("PGPORT", "5432")),
          dbname=os.environ.get("PGDATABASE", "test"), user=os.environ.get("PGUSER", "postgres"),
          password=os.environ.get("PGPASSWORD") or None)
REDIS = dict(host=os.environ.get("REDIS_HOST", "127.0.0.1"),
             port=int(os.environ.get("REDIS_PORT", "6379")))


def unreachable() -> str:
    """Why the cluster cannot run here (PostgreSQL or Redis unreachable), or ""."""
    import psycopg2
    import redis

    try:
        psycopg2.connect(connect_timeout=3, **PG).close()
    except Exception as e:  # noqa: BLE001 - any failure means: no database to test against
        return f"PostgreSQL at {PG['host']}:{PG['port']} unreachable: {e}".strip()
    try:
        redis.Redis(socket_timeout=3, **REDIS).ping()
    except Exception as e:  # noqa: BLE001
        return f"Redis at {REDIS['host']}:{REDIS['port']} unreachable: {e}"
    return ""


class Cluster:
    def __init__(self, workdir: Path, time_scale: float, gateways: bool = False) -> None:
        balancer, r1, r2, a1, a2, web, g1, g2 = free_ports(8)
        self.dir, self.url, self.token = workdir, f"http://127.0.0.1:{balancer}", secrets.token_urlsafe(24)
        self.web_url = f"http://127.0.0.1:{web}/"
        self.gateway_ports = {"gateway-1": g1, "gateway-2": g2} if gateways else {}
        self.env = {**os.environ, "CLUSTER_NO_SETUP": "1", "CLUSTER_PORT": str(balancer),
                    "CLUSTER_RASA_PORTS": f"{r1} {r2}", "CLUSTER_ACTIONS_PORTS": f"{a1} {a2}",
                    "CLUSTER_WEB_PORT": str(web),
                    "CLUSTER_GATEWAY_PORTS": f"{g1} {g2}" if gateways else "",
                    "CLUSTER_DIR": str(workdir), "STRETCH_API_TOKEN": self.token,
                    "STRETCH_TIME_SCALE": str(time_scale)}
        self.log = workdir / "cluster.log"
        self.proc = subprocess.Popen([str(ROOT / "scripts" / "cluster.sh"), "serve"], cwd=ROOT,
                                     env=self.env, stdout=self.log.open("ab"),
                                     stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, timeout: float = 400) -> None:
        deadline = time.time() + timeout
        while "[cluster] ready" not in self.log.read_text():
            if self.proc.poll() is not None or time.time() > deadline:
                logs = "\n".join(p.read_text()[-2000:] for p in sorted(self.dir.glob("*.log")))
                raise RuntimeError(f"the cluster did not start:\n{logs}")
            time.sleep(0.5)

    def stop(self) -> None:
        stop_process(self.proc)

    def pid(self, server: str) -> int:
        return int((self.dir / f"{server}.pid").read_text())

    def say(self, sender: str, text: str) -> tuple[str, str]:
        """The coach's reply and the name of the Rasa server that gave it."""
        r = requests.post(f"{self.url}/webhooks/rest/webhook",
                          json={"sender": sender, "message": text}, timeout=30)
        r.raise_for_status()
        return " ".join(m.get("text", "") for m in r.json()), r.headers["X-Coach-Server"]

    def tracker(self, sender: str) -> dict:
        r = requests.get(f"{self.url}/conversations/{sender}/tracker",
                         params={"token": self.token}, timeout=30)
        r.raise_for_status()
        return r.json()

    def delete_conversation(self, sender: str) -> None:
        import psycopg2

        with psycopg2.connect(**PG) as conn, conn.cursor() as cur:
            cur.execute("DELETE FROM events WHERE sender_id = %s", (sender,))
        conn.close()
