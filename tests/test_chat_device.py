"""The terminal's device secret (stretch_chat.device_secret): made once beside the session file,
readable by its owner only, the same on every start, and sent with each message's metadata."""

from __future__ import annotations

import os
import stat

from stretch_chat import Chat, device_secret


def test_the_secret_is_made_once_and_kept_private(tmp_path):
    path = tmp_path / ".chat_session.device"
    secret = device_secret(path)
    assert secret and len(secret) >= 43 and device_secret(path) == secret
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert device_secret(tmp_path / "other.device") != secret


def test_it_follows_the_session_file(tmp_path, monkeypatch):
    monkeypatch.setenv("STRETCH_SESSION_FILE", str(tmp_path / "s"))
    secret = device_secret()
    assert (tmp_path / "s.device").read_text() == secret


def test_an_unwritable_place_means_no_secret(tmp_path):
    assert device_secret(tmp_path / "missing" / "dir" / "x.device") is None


def test_each_message_carries_the_secret_beside_its_own_metadata():
    chat = Chat("http://127.0.0.1:9", "sid", device="d" * 43)
    sent = []
    chat.sio.emit = lambda event, data: sent.append((event, data))
    chat._emit("next", {"heard": {"safety_p": 0.1, "logprob": -0.2}})
    chat._emit("stop")
    assert sent == [
        ("user_uttered", {"message": "next", "session_id": "sid", "metadata": {
            "heard": {"safety_p": 0.1, "logprob": -0.2}, "device": "d" * 43}}),
        ("user_uttered", {"message": "stop", "session_id": "sid",
                          "metadata": {"device": "d" * 43}})]
    assert Chat("http://127.0.0.1:9", "sid").metadata == {}
