"""Who can be credited: news agencies and outlets, their Arabic and Latin names, and how surely each
name means the outlet.

Every name has a kind:
- ``strong``: means the outlet wherever it stands ("واس", "رويترز", "فرانس برس");
- ``word``: also an ordinary word ("الاقتصادية" the adjective, "عكاظ" of سوق عكاظ, "الشرق الأوسط"
  the region): the outlet only in a byline or dateline, in brackets or quotes, or after صحيفة /
  جريدة / موقع / وكالة / قناة / مجلة / شبكة;
- ``place``: also a city ("الرياض", "المدينة"): only in brackets or after those nouns, never bare in
  a dateline, where it is the city.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from dedup.normalize import normalize

__all__ = ["AGENCIES", "BRACKETED", "KNOWN_OUTLETS", "Mention", "Names", "domain_of", "with_proclitics"]

Kind = Literal["strong", "word", "place"]

# Agency id -> (name, kind). An agency's own item is the origin of its wire text.
AGENCIES: dict[str, tuple[tuple[str, Kind], ...]] = {
    "was": (("واس", "strong"), ("وكالة الأنباء السعودية", "strong"), ("SPA", "strong")),
    "afp": (
        ("فرانس برس", "strong"),
        ("فرانس بريس", "strong"),
        ("أ ف ب", "strong"),
        ("أ.ف.ب", "strong"),
        ("وكالة الصحافة الفرنسية", "strong"),
        ("الفرنسية", "word"),
        ("AFP", "strong"),
    ),
    "reuters": (("رويترز", "strong"), ("Reuters", "strong")),
    "dpa": (
        ("د ب أ", "strong"),
        ("د.ب.أ", "strong"),
        ("وكالة الأنباء الألمانية", "strong"),
        ("الألمانية", "word"),
        ("dpa", "strong"),
    ),
    "ap": (("أسوشيتد برس", "strong"), ("أسوشييتد برس", "strong"), ("أ ب", "word"), ("AP", "word")),
    "upi": (("يو بي آي", "strong"), ("UPI", "strong")),
    "anadolu": (("الأناضول", "word"), ("وكالة الأناضول", "strong")),
    "mena": (("أ ش أ", "strong"), ("وكالة أنباء الشرق الأوسط", "strong")),
    "kuna": (("كونا", "strong"), ("وكالة الأنباء الكويتية", "strong")),
    "wam": (("وام", "strong"), ("وكالة أنباء الإمارات", "strong")),
    "petra": (("بترا", "word"), ("وكالة الأنباء الأردنية", "strong")),
    "qna": (("قنا", "word"), ("وكالة الأنباء القطرية", "strong")),
    "saba": (("سبأ", "word"), ("وكالة الأنباء اليمنية", "strong")),
    "bna": (("بنا", "word"), ("وكالة أنباء البحرين", "strong")),
    "sana": (("سانا", "strong"), ("وكالة الأنباء السورية", "strong")),
    "xinhua": (("شينخوا", "strong"),),
    "ina": (("واع", "word"), ("وكالة الأنباء العراقية", "strong")),
    "skynews": (("سكاي نيوز", "strong"), ("سكاي نيوز عربية", "strong")),
    # "سبق- وكالات:", "متابعات": wire copy of no named agency, or a round-up of other media
    "wires": (("وكالات", "word"), ("متابعات", "word"), ("متابعة", "word")),
}

# Outlet id -> (name, kind): the SaudiNewsNet outlets and the seed's.
KNOWN_OUTLETS: dict[str, tuple[tuple[str, Kind], ...]] = {
    "aawsat": (("الشرق الأوسط", "word"), ("الشرق الأوسط أونلاين", "strong")),
    "aljazirah": (("الجزيرة", "word"),),
    "alriyadh": (("الرياض", "place"),),
    "alyaum": (("اليوم", "word"),),
    "aleqtisadiya": (("الاقتصادية", "word"),),
    "okaz": (("عكاظ", "word"),),
    "alwatan": (("الوطن", "word"),),
    "almadina": (("المدينة", "place"),),
    "alweeam": (("الوئام", "word"),),
    "3alyoum": (("عين اليوم", "strong"),),
    "sabq": (("سبق", "word"),),
    "arreyadi": (("الرياضي", "word"),),
    "arriyadiyah": (("الرياضية", "word"),),
    "almashhad-alyemeni": (("المشهد اليمني", "strong"),),
}

PREFIXES = ("صحيفة", "جريدة", "موقع", "وكالة", "قناة", "مجلة", "شبكة", "وكالة أنباء")
_NORMAL_PREFIXES = frozenset(normalize(p).split()[0] for p in PREFIXES)
# Nouns that make the name after them another thing's name: سوق «عكاظ» is the festival, not the paper.
_NAMED_THINGS = frozenset(
    normalize(w) for w in ("سوق", "مهرجان", "جائزة", "ملتقى", "برنامج", "مسابقة", "شارع", "حي", "مركز", "نادي")
)
# A name in brackets or quotes: "(رويترز)", "«عكاظ»", "“سبق”" (the quotes of right-to-left text face
# either way).
BRACKETED = re.compile(r"[(«\"“”]\s*([^()«»\"“”\n]{2,40}?)\s*[)»\"”“]")


_HOST = re.compile(r"^(?:[a-zA-Z][\w+.-]*:)?//(?:[^@/?#]*@)?([^:/?#]+)")


def domain_of(url: str) -> str:
    """The site of ``url`` without ``www.``: ``alweeam.com.sa``; empty when there is none."""
    found = _HOST.match(url.strip())
    return found.group(1).lower().removeprefix("www.") if found else ""


@dataclass(frozen=True)
class Mention:
    """An outlet named as an outlet: which, where in the normalized words, and how it was named."""

    outlet: str
    word: int
    how: Literal["strong", "prefixed", "bracketed", "after_cue"]


class Names:
    """Every name to look for, indexed by its first normalized word."""

    def __init__(self, table: dict[str, tuple[tuple[str, Kind], ...]]) -> None:
        self.agencies = frozenset(AGENCIES)
        self._called: dict[str, str | None] = {}  # bylines and datelines repeat: "واس - الرياض"
        self._first: dict[str, list[tuple[tuple[str, ...], str, Kind]]] = {}
        self._exact: dict[tuple[str, ...], tuple[str, Kind]] = {}
        for outlet, names in table.items():
            for name, kind in names:
                words = tuple(normalize(name).split())
                if words and words not in self._exact:
                    self._exact[words] = (outlet, kind)
                    self._first.setdefault(words[0], []).append((words, outlet, kind))
        for entries in self._first.values():
            entries.sort(key=lambda e: -len(e[0]))  # the longest name first: "الشرق الأوسط أونلاين"
        # Every written form of a name's first word ("لوكالة", "للشرق"): other words start no name.
        self._heads = with_proclitics(self._first) | _with_lam(self._first)

    @classmethod
    def build(cls, outlets: Iterable[tuple[str, str]], extra: Iterable[tuple[str, str, bool]] = ()) -> Names:
        """Every input outlet (its value and its sites' domains), the user's ``(outlet, name,
        ambiguous)`` rows, then the built-in agencies and outlets; where two share a name, the
        input's outlet has it (an input outlet called "المشهد اليمني" is credited as itself)."""
        table: dict[str, list[tuple[str, Kind]]] = {}
        for outlet, url in outlets:
            own = table.setdefault(outlet, [])
            if not own:  # an Arabic one-word name with the article ("العربية") is also an adjective
                own.append((outlet, "word" if re.fullmatch(r"ال\w+", outlet) else "strong"))
            domain = domain_of(url)
            if domain and (domain, "strong") not in own:
                own.append((domain, "strong"))
        for outlet, name, ambiguous in extra:
            table.setdefault(outlet, []).append((name, "word" if ambiguous else "strong"))
        for outlet, names in {**AGENCIES, **KNOWN_OUTLETS}.items():
            table.setdefault(outlet, []).extend(names)
        return cls({k: tuple(v) for k, v in table.items()})

    def first_words(self) -> list[str]:
        """Every normalized word that may begin a strong name or is a صحيفة-like noun, with the
        proclitics Arabic attaches to it: a sentence without one (nor brackets) names no outlet."""
        strong = {first for first, entries in self._first.items() if any(k == "strong" for _, _, k in entries)}
        # "وفقا للشرق الأوسط": a name that is also a word, with ل, right after a cue (see mentions)
        words = {first for first, entries in self._first.items() if any(k == "word" for _, _, k in entries)}
        return sorted(with_proclitics(strong | _NORMAL_PREFIXES) | _with_lam(words))

    def called(self, part: str) -> str | None:
        """The outlet a whole dateline or byline part names, e.g. "واس" or "«عكاظ»" or "صحيفة الوطن"."""
        if part not in self._called:
            self._called[part] = self._call(part)
        return self._called[part]

    def _call(self, part: str) -> str | None:
        bracketed = bool(BRACKETED.fullmatch(part.strip()))
        words = tuple(normalize(part).split())
        if words and words[0] in _NORMAL_PREFIXES and len(words) > 1:
            words, bracketed = words[1:], True
        found = self._exact.get(words) or self._exact.get(tuple(_strip(w) for w in words[:1]) + words[1:])
        if found is None:
            return None
        outlet, kind = found
        return outlet if kind != "place" or bracketed else None

    def mentions(self, raw: str, words: list[str] | None = None, cues: frozenset[int] = frozenset()) -> list[Mention]:
        """Outlets named as outlets in a raw sentence: strong names anywhere, the others in brackets
        or after صحيفة / وكالة / ..., and a name that is a word (not a place) joined to ل right after
        one of the ``cues`` ("وفقا للشرق الأوسط", "طبقا لعكاظ"); in order of appearance (positions index its
        normalized ``words``, computed when not given)."""
        words = normalize(raw).split() if words is None else words
        bracketed = {tuple(normalize(m).split()) for m in BRACKETED.findall(raw)}
        found: list[Mention] = []
        k = 0
        while k < len(words):
            hit = self._match(words, k) if words[k] in self._heads else None
            if hit is None:
                k += 1
                continue
            size, outlet, kind = hit
            before = _strip(words[k - 1]) if k else ""
            if kind == "strong":
                how = "strong"
            elif before in _NORMAL_PREFIXES or (k > 1 and _strip(words[k - 2]) in _NORMAL_PREFIXES):
                how = "prefixed"
            elif (
                before not in _NAMED_THINGS
                and {
                    tuple(words[k : k + size]),
                    (_strip(words[k]), *words[k + 1 : k + size]),
                }
                & bracketed
            ):
                how = "bracketed"
            elif kind == "word" and k - 1 in cues and words[k].lstrip("وف").startswith("ل"):
                how = "after_cue"
            else:
                k += 1
                continue
            found.append(Mention(outlet, k, how))
            k += size
        return found

    def _match(self, words: list[str], k: int) -> tuple[int, str, Kind] | None:
        """The longest name starting at word ``k`` (its first word may carry و ف ب ل ك)."""
        for first in _forms(words[k]):
            for name, outlet, kind in self._first.get(first, ()):
                if tuple(words[k + 1 : k + len(name)]) == name[1:]:
                    return len(name), outlet, kind
        return None


def with_proclitics(words: Iterable[str]) -> frozenset[str]:
    """``words`` as written and with each combination of proclitics Arabic attaches (و ف, ب ل ك)."""
    return frozenset(f"{c}{w}" for w in words for c in ("", "و", "ف", "ب", "ل", "ك", "وب", "ول", "وك", "فب", "فل"))


def _with_lam(words: Iterable[str]) -> frozenset[str]:
    """``words`` joined to ل as Arabic writes it ("للشرق" for ل + "الشرق", "لعكاظ"), also after و."""
    joined = {"لل" + w[2:] if w.startswith("ال") else "ل" + w for w in words}
    return frozenset(joined | {"و" + w for w in joined})


def _strip(word: str) -> str:
    """``word`` without the proclitics Arabic writes attached to it (و ف ب ل ك)."""
    return _forms(word)[-1]


def _forms(word: str) -> tuple[str, ...]:
    """``word`` as written, then without its attached proclitics (و ف, then ب ل ك; ل before the
    article is written لل: "للشرق" is ل + "الشرق"), as far as it has them and keeps two letters."""
    forms = [word]
    rest = word
    if len(rest) > 3 and rest[0] in "وف":
        rest = rest[1:]
        forms.append(rest)
    if len(rest) > 3 and rest.startswith("لل"):
        forms.append("ال" + rest[2:])
    elif len(rest) > 2 and rest[0] in "بلك":
        forms.append(rest[1:])
    return tuple(forms)
