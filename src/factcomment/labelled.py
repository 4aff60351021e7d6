"""Labelled data for training and evaluation: any input the readers understand, with labels mapped.

Text documents are labelled by their markers (asides ``comment``, everything else ``report``), so a folder of
reposts with ``Comment:`` asides is training data as it is. JSON lines, CSV and TSV carry a label column
(``label`` or ``kind`` by default); raw labels are mapped to ``report``/``comment`` by the label map, which by
default knows our own labels and CheckThat's ``OBJ``/``SUBJ``.

A file with a bad row contributes nothing (unless ``skip_bad_rows``, when only the bad rows are dropped):
training or scoring on the first half of a broken file would be worse than leaving it out and saying so.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from factcomment.errors import UsageError
from factcomment.readers import InputOptions, Tally, Unit, iter_units
from factcomment.results import LABELS

# A reviewer's "not sure": a judgement withheld, so the row is read (it is not an error) and left out.
UNSURE = "unsure"

DEFAULT_LABEL_MAP = {"report": "report", "comment": "comment", "obj": "report", "subj": "comment",
                     UNSURE: UNSURE}


def parse_label_map(pairs: Iterable[str]) -> dict[str, str]:
    """``["OBJ=report", "SUBJ=comment"]`` → a mapping, on top of the defaults; raw labels match case-blind."""
    mapping, given = dict(DEFAULT_LABEL_MAP), {}
    for pair in pairs:
        raw, sep, label = pair.partition("=")
        if not sep or not raw.strip() or label.strip() not in LABELS:
            raise UsageError(f"--label-map {pair!r}: write RAW=report or RAW=comment")
        key = raw.strip().lower()
        if given.get(key, label.strip()) != label.strip():  # the last would win silently
            raise UsageError(f"--label-map {pair!r}: {raw.strip()!r} is already mapped to {given[key]!r} "
                             "(labels match case-blind); keep one")
        mapping[key] = given[key] = label.strip()
    return mapping


def read_labelled(paths: Iterable[str], options: InputOptions, problems: Tally) -> list[Unit]:
    """Every labelled unit of ``paths``, each ``label`` mapped to ``report`` or ``comment``."""
    if options.label_map is None:
        options = dataclasses.replace(options, label_map=DEFAULT_LABEL_MAP)
    before = len(problems.errors)
    units = list(iter_units(paths, options, problems))
    if unsure := sum(u.label == UNSURE for u in units):
        problems.warn(f"{unsure} row(s) marked {UNSURE!r} left out")
        units = [u for u in units if u.label != UNSURE]
    # An empty text teaches nothing but the prior (a review page saves one for an aside holding only its marker).
    if empty := sum(not u.text.strip() for u in units):
        problems.warn(f"{empty} labelled row(s) with no text left out")
        units = [u for u in units if u.text.strip()]
    if not options.skip_bad_rows:
        failed = {e.file for e in problems.errors[before:]}
        units = [u for u in units if u.file not in failed]
    return _once_reviewed(units, problems)


def _once_reviewed(units: list[Unit], problems: Tally) -> list[Unit]:
    """``units`` without reviewed rows that repeat an earlier reviewed row's text and label.

    Each save of a review page holds every mark so far, so two saves given together would count the first
    one's rows twice (in training, and in evaluate's figures). The same text reviewed with different labels is
    kept, and said: which judgement stands is the moderator's to say.
    """
    seen: dict[str, set[str]] = {}
    kept, repeated = [], 0
    for u in units:
        if u.reviewed:
            labels = seen.setdefault(u.text, set())
            if u.label in labels:
                repeated += 1
                continue
            labels.add(u.label)
        kept.append(u)
    if repeated:
        problems.warn(f"{repeated} reviewed row(s) repeating the text and label of another left out "
                      "(each save of a review page holds every mark so far; give only the latest)")
    if conflicts := sum(len(labels) > 1 for labels in seen.values()):
        problems.warn(f"{conflicts} text(s) reviewed as both comment and report; both rows kept (if a later save "
                      "changed the mark, give only the latest)")
    return kept
