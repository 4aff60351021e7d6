"""The inference path: the fitted Pipeline's arithmetic without scikit-learn.

:func:`compile_scorer` (which may use scikit-learn) turns a Pipeline from :func:`factcomment.model.train` into
a JSON-ready dict; :class:`Scorer` evaluates it with dictionary look-ups, plus numpy for batches of the default
model (:mod:`factcomment.linear`), so a cold start on one paragraph imports neither. It is exact, not an
approximation: tokens come from the same :mod:`factcomment.features` functions the Pipeline's analyzer calls,
and the TF-IDF weights are folded into the classifier's coefficients:

    decision = sum(idf_j * coef_j over occurrences j) / sum(idf_j over occurrences j) + cues . w + intercept

(raw counts, L1 norm: both sums are linear in occurrences, so no set or Counter is needed), then
``p_comment`` is the Platt sigmoid of the decision.
"""
from __future__ import annotations

import base64
import math
import sys
from array import array
from collections import Counter
from collections.abc import Sequence
from functools import cached_property
from itertools import pairwise, repeat
from operator import mul
from typing import Any

from factcomment.features import _TOKEN, cue_vector, ngrams, normalise_text
from factcomment.linear import LinearTables

__all__ = ["FORMAT", "Scorer", "compile_scorer"]

FORMAT = "factcomment-scorer/3"
# Format 1 lacks the analyzer's "classes" key (always off then). Formats 1 and 2 hold the vocabulary, weights
# and idf as JSON lists; format 3 as one newline-joined, sorted string and base64 little-endian doubles, which
# parse in a sixth of the time (every cold start parses them). Format 3 scorers read all three.
_READABLE = ("factcomment-scorer/1", "factcomment-scorer/2", FORMAT)


def compile_scorer(pipeline: Any, threshold: float) -> dict[str, Any]:
    """Fold a fitted Pipeline into plain numbers that :class:`Scorer` evaluates.

    Parameters
    ----------
    pipeline
        A fitted Pipeline from :func:`factcomment.model.build_pipeline` / :func:`~factcomment.model.train`.
    threshold
        The decision threshold on ``p_comment`` stored with the model.

    Returns
    -------
    dict
        JSON-serialisable. All weights are oriented *toward comment*: positive means comment.
    """
    from factcomment import features

    union, clf = pipeline.named_steps["features"], pipeline.named_steps["clf"]
    parts = dict(union.transformer_list)
    words, cues = parts["words"], parts.get("cues")
    nb = None
    if hasattr(words, "named_steps"):  # Pipeline(tfidf, NBScaler): a diagonal scaling, folded into the weights
        words, nb = words.named_steps["tfidf"], words.named_steps["nb"]
    if getattr(words.analyzer, "func", None) is not features.analyse:
        raise ValueError("the pipeline's vectorizer does not use factcomment.features.analyse; cannot compile it")
    if words.binary or words.norm != "l1" or not words.use_idf or words.sublinear_tf:
        raise ValueError("compile_scorer supports TF-IDF of raw counts with norm='l1' only")
    if len(clf.calibrated_classifiers_) != 1 or clf.method != "sigmoid":
        raise ValueError("compile_scorer needs CalibratedClassifierCV(method='sigmoid', ensemble=False)")
    calibrated = clf.calibrated_classifiers_[0]
    estimator, calibrator = calibrated.estimator, calibrated.calibrators[0]
    classes = [str(c) for c in clf.classes_]
    # A binary linear model's decision points at classes_[1]; flip it so that positive means comment.
    sign = 1.0 if classes[1] == "comment" else -1.0
    coef = [sign * float(c) for c in estimator.coef_[0]]
    idf = [float(v) for v in words.idf_]
    # The L1 norm divides by the sum of idf over occurrences *before* the NB scaling, so only the
    # numerator's weights take r.
    scale = [float(r) for r in nb.r_] if nb is not None else [1.0] * len(idf)
    names = [""] * len(idf)
    for name, column in words.vocabulary_.items():
        names[column] = name
    if any("\n" in name for name in names):
        raise ValueError("a feature name holds a newline; the scorer format cannot store it")
    weights = [i * r * c for i, r, c in zip(idf, scale, coef)]
    order = sorted(range(len(names)), key=names.__getitem__)  # the scorer looks features up by bisection
    compiled: dict[str, Any] = {
        "format": FORMAT,
        "analyzer": dict(words.analyzer.keywords),
        "vocabulary": "\n".join(names[i] for i in order),
        "weights": _pack([weights[i] for i in order]),
        "idf": _pack([idf[i] for i in order]),
        "intercept": sign * float(estimator.intercept_[0]),
        # p(classes_[1]) = 1 / (1 + exp(a * f + b)) with f the decision toward classes_[1].
        "calibration": {"a": float(calibrator.a_), "b": float(calibrator.b_), "positive": classes[1]},
        "threshold": float(threshold),
        "cues": None,
    }
    if cues is not None:
        n = len(idf)
        compiled["cues"] = {
            "names": list(features.CUE_NAMES),
            "mean": [float(m) for m in cues.mean_],
            # Standardisation folded in: contribution = weight * (x - mean).
            "weights": [c / float(s) for c, s in zip(coef[n:], cues.scale_)],
            "lexicon": {w: list(v) for w, v in features.load_lexicon().items()},
        }
    return compiled


def _pack(values: list[float]) -> str:
    return base64.b64encode(_little_endian(array("d", values)).tobytes()).decode("ascii")


def _unpack(text: str | list[float]) -> Sequence[float]:
    if not isinstance(text, str):  # formats 1 and 2
        return text
    return _little_endian(array("d", base64.b64decode(text)))


def _little_endian(doubles: array) -> array:
    # The file is little-endian on every machine; swapping is its own inverse, so one helper packs and unpacks.
    if sys.byteorder == "big":
        doubles.byteswap()
    return doubles


class Scorer:
    """Evaluate a compiled model (see :func:`compile_scorer`) in pure Python.

    Examples
    --------
    >>> from factcomment.model import train
    >>> result = train(["We must act now!", "Shares fell 3% on Monday.", "What a disgrace.", "Rain is due.",
    ...                 "How absurd.", "The council met on Tuesday.", "Shame on them!", "Police said so."],
    ...                ["comment", "report", "comment", "report"] * 2, folds=2)
    >>> scorer = Scorer.from_dict(compile_scorer(result.pipeline, result.threshold))
    >>> 0.0 <= scorer.p_comment(["The council met."])[0] <= 1.0
    True
    """

    def __init__(self, compiled: dict[str, Any]):
        if compiled.get("format") not in _READABLE:
            raise ValueError(f"expected format {FORMAT!r}, got {compiled.get('format')!r}")
        self.threshold = float(compiled["threshold"])
        analyzer = compiled["analyzer"]
        self._bigrams, self._suffix, self._prefix = analyzer["bigrams"], analyzer["suffix"], analyzer["prefix"]
        self._classes = analyzer.get("classes", False)
        vocabulary = compiled["vocabulary"]
        self._names = (vocabulary.split("\n") if vocabulary else []) if isinstance(vocabulary, str) else vocabulary
        self._weight_list, self._idf_list = _unpack(compiled["weights"]), _unpack(compiled["idf"])
        if not len(self._names) == len(self._weight_list) == len(self._idf_list):
            raise ValueError("the scorer's vocabulary, weights and idf differ in length")
        self._linear = LinearTables(self._names, self._weight_list, self._idf_list)
        self.intercept = float(compiled["intercept"])
        cal = compiled["calibration"]
        self._a, self._b, self._flip = float(cal["a"]), float(cal["b"]), cal["positive"] != "comment"
        cues = compiled["cues"]
        if cues:
            self._cue_names = tuple("cue:" + n for n in cues["names"])
            self._cue_mean = list(cues["mean"])
            self._cue_weights = list(cues["weights"])
            self._lexicon = {w: tuple(v) for w, v in cues["lexicon"].items()}
            # Centring is a constant per model; fold it into the intercept on the fast path.
            self._fast_intercept = self.intercept - sum(map(mul, self._cue_weights, self._cue_mean))
        else:
            self._cue_names, self._cue_weights, self._lexicon = (), [], None
            self._fast_intercept = self.intercept

    @property
    def _fast(self) -> bool:
        # The default analyzer (words and bigrams, nothing else) is scored by exact sums (factcomment.linear).
        return self._bigrams and not (self._suffix or self._prefix or self._classes or self._lexicon is not None)

    @cached_property
    def _weights(self) -> dict[str, float]:
        # Only the general path (affixes, classes, cues) and explanations need these; built on first use.
        return dict(zip(self._names, self._weight_list))

    @cached_property
    def _idf(self) -> dict[str, float]:
        return dict(zip(self._names, self._idf_list))

    @classmethod
    def from_dict(cls, compiled: dict[str, Any]) -> Scorer:
        """A Scorer for the dict :func:`compile_scorer` returned (or its JSON round trip)."""
        return cls(compiled)

    def decision_function(self, texts: list[str]) -> list[float]:
        """The linear decision value of each text, oriented toward comment (log-odds before calibration)."""
        if self._fast:
            intercept = self.intercept
            return [intercept + ratio for ratio in self._linear.ratios(texts)]
        weight, idf = self._weights.get, self._idf.get
        bigrams, suffix, prefix, classes = self._bigrams, self._suffix, self._prefix, self._classes
        lexicon, cue_weights, intercept = self._lexicon, self._cue_weights, self._fast_intercept
        findall, join, zeros = _TOKEN.findall, " ".join, repeat(0.0)
        out = []
        for text in texts:
            tokens = findall(normalise_text(text))
            if suffix or prefix or classes:
                grams = ngrams(tokens, bigrams=bigrams, suffix=suffix, prefix=prefix, classes=classes)
            else:  # the default: ngrams() inlined, as a call and list copy are a fifth of the time per text
                grams = tokens
                if bigrams:
                    padded = ["<s>", *tokens, "</s>"]
                    grams = tokens + list(map(join, pairwise(padded)))
            value = intercept
            total = sum(map(idf, grams, zeros))
            if total:
                value += sum(map(weight, grams, zeros)) / total
            if lexicon is not None:
                value += sum(map(mul, cue_weights, cue_vector(tokens, lexicon)))
            out.append(value)
        return out

    def p_comment(self, texts: list[str]) -> list[float]:
        """The calibrated probability that each text is the writer's comment."""
        a, b, flip = self._a, self._b, self._flip
        out = []
        for d in self.decision_function(texts):
            # Platt's sigmoid exactly as scikit-learn applies it, on the decision toward its positive class.
            z = a * (-d if flip else d) + b
            p_positive = 1.0 / (1.0 + math.exp(z)) if z < 700.0 else 0.0
            out.append(1.0 - p_positive if flip else p_positive)
        return out

    def explain(self, text: str, k: int = 5) -> tuple[list[tuple[str, float]], list[tuple[str, float]], float, float]:
        """The ``k`` strongest contributions toward each label, the intercept and the decision value.

        Returns
        -------
        toward_comment, toward_report, intercept, decision
            Lists of ``(feature, contribution)``, strongest first; report contributions are negative. Every
            feature's contribution plus ``intercept`` sums to ``decision`` (up to float rounding).
        """
        tokens = _TOKEN.findall(normalise_text(text))
        grams = [g for g in ngrams(tokens, bigrams=self._bigrams, suffix=self._suffix, prefix=self._prefix,
                                   classes=self._classes) if g in self._weights]
        contributions = []
        if grams:
            total = sum(self._idf[g] for g in grams)
            # A feature occurring twice contributes twice (counts, not presence).
            contributions = [(g, n * self._weights[g] / total) for g, n in Counter(grams).items()]
        if self._lexicon is not None:
            values = cue_vector(tokens, self._lexicon)
            contributions += [(name, w * (x - m)) for name, w, x, m in
                              zip(self._cue_names, self._cue_weights, values, self._cue_mean)]
        contributions.sort(key=lambda item: (-abs(item[1]), item[0]))
        decision = self.intercept + math.fsum(c for _, c in contributions)
        toward_comment = [item for item in contributions if item[1] > 0][:k]
        toward_report = [item for item in contributions if item[1] < 0][:k]
        return toward_comment, toward_report, self.intercept, decision
