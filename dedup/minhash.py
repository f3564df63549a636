"""MinHash signatures for a whole batch of records at once, bit-identical to datasketch.

For the same token hashes, ``num_perm``, ``seed`` and ``scheme``, row ``i`` of
:meth:`MinHasher.sign` equals ``datasketch.MinHash(...).hashvalues`` after
updating with record ``i``'s tokens, so rows convert to ``LeanMinHash`` and go
into any datasketch index. The loops are compiled (numba): one pass over the
tokens, no tokens × permutations temporary.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from dedup.config import MinHashConfig
from dedup.jit import njit
from dedup.shingle import fmix32

if TYPE_CHECKING:
    from datasketch import LeanMinHash

__all__ = ["MinHasher"]

_MERSENNE = np.uint64((1 << 61) - 1)
_MAX32 = np.uint64((1 << 32) - 1)


@njit(cache=True, nogil=True)
def _sign_affine32(hashes, offsets, a, b, out):  # pragma: no cover - compiled
    """datasketch's affine32 scheme: fmix32 pre-mix, then a*h+b mod 2^32, minimum per permutation."""
    for r in range(offsets.shape[0] - 1):
        row = out[r]
        for t in range(offsets[r], offsets[r + 1]):
            h = fmix32(hashes[t])
            for k in range(a.shape[0]):
                v = np.uint32(a[k] * h + b[k])
                if v < row[k]:
                    row[k] = v


@njit(cache=True, nogil=True)
def _sign_legacy(hashes, offsets, a, b, out):  # pragma: no cover - compiled
    """datasketch's legacy scheme: (a*h+b) in wrapping uint64, mod the Mersenne prime, low 32 bits."""
    for r in range(offsets.shape[0] - 1):
        row = out[r]
        for t in range(offsets[r], offsets[r + 1]):
            h = np.uint64(hashes[t])
            for k in range(a.shape[0]):
                v = ((a[k] * h + b[k]) % _MERSENNE) & _MAX32
                if v < row[k]:
                    row[k] = v


@_sign_affine32.twin
def _sign_affine32_numpy(
    hashes: np.ndarray, offsets: np.ndarray, a: np.ndarray, b: np.ndarray, out: np.ndarray
) -> None:
    """:func:`_sign_affine32` in numpy: a tokens × permutations array (wrapping uint32), then minima per record."""
    _least_per_record(fmix32.fn(hashes)[:, None] * a + b, offsets, out)


@_sign_legacy.twin
def _sign_legacy_numpy(hashes: np.ndarray, offsets: np.ndarray, a: np.ndarray, b: np.ndarray, out: np.ndarray) -> None:
    """:func:`_sign_legacy` in numpy: a tokens × permutations array (wrapping uint64), then minima per record."""
    _least_per_record(((hashes.astype(np.uint64)[:, None] * a + b) % _MERSENNE) & _MAX32, offsets, out)


def _least_per_record(values: np.ndarray, offsets: np.ndarray, out: np.ndarray) -> None:
    """Lower each row of ``out`` to the column minima of its record's rows of ``values``."""
    nonempty = np.flatnonzero(offsets[1:] > offsets[:-1])
    if len(nonempty):  # a record's rows are contiguous, and empty records lie between none of them
        out[nonempty] = np.minimum(out[nonempty], np.minimum.reduceat(values, offsets[nonempty], axis=0))


class MinHasher:
    """Holds the permutations for one :class:`MinHashConfig` and signs batches of records."""

    def __init__(self, cfg: MinHashConfig) -> None:
        self.cfg = cfg
        gen = np.random.RandomState(cfg.seed)
        if cfg.scheme == "legacy":
            # Same draw order as datasketch: (a, b) pairs, one permutation at a time.
            pairs = [
                (gen.randint(1, _MERSENNE, dtype=np.uint64), gen.randint(0, _MERSENNE, dtype=np.uint64))
                for _ in range(cfg.num_perm)
            ]
            self.a, self.b = np.ascontiguousarray(np.array(pairs, dtype=np.uint64).T)
            self.dtype, self.empty_value, self._kernel = np.dtype(np.uint64), _MAX32, _sign_legacy
        else:
            self.a = gen.randint(0, 1 << 31, cfg.num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
            self.b = gen.randint(0, 1 << 32, cfg.num_perm, dtype=np.uint32)
            self.dtype, self.empty_value, self._kernel = np.dtype(np.uint32), np.uint32(0xFFFFFFFF), _sign_affine32

    def sign(self, hashes: np.ndarray, offsets: np.ndarray) -> np.ndarray:
        """Signatures (records × num_perm) of the records ``hashes[offsets[i]:offsets[i+1]]``.

        A record with no tokens gets datasketch's empty signature (all maximum values).
        """
        out = np.full((len(offsets) - 1, self.cfg.num_perm), self.empty_value, dtype=self.dtype)
        self._kernel(
            np.ascontiguousarray(hashes, dtype=np.uint32),
            np.ascontiguousarray(offsets, dtype=np.int64),
            self.a,
            self.b,
            out,
        )
        return out

    def lean(self, signature: np.ndarray) -> LeanMinHash:
        """One signature row as a ``datasketch.LeanMinHash`` for use in datasketch indexes."""
        from datasketch import LeanMinHash  # datasketch imports scipy: only when asked for

        return LeanMinHash(seed=self.cfg.seed, hashvalues=signature, scheme=self.cfg.scheme)
