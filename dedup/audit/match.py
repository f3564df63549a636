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
from dataclasses import dataclass, replace
from functools import partial

import numpy as np

from dedup.audit.model import Article, AuditOptions, Span
from dedup.boilerplate import scan_postings
from dedup.jit import njit
from dedup.lsh import overlaps
from dedup.normalize import Profile
from dedup.parallel import in_threads
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
def _intersect(sets, set_offsets, a, b, out):  # pragma: no cover - compiled
    """The sorted n-grams sets ``a`` and ``b`` share, written into ``out``; how many."""
    i, j, m = set_offsets[a], set_offsets[b], 0
    while i < set_offsets[a + 1] and j < set_offsets[b + 1]:
        if sets[i] == sets[j]:
            out[m] = sets[i]
            m += 1
            i += 1
            j += 1
        elif sets[i] < sets[j]:
            i += 1
        else:
            j += 1
    return m


@njit(cache=True)
def _longest_sets(pairs, set_offsets):  # pragma: no cover - compiled
    """The largest first set of ``pairs``: room for what two sets share."""
    longest = 0
    for x in range(pairs.shape[0]):
        longest = max(longest, set_offsets[pairs[x, 0] + 1] - set_offsets[pairs[x, 0]])
    return longest


@njit(cache=True, nogil=True)
def _pair_spans(pairs, sets, set_offsets, ngrams, valid, word_offsets, n, gap, min_words):  # pragma: no cover
    """:func:`_shared_runs` of both articles of every pair over the n-grams the two share: run word
    indexes (global) one after another, and how many runs each (pair, side) has."""
    bound = 0  # a run takes at least min(min_words, n + 1) words and a gap word
    for x in range(pairs.shape[0]):
        for side in range(2):
            words = word_offsets[pairs[x, side] + 1] - word_offsets[pairs[x, side]]
            bound += words // min(min_words, 1 + n) + 1
    firsts = np.empty(bound, dtype=np.int64)
    lasts = np.empty(bound, dtype=np.int64)
    counts = np.zeros((pairs.shape[0], 2), dtype=np.int64)
    shared = np.empty(_longest_sets(pairs, set_offsets), dtype=sets.dtype)
    w = 0
    for x in range(pairs.shape[0]):
        m = _intersect(sets, set_offsets, pairs[x, 0], pairs[x, 1], shared)
        for side in range(2):
            r = pairs[x, side]
            lo, hi = word_offsets[r], word_offsets[r + 1]
            f, last, _ = _shared_runs(ngrams[lo:hi], valid[lo:hi], shared[:m], n, gap, min_words)
            for k in range(f.shape[0]):
                firsts[w], lasts[w] = lo + f[k], lo + last[k]
                w += 1
            counts[x, side] = f.shape[0]
    return firsts[:w], lasts[:w], counts


@njit(cache=True, nogil=True)
def _pair_passages(pairs, sets, set_offsets, ngrams, valid, word_offsets, n, gap, min_words):  # pragma: no cover
    """For every pair, the words in the shorter of the two articles' longest runs of shared n-grams
    (a 1-tuple, as :func:`_on_halves` joins tuples)."""
    out = np.zeros(pairs.shape[0], dtype=np.int64)
    shared = np.empty(_longest_sets(pairs, set_offsets), dtype=sets.dtype)
    for x in range(pairs.shape[0]):
        m = _intersect(sets, set_offsets, pairs[x, 0], pairs[x, 1], shared)
        longest = np.iinfo(np.int64).max
        for side in range(2):
            lo, hi = word_offsets[pairs[x, side]], word_offsets[pairs[x, side] + 1]
            longest = min(longest, _shared_runs(ngrams[lo:hi], valid[lo:hi], shared[:m], n, gap, min_words)[2])
        out[x] = longest
    return (out,)


@njit(cache=True)
def _in_own_set(ngrams, valid, owner, values, offsets):  # pragma: no cover - compiled
    """For each valid n-gram, whether it is in its owner's sorted set ``values[offsets[o]:offsets[o + 1]]``."""
    out = np.zeros(ngrams.shape[0], dtype=np.bool_)
    for j in range(ngrams.shape[0]):
        lo, hi = offsets[owner[j]], offsets[owner[j] + 1]
        if lo == hi or not valid[j]:
            continue
        k = lo + np.searchsorted(values[lo:hi], ngrams[j])
        out[j] = k < hi and values[k] == ngrams[j]
    return out


class Matcher:
    """The audit's text model of a set of articles: words, boilerplate, n-grams and their rarity."""

    def __init__(self, articles: list[Article], opts: AuditOptions, profile: Profile, n: int) -> None:
        self.articles, self.opts, self.n, self.profile = articles, opts, n, profile
        words = words_of([a.text for a in articles], profile)
        self.ngrams, valid = ngram_hashes(words, n)
        # Past the n-grams, a word's hash only finds the words that may begin a name: 32 bits do.
        self.words: Words = replace(words, hashes=_high(words.hashes))
        del words
        article_of = np.repeat(np.arange(len(articles), dtype=np.int32), np.diff(self.words.offsets))
        sets, set_offsets = _sets_on_cores(*_compact(self.ngrams, valid, article_of, len(articles)))
        outlet_ids = {o: k for k, o in enumerate(sorted({a.outlet for a in articles}))}
        self.outlet_of = np.array([outlet_ids[a.outlet] for a in articles], dtype=np.int64)
        set_owner = np.repeat(np.arange(len(articles), dtype=np.int32), np.diff(set_offsets))
        in_boilerplate, self.rare_postings = self._postings(sets, set_owner, profile)
        boiler_offsets = _offsets(set_owner[in_boilerplate], len(articles))
        hit = _in_own_set(self.ngrams, valid, article_of, sets[in_boilerplate], boiler_offsets)
        del article_of
        self.starts_ngram = valid  # every n-gram, for the spans: all shared text is shown
        self.valid = valid & ~hit  # the n-grams that are evidence: not their outlet's boilerplate
        self.boilerplate = self._covered_by(~self.valid & valid)
        self.all_sets, self.all_offsets = sets, set_offsets
        self.sets = sets[~in_boilerplate]
        self.set_offsets = _offsets(set_owner[~in_boilerplate], len(articles))
        self.boilerplate_rows = self._boilerplate_rows(profile)

    def _postings(self, sets: np.ndarray, owner: np.ndarray, profile: Profile):
        """Which entries of the ``sets`` (of articles ``owner``) are their outlet's boilerplate, and the
        posting lists of the rare n-grams seen in 2 articles or more (articles, starts, ends).

        A page is an outlet's article with a title of its own: reposts under one title count once.
        """
        articles = self.articles
        page = self.page = self._pages(profile)
        page_outlet = np.zeros(page.max(initial=-1) + 1, dtype=np.int64)
        page_outlet[page] = self.outlet_of
        day = np.array([int(a.published // 86400) for a in articles], dtype=np.int64)
        day -= day.min(initial=0)
        # Sorting (n-gram, position) keys is cheaper than an argsort of the n-grams.
        keys = (sets.astype(np.uint64) << np.uint64(32)) | np.arange(len(sets), dtype=np.uint64)
        keys.sort()
        in_boilerplate, *rare = scan_postings(
            keys,
            owner,
            page,
            page_outlet,
            day,
            self.opts.boilerplate_min_pages,
            self.opts.template_days,
            self.opts.max_df,
        )
        return in_boilerplate, tuple(rare)

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
        return _under_ngrams(positions, self.words.offsets, self.n)

    def _boilerplate_rows(self, profile: Profile) -> list[list]:
        """``boilerplate.csv``: per outlet, each line that is mostly its boilerplate, on how many pages."""
        w, articles = self.words, self.articles
        rows: dict[tuple[str, str], tuple[set[int], str]] = {}
        if not len(w.starts):
            return []
        line_start = np.flatnonzero(
            np.concatenate(([True], (w.lines[1:] != w.lines[:-1]) | _text_starts(w.offsets, len(w.starts))[1:]))
        )
        share = np.add.reduceat(self.boilerplate, line_start, dtype=np.int32) / np.diff(
            np.append(line_start, len(w.starts))
        )
        line_end = np.append(line_start[1:], len(w.starts))
        for first, end in zip(line_start[share >= 0.8].tolist(), line_end[share >= 0.8].tolist(), strict=True):
            a = articles[int(np.searchsorted(w.offsets, first, side="right")) - 1]
            text = a.text[w.starts[first] : w.ends[end - 1]]
            pages, _ = rows.setdefault((a.outlet, profile.normalize(text)), (set(), text))
            pages.add(int(self.page[a.index]))
        found = [[o, len(pages), text] for (o, _), (pages, text) in rows.items() if len(pages) >= 2]
        return sorted(found, key=lambda r: (r[0], -r[1], r[2]))

    def positions_of(self, words: list[str]) -> Callable[[int], np.ndarray]:
        """A function giving, for an article, the character offsets where one of ``words`` stands."""
        wanted = np.unique(_high(words_of(words, self.profile).hashes))

        def positions(a: int) -> np.ndarray:
            part = self.words.of(a)
            return self.words.starts[part][_member(self.words.hashes[part], wanted)]

        return positions

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
        contained = share >= self.opts.min_containment
        maybe = mostly_rare & (contained | (rare >= passage_ngrams))
        # Within one outlet, a shared passage is its own phrasing or template: only reposts count.
        ask = np.flatnonzero(maybe & ~contained & (self.outlet_of[pairs[:, 0]] != self.outlet_of[pairs[:, 1]]))
        longest = _on_halves(
            _pair_passages, pairs[ask], self.sets, self.set_offsets, self.ngrams, self.valid, *self._run_rules()
        )[0]
        passage = np.zeros(len(pairs), dtype=bool)
        passage[ask] = longest >= self.opts.min_passage_words
        kept = np.flatnonzero(maybe & (contained | passage)).tolist()
        chosen = pairs[kept]
        # The spans show all the text the two share, their outlets' boilerplate included.
        firsts, lasts, counts = _on_halves(
            _pair_spans, chosen, self.all_sets, self.all_offsets, self.ngrams, self.starts_ngram, *self._run_rules()
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

    def _run_rules(self) -> tuple:
        """What :func:`_shared_runs` needs besides the n-grams: word offsets, n, gap and shortest run."""
        return self.words.offsets, self.n, _GAP, _MIN_SPAN_WORDS

    def taken(self, a: int, spans: list[Span]) -> tuple[int, int, int, int]:
        """Paragraphs (lines) of article ``a`` at least half inside ``spans`` (matched), the others that
        are not boilerplate (added), its words inside ``spans`` and all its words (boilerplate aside):
        the same evidence as the spans, so a lightly edited copy counts as taken whole."""
        part = self.words.of(a)
        edges = np.array(spans, dtype=np.int64).reshape(-1, 2)
        return _line_counts(self.words.starts[part], self.words.lines[part], self.boilerplate[part], edges)


@njit(cache=True)
def _under_ngrams(starts, offsets, n):  # pragma: no cover - compiled
    """The words under an n-gram of ``n`` words starting where ``starts`` is set, within each text."""
    out = np.zeros(starts.shape[0], dtype=np.bool_)
    for r in range(offsets.shape[0] - 1):
        end = offsets[r + 1]
        for j in range(offsets[r], end):
            if starts[j]:
                for t in range(j, min(j + n, end)):
                    out[t] = True
    return out


@njit(cache=True)
def _line_counts(starts, lines, boilerplate, spans):  # pragma: no cover - compiled
    """(lines at least half of whose words start inside ``spans``, other lines not all boilerplate,
    words inside ``spans`` and words, both boilerplate aside), over one article's words in text order."""
    matched = added = covered = words = 0
    s = 0
    first = 0
    while first < starts.shape[0]:
        end = first
        inside = 0
        boiler = 0
        while end < starts.shape[0] and lines[end] == lines[first]:
            while s < spans.shape[0] and spans[s, 1] <= starts[end]:
                s += 1
            hit = s < spans.shape[0] and spans[s, 0] <= starts[end]
            inside += hit
            boiler += boilerplate[end]
            if not boilerplate[end]:
                words += 1
                covered += hit
            end += 1
        if inside * 2 >= end - first:
            matched += 1
        elif boiler < end - first:
            added += 1
        first = end
    return matched, added, covered, words


@njit(cache=True)
def _member(values, wanted):  # pragma: no cover - compiled
    """Which ``values`` are in sorted ``wanted`` (a binary search each: ``np.isin`` sorts both)."""
    out = np.zeros(values.shape[0], dtype=np.bool_)
    if wanted.shape[0] == 0:
        return out
    for j in range(values.shape[0]):
        k = np.searchsorted(wanted, values[j])
        out[j] = k < wanted.shape[0] and wanted[k] == values[j]
    return out


def _text_starts(offsets: np.ndarray, size: int) -> np.ndarray:
    """A mask over ``size`` flat positions: where one of the texts (``offsets``) begins."""
    mask = np.zeros(size, dtype=bool)
    mask[offsets[:-1][offsets[:-1] < size]] = True
    return mask


def _high(hashes: np.ndarray) -> np.ndarray:
    """The high 32 bits of 64-bit hashes."""
    return (hashes >> np.uint64(32)).astype(np.uint32)


def _offsets(owner: np.ndarray, n: int) -> np.ndarray:
    """``n + 1`` offsets of the runs of a flat array whose entries belong to sorted ``owner``."""
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(owner, minlength=n), out=offsets[1:])
    return offsets


def _on_halves(kernel: Callable, pairs: np.ndarray, *args: object) -> tuple[np.ndarray, ...]:
    """``kernel(pairs, *args)`` (a compiled kernel that releases the GIL and returns a tuple of arrays)
    on the two halves of ``pairs`` in two threads, outputs joined."""
    half = len(pairs) // 2
    parts = in_threads([partial(kernel, part, *args) for part in (pairs[:half], pairs[half:])])
    return tuple(np.concatenate(column) for column in zip(*parts, strict=True))


def _sets_on_cores(values: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`shingle_sets` of the two halves of the texts on two threads (its kernel releases the GIL), joined."""
    mid = (len(offsets) - 1) // 2
    halves = [(values[: offsets[mid]], offsets[: mid + 1]), (values[offsets[mid] :], offsets[mid:] - offsets[mid])]
    (first, first_offsets), (second, second_offsets) = in_threads([partial(shingle_sets, *h) for h in halves])
    return np.concatenate([first, second]), np.concatenate([first_offsets, second_offsets[1:] + len(first)])


def _compact(ngrams: np.ndarray, valid: np.ndarray, owner: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The valid n-grams of every article, one after another, with ``n + 1`` offsets."""
    return ngrams[valid], _offsets(owner[valid], n)
