"""Would more closed classes of stance words help the fast model rank? A paired, cross-validated probe.

    python bench/cue_classes.py [--data DIR] [--wikinews DIR] [--repeats 5]

The fast model's cues count a few closed classes of words (first person, modals, hedges, intensifiers ...;
`factcomment.features._CLASSES`). A class pools its members' evidence, so a member rare or absent in ~1,800
labelled sentences still counts: what closed-class words can give a model that must read unseen news. Each
candidate adds one class to the recipe (C=10, cues 0.3, Wikinews background IDF). Printed: its paired gain in
out-of-fold macro-F1 (best cut) and AUC overall / quoted / unquoted, mean ± standard error over
``--repeats`` 5-fold CVs (seeds 0, 1, ...) on train+dev and on train+dev+dev_test pooled. dev_test alone
decides nothing. Data are read at run time only.
"""
from __future__ import annotations

import contextlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

from background_idf import paired_probe  # noqa: E402  (bench/ is on sys.path when a bench script runs)

CANDIDATES = {
    # Sentence adverbs by which a writer judges what they report.
    "attitude": "notably ironically unfortunately sadly interestingly thankfully hopefully frankly honestly "
                "admittedly curiously oddly strangely tellingly predictably inevitably fortunately luckily "
                "regrettably shockingly disturbingly worryingly alarmingly importantly crucially",
    "negation": "not no never nothing nobody none neither nor isn't aren't wasn't weren't don't doesn't didn't "
                "won't wouldn't couldn't hasn't haven't hadn't",
    "contrast": "but however yet although though despite nevertheless nonetheless instead whereas",
    "demonstrative": "this these those such",
}


@contextlib.contextmanager
def extra_class(name: str, words: str):
    """The features module with one more cue class, for the code in the block (this process only)."""
    from factcomment import features

    saved = features._CLASSES, features.CUE_NAMES
    features._CLASSES = {**saved[0], name: words}
    features.CUE_NAMES = (*features._LEXICON_CUES, *features._CLASSES, "length")
    features.cue_classes.cache_clear()
    try:
        features.cue_classes()  # a word already in another class is an error here, not a silent move
        yield
    finally:
        features._CLASSES, features.CUE_NAMES = saved
        features.cue_classes.cache_clear()


def main(argv: list[str] | None = None) -> int:
    return paired_probe(argv, __doc__, "cue_classes", "class",
                        {name: ({}, lambda name=name, words=words: extra_class(name, words))
                         for name, words in CANDIDATES.items()})


if __name__ == "__main__":
    sys.exit(main())
