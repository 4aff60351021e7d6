"""How a model scores a paragraph: the mean of its sentences' decision values.

Both tiers learn from single sentences (CheckThat's), and a paragraph read whole is another kind of text:
one TF-IDF vector holding several sentences' words, or an encoder input cut at 128 tokens. On paragraphs
built from held-out CheckThat sentences (``python bench/paragraphs.py``, docs/model.md), the mean of the
sentences' log-odds ranked and labelled paragraphs better than reading them whole, and better than the
max, the mean of the top two, noisy-or or the mean probability, for both tiers; those rules let one
evaluative sentence outvote a paragraph of reporting and need a threshold of their own.

So a paragraph's decision is the mean of its sentences' decisions, each sentence read with the
paragraph's quote state (:func:`factcomment.segment.sentence_texts`), and the model's calibration and
threshold apply to it as to a sentence's. A text of one sentence is scored as it is, so sentences
(``--unit sentence``, or ``classify`` of sentences) score exactly as the scorer alone would score them. A mean
of linear decisions is linear: explanations stay exact, each feature contributing its mean over the
sentences.

>>> from factcomment import load_model
>>> model = load_model()
>>> text = "The council met on Tuesday. It approved the budget."
>>> d = decisions(model.scorer, [text])[0]
>>> d == sum(model.scorer.decision_function(["The council met on Tuesday.", "It approved the budget."])) / 2
True
"""
from __future__ import annotations

import math
import sys
from typing import Any

from factcomment.segment import sentence_texts

__all__ = ["LONGEST", "decisions", "explain", "p_comment"]

# Longer texts are not paragraphs but whole documents on one line (or a stream's worth of text): they are
# scored whole, which the fast scorer does token by token in bounded memory.
LONGEST = 100_000


def _groups(texts: list[str]) -> list[list[str]]:
    return [[text] if len(text) > LONGEST else sentence_texts(text) for text in texts]


def decisions(scorer: Any, texts: list[str]) -> list[float]:
    """Each text's decision value: the mean of its sentences' (``scorer.decision_function``)."""
    groups = _groups(texts)
    if all(len(group) == 1 for group in groups):
        return scorer.decision_function(texts)
    return _means(scorer, groups)


def _means(scorer: Any, groups: list[list[str]]) -> list[float]:
    flat = scorer.decision_function([sentence for group in groups for sentence in group])
    out, at = [], 0
    for group in groups:
        n = len(group)
        out.append(flat[at] if n == 1 else math.fsum(flat[at:at + n]) / n)
        at += n
    return out


def p_comment(scorer: Any, texts: list[str]) -> list[float]:
    """The calibrated probability that each text is the writer's comment."""
    groups = _groups(texts)
    if all(len(group) == 1 for group in groups):
        return scorer.p_comment(texts)
    return scorer.calibrate(_means(scorer, groups))


def explain(scorer: Any, text: str, k: int) -> tuple[list[tuple[str, float]], list[tuple[str, float]], float, float]:
    """``scorer.explain`` for a paragraph: each feature's contribution is its mean over the sentences."""
    (sentences,) = _groups([text])
    if len(sentences) == 1:
        return scorer.explain(text, k)
    totals: dict[str, float] = {}
    intercept, decision_sum = 0.0, 0.0
    for sentence in sentences:
        toward_comment, toward_report, intercept, decision = scorer.explain(sentence, sys.maxsize)
        decision_sum += decision
        for feature, contribution in toward_comment + toward_report:
            totals[feature] = totals.get(feature, 0.0) + contribution
    n = len(sentences)
    contributions = sorted(((f, c / n) for f, c in totals.items() if c), key=lambda item: (-abs(item[1]), item[0]))
    return ([item for item in contributions if item[1] > 0][:k], [item for item in contributions if item[1] < 0][:k],
            intercept, decision_sum / n)
