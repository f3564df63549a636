"""Normalized words with their character offsets in the raw text, and word n-gram hashes over them.

The audit must point at the text it matched (``start-end`` offsets into the input's own
``text``), so it cannot work on normalized strings whose offsets have moved. Here a word is
a run of characters between whitespace, punctuation and symbols (what a profile turns into
spaces); it is hashed from its normalized characters (the profile's character table: folded
hamza, no tashkeel or tatweel, ...) and keeps the span of its raw characters. The few texts
holding characters that need a profile's string steps (HTML entities, NFKC ligatures) are
scanned the same way, then have the words of those chunks replaced by the chunks' normalized
words, to the same result.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache, partial
from itertools import pairwise

import numpy as np

from dedup.jit import njit
from dedup.normalize import Profile, any_per_record, code_units, codepoints
from dedup.parallel import in_threads

__all__ = ["Words", "ngram_hashes", "words_of"]

_FNV64_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV64_PRIME = np.uint64(0x100000001B3)
_DELETED = np.uint32(0xFFFFFFFF)
_SPACE = np.uint32(32)


@dataclass(frozen=True)
class Words:
    """Every text's words, one after another: hash (64-bit as :func:`words_of` makes it; a holder that
    only looks words up may keep fewer bits, as the audit's matcher keeps 32), raw start and end
    (exclusive), 1-based line, and ``len + 1`` offsets saying where each text's words begin."""

    hashes: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    lines: np.ndarray
    offsets: np.ndarray

    def of(self, text: int) -> slice:
        """The slice of the flat arrays that holds text ``text``'s words."""
        return slice(int(self.offsets[text]), int(self.offsets[text + 1]))


@njit(cache=True, nogil=True)
def _scan(cps, offsets, lookup, skip, at, hashes, starts, ends, lines):  # pragma: no cover - compiled
    """Words of every record not in ``skip``: FNV-1a 64 of the mapped characters, raw span, 1-based
    line; returns the count per record. With ``at`` empty it only counts; else record ``r``'s words
    are written from index ``at[r]`` of the output arrays."""
    n = offsets.shape[0] - 1
    counts = np.zeros(n, dtype=np.int64)
    write = at.shape[0] > 0
    for r in range(n):
        if skip[r]:
            continue
        base = offsets[r]
        w = at[r] if write else 0
        first = w
        h = _FNV64_OFFSET
        length = 0
        start = -1
        end = -1
        line = 1
        for i in range(offsets[r], offsets[r + 1]):
            m = lookup[cps[i]]
            if m == _SPACE:
                if length:
                    if write:
                        hashes[w], starts[w], ends[w], lines[w] = h, start, end, line
                    w += 1
                h, length, start = _FNV64_OFFSET, 0, -1
                if cps[i] == 10:
                    line += 1
                continue
            if m == _DELETED:
                if start >= 0:  # a mark or tatweel inside or after a word belongs to its span
                    end = i - base + 1
                continue
            if start < 0:
                start = i - base
            h = np.uint64((h ^ np.uint64(m)) * _FNV64_PRIME)
            length += 1
            end = i - base + 1
        if length:
            if write:
                hashes[w], starts[w], ends[w], lines[w] = h, start, end, line
            w += 1
        counts[r] = w - first
    return counts


def _empty(total: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Uninitialized word arrays (hashes, starts, ends, lines) for ``total`` words."""
    return (
        np.empty(total, dtype=np.uint64),
        np.empty(total, dtype=np.int32),
        np.empty(total, dtype=np.int32),
        np.empty(total, dtype=np.int32),
    )


def _words(cps: np.ndarray, offsets: np.ndarray, lookup: np.ndarray) -> tuple[np.ndarray, ...]:
    """:func:`_scan` of every record, counting first so that the arrays are exactly as long as the words:
    (hashes, starts, ends, lines, counts)."""
    skip = np.zeros(len(offsets) - 1, dtype=np.bool_)
    none = np.zeros(0, dtype=np.int64)
    counts = _scan(cps, offsets, lookup, skip, none, *_empty(0))
    at = np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.int64)
    out = _empty(int(counts.sum()))
    _scan(cps, offsets, lookup, skip, at, *out)
    return (*out, counts)


def _char_class(mask: np.ndarray) -> str:
    """A regex character class body for the code points set in ``mask`` (basic plane, no surrogates)."""
    ranges: list[list[int]] = []
    for cp in np.flatnonzero(mask[:0x10000]).tolist():
        if 0xD800 <= cp <= 0xDFFF:
            continue
        if ranges and cp == ranges[-1][1] + 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    return "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges)


@lru_cache(maxsize=4)
def _unsafe_chunks(profile: Profile) -> re.Pattern:
    """A whitespace-free chunk holding a character that only ``profile``'s string steps normalize right
    (an entity, a ligature), or any character above the basic plane."""
    return re.compile(f"\\S*[{_char_class(profile.char_table()[1])}\U00010000-\U0010ffff]\\S*")


def _slow_words(text: str, profile: Profile, lookup: np.ndarray, seen: dict[str, list[str]]) -> tuple[np.ndarray, ...]:
    """One text whose character table is not enough: the scan's words, but in each whitespace-free chunk
    that needs the profile's string steps the words of the normalized chunk, sharing the chunk's span
    (an entity or a ligature may join or split words). ``seen`` caches normalized chunks."""
    hashes, starts, ends, lines, _ = _words(codepoints(text), np.array([0, len(text)]), lookup)
    chunks = [(m.start(), m.end(), m.group()) for m in _unsafe_chunks(profile).finditer(text)]
    if not chunks:
        return hashes, starts, ends, lines
    bounds = np.array([(a, b) for a, b, _ in chunks], dtype=np.int64)
    k = np.searchsorted(bounds[:, 0], starts, side="right") - 1
    outside = (k < 0) | (starts >= bounds[np.maximum(k, 0), 1])
    found = []  # (normalized word, chunk start, chunk end)
    for a, b, piece in chunks:
        normalized = seen.get(piece)
        if normalized is None:
            normalized = seen[piece] = profile.normalize(piece).split()
        found += [(word, a, b) for word in normalized]
    offsets = np.zeros(len(found) + 1, dtype=np.int64)
    np.cumsum([len(word) for word, _, _ in found], out=offsets[1:])
    new, _, _, _, counts = _words(codepoints("".join(word for word, _, _ in found)), offsets, lookup)
    kept = np.flatnonzero(counts == 1)  # a normalized word is one word; anything else is dropped
    first = np.concatenate(([0], np.cumsum(counts)))[:-1]
    spans = np.array([(a, b) for _, a, b in found], dtype=np.int32).reshape(-1, 2)[kept]
    newlines = np.flatnonzero(codepoints(text) == 10)
    columns = (
        np.concatenate((hashes[outside], new[first[kept]])),
        np.concatenate((starts[outside], spans[:, 0])),
        np.concatenate((ends[outside], spans[:, 1])),
        np.concatenate((lines[outside], (np.searchsorted(newlines, spans[:, 0]) + 1).astype(np.int32))),
    )
    order = np.argsort(columns[1], kind="stable")
    return tuple(column[order] for column in columns)


_BATCH_CHARS = 1 << 22  # texts are turned into code points this many characters at a time, not all at once


def _batches(lengths: np.ndarray) -> list[tuple[int, int]]:
    """Consecutive ranges of texts holding about ``_BATCH_CHARS`` characters each (at least one text)."""
    ends = np.searchsorted(np.cumsum(lengths), np.arange(_BATCH_CHARS, int(lengths.sum()) + 1, _BATCH_CHARS))
    cuts = sorted({0, len(lengths), *(int(e) + 1 for e in ends if e + 1 < len(lengths))})
    return list(pairwise(cuts))


def _units(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Code units of ``texts`` one after another (UTF-16 when all are in the basic plane: then offsets
    stay code points) and ``len + 1`` offsets."""
    offsets = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)), out=offsets[1:])
    return code_units("".join(texts)), offsets


def words_of(texts: Sequence[str], profile: Profile) -> Words:
    """The words of every text, normalized by ``profile`` and hashed, with their raw spans.

    Two passes over batches of texts (count, then fill arrays of the exact size), so that memory
    holds the words and a few batches, never the code points of every text at once."""
    lookup, unsafe = profile.char_table()
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    batches = _batches(lengths)
    none = np.zeros(0, dtype=np.int64)

    def count(lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        cps, offsets = _units(texts[lo:hi])
        skip = any_per_record(unsafe, cps, np.diff(offsets))
        return _scan(cps, offsets, lookup, skip, none, *_empty(0)), skip

    counted = in_threads([partial(count, lo, hi) for lo, hi in batches])
    counts = np.concatenate([c for c, _ in counted]) if counted else np.zeros(0, dtype=np.int64)
    skip = np.concatenate([k for _, k in counted]) if counted else np.zeros(0, dtype=np.bool_)
    seen: dict[str, list[str]] = {}
    slow = {r: _slow_words(texts[r], profile, lookup, seen) for r in np.flatnonzero(skip).tolist()}
    counts[list(slow)] = [len(words[0]) for words in slow.values()]
    word_offsets = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(counts, out=word_offsets[1:])
    columns = _empty(int(word_offsets[-1]))

    def fill(lo: int, hi: int) -> None:
        _scan(*_units(texts[lo:hi]), lookup, skip[lo:hi], word_offsets[lo:hi], *columns)

    in_threads([partial(fill, lo, hi) for lo, hi in batches])
    for r, lists in slow.items():
        for column, values in zip(columns, lists, strict=True):
            column[word_offsets[r] : word_offsets[r + 1]] = values
    return Words(*columns, word_offsets)


_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_STEP = np.uint64(0x9E3779B97F4A7C15)


@njit(cache=True, inline="always")
def _mix(x):  # pragma: no cover - compiled
    """splitmix64's finalizer."""
    x = (x ^ (x >> np.uint64(30))) * _MIX1
    x = (x ^ (x >> np.uint64(27))) * _MIX2
    return x ^ (x >> np.uint64(31))


@njit(cache=True, nogil=True)
def _ngrams(hashes, offsets, n):  # pragma: no cover - compiled
    out = np.zeros(hashes.shape[0], dtype=np.uint32)
    valid = np.zeros(hashes.shape[0], dtype=np.bool_)
    for r in range(offsets.shape[0] - 1):
        first, end = offsets[r], offsets[r + 1]
        starts = max(end - first - n + 1, 1) if end > first else 0
        for j in range(first, first + starts):
            acc = np.uint64(0)
            for k in range(j, min(j + n, end)):
                acc = _mix(acc * _STEP + hashes[k])
            out[j] = np.uint32(acc >> np.uint64(32))
            valid[j] = True
    return out, valid


def ngram_hashes(words: Words, n: int) -> tuple[np.ndarray, np.ndarray]:
    """32-bit hash of every word n-gram of every text (the high half of a 64-bit mix: 32 bits keep a
    corpus's n-gram sets at half the memory), at the position of its first word, and the mask of
    the positions where an n-gram starts (the last ``n - 1`` words of a text start none).

    A text with fewer than ``n`` words has one n-gram of all of them, as the corpus run does.
    """
    return _ngrams(words.hashes, words.offsets, n)
