"""The rules both engines apply once rows are read: which member of a cluster is kept, and the columns
of the files a corpus run writes. The local engine (:mod:`dedup.corpus`) and the Spark engine
(:mod:`dedup.spark`) both call these, so a rule cannot reach one engine only."""

from __future__ import annotations

import re

import numpy as np

from dedup.audit.names import AGENCIES
from dedup.records import Record, Rejected
from dedup.textio import for_spreadsheet

__all__ = [
    "DUPLICATE_COLUMNS",
    "KEEP_POLICIES",
    "REJECTED_COLUMNS",
    "choose_kept",
    "copy_penalty",
    "fragment_copy_reason",
    "keep_rank",
    "outlet_of",
    "rejected_row",
]

_REPOST_FOOTER = re.compile(r"^\s*رابط الخبر", re.MULTILINE)  # an aggregator's «رابط الخبر بصحيفة …: …» line
_STANDARD_LETTERS = re.compile("[أإآؤئءي]")  # hamza forms and ي, which folded copies write ا and ى

KEEP_POLICIES = ("first", "longest", "earliest")

REJECTED_COLUMNS = ["file", "line", "id", "kind", "reason"]

DUPLICATE_COLUMNS = {
    "id": "string",
    "cluster": "int64",
    "kept_id": "string",
    "similarity": "float64",
    "level": "string",
}
"""duplicates.csv and duplicates.parquet: column and Arrow type. ``level`` is ``document`` for the document
pass; with ``--level paragraph``, ``contained`` for a document mostly contained in kept ones and ``fragment``
for one that boilerplate removal left as a fragment."""


def outlet_of(record: Record, field: str) -> str:
    """The record's outlet (its ``field``, carried as an extra field), ``""`` where it names none."""
    return str(record.extra.get(field) or "")


def copy_penalty(text: str, outlet: str = "") -> int:
    """How far a copy is from the one to prefer among equals: a repost footer first, then not being a news
    agency's own item (the origin of its wire text, :data:`dedup.audit.names.AGENCIES`), then fewer hamza
    forms and ي."""
    footer = bool(_REPOST_FOOTER.search(text))
    return (2 << 30) * footer + (1 << 30) * (outlet not in AGENCIES) - len(_STANDARD_LETTERS.findall(text))


def keep_rank(policy: str, length: np.ndarray, date: np.ndarray, penalty: np.ndarray) -> np.ndarray:
    """Documents in the order the keep policy prefers them (``first`` seen, ``longest`` text, ``earliest``
    date, NaN when unknown: undated documents come after dated ones); ties go to the better copy
    (:func:`copy_penalty`), then the first seen."""
    index = np.arange(len(length))
    if policy == "first":
        return index
    primary = -length if policy == "longest" else np.where(np.isnan(date), np.inf, date)
    return np.lexsort((index, penalty, primary))


def choose_kept(labels: np.ndarray, order: np.ndarray) -> np.ndarray:
    """The representative of each document's cluster: its member first in ``order`` (:func:`keep_rank`)."""
    n = len(labels)
    best = np.full(n, -1, dtype=np.int64)
    for doc in order[::-1].tolist():  # the earliest in order writes last
        best[labels[doc]] = doc
    return best[labels] if n else labels.copy()


def fragment_copy_reason(head_id: str) -> str:
    """Why a member of a cluster whose kept document was rejected as a fragment is rejected with it."""
    return f"a copy of {head_id!r}, which was rejected as a fragment"


def rejected_row(label: str, item: Rejected) -> list:
    """A row of rejected.csv for ``item`` of the file named ``label``; a report for people, so no cell runs
    as a formula in a spreadsheet."""
    file, doc_id, reason = map(for_spreadsheet, (label, item.id or "", item.reason))
    return [file, item.line, doc_id, item.kind, reason]
