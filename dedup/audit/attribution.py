"""Where an article says whose text it carries: its byline, its dateline, a closing tag, and sentences
that credit an outlet with a cue ("نقلا عن صحيفة …", "بحسب وكالة …", "نشر أولا على موقع …").

A credit names an outlet as an outlet (see :mod:`dedup.audit.names`); an article's own outlet is
never its credit. The pair's credit is looked for in the copy's own words only: a body sentence
that is mostly text shared with the source is the source's sentence, not the copy's credit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from dedup.audit.model import Article, Credit, Span
from dedup.audit.names import Names
from dedup.normalize import normalize

__all__ = ["Found", "credit_of", "found_in"]

# Words that introduce a credit when an outlet is named within a few words after them.
_CUES = (
    "نقلا عن",
    "نقلاً عن",
    "نقل عن",
    "نقلته",
    "عن",
    "المصدر",
    "مصدر الخبر",
    "بحسب",
    "حسب",
    "وفقا ل",
    "وفقاً ل",
    "طبقا ل",
    "ذكرت",
    "ذكر",
    "أفادت",
    "أوردت",
    "أورد",
    "نشرت",
    "نشر",
    "نشره",
    "نشرته",
    "الخبر الأصلي",
    "المقال الأصلي",
    "رابط الخبر",
    "قالت",
    "أعلنت",
    "أكدت",
    "لـ",
    "via",
    "source",
)
_NORMAL_CUES = frozenset(normalize(c).split()[-1] for c in _CUES)
_CUE_REACH = 6  # an outlet named at most this many words after a cue
_SENTENCES = re.compile(r"[^.!؟?\n]+[.!؟?]*")
_PARTS = re.compile(r"\s*(?:[-–—ـ:/|،,]+|\bمن\b)\s*")
_TAG_WORDS = 8


@dataclass(frozen=True)
class Found:
    """An outlet an article credits, where (``byline``, ``dateline``, ``tag`` or ``text``), the words
    that say so, and their character span in the text (``(0, 0)`` for the byline)."""

    outlet: str
    where: str
    text: str
    span: Span


def _positional(line: str, names: Names, own: str) -> list[str]:
    """Outlets a dateline, byline or closing tag names in its parts ("واس - الرياض", "الوئام - رويترز:")."""
    found = []
    for part in _PARTS.split(line.strip()):
        for piece in re.split(r"[()]", part) if "(" in part and not part.startswith("(") else (part,):
            outlet = names.called(piece) if piece.strip() else None
            if outlet is not None and outlet != own and outlet not in found:
                found.append(outlet)
    return found


def _lines(text: str) -> list[tuple[int, int]]:
    """Spans of the non-empty lines of ``text``."""
    out, at = [], 0
    for line in text.split("\n"):
        if line.strip():
            out.append((at, at + len(line)))
        at += len(line) + 1
    return out


def found_in(article: Article, names: Names) -> list[Found]:
    """Every credit ``article`` carries, in reading order: byline, dateline, closing tag, sentences."""
    own = article.outlet
    found = [Found(o, "byline", article.byline, (0, 0)) for o in _positional(article.byline, names, own)]
    lines = _lines(article.text)
    if lines:
        start, end = lines[0]
        head = article.text[start : min(end, start + 80)]
        if _PARTS.search(head):
            # The dateline is what comes before the first colon or dash: "واس- الرياض:", "جدة – «عكاظ»".
            opening = re.split(r"[:]", head, maxsplit=1)[0] if ":" in head else head
            found += [
                Found(o, "dateline", opening.strip(), (start, start + len(opening)))
                for o in _positional(_dateline_part(opening), names, own)
            ]
        start, end = lines[-1]
        last = article.text[start:end]
        if len(lines) > 1 and len(last.split()) <= _TAG_WORDS:
            found += [Found(o, "tag", last.strip(), (start, end)) for o in _positional(last, names, own)]
    for match in _SENTENCES.finditer(article.text):
        sentence = match.group()
        mentions = names.mentions(sentence)
        if not mentions:
            continue
        words = normalize(sentence).split()
        cues = [k for k, w in enumerate(words) if w in _NORMAL_CUES or w.lstrip("وف") in _NORMAL_CUES]
        for m in mentions:
            if m.outlet != own and any(0 <= m.word - k <= _CUE_REACH for k in cues):
                found.append(Found(m.outlet, "text", sentence.strip(), (match.start(), match.end())))
    return found


def _dateline_part(opening: str) -> str:
    """The head of an opening line up to where the story starts: its first 3 dash-separated parts."""
    return " - ".join(_PARTS.split(opening.strip(), maxsplit=2)[:3])


def _covered(span: Span, spans: Iterable[Span]) -> float:
    """Share of ``span`` inside ``spans``."""
    size = max(span[1] - span[0], 1)
    return sum(max(0, min(span[1], b) - max(span[0], a)) for a, b in spans) / size


def credit_of(found: list[Found], shared: list[Span], targets: set[str]) -> Credit:
    """The copy's credit from its ``found`` credits: a body sentence counts only when at most half of
    it is text ``shared`` with the source; naming one of ``targets`` (the source, or the common
    source) is ``credited``, naming anyone else ``credited_other``."""
    own = [f for f in found if f.where != "text" or _covered(f.span, shared) < 0.5]
    for f in own:
        if f.outlet in targets:
            return Credit("credited", f.text, f.outlet, f.where)
    for f in own:
        return Credit("credited_other", f.text, f.outlet, f.where)
    return Credit("uncredited")
