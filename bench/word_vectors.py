"""Would word vectors from the base sentence encoder help the fast model rank unseen text? CV and split-wise.

    python bench/word_vectors.py [--data DIR] [--wikinews DIR] [--weights 0.01,0.02,0.03,0.05] [--thresholds]

factcomment.vectors gives every word of the Wikinews sentences (in 2+ of them) and of the gold texts the base
all-MiniLM-L6-v2's output for it, averaged over its occurrences in 20,000 Wikinews sentences (or, for a word
they lack, encoded alone); the fast model's classifier learns a direction in that space (the block
``vectors``). The vectors never saw a label, but which words get one depends on the gold texts, so each test
uses the table `train` would build from its training side: in the CV the pool's (held-out folds' words
included, a small optimism), split-wise the training side's alone (about 3 minutes on 2 cores each; cached
in bench/.cache/vectors).

1. 5-fold CV on train+dev and on train+dev+dev_test pooled: the recipe, and with vectors at each --weights
   value (the block's weight is chosen here, by the mean of the two pools' AUC; or given with --weight).
2. Split-wise, as bench/teacher_lexicon.py: trained on one CheckThat split (or two), tested on the rest, so no
   article has sentences on both sides. The recipe, + the teacher cue (its teachers read from
   bench/.cache/teacher-lexicon, or fine-tuned as that script does), + vectors, and both; with --thresholds,
   also macro-F1 at the threshold `factcomment train` would choose, for the shipped recipe with and without
   vectors.

Macro-F1 at the best cut and AUC overall / quoted / unquoted. Data are read at run time only.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

from background_idf import wikinews_frequencies  # noqa: E402  (bench/ is on sys.path when a bench script runs)
from fast_recipe import aucs  # noqa: E402
from quality import has_checkthat, read, vectors_for  # noqa: E402
from teacher_lexicon import CACHE as TEACHERS, at_cv_threshold, fit_score, line, teacher  # noqa: E402

def main(argv: list[str] | None = None) -> int:
    import numpy as np
    from sklearn.model_selection import StratifiedKFold

    from factcomment.distil import read_transfer, teacher_lexicon

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "checkthat2025-en")
    parser.add_argument("--wikinews", type=Path, default=ROOT.parent / "shared" / "data" / "wikinews-en")
    parser.add_argument("--weights", default="0.01,0.02,0.03,0.05", help="block weights for the CV")
    parser.add_argument("--thresholds", action="store_true", help="also macro-F1 at the threshold train chooses")
    parser.add_argument("--sections", default="1,2", help="which sections to run: 1 (CV), 2 (split-wise)")
    parser.add_argument("--encoder-words", action="store_true",
                        help="also give a vector to every whole word of the encoder's vocabulary")
    parser.add_argument("--weight", type=float, default=None, help="section 2's block weight (default: section 1's)")
    args = parser.parse_args(argv)
    if not has_checkthat(args.data, "word_vectors"):
        return 2
    say = lambda message: print(f"word_vectors: {message}", file=sys.stderr, flush=True)  # noqa: E731
    split = {name: read([args.data / f"{name}_en.tsv"]) for name in ("train", "dev", "dev_test")}

    def joined(*names):
        return [t for n in names for t in split[n][0]], [label for n in names for label in split[n][1]]

    background = wikinews_frequencies(args.wikinews)
    wikinews = sorted(args.wikinews.glob("*.sentences.txt"))
    weights = [float(w) for w in args.weights.split(",")]
    sections = set(args.sections.split(","))
    options = {"with_encoder_words": True} if args.encoder_words else {}
    if "1" in sections:
        print("1. 5-fold CV (seed 0); macro-F1 (best cut), AUC, quoted, unquoted")
    means = {w: [] for w in weights}
    for pool, parts in (("train+dev", ("train", "dev")), ("pooled", ("train", "dev", "dev_test"))):
        if "1" not in sections:
            break
        x, y = joined(*parts)
        vectors = vectors_for(wikinews, x, say, **options)
        runs = {"recipe": None, **{f"+ vectors {w:g}": w for w in weights}}
        oof = {name: np.zeros(len(x)) for name in runs}
        for fit, held in StratifiedKFold(5, shuffle=True, random_state=0).split(x, y):
            xf, yf, xt = [x[i] for i in fit], [y[i] for i in fit], [x[i] for i in held]
            for name, w in runs.items():
                oof[name][held] = fit_score(background, None, xf, yf, xt, vectors=vectors if w else None,
                                            settings={"vector_weight": w} if w else None)
        print(f"{pool} ({len(x)} sentences; {vectors})")
        for name, w in runs.items():
            print(line(name, y, oof[name], x), flush=True)
            if w:
                means[w].append(aucs(y, oof[name], x)[0])
    chosen = args.weight
    if "1" in sections:
        chosen = max(weights, key=lambda w: (sum(means[w]), -w)) if chosen is None else chosen
        print("mean AUC of the two pools: " + ", ".join(f"{w:g} {sum(v) / 2:.4f}" for w, v in means.items())
              + f"; chosen {chosen:g}")
    if "2" not in sections:
        return 0

    print("\n2. Split-wise: trained on one side, scored on the other; teachers fine-tuned on the training side")
    sample = json.loads((TEACHERS / "sample.json").read_text()) if (TEACHERS / "sample.json").is_file() else None
    if sample is None:
        corpus = read_transfer(sorted(args.wikinews.glob("*.sentences.txt")))
        random.Random(0).shuffle(corpus)
        sample = corpus[:20000]
    settings = {"vector_weight": chosen} if chosen is not None else None
    for fit_parts, test_parts in ((("train",), ("dev",)), (("train", "dev"), ("dev_test",)),
                                  (("dev",), ("train", "dev_test")), (("dev_test",), ("train", "dev"))):
        (xf, yf), (xt, yt) = joined(*fit_parts), joined(*test_parts)
        TEACHERS.mkdir(parents=True, exist_ok=True)
        lexicon = teacher_lexicon(sample, teacher("split-" + "+".join(fit_parts), xf, yf, xt, sample)["wiki_logits"])
        vectors = vectors_for(wikinews, xf, say, **options)
        print(f"{'+'.join(fit_parts)} -> {'+'.join(test_parts)} ({len(xf)} -> {len(xt)} sentences; {vectors})")
        for name, cue, vec in (("recipe", None, None), ("+ teacher cue", lexicon, None), ("+ vectors", None, vectors),
                               ("+ both", lexicon, vectors)):
            print(line(name, yt, fit_score(background, cue, xf, yf, xt, vectors=vec, settings=settings), xt),
                  flush=True)
        if args.thresholds:
            for name, vec in (("+ teacher cue", None), ("+ both", vectors)):
                print(at_cv_threshold(name, xf, yf, xt, yt, background=background, teacher=lexicon, vectors=vec,
                                      settings=settings), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
