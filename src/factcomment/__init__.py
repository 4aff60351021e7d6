"""factcomment: tell reported fact from editorial commentary in news text.

>>> from factcomment import split_document
>>> [(s.kind, s.text) for s in split_document("Police said he was charged.\\nComment: About time.")]
[('report', 'Police said he was charged.'), ('comment', 'About time.')]

Names are imported lazily so that ``import factcomment`` (and the CLI's cold start) stays cheap: the
classifier's inference path never imports scikit-learn, and imports numpy only for batches.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from factcomment._version import __version__

# Each public name, by the module that defines it.
_EXPORTS = {name: module for module, names in {
    "factcomment.segment": ("split_document", "split_sentences", "split_paragraphs", "Segment", "Span"),
    "factcomment.api": ("classify", "classify_document"),
    "factcomment.results": ("Prediction", "SegmentPrediction", "Explanation"),
    "factcomment.inference": ("load_model", "Model"),
    "factcomment.errors": ("FactcommentError", "InputError", "ModelError", "OutputError", "TrainingDataError",
                           "UsageError", "WorkerError"),
}.items() for name in names}
__all__ = sorted(_EXPORTS) + ["__version__"]

if TYPE_CHECKING:  # pragma: no cover
    from factcomment.api import classify, classify_document
    from factcomment.errors import (FactcommentError, InputError, ModelError, OutputError, TrainingDataError,
                                    UsageError, WorkerError)
    from factcomment.inference import Model, load_model
    from factcomment.results import Explanation, Prediction, SegmentPrediction
    from factcomment.segment import Segment, Span, split_document, split_paragraphs, split_sentences


def __getattr__(name: str):
    try:
        module = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'factcomment' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
