"""The docs name only what exists: in README.md and docs/*.md, every repository path in backticks,
every link to a file or a heading, every `make` target and every `python -m` module of ours.
Pure and fast: reads text files, starts nothing."""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

import pytest


ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
EACH_DOC = pytest.mark.parametrize("doc", DOCS, ids=lambda doc: str(doc.relative_to(ROOT)))

# Made by set-up, a run or a benchmark, never kept in git: named in the docs, absent in a clone.
GENERATED = ("build/", "results/", "models/", ".venv/", "tests/web/node_modules/",
             "stretch_web/vendor/node_modules/")
# Source names a bare file name (no folder) is checked for; anything else may be a run's output.
SOURCE_SUFFIXES = (".py", ".yml", ".sh", ".mjs", ".js", ".md", ".toml")
SKIPPED_DIRS = {".git", ".venv", "node_modules", "build", "results", "models", ".rasa", "__pycache__"}

FENCE = re.compile(r"^```.*?$(.*?)^```", re.S | re.M)
CODE_SPAN = re.compile(r"`([^`\n]+)`")
LINK = re.compile(r"\[[^\]\n]*\]\(([^)\s]+)\)")
PATH = re.compile(r"^\.?[\w-][\w.*+-]*(/[\w.*+-]+)*/?$")
ASSIGN = r"(?:[A-Z_]+=(?:<[^>]*>|\"[^\"]*\"|\S*)\s+)*"
MAKE = re.compile(rf"(?:^|[;&|]\s*){ASSIGN}make\s+{ASSIGN}([a-z][\w-]*)", re.M)
MODULE = re.compile(r"(?:^|\s)-m\s+([\w.]+)")


def code(doc: Path) -> list[str]:
    """The text of every fenced block and inline code span of a doc."""
    text = doc.read_text(encoding="utf-8")
    blocks = [m.group(1) for m in FENCE.finditer(text)]
    rest = FENCE.sub("", text)
    return blocks + CODE_SPAN.findall(rest)


def prose(doc: Path) -> str:
    """The doc without its fenced blocks and code spans."""
    return CODE_SPAN.sub("", FENCE.sub("", doc.read_text(encoding="utf-8")))


def words(snippets: list[str]) -> list[str]:
    return [w.lstrip("('\"").rstrip(".,;:)'\"") for s in snippets for w in s.split()]


def is_path(word: str) -> bool:
    """A repository path or file name: has a folder (`a/b`, `dir/`) or a source file's suffix."""
    if not PATH.match(word) or word.startswith("-") or "=" in word or not re.search("[A-Za-z]", word):
        return False
    return "/" in word or word.endswith(SOURCE_SUFFIXES)


@lru_cache(maxsize=1)
def file_names() -> frozenset[str]:
    """The name of every file and folder of the repository (outside generated folders)."""
    names = set()
    for _, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS]
        names.update(dirs, files)
    return frozenset(names)


def exists(word: str) -> bool:
    if word.startswith(GENERATED):
        return True
    if "/" not in word:
        return word in file_names()
    return any(ROOT.glob(word.rstrip("/"))) if "*" in word else (ROOT / word).exists()


@lru_cache(maxsize=1)
def make_targets() -> frozenset[str]:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    return frozenset(re.findall(r"^([a-z][\w-]*):", text, re.M))


def slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    return re.sub(r"\s", "-", re.sub(r"[^\w\s-]", "", text))


def anchors(doc: Path) -> set[str]:
    text = FENCE.sub("", doc.read_text(encoding="utf-8"))
    return {slug(h) for h in re.findall(r"^#+\s+(.*)$", text, re.M)}


def module_exists(name: str) -> bool:
    """A module of this repository (its first part is a top-level package here), else True."""
    parts = name.split(".")
    if not (ROOT / parts[0] / "__init__.py").exists():
        return True  # a third-party module (rasa_sdk, pytest, ...)
    base = ROOT.joinpath(*parts)
    return base.with_suffix(".py").exists() or (base / "__init__.py").exists()


@EACH_DOC
def test_every_path_named_in_backticks_exists(doc):
    missing = sorted({w for w in words(code(doc)) if is_path(w) and not exists(w)})
    assert not missing, f"{doc.name} names paths that do not exist: {missing}"


@EACH_DOC
def test_every_link_points_at_a_file_and_heading_that_exist(doc):
    broken = []
    for target in LINK.findall(prose(doc)):
        if re.match(r"^[a-z]+:", target):
            continue  # https:, mailto:
        path, _, anchor = target.partition("#")
        file = (doc.parent / path).resolve() if path else doc
        if not file.exists():
            broken.append(target)
        elif anchor and file.suffix == ".md" and anchor not in anchors(file):
            broken.append(target)
    assert not broken, f"{doc.name} links to what does not exist: {broken}"


@EACH_DOC
def test_every_make_target_named_exists(doc):
    named = {t for snippet in code(doc) for line in snippet.splitlines() for t in MAKE.findall(line.strip())}
    assert not named - make_targets(), f"{doc.name}: no such make target {sorted(named - make_targets())}"


@EACH_DOC
def test_every_python_module_run_with_dash_m_exists(doc):
    named = {m for snippet in code(doc) for m in MODULE.findall(snippet)}
    missing = sorted(m for m in named if not module_exists(m))
    assert not missing, f"{doc.name} runs modules that do not exist: {missing}"


def test_the_checks_catch_what_they_are_for():
    assert is_path("lab/bench/voice_bench.py") and is_path("docs/") and is_path("config.yml")
    assert not is_path("/webhooks/rest/webhook") and not is_path("--speech-cache")
    assert not exists("bench/pause_cut_ab.py") and exists("lab/bench/voice_bench.py")
    assert exists("build/speech/") and exists("stretch_coach/machine/*.py")
    assert not exists("prompt_ab.py") and exists("test_vad.py")
    assert MAKE.findall("STRETCH_TIME_SCALE=0.1 make run") == ["run"]
    assert MAKE.findall("STRETCH_API_TOKEN=<a secret> make run") == ["run"]
    assert MAKE.findall("i'd like to make the stretch harder") == []
    assert MAKE.findall('make voice VOICE_ARGS="--device 2"') == ["voice"]
    assert {"run", "test", "bench"} <= make_targets()
    assert not module_exists("lab.bench.tts_bench") and module_exists("lab.experiments.tts_bench")
    assert slug("Voice, web and cluster") == "voice-web-and-cluster"
