"""Classification quality of both tiers beside two baselines, on CheckThat-2025 English, in one run.

    python bench/quality.py [--data DIR] [--only plain,minilm,fast,accurate,distil] [--sizes 0,10000,...]
                            [--json] [--out FILE]

Every model is trained on train+dev only. Printed per model: cross-validated macro-F1 on train+dev (the
threshold is chosen on those out-of-fold scores, never on dev_test), dev_test macro-F1 at that threshold,
dev_test AUC overall and on quoted and unquoted sentences separately (dev_test is quote-heavy: a quarter of
its sentences are quoted and nearly all of those are reports, so a "quoted means report" trick shows up as a
gap between the overall and the within-group AUCs), the seeds check (seeds never in training: the four
`Comment:` asides should come out comment, the 23 other paragraphs report), sentences per second, cold start
and model size. The fast tier is trained as the shipped one is, with the teacher cue from the accurate tier
trained here (so the teacher never saw dev_test) and the same recipe without it beside it. ``distil`` adds
the learning curve of the distilled fast model on 0, 10k, 40k and all Wikinews sentences.

The CheckThat data (CC BY-NC-SA 4.0) and Wikinews (CC BY 2.5) are read at run time, never copied into the
repository. The accurate tier fine-tunes 4 encoders (about 10-15 minutes on 2 cores); its model is cached
in ``bench/.cache`` by the data's and the settings' hash, so the ``distil`` section can reuse it.
"""
from __future__ import annotations

import argparse
import functools
import gzip
import hashlib
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))
SHARED = ROOT.parent / "shared" / "data"
CACHE = ROOT / "bench" / ".cache"
# A sentence is "quoted" when it holds a double quotation mark of any kind (or a pair of curly singles).
QUOTED = re.compile(r'["\u201c\u201d\u201e\u00ab\u00bb]|\u2018[^\u2019]*\u2019(?!\w)')
SPEED_TEXTS = 20_000


def read(paths: list[Path]) -> tuple[list[str], list[str]]:
    """Texts and labels through factcomment's own readers (the same code `factcomment train` uses)."""
    from factcomment.labelled import read_labelled
    from factcomment.readers import InputOptions, Tally

    tally = Tally()
    units = read_labelled([str(p) for p in paths], InputOptions(), tally)
    if tally.errors:
        raise SystemExit(f"quality: {tally.errors[0]}")
    return [u.text for u in units], [u.label for u in units]


def has_checkthat(data: Path, prog: str) -> bool:
    """Whether ``data`` holds the three CheckThat splits; if not, say so on stderr (the caller exits 2)."""
    missing = [n for n in ("train_en.tsv", "dev_en.tsv", "dev_test_en.tsv") if not (data / n).is_file()]
    if missing:
        print(f"{prog}: no CheckThat data in {data} (missing {', '.join(missing)}); pass --data DIR", file=sys.stderr)
    return not missing


class Data:
    def __init__(self, data: Path):
        self.x, self.y = read([data / "train_en.tsv", data / "dev_en.tsv"])
        self.x_test, self.y_test = read([data / "dev_test_en.tsv"])
        self.seed_x, self.seed_y = read([ROOT / "seeds"])
        self.files = [data / "train_en.tsv", data / "dev_en.tsv"]
        digest = hashlib.sha256()
        for name in ("train_en.tsv", "dev_en.tsv"):
            digest.update((data / name).read_bytes())
        self.digest = digest.hexdigest()[:16]


def figures(data: Data, cv_p, cv_threshold: float, test_p, seed_p, *, cv_macro=None) -> dict:
    """The accuracy block shared by every model: CV, dev_test (AUC overall/quoted/unquoted) and seeds."""
    import numpy as np
    from sklearn.metrics import f1_score, roc_auc_score

    from factcomment.evaluation import best_threshold

    def macro(y, p, t):
        return float(f1_score(np.array(y) == "comment", np.array(p) >= t, average="macro"))

    y_cv = np.array(data.y) == "comment"
    if cv_p is not None:
        cv_macro = float(best_threshold(y_cv, np.asarray(cv_p))[1]["macro_f1"])
    y = np.array(data.y_test) == "comment"
    p = np.asarray(test_p, dtype=float)
    quoted = np.array([bool(QUOTED.search(t)) for t in data.x_test])
    seed_pred = np.asarray(seed_p) >= cv_threshold
    seed_gold = np.array(data.seed_y) == "comment"
    return {
        "cv_macro_f1": cv_macro, "threshold": cv_threshold,
        "dev_test_macro_f1": macro(data.y_test, p, cv_threshold),
        "auc": float(roc_auc_score(y, p)), "auc_quoted": float(roc_auc_score(y[quoted], p[quoted])),
        "auc_unquoted": float(roc_auc_score(y[~quoted], p[~quoted])),
        "quoted_share": float(quoted.mean()),
        "best_possible_dev_test_macro_f1": float(best_threshold(y, p)[1]["macro_f1"]),
        "seeds_asides_found": int((seed_pred & seed_gold).sum()), "seeds_asides": int(seed_gold.sum()),
        "seeds_reports_kept": int((~seed_pred & ~seed_gold).sum()), "seeds_reports": int((~seed_gold).sum()),
    }


def throughput(score, texts: list[str], repeats: int = 3) -> float:
    """Median sentences per second of ``score(texts)`` over ``repeats`` runs."""
    rates = []
    for _ in range(repeats):
        began = time.perf_counter()
        score(texts)
        rates.append(len(texts) / (time.perf_counter() - began))
    return statistics.median(rates)


def cold_start(model: str, repeats: int = 5) -> float:
    """Median seconds for a fresh interpreter to import factcomment, load ``model`` and classify one text."""
    code = (f"from factcomment import classify; classify(['The council met on Tuesday.'], model={model!r})")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, env=env)
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def speed_texts(data: Data) -> list[str]:
    return (data.x_test * (SPEED_TEXTS // len(data.x_test) + 1))[:SPEED_TEXTS]


# --- the models -------------------------------------------------------------------------------------------
def plain(data: Data) -> dict:
    """The baseline every sparse model must beat: scikit-learn's TF-IDF 1-2-grams and a balanced LR."""
    import io

    import joblib
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline

    from factcomment.evaluation import best_threshold
    import numpy as np

    def build():
        return make_pipeline(TfidfVectorizer(ngram_range=(1, 2)), LogisticRegression(class_weight="balanced"))

    cv_p = cross_val_predict(build(), data.x, data.y, cv=StratifiedKFold(5, shuffle=True, random_state=0),
                             method="predict_proba")[:, 0]  # classes_ sort as ["comment", "report"]
    threshold = best_threshold(np.array(data.y) == "comment", cv_p)[0]
    model = build().fit(data.x, data.y)
    column = list(model.classes_).index("comment")
    out = figures(data, cv_p, threshold, model.predict_proba(data.x_test)[:, column],
                  model.predict_proba(data.seed_x)[:, column])
    texts = speed_texts(data)
    out["sentences_per_second"] = throughput(lambda t: model.predict_proba(t), texts)
    buffer = io.BytesIO()
    joblib.dump(model, buffer, compress=3)
    out["model_bytes"] = len(buffer.getvalue())
    return out


def minilm(data: Data) -> dict:
    """Frozen all-MiniLM-L6-v2 sentence embeddings (mean-pooled, normalised) and a balanced LR."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    from factcomment.encoder_training import base_encoder_dir
    from factcomment.evaluation import best_threshold
    from sentence_transformers import SentenceTransformer

    encoder = SentenceTransformer(str(base_encoder_dir()), device="cpu")
    embed = lambda texts: encoder.encode(list(texts), batch_size=64, normalize_embeddings=True)  # noqa: E731
    x, x_test, x_seed = embed(data.x), embed(data.x_test), embed(data.seed_x)

    def build():
        return LogisticRegression(C=1.0, class_weight="balanced", max_iter=2000)

    cv_p = cross_val_predict(build(), x, data.y, cv=StratifiedKFold(5, shuffle=True, random_state=0),
                             method="predict_proba")[:, 0]
    threshold = best_threshold(np.array(data.y) == "comment", cv_p)[0]
    model = build().fit(x, data.y)
    column = list(model.classes_).index("comment")
    out = figures(data, cv_p, threshold, model.predict_proba(x_test)[:, column],
                  model.predict_proba(x_seed)[:, column])
    out["sentences_per_second"] = throughput(lambda t: model.predict_proba(embed(t)), data.x_test, repeats=1)
    out["model_bytes"] = None
    return out


@functools.cache  # the fast and distil sections count the corpus once per run (keyed by the Data object)
def background(data: Data):
    """The Wikinews document frequencies the shipped fast model's IDF counts (None without the corpus)."""
    from factcomment.distil import read_transfer
    from factcomment.model import document_frequencies

    files = sorted((SHARED / "wikinews-en").glob("*.sentences.txt"))
    return document_frequencies(read_transfer(files, exclude=data.x)) if files else None


def fast(data: Data, say) -> dict:
    """factcomment's fast tier, as `factcomment train` fits the shipped one: the Wikinews background IDF, and
    the teacher cue from the accurate tier trained here (never on dev_test) scoring Wikinews, when ../shared
    has it and the accurate extra is installed. Scored by its pure-Python scorer. The same recipe without the
    teacher cue is given beside it (``without_teacher``)."""
    frequencies = background(data)
    lexicon = teacher_lexicon_here(data, say)
    out = fast_figures(data, frequencies, lexicon)
    if lexicon is not None:
        out["teacher_words"] = len(lexicon)
        out["without_teacher"] = fast_figures(data, frequencies, None, timed=False)
    return out


def teacher_lexicon_here(data: Data, say):
    """The teacher lexicon of the accurate tier trained on train+dev, from all Wikinews sentences (None when
    either is missing)."""
    from factcomment.distil import read_transfer, teacher_lexicon, teacher_log_odds
    from factcomment.inference import load_model

    files = sorted((SHARED / "wikinews-en").glob("*.sentences.txt"))
    try:
        import onnxruntime  # noqa: F401  (the accurate extra)
    except ImportError:
        say("fast: no accurate extra installed, so no teacher cue (pip install '.[accurate,train]')")
        return None
    if not files:
        return None
    teacher = load_model(accurate_model(data, say))
    corpus = read_transfer(files, exclude=data.x)
    say(f"fast: the teacher scores (or the cache gives) {len(corpus):,} Wikinews sentences")
    return teacher_lexicon(corpus, teacher_log_odds(teacher, corpus, cache=CACHE / "teacher"))


def fast_figures(data: Data, frequencies, lexicon, *, timed: bool = True) -> dict:
    from factcomment import paragraphs
    from factcomment.model import train
    from factcomment.scorer import Scorer, compile_scorer

    began = time.perf_counter()
    result = train(data.x, data.y, background=frequencies, teacher=lexicon)
    seconds = time.perf_counter() - began
    compiled = compile_scorer(result.pipeline, result.threshold)
    scorer = Scorer.from_dict(compiled)
    score = functools.partial(paragraphs.p_comment, scorer)  # a paragraph by its sentences, as Model.p_comment
    out = figures(data, None, result.threshold, score(data.x_test), score(data.seed_x),
                  cv_macro=result.cv_metrics["macro_f1"])
    out["cv_auc"] = result.cv_metrics.get("auc")
    out["train_seconds"] = seconds
    out["model_bytes"] = len(json.dumps(compiled, separators=(",", ":")).encode())
    if timed:
        out["sentences_per_second"] = throughput(score, speed_texts(data))
        out["cold_start_seconds"] = cold_start("fast")
    return out


def encoder_fit(data: Data, say):
    """The accurate tier's encoder cross-fitted and trained on train+dev, checkpointed by data and settings."""
    from factcomment.encoder_training import checkpoint_dir, train_encoder

    began = time.perf_counter()
    fit = train_encoder(data.x, data.y, CACHE / "accurate-encoder", folds=3, seed=0,
                        checkpoint=checkpoint_dir(CACHE, data.x, data.y), progress=lambda m: say(f"accurate: {m}"))
    say(f"accurate: encoder ready after {time.perf_counter() - began:.0f} s")
    return fit


@functools.cache  # the accurate and distil sections share one model per run (keyed by the Data object)
def accurate_model(data: Data, say) -> Path:
    """The accurate tier trained on train+dev as a model directory: the cached encoder, stacked anew."""
    from factcomment.encoder_training import stack_with_fast
    from factcomment.training import save_accurate

    from factcomment.training import describe_files

    fit = encoder_fit(data, say)
    result = stack_with_fast(data.x, data.y, fit)
    card = {"seed": 0, "training_data": describe_files(data.files),
            "training_seconds": fit.export.get("encoder_seconds")}
    return save_accurate(CACHE / "accurate-train-dev", result, card, force=True)


def accurate(data: Data, say) -> dict:
    from factcomment.inference import load_model

    directory = accurate_model(data, say)
    model = load_model(directory)
    card = model.card
    cv = card["metrics"]["cross_validation"]
    out = figures(data, None, model.threshold, model.p_comment(data.x_test), model.p_comment(data.seed_x),
                  cv_macro=cv["macro_f1"])
    out.update(cv_auc=cv.get("auc"), cv_auc_encoder_only=cv.get("auc_encoder_only"), stacking=card["stacking"],
               export=card.get("export"))
    encoder_only = model.scorer.encoder_logits(data.x_test)
    alone = figures(data, None, 0.0, encoder_only, model.scorer.encoder_logits(data.seed_x), cv_macro=None)
    out["encoder_only_auc"], out["encoder_only_auc_unquoted"] = alone["auc"], alone["auc_unquoted"]
    out["sentences_per_second"] = throughput(model.p_comment, data.x_test * 2, repeats=3)
    out["model_bytes"] = len(gzip.decompress((directory / "model.onnx.gz").read_bytes()))  # as loaded
    out["model_gz_bytes"] = (directory / "model.onnx.gz").stat().st_size
    out["cold_start_seconds"] = cold_start(str(directory))
    return out


def distil(data: Data, sizes: list[int], say, mode: str = "lexicon") -> dict:
    """The fast model distilled from the accurate one trained here (never on dev_test), per transfer size.

    Subsets are the first n of one seeded shuffle of the corpus (the files keep article order, so a prefix
    would be a few topics). ``mode`` is ``factcomment train --transfer-mode``: ``lexicon`` (the default; the
    recipe with the background IDF plus the teacher cue from n sentences) or ``soft``/``hard`` (teacher-
    labelled rows, with that mode's defaults).
    """
    import random

    from factcomment.distil import (Distillation, read_transfer, teacher_lexicon, teacher_log_odds, teacher_scores,
                                    train_distilled)
    from factcomment.inference import load_model
    from factcomment import paragraphs
    from factcomment.model import train
    from factcomment.scorer import Scorer, compile_scorer

    teacher = load_model(accurate_model(data, say))
    corpus = read_transfer(sorted((SHARED / "wikinews-en").glob("*.sentences.txt")), exclude=data.x + data.x_test)
    sample = corpus[:3000]
    began = time.perf_counter()
    teacher.scorer.p_comment(sample)  # uncached, to measure the teacher's rate
    teacher_rate = len(sample) / (time.perf_counter() - began)
    say(f"distil: teacher scores {teacher_rate:.0f} sentences/s; scoring (or reading the cache of) "
        f"{len(corpus):,} sentences")
    p_teacher = teacher_scores(teacher, corpus, cache=CACHE / "teacher")
    log_odds = teacher_log_odds(teacher, corpus, cache=CACHE / "teacher") if mode == "lexicon" else None
    frequencies = background(data) if mode == "lexicon" else None
    order = list(range(len(corpus)))
    random.Random(0).shuffle(order)
    settings = Distillation("accurate", (), mode)
    curve = {}
    for size in sizes:
        n = min(size, len(corpus))
        say(f"distil: {n} transfer sentences")
        began = time.perf_counter()
        texts = [corpus[i] for i in order[:n]]
        if mode == "lexicon":
            lexicon = teacher_lexicon(texts, [log_odds[i] for i in order[:n]]) if n else None
            result = train(data.x, data.y, background=frequencies, teacher=lexicon)
        else:
            result = train_distilled(data.x, data.y, texts, [p_teacher[i] for i in order[:n]],
                                     teacher_threshold=teacher.threshold, mode=mode, weight=settings.weight,
                                     min_df=settings.min_df if n else 1)
        seconds = time.perf_counter() - began
        compiled = compile_scorer(result.pipeline, result.threshold)
        score = functools.partial(paragraphs.p_comment, Scorer.from_dict(compiled))
        out = figures(data, None, result.threshold, score(data.x_test), score(data.seed_x),
                      cv_macro=result.cv_metrics["macro_f1"])
        out.update(train_seconds=seconds, model_bytes=len(json.dumps(compiled, separators=(",", ":")).encode()),
                   sentences_per_second=throughput(score, speed_texts(data)),
                   vocabulary=len(compiled["vocabulary"].split("\n")) + len(compiled["cues"].get("teacher", {})),
                   cv_auc=result.cv_metrics["auc"])
        curve[n] = out
    comment_share = sum(p >= teacher.threshold for p in p_teacher) / len(p_teacher)
    return {"teacher_sentences_per_second": teacher_rate, "transfer_sentences": len(corpus),
            "teacher_comment_share": comment_share, "mode": mode, "weight": settings.weight, "curve": curve}


# --- output -----------------------------------------------------------------------------------------------
COLUMNS = (("cv_macro_f1", "CV mF1", "{:.3f}"), ("dev_test_macro_f1", "test mF1", "{:.3f}"),
           ("auc", "AUC", "{:.3f}"), ("auc_quoted", "AUC q", "{:.3f}"), ("auc_unquoted", "AUC unq", "{:.3f}"),
           ("seeds", "seeds", "{}"), ("sentences_per_second", "sent/s", "{:,.0f}"),
           ("cold_start_seconds", "cold s", "{:.3f}"), ("model_bytes", "size MB", "{:.2f}"))


def row(name: str, r: dict) -> str:
    cells = [f"{name:26s}"]
    for key, _, fmt in COLUMNS:
        if key == "seeds":
            value = f"{r['seeds_asides_found']}/{r['seeds_asides']} {r['seeds_reports_kept']}/{r['seeds_reports']}"
        else:
            value = r.get(key)
            value = "-" if value is None else fmt.format(value / 1e6 if key == "model_bytes" else value)
        cells.append(f"{value:>10s}")
    return " ".join(cells)


def render(results: dict) -> str:
    lines = [" ".join([f"{'model':26s}"] + [f"{title:>10s}" for _, title, _ in COLUMNS])]
    for name in ("plain", "minilm", "fast", "accurate"):
        if name in results:
            lines.append(row({"plain": "plain TF-IDF 1-2 + LR", "minilm": "frozen MiniLM + LR",
                              "fast": "factcomment fast", "accurate": "factcomment accurate"}[name], results[name]))
        if name == "fast" and "without_teacher" in results.get("fast", {}):
            lines.append(row("  fast without teacher cue", results["fast"]["without_teacher"]))
    if "accurate" in results:
        a = results["accurate"]
        lines.append(f"accurate: stacking {a['stacking']}; CV AUC {a['cv_auc']:.3f} (encoder alone "
                     f"{a['cv_auc_encoder_only']:.3f}); encoder alone on dev_test: AUC {a['encoder_only_auc']:.3f}, "
                     f"unquoted {a['encoder_only_auc_unquoted']:.3f}")
    if "distil" in results:
        d = results["distil"]
        how = "a teacher cue" if d["mode"] == "lexicon" else f"{d['mode']} labels, transfer weight {d['weight']}"
        lines.append(f"distillation ({how}): the teacher scores "
                     f"{d['teacher_sentences_per_second']:,.0f} sentences/s and calls "
                     f"{d['teacher_comment_share']:.1%} of {d['transfer_sentences']:,} Wikinews sentences comment")
        for n, r in d["curve"].items():
            lines.append(row(f"  fast, {int(n):,} transfer", r) + f"  vocab {r['vocabulary']:,}, "
                         f"trained {r['train_seconds']:.0f} s")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SHARED / "checkthat2025-en",
                        help="directory with train_en.tsv, dev_en.tsv and dev_test_en.tsv")
    parser.add_argument("--only", default="plain,minilm,fast,accurate,distil",
                        help="comma-separated sections to run (plain, minilm, fast, accurate, distil)")
    parser.add_argument("--sizes", default="0,10000,40000,77770", help="transfer-set sizes for distil")
    parser.add_argument("--distil-mode", default="lexicon", choices=("lexicon", "soft", "hard"),
                        help="how the distil section's student learns from the teacher")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--out", type=Path, help="also write the JSON results to this file")
    args = parser.parse_args(argv)
    if not has_checkthat(args.data, "quality"):
        return 2
    say = lambda message: print(f"quality: {message}", file=sys.stderr, flush=True)  # noqa: E731
    data = Data(args.data)
    results: dict = {"n_train": len(data.x), "n_test": len(data.x_test)}
    only = args.only.split(",")
    for name, run in (("plain", plain), ("minilm", minilm)):
        if name in only:
            say(f"{name}...")
            results[name] = run(data)
    if "fast" in only:
        say("fast...")
        results["fast"] = fast(data, say)
    if "accurate" in only:
        results["accurate"] = accurate(data, say)
    if "distil" in only:
        results["distil"] = distil(data, [int(s) for s in args.sizes.split(",")], say, args.distil_mode)
    text = json.dumps(results, indent=2, default=float)
    if args.out:
        args.out.write_text(text + "\n")
    print(text if args.json else render(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
