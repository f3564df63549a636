"""The paragraph level's pass over the kept documents (the rule itself is :mod:`dedup.paragraph_rule`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from dedup.corpus.options import CorpusOptions
from dedup.corpus.store import Documents
from dedup.corpus.workers import Signer, facts_of_batch
from dedup.paragraph_rule import Facts, decide, summary
from dedup.policy import (
    keep_rank,
)
from dedup.records import (
    FileError,
    RowBatch,
    raw_batches,
)
from dedup.textio import write_csv


def paragraph_pass(
    files: list[Path],
    docs: Documents,
    is_kept: np.ndarray,
    signer: Signer,
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
        for facts, owners, outlets in signer.map(batches(), facts_of_batch):
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
