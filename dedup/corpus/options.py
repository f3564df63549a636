"""The corpus run's settings: one frozen value, checked once where it is made."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import Literal

from dedup.errors import ConfigError
from dedup.paragraph_rule import ParagraphRule
from dedup.policy import (
    KEEP_POLICIES,
)
from dedup.records import (
    FieldNames,
)


@dataclass(frozen=True)
class CorpusOptions:
    """How a corpus run reads, keeps and writes."""

    keep: Literal["earliest", "longest", "first"] = "first"
    level: Literal["document", "paragraph"] = "document"
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    batch_size: int = 2000
    max_chars: int = 10_000_000
    fields: FieldNames = field(default_factory=FieldNames)
    outlet_field: str = "outlet"
    paragraphs: ParagraphRule = field(default_factory=ParagraphRule)
    progress: bool = False

    def __post_init__(self) -> None:
        if self.keep not in KEEP_POLICIES:
            raise ConfigError(f"keep must be earliest, longest or first, got {self.keep!r}")
        if self.level not in ("document", "paragraph"):
            raise ConfigError(f"level must be document or paragraph, got {self.level!r}")
        if self.workers < 1 or self.batch_size < 1 or self.max_chars < 1:
            raise ConfigError("workers, batch size and max chars must be positive")

    @property
    def read_fields(self) -> FieldNames:
        """The fields read from each row: ``fields`` and the outlet (boilerplate and the keep tie-break use it)."""
        return replace(self.fields, extra=(*self.fields.extra, self.outlet_field))
