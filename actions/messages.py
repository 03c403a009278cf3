"""A user message as the machine's event: the intent's event name plus the message's entities
(variant, side, pain level), a sharp pain and a bare rating read from its words."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker

from stretch_coach import contract as C
from stretch_coach import lexicon, machine


def _values(message: Dict[Text, Any], name: Text) -> List[Text]:
    return [
        str(e["value"]) for e in message.get("entities") or []
        if e.get("entity") == name and e.get("value") is not None
    ]


def _entity(message: Dict[Text, Any], name: Text) -> Optional[Text]:
    values = _values(message, name)
    return values[0] if values else None


def event_from(tracker: Tracker, name: Text) -> machine.Event:
    """The machine event for this turn: the action's event name plus the message's entities."""
    return event_from_message(tracker.latest_message or {}, name)


def event_from_message(message: Dict[Text, Any], name: Text) -> machine.Event:
    """The machine event for a user message (Rasa's parse data: text, entities)."""
    lex = lexicon.default()
    text = message.get("text") or ""
    # Several ratings in one turn ("ten, it's really bad"): the worst one counts.
    levels = [lv for lv in (lex.pain_level(v) for v in _values(message, C.PAIN_LEVEL)) if lv is not None]
    pain = max(levels) if levels else None
    side = _entity(message, C.SIDE)
    return machine.Event(
        name=name,
        variant=_entity(message, C.VARIANT),
        side=side if side in C.SIDES else None,
        pain=pain,
        sharp=name == C.DISCOMFORT and lex.sharp(text),
        # a number and nothing else: the machine asks first when no pain question is open
        rating=lex.rating(text) if name == C.DISCOMFORT else None,
    )
