"""Typed results: what classification returns. Only the writers turn these into text."""
from __future__ import annotations

from dataclasses import dataclass
from operator import attrgetter

from factcomment.segment import Segment

LABELS = ("report", "comment")


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why the model scored a text as it did.

    The model is linear, so ``intercept + sum of every feature's contribution == decision``; the lists hold
    the ``k`` largest contributions each way as ``(feature, contribution)`` pairs, largest first, and
    ``rest`` the sum of all the others.
    """

    toward_comment: tuple[tuple[str, float], ...]
    toward_report: tuple[tuple[str, float], ...]
    intercept: float
    rest: float
    decision: float

    def phrase(self, k: int | None = None) -> str:
        """A short phrase for people, e.g. ``comment: “I think”, first person (I, we); report: “said”``.

        Readable reasons from :func:`factcomment.explain.readable` (at most ``k`` each way): words as
        written, internal tokens and cues named, function words and punctuation left out.
        """
        from factcomment.explain import phrase

        return phrase(self, k)


@dataclass(frozen=True, slots=True)
class Prediction:
    """The label of one text, the probability that it is commentary, and who decided it.

    ``source`` is ``"model"`` when the classifier labelled the text and ``"marker"`` when the writer marked
    it as an aside (then ``label`` is ``"comment"`` and ``p_comment`` is 1.0).
    """

    label: str
    p_comment: float
    source: str = "model"
    explanation: Explanation | None = None


@dataclass(frozen=True, slots=True)
class SegmentPrediction:
    """A prediction for one paragraph or sentence of a document, with its offsets.

    ``label``, ``p_comment``, ``source`` and ``explanation`` are the prediction's; ``start``, ``end`` and ``text``
    the segment's.
    """

    segment: Segment
    prediction: Prediction

    label = property(attrgetter("prediction.label"))
    p_comment = property(attrgetter("prediction.p_comment"))
    source = property(attrgetter("prediction.source"))
    explanation = property(attrgetter("prediction.explanation"))  # None unless explain > 0 (and for asides)
    start = property(attrgetter("segment.start"))
    end = property(attrgetter("segment.end"))
    text = property(attrgetter("segment.text"))
