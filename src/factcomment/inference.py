"""The runtime model: load a model directory (either tier), score texts, label them and explain the labels.

:func:`load_model` reads the files through :mod:`factcomment.persist`, which checks each against the
SHA-256 on the card before anything is parsed, and builds the tier's scorer: the fast tier's
:class:`~factcomment.scorer.Scorer` (exact fixed-point sums, :mod:`factcomment.linear`), or the accurate
tier's :class:`~factcomment.accurate.AccurateScorer` stacked on it. :class:`Model` is the one way texts are
scored (a paragraph as the mean of its sentences, :mod:`factcomment.paragraphs`), labelled and explained;
nothing here imports scikit-learn.
"""
from __future__ import annotations

import json
import numbers
import os
from collections.abc import Iterable, Mapping, Set as AbstractSet
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from factcomment import paragraphs
from factcomment.errors import DECODE_HINT, ModelError, UsageError
from factcomment.persist import (CARD_FILE, MODEL_FILE, SCORER_FILE, card_tier, check_scorer, check_versions,
                                 default_model_dir, read_model, read_verified)
from factcomment.results import Explanation, Prediction

__all__ = ["Model", "check_count", "check_texts", "check_threshold", "load_model"]


# eq=False: compared field by field, hashing the card (a dict) raised TypeError, so a model could not be a
# dict key or an lru_cache argument; and two loads of one directory were unequal anyway (their scorers are).
@dataclass(frozen=True, eq=False)
class Model:
    """A loaded model: the compiled scorer, its decision threshold and its card.

    Use :func:`load_model` to get one; :meth:`predict` labels texts, :meth:`load_pipeline` gives the
    scikit-learn Pipeline it was compiled from. A model is equal only to itself, and hashable.
    """

    path: Path
    card: dict[str, Any] = field(repr=False)  # kilobytes of JSON: shown, it buried the path in a REPL or a log
    scorer: Any = field(repr=False)
    allow_version_mismatch: bool = False

    @property
    def threshold(self) -> float:
        return float(self.card["threshold"])

    @property
    def tier(self) -> str:
        """``"fast"`` or ``"accurate"``."""
        return card_tier(self.card)

    def predict(self, texts: list[str], *, threshold: float | None = None, explain: int = 0) -> list[Prediction]:
        """Label ``texts`` in order; ``p_comment >= threshold`` means comment."""
        texts = check_texts(texts, "Model.predict")
        check_count("explain", explain)  # a negative number is true: it explained with all but the last features
        check_threshold(threshold)  # before scoring, not after (label checks it too, for callers of label alone)
        if explain:  # before scoring: the accurate tier scored every text (minutes) and then refused
            self.check_explains()
        predictions = self.label(self.p_comment(texts), threshold=threshold)
        if not explain:
            return predictions
        return [replace(p, explanation=self.explain(text, explain)) for text, p in zip(texts, predictions)]

    def p_comment(self, texts: list[str]) -> list[float]:
        """The probability that each text is comment (a paragraph's: from its sentences' mean decision value,
        :mod:`~factcomment.paragraphs`)."""
        return paragraphs.p_comment(self.scorer, check_texts(texts, "Model.p_comment"))

    def label(self, probabilities: list[float], *, threshold: float | None = None) -> list[Prediction]:
        """Predictions for probabilities computed elsewhere (say, in a worker process)."""
        check_threshold(threshold)  # a NaN or 5 labelled everything report without a word
        cut = self.threshold if threshold is None else threshold
        return [Prediction("comment" if p >= cut else "report", p) for p in probabilities]

    def explain(self, text: str, k: int) -> Explanation:
        """The ``k`` features that pushed ``text`` hardest toward each label, with exact contributions."""
        check_count("k", k)  # a negative k dropped the last features without a word
        if not isinstance(text, str):  # None reached len() in paragraphs.explain: a bare TypeError
            hint = ("; for several texts use predict(texts, explain=k)" if isinstance(text, (list, tuple))
                    else f"; {DECODE_HINT}" if isinstance(text, (bytes, bytearray))
                    else "")
            raise UsageError(f"Model.explain() takes one text, a str, not {type(text).__name__}{hint}")
        self.check_explains()
        toward_comment, toward_report, intercept, decision = paragraphs.explain(self.scorer, text, k)
        shown = sum(c for _, c in toward_comment) + sum(c for _, c in toward_report)
        return Explanation(tuple(toward_comment), tuple(toward_report), intercept,
                           decision - intercept - shown, decision)

    def check_explains(self) -> None:
        """Refuse (``UsageError``) to explain with a model that gives no per-word explanations (the accurate tier)."""
        if not callable(getattr(self.scorer, "explain", None)):
            raise UsageError(f"the {self.tier} model gives no per-word explanations; use the "
                             "fast model for them (model=\"fast\"; --model fast on the command line)")

    def load_pipeline(self):
        """The scikit-learn Pipeline, after checking its hash and the library versions it was saved with."""
        if self.tier != "fast":
            raise ModelError(f"{self.path}: an {self.tier} model has no scikit-learn Pipeline")
        check_versions(self.card, self.path, ("scikit-learn",), self.allow_version_mismatch)
        data = read_verified(self.path, MODEL_FILE, self.card)
        import io

        import joblib

        return joblib.load(io.BytesIO(data))


def load_model(path: str | os.PathLike[str] | None = None, *, allow_version_mismatch: bool = False) -> Model:
    """Load a model directory (default: the shipped model), verifying every file against its card.

    Parameters
    ----------
    path
        ``None`` or ``"fast"`` for the shipped fast model, ``"accurate"`` for the accurate tier (installed
        with ``pip install '.[accurate]' ./model/accurate``), or a directory written by ``factcomment train``.
    allow_version_mismatch
        Load a model whose card records another factcomment version (format changes may break it).

    Examples
    --------
    >>> model = load_model()
    >>> model.predict(["The minister resigned on Monday."])[0].label
    'report'
    """
    directory = _model_dir(path)
    if directory.is_file():  # a file of a model (its card.json, say) stands for its directory
        if not (directory.parent / CARD_FILE).is_file():
            raise ModelError(f"{directory}: a file, not a model; pass fast, accurate or a model directory "
                             "(see factcomment train)")
        directory = directory.parent
    card, files = read_model(directory, _model_files, allow_version_mismatch)
    fast = _fast_scorer(files[SCORER_FILE], directory) if SCORER_FILE in files else None
    if card_tier(card) == "accurate":
        from factcomment.accurate import AccurateScorer

        return Model(directory, card, AccurateScorer(directory, card, fast, files), allow_version_mismatch)
    return Model(directory, card, fast, allow_version_mismatch)


def check_threshold(threshold: float | None) -> None:
    """Refuse (``UsageError``) a threshold that is not ``None`` or a number from 0 to 1 (NaN included)."""
    if threshold is None:
        return
    # bool is an int to Python, and "0.5" compares with nothing: both would pass or fail in odd places.
    if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real):
        raise UsageError(f"threshold must be a number between 0 and 1, not {threshold!r}; pass e.g. threshold=0.5")
    if not 0.0 <= threshold <= 1.0:
        raise UsageError(f"threshold must lie between 0 and 1, not {threshold}")


def check_count(name: str, value: Any, least: int = 0) -> None:
    """Refuse (``UsageError``) a ``value`` that is not a whole number of at least ``least`` (bool included)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise UsageError(f"{name} must be a whole number, not {value!r}; pass e.g. {name}={max(least, 2)}")
    if value < least:
        raise UsageError(f"{name} must be {least} or more, not {value}")


def check_texts(texts: Any, call: str) -> list[str] | tuple[str, ...]:
    """``texts`` as a list or tuple, or a UsageError naming ``call`` (``"classify"``, ``"Model.predict"``)."""
    example = call[0].lower() + call[1:]
    # A lone string is iterable too: each of its characters would be labelled, without a word.
    # So is a 0-d numpy array (np.array("text")), which then fails to iterate with a bare TypeError.
    if isinstance(texts, (str, bytes)) or not isinstance(texts, Iterable) or getattr(texts, "ndim", None) == 0:
        raise UsageError(f"{call}() takes a list of texts, not {type(texts).__name__}; for one text write "
                         f"{example}([text])")
    if isinstance(texts, (AbstractSet, Mapping)):
        # A set has no order to give the results back in; a dict holds texts as often in its values as its keys.
        raise UsageError(f"{call}() takes a list of texts, not {type(texts).__name__}; pass a list, e.g. "
                         f"{example}(sorted(texts)) or {example}(list(d.values()))")
    if hasattr(texts, "columns") and hasattr(texts, "iloc"):
        # A pandas DataFrame iterates over its column names: each name was labelled, one "text" per column.
        raise UsageError(f"{call}() takes a list of texts, not a {type(texts).__name__}, whose iteration gives its "
                         f"column names; pass one column, e.g. {example}(df['text'])")
    return texts if isinstance(texts, (list, tuple)) else list(texts)  # read twice when explaining


def _model_files(card: dict[str, Any]) -> list[str]:
    """The files inference reads: the compiled scorer, and for the accurate tier the encoder's files too."""
    if card_tier(card) == "accurate":
        from factcomment.accurate import ENCODER_FILES

        return [*ENCODER_FILES, *([SCORER_FILE] if SCORER_FILE in card["files"] else [])]
    return [SCORER_FILE]


def _model_dir(path: str | os.PathLike[str] | None) -> Path:
    # The tier names win over directories of the same name; write ./accurate for such a directory.
    if path == "" or (path is not None and not isinstance(path, (str, os.PathLike))):
        raise UsageError(f"model must be 'fast', 'accurate' or a model directory, not {path!r}")
    if path is None or path == "fast":
        return default_model_dir()
    if path == "accurate":
        from factcomment.accurate import accurate_model_dir

        return accurate_model_dir()
    return Path(path)


def _fast_scorer(raw: bytes, directory: Path):
    from factcomment.scorer import Scorer

    try:
        data = json.loads(raw)
    except ValueError as error:
        raise ModelError(f"{directory / SCORER_FILE}: not valid JSON ({error}); retrain or restore the model") from None
    check_scorer(data, directory / SCORER_FILE)
    try:
        return Scorer.from_dict(data)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as error:
        raise ModelError(f"{directory / SCORER_FILE}: not a factcomment scorer ({error}); retrain the model") from None
