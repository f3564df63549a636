"""Tasks on several cores give the results, in order, that one core gives."""

import os
import subprocess
import sys

from dedup.parallel import cores, in_forks, in_threads


def test_forked_workers_return_every_result_in_order() -> None:
    data = {k: str(k) * 3 for k in range(2500)}  # inherited by the workers, never sent to them
    items = list(range(2500))
    pids = set(in_forks(lambda k: os.getpid(), items, least=1000))
    assert os.getpid() not in pids or cores() == 1  # forked workers did the work
    results = in_forks(lambda k: data[k], items, least=10)
    assert results == [data[k] for k in items]
    assert in_forks(lambda k: data[k], items[:5]) == [data[k] for k in items[:5]]  # few items: no fork


def test_threads_return_results_in_order() -> None:
    assert in_threads([lambda k=k: k * k for k in range(7)]) == [k * k for k in range(7)]
    assert in_threads([]) == []


def test_workers_end_quietly_under_the_front_ends_signal_handlers() -> None:
    """The command line turns SIGTERM into an exception; ending the pool must neither print the workers'
    tracebacks nor hang (run in a process of its own, as the command line runs it)."""
    code = (
        "import signal\n"
        "from dedup.parallel import in_forks\n"
        "def stop(signum, frame):\n"
        "    raise RuntimeError('terminated')\n"
        "signal.signal(signal.SIGTERM, stop)\n"
        "assert in_forks(lambda k: k + 1, list(range(2000)), least=10) == list(range(1, 2001))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
