"""Partial-copy detection and matched spans on ExAraPlagDet-2015 (dev): passages copied into longer documents.

Each document is cut into overlapping windows of words; windows of suspicious documents are matched to
windows of source documents by containment of their word n-gram sets (3-grams; 1-grams, bags of words,
for shuffled words) with MinHash LSH candidates and exact verification; the matched windows of one
(suspicious, source) pair merge into reported spans.
Scored against the 795 annotated cases: a case is detected when a reported span of the right source
overlaps it (recall by obfuscation class; precision over reported spans), and at character level as
PAN's plagdet does (the share of case characters covered, and of reported characters inside a case).

Run: python benchmarks/plagdet.py [--window 30 --threshold 0.5]
Writes benchmarks/results/plagdet.json and plagdet.png.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections import defaultdict

import numpy as np
from _common import SHARED, print_table, save_plot, write_results

from dedup.config import DedupConfig, LSHConfig, ShingleConfig
from dedup.pipeline import Pipeline

DATA = SHARED / "exaraplagdet-dev"
_WORD = re.compile(r"\S+")


def windows(text: str, size: int) -> list[tuple[int, int, str]]:
    """(start, end, text) of windows of ``size`` words, half overlapping; a short text is one window."""
    words = [(m.start(), m.end()) for m in _WORD.finditer(text)]
    if not words:
        return []
    starts = range(0, max(1, len(words) - size // 2), max(1, size // 2))
    out = []
    for k in starts:
        first, last = words[k], words[min(k + size, len(words)) - 1]
        out.append((first[0], last[1], text[first[0] : last[1]]))
    return out


def merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[list[int]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def detect(size: int, threshold: float, n: int = 3) -> tuple[dict, float]:
    """Reported spans: {(suspicious, source): [(start, end) in the suspicious document]}."""
    owners, spans, texts = [], [], []
    names = {
        "susp": sorted((DATA / "suspicious-documents").glob("*.txt")),
        "src": sorted((DATA / "source-documents").glob("*.txt")),
    }
    for kind, files in names.items():
        for path in files:
            for start, end, text in windows(path.read_text(encoding="utf-8"), size):
                owners.append((kind, path.name))
                spans.append((start, end))
                texts.append(text)
    start_time = time.perf_counter()
    cfg = DedupConfig(shingle=ShingleConfig(n=n), lsh=LSHConfig(threshold=threshold, verify="containment"))
    pipeline = Pipeline(cfg)
    pairs, _ = pipeline.similar_in_batch(pipeline.sign(texts))
    seconds = time.perf_counter() - start_time
    found = defaultdict(list)
    for i, j in pairs.tolist():
        ki, kj = owners[i][0], owners[j][0]
        if {ki, kj} == {"susp", "src"}:
            s, d = (i, j) if ki == "susp" else (j, i)
            found[(owners[s][1], owners[d][1])].append(spans[s])
    return {key: merge(value) for key, value in found.items()}, seconds


def score(found: dict, cases: list[dict]) -> dict:
    by_pair = defaultdict(list)
    for c in cases:
        by_pair[(c["suspicious"], c["source"])].append((c["this_offset"], c["this_offset"] + c["this_length"]))

    def overlap(a: tuple[int, int], b: tuple[int, int]) -> int:
        return max(0, min(a[1], b[1]) - max(a[0], b[0]))

    classes = defaultdict(lambda: [0, 0])
    covered_chars = case_chars = 0
    for c in cases:
        span = (c["this_offset"], c["this_offset"] + c["this_length"])
        reported = found.get((c["suspicious"], c["source"]), [])
        hit = any(overlap(span, r) for r in reported)
        classes[c["obfuscation"]][0] += hit
        classes[c["obfuscation"]][1] += 1
        case_chars += span[1] - span[0]
        covered_chars += sum(overlap(span, r) for r in merge(reported))
    reported_spans = [(key, r) for key, spans in found.items() for r in spans]
    true_spans = sum(any(overlap(r, s) for s in by_pair.get(key, [])) for key, r in reported_spans)
    inside = sum(sum(overlap(r, s) for s in merge(by_pair.get(key, []))) for key, r in reported_spans)
    reported_chars = sum(r[1] - r[0] for _, r in reported_spans)
    return {
        "recall_by_obfuscation": {k: v[0] / v[1] for k, v in sorted(classes.items())},
        "cases": {k: v[1] for k, v in sorted(classes.items())},
        "case_recall": sum(v[0] for v in classes.values()) / len(cases),
        "span_precision": true_spans / len(reported_spans) if reported_spans else 1.0,
        "char_recall": covered_chars / case_chars,
        "char_precision": inside / reported_chars if reported_chars else 1.0,
        "reported_spans": len(reported_spans),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--window", type=int, default=30)
    parser.add_argument("--threshold", type=float, default=0.5)
    args = parser.parse_args()
    cases = [json.loads(line) for line in (DATA / "cases.jsonl").read_text(encoding="utf-8").splitlines()]
    runs = []
    settings = {(args.window, args.threshold, 3), (20, 0.5, 3), (30, 0.3, 3), (50, 0.5, 3), (30, 0.7, 1), (30, 0.8, 1)}
    # 1-grams (bags of words) are for shuffled words; they need a higher containment to stay precise.
    for size, threshold, n in sorted(settings):
        found, seconds = detect(size, threshold, n)
        runs.append({"window": size, "threshold": threshold, "ngram": n, "seconds": seconds, **score(found, cases)})
    classes = list(runs[0]["recall_by_obfuscation"])
    print(f"ExAraPlagDet-2015 dev: {len(cases)} cases; containment of word n-gram sets of word windows")
    print_table(
        ["window", "threshold", "n", "case recall", *classes, "span precision", "char recall", "char precision", "s"],
        [
            [
                r["window"],
                r["threshold"],
                r["ngram"],
                f"{r['case_recall']:.3f}",
                *[f"{r['recall_by_obfuscation'][c]:.2f}" for c in classes],
                f"{r['span_precision']:.3f}",
                f"{r['char_recall']:.3f}",
                f"{r['char_precision']:.3f}",
                f"{r['seconds']:.1f}",
            ]
            for r in runs
        ],
    )
    print("cases per class: " + ", ".join(f"{k} {v}" for k, v in runs[0]["cases"].items()))
    write_results("plagdet", {"runs": runs})
    _plot(runs, classes)


def _plot(runs: list[dict], classes: list[str]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.4))
    width = 0.8 / len(runs)
    for k, r in enumerate(runs):
        xs = np.arange(len(classes)) + k * width
        ax.bar(
            xs,
            [r["recall_by_obfuscation"][c] for c in classes],
            width,
            label=f"{r['ngram']}-grams, window {r['window']}, ≥ {r['threshold']}",
        )
    ax.set_xticks(np.arange(len(classes)) + 0.4 - width / 2, classes, rotation=15)
    ax.set_ylabel("cases detected")
    ax.legend(fontsize=8)
    fig.tight_layout()
    save_plot(fig, "plagdet")


if __name__ == "__main__":
    main()
