"""The paragraph level's rule, written once and called by both engines: boilerplate lines go, copies go whole.

Two jobs kept apart. Boilerplate: a line on ``boilerplate_pages`` kept pages of one outlet (counted as the
audit counts, :func:`dedup.boilerplate.scan_postings`) or repeated inside its own page is removed. Copies: a
document whose content (boilerplate, repeats and lines shorter than one n-gram aside) is mostly contained in
documents kept before it, in the keep policy's order, is dropped whole; any other document stays intact.
A document that boilerplate removal leaves with fewer than ``min_words`` words or under ``min_share`` of its
words is not kept as a fragment: it is a duplicate of a kept page holding its removed lines, or rejected when
it was short to begin with (or no kept page holds them).
"""

from __future__ import annotations

import hashlib
import itertools
from collections import Counter
from dataclasses import dataclass

import numpy as np

from dedup.boilerplate import scan_postings
from dedup.jit import njit
from dedup.paragraphs import repeats_in
from dedup.pipeline import Pipeline, SignedBatch
from dedup.segment import split_paragraphs

__all__ = [
    "Decisions",
    "Facts",
    "ParagraphRule",
    "decide",
    "paragraph_facts",
    "summary",
]


@dataclass(frozen=True)
class ParagraphRule:
    """Settings of the paragraph level (``dedup corpus --level paragraph``)."""

    boilerplate_pages: int = 3
    max_contained: float = 0.8
    min_words: int = 30
    min_share: float = 0.5

    def __post_init__(self) -> None:
        for ok, message in (
            (self.boilerplate_pages >= 2, f"boilerplate pages must be 2 or more, got {self.boilerplate_pages!r}"),
            (0.0 < self.max_contained <= 1.0, f"max contained must be in (0, 1], got {self.max_contained!r}"),
            (0.0 <= self.min_share <= 1.0, f"min share must be in [0, 1], got {self.min_share!r}"),
            (self.min_words >= 0, f"min words must be 0 or more, got {self.min_words!r}"),
        ):
            if not ok:
                raise ValueError(message)


@dataclass(frozen=True)
class Facts:
    """The paragraphs of some documents, column by column: owner, line, key (the normalized line), words,
    the line it repeats in its own page (0: none; never a line shorter than one n-gram) with the similarity,
    whether it is shorter than one n-gram (one shingle: it goes only as boilerplate), and its shingle hashes
    in text order."""

    owner: np.ndarray
    line: np.ndarray
    key: np.ndarray
    words: np.ndarray
    repeat_of: np.ndarray
    similarity: np.ndarray
    short: np.ndarray
    shingles: np.ndarray
    shingle_counts: np.ndarray

    @staticmethod
    def join(parts: list[Facts]) -> Facts:
        """Several batches' facts as one."""
        names = Facts.__dataclass_fields__
        empty = paragraph_facts([], [], None)
        return Facts(*(np.concatenate([getattr(p, name) for p in [empty, *parts]]) for name in names))


def paragraph_facts(docs: list[int], texts: list[str], pipeline: Pipeline | None) -> Facts:
    """The :class:`Facts` of the paragraphs (lines) of documents ``docs`` with ``texts``, signed in one batch."""
    paragraphs = [split_paragraphs(text) for text in texts]
    flat = [p for doc in paragraphs for p in doc]
    counts = np.fromiter(map(len, paragraphs), dtype=np.int64, count=len(paragraphs))
    ends = np.cumsum(counts)
    repeat_of = np.zeros(len(flat), dtype=np.int64)
    similarity = np.zeros(len(flat), dtype=np.float64)
    shingles, offsets = np.zeros(0, dtype=np.uint32), np.zeros(len(flat) + 1, dtype=np.int64)
    words = [len(p.text.split()) for p in flat]
    units = words if pipeline is None or pipeline.cfg.shingle.kind == "word" else [len(p.text.strip()) for p in flat]
    short = np.array(units, dtype=np.int64) < (pipeline.cfg.shingle.n if pipeline else 1)
    if flat:
        batch = pipeline.sign([p.text for p in flat])
        shingles, offsets = batch.shingles.astype(np.uint32), batch.shingle_offsets
        doc_of = np.repeat(np.arange(len(paragraphs)), counts)
        pairs = _pairs_inside(batch, doc_of, pipeline)
        # A line shorter than one n-gram repeated in its page is structure (a recipe's «المقادير:», a poem's
        # refrain), not a copy: of 185 repeats removed from SaudiNewsNet so, 119 were such lines.
        pairs = pairs[~short[pairs[:, 0]] & ~short[pairs[:, 1]]]
        cuts = np.searchsorted(doc_of[pairs[:, 0]], np.arange(len(paragraphs) + 1))
        for doc in np.flatnonzero(np.diff(cuts)).tolist():
            start, end = int(ends[doc] - counts[doc]), int(ends[doc])
            inside = pairs[cuts[doc] : cuts[doc + 1]] - start
            for repeat in repeats_in(paragraphs[doc], batch.part(start, end), pipeline, inside):
                at = start + [p.line for p in paragraphs[doc]].index(repeat.line)
                repeat_of[at], similarity[at] = repeat.first_line, repeat.similarity
    keys = [
        hashlib.blake2b(shingles[a:b].tobytes(), digest_size=8).digest()
        for a, b in itertools.pairwise(offsets.tolist())
    ]
    return Facts(
        owner=np.repeat(np.asarray(docs, dtype=np.int64), counts),
        line=np.array([p.line for p in flat], dtype=np.int64),
        key=np.frombuffer(b"".join(keys), dtype=np.int64).copy(),
        words=np.array(words, dtype=np.int64),
        repeat_of=repeat_of,
        similarity=similarity,
        short=short,
        shingles=shingles,
        shingle_counts=np.diff(offsets),
    )


def _pairs_inside(batch: SignedBatch, doc_of: np.ndarray, pipeline: Pipeline) -> np.ndarray:
    """Similar pairs of paragraphs of one document, by document: one LSH for the batch whose bands carry the
    document (so buckets never mix documents), which finds what LSH on each document alone finds."""
    mix = (doc_of.astype(np.uint64) * np.uint64(0x9E3779B1) & np.uint64(0xFFFFFFFF)).astype(batch.signatures.dtype)
    r = pipeline.rows

    def band(b: int) -> np.ndarray:
        columns = batch.signatures[:, b * r : (b + 1) * r].copy()
        columns[:, 0] ^= mix
        return columns

    pairs = pipeline.candidates(band, batch.nonempty)
    pairs = pairs[doc_of[pairs[:, 0]] == doc_of[pairs[:, 1]]]
    similarity = pipeline.similarity(batch.signatures, pairs, (batch.hashes, batch.offsets))
    return pairs[similarity >= pipeline.cfg.lsh.threshold]


@dataclass(frozen=True)
class Decisions:
    """What the paragraph level does: lines removed from kept documents (rows of the facts, each with the row
    of the line it repeats and the similarity), documents dropped whole (doc -> (kept doc holding its text,
    ``contained`` or ``fragment``, share contained)) and documents rejected (doc -> reason)."""

    removed: np.ndarray
    first: np.ndarray
    similarity: np.ndarray
    dropped: dict[int, tuple[int, str, float]]
    rejected: dict[int, str]


def decide(facts: Facts, order: np.ndarray, outlet: np.ndarray, rule: ParagraphRule, n: int) -> Decisions:
    """Apply the rule to ``facts`` of the documents ``order`` lists (best first,
    :func:`dedup.policy.keep_rank`); ``outlet`` gives each of the ``n`` document numbers an outlet number."""
    rank = np.full(n, n, dtype=np.int64)
    rank[order] = np.arange(len(order))
    prank = rank[facts.owner]
    repeat = facts.repeat_of > 0
    counted = ~repeat & (facts.shingle_counts > 0)
    # Copies are decided on content, boilerplate aside; a page all boilerplate (an excerpt of pages) is
    # compared whole. Boilerplate is then counted again on the pages that stay: a copy is not a page.
    boiler, _ = _boilerplate(facts, prank, outlet, counted, rule.boilerplate_pages, n)
    text = counted & ~facts.short
    content = text & ~boiler
    content |= text & (np.bincount(facts.owner, content, minlength=n) == 0)[facts.owner]
    dropped = _contained(facts, content, text, order, rank, rule.max_contained)
    copy = np.zeros(n, dtype=bool)
    copy[list(dropped)] = True
    boiler, first_boiler = _boilerplate(facts, prank, outlet, counted & ~copy[facts.owner], rule.boilerplate_pages, n)

    own = np.bincount(facts.owner, np.where(repeat, 0, facts.words), minlength=n)
    lost = np.bincount(facts.owner, np.where(boiler, facts.words, 0), minlength=n)
    left = own - lost
    fragment = (lost > 0) & ((left < rule.min_words) | (left < rule.min_share * own))
    kept = np.zeros(n, dtype=bool)
    kept[order] = True
    kept[copy | fragment] = False

    rejected: dict[int, str] = {}
    holders = _holders(facts, boiler, first_boiler, kept, prank, fragment)
    for doc in order[fragment[order]].tolist():
        target = holders.get(doc, -1)
        before = f"{left[doc]:,} words left of {own[doc]:,} after boilerplate lines were removed"
        if own[doc] >= rule.min_words and target >= 0:
            dropped[doc] = (target, "fragment", 1.0)
        elif own[doc] < rule.min_words:
            rejected[doc] = f"a fragment: {before}, and it had fewer than {rule.min_words} words to begin with"
        else:
            rejected[doc] = f"a fragment: {before}, and no kept document holds them"
    for doc, (target, why, share) in list(dropped.items()):  # a copy of a fragment goes where the fragment went
        while target in dropped:
            target = dropped[target][0]
        if target in rejected:
            del dropped[doc]
            rejected[doc] = "mostly contained in a document rejected as a fragment"
        else:
            dropped[doc] = (target, why, share)

    first = np.where(repeat, _row_of(facts.owner, facts.line, facts.repeat_of), first_boiler)
    removed = np.flatnonzero((repeat | boiler) & kept[facts.owner])
    similarity = np.where(repeat[removed], facts.similarity[removed], 1.0)
    return Decisions(removed, first[removed], similarity, dropped, rejected)


def summary(tally: Counter[str]) -> dict[str, int]:
    """The manifest's counts of the paragraph level, from a tally of removed lines by kind (``boilerplate``,
    ``repeat``), documents dropped by why (``contained``, ``fragment``) and ``rejected`` ones."""
    return {
        "paragraphs_removed": tally["boilerplate"] + tally["repeat"],
        "boilerplate_lines_removed": tally["boilerplate"],
        "repeats_removed": tally["repeat"],
        "dropped_contained": tally["contained"],
        "dropped_fragment": tally["fragment"],
        "rejected_fragment": tally["rejected"],
    }


def _row_of(owner: np.ndarray, line: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """For each row, the row of the same owner at line ``wanted`` (where there is one; -1 elsewhere)."""
    if not len(owner):
        return np.zeros(0, dtype=np.int64)
    width = int(line.max()) + 1
    keys, targets = owner * width + line, owner * width + wanted
    order = np.argsort(keys, kind="stable")
    found = order[np.minimum(np.searchsorted(keys[order], targets), len(keys) - 1)]
    return np.where(keys[found] == targets, found, -1)


def _boilerplate(
    facts: Facts, prank: np.ndarray, outlet: np.ndarray, counted: np.ndarray, min_pages: int, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Which ``counted`` rows are their outlet's boilerplate, and for each such row the row of the same line
    on the outlet's page first in keep order (``-1`` elsewhere)."""
    rows = np.flatnonzero(counted)
    owners = facts.owner[rows]
    order = np.lexsort((facts.line[rows], prank[rows], outlet[owners], facts.key[rows]))
    rows, owners = rows[order], owners[order]
    keys = facts.key[rows]
    group = np.cumsum(np.concatenate(([False], keys[1:] != keys[:-1]))).astype(np.uint64)
    packed = (group << np.uint64(32)) | np.arange(len(rows), dtype=np.uint64)  # sorted: rows are in key order
    documents = np.arange(n, dtype=np.int64)  # each document a page of its outlet; no days, no rare lists
    hit = scan_postings(packed, owners, documents, outlet, np.zeros(n, dtype=np.int64), min_pages, n + 1, n + 1)[0]
    boiler = np.zeros(len(facts.owner), dtype=bool)
    boiler[rows[hit]] = True
    run_start = np.ones(len(rows), dtype=bool)
    run_start[1:] = (keys[1:] != keys[:-1]) | (outlet[owners][1:] != outlet[owners][:-1])
    first_of_run = rows[np.maximum.accumulate(np.where(run_start, np.arange(len(rows)), 0))]
    first = np.full(len(facts.owner), -1, dtype=np.int64)
    first[rows[hit]] = first_of_run[hit]
    return boiler, first


_MAX_HOLDERS = 50  # a shingle on more pages is a stock phrase or template: evidence of no one copy


@njit(cache=True)
def _shared_counts(docs, measured, starts, ends, n):  # pragma: no cover - compiled
    """``d * n + e`` for every measured posting of ``d`` and other posting ``e`` of one shingle, over the
    posting lists ``[starts, ends)`` of ``docs``: counted, they are the shingles of ``d`` that ``e`` holds."""
    total = 0
    for g in range(starts.shape[0]):
        size = ends[g] - starts[g]
        total += size * (size - 1)
    out = np.empty(total, dtype=np.int64)
    w = 0
    for g in range(starts.shape[0]):
        for i in range(starts[g], ends[g]):
            if not measured[i]:
                continue
            for j in range(starts[g], ends[g]):
                if docs[j] != docs[i]:
                    out[w] = docs[i] * n + docs[j]
                    w += 1
    return out[:w]


def _contained(
    facts: Facts, measured: np.ndarray, held: np.ndarray, order: np.ndarray, rank: np.ndarray, share: float
) -> dict[int, tuple[int, str, float]]:
    """Documents (in ``order``) with at least ``share`` of their ``measured`` rows' shingles in the ``held``
    rows of one document kept before them: doc -> (that document, the one holding most, ``contained``, share).

    One document, not all kept ones together: 184 of 2,372 SaudiNewsNet articles a union contained had under
    half of their text in any one (condolences, programme announcements: one template, other people)."""
    n = len(rank)
    rows = np.repeat(held | measured, facts.shingle_counts)
    one = np.uint64(1)
    # (shingle, document, measured) packed in 64 bits and sorted once: ties of a document and a shingle keep
    # the measured one (the last of the run); documents number under 2**31
    packed = (facts.shingles[rows].astype(np.uint64) << np.uint64(32)) | (
        np.repeat(facts.owner, facts.shingle_counts)[rows].astype(np.uint64) << one
    )
    packed |= np.repeat(measured, facts.shingle_counts)[rows].astype(np.uint64)
    packed.sort()  # np.unique hashes first (numpy 2): several times slower on tens of millions
    last = np.concatenate(((packed[1:] >> one) != (packed[:-1] >> one), [True])) if len(packed) else packed > 0
    packed = packed[last]
    hashes, docs = packed >> np.uint64(32), ((packed & np.uint64(0xFFFFFFFF)) >> one).astype(np.int64)
    flags = (packed & one).astype(bool)
    size = np.bincount(docs[flags], minlength=n)  # measured shingles per document
    edges = np.flatnonzero(np.concatenate(([True], hashes[1:] != hashes[:-1], [True]))) if len(hashes) else [0]
    starts, ends = np.asarray(edges[:-1], dtype=np.int64), np.asarray(edges[1:], dtype=np.int64)
    useful = (ends - starts >= 2) & (ends - starts <= _MAX_HOLDERS)
    codes = np.sort(_shared_counts(docs, flags, starts[useful], ends[useful], n))
    cuts = np.flatnonzero(np.concatenate(([True], codes[1:] != codes[:-1], [True]))) if len(codes) else np.zeros(1, int)
    pairs, shared = codes[cuts[:-1]], np.diff(cuts)
    doc, holder = pairs // n, pairs % n
    contained = shared / np.maximum(size[doc], 1)
    keep = (contained >= share) & (rank[holder] < rank[doc])
    doc, holder, contained = doc[keep], holder[keep], contained[keep]
    by_doc = np.lexsort((rank[holder], -contained, rank[doc]))  # per document: most contained, then keep order
    doc, holder, contained = doc[by_doc], holder[by_doc], contained[by_doc]
    dropped: dict[int, tuple[int, str, float]] = {}
    for k in range(len(doc)):
        d, h = int(doc[k]), int(holder[k])
        if d not in dropped and h not in dropped:
            dropped[d] = (h, "contained", float(contained[k]))
    return dropped


def _holders(
    facts: Facts, boiler: np.ndarray, first: np.ndarray, kept: np.ndarray, prank: np.ndarray, fragment: np.ndarray
) -> dict[int, int]:
    """For each ``fragment`` document, a kept document holding the boilerplate lines it lost: the one first in
    keep order with its longest such line that a kept page holds."""
    rows = np.flatnonzero(boiler)
    by_line = rows[np.lexsort((prank[rows], first[rows]))]
    on_kept = by_line[kept[facts.owner[by_line]]]
    lines, at = np.unique(first[on_kept], return_index=True)
    holder = dict(zip(lines.tolist(), facts.owner[on_kept[at]].tolist(), strict=True))
    mine = rows[fragment[facts.owner[rows]]]
    mine = mine[np.lexsort((mine, -facts.words[mine], facts.owner[mine]))]  # per document, longest line first
    found: dict[int, int] = {}
    for doc, line in zip(facts.owner[mine].tolist(), first[mine].tolist(), strict=True):
        if doc not in found and line in holder:
            found[doc] = holder[line]
    return found
