"""Would IDF counted on a large news corpus help the fast model rank? A cross-validated probe.

    python bench/background_idf.py [--data DIR] [--wikinews DIR] [--repeats 5]

The fast model's IDF comes from its ~1,300-1,800 training sentences. Here each term's document frequency
also counts the unlabelled Wikinews sentences (idf = ln((1 + n + N) / (1 + df_gold + df_wikinews)) + 1; the
vocabulary stays the gold data's), which should weigh words as news in general uses them. Printed: the
paired gain over the recipe in out-of-fold macro-F1 (best cut) and AUC overall / quoted / unquoted, mean ±
standard error over ``--repeats`` 5-fold CVs (seeds 0, 1, ...) on train+dev and on train+dev+dev_test
pooled; then, for reference only, dev_test and the seeds for both models trained on train+dev with the
shipped threshold rule. Data are read at run time only.
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

from fast_recipe import aucs, best_macro_f1  # noqa: E402  (bench/ is on sys.path when a bench script runs)
from quality import has_checkthat, read  # noqa: E402


def background_vectorizer(wikinews: Path):
    """A TfidfVectorizer subclass whose idf_ also counts the Wikinews sentences' document frequencies."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    from factcomment import features

    df, n_background = Counter(), 0
    for path in sorted(wikinews.glob("*.sentences.txt")):
        with path.open(encoding="utf-8") as lines:
            for line in filter(str.strip, lines):
                df.update(set(features.analyse(line)))
                n_background += 1

    class BackgroundTfidf(TfidfVectorizer):
        def fit(self, raw, y=None):
            super().fit(raw)
            n = len(raw)
            gold_df = (1 + n) / np.exp(self.idf_ - 1) - 1   # inverts smooth idf = ln((1 + n) / (1 + df)) + 1
            extra = np.array([df.get(term, 0) for term in self.get_feature_names_out()], dtype=float)
            self.idf_ = np.log((1 + n + n_background) / (1 + gold_df + extra)) + 1
            return self

        def fit_transform(self, raw, y=None):
            return self.fit(raw).transform(raw)

    return BackgroundTfidf, n_background


def oof_figures(texts, y, seed):
    import numpy as np
    from sklearn.base import clone
    from sklearn.model_selection import StratifiedKFold

    from factcomment.model import build_pipeline

    pipeline = build_pipeline()
    pipeline.steps[-1] = ("clf", pipeline.named_steps["clf"].estimator)   # calibration is monotonic
    scores = np.zeros(len(texts))
    for fit, held in StratifiedKFold(5, shuffle=True, random_state=seed).split(texts, y):
        model = clone(pipeline).fit([texts[i] for i in fit], [y[i] for i in fit])
        sign = 1.0 if list(model.classes_)[1] == "comment" else -1.0
        scores[held] = sign * model.decision_function([texts[i] for i in held])
    return np.array([best_macro_f1(y, scores), *aucs(y, scores, texts)])


def main(argv: list[str] | None = None) -> int:
    import numpy as np

    import factcomment.model as model
    from factcomment.evaluation import score
    from factcomment.scorer import Scorer, compile_scorer

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "checkthat2025-en")
    parser.add_argument("--wikinews", type=Path, default=ROOT.parent / "shared" / "data" / "wikinews-en")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    if not has_checkthat(args.data, "background_idf"):
        return 2
    plain = model.TfidfVectorizer
    background, n_background = background_vectorizer(args.wikinews)
    train_dev = read([args.data / "train_en.tsv", args.data / "dev_en.tsv"])
    test = read([args.data / "dev_test_en.tsv"])
    pooled = (train_dev[0] + test[0], train_dev[1] + test[1])
    print(f"background: {n_background} Wikinews sentences; gains over the recipe, mean ± SE of {args.repeats} "
          "paired 5-fold CVs: macro-F1 (best cut), AUC, quoted, unquoted")
    for name, pool in (("train+dev", train_dev), ("pooled", pooled)):
        gains = []
        for seed in range(args.repeats):
            model.TfidfVectorizer = background
            with_background = oof_figures(*pool, seed)
            model.TfidfVectorizer = plain
            gains.append(with_background - oof_figures(*pool, seed))
        gains = np.array(gains)
        se = gains.std(0, ddof=1) / np.sqrt(len(gains))
        print(f"{name:10s} " + "  ".join(f"{m:+.4f} ± {s:.4f}" for m, s in zip(gains.mean(0), se)), flush=True)
    seed_x, seed_y = read([ROOT / "seeds"])
    for name, vectorizer in (("recipe", plain), ("background idf", background)):
        model.TfidfVectorizer = vectorizer
        result = model.train(*train_dev)
        scorer = Scorer.from_dict(compile_scorer(result.pipeline, result.threshold))
        p = scorer.p_comment(test[0])
        auc, quoted, unquoted = aucs(test[1], p, test[0])
        labels = ["comment" if q >= result.threshold else "report" for q in scorer.p_comment(seed_x)]
        asides = sum(a == b == "comment" for a, b in zip(labels, seed_y))
        reports = sum(a == b == "report" for a, b in zip(labels, seed_y))
        print(f"{name:15s} dev_test macro-F1 {score(test[1], p, result.threshold).macro_f1:.4f} at "
              f"{result.threshold:.3f} (best cut {best_macro_f1(test[1], p):.4f}); AUC {auc:.3f}, quoted "
              f"{quoted:.3f}, unquoted {unquoted:.3f}; seeds {asides}/4, {reports}/23", flush=True)
    model.TfidfVectorizer = plain
    return 0


if __name__ == "__main__":
    sys.exit(main())
