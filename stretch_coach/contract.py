"""The intent and entity contract that clients, tests and benchmarks rely on.

Names here are the single source for Python code; the YAML files (domain, NLU data, rules) must
use the same strings. No test compares this file with them: `rasa data validate`
(tests/test_rasa_cli.py) checks the YAML files against each other, and tests/test_actions.py the
actions against the domain.
"""

from __future__ import annotations

# --- intents -------------------------------------------------------------------------------
START_SESSION = "start_session"
CHOOSE_VARIANT = "choose_variant"
ASK_HOW_TO = "ask_how_to"
NEXT_STEP = "next_step"
PREVIOUS_STEP = "previous_step"
REPEAT = "repeat"
SWITCH_LEGS = "switch_legs"
SWITCH_ROLES = "switch_roles"
HARDER = "harder"
EASIER = "easier"
TOO_MUCH_PRESSURE = "too_much_pressure"
DISCOMFORT = "discomfort"
PAUSE = "pause"
RESUME = "resume"
STOP_SESSION = "stop_session"
HOW_LONG_LEFT = "how_long_left"
HOLD_LONGER = "hold_longer"
HELP = "help"
GREET = "greet"
GOODBYE = "goodbye"
AFFIRM = "affirm"
DENY = "deny"
THANKS = "thanks"
OUT_OF_SCOPE = "out_of_scope"
INTRODUCE = "introduce"        # "I'm Alex, Sam is helping", "it's Sam's turn"
ASK_HISTORY = "ask_history"    # "how did I do last time?", "how many sessions this month?"
FORGET_ME = "forget_me"        # "forget me", "delete my history"

INTENTS: tuple[str, ...] = (
    START_SESSION, CHOOSE_VARIANT, ASK_HOW_TO, NEXT_STEP, PREVIOUS_STEP, REPEAT, SWITCH_LEGS,
    SWITCH_ROLES, HARDER, EASIER, TOO_MUCH_PRESSURE, DISCOMFORT, PAUSE, RESUME, STOP_SESSION,
    HOW_LONG_LEFT, HOLD_LONGER, HELP, GREET, GOODBYE, AFFIRM, DENY, THANKS, OUT_OF_SCOPE,
    INTRODUCE, ASK_HISTORY, FORGET_ME,
)

# Requests that must work in every state and beat everything else.
SAFETY_INTENTS: tuple[str, ...] = (DISCOMFORT, TOO_MUCH_PRESSURE, STOP_SESSION, PAUSE)

# Intents that move the session or the pressure on: a safety request heard as one of these is the
# dangerous miss, which the voice benchmark and the voice tests count apart.
MOVING_INTENTS: tuple[str, ...] = (
    START_SESSION, CHOOSE_VARIANT, NEXT_STEP, PREVIOUS_STEP, SWITCH_LEGS, SWITCH_ROLES, HARDER,
    RESUME, HOLD_LONGER, AFFIRM, INTRODUCE,
)

# Rasa's own intents.
NLU_FALLBACK = "nlu_fallback"
EXTERNAL_HOLD_CUE = "EXTERNAL_hold_cue"

# --- entities ------------------------------------------------------------------------------
VARIANT = "variant"
SIDE = "side"
PAIN_LEVEL = "pain_level"
BODY_PART = "body_part"
ENTITIES: tuple[str, ...] = (VARIANT, SIDE, PAIN_LEVEL, BODY_PART)

# Which entities each intent carries. Spans of other kinds in a turn are ignored ("how long left"
# names no side, "go back" no body part), and an overlap is resolved by what the intent can use.
INTENT_ENTITIES: dict[str, tuple[str, ...]] = {
    START_SESSION: (VARIANT,),
    CHOOSE_VARIANT: (VARIANT, SIDE),
    ASK_HOW_TO: (VARIANT,),
    SWITCH_LEGS: (SIDE,),
    DISCOMFORT: (PAIN_LEVEL, BODY_PART, SIDE),
    TOO_MUCH_PRESSURE: (BODY_PART,),
}

VARIANTS: tuple[str, ...] = (
    "single_leg_kneeling", "seated_single_leg", "standing_double_leg", "wrist_pull",
)
SIDES: tuple[str, ...] = ("left", "right")

# --- slots ---------------------------------------------------------------------------------
SLOT_COACH = "coach"  # the whole session state, a JSON-able dict owned by the state machine
SLOT_FORGET = "forget"  # set by a confirmed "forget me": the conversations the tracker store deletes

# --- metadata ------------------------------------------------------------------------------
DEVICE = "device"         # what a client sends: the device's secret (docs/history.md)
DEVICE_ID = "device_id"   # what the coach gets instead: the secret's SHA-256 hash
