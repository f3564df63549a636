"""Partial-copy detection and matched spans on ExAraPlagDet-2015 (dev): passages copied into longer
documents, found by the library's own audit (``dedup audit``'s matching, not a copy of it).

Every source and suspicious document becomes an article of its own outlet (sources dated a day
before the suspicious documents); the audit links pairs by shared rare word n-grams and reports
``copy_spans`` in the suspicious document. Scored against the 795 annotated cases: a case is
detected when a reported span of the right source overlaps it (recall by obfuscation class;
precision over reported spans), and at character level as PAN's plagdet does (the share of case
characters covered, and of reported characters inside a case).

Run: python benchmarks/plagdet.py   (writes benchmarks/results/plagdet.json and plagdet.png)
"""

from __future__ import annotations

import argparse
import csv
import json
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from _common import SHARED, print_table, save_plot, write_results

from dedup.audit import AuditOptions, run_audit
from dedup.config import DedupConfig, ShingleConfig

DATA = SHARED / "exaraplagdet-dev"


def merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[list[int]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def corpus(dest: Path) -> Path:
    """The sources (2015-01-01) and suspicious documents (2015-01-02) as audit articles, one outlet each."""
    with dest.open("w", encoding="utf-8") as handle:
        for kind, day in (("source-documents", "2015-01-01"), ("suspicious-documents", "2015-01-02")):
            for path in sorted((DATA / kind).glob("*.txt")):
                text = path.read_text(encoding="utf-8")
                row = {"id": path.name, "outlet": path.name, "published": f"{day}T00:00:00", "text": text}
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return dest


def detect(n: int, passage: int, containment: float) -> tuple[dict, float]:
    """Reported spans: {(suspicious, source): [(start, end) in the suspicious document]}, and seconds."""
    work = Path(tempfile.mkdtemp(prefix="dedup-plagdet-"))
    articles = corpus(work / "articles.jsonl")
    cfg = DedupConfig(shingle=ShingleConfig(n=n))
    opts = AuditOptions(min_passage_words=passage, min_containment=containment)
    start = time.perf_counter()
    run_audit(articles, work / "audit", cfg, opts)
    seconds = time.perf_counter() - start
    found = defaultdict(list)
    with (work / "audit" / "pairs.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["copy_id"].startswith("suspicious") and row["source_id"].startswith("source"):
                spans = [tuple(map(int, part.split("-"))) for part in row["copy_spans"].split(";") if part]
                found[(row["copy_id"], row["source_id"])] += spans
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
    parser.add_argument("--ngram", type=int, default=3)
    parser.add_argument("--min-passage-words", type=int, default=20)
    args = parser.parse_args()
    cases = [json.loads(line) for line in (DATA / "cases.jsonl").read_text(encoding="utf-8").splitlines()]
    runs = []
    settings = {(args.ngram, args.min_passage_words, 0.5), (3, 30, 0.5), (5, 30, 0.5), (2, 20, 0.5)}
    for n, passage, containment in sorted(settings):
        found, seconds = detect(n, passage, containment)
        runs.append({"ngram": n, "min_passage_words": passage, "seconds": seconds, **score(found, cases)})
    classes = list(runs[0]["recall_by_obfuscation"])
    print(f"ExAraPlagDet-2015 dev: {len(cases)} cases; dedup audit's shared rare word n-grams and spans")
    print_table(
        ["n", "passage words", "case recall", *classes, "span precision", "char recall", "char precision", "s"],
        [
            [
                r["ngram"],
                r["min_passage_words"],
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
            label=f"{r['ngram']}-grams, passages of {r['min_passage_words']} words",
        )
    ax.set_xticks(np.arange(len(classes)) + 0.4 - width / 2, classes, rotation=15)
    ax.set_ylabel("cases detected")
    ax.legend(fontsize=8)
    fig.tight_layout()
    save_plot(fig, "plagdet")


if __name__ == "__main__":
    main()
