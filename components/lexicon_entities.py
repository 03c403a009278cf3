"""Entities from our own spaCy pipeline's span ruler, chosen by intent (stretch_coach.entities)."""

from __future__ import annotations

from typing import Any, Dict, List, Text, Type

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import SPACY_DOCS, TOKENS_NAMES
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.nlu.utils.spacy_utils import SpacyModel, SpacyNLP
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from stretch_coach import entities, lexicon

SPANS_KEY = "lexicon"  # components/build_spacy.py


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False, model_from="SpacyNLP"
)
class LexiconEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Canonical variant, side, body_part and pain_level values for the entities the intent carries.

    Runs after the intent is final (after the safety net), because the intent decides which
    candidate spans count.
    """

    @classmethod
    def required_components(cls) -> List[Type]:
        return [SpacyNLP]

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "LexiconEntityExtractor":
        return cls()

    def __init__(self) -> None:
        self._lexicon = lexicon.default()

    def process(self, messages: List[Message], model: SpacyModel) -> List[Message]:
        for message in messages:
            doc = message.get(SPACY_DOCS[TEXT])
            if doc is None:
                doc = model.model((message.get(TEXT) or "").lower())
            candidates = [
                entities.Candidate(s.label_, s.start_char, s.end_char, s.text, s.id_)
                for s in doc.spans.get(SPANS_KEY, [])
            ]
            tokens = message.get(TOKENS_NAMES[TEXT]) or []
            lemmas = [t.lemma or t.text for t in tokens] or [t.lemma_ for t in doc]
            intent = (message.get(INTENT) or {}).get("name")
            found = [
                {"entity": e.entity, "value": e.value, "start": e.start, "end": e.end,
                 "confidence_entity": 1.0}
                for e in entities.resolve(intent, candidates, lemmas, self._lexicon, doc.text)
            ]
            message.set(
                ENTITIES, message.get(ENTITIES, []) + self.add_extractor_name(found),
                add_to_output=True,
            )
        return messages
