"""Choosing entities from overlapping ruler candidates by intent (pure)."""

from __future__ import annotations

from stretch_coach import contract as C
from stretch_coach import entities as E
from stretch_coach import lexicon

LEX = lexicon.default()


def cand(label, text, start, value_id=""):
    return E.Candidate(label, start, start + len(text), text, value_id)


def pairs(found):
    return [(e.entity, e.value) for e in found]


def test_the_intent_picks_the_overlapping_reading():
    spans = [cand("variant", "pull my wrists", 5, "wrist_pull"), cand("body_part", "wrists", 13, "wrist")]
    assert pairs(E.resolve(C.CHOOSE_VARIANT, spans, [], LEX)) == [("variant", "wrist_pull")]
    assert pairs(E.resolve(C.TOO_MUCH_PRESSURE, spans, [], LEX)) == [("body_part", "wrist")]


def test_entities_an_intent_does_not_carry_are_dropped():
    spans = [cand("side", "left", 9, "left")]
    assert E.resolve(C.HOW_LONG_LEFT, spans, [], LEX) == []
    assert pairs(E.resolve(C.SWITCH_LEGS, spans, [], LEX)) == [("side", "left")]
    assert E.resolve(None, spans, [], LEX) == []


def test_pain_levels_are_normalised_and_longest_span_wins():
    spans = [cand("pain_level", "seven out of ten", 0), cand("pain_level", "seven", 0)]
    assert pairs(E.resolve(C.DISCOMFORT, spans, [], LEX)) == [("pain_level", "7")]


def test_a_described_routine_is_guessed_from_cue_words():
    assert pairs(E.resolve(C.CHOOSE_VARIANT, [], ["the", "one", "where", "i", "kneel"], LEX)) == [
        ("variant", "single_leg_kneeling")]
    assert pairs(E.resolve(C.ASK_HOW_TO, [], ["how", "do", "you", "grab", "my", "wrist"], LEX)) == [
        ("variant", "wrist_pull")]
    # a tie names nothing; other intents never guess
    assert E.resolve(C.CHOOSE_VARIANT, [], ["sit", "stand"], LEX) == []
    assert E.resolve(C.START_SESSION, [], ["sit"], LEX) == []


def test_not_right_is_not_a_side():
    text = "something's not right in my knee"
    spans = [cand("side", "right", text.index("right"), "right"),
             cand("body_part", "knee", text.index("knee"), "knee")]
    assert pairs(E.resolve(C.DISCOMFORT, spans, [], LEX, text)) == [("body_part", "knee")]
    text = "my right knee"
    spans = [cand("side", "right", 3, "right")]
    assert pairs(E.resolve(C.DISCOMFORT, spans, [], LEX, text)) == [("side", "right")]


def test_a_whole_turn_rating_without_a_ruler_span_is_the_pain_level():
    # the ruler has no pattern for a bare "one" (too often "this one") or for "3.5"
    assert pairs(E.resolve(C.DISCOMFORT, [], [], LEX, "One.")) == [("pain_level", "1")]
    assert pairs(E.resolve(C.DISCOMFORT, [], [], LEX, "it's a 3.5")) == [("pain_level", "4")]
    # off the scale, or another intent: no level
    assert E.resolve(C.DISCOMFORT, [], [], LEX, "Twenty.") == []
    assert E.resolve(C.DISCOMFORT, [cand("pain_level", "11", 0)], [], LEX, "11") == []
    assert E.resolve(C.NEXT_STEP, [], [], LEX, "One.") == []
    # a span the ruler found wins over the whole turn
    text = "3 or 4"
    spans = [cand("pain_level", "3", 0), cand("pain_level", "4", 5)]
    assert pairs(E.resolve(C.DISCOMFORT, spans, [], LEX, text)) == [("pain_level", "3"), ("pain_level", "4")]
