"""How a paragraph is scored: the mean of its sentences' decision values, in both tiers.

The models learnt from single sentences (CheckThat's), and a paragraph read whole is another kind of text:
one TF-IDF vector holding several sentences' words, its cues averaged over more tokens than any training
sentence had; an encoder input cut at 128 tokens. On paragraphs built from held-out CheckThat sentences, the
mean of the sentences' log-odds labelled them better at the sentence threshold than reading them whole, and
better than the max, top-two, noisy-or or mean-probability rules, which let one evaluative sentence outvote
a paragraph of reporting. The figures: docs/model.md.

A paragraph's decision is the mean of its sentences' decisions, each sentence read with the paragraph's
quote state (:func:`factcomment.segment.sentence_texts`), and the model's calibration and threshold apply
to it as to a sentence's; its explanation averages each feature's contribution over the sentences in the
same way, so it stays exact. A text of one sentence is scored as it is, so sentences (``--unit sentence``,
or ``classify`` of sentences) score exactly as the scorer alone would score them. A text longer than
:data:`LONGEST` (a document on one line, an article in one JSON field) is read by its sentences too, a chunk
of them at a time, so that memory stays flat however long it is. The functions take any scorer with
``decision_function`` and ``calibrate`` (and, to explain, ``contributions`` and ``strongest``).

>>> from factcomment import load_model
>>> model = load_model()
>>> text = "The council met on Tuesday. It approved the budget."
>>> d = decisions(model.scorer, [text])[0]
>>> d == sum(model.scorer.decision_function(["The council met on Tuesday.", "It approved the budget."])) / 2
True
"""
from __future__ import annotations

import math
from collections.abc import Iterator
from itertools import islice
from typing import Any

from factcomment.segment import iter_sentence_texts, sentence_texts

__all__ = ["LONGEST", "decisions", "explain", "p_comment"]

# Longer texts are read a chunk of sentences at a time. Read whole, as they were before, their counts and
# length cue lay far outside anything trained on: a 150,000-character paragraph of news scored -153
# (p_comment 0.0) where its sentences average -2.4.
LONGEST = 100_000
CHUNK = 512  # sentences per call: enough for the scorer's batch path, few enough that memory stays flat


def decisions(scorer: Any, texts: list[str]) -> list[float]:
    """Each text's decision value: the mean of its sentences' (``scorer.decision_function``)."""
    if any(len(text) > LONGEST for text in texts):  # rare enough to score one text at a time
        return [_long_decision(scorer, text) if len(text) > LONGEST else decisions(scorer, [text])[0]
                for text in texts]
    groups = [sentence_texts(text) for text in texts]
    sizes = list(map(len, groups))
    if max(sizes, default=1) == 1:  # sentence_texts gives a one-sentence text back untouched
        return scorer.decision_function(texts)
    scores = scorer.decision_function([sentence for group in groups for sentence in group])
    out, at = [], 0
    for n in sizes:
        out.append(scores[at] if n == 1 else math.fsum(scores[at:at + n]) / n)  # fsum([x]) / 1 is x
        at += n
    return out


def p_comment(scorer: Any, texts: list[str]) -> list[float]:
    """The calibrated probability that each text is the writer's comment."""
    return scorer.calibrate(decisions(scorer, texts))


def explain(scorer: Any, text: str, k: int) -> tuple[list[tuple[str, float]], list[tuple[str, float]], float, float]:
    """``scorer.explain(text, k)`` for a paragraph: each feature's contribution is its mean over the sentences
    (0 where a sentence lacks it), so that they and the intercept sum to the paragraph's decision value."""
    parts: dict[str, list[float]] = {}  # each feature's contributions, summed per chunk of sentences
    n = 0
    for chunk in _chunks(text) if len(text) > LONGEST else [sentence_texts(text)]:
        within: dict[str, list[float]] = {}
        for sentence in chunk:
            for feature, contribution in scorer.contributions(sentence):
                within.setdefault(feature, []).append(contribution)
        for feature, contributions in within.items():
            parts.setdefault(feature, []).append(math.fsum(contributions))
        n += len(chunk)
    if n == 0:  # a long text of whitespace only
        return scorer.explain(text, k)
    # One sentence: its own contributions, as fsum([fsum([c])]) / 1 is c.
    return scorer.strongest([(f, math.fsum(c) / n) for f, c in parts.items()], k)


def _long_decision(scorer: Any, text: str) -> float:
    sums, n = [], 0
    for chunk in _chunks(text):
        sums.append(math.fsum(scorer.decision_function(chunk)))
        n += len(chunk)
    return math.fsum(sums) / n if n else scorer.decision_function([text])[0]


def _chunks(text: str) -> Iterator[list[str]]:
    sentences = iter_sentence_texts(text)
    while chunk := list(islice(sentences, CHUNK)):
        yield chunk
