"""How the voice benchmark judges what was heard: the intent as the coach takes it and the tallies
each heard phrase counts in, from the rows ``lab/bench/voice_bench.py`` keeps for every clip (so
that a run can be judged again with another rule: ``voice_bench --rejudge``)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Optional

from stretch_coach import contract, doubt

NOT_COMMANDS = {contract.OUT_OF_SCOPE, contract.NLU_FALLBACK, None}
MOVING = set(contract.MOVING_INTENTS)
"""A safety phrase taken for one of these is the dangerous miss."""
UNCLEAR = {contract.NLU_FALLBACK, None}
"""Nothing understood: the fallback, or no words made of the speech (the loop re-prompts). Both
pause a hold."""


def verdicts(kind: str, expected: Optional[str], intent: Optional[str]) -> dict[str, bool]:
    """The tallies one heard phrase counts in (name -> whether it went right), but for whether a
    hold would pause, which needs the turn answered (:func:`judge`)."""
    safety_intent = intent in contract.SAFETY_INTENTS
    if kind == "safety":
        return {"safety_recall": intent == expected, "safety_handled": safety_intent,
                "safety_not_moved_on": intent not in MOVING}
    out = {"not_unclear": intent not in UNCLEAR}
    if expected not in contract.SAFETY_INTENTS:  # a rating ("three out of ten") is meant to pause
        out["not_needless_pause"] = not safety_intent
    if kind == "command":
        out["command_accuracy"] = intent == expected
    else:
        out[f"{kind}_not_command"] = intent in NOT_COMMANDS
        out[f"{kind}_not_moved_on"] = intent not in MOVING
    return out


def judge(row: dict[str, Any]) -> tuple[Optional[str], dict[str, bool]]:
    """The intent as the coach takes it (the NLU's, held back to the fallback when the coach
    would: a moving command heard in doubt; /model/parse sees no metadata) and the verdicts (see
    :func:`verdicts`); a command or safety phrase must also have been answered."""
    intent = row["nlu"]
    if doubt.in_doubt(intent, doubt.hearing(row["hearing"]), row["heard"]):
        intent = contract.NLU_FALLBACK
    checks = verdicts(row["kind"], row["expected"], intent)
    if row["kind"] in ("command", "safety"):
        checks["answered"] = row["answered"]
    if row["kind"] == "safety":  # a hold pauses only if the turn got to the coach
        checks["safety_pauses_hold"] = row["answered"] and (
            intent in contract.SAFETY_INTENTS or intent in UNCLEAR)
    return intent, checks


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The tallies of :func:`judge` per condition (``rates``) and per voice, and the misses."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_voice: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    misses = []
    for row in rows:
        intent, checks = judge(row)
        for key, ok in checks.items():
            for tally in (counts[f"{key}/{row['cond']}"], by_voice[row["voice"]][f"{key}/{row['cond']}"]):
                tally[0] += int(ok)
                tally[1] += 1
        if not all(checks.values()):
            misses.append({**{k: row[k] for k in ("said", "voice", "cond", "heard", "kind")},
                           "intent": intent, "failed": [k for k, v in checks.items() if not v],
                           "expected": row["expected"] or "not a command"})
    return {"rates": {k: {"ok": v[0], "n": v[1], "rate": round(v[0] / v[1], 3)}
                      for k, v in sorted(counts.items())},
            "by_voice": {v: {k: f"{ok}/{n}" for k, (ok, n) in sorted(c.items())}
                         for v, c in by_voice.items()},
            "misses": misses}



ROWS = (("commands right %", "command_accuracy", "%"),
        ("safety -> its intent %", "safety_recall", "%"),
        ("safety -> any safety intent %", "safety_handled", "%"),
        ("safety -> moving command (n)", "safety_not_moved_on", "missed"),
        ("safety -> a hold would pause %", "safety_pauses_hold", "%"),
        ("out-of-scope -> moving (n)", "oog_not_moved_on", "missed"),
        ("partner talk -> moving (n)", "partner_not_moved_on", "missed"),
        ("needless pauses (n)", "not_needless_pause", "missed"),
        ("non-safety -> unclear (n)", "not_unclear", "missed"),
        ("commands+safety answered %", "answered", "%"))
"""The lines of :func:`table`: label, tally, and how it is shown (a rate, or the clips missed)."""


def table(report: dict[str, Any]) -> str:
    """A markdown table of a report's loops side by side, per condition (as docs/voice_bench.md)."""
    loops = {n: lp for n, lp in report.items() if isinstance(lp, dict) and "rates" in lp}
    conds = next(iter(loops.values()))["conditions"]
    out = ["| | loop | " + " | ".join(conds) + " |", "|---|---|" + "---|" * len(conds)]
    for label, key, how in ROWS:
        for name, lp in loops.items():
            cells = []
            for c in conds:
                r = lp["rates"].get(f"{key}/{c}")
                cells.append("-" if r is None else f"{100 * r['rate']:.0f}" if how == "%"
                             else str(r["n"] - r["ok"]))
            out.append(f"| {label} | {name} | " + " | ".join(cells) + " |")
    return "\n".join(out)


if __name__ == "__main__":
    import json
    import sys

    print(table(json.loads(open(sys.argv[1]).read())))
