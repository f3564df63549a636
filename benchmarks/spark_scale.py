"""Local engine vs Spark local[2] on the same synthetic corpora: where the crossover lies on one machine.

Uses the corpora of benchmarks/scale.py (generated there, or here if missing). Each run is its own process;
its peak memory is the largest sum, sampled every 0.2 s, of the resident memory of it and all its
descendants (for Spark: the driver, the JVM and the Python workers; locally: the worker processes too).

Run: python benchmarks/spark_scale.py [--sizes 100000 1000000]
Writes benchmarks/results/spark_scale.json and spark_scale.png.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from _common import print_table, save_plot, write_results
from scale import WORK, generate, prefix

_CHILD = """
import json, sys, threading, time
import psutil
from dedup.config import DedupConfig
peak = [0]
def sample():
    me = psutil.Process()
    while True:
        try:
            tree = [me, *me.children(recursive=True)]
            peak[0] = max(peak[0], sum(p.memory_info().rss for p in tree))
        except psutil.Error:
            pass
        time.sleep(0.2)
threading.Thread(target=sample, daemon=True).start()
start = time.perf_counter()
if sys.argv[3] == "spark":
    from dedup.spark import run_corpus_spark, spark_session
    conf = {"spark.driver.memory": "8g", "spark.sql.shuffle.partitions": "16"}
    manifest = run_corpus_spark(sys.argv[1], sys.argv[2], DedupConfig(), master="local[2]", conf=conf)
    spark_session().stop()
else:
    from dedup.corpus import CorpusOptions, run_corpus
    manifest = run_corpus(sys.argv[1], sys.argv[2], opts=CorpusOptions(workers=2))
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "kept": manifest["counts"]["kept"], "peak_mb": peak[0] / 2**20}))
"""


def run(engine: str, corpus, out) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(corpus), str(out), engine], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    args = parser.parse_args()
    largest = generate(max(args.sizes), WORK / f"synthetic-{max(args.sizes)}.jsonl")
    results, rows = [], []
    for n in sorted(args.sizes):
        corpus = prefix(largest, n)
        entry = {"documents": n}
        for engine in ("local", "spark"):
            entry[engine] = run(engine, corpus, WORK / f"out-{engine}-engine-{n}")
        results.append(entry)
        local, spark = entry["local"], entry["spark"]
        rows.append(
            [
                f"{n:,}",
                f"{local['seconds']:.1f}",
                f"{local['peak_mb']:.0f}",
                local["kept"],
                f"{spark['seconds']:.1f}",
                f"{spark['peak_mb']:.0f}",
                spark["kept"],
                f"{spark['seconds'] / local['seconds']:.1f}×",
            ]
        )
    print("local engine (2 worker processes) vs Spark local[2], same corpora and settings")
    print_table(["documents", "local s", "local MB", "kept", "spark s", "spark MB", "kept", "spark/local"], rows)
    write_results("spark_scale", {"results": results})
    _plot(results)


def _plot(results: list[dict]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.4))
    sizes = [r["documents"] for r in results]
    for engine, color in (("local", "#3b7dd8"), ("spark", "#d8733b")):
        ax.loglog(sizes, [r[engine]["seconds"] for r in results], marker="o", color=color, label=engine)
    ax.set_xlabel("documents")
    ax.set_ylabel("seconds, end to end")
    ax.set_title("One machine: local engine vs Spark local[2]")
    ax.legend()
    fig.tight_layout()
    save_plot(fig, "spark_scale")


if __name__ == "__main__":
    main()
