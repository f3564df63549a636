"""Boilerplate as the audit and the corpus's paragraph level count it: a text on ``min_pages`` distinct
pages of one outlet is that outlet's boilerplate (passim's rule: per series, never across the collection)."""

from __future__ import annotations

import numpy as np

from dedup.jit import njit

__all__ = ["scan_postings"]


@njit(cache=True)
def scan_postings(keys, owner, page, page_outlet, day, min_pages, template_days, max_df):  # pragma: no cover
    """Over sorted ``keys`` (n-gram << 32 | position in the sets): which positions are their outlet's
    boilerplate (the n-gram is on ``min_pages`` distinct pages of that outlet), and the posting lists
    (articles, starts, ends) of the rare n-grams: in 2 articles or more once the boilerplate is left
    out, at most ``max_df``, on fewer than ``template_days`` days."""
    total = keys.shape[0]
    shift, low = np.uint64(32), np.uint64(0xFFFFFFFF)
    lists = 0
    listed = 0
    start = 0
    while start < total:  # first, bounds for the outputs: the n-grams in two sets or more
        end = start + 1
        while end < total and keys[end] >> shift == keys[start] >> shift:
            end += 1
        if end - start > 1:
            lists += 1
            listed += end - start
        start = end
    boiler = np.zeros(total, dtype=np.bool_)
    articles = np.empty(listed, dtype=np.int32)
    starts = np.empty(lists, dtype=np.int64)
    ends = np.empty(lists, dtype=np.int64)
    count = np.zeros(page_outlet.shape[0], dtype=np.int64)
    page_seen = np.full(page_outlet.shape[0], -1, dtype=np.int64)  # the last group that counted a page
    day_seen = np.full(day.max() + 1 if day.shape[0] else 1, -1, dtype=np.int64)
    w = 0
    g = 0
    start = 0
    while start < total:
        end = start + 1
        while end < total and keys[end] >> shift == keys[start] >> shift:
            end += 1
        if end - start == 1:
            start = end
            continue
        for i in range(start, end):
            p = page[owner[keys[i] & low]]
            if page_seen[p] != start:
                page_seen[p] = start
                count[page_outlet[p]] += 1
        kept = 0
        distinct = 0
        for i in range(start, end):
            position = keys[i] & low
            a = owner[position]
            if count[page_outlet[page[a]]] >= min_pages:
                boiler[position] = True
                continue
            kept += 1
            if day_seen[day[a]] != start:
                day_seen[day[a]] = start
                distinct += 1
        for i in range(start, end):
            count[page_outlet[page[owner[keys[i] & low]]]] = 0
        if 2 <= kept <= max_df and distinct < template_days:
            starts[g] = w
            for i in range(start, end):
                position = keys[i] & low
                if not boiler[position]:
                    articles[w] = owner[position]
                    w += 1
            ends[g] = w
            g += 1
        start = end
    return boiler, articles[:w].copy(), starts[:g].copy(), ends[:g].copy()
