"""Boilerplate as the audit and the corpus's paragraph level count it: a text on ``min_pages`` distinct
pages of one outlet is that outlet's boilerplate (passim's rule: per series, never across the collection)."""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["scan_postings"]


@njit(cache=True)
def scan_postings(hashes, pages, articles, page_outlet, day, outlets, min_pages):  # pragma: no cover - compiled
    """Over postings grouped by n-gram: which are their outlet's boilerplate (the n-gram is on
    ``min_pages`` distinct pages of that outlet), and per n-gram the articles and days of the others."""
    total = hashes.shape[0]
    boiler = np.zeros(total, dtype=np.bool_)
    group_start = np.zeros(total, dtype=np.bool_)
    df = np.zeros(total, dtype=np.int32)
    days = np.zeros(total, dtype=np.int32)
    count = np.zeros(outlets, dtype=np.int64)
    page_seen = np.full(page_outlet.shape[0], -1, dtype=np.int64)  # the last group that counted a page
    day_seen = np.full(day.max() + 1 if day.shape[0] else 1, -1, dtype=np.int64)
    start = 0
    while start < total:
        end = start + 1
        while end < total and hashes[end] == hashes[start]:
            end += 1
        group_start[start] = True
        if end - start == 1:
            df[start], days[start] = 1, 1
            start = end
            continue
        for i in range(start, end):
            if page_seen[pages[i]] != start:
                page_seen[pages[i]] = start
                count[page_outlet[pages[i]]] += 1
        kept = 0
        distinct = 0
        for i in range(start, end):
            if count[page_outlet[pages[i]]] >= min_pages:
                boiler[i] = True
                continue
            kept += 1
            if day_seen[day[articles[i]]] != start:
                day_seen[day[articles[i]]] = start
                distinct += 1
        for i in range(start, end):
            count[page_outlet[pages[i]]] = 0
        df[start], days[start] = kept, distinct
        start = end
    return boiler, group_start, df, days
