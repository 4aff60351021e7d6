"""Order-preserving parallel prediction over worker processes on this machine.

Chunks go out to a pool in a bounded window (a few per worker), so memory stays flat on endless streams,
and come back in submission order, so the output is identical to a single process whatever ``jobs`` is.
Workers are forked where the platform allows it, inheriting the loaded model instead of loading it again.
"""
from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Iterable, Iterator
from typing import TypeVar

from factcomment.persist import Model
from factcomment.results import Prediction

K = TypeVar("K")
_WINDOW_PER_JOB = 3
_model: Model | None = None  # the worker's model, set once by _start_worker


def predict_chunks(items: Iterable[tuple[K, list[str]]], model: Model, threshold: float | None, explain: int,
                   jobs: int) -> Iterator[tuple[K, list[Prediction]]]:
    """Yield ``(key, predictions)`` for each ``(key, texts)`` in input order, using ``jobs`` processes."""
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    with context.Pool(jobs, initializer=_start_worker, initargs=(model,)) as pool:
        pending: deque = deque()
        for key, texts in items:
            pending.append((key, pool.apply_async(_predict, (texts, threshold, explain))))
            if len(pending) >= jobs * _WINDOW_PER_JOB:
                yield _collect(pending.popleft(), model, threshold)
        while pending:
            yield _collect(pending.popleft(), model, threshold)


def _collect(item, model: Model, threshold: float | None):
    key, result = item
    predicted = result.get()
    # Plain probabilities travel back far cheaper than Prediction objects; labels are made here.
    if predicted and isinstance(predicted[0], float):
        return key, model.label(predicted, threshold=threshold)
    return key, predicted


def _start_worker(model: Model) -> None:
    global _model
    _model = model


def _predict(texts: list[str], threshold: float | None, explain: int) -> list[float] | list[Prediction]:
    assert _model is not None, "worker started without a model"
    if not explain:
        return _model.scorer.p_comment(texts)
    return _model.predict(texts, threshold=threshold, explain=explain)
