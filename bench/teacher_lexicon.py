"""Would a teacher cue help the fast model rank unseen text? Random-fold CV and split-wise tests.

    python bench/teacher_lexicon.py [--data DIR] [--wikinews DIR] [--sample 20000] [--thresholds | --cross-fitted]

The teacher cue (factcomment.distil.teacher_lexicon; `factcomment train --distil-from accurate`) distils the
accurate tier into one more stance cue of the fast model: every word of a Wikinews sample (in 3+ of its
sentences) gets a value, fitted by ridge regression so that the mean value over a sentence's tokens
reproduces the teacher's centred log-odds, and the cue is that mean over a text's tokens (the fast model's
tokens, so outside quotations of 4+ words). Students are the recipe with and without it, and with the cue's
first form, each word's mean centred log-odds over the sentences holding it, shrunk toward 0 as if it were
also in 10 average sentences ("mean cue", shipped in sessions 14-15).

A fair test needs a teacher that never saw the test rows, so every teacher is the accurate recipe's
encoder fine-tuned (torch, seed 0, about 3 minutes) on the training side only, scoring the test side and the
sample (about 4 minutes for 20,000 sentences); those scores are cached in bench/.cache/teacher-lexicon.
Printed, each with the recipe alone, the teacher alone and, for the CV, a control with the lexicon's
values shuffled among its words; macro-F1 at the best cut and AUC overall / quoted / unquoted:

1. 3-fold CV (the accurate recipe's folds) on train+dev and on train+dev+dev_test pooled, per-fold AUC;
   and the pooled CV's figures on its dev_test rows alone.
2. Split-wise: trained on one CheckThat split (or two), tested on the rest, so no test article can have
   sentences in training (random folds cannot promise that); with --thresholds, also macro-F1 at the
   threshold `factcomment train` would choose.
3. With --cross-fitted (instead of 1 and 2): in each split-wise test, the student's threshold from a 3-fold CV
   whose folds read their own fold teacher's lexicon (a teacher that never saw the fold), against the same
   CV with the training side's one teacher (which saw every fold, as `factcomment train` has it). Fine-tunes
   three teachers per training side (about 45 minutes cold; train+dev's are section 1's).

Data are read at run time only.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

from background_idf import wikinews_frequencies  # noqa: E402  (bench/ is on sys.path when a bench script runs)
from fast_recipe import aucs, best_macro_f1  # noqa: E402
from quality import has_checkthat, read  # noqa: E402

CACHE = ROOT / "bench" / ".cache" / "teacher-lexicon"


def teacher(name: str, x, y, others: list[str], sample: list[str]) -> dict:
    """The encoder fine-tuned on ``x``: its logits on ``others`` and on ``sample`` (cached under ``name``)."""
    from factcomment.encoder_training import fine_tune, load_base, predict_logits

    path = CACHE / f"{name}.json"
    if path.is_file():
        return json.loads(path.read_text())
    began = time.perf_counter()
    encoder, tokenizer = load_base(seed=0)
    tuned = fine_tune(x, y, encoder=encoder, tokenizer=tokenizer, seed=0)
    out = {"other_logits": predict_logits(tuned, others), "wiki_logits": predict_logits(tuned, sample)}
    path.write_text(json.dumps(out))
    print(f"teacher_lexicon: teacher {name} fine-tuned and scored in {time.perf_counter() - began:.0f} s",
          file=sys.stderr, flush=True)
    return out


def mean_lexicon(sentences, log_odds, min_count=3, shrink=10.0) -> dict[str, float]:
    """The teacher cue's first form: each word's centred log-odds summed over the sentences holding it, over
    their number plus ``shrink``."""
    from factcomment.features import tokenise

    mean = sum(log_odds) / len(log_odds)
    sums, counts = {}, {}
    for sentence, z in zip(sentences, log_odds):
        for word in dict.fromkeys(tokenise(sentence)):
            if word[0].isalpha():
                sums[word] = sums.get(word, 0.0) + (z - mean)
                counts[word] = counts.get(word, 0) + 1
    return {w: round(sums[w] / (counts[w] + shrink), 6) for w in sorted(counts) if counts[w] >= min_count}


def fit_score(background, lexicon, x_fit, y_fit, x_test):
    """Decision values on ``x_test`` of the recipe (with the teacher cue from ``lexicon`` unless None),
    calibration left out: AUC and the best cut need none."""
    from factcomment.model import build_pipeline

    model = build_pipeline(background=background, teacher=lexicon)
    model.steps[-1] = ("clf", model.named_steps["clf"].estimator)
    s = model.fit(x_fit, y_fit).decision_function(x_test)
    return s if list(model.classes_)[1] == "comment" else -s


def line(name: str, y, scores, texts) -> str:
    auc, quoted, unquoted = aucs(y, scores, texts)
    return f"  {name:15s} {best_macro_f1(y, scores):.4f} {auc:.4f} {quoted:.4f} {unquoted:.4f}"


SPLITS = ((("train",), ("dev",)), (("train", "dev"), ("dev_test",)), (("dev",), ("train", "dev_test")),
          (("dev_test",), ("train", "dev")))


def cross_fitted(joined, background, sample) -> int:
    """Section 3: the threshold from a CV with a teacher per fold, against one with the side's one teacher."""
    import numpy as np

    from factcomment.distil import teacher_lexicon
    from factcomment.encoder_training import _folds
    from factcomment.evaluation import best_threshold, score
    from factcomment.model import build_pipeline

    print("3. The student's threshold from 3-fold CV: folds with their own fold teacher's lexicon (cross-fitted) "
          "or with the side's one teacher (leaky); CV macro-F1 at its best cut, the cut, test macro-F1 there")
    gains = []
    for fit_parts, test_parts in SPLITS:
        (xf, yf), (xt, yt) = joined(*fit_parts), joined(*test_parts)
        side = "+".join(fit_parts)
        full = teacher_lexicon(sample, teacher("split-" + side, xf, yf, xt, sample)["wiki_logits"])
        oof = {"leaky": np.zeros(len(xf)), "cross-fitted": np.zeros(len(xf))}
        for k, (fit, held) in enumerate(_folds(yf, 3, 0), 1):
            name = "train-dev" if side == "train+dev" else "split-" + side  # train+dev's: section 1's teachers
            fold = teacher(f"{name}-fold{k}", [xf[i] for i in fit], [yf[i] for i in fit], [xf[i] for i in held], sample)
            for way, lexicon in (("leaky", full), ("cross-fitted", teacher_lexicon(sample, fold["wiki_logits"]))):
                model = build_pipeline(background=background, teacher=lexicon).fit([xf[i] for i in fit],
                                                                                    [yf[i] for i in fit])
                oof[way][held] = model.predict_proba([xf[i] for i in held])[:, list(model.classes_).index("comment")]
        final = build_pipeline(background=background, teacher=full).fit(xf, yf)
        p = final.predict_proba(xt)[:, list(final.classes_).index("comment")].tolist()
        print(f"{side} -> {'+'.join(test_parts)} (best cut on the test side {best_macro_f1(yt, p):.4f})")
        got = {}
        for way, scores in oof.items():
            cut, metrics = best_threshold(np.array(yf) == "comment", scores)
            got[way] = score(yt, p, cut).macro_f1
            print(f"  {way:13s} CV {metrics['macro_f1']:.4f} cut {cut:.3f} -> test {got[way]:.4f}", flush=True)
        gains.append(got["cross-fitted"] - got["leaky"])
    print("cross-fitted minus leaky, test macro-F1: " + ", ".join(f"{g:+.4f}" for g in gains)
          + f"; mean {sum(gains) / len(gains):+.4f}")
    return 0


def main(argv: list[str] | None = None) -> int:
    import numpy as np

    from factcomment.distil import read_transfer, teacher_lexicon
    from factcomment.encoder_training import _folds
    from factcomment.evaluation import score
    from factcomment.model import train

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "checkthat2025-en")
    parser.add_argument("--wikinews", type=Path, default=ROOT.parent / "shared" / "data" / "wikinews-en")
    parser.add_argument("--sample", type=int, default=20000, help="Wikinews sentences the teachers score")
    parser.add_argument("--thresholds", action="store_true",
                        help="also train each split-wise student as `factcomment train` does and score the test side "
                             "at its cross-validated threshold (about 10 minutes more)")
    parser.add_argument("--cross-fitted", action="store_true",
                        help="run section 3 only: thresholds from a CV with a teacher per fold "
                             "(fine-tunes 9 teachers cold)")
    args = parser.parse_args(argv)
    if not has_checkthat(args.data, "teacher_lexicon"):
        return 2
    CACHE.mkdir(parents=True, exist_ok=True)
    corpus = read_transfer(sorted(args.wikinews.glob("*.sentences.txt")))
    random.Random(0).shuffle(corpus)
    sample = corpus[:args.sample]
    if (CACHE / "sample.json").is_file() and json.loads((CACHE / "sample.json").read_text()) != sample:
        raise SystemExit(f"teacher_lexicon: {CACHE} holds another sample's scores; remove it or pass that --sample")
    (CACHE / "sample.json").write_text(json.dumps(sample))
    background = wikinews_frequencies(args.wikinews)
    split = {name: read([args.data / f"{name}_en.tsv"]) for name in ("train", "dev", "dev_test")}

    def joined(*names):
        return [t for n in names for t in split[n][0]], [label for n in names for label in split[n][1]]

    if args.cross_fitted:
        return cross_fitted(joined, background, sample)
    names = ("recipe", "teacher alone", "+ mean cue", "+ teacher cue", "+ shuffled cue")
    print(f"1. 3-fold CV (the accurate recipe's folds, seed 0), fold teachers scoring {len(sample):,} Wikinews "
          "sentences; macro-F1 (best cut), AUC, quoted, unquoted; then per-fold AUC")
    for pool, parts in (("train-dev", ("train", "dev")), ("pooled", ("train", "dev", "dev_test"))):
        x, y = joined(*parts)
        scores = {name: np.zeros(len(x)) for name in names}
        per_fold = {name: [] for name in names}
        for k, (fit, held) in enumerate(_folds(y, 3, 0), 1):
            fold = teacher(f"{pool}-fold{k}", [x[i] for i in fit], [y[i] for i in fit], [x[i] for i in held], sample)
            lexicon = teacher_lexicon(sample, fold["wiki_logits"])
            shuffled = list(lexicon.values())
            random.Random(0).shuffle(shuffled)
            cues = {"recipe": None, "+ mean cue": mean_lexicon(sample, fold["wiki_logits"]), "+ teacher cue": lexicon,
                    "+ shuffled cue": dict(zip(lexicon, shuffled))}
            for name in names:
                s = (np.array(fold["other_logits"]) if name == "teacher alone" else
                     fit_score(background, cues[name], [x[i] for i in fit], [y[i] for i in fit], [x[i] for i in held]))
                scores[name][held] = s
                per_fold[name].append(aucs([y[i] for i in held], s, [x[i] for i in held])[0])
        print(f"{pool} ({len(x)} sentences)")
        for name in names:
            print(line(name, y, scores[name], x) + "   " + " ".join(f"{v:.4f}" for v in per_fold[name]), flush=True)
        if pool == "pooled":
            rows = range(len(joined("train", "dev")[0]), len(x))
            print("pooled CV, its dev_test rows only (their articles' other sentences may be in training)")
            for name in ("recipe", "+ teacher cue"):
                print(line(name, [y[i] for i in rows], scores[name][list(rows)], [x[i] for i in rows]), flush=True)

    print("\n2. Split-wise: the teacher and the student trained on one side, both scored on the other")
    for fit_parts, test_parts in SPLITS:
        (xf, yf), (xt, yt) = joined(*fit_parts), joined(*test_parts)
        side = teacher("split-" + "+".join(fit_parts), xf, yf, xt, sample)
        lexicon = teacher_lexicon(sample, side["wiki_logits"])
        print(f"{'+'.join(fit_parts)} -> {'+'.join(test_parts)} ({len(xf)} -> {len(xt)} sentences)")
        print(line("recipe", yt, fit_score(background, None, xf, yf, xt), xt))
        print(line("teacher alone", yt, np.array(side["other_logits"]), xt))
        print(line("+ mean cue", yt, fit_score(background, mean_lexicon(sample, side["wiki_logits"]), xf, yf, xt), xt))
        print(line("+ teacher cue", yt, fit_score(background, lexicon, xf, yf, xt), xt), flush=True)
        if args.thresholds:
            for name, cue in (("recipe", None), ("+ mean cue", mean_lexicon(sample, side["wiki_logits"])),
                              ("+ teacher cue", lexicon)):
                result = train(xf, yf, background=background, teacher=cue)
                p = result.pipeline.predict_proba(xt)[:, list(result.pipeline.classes_).index("comment")]
                print(f"  {name:15s} at its CV threshold {result.threshold:.3f}: macro-F1 "
                      f"{score(yt, p.tolist(), result.threshold).macro_f1:.4f} (best cut {best_macro_f1(yt, p):.4f}, "
                      f"CV macro-F1 {result.cv_metrics['macro_f1']:.4f})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
