"""The classifier: one scikit-learn Pipeline, trained with a cross-validated threshold and Platt calibration.

The Pipeline is ``FeatureUnion(words=BackgroundTfidf(analyzer=features.analyse, binary=True),
cues=CueFeatures)`` followed by ``CalibratedClassifierCV(LogisticRegression, method="sigmoid",
ensemble=False)``: a single linear model plus one sigmoid, which :mod:`factcomment.scorer` compiles to pure
Python.

>>> result = train(["We must act now!", "Shares fell 3% on Monday.", "What a disgrace this is.",
...                 "The council met on Tuesday.", "Surely nobody believes this?", "Police said he was charged.",
...                 "How absurd.", "Rain is expected on Friday."], ["comment", "report"] * 4, folds=2)
>>> result.pipeline.predict(["Police said the shares fell on Monday."])[0]
'report'
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold, cross_val_predict
from sklearn.pipeline import FeatureUnion, Pipeline

from factcomment import features
from factcomment.errors import TrainingDataError
from factcomment.evaluation import best_threshold, score
from factcomment.results import LABELS

__all__ = ["DEFAULT_SETTINGS", "LABELS", "MIN_PER_CLASS", "BackgroundTfidf", "DocumentFrequencies", "TrainResult",
           "build_pipeline", "cv_splits", "document_frequencies", "fit_pipeline", "fold_count", "fold_settings",
           "resolve_settings", "slim", "train", "validate_training_data"]

# Outer CV for the threshold plus inner CV for calibration need 2 examples of each class in every split.
MIN_PER_CLASS = 4

# Chosen by 5-fold stratified CV on CheckThat-2025 English train+dev and on train+dev+dev_test pooled, never
# by dev_test alone, which rewards "quoted means report" more than other news does (bench/fast_recipe.py;
# every candidate's figures are in docs/model.md). AUC is read overall and on unquoted sentences, where
# the writer's own stance has to be found:
# - quoted speech of 4+ words as one `_quote_` token, words + bigrams with binary tf and the L2 norm: binary
#   and sublinear tf tie (pooled AUC 0.776 / 0.774), and binary needs only distinct features in the scorer.
# - C=10 rather than 3: pooled AUC 0.780 against 0.776, unquoted 0.759 against 0.755, train+dev level;
#   C=1 is worse everywhere (0.762 pooled), C=30 no better than 10 (0.780) and worse on train+dev.
# - 16 stance cues outside quotes at weight 0.3: without them unquoted AUC drops (pooled 0.748 vs 0.755);
#   0.2 to 1.0 lie within 0.003 of each other, so the 0.3 stays.
# - scare quotes up to 3 words: 2 is worse (pooled AUC 0.774 vs 0.776), 5 no better.
# - min_df: 1 for gold data alone; a distilled model (factcomment.distil) raises it to keep the vocabulary
#   of a large transfer corpus, and so the scorer, small.
# - threshold: the mean of the macro-F1-maximising cuts of 5 CV repeats. One CV's cut moves by up to 0.08
#   with the fold split. In nested CV the mean beat one repeat's cut on both pools (+0.0075 +- 0.0026
#   macro-F1 on train+dev, +0.0019 +- 0.0012 pooled), the only rule to gain on both: pooling the repeats'
#   scores, their median, a smoothed curve and a fixed 0.5 each lost on one (bench/threshold_rules.py).
DEFAULT_SETTINGS: dict[str, Any] = {
    "cue_weight": 0.3,
    "C": 10.0,
    "class_weight": "balanced",
    "calibration_folds": 5,
    "min_df": 1,
    "threshold_repeats": 5,
}


@dataclass(frozen=True, eq=False)
class DocumentFrequencies:
    """In how many of ``n`` unlabelled sentences each term (as :func:`features.analyse` spells it) occurs."""

    n: int
    counts: Mapping[str, int]

    def __deepcopy__(self, memo: dict) -> DocumentFrequencies:
        return self  # immutable, and large: every clone of the Pipeline (one per CV fold) shares it


def document_frequencies(sentences: Iterable[str]) -> DocumentFrequencies:
    """Count, for the IDF of :class:`BackgroundTfidf`, the sentences that hold each term.

    >>> document_frequencies(["Prices rose.", "Prices fell."]).counts["prices"]
    2
    """
    counts: Counter[str] = Counter()
    n = 0
    for n, sentence in enumerate(sentences, 1):
        counts.update(set(features.analyse(sentence)))
    return DocumentFrequencies(n, dict(counts))


class BackgroundTfidf(TfidfVectorizer):
    """The word block: binary TF-IDF of :func:`features.analyse`'s terms, whose IDF also counts ``background``.

    A term's IDF is ``ln((1 + n + N) / (1 + df + df_background)) + 1``: scikit-learn's smooth IDF over the
    training texts and the ``N`` background sentences together (without a background, exactly
    scikit-learn's). The vocabulary is the training texts' alone. With 1,800 labelled sentences most terms
    occur once or twice; counting 77,770 Wikinews sentences too gained AUC on every column of both CV pools
    (+0.003 to +0.005; bench/background_idf.py), so the shipped model is trained with them.
    """

    def __init__(self, *, analyzer=features.analyse, binary: bool = True, sublinear_tf: bool = False,
                 min_df: int = 1, background: DocumentFrequencies | None = None) -> None:
        super().__init__(analyzer=analyzer, lowercase=False, token_pattern=None, binary=binary,
                         sublinear_tf=sublinear_tf, min_df=min_df, dtype=np.float64)
        self.background = background

    def fit(self, raw_documents, y=None) -> BackgroundTfidf:
        super().fit(raw_documents)
        if self.background is not None:
            n = len(raw_documents)
            own = np.rint((1 + n) / np.exp(self.idf_ - 1) - 1)  # inverts the smooth IDF scikit-learn computed
            extra = np.array([self.background.counts.get(term, 0) for term in self.get_feature_names_out()])
            self.idf_ = np.log((1 + n + self.background.n) / (1 + own + extra)) + 1
        return self

    def fit_transform(self, raw_documents, y=None):
        if self.background is None:  # scikit-learn's own, which reads the texts once
            return super().fit_transform(raw_documents)
        return self.fit(raw_documents).transform(raw_documents)


@dataclass(frozen=True)
class TrainResult:
    """A fitted Pipeline with its decision threshold and out-of-fold metrics.

    ``threshold`` applies to ``p_comment``: ``p_comment >= threshold`` means comment.
    """

    pipeline: Pipeline
    threshold: float
    cv_metrics: dict[str, Any]
    settings: dict[str, Any] = field(default_factory=dict)


def build_pipeline(settings: dict[str, Any] | None = None, *, seed: int = 0,
                   background: DocumentFrequencies | None = None, teacher: Mapping[str, float] | None = None) -> Pipeline:
    """An unfitted Pipeline for ``settings`` (missing keys take :data:`DEFAULT_SETTINGS`).

    Parameters
    ----------
    settings
        Overrides of :data:`DEFAULT_SETTINGS`; unknown keys raise ``ValueError``.
    seed
        Seeds the calibration folds, so equal data and seed give an identical model.
    background
        Document frequencies of unlabelled news that join the IDF (:class:`BackgroundTfidf`).
    teacher
        A teacher lexicon (:func:`factcomment.distil.teacher_lexicon`): adds the cue ``teacher``.

    Examples
    --------
    >>> build_pipeline({"C": 2.0}).named_steps["clf"].estimator.C
    2.0
    """
    s = resolve_settings(settings)
    # Binary tf, L2 norm: see the comment on DEFAULT_SETTINGS.
    words = BackgroundTfidf(min_df=s["min_df"], background=background)
    cues = features.CueFeatures(weight=s["cue_weight"], teacher=teacher)
    # scikit-learn's default tolerance: 1e-6 took five times as long to train (90 L-BFGS iterations against 36
    # at C=10) for the same cross-validated figures (docs/model.md).
    classifier = LogisticRegression(C=s["C"], class_weight=s["class_weight"], max_iter=1000)
    calibrated = CalibratedClassifierCV(
        classifier, method="sigmoid", ensemble=False,
        cv=StratifiedKFold(s["calibration_folds"], shuffle=True, random_state=seed))
    return Pipeline([("features", FeatureUnion([("words", words), ("cues", cues)])), ("clf", calibrated)])


def train(texts: Sequence[str], labels: Sequence[str], *, settings: dict[str, Any] | None = None, seed: int = 0,
          folds: int = 5, background: DocumentFrequencies | None = None,
          teacher: Mapping[str, float] | None = None) -> TrainResult:
    """Fit the Pipeline on all data; the threshold is the mean of the cuts maximising out-of-fold macro-F1.

    Out-of-fold probabilities come from ``folds``-fold stratified cross-validation of the *whole* Pipeline
    (vocabulary, calibration and all), repeated ``settings["threshold_repeats"]`` times with seeds ``seed``,
    ``seed + 1``, ...; each repeat's best cut is found and their mean is the threshold. ``cv_metrics`` are the
    first repeat's out-of-fold figures at that threshold, so honest estimates. With fewer than ``folds``
    examples of a class the number of folds drops to that count.

    Parameters
    ----------
    texts, labels
        Parallel sequences; labels are ``"report"`` or ``"comment"``.
    settings
        Overrides of :data:`DEFAULT_SETTINGS`.
    seed
        Seeds every fold split: the same data and seed give identical predictions.
    folds
        Cross-validation folds for the threshold and the metrics.
    background
        Document frequencies of unlabelled news (:func:`document_frequencies`) that join the IDF.
    teacher
        A teacher lexicon that adds the cue ``teacher`` (:func:`factcomment.distil.teacher_lexicon`).

    Raises
    ------
    TrainingDataError
        Unknown labels, a single class, fewer than :data:`MIN_PER_CLASS` examples of a class, or
        mismatched lengths.
    """
    texts, y = validate_training_data(texts, labels)
    counts = Counter(y.tolist())
    s, folds = fold_settings(y, settings, folds)
    cuts, runs = [], []
    for repeat_seed in range(seed, seed + s["threshold_repeats"]):
        splits = cv_splits(texts, y, folds, repeat_seed)
        # Copies kept in one fold can leave a training fold with fewer of a class than fold_settings counted on.
        fewest, label = min((int((y[rows] == label).sum()), label) for rows, _ in splits for label in LABELS)
        if fewest < 2:
            raise TrainingDataError(f"keeping copies of a repeated text together leaves a cross-validation training "
                                    f"fold with {fewest} {label!r} example(s); add distinct {label!r} examples")
        pipeline = build_pipeline({**s, "calibration_folds": min(s["calibration_folds"], fewest)}, seed=repeat_seed,
                                  background=background, teacher=teacher)
        proba = cross_val_predict(pipeline, texts, y, cv=splits, method="predict_proba")
        runs.append(proba[:, list(np.unique(y)).index("comment")])  # columns in np.unique order
        cuts.append(best_threshold(y == "comment", runs[-1])[0])
    threshold = float(np.mean(cuts))
    metrics = score(y.tolist(), runs[0].tolist(), threshold).as_dict()  # counts of one pass over the data
    metrics.update(n=len(y), counts={label: counts.get(label, 0) for label in LABELS}, folds=folds, seed=seed,
                   repeat_thresholds=cuts)

    return TrainResult(_fit(texts, y, s, seed, background, teacher), threshold, metrics, s)


def cv_splits(texts: Sequence[str], y: Sequence[str], folds: int, seed: int) -> list[tuple[Any, Any]]:
    """Stratified cross-validation folds (training rows, held-out rows) in which copies of a text share a fold:
    scattered, a copy would be scored by a model trained on its twins, and the CV figures flattered."""
    grouped = len(set(texts)) < len(texts)
    splitter = (StratifiedGroupKFold if grouped else StratifiedKFold)(folds, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros(len(y)), y, groups=list(texts) if grouped else None))


def fit_pipeline(texts: Sequence[str], labels: Sequence[str], *, settings: dict[str, Any] | None = None,
                 seed: int = 0, folds: int = 5, background: DocumentFrequencies | None = None,
                 teacher: Mapping[str, float] | None = None) -> Pipeline:
    """The Pipeline :func:`train` fits on all the data, without the cross-validation that sets its threshold:
    for callers that use its scores only (the accurate tier's stack), at a fraction of the time."""
    texts, y = validate_training_data(texts, labels)
    return _fit(texts, y, fold_settings(y, settings, folds)[0], seed, background, teacher)


def fold_count(labels: Sequence[Any], folds: int) -> int:
    """``folds``, or fewer when the rarest class has fewer examples: every fold must hold one of each class."""
    return min(folds, *Counter(labels).values())


def fold_settings(y: np.ndarray, settings: dict[str, Any] | None, folds: int) -> tuple[dict[str, Any], int]:
    """The settings and the number of CV folds for labels ``y``: fewer folds when a class is rare."""
    rarest = min(Counter(y.tolist()).values())
    folds = fold_count(y.tolist(), folds)
    s = resolve_settings(settings)
    # The calibration split runs inside each training fold, which may lack ceil(n/folds) of the rarest class.
    s["calibration_folds"] = min(s["calibration_folds"], max(2, rarest - -(-rarest // folds)))
    return s, folds


def _fit(texts: list[str], y: np.ndarray, s: dict[str, Any], seed: int,
         background: DocumentFrequencies | None, teacher: Mapping[str, float] | None = None) -> Pipeline:
    pipeline = build_pipeline(s, seed=seed, background=background, teacher=teacher).fit(texts, y)
    slim(pipeline)
    return pipeline


def resolve_settings(settings: dict[str, Any] | None) -> dict[str, Any]:
    if unknown := set(settings or {}) - set(DEFAULT_SETTINGS):
        raise ValueError(f"unknown settings {sorted(unknown)}; valid keys are {sorted(DEFAULT_SETTINGS)}")
    merged = {**DEFAULT_SETTINGS, **(settings or {})}
    repeats = merged["threshold_repeats"]
    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
        raise ValueError(f"threshold_repeats must be a whole number of at least 1, not {repeats!r}; the default is 5")
    return merged


def validate_training_data(texts: Sequence[str], labels: Sequence[str]) -> tuple[list[str], np.ndarray]:
    texts, labels = list(texts), list(labels)
    if len(texts) != len(labels):
        raise TrainingDataError(f"{len(texts)} texts but {len(labels)} labels; give exactly one label per text")
    if unknown := sorted({str(label) for label in labels} - set(LABELS)):
        raise TrainingDataError(f"unknown label(s) {', '.join(map(repr, unknown[:5]))}; "
                                f"use {LABELS[0]!r} or {LABELS[1]!r} (map e.g. OBJ/SUBJ before training)")
    counts = Counter(labels)
    if len(counts) < 2:
        raise TrainingDataError(f"only one class ({', '.join(counts) or 'no data'}); "
                                f"training needs examples of both {LABELS[0]!r} and {LABELS[1]!r}")
    rare = min(counts, key=counts.__getitem__)
    if counts[rare] < MIN_PER_CLASS:
        raise TrainingDataError(f"only {counts[rare]} example(s) of {rare!r}; cross-validation with calibration "
                                f"needs at least {MIN_PER_CLASS} per class (a useful model needs hundreds): "
                                f"add labelled {rare!r} examples")
    if not all(isinstance(t, str) for t in texts):
        raise TrainingDataError("every text must be a str; decode bytes and drop missing values first")
    return texts, np.asarray(labels, dtype=object)


def slim(pipeline: Pipeline) -> None:
    """Drop fitted state that prediction does not use, so the pickle stays small."""
    words = pipeline.named_steps["features"].transformer_list[0][1]
    if hasattr(words, "stop_words_"):
        words.stop_words_ = None
    words.background = None  # its counts are in idf_ now; the whole corpus's would bloat the pickle
