"""Front end 3: deduplicate a whole corpus with bounded memory, keeping one document per cluster.

Signatures stream to a file on disk in batches (signed on all cores), candidate
pairs come from sorting band keys one band at a time, clusters from connected
components over integer ids. Outputs are built in a temporary folder that replaces
``out`` only when everything is written, so an interrupted run leaves nothing that
looks finished.
"""

from __future__ import annotations

import csv
import gzip
import json
import os
import resource
import shutil
import time
import zlib
from collections import Counter, deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
from tqdm import tqdm

from dedup.config import DedupConfig
from dedup.lsh import band_keys, candidate_pairs, connected_components, estimated_jaccard
from dedup.pipeline import Pipeline
from dedup.records import FieldNames, FileError, Record, Rejected, batched, input_files, read_records

__all__ = ["CorpusError", "CorpusOptions", "run_corpus"]

_MANIFEST = "manifest.json"


class CorpusError(Exception):
    """The run cannot go on; ``str()`` says why in one line."""


@dataclass(frozen=True)
class CorpusOptions:
    """How a corpus run reads, keeps and writes."""

    keep: Literal["earliest", "longest", "first"] = "first"
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    batch_size: int = 2000
    max_chars: int = 10_000_000
    fields: FieldNames = field(default_factory=FieldNames)
    progress: bool = False

    def __post_init__(self) -> None:
        if self.keep not in ("earliest", "longest", "first"):
            raise ValueError(f"keep must be earliest, longest or first, got {self.keep!r}")
        if self.workers < 1 or self.batch_size < 1 or self.max_chars < 1:
            raise ValueError("workers, batch size and max chars must be positive")


# --- signing, in worker processes -------------------------------------------------------------

_worker_pipeline: Pipeline | None = None


def _init_worker(cfg: DedupConfig) -> None:
    global _worker_pipeline
    _worker_pipeline = Pipeline(cfg)


def _sign_texts(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    batch = _worker_pipeline.sign(texts)
    return batch.signatures, batch.nonempty


class _Signer:
    """Signs batches in order, in a process pool when ``workers > 1``, with a bounded queue."""

    def __init__(self, cfg: DedupConfig, workers: int) -> None:
        self.pool = ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(cfg,)) if workers > 1 else None
        self.window = 2 * workers
        if self.pool is None:
            _init_worker(cfg)

    def map(self, batches: Iterator[list]) -> Iterator[tuple[list, tuple[np.ndarray, np.ndarray]]]:
        """(batch, (signatures, nonempty)) for each batch, in input order."""
        if self.pool is None:
            for batch in batches:
                yield batch, _sign_texts([r.text for r in batch])
            return
        pending: deque[tuple[list, Future]] = deque()
        for batch in batches:
            pending.append((batch, self.pool.submit(_sign_texts, [r.text for r in batch])))
            if len(pending) >= self.window:
                done, future = pending.popleft()
                yield done, future.result()
        while pending:
            done, future = pending.popleft()
            yield done, future.result()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)


# --- the run ----------------------------------------------------------------------------------


@dataclass
class _Documents:
    """Per-document columns, appended batch by batch; signatures live in a file."""

    ids: list[str] = field(default_factory=list)
    file: list[np.ndarray] = field(default_factory=list)
    line: list[np.ndarray] = field(default_factory=list)
    date: list[np.ndarray] = field(default_factory=list)
    length: list[np.ndarray] = field(default_factory=list)
    nonempty: list[np.ndarray] = field(default_factory=list)

    def add(self, batch: list[Record], nonempty: np.ndarray) -> None:
        self.ids.extend(r.id for r in batch)
        self.file.append(np.array([r.file for r in batch], dtype=np.int32))
        self.line.append(np.array([r.line for r in batch], dtype=np.int64))
        self.date.append(np.array([np.nan if r.date is None else r.date for r in batch], dtype=np.float64))
        self.length.append(np.array([len(r.text) for r in batch], dtype=np.int64))
        self.nonempty.append(nonempty)

    def column(self, name: str, dtype: type) -> np.ndarray:
        parts = getattr(self, name)
        return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)


def _choose_kept(labels: np.ndarray, policy: str, length: np.ndarray, date: np.ndarray) -> np.ndarray:
    """The representative of each document's cluster under ``policy``; ties go to the first seen."""
    n = len(labels)
    index = np.arange(n)
    if policy == "first" or n == 0:
        return labels.copy()
    # earliest: undated documents come after dated ones
    primary = -length if policy == "longest" else np.where(np.isnan(date), np.inf, date)
    order = np.lexsort((index, primary, labels))
    first_of_cluster = np.ones(n, dtype=bool)
    first_of_cluster[1:] = labels[order][1:] != labels[order][:-1]
    best = np.empty(n, dtype=np.int64)
    best[labels[order][first_of_cluster]] = order[first_of_cluster]
    return best[labels]


def _similar_pairs(signatures: np.ndarray, nonempty: np.ndarray, pipeline: Pipeline) -> tuple[np.ndarray, np.ndarray]:
    """Verified similar pairs, one band at a time so that memory stays at a few arrays of N."""
    rows = np.flatnonzero(nonempty)
    found = []
    r = pipeline.rows
    for band in range(pipeline.bands):
        keys = band_keys(np.asarray(signatures[rows, band * r : (band + 1) * r]), 1, r)
        pairs = rows[candidate_pairs(keys, pipeline.cfg.lsh.max_bucket_pairs)]
        if len(pairs):
            found.append(pairs)
    if not found:
        return np.empty((0, 2), dtype=np.int64), np.empty(0)
    pairs = np.unique(np.concatenate(found), axis=0)
    sims = estimated_jaccard(signatures, pairs)
    keep = sims >= pipeline.cfg.lsh.threshold
    return pairs[keep], sims[keep]


def _peak_memory_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(max(own, children) / 1024, 1)


def _prepare_out(out: Path) -> Path:
    """A fresh temporary folder beside ``out``; refuse to replace a folder that is not a previous output."""
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / _MANIFEST).exists())):
        raise CorpusError(f"{out}: exists and is not a dedup output folder; refusing to replace it")
    out.parent.mkdir(parents=True, exist_ok=True)
    for stale in out.parent.glob(f".{out.name}.partial-*"):
        shutil.rmtree(stale, ignore_errors=True)
    tmp = out.parent / f".{out.name}.partial-{os.getpid()}"
    tmp.mkdir()
    return tmp


def _publish(tmp: Path, out: Path) -> None:
    """Move the finished temporary folder into place, replacing a previous output."""
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    if out.exists():
        out.rename(old)
    tmp.rename(out)
    shutil.rmtree(old, ignore_errors=True)


def _write_kept(files: list[Path], kept_lines: dict[int, np.ndarray], dest: Path) -> None:
    """Copy the kept rows of each input file, in its own format, under ``dest``."""
    dest.mkdir()
    for index, wanted in kept_lines.items():
        path = files[index]
        target = dest / (f"{index:05d}-{path.name}" if len(files) > 1 else path.name)
        if path.name.endswith(".parquet"):
            import pyarrow.parquet as pq

            table = pq.read_table(path)
            pq.write_table(table.filter(np.isin(np.arange(1, table.num_rows + 1), wanted)), target)
            continue
        opener = gzip.open if path.name.endswith(".gz") else open
        keep = set(wanted.tolist())
        with opener(path, "rb") as src, opener(target, "wb") as dst:
            try:
                for number, raw in enumerate(src, start=1):
                    if number in keep:
                        dst.write(raw if raw.endswith(b"\n") else raw + b"\n")
            except (OSError, EOFError, zlib.error):
                pass  # the rest of a damaged file was never read, and is reported in file_errors


def run_corpus(
    input_path: str | Path, out: str | Path, cfg: DedupConfig | None = None, opts: CorpusOptions | None = None
) -> dict:
    """Deduplicate the corpus at ``input_path`` into folder ``out``; return the manifest."""
    cfg, opts, out = cfg or DedupConfig(), opts or CorpusOptions(), Path(out)
    try:
        files = input_files(input_path)
    except FileError as err:
        raise CorpusError(str(err)) from None
    pipeline = Pipeline(cfg)
    tmp = _prepare_out(out)
    try:
        manifest = _run(files, tmp, pipeline, opts)
        _publish(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest


def _run(files: list[Path], tmp: Path, pipeline: Pipeline, opts: CorpusOptions) -> dict:
    timings: dict[str, float] = {}
    start = time.perf_counter()
    docs = _Documents()
    reasons: Counter[str] = Counter()
    file_errors: list[str] = []
    num_perm = pipeline.cfg.minhash.num_perm
    sig_path = tmp / "signatures.u32"

    with (tmp / "rejected.csv").open("w", newline="", encoding="utf-8") as rejected_file:
        rejected = csv.writer(rejected_file)
        rejected.writerow(["file", "line", "id", "kind", "reason"])

        def on_other(item: Rejected | FileError) -> None:
            if isinstance(item, FileError):
                file_errors.append(str(item))
                return
            reasons[item.kind] += 1
            rejected.writerow([files[item.file].name, item.line, item.id or "", item.kind, item.reason])

        signer = _Signer(pipeline.cfg, opts.workers)
        records = read_records(files, opts.fields, opts.max_chars)
        bar = tqdm(desc="read and sign", unit=" docs", disable=not opts.progress)
        try:
            with sig_path.open("wb") as sig_file:
                for batch, (signatures, nonempty) in signer.map(batched(records, opts.batch_size, on_other)):
                    sig_file.write(np.ascontiguousarray(signatures).tobytes())
                    docs.add(batch, nonempty)
                    bar.update(len(batch))
        finally:
            bar.close()
            signer.close()
    timings["read_and_sign"] = time.perf_counter() - start

    n = len(docs.ids)
    if n == 0 and file_errors:
        raise CorpusError("no input could be read: " + "; ".join(file_errors))
    signatures = (
        np.memmap(sig_path, dtype=pipeline.hasher.dtype, mode="r", shape=(n, num_perm))
        if n
        else np.zeros((0, num_perm), dtype=pipeline.hasher.dtype)
    )
    t = time.perf_counter()
    pairs, _ = _similar_pairs(signatures, docs.column("nonempty", bool), pipeline)
    timings["candidates_and_verify"] = time.perf_counter() - t

    t = time.perf_counter()
    labels = connected_components(n, pairs)
    kept_of = _choose_kept(labels, opts.keep, docs.column("length", np.int64), docs.column("date", np.float64))
    is_kept = kept_of == np.arange(n)
    timings["cluster"] = time.perf_counter() - t

    t = time.perf_counter()
    dupes = np.flatnonzero(~is_kept)
    similarity = estimated_jaccard(signatures, np.stack([dupes, kept_of[dupes]], axis=1)) if len(dupes) else []
    _write_duplicates(tmp, docs.ids, dupes, labels, kept_of, similarity)
    file_col, line_col = docs.column("file", np.int32), docs.column("line", np.int64)
    kept_lines = {int(f): np.sort(line_col[is_kept & (file_col == f)]) for f in np.unique(file_col[is_kept])}
    _write_kept(files, kept_lines, tmp / "kept")
    del signatures
    sig_path.unlink()
    timings["write"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - start

    rejected_count = sum(reasons.values())
    manifest = {
        "tool": "dedup",
        "inputs": [str(p) for p in files],
        "counts": {
            "read": n + rejected_count,
            "kept": int(is_kept.sum()),
            "duplicates": len(dupes),
            "rejected": rejected_count,
        },
        "clusters_with_duplicates": len(np.unique(labels[dupes])),
        "undated": int(np.isnan(docs.column("date", np.float64)).sum()),
        "rejected_by_reason": dict(sorted(reasons.items())),
        "file_errors": file_errors,
        "settings": {
            **pipeline.cfg.describe(),
            "bands": pipeline.bands,
            "rows": pipeline.rows,
            **{k: v for k, v in asdict(opts).items() if k != "progress"},
        },
        "timings_s": {k: round(v, 3) for k, v in timings.items()},
        "peak_memory_mb": _peak_memory_mb(),
        "outputs": {"kept": "kept/", "duplicates": "duplicates.csv", "rejected": "rejected.csv"},
    }
    if (tmp / "duplicates.parquet").exists():
        manifest["outputs"]["duplicates_parquet"] = "duplicates.parquet"
    (tmp / _MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return manifest


def _write_duplicates(
    tmp: Path, ids: list[str], dupes: np.ndarray, labels: np.ndarray, kept_of: np.ndarray, similarity
) -> None:
    """duplicates.csv (and .parquet where pyarrow is installed): id, cluster, kept_id, similarity."""
    rows = [
        (ids[d], int(labels[d]), ids[kept_of[d]], round(float(s), 4))
        for d, s in zip(dupes.tolist(), similarity, strict=True)
    ]
    with (tmp / "duplicates.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "cluster", "kept_id", "similarity"])
        writer.writerows(rows)
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        return
    columns = list(zip(*rows, strict=True)) if rows else [[], [], [], []]
    table = pa.table(
        {
            "id": pa.array(columns[0], pa.string()),
            "cluster": pa.array(columns[1], pa.int64()),
            "kept_id": pa.array(columns[2], pa.string()),
            "similarity": pa.array(columns[3], pa.float64()),
        }
    )
    pq.write_table(table, tmp / "duplicates.parquet")
