"""Distillation: the accurate tier scores unlabeled news, and the fast model learns from those scores too.

About 1,800 gold sentences cannot teach a sparse model the vocabulary of commentary in unseen news; the
encoder generalises from pre-training. Here the teacher (any loaded model, normally the accurate tier)
scores a transfer corpus once (cached by content hash, so a rerun does not rescore). The student learns from
the scores in one of three ways:

- ``lexicon`` (the default, and the shipped model's): the scores become a word list, each word's value fitted
  so that the mean value over a sentence's words reproduces the teacher's log-odds (:func:`teacher_lexicon`),
  and the student gets one more stance cue, that mean over a text's words. One weight, fitted on gold data,
  decides how much the teacher's word knowledge counts.
- ``soft`` / ``hard``: teacher-labelled rows join the gold rows (:func:`train_distilled`), as soft labels (the
  row twice, weighted ``p`` and ``1 - p``) or hard labels (the teacher's decision).
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from factcomment.atomic import write_whole
from factcomment.errors import InputError, OutputError, UsageError
from factcomment.readers import unreadable
from factcomment.results import LABELS
from factcomment.segment import WHITESPACE

__all__ = ["BATCH", "MODES", "Distillation", "balanced_weights", "default_cache", "read_transfer", "lexicon_alpha",
           "teacher_lexicon", "teacher_log_odds", "teacher_scores", "train_distilled", "transfer_rows"]

# The teacher scores this many sentences between progress reports.
BATCH = 1024
MODES = ("lexicon", "soft", "hard")
# Words in fewer transfer sentences than this are left out of the teacher lexicon: one or two sentences say
# little about a word (set before any run; 1 or 10 moved cross-validated AUC by at most 0.004).
LEXICON_MIN_COUNT = 3
# The ridge penalties the lexicon's fit chooses from, by held-out R^2 on the transfer sentences themselves
# (no gold label is involved); 0.03 won in all four split-wise tests of bench/teacher_lexicon.py.
LEXICON_ALPHAS = (0.01, 0.03, 0.1, 0.3, 1.0)


def default_cache() -> Path:
    """Where teacher scores are kept between runs: ``$XDG_CACHE_HOME/factcomment/teacher``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "factcomment" / "teacher"


@dataclass(frozen=True)
class Distillation:
    """How to distil: the teacher (``"accurate"``, ``"fast"`` or a model directory), the transfer corpus
    (files of one sentence per line), the mode (one of :data:`MODES`), and for ``soft``/``hard`` a transfer
    row's weight against a gold row and the vocabulary's ``min_df``; where teacher scores are cached
    (``None``: not at all)."""

    teacher: str
    corpus: tuple[str, ...]
    mode: str = "lexicon"
    weight: float = 0.1
    min_df: int = 3
    cache: Path | None = None

    def __post_init__(self) -> None:
        # Checked here, not when the teacher has scored for minutes: a bad mode used to fail only then.
        if self.mode not in MODES:
            raise UsageError(f"unknown transfer mode {self.mode!r}; use lexicon, soft or hard (--transfer-mode)")
        if isinstance(self.weight, bool) or not isinstance(self.weight, (int, float)) or not 0 < self.weight < math.inf:
            raise UsageError(f"the transfer weight must be a positive number, not {self.weight!r} (--transfer-weight)")
        if isinstance(self.min_df, bool) or not isinstance(self.min_df, int) or self.min_df < 1:
            raise UsageError(f"min_df must be a whole number, 1 or more, not {self.min_df!r}")


def read_transfer(paths: Iterable[str | os.PathLike[str]], *, exclude: Iterable[str] = ()) -> list[str]:
    """Unlabeled sentences, one per line, from ``paths`` in order: stripped, blank lines and repeats dropped,
    and any sentence in ``exclude`` (the gold texts, say) left out so no gold text is labelled twice."""
    seen = {text.strip(WHITESPACE) for text in exclude}  # compared as the lines are, stripped
    sentences = []
    for path in paths:
        if str(path) == "-":  # every other input reads "-" as stdin; here it was "no such file"
            raise InputError("-: unlabelled sentences are read from files, not stdin; save them to a file and name "
                             "that", file="-")
        try:
            with open(path, "rb") as stream:
                # Bytes a line at a time, so that a bad byte is named by its place in the file (a text stream's
                # UnicodeDecodeError counts from the start of its 8 KiB chunk) and a NUL is seen at all.
                offset = 0
                for raw in stream:
                    if (nul := raw.find(b"\0")) >= 0:
                        raise InputError(f"{path}: binary data (NUL byte at byte {offset + nul}); unlabelled "
                                         "sentences are UTF-8 text, one sentence per line", file=str(path))
                    try:
                        line = raw.decode("utf-8")
                    except UnicodeDecodeError as error:
                        raise InputError(f"{path}: not valid utf-8 at byte {offset + error.start}; unlabelled "
                                         "sentences are UTF-8 text, one sentence per line", file=str(path)) from None
                    offset += len(raw)
                    for piece in line.split("\r"):  # a lone CR ends a line too, as in a text stream
                        # WHITESPACE has the BOM that an editor puts first: str.strip() keeps it, and the first
                        # sentence was then neither a gold text's twin nor the word it starts with.
                        text = piece.strip(WHITESPACE)
                        if text and text not in seen:
                            seen.add(text)
                            sentences.append(text)
        except FileNotFoundError:
            raise InputError(f"{path}: no such file; check the path", file=str(path)) from None
        except OSError as error:  # a directory, no permission
            raise unreadable(str(path), error) from None
    return sentences


def _cache_key(model: Any, sentences: Sequence[str], part: str) -> str:
    from factcomment.accurate import ENCODER_FILES

    digest = hashlib.sha256()
    files = model.card.get("files", {})
    # Encoder logits depend on the encoder's files alone; probabilities on the whole model and its card.
    described = {ENCODER_FILES[0]: files.get(ENCODER_FILES[0])} if part == "encoder" else {
        "files": files, "stacking": model.card.get("stacking"), "threshold": model.card.get("threshold")}
    digest.update(json.dumps(described, sort_keys=True).encode())
    for text in sentences:
        digest.update(text.encode("utf-8", "surrogatepass") + b"\n")
    return f"{part}-{digest.hexdigest()}"


def teacher_scores(model: Any, sentences: Sequence[str], *, cache: str | os.PathLike[str] | None = None,
                   progress: Callable[[int, int], None] | None = None) -> list[float]:
    """The teacher's ``p_comment`` for each sentence, reusing what ``cache`` holds from an earlier run.

    For the accurate tier the cache keeps the encoder's logits (keyed by ``model.onnx.gz``'s hash and the
    sentences), so restacking or retraining the fast part never rescores; for other models it keeps the
    probabilities. Cache files are written whole (temporary file, then rename).
    """
    values, encoder = _cached_scores(model, sentences, cache, progress)
    return model.scorer.p_comment(list(sentences), encoder_logits=values) if encoder else values


def teacher_log_odds(model: Any, sentences: Sequence[str], *, cache: str | os.PathLike[str] | None = None,
                     progress: Callable[[int, int], None] | None = None) -> list[float]:
    """The teacher's log-odds toward comment for each sentence, cached as :func:`teacher_scores` caches.

    For the accurate tier these are the encoder's own logits, without the fast model it is stacked with: the
    student is a fast model, and should learn what the encoder knows beyond one.
    """
    values, encoder = _cached_scores(model, sentences, cache, progress)
    if encoder:
        return values
    return [math.log(p / (1.0 - p)) for p in (min(max(p, 1e-9), 1.0 - 1e-9) for p in values)]


def _cached_scores(model: Any, sentences: Sequence[str], cache: str | os.PathLike[str] | None,
                   progress: Callable[[int, int], None] | None) -> tuple[list[float], bool]:
    """The encoder's logits (and True) for the accurate tier, else ``p_comment`` (and False), from ``cache``
    when it holds them."""
    encoder = getattr(model.scorer, "encoder_logits", None)
    score = encoder if encoder is not None else model.scorer.p_comment
    path = Path(cache) / _cache_key(model, sentences, "encoder" if encoder else "p") if cache is not None else None
    cached = path is not None and path.is_file()
    data, values = b"", array("d")
    if cached:
        try:
            data = path.read_bytes()
        except OSError:  # another user's file in a shared cache: scored again, as a cache that cannot be written
            cached = False
    if len(data) % values.itemsize:
        # Cut short (an old crash, a copy gone wrong): no scores to trust, so they are made again and replaced.
        cached = False
    else:
        values.frombytes(data)
    if not cached or len(values) != len(sentences):
        try:  # before the scoring, which a cache that cannot be kept would otherwise waste
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise OutputError(f"{cache}: cannot keep teacher scores here ({error.strerror}); pass --teacher-cache "
                              "a directory, or none") from None
        values = array("d")
        for begin in range(0, len(sentences), BATCH):
            values.extend(score(list(sentences[begin:begin + BATCH])))
            if progress is not None:
                progress(min(begin + BATCH, len(sentences)), len(sentences))
        if path is not None:
            # A cache that cannot be written (a full disk) costs the next run a rescore, not this run its scores.
            with contextlib.suppress(OSError):
                write_whole(path, values.tobytes())
    return values.tolist(), encoder is not None


def teacher_lexicon(sentences: Sequence[str], log_odds: Sequence[float], *, min_count: int = LEXICON_MIN_COUNT,
                    alpha: float | None = None) -> dict[str, float]:
    """Word -> its value for the fast model's ``teacher`` cue, fitted to reproduce the teacher's log-odds.

    The cue is the mean of its words' values over a text's tokens, so the values are fitted in that very
    form: ridge regression of the centred log-odds on each sentence's word counts divided by its token
    count. Unlike each word's mean score over the sentences holding it, the fit does not credit a neutral
    word for the evaluative words it keeps company with (4 of 4 split-wise tests ranked better,
    docs/distillation.md). Words are tokens of :func:`factcomment.features.tokenise` that begin with a
    letter, so outside quotations of 4+ words, found in at least ``min_count`` sentences. ``alpha`` is the
    ridge penalty; ``None`` chooses it with :func:`lexicon_alpha`. Values are rounded to 6 decimals.

    >>> lexicon = teacher_lexicon(["We must act.", "We met.", "It rained.", "We must.", "It is."],
    ...                           [2.0, 0.5, -2.5, 1.5, -1.5], min_count=2, alpha=0.01)
    >>> sorted(lexicon), lexicon["it"] < 0 < lexicon["we"] < lexicon["must"]
    (['it', 'must', 'we'], True)
    """
    vocabulary, X, z = _lexicon_problem(sentences, log_odds, min_count)
    if not vocabulary:
        return {}
    from sklearn.linear_model import Ridge

    if alpha is None:
        alpha = _best_alpha(X, z)
    coef = Ridge(alpha=alpha).fit(X, z).coef_
    return {word: round(float(value), 6) for word, value in zip(vocabulary, coef)}


def lexicon_alpha(sentences: Sequence[str], log_odds: Sequence[float], *,
                  min_count: int = LEXICON_MIN_COUNT) -> float:
    """The ridge penalty of :data:`LEXICON_ALPHAS` whose lexicon best predicts held-out sentences' log-odds
    (3 folds, R^2); the middle one when there are too few sentences to tell."""
    vocabulary, X, z = _lexicon_problem(sentences, log_odds, min_count)
    return _best_alpha(X, z) if vocabulary else LEXICON_ALPHAS[1]


def _best_alpha(X: Any, z: Any) -> float:
    if X.shape[0] < 100:
        return LEXICON_ALPHAS[1]
    from sklearn.linear_model import Ridge
    from sklearn.model_selection import KFold, cross_val_score

    folds = KFold(3, shuffle=True, random_state=0)
    r2 = [cross_val_score(Ridge(alpha=a), X, z, cv=folds, scoring="r2").mean() for a in LEXICON_ALPHAS]
    return LEXICON_ALPHAS[max(range(len(r2)), key=r2.__getitem__)]


def _lexicon_problem(sentences: Sequence[str], log_odds: Sequence[float], min_count: int):
    """The vocabulary, the sentences' word counts over their token counts (sparse), and the centred log-odds."""
    if len(sentences) != len(log_odds):
        raise UsageError(f"{len(sentences)} transfer sentences but {len(log_odds)} teacher scores")
    import numpy as np
    from scipy.sparse import csr_matrix

    from factcomment.features import tokenise

    tokens = [tokenise(sentence) for sentence in sentences]
    counts = Counter(word for words in tokens for word in set(words) if word[0].isalpha())
    vocabulary = sorted(word for word, count in counts.items() if count >= min_count)
    index = {word: i for i, word in enumerate(vocabulary)}
    rows, columns, values = [], [], []
    for row, words in enumerate(tokens):
        for word in words:
            if word in index:
                rows.append(row)
                columns.append(index[word])
                values.append(1.0 / len(words))
    X = csr_matrix((values, (rows, columns)), shape=(len(tokens), len(vocabulary)))  # repeats are summed
    z = np.asarray(log_odds, dtype=float)
    return vocabulary, X, z - (z.mean() if len(z) else 0.0)


def transfer_rows(sentences: Sequence[str], p_teacher: Sequence[float], *, mode: str, weight: float,
                  threshold: float) -> tuple[list[str], list[str], list[float]]:
    """Teacher-labelled training rows: texts, labels and sample weights.

    ``mode="soft"``: each sentence twice, ``comment`` weighted ``weight * p`` and ``report`` weighted
    ``weight * (1 - p)``; ``mode="hard"``: once, labelled by ``p >= threshold``, weighted ``weight``.
    """
    if mode not in ("soft", "hard"):
        raise UsageError(f"distillation mode {mode!r}: use 'soft' or 'hard'")
    if not 0 < weight < float("inf"):  # nan and inf too: sample weights must be finite
        raise UsageError(f"transfer weight must be positive, not {weight!r}")
    if len(sentences) != len(p_teacher):
        raise UsageError(f"{len(sentences)} transfer sentences but {len(p_teacher)} teacher scores")
    if mode == "hard":
        labels = ["comment" if p >= threshold else "report" for p in p_teacher]
        return list(sentences), labels, [weight] * len(sentences)
    texts = [t for t in sentences for _ in (0, 1)]
    labels = ["comment", "report"] * len(sentences)
    weights = [w for p in p_teacher for w in (weight * p, weight * (1.0 - p))]
    return texts, labels, weights


def balanced_weights(labels: Sequence[str], weights: Sequence[float] | None = None) -> list[float]:
    """Sample weights that give both classes the same total mass (scikit-learn's "balanced", for weighted rows).

    >>> balanced_weights(["report", "report", "report", "comment"])
    [0.6666666666666666, 0.6666666666666666, 0.6666666666666666, 2.0]
    """
    weights = [1.0] * len(labels) if weights is None else list(weights)
    mass = {"report": 0.0, "comment": 0.0}
    for label, w in zip(labels, weights):
        mass[label] += w
    total = mass["report"] + mass["comment"]
    scale = {label: total / (2.0 * m) if m else 0.0 for label, m in mass.items()}
    return [w * scale[label] for label, w in zip(labels, weights)]


def train_distilled(texts: Sequence[str], labels: Sequence[str], transfer: Sequence[str],
                    p_teacher: Sequence[float], *, teacher_threshold: float, mode: str = "soft",
                    weight: float = 0.1, min_df: int = 3, seed: int = 0, folds: int = 5,
                    settings: dict[str, Any] | None = None, background=None):
    """Train the fast model on gold rows plus teacher-labelled transfer rows.

    Gold rows are balanced among themselves, transfer rows among themselves (by their soft or hard label
    mass, since a news corpus is mostly reporting and the student must not learn that everything is), and a
    transfer row then weighs ``weight`` times a gold row. Terms must occur in ``min_df`` rows (a soft
    transfer sentence counts twice), which keeps the vocabulary, and so the scorer, small. The threshold and
    the metrics come from ``folds``-fold cross-validation over the *gold* rows, with all transfer rows in
    every training fold, so they are as honest as :func:`factcomment.model.train`'s. ``background``
    document frequencies join the IDF, as in :func:`factcomment.model.train`.

    Returns a :class:`factcomment.model.TrainResult`; its ``settings`` are the Pipeline's.
    """
    import numpy as np
    from sklearn.base import clone
    from sklearn.metrics import roc_auc_score

    from factcomment.evaluation import best_threshold
    from factcomment.model import TrainResult, fold_settings, build_pipeline, cv_splits, slim, validate_training_data

    texts, y = validate_training_data(texts, labels)
    t_texts, t_labels, t_weights = transfer_rows(transfer, p_teacher, mode=mode, weight=1.0,
                                                 threshold=teacher_threshold)
    gold_w = balanced_weights(list(y))
    # Balanced within the transfer rows, then scaled so that one transfer row weighs `weight` gold rows.
    t_weights = [weight * w for w in balanced_weights(t_labels, t_weights)]
    # The weights do the balancing. One CV picks the threshold: each repeat refits on every transfer row.
    s, folds = fold_settings(y, settings, folds)  # fewer folds, as train's, when a class is rare
    s = {**s, "class_weight": None, "min_df": min_df, "threshold_repeats": 1}
    pipeline = build_pipeline(s, seed=seed, background=background)

    def fit(rows):
        return clone(pipeline).fit([texts[i] for i in rows] + t_texts, [y[i] for i in rows] + t_labels,
                                   clf__sample_weight=np.array([gold_w[i] for i in rows] + t_weights))

    p_oof = np.zeros(len(texts))
    for fit_rows, held_rows in cv_splits(texts, y, folds, seed):
        model = fit(fit_rows)
        column = list(model.classes_).index("comment")
        p_oof[held_rows] = model.predict_proba([texts[i] for i in held_rows])[:, column]
    threshold, metrics = best_threshold(y == "comment", p_oof)
    metrics.update(n=len(y), folds=folds, seed=seed, auc=float(roc_auc_score(y == "comment", p_oof)),
                   counts={label: int((y == label).sum()) for label in LABELS},
                   transfer={"rows": len(transfer), "mode": mode, "weight": weight, "balanced": True})
    final = fit(range(len(texts)))
    slim(final)
    return TrainResult(final, threshold, metrics, s)
