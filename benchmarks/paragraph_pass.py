"""What `dedup corpus --level paragraph --keep earliest` does to the articles it keeps, on all of SaudiNewsNet.

For each kept document, its words (whitespace-separated) before and after the run: how many were cut from 30
words or more to under 30, and how many lost half of their words or more; the boilerplate lines and repeats
removed, the documents dropped whole (contained in kept ones, or fragments) and rejected as fragments; wall
time of the run as a process (noisy: the machine's cores are shared). ``--code DIR`` runs another checkout of
dedup (the code before issue 16, say) on the same input, so that both rows come from one machine and one
definition. ``--sample N`` writes N random removed lines and N random touched documents to read by hand.

Run: python benchmarks/paragraph_pass.py [--code DIR --label before] [--sample 30]
Writes benchmarks/results/paragraph_pass.json (one entry per label, merged) and paragraph_pass.png.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import RESULTS, ROOT, print_table, saudinewsnet_jsonl, save_plot, write_results

CORPUS = Path(os.environ.get("DEDUP_BENCH_DIR", "/tmp/dedup-bench")) / "saudinewsnet.jsonl"


def run(code: Path, out: Path) -> float:
    """Wall seconds of ``dedup corpus`` from checkout ``code`` as a process, writing ``out``."""
    argv = [sys.executable, "-m", "dedup", "corpus", str(CORPUS), "--out", str(out)]
    start = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": str(code)}
    subprocess.run([*argv, "--level", "paragraph", "--keep", "earliest"], check=True, env=env, cwd=code)
    return time.perf_counter() - start


def measure(out: Path) -> tuple[dict, list[tuple[str, str, str]]]:
    """Counts of what the run in ``out`` did to the kept documents, and (id, before, after) of the touched ones."""
    texts = {row["id"]: row["text"] for row in map(json.loads, CORPUS.open(encoding="utf-8"))}
    kept = {
        row["id"]: row["text"]
        for path in (out / "kept").iterdir()
        for row in map(json.loads, path.open(encoding="utf-8"))
    }
    touched = [(i, texts[i], text) for i, text in kept.items() if text != texts[i]]
    words = [(len(before.split()), len(after.split())) for _, before, after in touched]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    with (out / "duplicates.csv").open(encoding="utf-8") as handle:
        levels = [row["level"] for row in csv.DictReader(handle)]
    with (out / "paragraphs_removed.csv").open(encoding="utf-8") as handle:
        removed_rows = sum(1 for _ in csv.DictReader(handle))
    counts = {
        "kept": len(kept),
        "touched": len(touched),
        "cut_under_30_words": sum(b >= 30 > a for b, a in words),
        "lost_half_or_more": sum(a <= b / 2 for b, a in words),
        "paragraphs_removed_manifest": manifest["paragraphs_removed"],
        "paragraphs_removed_csv_rows": removed_rows,
        "boilerplate_lines_removed": manifest.get("boilerplate_lines_removed"),
        "repeats_removed": manifest.get("repeats_removed"),
        "dropped_by_document_pass": levels.count("document"),
        "dropped_whole_by_paragraph_level": len(levels) - levels.count("document"),
        "rejected_as_fragments": manifest["rejected_by_reason"].get("fragment", 0),
    }
    return counts, touched


def write_sample(out: Path, touched: list[tuple[str, str, str]], size: int, dest: Path) -> None:
    """``size`` random removed lines (with the line they repeat) and touched documents, for reading by hand."""
    rng = random.Random(16)
    texts = {row["id"]: row["text"] for row in map(json.loads, CORPUS.open(encoding="utf-8"))}
    with (out / "paragraphs_removed.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    line = lambda doc, n: texts[doc].split("\n")[int(n) - 1]  # noqa: E731
    removals = [
        {**r, "text": line(r["id"], r["line"]), "first_text": line(r["first_id"], r["first_line"])}
        for r in rng.sample(rows, min(size, len(rows)))
    ]
    docs = [{"id": i, "before": b, "after": a} for i, b, a in rng.sample(touched, min(size, len(touched)))]
    text = json.dumps({"removals": removals, "touched": docs}, ensure_ascii=False, indent=1)
    dest.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--code", type=Path, default=ROOT, help="checkout of dedup to run (default: this one)")
    parser.add_argument("--label", default="after", help="name of this run in the results (default: after)")
    parser.add_argument("--sample", type=int, default=0, help="write this many removals and touched documents")
    args = parser.parse_args()
    saudinewsnet_jsonl(CORPUS)
    with tempfile.TemporaryDirectory(prefix="paragraph-pass-") as tmp:
        out = Path(tmp) / "out"
        seconds = run(args.code.resolve(), out)
        counts, touched = measure(out)
        if args.sample:
            sample = Path(tempfile.gettempdir()) / f"paragraph_pass_sample_{args.label}.json"
            write_sample(out, touched, args.sample, sample)
            print(f"sample to read: {sample}")
    counts["wall_s"] = round(seconds, 1)
    previous = RESULTS / "paragraph_pass.json"
    runs = json.loads(previous.read_text(encoding="utf-8"))["runs"] if previous.exists() else {}
    runs[args.label] = counts
    names = list(counts)
    print(f"{CORPUS}: dedup corpus --level paragraph --keep earliest (wall time noisy: shared cores)")
    print_table(["", *runs], [[name, *(run.get(name, "") for run in runs.values())] for name in names])
    write_results("paragraph_pass", {"corpus": "SaudiNewsNet (31,030 articles)", "runs": runs})
    _plot(runs)


def _plot(runs: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = ["cut_under_30_words", "lost_half_or_more", "dropped_whole_by_paragraph_level"]
    fig, ax = plt.subplots(figsize=(6, 3.4))
    width = 0.8 / len(runs)
    for k, (label, counts) in enumerate(runs.items()):
        ax.bar([x + k * width for x in range(len(shown))], [counts[s] for s in shown], width, label=label)
    ax.set_xticks([x + width * (len(runs) - 1) / 2 for x in range(len(shown))])
    ax.set_xticklabels(["kept, cut under 30 words", "kept, lost half or more", "dropped whole"], fontsize=8)
    ax.set_ylabel("documents")
    ax.set_title("Paragraph level on SaudiNewsNet (--keep earliest)")
    ax.legend()
    fig.tight_layout()
    save_plot(fig, "paragraph_pass")


if __name__ == "__main__":
    main()
