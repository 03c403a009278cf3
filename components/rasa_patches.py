"""Our patches to Rasa's internals, all in one place, put on Rasa by one call when the server starts.

Rasa 3.6 has no setting for any of these, so each replaces a module constant or a method of one of
Rasa's own classes. Each :class:`Patch` says what it changes and why, the Rasa issue it works around
(or that none was found), and the Rasa code it was written against, as a fingerprint of that code's
source: tests/test_rasa_patches.py fails when Rasa's version or any of that source changes, so an
upgrade makes someone read each patch again before it ships.

When: :func:`apply`, called by our input channels as Rasa builds them from credentials.yml at the
start of ``rasa run`` (``GuardedInput.server_start`` in components/channels.py): before the model is
loaded, before any message, and before Sanic forks its workers, which inherit the patches. That is
every way the product starts Rasa (scripts/run.sh, scripts/cluster.sh, lab/harness/servers.py);
a Rasa command with another channel (``rasa shell``) runs without them. Importing a components
module patches nothing.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import logging
from dataclasses import dataclass
from typing import Callable, Dict, Iterable, Optional, Tuple

import rasa
from rasa.core import constants as rasa_constants
from rasa.core.actions import action as rasa_action
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import Event

from components import action_calls, event_types, settings

logger = logging.getLogger(__name__)

RASA_VERSION = "3.6.21"   # the Rasa every patch below was written against and tested on


def _bounded_wait(on: bool) -> None:
    """The action server's wait: ours (settings, read now) or Rasa's constant."""
    rasa_action.DEFAULT_REQUEST_TIMEOUT = (settings.action_timeout() if on
                                           else rasa_constants.DEFAULT_REQUEST_TIMEOUT)


def _cached_validator(on: bool) -> None:
    """The action response check: ours (one validator per class) or Rasa's."""
    RemoteAction._validate_action_result = (action_calls.validate_action_result if on
                                            else action_calls.RASA_VALIDATE)


def _kept_alive(on: bool) -> None:
    """RemoteAction's endpoint: one that keeps connections, or Rasa's own."""
    RemoteAction.__init__ = (action_calls.remote_action_init if on  # type: ignore[method-assign]
                             else action_calls.RASA_REMOTE_INIT)


def _cached_event_types(on: bool) -> None:
    """The event class lookup: ours (a map) or Rasa's walk over the subclasses."""
    Event.resolve_by_type = staticmethod(  # type: ignore[method-assign]
        event_types.resolve_by_type if on else event_types.RASA_RESOLVE)


@dataclass(frozen=True)
class Patch:
    """One change to Rasa: what it replaces, why, the upstream issue, and the Rasa code (dotted
    name -> fingerprint of its source) it replaces or relies on."""

    name: str
    changes: str
    why: str
    upstream: str
    rasa_code: Dict[str, str]
    switch: Callable[[bool], None]   # switch(True) puts it on Rasa, switch(False) Rasa's own back


PATCHES: Tuple[Patch, ...] = (
    Patch(
        "bounded_wait",
        changes="rasa.core.actions.action.DEFAULT_REQUEST_TIMEOUT (300 s) -> "
                "settings.action_timeout() (STRETCH_ACTION_TIMEOUT; default 5 s)",
        why="A hung action server would hold the turn and the conversation's lock for five "
            "minutes in silence; after the bounded wait Rasa's processor treats the timeout as "
            "a failed action, so the fault policy (components/fault_policy.py) speaks the safe "
            "line. Set in rasa.core.actions.action only, where RemoteAction.run looks it up at "
            "call time, not in rasa.core.constants, which other HTTP calls use.",
        upstream="RasaHQ/rasa#9789 (DEFAULT_REQUEST_TIMEOUT cannot be set; still a constant in "
                 "3.6.21; RasaHQ/rasa#13015, configurable client timeouts, is an open PR)",
        rasa_code={
            "rasa.core.actions.action.RemoteAction.run": "ccabf6f1160d527a",
            "rasa.core.processor.MessageProcessor._run_action": "6d383d0179ef1187",
        },
        switch=_bounded_wait,
    ),
    Patch(
        "cached_validator",
        changes="RemoteAction._validate_action_result -> action_calls.validate_action_result",
        why="jsonschema.validate checks the constant response schema against its meta-schema "
            "and builds a new validator on every custom action call; ours builds it once per "
            "class and refuses exactly what Rasa's refuses, with Rasa's message.",
        upstream="RasaHQ/rasa#11717",
        rasa_code={
            "rasa.core.actions.action.RemoteAction._validate_action_result": "f8cdb4be68123961",
            "rasa.core.actions.action.RemoteAction.action_response_format_spec": "091b74aa3738d126",
        },
        switch=_cached_validator,
    ),
    Patch(
        "kept_alive",
        changes="RemoteAction.__init__ -> action_calls.remote_action_init (its endpoint becomes "
                "a KeptAliveEndpoint)",
        why="EndpointConfig.request opens a new aiohttp session, and so a new TCP connection, "
            "for every custom action call; ours keeps one connection pool per event loop and "
            "retries once on a new connection as Rasa would make it.",
        upstream="none found for the action endpoint; Rasa made the same change for its NLU "
                 "HTTP interpreter (RasaHQ/rasa#12696, in 3.6), and RasaHQ/rasa#8235 reports "
                 "slow action server calls",
        rasa_code={
            "rasa.core.actions.action.RemoteAction.__init__": "69103389ee02de80",
            "rasa.utils.endpoints.EndpointConfig.__init__": "07e0715d80d8e880",
            "rasa.utils.endpoints.EndpointConfig.session": "e55aa13d9d4fb4bc",
            "rasa.utils.endpoints.EndpointConfig.request": "ccdb778aed8208e2",
        },
        switch=_kept_alive,
    ),
    Patch(
        "cached_event_types",
        changes="Event.resolve_by_type -> event_types.resolve_by_type",
        why="Rasa walks every subclass of Event for each event it reads or receives; ours looks "
            "the name up in a map built from the same walk, with the same answers.",
        upstream="none found (searched RasaHQ/rasa issues for resolve_by_type and event "
                 "deserialisation cost)",
        rasa_code={
            "rasa.shared.core.events.Event.resolve_by_type": "b5cf570fa7f286c7",
            "rasa.shared.utils.common.all_subclasses": "28c2e6df9c15daea",
        },
        switch=_cached_event_types,
    ),
)
ALL: Tuple[str, ...] = tuple(p.name for p in PATCHES)
_applied: Tuple[str, ...] = ()   # the patches last applied, for the log


def apply(names: Iterable[str] = ALL) -> None:
    """Put the named patches (all by default) on Rasa and Rasa's own code back for the others;
    calling it again with the same names changes nothing."""
    global _applied
    names = tuple(names)
    unknown = set(names) - set(ALL)
    if unknown:
        raise ValueError(f"no Rasa patch named {sorted(unknown)}; known: {', '.join(ALL)}")
    if rasa.__version__ != RASA_VERSION:
        logger.warning("components/rasa_patches.py was written for Rasa %s, this is Rasa %s: "
                       "run tests/test_rasa_patches.py", RASA_VERSION, rasa.__version__)
    for patch in PATCHES:
        patch.switch(patch.name in names)
    on = tuple(n for n in ALL if n in names)
    if on != _applied:
        logger.info("Rasa patches on: %s (components/rasa_patches.py)", ", ".join(on) or "none")
        _applied = on


def restore() -> None:
    """Rasa as shipped: every patch off."""
    apply(())


def rasa_object(dotted: str) -> object:
    """The Rasa function or method named ``dotted`` (module path, then attributes), Rasa's own
    even while our patch replaces it."""
    parts = dotted.split(".")
    for i in range(len(parts) - 1, 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:i]))
        except ModuleNotFoundError:
            continue
        for attr in parts[i:]:
            obj = getattr(obj, attr)
        return getattr(obj, "rasa_original", obj)
    raise ValueError(f"no module in {dotted!r}")


def fingerprint(dotted: str) -> str:
    """The first 16 hex digits of the SHA-256 of the source of Rasa's ``dotted``."""
    source = inspect.getsource(rasa_object(dotted))  # type: ignore[arg-type]
    return hashlib.sha256(source.encode()).hexdigest()[:16]


def changed(patches: Optional[Iterable[Patch]] = None) -> Dict[str, Tuple[str, str]]:
    """The Rasa code whose source is not what the patches were written against:
    dotted name -> (recorded, now)."""
    found = {}
    for patch in PATCHES if patches is None else patches:
        for dotted, recorded in patch.rasa_code.items():
            now = fingerprint(dotted)
            if now != recorded:
                found[dotted] = (recorded, now)
    return found
