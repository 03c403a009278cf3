"""Helpers of the web page's tests: test speech as a WAV file, and the headless-chromium driver
(tests/web/drive.mjs). The gateway, as `make web` starts it, is lab.harness.servers.Gateway."""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Sequence

import pytest

from lab.harness.servers import ROOT, Gateway, free_port

WEB_TESTS = Path(__file__).resolve().parent
TIME_SCALE = "1"  # holds last as long as the coach says: the spoken test needs 15 s to say "ouch"
SHOTS = ROOT / "build" / "web-screenshots"
"""Screenshots of the page's main states, written by the browser test (one is in the README)."""


def speech_wav(path: Path, script: Sequence[tuple[str, float]], lead_s: float = 0.5) -> Path:
    """A WAV of the Piper voice saying each text, each followed by that many seconds of quiet
    (a -60 dBFS noise floor, as a room has), after ``lead_s`` of it: the browser starts the file
    when the microphone opens."""
    import numpy as np

    from lab.speech import add_noise, synthesize
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


@contextlib.contextmanager
def running_gateway(web_servers, folder, request, linger: float, extra: tuple = ()):
    """A gateway (as `make web` runs it) on a free port, stopped after; its log printed when a
    test failed."""
    g = Gateway(web_servers.url, folder, free_port(), linger=linger, extra=list(extra))
    try:
        yield g
    finally:
        g.stop()
        if request.session.testsfailed:
            print(f"gateway log: {g.log}\n{g.log.read_text()[-2000:]}")
