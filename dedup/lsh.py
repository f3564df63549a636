"""Banding, candidate pairs, verification and clusters, all on whole numpy arrays."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from dedup.config import LSHConfig
from dedup.jit import njit

__all__ = [
    "band_keys",
    "band_params",
    "candidate_pairs",
    "connected_components",
    "containment_of_pairs",
    "distinct",
    "estimated_jaccard",
    "exact_jaccard",
    "jaccard_of_pairs",
    "optimal_params",
    "overlaps",
]

_KEY_MUL = np.uint64(0x9E3779B97F4A7C15)


@lru_cache(maxsize=256)
def optimal_params(threshold: float, num_perm: int, false_positive_weight: float = 0.5) -> tuple[int, int]:
    """Bands × rows minimising weighted false positive and negative areas, as ``datasketch.MinHashLSH`` does."""
    # Trapezoids on 2,001 points: the same optimum as datasketch's scipy quad for every threshold
    # 0.05..0.95 and num_perm 16..256 (checked), without importing scipy.
    below, above = np.linspace(0.0, threshold, 2001), np.linspace(threshold, 1.0, 2001)
    best, best_error = (1, 1), float("inf")
    for b in range(1, num_perm + 1):
        for r in range(1, num_perm // b + 1):
            fp = np.trapezoid(1 - (1 - below**r) ** b, below)
            fn = np.trapezoid((1 - above**r) ** b, above)
            error = fp * false_positive_weight + fn * (1 - false_positive_weight)
            if error < best_error:
                best, best_error = (b, r), error
    return best


def band_params(cfg: LSHConfig, num_perm: int) -> tuple[int, int]:
    """The configured bands × rows, or the optimum for the banding threshold."""
    if cfg.bands is not None:
        return cfg.bands, cfg.rows
    return optimal_params(cfg.banding_threshold, num_perm, cfg.false_positive_weight)


def band_keys(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """One 64-bit key per record and band (records × bands); equal bands give equal keys."""
    sig = signatures.astype(np.uint64, copy=False)
    keys = np.zeros((len(sig), bands), dtype=np.uint64)
    for r in range(rows):
        # Mix the running key before folding in the next value: order-sensitive, 64-bit wide.
        keys = (keys ^ (keys >> np.uint64(29))) * _KEY_MUL ^ sig[:, r : bands * rows : rows]
    return keys


def stable_order(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The order that sorts ``keys`` with ties in index order (a stable argsort), and the sorted keys.

    An unstable sort (several times faster) and then a stable one over just the records whose key
    repeats, which are few: a band key is shared only by candidates.
    """
    order = np.argsort(keys)
    sorted_keys = keys[order]
    repeat = sorted_keys[1:] == sorted_keys[:-1]
    tied = np.zeros(len(keys), dtype=bool)
    tied[1:] |= repeat
    tied[:-1] |= repeat
    at = np.flatnonzero(tied)
    order[at] = order[at][np.lexsort((order[at], sorted_keys[at]))]
    return order, sorted_keys


def candidate_pairs(keys: np.ndarray, max_bucket_pairs: int = 64) -> np.ndarray:
    """Distinct pairs ``(i, j)``, ``i < j``, of records that share a key in any band.

    Within a bucket every record is paired with its next ``max_bucket_pairs``
    neighbours in index order, and every record with the bucket's first one: all
    pairs for ordinary buckets, and still a connected star for huge ones.
    """
    n = len(keys)
    found = []
    for band in range(keys.shape[1]):
        order, sorted_keys = stable_order(keys[:, band])
        same = np.flatnonzero(sorted_keys[1:] == sorted_keys[:-1])
        if not len(same):
            continue
        # Index of each sorted position's bucket head.
        is_head = np.ones(n, dtype=bool)
        is_head[same + 1] = False
        head = np.maximum.accumulate(np.where(is_head, np.arange(n), 0))
        found.append(np.stack([order[head[same + 1]], order[same + 1]], axis=1))
        for d in range(1, max_bucket_pairs + 1):
            pos = np.flatnonzero(sorted_keys[d:] == sorted_keys[:-d])
            if not len(pos):
                break
            found.append(np.stack([order[pos], order[pos + d]], axis=1))
    if not found:
        return np.empty((0, 2), dtype=np.int64)
    pairs = np.concatenate(found).astype(np.int64)
    pairs.sort(axis=1)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    codes = distinct(pairs[:, 0] * n + pairs[:, 1])
    return np.stack([codes // n, codes % n], axis=1)


def estimated_jaccard(signatures: np.ndarray, pairs: np.ndarray, chunk: int = 65536) -> np.ndarray:
    """Share of equal signature values for each pair: the MinHash Jaccard estimate."""
    out = np.empty(len(pairs), dtype=np.float64)
    for lo in range(0, len(pairs), chunk):
        p = pairs[lo : lo + chunk]
        out[lo : lo + chunk] = (signatures[p[:, 0]] == signatures[p[:, 1]]).mean(axis=1)
    return out


def distinct(values: np.ndarray) -> np.ndarray:
    """The sorted distinct values: ``np.unique`` without the import of numpy.ma it makes (25 ms of a page's run)."""
    out = np.sort(values)
    return out[np.concatenate(([True], out[1:] != out[:-1]))] if len(out) else out


def exact_jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Jaccard similarity of the sets of two arrays of shingle hashes (0 for two empty sets)."""
    both = np.concatenate([a, b])
    return float(jaccard_of_pairs(both, np.array([0, len(a), len(both)]), np.array([[0, 1]]))[0])


def overlaps(sets: np.ndarray, offsets: np.ndarray, pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Intersection size of each pair of records, and the sizes of both sets.

    A record is the run of ``sets`` between its offsets, in any order and with repeats allowed (its set
    is its distinct values), so raw shingle hashes need no sorting first.
    """
    offsets = np.asarray(offsets, dtype=np.int64)
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    return _pair_overlaps(np.ascontiguousarray(sets, dtype=np.uint32), offsets, pairs)


def jaccard_of_pairs(sets: np.ndarray, offsets: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """Exact Jaccard of each pair of records, whose shingle hashes are runs of ``sets`` (see :func:`overlaps`)."""
    inter, a, b = overlaps(sets, offsets, pairs)
    union = a + b - inter
    return np.divide(inter, union, out=np.zeros(len(inter)), where=union > 0)


def containment_of_pairs(
    sets: np.ndarray, offsets: np.ndarray, pairs: np.ndarray, min_shared: int = 1, short_jaccard: float = 0.8
) -> np.ndarray:
    """Share of the smaller set of each pair found in the larger: 1.0 for a text wholly inside another.

    A pair sharing fewer than ``min_shared`` shingles is too short to be one inside the other: it
    scores its Jaccard if that reaches ``short_jaccard`` (near-identical short texts), else 0. Two
    look-alike questions sharing two 3-grams are different questions.
    """
    inter, a, b = overlaps(sets, offsets, pairs)
    smaller, union = np.minimum(a, b), a + b - inter
    contained = np.divide(inter, smaller, out=np.zeros(len(inter)), where=smaller > 0)
    jaccard = np.divide(inter, union, out=np.zeros(len(inter)), where=union > 0)
    return np.where(inter >= min_shared, contained, np.where(jaccard >= short_jaccard, jaccard, 0.0))


_IN_A, _IN_B, _IN_BOTH = 1, 2, 3


@njit(cache=True, nogil=True)
def _pair_overlaps(values, offsets, pairs):  # pragma: no cover - compiled
    """Distinct counts and intersection of each pair of runs, through one small open-addressing table per pair."""
    inter = np.zeros(pairs.shape[0], dtype=np.int64)
    size_a = np.zeros(pairs.shape[0], dtype=np.int64)
    size_b = np.zeros(pairs.shape[0], dtype=np.int64)
    keys = np.empty(0, dtype=np.uint32)
    marks = np.empty(0, dtype=np.uint8)
    for k in range(pairs.shape[0]):
        i, j = pairs[k, 0], pairs[k, 1]
        slots = 4
        while slots < 2 * (offsets[i + 1] - offsets[i] + offsets[j + 1] - offsets[j]):
            slots *= 2
        if keys.shape[0] < slots:
            keys = np.empty(slots, dtype=np.uint32)
            marks = np.empty(slots, dtype=np.uint8)
        marks[:slots] = 0
        mask = np.uint32(slots - 1)
        for side in range(2):
            r = i if side == 0 else j
            mark = _IN_A if side == 0 else _IN_B
            for p in range(offsets[r], offsets[r + 1]):
                v = values[p]
                s = np.uint32(v * np.uint32(0x9E3779B1)) & mask
                while marks[s] != 0 and keys[s] != v:
                    s = (s + np.uint32(1)) & mask
                if marks[s] == 0:
                    keys[s] = v
                    marks[s] = mark
                    if side == 0:
                        size_a[k] += 1
                    else:
                        size_b[k] += 1
                elif marks[s] == _IN_A and side == 1:
                    marks[s] = _IN_BOTH
                    size_b[k] += 1
                    inter[k] += 1
    return inter, size_a, size_b


@_pair_overlaps.twin
def _pair_overlaps_numpy(
    values: np.ndarray, offsets: np.ndarray, pairs: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_pair_overlaps` in numpy: every pair's two runs laid side by side, keyed (pair, value), one sort."""
    runs = pairs.reshape(-1)  # pair k's runs are entries 2k and 2k + 1
    lengths = offsets[runs + 1] - offsets[runs]
    entry = np.repeat(np.arange(len(runs)), lengths)
    at = np.repeat(offsets[runs] - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
    keys = distinct((entry.astype(np.uint64) << np.uint64(32)) | values[at])  # (pair, side, value)
    entry = (keys >> np.uint64(32)).astype(np.int64)
    sizes = np.bincount(entry, minlength=len(runs)).reshape(-1, 2)
    in_pair = (entry // 2).astype(np.uint64) << np.uint64(32) | (keys & np.uint64(0xFFFFFFFF))
    in_pair.sort()  # a (pair, value) is there once per side that holds it
    shared = in_pair[1:][in_pair[1:] == in_pair[:-1]]
    inter = np.bincount((shared >> np.uint64(32)).astype(np.int64), minlength=len(pairs))
    return inter, sizes[:, 0], sizes[:, 1]


def connected_components(n: int, pairs: np.ndarray) -> np.ndarray:
    """Component label of each of ``n`` nodes: the smallest node index in its component."""
    labels = np.arange(n, dtype=np.int64)
    if not len(pairs):
        return labels
    u, v = pairs[:, 0], pairs[:, 1]
    while True:
        low = np.minimum(labels[u], labels[v])
        updated = labels.copy()
        np.minimum.at(updated, u, low)
        np.minimum.at(updated, v, low)
        # Pointer jumping: follow labels to their own labels until stable.
        while True:
            jumped = updated[updated]
            if np.array_equal(jumped, updated):
                break
            updated = jumped
        if np.array_equal(updated, labels):
            return labels
        labels = updated
