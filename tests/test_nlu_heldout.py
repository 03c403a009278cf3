"""The trained model on held-out NLU sets that training never sees: floors that fail the suite.

`tests/nlu/heldout.yml` and `tests/nlu/heldout_fresh.yml` were written by people who had not seen
the training data (and, for the fresh set, not the lexicon or the first set either). A safety request
that the model does not turn into a safety intent fails the suite outright; the other figures
have floors a little under what we measured (see lab/bench/eval_nlu.py for the full report).
`tests/nlu/heldout_partner.yml` is the partners' talk to each other, which should neither pause
a hold nor move the session on.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml

from lab import nlu_eval as E
from lab.phrases import iter_nlu_examples, normalize

pytestmark = pytest.mark.rasa

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "current.tar.gz"

FLOORS = {
    #              accuracy  false alarms  entity recall
    "heldout":       (0.96,     0.03,         0.95),
    "heldout_fresh": (0.94,     0.03,         0.95),
}
PARTNER_FLOORS = {"safety": 5, "moving": 7}
"""How many partner lines may become a safety intent (a needless pause) or a command that moves
the session on: a little over what was measured (docs/nlu_eval.md)."""


@pytest.fixture(scope="module")
def agent():
    from rasa.core.agent import Agent

    if not MODEL.exists():
        pytest.fail("no trained model: run scripts/setup.sh first")
    return Agent.load(str(MODEL))


def held_out(name: str) -> list:
    return E.parse_examples(yaml.safe_load((ROOT / "tests" / "nlu" / f"{name}.yml").read_text()))


def evaluate(agent, name: str) -> E.Report:
    examples = held_out(name)

    async def run():
        out = []
        for ex in examples:
            r = await agent.parse_message(ex.text)
            out.append((ex, E.Prediction(r["intent"]["name"], E.entity_pairs(r["entities"]))))
        return out

    return E.score(asyncio.run(run()))


@pytest.mark.parametrize("name", list(FLOORS))
def test_held_out_floors(agent, name):
    rep = evaluate(agent, name)
    accuracy, false_alarms, entity_recall = FLOORS[name]
    missed = [(t, a, b) for t, a, b in rep.misses if a in E.C.SAFETY_INTENTS and b not in E.C.SAFETY_INTENTS]
    assert rep.n >= 250
    assert not missed, f"safety requests missed: {missed}"
    assert rep.safety_recall == 1.0
    assert rep.accuracy >= accuracy, rep.misses
    assert rep.false_alarm_rate <= false_alarms
    assert rep.entity_recall >= entity_recall


def test_partner_talk_rarely_pauses_and_rarely_moves_the_session_on(agent):
    examples = held_out("heldout_partner")
    trained = {normalize(t) for _, t in iter_nlu_examples()}
    assert len(examples) >= 40 and {ex.intent for ex in examples} == {E.C.OUT_OF_SCOPE}
    assert not [ex.text for ex in examples if normalize(ex.text) in trained]
    heard = [(text, got) for text, _, got in evaluate(agent, "heldout_partner").misses]
    pauses = [(t, i) for t, i in heard if i in E.C.SAFETY_INTENTS]
    moving = [(t, i) for t, i in heard if i in E.C.MOVING_INTENTS]
    assert len(pauses) <= PARTNER_FLOORS["safety"], pauses
    assert len(moving) <= PARTNER_FLOORS["moving"], moving


def test_scoring_counts_a_safety_miss():
    """The floors above can fail: a discomfort heard as 'thanks' is a safety miss."""
    ex = E.Example("ouch", "discomfort")
    rep = E.score([(ex, E.Prediction("thanks"))])
    assert rep.safety_recall == 0.0 and rep.accuracy == 0.0
    rep = E.score([(E.Example("next", "next_step"), E.Prediction("pause"))])
    assert rep.false_alarm_rate == 1.0
