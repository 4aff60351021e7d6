"""Order-preserving parallel map over worker processes on this machine.

Work goes out to a pool in a bounded window (a few items per worker), so memory stays flat on endless
streams, and results come back in submission order, so output is identical to a single process whatever
``jobs`` is. Workers are forked where that is safe (a single-threaded process on a platform that forks), inheriting
the loaded model instead of loading it again; elsewhere the model is sent to each worker once, at start-up.
"""
from __future__ import annotations

import multiprocessing
import signal
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from factcomment.persist import Model

T = TypeVar("T")
R = TypeVar("R")
_WINDOW_PER_JOB = 3
_model: Model | None = None  # the worker's model, set once by _start_worker


def ordered_map(work: Callable[[Model, T], R], items: Iterable[T], model: Model, jobs: int) -> Iterator[R]:
    """Yield ``work(model, item)`` for each item, in input order, computed by ``jobs`` worker processes.

    ``work`` must be a module-level function (it is sent to the workers by name).
    """
    context = multiprocessing.get_context(_start_method())
    with context.Pool(jobs, initializer=_start_worker, initargs=(model,)) as pool:
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


def _start_worker(model: Model) -> None:
    global _model
    _model = model
    # A forked worker inherits the parent's handlers; the parent alone handles Ctrl-C and SIGTERM (and the
    # pool ends its workers with SIGTERM, which must simply end them).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _call(work: Callable[[Model, Any], Any], item: Any) -> Any:
    assert _model is not None, "worker started without a model"
    return work(_model, item)
