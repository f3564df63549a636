"""The corpus run's outputs: kept rows copied as byte ranges (or re-serialized where paragraphs went),
gzip members compressed on all workers, Parquet a batch at a time, and duplicates.csv / .parquet."""

from __future__ import annotations

import gzip
import json
import os
import re
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import numpy as np
from tqdm import tqdm

from dedup.corpus.options import CorpusOptions
from dedup.corpus.workers import Signer
from dedup.policy import (
    DUPLICATE_COLUMNS,
)
from dedup.records import (
    FileError,
    RowBatch,
    json_line,
    parquet_batches,
    raw_batches,
)
from dedup.segment import drop_lines
from dedup.sources import in_archive
from dedup.textio import RunError, write_csv


class Positions:
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


def write_kept(
    files: list[Path],
    kept_lines: dict[int, np.ndarray],
    dest: Path,
    removed: dict[tuple[int, int], set[int]],
    opts: CorpusOptions,
    positions: Positions,
    signer: Signer,
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


def write_duplicates(
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
