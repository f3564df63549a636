"""Who took whose text: the direction of each link, whether both articles carry a third party's text
(``shared_source``), the copy's credit, and each cluster's origin.

Direction, in order of evidence:
- ``agency``: one side is a news agency's own item: the origin of its wire text, even when crawled
  later (up to two days: a later item is the agency's reissue);
- ``in_text``: one side credits the other's outlet (byline, dateline, tag or credit sentence) and not
  the reverse, the credited side dated at most two days after the one crediting it;
- ``dated``: the earlier one is the source when the two differ by more than ``min_lag_hours``;
- ``undetermined``: equal (or too close) dates and no text evidence; the first in the input is
  listed as the source.
Relation, with what says so (``common_source_evidence``): ``shared_source`` when a news agency's own
item in the input shares text with both (``agency_item``); when a byline, dateline or tag of either
signs the text to a third party (``byline``...), or failing that a credit sentence does (``text``):
both name it, the source names it, or the copy names a news agency; when a third article that
shares text with both is signed by an agency (``neighbour``); when the later article is signed by its
own reporter or desk and names no third party (``own_byline``: on SaudiNewsNet, read by hand, these
are papers writing up one release or briefing). ``copy`` when the copy names the source itself, or
when the copy's outlet is a republisher (most of its articles are others' earlier text). Then
``shared_source`` when the shared text is an official statement, release or disclosure
(``statement``); failing all, with an ``unnamed`` source: a third outlet ran the text
(``several_outlets``), the copy holds text the source lacks (``copy_has_more``), or nothing says
who took from whom (``unsigned``).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import datetime, timezone
from functools import lru_cache

import numpy as np

from dedup.audit.attribution import (
    Found,
    about_shared,
    credit_of,
    outlets_in_byline,
    own_credits,
    signature,
)
from dedup.audit.match import Link, Matcher
from dedup.audit.model import Article, AuditOptions, Extent, Pair, Span
from dedup.audit.names import Names
from dedup.lsh import connected_components

__all__ = ["clusters", "iso", "pairs_of"]


@lru_cache(maxsize=1 << 16)  # each article's date is shown in several pairs
def iso(seconds: float) -> str:
    """``seconds`` since the epoch as ISO 8601 in UTC; the bounds of ``datetime`` where it overflows."""
    try:
        return datetime.fromtimestamp(seconds, tz=timezone.utc).isoformat()
    except (OverflowError, OSError, ValueError):
        return (datetime.max if seconds > 0 else datetime.min).replace(tzinfo=timezone.utc).isoformat()


def _extent(containment: float, copy_share: float, threshold: float) -> Extent:
    """How much was taken, from the shares of the source taken and of the copy made of source text
    (each the larger of the n-gram share and the words inside the matched spans)."""
    if containment >= 0.8:
        return "full"
    if containment >= threshold:
        return "partial"
    if copy_share >= threshold:
        return "excerpt"
    return "passage"


def _orient(a: Article, b: Article, credits: dict[int, list[Found]], names: Names, opts: AuditOptions):
    """(source, copy, direction) of two linked articles."""
    agency_a, agency_b = a.outlet in names.agencies, b.outlet in names.agencies
    later = (a.published - b.published) if agency_a else (b.published - a.published)
    if agency_a != agency_b and later <= _AGENCY_DAYS * 86400:
        return (a, b, "agency") if agency_a else (b, a, "agency")
    # A credit names the other's outlet, not necessarily this item: one dated more than two days
    # after the article that credits it is that outlet's later text, not the source.
    a_names_b = b.published - a.published <= _AGENCY_DAYS * 86400 and any(
        f.outlet == b.outlet for f in credits[a.index]
    )
    b_names_a = a.published - b.published <= _AGENCY_DAYS * 86400 and any(
        f.outlet == a.outlet for f in credits[b.index]
    )
    if a_names_b != b_names_a:
        return (b, a, "in_text") if a_names_b else (a, b, "in_text")
    lag = b.published - a.published
    if lag and abs(lag) > opts.min_lag_hours * 3600:
        return (a, b, "dated") if lag > 0 else (b, a, "dated")
    return a, b, "undetermined"


# An official statement, press release, announcement or disclosure: both papers ran the issuer's text.
_STATEMENT = re.compile(
    r"\b[وف]?(?:ب|ل|ك)?(?:ال|ل)?بيان(?:ا|ها|ه)?\b|تصريح صحفي|المتحدث (?:الرسمي|باسم|الإعلامي|الاعلامي)"
    r"|الناطق (?:الإعلامي|الرسمي|الاعلامي)|نسخة منه|على (?:موقع )?تداول|العضو المنتدب"
    r"|الرئيس التنفيذي (?:لشركة|للشركة|لمجموعة|للمجموعة|لبنك|للبنك)"
    r"|(?<!\S)[وف]?(?:أعلن|أطلق|أصدر|دشن|دشّن)(?:ت)?(?!\S)"  # "أعلنت الشركة", "أطلقت شركة المياه": an announcement
)
_SIGNATURE_WORDS = re.compile(r"\w+")  # "سبق-الجوف:" is two words: outlet and place
_AGENCY_DAYS = 2  # an agency item this much later than a paper's text is a reissue, not its origin
_MORE_WORDS, _MORE_SHARE = 30, 0.2  # a copy with this much text of its own beyond the source's
_REPUBLISHER_SHARE = 0.5  # an outlet whose articles are this often another's earlier text takes text


class _Evidence:
    """What says whose text an article carries: its credits, and the articles it shares text with."""

    def __init__(
        self, links: list[Link], articles: list[Article], credits: dict[int, list[Found]], names: Names
    ) -> None:
        self.articles, self.credits, self.names, self.agencies = articles, credits, names, names.agencies
        self.neighbours: dict[int, set[int]] = defaultdict(set)
        for link in links:
            self.neighbours[link.a].add(link.b)
            self.neighbours[link.b].add(link.a)
        self.republishers = self._republishers(links)

    def _republishers(self, links: list[Link]) -> set[str]:
        """Outlets at least half of whose articles are mostly an earlier article of another outlet (not an
        agency's item): a farm or aggregator that takes text, unlike papers that run releases now and
        then (on SaudiNewsNet the highest share is 18%)."""
        articles, taken = self.articles, set()
        for link in links:
            a, b = articles[link.a], articles[link.b]
            later, earlier, size = (b, a, link.size_b) if b.published >= a.published else (a, b, link.size_a)
            if later.outlet != earlier.outlet and earlier.outlet not in self.agencies and link.shared >= 0.8 * size:
                taken.add(later.index)
        count = Counter(a.outlet for a in articles)
        took = Counter(articles[i].outlet for i in taken)
        return {outlet for outlet, n in took.items() if n >= _REPUBLISHER_SHARE * count[outlet]}

    def signed_by(self, i: int) -> list[str]:
        """The agencies whose text article ``i`` is: its own outlet, or its byline, dateline or tag."""
        own = [self.articles[i].outlet] if self.articles[i].outlet in self.agencies else []
        return own + [f.outlet for f in self.credits[i] if f.where != "text" and f.outlet in self.agencies]

    def own_byline(self, i: int) -> bool:
        """Whether article ``i`` is signed by its own reporter or desk ("محمد البيضاني - الباحة",
        "أبها - الجزيرة:", a dateline "ياسر الحربي – عين اليوم"), naming no outlet but its own."""
        signed = signature(self.articles[i])
        named = set(outlets_in_byline(signed, self.names))
        return len(_SIGNATURE_WORDS.findall(signed)) >= 2 and named <= {self.articles[i].outlet}

    def relation(
        self,
        source: Article,
        copy: Article,
        about: list[Found],
        own: list[Found],
        spans: list[Span],
        taken: int,
        more: int,
    ) -> tuple[str, str, str]:
        """(``copy`` or ``shared_source``, the common source or "", what says so). ``about``: the copy's
        credits that can be about the shared text, ``own`` those in its own words; ``spans``: the
        source's characters that the copy shares; ``taken`` and ``more``: the copy's words inside its
        matched spans and outside them (boilerplate aside)."""
        if source.outlet in self.agencies:
            return "copy", "", "agency_item"  # the agency's own item and a copy of it
        if copy.outlet in self.agencies:  # the agency's later reissue of its own text
            return "shared_source", copy.outlet, "agency_item"
        third = (self.neighbours[source.index] & self.neighbours[copy.index]) - {source.index, copy.index}
        items = sorted(t for t in third if self.articles[t].outlet in self.agencies)
        if items:  # the agency's own item is in the input, and shares text with both
            return "shared_source", self.articles[items[0]].outlet, "agency_item"
        pair = {source.outlet, copy.outlet}
        wire = any(f.where != "text" and f.outlet in self.agencies and f.outlet not in pair for f in about)
        # The copy, in its own words, names the source itself; but a body sentence naming it in a text
        # that the byline or dateline signs to an agency is the agency's own citation of the paper.
        if any(f.outlet == source.outlet and (f.where != "text" or not wire) for f in own):
            return "copy", "", "credit"
        # A byline, dateline or tag that signs the text first (either side), then credits in the text.
        for where in (("byline", "dateline", "tag"), ("text",)):
            copy_names = [f.outlet for f in about if f.outlet not in pair and f.where in where]
            source_names = [f.outlet for f in self.credits[source.index] if f.outlet not in pair and f.where in where]
            both = [o for o in source_names if o in copy_names]
            found = both or source_names or [o for o in copy_names if o in self.agencies]
            if found:
                return "shared_source", found[0], where[0]
        signed = [o for t in sorted(third) for o in self.signed_by(t)]
        if signed:  # an article that shares text with both is signed by an agency
            return "shared_source", signed[0], "neighbour"
        if self.own_byline(copy.index):
            # The later one signs it as its own and credits nobody: on real news, a release both wrote up.
            return "shared_source", "statement", "own_byline"
        if copy.outlet in self.republishers:  # an outlet that takes most of its text from others took this
            return "copy", "", "republisher"
        if any(_STATEMENT.search(source.text, a, b) for a, b in spans):
            return "shared_source", "statement", "statement"
        # The copy signs nothing and credits nobody: nothing in the two says who took from whom.
        if {self.articles[t].outlet for t in third} - pair:  # a third outlet ran it too: sent to all
            return "shared_source", "unnamed", "several_outlets"
        if more >= _MORE_WORDS and more >= _MORE_SHARE * (more + taken):
            return "shared_source", "unnamed", "copy_has_more"  # text the source lacks: not from it
        # Read by hand on SaudiNewsNet, a paper's uncredited text that another paper also ran is a release,
        # a wire or a contributor's piece that both received, whoever signs it, verbatim or not.
        return "shared_source", "unnamed", "unsigned"


def pairs_of(
    links: list[Link], matcher: Matcher, credits: dict[int, list[Found]], names: Names, opts: AuditOptions
) -> list[Pair]:
    """Each link as a source → copy pair with its extent, direction, relation and credit."""
    evidence = _Evidence(links, matcher.articles, credits, names)
    out = []
    for link in links:
        a, b = matcher.articles[link.a], matcher.articles[link.b]
        source, copy, direction = _orient(a, b, credits, names, opts)
        flip = source is b
        size_s, size_c = (link.size_b, link.size_a) if flip else (link.size_a, link.size_b)
        spans_s, spans_c = (link.spans_b, link.spans_a) if flip else (link.spans_a, link.spans_b)
        containment = round(link.shared / max(size_s, 1), 4)
        copy_share = round(link.shared / max(size_c, 1), 4)
        jaccard = round(link.shared / max(size_s + size_c - link.shared, 1), 4)
        matched, added, taken_c, words_c = matcher.taken(copy.index, spans_c)
        about = about_shared(credits[copy.index], spans_c, taken_c * 2 >= words_c)
        own = own_credits(about, spans_c)
        _, _, taken_s, words_s = matcher.taken(source.index, spans_s)
        relation, common, why = evidence.relation(source, copy, about, own, spans_s, taken_c, words_c - taken_c)
        targets = {source.outlet, common} - {""}
        if common in names.agencies:
            targets.add("wires")  # "وكالات" credits the wire agencies, unnamed
        credit = credit_of(own, targets)
        out.append(
            Pair(
                source,
                copy,
                containment,
                copy_share,
                jaccard,
                _extent(
                    max(containment, taken_s / max(words_s, 1)),
                    max(copy_share, taken_c / max(words_c, 1)),
                    opts.min_containment,
                ),
                spans_s,
                spans_c,
                matched,
                added,
                direction,
                relation,
                common,
                why,
                credit,
            )
        )
    out.sort(key=lambda p: (p.source.published, p.source.index, p.copy.published, p.copy.index))
    return out


def clusters(pairs: list[Pair], n: int, names: Names) -> list[dict]:
    """Groups of linked articles; the origin is an agency's own item when one is in the group, else the
    earliest; each member says how it relates to the origin."""
    if not pairs:
        return []
    edges = np.array([[p.source.index, p.copy.index] for p in pairs], dtype=np.int64)
    labels = connected_components(n, edges)
    members: dict[int, dict[int, Article]] = defaultdict(dict)
    with_origin: dict[tuple[int, int], Pair] = {}
    for p in pairs:
        group = members[int(labels[p.source.index])]
        group[p.source.index], group[p.copy.index] = p.source, p.copy
        with_origin[(p.source.index, p.copy.index)] = with_origin[(p.copy.index, p.source.index)] = p
    out = []
    for group in members.values():
        ordered = sorted(group.values(), key=lambda a: (a.outlet not in names.agencies, a.published, a.index))
        origin = ordered[0]
        rows = []
        for a in sorted(group.values(), key=lambda a: (a.published, a.index)):
            link = with_origin.get((origin.index, a.index))
            relation = "origin" if a is origin else (link.relation if link else "linked")
            rows.append(
                {
                    "id": a.id,
                    "outlet": a.outlet,
                    "published": iso(a.published),
                    "relation": relation,
                    "common_source": link.common_source if link else "",
                    "url": a.url,
                    "title": a.title,
                }
            )
        out.append({"origin": origin.id, "outlets": sorted({a.outlet for a in group.values()}), "articles": rows})
    return sorted(out, key=lambda c: (-len(c["articles"]), c["origin"]))
