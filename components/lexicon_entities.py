"""Entities from our own spaCy pipeline's entity ruler, normalised to the contract's values."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text, Type

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import SPACY_DOCS
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.nlu.utils.spacy_utils import SpacyModel, SpacyNLP
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from stretch_coach import contract as C
from stretch_coach import lexicon


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False, model_from="SpacyNLP"
)
class LexiconEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Reads the entity ruler's spans (variant, side, body_part, pain_level) and gives canonical values."""

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

    def _value(self, label: str, ent_id: str, text: str) -> Optional[str]:
        if label == C.PAIN_LEVEL:
            level = self._lexicon.pain_level(text)
            return None if level is None else str(level)
        return ent_id or self._lexicon.canonical(label, text)

    def process(self, messages: List[Message], model: SpacyModel) -> List[Message]:
        for message in messages:
            doc = message.get(SPACY_DOCS[TEXT]) or model.model(message.get(TEXT) or "")
            found = []
            for ent in doc.ents:
                if ent.label_ not in C.ENTITIES:
                    continue
                value = self._value(ent.label_, ent.ent_id_, ent.text)
                if value is None:
                    continue
                found.append({
                    "entity": ent.label_, "value": value, "start": ent.start_char,
                    "end": ent.end_char, "confidence_entity": 1.0,
                })
            message.set(
                ENTITIES, message.get(ENTITIES, []) + self.add_extractor_name(found),
                add_to_output=True,
            )
        return messages
