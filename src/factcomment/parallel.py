"""One order-preserving map over worker processes: local ones, or a Dask cluster's.

``jobs=N`` means N worker processes, in the library (``classify(texts, jobs=N)``) and the CLI (``--jobs N``)
alike: the calling process only hands out work, gathers the results and writes them. Work goes out in a
bounded window (a few items per worker), so memory stays flat on endless streams, and results come back in
submission order, so output is identical to a single process whatever the workers and wherever they run.
Local workers are forked where that is safe (a single-threaded process on a platform that forks), inheriting
what they share (the loaded model) instead of receiving it; elsewhere it is sent to each worker once, at
start-up. A Dask cluster (:mod:`factcomment.cluster`) gets it once per worker too.
"""
from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from itertools import chain, islice
from typing import Any, TypeVar

from factcomment.cluster import dask_executor  # imports Dask only to connect
from factcomment.encoder import usable_cores
from factcomment.errors import WorkerError

S = TypeVar("S")
T = TypeVar("T")
R = TypeVar("R")
Submit = Callable[[Callable[[Any, Any], Any], Any], Future]
_WINDOW_PER_JOB = 3
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
_state: Any = None  # what every task of this worker shares (the model), set once by _start_worker


def ordered_map(work: Callable[[S, T], R], items: Iterable[T], shared: S, jobs: int = 1, *,
                dask: str | None = None) -> Iterator[R]:
    """Yield ``work(shared, item)`` for each item, in input order.

    The work is done by ``jobs`` local worker processes (at most one per usable core), or on the Dask cluster
    at the address ``dask`` (see :func:`~factcomment.cluster.dask_executor`); with ``jobs=1``, one core, or a
    single item to do locally, by the calling process. ``shared`` (the model) reaches each worker once.
    ``work`` must be picklable by reference (a module-level function or a partial of one).
    """
    items = iter(items)
    if dask is None:
        jobs = local_workers(jobs)
        head = list(islice(items, 2))
        items = chain(head, items)
        if jobs == 1 or len(head) < 2:  # starting workers for one piece of work would only add their start-up
            yield from (work(shared, item) for item in items)
            return
    with (dask_executor(dask, shared) if dask is not None else _local_executor(shared, jobs)) as (submit, workers):
        pending: deque[Future] = deque()
        for item in items:
            pending.append(submit(work, item))
            if len(pending) >= workers * _WINDOW_PER_JOB:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def map_slices(work: Callable[[S, Sequence[T]], R], sequence: Sequence[T], shared: S, jobs: int,
               size: int) -> Iterator[R]:
    """Yield ``work(shared, sequence[i:j])`` for consecutive slices of about ``size``, in order, over ``jobs``
    worker processes (:func:`ordered_map`). Forked workers inherit ``sequence``: only the bounds travel."""
    bounds = _guided_bounds(len(sequence), size, local_workers(jobs))
    if _start_method() == "fork":
        return ordered_map(_slice, bounds, (work, shared, sequence), jobs)
    return ordered_map(work, (sequence[a:b] for a, b in bounds), shared, jobs)


def local_workers(jobs: int) -> int:
    """The local worker processes ``jobs`` asks for, at most one per usable core: more would only take turns on
    the cores, each holding its own copy of the model (the output is the same either way). ``0``: one per core."""
    return usable_cores() if jobs == 0 else min(jobs, usable_cores())


def _slice(state: tuple[Callable, Any, Sequence], bounds: tuple[int, int]) -> Any:
    work, shared, sequence = state
    return work(shared, sequence[bounds[0]:bounds[1]])


def _guided_bounds(length: int, size: int, jobs: int) -> list[tuple[int, int]]:
    """Slices of ``size`` while plenty remains, then ever smaller ones (down to an eighth of ``size``).

    With equal slices the workers finish up to a whole slice apart, one idling meanwhile; shrinking the last
    ones makes them finish together (guided scheduling, as in OpenMP).
    """
    bounds, start, smallest = [], 0, max(1, size // 8)
    while start < length:
        step = max(smallest, min(size, (length - start) // (2 * jobs)))
        bounds.append((start, min(length, start + step)))
        start += step
    return bounds


@contextlib.contextmanager
def _local_executor(shared: Any, jobs: int) -> Iterator[tuple[Submit, int]]:
    # An executor rather than a Pool: when a worker dies (killed, out of memory) a Pool quietly replaces it and
    # waits forever for the lost result; an executor fails the results still owed, which is reported.
    executor = ProcessPoolExecutor(jobs, multiprocessing.get_context(_start_method()), initializer=_start_worker,
                                   initargs=(shared,))
    try:
        yield (lambda work, item: executor.submit(_call, work, item)), jobs
    except BrokenProcessPool:
        raise WorkerError("a worker process died before finishing its work (killed, or out of memory?); "
                          "rerun with fewer jobs") from None
    finally:
        executor.shutdown(wait=True, cancel_futures=True)  # the pieces in hand finish; the queued ones are dropped


def _start_method() -> str:
    # Forking copies the loaded model for free, but is only safe in a single-threaded process: a lock held
    # by another thread (a Dask client's, a logging handler's) stays locked forever in the child.
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return "fork"
    return "forkserver" if "forkserver" in methods else "spawn"


def _start_worker(state: Any) -> None:
    global _state
    _state = state
    # A forked worker inherits the parent's handlers; the parent alone handles Ctrl-C and SIGTERM (and the
    # pool ends its workers with SIGTERM, which must simply end them).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    die_with_parent()


def die_with_parent() -> None:
    """Have the kernel send this process SIGTERM when its parent dies (Linux), or exit if it already has.

    A parent killed with SIGKILL runs no clean-up: without this its workers would live on under PID 1,
    waiting for work that never comes.
    """
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() == 1:  # the parent died before the request took effect
        os._exit(1)


def _call(work: Callable[[Any, Any], Any], item: Any) -> Any:
    assert _state is not None, "worker started without its state"
    return work(_state, item)
