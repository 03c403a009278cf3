"""Wait until the action servers and the Rasa servers answer (scripts/run.sh, scripts/cluster.sh).

    wait_ready.py --what "the coach" --logs build/logs/ --timeout 240 --actions 5055 --rasa 5005

Each action server's /health, then each Rasa server's /status (with the STRETCH_API_TOKEN from the
environment), in that order, all within --timeout seconds. Exits non-zero, saying which server and
where its logs are, when one does not answer in time.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import requests


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--actions", nargs="+", default=[], help="action server ports")
    ap.add_argument("--rasa", nargs="+", default=[], help="Rasa server ports")
    ap.add_argument("--timeout", type=float, default=240, help="seconds for all of them (default 240)")
    ap.add_argument("--what", default="the coach", help="what did not start, for the error")
    ap.add_argument("--logs", default="build/logs/", help="where the logs are, for the error")
    args = ap.parse_args()

    token = os.environ["STRETCH_API_TOKEN"]
    urls = [f"http://127.0.0.1:{p}/health" for p in args.actions]
    urls += [f"http://127.0.0.1:{p}/status?token={token}" for p in args.rasa]
    deadline = time.time() + args.timeout
    for url in urls:
        while True:
            try:
                if requests.get(url, timeout=2).ok:
                    break
            except requests.RequestException:
                pass
            if time.time() > deadline:
                sys.exit(f"{args.what} did not start: see {args.logs} ({url.split('?')[0]})")
            time.sleep(0.5)


if __name__ == "__main__":
    main()
