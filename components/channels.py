"""Input channels that check what comes in: Rasa's REST and socket.io channels, guarded.

Registered in credentials.yml under their module paths; their names stay ``rest`` and ``socketio``,
so the URLs (``/webhooks/rest/webhook``, ``/socket.io``) do not change.

- REST: the body must be a JSON object of at most ``MAX_BODY`` bytes with a ``sender`` (a short id,
  required: a message without one would otherwise join a shared ``default`` conversation) and a
  ``message`` string of at most ``MAX_TEXT`` characters; ``metadata``, if given, an object. Anything
  else is answered 400 (or 413 for size) with a short reason, before Rasa sees it. Rasa's own channel
  answers 500 to ``[]`` or ``null`` (Rasa issue #8481) and puts a sender-less message in ``default``.
- Both: a message starting with ``/`` would be taken by Rasa as an intent and entities given
  directly (``/EXTERNAL_hold_cue``, ``/stop_session``), skipping the NLU and the safety net. People
  never need that: the slashes are dropped and the rest goes through the NLU like any words (so
  ``/EXTERNAL_hold_cue`` gets the re-prompt for unclear input). Reminders trigger their intent
  inside Rasa, not through a channel, and are unaffected. Only ``/nlu_fallback`` passes (``ALLOWED``).
- Both: when the lock store (Redis, in ``make cluster``) cannot be reached, Rasa cannot take the
  conversation's lock and would answer nothing; the error is logged and the person hears
  ``TROUBLE`` (utter_fault_trouble's first wording), sent on the message's own channel. The same
  when the tracker store's database is down (components/stores.py marks the turn). Each message
  tries the stores again, so the coach answers as before once they are back.
- Both: the message's ``metadata`` is replaced before Rasa sees it: a device secret
  (``{"device": ...}``, docs/history.md) becomes its SHA-256 hash ``{"device_id": ...}``, the voice
  loop's ``heard`` (stretch_coach/doubt.py) is kept when well formed, and any other key is dropped,
  so no secret is stored with the conversation and nobody names a device id.
- Both: Rasa builds them at the start of ``rasa run``, so they put our patches on Rasa then
  (:meth:`GuardedInput.server_start`, components/rasa_patches.py): the one place the patches are
  applied.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import re
import time
from typing import Any, Awaitable, Callable, Dict, Optional, Text, Tuple

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.channels.socketio import SocketIOInput
from rasa.core.lock_store import LockError
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from components import action_calls, metrics, rasa_patches
from components.stores import STORE_DOWN
from stretch_coach import contract as C
from stretch_coach import doubt

MAX_BODY = 16 * 1024   # bytes: a spoken sentence is well under 1 KiB
MAX_TEXT = 4000        # characters of one message (a flood of "next" still counts as one)
logger = logging.getLogger(__name__)
SENDER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$")
DEVICE_SECRET = re.compile(r"^[A-Za-z0-9_-]{22,128}$")   # at least 128 bits when random

Handler = Callable[[UserMessage], Awaitable[Any]]
# domain.yml's utter_fault_trouble (first wording): said when the conversation store is unreachable.
TROUBLE = "I'm having trouble. Partner, release slowly and rest a moment."


# The one shortcut a client may send: the voice client says "/nlu_fallback" for speech it could not
# recognise (stretch_voice FALLBACK_MESSAGE), which only ever leads to a re-prompt or a safe pause.
ALLOWED = {f"/{C.NLU_FALLBACK}"}


def plain_text(text: Optional[Text]) -> Text:
    """The message as words: leading slashes (Rasa's "/intent{...}" shortcut) dropped."""
    if text in ALLOWED:
        return text
    return (text or "").lstrip().lstrip("/")


async def trouble(message: UserMessage) -> None:
    """Say TROUBLE, in place of what the turn said where it was not sent yet (REST)."""
    out = message.output_channel
    if out is None:
        return
    if isinstance(out, CollectingOutputChannel):
        out.messages.clear()
    await out.send_text_message(message.sender_id, TROUBLE)


def device_id(secret: Any) -> Optional[Text]:
    """The device id kept for a device secret (its SHA-256, hex), or None for no valid secret."""
    if not isinstance(secret, str) or not DEVICE_SECRET.match(secret):
        return None
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def safe_metadata(metadata: Any) -> Dict[Text, Any]:
    """What Rasa keeps of a message's metadata: the device id, if the client sent a secret, and
    how the voice loop heard the words (stretch_coach.doubt), if well formed; nothing else."""
    if not isinstance(metadata, dict):
        return {}
    kept: Dict[Text, Any] = {}
    device = device_id(metadata.get(C.DEVICE))
    if device:
        kept[C.DEVICE_ID] = device
    heard = doubt.hearing(metadata)
    if heard is not None:
        kept[doubt.METADATA_KEY] = dataclasses.asdict(heard)   # every field doubt reads
    return kept


def guarded(on_new_message: Handler, channel: Text = "") -> Handler:
    """Wrap Rasa's message handler so a user's text can never name an intent directly, and the
    person hears TROUBLE when the lock store or the tracker store's database is down; each
    message is counted and timed (components/metrics.py)."""

    async def turn(message: UserMessage) -> Tuple[Any, Text]:
        """Rasa's handling of one message, and its outcome for the metrics."""
        try:
            result = await on_new_message(message)
        except LockError as e:
            logger.error("The lock store is unreachable: conversation %s got no answer from the "
                         "coach and was told to release slowly. %s", message.sender_id, e)
            await trouble(message)
            return None, "trouble"
        if STORE_DOWN.get():   # the turn ran on an empty conversation (components/stores.py)
            logger.error("Conversation %s was told to release slowly: its state could not be read.",
                         message.sender_id)
            await trouble(message)
            return result, "trouble"
        return result, "answered"

    async def handle(message: UserMessage) -> Any:
        message.text = plain_text(message.text)
        message.metadata = safe_metadata(message.metadata)
        STORE_DOWN.set(False)
        outcome, started = "failed", time.perf_counter()
        try:
            with metrics.IN_PROGRESS.track_inprogress():
                result, outcome = await turn(message)
            return result
        finally:
            metrics.record(channel, outcome, time.perf_counter() - started)

    return handle


def check_rest_body(body: bytes) -> Tuple[Optional[Dict[Text, Any]], Optional[HTTPResponse]]:
    """The request as a dict, or the 4xx response that explains what is wrong with it."""

    def bad(reason: Text, status: int = 400) -> Tuple[None, HTTPResponse]:
        return None, response.json({"error": reason}, status=status)

    if len(body) > MAX_BODY:
        return bad(f"the body is over {MAX_BODY} bytes", 413)
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return bad("the body must be JSON")
    if not isinstance(data, dict):
        return bad('the body must be a JSON object: {"sender": ..., "message": ...}')
    sender, text, metadata = data.get("sender"), data.get("message"), data.get("metadata")
    if not isinstance(sender, str) or not SENDER.match(sender):
        return bad("'sender' is required: letters, digits and _ . : @ -, at most 128")
    if not isinstance(text, str):
        return bad("'message' is required and must be a string")
    if len(text) > MAX_TEXT:
        return bad(f"'message' is over {MAX_TEXT} characters", 413)
    if metadata is not None and not isinstance(metadata, dict):
        return bad("'metadata' must be an object")
    return data, None


class GuardedInput:
    """What our two channels share: the start of the server, and their guarded message handler."""

    # The patches the server runs with: all of them. The lab's "Rasa as shipped" set-ups
    # (lab/bench/as_shipped.py) use a subclass with fewer, to measure them.
    patches: Tuple[Text, ...] = rasa_patches.ALL

    def server_start(self, on_new_message: Handler) -> Handler:
        """Called as Rasa builds this channel's blueprint when ``rasa run`` starts, before the model
        loads or a message comes: put our patches on Rasa (once per channel: the same patches
        twice change nothing) and give the guarded handler."""
        rasa_patches.apply(self.patches)
        return guarded(on_new_message, self.name())


class GuardedRestInput(GuardedInput, RestInput):
    """Rasa's REST channel (``/webhooks/rest/webhook``) with its requests checked first."""

    @classmethod
    def name(cls) -> Text:
        return "rest"

    def blueprint(self, on_new_message: Handler) -> Blueprint:
        handle = self.server_start(on_new_message)
        webhook = Blueprint("guarded_rest_webhook", __name__)

        @webhook.listener("after_server_stop")
        async def close_action_connections(_app: Any, _loop: Any) -> None:
            await action_calls.close_pool()

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/metrics", methods=["GET"])
        async def metrics_text(request: Request) -> HTTPResponse:
            body, content_type = metrics.exposition()
            return response.raw(body, content_type=content_type)

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            data, error = check_rest_body(request.body or b"")
            if error is not None:
                metrics.REFUSED.labels(str(error.status)).inc()
                return error
            collector = CollectingOutputChannel()
            try:
                await handle(UserMessage(
                    data["message"], collector, data["sender"], input_channel=self.name(),
                    metadata=data.get("metadata"),
                ))
            except Exception:  # noqa: BLE001 - as Rasa's channel: log it, answer what was said
                logger.exception("rest message failed (sender %s)", data["sender"])
            return response.json(collector.messages)

        return webhook


class GuardedSocketIOInput(GuardedInput, SocketIOInput):
    """Rasa's socket.io channel, with the same rule for "/intent" text."""

    @classmethod
    def name(cls) -> Text:
        return "socketio"

    def blueprint(self, on_new_message: Handler) -> Blueprint:
        return super().blueprint(self.server_start(on_new_message))
