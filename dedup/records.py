"""Reading corpus records from JSONL (plain or gzip), Parquet or folders of them.

Every input line or row becomes either a :class:`Record` or a :class:`Rejected`
with a one-line reason, so that a run can account for all of its input.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

__all__ = [
    "FieldNames",
    "FileError",
    "IdCheck",
    "RawRow",
    "Record",
    "Rejected",
    "batched",
    "input_files",
    "parse_date",
    "parse_row",
    "raw_rows",
    "read_records",
]

_SUFFIXES = (".jsonl", ".json", ".ndjson", ".jsonl.gz", ".json.gz", ".ndjson.gz", ".parquet")


@dataclass(frozen=True)
class FieldNames:
    """Which input fields hold the id, the text and the publication date; ``extra`` ones are carried along."""

    id: str = "id"
    text: str = "text"
    date: str = "published"
    extra: tuple[str, ...] = ()


@dataclass(frozen=True)
class Record:
    """One usable input document; ``line`` is its line (JSONL) or 1-based row (Parquet) in file ``file``."""

    file: int
    line: int
    id: str
    text: str
    date: float | None
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Rejected:
    """An input row that cannot be used, with where it was and why."""

    file: int
    line: int
    id: str | None
    kind: str
    reason: str


class FileError(Exception):
    """A whole input file (or its rest) cannot be read; ``str()`` says which and why."""


def input_files(path: str | Path) -> list[Path]:
    """The input files under ``path``: the file itself, or a folder's corpus files in sorted order."""
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.name.endswith(_SUFFIXES))
        if not files:
            raise FileError(f"{path}: no .jsonl, .jsonl.gz or .parquet files in this folder")
        return files
    if not path.exists():
        raise FileError(f"{path}: no such file or folder")
    if not path.name.endswith(_SUFFIXES):
        raise FileError(f"{path}: not a corpus file (expected .jsonl, .jsonl.gz or .parquet)")
    return [path]


def parse_date(value: object) -> float | None:
    """POSIX seconds of an ISO 8601 date or datetime (naive ones taken as UTC); ``None`` if absent or unparsable."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.timestamp()


def _check(obj: object, fields: FieldNames, max_chars: int) -> tuple[str | None, str | None, str, str]:
    """(id, text, kind, reason); ``kind`` is empty when the object can be used."""
    if not isinstance(obj, dict):
        return None, None, "not_an_object", f"not a JSON object (got {type(obj).__name__})"
    raw_id = obj.get(fields.id)
    doc_id = None if raw_id is None or raw_id == "" else str(raw_id)
    text = obj.get(fields.text)
    if doc_id is None:
        return None, None, "missing_id", f"missing id field {fields.id!r}"
    if text is None:
        return doc_id, None, "missing_text", f"missing text field {fields.text!r}"
    if not isinstance(text, str):
        return doc_id, None, "bad_text", f"text field {fields.text!r} is a {type(text).__name__}, not a string"
    if not text.strip():
        return doc_id, None, "empty_text", "empty text"
    if len(text) > max_chars:
        return doc_id, None, "too_long", f"text too long ({len(text):,} characters > {max_chars:,}; see --max-chars)"
    return doc_id, text, "", ""


def _jsonl_rows(path: Path) -> Iterator[tuple[int, bytes, int]]:
    """(line number, raw bytes, byte offset in the uncompressed stream) of each non-blank line."""
    try:
        if path.name.endswith(".gz"):
            # Line by line: every whole line before a damaged part of the stream is still read.
            with gzip.open(path, "rb") as handle:
                yield from _numbered(handle)
        else:
            with path.open("rb") as handle:
                yield from _numbered(_lines_in_blocks(handle))
    except (OSError, EOFError, zlib.error) as err:
        raise FileError(f"{path}: cannot read (corrupt or truncated file?): {err}") from None


def _lines_in_blocks(handle, size: int = 1 << 22) -> Iterator[bytes]:
    """The lines of a binary file, newline kept, read in large blocks (fewer calls than line iteration)."""
    rest = b""
    while block := handle.read(size):
        lines = (rest + block).split(b"\n")
        rest = lines.pop()
        for line in lines:
            yield line + b"\n"
    if rest:
        yield rest


def _numbered(lines: Iterator[bytes]) -> Iterator[tuple[int, bytes, int]]:
    offset = 0
    for number, raw in enumerate(lines, start=1):
        if raw.strip():
            yield number, raw, offset
        offset += len(raw)


def _parquet_rows(path: Path, fields: FieldNames) -> Iterator[tuple[int, dict, int]]:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise FileError(f"{path}: reading Parquet needs pyarrow: pip install 'arabic-dedup[parquet]'") from None
    try:
        parquet = pq.ParquetFile(path)
        wanted = [c for c in (fields.id, fields.text, fields.date, *fields.extra) if c in parquet.schema_arrow.names]
        row = 0
        for batch in parquet.iter_batches(columns=wanted, batch_size=4096):
            for obj in batch.to_pylist():
                row += 1
                yield row, obj, -1
    except (OSError, ValueError) as err:  # pyarrow's ArrowInvalid is a ValueError
        raise FileError(f"{path}: cannot read Parquet (corrupt or truncated file?): {err}") from None


# (file index, line or row, raw JSON line or Parquet row, byte offset of the line or -1)
RawRow = tuple[int, int, "bytes | dict", int]


def raw_rows(files: list[Path], fields: FieldNames = FieldNames()) -> Iterator[RawRow | FileError]:
    """Every row of every file, unparsed, in order; a FileError where a file stops. Cheap: the
    parsing (:func:`parse_row`) can happen elsewhere, in worker processes."""
    for index, path in enumerate(files):
        rows = _parquet_rows(path, fields) if path.name.endswith(".parquet") else _jsonl_rows(path)
        try:
            for line, payload, offset in rows:
                yield index, line, payload, offset
        except FileError as err:
            yield err


def parse_row(row: RawRow, fields: FieldNames, max_chars: int) -> Record | Rejected:
    """A raw row as a Record, or a Rejected with its reason (duplicate ids are :class:`IdCheck`'s job)."""
    index, line, payload, _ = row
    if isinstance(payload, bytes):
        try:
            payload = json.loads(payload)
        except (ValueError, UnicodeDecodeError) as err:
            return Rejected(index, line, None, "invalid_json", f"not valid JSON: {err}")
    doc_id, text, kind, reason = _check(payload, fields, max_chars)
    if kind:
        return Rejected(index, line, doc_id, kind, reason)
    extra = {name: payload.get(name) for name in fields.extra}
    return Record(index, line, doc_id, text, parse_date(payload.get(fields.date)), extra)


class IdCheck:
    """Rejects the second and later occurrences of an id, naming where it was first seen."""

    def __init__(self, files: list[Path]) -> None:
        self.files = files
        self.first_seen: dict[str, int] = {}  # id -> file index << 40 | line: one int, not a string, per id

    def __call__(self, record: Record) -> Record | Rejected:
        first = self.first_seen.get(record.id)
        if first is None:
            self.first_seen[record.id] = record.file << 40 | record.line
            return record
        first_file, first_line = divmod(first, 1 << 40)
        where = f"{self.files[first_file].name}:{first_line}"
        return Rejected(
            record.file, record.line, record.id, "duplicate_id", f"duplicate id {record.id!r} (first at {where})"
        )


def read_records(
    files: list[Path], fields: FieldNames = FieldNames(), max_chars: int = 10_000_000
) -> Iterator[Record | Rejected | FileError]:
    """Every row of every file, in order, as a Record or a Rejected; a FileError where a file stops.

    Duplicate ids are rejected at their second occurrence, naming the first.
    """
    ids = IdCheck(files)
    for row in raw_rows(files, fields):
        if isinstance(row, FileError):
            yield row
            continue
        item = parse_row(row, fields, max_chars)
        yield ids(item) if isinstance(item, Record) else item


def batched(
    items: Iterator, size: int, on_other: Callable[[Rejected | FileError], None], kind: type = Record
) -> Iterator[list]:
    """Items of type ``kind`` (records, or raw rows) in lists of ``size``; anything else goes to ``on_other``."""
    batch: list = []
    for item in items:
        if isinstance(item, kind):
            batch.append(item)
            if len(batch) >= size:
                yield batch
                batch = []
        else:
            on_other(item)
    if batch:
        yield batch
