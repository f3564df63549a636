"""Reading corpus records from JSONL (plain or gzip), JSON arrays, Parquet, zip archives or folders of them.

Every input line or row becomes either a :class:`Record` or a :class:`Rejected`
with a one-line reason, so that a run can account for all of its input.
"""

from __future__ import annotations

import atexit
import gzip
import json
import os
import re
import shutil
import sys
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import IO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

from dedup.lines import block_lines, gzip_lines

__all__ = [
    "MAX_ID_CHARS",
    "FieldNames",
    "FileError",
    "IdCheck",
    "Record",
    "Rejected",
    "RowBatch",
    "batched",
    "file_labels",
    "in_archive",
    "input_files",
    "json_array",
    "line_limit",
    "open_input",
    "parquet_batches",
    "parse_batch",
    "parse_date",
    "parse_row",
    "parse_timezone",
    "printable_path",
    "raw_batches",
    "read_records",
    "shown",
    "unread_files",
]

_JSON = (".jsonl", ".json", ".ndjson", ".jsonl.gz", ".json.gz", ".ndjson.gz")
_SUFFIXES = (*_JSON, ".parquet", ".zip")


@dataclass(frozen=True)
class FieldNames:
    """Which input fields hold the id, the text and the publication date, and how dates are written;
    ``extra`` fields are carried along."""

    id: str = "id"
    text: str = "text"
    date: str = "published"
    extra: tuple[str, ...] = ()
    date_formats: tuple[str, ...] = ()
    """strptime patterns tried after ISO 8601 (e.g. ``%d/%m/%Y``)."""
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


class FileError(Exception):
    """A whole input file (or its rest) cannot be read; ``str()`` says which and why."""


def _readable(path: Path) -> bool:
    return path.name.endswith(_SUFFIXES) and path.is_file()


def _zip_members(archive: Path) -> tuple[list[Path], list[Path]]:
    """The members of a zip archive as paths inside it (``archive.zip/name``): those read (JSON Lines, plain
    or gzip, and JSON arrays) in sorted order, and the rest."""
    try:
        with zipfile.ZipFile(archive) as opened:
            names = sorted(info.filename for info in opened.infolist() if not info.is_dir())
    except (OSError, zipfile.BadZipFile) as err:
        raise FileError(f"{archive}: cannot read the zip archive (corrupt or truncated?): {err}") from None
    members = [archive / name for name in names]
    return [p for p in members if p.name.endswith(_JSON)], [p for p in members if not p.name.endswith(_JSON)]


def _expanded(files: list[Path]) -> list[Path]:
    """``files`` with each zip archive replaced by the members of it that are read."""
    return [member for p in files for member in (_zip_members(p)[0] if p.name.endswith(".zip") else [p])]


def _spooled_stdin() -> Path:
    """Standard input copied to a temporary ``stdin.json`` (``stdin.json.gz`` if gzip), removed at exit:
    a run may read its input twice, which a pipe cannot give."""
    folder = Path(tempfile.mkdtemp(prefix="dedup-stdin-"))
    atexit.register(shutil.rmtree, folder, True)
    first = sys.stdin.buffer.read(2)
    path = folder / ("stdin.json.gz" if first == b"\x1f\x8b" else "stdin.json")
    with path.open("wb") as spool:
        spool.write(first)
        shutil.copyfileobj(sys.stdin.buffer, spool, 1 << 20)
    return path


def input_files(path: str | Path) -> list[Path]:
    """The input files under ``path``: the file itself, a folder's corpus files in sorted order, the members
    of a zip archive (as ``archive.zip/name``), or ``-``: standard input, spooled to a temporary file."""
    if str(path) == "-":
        return [_spooled_stdin()]
    path = Path(path)
    if path.is_dir():
        files = _expanded(sorted(p for p in path.rglob("*") if _readable(p)))
        if not files:
            raise FileError(f"{path}: no .jsonl, .json, .jsonl.gz, .parquet or .zip files in this folder")
        return files
    if not path.exists():
        raise FileError(f"{path}: no such file or folder")
    if not path.name.endswith(_SUFFIXES):
        raise FileError(f"{path}: not a corpus file (expected .jsonl, .json, .jsonl.gz, .parquet or .zip)")
    if not path.is_file():  # a pipe would hang the second pass over the input
        raise FileError(
            f"{path}: not a regular file (a pipe or a device?): dedup reads its input twice; give - instead"
        )
    files = _expanded([path])
    if not files:
        raise FileError(f"{path}: no .jsonl, .json or .jsonl.gz files in this zip archive")
    return files


def unread_files(path: str | Path) -> list[str]:
    """What a folder or zip archive holds that :func:`input_files` leaves out (other names such as ``B.JSONL``
    or ``.bz2``, pipes, devices), as printable paths inside it, so that a run can say so instead of skipping them."""
    path = Path(path)
    if path.name.endswith(".zip") and path.is_file():
        return [printable_path(p.relative_to(path)) for p in _zip_members(path)[1]]
    if not path.is_dir():
        return []
    archives = sorted(p for p in path.rglob("*") if p.name.endswith(".zip") and p.is_file())
    unread = [p for p in path.rglob("*") if not p.is_dir() and not _readable(p)]
    unread += [p for archive in archives for p in _zip_members(archive)[1]]
    return sorted(printable_path(p.relative_to(path)) for p in unread)


def _member(path: Path) -> tuple[Path, str] | None:
    """(archive, member name) when ``path`` names a member of a zip archive, as :func:`input_files` gives them."""
    for parent in path.parents:
        if parent.name.endswith(".zip") and parent.is_file():
            return parent, path.relative_to(parent).as_posix()
    return None


def in_archive(path: Path) -> bool:
    """Whether ``path`` is a member of a zip archive (not a file of its own on disk)."""
    return _member(path) is not None


@contextmanager
def open_input(path: Path) -> Iterator[IO[bytes]]:
    """A binary stream of input file ``path`` (a zip archive's member included), decompressed if named .gz."""
    with ExitStack() as stack:
        inside = _member(path)
        if inside is None:
            handle: IO[bytes] = stack.enter_context(path.open("rb"))
        else:
            with zipfile.ZipFile(inside[0]) as archive:  # the member's stream keeps the archive file open
                handle = stack.enter_context(archive.open(inside[1]))
        if path.name.endswith(".gz"):
            handle = stack.enter_context(gzip.GzipFile(fileobj=handle))
        yield handle


def printable_path(path: str | Path) -> str:
    """``path`` as text that can be written anywhere: bytes of a name that are not UTF-8 escaped (``\\xff``)."""
    return str(path).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def file_labels(files: list[Path]) -> list[str]:
    """How messages and CSVs name each input file: its printable path from the folder holding them all,
    so that ``a/x.jsonl`` and ``b/x.jsonl`` stay apart."""
    root = os.path.commonpath([p.parent for p in files]) if files else ""
    return [printable_path(os.path.relpath(p, root)) for p in files]


def parse_date(value: object, formats: tuple[str, ...] = (), zone: tzinfo = timezone.utc) -> float | None:
    """POSIX seconds of a date in one of the strptime ``formats`` or in ISO 8601, naive ones taken in ``zone``;
    ``None`` if absent or unparsable."""
    if not isinstance(value, str) or not value.strip():
        return None
    parsed = _parsed(value.strip(), formats)
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed.timestamp()


def _parsed(text: str, formats: tuple[str, ...]) -> datetime | None:
    for pattern in formats:
        try:
            return datetime.strptime(text, pattern)
        except ValueError:
            continue
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


_OFFSET = re.compile(r"([+-])(\d\d):?(\d\d)")


def parse_timezone(text: str) -> tzinfo:
    """A fixed offset (``+03:00``, ``-0430``) or an IANA zone (``Asia/Riyadh``, summer time included);
    ValueError saying what to give otherwise."""
    offset = _OFFSET.fullmatch(text.strip())
    if offset and int(offset[2]) < 24 and int(offset[3]) < 60:
        sign = -1 if offset[1] == "-" else 1
        return timezone(sign * timedelta(hours=int(offset[2]), minutes=int(offset[3])))
    try:
        return ZoneInfo(text.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {text!r}: give an offset such as +03:00 or a zone name such as Asia/Riyadh"
        ) from None


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
    more = f", … ({len(obj)} in all)" if len(obj) > 8 else ""
    return f" (the row has: {', '.join(names)}{more})" if names else " (the row is empty)"


def _check_id(obj: dict, name: str) -> tuple[str | None, str, str]:
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
    if _LONE_SURROGATE.search(doc_id):
        return None, "bad_id", f"id {shown(doc_id)} contains a lone surrogate (an unpaired \\ud800-\\udfff escape)"
    return doc_id, "", ""


def _check(obj: object, fields: FieldNames, max_chars: int) -> tuple[str | None, str | None, str, str]:
    """(id, text, kind, reason); ``kind`` is empty when the object can be used."""
    if not isinstance(obj, dict):
        return None, None, "not_an_object", f"not a JSON object (got {_json_type(obj)})"
    doc_id, kind, reason = _check_id(obj, fields.id)
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
    if _LONE_SURROGATE.search(text):
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


_DAMAGE = (OSError, EOFError, zlib.error, zipfile.BadZipFile)
"""What reading a damaged file, gzip stream or zip archive raises."""


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
                # Blank means all whitespace; a line that does not start with whitespace is never copied to check.
                used = np.fromiter(
                    (bool(line) and (not line[:1].isspace() or bool(line.strip())) for line in lines),
                    dtype=bool,
                    count=len(lines),
                )
                if limit is not None:
                    used |= sizes > limit
                at = np.flatnonzero(used)
                carry += RowBatch(index, at + number, starts[at], sizes[at], [lines[i] for i in at.tolist()])
                number, offset = number + len(lines), offset + int(sizes.sum())
                while len(carry) >= size:
                    yield carry[:size]
                    carry = carry[size:]
    except _DAMAGE as err:
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
    except _DAMAGE:
        return False  # reading it again says what is wrong
    return first.lstrip(b"\xef\xbb\xbf").startswith(b"[") or first == b"{"


def _array_batches(path: Path, index: int, size: int) -> Iterator[RowBatch]:
    """The elements of a file holding one JSON array, numbered from 1, in batches of ``size``. The file is
    read whole: such files (a day of a news site) are a few MB; larger corpora come as JSON Lines."""
    try:
        with open_input(path) as handle:
            rows = json.load(handle)
    except _DAMAGE as err:
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
    if isinstance(payload, bytes):
        try:
            payload = json.loads(payload)
        except (ValueError, UnicodeDecodeError) as err:
            return Rejected(file, line, None, "invalid_json", f"not valid JSON: {err}")
        except RecursionError:
            return Rejected(file, line, None, "invalid_json", "not usable JSON: nested too deeply")
    doc_id, text, kind, reason = _check(payload, fields, max_chars)
    if kind:
        return Rejected(file, line, doc_id, kind, reason)
    extra = {name: payload.get(name) for name in fields.extra}
    date = parse_date(payload.get(fields.date), fields.date_formats, fields.timezone)
    return Record(file, line, doc_id, text, date, extra)


def parse_batch(batch: RowBatch, fields: FieldNames, max_chars: int) -> list[Record | Rejected]:
    """:func:`parse_row` on every row of a batch; a line over :func:`line_limit` is rejected unparsed."""
    limit = line_limit(max_chars)
    return [
        Rejected(
            batch.file, line, None, "too_long", f"line too long to parse ({size:,} bytes > {limit:,}; see --max-chars)"
        )
        if size > limit
        else parse_row(batch.file, line, payload, fields, max_chars)
        for line, size, payload in zip(batch.lines.tolist(), batch.sizes.tolist(), batch.payloads, strict=True)
    ]


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
        where = f"{self.labels[first_file]}:{first_line}"
        return Rejected(file, line, doc_id, "duplicate_id", f"duplicate id {shown(doc_id)} (first at {where})")


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
