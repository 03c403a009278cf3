"""Text chat with the coach over socket.io, so pushed messages (timed hold cues) show up too.

    python -m stretch_chat [--url http://localhost:5005] [--new]

The session id is kept in `.chat_session` (or the file `STRETCH_SESSION_FILE` names: tests point it
at a temp dir) so a restarted chat (or server) continues the same session; beside it,
`.chat_session.device` keeps this terminal's device secret, sent with every message so the coach
knows the pair who used it last (docs/history.md). Type /quit to leave.
At a terminal the "You:" prompt comes after the coach's reply, and a cue pushed while it shows is
printed above it. When stdin is not a terminal (a script or test pipes lines in), each line waits
for the coach's replies to settle before the next one is sent. The coach's view of the session
(a custom payload for the page, docs/protocol.md) is never printed.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import threading
import time
import uuid
from collections import deque
from pathlib import Path
from typing import Callable, Deque, Optional, Tuple

import socketio

SESSION_FILE = ".chat_session"
OUTBOX = 50
"""Messages kept while the coach cannot be reached (the oldest go first past this)."""
PROMPT = "You: "
REPLY_QUIET = 0.4
"""At a terminal, the prompt shows once the coach's reply has been followed by this many seconds
with no further message (a turn's messages come within milliseconds of each other) ..."""
REPLY_LIMIT = 5.0
"""... or after this many seconds with no reply (a reply after that is printed above the prompt)."""


def session_file() -> Path:
    """Where the session id is kept: `STRETCH_SESSION_FILE` if set, else `.chat_session`."""
    return Path(os.environ.get("STRETCH_SESSION_FILE") or SESSION_FILE)


def session_id(new: bool, path: Optional[Path] = None) -> str:
    path = path or session_file()
    if not new and path.exists() and path.read_text().strip():
        return path.read_text().strip()
    sid = uuid.uuid4().hex
    try:
        path.write_text(sid)
    except OSError:
        pass
    return sid


def device_secret(path: Optional[Path] = None) -> Optional[str]:
    """This terminal's device secret, kept beside the session file (made on first use, readable
    by its owner only); None when it cannot be kept (the coach then keeps no history)."""
    path = path or Path(f"{session_file()}.device")
    try:
        if path.exists() and path.read_text().strip():
            return path.read_text().strip()
        secret = secrets.token_urlsafe(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secret)
        return secret
    except OSError:
        return None


class Chat:
    """A socket.io connection to the coach. Each bot message goes to ``on_text`` (by default it is
    printed as "Coach: ..."); pushed messages (hold cues) arrive the same way. The coach's view of
    the session after each turn goes to ``on_view`` if given, and is otherwise ignored.

    Nothing said is lost while the link to the coach is down (a Rasa server restarting, a network
    drop): :meth:`send` keeps the message and ``on_held`` is called with it; socket.io reconnects
    by itself, and once the coach has confirmed the session again the kept messages go, in order,
    before anything newer. An "ouch" said during an outage reaches the coach when it is back.

    ``device``: the device's secret, sent as each message's metadata (docs/history.md)."""

    def __init__(self, url: str, sid: str, out=sys.stdout, on_text=None,
                 on_held: Optional[Callable[[str], None]] = None,
                 on_view: Optional[Callable[[dict], None]] = None,
                 device: Optional[str] = None):
        self.url, self.sid, self.out = url, sid, out
        self.metadata = {"device": device} if device else {}
        self.on_text = on_text or (lambda text: print(f"Coach: {text}", file=self.out, flush=True))
        self.on_held = on_held
        self.on_view = on_view
        self.last_message = time.monotonic()
        self.confirmed = threading.Event()  # the coach confirmed the session on this connection
        # said while the link was down, not sent: (text, metadata)
        self.outbox: Deque[Tuple[str, Optional[dict]]] = deque(maxlen=OUTBOX)
        self._lock = threading.Lock()
        self.sio = socketio.Client(reconnection=True, reconnection_delay=0.5)
        self.sio.on("connect", self._on_connect)
        self.sio.on("disconnect", self.confirmed.clear)
        self.sio.on("session_confirm", self._on_confirm)
        self.sio.on("bot_uttered", self._on_bot)

    def _on_connect(self) -> None:
        self.sio.emit("session_request", {"session_id": self.sid})

    def _on_confirm(self, *_args) -> None:
        # Rasa puts this connection in the session's room before it confirms: replies to the
        # kept messages now reach us
        with self._lock:
            self.confirmed.set()
            while self.outbox and self._emit(*self.outbox[0]):
                self.outbox.popleft()

    def _on_bot(self, data) -> None:
        self.last_message = time.monotonic()
        data = data if isinstance(data, dict) else {}
        if "view" in data:  # what the coach shows, not what it says
            if self.on_view is not None:
                self.on_view(data["view"])
            return
        text = data.get("text")
        if text:
            self.on_text(text)

    def connect(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sio.connect(self.url, transports=["websocket", "polling"])
                break
            except socketio.exceptions.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        self.confirmed.wait(timeout=10)

    def _emit(self, text: str, metadata: Optional[dict] = None) -> bool:
        data = {"message": text, "session_id": self.sid}
        if metadata or self.metadata:
            data["metadata"] = {**(metadata or {}), **self.metadata}
        try:
            self.sio.emit("user_uttered", data)
        except socketio.exceptions.SocketIOError:  # not connected (BadNamespaceError) or closing
            return False
        return True

    def send(self, text: str, metadata: Optional[dict] = None) -> bool:
        """Send ``text`` (with Rasa message ``metadata``, if any) to the coach; True if it went
        now, False if it is kept until the link is back (``on_held`` is told)."""
        with self._lock:
            if self.confirmed.is_set() and not self.outbox and self._emit(text, metadata):
                return True
            self.outbox.append((text, metadata))
        if self.on_held is not None:
            self.on_held(text)
        return False

    def settle(self, quiet: float = 1.0, limit: float = 15.0) -> None:
        """Wait for the coach's answer: a reply, then `quiet` seconds of silence (at most `limit`)."""
        sent = time.monotonic()
        while time.monotonic() - sent < limit:
            if self.last_message >= sent and time.monotonic() - self.last_message >= quiet:
                return
            time.sleep(0.05)

    def close(self) -> None:
        self.sio.disconnect()


class Console:
    """A person at a terminal: each coach message on its own line, the "You:" prompt after it.

    A message that comes while the prompt shows (a timed hold cue) clears the prompt's line, is
    printed, and the prompt is shown again below it, so a message never follows the prompt."""

    def __init__(self, out=sys.stdout, read: Callable[[], str] = input) -> None:
        self.out, self.read = out, read
        self._lock = threading.Lock()
        self._prompting = False

    def show(self, text: str) -> None:
        with self._lock:
            if self._prompting:
                self.out.write("\r\033[K")  # back to the start of the prompt's line, cleared
            self.out.write(f"Coach: {text}\n")
            if self._prompting:
                self.out.write(PROMPT)
            self.out.flush()

    def ask(self) -> str:
        """Show the prompt and read a line (EOFError at the end of input)."""
        with self._lock:
            self.out.write(PROMPT)
            self.out.flush()
            self._prompting = True
        try:
            return self.read()
        finally:
            with self._lock:
                self._prompting = False


def converse(chat: Chat, console: Optional[Console]) -> None:
    """Send each line to the coach until /quit or the end of input. With a console the prompt
    comes after the coach's reply; piped lines are echoed and each waits for the replies."""
    while True:
        try:
            line = console.ask() if console else input()
        except EOFError:
            break
        if line.strip() in ("/quit", "/exit"):
            break
        if console is None:
            print(f"{PROMPT}{line}", flush=True)
        sent = chat.send(line)
        if console is None:
            chat.settle()
        elif sent:
            chat.settle(quiet=REPLY_QUIET, limit=REPLY_LIMIT)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", default="http://localhost:5005")
    ap.add_argument("--new", action="store_true", help="start a new session")
    ap.add_argument("--session", help="use this session id")
    ap.add_argument("--linger", type=float, default=0.0,
                    help="with piped input: seconds to keep listening for pushed cues at the end")
    args = ap.parse_args(argv)
    console = Console() if sys.stdin.isatty() else None
    chat = Chat(args.url, args.session or session_id(args.new),
                on_text=console.show if console else None, on_held=lambda _text: print(
                    "(The coach can't be reached right now; it gets this as soon as it is back.)",
                    file=sys.stderr, flush=True), device=device_secret())
    try:
        chat.connect()
    except Exception as exc:  # noqa: BLE001 - tell the person, not a traceback
        print(f"Can't reach the coach at {args.url}: {exc}", file=sys.stderr)
        return 1
    if console:
        print("Talk to your coach. Say 'start' to begin, /quit to leave.", flush=True)
    try:
        converse(chat, console)
    except KeyboardInterrupt:
        pass
    finally:
        if not console and args.linger:
            time.sleep(args.linger)
        chat.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
