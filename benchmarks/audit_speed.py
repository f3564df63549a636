"""`dedup audit` on all of SaudiNewsNet as a user runs it: wall time and peak memory of the command as
a process, start-up included, cold (an empty compiled-code cache) and warm (best of --repeat), beside
the floor (a process that reads the file and parses every row) and `dedup corpus` on the same file.
The audit's own stage timings (in-process, from its manifest) show where the time goes.

Run: python benchmarks/audit_speed.py [--repeat 3]
Writes benchmarks/results/audit_speed.json and audit_speed.png.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import measure, print_table, saudinewsnet_jsonl, save_plot, write_results

FLOOR = (
    "import json, sys\nwith open(sys.argv[1], encoding='utf-8') as f:\n    rows = [json.loads(line) for line in f]\n"
)


def report_check(out: Path) -> dict:
    """Open the full report in headless Chromium: seconds until its script has run, pairs it lists,
    and whether a pair picked by id is reachable (its row links to a page holding that pair)."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        return {"skipped": "no chromium here"}
    start = time.perf_counter()
    done = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--virtual-time-budget=5000",
            "--dump-dom",
            (out / "report.html").as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    seconds = time.perf_counter() - start
    html = (out / "report.html").read_text(encoding="utf-8")
    data = json.loads(re.search(r'id="pairs-data">(.*?)</script>', html, re.S).group(1).replace("<\\/", "</"))
    with (out / "pairs.csv").open(encoding="utf-8") as handle:
        wanted = list(csv.DictReader(handle))[len(data) // 2]  # a pair in the middle of pairs.csv
    row = next(r for r in data if (r[0], r[1]) == (wanted["source_id"], wanted["copy_id"]))
    page, anchor = row[12].split("#")
    target = (out / page).read_text(encoding="utf-8")
    return {
        "seconds_to_ready": round(seconds, 2),
        "ready": 'data-ready="1"' in done.stdout,
        "pairs_listed": len(data),
        "pair_reachable": f'id="{anchor}"' in target and f'data-copy="{wanted["copy_id"]}"' in target,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    corpus = saudinewsnet_jsonl(Path(tempfile.gettempdir()) / "dedup-bench" / "saudinewsnet.jsonl")
    work = Path(tempfile.mkdtemp(prefix="dedup-audit-speed-"))
    dedup = str(Path(sys.executable).parent / "dedup")
    audit = [dedup, "audit", str(corpus), "--out", str(work / "audit")]
    cold_env = {**os.environ, "NUMBA_CACHE_DIR": str(work / "numba-cache")}  # nothing compiled yet
    results = {"cold": measure(audit, cold_env)}
    shutil.rmtree(work / "numba-cache", ignore_errors=True)
    runs = {
        "floor (read + parse rows)": [sys.executable, "-c", FLOOR, str(corpus)],
        "dedup audit (warm)": audit,
        "dedup corpus (warm)": [dedup, "corpus", str(corpus), "--out", str(work / "corpus")],
    }
    for name, command in runs.items():
        best = min((measure(command) for _ in range(args.repeat)), key=lambda r: r[0])
        results[name] = best
    manifest = json.loads((work / "audit" / "manifest.json").read_text(encoding="utf-8"))
    report = report_check(work / "audit")
    print(f"report.html in headless Chromium: {report}")
    floor = results["floor (read + parse rows)"][0]
    table = [
        [
            "dedup audit (cold: empty compiled-code cache)",
            f"{results['cold'][0]:.1f}",
            f"{results['cold'][1]:,.0f}",
            "",
        ],
        *[[name, f"{s:.1f}", f"{mb:,.0f}", f"{s / floor:.1f}x"] for name, (s, mb) in results.items() if name != "cold"],
    ]
    print(f"SaudiNewsNet: {manifest['counts']['read']:,} rows, {manifest['pairs']:,} cross-outlet pairs")
    print_table(["command (a process, start-up included)", "wall s", "peak MB", "vs floor"], table)
    stages = manifest["timings_s"]
    print("audit stages (in-process): " + ", ".join(f"{k} {v:.1f} s" for k, v in stages.items()))
    memory_ratio = results["dedup audit (warm)"][1] / results["dedup corpus (warm)"][1]
    print(f"audit memory / corpus run memory: {memory_ratio:.2f}")
    write_results(
        "audit_speed",
        {
            "rows": manifest["counts"]["read"],
            "pairs": manifest["pairs"],
            "process": {k: {"seconds": round(s, 2), "peak_mb": round(mb)} for k, (s, mb) in results.items()},
            "audit_stages_in_process": stages,
            "audit_memory_over_corpus_memory": round(memory_ratio, 2),
            "report_in_chromium": report,
        },
    )
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.5))
    names = list(results)
    left.barh(names, [results[n][0] for n in names], color="#4c72b0")
    left.set_xlabel("wall seconds, as a process")
    right.barh(list(stages), list(stages.values()), color="#dd8452")
    right.set_xlabel("audit stage seconds (in-process)")
    fig.tight_layout()
    save_plot(fig, "audit_speed")


if __name__ == "__main__":
    main()
