"""Sentence-boundary precision and recall of ``split_sentences`` on English Wikinews.

    python bench/sentence_boundaries.py [--wikinews DIR] [--per-paragraph 5] [--top 30]

The gold is ``DIR/*.sentences.txt`` (see its README.txt): one sentence per line, in article order, as
pysbd 0.3.4 split them, with exact duplicates and sentences outside 5-80 words removed. Each file's lines
are stripped and every run of ``--per-paragraph`` consecutive lines (the last run may be shorter) is joined
with a single space into a pseudo-paragraph; the gold boundaries are those joining spaces. Each
pseudo-paragraph is split by ``factcomment.segment.split_sentences``, and a predicted boundary is the gap
after each sentence but the last. A boundary counts as found when both sides put it in the same gap. The
files' lines are not all neighbours in their articles (removed lines leave joins), so a pseudo-paragraph may
join sentences that were apart; each join is still a boundary of the gold.

Since the gold is itself a machine split, a "missed" or "spurious" boundary is a disagreement with pysbd,
not always an error of ours. Disagreements are grouped by the token before the gap (what decides most
abbreviation rules) and by the first character after it. Only the token's class is printed, or the token
itself when it is a short abbreviation-like one (``U.S.``, ``Inc.``, ``No.``): the Wikinews licence does not
allow copying sentences into this repository, and this output goes into bench/results/. Each abbreviation
we miss boundaries after is also counted where it stands before a capital inside a gold sentence, where
not splitting agrees with the gold: the other side of the rule. Our extra
boundaries are also counted by whether they lie inside a double quotation opened earlier in the gold
sentence: pysbd keeps a quoted passage of several sentences whole, where factcomment splits it (and carries
the quote state into each sentence's model text, see docs/splitting.md).
"""
from __future__ import annotations

import argparse
import bisect
import re
import sys
from collections import Counter
from pathlib import Path

from factcomment.segment import split_sentences

ROOT = Path(__file__).resolve().parents[1]
_CLOSE = "\"'\u201d\u2019\u00bb)]"
_SHORT = re.compile(r"[A-Z][A-Za-z]{0,3}\.|(?:[A-Za-z]\.){2,}")  # Inc., No., U.S., a.m.: shown as written
# Lower-case abbreviations shown as written; other lower-case words are just "word."
_LOWER_ABBREV = frozenset("mr mrs ms dr prof sir st mt rev gen col capt lt sgt vs v cf no vol pp p art fig "
                          "etc approx est inc ltd co corp jr sr".split())

# The names token_class gives the tokens it does not show as written.
_SHAPES = frozenset({"initial X.", "digits.", "Capitalised word.", "word.", "...digit.", "other."})


def token_class(token: str) -> str:
    """A short, licence-safe name for the token before a gap: the token itself when it may be an abbreviation
    (a dotted token, a capitalised one of at most four letters, or a known lower-case one), else its shape."""
    if not token:
        return "(none)"
    if token[-1] in _CLOSE:
        stripped = token.rstrip(_CLOSE)
        mark = stripped[-1:] if stripped[-1:] in ".?!\u2026" else ""
        return f"closing quote/bracket after '{mark}'" if mark else "closing quote/bracket, no stop"
    if token[-1] in "?!\u2026":
        return f"word{token[-1]}"
    if token[-1] != ".":
        return "no stop (" + ("digit" if token[-1].isdigit() else "letter" if token[-1].isalpha() else "other") + ")"
    body = token.lstrip("\"'\u201c\u2018\u00ab([")
    if len(body) == 2 and body[0].isupper() and body != "I.":  # "I." is the pronoun, shown as written
        return "initial X."
    if body[:-1].isdigit():
        return "digits."
    if _SHORT.fullmatch(body) or body[:-1].lower() in _LOWER_ABBREV and body[:-1].isalpha():
        return body
    if body[:-1].isalpha():
        return "Capitalised word." if body[0].isupper() else "word."
    if body[-2:-1].isdigit():
        return "...digit."
    return "other."


def next_class(char: str) -> str:
    """The kind of the first character after a gap."""
    if char.isupper():
        return "Upper"
    if char.islower():
        return "lower"
    if char.isdigit():
        return "digit"
    return "quote/bracket" if char in "\"'\u201c\u2018\u00ab([" else "other"


def inside_quotation(line: str, i: int) -> bool:
    """Whether position ``i`` of a gold sentence lies inside a double quotation opened earlier in it."""
    before = line[:i]
    return before.count('"') % 2 == 1 or before.count("\u201c") > before.count("\u201d")


def paragraphs(path: Path, size: int):
    """``(text, gold gaps)`` for each run of ``size`` lines of ``path``."""
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    lines = [line for line in lines if line]
    for i in range(0, len(lines), size):
        run = lines[i:i + size]
        gaps, at = set(), 0
        for line in run[:-1]:
            at += len(line)
            gaps.add(at)  # the index of the joining space
            at += 1
        yield " ".join(run), gaps


def predicted_gaps(text: str) -> set[int]:
    # The gap after a sentence is the whitespace that follows it; only single spaces join the gold lines, so
    # the sentence's end offset names the gap.
    return {span.end for span in split_sentences(text)[:-1]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wikinews", type=Path, default=ROOT.parent / "shared" / "data" / "wikinews-en",
                        help="the folder holding *.sentences.txt")
    parser.add_argument("--per-paragraph", type=int, default=5, help="gold sentences joined per pseudo-paragraph")
    parser.add_argument("--top", type=int, default=30, help="error classes shown per kind")
    args = parser.parse_args(argv)
    files = sorted(args.wikinews.glob("*.sentences.txt"))
    if not files:
        print(f"sentence_boundaries.py: no *.sentences.txt in {args.wikinews}; pass --wikinews DIR", file=sys.stderr)
        return 2
    if args.per_paragraph < 2:
        print("sentence_boundaries.py: --per-paragraph must be at least 2 (one sentence has no boundary)",
              file=sys.stderr)
        return 2
    errors = {"missed": Counter(), "spurious": Counter()}
    quoted = Counter()  # spurious boundaries inside / outside a quotation of the gold sentence
    rows = []
    total = Counter()
    for path in files:
        counts = Counter()
        for text, gold in paragraphs(path, args.per_paragraph):
            predicted = predicted_gaps(text)
            counts["paragraphs"] += 1
            counts["gold"] += len(gold)
            counts["predicted"] += len(predicted)
            counts["found"] += len(gold & predicted)
            starts = sorted(g + 1 for g in gold)
            for kind, gaps in (("missed", gold - predicted), ("spurious", predicted - gold)):
                for gap in gaps:
                    token = text[max(0, gap - 40):gap].rsplit(None, 1)[-1] if gap else ""
                    errors[kind][token_class(token), next_class(text[gap + 1:gap + 2])] += 1
                    if kind == "spurious":
                        line = starts[bisect.bisect_right(starts, gap) - 1] if starts and starts[0] <= gap else 0
                        quoted[inside_quotation(text[line:], gap - line)] += 1
        rows.append((path.name, counts))
        total.update(counts)
    rows.append(("all", total))
    # How often each abbreviation we miss a boundary after stands before a capital inside a gold sentence,
    # where the gold does not split either: the other side of the abbreviation rule's trade-off.
    literal = {token for token, _ in errors["missed"] if token.endswith(".") and token not in _SHAPES}
    inside = Counter()
    if literal:
        tokens = "|".join(map(re.escape, literal))
        pattern = re.compile(rf"(?<!\S)[\"'\u201c\u2018\u00ab(\[]*({tokens}) (?=[A-Z])")
        for path in files:
            for line in path.read_text(encoding="utf-8").splitlines():
                inside.update(m.group(1) for m in pattern.finditer(line.strip()))

    print(f"pseudo-paragraphs of {args.per_paragraph} gold sentences; a boundary is a gap between two of them")
    print(f"{'file':<40}{'paras':>8}{'gold':>8}{'pred':>8}{'found':>8}{'P':>8}{'R':>8}{'F1':>8}")
    for name, c in rows:
        p = c["found"] / c["predicted"] if c["predicted"] else 0.0
        r = c["found"] / c["gold"] if c["gold"] else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        print(f"{name:<40}{c['paragraphs']:>8}{c['gold']:>8}{c['predicted']:>8}{c['found']:>8}"
              f"{p:>8.4f}{r:>8.4f}{f1:>8.4f}")
    for kind, counter in errors.items():
        what = ("gold boundaries we do not split" if kind == "missed"
                else "our boundaries the gold does not have")
        print(f"\n{kind} ({what}): {sum(counter.values())}, by token before the gap and first character after")
        for (token, after), n in counter.most_common(args.top):
            note = ""
            if kind == "missed" and token in literal:
                note = f"  ({inside[token]} before a capital inside a gold sentence)"
            print(f"  {n:>6}  {token:<40}{after:<15}{note}".rstrip())
        rest = sum(counter.values()) - sum(n for _, n in counter.most_common(args.top))
        if rest:
            print(f"  {rest:>6}  (other classes)")
        if kind == "spurious":
            print(f"  of which inside a double quotation opened earlier in the gold sentence: {quoted[True]}, "
                  f"outside: {quoted[False]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
