"""Explanations a person can act on: the model's raw feature contributions turned into readable reasons.

The scorer explains a decision as ``(feature, contribution)`` pairs whose sum plus the intercept is the
decision value. Its feature names are internal (``<s> the``, ``_num_``, ``_quote_``, ``cue:first_person``), and
the strongest of them are often function words and punctuation. :func:`readable` turns them into
:class:`Reason` items: words and phrases as a reader sees them, placeholders described (``a number``,
``a quotation``, ``start of a sentence``), stance cues by name (``first person``, ``hedge``), and function
words and punctuation folded into one "other words" share unless they weigh nearly as much as the strongest
feature. Nothing is lost: the reasons, the other share and the intercept still sum to the decision.

>>> from factcomment.results import Explanation
>>> e = Explanation((("i think", 0.9), ("the", 0.3), ("cue:hedge", 0.2)), (("said", -0.4), (",", -0.1)),
...                 intercept=-0.5, rest=0.1, decision=0.5)
>>> r = readable(e)
>>> [x.label for x in r.toward_comment], [x.label for x in r.toward_report], round(r.other, 2)
(['“I think”', 'hedge (perhaps, seems)'], ['“said”'], 0.3)
>>> round(sum(x.contribution for x in r.reasons) + r.other + r.intercept, 9) == r.decision
True
"""
from __future__ import annotations

import math
import numbers
import re
from dataclasses import dataclass, replace

from factcomment.errors import UsageError
from factcomment.results import Explanation

__all__ = ["Reason", "Reasons", "describe", "phrase", "raw_count", "readable"]

# Words whose weight says more about sentence length and style than about stance. Pronouns are not here:
# "I", "we" and "you" are evidence of a writer's own voice.
FUNCTION_WORDS = frozenset("""
a an the and or but nor so yet for of in on at to from by with without into onto over under about above below
after before between through during against among upon within off out up down as than then that this these
those there here is are was were be been being am has have had having do does did done it its it's which who
whom whose what when where while if because though although also just very not no some any each every both
either neither such own same other another
""".split())
# Punctuation that carries its own meaning keeps a name; any other punctuation is folded.
_NAMED_MARKS = {"?": "question mark", "!": "exclamation mark", ":": "colon"}
_PLACEHOLDERS = {
    "_num_": "a number",
    "_quote_": "a quotation",
    "_scare_": "scare quotes",
    "<s>": "start of a sentence",
    "</s>": "end of a sentence",
}
_CUES = {
    "subjectivity": "subjective wording", "subjective_share": "strongly subjective words",
    "polarity": "positive tone", "abs_polarity": "emotional intensity",
    "first_person": "first person (I, we)", "second_person": "second person (you)", "modal": "modal verb (should, must)",
    "hedge": "hedge (perhaps, seems)", "intensifier": "intensifier (very, utterly)", "superlative": "superlative",
    "question": "question", "exclamation": "exclamation", "attribution": "attribution (said, told)",
    "quotation": "quotation", "number": "numbers", "length": "a long text",
    # The cue distilled from the accurate tier (factcomment.distil.teacher_lexicon): its words' fitted values.
    "teacher": "word choice, as the accurate model reads news",
}
# A cue below its training mean (cue:NAME:low) is a reason by its absence; word choice reads the same both ways.
_LOW_CUES = {
    "subjectivity": "little subjective wording", "subjective_share": "few strongly subjective words",
    "polarity": "negative tone", "abs_polarity": "little emotional intensity",
    "first_person": "little or no first person (I, we)", "second_person": "little or no second person (you)",
    "modal": "few or no modal verbs (should, must)", "hedge": "few or no hedges (perhaps, seems)",
    "intensifier": "few or no intensifiers (very, utterly)", "superlative": "few or no superlatives",
    "question": "no question", "exclamation": "no exclamation", "attribution": "little or no attribution (said, told)",
    "quotation": "no quotation", "number": "few or no numbers", "length": "a short text",
    "teacher": _CUES["teacher"],
}
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)*")
# A function word or punctuation is shown on its own only when it weighs nearly as much as (this share of) the
# strongest contribution in the text; below, it joins "other words".
_WEIGHTY = 0.8
# ... and moves the decision by at least this much on its own (0.1 is about 2.5 points of probability
# near the threshold): the strongest of many tiny weights is still not a reason.
_REAL_WEIGHT = 0.1


def raw_count(k: int) -> int:
    """How many raw features to ask the model for, each way, to show ``k`` readable reasons.

    Function words and punctuation are folded away, so the reasons come from a longer list.

    >>> raw_count(0), raw_count(2), raw_count(5)
    (0, 12, 20)
    """
    return max(4 * k, 12) if k > 0 else 0


@dataclass(frozen=True)
class Reason:
    """One readable reason: its ``label``, the summed ``contribution`` and the raw features behind it.

    ``kind`` is ``"words"`` (found in the text as ``words``, a tuple of tokens), ``"placeholder"`` or ``"cue"``.
    Positive contributions push toward commentary.
    """

    label: str
    contribution: float
    kind: str
    words: tuple[str, ...] = ()
    features: tuple[str, ...] = ()


@dataclass(frozen=True)
class Reasons:
    """A decision explained in readable reasons; ``sum(contributions) + other + intercept == decision``."""

    toward_comment: tuple[Reason, ...]
    toward_report: tuple[Reason, ...]
    other: float  # function words, punctuation and every feature not listed
    intercept: float
    decision: float

    @property
    def reasons(self) -> tuple[Reason, ...]:
        return self.toward_comment + self.toward_report


def describe(feature: str, *, keep_function_words: bool = False) -> Reason | None:
    """The reason a single raw feature stands for (contribution 0), or ``None`` for a function word/mark.

    >>> describe("_quote_ he").label, describe("<s> frankly").label, describe("cue:first_person").label
    ('“he” after a quotation', '“frankly” at the start of a sentence', 'first person (I, we)')
    >>> describe("cue:attribution:low").label
    'little or no attribution (said, told)'
    >>> describe("of the") is None, describe(",") is None, describe("_num_").label, describe("_quote_ the").label
    (True, True, 'a number', 'a quotation')
    """
    if feature.startswith("cue:"):
        name, low = feature[4:].removesuffix(":low"), feature.endswith(":low")
        label = (_LOW_CUES if low else _CUES).get(name, name.replace("_", " ") + (" (low)" if low else ""))
        return Reason(label, 0.0, "cue", features=(feature,))
    tokens = feature.split(" ")
    words = [t for t in tokens if t not in _PLACEHOLDERS]
    content = [t for t in words if (t not in FUNCTION_WORDS and _WORD.fullmatch(t)) or t in _NAMED_MARKS]
    places = [t for t in tokens if t in _PLACEHOLDERS and t not in ("<s>", "</s>")]
    if not content and not keep_function_words:
        if not places:
            return None  # only function words, punctuation and sentence boundaries
        return Reason(" + ".join(_PLACEHOLDERS[t] for t in places), 0.0, "placeholder", features=(feature,))
    if not words:
        return Reason(" + ".join(_PLACEHOLDERS[t] for t in tokens), 0.0, "placeholder", features=(feature,))
    label = (" ".join(_NAMED_MARKS[w] for w in words) if all(w in _NAMED_MARKS for w in words)
             else _spelled(words))
    before, after = tokens[0], tokens[-1]
    if before in _PLACEHOLDERS:
        label += _BEFORE.get(before, f" after {_PLACEHOLDERS[before]}")
    if after in _PLACEHOLDERS:
        label += _AFTER.get(after, f" before {_PLACEHOLDERS[after]}")
    return Reason(label, 0.0, "words", tuple(words), (feature,))


_BEFORE = {"<s>": " at the start of a sentence", "_scare_": " in scare quotes"}
_AFTER = {"</s>": " at the end of a sentence"}


def readable(e: Explanation, k: int | None = None) -> Reasons:
    """Readable reasons for an explanation, at most ``k`` each way (all by default), with the sum kept exact.

    Features that describe the same thing are merged (their contributions add up); function words and
    punctuation go to ``other`` unless one weighs nearly as much as the strongest contribution.
    """
    if k is not None and (isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 0):
        # A negative k sliced off the last reasons without a word (Model.explain refuses one the same way).
        raise UsageError(f"k must be a whole number, 0 or more, or None for every reason, not {k!r}; pass e.g. k=3")
    pairs = list(e.toward_comment) + list(e.toward_report)
    strongest = max((abs(v) for _, v in pairs), default=0.0)
    merged: dict[str, Reason] = {}
    for name, value in pairs:
        reason = describe(name)
        if reason is None and abs(value) >= max(_REAL_WEIGHT, _WEIGHTY * strongest):
            reason = describe(name, keep_function_words=True)
        if reason is None:
            continue
        seen = merged.get(reason.label)
        if seen is not None:
            reason, value = replace(seen, features=seen.features + reason.features), value + seen.contribution
        merged[reason.label] = replace(reason, contribution=value)
    ranked = sorted(merged.values(), key=lambda r: (-abs(r.contribution), r.label))
    comment = tuple(r for r in ranked if r.contribution > 0)[:k]
    report = tuple(r for r in ranked if r.contribution < 0)[:k]
    listed = math.fsum(r.contribution for r in comment + report)
    return Reasons(comment, report, e.decision - e.intercept - listed, e.intercept, e.decision)


def phrase(e: Explanation, k: int | None = None) -> str:
    """One line for a terminal, e.g. ``comment: “i think”, hedge; report: “said”``.

    >>> phrase(Explanation((("_num_", 0.2),), (("_quote_ police", -0.3),), 0.0, 0.0, -0.1))
    'comment: a number; report: “police” after a quotation'
    """
    r = readable(e, k)
    plus = ", ".join(x.label for x in r.toward_comment) or "-"
    minus = ", ".join(x.label for x in r.toward_report) or "-"
    return f"comment: {plus}; report: {minus}"


def _spelled(tokens: list[str]) -> str:
    """Tokens as they read in text, in curly quotes: punctuation joins the word before it."""
    out = ""
    for token in tokens:
        glue = "" if not out or (not _WORD.fullmatch(token) and token not in "(\"") else " "
        # The pronoun "I" is lower-cased in features; written as a reader would expect.
        out += glue + (re.sub(r"^i(?='|$)", "I", token))
    return f"\u201c{out}\u201d"
