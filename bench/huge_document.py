"""Peak memory and time of split/classify on one huge document, mostly a single line (issue #14, item 18).

    python bench/huge_document.py                    # 20 MB and 200 MB, every case below
    python bench/huge_document.py --sizes 20 --formats jsonl

Writes documents to /tmp (removed at the end unless --keep) and runs each command in a fresh
interpreter under ``/usr/bin/time -v``, its output piped back here to be counted and hashed (so two trees can
be compared byte for byte: run it with ``PYTHONPATH`` pointing at each). Documents of each size:

``words``      3.7 M words per 20 MB from a list of 17 lower-case words, no sentence end: one paragraph that
               is one sentence (the method of bench/results/2026-11-23-huge-paragraph.txt).
``sentences``  four of the words swapped for a capitalised word, stops and quotation marks: one paragraph
               of about 50,000 sentences per 20 MB, many of them inside quotations that span sentences.
``curly``      the same with curly quotation marks: text Python holds at 2 bytes a character.
``lines``      not one line but lines of about 90 characters (a paragraph each) ending with a newline.

Each row gives the peak RSS, that peak over the document's size, and the peak less the bare interpreter's
(``python -c 'import factcomment.cli'``) over the document's size. The target of item 18 is that the last
figure stays at most 3.
"""
from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import random
import re
import subprocess
import sys
import tempfile

WORDS = "the council said road would reopen on monday police held two men it is a disgrace frankly".split()
DOCUMENTS = {  # kind -> the words it is made of
    "words": WORDS,
    "sentences": WORDS[:13] + ["Police", "held.", '"We', 'failed."'],
    "curly": WORDS[:13] + ["Police", "held.", "\u201cWe", "failed.\u201d"],  # 2 bytes a character in memory
    "lines": WORDS[:16] + ["frankly.\n"],  # lines of about 90 characters
}
CASES = {  # name -> (document kind, arguments after the document)
    "split paragraph": ("words", ["split"]),
    "split sentence": ("sentences", ["split", "--unit", "sentence"]),
    "classify paragraph": ("words", ["classify"]),
    "classify sentence (one sentence)": ("words", ["classify", "--unit", "sentence"]),
    "classify sentence (many)": ("sentences", ["classify", "--unit", "sentence"]),
    "classify paragraph (curly quotes)": ("curly", ["classify"]),
    "classify paragraph (many lines)": ("lines", ["classify"]),
}


def build(path: str, size: int, words: list[str]) -> None:
    """Random ``words`` joined by spaces, cut at ``size`` bytes (seeded: the same bytes on every run)."""
    rng = random.Random(18)
    with open(path, "wb") as out:
        written = 0
        while written < size:
            data = (" ".join(rng.choices(words, k=100_000)) + " ").encode()[: size - written]
            out.write(data)
            written += len(data)


def measure(argv: list[str]) -> dict[str, object]:
    """Run ``argv`` under /usr/bin/time -v; its peak RSS (kB), wall time, exit code, output size and hash."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as timing:
        process = subprocess.Popen(["/usr/bin/time", "-v", "-o", timing.name, *argv], stdout=subprocess.PIPE)
        digest, size = hashlib.sha256(), 0
        while block := process.stdout.read(1 << 20):
            digest.update(block)
            size += len(block)
        code = process.wait()
        report = timing.read()
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", report).group(1))
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", report).group(1)
    seconds = sum(float(part) * 60 ** i for i, part in enumerate(reversed(wall.split(":"))))
    return {"rss": rss, "seconds": seconds, "code": code, "bytes": size, "sha": digest.hexdigest()[:12]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20, 200], help="document sizes in MB (10**6 B)")
    parser.add_argument("--formats", nargs="+", default=["jsonl", "csv", "tsv"], help="output formats")
    parser.add_argument("--cases", nargs="+", default=list(CASES), choices=list(CASES), metavar="CASE",
                        help=f"cases to run (default all: {', '.join(CASES)})")
    parser.add_argument("--keep", action="store_true", help="keep the documents in /tmp")
    args = parser.parse_args()
    python = [sys.executable]
    bare = measure([*python, "-c", "import factcomment.cli"])["rss"]
    print(f"# {sys.version.split()[0]}, PYTHONPATH={os.environ.get('PYTHONPATH', '')}")
    print(f"# bare interpreter with the CLI imported: {bare:,} kB")
    print(f"{'size':>6}  {'case':34} {'format':6} {'peak RSS kB':>12} {'/size':>6} {'-bare':>6} {'s':>6} "
          f"{'exit':>4} {'out bytes':>11}  sha256")
    made = []
    try:
        for mb in args.sizes:
            size = mb * 10**6
            docs = {}
            for kind in sorted({CASES[c][0] for c in args.cases}):
                words = hashlib.sha256(repr(DOCUMENTS[kind]).encode()).hexdigest()[:8]  # a kept file is this one
                docs[kind] = f"/tmp/factcomment-huge-{mb}MB-{kind}-{words}.txt"
                if not os.path.exists(docs[kind]) or os.path.getsize(docs[kind]) != size:
                    build(docs[kind], size, DOCUMENTS[kind])
                made.append(docs[kind])
            for case in args.cases:
                kind, command = CASES[case]
                for fmt in args.formats:
                    r = measure([*python, "-m", "factcomment", *command, docs[kind], "-f", fmt, "-q"])
                    print(f"{mb:>4}MB  {case:34} {fmt:6} {r['rss']:>12,} {r['rss'] * 1000 / size:>6.2f} "
                          f"{(r['rss'] - bare) * 1000 / size:>6.2f} {r['seconds']:>6.1f} {r['code']:>4} "
                          f"{r['bytes']:>11,}  {r['sha']}", flush=True)
    finally:
        if not args.keep:
            for path in made:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)


if __name__ == "__main__":
    main()
