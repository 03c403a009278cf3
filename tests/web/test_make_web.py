"""The README's `make web`: one command sets up, starts both servers and serves the page and the
gateway; Ctrl-C stops all of it."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import time

import pytest
import requests

from lab.harness.servers import ROOT
from lab.harness.servers import free_ports

pytestmark = [pytest.mark.e2e, pytest.mark.web]


def test_make_web_serves_the_page_and_ctrl_c_stops_everything(tmp_path):
    port, rasa, actions, https = free_ports(4)
    env = {**os.environ, "RASA_PORT": str(rasa), "ACTIONS_PORT": str(actions),
           "WEB_PORT": str(port), "WEB_HTTPS_PORT": str(https),
           "STRETCH_DB": str(tmp_path / "tracker.db"),  # not the checkout's conversations
           "STRETCH_API_TOKEN": "make-web-test-token"}
    proc = subprocess.Popen(["make", "web"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    out = ""
    try:
        sel = selectors.DefaultSelector()
        assert proc.stdout is not None
        sel.register(proc.stdout, selectors.EVENT_READ)
        deadline = time.time() + 420
        while f"127.0.0.1:{port}/" not in out and time.time() < deadline and proc.poll() is None:
            if sel.select(timeout=1):
                out += proc.stdout.readline()
        assert f"http://127.0.0.1:{port}/" in out, out[-3000:]
        page = requests.get(f"http://127.0.0.1:{port}/", timeout=10)
        assert page.ok and "Stretch Coach" in page.text and 'id="stop"' in page.text
        for asset in ("app.js", "capture-worklet.js", "figures.js", "style.css"):
            r = requests.get(f"http://127.0.0.1:{port}/static/{asset}", timeout=10)
            assert r.ok and len(r.text) > 500, asset
            assert "http://" not in r.text and "https://" not in r.text, f"{asset}: nothing remote"
        assert requests.get(f"http://127.0.0.1:{port}/status", timeout=10).json()["sessions"] == 0
        assert requests.get(f"http://127.0.0.1:{rasa}/status", timeout=10,
                            params={"token": "make-web-test-token"}).ok, "Rasa runs"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise
    assert (tmp_path / "tracker.db").exists(), "the conversations went to the test's file"
    for p in (port, rasa, actions):
        probe = subprocess.run(["bash", "-c", f"exec 3<>/dev/tcp/127.0.0.1/{p}"],
                               capture_output=True)
        assert probe.returncode != 0, f"port {p} still open after Ctrl-C"
