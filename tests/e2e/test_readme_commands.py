"""The README's commands work for a newcomer: `make run` and `make voice` set up, start both
servers, and talk (with no microphone `make voice` says so and offers the text chat)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from lab.harness.servers import free_ports
from tests.conftest import fingerprint

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def make(target: str, rasa_port: int, actions_port: int, **env: str) -> str:
    """Run `make <target>` typing three lines into it; return everything it printed. Ports of
    their own: the two tests may run at once on two test workers."""
    proc = subprocess.run(
        ["make", target], cwd=ROOT, input="stop\nstart\n/quit\n", text=True, capture_output=True,
        timeout=600, env={**os.environ, "RASA_PORT": str(rasa_port),
                          "ACTIONS_PORT": str(actions_port), **env},
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:] + server_logs()
    assert "Coach:" in out and "warm up" in out.lower(), out[-3000:]
    return out


def server_logs() -> str:
    """The ends of the servers' logs (scripts/run.sh writes them to build/logs/), for a failure."""
    logs = sorted((ROOT / "build" / "logs").glob("*.log"))
    return "".join(f"\n--- {p.name}\n{p.read_text(errors='replace')[-1500:]}" for p in logs)


def test_make_run_starts_the_coach_and_chats(own_state):
    rasa_port, actions_port = free_ports(2)
    make("run", rasa_port, actions_port)
    # the servers were stopped on the way out
    probe = subprocess.run(["bash", "-c", f"exec 3<>/dev/tcp/127.0.0.1/{rasa_port}"],
                           capture_output=True)
    assert probe.returncode != 0
    # the run kept its state where the tests told it to, and the checkout's own is untouched
    assert (own_state.home / "stretch_coach.db").stat().st_size > 0
    assert (own_state.home / ".chat_session").read_text().strip()
    assert fingerprint() == own_state.before


def test_make_voice_without_a_microphone_says_so_and_offers_the_text_chat():
    # CI machines have no sound card; naming a device that does not exist makes the no-microphone
    # path certain on a machine that has one.
    out = make("voice", *free_ports(2), VOICE_ARGS="--device no-such-microphone")
    assert "No microphone" in out, out[-3000:]
    assert "text chat instead" in out, out[-3000:]
