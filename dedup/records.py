"""Reading corpus records from JSON Lines (plain or gzip), JSON arrays and Parquet (the files: dedup.sources).

Every input line or row becomes either a :class:`Record` or a :class:`Rejected`
with a one-line reason, so that a run can account for all of its input.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timezone, tzinfo
from pathlib import Path

import numpy as np

from dedup.dates import parse_date
from dedup.lines import DAMAGE, block_lines, gzip_lines
from dedup.sources import FileError, file_labels, in_archive, open_input

__all__ = [
    "MAX_ID_CHARS",
    "FieldNames",
    "FileError",
    "IdCheck",
    "Record",
    "Rejected",
    "RowBatch",
    "batched",
    "duplicate_id",
    "is_blank",
    "json_array",
    "json_line",
    "line_limit",
    "parquet_batches",
    "parse_batch",
    "parse_raw",
    "parse_row",
    "raw_batches",
    "read_records",
    "shown",
]


@dataclass(frozen=True)
class FieldNames:
    """Which input fields hold the id, the text and the publication date, and how dates are written;
    ``extra`` fields are carried along."""

    id: str = "id"
    text: str = "text"
    date: str = "published"
    extra: tuple[str, ...] = ()
    date_formats: tuple[str, ...] = ()
    """strptime patterns tried in order, then ISO 8601 (e.g. ``%d/%m/%Y``)."""
    timezone: tzinfo = timezone.utc
    """The zone of dates that name none."""


@dataclass(frozen=True)
class Record:
    """One usable input document; ``line`` is its line (JSONL) or 1-based row (Parquet, JSON array) in file ``file``."""

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


MAX_ID_CHARS = 4096
"""Longer ids are rejected: an id names a document, and a megabyte one breaks CSV readers downstream."""

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # from a JSON escape such as \ud800: no UTF-8 text holds one


def _cut(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[:limit] + "…"


def shown(value: str, limit: int = 60) -> str:
    """``value`` quoted for a one-line message, cut to ``limit`` characters (repr escapes lone surrogates)."""
    return repr(_cut(value, limit))


def _json_type(value: object) -> str:
    """The JSON name of a parsed value's type, with its article, for messages."""
    names = {
        bool: "a boolean",
        int: "a number",
        float: "a non-integer number",
        str: "a string",
        list: "an array",
        dict: "an object",
    }
    return names.get(type(value), f"a {type(value).__name__}")


def _has(obj: dict) -> str:
    """The fields a row does have, for a message about one it lacks (a wrong --text-field is the usual cause)."""
    names = [_cut(str(name), 30).encode("utf-8", "backslashreplace").decode() for name in list(obj)[:8]]
    more = f", … ({len(obj):,} in all)" if len(obj) > 8 else ""
    return f" (the row has: {', '.join(names)}{more})" if names else " (the row is empty)"


def _check_id(obj: dict, name: str, escapes: bool = True) -> tuple[str | None, str, str]:
    """(id, kind, reason), ``kind`` empty when the id is usable: a string or an integer (taken as its decimal
    string, so ``1`` and ``"1"`` are the same id), not blank, at most MAX_ID_CHARS, no lone surrogate."""
    raw = obj.get(name)
    if raw is None:
        missing = f"id field {name!r} is null" if name in obj else f"missing id field {name!r}{_has(obj)}"
        return None, "missing_id", missing
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        return None, "bad_id", f"id field {name!r} is {_json_type(raw)}, not a string or an integer"
    doc_id = str(raw)
    if not doc_id.strip():
        return None, "empty_id", f"id field {name!r} is empty or blank"
    if len(doc_id) > MAX_ID_CHARS:
        return None, "bad_id", f"id too long ({len(doc_id):,} characters > {MAX_ID_CHARS:,}): {shown(doc_id)}"
    if escapes and _LONE_SURROGATE.search(doc_id):
        return None, "bad_id", f"id {shown(doc_id)} contains a lone surrogate (an unpaired \\ud800-\\udfff escape)"
    return doc_id, "", ""


def _check(
    obj: object, fields: FieldNames, max_chars: int, escapes: bool = True
) -> tuple[str | None, str | None, str, str]:
    """(id, text, kind, reason); ``kind`` is empty when the object can be used. Without ``escapes`` the
    object was parsed from a line with no ``\\ud`` escape, so it holds no lone surrogate."""
    if not isinstance(obj, dict):
        return None, None, "not_an_object", f"not a JSON object (got {_json_type(obj)})"
    doc_id, kind, reason = _check_id(obj, fields.id, escapes)
    if kind:
        return doc_id, None, kind, reason
    text = obj.get(fields.text)
    if text is None:
        return doc_id, None, "missing_text", f"missing text field {fields.text!r}{_has(obj)}"
    if not isinstance(text, str):
        return doc_id, None, "bad_text", f"text field {fields.text!r} is {_json_type(text)}, not a string"
    if not text.strip():
        return doc_id, None, "empty_text", "empty text"
    if len(text) > max_chars:
        return doc_id, None, "too_long", f"text too long ({len(text):,} characters > {max_chars:,}; see --max-chars)"
    if escapes and _LONE_SURROGATE.search(text):
        return doc_id, None, "bad_text", "text contains a lone surrogate (an unpaired \\ud800-\\udfff escape)"
    return doc_id, text, "", ""


@dataclass(frozen=True)
class RowBatch:
    """Consecutive unparsed rows of one file: raw JSON lines (bytes), or Parquet rows and JSON array elements.

    ``lines`` holds each row's line (JSONL) or 1-based row (Parquet, array); ``offsets`` and ``sizes``
    the byte range of each JSONL line in the uncompressed stream (-1 and 0 for the others).
    """

    file: int
    lines: np.ndarray
    offsets: np.ndarray
    sizes: np.ndarray
    payloads: list

    def __len__(self) -> int:
        return len(self.payloads)

    def __getitem__(self, part: slice) -> RowBatch:
        return RowBatch(self.file, self.lines[part], self.offsets[part], self.sizes[part], self.payloads[part])

    def take(self, at: np.ndarray) -> RowBatch:
        """The rows at the given positions."""
        payloads = [self.payloads[i] for i in at.tolist()]
        return RowBatch(self.file, self.lines[at], self.offsets[at], self.sizes[at], payloads)

    def __add__(self, other: RowBatch) -> RowBatch:
        return RowBatch(
            self.file,
            *(np.concatenate([getattr(self, name), getattr(other, name)]) for name in ("lines", "offsets", "sizes")),
            self.payloads + other.payloads,
        )


def line_limit(max_chars: int) -> int:
    """The longest JSONL line, in bytes, worth parsing: a text of ``max_chars`` characters all escaped
    (``\\uXXXX``, 6 bytes each) and 1 MiB of other fields. Longer lines are rejected unparsed, and are
    never held whole in memory: a small gzip file can hold a line of gigabytes."""
    return 6 * max_chars + (1 << 20)


def is_blank(line: bytes) -> bool:
    """Whether a JSONL line is all whitespace (no row: such lines are skipped, not rejected)."""
    # A line that does not start with whitespace is never copied to check.
    return not line or (line[:1].isspace() and not line.strip())


def _jsonl_batches(path: Path, index: int, size: int, limit: int | None = None) -> Iterator[RowBatch]:
    """The non-blank lines of a JSONL file (plain or gzip) in batches of ``size``; a line over ``limit``
    bytes comes as an empty payload with its size (see :func:`line_limit`)."""
    number, offset, carry = 1, 0, RowBatch(index, *(np.zeros(0, dtype=np.int64),) * 3, [])
    # Compressed streams line by line: every whole line before damage is delivered (see dedup.lines).
    compressed = path.name.endswith(".gz") or in_archive(path)
    try:
        with open_input(path) as handle:
            for lines, sizes in gzip_lines(handle, limit=limit) if compressed else block_lines(handle, limit):
                starts = offset + np.cumsum(sizes) - sizes
                used = np.fromiter((not is_blank(line) for line in lines), dtype=bool, count=len(lines))
                if limit is not None:
                    used |= sizes > limit
                at = np.flatnonzero(used)
                carry += RowBatch(index, at + number, starts[at], sizes[at], [lines[i] for i in at.tolist()])
                number, offset = number + len(lines), offset + int(sizes.sum())
                while len(carry) >= size:
                    yield carry[:size]
                    carry = carry[size:]
    except DAMAGE as err:
        if len(carry):
            yield carry
        raise FileError(f"{path}: cannot read (corrupt or truncated file?): {err}") from None
    if len(carry):
        yield carry


def _one_line(err: Exception) -> str:
    return " ".join(str(err).split())


def parquet_batches(path: Path, columns: list[str] | None = None, size: int = 2000) -> Iterator[tuple[int, object]]:
    """Each batch of up to ``size`` rows of a Parquet file with its first row (1-based), a row group at a time;
    where a group cannot be read, a FileError naming the rows of it that are lost, and on with the next group."""
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except (OSError, ValueError) as err:  # pyarrow's ArrowInvalid is a ValueError
        raise FileError(f"{path}: cannot read Parquet (corrupt or truncated file?): {_one_line(err)}") from None
    wanted = None if columns is None else [c for c in columns if c in parquet.schema_arrow.names]
    start = 1
    for group in range(parquet.num_row_groups):
        row, end = start, start + parquet.metadata.row_group(group).num_rows
        try:
            for batch in parquet.iter_batches(batch_size=size, row_groups=[group], columns=wanted):
                yield row, batch
                row += batch.num_rows
        except (OSError, ValueError) as err:
            lost = f"rows {row:,}-{end - 1:,} (row group {group + 1})"
            yield row, FileError(f"{path}: {lost} cannot be read: {_one_line(err)}")
        start = end


def _parquet_batches(path: Path, index: int, fields: FieldNames, size: int) -> Iterator[RowBatch | FileError]:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise FileError(f"{path}: reading Parquet needs pyarrow: pip install 'arabic-dedup[parquet]'") from None
    for row, batch in parquet_batches(path, [fields.id, fields.text, fields.date, *fields.extra], size):
        if isinstance(batch, FileError):
            yield batch
            continue
        n = batch.num_rows
        yield RowBatch(index, np.arange(row, row + n), np.full(n, -1), np.zeros(n, dtype=np.int64), batch.to_pylist())


def json_array(path: Path) -> bool:
    """Whether a ``.json`` file holds one JSON document (``[`` or a lone ``{`` first), not JSON Lines."""
    if not path.name.endswith((".json", ".json.gz")):
        return False
    try:
        with open_input(path) as handle:
            first = b""
            while not first and (line := handle.readline(1 << 16)):
                first = line.strip()
    except DAMAGE:
        return False  # reading it again says what is wrong
    return first.lstrip(b"\xef\xbb\xbf").startswith(b"[") or first == b"{"


def _array_batches(path: Path, index: int, size: int) -> Iterator[RowBatch]:
    """The elements of a file holding one JSON array, numbered from 1, in batches of ``size``. The file is
    read whole: such files (a day of a news site) are a few MB; larger corpora come as JSON Lines."""
    try:
        with open_input(path) as handle:
            rows = json.load(handle)
    except DAMAGE as err:
        raise FileError(f"{path}: cannot read (corrupt or truncated file?): {err}") from None
    except (ValueError, RecursionError) as err:  # UnicodeDecodeError is a ValueError
        raise FileError(
            f"{path}: neither one JSON array of objects nor JSON Lines (one object a line): {_one_line(err)}"
        ) from None
    if not isinstance(rows, list):
        raise FileError(f"{path}: one JSON document that is {_json_type(rows)}, not an array of objects")
    for start in range(0, len(rows), size):
        part = rows[start : start + size]
        n = len(part)
        yield RowBatch(index, np.arange(start + 1, start + n + 1), np.full(n, -1), np.zeros(n, dtype=np.int64), part)


def raw_batches(
    files: list[Path], fields: FieldNames = FieldNames(), size: int = 2000, max_chars: int | None = None
) -> Iterator[RowBatch | FileError]:
    """Every row of every file, unparsed, in order, in batches of up to ``size`` rows of one file; a
    FileError where a file stops, or where a damaged Parquet row group is skipped. Cheap: the parsing
    (:func:`parse_row`) can happen elsewhere, in worker processes. With ``max_chars``, a line too long
    to hold such a text is not read into memory (:func:`parse_batch` rejects it)."""
    limit = None if max_chars is None else line_limit(max_chars)
    for index, path in enumerate(files):
        if path.name.endswith(".parquet"):
            batches = _parquet_batches(path, index, fields, size)
        elif json_array(path):
            batches = _array_batches(path, index, size)
        else:
            batches = _jsonl_batches(path, index, size, limit)
        try:
            yield from batches
        except FileError as err:
            yield err


def parse_row(file: int, line: int, payload: bytes | dict, fields: FieldNames, max_chars: int) -> Record | Rejected:
    """A raw row as a Record, or a Rejected with its reason (duplicate ids are :class:`IdCheck`'s job)."""
    escapes = True
    if isinstance(payload, bytes):
        # Only a JSON escape (\\ud800) makes a lone surrogate; UTF-8 (NUL-free) lines without one skip the search.
        escapes = b"\\ud" in payload or b"\\uD" in payload or b"\0" in payload
        try:
            payload = json.loads(payload)
        except (ValueError, UnicodeDecodeError) as err:
            return Rejected(file, line, None, "invalid_json", f"not valid JSON: {err}")
        except RecursionError:
            return Rejected(file, line, None, "invalid_json", "not usable JSON: nested too deeply")
    doc_id, text, kind, reason = _check(payload, fields, max_chars, escapes)
    if kind:
        return Rejected(file, line, doc_id, kind, reason)
    extra = {name: payload.get(name) for name in fields.extra}
    date = parse_date(payload.get(fields.date), fields.date_formats, fields.timezone)
    return Record(file, line, doc_id, text, date, extra)


def parse_raw(
    file: int, line: int, size: int, payload: bytes | dict, fields: FieldNames, max_chars: int
) -> Record | Rejected:
    """:func:`parse_row` on a raw row of ``size`` bytes; a line over :func:`line_limit` is rejected unparsed.
    Both engines parse every row through here."""
    limit = line_limit(max_chars)
    if size > limit:
        reason = f"line too long to parse ({size:,} bytes > {limit:,}; see --max-chars)"
        return Rejected(file, line, None, "too_long", reason)
    return parse_row(file, line, payload, fields, max_chars)


def parse_batch(batch: RowBatch, fields: FieldNames, max_chars: int) -> list[Record | Rejected]:
    """:func:`parse_raw` on every row of a batch."""
    return [
        parse_raw(batch.file, line, size, payload, fields, max_chars)
        for line, size, payload in zip(batch.lines.tolist(), batch.sizes.tolist(), batch.payloads, strict=True)
    ]


def duplicate_id(file: int, line: int, doc_id: str, first: str) -> Rejected:
    """The rejection of a later occurrence of ``doc_id``, first seen at ``first`` (``file:line``)."""
    return Rejected(file, line, doc_id, "duplicate_id", f"duplicate id {shown(doc_id)} (first at {first})")


class IdCheck:
    """Rejects the second and later occurrences of an id, naming where it was first seen."""

    def __init__(self, files: list[Path]) -> None:
        self.labels = file_labels(files)
        self.first_seen: dict[str, int] = {}  # id -> file index << 40 | line: one int, not a string, per id

    def __call__(self, record: Record) -> Record | Rejected:
        return self.seen(record.file, record.line, record.id) or record

    def seen(self, file: int, line: int, doc_id: str) -> Rejected | None:
        """A Rejected if ``doc_id`` was seen before; otherwise note where it is first seen."""
        first = self.first_seen.setdefault(doc_id, file << 40 | line)
        if first == file << 40 | line:
            return None
        first_file, first_line = divmod(first, 1 << 40)
        return duplicate_id(file, line, doc_id, f"{self.labels[first_file]}:{first_line}")


def read_records(
    files: list[Path], fields: FieldNames = FieldNames(), max_chars: int = 10_000_000
) -> Iterator[Record | Rejected | FileError]:
    """Every row of every file, in order, as a Record or a Rejected; a FileError where a file stops.

    Duplicate ids are rejected at their second occurrence, naming the first.
    """
    ids = IdCheck(files)
    for batch in raw_batches(files, fields, max_chars=max_chars):
        if isinstance(batch, FileError):
            yield batch
            continue
        for item in parse_batch(batch, fields, max_chars):
            yield ids(item) if isinstance(item, Record) else item


def json_line(row: dict) -> bytes:
    """A row as one line of UTF-8 JSON (no newline); all ASCII (escaped) when a field besides id and text
    holds a lone surrogate, which UTF-8 cannot encode but a JSON escape can."""
    try:
        return json.dumps(row, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(row).encode("ascii")


def batched(
    items: Iterator[Record | Rejected | FileError], size: int, on_other: Callable[[Rejected | FileError], None]
) -> Iterator[list[Record]]:
    """Records in lists of ``size``; anything else goes to ``on_other``."""
    batch: list = []
    for item in items:
        if isinstance(item, Record):
            batch.append(item)
            if len(batch) >= size:
                yield batch
                batch = []
        else:
            on_other(item)
    if batch:
        yield batch
