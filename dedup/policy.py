"""The rules both engines apply once rows are read: which member of a cluster is kept, and the columns
of the files a corpus run writes. The local engine (:mod:`dedup.corpus`) and the Spark engine
(:mod:`dedup.spark`) both call these, so a rule cannot reach one engine only."""

from __future__ import annotations

import numpy as np

from dedup.records import Rejected
from dedup.textio import for_spreadsheet

__all__ = ["DUPLICATE_COLUMNS", "KEEP_POLICIES", "REJECTED_COLUMNS", "choose_kept", "rejected_row"]

KEEP_POLICIES = ("first", "longest", "earliest")

REJECTED_COLUMNS = ["file", "line", "id", "kind", "reason"]

DUPLICATE_COLUMNS = {
    "id": "string",
    "cluster": "int64",
    "kept_id": "string",
    "similarity": "float64",
    "level": "string",
}
"""duplicates.csv and duplicates.parquet: column and Arrow type. ``level`` is ``paragraph`` for a document
dropped because every paragraph of it appears earlier."""


def choose_kept(labels: np.ndarray, policy: str, length: np.ndarray, date: np.ndarray) -> np.ndarray:
    """The representative of each document's cluster under ``policy`` (documents in input order, ``date``
    NaN when unknown): ``first`` seen, ``longest`` text, ``earliest`` date (undated documents come after
    dated ones); ties go to the first seen."""
    n = len(labels)
    index = np.arange(n)
    if policy == "first" or n == 0:
        return labels.copy()
    primary = -length if policy == "longest" else np.where(np.isnan(date), np.inf, date)
    order = np.lexsort((index, primary, labels))
    first_of_cluster = np.ones(n, dtype=bool)
    first_of_cluster[1:] = labels[order][1:] != labels[order][:-1]
    best = np.empty(n, dtype=np.int64)
    best[labels[order][first_of_cluster]] = order[first_of_cluster]
    return best[labels]


def rejected_row(label: str, item: Rejected) -> list:
    """A row of rejected.csv for ``item`` of the file named ``label``; a report for people, so no cell runs
    as a formula in a spreadsheet."""
    file, doc_id, reason = map(for_spreadsheet, (label, item.id or "", item.reason))
    return [file, item.line, doc_id, item.kind, reason]
