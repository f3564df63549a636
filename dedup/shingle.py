"""Shingles of normalized text, and their 32-bit hashes for a whole batch at once.

Two hash functions: ``sha1`` hashes each shingle string with datasketch's default
``sha1_hash32``; ``fast`` hashes each distinct word (or character) once and
combines the unit hashes of every n-gram in numpy. Both are reproducible in
datasketch through :func:`datasketch_hashfunc`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from datasketch.hashfunc import sha1_hash32

from dedup.config import ShingleConfig

__all__ = ["datasketch_hashfunc", "hash_batch", "shingle_sets", "shingles"]

_SEED = np.uint32(0x9747B28C)
_MUL = np.uint32(0x5BD1E995)
_CACHE_LIMIT = 2_000_000
_unit_cache: dict[str, int] = {}


def shingles(normalized: str, cfg: ShingleConfig) -> list[str]:
    """The shingle strings of one normalized text.

    A text shorter than one n-gram yields itself as a single shingle, so that a
    short line repeated verbatim is still comparable; an empty text yields none.
    """
    if cfg.kind == "word":
        units = normalized.split()
        joined = " ".join(units)
        if not units or len(units) <= cfg.n:
            return [joined] if units else []
        return [" ".join(units[i : i + cfg.n]) for i in range(len(units) - cfg.n + 1)]
    if not normalized or len(normalized) <= cfg.n:
        return [normalized] if normalized else []
    return [normalized[i : i + cfg.n] for i in range(len(normalized) - cfg.n + 1)]


def _units(shingle: str, kind: str) -> list[str]:
    return shingle.split(" ") if kind == "word" else list(shingle)


def _unit_hashes(units: list[str]) -> np.ndarray:
    """SHA-1 hashes of units, each distinct unit hashed once per process."""
    cache = _unit_cache
    if len(cache) > _CACHE_LIMIT:
        cache.clear()
    for unit in dict.fromkeys(units):
        if unit not in cache:
            cache[unit] = sha1_hash32(unit.encode("utf-8"))
    return np.fromiter((cache[u] for u in units), dtype=np.uint32, count=len(units))


def fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer, element-wise (datasketch pre-mixes with it too)."""
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def _combine(unit_hashes: np.ndarray, starts: np.ndarray, k: int) -> np.ndarray:
    """Order-sensitive hash of the ``k`` units starting at each of ``starts``."""
    acc = np.full(len(starts), _SEED, dtype=np.uint32)
    for i in range(k):
        acc = ((acc << np.uint32(13)) | (acc >> np.uint32(19))) ^ unit_hashes[starts + i]
        acc = acc * _MUL
    return fmix32(acc ^ np.uint32(k))


def datasketch_hashfunc(cfg: ShingleConfig) -> Callable[[bytes], int]:
    """The ``hashfunc`` that makes ``datasketch.MinHash`` reproduce our shingle hashes.

    Feed it the UTF-8 bytes of the strings from :func:`shingles`.
    """
    if cfg.hash == "sha1":
        return sha1_hash32

    def fast_hash(data: bytes) -> int:
        units = _units(data.decode("utf-8"), cfg.kind)
        return int(_combine(_unit_hashes(units), np.zeros(1, dtype=np.int64), len(units))[0])

    return fast_hash


def hash_batch(normalized: Sequence[str], cfg: ShingleConfig) -> tuple[np.ndarray, np.ndarray]:
    """Hash the shingles of every text: a flat uint32 array and ``len+1`` record offsets."""
    if cfg.hash == "sha1":
        per_text = [[sha1_hash32(s.encode("utf-8")) for s in shingles(t, cfg)] for t in normalized]
        counts = np.fromiter(map(len, per_text), dtype=np.int64, count=len(per_text))
        flat = np.fromiter((h for hs in per_text for h in hs), dtype=np.uint32, count=int(counts.sum()))
        return flat, _offsets(counts)
    if cfg.kind == "word":
        split = [t.split() for t in normalized]
        lengths = np.fromiter(map(len, split), dtype=np.int64, count=len(split))
        units = _unit_hashes([w for words in split for w in words])
    else:
        lengths = np.fromiter(map(len, normalized), dtype=np.int64, count=len(normalized))
        units = _unit_hashes(list("".join(normalized)))
    return _window_hashes(units, lengths, cfg.n)


def _offsets(counts: np.ndarray) -> np.ndarray:
    offsets = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return offsets


def _window_hashes(units: np.ndarray, lengths: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """All n-gram hashes of each record's units; a record shorter than ``n`` gives one."""
    unit_starts = _offsets(lengths)[:-1]
    counts = np.where(lengths >= n, lengths - n + 1, np.minimum(lengths, 1))
    offsets = _offsets(counts)
    out = np.empty(int(offsets[-1]), dtype=np.uint32)
    full = lengths >= n
    if full.any():
        full_counts = counts[full]
        rec = np.repeat(np.flatnonzero(full), full_counts)
        within = np.arange(len(rec), dtype=np.int64) - np.repeat(_offsets(full_counts)[:-1], full_counts)
        out[offsets[rec] + within] = _combine(units, unit_starts[rec] + within, n)
    for k in range(1, n):
        short = np.flatnonzero(lengths == k)
        if len(short):
            out[offsets[short]] = _combine(units, unit_starts[short], k)
    return out, offsets


def shingle_sets(hashes: np.ndarray, offsets: np.ndarray, rows: Sequence[int]) -> list[np.ndarray]:
    """The distinct shingle hashes of the given records, sorted, for exact Jaccard."""
    return [np.unique(hashes[offsets[r] : offsets[r + 1]]) for r in rows]
