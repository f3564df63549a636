"""Normalized words with their character offsets in the raw text, and word n-gram hashes over them.

The audit must point at the text it matched (``start-end`` offsets into the input's own
``text``), so it cannot work on normalized strings whose offsets have moved. Here a word is
a run of characters between whitespace, punctuation and symbols (what a profile turns into
spaces); it is hashed from its normalized characters (the profile's character table: folded
hamza, no tashkeel or tatweel, ...) and keeps the span of its raw characters. The few texts
holding characters that need a profile's string steps (HTML entities, NFKC ligatures) take
a slower path, word by word, to the same result.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from dedup.jit import njit
from dedup.normalize import Profile, any_per_record, code_units, codepoints

__all__ = ["Words", "ngram_hashes", "words_of"]

_FNV64_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV64_PRIME = np.uint64(0x100000001B3)
_DELETED = np.uint32(0xFFFFFFFF)
_SPACE = np.uint32(32)


@dataclass(frozen=True)
class Words:
    """Every text's words, one after another: 64-bit hash, raw start and end (exclusive), 1-based line,
    and ``len + 1`` offsets saying where each text's words begin."""

    hashes: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    lines: np.ndarray
    offsets: np.ndarray

    def of(self, text: int) -> slice:
        """The slice of the flat arrays that holds text ``text``'s words."""
        return slice(int(self.offsets[text]), int(self.offsets[text + 1]))


@njit(cache=True, nogil=True)
def _scan(cps, offsets, lookup, capacity):  # pragma: no cover - compiled
    """Words of every record: FNV-1a 64 of the mapped characters, raw span, 1-based line, per-record
    counts. With ``capacity`` 0 it only counts (so that a second call allocates no more than needed)."""
    n = offsets.shape[0] - 1
    hashes = np.empty(capacity, dtype=np.uint64)
    starts = np.empty(capacity, dtype=np.int32)
    ends = np.empty(capacity, dtype=np.int32)
    lines = np.empty(capacity, dtype=np.int32)
    counts = np.zeros(n, dtype=np.int64)
    w = 0
    for r in range(n):
        base = offsets[r]
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
                    if capacity:
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
            if capacity:
                hashes[w], starts[w], ends[w], lines[w] = h, start, end, line
            w += 1
        counts[r] = w - first
    return hashes, starts, ends, lines, counts


def _words(cps: np.ndarray, offsets: np.ndarray, lookup: np.ndarray) -> tuple[np.ndarray, ...]:
    """:func:`_scan`, counting first so that the arrays are exactly as long as the words."""
    total = int(_scan(cps, offsets, lookup, 0)[4].sum())
    return _scan(cps, offsets, lookup, total)


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
def _separators(profile: Profile) -> re.Pattern:
    """Runs of raw characters between the characters that ``profile`` turns into spaces."""
    return re.compile(f"[^{_char_class(profile.char_table()[0] == _SPACE)}]+")


@lru_cache(maxsize=4)
def _needs_steps(profile: Profile) -> re.Pattern:
    """A character that only ``profile``'s string steps normalize right (an entity, a ligature); any
    character above the basic plane too."""
    return re.compile(f"[{_char_class(profile.char_table()[1])}\U00010000-\U0010ffff]")


def _slow_words(
    text: str, profile: Profile, lookup: np.ndarray, seen: dict[str, list[str]]
) -> tuple[list[int], list[int], list[int], list[int]]:
    """One text word by word: whitespace-free chunks that need the profile's string steps go through
    it whole (their words share the chunk's span), the others are cut at separators as the fast path
    does. ``seen`` caches normalized chunks."""
    found = []
    needs_steps, separators = _needs_steps(profile), _separators(profile)
    for chunk in re.finditer(r"\S+", text):
        piece, at = chunk.group(), chunk.start()
        if not needs_steps.search(piece):  # the character table alone normalizes it, in the scan below
            found += [(run.group(), at + run.start(), at + run.end()) for run in separators.finditer(piece)]
            continue
        # An entity or a ligature may join or split words: the whole whitespace-free chunk is their span.
        normalized = seen.get(piece)
        if normalized is None:
            normalized = seen[piece] = profile.normalize(piece).split()
        found += [(word, at, chunk.end()) for word in normalized]
    if not found:
        return [], [], [], []
    newlines = [m.start() for m in re.finditer("\n", text)]
    offsets = np.zeros(len(found) + 1, dtype=np.int64)
    np.cumsum([len(word) for word, _, _ in found], out=offsets[1:])
    hashes, _, _, _, counts = _words(codepoints("".join(word for word, _, _ in found)), offsets, lookup)
    kept = np.flatnonzero(counts == 1).tolist()  # a normalized word is one word; anything else is dropped
    first = np.concatenate(([0], np.cumsum(counts)))[:-1]
    return (
        hashes[first[kept]].tolist(),
        [found[k][1] for k in kept],
        [found[k][2] for k in kept],
        [bisect_right(newlines, found[k][1]) + 1 for k in kept],
    )


def _splice(columns: tuple[np.ndarray, ...], counts: np.ndarray, redone: dict[int, tuple[list, ...]]) -> tuple:
    """``columns`` (per-word arrays, ``counts`` words per text) with the words of the texts in
    ``redone`` replaced by the lists given there."""
    bounds = np.concatenate(([0], np.cumsum(counts)))
    pieces: list[list[np.ndarray]] = [[] for _ in columns]
    at = 0
    for r, lists in sorted(redone.items()):
        for piece, column, values in zip(pieces, columns, lists, strict=True):
            piece += [column[bounds[at] : bounds[r]], np.array(values, dtype=column.dtype)]
        at = r + 1
    return tuple(np.concatenate([*piece, column[bounds[at] :]]) for piece, column in zip(pieces, columns, strict=True))


def words_of(texts: Sequence[str], profile: Profile) -> Words:
    """The words of every text, normalized by ``profile`` and hashed, with their raw spans."""
    lookup, unsafe = profile.char_table()
    cps = code_units("".join(texts))  # UTF-16 units when every character is in the BMP: offsets stay code points
    offsets = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)), out=offsets[1:])
    hashes, starts, ends, lines, counts = _words(cps, offsets, lookup)
    slow = np.flatnonzero(any_per_record(unsafe, cps, np.diff(offsets)))
    if len(slow):
        seen: dict[str, list[str]] = {}
        redone = {r: _slow_words(texts[r], profile, lookup, seen) for r in slow.tolist()}
        hashes, starts, ends, lines = _splice((hashes, starts, ends, lines), counts, redone)
        counts[slow] = [len(redone[r][0]) for r in slow.tolist()]
    word_offsets = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(counts, out=word_offsets[1:])
    return Words(hashes, starts, ends, lines, word_offsets)


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
    out = np.zeros(hashes.shape[0], dtype=np.uint64)
    valid = np.zeros(hashes.shape[0], dtype=np.bool_)
    for r in range(offsets.shape[0] - 1):
        first, end = offsets[r], offsets[r + 1]
        starts = max(end - first - n + 1, 1) if end > first else 0
        for j in range(first, first + starts):
            acc = np.uint64(0)
            for k in range(j, min(j + n, end)):
                acc = _mix(acc * _STEP + hashes[k])
            out[j] = acc
            valid[j] = True
    return out, valid


def ngram_hashes(words: Words, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Hash of every word n-gram of every text, at the position of its first word, and the mask of
    the positions where an n-gram starts (the last ``n - 1`` words of a text start none).

    A text with fewer than ``n`` words has one n-gram of all of them, as the corpus run does.
    """
    return _ngrams(words.hashes, words.offsets, n)
