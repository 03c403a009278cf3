"""Handlers for who is who: the partners saying their names, the pair a device saw last, "forget
me" and its confirmation, and questions about the history (answered by the actions, which read
it; here the session keeps its place).

Names arrive checked (stretch_coach.people) with what the history says about each person
(``Event.people``); the coach only ever says a name inside its own sentences.
"""

from __future__ import annotations

from typing import Optional

from .state import ASK_PAIN, CONFIRM_FORGET, ENDED, IDLE, OFFER_START, Event, Forget
from .turn import _blocked_by_pain_question, _Turn


def _assign(t: _Turn, partner: int, entry: dict) -> bool:
    """Name a partner; True when the name is new to this session."""
    name = entry.get("name")
    if not name:
        return False
    new = t.s.people[partner] != name
    t.s.people[partner] = name
    t.s.memory[partner] = entry.get("memory")
    return new


def _greet_person(t: _Turn, partner: int, helping: bool) -> None:
    name = t.s.people[partner]
    mem = t.s.memory[partner]
    if helping:
        t.say("utter_helper_named", name=name)
    elif mem and mem.get("greet"):
        response, args = mem["greet"]
        t.say(response, **args)
    else:
        t.say("utter_hello_name", name=name)


def _after_names(t: _Turn) -> None:
    if t.s.phase in (IDLE, ENDED):
        t.s.question = OFFER_START
        t.say("utter_start_when_ready")
    else:
        t.nudge()


def _switch_to(t: _Turn, name: str, e: Event) -> None:
    """"It's Sam's turn": Sam stretches now (the other partner, or the one named)."""
    from .session import _switch_roles   # session imports this module

    s = t.s
    if s.people[s.role] == name:
        t.say("utter_already_turn", name=name)
        return
    running = s.phase not in (IDLE, ENDED)
    target = 1 - s.role if running or s.people[1 - s.role] == name else s.role
    entry = (e.people or {}).get("turn") or {"name": name}
    _assign(t, target, entry)
    if target != s.role:
        _switch_roles(t, e)
    else:
        _greet_person(t, target, helping=False)
        _after_names(t)


def _introduce(t: _Turn, e: Event) -> None:
    if _blocked_by_pain_question(t):
        return
    found = e.people or {}
    if not any(v.get("name") for v in found.values()):
        t.say("utter_name_reask")
        return
    if found.get("turn", {}).get("name"):
        _switch_to(t, found["turn"]["name"], e)
        return
    s = t.s
    said = False
    for key, partner in (("stretcher", s.role), ("helper", 1 - s.role)):
        if key in found and _assign(t, partner, found[key]):
            _greet_person(t, partner, helping=key == "helper")
            said = True
    if not said:
        t.say("utter_names_known")
    _after_names(t)


def _recognise(t: _Turn, e: Event) -> None:
    """The pair this device saw last, found by the actions at the conversation's first turn."""
    t.s.known = True
    found = e.people or {}
    for partner in (0, 1):
        entry = found.get(str(partner))
        if entry and t.s.people[partner] is None and _assign(t, partner, entry):
            _greet_person(t, partner, helping=partner != t.s.role)


def _target(t: _Turn, e: Event) -> Optional[int]:
    """Whom "forget me" is about: a partner it names, else the one stretching, else the other."""
    named = [v.get("name") for v in (e.people or {}).values() if v.get("name")]
    for partner in (0, 1):
        if t.s.people[partner] and t.s.people[partner] in named:
            return partner
    for partner in (t.s.role, 1 - t.s.role):
        if t.s.memory[partner]:
            return partner
    return None


def _forget_me(t: _Turn, e: Event) -> None:
    if _blocked_by_pain_question(t):
        return
    partner = _target(t, e)
    if partner is None or not t.s.memory[partner]:
        t.say("utter_forget_nobody")
        return
    t.s.question, t.s.forget = CONFIRM_FORGET, partner
    t.say("utter_forget_confirm", name=t.s.people[partner])


def forget_confirmed(t: _Turn) -> None:
    """Yes to "delete everything about Alex?": the actions delete it (the Forget effect)."""
    s = t.s
    partner, s.question, s.forget = s.forget, None, None
    mem = s.memory[partner] if partner is not None else None
    if partner is None or not mem:
        t.say("utter_okay")
        return
    t.effects.append(Forget(mem["person"]))
    t.say("utter_forgotten")
    s.people[partner], s.memory[partner], s.log[partner] = None, None, None


def _ask_history(t: _Turn, e: Event) -> None:
    """The actions said the answer; keep the place (and an open pain question first)."""
    if t.s.question == ASK_PAIN:
        t.say("utter_pain_ask_again")
    elif t.s.phase not in (IDLE, ENDED):
        t.nudge()
