"""Do the fast recipe's C and cue weight still hold once the IDF counts Wikinews? A paired, cross-validated probe.

    python bench/retune_background.py [--data DIR] [--wikinews DIR] [--repeats 5]

C and the cue weight were chosen with gold-only IDF (docs/model.md). The background IDF changes every word's
weight, and so the balance against the regularisation and the cue block. For each candidate, the paired gain
over the recipe (both with the Wikinews background) in out-of-fold macro-F1 (best cut) and AUC overall /
quoted / unquoted, mean ± standard error over ``--repeats`` 5-fold CVs (seeds 0, 1, ...), on train+dev and on
train+dev+dev_test pooled. dev_test alone decides nothing here. Data are read at run time only.
"""
from __future__ import annotations

import contextlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

from background_idf import paired_probe  # noqa: E402  (bench/ is on sys.path when a bench script runs)

CANDIDATES = {"C 5": {"C": 5.0}, "C 20": {"C": 20.0}, "cues 0.2": {"cue_weight": 0.2}, "cues 0.5": {"cue_weight": 0.5}}


def main(argv: list[str] | None = None) -> int:
    return paired_probe(argv, __doc__, "retune_background", "candidate",
                        {name: (settings, contextlib.nullcontext) for name, settings in CANDIDATES.items()})


if __name__ == "__main__":
    sys.exit(main())
