"""`dedup corpus` end to end on all of SaudiNewsNet vs the floor, rensa, and what a user writes by hand with
datasketch 2.

As processes, start-up included, best of --repeat, in one run: the floor (a process that reads the file in
batches of lines and parses every row with orjson on the same workers), `dedup corpus`, and rensa's
deduplicator (`RMinHashDeduplicator`, LSH in 16 bands as its README) on the same text with the same shingles
(dedup's normalized word 5-grams); the ratios to the floor and to rensa are the targets of issue 13.

The hand-written baseline: light folding (pyarabic's strip_tashkeel and strip_tatweel, punctuation to
spaces), word 5-grams, `MinHash.bulk`, `MinHashLSH` at 0.8 (query then insert each document),
union-find, keep the first of each cluster, write the kept lines. Both read the same JSONL and write
their kept documents; both are timed in the same run. The same articles as .jsonl.gz and as Parquet
show what the other input formats cost (gzip output is recompressed; Parquet is rewritten).

Run: python benchmarks/corpus_speed.py [--workers 2] [--repeat 3]
Writes benchmarks/results/corpus_speed.json and corpus_speed.png.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from _common import measure, print_table, saudinewsnet_jsonl, save_plot, timed, write_results

# The floor runs as a process of this script: it imports no more than it uses (numpy, datasketch and dedup
# are imported by the functions that need them).

_PUNCT = re.compile(r"[^\w\s]")


def datasketch_by_hand(corpus: Path, out: Path, threshold: float = 0.8, num_perm: int = 128) -> int:
    """The baseline: returns how many documents it keeps."""
    import pyarabic.araby as araby
    from datasketch import MinHash, MinHashLSH

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


def _parse_rows(lines: list[bytes]) -> int:
    import orjson

    return len([orjson.loads(line) for line in lines])


def floor(corpus: Path, workers: int, batch_size: int = 2000) -> int:
    """The floor: read the file in batches of lines, parse every row with orjson on ``workers`` processes."""

    def batches():
        with corpus.open("rb") as handle:
            while batch := handle.readlines(1 << 22):
                yield from (batch[i : i + batch_size] for i in range(0, len(batch), batch_size))

    with ProcessPoolExecutor(workers) as pool:
        return sum(pool.map(_parse_rows, batches()))


def rensa_dedup(corpus: Path) -> int:
    """rensa's deduplicator on dedup's shingles (normalized word 5-grams): how many documents it keeps."""
    import orjson
    from rensa import RMinHash, RMinHashDeduplicator

    from dedup.pipeline import Pipeline
    from dedup.shingle import shingles

    pipeline = Pipeline()
    dedup = RMinHashDeduplicator(threshold=0.8, num_perm=128, use_lsh=True, num_bands=16, seed=1)  # 16: as its README
    kept = 0
    with corpus.open("rb") as handle:
        for n, line in enumerate(handle):
            text = orjson.loads(line).get("text")
            if not isinstance(text, str) or not text.strip():
                continue
            minhash = RMinHash(num_perm=128, seed=1)
            minhash.update(shingles(pipeline.profile.normalize(text), pipeline.cfg.shingle))
            kept += dedup.add(str(n), minhash)
    return kept


def processes(corpus: Path, work: Path, workers: int, repeat: int) -> dict[str, dict]:
    """Floor, `dedup corpus` and rensa as processes: best wall seconds of ``repeat`` and peak MB of each."""
    dedup = str(Path(sys.executable).parent / "dedup")
    here = [sys.executable, __file__]
    commands = {
        "floor": [*here, "floor", str(corpus), str(workers)],
        "dedup corpus": [dedup, "corpus", str(corpus), "--out", str(work / "process"), "--workers", str(workers)],
        "rensa": [*here, "rensa", str(corpus)],
    }
    out = {}
    for name, command in commands.items():
        seconds, mb = min((measure(command) for _ in range(repeat if name != "rensa" else 1)), key=lambda r: r[0])
        out[name] = {"seconds": round(seconds, 2), "peak_mb": round(mb)}
    return out


def main() -> None:
    if sys.argv[1:2] == ["floor"]:
        print(floor(Path(sys.argv[2]), int(sys.argv[3])))
        return
    if sys.argv[1:2] == ["rensa"]:
        print(rensa_dedup(Path(sys.argv[2])))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    corpus = saudinewsnet_jsonl(Path(tempfile.gettempdir()) / "dedup-bench" / "saudinewsnet.jsonl")
    work = Path(tempfile.mkdtemp(prefix="dedup-speed-"))
    from dedup.corpus import CorpusOptions, run_corpus

    procs = processes(corpus, work, args.workers, args.repeat)
    ratios = {
        "dedup_over_floor": round(procs["dedup corpus"]["seconds"] / procs["floor"]["seconds"], 2),
        "rensa_over_dedup": round(procs["rensa"]["seconds"] / procs["dedup corpus"]["seconds"], 2),
    }
    print(f"As processes, start-up included ({args.workers} workers; best of {args.repeat}, rensa once):")
    print_table(
        ["process", "wall s", "peak MB"], [[k, f"{v['seconds']:.2f}", f"{v['peak_mb']:,}"] for k, v in procs.items()]
    )
    print(
        f"dedup corpus / floor: {ratios['dedup_over_floor']:.2f}x (target <= 2); "
        f"rensa / dedup corpus: {ratios['rensa_over_dedup']:.1f}x (target >= 10)"
    )
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
    write_results(
        "corpus_speed",
        {
            "processes": procs,
            "ratios": ratios,
            "results": results,
            "speedup": seconds / best,
            "speedup_one_worker": seconds / one,
        },
    )
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
