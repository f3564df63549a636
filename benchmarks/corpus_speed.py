"""`dedup corpus` end to end on all of SaudiNewsNet vs what a user writes by hand with datasketch 2.

The hand-written baseline: light folding (pyarabic's strip_tashkeel and strip_tatweel, punctuation to
spaces), word 5-grams, `MinHash.bulk`, `MinHashLSH` at 0.8 (query then insert each document),
union-find, keep the first of each cluster, write the kept lines. Both read the same JSONL and write
their kept documents; both are timed in the same run. The same articles as .jsonl.gz and as Parquet
show what the other input formats cost (gzip output is recompressed; Parquet is rewritten).

Run: python benchmarks/corpus_speed.py [--workers 2]
Writes benchmarks/results/corpus_speed.json and corpus_speed.png.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import tempfile
from pathlib import Path

import pyarabic.araby as araby
from _common import print_table, saudinewsnet_jsonl, save_plot, timed, write_results
from datasketch import MinHash, MinHashLSH

from dedup.corpus import CorpusOptions, run_corpus

_PUNCT = re.compile(r"[^\w\s]")


def datasketch_by_hand(corpus: Path, out: Path, threshold: float = 0.8, num_perm: int = 128) -> int:
    """The baseline: returns how many documents it keeps."""
    lines, tokens = [], []
    with corpus.open(encoding="utf-8") as handle:
        for line in handle:
            text = json.loads(line).get("text") or ""
            if not text.strip():
                continue
            words = _PUNCT.sub(" ", araby.strip_tatweel(araby.strip_tashkeel(text))).split()
            grams = {" ".join(words[i : i + 5]) for i in range(max(1, len(words) - 4))}
            lines.append(line)
            tokens.append([g.encode("utf-8") for g in grams])
    minhashes = MinHash.bulk(tokens, num_perm=num_perm)
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    parent = list(range(len(minhashes)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, m in enumerate(minhashes):
        for j in lsh.query(m):
            a, b = find(i), find(j)
            parent[max(a, b)] = min(a, b)
        lsh.insert(i, m)
    kept = [line for i, line in enumerate(lines) if find(i) == i]
    out.write_text("".join(kept), encoding="utf-8")
    return len(kept)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    corpus = saudinewsnet_jsonl(Path(tempfile.gettempdir()) / "dedup-bench" / "saudinewsnet.jsonl")
    work = Path(tempfile.mkdtemp(prefix="dedup-speed-"))
    rows, results = [], {}
    runs = [("jsonl", corpus, w) for w in sorted({1, args.workers})]
    runs += [(kind, path, args.workers) for kind, path in _other_formats(corpus, work).items()]
    for kind, path, workers in runs:
        seconds, manifest = timed(
            lambda p=path, w=workers, k=kind: run_corpus(p, work / f"out-{k}-{w}", opts=CorpusOptions(workers=w))
        )
        counts = manifest["counts"]
        if counts != results.get("dedup_workers_1", {}).get("counts", counts):
            raise SystemExit(f"{kind} input gives other counts: {counts}")
        name = f"dedup_workers_{workers}" if kind == "jsonl" else f"dedup_{kind}_workers_{workers}"
        results[name] = {
            "seconds": seconds,
            "kept": counts["kept"],
            "counts": counts,
            "peak_memory_mb": manifest["peak_memory_mb"],
            "timings_s": manifest["timings_s"],
        }
        rows.append(
            [
                f"dedup corpus, .{kind}, {workers} worker(s)",
                f"{seconds:.1f}",
                counts["read"],
                counts["kept"],
                counts["duplicates"],
                counts["rejected"],
            ]
        )
    seconds, kept = timed(lambda: datasketch_by_hand(corpus, work / "datasketch-kept.jsonl"))
    results["datasketch_by_hand"] = {"seconds": seconds, "kept": kept}
    rows.append(["datasketch by hand (MinHash.bulk + MinHashLSH)", f"{seconds:.1f}", "", kept, "", ""])
    best = min(v["seconds"] for k, v in results.items() if k.startswith("dedup_workers"))
    one = results["dedup_workers_1"]["seconds"]
    print(f"SaudiNewsNet, {corpus.stat().st_size / 1e6:.0f} MB of JSONL")
    print_table(["method", "seconds", "read", "kept", "duplicates", "rejected"], rows)
    print(f"speed-up over datasketch: {seconds / best:.1f}× ({seconds / one:.1f}× on one worker)")
    write_results("corpus_speed", {"results": results, "speedup": seconds / best, "speedup_one_worker": seconds / one})
    _plot(results)


def _other_formats(corpus: Path, work: Path) -> dict[str, Path]:
    """The corpus as .jsonl.gz (gzip's default level) and, with pyarrow, as Parquet."""
    out = {"jsonl.gz": work / "saudinewsnet.jsonl.gz"}
    out["jsonl.gz"].write_bytes(gzip.compress(corpus.read_bytes(), compresslevel=6))
    try:
        import pyarrow.json as pa_json
        import pyarrow.parquet as pq
    except ImportError:
        print("pyarrow is not installed: no Parquet run")
        return out
    out["parquet"] = work / "saudinewsnet.parquet"
    pq.write_table(pa_json.read_json(corpus), out["parquet"])
    return out


def _plot(results: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 2.6))
    names = list(results)
    ax.barh(names, [results[k]["seconds"] for k in names], color="#3b7dd8")
    ax.set_xlabel("seconds, SaudiNewsNet end to end (31,030 articles)")
    fig.tight_layout()
    save_plot(fig, "corpus_speed")


if __name__ == "__main__":
    main()
