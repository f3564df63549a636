"""``dedup corpus`` on the local engine: a short run of named, timed stages (read and sign, candidates
and verify, cluster, paragraphs, write) that replaces ``out`` only when everything is written."""

from __future__ import annotations

import csv
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import closing
from dataclasses import asdict
from pathlib import Path

import numpy as np

from dedup.config import DedupConfig
from dedup.corpus.options import CorpusOptions
from dedup.corpus.paragraphs import paragraph_pass
from dedup.corpus.store import Documents, sign_to_disk
from dedup.corpus.workers import BatchResult, Signer, parse_and_sign
from dedup.corpus.writers import Positions, write_duplicates, write_kept
from dedup.lsh import connected_components
from dedup.manifest import Manifest, peak_memory_mb, run_outputs, run_settings
from dedup.pipeline import Pipeline
from dedup.policy import (
    REJECTED_COLUMNS,
    choose_kept,
    fragment_copy_reason,
    keep_rank,
    rejected_row,
)
from dedup.records import (
    FileError,
    IdCheck,
    Rejected,
    RowBatch,
    raw_batches,
)
from dedup.sources import file_labels, input_files, printable_path, unread_files
from dedup.textio import RunError, discard, prepare_out, publish


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
        with closing(Signer(cfg, opts)) as signer:
            manifest = _run(files, tmp, pipeline, opts, signer, unread_files(input_path))
            publish(tmp, out)
    except BaseException:
        discard(tmp, out)
        raise
    return manifest


def _run(
    files: list[Path], tmp: Path, pipeline: Pipeline, opts: CorpusOptions, signer: Signer, unread: list[str]
) -> dict:
    timings: dict[str, float] = {}
    start = time.perf_counter()
    docs = Documents()
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

        positions = Positions(files)

        def rows() -> Iterator[RowBatch]:
            for batch in raw_batches(files, opts.read_fields, opts.batch_size, opts.max_chars):
                if isinstance(batch, FileError):
                    on_other(batch)
                    continue
                positions.add(batch)
                yield batch

        ids = IdCheck(files)

        def on_batch(result: BatchResult) -> np.ndarray:
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

        signed = sign_to_disk(signer, rows(), parse_and_sign, tmp / "documents", pipeline, on_batch, opts.progress)
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
        edits = paragraph_pass(files, docs, is_kept, signer, opts, tmp)
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
    write_duplicates(tmp, docs.ids, dupes, labels, kept_of, similarity, level[dupes].tolist())
    kept_lines = {int(f): np.sort(line_col[is_kept & (file_col == f)]) for f in np.unique(file_col[is_kept])}
    write_kept(files, kept_lines, tmp / "kept", removed, opts, positions, signer)
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
