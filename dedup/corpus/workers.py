"""Signing in worker processes: each batch of raw rows is parsed, normalized, shingled and signed where
it lands, and only arrays come back to the main process."""

from __future__ import annotations

import ctypes
import signal
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TypeVar

import numpy as np

from dedup.config import DedupConfig
from dedup.corpus.options import CorpusOptions
from dedup.jit import compiled_only
from dedup.paragraph_rule import Facts, paragraph_facts
from dedup.pipeline import Pipeline
from dedup.policy import (
    copy_penalty,
    outlet_of,
)
from dedup.records import (
    Record,
    Rejected,
    RowBatch,
    parse_batch,
)
from dedup.textio import RunError, stops_held

_In = TypeVar("_In")
_Out = TypeVar("_Out")
_worker: dict = {}  # this worker process's pipeline and options, set by its initializer


def _init_worker(cfg: DedupConfig, opts: CorpusOptions) -> None:
    _worker["pipeline"], _worker["opts"] = Pipeline(cfg), opts


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD, _PR_SET_PDEATHSIG = -1, -3, 1


def _init_pool_worker(cfg: DedupConfig, opts: CorpusOptions) -> None:
    """A worker process: dies with the main process, leaves stopping to it, keeps freed memory.

    SIGINT (Ctrl-C reaches the whole process group) and SIGTERM are ignored: the main process stops the pool
    and cleans up; if it is killed outright, Linux kills the worker too (no orphans; with the
    forkserver start method, when the server the worker came from exits with it). glibc is asked to keep
    freed memory for the next batch: every batch allocates arrays of megabytes, and unmapping them and
    faulting fresh pages in was most of the workers' system time (0.4 s of CPU in 100k documents, 0.14 s
    after this). Best effort: other systems and C libraries are left as they are.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        libc = ctypes.CDLL(None)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        libc.mallopt(_M_TRIM_THRESHOLD, 1 << 28)
        libc.mallopt(_M_MMAP_THRESHOLD, 1 << 28)
    except (OSError, AttributeError):
        pass
    _init_worker(cfg, opts)


@dataclass(frozen=True)
class BatchResult:
    """What a worker sends back: signatures and shingle hashes, and for documents their columns (not their text).

    The hashes are in text order with repeats: verification reads them as sets as they are
    (:func:`dedup.lsh.overlaps`), so nobody sorts them.
    """

    signatures: np.ndarray
    shingles: np.ndarray
    shingle_counts: np.ndarray
    file: int = -1
    ids: list[str] = field(default_factory=list)
    lines: np.ndarray | None = None
    dates: np.ndarray | None = None
    lengths: np.ndarray | None = None
    penalties: np.ndarray | None = None  # policy.copy_penalty of each text
    rejected: list[Rejected] = field(default_factory=list)


def _sign_texts(texts: list[str]) -> BatchResult:
    batch = _worker["pipeline"].sign(texts)
    return BatchResult(batch.signatures, batch.shingles, np.diff(batch.shingle_offsets))


def facts_of_batch(job: tuple[RowBatch, np.ndarray]) -> tuple[Facts, np.ndarray, list[str]]:
    """Parse the rows of kept documents (numbered by ``owners``): their paragraphs' facts, and their outlets."""
    rows, owners = job
    opts: CorpusOptions = _worker["opts"]
    records = []
    for record in parse_batch(rows, opts.read_fields, opts.max_chars):
        if not isinstance(record, Record):
            raise RunError(f"input file {record.file + 1}, line {record.line} changed during the run: {record.reason}")
        records.append(record)
    outlets = [outlet_of(r, opts.outlet_field) for r in records]
    return paragraph_facts(owners.tolist(), [r.text for r in records], _worker["pipeline"]), owners, outlets


def parse_and_sign(rows: RowBatch) -> BatchResult:
    """Parse raw rows (JSON decoding is the costly part of reading) and sign the usable ones."""
    opts: CorpusOptions = _worker["opts"]
    parsed = parse_batch(rows, opts.read_fields, opts.max_chars)
    records = [item for item in parsed if isinstance(item, Record)]
    signed = _sign_texts([r.text for r in records])
    return replace(
        signed,
        file=rows.file,
        ids=[r.id for r in records],
        lines=np.fromiter((r.line for r in records), dtype=np.int64, count=len(records)),
        dates=np.array([np.nan if r.date is None else r.date for r in records], dtype=np.float64),
        lengths=np.fromiter((len(r.text) for r in records), dtype=np.int64, count=len(records)),
        penalties=np.fromiter(
            (copy_penalty(r.text, outlet_of(r, opts.outlet_field)) for r in records), dtype=np.int64, count=len(records)
        ),
        rejected=[item for item in parsed if isinstance(item, Rejected)],
    )


class Signer:
    """Runs a task on batches in order, in a process pool when ``workers > 1``, with a bounded queue.

    Signing is its main task; the kept gzip output is compressed through it too.
    """

    def __init__(self, cfg: DedupConfig, opts: CorpusOptions) -> None:
        workers = opts.workers
        _init_worker(cfg, opts)
        # Load the compiled kernels and the normalization arrays once, here: forked
        # workers inherit them instead of each paying for it (about 0.3 s of CPU a process).
        with compiled_only():
            _sign_texts(["نص عربي قصير للتهيئة"])
        self.pool = (
            ProcessPoolExecutor(workers, initializer=_init_pool_worker, initargs=(cfg, opts)) if workers > 1 else None
        )
        self.window = 2 * workers

    def map(self, batches: Iterator[_In], task: Callable[[_In], _Out]) -> Iterator[_Out]:
        """``task(batch)`` for each batch, in input order."""
        if self.pool is None:
            yield from map(task, batches)
            return
        pending: deque[Future] = deque()
        for batch in batches:
            # Ctrl-C inside submit() leaves the pool's lock taken and shutdown() waiting on it forever.
            with stops_held():
                pending.append(self.pool.submit(task, batch))
            if len(pending) >= self.window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
