"""Speed and memory of `dedup corpus` as the corpus grows, against datasketch doing the same job.

Synthetic Arabic documents: paragraphs whose lengths are drawn from SaudiNewsNet's paragraph lengths and
whose words are drawn from its vocabulary at their frequencies; a known share of documents are planted
near-copies (orthographic noise, or 1% of words edited) of earlier ones. Each size is a prefix of the
largest corpus, and each run is its own process, so that its peak memory is its own.

Run: python benchmarks/scale.py [--sizes 1000 10000 100000 1000000] [--datasketch-max 100000] [--repeat 3]
Writes benchmarks/results/scale.json and scale.png (time and memory against size, log-log).
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np
from _common import paragraphs, print_table, save_plot, write_results

from dedup.noise import edit_words, perturb

BENCH = Path(__file__).resolve().parent
WORK = Path(tempfile.gettempdir()) / "dedup-bench" / "scale"
PLANTED_SHARE = 0.1


def generate(n: int, path: Path, seed: int = 0) -> Path:
    """Write ``n`` synthetic documents (10% planted near-copies) to ``path``, once."""
    if path.exists():
        return path
    real = paragraphs(40_000)
    counts = Counter(w for p in real for w in p.split())
    vocab = list(counts)
    cdf = np.cumsum(np.array([counts[w] for w in vocab], dtype=np.float64))
    cdf /= cdf[-1]
    lengths = np.array([len(p.split()) for p in real])
    rng, np_rng = random.Random(seed), np.random.default_rng(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    recent: list[str] = []
    with tmp.open("w", encoding="utf-8") as handle:
        for i in range(n):
            if recent and rng.random() < PLANTED_SHARE:
                source = rng.choice(recent)
                text = perturb(source, rng) if rng.random() < 0.5 else edit_words(source, 0.01, rng)
            else:
                sizes = np_rng.choice(lengths, size=rng.randint(1, 4))
                words = np.searchsorted(cdf, np_rng.random(int(sizes.sum())))
                cuts = np.cumsum(sizes)[:-1]
                text = "\n".join(" ".join(vocab[w] for w in part) for part in np.split(words, cuts))
                recent = ([*recent, text])[-1000:]
            handle.write(json.dumps({"id": f"d{i:07d}", "text": text}, ensure_ascii=False) + "\n")
    tmp.replace(path)
    return path


def prefix(source: Path, n: int) -> Path:
    """The first ``n`` documents of ``source`` as their own file."""
    path = source.with_name(f"corpus-{n}.jsonl")
    if not path.exists():
        with source.open("rb") as src, path.open("wb") as dst:
            for _, line in zip(range(n), src, strict=False):
                dst.write(line)
    return path


_CHILD = {
    "dedup": """
import json, sys, time
from dedup.corpus import CorpusOptions, run_corpus
start = time.perf_counter()
manifest = run_corpus(sys.argv[1], sys.argv[2], opts=CorpusOptions(workers=int(sys.argv[3])))
print(json.dumps({"seconds": time.perf_counter() - start, "kept": manifest["counts"]["kept"],
                  "main_mb": manifest["peak_memory_mb"]["main"],
                  "worker_mb": manifest["peak_memory_mb"]["largest_worker"]}))
""",
    "datasketch": """
import json, resource, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[4])
from corpus_speed import datasketch_by_hand
start = time.perf_counter()
kept = datasketch_by_hand(Path(sys.argv[1]), Path(sys.argv[2]))
print(json.dumps({"seconds": time.perf_counter() - start, "kept": kept,
                  "main_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "worker_mb": 0}))
""",
}


def run(kind: str, corpus: Path, workers: int, repeat: int) -> dict:
    """Best time of ``repeat`` runs, each its own process, with the largest peak memory among them."""
    out = WORK / f"out-{kind}-{corpus.stem}"
    target = str(out) if kind == "dedup" else str(out.with_suffix(".jsonl"))
    runs = []
    for _ in range(repeat):
        done = subprocess.run(
            [sys.executable, "-c", _CHILD[kind], str(corpus), target, str(workers), str(BENCH)],
            capture_output=True,
            text=True,
            check=True,
        )
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    best = min(runs, key=lambda r: r["seconds"])
    return {
        **best,
        "main_mb": max(r["main_mb"] for r in runs),
        "worker_mb": max(r["worker_mb"] for r in runs),
        "all_seconds": [round(r["seconds"], 3) for r in runs],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000, 1_000_000])
    parser.add_argument("--datasketch-max", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3, help="runs per size and tool; the best time is kept")
    args = parser.parse_args()
    largest = generate(max(args.sizes), WORK / f"synthetic-{max(args.sizes)}.jsonl")
    rows, results = [], []
    for n in sorted(args.sizes):
        corpus = prefix(largest, n)
        text_bytes = corpus.stat().st_size
        entry = {"documents": n, "input_mb": text_bytes / 1e6, "dedup": run("dedup", corpus, args.workers, args.repeat)}
        if n <= args.datasketch_max:
            entry["datasketch"] = run("datasketch", corpus, 1, args.repeat)
        results.append(entry)
        d, b = entry["dedup"], entry.get("datasketch")
        rows.append(
            [
                f"{n:,}",
                f"{d['seconds']:.1f}",
                f"{n / d['seconds']:,.0f}",
                f"{d['main_mb']:.0f}",
                f"{d['worker_mb']:.0f}",
                d["kept"],
                f"{b['seconds']:.1f}" if b else "-",
                f"{n / b['seconds']:,.0f}" if b else "-",
                f"{b['main_mb']:.0f}" if b else "-",
                b["kept"] if b else "-",
                f"{b['seconds'] / d['seconds']:.1f}×" if b else "-",
            ]
        )
    base = results[0]["dedup"]["main_mb"]
    for entry in results:
        n = entry["documents"]
        entry["dedup"]["bytes_per_doc_above_smallest"] = (entry["dedup"]["main_mb"] - base) * 2**20 / n
    print(
        f"synthetic Arabic corpora, {PLANTED_SHARE:.0%} planted near-copies, {args.workers} workers, "
        f"best of {args.repeat} runs (memory: the largest)"
    )
    print_table(
        [
            "documents",
            "dedup s",
            "docs/s",
            "main MB",
            "worker MB",
            "kept",
            "datasketch s",
            "docs/s",
            "MB",
            "kept",
            "speed-up",
        ],
        rows,
    )
    for a, b in itertools.pairwise(results):
        ratio = b["dedup"]["seconds"] / a["dedup"]["seconds"]
        print(
            f"{a['documents']:,} -> {b['documents']:,} documents: time × {ratio:.1f}; "
            f"memory above the smallest run: {b['dedup']['bytes_per_doc_above_smallest']:.0f} bytes/document"
        )
    write_results(
        "scale",
        {"workers": args.workers, "repeat": args.repeat, "planted_share": PLANTED_SHARE, "results": results},
    )
    _plot(results)


def _plot(results: list[dict]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.6))
    for kind, color in (("dedup", "#3b7dd8"), ("datasketch", "#d8733b")):
        chosen = [r for r in results if kind in r]
        sizes = [r["documents"] for r in chosen]
        left.loglog(sizes, [r[kind]["seconds"] for r in chosen], marker="o", color=color, label=kind)
        right.loglog(sizes, [r[kind]["main_mb"] for r in chosen], marker="o", color=color, label=f"{kind} (main)")
    left.set_xlabel("documents")
    left.set_ylabel("seconds, end to end")
    right.set_xlabel("documents")
    right.set_ylabel("peak resident MB")
    left.legend()
    right.legend()
    fig.tight_layout()
    save_plot(fig, "scale")


if __name__ == "__main__":
    main()
