"""Shingles of normalized text, and their 32-bit hashes for a whole batch at once.

Two hash functions: ``sha1`` hashes each shingle string with datasketch's default
``sha1_hash32``; ``fast`` hashes each word (or character) from its code points and
combines the unit hashes of every n-gram, in compiled loops over the whole batch.
Both are reproducible in datasketch through :func:`datasketch_hashfunc`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

import numpy as np

from dedup.config import ShingleConfig
from dedup.jit import njit
from dedup.normalize import codepoints, text_of

__all__ = ["datasketch_hashfunc", "fmix32", "hash_batch", "hash_codepoints", "shingle_sets", "shingles"]


def sha1_hash32(data: bytes) -> int:
    """datasketch's default hash (``datasketch.hashfunc.sha1_hash32``): the first 4 bytes of SHA-1, little-endian."""
    return int.from_bytes(hashlib.sha1(data).digest()[:4], "little")


_FNV_OFFSET = np.uint32(0x811C9DC5)
_FNV_PRIME = np.uint32(0x01000193)
_SEED = np.uint32(0x9747B28C)
_MUL = np.uint32(0x5BD1E995)
_SPACE = 32


def shingles(normalized: str, cfg: ShingleConfig) -> list[str]:
    """The shingle strings of one normalized text.

    A text shorter than one n-gram yields itself as a single shingle, so that a
    short line repeated verbatim is still comparable; an empty text yields none.
    """
    if cfg.kind == "word":
        units = normalized.split()
        if len(units) <= cfg.n:
            return [" ".join(units)] if units else []
        return [" ".join(units[i : i + cfg.n]) for i in range(len(units) - cfg.n + 1)]
    if len(normalized) <= cfg.n:
        return [normalized] if normalized else []
    return [normalized[i : i + cfg.n] for i in range(len(normalized) - cfg.n + 1)]


@njit(cache=True, inline="always")
def fmix32(h):  # pragma: no cover - compiled
    """MurmurHash3's 32-bit finalizer (datasketch pre-mixes hashes with it too).

    Plain Python too (``fmix32.fn``), on a uint32 array: no step writes in place, so the array is not changed.
    """
    h = np.uint32(h)
    h = h ^ (h >> np.uint32(16))
    h = np.uint32(h * np.uint32(0x85EBCA6B))
    h = h ^ (h >> np.uint32(13))
    h = np.uint32(h * np.uint32(0xC2B2AE35))
    return h ^ (h >> np.uint32(16))


@njit(cache=True)
def _combine(units, start, k):  # pragma: no cover - compiled
    """Order-sensitive hash of the ``k`` unit hashes from ``start``."""
    acc = _SEED
    for i in range(start, start + k):
        acc = np.uint32((((acc << np.uint32(13)) | (acc >> np.uint32(19))) ^ units[i]) * _MUL)
    return fmix32(acc ^ np.uint32(k))


@njit(cache=True, nogil=True)
def _units(cps, offsets, words):  # pragma: no cover - compiled
    """Unit hashes of every record and per-record counts, in one pass over the code points.

    A unit is a word (split at spaces) or, for character shingles, one code point; its hash is
    FNV-1a over its code points, finalized with its length.
    """
    n = offsets.shape[0] - 1
    units = np.empty(cps.shape[0], dtype=np.uint32)
    counts = np.zeros(n, dtype=np.int64)
    u = 0
    for r in range(n):
        first = u
        h = _FNV_OFFSET
        length = 0
        for i in range(offsets[r], offsets[r + 1]):
            c = cps[i]
            if words and c == _SPACE:
                if length:
                    units[u] = fmix32(h ^ np.uint32(length))
                    u += 1
                h, length = _FNV_OFFSET, 0
                continue
            h = np.uint32((h ^ np.uint32(c)) * _FNV_PRIME)
            length += 1
            if not words:
                units[u] = fmix32(h ^ np.uint32(1))
                u += 1
                h, length = _FNV_OFFSET, 0
        if length:
            units[u] = fmix32(h ^ np.uint32(length))
            u += 1
        counts[r] = u - first
    return units[:u], counts


@_units.twin
def _units_numpy(cps: np.ndarray, offsets: np.ndarray, words: bool) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_units` in numpy: the code points of all words at once, one character position per step."""
    cps = cps.astype(np.uint32)
    record = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
    inside = cps != _SPACE if words else np.ones(len(cps), dtype=bool)
    at = np.flatnonzero(inside)
    new = np.ones(len(at), dtype=bool) if not words else np.diff(at, prepend=-2) != 1
    new[1:] |= record[at[1:]] != record[at[:-1]]  # a word never runs across two records
    starts = at[new]
    lengths = np.diff(np.append(np.flatnonzero(new), len(at)))
    h = np.full(len(starts), _FNV_OFFSET, dtype=np.uint32)
    for p in range(int(lengths.max(initial=0))):
        live = np.flatnonzero(lengths > p)
        h[live] = (h[live] ^ cps[starts[live] + p]) * _FNV_PRIME
    counts = np.bincount(record[starts], minlength=len(offsets) - 1).astype(np.int64)
    return fmix32.fn(h ^ lengths.astype(np.uint32)), counts


@njit(cache=True, nogil=True)
def _ngrams(units, counts, n):  # pragma: no cover - compiled
    """All n-gram hashes per record; a record with fewer than ``n`` units gives one, of all of them."""
    records = counts.shape[0]
    out_offsets = np.zeros(records + 1, dtype=np.int64)
    for r in range(records):
        c = counts[r]
        out_offsets[r + 1] = out_offsets[r] + (c - n + 1 if c >= n else min(c, 1))
    out = np.empty(out_offsets[records], dtype=np.uint32)
    start = 0
    for r in range(records):
        c = counts[r]
        w = out_offsets[r]
        if c >= n:
            for j in range(c - n + 1):
                out[w + j] = _combine(units, start + j, n)
        elif c > 0:
            out[w] = _combine(units, start, c)
        start += c
    return out, out_offsets


@_ngrams.twin
def _ngrams_numpy(units: np.ndarray, counts: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_ngrams` in numpy: every n-gram's accumulator advanced one unit per step."""
    grams = np.where(counts >= n, counts - n + 1, np.minimum(counts, 1))
    out_offsets = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(grams, out=out_offsets[1:])
    first_unit = np.repeat(np.cumsum(counts) - counts, grams)
    starts = first_unit + np.arange(out_offsets[-1]) - np.repeat(out_offsets[:-1], grams)
    sizes = np.repeat(np.minimum(counts, n), grams).astype(np.uint32)
    acc = np.full(len(starts), _SEED, dtype=np.uint32)
    for i in range(n):
        live = np.flatnonzero(sizes > i)
        a = acc[live]
        acc[live] = (((a << np.uint32(13)) | (a >> np.uint32(19))) ^ units[starts[live] + i]) * _MUL
    return fmix32.fn(acc ^ sizes), out_offsets


def datasketch_hashfunc(cfg: ShingleConfig) -> Callable[[bytes], int]:
    """The ``hashfunc`` that makes ``datasketch.MinHash`` reproduce our shingle hashes.

    Feed it the UTF-8 bytes of the strings from :func:`shingles`.
    """
    if cfg.hash == "sha1":
        return sha1_hash32

    def fast_hash(data: bytes) -> int:
        cps = codepoints(data.decode("utf-8"))
        units, counts = _units(cps, np.array([0, len(cps)], dtype=np.int64), cfg.kind == "word")
        return int(_combine(units, 0, int(counts[0])))

    return fast_hash


def hash_batch(normalized: Sequence[str], cfg: ShingleConfig) -> tuple[np.ndarray, np.ndarray]:
    """Hash the shingles of every normalized text: a flat uint32 array and ``len+1`` record offsets."""
    offsets = np.zeros(len(normalized) + 1, dtype=np.int64)
    np.cumsum([len(t) for t in normalized], out=offsets[1:])
    return hash_codepoints(codepoints("".join(normalized)), offsets, cfg)


def hash_codepoints(cps: np.ndarray, offsets: np.ndarray, cfg: ShingleConfig) -> tuple[np.ndarray, np.ndarray]:
    """:func:`hash_batch` for normalized texts given as UTF-32 code points with record offsets."""
    if cfg.hash == "sha1":
        texts = [text_of(cps[offsets[i] : offsets[i + 1]]) for i in range(len(offsets) - 1)]
        per_text = [[sha1_hash32(s.encode("utf-8", "surrogatepass")) for s in shingles(t, cfg)] for t in texts]
        counts = np.fromiter(map(len, per_text), dtype=np.int64, count=len(per_text))
        flat = np.fromiter((h for hs in per_text for h in hs), dtype=np.uint32, count=int(counts.sum()))
        out_offsets = np.zeros(len(counts) + 1, dtype=np.int64)
        np.cumsum(counts, out=out_offsets[1:])
        return flat, out_offsets
    units, counts = _units(cps, offsets, cfg.kind == "word")
    return _ngrams(units, counts, cfg.n)


@njit(cache=True, nogil=True)
def _unique_runs(hashes, offsets):  # pragma: no cover - compiled
    out = np.empty_like(hashes)
    out_offsets = np.zeros_like(offsets)
    w = 0
    for r in range(offsets.shape[0] - 1):
        run = np.sort(hashes[offsets[r] : offsets[r + 1]])
        for k in range(run.shape[0]):
            if k == 0 or run[k] != run[k - 1]:
                out[w] = run[k]
                w += 1
        out_offsets[r + 1] = w
    return out[:w], out_offsets


@_unique_runs.twin
def _unique_runs_numpy(hashes: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_unique_runs` in numpy: one sort by (record, hash)."""
    record = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
    order = np.lexsort((hashes, record))
    values, record = hashes[order], record[order]
    first = np.ones(len(values), dtype=bool)
    first[1:] = (values[1:] != values[:-1]) | (record[1:] != record[:-1])
    out_offsets = np.zeros_like(offsets)
    np.cumsum(np.bincount(record[first], minlength=len(offsets) - 1), out=out_offsets[1:])
    return values[first], out_offsets


def shingle_sets(hashes: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each record's shingle hashes sorted and without repeats (its set), with new offsets."""
    return _unique_runs(np.ascontiguousarray(hashes, dtype=np.uint32), np.ascontiguousarray(offsets, dtype=np.int64))
