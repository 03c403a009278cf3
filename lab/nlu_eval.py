"""Scoring helpers for NLU evaluation (pure: takes predictions, returns figures). No Rasa imports."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Optional

from lab.stats import percentile
from stretch_coach import contract as C

_ANNOT = re.compile(r"\[([^\]]+)\](\{[^}]*\}|\([^)]*\))")


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    entities: tuple[tuple[str, str], ...] = ()   # (entity, value)


@dataclass(frozen=True)
class Prediction:
    intent: str
    entities: tuple[tuple[str, str], ...] = ()
    ms: float = 0.0


@dataclass
class Report:
    n: int = 0
    correct: int = 0
    safety_total: int = 0
    safety_exact: int = 0         # predicted the very same safety intent
    safety_caught: int = 0        # predicted some safety intent (the session stops or pauses)
    false_alarms: int = 0         # a non-safety example predicted as a safety intent
    non_safety_total: int = 0
    entity_expected: int = 0
    entity_found: int = 0
    entity_predicted: int = 0
    entity_correct_predicted: int = 0
    confusion: Counter = field(default_factory=Counter)
    misses: list = field(default_factory=list)
    per_intent: dict = field(default_factory=lambda: defaultdict(Counter))
    latencies: list = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.correct / self.n if self.n else 0.0

    @property
    def safety_recall(self) -> float:
        return self.safety_caught / self.safety_total if self.safety_total else 1.0

    @property
    def safety_exact_recall(self) -> float:
        return self.safety_exact / self.safety_total if self.safety_total else 1.0

    @property
    def false_alarm_rate(self) -> float:
        return self.false_alarms / self.non_safety_total if self.non_safety_total else 0.0

    @property
    def entity_recall(self) -> float:
        return self.entity_found / self.entity_expected if self.entity_expected else 1.0

    @property
    def entity_precision(self) -> float:
        return self.entity_correct_predicted / self.entity_predicted if self.entity_predicted else 1.0

    def percentile(self, q: float) -> float:
        """Parse latency at percentile ``q`` (0..100), 0 with none."""
        return percentile(self.latencies, q / 100) or 0.0

    def prf(self) -> dict[str, tuple[float, float, float, int]]:
        out = {}
        for intent, c in sorted(self.per_intent.items()):
            tp, fp, fn = c["tp"], c["fp"], c["fn"]
            p = tp / (tp + fp) if tp + fp else 0.0
            r = tp / (tp + fn) if tp + fn else 0.0
            f = 2 * p * r / (p + r) if p + r else 0.0
            out[intent] = (p, r, f, tp + fn)
        return out


def parse_examples(nlu_yaml: dict) -> list[Example]:
    """Examples from a Rasa NLU YAML document, with entity annotations turned into (entity, value)."""
    import json

    out = []
    for block in nlu_yaml.get("nlu", []):
        intent = block.get("intent")
        if not intent:
            continue
        for line in block["examples"].splitlines():
            line = line.strip()
            if not line.startswith("- "):
                continue
            raw = line[2:]
            ents = []
            for m in _ANNOT.finditer(raw):
                span, spec = m.group(1), m.group(2)
                if spec.startswith("{"):
                    d = json.loads(spec)
                    ents.append((d["entity"], str(d.get("value", span))))
                else:
                    ents.append((spec[1:-1], span))
            text = _ANNOT.sub(lambda m: m.group(1), raw)
            out.append(Example(text=text, intent=intent, entities=tuple(ents)))
    return out


def score(pairs: Iterable[tuple[Example, Prediction]]) -> Report:
    rep = Report()
    for ex, pred in pairs:
        rep.n += 1
        rep.latencies.append(pred.ms)
        rep.confusion[(ex.intent, pred.intent)] += 1
        if pred.intent == ex.intent:
            rep.correct += 1
            rep.per_intent[ex.intent]["tp"] += 1
        else:
            rep.per_intent[ex.intent]["fn"] += 1
            rep.per_intent[pred.intent]["fp"] += 1
            rep.misses.append((ex.text, ex.intent, pred.intent))
        if ex.intent in C.SAFETY_INTENTS:
            rep.safety_total += 1
            rep.safety_exact += pred.intent == ex.intent
            rep.safety_caught += pred.intent in C.SAFETY_INTENTS
        else:
            rep.non_safety_total += 1
            rep.false_alarms += pred.intent in C.SAFETY_INTENTS
        expected = Counter(ex.entities)
        predicted = Counter(pred.entities)
        rep.entity_expected += sum(expected.values())
        rep.entity_found += sum((expected & predicted).values())
        rep.entity_predicted += sum(predicted.values())
        rep.entity_correct_predicted += sum((expected & predicted).values())
    return rep


def entity_pairs(entities: Optional[list]) -> tuple[tuple[str, str], ...]:
    return tuple((e["entity"], str(e["value"])) for e in entities or [] if e["entity"] in C.ENTITIES)
