"""Helpers shared by the benchmark scripts: real data from ../shared/data, timing, result files."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("DEDUP_SHARED_DATA", ROOT.parent / "shared" / "data"))
RESULTS = Path(__file__).resolve().parent / "results"


def saudinewsnet(limit: int | None = None) -> Iterator[dict]:
    """SaudiNewsNet articles in crawl order, as the dicts of its JSON files."""
    folder = SHARED / "saudinewsnet"
    zips = sorted(folder.glob("*.zip"))
    if not zips:
        sys.exit(f"benchmark data not found: {folder} (set DEDUP_SHARED_DATA to the shared data folder)")
    count = 0
    for path in zips:
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                for article in json.loads(archive.read(name)):
                    yield article
                    count += 1
                    if limit is not None and count >= limit:
                        return


def paragraphs(limit: int) -> list[str]:
    """Up to ``limit`` non-empty paragraphs (lines) of SaudiNewsNet articles."""
    out: list[str] = []
    for article in saudinewsnet():
        out.extend(line for line in (article.get("content") or "").split("\n") if line.strip())
        if len(out) >= limit:
            return out[:limit]
    return out


def timed(func: Callable[[], object], repeat: int = 1) -> tuple[float, object]:
    """Best wall time of ``repeat`` calls (the least disturbed by the rest of the machine), and the result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
    return best, result


@contextmanager
def single_core() -> Iterator[None]:
    """Pin this process to one core, so 'per core' numbers mean that."""
    previous = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(previous)})
    try:
        yield
    finally:
        os.sched_setaffinity(0, previous)


def write_results(name: str, payload: dict) -> Path:
    """Write ``results/<name>.json`` (atomically) with the machine's description, and return its path."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    payload = {
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "load_average_1_5_15_min": os.getloadavg(),  # other work on the machine when the results were written
        },
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        **payload,
    }
    path = RESULTS / f"{name}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def measure(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall seconds and peak resident MB of one process (GNU time's maximum resident set size)."""
    start = time.perf_counter()
    done = subprocess.run(["/usr/bin/time", "-f", "%M", *command], capture_output=True, text=True, env=env, check=True)
    seconds = time.perf_counter() - start
    return seconds, int(done.stderr.strip().splitlines()[-1]) / 1024


def print_table(headers: list[str], rows: list[list]) -> None:
    """A plain aligned table on standard output."""
    cells = [headers] + [[f"{c:,.1f}" if isinstance(c, float) else str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for k, row in enumerate(cells):
        print("  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)))
        if k == 0:
            print("  ".join("-" * w for w in widths))


def saudinewsnet_jsonl(dest: Path, limit: int | None = None) -> Path:
    """SaudiNewsNet as a corpus JSONL (id, outlet, url, published, title, author, text), written once and reused."""
    if dest.exists():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        for n, article in enumerate(saudinewsnet(limit)):
            row = {
                "id": f"snn-{n:06d}",
                "outlet": article.get("source"),
                "url": article.get("url"),
                "published": (article.get("date_extracted") or "").replace(" ", "T"),
                "title": article.get("title"),
                "author": article.get("author"),
                "text": article.get("content"),
            }
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    tmp.replace(dest)
    return dest


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def save_plot(fig, name: str) -> Path:
    """Save a matplotlib figure as results/<name>.png, atomically."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.png"
    tmp = RESULTS / f"{name}.tmp.png"
    fig.savefig(tmp, dpi=110)
    tmp.replace(path)
    return path
