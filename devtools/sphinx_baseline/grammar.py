"""Phrase grammars for the retired pocketsphinx recogniser (see :mod:`.recognizer`): a minimal
word automaton per phrase set, its finite-state-grammar transitions with phrase priors, the silence-only
filler dictionary, and how much of the speech a path explains."""

from __future__ import annotations

import os
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Iterable, Optional, Sequence

def coverage(speech: Sequence[tuple[int, int]], fillers: Sequence[tuple[int, int]]) -> float:
    """Fraction of the phone loop's speech frames that a grammar path explains with words
    (rather than with silence): 1.0 = all speech is inside the recognised phrase."""
    total = sum(e - s + 1 for s, e in speech)
    if total == 0:
        return 0.0
    lost = 0
    for s, e in speech:
        for fs, fe in fillers:
            lo, hi = max(s, fs), min(e, fe)
            if lo <= hi:
                lost += hi - lo + 1
    return 1.0 - lost / total


def silence_only_fdict() -> Path:
    """A filler dictionary with silence only (the model's noisedict minus [NOISE]/[SPEECH])."""
    path = Path(tempfile.gettempdir()) / "stretch_coach_voice_silence.fdict"
    content = "<s> SIL\n</s> SIL\n<sil> SIL\n"
    if not path.is_file() or path.read_text() != content:
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(content)
        os.replace(tmp, path)
    return path


def dawg(phrases: Iterable[str], weights: Optional[dict[str, float]] = None
          ) -> tuple[list[tuple[int, str, int]], dict[int, float], int, int]:
    """Minimal acyclic word automaton accepting exactly ``phrases``.

    Returns ``(arcs, finals, start, n_states)`` with arcs ``(from, word, to)`` and ``finals``
    mapping each final state to the weight of the phrase ending there (1 unless ``weights`` says
    otherwise). Built as a trie and minimised bottom-up by merging states with equal (final
    weight, outgoing arcs) signatures.
    """
    weights = weights or {}
    children: list[dict[str, int]] = [{}]
    final: list[float] = [0.0]
    for phrase in phrases:
        s = 0
        for word in phrase.split():
            nxt = children[s].get(word)
            if nxt is None:
                children.append({})
                final.append(0.0)
                nxt = children[s][word] = len(children) - 1
            s = nxt
        final[s] = float(weights.get(phrase, 1.0))
    order: list[int] = []  # post-order (children before parents), iteratively
    stack: list[tuple[int, bool]] = [(0, False)]
    while stack:
        s, done = stack.pop()
        if done:
            order.append(s)
            continue
        stack.append((s, True))
        stack.extend((t, False) for t in children[s].values())
    canon: dict[tuple[bool, tuple[tuple[str, int], ...]], int] = {}
    rep: dict[int, int] = {}
    for s in order:
        sig = (final[s], tuple(sorted((w, rep[t]) for w, t in children[s].items())))
        rep[s] = canon.setdefault(sig, s)
    states = sorted(set(rep.values()))
    index = {s: i for i, s in enumerate(states)}
    arcs = [(index[s], w, index[rep[t]]) for s in states for w, t in children[s].items()]
    finals = {index[s]: final[s] for s in states if final[s]}
    return arcs, finals, index[rep[0]], len(states)


def grammar_transitions(phrases: Sequence[str], weights: Optional[dict[str, float]] = None
                        ) -> tuple[list[tuple], int, int]:
    """FSG transitions ``(from, to, prob[, word])`` accepting ``phrases``, each with a prior
    proportional to its weight (``weights``, default 1 = equal prior each).

    Arc probabilities are ``paths(target) / paths(source)`` on the minimal automaton (paths =
    summed weight of the phrases accepted from a state), so every phrase gets probability
    ``weight / total weight`` however much it shares with others. Returns
    ``(transitions, start_state, final_state)``.
    """
    arcs, finals, start, n = dawg(phrases, weights)
    out: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for s, w, t in arcs:
        out[s].append((w, t))
    paths: dict[int, float] = {}  # summed weight of the phrases accepted from each state

    def count(s: int) -> float:
        stack = [s]
        while stack:
            cur = stack[-1]
            pending = [t for _, t in out[cur] if t not in paths]
            if pending:
                stack.extend(pending)
                continue
            stack.pop()
            paths[cur] = finals.get(cur, 0.0) + sum(paths[t] for _, t in out[cur])
        return paths[s]

    count(start)
    final_state = n
    transitions: list[tuple] = []
    for s in range(n):
        if s not in paths:
            continue
        for w, t in out[s]:
            transitions.append((s, t, paths[t] / paths[s], w))
        if s in finals:
            transitions.append((s, final_state, finals[s] / paths[s]))
    return transitions, start, final_state
