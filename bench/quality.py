"""Classification quality of factcomment beside a plain TF-IDF baseline, on CheckThat-2025 English.

    python bench/quality.py [--data DIR] [--json]

Trains on train+dev only, reports dev_test macro-F1 and per-class P/R/F1 for both models, the cross-validated
macro-F1 on train+dev, the seeds check (seeds never in training), the saved model size and training time.
The CheckThat data (CC BY-NC-SA) is read at run time and never copied into the repository.
"""
from __future__ import annotations

import argparse
import io
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))


def read(paths: list[Path]) -> tuple[list[str], list[str]]:
    """Texts and labels through factcomment's own readers (the same code `factcomment train` uses)."""
    from factcomment.labelled import read_labelled
    from factcomment.readers import InputOptions, Tally

    tally = Tally()
    units = read_labelled([str(p) for p in paths], InputOptions(), tally)
    if tally.errors:
        raise SystemExit(f"quality: {tally.errors[0]}")
    return [u.text for u in units], [u.label for u in units]


def figures(evaluation) -> dict:
    out = evaluation.as_dict()["per_class"]
    out["macro_f1"] = evaluation.macro_f1
    return out


def run(data: Path) -> dict:
    import joblib
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from factcomment.evaluation import score
    from factcomment.model import train
    from factcomment.scorer import Scorer, compile_scorer

    texts, labels = read([data / "train_en.tsv", data / "dev_en.tsv"])
    x_test, y_test = read([data / "dev_test_en.tsv"])

    start = time.perf_counter()
    result = train(texts, labels)
    seconds = time.perf_counter() - start
    scorer = Scorer.from_dict(compile_scorer(result.pipeline, result.threshold))
    ours = score(y_test, scorer.p_comment(x_test), result.threshold)

    baseline = make_pipeline(TfidfVectorizer(ngram_range=(1, 2)), LogisticRegression(class_weight="balanced"))
    baseline.fit(texts, labels)
    base = score(y_test, baseline.predict_proba(x_test)[:, list(baseline.classes_).index("comment")], 0.5)

    # The seeds as `factcomment split` labels them: asides (marker stripped) comment, the rest report.
    seed_x, seed_y = read([ROOT / "seeds"])
    seed_p = ["comment" if p >= result.threshold else "report" for p in scorer.p_comment(seed_x)]
    buffer = io.BytesIO()
    joblib.dump(result.pipeline, buffer, compress=3)
    return {
        "n_train": len(texts), "n_test": len(x_test), "threshold": result.threshold,
        "cv_macro_f1": result.cv_metrics["macro_f1"], "train_seconds": seconds,
        "dev_test": {"factcomment": figures(ours), "baseline": figures(base)},
        "seeds": {"asides_correct": sum(p == t == "comment" for p, t in zip(seed_p, seed_y)),
                  "asides": seed_y.count("comment"),
                  "reports_correct": sum(p == t == "report" for p, t in zip(seed_p[:-1], seed_y[:-1])),
                  "reports": seed_y[:-1].count("report"), "long_report_label": seed_p[-1]},
        "model_bytes": len(buffer.getvalue()),
    }


def render(r: dict) -> str:
    lines = [f"trained on {r['n_train']} (train+dev) in {r['train_seconds']:.1f} s; "
             f"CV macro-F1 {r['cv_macro_f1']:.3f}; threshold {r['threshold']:.3f}",
             f"dev_test ({r['n_test']} sentences)    macro-F1   report P/R/F1        comment P/R/F1"]
    for name, m in r["dev_test"].items():
        rep, com = m["report"], m["comment"]
        lines.append(f"  {name:22s} {m['macro_f1']:8.3f}   {rep['precision']:.3f}/{rep['recall']:.3f}/{rep['f1']:.3f}"
                     f"    {com['precision']:.3f}/{com['recall']:.3f}/{com['f1']:.3f}")
    s = r["seeds"]
    lines.append(f"seeds 000: asides {s['asides_correct']}/{s['asides']}, reporting {s['reports_correct']}/"
                 f"{s['reports']}; 002 labelled {s['long_report_label']}")
    lines.append(f"model size (joblib compress=3): {r['model_bytes'] / 1e6:.2f} MB")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "checkthat2025-en",
                        help="directory with train_en.tsv, dev_en.tsv and dev_test_en.tsv")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    missing = [n for n in ("train_en.tsv", "dev_en.tsv", "dev_test_en.tsv") if not (args.data / n).is_file()]
    if missing:
        print(f"quality: no CheckThat data in {args.data} (missing {', '.join(missing)}); pass --data DIR",
              file=sys.stderr)
        return 2
    results = run(args.data)
    print(json.dumps(results, indent=2, default=float) if args.json else render(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
