"""Would IDF counted on a large news corpus help the fast model rank? A cross-validated probe.

    python bench/background_idf.py [--data DIR] [--wikinews DIR] [--repeats 5]

The fast model's IDF comes from its ~1,300-1,800 training sentences. Here each term's document frequency
also counts the unlabelled Wikinews sentences (idf = ln((1 + n + N) / (1 + df_gold + df_wikinews)) + 1; the
vocabulary stays the gold data's), which should weigh words as news in general uses them. Printed: the
paired gain over gold-only IDF in out-of-fold macro-F1 (best cut) and AUC overall / quoted / unquoted, mean ±
standard error over ``--repeats`` 5-fold CVs (seeds 0, 1, ...) on train+dev and on train+dev+dev_test
pooled; then, for reference only, dev_test and the seeds for both models trained on train+dev with the
shipped threshold rule. Data are read at run time only.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

from fast_recipe import aucs, best_macro_f1, cross_validate  # noqa: E402  (bench/ is on sys.path when a bench script runs)
from quality import has_checkthat, read  # noqa: E402


def wikinews_frequencies(wikinews: Path):
    """Document frequencies of the Wikinews sentences, read as `factcomment train --background` reads them."""
    from factcomment.distil import read_transfer
    from factcomment.model import document_frequencies

    return document_frequencies(read_transfer(sorted(wikinews.glob("*.sentences.txt"))))


def oof_figures(texts, y, seed, background, settings: dict | None = None):
    """Out-of-fold macro-F1 (best cut) and AUC overall / quoted / unquoted of the recipe (changed by
    ``settings``), as an array to subtract."""
    import numpy as np

    r = cross_validate(settings or {}, texts, y, 5, seed=seed, background=background)
    return np.array([r["macro_f1"], r["auc"], r["auc_quoted"], r["auc_unquoted"]])


def paired_setup(argv: list[str] | None, doc: str, prog: str):
    """The arguments, the Wikinews frequencies, train+dev and dev_test, as the paired probes read them (None
    when the CheckThat data are missing; the caller exits 2)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "checkthat2025-en")
    parser.add_argument("--wikinews", type=Path, default=ROOT.parent / "shared" / "data" / "wikinews-en")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    if not has_checkthat(args.data, prog):
        return None
    train_dev = read([args.data / "train_en.tsv", args.data / "dev_en.tsv"])
    return args, wikinews_frequencies(args.wikinews), train_dev, read([args.data / "dev_test_en.tsv"])


def mean_and_error(gains) -> str:
    """Paired gains (one row per CV) as "mean ± standard error" per column."""
    import numpy as np

    gains = np.asarray(gains)
    se = gains.std(0, ddof=1) / np.sqrt(len(gains))
    return "  ".join(f"{m:+.4f} ± {s:.4f}" for m, s in zip(gains.mean(0), se))


def paired_probe(argv: list[str] | None, doc: str, prog: str, heading: str, candidates: dict) -> int:
    """Print each candidate's paired gain over the recipe (C=10, cues 0.3, background IDF) on train+dev and on
    train+dev+dev_test pooled. ``candidates`` maps a name to ``(settings, context)``: the recipe's settings
    it changes, and a callable giving the context manager its CVs run in (for changes that are not settings)."""
    setup = paired_setup(argv, doc, prog)
    if setup is None:
        return 2
    args, background, train_dev, test = setup
    pools = {"train+dev": train_dev, "pooled": (train_dev[0] + test[0], train_dev[1] + test[1])}

    print(f"paired gain over the recipe (C=10, cues 0.3, background IDF), mean ± SE of {args.repeats} 5-fold CVs")
    print(f"{heading:14s} {'pool':10s} {'macro-F1':>17s} {'AUC':>17s} {'quoted':>17s} {'unquoted':>17s}")
    base = {(pool, seed): oof_figures(*pools[pool], seed, background) for pool in pools for seed in range(args.repeats)}
    for name, (settings, context) in candidates.items():
        with context():
            for pool, (texts, y) in pools.items():
                gains = [oof_figures(texts, y, seed, background, settings) - base[pool, seed]
                         for seed in range(args.repeats)]
                print(f"{name:14s} {pool:10s} {mean_and_error(gains)}", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    import factcomment.model as model
    from factcomment.evaluation import score
    from factcomment.scorer import Scorer, compile_scorer

    setup = paired_setup(argv, __doc__, "background_idf")
    if setup is None:
        return 2
    args, background, train_dev, test = setup
    pooled = (train_dev[0] + test[0], train_dev[1] + test[1])
    print(f"background: {background.n} Wikinews sentences; gains over gold-only IDF, mean ± SE of {args.repeats} "
          "paired 5-fold CVs: macro-F1 (best cut), AUC, quoted, unquoted")
    for name, pool in (("train+dev", train_dev), ("pooled", pooled)):
        gains = [oof_figures(*pool, seed, background) - oof_figures(*pool, seed, None) for seed in range(args.repeats)]
        print(f"{name:10s} {mean_and_error(gains)}", flush=True)
    seed_x, seed_y = read([ROOT / "seeds"])
    for name, frequencies in (("gold idf", None), ("background idf", background)):
        result = model.train(*train_dev, background=frequencies)
        scorer = Scorer.from_dict(compile_scorer(result.pipeline, result.threshold))
        p = scorer.p_comment(test[0])
        auc, quoted, unquoted = aucs(test[1], p, test[0])
        labels = ["comment" if q >= result.threshold else "report" for q in scorer.p_comment(seed_x)]
        asides = sum(a == b == "comment" for a, b in zip(labels, seed_y))
        reports = sum(a == b == "report" for a, b in zip(labels, seed_y))
        print(f"{name:15s} dev_test macro-F1 {score(test[1], p, result.threshold).macro_f1:.4f} at "
              f"{result.threshold:.3f} (best cut {best_macro_f1(test[1], p):.4f}); AUC {auc:.3f}, quoted "
              f"{quoted:.3f}, unquoted {unquoted:.3f}; seeds {asides}/4, {reports}/23", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
