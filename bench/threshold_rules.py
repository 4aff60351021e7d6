"""Is the fast model's threshold rule the lever? Nested cross-validation of threshold rules.

    python bench/threshold_rules.py [--data DIR] [--repeats 5] [--pool pooled|train+dev]

The fast model picks its threshold as the cut that maximises out-of-fold macro-F1 in one 5-fold CV of the
whole Pipeline (rule R0). This compares that with rules that use more CV repeats (seeds 0..repeats-1) or a
smoothed macro-F1 curve, with a fixed 0.5, and with the mean of 200 bootstrap argmaxes of one CV (R7, for the accurate tier, whose
CV repeats would cost fine-tunes). Outer loop: 5 grouped stratified folds of CheckThat
train+dev+dev_test pooled (or of train+dev alone, ``--pool train+dev``), for three outer seeds (15 splits);
on each outer training part, every rule picks
a threshold from its inner out-of-fold probabilities, the Pipeline is fitted on the whole part, and the
outer held-out part is scored at each rule's threshold. "oracle" is the best cut on the held-out part
itself (not a rule: the ceiling). A last row does the same for train+dev -> dev_test, printed for
reference and not used to choose. The CheckThat data (CC BY-NC-SA 4.0) is read at run time, never copied.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

from quality import has_checkthat, read  # noqa: E402  (bench/ is on sys.path when a bench script runs)


def oof(x, y, seed: int):
    """Out-of-fold p_comment of the whole Pipeline, as factcomment.model.train computes it."""
    from sklearn.model_selection import StratifiedGroupKFold, cross_val_predict

    from factcomment.model import build_pipeline

    cv = StratifiedGroupKFold(5, shuffle=True, random_state=seed)
    proba = cross_val_predict(build_pipeline(seed=seed), list(x), y, groups=list(x), cv=cv, method="predict_proba")
    return proba[:, 0]  # columns in np.unique order: comment, report


def argmax_cut(y, p) -> float:
    from factcomment.evaluation import best_threshold

    return best_threshold(y == "comment", p)[0]


def smoothed_cut(y, p, width: float = 0.02) -> float:
    """The cut maximising macro-F1 averaged over a window of +-width, on a 0.005 grid."""
    import numpy as np

    from factcomment.evaluation import score

    grid = np.linspace(0.05, 0.95, 181)
    gold = np.where(y == "comment", "comment", "report").tolist()
    f1 = np.array([score(gold, p.tolist(), t).macro_f1 for t in grid])
    kernel = np.ones(int(width / 0.005) * 2 + 1) / (int(width / 0.005) * 2 + 1)
    smooth = np.convolve(np.pad(f1, len(kernel) // 2, mode="edge"), kernel, mode="valid")
    return float(grid[np.argmax(smooth)])


def bagged_cut(y, p, rounds: int = 200, seed: int = 0) -> float:
    """The mean of the argmax cuts of ``rounds`` bootstrap resamples of one CV's out-of-fold scores: a candidate
    for the accurate tier, whose CV repeats would cost fine-tunes."""
    import numpy as np

    draw = np.random.default_rng(seed).integers
    return float(np.mean([argmax_cut(y[rows], p[rows]) for rows in (draw(0, len(p), len(p)) for _ in range(rounds))]))


def rules(y, ps) -> dict[str, float]:
    import numpy as np

    per_repeat = [argmax_cut(y, p) for p in ps]
    all_p, all_y = np.concatenate(ps), np.concatenate([y] * len(ps))
    return {"R0 one CV, argmax (shipped)": per_repeat[0],
            "R1 all repeats pooled, argmax": argmax_cut(all_y, all_p),
            "R2 median of repeats' argmaxes": float(np.median(per_repeat)),
            "R3 mean of repeats' argmaxes": float(np.mean(per_repeat)),
            "R4 fixed 0.5": 0.5,
            "R5 one CV, smoothed curve": smoothed_cut(y, ps[0]),
            "R6 all repeats, smoothed curve": smoothed_cut(all_y, all_p),
            "R7 one CV, mean of bootstrap argmaxes": bagged_cut(y, ps[0])}


def main(argv: list[str] | None = None) -> int:
    import numpy as np
    from sklearn.model_selection import StratifiedGroupKFold

    from factcomment.evaluation import score
    from factcomment.evaluation import best_threshold
    from factcomment.model import build_pipeline

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "checkthat2025-en")
    parser.add_argument("--repeats", type=int, default=5, help="inner CV repeats for the rules that use them")
    parser.add_argument("--pool", choices=("pooled", "train+dev"), default="pooled",
                        help="what the outer folds split: train+dev+dev_test pooled, or train+dev alone")
    args = parser.parse_args(argv)
    if not has_checkthat(args.data, "threshold_rules"):
        return 2
    train_dev, test = read([args.data / "train_en.tsv", args.data / "dev_en.tsv"]), read([args.data / "dev_test_en.tsv"])
    x = np.array(train_dev[0] + test[0], dtype=object)
    y = np.array(train_dev[1] + test[1], dtype=object)
    n = len(train_dev[0])
    outer = slice(None) if args.pool == "pooled" else slice(0, n)
    splits = [(f"{args.pool}, outer seed {s}", fit, held) for s in (11, 12, 13)
              for fit, held in StratifiedGroupKFold(5, shuffle=True, random_state=s).split(
                  x[outer], y[outer], groups=x[outer])]
    splits.append(("dev_test, trained on train+dev (reference)", np.arange(n), np.arange(n, len(x))))
    outer_rows = []
    for number, (name, fit, held) in enumerate(splits, 1):
        cuts = rules(y[fit], [oof(x[fit], y[fit], seed) for seed in range(args.repeats)])
        model = build_pipeline(seed=0).fit(list(x[fit]), y[fit])
        p = model.predict_proba(list(x[held]))[:, 0]
        f1 = {rule: score(y[held].tolist(), p.tolist(), cut).macro_f1 for rule, cut in cuts.items()}
        f1["oracle (best cut on the held-out part)"] = best_threshold(y[held] == "comment", p)[1]["macro_f1"]
        print(f"{name}: " + "; ".join(f"{r.split()[0]} {cuts[r]:.3f} -> {f1[r]:.3f}" for r in cuts)
              + f"; oracle {f1['oracle (best cut on the held-out part)']:.3f}", flush=True)
        if number < len(splits):
            outer_rows.append(f1)
        else:
            reference = f1
    print(f"\nmacro-F1 on the outer held-out parts, mean +- standard error over {len(outer_rows)} splits, "
          f"and the mean paired difference from R0:")
    for rule in outer_rows[0]:
        values = np.array([row[rule] for row in outer_rows])
        diff = values - np.array([row["R0 one CV, argmax (shipped)"] for row in outer_rows])
        print(f"  {rule:40s} {values.mean():.4f} +- {values.std() / np.sqrt(len(values)):.4f}   "
              f"{diff.mean():+.4f} +- {diff.std() / np.sqrt(len(diff)):.4f}   dev_test {reference[rule]:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
