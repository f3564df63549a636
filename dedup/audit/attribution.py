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

import numpy as np

from dedup.audit.model import Article, Credit, Span
from dedup.audit.names import BRACKETED, Names, with_proclitics
from dedup.normalize import normalize

__all__ = [
    "Found",
    "about_shared",
    "credit_of",
    "found_in",
    "outlets_in_byline",
    "own_credits",
    "signature",
]

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
    "أورده",
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
    "أوضحت",
    "أفاد",
    "نقلت",
    "تصريح",
    "تصريحات",
    "حديث",  # "في حديث لوكالة الصحافة الفرنسية": told the agency
    "مقابلة",
    "حوار",
    "لـ",
    "via",
    "source",
)
_CUE_FORMS = with_proclitics(word for cue in _CUES for word in normalize(cue).split())
_CUE_REACH = 6  # an outlet named at most this many words after a cue
_SENTENCES = re.compile(r"[^.!؟?\n]+[.!؟?]*")
_BYLINE_PARTS = re.compile(r"\s*(?:[-–—ـ:/|،,\"]+|(?<!\S)من(?!\S))\s*")
_DATELINE_SEPARATORS = re.compile(r"(\s*[-–—ـ:]+\s*)")
_LEADING_GROUP = re.compile(r"\s*" + BRACKETED.pattern)
_CLOSES = re.compile(r"[)»\"”]\s*$")
_NAME_WORDS = 4
_CREDIT_REACH = 300  # characters: in a round-up, a credit sentence this close to the shared text is about it
_TAG_WORDS = 8


@dataclass(frozen=True)
class Found:
    """An outlet an article credits, where (``byline``, ``dateline``, ``tag`` or ``text``), the words
    that say so, and their character span in the text (``(0, 0)`` for the byline)."""

    outlet: str
    where: str
    text: str
    span: Span


def _positional(parts: Iterable[str], names: Names, own: str) -> list[str]:
    """Outlets named by dateline, byline or tag ``parts``: a short part as a whole ("واس", "صحيفة
    الوطن", "عكاظ (جدة)"), a bracketed name in it ("سان فرانسيسكو 20 يوليو (رويترز)"), or a name
    that means the outlet anywhere inside a short part ("جدة واس")."""
    found = []
    for part in parts:
        pieces = [m.group(1) for m in BRACKETED.finditer(part)]
        outlets = []
        if len(part.split()) <= _NAME_WORDS:
            pieces += [BRACKETED.sub(" ", part), part, part.split("(")[0]]  # "واس (برلين، مدريد)"
            outlets = [m.outlet for m in names.mentions(part) if m.how == "strong"]
        outlets += [names.called(piece) for piece in pieces if piece.strip()]
        for outlet in outlets:
            if outlet is not None and outlet != own and outlet not in found:
                found.append(outlet)
    return found


def signature(article: Article) -> str:
    """Who signs ``article``: its byline, else the dateline that opens its text ("ياسر الحربي – عين اليوم")."""
    if article.byline.strip():
        return article.byline
    first = next((line for line in article.text.split("\n") if line.strip()), "")
    parts, _ = _dateline(first)
    return " - ".join(part for part in parts if len(part.split()) <= _NAME_WORDS)


def outlets_in_byline(byline: str, names: Names) -> list[str]:
    """Every outlet a byline names, its own included ("«الاقتصادية» من الرياض", "الوئام - رويترز:")."""
    return _positional(_BYLINE_PARTS.split(byline), names, own="")


def _dateline(line: str) -> tuple[list[str], int]:
    """The parts of the dateline that opens ``line`` ("واس- الرياض:", "جدة – «عكاظ»", "الرياض - واس")
    and where it ends; no parts when the line does not open with one."""
    pieces = _DATELINE_SEPARATORS.split(line[:160])
    if len(pieces) < 3:  # no separator at all: no dateline
        return [], 0
    parts, at = [], 0
    for k in range(0, len(pieces), 2):
        part = pieces[k]
        separator = pieces[k + 1] if k + 1 < len(pieces) else ""
        if len(part.split()) <= _NAME_WORDS or (BRACKETED.search(part) and _CLOSES.search(part)):
            parts.append(part)
            at += len(part) + len(separator)
            if ":" in separator:  # "واس- الرياض: النص": the colon ends the dateline
                break
            continue
        if k and (lead := _LEADING_GROUP.match(part)):  # "جدة – «عكاظ» النص": the bracket opens the story
            parts.append(lead.group())
            at += len(lead.group())
        break
    return parts, at


def _edge_lines(text: str) -> tuple[Span, Span] | None:
    """Spans of the first and the last non-blank lines of ``text`` (None when all is blank)."""
    body = text.strip()
    if not body:
        return None
    first, last = len(text) - len(text.lstrip()), len(text.rstrip()) - 1

    def line(at: int) -> Span:
        end = text.find("\n", at)
        return text.rfind("\n", 0, at) + 1, len(text) if end < 0 else end

    return line(first), line(last)


def found_in(article: Article, names: Names, name_at: np.ndarray | None = None) -> list[Found]:
    """Every credit ``article`` carries, in reading order: byline, dateline, closing tag, sentences.

    ``name_at``: the character offsets where a word that may begin a name stands (see
    :meth:`Names.first_words`); only the sentences holding one are read (all when ``None``).
    """
    own = article.outlet
    found = [
        Found(o, "byline", article.byline, (0, 0)) for o in _positional(_BYLINE_PARTS.split(article.byline), names, own)
    ]
    edges = _edge_lines(article.text)
    if edges:
        (start, end), (last_start, last_end) = edges
        parts, length = _dateline(article.text[start:end])
        opening = article.text[start : start + length].strip()
        found += [Found(o, "dateline", opening, (start, start + length)) for o in _positional(parts, names, own)]
        start, end = last_start, last_end
        last = article.text[start:end]
        if last_start != edges[0][0] and len(last.split()) <= _TAG_WORDS:
            tag = _positional(_BYLINE_PARTS.split(last), names, own)
            found += [Found(o, "tag", last.strip(), (start, end)) for o in tag]
    sentences = list(_SENTENCES.finditer(article.text))
    holds = _holding(name_at, sentences)
    for match, may_name in zip(sentences, holds, strict=True):
        sentence = match.group()
        if not (may_name or any(names.called(group) for group in BRACKETED.findall(sentence))):
            continue
        words = normalize(sentence).split()
        cues = [k for k, w in enumerate(words) if w in _CUE_FORMS]
        if not cues:  # a credit in the text needs a cue before the name
            continue
        for m in names.mentions(sentence, words, frozenset(cues)):
            if m.outlet != own and any(0 <= m.word - k <= _CUE_REACH for k in cues):
                found.append(Found(m.outlet, "text", sentence.strip(), (match.start(), match.end())))
    return found


def _holding(positions: np.ndarray | None, matches: list[re.Match]) -> list[bool]:
    """For each match, whether sorted ``positions`` has one inside it (all true without positions)."""
    if positions is None:
        return [True] * len(matches)
    if not len(positions):
        return [False] * len(matches)
    bounds = np.array([m.span() for m in matches], dtype=np.int64).reshape(-1, 2)
    k = np.minimum(np.searchsorted(positions, bounds[:, 0]), len(positions) - 1)
    return ((positions[k] >= bounds[:, 0]) & (positions[k] < bounds[:, 1])).tolist()


def _covered(span: Span, spans: Iterable[Span]) -> float:
    """Share of ``span`` inside ``spans``."""
    size = max(span[1] - span[0], 1)
    return sum(max(0, min(span[1], b) - max(span[0], a)) for a, b in spans) / size


def own_credits(found: list[Found], shared: list[Span]) -> list[Found]:
    """The credits a copy gives in its own words: a body sentence counts only when at most half of it
    is text ``shared`` with the source; bylines, datelines and tags always do."""
    return [f for f in found if f.where != "text" or _covered(f.span, shared) < 0.5]


def about_shared(found: list[Found], shared: list[Span], mostly_shared: bool) -> list[Found]:
    """The credits of a copy that can be about the text it shares: all of them, but in a copy that is
    not ``mostly_shared`` (a round-up of several items) a body sentence only next to the shared text."""
    if mostly_shared:
        return found
    near = [(a - _CREDIT_REACH, b + _CREDIT_REACH) for a, b in shared]
    return [f for f in found if f.where != "text" or _covered(f.span, near) > 0]


def credit_of(own: list[Found], targets: set[str]) -> Credit:
    """The copy's credit from its ``own`` credits: naming one of ``targets`` (the source, or the
    common source) is ``credited``, naming anyone else ``credited_other``."""
    for f in own:
        if f.outlet in targets:
            return Credit("credited", f.text, f.outlet, f.where)
    for f in own:
        return Credit("credited_other", f.text, f.outlet, f.where)
    return Credit("uncredited")
