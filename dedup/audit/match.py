"""What was taken: shared rare text links articles whatever their paragraph cuts; containment is
counted both ways; matched spans are character offsets in each article's own text.

Stages: words with their raw spans; each outlet's boilerplate (a paragraph on
``boilerplate_min_pages`` distinct pages of that outlet, removed from that outlet's pages only);
word n-grams; per n-gram its document frequency and the days it spans (an n-gram seen on
``template_days`` days or more, or in more than ``max_df`` articles, is *common*: templates,
scripture, stock formulas); candidate pairs from posting lists of the rare n-grams (linear in
the number of (article, rare n-gram) postings, each list at most ``max_df`` long); exact
overlaps of the candidates' n-gram sets; spans from the positions of the shared n-grams.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numba import njit

from dedup.audit.model import Article, AuditOptions, Span
from dedup.boilerplate import scan_postings
from dedup.lsh import overlaps
from dedup.normalize import Profile
from dedup.shingle import shingle_sets
from dedup.words import Words, ngram_hashes, words_of

__all__ = ["Link", "Matcher"]

_GAP = 3  # covered word runs this close merge into one span (a replaced word breaks none)
_MIN_SPAN_WORDS = 8  # a shorter run is a stock phrase met by chance ("وارتفع سعر الذهب في"), not a span


@dataclass(frozen=True)
class Link:
    """Two articles (``a`` < ``b``) whose shared text passed the thresholds; counts of n-grams."""

    a: int
    b: int
    shared: int
    size_a: int
    size_b: int
    spans_a: list[Span]
    spans_b: list[Span]


@njit(cache=True)
def _posting_pairs(articles, starts, ends):  # pragma: no cover - compiled
    """Every pair ``a * N + b`` (``a < b``) of articles in one posting list, for all lists given."""
    total = 0
    for g in range(starts.shape[0]):
        s = ends[g] - starts[g]
        total += s * (s - 1) // 2
    out = np.empty(total, dtype=np.int64)
    n = np.int64(articles.max() + 1) if articles.shape[0] else np.int64(1)
    w = 0
    for g in range(starts.shape[0]):
        for i in range(starts[g], ends[g]):
            for j in range(i + 1, ends[g]):
                a, b = articles[i], articles[j]
                out[w] = (a * n + b) if a < b else (b * n + a)
                w += 1
    return out, n


@njit(cache=True)
def _shared_runs(ngrams, valid, shared, n, gap, min_words):  # pragma: no cover - compiled
    """Runs ``[first, last]`` of words under an n-gram of the sorted ``shared`` set, merged across
    gaps of up to ``gap`` words, the runs shorter than ``min_words`` left out; and the most words
    covered in one run."""
    count = ngrams.shape[0]
    covered = np.zeros(count, dtype=np.bool_)
    for j in range(count):
        if valid[j]:
            k = np.searchsorted(shared, ngrams[j])
            if k < shared.shape[0] and shared[k] == ngrams[j]:
                for t in range(j, min(j + n, count)):
                    covered[t] = True
    firsts = np.empty(count, dtype=np.int64)
    lasts = np.empty(count, dtype=np.int64)
    runs = 0
    j = 0
    while j < count:
        if not covered[j]:
            j += 1
            continue
        end = j
        while end + 1 < count and covered[end + 1]:
            end += 1
        if runs and j - lasts[runs - 1] - 1 <= gap:
            lasts[runs - 1] = end
        else:
            firsts[runs], lasts[runs] = j, end
            runs += 1
        j = end + 1
    keep = 0
    longest = 0
    for r in range(runs):
        if lasts[r] - firsts[r] + 1 >= min(min_words, count):
            firsts[keep], lasts[keep] = firsts[r], lasts[r]
            keep += 1
            inside = 0
            for t in range(firsts[r], lasts[r] + 1):
                inside += covered[t]
            longest = max(longest, inside)
    return firsts[:keep], lasts[:keep], longest


@njit(cache=True)
def _pair_spans(pairs, sets, set_offsets, ngrams, valid, word_offsets, n, gap, min_words, bound):  # pragma: no cover
    """:func:`_shared_runs` of both articles of every pair over the n-grams the two share: run word
    indexes (global) one after another, and how many runs each (pair, side) has."""
    firsts = np.empty(bound, dtype=np.int64)
    lasts = np.empty(bound, dtype=np.int64)
    counts = np.zeros((pairs.shape[0], 2), dtype=np.int64)
    longest = 0
    for x in range(pairs.shape[0]):
        longest = max(longest, set_offsets[pairs[x, 0] + 1] - set_offsets[pairs[x, 0]])
    shared = np.empty(longest, dtype=sets.dtype)
    w = 0
    for x in range(pairs.shape[0]):
        a, b = pairs[x, 0], pairs[x, 1]
        i, j, m = set_offsets[a], set_offsets[b], 0
        while i < set_offsets[a + 1] and j < set_offsets[b + 1]:
            if sets[i] == sets[j]:
                shared[m] = sets[i]
                m += 1
                i += 1
                j += 1
            elif sets[i] < sets[j]:
                i += 1
            else:
                j += 1
        for side in range(2):
            r = pairs[x, side]
            lo, hi = word_offsets[r], word_offsets[r + 1]
            f, last, _ = _shared_runs(ngrams[lo:hi], valid[lo:hi], shared[:m], n, gap, min_words)
            for k in range(f.shape[0]):
                firsts[w], lasts[w] = lo + f[k], lo + last[k]
                w += 1
            counts[x, side] = f.shape[0]
    return firsts[:w], lasts[:w], counts


@njit(cache=True)
def _in_own_set(ngrams, owner, values, offsets):  # pragma: no cover - compiled
    """For each n-gram, whether it is in its owner's sorted set ``values[offsets[o]:offsets[o + 1]]``."""
    out = np.zeros(ngrams.shape[0], dtype=np.bool_)
    for j in range(ngrams.shape[0]):
        lo, hi = offsets[owner[j]], offsets[owner[j] + 1]
        if lo == hi:
            continue
        k = lo + np.searchsorted(values[lo:hi], ngrams[j])
        out[j] = k < hi and values[k] == ngrams[j]
    return out


class Matcher:
    """The audit's text model of a set of articles: words, boilerplate, n-grams and their rarity."""

    def __init__(self, articles: list[Article], opts: AuditOptions, profile: Profile, n: int) -> None:
        self.articles, self.opts, self.n, self.profile = articles, opts, n, profile
        self.words: Words = words_of([a.text for a in articles], profile)
        self.article_of = np.repeat(np.arange(len(articles), dtype=np.int32), np.diff(self.words.offsets))
        hashes, valid = ngram_hashes(self.words, n)
        self.ngrams = (hashes >> np.uint64(32)).astype(np.uint32)
        del hashes  # 8 bytes a word: the 32-bit n-grams are what is kept
        sets, set_offsets = shingle_sets(*_compact(self.ngrams, valid, self.article_of, len(articles)))
        outlet_ids = {o: k for k, o in enumerate(sorted({a.outlet for a in articles}))}
        self.outlet_of = np.array([outlet_ids[a.outlet] for a in articles], dtype=np.int64)
        in_boilerplate, self.rare_postings = self._postings(sets, set_offsets, profile)
        set_owner = np.repeat(np.arange(len(articles)), np.diff(set_offsets))
        boiler_offsets = _offsets(set_owner[in_boilerplate], len(articles))
        positions = np.flatnonzero(valid)
        hit = _in_own_set(self.ngrams[positions], self.article_of[positions], sets[in_boilerplate], boiler_offsets)
        self.starts_ngram = valid  # every n-gram, for the spans: all shared text is shown
        self.valid = valid.copy()  # the n-grams that are evidence: not their outlet's boilerplate
        self.valid[positions[hit]] = False
        self.boilerplate = self._covered_by(~self.valid & valid)
        self.all_sets, self.all_offsets = sets, set_offsets
        self.sets = sets[~in_boilerplate]
        self.set_offsets = _offsets(set_owner[~in_boilerplate], len(articles))
        self.boilerplate_rows = self._boilerplate_rows(profile)

    def _postings(self, sets: np.ndarray, offsets: np.ndarray, profile: Profile):
        """Which entries of the sets are their outlet's boilerplate, and the posting lists of the rare
        n-grams seen in 2 articles or more (articles, starts, ends).

        A page is an outlet's article with a title of its own: reposts under one title count once.
        """
        articles = self.articles
        page = self.page = self._pages(profile)
        page_outlet = np.zeros(page.max(initial=-1) + 1, dtype=np.int64)
        page_outlet[page] = self.outlet_of
        day = np.array([int(a.published // 86400) for a in articles], dtype=np.int64)
        day -= day.min(initial=0)
        owner = np.repeat(np.arange(len(articles), dtype=np.int32), np.diff(offsets))
        # Sorting (n-gram, position) keys is cheaper than an argsort of the n-grams.
        keys = (sets.astype(np.uint64) << np.uint64(32)) | np.arange(len(sets), dtype=np.uint64)
        keys.sort()
        order = (keys & np.uint64(0xFFFFFFFF)).astype(np.int32)
        hashes, owner = (keys >> np.uint64(32)).astype(np.uint32), owner[order]
        del keys
        boiler, group_start, df, days = scan_postings(
            hashes, page[owner], owner, page_outlet, day, len(page_outlet), self.opts.boilerplate_min_pages
        )
        in_boilerplate = np.zeros(len(sets), dtype=bool)
        in_boilerplate[order[boiler]] = True
        starts = np.flatnonzero(group_start)
        common = (days[starts] >= self.opts.template_days) | (df[starts] > self.opts.max_df)
        # rare postings, without the boilerplate ones, as contiguous lists
        rare_group = np.repeat(~common & (df[starts] >= 2), np.diff(np.append(starts, len(hashes))))
        keep = rare_group & ~boiler
        kept_hashes = hashes[keep]
        bounds = np.flatnonzero(np.concatenate(([True], kept_hashes[1:] != kept_hashes[:-1], [True])))
        rare = (owner[keep], bounds[:-1], bounds[1:])
        return in_boilerplate, rare

    def _pages(self, profile: Profile) -> np.ndarray:
        """Each article's page number: one per outlet and normalized title (an untitled article is a page)."""
        titles = words_of([a.title for a in self.articles], profile)
        with np.errstate(over="ignore"):
            mixed = titles.hashes * np.uint64(0x9E3779B97F4A7C15) + np.arange(len(titles.hashes), dtype=np.uint64)
            mixed -= np.repeat(titles.offsets[:-1].astype(np.uint64), np.diff(titles.offsets))
            keys = np.zeros(len(self.articles), dtype=np.uint64)
            np.add.at(keys, np.repeat(np.arange(len(self.articles)), np.diff(titles.offsets)), mixed)
        untitled = np.diff(titles.offsets) == 0
        key = np.stack([self.outlet_of, keys.view(np.int64)], axis=1)
        key[untitled, 1] = -1 - np.flatnonzero(untitled)
        return np.unique(key, axis=0, return_inverse=True)[1].reshape(-1).astype(np.int64)

    def _covered_by(self, positions: np.ndarray) -> np.ndarray:
        """Words under an n-gram starting at one of ``positions`` (a mask over word positions)."""
        marks = np.zeros(len(positions) + 1, dtype=np.int64)
        starts = np.flatnonzero(positions)
        ends = np.minimum(starts + self.n, self.words.offsets[1:][self.article_of[starts]])
        np.add.at(marks, starts, 1)
        np.add.at(marks, ends, -1)
        return np.cumsum(marks[:-1]) > 0

    def _boilerplate_rows(self, profile: Profile) -> list[list]:
        """``boilerplate.csv``: per outlet, each line that is mostly its boilerplate, on how many pages."""
        w, articles = self.words, self.articles
        rows: dict[tuple[str, str], tuple[set[int], str]] = {}
        if not len(w.hashes):
            return []
        line_start = np.flatnonzero(
            np.concatenate(([True], (self.article_of[1:] != self.article_of[:-1]) | (w.lines[1:] != w.lines[:-1])))
        )
        share = np.add.reduceat(self.boilerplate.astype(np.int64), line_start) / np.diff(
            np.append(line_start, len(w.hashes))
        )
        line_end = np.append(line_start[1:], len(w.hashes))
        for first, end in zip(line_start[share >= 0.8].tolist(), line_end[share >= 0.8].tolist(), strict=True):
            a = articles[int(self.article_of[first])]
            text = a.text[w.starts[first] : w.ends[end - 1]]
            pages, _ = rows.setdefault((a.outlet, profile.normalize(text)), (set(), text))
            pages.add(int(self.page[a.index]))
        found = [[o, len(pages), text] for (o, _), (pages, text) in rows.items() if len(pages) >= 2]
        return sorted(found, key=lambda r: (r[0], -r[1], r[2]))

    def positions_of(self, words: list[str]) -> Callable[[int], np.ndarray]:
        """A function giving, for an article, the character offsets where one of ``words`` stands."""
        hit = _member(self.words.hashes, np.unique(words_of(words, self.profile).hashes))
        return lambda a: self.words.starts[self.words.of(a)][hit[self.words.of(a)]]

    def candidates(self) -> tuple[np.ndarray, np.ndarray]:
        """Article pairs ``(a, b)``, ``a < b``, sharing at least 3 rare n-grams, and how many they share."""
        owners, starts, ends = self.rare_postings
        if not len(starts):
            return np.zeros((0, 2), dtype=np.int64), np.zeros(0, dtype=np.int64)
        keys, n = _posting_pairs(owners, starts, ends)
        keys, counts = np.unique(keys, return_counts=True)
        keep = counts >= 3
        keys, counts = keys[keep], counts[keep]
        return np.stack([keys // n, keys % n], axis=1).reshape(-1, 2), counts

    def links(self) -> list[Link]:
        """Every pair whose shared text is mostly rare and reaches ``min_containment`` one way or the
        other, or (across outlets) holds a passage of ``min_passage_words``."""
        pairs, rare = self.candidates()
        if not len(pairs):
            return []
        shared, size_a, size_b = overlaps(self.sets, self.set_offsets, pairs)
        share = shared / np.maximum(np.minimum(size_a, size_b), 1)
        mostly_rare = rare * 2 >= shared
        passage_ngrams = self.opts.min_passage_words - self.n + 1
        maybe = mostly_rare & ((share >= self.opts.min_containment) | (rare >= passage_ngrams))
        kept = [
            k
            for k in np.flatnonzero(maybe).tolist()
            if share[k] >= self.opts.min_containment or self._passage(int(pairs[k, 0]), int(pairs[k, 1]))
        ]
        chosen = pairs[kept]
        # The spans show all the text the two share, their outlets' boilerplate included.
        words = np.diff(self.words.offsets)
        bound = int((words[chosen] // min(_MIN_SPAN_WORDS, 1 + self.n) + 1).sum()) if len(kept) else 0
        firsts, lasts, counts = _pair_spans(
            chosen,
            self.all_sets,
            self.all_offsets,
            self.ngrams,
            self.starts_ngram,
            self.words.offsets,
            self.n,
            _GAP,
            _MIN_SPAN_WORDS,
            bound,
        )
        starts = self.words.starts[firsts].tolist()
        ends = self.words.ends[lasts].tolist()
        spans = list(zip(starts, ends, strict=True))
        cuts = np.concatenate(([0], np.cumsum(counts.reshape(-1)))).tolist()
        out = []
        for x, k in enumerate(kept):
            a, b = int(pairs[k, 0]), int(pairs[k, 1])
            spans_a, spans_b = spans[cuts[2 * x] : cuts[2 * x + 1]], spans[cuts[2 * x + 1] : cuts[2 * x + 2]]
            out.append(Link(a, b, int(shared[k]), int(size_a[k]), int(size_b[k]), spans_a, spans_b))
        return out

    def _passage(self, a: int, b: int) -> bool:
        """Whether two articles of different outlets share a run of ``min_passage_words`` of evidence
        (within one outlet, a shared passage is its own phrasing or template: only reposts count)."""
        if self.outlet_of[a] == self.outlet_of[b]:
            return False
        evidence = np.intersect1d(self._set(a), self._set(b), assume_unique=True)
        return min(self._longest(a, evidence), self._longest(b, evidence)) >= self.opts.min_passage_words

    def _set(self, a: int) -> np.ndarray:
        """Article ``a``'s evidence n-gram set (its outlet's boilerplate left out)."""
        return self.sets[self.set_offsets[a] : self.set_offsets[a + 1]]

    def _longest(self, a: int, shared: np.ndarray) -> int:
        """Words in article ``a``'s longest run of evidence n-grams in ``shared``."""
        part = self.words.of(a)
        return int(_shared_runs(self.ngrams[part], self.valid[part], shared, self.n, _GAP, _MIN_SPAN_WORDS)[2])

    def paragraph_counts(self, a: int, spans: list[Span]) -> tuple[int, int]:
        """Paragraphs (lines) of article ``a`` at least half inside ``spans`` (matched), and the others
        that are not boilerplate (added): the same evidence as the spans."""
        part = self.words.of(a)
        edges = np.array(spans, dtype=np.int64).reshape(-1, 2)
        return _line_counts(self.words.starts[part], self.words.lines[part], self.boilerplate[part], edges)


@njit(cache=True)
def _line_counts(starts, lines, boilerplate, spans):  # pragma: no cover - compiled
    """(lines at least half of whose words start inside ``spans``, other lines not all boilerplate),
    over one article's words in text order."""
    matched = added = 0
    s = 0
    first = 0
    while first < starts.shape[0]:
        end = first
        inside = 0
        boiler = 0
        while end < starts.shape[0] and lines[end] == lines[first]:
            while s < spans.shape[0] and spans[s, 1] <= starts[end]:
                s += 1
            if s < spans.shape[0] and spans[s, 0] <= starts[end]:
                inside += 1
            boiler += boilerplate[end]
            end += 1
        if inside * 2 >= end - first:
            matched += 1
        elif boiler < end - first:
            added += 1
        first = end
    return matched, added


def _member(values: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Which ``values`` are in sorted ``wanted`` (a binary search each: ``np.isin`` sorts both)."""
    if not len(wanted):
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(wanted, values), len(wanted) - 1)
    return wanted[at] == values


def _offsets(owner: np.ndarray, n: int) -> np.ndarray:
    """``n + 1`` offsets of the runs of a flat array whose entries belong to sorted ``owner``."""
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(owner, minlength=n), out=offsets[1:])
    return offsets


def _compact(ngrams: np.ndarray, valid: np.ndarray, owner: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The valid n-grams of every article, one after another, with ``n + 1`` offsets."""
    return ngrams[valid], _offsets(owner[valid], n)
