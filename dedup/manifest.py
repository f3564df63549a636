"""The record of a corpus run (``manifest.json``): one type, so both engines write the same keys."""

from __future__ import annotations

import json
import resource
from dataclasses import asdict, dataclass, field

from dedup.config import DedupConfig

__all__ = ["Manifest", "peak_memory_mb", "run_outputs", "run_settings"]


@dataclass(frozen=True)
class Manifest:
    """What a corpus run read, kept and wrote, with its settings; ``counts.read`` is by construction
    ``kept + duplicates + rejected``."""

    engine: str  # "local" or "spark"
    inputs: list[str]
    kept: int
    duplicates: int
    rejected_by_reason: dict[str, int]
    clusters_with_duplicates: int
    undated: int
    settings: dict
    outputs: dict[str, str]
    paragraphs_removed: int = 0
    emptied_by_paragraph_dedup: int = 0
    file_errors: list[str] = field(default_factory=list)
    unread_files: list[str] = field(default_factory=list)
    timings_s: dict[str, float] = field(default_factory=dict)
    peak_memory_mb: dict[str, float] = field(default_factory=dict)
    master: str | None = None  # Spark's master URL

    def to_dict(self) -> dict:
        """The manifest as written: ``tool`` first, then ``counts``, then the fields in order."""
        fields = asdict(self)
        rejected = sum(self.rejected_by_reason.values())
        counts = {
            "read": self.kept + self.duplicates + rejected,
            "kept": self.kept,
            "duplicates": self.duplicates,
            "rejected": rejected,
        }
        fields["rejected_by_reason"] = dict(sorted(self.rejected_by_reason.items()))
        fields["timings_s"] = {k: round(v, 3) for k, v in self.timings_s.items()}
        head = {"tool": "dedup", "engine": fields.pop("engine"), "inputs": fields.pop("inputs"), "counts": counts}
        return head | {k: v for k, v in fields.items() if k not in ("kept", "duplicates")}

    def json(self) -> str:
        """The manifest as the text of manifest.json."""
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
