"""The shared core: texts to signatures, and signatures to verified similar pairs."""

from __future__ import annotations

from collections.abc import Sequence
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
        """LSH candidate pairs (global row indices) among the non-empty records."""
        rows = np.flatnonzero(nonempty)
        keys = band_keys(signatures[rows], self.bands, self.rows)
        return rows[candidate_pairs(keys, self.cfg.lsh.max_bucket_pairs)]

    def similar_pairs(self, batch: SignedBatch, exact: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Candidate pairs whose Jaccard (estimated, or exact on shingle sets) reaches the threshold."""
        pairs = self.candidates(batch.signatures, batch.nonempty)
        if exact:
            sims = np.array([exact_jaccard(batch.shingle_set(i), batch.shingle_set(j)) for i, j in pairs])
        else:
            sims = estimated_jaccard(batch.signatures, pairs)
        keep = sims >= self.cfg.lsh.threshold if len(pairs) else np.zeros(0, dtype=bool)
        return pairs[keep], sims[keep]
