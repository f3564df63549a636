"""The run's state between stages: signatures streamed to a file on disk (memory-mapped, released after
each band), and the columns of every document (file, line, date, length, keep penalty)."""

from __future__ import annotations

import mmap
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import numpy as np
from tqdm import tqdm

from dedup.corpus.workers import BatchResult, Signer
from dedup.pipeline import Pipeline

_In = TypeVar("_In")


class _Mapped:
    """A read-only memory map of a work file whose pages can be handed back, so they stop counting as memory."""

    def __init__(self, path: Path, dtype: np.dtype, shape: tuple[int, ...]) -> None:
        self.map = None
        self.array = np.zeros(shape, dtype=dtype)
        if self.array.size:
            with path.open("rb") as handle:
                self.map = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
            self.array = np.frombuffer(self.map, dtype=dtype, count=int(np.prod(shape))).reshape(shape)

    def release(self) -> None:
        if self.map is not None:
            self.map.madvise(mmap.MADV_DONTNEED)


_VERIFY_CHUNK = 4096  # pairs; the shingle pages they touch (up to 8 KiB a record) are released after each


@dataclass(frozen=True)
class _Signed:
    """Signatures (one file per band, and a whole-row file when estimates are verified) and shingle hashes."""

    stem: Path
    n: int
    rows: int
    signatures: _Mapped | None
    shingles: _Mapped
    offsets: np.ndarray
    progress: bool = False

    def _bar(self, stage: str, total: int, unit: str) -> tqdm:
        return tqdm(total=total, desc=f"{self.stem.name}: {stage}", unit=unit, disable=not self.progress)

    @property
    def nonempty(self) -> np.ndarray:
        return self.offsets[1:] > self.offsets[:-1]

    def band(self, b: int) -> np.ndarray:
        return np.fromfile(self.stem.with_suffix(f".band{b}"), dtype=np.uint32).reshape(self.n, self.rows)

    def similarity(self, pipeline: Pipeline, pairs: np.ndarray) -> np.ndarray:
        """Jaccard of each pair as configured, in chunks whose pages are released after use."""
        out = np.zeros(len(pairs), dtype=np.float64)
        with self._bar("verify", len(pairs), " pairs") as bar:
            for lo in range(0, len(pairs), _VERIFY_CHUNK):
                chunk = pairs[lo : lo + _VERIFY_CHUNK]
                signatures = self.signatures.array if self.signatures is not None else None
                out[lo : lo + len(chunk)] = pipeline.similarity(signatures, chunk, (self.shingles.array, self.offsets))
                for mapped in (self.shingles, self.signatures):
                    if mapped is not None:
                        mapped.release()
                bar.update(len(chunk))
        return out

    def similar_pairs(self, pipeline: Pipeline) -> tuple[np.ndarray, np.ndarray]:
        with self._bar("candidates", pipeline.bands, " bands") as bar:

            def band(b: int) -> np.ndarray:
                bar.update()
                return self.band(b)

            pairs = pipeline.candidates(band, self.nonempty)
        sims = self.similarity(pipeline, pairs)
        keep = sims >= pipeline.cfg.lsh.threshold
        return pairs[keep], sims[keep]


def sign_to_disk(
    signer: Signer,
    batches: Iterator[_In],
    task: Callable[[_In], BatchResult],
    stem: Path,
    pipeline: Pipeline,
    on_batch: Callable[[BatchResult], np.ndarray | None],
    progress: bool,
) -> _Signed:
    """Run ``task`` on every batch and write what it signs into work files beside ``stem``.

    ``on_batch`` sees each result first and may return a mask of the records to keep.
    Memory keeps only 8 bytes per record.
    """
    sizes = []
    r, hasher = pipeline.rows, pipeline.hasher
    whole = pipeline.cfg.lsh.verify == "estimate"
    with ExitStack() as stack:
        bands = [stack.enter_context(stem.with_suffix(f".band{b}").open("wb")) for b in range(pipeline.bands)]
        shingle_file = stack.enter_context(stem.with_suffix(".shingles").open("wb"))
        sig_file = stack.enter_context(stem.with_suffix(".sig").open("wb")) if whole else None
        bar = stack.enter_context(tqdm(desc=f"{stem.name}: read and sign", unit=" rows", disable=not progress))
        for result in signer.map(batches, task):
            bar.update(len(result.shingle_counts) + len(result.rejected))
            signatures, shingles, counts = result.signatures, result.shingles, result.shingle_counts
            keep = on_batch(result)
            if keep is not None and not keep.all():
                shingles = shingles[np.repeat(keep, counts)]
                signatures, counts = signatures[keep], counts[keep]
            for b, handle in enumerate(bands):
                handle.write(np.ascontiguousarray(signatures[:, b * r : (b + 1) * r], dtype=np.uint32).tobytes())
            if sig_file is not None:
                sig_file.write(np.ascontiguousarray(signatures).tobytes())
            shingle_file.write(np.ascontiguousarray(shingles, dtype=np.uint32).tobytes())
            sizes.append(counts)
    offsets = np.zeros(sum(map(len, sizes)) + 1, dtype=np.int64)
    if sizes:
        np.cumsum(np.concatenate(sizes), out=offsets[1:])
    n = len(offsets) - 1
    signatures = _Mapped(stem.with_suffix(".sig"), hasher.dtype, (n, hasher.cfg.num_perm)) if whole else None
    shingles = _Mapped(stem.with_suffix(".shingles"), np.dtype(np.uint32), (int(offsets[-1]),))
    return _Signed(stem, n, r, signatures, shingles, offsets, progress)


@dataclass
class Documents:
    """Per-document columns, appended batch by batch; signatures live in a file."""

    ids: list[str] = field(default_factory=list)
    file: list[np.ndarray] = field(default_factory=list)
    line: list[np.ndarray] = field(default_factory=list)
    date: list[np.ndarray] = field(default_factory=list)
    length: list[np.ndarray] = field(default_factory=list)
    penalty: list[np.ndarray] = field(default_factory=list)

    def add(self, batch: BatchResult, keep: np.ndarray) -> None:
        """The documents of a signed batch that ``keep`` selects."""
        self.ids.extend(doc_id for doc_id, k in zip(batch.ids, keep.tolist(), strict=True) if k)
        self.file.append(np.full(int(keep.sum()), batch.file, dtype=np.int32))
        self.line.append(batch.lines[keep])
        self.date.append(batch.dates[keep])
        self.length.append(batch.lengths[keep])
        self.penalty.append(batch.penalties[keep])

    def columns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """file, line, date, length and copy penalty of every document, each as one array."""
        return tuple(
            np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)
            for parts, dtype in (
                (self.file, np.int32),
                (self.line, np.int64),
                (self.date, np.float64),
                (self.length, np.int64),
                (self.penalty, np.int64),
            )
        )
