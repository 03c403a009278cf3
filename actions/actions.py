"""Thin Rasa glue: each action reads the session from its slot, asks the coach, speaks, returns events.

The coach itself (`stretch_coach.machine`) knows nothing of Rasa. Every action here has the same
shape: turn the latest message into a machine event, run one transition, then speak the `Say`
effects as domain responses, turn the timer effects into Rasa reminders, and send the clients
that show the session the coach's view of it (a custom payload, docs/protocol.md). The settings
(time scale, session length) come from actions/settings.py.
"""

from __future__ import annotations

import abc
import datetime as dt
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import (
    ActionExecuted,
    EventType,
    ReminderCancelled,
    ReminderScheduled,
    SessionStarted,
    SlotSet,
)
from rasa_sdk.executor import CollectingDispatcher

from stretch_coach import contract as C
from stretch_coach import machine, people
from stretch_coach.machine.view import view
from stretch_coach.timing import Clock

from . import recovery, remember
from .messages import event_from, event_from_message
from .settings import Settings, settings

REMINDER_PREFIX = "hold_cue_"
ACTION_LISTEN = "action_listen"
MIN_LEAD_SECONDS = 0.05  # a reminder is never set in the past: the scheduler could skip it
NAME_CARRIERS = (C.GREET, C.OUT_OF_SCOPE, C.SWITCH_ROLES, machine.FALLBACK)
"""Intents whose words may carry names ("hi, I'm Kim", "it's Sam's turn"): then they introduce."""
SPOKEN_ONLY_CHANNELS = ("rest", "cmdline")
"""Channels whose answer is the list of what was said (the REST webhook, `rasa shell`): no view."""


def view_message(state: machine.State, clock: Clock) -> Dict[Text, Any]:
    """The coach's view (docs/protocol.md) as a custom payload. Rasa's socket.io channel emits the
    payload's keys as arguments of ``emit``: the client receives what is under ``data``."""
    return {"data": {"view": view(state, clock)}}


def holding(state: machine.State) -> bool:
    return state.phase == machine.ACTIVE and bool(state.timer) and not state.timer.get("paused")


def reminder_name(sender_id: Text) -> Text:
    """One reminder per conversation (Rasa keys scheduled jobs by this name)."""
    return f"{REMINDER_PREFIX}{sender_id}"


class SessionAction(Action, abc.ABC):
    """Runs one state-machine transition for the event this action stands for."""

    event_name: Text = ""

    @abc.abstractmethod
    def name(self) -> Text:
        """The action's name in the domain."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        config = settings()
        clock = config.clock()
        state = machine.State.from_dict(tracker.get_slot(C.SLOT_COACH))
        state, replayed = self._catch_up(state, tracker, clock)
        if replayed is not None:
            dispatcher.utter_message(response="utter_fault_back")
        before, effects = state, [*(replayed or [])]
        device = remember.device_of(tracker)
        seen = remember.recognise(state, device, config)
        if seen is not None:   # the pair this device saw last, once per conversation
            state, found = machine.step(state, seen, clock.now(), grace=clock.grace)
            effects.extend(found)
        self.prepare(dispatcher, tracker, state, config)
        new_state, stepped = machine.step(
            state, self.event(tracker, state, device, config), clock.now(), grace=clock.grace
        )
        events = self._speak(dispatcher, tracker, clock, [*effects, *stepped])
        remember.persist(before, new_state, tracker.sender_id, clock, config)
        if new_state.people != before.people:
            remember.remember_pair(new_state, device)
        if tracker.get_latest_input_channel() not in SPOKEN_ONLY_CHANNELS:
            # last, after what was said: the session as this turn left it
            dispatcher.utter_message(json_message=view_message(new_state, clock))
        events = [SlotSet(C.SLOT_COACH, new_state.to_dict()), *events]
        if 0 < config.session_events <= len(tracker.events):
            # A new Rasa session from here, carrying the coach's slot: the tracker store then
            # loads only this session's events, so a turn costs the same at turn 500 as at 10.
            events = [SessionStarted(), *events, ActionExecuted(ACTION_LISTEN)]
        return events

    def event(self, tracker: Tracker, state: machine.State, device: Optional[Text],
              config: Settings) -> machine.Event:
        """This turn's machine event. Words of NAME_CARRIERS that hold a name introduce, unless
        a hold runs (then unclear words pause it, toward safety)."""
        if self.event_name in NAME_CARRIERS and not holding(state):
            text = (tracker.latest_message or {}).get("text") or ""
            if people.parse(text).any:
                return remember.introduce(text, device, state, config)
        return event_from(tracker, self.event_name)

    def prepare(self, dispatcher: CollectingDispatcher, tracker: Tracker, state: machine.State,
                config: Settings) -> None:
        """Said before the transition (the history answers)."""

    def _speak(self, dispatcher: CollectingDispatcher, tracker: Tracker, clock: Clock,
               effects: List[machine.Effect]) -> List[EventType]:
        """Say the effects, and turn the timer and forget effects into Rasa events."""
        events: List[EventType] = []
        forgot_failed = False
        for effect in effects:
            if isinstance(effect, machine.Say):
                if effect.response == "utter_forgotten" and forgot_failed:
                    dispatcher.utter_message(response="utter_history_unavailable")
                else:
                    dispatcher.utter_message(response=effect.response, **effect.args)
            elif isinstance(effect, machine.Schedule):
                events.append(self._reminder(tracker.sender_id, clock, effect.due))
            elif isinstance(effect, machine.Cancel):
                events.append(ReminderCancelled(name=reminder_name(tracker.sender_id)))
            elif isinstance(effect, machine.Forget):
                gone = remember.forget(effect.person, tracker.sender_id)
                forgot_failed = gone is None
                if gone is not None:   # components/stores.py deletes these conversations
                    events.append(SlotSet(C.SLOT_FORGET, gone))
        return events

    @staticmethod
    def _catch_up(
        state: machine.State, tracker: Tracker, clock: Clock
    ) -> Tuple[machine.State, Optional[List[machine.Effect]]]:
        """Replay the safety turns missed while the action server was down (actions/recovery.py):
        the new state and their timer effects, or None for the effects when nothing was missed."""
        missed = recovery.missed_safety_turns(tracker.events, action_events())
        if not missed:
            return state, None
        kept: List[machine.Effect] = []
        for name, message in missed:
            state, effects = machine.step(
                state, event_from_message(message, name), clock.now(), grace=clock.grace
            )
            kept.extend(recovery.timer_effects(effects))
        return state, kept

    @staticmethod
    def _reminder(sender_id: Text, clock: Clock, due: float) -> EventType:
        real = max(clock.to_real(due), dt.datetime.now().timestamp() + MIN_LEAD_SECONDS)
        return ReminderScheduled(
            C.EXTERNAL_HOLD_CUE,
            trigger_date_time=dt.datetime.fromtimestamp(real),
            name=reminder_name(sender_id),
            kill_on_user_message=False,
        )


class ActionStartSession(SessionAction):
    """Start coaching: warm-up reminder, then the routines."""

    event_name = C.START_SESSION

    def name(self) -> Text:
        return "action_start_session"


class ActionChooseVariant(SessionAction):
    """Start the routine the person named."""

    event_name = C.CHOOSE_VARIANT

    def name(self) -> Text:
        return "action_choose_variant"


class ActionAskHowTo(SessionAction):
    """Explain a routine without losing the current place."""

    event_name = C.ASK_HOW_TO

    def name(self) -> Text:
        return "action_ask_how_to"


class ActionNextStep(SessionAction):
    """Go to the next step, the other leg, or the next routine."""

    event_name = C.NEXT_STEP

    def name(self) -> Text:
        return "action_next_step"


class ActionPreviousStep(SessionAction):
    """Go back one step."""

    event_name = C.PREVIOUS_STEP

    def name(self) -> Text:
        return "action_previous_step"


class ActionRepeat(SessionAction):
    """Say the current step again."""

    event_name = C.REPEAT

    def name(self) -> Text:
        return "action_repeat"


class ActionSwitchLegs(SessionAction):
    """Move to the other leg (single-leg routines)."""

    event_name = C.SWITCH_LEGS

    def name(self) -> Text:
        return "action_switch_legs"


class ActionSwitchRoles(SessionAction):
    """The partners swap: the helper now stretches."""

    event_name = C.SWITCH_ROLES

    def name(self) -> Text:
        return "action_switch_roles"


class ActionHarder(SessionAction):
    """Step the intensity up, with its safety cue."""

    event_name = C.HARDER

    def name(self) -> Text:
        return "action_harder"


class ActionEasier(SessionAction):
    """Step the intensity down."""

    event_name = C.EASIER

    def name(self) -> Text:
        return "action_easier"


class ActionTooMuchPressure(SessionAction):
    """Tell the partner to ease off and lower the intensity."""

    event_name = C.TOO_MUCH_PRESSURE

    def name(self) -> Text:
        return "action_too_much_pressure"


class ActionDiscomfort(SessionAction):
    """Pause at once and ask how bad it is."""

    event_name = C.DISCOMFORT

    def name(self) -> Text:
        return "action_discomfort"


class ActionPause(SessionAction):
    """Pause the session and freeze the hold."""

    event_name = C.PAUSE

    def name(self) -> Text:
        return "action_pause"


class ActionResume(SessionAction):
    """Resume where the session was."""

    event_name = C.RESUME

    def name(self) -> Text:
        return "action_resume"


class ActionStopSession(SessionAction):
    """End the session with a summary."""

    event_name = C.STOP_SESSION

    def name(self) -> Text:
        return "action_stop_session"


class ActionHowLongLeft(SessionAction):
    """Say how long the current hold has left."""

    event_name = C.HOW_LONG_LEFT

    def name(self) -> Text:
        return "action_how_long_left"


class ActionHoldLonger(SessionAction):
    """Add time to the current hold."""

    event_name = C.HOLD_LONGER

    def name(self) -> Text:
        return "action_hold_longer"


class ActionHelp(SessionAction):
    """Say what people can say."""

    event_name = C.HELP

    def name(self) -> Text:
        return "action_help"


class ActionGreet(SessionAction):
    """Greet, and offer to start."""

    event_name = C.GREET

    def name(self) -> Text:
        return "action_greet"


class ActionGoodbye(SessionAction):
    """Say goodbye, ending a running session."""

    event_name = C.GOODBYE

    def name(self) -> Text:
        return "action_goodbye"


class ActionAffirm(SessionAction):
    """Yes: answers the open question, if any."""

    event_name = C.AFFIRM

    def name(self) -> Text:
        return "action_affirm"


class ActionDeny(SessionAction):
    """No: answers the open question, if any."""

    event_name = C.DENY

    def name(self) -> Text:
        return "action_deny"


class ActionThanks(SessionAction):
    """You're welcome."""

    event_name = C.THANKS

    def name(self) -> Text:
        return "action_thanks"


class ActionOutOfScope(SessionAction):
    """Say what the coach is for, and keep the place."""

    event_name = C.OUT_OF_SCOPE

    def name(self) -> Text:
        return "action_out_of_scope"


class ActionCoachFallback(SessionAction):
    """A short re-prompt for unclear input that keeps the place."""

    event_name = machine.FALLBACK

    def name(self) -> Text:
        return "action_coach_fallback"


class ActionHoldCue(SessionAction):
    """A hold reminder fired: speak the due cue (five more seconds, release, next repetition)."""

    event_name = machine.TICK

    def name(self) -> Text:
        return "action_hold_cue"


def action_events() -> Dict[Text, Text]:
    """Each action's name and the machine event it stands for."""
    return {cls().name(): cls.event_name for cls in SessionAction.__subclasses__()}
