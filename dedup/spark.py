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
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
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
from dedup.paragraph_rule import Facts, ParagraphRule, decide, paragraph_facts, summary
from dedup.pipeline import Pipeline
from dedup.policy import KEEP_POLICIES, REJECTED_COLUMNS, choose_kept, fragment_copy_reason, keep_rank, rejected_row
from dedup.records import FieldNames, Rejected, duplicate_id, json_line
from dedup.segment import drop_lines
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
    kept: DataFrame, docs: DataFrame, cfg: DedupConfig, text_col: str, keep: str, rule: ParagraphRule
) -> tuple[DataFrame, DataFrame]:
    """The local engine's paragraph level over the kept documents (``_dedup_idx`` and ``text_col``; their
    parsed text and the ``outlet``, ``date``, ``length``, ``penalty`` columns are those of ``docs``): facts on
    the executors, the rule in one partition (it goes through the documents in keep order). Returns the kept
    documents with their removed lines gone and without those dropped or rejected, and the decisions
    (action, doc, line, first_doc, first_line, similarity, detail)."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    long, text = T.LongType(), T.StringType()
    fact_types = [long, long, long, long, long, T.DoubleType(), T.BooleanType(), T.BinaryType()]
    meta_types = [text, T.DoubleType(), long, long]
    schema = T.StructType(
        [T.StructField(n, t) for n, t in zip(_FACT_COLUMNS + _META_COLUMNS, fact_types + meta_types, strict=True)]
    )
    source = docs.join(kept.select("_dedup_idx"), "_dedup_idx", "left_semi").select(
        F.col("_dedup_idx").alias("doc"), "text", *_META_COLUMNS
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


def _keep_in_clusters(keep: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """For ``applyInPandas`` over whole clusters (node, label, length, date, penalty; several at once, since a
    call per cluster costs more than the work): the local engine's keep policy, :func:`dedup.policy.keep_rank`
    and :func:`dedup.policy.choose_kept`."""

    def choose(members: pd.DataFrame) -> pd.DataFrame:
        members = members.sort_values(["label", "node"])  # input order: ties go to the first seen, as locally
        nodes, labels = members["node"].to_numpy(), members["label"].to_numpy()
        starts = np.flatnonzero(np.r_[True, labels[1:] != labels[:-1]])
        first = np.repeat(starts, np.diff(np.r_[starts, len(labels)]))  # each member's cluster, by its first row
        date = members["date"].to_numpy(dtype=np.float64)
        best = choose_kept(first, keep_rank(keep, members["length"].to_numpy(), date, members["penalty"].to_numpy()))
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

    docs: DataFrame  # usable documents with unique ids: _dedup_idx, id, text, date, length, outlet, penalty
    rejected: DataFrame  # _dedup_idx, id, kind, reason
    signed: _SignedRecords
    labels: DataFrame  # node, label: documents with a near-duplicate
    dropped: DataFrame  # a, b, label: document a is dropped for document b


def _parsing(cfg: DedupConfig, fields: FieldNames, outlet: str, max_chars: int, level: str) -> Parsing:
    """How the executors parse and sign rows for ``cfg`` (``outlet`` names the outlet field, one of
    ``fields.extra``); the texts are kept for the paragraph pass."""
    pipeline = Pipeline(cfg)
    sign = _signature_columns(json.dumps(cfg.describe()), pipeline.bands, pipeline.rows)
    return Parsing(fields, outlet, max_chars, sign, keep_text=level == "paragraph")


def _decide(parsed: DataFrame, cfg: DedupConfig, keep: str, labels: list[str] | None) -> _Decision:
    """The local engine's decisions on rows parsed and signed by :mod:`dedup.spark_read`: later occurrences
    of an id rejected, documents clustered, one kept per cluster by the keep policy (:func:`_keep_in_clusters`)."""
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
    docs = unique.select("_dedup_idx", "id", "text", "date", "length", "outlet", "penalty").localCheckpoint()
    parsed.unpersist()  # what follows reads the two checkpoints and the rejections
    clusters = _components(signed.edges())
    members = clusters.join(docs.select(F.col("_dedup_idx").alias("node"), "length", "date", "penalty"), "node")
    buckets = int(parsed.sparkSession.conf.get("spark.sql.shuffle.partitions"))
    members = members.withColumn("bucket", F.pmod(F.xxhash64("label"), F.lit(buckets)))
    chosen = members.groupBy("bucket").applyInPandas(_keep_in_clusters(keep), "node long, kept_node long, label long")
    dropped = chosen.where(F.col("node") != F.col("kept_node")).select(
        F.col("node").alias("a"), F.col("kept_node").alias("b"), "label"
    )
    return _Decision(docs, rejected, signed, clusters, dropped.localCheckpoint())


def _copy_reasons(head_ids: pd.Series) -> pd.Series:
    """:func:`dedup.policy.fragment_copy_reason` of each id."""
    return head_ids.map(fragment_copy_reason)


def _outcome(decision: _Decision, kept: DataFrame, cfg: DedupConfig, text_col: str, opts: CorpusOptions) -> SparkResult:
    """The result for the rows of the kept documents ``kept`` (with ``_dedup_idx`` and ``text_col``): with
    ``opts.level == "paragraph"``, the local engine's paragraph level (:mod:`dedup.paragraph_rule`, settings
    ``opts.paragraphs``) applied to them; the duplicates in input order."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    dropped = decision.dropped.withColumn("level", F.lit("document"))
    ids = decision.docs.select(F.col("_dedup_idx").alias("idx"), "id")
    rejected, paragraphs_removed, paragraph_counts = decision.rejected, None, None
    if opts.level == "paragraph":
        kept, decisions = _paragraph_pass(kept, decision.docs, cfg, text_col, opts.keep, opts.paragraphs)
        # A document dropped whole is a duplicate of the one holding its text, and so is what its cluster dropped.
        whole = decisions.where(F.col("action").isin("contained", "fragment"))
        moved = whole.select(F.col("doc").alias("b"), F.col("first_doc").alias("to"), F.col("action").alias("why"))
        dropped = dropped.join(moved, "b", "left").select(
            "a", F.coalesce("to", "b").alias("b"), "label", F.coalesce("why", "level").alias("level")
        )
        own = whole.join(decision.labels.toDF("doc", "label"), "doc", "left").select(
            F.col("doc").alias("a"),
            F.col("first_doc").alias("b"),
            F.coalesce("label", "doc").alias("label"),
            F.col("action").alias("level"),
        )
        dropped = dropped.unionByName(own)
        # A document rejected as a fragment takes its cluster with it, as locally.
        gone = decisions.where("action = 'rejected'").select(F.col("doc").alias("b"), F.col("detail").alias("reason"))
        copies = dropped.join(gone.select("b"), "b").join(ids.toDF("b", "head_id"), "b")
        fragments = gone.select(F.col("b").alias("_dedup_idx"), "reason").unionByName(
            copies.select(
                F.col("a").alias("_dedup_idx"), F.pandas_udf(_copy_reasons, "string")("head_id").alias("reason")
            )
        )
        rejected = rejected.unionByName(
            fragments.join(ids.toDF("_dedup_idx", "id"), "_dedup_idx").select(
                "_dedup_idx", "id", F.lit("fragment").alias("kind"), "reason"
            )
        )
        dropped = dropped.join(gone, "b", "left_anti")
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
    return SparkResult(kept.orderBy("_dedup_idx"), duplicates, rejected, paragraphs_removed, paragraph_counts)


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
    """Deduplicate a DataFrame inside your own Spark job by the local engine's rules (each row is checked by
    :func:`dedup.records.parse_raw`); ``level="paragraph"`` then applies the local engine's paragraph level
    (:mod:`dedup.paragraph_rule`, settings ``rule``) to the kept documents. Outlets (boilerplate and the keep
    tie-break) are read from ``outlet_col`` where there is one. ``rejected`` has ``_dedup_idx``, the rejected
    row's position in ``df`` (its input order)."""
    from pyspark.sql import functions as F
    from pyspark.sql.pandas.types import from_arrow_schema

    if keep not in KEEP_POLICIES or level not in ("document", "paragraph"):
        raise ValueError(f"keep must be first, longest or earliest and level document or paragraph: {keep}, {level}")
    cfg = cfg or DedupConfig()
    fields = FieldNames(id=id_col, text=text_col, date=date_col)
    rule = rule or ParagraphRule()
    opts = CorpusOptions(keep, level, max_chars=max_chars, fields=fields, outlet_field=outlet_col, paragraphs=rule)
    spark.sparkContext.setJobGroup("dedup", f"dedup: near-duplicates, {cfg.describe()['profile']}, keep {keep}")
    df = df.withColumn("_dedup_idx", F.monotonically_increasing_id())
    parse = parse_rows(_parsing(cfg, opts.read_fields, outlet_col, max_chars, level))
    wanted = [c for c in dict.fromkeys((id_col, text_col, date_col, outlet_col)) if c in df.columns]
    parsed = df.select("_dedup_idx", *wanted).mapInArrow(parse, from_arrow_schema(PARSED)).persist()
    decision = _decide(parsed, cfg, keep, None)
    kept = df.join(decision.docs.select("_dedup_idx"), "_dedup_idx", "left_semi").join(
        decision.dropped.select(F.col("a").alias("_dedup_idx")), "_dedup_idx", "left_anti"
    )
    result = _outcome(decision, kept, cfg, text_col, opts)
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
    jvm_log: str | Path | None = None,
) -> dict:
    """``dedup corpus --engine spark``: read INPUT, deduplicate by the local engine's rules, write ``out`` (any
    path Spark can reach) through a temporary path renamed into place at the end, and return the manifest.

    ``opts`` are the local engine's (keep, level, max chars, field names); workers and batches are Spark's.
    ``jvm_log``: as :func:`spark_session`'s.
    """
    from pyspark.sql import functions as F

    cfg, opts = cfg or DedupConfig(), opts or CorpusOptions()
    start = time.perf_counter()
    spark = spark_session(master, conf, jvm_log)
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
        parsing = _parsing(cfg, opts.read_fields, opts.outlet_field, opts.max_chars, opts.level)
        parsed, lines, rows, file_errors = read_parsed(spark, inputs, parsing)
        decision = _decide(parsed, cfg, opts.keep, inputs.labels)
        dropped = decision.dropped.select(F.col("a").alias("_dedup_idx"))
        paragraphs = opts.level == "paragraph"  # only then are the kept texts needed (and changed)
        survivors = decision.docs.select("_dedup_idx", *(["text"] if paragraphs else []))
        result = _outcome(decision, survivors.join(dropped, "_dedup_idx", "left_anti"), cfg, "text", opts)
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
        rejected = result.rejected.orderBy("_dedup_idx").mapInArrow(
            _rejected_rows(inputs.labels),
            ", ".join(f"{c} {'long' if c == 'line' else 'string'}" for c in REJECTED_COLUMNS),
        )
        folder.single(rejected, "rejected.csv", "csv")
        if result.paragraphs_removed is not None:
            removed = result.paragraphs_removed.orderBy("id", "line").localCheckpoint()
            folder.single(removed, "paragraphs_removed.csv", "csv")
        pipeline = Pipeline(cfg)
        reasons = {r["kind"]: r["count"] for r in result.rejected.groupBy("kind").count().collect()}
        manifest = Manifest.corpus(
            kept=kept.count(),
            duplicates=duplicates.count(),
            rejected_by_reason=reasons,
            clusters_with_duplicates=duplicates.select("cluster").distinct().count(),
            undated=decision.docs.where(F.col("date").isNull()).count(),
            paragraph_counts=result.paragraph_counts,
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
