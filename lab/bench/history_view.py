"""How fast the page's history view loads with a year of three sessions a week (target: 300 ms
from the tap on Progress to the four charts drawn), on the real servers and gateway.

``python -m lab.bench.history_view [--weeks 52] [--runs 10]`` (``make bench-history-view``):
starts the Rasa and action servers on a temporary database, writes the made-up history of
lab/harness/history.py for one device, starts the gateway, then opens the page in headless
chromium (tests/web/history.mjs, a 390 x 844 phone) ``runs`` times and prints, side by side,
the history API's own answer time (HTTP, no gateway), the page's request-to-charts time for one
person, and the whole open-to-charts time (the people, then the person, then drawing).
"""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Sequence

import requests

from lab.harness.history import fill
from lab.harness.servers import ROOT, Gateway, Servers, free_port, free_ports

TARGET_MS = 300.0
DRIVER = ROOT / "tests" / "web" / "history.mjs"


def api_times(url: str, secret: str, person: str, runs: int) -> list[float]:
    """Milliseconds of the history API's answer for the person, asked directly."""
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        r = requests.get(f"{url}/webhooks/history/people/{person}", timeout=30,
                         headers={"X-Stretch-Device": secret})
        r.raise_for_status()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def page_times(gateway_url: str, secret: str, runs: int) -> list[dict]:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump({"url": gateway_url, "secret": secret, "runs": runs}, f)
    try:
        out = subprocess.run(["node", str(DRIVER), f.name], cwd=DRIVER.parent, text=True,
                             capture_output=True, timeout=60 + 30 * runs, check=True)
    finally:
        Path(f.name).unlink()
    report = json.loads(out.stdout)
    if report["errors"]:
        raise SystemExit(f"the page failed: {report['errors']}")
    return report["shown"]


def row(name: str, values: Sequence[float], judged: bool = True) -> str:
    """Median, p95 and max; for the view's own times, whether the p95 meets the target."""
    vs = sorted(values)
    p95 = vs[min(len(vs) - 1, round(0.95 * (len(vs) - 1)))]
    verdict = ("met" if p95 <= TARGET_MS else "MISSED") if judged else ""
    return f"{name:<34} {statistics.median(vs):8.1f} {p95:8.1f} {vs[-1]:8.1f}   {verdict}"


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--weeks", type=int, default=52)
    ap.add_argument("--per-week", type=int, default=3)
    ap.add_argument("--runs", type=int, default=10)
    args = ap.parse_args(argv)
    secret = secrets.token_urlsafe(32)
    with tempfile.TemporaryDirectory() as tmp:
        servers = Servers(Path(tmp), *free_ports(2), "1")
        gateway = None
        try:
            servers.start()
            person = fill(servers.env["STRETCH_HISTORY_URL"], secret, "Alex", args.weeks,
                          args.per_week)
            gateway = Gateway(servers.url, Path(tmp), free_port(), linger=5.0)
            api = api_times(servers.url, secret, person, args.runs)
            shown = page_times(gateway.url, secret, args.runs)
        finally:
            if gateway is not None:
                gateway.stop()
            servers.stop()
    sessions = shown[0]["sessions"]
    print(f"history view: {sessions} sessions ({args.weeks} weeks x {args.per_week}), "
          f"{args.runs} runs, headless chromium at 390 x 844; target {TARGET_MS:.0f} ms")
    print(f"{'ms':<34} {'median':>8} {'p95':>8} {'max':>8}")
    print(row("history API alone (HTTP)", api, judged=False))
    print(row("page: one person, asked to drawn", [s["person_ms"] for s in shown]))
    print(row("page: Progress tapped to drawn", [s["open_ms"] for s in shown]))
    print(row("page load to connected", [s["ready_ms"] for s in shown], judged=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
