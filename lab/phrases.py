"""Spoken forms of the NLU examples, for checking that a spoken test phrase is not also a training
example (the voice benchmark's leak check). Reads YAML only; no Rasa import."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator, Union

import yaml

DEFAULT_NLU_DIR = Path(__file__).resolve().parents[1] / "data" / "nlu"

_UNITS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen "
          "fourteen fifteen sixteen seventeen eighteen nineteen").split()
_ENTITY_MARKUP = re.compile(r"\[([^\]]*)\](?:\{[^}]*\}|\([^)]*\))")
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_ORDINALS = {"1": "first", "2": "second", "3": "third", "4": "fourth", "5": "fifth", "6": "sixth",
             "7": "seventh", "8": "eighth", "9": "ninth", "10": "tenth"}


def number_to_words(n: int) -> str:
    """Spell out a non-negative integer below one million ("42" -> "forty two")."""
    if n < 20:
        return _UNITS[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _UNITS[n % 10])
    if n < 1000:
        rest = n % 100
        return _UNITS[n // 100] + " hundred" + ("" if rest == 0 else " " + number_to_words(rest))
    if n < 1_000_000:
        rest = n % 1000
        return (number_to_words(n // 1000) + " thousand"
                + ("" if rest == 0 else " " + number_to_words(rest)))
    raise ValueError(f"number too large to spell: {n}")


def strip_entity_markup(text: str) -> str:
    """``[seated one]{"entity": ...}`` -> ``seated one``; ``[left](side)`` -> ``left``."""
    return _ENTITY_MARKUP.sub(lambda m: m.group(1), text)


def normalize(text: str) -> str:
    """Plain spoken form of an NLU example: markup stripped, lower case, numbers spelled out,
    punctuation removed (apostrophes inside words are kept: ``that's``), spaces collapsed."""
    t = strip_entity_markup(text).lower()
    t = t.replace("\u2019", "'").replace("\u2018", "'")
    t = re.sub(r"(\d+)\s*/\s*10\b", r"\1 out of ten", t)
    t = re.sub(r"(\d+)\s*%", r"\1 percent", t)
    t = re.sub(r"\b(\d+)(st|nd|rd|th)\b", lambda m: _ORDINALS.get(m.group(1), m.group(1)), t)
    t = re.sub(r"\d+", lambda m: f" {number_to_words(int(m.group()))} "
               if len(m.group()) <= 6 else " ", t)
    t = re.sub(r"[^a-z' ]+", " ", t)          # hyphens, slashes, punctuation -> space
    t = re.sub(r"(?<![a-z])'|'(?![a-z])", " ", t)  # quotes that are not inside a word
    return " ".join(t.split())


def _example_lines(examples: Any) -> Iterator[str]:
    """Examples of one intent block: a ``|`` string of ``- text`` lines or a list of them."""
    if isinstance(examples, str):
        for line in examples.splitlines():
            line = line.strip()
            if line.startswith("- "):
                yield line[2:].strip()
            elif line == "-":
                continue
    elif isinstance(examples, list):
        for item in examples:
            if isinstance(item, str):
                yield item.strip()
            elif isinstance(item, dict) and isinstance(item.get("text"), str):
                yield item["text"].strip()


def iter_nlu_examples(nlu_dir: Union[str, Path] = DEFAULT_NLU_DIR
                      ) -> Iterator[tuple[str, str]]:
    """Yield ``(intent, raw example)`` for every intent example in ``nlu_dir/*.yml``.

    Files that are missing, half-written or not valid YAML are skipped silently: the NLU data may
    be being written while this runs. Retrieval intents (``chitchat/ask_name``) report the base
    intent name.
    """
    root = Path(nlu_dir)
    if not root.is_dir():
        return
    for path in sorted(list(root.glob("*.yml")) + list(root.glob("*.yaml"))):
        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError, UnicodeDecodeError):
            continue
        if not isinstance(doc, dict) or not isinstance(doc.get("nlu"), list):
            continue
        for block in doc["nlu"]:
            if isinstance(block, dict) and isinstance(block.get("intent"), str):
                intent = block["intent"].split("/", 1)[0]
                for example in _example_lines(block.get("examples")):
                    yield intent, example

