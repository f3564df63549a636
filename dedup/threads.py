"""Running independent compiled tasks on the machine's cores: the numba kernels that take many
records at once release the GIL, so plain threads run them side by side."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

__all__ = ["cores", "in_threads"]

_T = TypeVar("_T")


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
