"""Hostile inputs that cost quadratic time or unbounded memory before issue 14, at growing sizes.

Cases, each built from the shipped articles (data/samples/jawharafm_300.jsonl):
- heavy duplication: N rows drawn from 1,728 distinct 8-word sentences (huge LSH buckets);
- identical lines: `dedup paragraphs` on a file of N copies of one line;
- gzip bomb: a .jsonl.gz whose first line holds an L MB text (a few MB compressed), then the 300 articles;
- Parquet in one row group: N word-shuffled copies of the articles (all kept, so all rewritten).
Corpus runs are `python -m dedup corpus --workers 2` in a child process: time and peak memory come from
its manifest. Near-linear time and bounded memory are what to look for down each case's column.

Run: python benchmarks/adversarial.py
Writes benchmarks/results/adversarial.json and adversarial.png.
"""

from __future__ import annotations

import gzip
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, print_table, save_plot, write_results

SAMPLE = ROOT / "data" / "samples" / "jawharafm_300.jsonl"
ARTICLES = [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines()]


def _sentences(count: int = 1728) -> list[str]:
    words = [w for a in ARTICLES for w in a["text"].split()]
    return sorted({" ".join(words[k : k + 8]) for k in range(0, len(words) - 8, 8)})[:count]


def _corpus(path: Path) -> dict:
    """``dedup corpus`` on ``path`` in a child process: its seconds and peak memory (MB) from the manifest."""
    out = path.parent / f"{path.name}.out"
    command = [sys.executable, "-m", "dedup", "corpus", str(path), "--out", str(out), "--workers", "2"]
    subprocess.run(command, check=True, capture_output=True)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    memory = manifest["peak_memory_mb"]
    return {"seconds": manifest["timings_s"]["total"], "peak_mb": max(memory["main"], memory["largest_worker"])}


def heavy_duplication(folder: Path, rows: int) -> dict:
    rng, sentences = random.Random(1), _sentences()
    path = folder / f"heavy-{rows}.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for k in range(rows):
            handle.write(json.dumps({"id": str(k), "text": rng.choice(sentences)}, ensure_ascii=False) + "\n")
    return _corpus(path)


def identical_lines(folder: Path, lines: int) -> dict:
    path = folder / f"lines-{lines}.txt"
    path.write_text("القصص الموصى بها في موقعنا اليوم\n" * lines, encoding="utf-8")
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "dedup", "paragraphs", str(path)], check=True, capture_output=True)
    return {"seconds": round(time.perf_counter() - start, 3), "peak_mb": None}


def gzip_bomb(folder: Path, megabytes: int) -> dict:
    path = folder / f"bomb-{megabytes}.jsonl.gz"
    with gzip.open(path, "wb", compresslevel=1) as handle:
        handle.write(b'{"id": "bomb", "text": "')
        for _ in range(megabytes):
            handle.write("ن ".encode() * (1 << 18))  # 1 MiB of Arabic letters and spaces
        handle.write(b'"}\n' + SAMPLE.read_bytes())
    return {**_corpus(path), "compressed_mb": round(path.stat().st_size / 2**20, 1)}


def parquet_one_group(folder: Path, rows: int) -> dict:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = random.Random(2)
    table = []
    for k in range(rows):
        words = ARTICLES[k % len(ARTICLES)]["text"].split()
        rng.shuffle(words)
        table.append({"id": f"p{k}", "text": " ".join(words)})
    path = folder / f"one-group-{rows}.parquet"
    pq.write_table(pa.Table.from_pylist(table), path, row_group_size=rows)
    return {**_corpus(path), "file_mb": round(path.stat().st_size / 2**20, 1)}


CASES = {
    "heavy duplication (rows)": (heavy_duplication, [25_000, 50_000, 100_000]),
    "identical lines (lines)": (identical_lines, [5_000, 10_000, 20_000]),
    "gzip bomb (MB of text)": (gzip_bomb, [200, 400, 800]),
    "Parquet, one row group (rows)": (parquet_one_group, [10_000, 20_000, 40_000]),
}


def main() -> None:
    results: dict[str, list[dict]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, (case, sizes) in CASES.items():
            results[name] = [{"size": size, **case(Path(tmp), size)} for size in sizes]
    rows = [
        [name, f"{r['size']:,}", r["seconds"], "-" if r["peak_mb"] is None else r["peak_mb"]]
        for name, runs in results.items()
        for r in runs
    ]
    print_table(["case", "size", "seconds", "peak MB"], rows)
    print(f"wrote {write_results('adversarial', {'cases': results})}")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(results), figsize=(4 * len(results), 3.4))
    for ax, (name, runs) in zip(axes, results.items(), strict=True):
        ax.plot([r["size"] for r in runs], [r["seconds"] for r in runs], "o-")
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("size")
        ax.set_ylabel("seconds")
        ax.set_ylim(bottom=0)
        ax.set_xlim(left=0)
    fig.suptitle("dedup on hostile inputs: time grows linearly with size")
    fig.tight_layout()
    print(f"wrote {save_plot(fig, 'adversarial')}")


if __name__ == "__main__":
    main()
