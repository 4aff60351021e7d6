"""Scoring a model against labelled data: macro-F1, per-class precision/recall/F1, confusion matrix."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from factcomment.errors import UsageError
from factcomment.results import LABELS

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True, slots=True)
class ClassScores:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Evaluation:
    """How predictions compare with gold labels.

    ``confusion[i][j]`` counts texts whose gold label is ``LABELS[i]`` and predicted label ``LABELS[j]``.
    ``gold`` and ``p_comment`` are kept so that curves can be drawn at other thresholds.
    """

    n: int
    threshold: float
    macro_f1: float
    accuracy: float
    per_class: dict[str, ClassScores]
    confusion: tuple[tuple[int, int], tuple[int, int]]
    gold: tuple[str, ...]
    p_comment: tuple[float, ...]

    def as_dict(self) -> dict:
        """The figures as plain JSON-ready data (without the per-text lists)."""
        return {
            "n": self.n,
            "threshold": self.threshold,
            "macro_f1": round(self.macro_f1, 4),
            "accuracy": round(self.accuracy, 4),
            "per_class": {label: {"precision": round(s.precision, 4), "recall": round(s.recall, 4),
                                  "f1": round(s.f1, 4), "support": s.support}
                          for label, s in self.per_class.items()},
            "confusion": {"labels": list(LABELS), "rows_gold_columns_predicted": [list(r) for r in self.confusion]},
        }


def score(gold: Sequence[str], p_comment: Sequence[float], threshold: float) -> Evaluation:
    """Compare gold labels with probabilities cut at ``threshold``.

    >>> score(["report", "comment", "comment"], [0.1, 0.9, 0.3], 0.5).macro_f1
    0.6666666666666666
    """
    if len(gold) != len(p_comment):
        raise UsageError(f"{len(gold)} gold labels but {len(p_comment)} predictions")
    if not gold:
        raise UsageError("nothing to evaluate: no labelled texts were read")
    index = {label: i for i, label in enumerate(LABELS)}
    matrix = [[0, 0], [0, 0]]
    for label, p in zip(gold, p_comment):
        matrix[index[label]][1 if p >= threshold else 0] += 1
    per_class = {}
    for i, label in enumerate(LABELS):
        true_positive = matrix[i][i]
        predicted = matrix[0][i] + matrix[1][i]
        support = sum(matrix[i])
        precision = true_positive / predicted if predicted else 0.0
        recall = true_positive / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[label] = ClassScores(precision, recall, f1, support)
    return Evaluation(
        n=len(gold), threshold=threshold,
        macro_f1=sum(s.f1 for s in per_class.values()) / len(per_class),
        accuracy=(matrix[0][0] + matrix[1][1]) / len(gold),
        per_class=per_class,
        confusion=(tuple(matrix[0]), tuple(matrix[1])),
        gold=tuple(gold), p_comment=tuple(p_comment),
    )


def best_threshold(is_comment: np.ndarray, p: np.ndarray) -> tuple[float, dict[str, Any]]:
    """The cut on ``p`` maximising macro-F1 (midpoint between neighbouring scores), and the metrics there."""
    import numpy as np

    order = np.argsort(-p, kind="stable")
    sorted_p, sorted_y = p[order], is_comment[order]
    # Cutting after position k labels the k+1 highest scores comment; only cut between distinct scores.
    tp, fp = np.cumsum(sorted_y), np.cumsum(~sorted_y)
    n_pos, n = int(is_comment.sum()), len(p)
    fn, tn = n_pos - tp, (n - n_pos) - fp
    f1_comment = 2 * tp / np.maximum(2 * tp + fp + fn, 1)
    f1_report = 2 * tn / np.maximum(2 * tn + fn + fp, 1)
    macro = (f1_comment + f1_report) / 2
    valid = np.append(sorted_p[:-1] > sorted_p[1:], True)
    k = int(np.argmax(np.where(valid, macro, -1.0)))
    threshold = float((sorted_p[k] + sorted_p[k + 1]) / 2) if k + 1 < n else float(np.nextafter(sorted_p[k], -1))
    # The figures at the chosen cut, as score() computes and shapes them for every data set.
    gold = np.where(is_comment, "comment", "report").tolist()
    return threshold, score(gold, p.tolist(), threshold).as_dict()


def precision_recall_curve(gold: Sequence[str], p_comment: Sequence[float]) -> list[tuple[float, float, float]]:
    """``(threshold, precision, recall)`` of the comment class at every distinct probability, high to low."""
    pairs = sorted(zip(p_comment, gold), reverse=True)
    positives = sum(1 for g in gold if g == "comment")
    points, hits = [], 0
    for rank, (p, label) in enumerate(pairs, start=1):
        hits += label == "comment"
        if rank == len(pairs) or pairs[rank][0] != p:
            points.append((p, hits / rank, hits / positives if positives else 0.0))
    return points


def warn_one_class(units: Sequence[Any], problems: Any, which: str, figure: str, data: str) -> None:
    """Warn when every unit has the same label: the other class's F1 is then 0 by default, not measured."""
    if len(present := {u.label for u in units}) == 1:
        problems.warn(f"every {which} label is {present.pop()!r}: {figure} averages in a class with no examples; "
                      f"check {data} or the --label-map")


def evaluate_files(paths: Sequence[str], options, problems, *, model=None, threshold: float | None = None,
                   allow_version_mismatch: bool = False) -> Evaluation:
    """Read labelled ``paths`` and score ``model`` (default: the shipped one) on them.

    Marked asides are scored on their text without the marker, so the figures measure the model alone.
    """
    from factcomment.api import resolve_model
    from factcomment.inference import check_threshold
    from factcomment.labelled import read_labelled

    check_threshold(threshold)  # NaN passes a range check (every comparison is false): --threshold nan did
    units = read_labelled(paths, options, problems)
    warn_one_class(units, problems, "gold", "macro-F1", "the data")
    loaded = resolve_model(model, allow_version_mismatch=allow_version_mismatch)
    cut = loaded.threshold if threshold is None else threshold
    return score([u.label for u in units], loaded.p_comment([u.text for u in units]), cut)


def render_table(result: Evaluation) -> str:
    """The figures as a small plain-text table."""
    lines = [f"n={result.n}  threshold={result.threshold:.4f}  macro-F1={result.macro_f1:.4f}  "
             f"accuracy={result.accuracy:.4f}", "",
             f"{'class':<10}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}"]
    for label, s in result.per_class.items():
        lines.append(f"{label:<10}{s.precision:>10.4f}{s.recall:>10.4f}{s.f1:>10.4f}{s.support:>10}")
    (rr, rc), (cr, cc) = result.confusion
    lines += ["", "confusion (rows gold, columns predicted)", f"{'':<10}{'report':>10}{'comment':>10}",
              f"{'report':<10}{rr:>10}{rc:>10}", f"{'comment':<10}{cr:>10}{cc:>10}"]
    return "\n".join(lines)
