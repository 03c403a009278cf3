"""Build and save the project's own spaCy pipeline: blank English, lookup lemmatizer, span ruler.

No pretrained model is downloaded: spaCy's English models are not on PyPI. The lemmatizer's lookup
table comes from spacy-lookups-data and is saved inside the pipeline; the span ruler's patterns
come from `stretch_coach/lexicon.yml` (entity candidates in doc.spans["lexicon"]).
Run by set-up: ``python -m components.build_spacy [OUT_DIR]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import spacy

from stretch_coach import lexicon

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "build" / "spacy_pipeline"
SPANS_KEY = "lexicon"
PAIN_NUMBERS = ["zero", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
SCALE = [{"LOWER": {"IN": ["out", "outta"]}, "OP": "?"}, {"LOWER": "of"}, {"LOWER": {"IN": ["ten", "10"]}}]


def patterns(lex: lexicon.Lexicon, nlp) -> list[dict]:
    """Phrase patterns by lower-case text and by lemma, so 'legs' finds 'leg' and 'hurts' 'hurt'."""
    out: list[dict] = []
    for label, table in lex.aliases.items():
        for phrase, value in table.items():
            if label == "body_part" and phrase in lex.body_part_needs_determiner:
                out.append({"label": label, "id": value, "pattern": [
                    {"LOWER": {"IN": list(lex.determiners)}}, {"LOWER": phrase}]})
                continue
            out.append({"label": label, "pattern": [{"LOWER": w} for w in phrase.split()], "id": value})
            lemmas = [t.lemma_.lower() for t in nlp(phrase)]
            if lemmas != phrase.split():
                out.append({"label": label, "pattern": [{"LEMMA": w} for w in lemmas], "id": value})
    for phrase, level in lex.pain_words.items():
        out.append({"label": "pain_level", "pattern": [{"LOWER": w} for w in phrase.split()], "id": str(level)})
    # numbers: "seven", "7", "seven out of ten", "one out of ten" (a bare "one" is too often "this one")
    out.append({"label": "pain_level", "pattern": [{"LOWER": {"IN": PAIN_NUMBERS}}]})
    out.append({"label": "pain_level", "pattern": [{"IS_DIGIT": True}]})
    out.append({"label": "pain_level", "pattern": [{"LIKE_NUM": True}, *SCALE]})
    out.append({"label": "pain_level", "pattern": [{"TEXT": {"REGEX": r"^\d{1,2}/10$"}}]})
    return out


def build(out_dir: Path = DEFAULT_OUT):
    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()  # loads the lookup table from spacy-lookups-data
    found = patterns(lexicon.default(), nlp)  # lemmas come from the pipeline before the ruler
    # A span ruler, not an entity ruler: it keeps overlapping candidates ("pull my wrists" is a routine
    # and holds a body part) and lets the intent choose (stretch_coach/entities.py).
    ruler = nlp.add_pipe("span_ruler", config={"spans_key": SPANS_KEY})
    ruler.add_patterns(found)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(out_dir)
    return nlp


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUT
    build(target)
    print(f"spaCy pipeline saved to {target}")
