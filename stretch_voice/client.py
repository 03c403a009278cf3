"""The voice loop wired to the coach: a socket.io :class:`~stretch_chat.Chat`, a
:class:`~.session.VoiceSession` that sends what it hears, and a :class:`~.speaker.Speaker` that
says every coach message, pushed hold cues included.

One wiring for the microphone CLI, the web gateway, the benchmark and the end-to-end tests.
"""

from __future__ import annotations

import time
from typing import Any, Callable, List, Optional

from stretch_chat import Chat

from .session import VoiceSession
from .speaker import Speaker


class VoiceClient:
    """Connects on :meth:`connect`; feed captured audio to :attr:`session`.

    Args:
        url: The Rasa server (socket.io channel).
        sender_id: The conversation.
        recognizer: A :class:`~.recognizer.Recognizer` (Whisper).
        speaker: Says the coach's messages.
        on_coach_text: Also called with every coach message (e.g. to print it).
        on_view: Called with the coach's view of the session after each turn (the page shows
            it; docs/protocol.md). Never spoken.
        on_held: Called with what was heard while the coach could not be reached (it is kept
            and sent when the link is back: see :class:`~stretch_chat.Chat`).
        device: The device's secret, sent with every message (docs/history.md).
        **session_options: Passed to :class:`~.session.VoiceSession`.
    """

    def __init__(self, url: str, sender_id: str, recognizer: Any, speaker: Speaker, *,
                 on_coach_text: Optional[Callable[[str], None]] = None,
                 on_view: Optional[Callable[[dict], None]] = None,
                 on_held: Optional[Callable[[str], None]] = None,
                 device: Optional[str] = None,
                 **session_options: Any) -> None:
        self.speaker = speaker
        self.heard: List[str] = []  # every coach message, in order
        self.last_message_at = time.monotonic()
        self._on_coach_text = on_coach_text
        self.chat = Chat(url, sender_id, on_text=self._on_text, on_held=on_held, on_view=on_view,
                         device=device)
        self.session = VoiceSession(recognizer, self.chat.send, speaker, **session_options)

    def connect(self, timeout: float = 30) -> "VoiceClient":
        self.chat.connect(timeout=timeout)
        return self

    def _on_text(self, text: str) -> None:
        self.heard.append(text)
        self.last_message_at = time.monotonic()
        if self._on_coach_text is not None:
            self._on_coach_text(text)
        self.session.on_coach(text)

    def close(self) -> None:
        self.chat.close()
        self.speaker.close()
