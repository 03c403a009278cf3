"""Lexicon normalisers and the safety net's decisions (pure)."""

from __future__ import annotations

import pytest

from stretch_coach import catalogue, lexicon, safety
from stretch_coach import contract as C

LEX = lexicon.default()


@pytest.mark.parametrize("phrase,level", [
    ("seven out of ten", 7), ("7", 7), ("7/10", 7), ("a six", 6), ("about a two", 2), ("ten", 10),
    ("zero", 0), ("sharp", 8), ("mild", 2), ("10 out of 10", 10), ("eleven", None), ("banana", None),
])
def test_pain_level(phrase, level):
    assert LEX.pain_level(phrase) == level


def test_sharp_words():
    assert LEX.sharp("it's a sharp stabbing pain")
    assert not LEX.sharp("it's a mild stretch")


def test_every_contract_value_has_names():
    assert set(LEX.aliases["variant"].values()) == set(C.VARIANTS)
    assert set(LEX.aliases["side"].values()) == set(C.SIDES)
    assert LEX.canonical("variant", "The Seated One") == "seated_single_leg"
    assert LEX.canonical("variant", "wrist pull") == "wrist_pull"


def test_catalogue_variants_match_the_contract():
    cat = catalogue.default()
    assert tuple(cat.variants) == C.VARIANTS
    for v in cat.variants.values():
        assert sum(1 for s in v.steps if s.hold) == 1
        for s in v.steps:
            if s.hold:
                assert 10 <= s.hold.seconds <= 30 and 2 <= s.hold.reps <= 4


@pytest.mark.parametrize("top,ranking,text,expected", [
    ("help", [("help", 0.9), ("discomfort", 0.05)], "my knee hurts", C.DISCOMFORT),
    ("next_step", [("next_step", 0.7), ("pause", 0.25)], "hang on", C.PAUSE),
    ("nlu_fallback", [("repeat", 0.3), ("too_much_pressure", 0.29)], "too much pleasure", C.TOO_MUCH_PRESSURE),
    ("choose_variant", [("choose_variant", 0.99)], "pull my wrists", None),
    ("too_much_pressure", [("too_much_pressure", 0.9)], "ouch too hard", None),
    ("next_step", [("next_step", 0.95), ("pause", 0.01)], "next", None),
    ("switch_roles", [("switch_roles", 0.6)], "🙂🙂", C.NLU_FALLBACK),
    ("help", [("help", 0.9)], "", C.NLU_FALLBACK),
    ("ask_how_to", [("ask_how_to", 0.9)], "i felt a pop", C.DISCOMFORT),
    ("easier", [("easier", 0.9)], "pretty sharp", C.DISCOMFORT),
    ("easier", [("easier", 0.9)], "less push please", C.TOO_MUCH_PRESSURE),
    ("easier", [("easier", 0.9)], "an easier version please", None),
])
def test_safety_net(top, ranking, text, expected):
    lemmas = [w.rstrip("s") if w.endswith("hurts") else w for w in text.lower().split()]
    decision = safety.decide(top, ranking, lemmas, text)
    assert (decision.intent if decision else None) == expected


ENGLISH = {"ouch", "next", "step", "my", "knee", "please"}.__contains__


@pytest.mark.parametrize("text,top,expected", [
    ("asdkjh qwpoeiru zmxncb", "discomfort", C.NLU_FALLBACK),   # no English word at all
    ("asdkjh qwpoeiru", "next_step", C.NLU_FALLBACK),
    ("owwwww", "discomfort", None),                              # a pain noise stays a pain report
    ("aaaargh", "greet", C.DISCOMFORT),
    ("nex step", "next_step", None),                             # one real word is enough
])
def test_no_english_word_is_a_re_prompt_but_pain_noises_count(text, top, expected):
    decision = safety.decide(top, [(top, 0.9)], text.split(), text, known_word=ENGLISH)
    assert (decision.intent if decision else None) == expected


@pytest.mark.parametrize("phrase,level", [("a bit", 2), ("a little", 2), ("a tiny bit", 1)])
def test_pain_words_that_start_with_an_article(phrase, level):
    assert LEX.pain_level(phrase) == level
