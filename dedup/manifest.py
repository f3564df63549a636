"""The record of a corpus run (``manifest.json``): one type, so both engines write the same keys."""

from __future__ import annotations

import json
import resource
from dataclasses import dataclass, field

from dedup.config import DedupConfig

__all__ = ["Manifest", "peak_memory_mb", "run_outputs", "run_settings"]


@dataclass(frozen=True)
class Manifest:
    """What a run (a corpus run on either engine, an audit) read and found, with its settings: manifest.json.
    Optional parts left ``None`` are not written."""

    inputs: list[str]
    counts: dict[str, int]
    rejected_by_reason: dict[str, int]
    file_errors: list[str]
    settings: dict
    findings: dict = field(default_factory=dict)
    """What the run found, written after ``counts`` in this order."""
    engine: str | None = None
    unread_files: list[str] | None = None
    timings_s: dict[str, float] = field(default_factory=dict)
    peak_memory_mb: dict[str, float] | None = None
    outputs: dict[str, str] | None = None

    @classmethod
    def corpus(
        cls,
        kept: int,
        duplicates: int,
        rejected_by_reason: dict[str, int],
        clusters_with_duplicates: int,
        undated: int,
        paragraph_counts: dict[str, int] | None,
        **parts: object,
    ) -> Manifest:
        """A corpus run's manifest, the same keys on both engines; ``counts.read`` is by construction
        ``kept + duplicates + rejected``; ``paragraph_counts`` (:func:`dedup.paragraph_rule.summary`) only at
        the paragraph level."""
        rejected = sum(rejected_by_reason.values())
        counts = {"read": kept + duplicates + rejected, "kept": kept, "duplicates": duplicates, "rejected": rejected}
        findings = {
            "clusters_with_duplicates": clusters_with_duplicates,
            "undated": undated,
            **(paragraph_counts or {}),
        }
        return cls(counts=counts, rejected_by_reason=rejected_by_reason, findings=findings, **parts)

    def to_dict(self) -> dict:
        """The manifest as written."""
        head = {"tool": "dedup", "engine": self.engine, "inputs": self.inputs, "counts": self.counts}
        tail = {
            "rejected_by_reason": dict(sorted(self.rejected_by_reason.items())),
            "file_errors": self.file_errors,
            "unread_files": self.unread_files,
            "settings": self.settings,
            "timings_s": {k: round(v, 3) for k, v in self.timings_s.items()},
            "peak_memory_mb": self.peak_memory_mb,
            "outputs": self.outputs,
        }
        return {k: v for k, v in (head | self.findings | tail).items() if v is not None}

    def json(self) -> str:
        """The text of manifest.json."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False, default=str) + "\n"


def run_settings(cfg: DedupConfig, bands: int, rows: int, options: dict) -> dict:
    """The settings a manifest records: the matching settings, the bands chosen, the run's options."""
    return {**cfg.describe(), "bands": bands, "rows": rows, **{k: v for k, v in options.items() if k != "progress"}}


def run_outputs(level: str, parquet: bool) -> dict[str, str]:
    """The files a corpus run writes under its output folder, by what they hold."""
    outputs = {"kept": "kept/", "duplicates": "duplicates.csv", "rejected": "rejected.csv"}
    if level == "paragraph":
        outputs["paragraphs_removed"] = "paragraphs_removed.csv"
    if parquet:
        outputs["duplicates_parquet"] = "duplicates.parquet"
    return outputs


def peak_memory_mb() -> dict[str, float]:
    """Peak resident memory of this process, and of the largest worker process (Linux: ru_maxrss in KiB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"main": round(own / 1024, 1), "largest_worker": round(children / 1024, 1)}
