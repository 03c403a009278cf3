"""Rasa glue for the safety net (`stretch_coach.safety`): runs after the classifier and the fallback.
A moving command the voice loop heard in doubt (`stretch_coach.doubt`) becomes the fallback."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from stretch_coach import doubt, safety
from stretch_coach.contract import NLU_FALLBACK


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class SafetyNet(GraphComponent, IntentClassifier):
    """Turns a likely pain report or safety request into its safety intent (see stretch_coach.safety)."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"floor": safety.DEFAULT_FLOOR}

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "SafetyNet":
        return cls(config)

    def __init__(self, config: Dict[Text, Any]) -> None:
        self._floor = float(config["floor"])
        # English words from spacy-lookups-data and the lexicon (about a second, once per server).
        self._english = safety.english_words()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            intent = message.get(INTENT) or {}
            ranking = [
                (r["name"], float(r["confidence"])) for r in message.get(INTENT_RANKING_KEY) or []
            ]
            tokens = message.get(TOKENS_NAMES[TEXT]) or []
            lemmas = [t.lemma or t.text for t in tokens]
            decision = safety.decide(
                intent.get("name"), ranking, lemmas, message.get(TEXT) or "", self._floor,
                known_word=self._english.__contains__,
            )
            if decision is None and doubt.in_doubt(
                    intent.get("name"), doubt.hearing(message.get("metadata")),
                    message.get(TEXT) or ""):
                decision = safety.Decision(NLU_FALLBACK, "heard_in_doubt")
            if decision is None:
                continue
            confidence = dict(ranking).get(decision.intent, 0.0)
            message.set(
                INTENT,
                {"name": decision.intent, "confidence": confidence, "safety_net": decision.reason},
                add_to_output=True,
            )
        return messages
