"""What the audit reads and claims: its options, the articles, and each linked pair with its evidence."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from dedup.errors import ConfigError
from dedup.records import FieldNames

__all__ = ["Article", "AuditOptions", "Credit", "Pair", "Span"]

Span = tuple[int, int]  # character offsets [start, end) into an article's text as given in the input


@dataclass(frozen=True)
class AuditOptions:
    """Thresholds of the audit, and where the metadata lives in the input."""

    min_containment: float = 0.5
    min_passage_words: int = 30
    boilerplate_min_pages: int = 3
    template_days: int = 6
    max_df: int = 100
    min_lag_hours: float = 0.0
    outlet_field: str = "outlet"
    url_field: str = "url"
    title_field: str = "title"
    byline_field: str = "author"
    encoding: str = "utf-8"  # of the .txt pages of a folder with metadata.csv (JSON is UTF-8)
    fields: FieldNames = field(default_factory=FieldNames)
    outlet_names: tuple[tuple[str, str, bool], ...] = ()  # (outlet, name, ambiguous) beyond the built-in table

    def __post_init__(self) -> None:
        if not 0.0 < self.min_containment <= 1.0:
            raise ConfigError(f"min containment must be in (0, 1], got {self.min_containment!r}")
        if self.boilerplate_min_pages < 2:
            raise ConfigError("boilerplate needs at least 2 pages of one outlet")
        if self.min_passage_words < 5:
            raise ConfigError(f"a passage needs at least 5 words, got {self.min_passage_words!r}")
        if self.template_days < 2 or self.max_df < 2:
            raise ConfigError("template days and max df must be at least 2")
        if self.min_lag_hours < 0:
            raise ConfigError(f"min lag hours must be >= 0, got {self.min_lag_hours!r}")


@dataclass(frozen=True)
class Article:
    """One usable input article; ``where`` is its file and line, for a reader to find it."""

    index: int
    id: str
    outlet: str
    url: str
    published: float
    title: str
    text: str
    where: str
    byline: str = ""


@dataclass(frozen=True)
class Credit:
    """``credited`` (names the source, or for a shared source that source), ``credited_other`` (names
    someone else) or ``uncredited``; ``where`` is ``byline``, ``dateline`` or ``text``."""

    status: Literal["credited", "credited_other", "uncredited"]
    text: str = ""
    named: str = ""
    where: str = ""


Extent = Literal["full", "partial", "excerpt", "passage"]
Relation = Literal["copy", "shared_source"]
Direction = Literal["dated", "in_text", "agency", "undetermined"]


@dataclass
class Pair:
    """Two articles that share text: ``source`` is the earlier (or the agency, or the one the text names)."""

    source: Article
    copy: Article
    containment: float  # share of the source's shingles found in the copy
    copy_share: float  # share of the copy's shingles taken from the source
    jaccard: float
    extent: Extent
    source_spans: list[Span]
    copy_spans: list[Span]
    matched_paragraphs: int = 0
    added_paragraphs: int = 0
    direction: Direction = "dated"
    relation: Relation = "copy"
    common_source: str = ""
    evidence: str = ""  # what says so: agency_item, byline, dateline, tag, text, neighbour, statement, credit
    credit: Credit = field(default_factory=lambda: Credit("uncredited"))

    @property
    def lag_hours(self) -> float:
        return round((self.copy.published - self.source.published) / 3600, 2)

    @property
    def cross_outlet(self) -> bool:
        return self.source.outlet != self.copy.outlet
