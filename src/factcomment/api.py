"""The library's front door: classify texts, documents and streams of input units.

>>> from factcomment import classify
>>> [p.label for p in classify(["The court heard evidence on Monday.", "Frankly, this is a disgrace."])]
['report', 'comment']
"""
from __future__ import annotations

import functools
import os
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TYPE_CHECKING

from factcomment.errors import DECODE_HINT, UsageError
from factcomment.inference import Model, check_count, check_texts, check_threshold, load_model
from factcomment.results import Prediction, SegmentPrediction
from factcomment.segment import DEFAULT_MARKER, split_document

if TYPE_CHECKING:  # readers (csv, JSON lines, folders) is not needed to classify a list of texts
    from factcomment.readers import Unit

# Rows are classified in chunks: large enough to amortise per-call costs (and inter-process traffic with
# jobs > 1), small enough that memory stays flat on endless streams.
CHUNK = 2048

ModelLike = Model | str | os.PathLike[str] | None


def classify(texts: Iterable[str], *, model: ModelLike = None, threshold: float | None = None,
             explain: int = 0, jobs: int = 1) -> list[Prediction]:
    """Label each text ``report`` or ``comment``, in input order.

    Parameters
    ----------
    texts
        The paragraphs or sentences to label (a list of strings; a lone string is refused, since iterating it
        would classify single characters).
    model
        A :class:`~factcomment.inference.Model`, a model directory, or a shipped model by name: ``None`` or
        ``"fast"`` (the default), ``"accurate"``; each shipped model is loaded once per process.
    threshold
        Label ``comment`` when ``p_comment >= threshold``; default: the threshold stored with the model.
    explain
        When > 0, attach the ``explain`` strongest features each way to every prediction.
    jobs
        Worker processes to score in (the calling process hands out slices and gathers them), at most one
        per usable core (a larger number is lowered to that; ``0`` means one per usable core); the result is
        identical whatever the number.

    Examples
    --------
    >>> p = classify(["He said the plan would cost £3bn."])[0]
    >>> p.label, 0.0 <= p.p_comment <= 1.0
    ('report', True)
    """
    texts = list(check_texts(texts, "classify"))  # None, a number: a UsageError, not a TypeError
    for index, text in enumerate(texts):
        if not isinstance(text, str):
            raise UsageError(f"texts[{index}] is {type(text).__name__}, not str; {_fix_for(text)}")
    resolved = resolve_model(model)
    check_options(threshold, explain, jobs)
    if explain:
        resolved.check_explains()
    if jobs == 1 or len(texts) <= CHUNK:
        return resolved.predict(texts, threshold=threshold, explain=explain)
    from factcomment.parallel import map_slices

    work = functools.partial(predict_chunk, threshold=threshold, explain=explain)
    predictions: list[Prediction] = []
    for chunk in map_slices(work, texts, resolved, jobs, CHUNK):
        # Plain probabilities travel back from a worker far cheaper than Prediction objects.
        predictions += chunk if explain else resolved.label(chunk, threshold=threshold)
    return predictions


def _fix_for(value: object) -> str:
    """How to turn ``value``, which is not a str, into text."""
    if isinstance(value, (bytes, bytearray)):
        return DECODE_HINT
    if value is None or (isinstance(value, float) and value != value):  # None, or pandas' NaN for a missing value
        return "a missing text: drop or fill missing values first"
    return "pass text only"


def predict_chunk(model: Model, texts: list[str], *, threshold: float | None,
                  explain: int) -> list[float] | list[Prediction]:
    """Worker-side: probabilities for ``texts``, or full predictions when explaining."""
    if not explain:
        return model.p_comment(texts)
    return model.predict(texts, threshold=threshold, explain=explain)


def classify_document(text: str, *, unit: str = "paragraph", model: ModelLike = None,
                      threshold: float | None = None, marker: str | None = DEFAULT_MARKER,
                      literal_marker: bool = False, explain: int = 0) -> list[SegmentPrediction]:
    """Split a document and label each paragraph (or sentence), with offsets into ``text``.

    Asides the writer marked (``Comment: ...`` by default) keep the label ``comment`` with
    ``source="marker"``; everything else is labelled by the model, ``source="model"``. ``unit`` is
    ``"paragraph"`` or ``"sentence"``; ``marker`` a regular expression (a plain string with
    ``literal_marker=True``) or ``None`` for no asides; ``model``, ``threshold`` and ``explain`` are as for
    :func:`classify` (an aside has no ``explanation``).

    Examples
    --------
    >>> doc = "The Met said it was reviewing claims.\\nComment: Too little, too late."
    >>> [(r.label, r.source, r.start) for r in classify_document(doc)]
    [('report', 'model', 0), ('comment', 'marker', 47)]
    """
    if not isinstance(text, str):
        raise UsageError(f"classify_document() takes a str, not {type(text).__name__}; {_fix_for(text)}")
    from factcomment.readers import Unit

    try:
        segments = split_document(text, marker=marker, unit=unit, literal=literal_marker)
    except UsageError as error:  # split_document's keyword is literal; here it is literal_marker
        raise UsageError(str(error).replace("literal=True", "literal_marker=True")) from None
    units = [Unit(file="", text=s.text, segment=s, label=s.kind) for s in segments]
    return [SegmentPrediction(u.segment, p) for u, p in classify_units(units, model=model, threshold=threshold,
                                                                         explain=explain)]


def classify_units(units: Iterable[Unit], *, model: ModelLike = None, threshold: float | None = None,
                   explain: int = 0) -> Iterator[tuple[Unit, Prediction]]:
    """Stream ``(unit, prediction)`` pairs in input order, chunk by chunk.

    Units from text documents that are marked asides are labelled by the marker; the rest by the model.
    The model and the options are checked at the call, not at the first ``next()``.
    """
    if isinstance(units, (str, bytes)) or not isinstance(units, Iterable):
        raise UsageError(f"classify_units() takes an iterable of units, not {type(units).__name__}")
    resolved = resolve_model(model)
    check_options(threshold, explain, 1)
    if explain:
        resolved.check_explains()
    return _classify_units(iter(units), resolved, threshold, explain)


def _classify_units(units: Iterator[Unit], resolved: Model, threshold: float | None,
                    explain: int) -> Iterator[tuple[Unit, Prediction]]:
    from factcomment.readers import Unit

    while chunk := list(islice(units, CHUNK)):
        if (wrong := next((u for u in chunk if not isinstance(u, Unit)), None)) is not None or None in chunk:
            raise UsageError(f"classify_units() takes factcomment.readers.Unit objects, not "
                             f"{type(wrong).__name__}; for plain texts use classify(texts)")
        predictions = iter(resolved.predict(_model_texts(chunk), threshold=threshold, explain=explain))
        for unit in chunk:
            yield unit, (MARKED if _is_marked(unit) else next(predictions))


MARKED = Prediction("comment", 1.0, source="marker")


@functools.lru_cache(maxsize=2)
def _shipped_model(tier: str = "fast") -> Model:
    return load_model(tier)


def resolve_model(model: ModelLike, *, allow_version_mismatch: bool = False) -> Model:
    """A loaded model from a Model, a path, ``None`` or a tier name (the shipped models, loaded once per process)."""
    # By name too: classify(texts, model="accurate") in a loop re-read, re-hashed and re-built the encoder on
    # every call (0.2 s for one sentence, against 3 ms with the model loaded), and "fast" took 600 times as
    # long as model=None for the same model.
    if not allow_version_mismatch and (model is None or (isinstance(model, str) and model in ("fast", "accurate"))):
        return _shipped_model("fast" if model is None else model)
    if isinstance(model, Model):
        return model
    if model is None or isinstance(model, (str, os.PathLike)):
        return load_model(model, allow_version_mismatch=allow_version_mismatch)
    raise UsageError(f"model must be a Model, a path or None, not {type(model).__name__}")


def check_options(threshold: float | None, explain: int, jobs: int = 1) -> None:
    """Refuse a threshold that is not a number in [0, 1], an explain or jobs that is not a whole number in range."""
    check_threshold(threshold)
    check_count("explain", explain)
    check_count("jobs", jobs)


def _is_marked(unit: Unit) -> bool:
    return unit.segment is not None and unit.segment.kind == "comment"


def _model_texts(chunk: list[Unit]) -> list[str]:
    # A sentence cut from a quotation is read with its quote state restored (Segment.model_text).
    return [u.text if u.segment is None or u.segment.model_text is None else u.segment.model_text
            for u in chunk if not _is_marked(u)]
