"""A picture of an evaluation: the confusion matrix and the comment class's precision-recall curve.

matplotlib is an optional extra (``pip install 'factcomment[plot]'``); it is imported only when a plot is drawn,
with the non-interactive Agg backend, so nothing here needs a display.
"""
from __future__ import annotations

from typing import BinaryIO

from factcomment.errors import OutputError, UsageError
from factcomment.evaluation import Evaluation, precision_recall_curve
from factcomment.results import LABELS

__all__ = ["plot_evaluation", "require_matplotlib"]


def require_matplotlib() -> None:
    """Raise UsageError, saying how to install it, when matplotlib is missing (before a long evaluation)."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise UsageError("--plot needs matplotlib: pip install 'factcomment[plot]'") from None


def plot_evaluation(result: Evaluation, path: str | BinaryIO) -> None:
    """Draw the confusion matrix and the precision-recall curve, with the threshold marked, to a PNG at ``path``
    (or into a binary stream).

    Raises
    ------
    UsageError
        When matplotlib is not installed.
    OutputError
        When ``path`` cannot be written.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib.figure import Figure
    except ImportError:
        raise UsageError("--plot needs matplotlib: pip install 'factcomment[plot]'") from None

    figure = Figure(figsize=(10, 4.4), dpi=120, layout="constrained")
    left, right = figure.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.25]})
    _confusion(left, result)
    _curve(right, result)
    figure.suptitle(f"n={result.n}   threshold={result.threshold:.3f}   macro-F1={result.macro_f1:.3f}   "
                    f"accuracy={result.accuracy:.3f}", fontsize=11)
    try:
        figure.savefig(path, format="png")
    except OSError as error:
        raise OutputError(f"{path}: cannot write the plot ({error.strerror or error}); check the path") from None


def _confusion(ax, result: Evaluation) -> None:
    matrix = [list(row) for row in result.confusion]
    peak = max(max(row) for row in matrix) or 1
    ax.imshow(matrix, cmap="Blues", vmin=0, vmax=peak)
    for i, row in enumerate(matrix):
        for j, count in enumerate(row):
            share = count / sum(row) if sum(row) else 0.0
            # Dark text on light cells, white on dark ones, so every count stays readable.
            ax.text(j, i, f"{count}\n({share:.0%} of row)", ha="center", va="center", fontsize=11,
                    color="white" if count > peak * 0.55 else "#1f2328")
    ax.set_xticks(range(len(LABELS)), labels=LABELS)
    ax.set_yticks(range(len(LABELS)), labels=LABELS)
    ax.set(xlabel="predicted", ylabel="gold", title="Confusion matrix")


def _curve(ax, result: Evaluation) -> None:
    points = precision_recall_curve(result.gold, result.p_comment)
    recall = [0.0] + [r for _, _, r in points]
    precision = [points[0][1] if points else 1.0] + [p for _, p, _ in points]
    ax.plot(recall, precision, color="#0550ae", linewidth=2, drawstyle="steps-post", label="comment class")
    base = sum(g == "comment" for g in result.gold) / len(result.gold) if result.gold else 0.0
    ax.axhline(base, color="#8c959f", linestyle=":", linewidth=1, label=f"chance (share of comment {base:.2f})")
    at = result.per_class["comment"]
    ax.plot([at.recall], [at.precision], marker="o", markersize=9, color="#bc4c00", markeredgecolor="black",
            linestyle="none", label=f"threshold {result.threshold:.3f}")
    ax.annotate(f"threshold {result.threshold:.3f}\nP={at.precision:.2f} R={at.recall:.2f}",
                (at.recall, at.precision), xytext=(-12, -14), textcoords="offset points", ha="right", va="top",
                fontsize=9, arrowprops={"arrowstyle": "-", "color": "#57606a"})
    ax.set(xlim=(0, 1.02), ylim=(0, 1.05), xlabel="recall (comment)", ylabel="precision (comment)",
           title="Precision-recall, comment class")
    ax.grid(True, color="#d0d7de", linewidth=0.6)
    ax.legend(loc="lower left", fontsize=8, frameon=False)
