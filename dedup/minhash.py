"""MinHash signatures for a whole batch of records at once, bit-identical to datasketch.

For the same token hashes, ``num_perm``, ``seed`` and ``scheme``, row ``i`` of
:meth:`MinHasher.sign` equals ``datasketch.MinHash(...).hashvalues`` after
updating with record ``i``'s tokens, so rows convert to ``LeanMinHash`` and go
into any datasketch index.
"""

from __future__ import annotations

import numpy as np
from datasketch import LeanMinHash

from dedup.config import MinHashConfig
from dedup.shingle import fmix32

__all__ = ["MinHasher"]

_MERSENNE = np.uint64((1 << 61) - 1)
_MAX32 = np.uint64((1 << 32) - 1)
# Token rows per chunk: bounds the temporary tokens × num_perm array to ~32 MB.
_CHUNK_CELLS = 1 << 23


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
            self.a, self.b = np.array(pairs, dtype=np.uint64).T
            self.dtype = np.dtype(np.uint64)
            self.empty_value = _MAX32
        else:
            self.a = gen.randint(0, 1 << 31, cfg.num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
            self.b = gen.randint(0, 1 << 32, cfg.num_perm, dtype=np.uint32)
            self.dtype = np.dtype(np.uint32)
            self.empty_value = np.uint32(0xFFFFFFFF)

    def _permute(self, hashes: np.ndarray) -> np.ndarray:
        """The permuted hash values, tokens × num_perm, exactly as datasketch computes them."""
        if self.cfg.scheme == "legacy":
            phv = (hashes.astype(np.uint64)[:, None] * self.a + self.b) % _MERSENNE
            return np.bitwise_and(phv, _MAX32)
        return fmix32(hashes.astype(np.uint32))[:, None] * self.a + self.b

    def sign(self, hashes: np.ndarray, offsets: np.ndarray) -> np.ndarray:
        """Signatures (records × num_perm) of the records ``hashes[offsets[i]:offsets[i+1]]``.

        A record with no tokens gets datasketch's empty signature (all maximum values).
        """
        n = len(offsets) - 1
        out = np.full((n, self.cfg.num_perm), self.empty_value, dtype=self.dtype)
        nonempty = np.flatnonzero(offsets[1:] > offsets[:-1])
        if not len(nonempty):
            return out
        starts = offsets[nonempty]
        total = int(offsets[-1])
        step = max(1, _CHUNK_CELLS // self.cfg.num_perm)
        for lo in range(0, total, step):
            hi = min(total, lo + step)
            # Records whose tokens overlap [lo, hi): the one open at lo, then those starting inside.
            k0 = int(np.searchsorted(starts, lo, side="right")) - 1
            k1 = int(np.searchsorted(starts, hi, side="left"))
            seg = np.maximum(starts[k0:k1], lo) - lo
            mins = np.minimum.reduceat(self._permute(hashes[lo:hi]), seg, axis=0)
            rows = nonempty[k0:k1]
            out[rows] = np.minimum(out[rows], mins)
        return out

    def lean(self, signature: np.ndarray) -> LeanMinHash:
        """One signature row as a ``datasketch.LeanMinHash`` for use in datasketch indexes."""
        return LeanMinHash(seed=self.cfg.seed, hashvalues=signature, scheme=self.cfg.scheme)
