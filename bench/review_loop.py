"""The review loop end to end, before and after: mark our own articles in a real browser, retrain, evaluate.

    python bench/review_loop.py [--data DIR] [--keep DIR]

1. Writes the articles of ``bench/review_demo/articles.txt`` (written for this by the developers; 89
   paragraphs in 8 articles) as text documents, and runs ``factcomment review`` on them.
2. Opens the page in headless Chromium (Debian's ``chromium``, driven as the tests drive it) and clicks,
   for every paragraph, the label a moderator would give (the tags in ``articles.txt``), then "Save marks".
3. Splits the saved ``review.jsonl`` by article: rows of articles 01-04 go to training, the 43 rows of
   articles 05-08 are held out.
4. Trains the shipped model's recipe (seeds + CheckThat train/dev, dev_test held out then refitted) twice,
   without and with the reviewed training rows, and runs ``factcomment evaluate`` on the held-out rows with
   the shipped model and both retrained ones.

Needs the CheckThat data (``--data``, default ``../shared/data/checkthat2025-en``), read at run time and never
copied. Prints the commands and the figures; ``--keep`` keeps the working files.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HELD_OUT = ("05_", "06_", "07_", "08_")
LABELS = {"R": "report", "Q": "report", "E": "comment", "C": "comment"}


def write_articles(folder: Path) -> dict[tuple[str, int], str]:
    """The articles as .txt files in ``folder``; returns the gold label of each (file name, paragraph)."""
    gold, name, lines = {}, None, []

    def flush() -> None:
        if name:
            (folder / f"{name}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")

    for raw in (ROOT / "bench" / "review_demo" / "articles.txt").read_text(encoding="utf-8").splitlines():
        if raw.startswith("== "):
            flush()
            name, lines = raw[3:].strip(), []
        elif raw[:2] in ("R|", "Q|", "E|", "C|"):
            gold[(f"{name}.txt", len(lines))] = LABELS[raw[0]]
            lines.append(raw[2:])
    flush()
    return gold


def factcomment(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    print("$ factcomment " + " ".join(args), flush=True)
    done = subprocess.run([sys.executable, "-m", "factcomment", *args], env=env, capture_output=True, text=True)
    if check and done.returncode != 0:
        sys.exit(f"review_loop: factcomment {args[0]} failed:\n{done.stderr}")
    return done


def mark_in_browser(page: Path, gold: dict[tuple[str, int], str], work: Path) -> Path:
    """Click every item's gold label on the review page and save; returns the downloaded file."""
    sys.path.insert(0, str(ROOT / "tests"))
    from browser import Browser  # the tests' DevTools driver

    downloads = work / "downloads"
    downloads.mkdir()
    browser = Browser(work / "profile")
    try:
        browser.allow_downloads(downloads)
        browser.open(page.as_uri())
        items = browser.js("Array.from(document.querySelectorAll('.seg[data-text]'))"
                           ".map(e => [e.id, e.dataset.file, +e.dataset.paragraph])")
        for ident, file, paragraph in items:
            browser.click(f"#{ident} button.mark.{gold[(Path(file).name, paragraph)]}")
        browser.click("#save")
        saved = downloads / "review.jsonl"
        deadline = time.monotonic() + 20
        while not saved.is_file() and time.monotonic() < deadline:
            time.sleep(0.1)
        return saved
    finally:
        browser.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "checkthat2025-en"))
    parser.add_argument("--keep", help="Keep the working files in this directory.")
    args = parser.parse_args(argv)
    data = Path(args.data)
    if not (data / "train_en.tsv").is_file():
        print(f"review_loop: no CheckThat data in {data}; pass --data", file=sys.stderr)
        return 2
    work = Path(args.keep or tempfile.mkdtemp(prefix="factcomment-review-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        articles = work / "articles"
        articles.mkdir(exist_ok=True)
        gold = write_articles(articles)
        os.chdir(work)  # relative file names in the page and the saved rows
        factcomment("review", "articles", "-o", "review.html", "--order", "uncertain", "--force")
        saved = mark_in_browser(work / "review.html", gold, work)
        rows = [json.loads(line) for line in saved.read_text(encoding="utf-8").splitlines()]
        assert len(rows) == len(gold), (len(rows), len(gold))
        assert all(gold[(Path(r["file"]).name, r["paragraph"])] == r["label"] for r in rows)
        held = [r for r in rows if Path(r["file"]).name.startswith(HELD_OUT)]
        train = [r for r in rows if not Path(r["file"]).name.startswith(HELD_OUT)]
        for name, part in (("review-train.jsonl", train), ("review-heldout.jsonl", held)):
            Path(name).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in part), encoding="utf-8")
        print(f"saved {len(rows)} marks: {len(train)} for training, {len(held)} held out "
              f"({sum(r['label'] == 'comment' for r in held)} comment)")

        recipe = [str(ROOT / "data" / "seeds.jsonl"), str(data / "train_en.tsv"), str(data / "dev_en.tsv"),
                  "--heldout", str(data / "dev_test_en.tsv"), "--refit-with-heldout", "--force", "-q"]
        factcomment("train", *recipe, "--out", "control")
        trained = json.loads(factcomment("train", "review-train.jsonl", *recipe, "--out", "after").stdout)
        results = {}
        for label, model in (("shipped model", []), ("same recipe, retrained", ["--model", "control"]),
                             ("+ reviewed rows", ["--model", "after"])):
            out = factcomment("evaluate", "review-heldout.jsonl", *model, "-f", "json", "-q").stdout
            results[label] = json.loads(out)
        print(f"\nreviewed rows used by the 'after' model: {trained['reviewed_rows']}")
        print(f"\n{'held-out reviewed rows (' + str(len(held)) + ')':36} macro-F1  accuracy  comment P / R    threshold")
        for label, r in results.items():
            c = r["per_class"]["comment"]
            print(f"{label:36} {r['macro_f1']:8.3f}  {r['accuracy']:8.3f}  {c['precision']:.3f} / {c['recall']:.3f}"
                  f"  {r['threshold']:.3f}")
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
