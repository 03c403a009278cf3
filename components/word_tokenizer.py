"""spaCy's tokens without punctuation, so a transcript and typed text look the same to the classifier."""

from __future__ import annotations

import re
from typing import List, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.spacy_tokenizer import SpacyTokenizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.training_data.message import Message

_PUNCTUATION = re.compile(r"[^\w\s]+")  # a token of only punctuation or symbols: "." "," "?!" "-"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class WordTokenizer(SpacyTokenizer):
    """SpacyTokenizer that drops punctuation tokens ("Okay, next." -> okay, next).

    Whisper punctuates ("Stop!", "Okay, next.", "How long left?"); our training data, typed text and
    the old recogniser do not. spaCy splits punctuation into tokens of its own, which the featurizers
    then see (character n-grams, neighbouring-token features): with a few punctuated examples in one
    intent, "Ok." leant toward that intent. Without the tokens, punctuation carries no intent.
    Tokens inside words stay ("it's" -> it, 's; "3/10" is one token). Input that is nothing but
    punctuation keeps its tokens (the safety net answers it with a re-prompt).
    """

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        tokens = super().tokenize(message, attribute)
        words = [t for t in tokens if not _PUNCTUATION.fullmatch(t.text)]
        return words or tokens
