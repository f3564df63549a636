"""Running independent tasks on the machine's cores: compiled kernels that release the GIL on threads,
Python work on forked processes that inherit the data instead of receiving it."""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

__all__ = ["cores", "in_forks", "in_threads"]

_T = TypeVar("_T")
_TASK: Callable | None = None  # what forked workers run: set before the fork, inherited, never pickled


def cores() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def in_threads(tasks: list[Callable[[], _T]]) -> list[_T]:
    """The results of ``tasks``, in order, run on up to :func:`cores` threads."""
    if len(tasks) <= 1:
        return [task() for task in tasks]
    with ThreadPoolExecutor(min(len(tasks), cores())) as pool:
        return list(pool.map(lambda task: task(), tasks))


def _worker_signals() -> None:
    """A worker leaves Ctrl-C to its parent and dies quietly when the parent ends the pool (the
    handlers the front end installed in the parent are not for it)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _run_chunk(chunk: Sequence) -> list:
    assert _TASK is not None
    return [_TASK(item) for item in chunk]


def in_forks(task: Callable[[object], _T], items: Sequence, least: int = 1000) -> list[_T]:
    """``[task(item) for item in items]``, split over forked processes when the machine has several
    cores, fork exists and there are at least ``least`` items; ``task`` and what it reads are
    inherited by the workers (only the items and the results cross a pipe)."""
    global _TASK
    workers = min(cores(), len(items) // max(least, 1))
    if workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return [task(item) for item in items]
    step = -(-len(items) // workers)
    chunks = [items[k : k + step] for k in range(0, len(items), step)]
    _TASK = task
    try:
        with multiprocessing.get_context("fork").Pool(len(chunks), initializer=_worker_signals) as pool:
            return [result for part in pool.map(_run_chunk, chunks) for result in part]
    finally:
        _TASK = None
