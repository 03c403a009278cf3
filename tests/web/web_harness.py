"""Helpers of the web page's tests: the gateway as `make web` starts it (``python -m stretch_web``,
a subprocess), test speech as a WAV file, and the headless-chromium driver (tests/web/drive.mjs)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Optional, Sequence

import pytest
import requests

from devtools.servers import ROOT, stop_process

WEB_TESTS = Path(__file__).resolve().parent
TIME_SCALE = "1"  # holds last as long as the coach says: the spoken test needs 15 s to say "ouch"
SHOTS = ROOT / "build" / "web-screenshots"
"""Screenshots of the page's main states, written by the browser test (one is in the README)."""


class Gateway:
    """``python -m stretch_web`` on a free port, talking to the test servers."""

    def __init__(self, rasa_url: str, workdir: Path, port: int, linger: float,
                 extra: Sequence[str] = (), token: Optional[str] = None) -> None:
        self.port, self.linger = port, linger
        self.url = f"http://127.0.0.1:{port}/"
        self.log = workdir / f"gateway-{port}.log"
        env = {**os.environ, "PYTHONPATH": str(ROOT), "STRETCH_TIME_SCALE": TIME_SCALE,
               "TF_CPP_MIN_LOG_LEVEL": "3"}
        if token:
            env["STRETCH_API_TOKEN"] = token  # Rasa's HTTP API (the tracker the page shows)
        self.proc: Optional[subprocess.Popen] = subprocess.Popen(
            [sys.executable, "-m", "stretch_web", "--url", rasa_url, "--port", str(port),
             "--linger", str(linger), "-v", *extra],
            cwd=ROOT, env=env, stdout=self.log.open("ab"), stderr=subprocess.STDOUT,
            start_new_session=True)
        deadline = time.time() + 120
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the gateway exited:\n{self.log.read_text()[-3000:]}")
            try:
                if requests.get(self.url + "status", timeout=2).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"the gateway did not start:\n{self.log.read_text()[-3000:]}")

    def status(self) -> dict:
        return requests.get(self.url + "status", timeout=5).json()

    def stop(self) -> None:
        stop_process(self.proc)


def speech_wav(path: Path, script: Sequence[tuple[str, float]], lead_s: float = 0.5) -> Path:
    """A WAV of the Piper voice saying each text, each followed by that many seconds of quiet
    (a -60 dBFS noise floor, as a room has), after ``lead_s`` of it: the browser starts the file
    when the microphone opens."""
    import numpy as np

    from devtools.audio_gen import add_noise, synthesize
    from stretch_voice import SAMPLE_RATE
    from stretch_voice.audio import write_wav

    rng = np.random.default_rng(12)

    def quiet(seconds: float) -> bytes:
        zeros = np.zeros(int(seconds * SAMPLE_RATE), dtype=np.int16)
        return add_noise(zeros, rng, floor_db=-60.0).astype("<i2").tobytes()

    parts = [quiet(lead_s)]
    for text, gap in script:
        parts += [synthesize(text, "piper").pcm, quiet(gap)]
    return write_wav(path, b"".join(parts))


def drive(scenario: str, config: dict[str, Any], timeout: float = 300) -> dict[str, Any]:
    """Run tests/web/drive.mjs in headless chromium and return its report."""
    if not (WEB_TESTS / "node_modules" / "playwright-core").is_dir():
        pytest.fail("playwright-core is not installed: run scripts/setup.sh (npm ci in tests/web)")
    if shutil.which("node") is None or not Path("/usr/bin/chromium").exists():
        pytest.fail("node and Debian's chromium are needed: run scripts/setup.sh")
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(config, f)
    cfg = Path(f.name)
    try:
        out = subprocess.run(["node", "drive.mjs", scenario, str(cfg)], cwd=WEB_TESTS,
                             capture_output=True, text=True, timeout=timeout, check=False)
    finally:
        cfg.unlink(missing_ok=True)
    if out.returncode != 0 or not out.stdout.strip():
        pytest.fail(f"drive.mjs {scenario} failed ({out.returncode}):\n{out.stderr[-3000:]}")
    return json.loads(out.stdout)
