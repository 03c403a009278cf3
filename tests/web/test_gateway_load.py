"""A full gateway says so: the gateway as `make web` runs it, with room for one page
(``--max-pages 1``), and the real coach servers. A second new page is told "The coach is busy, try
again in a minute." (shown and spoken: in headless chromium, once Start is pressed) and closed; a
page that names its session is still taken; the first page is served as before. ``/metrics``
parses with Prometheus's own parser and moves with a spoken turn; ``/status`` shows the load with
no session id and no words."""

from __future__ import annotations

import asyncio
import json
import struct

import aiohttp
import pytest
import requests
import yaml
from prometheus_client.parser import text_string_to_metric_families

from lab.harness.servers import ROOT, Gateway
from stretch_voice.audio import read_wav
from page_client import HELLO, Page, page, run
from web_harness import drive, running_gateway, speech_wav

pytestmark = [pytest.mark.e2e, pytest.mark.web]

BUSY = yaml.safe_load((ROOT / "domain.yml").read_text())["responses"]["utter_busy"][0]["text"]


@pytest.fixture(scope="module")
def full_gateway(web_servers, tmp_path_factory, request):
    with running_gateway(web_servers, tmp_path_factory.mktemp("full-gateway"), request, 3.0,
                         ("--max-pages", "1")) as g:
        yield g


def metrics(gateway: Gateway) -> dict[str, float]:
    """Every sample of /metrics by name and labels, read by prometheus_client's parser."""
    text = requests.get(gateway.url + "metrics", timeout=5).text
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(s.labels.items()))
            out[f"{s.name}{{{labels}}}" if labels else s.name] = s.value
    return out


async def refused(p: Page) -> None:
    """What a refused page gets: the sentence as an error, then spoken, then the socket closed."""
    assert await p.wait(lambda: p.closed is not None, 20), "a refused page is closed"
    busy = p.of("error", code="busy")
    assert busy and busy[0]["message"] == BUSY and busy[0]["retry_s"] == 60, p.messages
    assert not p.of("ready")
    assert p.of("speaking", text=BUSY)
    seconds = sum((len(a) - 4) / 2 / struct.unpack("<I", a[:4])[0] for a in p.audio)
    assert 1.5 < seconds < 6, f"the busy sentence is spoken ({seconds:.1f} s of audio)"
    assert p.closed == 1013


def test_a_new_page_is_told_the_coach_is_busy_and_a_page_in_a_session_is_taken(full_gateway):
    async def scenario() -> None:
        async with aiohttp.ClientSession() as http:
            first = await page(http, full_gateway)
            sid = first.of("ready")[0]["session"]
            second = await page(http, full_gateway)
            await refused(second)
            # a page that names its session (here: one this gateway never saw, as after its
            # own gateway died) keeps its place in a full gateway
            back = await page(http, full_gateway, hello={**HELLO, "session": "x" * 8 + sid[:16]})
            assert back.of("ready") and not back.of("error"), back.messages
            await back.ws.close()
            await first.send({"type": "text", "text": "start"})
            assert await first.wait(lambda: first.views(phase="choosing")), "the first is served"
            status = full_gateway.status()["load"]
            assert status["refused"] >= 1 and status["max_pages"] == 1
            await first.ws.close()
    run(scenario())


def test_metrics_parse_and_move_with_a_spoken_turn_and_status_has_no_ids_or_words(
        full_gateway, tmp_path):
    pcm = read_wav(speech_wav(tmp_path / "hello.wav", [("hello", 2.0)], lead_s=0.5))

    async def scenario() -> tuple[dict, dict, str, list[str]]:
        async with aiohttp.ClientSession() as http:
            await asyncio.sleep(4)  # the earlier test's pages have left the gateway
            before = metrics(full_gateway)
            p = await page(http, full_gateway)
            sid = p.of("ready")[0]["session"]
            for i in range(0, len(pcm), 640):  # a microphone's pace: 20 ms every 20 ms
                await p.ws.send_bytes(pcm[i:i + 640])
                await asyncio.sleep(0.02)
            assert await p.wait(lambda: p.of("caption", who="coach") and p.audio, 20), p.messages
            await asyncio.sleep(1.0)  # the reply's first audio is counted as it is sent
            after = metrics(full_gateway)
            status = requests.get(full_gateway.url + "status", timeout=5).text
            words = [m["text"] for m in p.of("caption")]
            await p.ws.close()
            return before, after, status, [sid, *words]

    before, after, status, secrets = run(scenario())
    assert after["stretch_gateway_pages"] == 1 and after["stretch_gateway_sessions"] >= 1
    for name in ("stretch_gateway_recognition_seconds_count", "stretch_gateway_reply_seconds_count",
                 "stretch_coach_reply_seconds_count", "stretch_gateway_synthesis_seconds_count"):
        assert after[name] > before.get(name, 0), name
    assert after["stretch_gateway_utterances_total{action=sent}"] >= \
        before.get("stretch_gateway_utterances_total{action=sent}", 0) + 1
    assert "stretch_gateway_refused_pages_total" in after
    assert "stretch_gateway_recognition_queue" in after and "process_cpu_seconds_total" in after
    assert after["stretch_gateway_sentences_total{source=recorded}"] > 0

    load = json.loads(status)["load"]
    assert load["pages"] == 1 and load["recognition_queue"] >= 0
    assert load["recognition_ms"]["count"] >= 1 and load["recognition_ms"]["p95"] > 0
    for secret in secrets:  # the session id, what was heard, what the coach said
        assert secret and secret.strip(".!?") not in status, secret


def test_a_refused_page_shows_and_says_the_busy_sentence(full_gateway, tmp_path):
    """Headless chromium: one page takes the gateway; a second shows the sentence at once and
    plays it when Start is pressed (a browser plays sound only after a tap)."""
    quiet = speech_wav(tmp_path / "quiet.wav", [], lead_s=0.5)
    r = drive("busy", {"url": full_gateway.url, "wav": str(quiet), "timeout_ms": 20000})
    assert r["reached"] == {"first": True, "refused": True, "said": True}, r["errors"]
    refused_page = r["snapshots"]["said"]
    assert refused_page["notice"] == BUSY
    assert [e["code"] for e in refused_page["trace"]["errors"]] == ["busy"]
    assert refused_page["trace"]["played"]["samples"] > 1.5 * 16000
    assert "busy" not in (r["snapshots"]["first"]["notice"] or "")
