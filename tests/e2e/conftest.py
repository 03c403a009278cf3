"""Start the real action server and the real Rasa server (with the trained model) for e2e tests.

They run on their own ports with a temporary SQLite tracker store, and hold times scaled down
(STRETCH_TIME_SCALE) so timed cues arrive within seconds.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "current.tar.gz"
BIN = Path(sys.executable).parent
RASA_PORT = 5105
ACTIONS_PORT = 5155
TIME_SCALE = "0.05"   # a 15 s hold lasts 0.75 s


def _wait(url: str, proc: subprocess.Popen, log: Path, timeout: float = 240) -> None:
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


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


class Servers:
    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), "STRETCH_TIME_SCALE": TIME_SCALE,
                    "TF_CPP_MIN_LOG_LEVEL": "3"}
        (workdir / "endpoints.yml").write_text(
            f'action_endpoint:\n  url: "http://localhost:{ACTIONS_PORT}/webhook"\n'
            f"tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: {workdir / 'tracker.db'}\n"
        )
        (workdir / "credentials.yml").write_text((ROOT / "credentials.yml").read_text())
        self.actions = self.rasa = None

    def _spawn(self, name: str, args: list[str]) -> tuple[subprocess.Popen, Path]:
        log = self.workdir / f"{name}.log"
        proc = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=log.open("ab"),
                                stderr=subprocess.STDOUT, start_new_session=True)
        return proc, log

    def start_actions(self) -> None:
        self.actions, log = self._spawn("actions", [str(BIN / "python"), "-m", "rasa_sdk", "--actions",
                                                    "actions", "-p", str(ACTIONS_PORT)])
        _wait(f"http://localhost:{ACTIONS_PORT}/health", self.actions, log)

    def start_rasa(self) -> None:
        self.rasa, log = self._spawn("rasa", [
            str(BIN / "rasa"), "run", "--enable-api", "-m", str(MODEL), "-p", str(RASA_PORT),
            "--endpoints", str(self.workdir / "endpoints.yml"),
            "--credentials", str(self.workdir / "credentials.yml"),
        ])
        _wait(f"http://localhost:{RASA_PORT}/status", self.rasa, log)

    def restart_rasa(self) -> None:
        _stop(self.rasa)
        self.start_rasa()

    def stop(self) -> None:
        for p in (self.rasa, self.actions):
            if p is not None:
                _stop(p)

    @property
    def url(self) -> str:
        return f"http://localhost:{RASA_PORT}"


@pytest.fixture(scope="session")
def servers(tmp_path_factory):
    if not MODEL.exists():
        pytest.fail("no trained model: run scripts/setup.sh (make install) first")
    s = Servers(tmp_path_factory.mktemp("servers"))
    try:
        s.start_actions()
        s.start_rasa()
        yield s
    finally:
        s.stop()


class RestUser:
    """One person talking to the coach over the REST channel."""

    def __init__(self, url: str, sender: str):
        self.url, self.sender = url, sender

    def say(self, text: str) -> str:
        r = requests.post(f"{self.url}/webhooks/rest/webhook",
                          json={"sender": self.sender, "message": text}, timeout=30)
        r.raise_for_status()
        return " ".join(m.get("text", "") for m in r.json())

    def state(self) -> dict:
        r = requests.get(f"{self.url}/conversations/{self.sender}/tracker", timeout=30)
        r.raise_for_status()
        return r.json()["slots"]["coach"] or {}

    def intent(self) -> str:
        r = requests.get(f"{self.url}/conversations/{self.sender}/tracker", timeout=30)
        return r.json()["latest_message"]["intent"]["name"]


@pytest.fixture
def user(servers, request):
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", request.node.name)[:60]
    return RestUser(servers.url, f"rest-{name}-{time.time_ns()}")
