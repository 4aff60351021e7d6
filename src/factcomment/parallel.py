"""Order-preserving parallel map over worker processes on this machine.

Work goes out to a process pool in a bounded window (a few items per worker), so memory stays flat on endless
streams, and results come back in submission order, so output is identical to a single process whatever
``jobs`` is. Workers are forked where that is safe (a single-threaded process on a platform that forks), inheriting
the loaded model instead of loading it again; elsewhere the model is sent to each worker once, at start-up.
:func:`map_slices` goes further for a list already in memory: the calling process works too, beside forked
helpers that inherit the list, and only results travel.
"""
from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from itertools import chain, islice
from typing import Any, TypeVar

from factcomment.errors import WorkerError
from factcomment.inference import Model

T = TypeVar("T")
R = TypeVar("R")
_WINDOW_PER_JOB = 3
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
_state: Any = None  # what every task of this worker shares (the model), set once by _start_worker


def ordered_map(work: Callable[[Model, T], R], items: Iterable[T], model: Model, jobs: int) -> Iterator[R]:
    """Yield ``work(model, item)`` for each item, in input order, computed by ``jobs`` worker processes.

    ``work`` must be a module-level function (it is sent to the workers by name).
    """
    return _ordered_map(work, items, model, jobs, _start_method())


def map_slices(work: Callable[[Model, Sequence[T]], R], sequence: Sequence[T], model: Model, jobs: int,
               size: int) -> Iterator[R]:
    """Yield ``work(model, sequence[i:i + size])`` for consecutive slices, in order, over ``jobs`` processes.

    Where workers can be forked, the calling process is one of the ``jobs``: it forks ``jobs - 1`` helpers,
    which inherit ``sequence`` and the model, and every process claims the next slice from a shared counter;
    only results travel. The caller gathers the helpers' results between slices of its own, so whatever it
    does with each result (building ``Prediction`` objects, say) overlaps their work instead of following
    it, and no third process competes for two cores. Elsewhere the slices are sent to a pool.
    ``work`` must be picklable by reference (a module-level function or a partial of one).
    """
    bounds = _guided_bounds(len(sequence), size, jobs)
    method = _start_method()
    if method == "fork":
        return _caller_works_too(work, sequence, model, jobs, bounds)
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


def _caller_works_too(work: Callable[[Model, Sequence[T]], R], sequence: Sequence[T], model: Model, jobs: int,
                      bounds: list[tuple[int, int]]) -> Iterator[R]:
    if jobs == 1 or len(bounds) < 2:
        yield from (work(model, sequence[a:b]) for a, b in bounds)
        return
    context = multiprocessing.get_context("fork")
    claimed = context.Value("q", 0)  # the next slice nobody has claimed yet
    helpers: dict[Any, Any] = {}
    for _ in range(jobs - 1):
        receiver, sender = context.Pipe(duplex=False)
        helper = context.Process(target=_help, args=(work, sequence, model, bounds, claimed, sender), daemon=True)
        helper.start()
        sender.close()
        helpers[receiver] = helper
    done: dict[int, R] = {}

    def gather(timeout: float | None) -> None:
        for receiver in multiprocessing.connection.wait(list(helpers), timeout):
            try:
                index, result = receiver.recv()
                done[index] = result
            except EOFError:  # the helper has finished (or died: its unsent slices are done below)
                helpers.pop(receiver).join()

    try:
        for index, (start, end) in enumerate(bounds):
            while index not in done:
                gather(0)
                if index in done:
                    break
                if (mine := _claim(claimed, len(bounds))) is not None:
                    done[mine] = work(model, sequence[bounds[mine][0]:bounds[mine][1]])
                elif helpers:
                    gather(None)
                else:  # claimed by a helper that died without sending it; an error it met will recur here
                    done[index] = work(model, sequence[start:end])
            yield done.pop(index)
    finally:
        for receiver, helper in helpers.items():
            helper.terminate()
            helper.join()
            receiver.close()


def _claim(claimed: Any, count: int) -> int | None:
    with claimed.get_lock():
        index = claimed.value
        if index >= count:
            return None
        claimed.value = index + 1
        return index


def _help(work: Callable[[Model, Sequence[T]], R], sequence: Sequence[T], model: Model,
          bounds: list[tuple[int, int]], claimed: Any, sender: Any) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    die_with_parent()
    try:
        while (index := _claim(claimed, len(bounds))) is not None:
            start, end = bounds[index]
            sender.send((index, work(model, sequence[start:end])))
    except BaseException:  # noqa: BLE001 -- the caller redoes what was not sent, and meets the same error itself
        pass
    finally:
        sender.close()


def _ordered_map(work: Callable[[Any, T], R], items: Iterable[T], state: Any, jobs: int, method: str) -> Iterator[R]:
    items = iter(items)
    head = list(islice(items, 2))
    if len(head) < 2:  # one piece of work (a short file, say): starting workers would only add their start-up
        yield from (work(state, item) for item in head)
        return
    items = chain(head, items)
    # An executor rather than a Pool: when a worker dies (killed, out of memory) a Pool quietly replaces it and
    # waits forever for the lost result; an executor fails the results still owed, which is reported.
    executor = ProcessPoolExecutor(jobs, multiprocessing.get_context(method), initializer=_start_worker,
                                   initargs=(state,))
    try:
        pending: deque = deque()
        for item in items:
            pending.append(executor.submit(_call, work, item))
            if len(pending) >= jobs * _WINDOW_PER_JOB:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
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
