"""The Spark engine's input: which files, and every row parsed by the local engine's rules.

Files are listed as the local engine lists them (:func:`dedup.sources.input_files` for a local path, the
same names on any other file system). JSON Lines are read as raw lines and Parquet as rows, each numbered
as the local engine numbers them (line, or row from 1), and every row goes through
:func:`dedup.records.parse_raw` in ``mapInArrow``: the same rejections, with the same kinds and reasons.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote

import pyarrow as pa

from dedup.policy import copy_penalty, outlet_of
from dedup.records import FieldNames, FileError, Record, Rejected, is_blank, json_array, parse_raw, raw_batches
from dedup.sources import corpus_name, file_labels, in_archive, input_files, printable_path, unread_files
from dedup.textio import RunError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["LINE_BITS", "PARSED", "Inputs", "Parsing", "list_inputs", "parse_rows", "read_parsed", "row_position"]

LINE_BITS = 40
"""A row's ``_dedup_idx`` is ``file << LINE_BITS | line``: input order, as the local engine numbers documents."""

PARSED = pa.schema(
    [
        ("_dedup_idx", pa.int64()),
        ("id", pa.string()),
        ("text", pa.string()),
        ("date", pa.float64()),
        ("length", pa.int64()),
        ("outlet", pa.string()),
        ("penalty", pa.int64()),
        ("kind", pa.string()),
        ("reason", pa.string()),
        ("sig", pa.binary()),
        ("sets", pa.binary()),
        ("keys", pa.list_(pa.int64())),
        ("nonempty", pa.bool_()),
    ]
)
"""A parsed row: a usable document, signed, with its outlet and :func:`dedup.policy.copy_penalty` (``kind``
null; ``text`` only where kept), or a rejected one."""


@dataclass(frozen=True)
class Parsing:
    """How the executors turn rows into :data:`PARSED` rows: the local engine's rules, then ``sign`` on the
    usable texts (one pass over the text); the texts are kept only with ``keep_text`` (the paragraph pass).
    ``outlet`` names the outlet field (one of ``fields.extra``)."""

    fields: FieldNames
    outlet: str
    max_chars: int
    sign: Callable[[list[str]], dict[str, list]]
    keep_text: bool = False


def row_position(idx: int) -> tuple[int, int]:
    """(file, line) of a ``_dedup_idx``."""
    return idx >> LINE_BITS, idx & ((1 << LINE_BITS) - 1)


@dataclass(frozen=True)
class Inputs:
    """The files a Spark run reads (as Spark names them), how reports name them, and what was left out."""

    uris: list[str]
    labels: list[str]
    unread: list[str] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)
    local: list[Path] = field(default_factory=list)  # the files as local paths, when they are local

    def index(self) -> dict[str, int]:
        """File number by the path Spark gives in ``_metadata.file_path``."""
        return {unquote(uri): k for k, uri in enumerate(self.uris)}


def _local_inputs(path: Path) -> Inputs:
    try:
        files = input_files(path)
    except FileError as err:
        raise RunError(str(err)) from None
    if any(in_archive(p) for p in files):
        raise RunError(f"{path}: zip archives are read by --engine local only; unpack it for --engine spark")
    arrays = [p for p in files if json_array(p)]
    files = [p for p in files if p not in arrays]
    errors = [f"{p}: one JSON array: --engine spark reads JSON Lines (--engine local reads both)" for p in arrays]
    if not files:
        raise RunError("no input could be read: " + "; ".join(errors))
    return Inputs([f"file:{p.absolute()}" for p in files], file_labels(files), unread_files(path), errors, files)


def list_inputs(spark: SparkSession, input_path: str, local: Path | None) -> Inputs:
    """The input files under ``input_path`` in the local engine's order; ``local`` is its local path, if any."""
    if local is not None:
        return _local_inputs(local)
    root = spark._jvm.org.apache.hadoop.fs.Path(input_path)
    fs = root.getFileSystem(spark._jsc.hadoopConfiguration())
    if not fs.exists(root):
        raise RunError(f"{input_path}: no such file or folder")
    listed, names = fs.listFiles(root, True), []
    while listed.hasNext():
        names.append(listed.next().getPath().toString())
    base = root.toString().rstrip("/") + "/"
    uris = sorted(n for n in names if corpus_name(n.rsplit("/", 1)[-1]))
    if not uris:
        raise RunError(f"{input_path}: no .jsonl, .json, .jsonl.gz or .parquet files")
    unread = sorted(n.removeprefix(base) for n in names if n not in uris)
    return Inputs(uris, [printable_path(u.removeprefix(base)) for u in uris], unread)


def _damage(path: Path) -> str | None:
    """What the local engine reports of a compressed file that stops early, or ``None``."""
    for batch in raw_batches([path], max_chars=1):
        if isinstance(batch, FileError):
            return str(batch)
    return None


def _batch(idx: list[int], items: list[Record | Rejected], parsing: Parsing) -> pa.RecordBatch:
    """Parsed rows as one Arrow batch of :data:`PARSED` columns."""
    records = [item if isinstance(item, Record) else None for item in items]
    rejected = [item if isinstance(item, Rejected) else None for item in items]
    signed = parsing.sign([r.text for r in records if r is not None])
    at = list(accumulate((r is not None for r in records), initial=0))
    outlets = [outlet_of(r, parsing.outlet) if r else None for r in records]
    columns = {
        "_dedup_idx": idx,
        "id": [item.id for item in items],
        "text": [r.text if r and parsing.keep_text else None for r in records],
        "date": [r.date if r else None for r in records],
        "length": [len(r.text) if r else None for r in records],
        "outlet": outlets,
        "penalty": [copy_penalty(r.text, o) if r else None for r, o in zip(records, outlets, strict=True)],
        "kind": [r.kind if r else None for r in rejected],
        "reason": [r.reason if r else None for r in rejected],
    }
    for name, values in signed.items():
        columns[name] = [values[at[k]] if r else None for k, r in enumerate(records)]
    return pa.RecordBatch.from_pydict(columns, schema=PARSED)


def parse_rows(parsing: Parsing) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """For ``mapInArrow``: rows (``_dedup_idx`` and data columns) parsed by the local engine's rules."""
    fields, max_chars = parsing.fields, parsing.max_chars

    def parse(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in _slices(batches):
            idx = batch.column("_dedup_idx").to_pylist()
            rows = batch.drop_columns(["_dedup_idx"]).to_pylist()
            items = [parse_raw(*row_position(i), 0, row, fields, max_chars) for i, row in zip(idx, rows, strict=True)]
            yield _batch(idx, items, parsing)

    return parse


_SLICE = 1000


def _slices(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """Arrow batches cut to at most ``_SLICE`` rows: a row becomes several Python objects while it is parsed,
    and Spark's batches (10,000 rows) would hold all of them at once."""
    for batch in batches:
        for start in range(0, batch.num_rows, _SLICE):
            yield batch.slice(start, _SLICE)


_Lines = Iterator[list[tuple[int, bytes, str]]]


def _numbered(batches: Iterator[pa.RecordBatch], blocks: dict[tuple[str, int], tuple[int, int]]) -> _Lines:
    """The non-blank lines of each batch of raw lines (value, path, block) as (``_dedup_idx``, bytes, text),
    numbered within their file as locally. ``blocks`` gives each split's file and first line (a task reads a
    split's lines in order), so the same lines get the same numbers however often they are read."""
    seen: dict[tuple[str, int], int] = {}
    for batch in _slices(batches):
        out = []
        columns = (batch.column(name).to_pylist() for name in ("value", "path", "block"))
        for value, path, block in zip(*columns, strict=True):
            file, first = blocks[(unquote(path), block)]
            offset = seen.get((path, block), 0)
            seen[(path, block)] = offset + 1
            raw = value.encode("utf-8")
            if not is_blank(raw):
                out.append((file << LINE_BITS | (first + offset), raw, value))
        yield out


def _parse_lines(
    blocks: dict[tuple[str, int], tuple[int, int]], parsing: Parsing
) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """For ``mapInArrow``: raw lines numbered as locally and parsed by the local engine's rules."""
    fields, max_chars = parsing.fields, parsing.max_chars

    def parse(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for lines in _numbered(batches, blocks):
            items = [parse_raw(*row_position(i), len(raw), raw, fields, max_chars) for i, raw, _ in lines]
            yield _batch([i for i, _, _ in lines], items, parsing)

    return parse


def _line_values(
    blocks: dict[tuple[str, int], tuple[int, int]],
) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """For ``mapInArrow``: raw lines numbered as locally, as (``_dedup_idx``, value)."""

    def number(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for lines in _numbered(batches, blocks):
            columns = [pa.array([i for i, _, _ in lines], pa.int64()), pa.array([v for _, _, v in lines], pa.string())]
            yield pa.RecordBatch.from_arrays(columns, ["_dedup_idx", "value"])

    return number


def _first_lines(text: DataFrame, index: dict[str, int]) -> dict[tuple[str, int], tuple[int, int]]:
    """(file, first line) of every split of the text files, from a count of each split's lines."""
    counts = sorted(
        (unquote(r["path"]), r["block"], r["count"]) for r in text.groupBy("path", "block").count().collect()
    )
    blocks, line, previous = {}, 1, None
    for path, block, count in counts:
        line = 1 if path != previous else line
        blocks[(path, block)] = (index[path], line)
        line, previous = line + count, path
    return blocks


def read_parsed(
    spark: SparkSession, inputs: Inputs, parsing: Parsing
) -> tuple[DataFrame, DataFrame | None, DataFrame | None, list[str]]:
    """(parsed and signed rows, persisted until :func:`dedup.spark._decide` has taken what it needs; the JSON
    lines as ``_dedup_idx, value``, read again where used; the Parquet rows with ``_dedup_idx``; file errors).
    A compressed file that stops early gives its rows before the damage and a file error, as locally
    (checked where the files are local; elsewhere ``ignoreCorruptFiles`` drops the rest)."""
    from pyspark.sql import functions as F
    from pyspark.sql.pandas.types import from_arrow_schema

    spark.conf.set("spark.sql.files.ignoreCorruptFiles", "true")
    index = inputs.index()
    json_uris = [u for u in inputs.uris if not u.endswith(".parquet")]
    parquet_uris = [u for u in inputs.uris if u.endswith(".parquet")]
    parsed, lines, rows = [], None, None
    if json_uris:
        text = spark.read.option("lineSep", "\n").text(json_uris)
        text = text.select(
            "value", F.col("_metadata.file_path").alias("path"), F.col("_metadata.file_block_start").alias("block")
        )
        blocks = _first_lines(text, index)
        parsed.append(text.mapInArrow(_parse_lines(blocks, parsing), from_arrow_schema(PARSED)))
        lines = text.mapInArrow(_line_values(blocks), "_dedup_idx long, value string")
    if parquet_uris:
        table = spark.read.parquet(*parquet_uris)
        files = spark.createDataFrame(list(index.items()), "uri string, file long")
        numbered = table.select("*", "_metadata.file_path", "_metadata.row_index").join(
            F.broadcast(files), F.expr("url_decode(file_path)") == files.uri
        )
        position = F.shiftleft("file", LINE_BITS) + F.col("row_index") + 1
        rows = numbered.select(position.alias("_dedup_idx"), *table.columns)
        fields = parsing.fields
        wanted = [c for c in dict.fromkeys((fields.id, fields.text, fields.date, *fields.extra)) if c in table.columns]
        parsed.append(rows.select("_dedup_idx", *wanted).mapInArrow(parse_rows(parsing), from_arrow_schema(PARSED)))
    union = parsed[0] if len(parsed) == 1 else parsed[0].unionByName(parsed[1])
    compressed = [p for p in inputs.local if p.name.endswith(".gz")]
    damage = spark.sparkContext.parallelize(compressed, max(1, len(compressed))).map(_damage).collect()
    return union.persist(), lines, rows, inputs.file_errors + [d for d in damage if d]
