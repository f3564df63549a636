"""Splitting a document into paragraphs that remember where they came from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from dedup.errors import ConfigError

__all__ = ["Paragraph", "drop_lines", "split_paragraphs"]


@dataclass(frozen=True)
class Paragraph:
    """A paragraph's text with its 1-based first and last line and its character span."""

    text: str
    line: int
    end_line: int
    start: int
    end: int


def split_paragraphs(text: str, mode: Literal["line", "blank"] = "line") -> list[Paragraph]:
    """Paragraphs of ``text``: each non-blank line (``line``), or blocks between blank lines (``blank``)."""
    if mode not in ("line", "blank"):
        raise ConfigError(f"paragraph mode must be 'line' or 'blank', got {mode!r}")
    paragraphs: list[Paragraph] = []
    block: list[tuple[int, int, str]] = []  # (line number, offset, line) of the open block

    def close() -> None:
        if block:
            first, start, _ = block[0]
            last, last_start, last_line = block[-1]
            body = "\n".join(line for _, _, line in block)
            paragraphs.append(Paragraph(body, first, last, start, last_start + len(last_line)))
            block.clear()

    offset = 0
    # Split on "\n" only, so line numbers agree with editors and `grep -n`.
    for number, raw in enumerate(text.split("\n"), start=1):
        if raw.strip():
            block.append((number, offset, raw.rstrip("\r")))
            if mode == "line":
                close()
        else:
            close()
        offset += len(raw) + 1
    close()
    return paragraphs


def drop_lines(text: str, lines: set[int]) -> str:
    """``text`` without the given 1-based lines (split on "\\n", as :func:`split_paragraphs` numbers them)."""
    return "\n".join(line for number, line in enumerate(text.split("\n"), start=1) if number not in lines)
