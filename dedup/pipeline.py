"""The shared core: texts to signatures, and signatures to verified similar pairs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from dedup.config import DedupConfig
from dedup.lsh import band_keys, band_params, candidate_pairs, estimated_jaccard, exact_jaccard
from dedup.minhash import MinHasher
from dedup.normalize import get_profile
from dedup.shingle import hash_codepoints

__all__ = ["Pipeline", "SignedBatch"]


@dataclass(frozen=True)
class SignedBatch:
    """Shingle hashes (flat, with record offsets) and MinHash signatures of a batch."""

    hashes: np.ndarray
    offsets: np.ndarray
    signatures: np.ndarray

    @property
    def nonempty(self) -> np.ndarray:
        """Records with at least one shingle; empty ones never match anything."""
        return self.offsets[1:] > self.offsets[:-1]

    def shingle_set(self, row: int) -> np.ndarray:
        """The sorted distinct shingle hashes of one record."""
        return np.unique(self.hashes[self.offsets[row] : self.offsets[row + 1]])


class Pipeline:
    """normalize → shingle → sign → band → candidates → verify, for one :class:`DedupConfig`."""

    def __init__(self, cfg: DedupConfig | None = None) -> None:
        self.cfg = cfg or DedupConfig()
        self.profile = get_profile(self.cfg.profile)
        self.hasher = MinHasher(self.cfg.minhash)
        self.bands, self.rows = band_params(self.cfg.lsh, self.cfg.minhash.num_perm)

    def sign(self, texts: Sequence[str]) -> SignedBatch:
        """Normalize, shingle and sign a batch of raw texts."""
        hashes, offsets = hash_codepoints(*self.profile.normalize_batch(texts), self.cfg.shingle)
        return SignedBatch(hashes, offsets, self.hasher.sign(hashes, offsets))

    def candidates(self, signatures: np.ndarray, nonempty: np.ndarray) -> np.ndarray:
        """LSH candidate pairs ``(i, j)``, ``i < j``, among the non-empty records.

        One band at a time, so that memory stays at a few arrays of N even when
        ``signatures`` is a memory-mapped file larger than RAM.
        """
        rows = np.flatnonzero(nonempty)
        n, r = len(signatures), self.rows
        found = []
        for band in range(self.bands):
            keys = band_keys(np.asarray(signatures[rows, band * r : (band + 1) * r]), 1, r)
            pairs = rows[candidate_pairs(keys, self.cfg.lsh.max_bucket_pairs)]
            found.append(pairs[:, 0] * n + pairs[:, 1])
        codes = np.unique(np.concatenate(found)) if found else np.zeros(0, dtype=np.int64)
        return np.stack([codes // max(n, 1), codes % max(n, 1)], axis=1)

    def similar_pairs(
        self,
        signatures: np.ndarray,
        nonempty: np.ndarray,
        shingle_set: Callable[[int], np.ndarray] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Candidate pairs whose Jaccard reaches the threshold, with it: estimated from the
        signatures, or exact when ``shingle_set`` gives each record's shingle hashes."""
        pairs = self.candidates(signatures, nonempty)
        if shingle_set is not None:
            sims = np.array([exact_jaccard(shingle_set(i), shingle_set(j)) for i, j in pairs.tolist()])
        else:
            sims = estimated_jaccard(signatures, pairs)
        keep = sims >= self.cfg.lsh.threshold if len(pairs) else np.zeros(0, dtype=bool)
        return pairs[keep], sims[keep]
