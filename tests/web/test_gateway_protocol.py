"""The gateway's WebSocket protocol, spoken by a plain client (aiohttp), against the gateway as
`make web` runs it and the real coach servers: framing of audio both ways, bad frames and bad
messages (answered, dropped, the session goes on), a wrong audio format (refused with a reason),
a sender faster than real time (warned, slowed, nothing dropped), resuming a session, and HTTPS.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import struct
import subprocess
import time

import aiohttp
import pytest
import requests

from stretch_voice import SAMPLE_RATE
from lab.harness.servers import Gateway, free_ports, stop_process
from page_client import HELLO, Page, page, run, start_session
from web_harness import speech_wav

pytestmark = [pytest.mark.e2e, pytest.mark.web]

def test_hello_then_audio_replies_are_framed_with_their_rate(gateway):
    async def scenario() -> None:
        async with aiohttp.ClientSession() as http:
            p = await page(http, gateway)
            ready = p.of("ready")[0]
            assert ready["resumed"] is False and len(ready["session"]) >= 8
            await p.send({"type": "text", "text": "start"})
            assert await p.wait(lambda: len(p.of("caption", who="coach")) >= 2)
            assert await p.wait(lambda: sum(len(a) for a in p.audio) > 20000)
            rates = {struct.unpack("<I", a[:4])[0] for a in p.audio}
            assert len(rates) == 1 and 8000 <= rates.pop() <= 48000
            assert all((len(a) - 4) % 2 == 0 for a in p.audio), "whole 16-bit samples"
            assert p.of("caption", who="you", text="start", action="typed")
            assert await p.wait(lambda: p.views(phase="choosing"))
    run(scenario())


def test_the_socket_takes_no_compression_a_client_offers(gateway):
    """Microphone audio does not compress: a browser's per-message deflate offer is declined."""
    async def scenario() -> None:
        async with aiohttp.ClientSession() as http:
            ws = await http.ws_connect(gateway.url + "ws", compress=15)
            assert ws.compress == 0
            await ws.close()
    run(scenario())


def test_the_coachs_view_comes_with_its_words_and_drives_the_heading(gateway):
    """No view before the coach's first turn (the page shows its own "say start"); after "start"
    the view says the coach is choosing a routine, right behind the words of that turn, so the
    heading changes as the coach asks which routine. A reloaded page gets the last view."""
    async def scenario() -> None:
        async with aiohttp.ClientSession() as http:
            p = await page(http, gateway)
            sid = p.of("ready")[0]["session"]
            await asyncio.sleep(0.5)
            assert not p.of("view"), "a new session has no view until the coach's first turn"
            await start_session(p)
            kinds = [(m["type"], m.get("who")) for m in p.messages
                     if m["type"] in ("caption", "view")]
            first_view = kinds.index(("view", None))
            assert kinds[first_view - 2:first_view] == [("caption", "coach")] * 2, kinds
            view = p.views()[0]
            assert view["phase"] == "choosing" and view["routine"] is None and view["hold"] is None
            await p.send({"type": "text", "text": "the seated one"})
            assert await p.wait(lambda: p.views(phase="active"), 10)
            step = p.views(phase="active")[-1]
            assert step["routine"] and step["step"] == 1 and step["side"] == "right"
            assert any(step["instruction"] in c["text"] for c in p.of("caption", who="coach"))
            await p.ws.close()
            q = await page(http, gateway, hello={**HELLO, "session": sid})
            assert await q.wait(lambda: q.views(phase="active"), 5), "the last view, at once"
            assert q.views()[-1]["instruction"] == step["instruction"]
            await q.ws.close()
    run(scenario())


def test_safety_phrase_while_the_coach_speaks_flushes_the_page(gateway, tmp_path):
    from stretch_voice.audio import read_wav

    ouch = read_wav(speech_wav(tmp_path / "ouch.wav", [("ouch", 1.0)], lead_s=0.3))

    async def scenario() -> None:
        async with aiohttp.ClientSession() as http:
            p = await page(http, gateway)
            await p.send({"type": "text", "text": "start"})  # the warm-up advice: seconds long
            assert await p.wait(lambda: len(p.audio) >= 5), "the coach is speaking"
            for i in range(0, len(ouch), 640):  # a microphone's pace: 20 ms every 20 ms
                await p.ws.send_bytes(ouch[i:i + 640])
                await asyncio.sleep(0.02)
            assert await p.wait(lambda: p.of("flush"), 10), "the page is told to stop"
            heard = p.of("caption", who="you")[-1]
            assert heard["action"] == "barge-in" and "ouch" in heard["text"].lower()
            assert await p.wait(lambda: p.views(phase="paused"), 10)
    run(scenario())


def test_bad_frames_and_messages_are_answered_and_the_session_goes_on(gateway):
    async def scenario() -> None:
        async with aiohttp.ClientSession() as http:
            p = await page(http, gateway, hello=None)
            await p.ws.send_bytes(b"\0\0" * 160)
            assert await p.wait(lambda: p.of("error", code="hello_first"))
            await p.send(HELLO)
            assert await p.wait(lambda: p.of("ready"))
            await p.ws.send_bytes(b"\0" * 321)                      # half a sample
            await p.ws.send_bytes(b"\0\0" * (SAMPLE_RATE + 1))      # over a second in one frame
            await p.ws.send_bytes(b"")                              # empty
            await p.ws.send_str("not json")
            await p.send({"type": "dance"})
            await p.send(HELLO)                                     # a second hello
            await p.send({"type": "resend", "from": -5, "samples": 10})
            await p.send({"type": "resend", "from": 0, "samples": 10 ** 9})
            assert await p.wait(lambda: len(p.of("error", code="bad_frame")) == 3)
            assert await p.wait(lambda: len(p.of("error", code="bad_message")) == 5)
            assert "even number of bytes" in p.of("error", code="bad_frame")[0]["message"]
            await p.send({"type": "ping", "t": 7})
            assert await p.wait(lambda: p.of("pong", t=7)), "still connected"
            await start_session(p, "still coached")
            assert p.closed is None
    run(scenario())


def test_stop_silences_and_pauses_the_coach_and_resume_goes_on(gateway):
    async def scenario() -> None:
        async with aiohttp.ClientSession() as http:
            p = await page(http, gateway)
            await p.send({"type": "stop"})  # before a session: silence only, nothing to pause
            assert await p.wait(lambda: p.of("stopped"))
            assert p.of("stopped")[0]["paused"] is False and p.of("flush")
            await start_session(p)
            assert await p.wait(lambda: len(p.audio) >= 5), "the coach is speaking"
            await p.send({"type": "stop"})
            assert await p.wait(lambda: len(p.of("stopped")) == 2)
            assert await p.wait(lambda: p.views(phase="paused"), 10), "paused, not ended"
            kinds = [(m["type"], m.get("who"), m.get("text")) for m in p.messages]
            stopped = len(kinds) - 1 - kinds[::-1].index(("stopped", None, None))
            assert ("flush", None, None) in kinds[stopped - 3:stopped], "flushed, then stopped"
            assert ("caption", "you", "STOP") in kinds[stopped + 1:]
            answer = [t for k, who, t in kinds[stopped:] if k == "caption" and who == "coach"]
            assert answer and "paused" in answer[0].lower(), "the coach's answer comes after"
            await p.send({"type": "text", "text": "resume"})
            assert await p.wait(lambda: p.views(phase="choosing")[1:], 10), "resumable"
    run(scenario())


def test_a_message_too_big_for_the_socket_closes_it_but_not_the_session(gateway):
    """Over the socket's limit (4 s of audio in one message) the WebSocket itself is closed with
    1009 (aiohttp reads no further); the session lives on and the page's reconnect resumes it."""
    async def scenario() -> None:
        async with aiohttp.ClientSession() as http:
            p = await page(http, gateway)
            sid = p.of("ready")[0]["session"]
            await start_session(p)
            await p.ws.send_bytes(b"\0\0" * (4 * SAMPLE_RATE + 1))
            assert await p.wait(lambda: p.closed is not None, 10)
            assert p.closed == 1009
            q = await page(http, gateway, hello={**HELLO, "session": sid})
            assert q.of("ready")[0]["resumed"] is True
            assert await q.wait(lambda: q.views(phase="choosing")), "the session went on"
    run(scenario())


def test_wrong_audio_format_is_refused_with_a_reason(gateway):
    async def scenario() -> None:
        async with aiohttp.ClientSession() as http:
            p = await page(http, gateway, hello={**HELLO, "rate": 48000, "format": "f32le"})
            err = p.of("error", code="bad_format")[0]
            assert "16 kHz" in err["message"] and "48000" in err["message"]
            assert await p.wait(lambda: p.closed is not None)
            assert p.closed == 1003
    run(scenario())
    assert requests.get(gateway.url + "status", timeout=5).ok, "the gateway is still up"


def test_faster_than_real_time_sender_is_slowed_and_nothing_is_lost(gateway, tmp_path):
    from stretch_voice.audio import read_wav

    pcm = read_wav(speech_wav(tmp_path / "start.wav", [("start", 8.0)], lead_s=0.5))
    seconds = len(pcm) / (2 * SAMPLE_RATE)

    async def scenario() -> None:
        async with aiohttp.ClientSession() as http:
            p = await page(http, gateway)
            sid = p.of("ready")[0]["session"]
            t0 = time.monotonic()
            for i in range(0, len(pcm), 640):  # 20 ms frames, as fast as the socket takes them
                await p.ws.send_bytes(pcm[i:i + 640])
            burst = time.monotonic() - t0
            assert p.of("warning", code="too_fast") or await p.wait(
                lambda: p.of("warning", code="too_fast"), 5)
            assert await p.wait(lambda: p.of("caption", who="you"), 30), "the speech was heard"
            assert "start" in p.of("caption", who="you")[0]["text"].lower()
            samples = len(pcm) // 2
            assert await p.wait(lambda: any(row["received_samples"] == samples
                                            for row in gateway.status()["pages"]), 10), \
                (gateway.status(), samples)
            assert burst < seconds, "the burst itself was faster than real time"
            assert sid
    run(scenario())


def test_audio_kept_through_a_reconnect_is_resent_fast_and_heard_once(gateway, tmp_path):
    """A page loses its socket in the middle of "ouch"; it reconnects with the same stream, is
    told how much the gateway has, and resends from a little before that (overlap) as fast as
    the socket takes it (6 s, more than the gateway queues), then goes on live: the word is heard
    whole, once, and neither the backlog nor the live audio behind it is called too fast."""
    from stretch_voice.audio import read_wav

    pcm = read_wav(speech_wav(tmp_path / "ouch.wav", [("ouch", 6.0)], lead_s=0.5))
    live = pcm[-2 * SAMPLE_RATE:]  # the last second again, as live audio after the backlog
    half = int(0.7 * SAMPLE_RATE) * 2  # bytes up to 0.2 s into the word (after 0.5 s of quiet)
    stream = "stream-of-a-test-page"

    async def scenario() -> None:
        async with aiohttp.ClientSession() as http:
            p = await page(http, gateway, hello={**HELLO, "stream": stream})
            sid = p.of("ready")[0]["session"]
            assert p.of("ready")[0]["heard"] == 0
            for i in range(0, half, 640):  # a microphone's pace
                await p.ws.send_bytes(pcm[i:i + 640])
                await asyncio.sleep(0.02)
            await p.ws.close()
            q = await page(http, gateway, hello={**HELLO, "session": sid, "stream": stream})
            heard = q.of("ready")[0]["heard"]
            assert heard == half // 2, "a closed socket's frames were all taken"
            start = heard - 1000  # the page may resend what the gateway has: it is dropped
            rest = pcm[start * 2:]
            await q.send({"type": "resend", "from": start, "samples": len(rest) // 2})
            for i in range(0, len(rest), 640):
                await q.ws.send_bytes(rest[i:i + 640])
            for i in range(0, len(live), 640):  # a microphone's pace
                await q.ws.send_bytes(live[i:i + 640])
                await asyncio.sleep(0.02)
            assert await q.wait(lambda: q.of("caption", who="you"), 30), "the word was heard"
            assert "ouch" in q.of("caption", who="you")[-1]["text"].lower()
            assert await q.wait(lambda: q.views(phase="paused"), 10)
            total = (len(pcm) + len(live)) // 2

            def row() -> dict:
                return next(r for r in gateway.status()["pages"] if r["resent_samples"])
            assert await q.wait(lambda: row()["received_samples"] >= total, 10)
            assert row()["received_samples"] == total, "every sample fed exactly once"
            assert row()["lost_samples"] == 0
            assert not q.of("warning", code="too_fast"), "a resent backlog is not a fast sender"
            await q.ws.close()
    run(scenario())


def test_reconnect_resumes_the_session_and_closing_frees_it(gateway):
    async def scenario() -> None:
        async with aiohttp.ClientSession() as http:
            p = await page(http, gateway)
            # Pages closed by earlier tests linger too: let them go first, so the count below
            # changes only with this test's page.
            assert await p.wait(lambda: all(r["attached"] for r in gateway.status()["pages"]),
                                gateway.linger + 5)
            sid = p.of("ready")[0]["session"]
            await start_session(p)
            before = gateway.status()["sessions"]
            await p.ws.close()
            q = await page(http, gateway, hello={**HELLO, "session": sid})
            assert q.of("ready")[0] == {"type": "ready", "session": sid, "resumed": True,
                                        "heard": 0}
            assert await q.wait(lambda: q.of("caption", who="you", text="start")), "captions back"
            assert await q.wait(lambda: q.views(phase="choosing")), "the view back"
            await q.ws.close()
            assert await q.wait(lambda: gateway.status()["sessions"] == before - 1,
                                gateway.linger + 5), "freed after the linger time"
    run(scenario())


def test_https_serves_the_page_with_a_self_signed_certificate(web_servers, tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    https, port = free_ports(2)
    g = Gateway(web_servers.url, tmp_path, port, linger=1.0,
                extra=["--cert", str(cert), "--key", str(key), "--https-host", "127.0.0.1",
                       "--https-port", str(https)])
    try:
        r = requests.get(f"https://127.0.0.1:{https}/", verify=str(cert), timeout=10)
        assert r.ok and "Stretch Coach" in r.text

        async def hello() -> dict:
            ctx = ssl.create_default_context(cafile=str(cert))
            ctx.check_hostname = False
            async with aiohttp.ClientSession() as http:
                async with http.ws_connect(f"wss://127.0.0.1:{https}/ws", ssl=ctx) as ws:
                    await ws.send_str(json.dumps(HELLO))
                    while True:
                        msg = json.loads((await ws.receive(timeout=30)).data)
                        if msg["type"] == "ready":
                            return msg
        assert run(hello())["resumed"] is False
    finally:
        g.stop()


def test_what_is_typed_while_the_coach_is_down_is_kept_and_the_page_told(gateway, web_servers):
    """The Rasa server goes away mid-session: the page's "ouch" is captioned, the page is told
    the coach can't be reached (its socket stays open), and the coach answers it once back."""
    async def scenario() -> None:
        async with aiohttp.ClientSession() as http:
            p = await page(http, gateway)
            await start_session(p)
            await p.send({"type": "text", "text": "the seated one"})
            assert await p.wait(lambda: p.views(phase="active"), 10)
            await asyncio.to_thread(stop_process, web_servers.rasa)
            await asyncio.sleep(2.0)  # socket.io sees the connection close
            await p.send({"type": "text", "text": "ouch that hurts"})
            assert await p.wait(lambda: p.of("warning", code="coach_unreachable"), 10)
            assert "can't be reached" in p.of("warning", code="coach_unreachable")[0]["message"]
            assert p.of("caption", who="you", text="ouch that hurts") and p.closed is None
            await asyncio.to_thread(web_servers.start_rasa)
            assert await p.wait(lambda: any("zero to ten" in m["text"]
                                            for m in p.of("caption", who="coach")), 40), \
                "the coach answered the kept ouch once it was back"
    try:
        run(scenario())
    finally:
        if web_servers.rasa is None or web_servers.rasa.poll() is not None:
            web_servers.start_rasa()  # the other web tests need it


def test_coach_down_is_a_clear_error_and_the_gateway_stays_up(tmp_path):
    rasa, port = free_ports(2)
    g = Gateway(f"http://127.0.0.1:{rasa}", tmp_path, port, linger=1.0,
                extra=["--connect-timeout", "2"])
    try:
        async def scenario() -> Page:
            async with aiohttp.ClientSession() as http:
                p = await page(http, g)
                assert await p.wait(lambda: p.closed is not None, 10)
                return p
        p = run(scenario())
        err = p.of("error", code="coach_unreachable")[0]
        assert "does not answer" in err["message"] and p.closed == 1011
        status = g.status()
        assert (status["sessions"], status["attached"], status["pages"]) == (0, 0, [])
        assert status["load"]["pages"] == 0 and status["load"]["sessions"] == 0
    finally:
        g.stop()


def test_a_second_page_with_the_same_session_takes_it_over(gateway):
    async def scenario() -> None:
        async with aiohttp.ClientSession() as http:
            first = await page(http, gateway)
            sid = first.of("ready")[0]["session"]
            second = await page(http, gateway, hello={**HELLO, "session": sid})
            assert second.of("ready")[0]["resumed"] is True
            assert await first.wait(lambda: first.of("error", code="taken_over"))
            await first.send({"type": "ping", "t": 1})  # the old page is closed, not served
            assert await first.wait(lambda: first.closed is not None, 10)
            assert not first.of("pong")
            await second.send({"type": "ping", "t": 2})
            assert await second.wait(lambda: second.of("pong", t=2))
    run(scenario())


def test_with_the_action_server_down_the_page_hears_the_safe_line_and_keeps_its_view(
        gateway, web_servers):
    """The fault policy answers "ouch" with its safe line and sends no view (the coach did not
    run), so the page keeps the last one; back up, the coach catches up and its view follows."""
    async def scenario() -> None:
        async with aiohttp.ClientSession() as http:
            p = await page(http, gateway)
            await start_session(p)
            await asyncio.to_thread(web_servers.kill_actions)
            views = len(p.of("view"))
            await p.send({"type": "text", "text": "ouch that hurts"})
            assert await p.wait(lambda: len(p.of("caption", who="coach")) > 2, 20)
            await asyncio.sleep(1.0)
            assert len(p.of("view")) == views, "no view without the coach"
            await asyncio.to_thread(web_servers.start_actions)
            await p.send({"type": "text", "text": "resume"})
            assert await p.wait(lambda: p.views(phase="paused", question="pain"), 30), \
                "back: the ouch applied first, the coach asks how bad"
    try:
        run(scenario())
    finally:
        if web_servers.actions is None or web_servers.actions.poll() is not None:
            web_servers.start_actions()  # the other web tests need it
