"""Does a copy credit its source? Arabic attribution phrasing and outlet names, found in normalized text."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from dedup.normalize import normalize

__all__ = ["KNOWN_OUTLETS", "Credit", "OutletNames", "dateline_credit", "find_credit", "strongest"]

# Phrases that introduce a credit ("according to", "quoted from", "the original story ... published on").
_CUES = [
    "نقلا عن",
    "نقلاً عن",
    "المصدر",
    "بحسب",
    "حسب ما",
    "وفقا ل",
    "وفقاً ل",
    "الخبر الأصلي",
    "الخبر الاصلي",
    "نشر على",
    "نشره",
    "تم نشره",
    "عن صحيفة",
    "عن جريدة",
    "عن موقع",
    "عن وكالة",
    "أوردت",
    "ذكرت صحيفة",
    "ذكرت جريدة",
    "أفادت وكالة",
    "كما نشرت",
    "المصدر:",
    "via",
    "source:",
]
_PREFIXES = ["صحيفة", "جريدة", "موقع", "وكالة", "قناة", "مجلة"]

# Outlet id -> (names that are unambiguous anywhere, names that are also ordinary words or places and
# count only after صحيفة/جريدة/موقع/وكالة or in brackets). The SaudiNewsNet outlets, plus the seed's.
KNOWN_OUTLETS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "was": (("واس", "وكالة الأنباء السعودية"), ()),
    "aawsat": (("الشرق الأوسط",), ()),
    "aljazirah": ((), ("الجزيرة",)),
    "alriyadh": ((), ("الرياض",)),
    "alyaum": ((), ("اليوم",)),
    "aleqtisadiya": (("الاقتصادية",), ()),
    "okaz": (("عكاظ",), ()),
    "alwatan": ((), ("الوطن",)),
    "almadina": ((), ("المدينة",)),
    "alweeam": (("الوئام",), ()),
    "3alyoum": (("عين اليوم",), ()),
    "sabq": (("سبق",), ()),
    "arreyadi": ((), ("الرياضي",)),
    "arriyadiyah": ((), ("الرياضية",)),
    "almashhad-alyemeni": (("المشهد اليمني",), ()),
}


@dataclass(frozen=True)
class Credit:
    """``credited`` (names the source), ``credited_other`` (names someone else) or ``uncredited``."""

    status: Literal["credited", "credited_other", "uncredited"]
    text: str = ""
    named: str = ""


class OutletNames:
    """Outlet names to look for, normalized once; unknown outlets are looked for by their own id."""

    def __init__(self, names: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] = KNOWN_OUTLETS) -> None:
        self.strong = {outlet: [normalize(n) for n in pair[0]] for outlet, pair in names.items()}
        self.weak = {outlet: [normalize(n) for n in pair[1]] for outlet, pair in names.items()}

    def outlets_named(self, sentence: str) -> list[str]:
        """Known outlets named in a normalized sentence, in order of appearance."""
        found = []
        for outlet in set(self.strong) | set(self.weak):
            positions = [_find_word(sentence, n) for n in self.strong.get(outlet, [])]
            positions += [_find_word(sentence, f"{p} {n}") for p in _NORMAL_PREFIXES for n in self.weak.get(outlet, [])]
            hits = [p for p in positions if p >= 0]
            if hits:
                found.append((min(hits), outlet))
        return [outlet for _, outlet in sorted(found)]

    def outlet_called(self, name: str, bracketed: bool) -> str | None:
        """The known outlet called exactly ``name`` (normalized); a name that is also a word or a place
        only when ``bracketed`` or after صحيفة/جريدة/موقع/وكالة."""
        first, _, rest = name.partition(" ")
        if rest and first in _NORMAL_PREFIXES:
            name, bracketed = rest, True
        for outlet, strong in self.strong.items():
            if name in strong:
                return outlet
        for outlet, weak in self.weak.items():
            if bracketed and name in weak:
                return outlet
        return None

    def names_of(self, outlet: str) -> list[str]:
        return self.strong.get(outlet, []) + self.weak.get(outlet, []) or [normalize(outlet)]


_NORMAL_CUES = [normalize(c) for c in _CUES]
_NORMAL_PREFIXES = [normalize(p) for p in _PREFIXES]
# "صحيفة (المشهد اليمني)" or "موقع «سبق»": a named outlet in brackets or quotes, before normalization.
_BRACKETED = re.compile(r"(?:صحيفة|جريدة|موقع|وكالة|قناة|مجلة)\s*[(«\"“]([^)»\"”]{2,40})[)»\"”]")
_SENTENCES = re.compile(r"(?<=[.!؟?\n])\s*")


def _find_word(haystack: str, needle: str) -> int:
    """Position of ``needle`` as whole words in ``haystack`` (both normalized), or -1.

    The first word may carry the proclitics that Arabic writes attached (و ف ب ل ك: "وذكرت", "لصحيفة").
    """
    match = re.search(rf"(?<!\S)(?:[وف]?[بلك]?){re.escape(needle)}(?!\S)", haystack)
    return match.start() if match else -1


# The dateline that opens an Arabic news story, "الرياض - واس", "واس - الرياض:", "جدة – «عكاظ»": its
# parts are split at dashes (tatweel included) and colons.
_DATELINE_PARTS = re.compile(r"\s*[-–—ـ:]+\s*")
_OPENERS = '(«"“'


def dateline_credit(copy_text: str, source_outlet: str, copy_outlet: str, names: OutletNames) -> Credit:
    """The outlet named in the dateline that opens ``copy_text``: where Arabic news credits its agency,
    with no cue word. A dateline naming the copy's own outlet credits nobody."""
    opening = next((line.strip() for line in copy_text.split("\n") if line.strip()), "")[:80]
    parts = _DATELINE_PARTS.split(opening, maxsplit=2)
    for part in parts[:2] if len(parts) > 1 else ():
        outlet = names.outlet_called(normalize(part), part[:1] in _OPENERS)
        if outlet is not None and outlet != copy_outlet:
            return Credit("credited" if outlet == source_outlet else "credited_other", opening, outlet)
    return Credit("uncredited")


def strongest(*credits: Credit) -> Credit:
    """The first credit naming the source, else the first naming someone else, else none."""
    for status in ("credited", "credited_other"):
        for credit in credits:
            if credit.status == status:
                return credit
    return Credit("uncredited")


def find_credit(copy_text: str, source_outlet: str, names: OutletNames) -> Credit:
    """The sentence of ``copy_text`` that credits an outlet, and whether that outlet is the source."""
    other: Credit | None = None
    for sentence in filter(None, (s.strip() for s in _SENTENCES.split(copy_text))):
        normal = normalize(sentence)
        if not any(_find_word(normal, cue) >= 0 for cue in _NORMAL_CUES):
            continue
        named = names.outlets_named(normal)
        bracketed = [normalize(m) for m in _BRACKETED.findall(sentence)]
        if source_outlet in named or any(b in names.names_of(source_outlet) for b in bracketed):
            return Credit("credited", sentence, source_outlet)
        if other is None and (named or bracketed):
            label = named[0] if named else _BRACKETED.findall(sentence)[0].strip()
            other = Credit("credited_other", sentence, label)
    return other or Credit("uncredited")
