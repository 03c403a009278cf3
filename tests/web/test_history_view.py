"""The page's history view through the gateway and the real coach servers, whose history tables
hold a made-up history (lab/harness/history.py): over the page's WebSocket, every history request
without this device's secret is refused (none, a malformed one, another device's, a person the
device does not know); names said on the page become that browser's people; in headless chromium,
a phone-sized page draws the charts with a table behind each, and its CSV and JSON downloads parse
(a screenshot: build/web-screenshots/history.png). Neither the secret nor the history reaches the
gateway's log."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import secrets
import subprocess
import tempfile
from pathlib import Path

import aiohttp
import pytest

from lab.harness.history import fill
from web_harness import SHOTS, WEB_TESTS

pytestmark = [pytest.mark.e2e, pytest.mark.web]

WEEKS = 8


@pytest.fixture(scope="module")
def made_up(web_servers):
    """Two devices: one with Alex's eight weeks (and Sam), one with Kim's two."""
    url = web_servers.env["STRETCH_HISTORY_URL"]
    alex_device, kim_device = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    alex = fill(url, alex_device, "Alex", weeks=WEEKS)
    kim = fill(url, kim_device, "Kim", weeks=2, seed=3)
    return {"alex_device": alex_device, "kim_device": kim_device, "alex": alex, "kim": kim}


def ask(gateway_url: str, device, messages: list[dict]) -> list[dict]:
    """Say hello with ``device`` (None: no secret), send each message, return each answer."""

    async def run() -> list[dict]:
        hello = {"type": "hello", "session": None, "rate": 16000, "channels": 1, "format": "s16le"}
        if device is not None:
            hello["device"] = device
        answers = []
        async with aiohttp.ClientSession() as http:
            async with http.ws_connect(gateway_url.replace("http", "ws") + "ws") as ws:
                await ws.send_json(hello)
                for msg in messages:
                    await ws.send_json(msg)
                    while True:
                        got = await ws.receive_json(timeout=20)
                        if got["type"] in ("history", "export", "error"):
                            answers.append(got)
                            break
        return answers

    return asyncio.run(run())


def test_history_is_refused_without_this_devices_secret(gateway, made_up):
    alex, kim = made_up["alex"], made_up["kim"]
    mine = [{"type": "history", "person": None}, {"type": "history", "person": alex},
            {"type": "export", "person": alex, "format": "csv"}]
    for device in (None, "short", "x" * 200, "bad secret with spaces and more than 22",
                   made_up["kim_device"][:-1] + "!"):
        answers = ask(gateway.url, device, mine)
        assert [a.get("code") for a in answers] == ["history_refused"] * 3, (device, answers)
    # another device's secret: its own people only, never Alex
    people, alex_seen, export = ask(gateway.url, made_up["kim_device"], mine)
    assert [p["name"] for p in people["people"]] == ["Kim", "Sam"]
    assert alex_seen["code"] == export["code"] == "history_refused"
    # a well-formed secret no one has used: nobody to show, and Alex refused
    people, alex_seen, export = ask(gateway.url, secrets.token_urlsafe(32), mine)
    assert people["people"] == [] and alex_seen["code"] == export["code"] == "history_refused"
    bad_id = ask(gateway.url, made_up["alex_device"], [{"type": "history", "person": "../people"}])
    assert bad_id[0]["code"] == "history_refused"

    people, history, csv_export, json_export = ask(
        gateway.url, made_up["alex_device"], mine + [{"type": "export", "person": alex,
                                                      "format": "json"}])
    assert [p["name"] for p in people["people"]] == ["Alex", "Sam"]
    assert history["history"]["person"] == {"id": alex, "name": "Alex"}
    assert len(history["history"]["sessions"]) >= 3 * (WEEKS - 1)
    assert csv_export["name"] == "stretch-history.csv" and csv_export["data"].startswith("kind,")
    assert json_export["data"]["sessions"] == history["history"]["sessions"]
    assert kim not in json.dumps(history)

    log = gateway.log.read_text()
    for secret in (made_up["alex_device"], made_up["kim_device"]):
        assert secret not in log, "a device secret in the gateway's log"
    assert "Alex" not in log and "seated_single_leg" not in log, "history in the gateway's log"


def view(gateway_url: str, **cfg) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump({"url": gateway_url, **cfg}, f)
    try:
        out = subprocess.run(["node", "history.mjs", f.name], cwd=WEB_TESTS, capture_output=True,
                             text=True, timeout=120, check=False)
    finally:
        Path(f.name).unlink()
    assert out.returncode == 0 and out.stdout.strip(), out.stderr[-3000:]
    return json.loads(out.stdout)


def test_the_page_draws_the_history_with_tables_and_exports(gateway, made_up):
    SHOTS.mkdir(parents=True, exist_ok=True)
    r = view(gateway.url, secret=made_up["alex_device"], exports=True, shot=str(SHOTS / "history.png"))
    assert not [e for e in r["errors"] if "favicon" not in e], r["errors"]
    v = r["view"]
    assert v["people"] == [["Alex", "true"], ["Sam", "false"]]
    assert v["say"].startswith("Alex: ") and "sessions" in v["say"]
    figures = v["figures"]
    names = ["seated single leg stretch", "kneeling single leg stretch",
             "standing double leg stretch", "wrist pull stretch"]
    assert [f["caption"].split(" ·")[0].split(" (")[0] for f in figures] == [
        "Sessions per week", "Seconds held per side",
        *(f"Intensity reached: {name}" for name in names), "Pain reports"]
    for f in figures:
        assert f["canvas"] == 1, f"a chart was drawn: {f['caption']}"
        assert 250 <= f["chartWidth"] <= 390, "fits a phone held upright"
        assert f["tableClass"] == "chart-table sr-only" and f["tableCaption"] == f["caption"]
        assert f["rows"] and all(len(row) == len(f["head"]) for row in f["rows"]), f["caption"]
    weeks, holds, *levels, pains = figures
    assert len(weeks["rows"]) == WEEKS and sum(int(r[1]) for r in weeks["rows"]) >= 3 * (WEEKS - 1)
    assert {row[1] for row in holds["rows"]} == {"right", "left", "both"}
    assert [{row[1] for row in f["rows"]} for f in levels] == [{"right", "left"}] * 2 + [{"both"}] * 2
    assert pains["head"][3] == "Step" and all(row[3].isdigit() for row in pains["rows"])
    assert v["pageWidth"] <= 390, "no sideways scrolling on a phone"

    rows = list(csv.DictReader(io.StringIO(r["csv"]["text"])))
    assert r["csv"]["name"] == "stretch-history.csv"
    assert {row["kind"] for row in rows} <= {"side", "pain"} and len(rows) >= len(holds["rows"])
    doc = json.loads(r["json"]["text"])
    assert r["json"]["name"] == "stretch-history.json" and doc["person"]["name"] == "Alex"
    assert len(doc["sessions"]) == int(v["say"].split(": ")[1].split()[0])
    assert (SHOTS / "history.png").stat().st_size > 10000


def test_a_new_device_sees_no_history_and_gets_a_secret_of_its_own(gateway, made_up):
    r = view(gateway.url, secret=None)
    v = r["view"]
    assert "No history on this device yet" in v["say"] and not v["figures"] and not v["exportsShown"]
    secret = r["localSecret"]
    assert len(secret) == 43 and secret not in (made_up["alex_device"], made_up["kim_device"])


def test_names_said_on_the_page_are_this_browsers_people(gateway):
    """The page's device secret reaches the coach with what is said (the hello's ``device``): the
    names said there are the people its Progress shows, and nobody else's."""
    r = view(gateway.url, secret=None, texts=["I'm Alex, Sam is helping"], pause_ms=4000)
    v = r["view"]
    assert [name for name, _pressed in v["people"]] == ["Alex", "Sam"], (v, v["captions"])
    assert "Alex: no sessions yet." == v["say"]
