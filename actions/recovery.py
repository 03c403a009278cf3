"""Pick up cleanly after the action server was down: replay the safety turns the coach missed.

While the action server is down, Rasa records each of our actions with no events after it, and the
fault policy (components/fault_policy.py) speaks the safe line for a safety intent. The coach's slot
was not updated, so when the action server is back the next action first replays those safety
turns (since the slot was last set) on the state, silently: the safe line was already spoken. A
"that hurts" said during the outage leaves the coach paused and asking how bad it is; a "stop" ends
the session. Other missed turns (a step, a hold cue) are not replayed: the person was told to
release, and the machine's lost-timer recovery ("that hold is over") takes it from there.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Sequence, Tuple

from stretch_coach import contract as C

Missed = Tuple[str, Dict[str, Any]]  # (the action's machine event, the user message's parse data)

_ANSWERED = {"bot", "slot", "reminder", "cancel_reminder"}  # what a successful action leaves


def missed_safety_turns(events: Sequence[Dict[str, Any]], action_events: Dict[str, str]) -> List[Missed]:
    """The safety turns whose action failed since the coach slot was last set, oldest first.

    Scans back only to the last ``coach`` slot event, which is a few events ago in a healthy
    conversation: the cost does not grow with the conversation."""
    start = 0
    for i in range(len(events) - 1, -1, -1):
        e = events[i]
        if e.get("event") == "slot" and e.get("name") == C.SLOT_COACH:
            start = i + 1
            break
    missed: List[Missed] = []
    message: Dict[str, Any] = {}
    for i in range(start, len(events)):
        e = events[i]
        if e.get("event") == "user":
            message = e.get("parse_data") or {"text": e.get("text")}
            continue
        name = e.get("name")
        if e.get("event") != "action" or name not in action_events:
            continue
        after = events[i + 1].get("event") if i + 1 < len(events) else None
        if after not in _ANSWERED and action_events[name] in C.SAFETY_INTENTS:
            missed.append((action_events[name], message))
    return missed


def timer_effects(effects: Iterable[Any]) -> List[Any]:
    """The effects of a replayed turn that still matter: the timer ones (its sentences were said)."""
    from stretch_coach import machine

    return [e for e in effects if not isinstance(e, machine.Say)]
