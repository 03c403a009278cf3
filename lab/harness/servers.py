"""Start the real action server and Rasa server on chosen ports (for tests and benchmarks), and
the web page's gateway (``python -m stretch_web``, as ``make web`` starts it) in front of them.

Each instance runs in its own work folder with its own SQLite tracker store, and can scale hold
times with ``STRETCH_TIME_SCALE`` so timed cues arrive within seconds. Uses the trained model
``models/current.tar.gz`` (``scripts/setup.sh`` makes it). No Rasa import here: the servers are
subprocesses.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional, Sequence

import requests

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "current.tar.gz"
BIN = Path(sys.executable).parent


def wait_for(url: str, proc: subprocess.Popen, log: Path, timeout: float = 240) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: server exited early:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url}: not up after {timeout} s:\n{log.read_text()[-3000:]}")


def stop_process(proc: Optional[subprocess.Popen]) -> None:
    if proc is not None and proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def free_port() -> int:
    """A port free on 127.0.0.1 right now."""
    return free_ports(1)[0]


def free_ports(n: int) -> list[int]:
    """n ports free on 127.0.0.1 right now (all held open together, so they differ)."""
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def metric(url: str, name: str, **labels: str) -> float:
    """One sample of a coach server's Prometheus metrics (``/webhooks/rest/metrics``), 0 if it is
    not there yet."""
    from prometheus_client.parser import text_string_to_metric_families

    text = requests.get(f"{url}/webhooks/rest/metrics", timeout=10).text
    return next((s.value for family in text_string_to_metric_families(text)
                 for s in family.samples if s.name == name and s.labels == labels), 0.0)


class Servers:
    """The action server and the Rasa server (``--enable-api`` with a token, REST + socket.io
    channels), both on 127.0.0.1."""

    def __init__(self, workdir: Path, rasa_port: int, actions_port: int,
                 time_scale: Optional[str] = None, stores: Optional[str] = None,
                 history_url: Optional[str] = None) -> None:
        """``stores``: endpoints.yml text for the tracker store and lock store, in place of the
        default (this instance's own SQLite file, Rasa's in-memory lock store). ``history_url``:
        the history tables' database (default: that SQLite file; give it with ``stores``)."""
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.rasa_port, self.actions_port = rasa_port, actions_port
        # Loopback only, and Rasa's HTTP API behind a token, as scripts/run.sh starts them.
        self.host = "127.0.0.1"
        self.token = secrets.token_urlsafe(24)
        self.env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3",
                    "SANIC_HOST": self.host, "STRETCH_API_TOKEN": self.token}
        if time_scale is not None:
            self.env["STRETCH_TIME_SCALE"] = time_scale
        self.env["STRETCH_HISTORY_URL"] = history_url or f"sqlite:///{self.workdir / 'tracker.db'}"
        (self.workdir / "endpoints.yml").write_text(
            f'action_endpoint:\n  url: "http://127.0.0.1:{actions_port}/webhook"\n'
            f"  enable_selective_domain: true\n"
            + (stores or f"tracker_store:\n  type: components.stores.CheckedSQLTrackerStore\n"
                         f"  dialect: sqlite\n"
                         f"  db: {self.workdir / 'tracker.db'}\n"))
        (self.workdir / "credentials.yml").write_text((ROOT / "credentials.yml").read_text())
        self.actions: Optional[subprocess.Popen] = None
        self.rasa: Optional[subprocess.Popen] = None

    def _spawn(self, name: str, args: list[str]) -> tuple[subprocess.Popen, Path]:
        log = self.workdir / f"{name}.log"
        proc = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=log.open("ab"),
                                stderr=subprocess.STDOUT, start_new_session=True)
        return proc, log

    def start_actions(self) -> None:
        self.actions, log = self._spawn("actions", [
            str(BIN / "python"), "-m", "rasa_sdk", "--actions", "actions",
            "-p", str(self.actions_port)])
        wait_for(f"http://{self.host}:{self.actions_port}/health", self.actions, log)

    def start_rasa(self) -> None:
        if not MODEL.exists():
            raise RuntimeError("no trained model: run scripts/setup.sh (make install) first")
        self.rasa, log = self._spawn("rasa", [
            # "--auth-token=T", not "--auth-token T": a random token may start with "-"
            str(BIN / "rasa"), "run", "--enable-api", f"--auth-token={self.token}",
            "-i", self.host, "-m", str(MODEL), "-p", str(self.rasa_port),
            "--endpoints", str(self.workdir / "endpoints.yml"),
            "--credentials", str(self.workdir / "credentials.yml"),
        ])
        wait_for(f"{self.url}/status?token={self.token}", self.rasa, log)

    def start(self) -> "Servers":
        self.start_actions()
        self.start_rasa()
        return self

    def kill_actions(self) -> None:
        """Kill the action server at once (SIGKILL), as a crash would."""
        if self.actions is not None and self.actions.poll() is None:
            os.killpg(self.actions.pid, signal.SIGKILL)
            self.actions.wait(timeout=20)

    def restart_rasa(self) -> None:
        stop_process(self.rasa)
        self.start_rasa()

    def stop(self) -> None:
        for p in (self.rasa, self.actions):
            stop_process(p)

    @property
    def auth(self) -> dict:
        """Query parameters that authenticate a request to Rasa's HTTP API."""
        return {"token": self.token}

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.rasa_port}"

    def __enter__(self) -> "Servers":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class Gateway:
    """``python -m stretch_web`` on ``port``, talking to the Rasa server at ``rasa_url`` over
    socket.io (it needs no API token); its log goes to ``workdir``. ``extra``: more command-line
    arguments (``--speech-cache none``, ``--cert`` ...)."""

    def __init__(self, rasa_url: str, workdir: Path, port: int, linger: float,
                 extra: Sequence[str] = ()) -> None:
        self.port, self.linger = port, linger
        self.url = f"http://127.0.0.1:{port}/"
        self.log = Path(workdir) / f"gateway-{port}.log"
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
        self.proc: Optional[subprocess.Popen] = subprocess.Popen(
            [sys.executable, "-m", "stretch_web", "--url", rasa_url, "--port", str(port),
             "--linger", str(linger), "-v", *extra],
            cwd=ROOT, env=env, stdout=self.log.open("ab"), stderr=subprocess.STDOUT,
            start_new_session=True)
        wait_for(self.url + "status", self.proc, self.log, timeout=120)

    def status(self) -> dict:
        return requests.get(self.url + "status", timeout=5).json()

    def stop(self) -> None:
        stop_process(self.proc)
