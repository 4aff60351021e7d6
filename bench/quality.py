"""Classification quality of factcomment beside a plain TF-IDF baseline, on CheckThat-2025 English.

    python bench/quality.py [--data DIR] [--json]

Trains on train+dev only, reports dev_test macro-F1 and per-class P/R/F1 for both models, the cross-validated
macro-F1 on train+dev, the seeds check (seeds never in training), the saved model size and training time.
The CheckThat data (CC BY-NC-SA) is read at run time and never copied into the repository.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))


def read_split(path: Path) -> tuple[list[str], list[str]]:
    with path.open(encoding="utf-8", newline="") as f:
        rows = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(rows)
        pairs = [(row[1], "comment" if row[2] == "SUBJ" else "report") for row in rows]
    return [t for t, _ in pairs], [label for _, label in pairs]


def seed_texts() -> tuple[list[str], list[str], str]:
    directory = ROOT / "seeds" if (ROOT / "seeds").is_dir() else ROOT.parent / "shared" / "seeds"
    texts, labels = [], []
    for line in (directory / "000_a373fa732a2b7b85.txt").read_text(encoding="utf-8").splitlines():
        if line.strip():
            aside = line.startswith("Comment:")
            texts.append(line[len("Comment:"):].strip() if aside else line)
            labels.append("comment" if aside else "report")
    return texts, labels, (directory / "002_ff69a33de5c09e39.txt").read_text(encoding="utf-8").strip()


def per_class(truth: list[str], predicted: list[str]) -> dict:
    from sklearn.metrics import precision_recall_fscore_support

    p, r, f, _ = precision_recall_fscore_support(truth, predicted, labels=["report", "comment"], zero_division=0)
    out = {label: {"precision": p[i], "recall": r[i], "f1": f[i]} for i, label in enumerate(["report", "comment"])}
    out["macro_f1"] = float(f.mean())
    return out


def run(data: Path) -> dict:
    import joblib
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from factcomment.model import train
    from factcomment.scorer import Scorer, compile_scorer

    x_train, y_train = read_split(data / "train_en.tsv")
    x_dev, y_dev = read_split(data / "dev_en.tsv")
    x_test, y_test = read_split(data / "dev_test_en.tsv")
    texts, labels = x_train + x_dev, y_train + y_dev

    start = time.perf_counter()
    result = train(texts, labels)
    seconds = time.perf_counter() - start
    scorer = Scorer.from_dict(compile_scorer(result.pipeline, result.threshold))
    ours = ["comment" if p >= result.threshold else "report" for p in scorer.p_comment(x_test)]

    baseline = make_pipeline(TfidfVectorizer(ngram_range=(1, 2)), LogisticRegression(class_weight="balanced"))
    base = baseline.fit(texts, labels).predict(x_test).tolist()

    seed_x, seed_y, long_report = seed_texts()
    seed_p = ["comment" if p >= result.threshold else "report" for p in scorer.p_comment(seed_x + [long_report])]
    buffer = io.BytesIO()
    joblib.dump(result.pipeline, buffer, compress=3)
    return {
        "n_train": len(texts), "n_test": len(x_test), "threshold": result.threshold,
        "cv_macro_f1": result.cv_metrics["macro_f1"], "train_seconds": seconds,
        "dev_test": {"factcomment": per_class(y_test, ours), "baseline": per_class(y_test, base)},
        "seeds": {"asides_correct": sum(p == t == "comment" for p, t in zip(seed_p, seed_y)),
                  "asides": seed_y.count("comment"),
                  "reports_correct": sum(p == t == "report" for p, t in zip(seed_p, seed_y)),
                  "reports": seed_y.count("report"), "long_report_label": seed_p[-1]},
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
