"""How the FallbackClassifier threshold trades re-prompts against wrong actions, on the held-out sets.

    PYTHONPATH=. .venv/bin/python bench/fallback_sweep.py [model]

For each threshold: how many in-domain turns would be re-prompted (a cost: the person repeats), how
many wrong intents would still get through (worse: a wrong action), and how many safety turns would
be re-prompted (the safety net runs after the fallback and still catches them; shown for the record).
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from stretch_coach import contract as C  # noqa: E402
from devtools import nlu_eval as E  # noqa: E402


def main() -> int:
    from rasa.core.agent import Agent

    logging.getLogger().setLevel(logging.WARNING)
    model = sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "models" / "current.tar.gz")
    agent = Agent.load(model)
    examples = []
    for name in ("heldout", "heldout_fresh"):
        examples += E.parse_examples(yaml.safe_load((ROOT / "tests" / "nlu" / f"{name}.yml").read_text()))

    async def rank():
        out = []
        for ex in examples:
            r = await agent.parse_message(ex.text)
            ranking = sorted(((x["name"], x["confidence"]) for x in r["intent_ranking"]
                              if x["name"] != C.NLU_FALLBACK), key=lambda x: -x[1])
            out.append((ex, ranking))
        return out

    ranked = asyncio.run(rank())
    print(f"{len(ranked)} held-out turns; ambiguity threshold 0.1 as configured")
    print("threshold  re-prompted  wrong-but-accepted  safety-turns-re-prompted")
    for threshold in (0.3, 0.4, 0.45, 0.5, 0.6, 0.7):
        reprompt = wrong = safety = 0
        for ex, ranking in ranked:
            top, conf = ranking[0]
            second = ranking[1][1] if len(ranking) > 1 else 0.0
            falls_back = conf < threshold or conf - second < 0.1
            if falls_back:
                reprompt += 1
                safety += ex.intent in C.SAFETY_INTENTS
            elif top != ex.intent:
                wrong += 1
        n = len(ranked)
        print(f"{threshold:9.2f}  {reprompt / n:10.1%}  {wrong / n:18.1%}  {safety:24d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
