"""The inference path: the fitted Pipeline's arithmetic without scikit-learn.

:func:`compile_scorer` (which may use scikit-learn) turns a Pipeline from :func:`factcomment.model.train` into
a JSON-ready dict; :class:`Scorer` evaluates it with look-ups, plus numpy for batches
(:mod:`factcomment.linear`), so a cold start on one paragraph imports neither. It is exact, not an
approximation: tokens come from the same :mod:`factcomment.features` functions the Pipeline calls, and the
TF-IDF weights and the cues' standardisation are folded into the classifier's coefficients. Over a text's
distinct unigrams and bigrams ``g`` (binary tf, L2 norm), its feature occurrences and its ``n`` tokens:

    decision = sum(idf_g * coef_g) / sqrt(sum(idf_g ** 2))                  (the TF-IDF block)
             + sum(class weight of each occurrence of a cue-class feature)  (counted cues)
             + sum(lexicon weight of each token) / n + w_length * log(1 + n)  (lexicon and teacher cues)
             + intercept - cue weights . cue means

then ``p_comment`` is the Platt sigmoid of the decision. The sums are exact fixed-point integers, so a
text's bits do not depend on the batch it came in: output is byte-identical across ``--jobs``, chunk sizes
and Dask.
"""
from __future__ import annotations

import base64
import math
import sys
from array import array
from functools import cached_property
from collections.abc import Sequence
from operator import mul
from typing import Any

from factcomment.features import TEACHER_CUE, cue_classes, cue_names, cue_vector, lexicon_cues, ngrams, tokenise
from factcomment.linear import LinearTables

__all__ = ["FORMAT", "Scorer", "compile_scorer", "unpack_doubles"]

# Format 4: the quote-placeholder recipe of issue #13 (binary L2-normalised TF-IDF plus stance cues).
# The vocabulary is one newline-joined, sorted string and the weights and idf base64 little-endian doubles,
# which parse in a sixth of the time JSON lists take (every cold start parses them).
FORMAT = "factcomment-scorer/4"


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
    words, cues = parts["words"], parts["cues"]
    if words.analyzer is not features.analyse or cues.scare_max != features.SCARE_QUOTE_MAX_WORDS:
        raise ValueError("the pipeline does not use factcomment.features.analyse and the default quote "
                         "handling; cannot compile it")
    if words.norm != "l2" or not words.use_idf or not words.binary or words.sublinear_tf:
        raise ValueError("compile_scorer supports binary TF-IDF with norm='l2' only")
    if len(clf.calibrated_classifiers_) != 1 or clf.method != "sigmoid":
        raise ValueError("compile_scorer needs CalibratedClassifierCV(method='sigmoid', ensemble=False)")
    calibrated = clf.calibrated_classifiers_[0]
    estimator, calibrator = calibrated.estimator, calibrated.calibrators[0]
    classes = [str(c) for c in clf.classes_]
    # A binary linear model's decision points at classes_[1]; flip it so that positive means comment.
    sign = 1.0 if classes[1] == "comment" else -1.0
    coef = [sign * float(c) for c in estimator.coef_[0]]
    idf = [float(v) for v in words.idf_]
    names = sorted(words.vocabulary_, key=words.vocabulary_.__getitem__)  # by column
    if any("\n" in name for name in names):
        raise ValueError("a feature name holds a newline; the scorer format cannot store it")
    weights = [i * c for i, c in zip(idf, coef)]
    order = sorted(range(len(names)), key=names.__getitem__)
    return {
        "format": FORMAT,
        "vocabulary": "\n".join(names[i] for i in order),
        "weights": _pack([weights[i] for i in order]),
        "idf": _pack([idf[i] for i in order]),
        "intercept": sign * float(estimator.intercept_[0]),
        # p(classes_[1]) = 1 / (1 + exp(a * f + b)) with f the decision toward classes_[1].
        "calibration": {"a": float(calibrator.a_), "b": float(calibrator.b_), "positive": classes[1]},
        "threshold": float(threshold),
        "cues": {
            "names": list(cue_names(cues.teacher is not None)),
            "mean": [float(m) for m in cues.mean_],
            # Standardisation folded in: contribution = weight * (x - mean).
            "weights": [c / float(s) for c, s in zip(coef[len(idf):], cues.scale_)],
            "lexicon": {w: list(v) for w, v in features.load_lexicon().items()},
            **(_pack_teacher(cues.teacher) if cues.teacher is not None else {}),
        },
    }


def _pack_teacher(teacher: dict[str, float]) -> dict[str, str]:
    """The teacher cue's per-word values as one sorted word list (``words``) and a column of doubles: 50,000
    words load in milliseconds this way, where a JSON object took 40."""
    words = sorted(teacher)
    if any("\n" in word for word in words):
        raise ValueError("a cue word holds a newline; the scorer format cannot store it")
    return {"words": "\n".join(words), TEACHER_CUE: _pack([teacher[w] for w in words])}


def _pack(values: list[float]) -> str:
    return base64.b64encode(_little_endian(array("d", values)).tobytes()).decode("ascii")


def unpack_doubles(text: str) -> Sequence[float]:
    """The doubles a scorer field holds (base64 of little-endian bytes); ValueError says what is wrong."""
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError:
        raise ValueError("is not base64") from None
    if len(raw) % 8:
        raise ValueError("is not a whole number of doubles")
    return _little_endian(array("d", raw))


def _little_endian(doubles: array) -> array:
    # The file is little-endian on every machine; swapping is its own inverse, so one helper packs and unpacks.
    if sys.byteorder == "big":
        doubles.byteswap()
    return doubles


def _unpack_teacher(cues: dict[str, Any]) -> dict[str, float] | None:
    """The teacher cue's per-word values, as :func:`_pack_teacher` stored them (or the first teacher-cue models,
    as a JSON object); None for a model without the cue."""
    if TEACHER_CUE not in cues:
        return None
    if isinstance(cues[TEACHER_CUE], dict):
        return {w: float(v) for w, v in cues[TEACHER_CUE].items()}
    words = cues["words"].split("\n") if cues["words"] else []
    values = unpack_doubles(cues[TEACHER_CUE])
    if len(values) != len(words):
        raise ValueError("the scorer's cue words and their values differ in length")
    return dict(zip(words, values))


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
        if compiled.get("format") != FORMAT:
            raise ValueError(f"expected format {FORMAT!r}, got {compiled.get('format')!r}")
        self.threshold = float(compiled["threshold"])
        vocabulary = compiled["vocabulary"]
        self._names = vocabulary.split("\n") if vocabulary else []
        self._weight_list, self._idf_list = unpack_doubles(compiled["weights"]), unpack_doubles(compiled["idf"])
        if not len(self._names) == len(self._weight_list) == len(self._idf_list):
            raise ValueError("the scorer's vocabulary, weights and idf differ in length")
        self.intercept = float(compiled["intercept"])
        cal = compiled["calibration"]
        self._a, self._b, self._flip = float(cal["a"]), float(cal["b"]), cal["positive"] != "comment"
        cues = compiled["cues"]
        self._cue_names = cue_names(TEACHER_CUE in cues)
        if list(cues["names"]) != list(self._cue_names):
            raise ValueError("the scorer's cues differ from this version's; retrain the model")
        self._cue_mean, self._cue_weights = list(cues["mean"]), list(cues["weights"])
        if not len(self._cue_mean) == len(self._cue_weights) == len(self._cue_names):
            raise ValueError("the scorer's cue names, means and weights differ in length")
        self._cue_weight_of = dict(zip(self._cue_names, self._cue_weights))  # for naming explanations
        self._lexicon = {w: tuple(v) for w, v in cues["lexicon"].items()}
        # The cues are linear in occurrences (class cues) or in occurrences over the token count (lexicon
        # and teacher cues), so each feature's and each lexicon word's weighted share is summed directly;
        # centring is a constant per model, folded into the intercept.
        w = self._cue_weights
        self._teacher = _unpack_teacher(cues)
        per_word = {word: w[-1] * value for word, value in self._teacher.items()} if self._teacher else {}
        for word, entry in self._lexicon.items():
            per_word[word] = per_word.get(word, 0.0) + sum(map(mul, w, lexicon_cues(entry)))
        self._linear = LinearTables(
            self._names, self._weight_list, self._idf_list, {gram: w[k] for gram, k in cue_classes().items()}, per_word)
        self._length_weight = w[len(cue_names(False)) - 1]
        self._fast_intercept = self.intercept - sum(map(mul, w, self._cue_mean))

    @cached_property
    def _index(self) -> dict[str, int]:
        # Only explanations need it; built on first use.
        return {name: i for i, name in enumerate(self._names)}

    @classmethod
    def from_dict(cls, compiled: dict[str, Any]) -> Scorer:
        """A Scorer for the dict :func:`compile_scorer` returned (or its JSON round trip)."""
        return cls(compiled)

    def decision_function(self, texts: list[str]) -> list[float]:
        """The linear decision value of each text, oriented toward comment (log-odds before calibration)."""
        scale = 1 << self._linear.bits
        intercept, length_weight, log, sqrt = self._fast_intercept, self._length_weight, math.log, math.sqrt
        out = []
        for dot, norm2, cues, lexicon, n in self._linear.sums(texts):
            # int / int is correctly rounded in Python, so the value's bits depend on the integers alone.
            value = intercept + cues / scale + lexicon / scale / (n or 1) + length_weight * log(1 + n)
            out.append(value + dot / scale / sqrt(norm2 / scale) if norm2 else value)
        return out

    def p_comment(self, texts: list[str]) -> list[float]:
        """The calibrated probability that each text is the writer's comment."""
        return self.calibrate(self.decision_function(texts))

    def calibrate(self, decisions: list[float]) -> list[float]:
        """Probabilities for decision values (of texts, or of paragraphs by :mod:`factcomment.paragraphs`)."""
        a, b, flip = self._a, self._b, self._flip
        out = []
        for d in decisions:
            # Platt's sigmoid exactly as scikit-learn applies it, on the decision toward its positive class.
            z = a * (-d if flip else d) + b
            p_positive = 1.0 / (1.0 + math.exp(z)) if z < 700.0 else 0.0
            out.append(1.0 - p_positive if flip else p_positive)
        return out

    def explain(self, text: str, k: int = 5) -> tuple[list[tuple[str, float]], list[tuple[str, float]], float, float]:
        """The ``k`` strongest contributions toward each label, the intercept and the decision value.

        Features are the model's unigrams and bigrams as :func:`factcomment.features.ngrams` spells them
        (placeholders ``_quote_``, ``_scare_``, ``_num_``; boundaries ``<s>``, ``</s>``) and the cues, named
        ``cue:NAME``, or ``cue:NAME:low`` where the text has less of the cue than the training texts' mean.

        Returns
        -------
        toward_comment, toward_report, intercept, decision
            Lists of ``(feature, contribution)``, strongest first; report contributions are negative. Every
            feature's contribution plus ``intercept`` sums to ``decision`` (up to float rounding).
        """
        return self.strongest(self.contributions(text), k)

    def contributions(self, text: str) -> list[tuple[str, float]]:
        """Every feature's contribution to ``text``'s decision value (with the intercept, they sum to it)."""
        tokens = tokenise(text)
        index = self._index
        grams = [g for g in dict.fromkeys(ngrams(tokens)) if g in index]  # binary tf: once each
        norm = math.sqrt(math.fsum(self._idf_list[index[g]] ** 2 for g in grams))
        contributions = [(g, self._weight_list[index[g]] / norm) for g in grams]
        values = cue_vector(tokens, self._lexicon, self._teacher)
        return contributions + [("cue:" + name, w * (x - m)) for name, w, x, m in
                                zip(self._cue_names, self._cue_weights, values, self._cue_mean)]

    def strongest(self, contributions: list[tuple[str, float]], k: int
                  ) -> tuple[list[tuple[str, float]], list[tuple[str, float]], float, float]:
        """:meth:`explain`'s result for a decision made of ``contributions`` (and the intercept)."""
        weight = self._cue_weight_of
        # A cue contributes w * (value - mean): it can push toward a label because the text has *less* of it than
        # training texts had on average ("***" leaned comment for want of attribution). Such a cue is named
        # cue:NAME:low, so that no reason claims what the text lacks. (Decided here, after a paragraph's
        # sentences are averaged, where the sign of the contribution over the weight's is the mean's.)
        contributions = sorted(((f"{name}:low" if name.startswith("cue:") and c * weight[name[4:]] < 0 else name, c)
                                for name, c in contributions), key=lambda item: (-abs(item[1]), item[0]))
        decision = self.intercept + math.fsum(c for _, c in contributions)
        toward_comment = [item for item in contributions if item[1] > 0][:k]
        toward_report = [item for item in contributions if item[1] < 0][:k]
        return toward_comment, toward_report, self.intercept, decision
