"""Tasks on several cores give the results, in order, that one core gives."""

import os

from dedup.parallel import cores, in_forks, in_threads


def test_forked_workers_return_every_result_in_order() -> None:
    data = {k: str(k) * 3 for k in range(2500)}  # inherited by the workers, never sent to them
    items = list(range(2500))
    pids = set(in_forks(lambda k: os.getpid(), items, least=1000))
    assert (len(pids) == min(cores(), 2) and os.getpid() not in pids) or cores() == 1
    results = in_forks(lambda k: data[k], items, least=10)
    assert results == [data[k] for k in items]
    assert in_forks(lambda k: data[k], items[:5]) == [data[k] for k in items[:5]]  # few items: no fork


def test_threads_return_results_in_order() -> None:
    assert in_threads([lambda k=k: k * k for k in range(7)]) == [k * k for k in range(7)]
    assert in_threads([]) == []
