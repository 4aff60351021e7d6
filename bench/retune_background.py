"""Do the fast recipe's C and cue weight still hold once the IDF counts Wikinews? A paired, cross-validated probe.

    python bench/retune_background.py [--data DIR] [--wikinews DIR] [--repeats 5]

C and the cue weight were chosen with gold-only IDF (docs/model.md). The background IDF changes every word's
weight, and so the balance against the regularisation and the cue block. For each candidate, the paired gain
over the recipe (both with the Wikinews background) in out-of-fold macro-F1 (best cut) and AUC overall /
quoted / unquoted, mean ± standard error over ``--repeats`` 5-fold CVs (seeds 0, 1, ...), on train+dev and on
train+dev+dev_test pooled. dev_test alone decides nothing here. Data are read at run time only.
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

from background_idf import mean_and_error, oof_figures, paired_setup  # noqa: E402  (bench/ is on sys.path when a bench script runs)

CANDIDATES = {"C 5": {"C": 5.0}, "C 20": {"C": 20.0}, "cues 0.2": {"cue_weight": 0.2}, "cues 0.5": {"cue_weight": 0.5}}


def main(argv: list[str] | None = None) -> int:
    setup = paired_setup(argv, __doc__, "retune_background")
    if setup is None:
        return 2
    args, background, train_dev, test = setup
    pools = {"train+dev": train_dev, "pooled": (train_dev[0] + test[0], train_dev[1] + test[1])}

    print(f"paired gain over the recipe (C=10, cues 0.3, background IDF), mean ± SE of {args.repeats} 5-fold CVs")
    print(f"{'candidate':10s} {'pool':10s} {'macro-F1':>17s} {'AUC':>17s} {'quoted':>17s} {'unquoted':>17s}")
    base = {(pool, seed): oof_figures(*pools[pool], seed, background) for pool in pools for seed in range(args.repeats)}
    for name, settings in CANDIDATES.items():
        for pool, (texts, y) in pools.items():
            gains = [oof_figures(texts, y, seed, background, settings) - base[pool, seed] for seed in range(args.repeats)]
            print(f"{name:10s} {pool:10s} {mean_and_error(gains)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
