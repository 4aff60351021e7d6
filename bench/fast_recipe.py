"""Choose the fast model's settings by cross-validation, then report dev_test and the seeds once.

    python bench/fast_recipe.py [--data DIR] [--folds 5] [--only NAME,...]   # the candidates' CV figures
    python bench/fast_recipe.py --seeds                      # CV with and without the seeds in training
    python bench/fast_recipe.py --final                      # dev_test and seeds check of the defaults

Each candidate (a dict of overrides of ``factcomment.model.DEFAULT_SETTINGS``) is cross-validated with
stratified ``--folds`` folds on two pools: CheckThat train+dev, and train+dev+dev_test pooled, so that no
choice rests on dev_test alone (dev_test is unusually rich in quoted reporting; see docs/model.md). Per pool
it prints the AUC of the out-of-fold decision values overall, on quoted sentences (any double or opening
single quotation mark) and on unquoted ones, and the macro-F1 at the out-of-fold threshold that maximises it
(optimistic in absolute terms, fair between candidates). Calibration is monotonic, so CV fits the
uncalibrated classifier. ``--final`` then trains the default recipe with ``factcomment.model.train`` on
train+dev only, applies its CV-chosen threshold to dev_test, and checks the seeds (never in training).
The CheckThat data (CC BY-NC-SA) is read at run time and never copied into the repository.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

from quality import has_checkthat, read  # noqa: E402  (bench/ is on sys.path when a bench script runs)

QUOTE_MARKS = '"\u201c\u201d\u201e\u201f\u00ab\u00bb\u2018\u201a'


def _scare(limit: int) -> dict:
    from functools import partial

    from factcomment.features import analyse

    return {"features__words__analyzer": partial(analyse, scare_max=limit), "features__cues__scare_max": limit}


# Each candidate: overrides of DEFAULT_SETTINGS, plus "params" for scikit-learn's set_params on the Pipeline
# for what the shipped recipe does not offer as a setting (another tf, another scare-quote limit, no cues).
CANDIDATES = {
    "default": {},
    "C 1": {"C": 1.0},
    "C 10": {"C": 10.0},
    "C 30": {"C": 30.0},
    "cues 0.2": {"cue_weight": 0.2},
    "cues 0.5": {"cue_weight": 0.5},
    "cues 1.0": {"cue_weight": 1.0},
    "no cues": {"params": {"features__cues": "drop"}},
    "sublinear tf": {"params": {"features__words__binary": False, "features__words__sublinear_tf": True}},
    "scare <= 2": {"params": lambda: _scare(2)},
    "scare <= 5": {"params": lambda: _scare(5)},
}


def is_quoted(text: str) -> bool:
    return any(mark in text for mark in QUOTE_MARKS)


def aucs(y, scores, texts) -> tuple[float, float, float]:
    """AUC overall, on quoted texts and on unquoted ones."""
    import numpy as np
    from sklearn.metrics import roc_auc_score

    y, scores = np.asarray(y) == "comment", np.asarray(scores)
    quoted = np.array([is_quoted(t) for t in texts])
    return tuple(float(roc_auc_score(y[m], scores[m])) for m in (np.ones_like(quoted), quoted, ~quoted))


def best_macro_f1(y, scores) -> float:
    import numpy as np

    from factcomment.evaluation import best_threshold

    return best_threshold(np.asarray(y) == "comment", np.asarray(scores, dtype=float))[1]["macro_f1"]


def cross_validate(settings: dict, texts: list[str], y: list[str], folds: int,
                   extra: tuple[list[str], list[str]] = ([], []), *, seed: int = 0, background=None) -> dict:
    """Out-of-fold figures of a candidate; ``extra`` texts and labels join every training fold only, the
    folds are split with ``seed``, and ``background`` document frequencies join the IDF."""
    import numpy as np
    from sklearn.base import clone
    from sklearn.model_selection import StratifiedKFold

    from factcomment.model import build_pipeline

    settings = dict(settings)
    params = settings.pop("params", {})
    pipeline = build_pipeline(settings, background=background)
    pipeline.set_params(**(params() if callable(params) else params))
    # The calibrated step is monotonic: CV scores the LogisticRegression inside it directly.
    pipeline.steps[-1] = ("clf", pipeline.named_steps["clf"].estimator)
    scores = np.zeros(len(texts))
    for fit, held in StratifiedKFold(folds, shuffle=True, random_state=seed).split(texts, y):
        model = clone(pipeline).fit([texts[i] for i in fit] + extra[0], [y[i] for i in fit] + extra[1])
        sign = 1.0 if list(model.classes_)[1] == "comment" else -1.0
        scores[held] = sign * model.decision_function([texts[i] for i in held])
    auc, quoted, unquoted = aucs(y, scores, texts)
    return {"macro_f1": best_macro_f1(y, scores), "auc": auc, "auc_quoted": quoted, "auc_unquoted": unquoted}


def candidates(data: Path, folds: int, only: list[str], base: dict) -> None:
    train_dev = read([data / "train_en.tsv", data / "dev_en.tsv"])
    test = read([data / "dev_test_en.tsv"])
    pooled = (train_dev[0] + test[0], train_dev[1] + test[1])
    print(f"{folds}-fold CV; pools: train+dev ({len(train_dev[0])}), train+dev+dev_test ({len(pooled[0])})")
    print(f"{'candidate':14s} | {'train+dev: F1   AUC  quoted unquoted':36s} | pooled: F1   AUC  quoted unquoted")
    for name, settings in CANDIDATES.items():
        if only and name not in only:
            continue
        row = [cross_validate({**base, **settings}, *pool, folds) for pool in (train_dev, pooled)]
        print(f"{name:14s} | " + " | ".join(
            f"{r['macro_f1']:.3f} {r['auc']:.3f} {r['auc_quoted']:.3f} {r['auc_unquoted']:.3f}" for r in row),
            flush=True)


def seeds_help(data: Path, folds: int) -> None:
    """CV of the defaults on both pools with the seeds (data/seeds.jsonl) added to every training fold or not."""
    train_dev = read([data / "train_en.tsv", data / "dev_en.tsv"])
    test = read([data / "dev_test_en.tsv"])
    pooled = (train_dev[0] + test[0], train_dev[1] + test[1])
    seeds = read([ROOT / "data" / "seeds.jsonl"])
    print(f"{folds}-fold CV of the defaults; the {len(seeds[0])} seed paragraphs join each training fold or not")
    for name, extra in (("without seeds", ([], [])), ("with seeds", seeds)):
        row = [cross_validate({}, *pool, folds, extra) for pool in (train_dev, pooled)]
        print(f"{name:14s} | " + " | ".join(
            f"{r['macro_f1']:.3f} {r['auc']:.3f} {r['auc_quoted']:.3f} {r['auc_unquoted']:.3f}" for r in row),
            flush=True)


def final(data: Path) -> None:
    from factcomment.evaluation import score
    from factcomment.model import DEFAULT_SETTINGS, train
    from factcomment.scorer import Scorer, compile_scorer

    texts, labels = read([data / "train_en.tsv", data / "dev_en.tsv"])
    x_test, y_test = read([data / "dev_test_en.tsv"])
    began = time.perf_counter()
    result = train(texts, labels)
    scorer = Scorer.from_dict(compile_scorer(result.pipeline, result.threshold))
    print(f"settings {DEFAULT_SETTINGS}")
    print(f"trained on train+dev ({len(texts)}) in {time.perf_counter() - began:.1f} s; CV macro-F1 "
          f"{result.cv_metrics['macro_f1']:.3f} at threshold {result.threshold:.3f} (chosen by CV)")
    p = scorer.p_comment(x_test)
    evaluation = score(y_test, p, result.threshold)
    auc, quoted, unquoted = aucs(y_test, p, x_test)
    n_quoted = sum(map(is_quoted, x_test))
    print(f"dev_test ({len(x_test)}): macro-F1 {evaluation.macro_f1:.3f}; AUC {auc:.3f}, quoted {quoted:.3f} "
          f"({n_quoted}), unquoted {unquoted:.3f} ({len(x_test) - n_quoted})")
    per_class = evaluation.as_dict()["per_class"]
    print("  " + "; ".join(f"{label} P/R/F1 {m['precision']:.3f}/{m['recall']:.3f}/{m['f1']:.3f}"
                           for label, m in per_class.items()))
    # The seeds as `factcomment split` labels them: asides (marker stripped) comment, the rest report.
    seed_x, seed_y = read([ROOT / "seeds"])
    predicted = ["comment" if q >= result.threshold else "report" for q in scorer.p_comment(seed_x)]
    asides = sum(p == t == "comment" for p, t in zip(predicted, seed_y))
    reports = sum(p == t == "report" for p, t in zip(predicted, seed_y))
    print(f"seeds (paragraphs, not in training): asides found {asides}/{seed_y.count('comment')}, "
          f"reports kept {reports}/{seed_y.count('report')}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "checkthat2025-en",
                        help="directory with train_en.tsv, dev_en.tsv and dev_test_en.tsv")
    parser.add_argument("--folds", type=int, default=5, help="cross-validation folds")
    parser.add_argument("--only", default="", help="comma-separated candidate names to run (default: all)")
    parser.add_argument("--base", default="{}", help="JSON settings every candidate starts from, e.g. '{\"C\": 10}'")
    parser.add_argument("--seeds", action="store_true", help="CV of the defaults with and without the seeds")
    parser.add_argument("--final", action="store_true", help="dev_test figures and seeds check of the defaults")
    args = parser.parse_args(argv)
    if not has_checkthat(args.data, "fast_recipe"):
        return 2
    if args.final:
        final(args.data)
    elif args.seeds:
        seeds_help(args.data, args.folds)
    else:
        candidates(args.data, args.folds, [n for n in args.only.split(",") if n], json.loads(args.base))
    return 0


if __name__ == "__main__":
    sys.exit(main())
