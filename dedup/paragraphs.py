"""Front end 1: near-duplicate paragraphs inside one document."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from dedup.lsh import connected_components, exact_jaccard
from dedup.pipeline import Pipeline, SignedBatch
from dedup.segment import Paragraph, drop_lines, split_paragraphs

__all__ = ["ParagraphReport", "Repeat", "find_repeats", "repeats_in"]


@dataclass(frozen=True)
class Repeat:
    """A paragraph at ``line`` that repeats the earlier one at ``first_line`` (Jaccard ``similarity``)."""

    line: int
    end_line: int
    first_line: int
    similarity: float


@dataclass(frozen=True)
class ParagraphReport:
    """The paragraphs of one document and which of them repeat an earlier one."""

    paragraphs: list[Paragraph]
    repeats: list[Repeat]

    def to_dict(self, name: str) -> dict:
        """The ``--json`` form: file name, paragraph count and the repeats."""
        return {
            "file": name,
            "paragraphs": len(self.paragraphs),
            "repeats": [
                {"line": r.line, "first_line": r.first_line, "similarity": round(r.similarity, 4)} for r in self.repeats
            ],
        }

    def clean(self, text: str) -> str:
        """``text`` without the lines of repeated paragraphs; first occurrences are kept."""
        return drop_lines(text, {n for r in self.repeats for n in range(r.line, r.end_line + 1)})


def find_repeats(text: str, pipeline: Pipeline, mode: Literal["line", "blank"] = "line") -> ParagraphReport:
    """Find paragraphs of ``text`` that near-duplicate an earlier paragraph of the same text.

    Each repeat points at the earliest paragraph of its cluster whose exact Jaccard
    reaches the threshold (or, failing that, its most similar earlier paragraph).
    """
    paragraphs = split_paragraphs(text, mode)
    return ParagraphReport(paragraphs, repeats_in(paragraphs, pipeline.sign([p.text for p in paragraphs]), pipeline))


def repeats_in(
    paragraphs: list[Paragraph], batch: SignedBatch, pipeline: Pipeline, pairs: np.ndarray | None = None
) -> list[Repeat]:
    """The paragraphs (signed in ``batch``) that near-duplicate an earlier one of the same list; ``pairs``, when
    given, are their similar pairs (found over a larger batch, say)."""
    if pairs is None:
        pairs, _ = pipeline.similar_in_batch(batch)
    labels = connected_components(len(paragraphs), pairs)
    seen: dict[int, list[int]] = {}
    repeats = []
    for j, label in enumerate(labels.tolist()):
        earlier = seen.setdefault(label, [])
        if earlier:
            first, similarity = _first_similar(batch, earlier, j, pipeline.cfg.lsh.threshold)
            p = paragraphs[j]
            repeats.append(Repeat(p.line, p.end_line, paragraphs[first].line, similarity))
        earlier.append(j)
    return repeats


def _first_similar(batch: SignedBatch, earlier: list[int], j: int, threshold: float) -> tuple[int, float]:
    """The first of ``earlier`` whose Jaccard with ``j`` reaches the threshold (or the most similar), and it.

    Compared in order and stopping at the first hit: N copies of one line cost N comparisons, not N²/2.
    """
    mine = batch.shingle_set(j)
    best, best_similarity = earlier[0], -1.0
    for i in earlier:
        similarity = exact_jaccard(batch.shingle_set(i), mine)
        if similarity >= threshold:
            return i, similarity
        if similarity > best_similarity:
            best, best_similarity = i, similarity
    return best, best_similarity
