"""Who took whose text: the direction of each link, whether both articles carry a third party's text
(``shared_source``), the copy's credit, and each cluster's origin.

Direction, in order of evidence:
- ``agency``: one side is a news agency's own item: the origin of its wire text, even when crawled later;
- ``in_text``: one side credits the other's outlet (byline, dateline, tag or credit sentence) and not
  the reverse;
- ``dated``: the earlier one is the source when the two differ by more than ``min_lag_hours``;
- ``undetermined``: equal (or too close) dates and no text evidence; the first in the input is
  listed as the source.
Relation: ``shared_source`` when a news agency's own item in the input shares text with both, when
both credit the same third party, when the source itself credits a third party (an agency or
another outlet) for its text, when the copy credits a news agency for it, when a third article
that shares text with both is signed by an agency (byline, dateline), or when the shared text is
an official statement (``common_source`` = ``statement``); else ``copy``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import datetime, timezone

import numpy as np

from dedup.audit.attribution import Found, credit_of, own_credits
from dedup.audit.match import Link, Matcher
from dedup.audit.model import Article, AuditOptions, Extent, Pair
from dedup.audit.names import Names
from dedup.lsh import connected_components

__all__ = ["clusters", "iso", "pairs_of"]


def iso(seconds: float) -> str:
    """``seconds`` since the epoch as ISO 8601 in UTC; the bounds of ``datetime`` where it overflows."""
    try:
        return datetime.fromtimestamp(seconds, tz=timezone.utc).isoformat()
    except (OverflowError, OSError, ValueError):
        return (datetime.max if seconds > 0 else datetime.min).replace(tzinfo=timezone.utc).isoformat()


def _extent(containment: float, copy_share: float, threshold: float) -> Extent:
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
    if agency_a != agency_b:
        return (a, b, "agency") if agency_a else (b, a, "agency")
    a_names_b = any(f.outlet == b.outlet for f in credits[a.index])
    b_names_a = any(f.outlet == a.outlet for f in credits[b.index])
    if a_names_b != b_names_a:
        return (b, a, "in_text") if a_names_b else (a, b, "in_text")
    lag = b.published - a.published
    if lag and abs(lag) > opts.min_lag_hours * 3600:
        return (a, b, "dated") if lag > 0 else (b, a, "dated")
    return a, b, "undetermined"


# An official statement or press release: both papers ran the issuer's text.
_STATEMENT = re.compile(r"\bبيان(?:ا|ها|ه|ات)?\b|تصريح صحفي|المتحدث الرسمي|نسخة منه")


class _Evidence:
    """What says whose text an article carries: its credits, and the articles it shares text with."""

    def __init__(self, links: list[Link], articles: list[Article], credits: dict[int, list[Found]], names: Names):
        self.articles, self.credits, self.agencies = articles, credits, names.agencies
        self.neighbours: dict[int, set[int]] = defaultdict(set)
        for link in links:
            self.neighbours[link.a].add(link.b)
            self.neighbours[link.b].add(link.a)

    def signed_by(self, i: int) -> list[str]:
        """The agencies whose text article ``i`` is: its own outlet, or its byline, dateline or tag."""
        own = [self.articles[i].outlet] if self.articles[i].outlet in self.agencies else []
        return own + [f.outlet for f in self.credits[i] if f.where != "text" and f.outlet in self.agencies]

    def relation(self, source: Article, copy: Article, own: list[Found], shared_text: str) -> tuple[str, str]:
        """(``copy`` or ``shared_source``, the common source or "")."""
        if source.outlet in self.agencies:
            return "copy", ""  # the agency's own item and a copy of it
        third = (self.neighbours[source.index] & self.neighbours[copy.index]) - {source.index, copy.index}
        items = sorted(t for t in third if self.articles[t].outlet in self.agencies)
        if items:  # the agency's own item is in the input, and shares text with both
            return "shared_source", self.articles[items[0]].outlet
        if any(f.outlet == source.outlet for f in own):
            return "copy", ""  # the copy, in its own words, names the source itself
        pair = {source.outlet, copy.outlet}
        copy_names = [f.outlet for f in self.credits[copy.index] if f.outlet not in pair]
        source_names = [f.outlet for f in self.credits[source.index] if f.outlet not in pair]
        both = [o for o in source_names if o in copy_names]
        # The source credits a third party for its text, or the copy credits an agency for it, or an
        # article that shares text with both is signed by an agency.
        evidence = (
            both
            or source_names
            or [o for o in copy_names if o in self.agencies]
            or [o for t in sorted(third) for o in self.signed_by(t)]
        )
        if evidence:
            return "shared_source", evidence[0]
        if _STATEMENT.search(shared_text):
            return "shared_source", "statement"
        return "copy", ""


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
        own = own_credits(credits[copy.index], spans_c)
        shared_text = " ".join(source.text[x:y] for x, y in spans_s)
        relation, common = evidence.relation(source, copy, own, shared_text)
        credit = credit_of(own, {source.outlet, common} - {""})
        matched, added = matcher.paragraph_counts(copy.index, spans_c)
        out.append(
            Pair(
                source,
                copy,
                containment,
                copy_share,
                jaccard,
                _extent(containment, copy_share, opts.min_containment),
                spans_s,
                spans_c,
                matched,
                added,
                direction,
                relation,
                common,
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
