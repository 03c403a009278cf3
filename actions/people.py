"""The actions for who is who and their history: names said, questions about the history, and
"forget me". Each is a SessionAction: one transition of the machine, with the history read or
changed by actions/remember.py."""

from __future__ import annotations

from typing import Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from stretch_coach import catalogue, machine, summaries
from stretch_coach import contract as C

from . import remember
from .actions import SessionAction, event_from
from .settings import Settings


class ActionIntroduce(SessionAction):
    """Names: "I'm Alex, Sam is helping", "it's Sam's turn"."""

    event_name = C.INTRODUCE

    def name(self) -> Text:
        return "action_introduce"

    def event(self, tracker: Tracker, state: machine.State, device: Optional[Text],
              config: Settings) -> machine.Event:
        text = (tracker.latest_message or {}).get("text") or ""
        return remember.introduce(text, device, state, config)


class ActionAskHistory(SessionAction):
    """How did I do last time, this week, this month: one or two sentences from the history."""

    event_name = C.ASK_HISTORY

    def name(self) -> Text:
        return "action_ask_history"

    def prepare(self, dispatcher: CollectingDispatcher, tracker: Tracker, state: machine.State,
                config: Settings) -> None:
        if state.question == machine.ASK_PAIN:
            return   # the pain question first: the machine asks it again
        mem = state.memory[state.role] or state.memory[1 - state.role]
        if not mem:
            dispatcher.utter_message(response="utter_history_who")
            return
        sessions = remember.sessions_of(mem["person"])
        if sessions is None:
            dispatcher.utter_message(response="utter_history_unavailable")
            return
        text = (tracker.latest_message or {}).get("text") or ""
        today = remember.local(config.calendar()).date()
        for response, args in summaries.answer(summaries.period_of(text), sessions,
                                               catalogue.default(), today):
            dispatcher.utter_message(response=response, **args)


class ActionForgetMe(SessionAction):
    """Forget me: asks first; a yes deletes (the machine's Forget effect)."""

    event_name = C.FORGET_ME

    def name(self) -> Text:
        return "action_forget_me"

    def event(self, tracker: Tracker, state: machine.State, device: Optional[Text],
              config: Settings) -> machine.Event:
        text = (tracker.latest_message or {}).get("text") or ""
        named = remember.introduce(text, None, state, config).people or {}
        return machine.Event(C.FORGET_ME, people=named) if named else event_from(tracker, C.FORGET_ME)
