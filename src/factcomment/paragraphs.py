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
or ``classify`` of sentences) score exactly as the scorer alone would score them. The functions take any
scorer with ``decision_function`` and ``calibrate`` (and, to explain, ``contributions`` and ``strongest``).

>>> from factcomment import load_model
>>> model = load_model()
>>> text = "The council met on Tuesday. It approved the budget."
>>> d = decisions(model.scorer, [text])[0]
>>> d == sum(model.scorer.decision_function(["The council met on Tuesday.", "It approved the budget."])) / 2
True
"""
from __future__ import annotations

import math
from typing import Any

from factcomment.segment import sentence_texts

__all__ = ["LONGEST", "decisions", "explain", "p_comment"]

# Longer texts are not paragraphs but whole documents on one line (or a stream's worth of text): they are
# scored whole, which the fast scorer does piece by piece in bounded memory.
LONGEST = 100_000


def _sentences(text: str) -> list[str]:
    return sentence_texts(text) if len(text) <= LONGEST else [text]


def decisions(scorer: Any, texts: list[str]) -> list[float]:
    """Each text's decision value: the mean of its sentences' (``scorer.decision_function``)."""
    groups = [_sentences(text) for text in texts]
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
    group = _sentences(text)  # one sentence: its own contributions, as fsum([c]) / 1 is c
    parts: dict[str, list[float]] = {}
    for sentence in group:
        for feature, contribution in scorer.contributions(sentence):
            parts.setdefault(feature, []).append(contribution)
    return scorer.strongest([(f, math.fsum(c) / len(group)) for f, c in parts.items()], k)
