"""Order-preserving parallel map over worker processes on this machine.

Work goes out to a pool in a bounded window (a few items per worker), so memory stays flat on endless
streams, and results come back in submission order, so output is identical to a single process whatever
``jobs`` is. Workers are forked where that is safe (a single-threaded process on a platform that forks), inheriting
the loaded model instead of loading it again; elsewhere the model is sent to each worker once, at start-up.
:func:`map_slices` goes further for a list already in memory: forked workers inherit the list too, and only
slice bounds travel.
"""
from __future__ import annotations

import multiprocessing
import signal
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import chain, islice
from typing import Any, TypeVar

from factcomment.persist import Model

T = TypeVar("T")
R = TypeVar("R")
_WINDOW_PER_JOB = 3
_state: Any = None  # what every task of this worker shares (the model), set once by _start_worker


def ordered_map(work: Callable[[Model, T], R], items: Iterable[T], model: Model, jobs: int) -> Iterator[R]:
    """Yield ``work(model, item)`` for each item, in input order, computed by ``jobs`` worker processes.

    ``work`` must be a module-level function (it is sent to the workers by name).
    """
    return _ordered_map(work, items, model, jobs, _start_method())


def map_slices(work: Callable[[Model, Sequence[T]], R], sequence: Sequence[T], model: Model, jobs: int,
               size: int) -> Iterator[R]:
    """Yield ``work(model, sequence[i:i + size])`` for consecutive slices, in order, over ``jobs`` workers.

    Forked workers inherit ``sequence`` along with the model and receive only slice bounds: pickling the
    slices out and unpickling them in the workers would cost the calling process a tenth of what classifying
    them does, which is most of what keeps two processes from running twice as fast as one. Elsewhere the
    slices are sent. ``work`` must be picklable by reference (a module-level function or a partial of one).
    """
    bounds = _guided_bounds(len(sequence), size, jobs)
    method = _start_method()
    if method == "fork":
        return _ordered_map(_inherited_slice, ((work, a, b) for a, b in bounds), (model, sequence), jobs, method)
    return _ordered_map(work, (sequence[a:b] for a, b in bounds), model, jobs, method)


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


def _inherited_slice(state: tuple[Model, Sequence[T]], item: tuple[Callable[[Model, Sequence[T]], R], int, int]) -> R:
    model, sequence = state
    work, start, end = item
    return work(model, sequence[start:end])


def _ordered_map(work: Callable[[Any, T], R], items: Iterable[T], state: Any, jobs: int, method: str) -> Iterator[R]:
    items = iter(items)
    head = list(islice(items, 2))
    if len(head) < 2:  # one piece of work (a short file, say): starting workers would only add their start-up
        yield from (work(state, item) for item in head)
        return
    items = chain(head, items)
    context = multiprocessing.get_context(method)
    with context.Pool(jobs, initializer=_start_worker, initargs=(state,)) as pool:
        pending: deque = deque()
        for item in items:
            pending.append(pool.apply_async(_call, (work, item)))
            if len(pending) >= jobs * _WINDOW_PER_JOB:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


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


def _call(work: Callable[[Any, Any], Any], item: Any) -> Any:
    assert _state is not None, "worker started without its state"
    return work(_state, item)
