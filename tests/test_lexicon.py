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


def test_a_step_names_who_acts_or_is_refused(tmp_path):
    cat = catalogue.default()
    assert all(s.actor in catalogue.ACTORS for v in cat.variants.values() for s in v.steps)
    text = catalogue.CATALOGUE_PATH.read_text().replace("        who: both\n", "        who: nobody\n", 1)
    (tmp_path / "bad.yml").write_text(text)
    with pytest.raises(ValueError, match="who must be"):
        catalogue.load(tmp_path / "bad.yml")


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
    # "X is killing me" is pain whatever the classifier read (a clean-clone model once took "my
    # ankle is killing me" for choose_variant)
    ("choose_variant", [("choose_variant", 0.8)], "my ankle is killing me", C.DISCOMFORT),
    ("harder", [("harder", 0.9)], "this is killing my back", C.DISCOMFORT),
    ("easier", [("easier", 0.9)], "less push please", C.TOO_MUCH_PRESSURE),
    # the stretcher's words for a bad pain, whatever the classifier read
    ("out_of_scope", [("out_of_scope", 0.8)], "kind of a stab", C.DISCOMFORT),
    ("out_of_scope", [("out_of_scope", 0.8)], "a stabbing feeling", C.DISCOMFORT),
    ("easier", [("easier", 0.8)], "my leg feels achy", C.DISCOMFORT),
    ("harder", [("harder", 0.8)], "this is excruciating", C.DISCOMFORT),
    ("next_step", [("next_step", 0.8)], "it's unbearable", C.DISCOMFORT),
    ("easier", [("easier", 0.9)], "an easier version please", None),
    # an exclamation and nothing else may be pain (Whisper writes a short "ow" as "Oh."): ask
    ("affirm", [("affirm", 0.8)], "Oh.", C.DISCOMFORT),
    ("greet", [("greet", 0.6)], "Ah!", C.DISCOMFORT),
    ("deny", [("deny", 0.9)], "Oh no!", C.DISCOMFORT),
    ("nlu_fallback", [("nlu_fallback", 0.3)], "ugh", C.DISCOMFORT),
    ("affirm", [("affirm", 0.9)], "Oh, okay.", None),
    ("next_step", [("next_step", 0.9)], "Ah, next.", None),
    ("deny", [("deny", 0.95)], "No.", None),
    # "stop" or "pause" anywhere pauses, unless negated
    ("start_session", [("start_session", 0.9)], "Start the stretch. Stop the stretch.", C.PAUSE),
    ("help", [("help", 0.9)], "how do i pause", C.PAUSE),
    ("resume", [("resume", 0.9)], "un pause", None),
    ("resume", [("resume", 0.9)], "don't stop now", None),
    ("too_much_pressure", [("too_much_pressure", 0.9)], "stop pushing so hard", None),
])
def test_safety_net(top, ranking, text, expected):
    lemmas = [w.rstrip("s") if w.endswith("hurts") else w for w in text.lower().split()]
    decision = safety.decide(top, ranking, lemmas, text)
    assert (decision.intent if decision else None) == expected


@pytest.mark.parametrize("text,rating", [
    # as people say them and as Whisper writes them
    ("3", 3), ("three", 3), ("a 3", 3), ("It's a 3.", 3), ("it's a 3", 3), ("About a six.", 6),
    ("About a 6.", 6), ("3 out of 10.", 3), ("3/10", 3), ("Maybe a 4.", 4), ("maybe a 4", 4),
    ("Seven!", 7), ("0", 0), ("Zero.", 0), ("One.", 1), ("10/10", 10), ("I'd say a 5.", 5),
    ("Hmm, a 2, I guess.", 2), ("Um, like a 5?", 5), ("It\u2019s a 3.", 3),
    ("3 or 4", 4), ("Two to three.", 3), ("3.5", 4), ("It's a 2.5.", 3),   # the worse, rounded up
    # off the scale: the number as said, for the coach to ask again
    ("11", 11), ("Twenty.", 20), ("It's a 12.", 12), ("15 out of 10", 15), ("one hundred", 100),
    # not a bare rating
    ("", None), ("?!", None), ("Next step.", None), ("3 steps", None), ("step 3", None),
    ("for", None), ("to", None), ("nothing", None), ("Ouch, 7.", None), ("7, it hurts", None),
    ("the seated one", None), ("one more time", None), ("twenty seconds", None),
])
def test_rating_is_a_whole_utterance_that_is_a_number(text, rating):
    assert LEX.rating(text) == rating


@pytest.mark.parametrize("text,top", [
    ("3", "nlu_fallback"), ("7", "nlu_fallback"), ("3/10", "nlu_fallback"), ("11", "nlu_fallback"),
    ("Twenty.", "hold_longer"), ("It's a 7.", "affirm"), ("0", "pause"),
])
def test_a_bare_number_is_discomfort_whatever_the_classifier_said(text, top):
    decision = safety.decide(top, [(top, 0.9)], text.lower().split(), text, known_word=ENGLISH)
    assert decision == safety.Decision(C.DISCOMFORT, safety.RATING)


def test_a_bare_number_the_classifier_took_for_discomfort_is_left_alone():
    assert safety.decide(C.DISCOMFORT, [(C.DISCOMFORT, 0.99)], ["3"], "3") is None


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


@pytest.mark.parametrize("text,top,expected", [
    ("asdkjh qwpoeiru zmxncb", "discomfort", C.NLU_FALLBACK),
    ("qwpoeiru", "next_step", C.NLU_FALLBACK),
    ("owww", "discomfort", None),            # pain noise
    ("Owwww!", "greet", C.DISCOMFORT),
    ("hiya", "greet", None),                 # pocketsphinx's dictionary had neither
    ("unpause", "resume", None),
    ("Okay, next.", "next_step", None),
    ("How long left?", "how_long_left", None),
    ("my hammy hurts", "discomfort", None),  # lexicon words count
])
def test_the_english_word_list_of_the_safety_net(text, top, expected):
    english = safety.english_words()
    assert 90_000 < len(english) < 110_000
    lemmas = [w.rstrip("!.,?") for w in text.lower().split()]
    decision = safety.decide(top, [(top, 0.9)], lemmas, text, known_word=english.__contains__)
    assert (decision.intent if decision else None) == expected


NLU_CODE = ["stretch_coach/**/*.py", "components/*.py", "actions/*.py"]
AUDIO_MODULES = ("stretch_voice", "stretch_coach.voice", "pocketsphinx", "sounddevice", "webrtcvad",
                 "faster_whisper", "lab")


def test_the_nlu_and_the_coach_import_no_audio_code():
    """The coach and its Rasa glue never import the voice client or its audio packages."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    found = []
    for pattern in NLU_CODE:
        for path in sorted(root.glob(pattern)):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom):  # "from .voice import x" in stretch_coach
                    names = [("stretch_coach." if node.level else "") + (node.module or "")]
                else:
                    continue
                found += [(path.name, n) for n in names
                          if n.split(".")[0] in AUDIO_MODULES or n.startswith(AUDIO_MODULES)]
    assert len(list(root.glob("components/*.py"))) >= 2  # the glob found the code
    assert found == []
