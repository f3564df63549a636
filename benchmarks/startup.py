"""Start-up as a new user meets it: `dedup --help`, `dedup paragraphs` on the seed article and the README's
audit command, each a process, in a fresh virtual environment installed with the README's command; first
cold (numba's cache and dedup's `__pycache__` empty before every run: the first run after install), then
warm. Best of --repeat, since the machine is shared.

Run: python benchmarks/startup.py [--repeat 3]
Writes benchmarks/results/startup.json and startup.png.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, measure, print_table, save_plot, write_results

TARGETS = {  # command -> (cold, warm) targets in seconds, from issue 13
    "dedup --help": (None, 0.2),
    "dedup paragraphs data/seed_article.txt": (1.0, 0.3),
    "dedup audit data/audit/articles.jsonl --out OUT": (None, 1.0),
}


def fresh_venv(where: Path) -> tuple[Path, float]:
    """A new virtual environment with dedup installed as the README says; its ``dedup`` and the install seconds."""
    shutil.rmtree(where, ignore_errors=True)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True)
    pip = [str(where / "bin" / "python"), "-m", "pip", "install", "-q", "-e", str(ROOT)]
    subprocess.run(pip, check=True, capture_output=True)
    return where / "bin" / "dedup", time.perf_counter() - start


def forget_bytecode() -> None:
    """Remove dedup's compiled bytecode (the editable install runs the source tree)."""
    for folder in (ROOT / "dedup").rglob("__pycache__"):
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="dedup-startup-"))
    dedup, install = fresh_venv(Path(tempfile.gettempdir()) / "dedup-bench" / "startup-venv")
    commands = {
        "dedup --help": [str(dedup), "--help"],
        "dedup paragraphs data/seed_article.txt": [str(dedup), "paragraphs", str(ROOT / "data" / "seed_article.txt")],
        "dedup audit data/audit/articles.jsonl --out OUT": [
            str(dedup),
            "audit",
            str(ROOT / "data" / "audit" / "articles.jsonl"),
            "--out",
            str(work / "audit"),
        ],
    }
    results: dict[str, dict[str, float]] = {}
    for name, command in commands.items():
        cold = []
        for trial in range(args.repeat):
            forget_bytecode()
            env = {**os.environ, "NUMBA_CACHE_DIR": str(work / f"numba-{trial}-{len(results)}")}
            cold.append(measure(command, env)[0])
        warm_env = {**os.environ, "NUMBA_CACHE_DIR": str(work / "numba-warm")}
        measure(command, warm_env)  # fills the caches
        warm = [measure(command, warm_env)[0] for _ in range(args.repeat)]
        results[name] = {"cold_s": round(min(cold), 3), "warm_s": round(min(warm), 3)}
    shutil.rmtree(work, ignore_errors=True)
    rows = []
    for name, times in results.items():
        cold_target, warm_target = TARGETS[name]
        rows.append(
            [
                name,
                f"{times['cold_s']:.2f}",
                f"<= {cold_target}" if cold_target else "",
                f"{times['warm_s']:.2f}",
                f"<= {warm_target}",
            ]
        )
    print(f"fresh venv, `pip install -e .`: {install:.0f} s; best of {args.repeat}, wall seconds per process")
    print_table(["command", "first run (cold)", "target", "warm", "target"], rows)
    write_results(
        "startup",
        {"repeat": args.repeat, "install_s": round(install, 1), "results": results, "targets_s": TARGETS},
    )
    _plot(results)


def _plot(results: dict[str, dict[str, float]]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 2.8))
    names = list(results)
    at = range(len(names))
    ax.barh([y + 0.2 for y in at], [results[n]["cold_s"] for n in names], 0.4, label="first run", color="#dd8452")
    ax.barh([y - 0.2 for y in at], [results[n]["warm_s"] for n in names], 0.4, label="warm", color="#4c72b0")
    ax.set_yticks(list(at), [n.replace(" data/", "\ndata/") for n in names], fontsize=8)
    ax.set_xlabel("wall seconds per process (best of N)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    save_plot(fig, "startup")


if __name__ == "__main__":
    main()
