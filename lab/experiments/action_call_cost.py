"""The cost of one custom action call on Rasa's side: a new connection per call (Rasa 3.6's
``EndpointConfig.request``) against kept connections (components/action_calls.py's
``KeptAliveEndpoint``), interleaved call by call in one run against one real action server.

    .venv/bin/python -m lab.experiments.action_call_cost [--calls 2000]

Starts our action server (``python -m rasa_sdk --actions actions``) on a free port and posts the
same action call as Rasa would (``action_start_session`` on a new conversation, no domain). For
each way, prints the wall time per call (median, p95) and the CPU time of this process (the
caller's side, what a Rasa server spends) per call. The action server's own work is the same for
both. Figures, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lab.harness.servers import free_port, stop_process, wait_for

ROOT = Path(__file__).resolve().parents[2]

BODY = {"next_action": "action_start_session", "sender_id": "bench", "version": "3.6.21",
        "domain": {},
        "tracker": {"sender_id": "bench", "slots": {}, "events": [], "paused": False,
                    "followup_action": None, "active_loop": {},
                    "latest_action_name": "action_listen",
                    "latest_message": {"intent": {"name": "start_session", "confidence": 1.0},
                                       "entities": [], "text": "start"}}}


async def measure(url: str, calls: int) -> dict[str, tuple[list[float], float]]:
    from rasa.utils.endpoints import EndpointConfig

    from components.action_calls import KeptAliveEndpoint, close_pool

    ways = {"new connection (Rasa)": EndpointConfig(url),
            "kept connections": KeptAliveEndpoint(EndpointConfig(url))}
    wall: dict[str, list[float]] = {k: [] for k in ways}
    cpu = dict.fromkeys(ways, 0.0)
    for i in range(calls + 20):
        for name, endpoint in (ways.items() if i % 2 else reversed(ways.items())):
            c0, t0 = time.process_time(), time.perf_counter()
            result = await endpoint.request(json=BODY, method="post", timeout=5)
            t1, c1 = time.perf_counter(), time.process_time()
            assert result and result.get("events"), result
            if i >= 20:  # warm-up calls are not counted
                wall[name].append((t1 - t0) * 1000)
                cpu[name] += (c1 - c0) * 1000
    await close_pool()
    return {k: (wall[k], cpu[k] / calls) for k in ways}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--calls", type=int, default=2000)
    args = ap.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "actions.log"
        with log.open("w") as out:
            proc = subprocess.Popen([sys.executable, "-m", "rasa_sdk", "--actions", "actions",
                                     "--port", str(port)], cwd=ROOT, stdout=out,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_for(f"http://127.0.0.1:{port}/health", proc, log)
            results = asyncio.run(measure(f"http://127.0.0.1:{port}/webhook", args.calls))
        finally:
            stop_process(proc)
    print(f"{args.calls} calls each, interleaved; ms per call")
    print(f"{'':24s} {'wall p50':>9s} {'wall p95':>9s} {'caller CPU':>11s}")
    for name, (wall, cpu) in results.items():
        wall.sort()
        print(f"{name:24s} {statistics.median(wall):9.2f} {wall[int(0.95 * len(wall))]:9.2f} "
              f"{cpu:11.2f}")


if __name__ == "__main__":
    main()
