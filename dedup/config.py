"""Settings for each pipeline stage, as frozen dataclasses validated on creation."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

from dedup.errors import ConfigError
from dedup.normalize import DEFAULT_PROFILE, get_profile

__all__ = ["HASH_VERSION", "DedupConfig", "LSHConfig", "MinHashConfig", "ShingleConfig"]


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise ConfigError(message)


@dataclass(frozen=True)
class ShingleConfig:
    """How normalized text becomes a set of hashed shingles.

    ``hash="fast"`` hashes each word once and combines n-gram hashes in numpy;
    ``hash="sha1"`` hashes each shingle with datasketch's default ``sha1_hash32``.
    """

    kind: Literal["word", "char"] = "word"
    n: int = 5
    hash: Literal["fast", "sha1"] = "fast"

    def __post_init__(self) -> None:
        _check(self.kind in ("word", "char"), f"shingle kind must be 'word' or 'char', got {self.kind!r}")
        _check(isinstance(self.n, int) and 1 <= self.n <= 64, f"shingle size must be 1..64, got {self.n!r}")
        _check(self.hash in ("fast", "sha1"), f"hash must be 'fast' or 'sha1', got {self.hash!r}")


@dataclass(frozen=True)
class MinHashConfig:
    """MinHash settings, named as in ``datasketch.MinHash`` (``num_perm``, ``seed``, ``scheme``)."""

    num_perm: int = 128
    seed: int = 1
    scheme: Literal["affine32", "legacy"] = "affine32"

    def __post_init__(self) -> None:
        _check(
            isinstance(self.num_perm, int) and 2 <= self.num_perm <= 1024,
            f"num_perm must be 2..1024, got {self.num_perm!r}",
        )
        _check(isinstance(self.seed, int) and 0 <= self.seed < 2**32, f"seed must be 0..2**32-1, got {self.seed!r}")
        _check(self.scheme in ("affine32", "legacy"), f"scheme must be 'affine32' or 'legacy', got {self.scheme!r}")


@dataclass(frozen=True)
class LSHConfig:
    """Banding and verification.

    Candidates come from bands × rows (given, or the optimum for ``candidate_threshold``);
    each candidate pair is then verified against ``threshold``: by exact Jaccard of the
    two shingle sets (default), by the estimate from the signatures, or by containment
    (the share of the smaller set inside the larger: partial and wrapped copies; a pair
    sharing fewer than ``min_shared`` shingles counts only if nearly identical, Jaccard ≥ 0.8). Exact
    verification makes every reported pair true, so the bands aim lower (threshold − 0.1)
    to miss fewer; for containment they aim at half the threshold, since a text inside a
    longer one has a lower Jaccard than containment.
    The optimum weighs false positives at 0.1 (datasketch: 0.5) for the same reason: a
    false candidate costs one comparison, a missed one is a duplicate kept.
    """

    threshold: float = 0.8
    verify: Literal["exact", "estimate", "containment"] = "exact"
    candidate_threshold: float | None = None
    bands: int | None = None
    rows: int | None = None
    false_positive_weight: float = 0.1
    max_bucket_pairs: int = 64
    min_shared: int = 5

    def __post_init__(self) -> None:
        _check(0.0 < self.threshold <= 1.0, f"threshold must be in (0, 1], got {self.threshold!r}")
        _check(
            self.verify in ("exact", "estimate", "containment"),
            f"verify must be exact, estimate or containment, got {self.verify!r}",
        )
        _check(
            self.candidate_threshold is None or 0.0 < self.candidate_threshold <= 1.0,
            f"candidate threshold must be in (0, 1], got {self.candidate_threshold!r}",
        )
        _check((self.bands is None) == (self.rows is None), "give both bands and rows, or neither")
        _check(self.bands is None or (self.bands >= 1 and self.rows >= 1), "bands and rows must be positive")
        _check(0.0 <= self.false_positive_weight <= 1.0, "false_positive_weight must be in [0, 1]")
        _check(self.max_bucket_pairs >= 1, "max_bucket_pairs must be positive")
        _check(self.min_shared >= 1, "min_shared must be positive")

    @property
    def banding_threshold(self) -> float:
        """The similarity the bands are tuned for."""
        if self.candidate_threshold is not None:
            return self.candidate_threshold
        if self.verify == "containment":
            return max(0.05, round(self.threshold / 2, 4))
        return max(0.05, round(self.threshold - 0.1, 4)) if self.verify == "exact" else self.threshold


HASH_VERSION = 1
"""The version of what turns a normalized text into signatures (shingle units, the fast hash's combining
and mixing, the permutations): raise it with any change that alters a signature, so that an index
stored by an older version is refused instead of silently matching nothing."""


@dataclass(frozen=True)
class DedupConfig:
    """Everything that decides which records match; recorded with every result and index."""

    profile: str = DEFAULT_PROFILE
    shingle: ShingleConfig = field(default_factory=ShingleConfig)
    minhash: MinHashConfig = field(default_factory=MinHashConfig)
    lsh: LSHConfig = field(default_factory=LSHConfig)

    def __post_init__(self) -> None:
        get_profile(self.profile)
        if self.lsh.bands is not None:
            _check(
                self.lsh.bands * self.lsh.rows <= self.minhash.num_perm,
                f"bands×rows ({self.lsh.bands}×{self.lsh.rows}) exceeds num_perm {self.minhash.num_perm}",
            )

    def describe(self) -> dict:
        """Plain-dict form for manifests and index headers, including the profile and hash versions."""
        out = asdict(self)
        out["profile"] = get_profile(self.profile).tag
        out["hash_version"] = HASH_VERSION
        return out
