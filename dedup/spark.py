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
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dedup.config import DedupConfig
from dedup.corpus import CorpusOptions
from dedup.lsh import band_keys, candidate_pairs
from dedup.paragraph_rule import (
    Facts,
    ParagraphRule,
    copy_penalty,
    decide,
    keep_rank,
    paragraph_facts,
    summary,
)
from dedup.pipeline import Pipeline
from dedup.records import MAX_ID_CHARS
from dedup.segment import drop_lines
from dedup.textio import FORMULA_STARTS, MARKER, RunError, check_out, parse_marker, replace_refusal, writing

if TYPE_CHECKING:  # PySpark is the optional extra; it is imported where a function needs it
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["SparkResult", "dedup_dataframe", "run_corpus_spark", "spark_session"]

_pipelines: dict[str, Pipeline] = {}
_ID_TYPES = {"string", "bigint", "int", "smallint", "tinyint"}


def _pipeline(cfg_json: str) -> Pipeline:
    """One Pipeline per worker process and configuration (its permutations and compiled code are reused)."""
    if cfg_json not in _pipelines:
        from dedup.index import config_from_description

        _pipelines[cfg_json] = Pipeline(config_from_description(json.loads(cfg_json)))
    return _pipelines[cfg_json]


@contextmanager
def _stderr_to(log: str | Path | None) -> Iterator[None]:
    """Within: this process's standard error (file descriptor 2) writes to ``log``, so a child started
    here (PySpark's JVM) keeps writing there for good; Python's own comes back after."""
    if log is None:
        yield
        return
    sys.stderr.flush()
    saved, target = os.dup(2), os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(target, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(target)


def spark_session(
    master: str = "local[2]", conf: dict[str, str] | None = None, jvm_log: str | Path | None = None
) -> SparkSession:
    """A SparkSession with settings that work on one machine and quiet output; ``conf`` overrides them.
    With ``jvm_log``, a JVM started here writes its own messages (start-up notices, log4j) to that file
    instead of standard error."""
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
    with _stderr_to(jvm_log):
        spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


@dataclass(frozen=True)
class SparkResult:
    """DataFrames of a Spark deduplication: kept rows (input columns), duplicates, rejected rows."""

    kept: DataFrame
    duplicates: DataFrame
    rejected: DataFrame
    paragraphs_removed: DataFrame | None = None  # level="paragraph": id, line, first_id, first_line, similarity, kind
    paragraph_counts: dict[str, int] | None = None  # level="paragraph": as the local engine's manifest counts


def _sign_partition(cfg_json: str, bands: int, rows: int):
    def sign(frames: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        pipeline = _pipeline(cfg_json)
        for frame in frames:
            batch = pipeline.sign(frame["text"].tolist())
            keys = band_keys(batch.signatures, bands, rows).view(np.int64)
            sets = [batch.shingle_set(i).tobytes() for i in range(len(frame))]
            yield pd.DataFrame(
                {
                    "idx": frame["idx"].to_numpy(),
                    "sig": [row.tobytes() for row in batch.signatures],
                    "sets": sets,
                    "keys": list(keys),
                    "nonempty": batch.nonempty,
                }
            )

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


_FACT_COLUMNS = ("doc", "line", "key", "words", "repeat_of", "similarity", "short", "shingles")
_META_COLUMNS = ("outlet", "date", "length", "penalty")


def _facts_partition(cfg_json: str):
    """The paragraph facts (:func:`dedup.paragraph_rule.paragraph_facts`) of each kept document, a row a
    paragraph, with the document's outlet, date, length and copy penalty (what the keep order reads)."""

    def facts(frames: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        pipeline = _pipeline(cfg_json)
        for frame in frames:
            found = paragraph_facts(frame["doc"].tolist(), frame["text"].tolist(), pipeline)
            ends = np.cumsum(found.shingle_counts)
            rows = pd.DataFrame({name: getattr(found, name) for name in _FACT_COLUMNS[1:-1]})
            rows.insert(0, "doc", found.owner)
            rows["shingles"] = [
                found.shingles[e - c : e].tobytes() for e, c in zip(ends, found.shingle_counts, strict=True)
            ]
            meta = frame.set_index("doc")[list(_META_COLUMNS)]
            yield rows.join(meta, on="doc")[list(_FACT_COLUMNS + _META_COLUMNS)]

    return facts


def _decide_partition(keep: str, rule: ParagraphRule):
    """:func:`dedup.paragraph_rule.decide` over every row of the (one) partition: what it removes, drops and rejects,
    as rows (action, doc, line, first_doc, first_line, similarity, detail)."""

    def decisions(frames: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        frame = pd.concat(list(frames), ignore_index=True)
        docs, dense = np.unique(frame["doc"].to_numpy(dtype=np.int64), return_inverse=True)  # input order kept
        blobs = frame["shingles"].tolist()
        facts = Facts(
            dense.astype(np.int64),
            *(frame[name].to_numpy() for name in _FACT_COLUMNS[1:-1]),
            np.frombuffer(b"".join(blobs), dtype=np.uint32),
            np.fromiter(map(len, blobs), dtype=np.int64, count=len(blobs)) // 4,
        )
        first_row = np.unique(dense, return_index=True)[1]
        meta = frame.iloc[first_row]
        outlet = np.unique(meta["outlet"].fillna("").to_numpy(dtype=str), return_inverse=True)[1].astype(np.int64)
        date = meta["date"].to_numpy(dtype=np.float64)
        order = keep_rank(keep, meta["length"].to_numpy(), date, meta["penalty"].to_numpy())
        found = decide(facts, order, outlet, rule, len(docs))
        kind = np.where(facts.repeat_of[found.removed] > 0, "repeat", "boilerplate")
        rows = [
            ("removed", docs[facts.owner[r]], facts.line[r], docs[facts.owner[f]], facts.line[f], sim, k)
            for r, f, sim, k in zip(found.removed, found.first, found.similarity, kind, strict=True)
        ]
        rows += [(why, docs[d], 0, docs[target], 0, share, why) for d, (target, why, share) in found.dropped.items()]
        rows += [("rejected", docs[d], 0, -1, 0, 0.0, reason) for d, reason in found.rejected.items()]
        names = ["action", "doc", "line", "first_doc", "first_line", "similarity", "detail"]
        yield pd.DataFrame(rows, columns=names).astype({n: "int64" for n in ("doc", "line", "first_doc", "first_line")})

    return decisions


def _penalties(texts: pd.Series, outlets: pd.Series) -> pd.Series:
    """:func:`dedup.paragraph_rule.copy_penalty` of each text and its outlet."""
    pairs = zip(texts.tolist(), outlets.fillna("").tolist(), strict=True)
    return pd.Series([copy_penalty(text, outlet) for text, outlet in pairs], dtype="int64")


_TEXT = "_dedup_text"


def _drop_lines(frames: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    """Each row's text without its ``gone`` lines (none when ``gone`` is null)."""
    for frame in frames:
        frame[_TEXT] = [
            text if gone is None else drop_lines(text, set(gone.tolist()))
            for text, gone in zip(frame[_TEXT], frame["gone"], strict=True)
        ]
        yield frame.drop(columns="gone")


def _paragraph_pass(
    kept: DataFrame, cfg: DedupConfig, text_col: str, keep: str, rule: ParagraphRule
) -> tuple[DataFrame, DataFrame]:
    """The local engine's paragraph level over the kept documents (``_dedup_idx``, text and the ``outlet``,
    ``date``, ``length``, ``penalty`` columns): facts on the executors, the rule in one partition (it goes
    through the documents in keep order). Returns the kept documents with their removed lines gone and
    without those dropped or rejected, and the decisions (action, doc, line, first_doc, first_line,
    similarity, detail)."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    long, text = T.LongType(), T.StringType()
    fact_types = [long, long, long, long, long, T.DoubleType(), T.BooleanType(), T.BinaryType()]
    meta_types = [text, T.DoubleType(), long, long]
    schema = T.StructType(
        [T.StructField(n, t) for n, t in zip(_FACT_COLUMNS + _META_COLUMNS, fact_types + meta_types, strict=True)]
    )
    source = kept.select(
        F.col("_dedup_idx").alias("doc"),
        F.col(text_col).alias("text"),
        *(F.col(f"_dedup_{name}").alias(name) for name in _META_COLUMNS),
    )
    facts = source.mapInPandas(_facts_partition(json.dumps(cfg.describe())), schema)
    names = ["action", "doc", "line", "first_doc", "first_line", "similarity", "detail"]
    decision_types = [text, long, long, long, long, T.DoubleType(), text]
    decision_schema = T.StructType([T.StructField(n, t) for n, t in zip(names, decision_types, strict=True)])
    decisions = facts.coalesce(1).mapInPandas(_decide_partition(keep, rule), decision_schema).localCheckpoint()
    removed = decisions.where("action = 'removed'")
    edits = removed.groupBy(F.col("doc").alias("_dedup_idx")).agg(F.collect_list("line").alias("gone"))
    out = decisions.where("action != 'removed'").select(F.col("doc").alias("_dedup_idx"))
    edited = (
        kept.join(out, "_dedup_idx", "left_anti").join(edits, "_dedup_idx", "left").withColumnRenamed(text_col, _TEXT)
    )
    columns = [c for c in edited.columns if c != "gone"]
    edited = edited.mapInPandas(_drop_lines, edited.select(*columns).schema).withColumnRenamed(_TEXT, text_col)
    return edited, decisions


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
    outlet_col: str = "outlet",
    rule: ParagraphRule | None = None,
) -> SparkResult:
    """Deduplicate a DataFrame inside your own Spark job; rows keep their input order through ``idx``.

    ``level="paragraph"`` then applies the local engine's paragraph level (:mod:`dedup.paragraph_rule`, settings
    ``rule``, outlets read from ``outlet_col`` where there is one) to the kept documents.
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    if keep not in ("first", "longest", "earliest") or level not in ("document", "paragraph"):
        raise ValueError(f"keep must be first, longest or earliest and level document or paragraph: {keep}, {level}")
    cfg = cfg or DedupConfig()
    spark.sparkContext.setJobGroup("dedup", f"dedup: near-duplicates, {cfg.describe()['profile']}, keep {keep}")
    df = df.withColumn("_dedup_idx", F.monotonically_increasing_id())
    text, doc_id = F.col(text_col), F.col(id_col).cast("string")
    # The local engine's rules (records._check) as far as a typed column shows them: a column inferred as
    # another type than string or integer (booleans, numbers with a fraction, objects, arrays) holds no
    # usable id, nor a non-string column any text. A column of mixed JSON types is inferred as string.
    types = dict(df.dtypes)
    reason = (
        F.when(F.col(id_col).isNull(), F.lit("missing_id"))
        .when(F.lit(types.get(id_col) not in _ID_TYPES), F.lit("bad_id"))
        .when(F.trim(doc_id) == "", F.lit("empty_id"))
        .when(F.length(doc_id) > MAX_ID_CHARS, F.lit("bad_id"))
        .when(text.isNull(), F.lit("missing_text"))
        .when(F.lit(types.get(text_col) != "string"), F.lit("bad_text"))
        .when(F.trim(text) == "", F.lit("empty_text"))
        .when(F.length(text) > max_chars, F.lit("too_long"))
    )
    if "_corrupt_record" in df.columns:
        reason = F.when(F.col("_corrupt_record").isNotNull(), F.lit("invalid_json")).otherwise(reason)
    first_of_id = Window.partitionBy(F.col(id_col).cast("string")).orderBy("_dedup_idx")
    checked = (
        df.withColumn("_dedup_reason", reason)
        .withColumn(
            "_dedup_reason",
            F.when(
                F.col("_dedup_reason").isNull() & (F.row_number().over(first_of_id) > 1), F.lit("duplicate_id")
            ).otherwise(F.col("_dedup_reason")),
        )
        .localCheckpoint()
    )
    rejected = checked.where(F.col("_dedup_reason").isNotNull()).select(
        F.col(id_col).cast("string").alias("id"), F.col("_dedup_reason").alias("kind"), "_dedup_idx"
    )
    docs = checked.where(F.col("_dedup_reason").isNull())

    signed = _sign(docs.select(F.col("_dedup_idx").alias("idx"), text.alias("text")), cfg)
    labels = _components(signed.edges())

    outlet = F.col(outlet_col).cast("string") if outlet_col in docs.columns else F.lit(None).cast("string")
    meta = docs.select(
        F.col("_dedup_idx").alias("node"),
        F.length(text).alias("length"),
        F.to_timestamp(F.col(date_col).cast("string")).alias("date")
        if date_col in docs.columns
        else F.lit(None).cast("timestamp").alias("date"),
        F.pandas_udf(_penalties, "long")(text, outlet).alias("penalty"),
    )
    members = labels.join(meta, "node")
    order = {  # as paragraph_rule.keep_rank orders them
        "first": [F.col("node")],
        "longest": [F.col("length").desc(), F.col("penalty"), F.col("node")],
        "earliest": [F.col("date").asc_nulls_last(), F.col("penalty"), F.col("node")],
    }[keep]
    ranked = members.withColumn("kept_node", F.first("node").over(Window.partitionBy("label").orderBy(*order)))
    dropped = ranked.where(F.col("node") != F.col("kept_node")).select(
        F.col("node").alias("a"), F.col("kept_node").alias("b"), "label"
    )
    kept = docs.join(dropped.select(F.col("a").alias("_dedup_idx")), "_dedup_idx", "left_anti")
    dropped = dropped.withColumn("level", F.lit("document"))
    ids = docs.select(F.col("_dedup_idx").alias("idx"), F.col(id_col).cast("string").alias("id"))
    paragraphs_removed, paragraph_counts = None, None
    if level == "paragraph":
        with_meta = kept.withColumn("_dedup_outlet", outlet).join(
            meta.select(
                F.col("node").alias("_dedup_idx"),
                F.col("date").cast("double").alias("_dedup_date"),
                F.col("length").alias("_dedup_length"),
                F.col("penalty").alias("_dedup_penalty"),
            ),
            "_dedup_idx",
        )
        kept, decisions = _paragraph_pass(with_meta, cfg, text_col, keep, rule or ParagraphRule())
        # A document dropped whole is a duplicate of the one holding its text, and so is what its cluster dropped.
        whole = decisions.where(F.col("action").isin("contained", "fragment"))
        moved = whole.select(F.col("doc").alias("b"), F.col("first_doc").alias("to"), F.col("action").alias("why"))
        dropped = dropped.join(moved, "b", "left").select(
            "a", F.coalesce("to", "b").alias("b"), "label", F.coalesce("why", "level").alias("level")
        )
        own = whole.join(labels.toDF("doc", "label"), "doc", "left").select(
            F.col("doc").alias("a"),
            F.col("first_doc").alias("b"),
            F.coalesce("label", "doc").alias("label"),
            F.col("action").alias("level"),
        )
        dropped = dropped.unionByName(own)
        # A document rejected as a fragment takes its cluster with it.
        gone = decisions.where("action = 'rejected'").select(F.col("doc").alias("b"))
        lost = gone.select(F.col("b").alias("_dedup_idx")).union(
            dropped.join(gone, "b", "left_semi").select(F.col("a").alias("_dedup_idx"))
        )
        dropped = dropped.join(gone, "b", "left_anti")
        fragments = lost.join(ids.toDF("_dedup_idx", "id"), "_dedup_idx").select(
            "id", F.lit("fragment").alias("kind"), "_dedup_idx"
        )
        rejected = rejected.unionByName(fragments)
        removed = decisions.where("action = 'removed'")
        paragraphs_removed = (
            removed.join(ids.toDF("doc", "id"), "doc")
            .join(ids.toDF("first_doc", "first_id"), "first_doc")
            .select(
                "id",
                "line",
                "first_id",
                "first_line",
                F.round("similarity", 4).alias("similarity"),
                F.col("detail").alias("kind"),
            )
        )
        tally = Counter()
        for row in decisions.groupBy("action", "detail").count().collect():
            tally[row["detail"] if row["action"] != "rejected" else "rejected"] += row["count"]
        paragraph_counts = summary(tally)
    scored = signed.score(dropped.select("a", "b")).join(dropped, ["a", "b"])
    duplicates = (
        scored.join(ids.toDF("a", "id"), "a")
        .join(ids.toDF("b", "kept_id"), "b")
        .join(ids.toDF("label", "cluster_id"), "label")
        .select(
            "id",
            F.col("cluster_id").alias("cluster"),
            "kept_id",
            F.round("similarity", 4).alias("similarity"),
            "level",
        )
    )
    helper = [c for c in kept.columns if c.startswith("_dedup_") or c == "_corrupt_record"]
    return SparkResult(
        kept.orderBy("_dedup_idx").drop(*helper), duplicates, rejected, paragraphs_removed, paragraph_counts
    )


def _read(spark: SparkSession, path: str) -> tuple[DataFrame, str]:
    lower = path.rstrip("/").lower()
    if lower.endswith(".parquet"):
        return spark.read.parquet(path), "parquet"
    return spark.read.option("mode", "PERMISSIVE").option("columnNameOfCorruptRecord", "_corrupt_record").json(
        path
    ), "json"


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


def run_corpus_spark(
    input_path: str,
    out: str,
    cfg: DedupConfig | None = None,
    opts: CorpusOptions | None = None,
    master: str = "local[2]",
    conf: dict[str, str] | None = None,
) -> dict:
    """``dedup corpus --engine spark``: read INPUT, deduplicate, write ``out`` (any path Spark can reach)
    through a temporary path renamed into place at the end, and return the manifest.

    ``opts`` are the local engine's (keep, level, max chars, field names); workers and batches are Spark's.
    """
    from pyspark.sql import functions as F

    cfg, opts = cfg or DedupConfig(), opts or CorpusOptions()
    keep, level, fields = opts.keep, opts.level, opts.fields
    start = time.perf_counter()
    spark = spark_session(master, conf)
    jvm, hadoop = spark._jvm, spark._jsc.hadoopConfiguration()
    target = jvm.org.apache.hadoop.fs.Path(out)
    fs = target.getFileSystem(hadoop)
    tmp = jvm.org.apache.hadoop.fs.Path(f"{out.rstrip('/')}.partial-{os.getpid()}")
    _check_spark_out(fs, target, out, input_path)
    lock = ExitStack()
    if _local(out) is not None:  # as the local engine: one run at a time into a folder
        lock.enter_context(writing(_local(out)))
    try:
        df, kind = _read(spark, input_path)
        if "_corrupt_record" in df.columns:
            df = df.cache()  # Spark refuses queries on the corrupt-record column of an uncached JSON read
        result = dedup_dataframe(
            spark,
            df,
            cfg,
            keep,
            fields.id,
            fields.text,
            fields.date,
            opts.max_chars,
            level,
            opts.outlet_field,
            opts.paragraphs,
        )
        kept_writer = result.kept.coalesce(1).write.mode("overwrite")
        if kind == "parquet":
            kept_writer.parquet(f"{tmp}/kept")
        else:
            kept_writer.json(f"{tmp}/kept")
        duplicates = result.duplicates.orderBy("id").cache()
        duplicates.coalesce(1).write.mode("overwrite").parquet(f"{tmp}/duplicates.parquet")
        duplicates.coalesce(1).write.mode("overwrite").option("header", True).csv(f"{tmp}/duplicates.csv")
        formula = F.substring("id", 1, 1).isin(*FORMULA_STARTS)  # a report for people, as the local engine's
        safe = result.rejected.withColumn("id", F.when(formula, F.concat(F.lit("'"), "id")).otherwise(F.col("id")))
        safe.coalesce(1).write.mode("overwrite").option("header", True).csv(f"{tmp}/rejected.csv")
        if result.paragraphs_removed is not None:
            removed = result.paragraphs_removed.orderBy("id", "line").cache()
            removed.coalesce(1).write.mode("overwrite").option("header", True).csv(f"{tmp}/paragraphs_removed.csv")
        rejected = {r["kind"]: r["count"] for r in result.rejected.groupBy("kind").count().collect()}
        counts = {
            "read": df.count(),
            "kept": spark.read.format(kind).load(f"{tmp}/kept").count(),
            "duplicates": duplicates.count(),
            "rejected": sum(rejected.values()),
        }
        pipeline = Pipeline(cfg)
        manifest = {
            "tool": "dedup",
            "engine": "spark",
            "master": master,
            "inputs": [input_path],
            "counts": counts,
            "rejected_by_reason": dict(sorted(rejected.items())),
            "file_errors": [],
            "settings": {
                **cfg.describe(),
                **{"bands": pipeline.bands, "rows": pipeline.rows, "keep": keep, "level": level},
            },
            "timings_s": {"total": round(time.perf_counter() - start, 3)},
        }
        manifest.update(result.paragraph_counts or {})
        stream = fs.create(jvm.org.apache.hadoop.fs.Path(f"{tmp}/manifest.json"), True)
        stream.write(bytearray(json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8")))
        stream.close()
        names = sorted(status.getPath().getName() for status in fs.listStatus(tmp))
        stream = fs.create(jvm.org.apache.hadoop.fs.Path(f"{tmp}/{MARKER}"), True)
        stream.write(bytearray(json.dumps({"tool": "dedup", "files": names}).encode("utf-8")))
        stream.close()
        _check_spark_out(fs, target, out, input_path)
        if fs.exists(target):
            fs.delete(target, True)
        fs.rename(tmp, target)
        return manifest
    except Exception as err:
        message = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise RunError(f"Spark run failed, nothing written to {out}: {message[:500]}") from err
    finally:  # also when stopped (SIGTERM, Ctrl-C); after a finished run there is nothing left to delete
        fs.delete(tmp, True)
        lock.close()
