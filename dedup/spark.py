"""The Spark engine: the same per-record code as the local engine, distributed by PySpark.

Signatures and shingle sets are computed by ``mapInPandas`` with :class:`~dedup.pipeline.Pipeline`;
band keys are exploded to rows and shuffled to form buckets; candidate pairs are verified
where they lie; clusters come from min-label propagation with pointer jumping, all in
DataFrames (nothing proportional to the corpus is collected to the driver). For the same
input and settings, the kept set and the clusters equal the local engine's.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa

from dedup.config import DedupConfig
from dedup.corpus import CorpusOptions
from dedup.lsh import band_keys, candidate_pairs
from dedup.manifest import Manifest, peak_memory_mb, run_outputs, run_settings
from dedup.pipeline import Pipeline
from dedup.policy import KEEP_POLICIES, REJECTED_COLUMNS, choose_kept, rejected_row
from dedup.records import FieldNames, Rejected, duplicate_id, json_line
from dedup.segment import drop_lines, split_paragraphs
from dedup.sources import printable_path
from dedup.spark_read import PARSED, Parsing, list_inputs, parse_rows, read_parsed, row_position
from dedup.textio import MARKER, RunError, check_out, parse_marker, replace_refusal, writing

if TYPE_CHECKING:  # PySpark is the optional extra; it is imported where a function needs it
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["SparkResult", "dedup_dataframe", "run_corpus_spark", "spark_session"]

_pipelines: dict[str, Pipeline] = {}


def _pipeline(cfg_json: str) -> Pipeline:
    """One Pipeline per worker process and configuration (its permutations and compiled code are reused)."""
    if cfg_json not in _pipelines:
        from dedup.index import config_from_description

        _pipelines[cfg_json] = Pipeline(config_from_description(json.loads(cfg_json)))
    return _pipelines[cfg_json]


def spark_session(master: str = "local[2]", conf: dict[str, str] | None = None) -> SparkSession:
    """A SparkSession with settings that work on one machine and quiet output; ``conf`` overrides them."""
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    if master.startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    settings = {
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.shuffle.partitions": "8",
        "spark.driver.memory": "2g",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.session.timeZone": "UTC",
    }
    if master.startswith("local"):
        settings["spark.driver.bindAddress"] = "127.0.0.1"
    settings.update(conf or {})
    builder = SparkSession.builder.master(master).appName("dedup")
    for key, value in settings.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


@dataclass(frozen=True)
class SparkResult:
    """DataFrames of a Spark deduplication: kept rows (input columns), duplicates, rejected rows."""

    kept: DataFrame
    duplicates: DataFrame
    rejected: DataFrame
    paragraphs_removed: DataFrame | None = None  # with level="paragraph": id, line, first_id, first_line, similarity


def _signature_columns(cfg_json: str, bands: int, rows: int) -> Callable[[list[str]], dict[str, list]]:
    """The columns of :class:`_SignedRecords` but ``idx`` (sig, sets, keys, nonempty) for a list of texts."""

    def columns(texts: list[str]) -> dict[str, list]:
        batch = _pipeline(cfg_json).sign(texts)
        keys = band_keys(batch.signatures, bands, rows).view(np.int64)
        return {
            "sig": [row.tobytes() for row in batch.signatures],
            "sets": [batch.shingle_set(i).tobytes() for i in range(len(texts))],
            "keys": list(keys),
            "nonempty": batch.nonempty.tolist(),
        }

    return columns


def _sign_partition(cfg_json: str, bands: int, rows: int):
    columns = _signature_columns(cfg_json, bands, rows)

    def sign(frames: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for frame in frames:
            yield pd.DataFrame({"idx": frame["idx"].to_numpy(), **columns(frame["text"].tolist())})

    return sign


def _bucket_pairs(max_pairs: int):
    """Pairs inside each bucket exactly as the local engine forms them (sorted members, bounded neighbours)."""

    def pairs(frames: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for frame in frames:
            a_out, b_out = [], []
            for members in frame["members"]:
                ordered = np.sort(np.asarray(members, dtype=np.int64))
                local = candidate_pairs(np.zeros((len(ordered), 1), dtype=np.uint64), max_pairs)
                a_out.append(ordered[local[:, 0]])
                b_out.append(ordered[local[:, 1]])
            a = np.concatenate(a_out) if a_out else np.zeros(0, dtype=np.int64)
            b = np.concatenate(b_out) if b_out else np.zeros(0, dtype=np.int64)
            yield pd.DataFrame({"a": a, "b": b})

    return pairs


def _similarity(cfg_json: str):
    """Jaccard of each joined pair, exact on the two shingle sets or estimated from the signatures."""

    def verify(frames: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        pipeline = _pipeline(cfg_json)
        for frame in frames:
            n = len(frame)
            sets = [np.frombuffer(x, dtype=np.uint32) for x in (*frame["sets_a"], *frame["sets_b"])]
            offsets = np.concatenate(([0], np.cumsum([len(s) for s in sets])))
            flat = np.concatenate(sets) if sets else np.zeros(0, dtype=np.uint32)
            dtype = pipeline.hasher.dtype
            sigs = np.vstack([np.frombuffer(x, dtype=dtype) for x in (*frame["sig_a"], *frame["sig_b"])]) if n else None
            pairs = np.stack([np.arange(n), np.arange(n, 2 * n)], axis=1)
            sim = pipeline.similarity(sigs, pairs, (flat, offsets)) if n else np.zeros(0)
            yield pd.DataFrame({"a": frame["a"].to_numpy(), "b": frame["b"].to_numpy(), "similarity": sim})

    return verify


def _components(edges: DataFrame) -> DataFrame:
    """(node, label) for every node of ``edges`` (a, b): label = smallest node of its component."""
    from pyspark.sql import functions as F

    both = edges.select("a", "b").union(edges.select(F.col("b").alias("a"), F.col("a").alias("b")))
    labels = both.groupBy("a").agg(F.least(F.min("b"), F.first("a")).alias("label")).withColumnRenamed("a", "node")
    labels = labels.localCheckpoint()
    while True:
        # Min-label propagation along edges, then one pointer jump (label of the label).
        spread = both.join(labels.withColumnRenamed("node", "b"), "b").groupBy("a").agg(F.min("label").alias("n"))
        merged = labels.join(spread.withColumnRenamed("a", "node"), "node", "left").select(
            "node", F.least("label", F.coalesce("n", "label")).alias("label")
        )
        jumped = (
            merged.alias("m")
            .join(merged.alias("p"), F.col("m.label") == F.col("p.node"), "left")
            .select(
                F.col("m.node").alias("node"),
                F.least(F.col("m.label"), F.coalesce(F.col("p.label"), F.col("m.label"))).alias("label"),
            )
            .localCheckpoint()
        )
        changed = jumped.join(labels.withColumnRenamed("label", "old"), "node").where("label != old").limit(1).count()
        labels = jumped
        if not changed:
            return labels


@dataclass(frozen=True)
class _SignedRecords:
    """Records (idx, sig, sets, keys, nonempty) signed on the executors, for one configuration."""

    frame: DataFrame
    cfg: DedupConfig

    def score(self, pairs: DataFrame) -> DataFrame:
        """(a, b, similarity) for pairs (a, b) of the signed records, verified as configured."""
        from pyspark.sql import types as T

        side = self.frame.select("idx", "sig", "sets")
        joined = (
            pairs.join(side.toDF("a", "sig_a", "sets_a"), "a")
            .join(side.toDF("b", "sig_b", "sets_b"), "b")
            .select("a", "b", "sig_a", "sets_a", "sig_b", "sets_b")
        )
        fields = [T.StructField("a", T.LongType()), T.StructField("b", T.LongType())]
        schema = T.StructType([*fields, T.StructField("similarity", T.DoubleType())])
        return joined.mapInPandas(_similarity(json.dumps(self.cfg.describe())), schema)

    def edges(self) -> DataFrame:
        """Candidate pairs from shared band keys whose similarity reaches the threshold: (a, b, similarity)."""
        from pyspark.sql import functions as F
        from pyspark.sql import types as T

        buckets = (
            self.frame.where("nonempty")
            .select("idx", F.posexplode("keys").alias("band", "key"))
            .groupBy("band", "key")
            .agg(F.collect_list("idx").alias("members"))
            .where(F.size("members") > 1)
        )
        schema = T.StructType([T.StructField("a", T.LongType()), T.StructField("b", T.LongType())])
        candidates = buckets.select("members").mapInPandas(_bucket_pairs(self.cfg.lsh.max_bucket_pairs), schema)
        return self.score(candidates.distinct()).where(F.col("similarity") >= self.cfg.lsh.threshold).localCheckpoint()


def _sign(records: DataFrame, cfg: DedupConfig) -> _SignedRecords:
    """Sign ``records`` (idx, text) with the local engine's Pipeline, in ``mapInPandas``."""
    from pyspark.sql import types as T

    pipeline = Pipeline(cfg)
    schema = T.StructType(
        [
            T.StructField("idx", T.LongType()),
            T.StructField("sig", T.BinaryType()),
            T.StructField("sets", T.BinaryType()),
            T.StructField("keys", T.ArrayType(T.LongType())),
            T.StructField("nonempty", T.BooleanType()),
        ]
    )
    sign = _sign_partition(json.dumps(cfg.describe()), pipeline.bands, pipeline.rows)
    return _SignedRecords(records.mapInPandas(sign, schema).localCheckpoint(), cfg)


def _split_partition(frames: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    """(doc, line, text) of every paragraph of each (doc, text), split as the local engine splits."""
    for frame in frames:
        docs, lines, texts = [], [], []
        for doc, text in zip(frame["doc"].tolist(), frame["text"].tolist(), strict=True):
            for paragraph in split_paragraphs(text):
                docs.append(doc)
                lines.append(paragraph.line)
                texts.append(paragraph.text)
        yield pd.DataFrame(
            {"doc": np.array(docs, dtype=np.int64), "line": np.array(lines, dtype=np.int64), "text": texts}
        )


_TEXT = "_dedup_text"


def _drop_lines(frames: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    """Each row's text without its ``gone`` lines (none when ``gone`` is null)."""
    for frame in frames:
        frame[_TEXT] = [
            text if gone is None else drop_lines(text, set(gone.tolist()))
            for text, gone in zip(frame[_TEXT], frame["gone"], strict=True)
        ]
        yield frame.drop(columns="gone")


def _paragraph_pass(kept: DataFrame, cfg: DedupConfig, text_col: str) -> tuple[DataFrame, DataFrame, DataFrame]:
    """The local engine's paragraph pass over the kept documents: every occurrence of a paragraph after the
    first is removed. Returns the kept documents with those lines gone and without the documents left
    empty, the emptied ones as (a, source: the document holding their first paragraph), and the removed
    paragraphs as (doc, line, first_doc, first_line, similarity)."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    long = T.LongType()
    split = kept.select(F.col("_dedup_idx").alias("doc"), F.col(text_col).alias("text")).mapInPandas(
        _split_partition,
        T.StructType([T.StructField(n, long) for n in ("doc", "line")] + [T.StructField("text", T.StringType())]),
    )
    # A dense index in (document, line) order: a paragraph's first occurrence has the smallest one.
    schema = T.StructType([T.StructField("idx", long), *split.schema.fields])
    indexed = split.orderBy("doc", "line").rdd.zipWithIndex().map(lambda row: (row[1], *row[0]))
    paragraphs = kept.sparkSession.createDataFrame(indexed, schema).localCheckpoint()
    signed = _sign(paragraphs.select("idx", "text"), cfg)
    moved = _components(signed.edges()).where("node != label")
    where = paragraphs.select("idx", "doc", "line")
    removed = (
        signed.score(moved.select(F.col("node").alias("a"), F.col("label").alias("b")))
        .join(where.toDF("a", "doc", "line"), "a")
        .join(where.toDF("b", "first_doc", "first_line"), "b")
        .localCheckpoint()
    )
    totals = where.groupBy("doc").agg(F.count("*").alias("total"), F.min("idx").alias("first_idx"))
    status = (
        removed.groupBy("doc").agg(F.collect_list("line").alias("gone"), F.count("*").alias("n")).join(totals, "doc")
    )
    emptied = (
        status.where("n = total")
        .join(removed.select(F.col("a").alias("first_idx"), F.col("first_doc").alias("source")), "first_idx")
        .select(F.col("doc").alias("a"), "source")
    )
    edits = status.where("n < total").select(F.col("doc").alias("_dedup_idx"), "gone")
    edited = (
        kept.join(emptied.select(F.col("a").alias("_dedup_idx")), "_dedup_idx", "left_anti")
        .join(edits, "_dedup_idx", "left")
        .withColumnRenamed(text_col, _TEXT)
    )
    columns = [c for c in edited.columns if c != "gone"]
    edited = edited.mapInPandas(_drop_lines, edited.select(*columns).schema).withColumnRenamed(_TEXT, text_col)
    return edited, emptied, removed.select("doc", "line", "first_doc", "first_line", "similarity")


def _keep_in_clusters(keep: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """For ``applyInPandas`` over whole clusters (node, label, length, date; several at once, since a call per
    cluster costs more than the work): the local engine's keep policy, :func:`dedup.policy.choose_kept`."""

    def choose(members: pd.DataFrame) -> pd.DataFrame:
        members = members.sort_values(["label", "node"])  # input order: ties go to the first seen, as locally
        nodes, labels = members["node"].to_numpy(), members["label"].to_numpy()
        starts = np.flatnonzero(np.r_[True, labels[1:] != labels[:-1]])
        first = np.repeat(starts, np.diff(np.r_[starts, len(labels)]))  # each member's cluster, by its first row
        best = choose_kept(first, keep, members["length"].to_numpy(), members["date"].to_numpy(dtype=np.float64))
        return pd.DataFrame({"node": nodes, "kept_node": nodes[best], "label": labels})

    return choose


_ID_REJECTED = pa.schema(
    [("_dedup_idx", pa.int64()), ("id", pa.string()), ("kind", pa.string()), ("reason", pa.string())]
)


def _duplicate_ids(labels: list[str] | None) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """For ``mapInArrow`` over later occurrences of ids (_dedup_idx, id, first): the local engine's rejection,
    naming where the id was first seen (``file:line``, or the first row's ``_dedup_idx`` in a DataFrame)."""

    def reject(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            idx, ids, firsts = (batch.column(name).to_pylist() for name in ("_dedup_idx", "id", "first"))
            items = []
            for i, doc_id, first in zip(idx, ids, firsts, strict=True):
                file, line = row_position(first)
                where = f"{labels[file]}:{line}" if labels is not None else f"_dedup_idx {first}"
                items.append(duplicate_id(*row_position(i), doc_id, where))
            columns = {
                "_dedup_idx": idx,
                "id": ids,
                "kind": [r.kind for r in items],
                "reason": [r.reason for r in items],
            }
            yield pa.RecordBatch.from_pydict(columns, _ID_REJECTED)

    return reject


@dataclass(frozen=True)
class _Decision:
    """What the rules decide for parsed rows: documents, rejections, clusters, and who is dropped for whom."""

    docs: DataFrame  # usable documents with unique ids: _dedup_idx, id, text, date, length
    rejected: DataFrame  # _dedup_idx, id, kind, reason
    signed: _SignedRecords
    labels: DataFrame  # node, label: documents with a near-duplicate
    dropped: DataFrame  # a, b, label: document a is dropped for document b


def _parsing(cfg: DedupConfig, fields: FieldNames, max_chars: int, level: str) -> Parsing:
    """How the executors parse and sign rows for ``cfg``; the texts are kept for the paragraph pass."""
    pipeline = Pipeline(cfg)
    sign = _signature_columns(json.dumps(cfg.describe()), pipeline.bands, pipeline.rows)
    return Parsing(fields, max_chars, sign, keep_text=level == "paragraph")


def _decide(parsed: DataFrame, cfg: DedupConfig, keep: str, labels: list[str] | None) -> _Decision:
    """The local engine's decisions on rows parsed and signed by :mod:`dedup.spark_read`: later occurrences
    of an id rejected, documents clustered, one kept per cluster by :func:`dedup.policy.choose_kept`."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F
    from pyspark.sql.pandas.types import from_arrow_schema

    usable = parsed.where(F.col("kind").isNull())
    first = F.min("_dedup_idx").over(Window.partitionBy("id")).alias("first")
    later = usable.select("_dedup_idx", "id", first).where(F.col("_dedup_idx") != F.col("first"))
    rejected = (
        parsed.where(F.col("kind").isNotNull())
        .select("_dedup_idx", "id", "kind", "reason")
        .unionByName(later.mapInArrow(_duplicate_ids(labels), from_arrow_schema(_ID_REJECTED)))
        .localCheckpoint()
    )
    unique = usable.join(later.select("_dedup_idx"), "_dedup_idx", "left_anti")
    signature = [F.col("_dedup_idx").alias("idx"), "sig", "sets", "keys", "nonempty"]
    signed = _SignedRecords(unique.select(*signature).localCheckpoint(), cfg)
    docs = unique.select("_dedup_idx", "id", "text", "date", "length").localCheckpoint()
    parsed.unpersist()  # what follows reads the two checkpoints and the rejections
    clusters = _components(signed.edges())
    members = clusters.join(docs.select(F.col("_dedup_idx").alias("node"), "length", "date"), "node")
    buckets = int(parsed.sparkSession.conf.get("spark.sql.shuffle.partitions"))
    members = members.withColumn("bucket", F.pmod(F.xxhash64("label"), F.lit(buckets)))
    chosen = members.groupBy("bucket").applyInPandas(_keep_in_clusters(keep), "node long, kept_node long, label long")
    dropped = chosen.where(F.col("node") != F.col("kept_node")).select(
        F.col("node").alias("a"), F.col("kept_node").alias("b"), "label"
    )
    return _Decision(docs, rejected, signed, clusters, dropped.localCheckpoint())


def _outcome(decision: _Decision, kept: DataFrame, cfg: DedupConfig, level: str, text_col: str) -> SparkResult:
    """The result for the rows of the kept documents ``kept`` (with ``_dedup_idx`` and ``text_col``): with
    ``level="paragraph"``, repeated paragraphs removed from them; the duplicates in input order."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    dropped = decision.dropped.withColumn("level", F.lit("document"))
    ids = decision.docs.select(F.col("_dedup_idx").alias("idx"), "id")
    paragraphs_removed = None
    if level == "paragraph":
        kept, emptied, removed = _paragraph_pass(kept, cfg, text_col)
        # An emptied document is a duplicate of the one holding its text, and so is what its cluster dropped.
        moved = emptied.select(F.col("a").alias("b"), F.col("source").alias("moved_to"))
        dropped = dropped.join(moved, "b", "left").select("a", F.coalesce("moved_to", "b").alias("b"), "label", "level")
        emptied_rows = emptied.join(decision.labels.toDF("a", "label"), "a", "left").select(
            "a", F.col("source").alias("b"), F.coalesce("label", "a").alias("label"), F.lit("paragraph").alias("level")
        )
        dropped = dropped.unionByName(emptied_rows)
        paragraphs_removed = (
            removed.join(ids.toDF("doc", "id"), "doc")
            .join(ids.toDF("first_doc", "first_id"), "first_doc")
            .select("id", "line", "first_id", "first_line", F.round("similarity", 4).alias("similarity"))
        )
    scored = decision.signed.score(dropped.select("a", "b")).join(dropped, ["a", "b"])
    # A cluster is named as locally: the position of its first document among all documents, from 0.
    position = F.row_number().over(Window.orderBy("_dedup_idx")) - 1
    clusters = decision.docs.select(F.col("_dedup_idx").alias("label"), position.alias("cluster"))
    duplicates = (
        scored.join(ids.toDF("a", "id"), "a")
        .join(ids.toDF("b", "kept_id"), "b")
        .join(clusters, "label")
        .orderBy("a")
        .select(
            "id",
            "cluster",
            "kept_id",
            F.round("similarity", 4).alias("similarity"),
            "level",
        )
    )
    return SparkResult(kept.orderBy("_dedup_idx"), duplicates, decision.rejected, paragraphs_removed)


def dedup_dataframe(
    spark,
    df,
    cfg: DedupConfig | None = None,
    keep: str = "first",
    id_col: str = "id",
    text_col: str = "text",
    date_col: str = "published",
    max_chars: int = 10_000_000,
    level: str = "document",
) -> SparkResult:
    """Deduplicate a DataFrame inside your own Spark job by the local engine's rules (each row is checked by
    :func:`dedup.records.parse_raw`); ``level="paragraph"`` then removes repeated paragraphs from the kept
    documents. ``rejected`` has ``_dedup_idx``, the rejected row's position in ``df`` (its input order)."""
    from pyspark.sql import functions as F
    from pyspark.sql.pandas.types import from_arrow_schema

    if keep not in KEEP_POLICIES or level not in ("document", "paragraph"):
        raise ValueError(f"keep must be first, longest or earliest and level document or paragraph: {keep}, {level}")
    cfg = cfg or DedupConfig()
    spark.sparkContext.setJobGroup("dedup", f"dedup: near-duplicates, {cfg.describe()['profile']}, keep {keep}")
    df = df.withColumn("_dedup_idx", F.monotonically_increasing_id())
    parse = parse_rows(_parsing(cfg, FieldNames(id=id_col, text=text_col, date=date_col), max_chars, level))
    wanted = [c for c in dict.fromkeys((id_col, text_col, date_col)) if c in df.columns]
    parsed = df.select("_dedup_idx", *wanted).mapInArrow(parse, from_arrow_schema(PARSED)).persist()
    decision = _decide(parsed, cfg, keep, None)
    kept = df.join(decision.docs.select("_dedup_idx"), "_dedup_idx", "left_semi").join(
        decision.dropped.select(F.col("a").alias("_dedup_idx")), "_dedup_idx", "left_anti"
    )
    result = _outcome(decision, kept, cfg, level, text_col)
    return replace(result, kept=result.kept.drop("_dedup_idx"))


def _local(out: str) -> Path | None:
    """``out`` as a local path, or ``None`` for one on another file system (HDFS, S3, ...)."""
    return (
        Path(out.removeprefix("file://").removeprefix("file:")) if "://" not in out or out.startswith("file:") else None
    )


def _check_spark_out(fs, target, out: str, input_path: str) -> None:
    """The local engine's rule for ``out`` (see ``textio.check_out``), on any file system Spark reaches."""
    if _local(out) is not None:
        check_out(_local(out), [input_path])
        return
    if out.rstrip("/") == input_path.rstrip("/") or input_path.startswith(out.rstrip("/") + "/"):
        raise RunError(f"{out}: the output folder must not be or hold the input {input_path}")
    if not fs.exists(target):
        return
    names = {status.getPath().getName() for status in fs.listStatus(target)}
    recorded = None
    if MARKER in names:
        stream = fs.open(target.suffix(f"/{MARKER}"))
        try:
            recorded = parse_marker(bytes(stream.readAllBytes()))
        finally:
            stream.close()
    refusal = replace_refusal(out, names, recorded)
    if refusal:
        raise RunError(refusal)


def _with_text(field: str) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """For ``mapInArrow`` over kept lines (value, text): each line with ``field`` set to ``text`` where the
    paragraph pass changed it, written as the local engine writes such a line."""

    def rewrite(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            values = []
            for value, text in zip(*(batch.column(n).to_pylist() for n in ("value", "text")), strict=True):
                row = json.loads(value)
                if row[field] != text:
                    value = json_line({**row, field: text}).decode("utf-8", "surrogatepass")
                values.append(value)
            yield pa.RecordBatch.from_arrays(
                [batch.column("_dedup_idx"), pa.array(values, pa.string())], ["_dedup_idx", "value"]
            )

    return rewrite


class _Folder:
    """The run's output folder on any file system Spark reaches: single files written through Spark."""

    def __init__(self, spark: SparkSession, path: str) -> None:
        self.jvm = spark._jvm
        self.path = path
        hadoop = spark._jsc.hadoopConfiguration()
        hadoop.set("mapreduce.fileoutputcommitter.marksuccessfuljobs", "false")  # no _SUCCESS files
        self.fs = self.at(path).getFileSystem(hadoop)
        self.fs.setWriteChecksum(False)  # no .crc files beside the outputs on a local disk

    def at(self, path: str):
        return self.jvm.org.apache.hadoop.fs.Path(path)

    def write_text(self, name: str, text: str) -> None:
        stream = self.fs.create(self.at(f"{self.path}/{name}"), True)
        try:
            stream.write(bytearray(text.encode("utf-8", "backslashreplace")))
        finally:
            stream.close()

    def single(self, frame: DataFrame, name: str, form: str) -> None:
        """``frame`` as one file ``name`` (a CSV with a header, as Python's csv writes one, or Parquet)."""
        parts = f"{self.path}/.{name}.parts"
        writer = frame.coalesce(1).write.mode("overwrite")
        if form == "csv":
            writer.option("header", True).option("escape", '"').option("emptyValue", "").csv(parts)
        else:
            writer.parquet(parts)
        (part,) = (s.getPath() for s in self.fs.listStatus(self.at(parts)) if s.getPath().getName().startswith("part-"))
        self.fs.rename(part, self.at(f"{self.path}/{name}"))
        self.fs.delete(self.at(parts), True)


_REJECTED = "file string, line long, id string, kind string, reason string"
_REJECTED_ARROW = pa.schema([(c, pa.int64() if c == "line" else pa.string()) for c in REJECTED_COLUMNS])


def _rejected_rows(labels: list[str]) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """For ``mapInArrow`` over rejections (_dedup_idx, id, kind, reason): rows of rejected.csv, as locally."""

    def rows(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            columns = (batch.column(n).to_pylist() for n in ("_dedup_idx", "id", "kind", "reason"))
            out = []
            for idx, doc_id, kind, reason in zip(*columns, strict=True):
                file, line = row_position(idx)
                out.append(rejected_row(labels[file], Rejected(file, line, doc_id, kind, reason)))
            yield pa.RecordBatch.from_pylist(
                [dict(zip(REJECTED_COLUMNS, row, strict=True)) for row in out], _REJECTED_ARROW
            )

    return rows


def run_corpus_spark(
    input_path: str,
    out: str,
    cfg: DedupConfig | None = None,
    opts: CorpusOptions | None = None,
    master: str = "local[2]",
    conf: dict[str, str] | None = None,
) -> dict:
    """``dedup corpus --engine spark``: read INPUT, deduplicate by the local engine's rules, write ``out`` (any
    path Spark can reach) through a temporary path renamed into place at the end, and return the manifest.

    ``opts`` are the local engine's (keep, level, max chars, field names); workers and batches are Spark's.
    """
    from pyspark.sql import functions as F

    cfg, opts = cfg or DedupConfig(), opts or CorpusOptions()
    start = time.perf_counter()
    spark = spark_session(master, conf)
    folder = _Folder(spark, f"{out.rstrip('/')}.partial-{os.getpid()}")
    target = folder.at(out)
    _check_spark_out(folder.fs, target, out, input_path)
    lock = ExitStack()
    if _local(out) is not None:  # as the local engine: one run at a time into a folder
        lock.enter_context(writing(_local(out)))
    try:
        local_input = _local(input_path)
        inputs = list_inputs(spark, input_path, local_input)
        spark.sparkContext.setJobGroup("dedup", f"dedup: {input_path}, {cfg.describe()['profile']}, keep {opts.keep}")
        parsing = _parsing(cfg, opts.fields, opts.max_chars, opts.level)
        parsed, lines, rows, file_errors = read_parsed(spark, inputs, parsing)
        decision = _decide(parsed, cfg, opts.keep, inputs.labels)
        dropped = decision.dropped.select(F.col("a").alias("_dedup_idx"))
        paragraphs = opts.level == "paragraph"  # only then are the kept texts needed (and changed)
        survivors = decision.docs.select("_dedup_idx", *(["text"] if paragraphs else []))
        result = _outcome(decision, survivors.join(dropped, "_dedup_idx", "left_anti"), cfg, opts.level, "text")
        kept = result.kept.localCheckpoint()
        if lines is not None:  # JSON Lines: the input lines as they were, rewritten where paragraphs went
            kept_lines = lines.select("_dedup_idx", "value").join(kept, "_dedup_idx")
            if paragraphs:
                kept_lines = kept_lines.mapInArrow(_with_text(opts.fields.text), "_dedup_idx long, value string")
            kept_lines.orderBy("_dedup_idx").coalesce(1).select("value").write.text(f"{folder.path}/kept")
        if rows is not None:
            kept_rows = rows.join(kept.withColumnRenamed("text", "_dedup_text"), "_dedup_idx")
            if paragraphs:
                kept_rows = kept_rows.withColumn(opts.fields.text, F.col("_dedup_text"))
            kept_rows = kept_rows.orderBy("_dedup_idx").drop("_dedup_idx", "_dedup_text").coalesce(1)
            kept_rows.write.mode("append").parquet(f"{folder.path}/kept")
        duplicates = result.duplicates.localCheckpoint()
        folder.single(duplicates, "duplicates.csv", "csv")
        folder.single(duplicates, "duplicates.parquet", "parquet")
        rejected = decision.rejected.orderBy("_dedup_idx").mapInArrow(
            _rejected_rows(inputs.labels),
            ", ".join(f"{c} {'long' if c == 'line' else 'string'}" for c in REJECTED_COLUMNS),
        )
        folder.single(rejected, "rejected.csv", "csv")
        removed_count = emptied_count = 0
        if result.paragraphs_removed is not None:
            removed = result.paragraphs_removed.orderBy("id", "line").localCheckpoint()
            folder.single(removed, "paragraphs_removed.csv", "csv")
            # As the local engine counts: lines removed from kept documents; emptied documents apart.
            emptied = duplicates.where("level = 'paragraph'").select("id")
            removed_count, emptied_count = removed.join(emptied, "id", "left_anti").count(), emptied.count()
        pipeline = Pipeline(cfg)
        reasons = {r["kind"]: r["count"] for r in decision.rejected.groupBy("kind").count().collect()}
        manifest = Manifest.corpus(
            kept=kept.count(),
            duplicates=duplicates.count(),
            rejected_by_reason=reasons,
            clusters_with_duplicates=duplicates.select("cluster").distinct().count(),
            undated=decision.docs.where(F.col("date").isNull()).count(),
            paragraphs_removed=removed_count,
            emptied_by_paragraph_dedup=emptied_count,
            engine="spark",
            inputs=[printable_path(p) for p in inputs.local] or inputs.uris,
            file_errors=file_errors,
            unread_files=inputs.unread,
            settings=run_settings(cfg, pipeline.bands, pipeline.rows, asdict(opts)) | {"master": master},
            timings_s={"total": time.perf_counter() - start},
            peak_memory_mb=peak_memory_mb(),
            outputs=run_outputs(opts.level, True),
        )
        folder.write_text("manifest.json", manifest.json())
        names = sorted(status.getPath().getName() for status in folder.fs.listStatus(folder.at(folder.path)))
        folder.write_text(MARKER, json.dumps({"tool": "dedup", "files": names}))
        _check_spark_out(folder.fs, target, out, input_path)
        if folder.fs.exists(target):
            folder.fs.delete(target, True)
        folder.fs.rename(folder.at(folder.path), target)
        return manifest.to_dict()
    except RunError:
        raise
    except Exception as err:
        message = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise RunError(f"Spark run failed, nothing written to {out}: {message[:500]}") from err
    finally:  # also when stopped (SIGTERM, Ctrl-C); after a finished run there is nothing left to delete
        folder.fs.delete(folder.at(folder.path), True)
        lock.close()
