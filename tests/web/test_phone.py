"""A whole session on a phone, in Debian's headless chromium through the gateway to the real coach
servers: the page is installable (its manifest as Chromium reads it, no installability error), its
service worker caches exactly the page's own files and serves the page with the network cut, the
screen wake lock is held from Start and released when the session ends, and sound and microphone
come back after the page was hidden with its audio suspended and its microphone track ended.

Headless chromium keeps every page visible (a tab switch, a minimised window and a frozen page
leave ``visibilityState`` at "visible"), so the hide is simulated in the page (drive.mjs'
``hide``): what a phone does on locking, done by hand, then the page's own recovery is watched.
"""

from __future__ import annotations

import pytest

from stretch_web.shell import shell_files
from web_harness import drive, speech_wav

pytestmark = [pytest.mark.e2e, pytest.mark.web]


def test_phone_installable_awake_recovers_and_opens_offline(gateway, tmp_path):
    quiet = speech_wav(tmp_path / "quiet.wav", [], lead_s=0.5)
    r = drive("phone", {"url": gateway.url, "wav": str(quiet), "timeout_ms": 20000})
    assert r["reached"] == {"worker": True, "choosing": True, "recovered": True, "spoken": True,
                            "ended": True, "offline": True}, r["errors"]

    manifest = r["manifest"]
    assert manifest["url"].endswith("/manifest.webmanifest") and manifest["errors"] == []
    assert '"display": "standalone"' in manifest["data"]
    assert r["installability"] == [], "Chromium would offer to install it"

    files = sorted(shell_files())
    caches = r["cached"]
    assert len(caches) == 1 and sorted(next(iter(caches.values()))) == files, caches
    assert not any(p in files for p in ("/ws", "/status", "/sw.js")), "nothing but the page's files"

    session, hidden, later = r["session"], r["hidden"], r["hiddenLater"]
    assert session["wakeHeld"] and session["sentinelReleased"] is False, "screen kept on from Start"
    assert (session["sound"], session["micContext"], session["track"]) == ("running", "running", "live")
    assert not hidden["wakeHeld"]
    assert (hidden["sound"], hidden["micContext"], hidden["track"]) == ("suspended", "suspended", "ended")
    assert later["chunks"] == hidden["chunks"], "a hidden page's microphone sends nothing"

    back, back_later = r["back"], r["backLater"]
    assert back["wakeHeld"] and back["sentinelReleased"] is False, "the lock was taken again"
    assert (back["sound"], back["micContext"], back["track"]) == ("running", "running", "live")
    assert back["reopened"] == 1, "the ended track was opened again"
    assert back_later["soundTime"] > back["soundTime"], "the sound clock runs again"
    assert back_later["chunks"] >= back["chunks"] + 25, "the microphone sends again (20 ms chunks)"
    assert r["receivedAfter"] >= r["receivedBefore"] + 8000, "and the gateway receives it"

    ended = r["ended"]
    assert not ended["wakeHeld"] and ended["sentinelReleased"] is None, "released at the end"
    events = [e["type"] for e in r["snapshots"]["ended"]["trace"]["events"]]
    assert events.count("wake-held") == 2 and events.count("wake-released") == 2, events

    offline = r["offline"]
    assert offline["page"] == 200 and offline["script"] == 200, "the page's files from the cache"
    assert offline["status"].startswith("failed"), "the gateway's answers are never cached"
    assert offline["figure"] == "function", "the cached scripts run"
    assert r["snapshots"]["offline"]["link"] in ("reconnecting…", "connecting…")


def test_without_wake_lock_the_page_says_so_and_the_session_runs(gateway, tmp_path):
    quiet = speech_wav(tmp_path / "quiet.wav", [], lead_s=0.5)
    r = drive("nowake", {"url": gateway.url, "wav": str(quiet), "timeout_ms": 20000})
    assert r["reached"] == {"choosing": True}, r["errors"]
    snap = r["snapshots"]["choosing"]
    assert "cannot keep the screen on" in snap["notice"]
    assert r["events"].count("wake-unsupported") == 1 and "wake-held" not in r["events"]
