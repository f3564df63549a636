"""Front end 3: deduplicate a whole corpus with bounded memory, keeping one document per cluster.

Signatures stream to a file on disk in batches (signed on all cores), candidate
pairs come from sorting band keys one band at a time, clusters from connected
components over integer ids. Outputs are built in a temporary folder that replaces
``out`` only when everything is written, so an interrupted run leaves nothing that
looks finished.
"""

from __future__ import annotations

import csv
import ctypes
import gzip
import json
import mmap
import os
import re
import signal
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import ExitStack, closing
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Literal, TypeVar

import numpy as np
from tqdm import tqdm

from dedup.config import DedupConfig
from dedup.errors import ConfigError
from dedup.jit import compiled_only
from dedup.lsh import connected_components
from dedup.manifest import Manifest, peak_memory_mb, run_outputs, run_settings
from dedup.paragraph_rule import Facts, ParagraphRule, decide, paragraph_facts, summary
from dedup.pipeline import Pipeline
from dedup.policy import (
    DUPLICATE_COLUMNS,
    KEEP_POLICIES,
    REJECTED_COLUMNS,
    choose_kept,
    copy_penalty,
    fragment_copy_reason,
    keep_rank,
    outlet_of,
    rejected_row,
)
from dedup.records import (
    FieldNames,
    FileError,
    IdCheck,
    Record,
    Rejected,
    RowBatch,
    json_line,
    parquet_batches,
    parse_batch,
    raw_batches,
)
from dedup.segment import drop_lines
from dedup.sources import file_labels, in_archive, input_files, printable_path, unread_files
from dedup.textio import RunError, discard, prepare_out, publish, stops_held, write_csv

__all__ = ["CorpusOptions", "run_corpus"]

_In = TypeVar("_In")
_Out = TypeVar("_Out")


@dataclass(frozen=True)
class CorpusOptions:
    """How a corpus run reads, keeps and writes."""

    keep: Literal["earliest", "longest", "first"] = "first"
    level: Literal["document", "paragraph"] = "document"
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    batch_size: int = 2000
    max_chars: int = 10_000_000
    fields: FieldNames = field(default_factory=FieldNames)
    outlet_field: str = "outlet"
    paragraphs: ParagraphRule = field(default_factory=ParagraphRule)
    progress: bool = False

    def __post_init__(self) -> None:
        if self.keep not in KEEP_POLICIES:
            raise ConfigError(f"keep must be earliest, longest or first, got {self.keep!r}")
        if self.level not in ("document", "paragraph"):
            raise ConfigError(f"level must be document or paragraph, got {self.level!r}")
        if self.workers < 1 or self.batch_size < 1 or self.max_chars < 1:
            raise ConfigError("workers, batch size and max chars must be positive")

    @property
    def read_fields(self) -> FieldNames:
        """The fields read from each row: ``fields`` and the outlet (boilerplate and the keep tie-break use it)."""
        return replace(self.fields, extra=(*self.fields.extra, self.outlet_field))


# --- signing, in worker processes -------------------------------------------------------------

_worker: dict = {}


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
class _SignedBatch:
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


def _sign_texts(texts: list[str]) -> _SignedBatch:
    batch = _worker["pipeline"].sign(texts)
    return _SignedBatch(batch.signatures, batch.shingles, np.diff(batch.shingle_offsets))


def _paragraph_facts(job: tuple[RowBatch, np.ndarray]) -> tuple[Facts, np.ndarray, list[str]]:
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


def _parse_and_sign(rows: RowBatch) -> _SignedBatch:
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


class _Signer:
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


def _sign_to_disk(
    signer: _Signer,
    batches: Iterator[_In],
    task: Callable[[_In], _SignedBatch],
    stem: Path,
    pipeline: Pipeline,
    on_batch: Callable[[_SignedBatch], np.ndarray | None],
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


# --- the run ----------------------------------------------------------------------------------


@dataclass
class _Documents:
    """Per-document columns, appended batch by batch; signatures live in a file."""

    ids: list[str] = field(default_factory=list)
    file: list[np.ndarray] = field(default_factory=list)
    line: list[np.ndarray] = field(default_factory=list)
    date: list[np.ndarray] = field(default_factory=list)
    length: list[np.ndarray] = field(default_factory=list)
    penalty: list[np.ndarray] = field(default_factory=list)

    def add(self, batch: _SignedBatch, keep: np.ndarray) -> None:
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


class _Positions:
    """Where each row of the plain (uncompressed) JSONL inputs lies, so kept rows copy as byte ranges."""

    def __init__(self, files: list[Path]) -> None:
        self.plain = [not p.name.endswith((".gz", ".parquet")) and not in_archive(p) for p in files]
        self.rows: dict[int, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}

    def add(self, batch: RowBatch) -> None:
        """Note line, offset and size of each row of a plain JSONL batch (24 bytes a row)."""
        if self.plain[batch.file] and len(batch) and batch.offsets[0] >= 0:  # not a JSON array's elements
            # Copies: the batch's columns are views of the larger block they were cut from.
            columns = (batch.lines.copy(), batch.offsets.copy(), batch.sizes.copy())
            self.rows.setdefault(batch.file, []).append(columns)

    def ranges(self, index: int, wanted: np.ndarray) -> list[tuple[int, int]]:
        """Merged (start, end) byte ranges of the given lines of file ``index``."""
        lines, starts, sizes = (np.concatenate(column) for column in zip(*self.rows[index], strict=True))
        at = np.searchsorted(lines, wanted)
        begin, end = starts[at], starts[at] + sizes[at]
        cut = np.flatnonzero(begin[1:] != end[:-1]) + 1
        return list(zip(begin[np.r_[0, cut]].tolist(), end[np.r_[cut - 1, len(end) - 1]].tolist(), strict=True))


def _copy_ranges(path: Path, target: Path, ranges: list[tuple[int, int]]) -> None:
    """Copy byte ranges of ``path`` into ``target``, ending with a newline.

    Inside the kernel (copy_file_range) where it can; between file systems that refuse it, or where
    it does not exist, through a buffer.
    """
    with path.open("rb") as src, target.open("wb") as dst:
        in_kernel = hasattr(os, "copy_file_range")
        for begin, end in ranges:
            while begin < end:
                copied = 0
                if in_kernel:
                    try:
                        copied = os.copy_file_range(src.fileno(), dst.fileno(), end - begin, begin)
                    except OSError:  # EXDEV, EOPNOTSUPP, ENOSYS, ...: not between these files
                        in_kernel = False
                if not in_kernel:
                    dst.write(chunk := os.pread(src.fileno(), min(end - begin, 1 << 20), begin))
                    copied = len(chunk)
                if copied == 0:
                    raise RunError(f"{path}: the file shrank while it was being deduplicated")
                begin += copied
        if ranges and os.pread(src.fileno(), 1, ranges[-1][1] - 1) != b"\n":
            dst.write(b"\n")  # the file's last line had no newline


def _write_kept(
    files: list[Path],
    kept_lines: dict[int, np.ndarray],
    dest: Path,
    removed: dict[tuple[int, int], set[int]],
    opts: CorpusOptions,
    positions: _Positions,
    signer: _Signer,
) -> None:
    """Copy the kept rows of each input file under ``dest``: Parquet as Parquet, the rest as JSON Lines
    (``.json`` names become ``.jsonl``), gzip if the input is.

    Lines are copied byte for byte (plain JSONL as whole byte ranges), except those with paragraphs in
    ``removed``: their text loses those lines; a JSON array's elements are written one a line.
    """
    dest.mkdir()
    total = sum(map(len, kept_lines.values()))
    with tqdm(total=total, desc="write kept", unit=" docs", disable=not opts.progress) as bar:
        for index, wanted in kept_lines.items():
            path = files[index]
            edits = {line: gone for (f, line), gone in removed.items() if f == index}
            ranges = positions.ranges(index, wanted) if index in positions.rows and not edits else None
            name = re.sub(r"\.json(?=(\.gz)?$)", ".jsonl", path.name)
            target = dest / (f"{index:05d}-{name}" if len(files) > 1 else name)
            if ranges is not None:
                _copy_ranges(path, target, ranges)
            elif path.name.endswith(".parquet"):
                _write_kept_parquet(path, target, wanted, edits, opts.fields.text)
            else:
                lines = _kept_lines(path, wanted, edits, opts)
                with target.open("wb") as dst:
                    if path.name.endswith(".gz"):
                        lines = signer.map(_pieces(lines, _GZIP_MEMBER_BYTES), _gzip_member)
                    dst.writelines(lines)
            bar.update(len(wanted))


def _write_kept_parquet(path: Path, target: Path, wanted: np.ndarray, edits: dict[int, set[int]], field: str) -> None:
    """The ``wanted`` rows of a Parquet file, with the paragraph lines in ``edits`` removed from their texts,
    one batch in memory at a time; the rows lost to damage when reading are skipped here too."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    with ExitStack() as stack:
        writer = None
        for first, batch in parquet_batches(path):
            if isinstance(batch, FileError):
                continue
            end = first + batch.num_rows
            rows = wanted[(wanted >= first) & (wanted < end)]
            if not len(rows):
                continue
            changed = {row: lines for row, lines in edits.items() if first <= row < end}
            if changed:
                texts = batch.column(field).to_pylist()
                for row, lines in changed.items():
                    texts[row - first] = drop_lines(texts[row - first], lines)
                batch = batch.set_column(batch.schema.get_field_index(field), field, pa.array(texts))
            writer = writer or stack.enter_context(pq.ParquetWriter(target, batch.schema))
            writer.write_table(pa.Table.from_batches([batch]).take(rows - first))


def _kept_lines(path: Path, wanted: np.ndarray, edits: dict[int, set[int]], opts: CorpusOptions) -> Iterator[bytes]:
    """The ``wanted`` rows of a JSON Lines file or JSON array, each as a line ending with a newline, with the
    paragraph lines in ``edits`` (row -> paragraph lines) removed from their texts."""
    keep = set(wanted.tolist())
    for batch in raw_batches([path], opts.fields, opts.batch_size, opts.max_chars):
        if isinstance(batch, FileError):
            continue  # the rest of a damaged file was never read, and is reported in file_errors
        for number, raw in zip(batch.lines.tolist(), batch.payloads, strict=True):
            if number not in keep:
                continue
            if number in edits or isinstance(raw, dict):
                obj = json.loads(raw) if isinstance(raw, bytes) else raw
                if number in edits:
                    obj[opts.fields.text] = drop_lines(obj[opts.fields.text], edits[number])
                raw = json_line(obj)
            yield raw if raw.endswith(b"\n") else raw + b"\n"


_GZIP_MEMBER_BYTES = 8 << 20


def _pieces(lines: Iterator[bytes], size: int) -> Iterator[bytes]:
    """Consecutive lines joined into pieces of about ``size`` bytes."""
    piece: list[bytes] = []
    length = 0
    for line in lines:
        piece.append(line)
        length += len(line)
        if length >= size:
            yield b"".join(piece)
            piece, length = [], 0
    if piece:
        yield b"".join(piece)


def _gzip_member(data: bytes) -> bytes:
    """``data`` as one gzip member: concatenated members are one valid gzip stream, so the pieces of a
    file compress on all workers. Level 6 as gzip(1) (Python's 9 takes three times as long for 4% less);
    no timestamp, so that the same input gives the same bytes."""
    return gzip.compress(data, compresslevel=6, mtime=0)


def _paragraph_pass(
    files: list[Path],
    docs: _Documents,
    is_kept: np.ndarray,
    signer: _Signer,
    opts: CorpusOptions,
    tmp: Path,
) -> _ParagraphEdits:
    """The paragraph level over the kept documents (:mod:`dedup.paragraph_rule`); writes paragraphs_removed.csv."""
    file_col, line_col, date_col, length_col, penalty_col = docs.columns()
    ordinal = {(int(f), int(line)): d for d, (f, line) in enumerate(zip(file_col, line_col, strict=True)) if is_kept[d]}

    def batches() -> Iterator[tuple[RowBatch, np.ndarray]]:
        """The rows of the kept documents, with their document numbers; the rest was reported already."""
        for batch in raw_batches(files, opts.read_fields, opts.batch_size, opts.max_chars):
            if isinstance(batch, FileError):
                continue
            docs_of = np.array([ordinal.get((batch.file, line), -1) for line in batch.lines.tolist()], dtype=np.int64)
            at = np.flatnonzero(docs_of >= 0)
            if len(at):
                yield batch.take(at), docs_of[at]

    parts, outlet = [], np.zeros(len(is_kept), dtype=np.int64)
    names: dict[str, int] = {}
    with tqdm(desc="paragraphs: read and sign", unit=" docs", disable=not opts.progress) as bar:
        for facts, owners, outlets in signer.map(batches(), _paragraph_facts):
            parts.append(facts)
            outlet[owners] = [names.setdefault(o, len(names)) for o in outlets]
            bar.update(len(owners))
    facts = Facts.join(parts)
    order = keep_rank(opts.keep, length_col, date_col, penalty_col)
    decisions = decide(facts, order[is_kept[order]], outlet, opts.paragraphs, len(is_kept))
    rows = [
        [docs.ids[facts.owner[r]], facts.line[r], docs.ids[facts.owner[f]], facts.line[f], round(float(sim), 4), kind]
        for r, f, sim, kind in zip(
            decisions.removed.tolist(),
            decisions.first.tolist(),
            decisions.similarity.tolist(),
            np.where(facts.repeat_of[decisions.removed] > 0, "repeat", "boilerplate").tolist(),
            strict=True,
        )
    ]
    write_csv(tmp / "paragraphs_removed.csv", ["id", "line", "first_id", "first_line", "similarity", "kind"], rows)
    lines: dict[int, set[int]] = {}
    for r in decisions.removed.tolist():
        lines.setdefault(int(facts.owner[r]), set()).add(int(facts.line[r]))
    tally = Counter(row[-1] for row in rows) + Counter(why for _, why, _ in decisions.dropped.values())
    tally["rejected"] = len(decisions.rejected)
    return _ParagraphEdits(lines, decisions.dropped, decisions.rejected, summary(tally))


@dataclass(frozen=True)
class _ParagraphEdits:
    """The paragraph level's outcome: lines removed per kept document, documents dropped whole
    (doc -> (kept doc holding its text, ``contained`` or ``fragment``, share)), rejected ones and counts."""

    lines: dict[int, set[int]]
    dropped: dict[int, tuple[int, str, float]]
    rejected: dict[int, str]
    counts: dict[str, int]


def run_corpus(
    input_path: str | Path, out: str | Path, cfg: DedupConfig | None = None, opts: CorpusOptions | None = None
) -> dict:
    """Deduplicate the corpus at ``input_path`` into folder ``out``; return the manifest."""
    cfg, opts, out = cfg or DedupConfig(), opts or CorpusOptions(), Path(out)
    try:
        files = input_files(input_path)
    except FileError as err:
        raise RunError(str(err)) from None
    pipeline = Pipeline(cfg)
    tmp = prepare_out(out, [input_path])
    try:  # from here on, whatever stops the run (a stop while the workers start included) cleans up
        with closing(_Signer(cfg, opts)) as signer:
            manifest = _run(files, tmp, pipeline, opts, signer, unread_files(input_path))
            publish(tmp, out)
    except BaseException:
        discard(tmp, out)
        raise
    return manifest


def _run(
    files: list[Path], tmp: Path, pipeline: Pipeline, opts: CorpusOptions, signer: _Signer, unread: list[str]
) -> dict:
    timings: dict[str, float] = {}
    start = time.perf_counter()
    docs = _Documents()
    reasons: Counter[str] = Counter()
    file_errors: list[str] = []

    file_names = file_labels(files)
    # A stray surrogate (from a file name that is not UTF-8) is written escaped, never a crash.
    with (tmp / "rejected.csv").open("w", newline="", encoding="utf-8", errors="backslashreplace") as rejected_file:
        rejected = csv.writer(rejected_file)
        rejected.writerow(REJECTED_COLUMNS)

        def on_other(item: Rejected | FileError) -> None:
            if isinstance(item, FileError):
                file_errors.append(str(item))
                return
            reasons[item.kind] += 1
            rejected.writerow(rejected_row(file_names[item.file], item))

        positions = _Positions(files)

        def rows() -> Iterator[RowBatch]:
            for batch in raw_batches(files, opts.read_fields, opts.batch_size, opts.max_chars):
                if isinstance(batch, FileError):
                    on_other(batch)
                    continue
                positions.add(batch)
                yield batch

        ids = IdCheck(files)

        def on_batch(result: _SignedBatch) -> np.ndarray:
            for item in result.rejected:
                on_other(item)
            seen = [
                ids.seen(result.file, line, doc_id)
                for line, doc_id in zip(result.lines.tolist(), result.ids, strict=True)
            ]
            keep = np.fromiter((item is None for item in seen), dtype=bool, count=len(seen))
            for item in seen:
                if item is not None:
                    on_other(item)
            docs.add(result, keep)
            return keep

        signed = _sign_to_disk(signer, rows(), _parse_and_sign, tmp / "documents", pipeline, on_batch, opts.progress)
    timings["read_and_sign"] = time.perf_counter() - start

    n = len(docs.ids)
    if n == 0 and file_errors:
        raise RunError("no input could be read: " + "; ".join(file_errors))
    t = time.perf_counter()
    pairs, _ = signed.similar_pairs(pipeline)
    timings["candidates_and_verify"] = time.perf_counter() - t

    t = time.perf_counter()
    labels = connected_components(n, pairs)
    file_col, line_col, date_col, length_col, penalty_col = docs.columns()
    kept_of = choose_kept(labels, keep_rank(opts.keep, length_col, date_col, penalty_col))
    is_kept = kept_of == np.arange(n)
    timings["cluster"] = time.perf_counter() - t

    level = np.full(n, "document", dtype=object)
    removed: dict[tuple[int, int], set[int]] = {}
    paragraph_counts: dict[str, object] = {}
    if opts.level == "paragraph":
        t = time.perf_counter()
        edits = _paragraph_pass(files, docs, is_kept, signer, opts, tmp)
        for doc, (source, why, _) in edits.dropped.items():
            level[kept_of == doc] = why
            kept_of[kept_of == doc] = source  # its cluster now points at the document holding its text
        out = np.isin(kept_of, list(edits.rejected))
        fragments = []
        for d in np.flatnonzero(out).tolist():
            head = int(kept_of[d])
            why = edits.rejected[head] if d == head else fragment_copy_reason(docs.ids[head])
            fragments.append(Rejected(int(file_col[d]), int(line_col[d]), docs.ids[d], "fragment", why))
        with (tmp / "rejected.csv").open("a", newline="", encoding="utf-8", errors="backslashreplace") as handle:
            csv.writer(handle).writerows(rejected_row(file_names[item.file], item) for item in fragments)
        reasons.update({"fragment": len(fragments)} if fragments else {})
        kept_of[out] = -1
        is_kept = kept_of == np.arange(n)
        removed = {(int(file_col[d]), int(line_col[d])): lines for d, lines in edits.lines.items()}
        paragraph_counts = edits.counts
        timings["paragraphs"] = time.perf_counter() - t

    t = time.perf_counter()
    dupes = np.flatnonzero(~is_kept & (kept_of >= 0))
    similarity = signed.similarity(pipeline, np.stack([dupes, kept_of[dupes]], axis=1))
    _write_duplicates(tmp, docs.ids, dupes, labels, kept_of, similarity, level[dupes].tolist())
    kept_lines = {int(f): np.sort(line_col[is_kept & (file_col == f)]) for f in np.unique(file_col[is_kept])}
    _write_kept(files, kept_lines, tmp / "kept", removed, opts, positions, signer)
    signer.close()  # all work in the pool is done; the workers' peak memory becomes readable
    for work in [*tmp.glob("documents.*"), *tmp.glob("paragraphs.*")]:  # signatures, bands and shingles
        work.unlink()
    timings["write"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - start

    manifest = Manifest.corpus(
        kept=int(is_kept.sum()),
        duplicates=len(dupes),
        rejected_by_reason=dict(reasons),
        clusters_with_duplicates=len(np.unique(labels[dupes])),
        undated=int(np.isnan(date_col).sum()),
        paragraph_counts=paragraph_counts,
        engine="local",
        inputs=[printable_path(p) for p in files],
        file_errors=file_errors,
        unread_files=unread,
        settings=run_settings(pipeline.cfg, pipeline.bands, pipeline.rows, asdict(opts)),
        timings_s=timings,
        peak_memory_mb=peak_memory_mb(),
        outputs=run_outputs(opts.level, (tmp / "duplicates.parquet").exists()),
    )
    (tmp / "manifest.json").write_text(manifest.json(), encoding="utf-8", errors="backslashreplace")
    return manifest.to_dict()


def _write_duplicates(
    tmp: Path,
    ids: list[str],
    dupes: np.ndarray,
    labels: np.ndarray,
    kept_of: np.ndarray,
    similarity,
    levels: list[str],
) -> None:
    """duplicates.csv (and .parquet where pyarrow is installed): see :data:`dedup.policy.DUPLICATE_COLUMNS`."""
    rows = [
        (ids[d], int(labels[d]), ids[kept_of[d]], round(float(s), 4), level)
        for d, s, level in zip(dupes.tolist(), similarity, levels, strict=True)
    ]
    write_csv(tmp / "duplicates.csv", list(DUPLICATE_COLUMNS), rows)
    try:
        import pyarrow.csv as pa_csv
        import pyarrow.parquet as pq
    except ImportError:
        return
    # Read back from the CSV just written: pyarrow's Python-list constructors would import pandas (0.15 s).
    table = pa_csv.read_csv(
        tmp / "duplicates.csv",
        parse_options=pa_csv.ParseOptions(newlines_in_values=True),
        convert_options=pa_csv.ConvertOptions(column_types=DUPLICATE_COLUMNS),
    )
    pq.write_table(table, tmp / "duplicates.parquet")
