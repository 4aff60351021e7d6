"""How to score a paragraph: the whole text at once, or its sentences one by one and a rule over them.

    python bench/paragraphs.py [--data DIR] [--paragraphs N] [--encoder-fold] [--json] [--out FILE]

The models are trained on sentences (CheckThat-2025), but `classify` labels paragraphs by default. This
compares, on paragraphs the models never saw, the ways of getting one score per paragraph:

- ``whole``: the paragraph as one text (the accurate tier's encoder reads its first 128 tokens);
- ``mean``: the mean of its sentences' log-odds; ``max``; ``top2``: the mean of the two highest;
- ``noisy_or``: ``1 - prod(1 - p)`` over sentences; ``mean_p``: the mean of the probabilities.

Paragraphs are built from the held-out fold of a 3-fold split of train+dev (the accurate tier's folds): a
paragraph has 1-4 sentences (45/30/15/10%), a label drawn with the data's class shares, and each sentence
drawn from that label's sentences, or (``mix``) from the other label's with probability 0.15, since report
paragraphs hold the odd evaluative sentence and comment paragraphs the odd fact. A rule is judged by AUC
and by macro-F1 at the sentence threshold (a paragraph rule that needs its own threshold is a worse rule).
Sentences are found by factcomment's own splitter and read with the paragraph's quote state, as
`classify` reads them.

The fast tier is refitted on each fold. The accurate tier's sentence scores are its cached out-of-fold
stacked scores (bench/quality.py's cache: run `python bench/quality.py --only accurate` first), so its
sentence rules use the original sentence boundaries; ``--encoder-fold`` also fine-tunes the encoder on
folds 2-3 (a few minutes) to score fold 1's paragraphs whole and by re-split sentences. dev_test is not used.
The seeds (never in any training) are scored with each rule by the shipped models.
"""
from __future__ import annotations

import argparse
import json
import math
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from quality import CACHE, SHARED, Data, has_checkthat  # noqa: E402

SIZES = (1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 3, 3, 3, 4, 4)  # 45% one sentence ... 10% four
MIX = 0.15


def logit(p: float) -> float:
    p = min(max(p, 1e-12), 1 - 1e-12)
    return math.log(p / (1 - p))


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0


RULES = {
    "mean": lambda d, w: sum(d) / len(d),
    "own_words_mean": lambda d, w: sum(x * v for x, v in zip(d, w)) / sum(w) if sum(w) else sum(d) / len(d),
    "max": lambda d, w: max(d),
    "top2": lambda d, w: sum(sorted(d)[-2:]) / min(2, len(d)),
    "noisy_or": lambda d, w: logit(1 - math.prod(1 - sigmoid(z) for z in d)),
    "mean_p": lambda d, w: logit(sum(map(sigmoid, d)) / len(d)),
}


def own_words(text: str) -> int:
    """Words a sentence says in the writer's voice: its words outside quotations of 4+ words."""
    from factcomment.features import tokenise

    return sum(1 for t in tokenise(text) if t != "_quote_" and (t[0].isalnum() or t[0] == "_"))


def build(indices: list[int], labels: list[str], count: int, mix: float, seed: int) -> list[tuple[list[int], str]]:
    """``count`` paragraphs as (sentence indices, label), drawn from ``indices``."""
    rng = random.Random(seed)
    pools = {label: [i for i in indices if labels[i] == label] for label in ("report", "comment")}
    share = len(pools["comment"]) / len(indices)
    out = []
    for _ in range(count):
        label = "comment" if rng.random() < share else "report"
        other = "report" if label == "comment" else "comment"
        rows = [rng.choice(pools[other if rng.random() < mix else label]) for _ in range(rng.choice(SIZES))]
        out.append((rows, label))
    return out


def judge(truth: list[str], decisions: list[float], cut: float) -> dict:
    import numpy as np
    from sklearn.metrics import f1_score, roc_auc_score

    from factcomment.evaluation import best_threshold

    y = np.array([t == "comment" for t in truth])
    d = np.array(decisions)
    return {"auc": float(roc_auc_score(y, d)), "macro_f1": float(f1_score(y, d >= cut, average="macro")),
            "best_macro_f1": float(best_threshold(y, d)[1]["macro_f1"])}


def sentence_texts(paragraph: str) -> list[str]:
    from factcomment.segment import quoted_sentence_texts, split_sentences

    spans = split_sentences(paragraph)
    return quoted_sentence_texts(paragraph, spans) if spans else [paragraph]


def by_rule(paragraphs: list[str], score) -> dict[str, list[float]]:
    """Each rule's paragraph decisions, with ``score(texts) -> log-odds`` (``whole`` included)."""
    split = [sentence_texts(p) for p in paragraphs]
    flat = score([t for texts in split for t in texts])
    out = {"whole": score(paragraphs)}
    at = 0
    per = []
    for texts in split:
        per.append((flat[at:at + len(texts)], [own_words(t) for t in texts]))
        at += len(texts)
    for name, rule in RULES.items():
        out[name] = [rule(d, w) for d, w in per]
    return out


def fast_section(data: Data, folds, count: int) -> tuple[dict, list[float]]:
    """Refit the fast model per fold; rules over its held-out paragraphs. Also its raw out-of-fold decisions."""
    import numpy as np

    from factcomment.evaluation import best_threshold
    from factcomment.model import build_pipeline
    from factcomment.scorer import Scorer, compile_scorer

    oof, decision = [0.0] * len(data.x), [0.0] * len(data.x)  # calibrated log-odds; raw (what stacking reads)
    results: dict[str, dict[str, list]] = {mix: {} for mix in ("pure", "mixed", "natural")}
    for k, (fit_rows, held_rows) in enumerate(folds):
        pipeline = build_pipeline().fit([data.x[i] for i in fit_rows], np.array([data.y[i] for i in fit_rows]))
        scorer = Scorer.from_dict(compile_scorer(pipeline, 0.5))

        def log_odds(texts: list[str]) -> list[float]:  # calibrated, so that noisy-or and mean_p mean what they say
            return [logit(p) for p in scorer.p_comment(list(texts))]

        held = [data.x[i] for i in held_rows]
        for i, d, raw in zip(held_rows, log_odds(held), scorer.decision_function(held)):
            oof[i], decision[i] = d, raw
        # CheckThat's own units that hold several sentences (often a quotation, then the writer's reaction).
        natural = [i for i in held_rows if len(sentence_texts(data.x[i])) > 1]
        for name, decisions in by_rule([data.x[i] for i in natural], log_odds).items():
            bucket = results["natural"].setdefault(name, [[], []])
            bucket[0] += [data.y[i] for i in natural]
            bucket[1] += decisions
        for mix, rate in (("pure", 0.0), ("mixed", MIX)):
            built = build(list(held_rows), data.y, count, rate, seed=k)
            texts = [" ".join(data.x[i] for i in rows) for rows, _ in built]
            for name, decisions in by_rule(texts, log_odds).items():
                bucket = results[mix].setdefault(name, [[], []])
                bucket[0] += [label for _, label in built]
                bucket[1] += decisions
    p = np.array([sigmoid(d) for d in oof])
    cut = logit(best_threshold(np.array(data.y) == "comment", p)[0])
    return {mix: {name: judge(t, d, cut) for name, (t, d) in rules.items()} for mix, rules in results.items()} | \
        {"sentence": judge(data.y, oof, cut), "sentence_threshold_logodds": cut}, decision


def accurate_section(data: Data, folds, count: int, fast_oof: list[float]) -> dict:
    """Rules over the accurate tier's cached out-of-fold stacked sentence scores (original boundaries)."""
    import numpy as np

    from factcomment.evaluation import best_threshold

    card = json.loads((CACHE / "accurate-train-dev" / "card.json").read_text())
    stacking = card["stacking"]
    encoder_dirs = sorted(CACHE.glob("encoder-*/fold1of3.json"))
    if not encoder_dirs:
        raise SystemExit("paragraphs: no cached encoder folds; run python bench/quality.py --only accurate first")
    cache = encoder_dirs[0].parent
    logits = [0.0] * len(data.x)
    for k, (_, held_rows) in enumerate(folds, 1):
        for i, z in zip(held_rows, json.loads((cache / f"fold{k}of3.json").read_text())):
            logits[i] = z
    oof = [stacking["encoder"] * z + stacking["fast"] * f + stacking["bias"] for z, f in zip(logits, fast_oof)]
    cut = logit(card["threshold"])
    out: dict = {"sentence": judge(data.y, oof, cut), "sentence_threshold_logodds": cut,
                 "cv_threshold_check": logit(best_threshold(np.array(data.y) == "comment",
                                                            np.array([sigmoid(d) for d in oof]))[0])}
    for mix, rate in (("pure", 0.0), ("mixed", MIX)):
        truth, decisions = [], {name: [] for name in RULES}
        for k, (_, held_rows) in enumerate(folds):
            built = build(list(held_rows), data.y, count, rate, seed=k)
            truth += [label for _, label in built]
            for name, rule in RULES.items():
                decisions[name] += [rule([oof[i] for i in rows], [own_words(data.x[i]) for i in rows])
                                    for rows, _ in built]
        out[mix] = {name: judge(truth, d, cut) for name, d in decisions.items()}
    return out


def encoder_fold_section(data: Data, folds, count: int, say) -> dict:
    """Fine-tune the encoder on folds 2-3 and score fold 1's built paragraphs whole and by re-split sentences."""
    from factcomment.encoder_training import fine_tune, load_base, predict_logits

    fit_rows, held_rows = folds[0]
    encoder, tokenizer = load_base()
    say(f"encoder fold: fine-tuning on {len(fit_rows)} sentences")
    tuned = fine_tune([data.x[i] for i in fit_rows], [data.y[i] for i in fit_rows], encoder=encoder,
                      tokenizer=tokenizer, seed=0)
    out = {}
    for mix, rate in (("pure", 0.0), ("mixed", MIX)):
        built = build(list(held_rows), data.y, count, rate, seed=0)
        texts = [" ".join(data.x[i] for i in rows) for rows, _ in built]
        truth = [label for _, label in built]
        decisions = by_rule(texts, lambda t: predict_logits(tuned, list(t)))
        sentence = predict_logits(tuned, [data.x[i] for i in held_rows])
        import numpy as np

        from factcomment.evaluation import best_threshold

        cut = logit(best_threshold(np.array([data.y[i] for i in held_rows]) == "comment",
                                    np.array([sigmoid(z) for z in sentence]))[0])
        out[mix] = {name: judge(truth, d, cut) for name, d in decisions.items()}
    return out


def seeds_section(data: Data) -> dict:
    """Each rule on the seeds, by the shipped models (neither was trained on the seeds)."""
    from factcomment.inference import load_model

    out = {}
    for tier in ("fast", "accurate"):
        try:
            model = load_model(tier)
        except Exception as error:  # the accurate weights may not be installed
            out[tier] = {"skipped": str(error)}
            continue
        cut = logit(model.threshold)
        decisions = by_rule(data.seed_x, model.scorer.decision_function)
        out[tier] = {name: {"asides": sum(d >= cut for d, y in zip(ds, data.seed_y) if y == "comment"),
                            "reports": sum(d < cut for d, y in zip(ds, data.seed_y) if y == "report")}
                     for name, ds in decisions.items()}
    return out


def main(argv: list[str] | None = None) -> int:
    from factcomment.encoder_training import _folds

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SHARED / "checkthat2025-en")
    parser.add_argument("--paragraphs", type=int, default=1000, help="built paragraphs per fold and mix")
    parser.add_argument("--encoder-fold", action="store_true", help="fine-tune one fold's encoder (minutes)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    if not has_checkthat(args.data, "paragraphs"):
        return 2

    def say(message: str) -> None:
        print(f"paragraphs: {message}", file=sys.stderr, flush=True)

    data = Data(args.data)
    folds = _folds(data.y, 3, 0)
    report: dict = {}
    say("fast tier")
    report["fast"], fast_oof = fast_section(data, folds, args.paragraphs)
    say("accurate tier (cached out-of-fold scores)")
    report["accurate"] = accurate_section(data, folds, args.paragraphs, fast_oof)
    if args.encoder_fold:
        report["accurate_encoder_fold1"] = encoder_fold_section(data, folds, args.paragraphs, say)
        say("encoder fold: " + json.dumps(report["accurate_encoder_fold1"]))  # minutes of work: never lose it
    report["seeds"] = seeds_section(data)
    text = json.dumps(report, indent=1) if args.json else render(report)
    if args.out:
        args.out.write_text(text + "\n")
    print(text)
    return 0


def render(report: dict) -> str:
    lines = []
    for section in ("fast", "accurate", "accurate_encoder_fold1"):
        if section not in report:
            continue
        r = report[section]
        lines.append(f"## {section}")
        if "sentence" in r:
            s = r["sentence"]
            lines.append(f"sentences (out of fold): AUC {s['auc']:.3f}  macro-F1 {s['macro_f1']:.3f}")
        for mix in ("pure", "mixed", "natural"):
            if mix not in r:
                continue
            lines.append(f"{mix + ' paragraphs':<18} {'AUC':>6} {'mF1@cut':>8} {'best mF1':>9}")
            for name, f in r[mix].items():
                lines.append(f"  {name:<16} {f['auc']:6.3f} {f['macro_f1']:8.3f} {f['best_macro_f1']:9.3f}")
    lines.append("## seeds (asides found of 4, reports kept of 23)")
    for tier, rules in report["seeds"].items():
        if "skipped" in rules:
            lines.append(f"  {tier}: skipped ({rules['skipped']})")
            continue
        lines.append(f"  {tier}: " + "  ".join(f"{n} {v['asides']}/4 {v['reports']}/23" for n, v in rules.items()))
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
