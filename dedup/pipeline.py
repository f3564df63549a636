"""The shared core: texts to signatures, and signatures to verified similar pairs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from dedup.config import DedupConfig
from dedup.lsh import (
    band_keys,
    band_params,
    candidate_pairs,
    containment_of_pairs,
    distinct,
    estimated_jaccard,
    jaccard_of_pairs,
    stable_order,
)
from dedup.minhash import MinHasher
from dedup.normalize import get_profile
from dedup.shingle import hash_codepoints, shingle_sets

__all__ = ["Pipeline", "SignedBatch"]


@dataclass(frozen=True)
class SignedBatch:
    """MinHash signatures of a batch, and its shingle sets (sorted distinct hashes) when asked for.

    Signing needs no sets (a minimum over repeats is the same), so the sets are built,
    once, only by what verifies exactly.
    """

    shingles: np.ndarray  # every shingle hash, in text order, repeats included
    shingle_offsets: np.ndarray
    signatures: np.ndarray

    @property
    def nonempty(self) -> np.ndarray:
        """Records with at least one shingle; empty ones never match anything."""
        return self.shingle_offsets[1:] > self.shingle_offsets[:-1]

    def part(self, start: int, stop: int) -> SignedBatch:
        """Records ``start`` to ``stop`` (not included) as a batch of their own."""
        first, last = self.shingle_offsets[start], self.shingle_offsets[stop]
        offsets = self.shingle_offsets[start : stop + 1] - first
        return SignedBatch(self.shingles[first:last], offsets, self.signatures[start:stop])

    @cached_property
    def _sets(self) -> tuple[np.ndarray, np.ndarray]:
        return shingle_sets(self.shingles, self.shingle_offsets)

    @property
    def hashes(self) -> np.ndarray:
        """Every record's shingle set, sorted distinct hashes, one after another (see :attr:`offsets`)."""
        return self._sets[0]

    @property
    def offsets(self) -> np.ndarray:
        """Where each record's set starts in :attr:`hashes` (``len + 1`` entries)."""
        return self._sets[1]

    def shingle_set(self, row: int) -> np.ndarray:
        """The sorted distinct shingle hashes of one record."""
        return self.hashes[self.offsets[row] : self.offsets[row + 1]]


class Pipeline:
    """normalize → shingle → sign → band → candidates → verify, for one :class:`DedupConfig`."""

    def __init__(self, cfg: DedupConfig | None = None) -> None:
        self.cfg = cfg or DedupConfig()
        self.profile = get_profile(self.cfg.profile)
        self.hasher = MinHasher(self.cfg.minhash)
        self.bands, self.rows = band_params(self.cfg.lsh, self.cfg.minhash.num_perm)

    def sign(self, texts: Sequence[str]) -> SignedBatch:
        """Normalize, shingle and sign a batch of raw texts."""
        shingles, offsets = hash_codepoints(*self.profile.normalize_batch(texts), self.cfg.shingle)
        return SignedBatch(shingles, offsets, self.hasher.sign(shingles, offsets))

    def candidates(self, band: Callable[[int], np.ndarray], nonempty: np.ndarray) -> np.ndarray:
        """LSH candidate pairs ``(i, j)``, ``i < j``, among the non-empty records.

        ``band(b)`` gives the signature columns of band ``b`` for all records: bands are
        taken one at a time, so memory stays at a few arrays of N whatever the corpus size.
        Records with equal signatures pair with the first of them, and only that one goes through
        the bands: heavy exact duplication would otherwise fill buckets with thousands of records,
        each paired with ``max_bucket_pairs`` neighbours in every band.
        """
        rows = np.flatnonzero(nonempty)
        n = max(len(nonempty), 1)
        copies, firsts = self._equal_signatures(band, rows)
        found = [copies[:, 0] * n + copies[:, 1]]
        for b in range(self.bands):
            keys = band_keys(np.asarray(band(b))[firsts], 1, self.rows)
            pairs = firsts[candidate_pairs(keys, self.cfg.lsh.max_bucket_pairs)]
            found.append(pairs[:, 0] * n + pairs[:, 1])
        codes = distinct(np.concatenate(found))
        return np.stack([codes // n, codes % n], axis=1)

    def _equal_signatures(self, band: Callable[[int], np.ndarray], rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pairs (first, later) of ``rows`` with equal signatures (one 64-bit key of all bands), and the
        rows that are the first of their signature, in order."""
        whole = np.zeros(len(rows), dtype=np.uint64)
        for b in range(self.bands):
            key = band_keys(np.asarray(band(b))[rows], 1, self.rows)
            whole = band_keys(np.column_stack([whole, key]), 1, 2)[:, 0]  # folded in, band after band
        order, sorted_keys = stable_order(whole)
        is_first = np.ones(len(rows), dtype=bool)
        is_first[1:] = sorted_keys[1:] != sorted_keys[:-1]
        first = order[np.maximum.accumulate(np.where(is_first, np.arange(len(rows)), 0))]
        copies = np.stack([rows[first[~is_first]], rows[order[~is_first]]], axis=1)
        return copies, np.sort(rows[order[is_first]])

    def band_columns(self, signatures: np.ndarray) -> Callable[[int], np.ndarray]:
        """:meth:`candidates`' band accessor for signatures held in one array."""
        return lambda b: signatures[:, b * self.rows : (b + 1) * self.rows]

    def similar_pairs(
        self, signatures: np.ndarray, nonempty: np.ndarray, sets: tuple[np.ndarray, np.ndarray] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Candidate pairs whose Jaccard reaches the threshold, with it.

        With ``verify="exact"`` the records' shingle ``sets`` (flat sorted hashes and
        offsets, as in :class:`SignedBatch`) are required; otherwise the estimate from
        the signatures is used.
        """
        pairs = self.candidates(self.band_columns(signatures), nonempty)
        sims = self.similarity(signatures, pairs, sets)
        keep = sims >= self.cfg.lsh.threshold
        return pairs[keep], sims[keep]

    def similarity(
        self, signatures: np.ndarray | None, pairs: np.ndarray, sets: tuple[np.ndarray, np.ndarray] | None = None
    ) -> np.ndarray:
        """Similarity of each pair as the configuration verifies it: Jaccard (exact or estimated) or containment.

        Estimates read ``signatures``; exact Jaccard and containment read only ``sets``: flat shingle
        hashes and offsets, as sorted sets (:attr:`SignedBatch.hashes`) or raw (:attr:`SignedBatch.shingles`).
        """
        if self.cfg.lsh.verify == "estimate":
            return estimated_jaccard(signatures, pairs)
        if sets is None:
            raise ValueError(f"{self.cfg.lsh.verify} verification needs the records' shingle sets")
        if self.cfg.lsh.verify == "containment":
            return containment_of_pairs(sets[0], sets[1], pairs, self.cfg.lsh.min_shared)
        return jaccard_of_pairs(sets[0], sets[1], pairs)

    def similar_in_batch(self, batch: SignedBatch) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`similar_pairs` among the records of one in-memory batch."""
        return self.similar_pairs(batch.signatures, batch.nonempty, (batch.hashes, batch.offsets))
