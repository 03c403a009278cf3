"""NLU evaluation: our pipeline against Rasa's stock pipeline, trained on the same data, in one run.

    .venv/bin/python -m lab.bench.eval_nlu [--folds 5] [--no-cv]

For each pipeline: training time; on each held-out file (never trained on): intent accuracy,
per-intent precision/recall/F1, a confusion matrix image, entity recall/precision (by value),
safety-intent recall and false-alarm rate, parse latency p50/p95; then k-fold cross-validation on the
training data. Writes results/eval/report.md and the PNGs, and prints the report.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import yaml

from lab import nlu_eval as E

ROOT = Path(__file__).resolve().parents[2]

OUT = ROOT / "results" / "eval"
RASA = str(Path(sys.executable).parent / "rasa")
PIPELINES = {"ours": ROOT / "config.yml", "stock": ROOT / "lab" / "bench" / "stock_config.yml"}
HELDOUT = {"heldout": ROOT / "tests/nlu/heldout.yml", "fresh": ROOT / "tests/nlu/heldout_fresh.yml"}
TARGETS = {"accuracy": 0.97, "safety_recall": 1.0, "false_alarms": 0.03, "entity_recall": 0.95, "p95_ms": 30.0,
           "train_s": 180.0}


def load_examples(paths: list[Path]) -> list[E.Example]:
    out: list[E.Example] = []
    for p in paths:
        out += E.parse_examples(yaml.safe_load(p.read_text()))
    return out


def train_nlu(config: Path, nlu: Path, out_dir: Path, name: str) -> float:
    """Train an NLU model from scratch (a fresh cache, so the time is a real training time)."""
    cache = out_dir / f"cache_{name}"
    env = {**os.environ, "RASA_CACHE_DIRECTORY": str(cache)}
    t0 = time.perf_counter()
    subprocess.run([RASA, "train", "nlu", "--config", str(config), "--nlu", str(nlu), "--out", str(out_dir),
                    "--fixed-model-name", name], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def predict(model: Path, examples: list[E.Example]) -> list[tuple[E.Example, E.Prediction]]:
    from rasa.core.agent import Agent

    import logging

    logging.getLogger().setLevel(logging.WARNING)
    agent = Agent.load(str(model))

    async def run():
        for ex in examples[:5]:
            await agent.parse_message(ex.text)  # warm up
        pairs = []
        for ex in examples:
            t0 = time.perf_counter()
            r = await agent.parse_message(ex.text)
            ms = (time.perf_counter() - t0) * 1000
            pairs.append((ex, E.Prediction(r["intent"]["name"], E.entity_pairs(r["entities"]), ms)))
        return pairs

    return asyncio.run(run())


def confusion_png(rep: E.Report, title: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    labels = sorted({a for a, _ in rep.confusion} | {b for _, b in rep.confusion})
    idx = {lab: i for i, lab in enumerate(labels)}
    m = np.zeros((len(labels), len(labels)), dtype=int)
    for (a, b), n in rep.confusion.items():
        m[idx[a], idx[b]] += n
    fig, ax = plt.subplots(figsize=(12, 10))
    ax.imshow(np.log1p(m), cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=8)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    for i in range(len(labels)):
        for j in range(len(labels)):
            if m[i, j]:
                ax.text(j, i, m[i, j], ha="center", va="center", fontsize=7,
                        color="white" if i == j else "red")
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def stratified_folds(examples: list[E.Example], k: int, seed: int = 42) -> list[list[E.Example]]:
    by_intent: dict[str, list[E.Example]] = defaultdict(list)
    for ex in examples:
        by_intent[ex.intent].append(ex)
    folds: list[list[E.Example]] = [[] for _ in range(k)]
    rng = random.Random(seed)
    for intent in sorted(by_intent):
        items = by_intent[intent][:]
        rng.shuffle(items)
        for i, ex in enumerate(items):
            folds[i % k].append(ex)
    return folds


def write_nlu(examples: list[E.Example], raw_by_text: dict[str, str], path: Path) -> None:
    by_intent: dict[str, list[str]] = defaultdict(list)
    for ex in examples:
        by_intent[ex.intent].append(raw_by_text[ex.text])
    doc = {"version": "3.1", "nlu": [
        {"intent": i, "examples": "".join(f"- {line}\n" for line in lines)} for i, lines in by_intent.items()
    ]}
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))


def raw_lines(paths: list[Path]) -> dict[str, str]:
    """text (annotations stripped) -> the original annotated line, to rebuild fold files."""
    out = {}
    for p in paths:
        for block in yaml.safe_load(p.read_text())["nlu"]:
            if "intent" not in block:
                continue
            for line in block["examples"].splitlines():
                line = line.strip()
                if line.startswith("- "):
                    ex = E.parse_examples({"nlu": [{"intent": "x", "examples": line}]})[0]
                    out[ex.text] = line[2:]
    return out


def summary_row(name: str, rep: E.Report) -> str:
    return (f"| {name} | {rep.n} | {rep.accuracy:.1%} | {rep.safety_recall:.1%} | "
            f"{rep.safety_exact_recall:.1%} | {rep.false_alarm_rate:.1%} | {rep.entity_recall:.1%} | "
            f"{rep.entity_precision:.1%} | {rep.percentile(50):.1f} | {rep.percentile(95):.1f} |")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--no-cv", action="store_true")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    train_files = sorted((ROOT / "data" / "nlu").glob("*.yml"))
    work = Path(tempfile.mkdtemp(prefix="eval_"))
    lines = ["# NLU evaluation", ""]
    header = ("| run | n | intent acc | safety recall (any safety) | safety recall (exact) | false alarms "
              "| entity recall | entity precision | p50 ms | p95 ms |")
    lines += [header, "|" + "---|" * 10]
    reports: dict[tuple[str, str], E.Report] = {}
    train_s: dict[str, float] = {}
    try:
        for name, config in PIPELINES.items():
            train_s[name] = train_nlu(config, ROOT / "data" / "nlu", work, name)
            model = work / f"{name}.tar.gz"
            for split, path in HELDOUT.items():
                if not path.exists():
                    continue
                rep = E.score(predict(model, load_examples([path])))
                reports[(name, split)] = rep
                lines.append(summary_row(f"{name} / {split}", rep))
                confusion_png(rep, f"{name} pipeline on {split}", OUT / f"confusion_{name}_{split}.png")
        lines += ["", "Training time (NLU, 2 cores): " +
                  ", ".join(f"{k} {v:.0f} s" for k, v in train_s.items()), ""]
        for split in HELDOUT:
            if ("ours", split) in reports and ("stock", split) in reports:
                o, s = reports[("ours", split)], reports[("stock", split)]
                err_o, err_s = 1 - o.accuracy, 1 - s.accuracy
                ratio = err_s / err_o if err_o else float("inf")
                lines.append(f"- {split}: intent error ours {err_o:.1%} vs stock {err_s:.1%} "
                             f"(stock makes {ratio:.1f}x our errors); safety misses ours "
                             f"{o.safety_total - o.safety_caught} vs stock {s.safety_total - s.safety_caught}")
        lines.append("")
        for split in HELDOUT:
            rep = reports.get(("ours", split))
            if rep is None:
                continue
            lines += [f"## Ours on {split}: per intent", "", "| intent | precision | recall | F1 | support |",
                      "|---|---|---|---|---|"]
            for intent, (p, r, f, n) in rep.prf().items():
                lines.append(f"| {intent} | {p:.2f} | {r:.2f} | {f:.2f} | {n} |")
            lines += ["", "Misclassified:", ""]
            lines += [f"- `{t}`: {a} -> {b}" for t, a, b in rep.misses]
            lines.append("")
        if not args.no_cv:
            examples = load_examples(train_files)
            raw = raw_lines(train_files)
            folds = stratified_folds(examples, args.folds)
            lines += [f"## {args.folds}-fold cross-validation on the training data", "",
                      "| pipeline | intent acc (mean ± sd) | safety recall | false alarms |", "|---|---|---|---|"]
            for name, config in PIPELINES.items():
                accs, caught, total, fa, non = [], 0, 0, 0, 0
                for k in range(args.folds):
                    train = [ex for i, f in enumerate(folds) if i != k for ex in f]
                    fold_dir = work / f"cv_{name}_{k}"
                    fold_dir.mkdir()
                    write_nlu(train, raw, fold_dir / "nlu.yml")
                    train_nlu(config, fold_dir / "nlu.yml", fold_dir, "m")
                    rep = E.score(predict(fold_dir / "m.tar.gz", folds[k]))
                    accs.append(rep.accuracy)
                    caught, total = caught + rep.safety_caught, total + rep.safety_total
                    fa, non = fa + rep.false_alarms, non + rep.non_safety_total
                mean = sum(accs) / len(accs)
                sd = (sum((a - mean) ** 2 for a in accs) / len(accs)) ** 0.5
                lines.append(f"| {name} | {mean:.1%} ± {sd:.1%} | {caught / total:.1%} | {fa / non:.1%} |")
            lines.append("")
        o = reports.get(("ours", "heldout"))
        if o:
            lines += ["## Targets (ours, first held-out set)", ""]
            checks = [
                ("intent accuracy >= 97 %", o.accuracy >= TARGETS["accuracy"], f"{o.accuracy:.1%}"),
                ("safety recall 100 %", o.safety_recall >= TARGETS["safety_recall"], f"{o.safety_recall:.1%}"),
                ("false alarms <= 3 %", o.false_alarm_rate <= TARGETS["false_alarms"], f"{o.false_alarm_rate:.1%}"),
                ("entity recall >= 95 %", o.entity_recall >= TARGETS["entity_recall"], f"{o.entity_recall:.1%}"),
                ("parse p95 <= 30 ms", o.percentile(95) <= TARGETS["p95_ms"], f"{o.percentile(95):.1f} ms"),
                ("training <= 3 min", train_s["ours"] <= TARGETS["train_s"], f"{train_s['ours']:.0f} s"),
            ]
            lines += [f"- {'met' if ok else 'NOT met'}: {what} ({val})" for what, ok, val in checks]
        report = "\n".join(lines) + "\n"
        (OUT / "report.md").write_text(report)
        print(report)
        print(f"written: {OUT / 'report.md'} and confusion PNGs")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
