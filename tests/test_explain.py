"""Readable explanations: raw feature names to reasons a moderator can act on, sum kept."""
from __future__ import annotations

import math
import re

import pytest
from hypothesis import given, strategies as st

from factcomment.errors import UsageError
from factcomment.explain import describe, phrase, readable
from factcomment.results import Explanation


@pytest.mark.parametrize("feature, label, kind", [
    ("said", "\u201csaid\u201d", "words"),
    ("i think", "\u201cI think\u201d", "words"),
    ("i'm sure", "\u201cI'm sure\u201d", "words"),
    ("said ,", "\u201csaid,\u201d", "words"),
    ("?", "question mark", "words"),
    ("! </s>", "exclamation mark at the end of a sentence", "words"),
    ("<s> frankly", "\u201cfrankly\u201d at the start of a sentence", "words"),
    ("_num_", "a number", "placeholder"),
    ("said _num_", "\u201csaid\u201d before a number", "words"),
    # a quotation of 4+ words is one _quote_, a scare-quoted term follows _scare_, stance cues are cue:NAME
    ("_quote_", "a quotation", "placeholder"),
    ("_quote_ the", "a quotation", "placeholder"),
    ("_quote_ .", "a quotation", "placeholder"),
    ("disgrace _quote_", "\u201cdisgrace\u201d before a quotation", "words"),
    ("_quote_ he", "\u201che\u201d after a quotation", "words"),
    ("_scare_ reform", "\u201creform\u201d in scare quotes", "words"),
    ("cue:first_person", "first person (I, we)", "cue"),
    ("cue:hedge", "hedge (perhaps, seems)", "cue"),
    ("cue:intensifier", "intensifier (very, utterly)", "cue"),
    ("cue:subjective_share", "strongly subjective words", "cue"),
    ("cue:abs_polarity", "emotional intensity", "cue"),
    ("cue:teacher", "word choice, as the accurate model reads news", "cue"),
    ("cue:something_new", "something new", "cue"),
])
def test_describe(feature, label, kind):
    reason = describe(feature)
    assert (reason.label, reason.kind, reason.features) == (label, kind, (feature,))


@pytest.mark.parametrize("feature", ["the", "of the", ",", "-", "<s> the", ". </s>", "it's"])
def test_function_words_and_punctuation_describe_nothing(feature):
    assert describe(feature) is None


def test_function_words_fold_into_other_unless_they_weigh_most():
    e = Explanation((("the", 0.5), ("disgrace", 0.4), ("<s> the", 0.3), ("of the", 0.2)),
                    ((",", -0.35), ("said", -0.3), ("_quote_", -0.1)), intercept=-0.2, rest=0.05, decision=0.5)
    r = readable(e)
    assert [x.label for x in r.toward_comment] == ["\u201cthe\u201d", "\u201cdisgrace\u201d"]  # "the" is the strongest
    assert [x.label for x in r.toward_report] == ["\u201csaid\u201d", "a quotation"]
    assert math.isclose(r.other, 0.05 + 0.3 + 0.2 - 0.35)
    assert phrase(e) == "comment: \u201cthe\u201d, \u201cdisgrace\u201d; report: \u201csaid\u201d, a quotation"


def test_same_reason_from_several_features_is_merged_and_k_limits_each_way():
    e = Explanation((("_quote_", 0.3), ("_quote_ the", 0.2), ("awful", 0.1), ("sad", 0.05)), (),
                    intercept=0.0, rest=0.0, decision=0.65)
    r = readable(e, k=2)
    assert [(x.label, round(x.contribution, 9), x.features) for x in r.toward_comment] == [
        ("a quotation", 0.5, ("_quote_", "_quote_ the")), ("\u201cawful\u201d", 0.1, ("awful",))]
    assert math.isclose(r.other, 0.05)


_NAMES = st.sampled_from(["the", "of the", ",", "said", "i think", "_num_", "awful", "_quote_ the", "_quote_",
                          "said _quote_", "<s> the", "<s> frankly", "cue:hedge", "cue:length", "_scare_ reform", "?"])


@given(pairs=st.lists(st.tuples(_NAMES, st.floats(-2, 2, allow_nan=False)), max_size=12, unique_by=lambda p: p[0]),
       intercept=st.floats(-2, 2), rest=st.floats(-1, 1), k=st.one_of(st.none(), st.integers(0, 4)))
def test_reasons_other_and_intercept_sum_to_the_decision(pairs, intercept, rest, k):
    comment = tuple(p for p in pairs if p[1] > 0)
    report = tuple(p for p in pairs if p[1] < 0)
    decision = intercept + rest + math.fsum(v for _, v in comment + report)
    r = readable(Explanation(comment, report, intercept, rest, decision), k)
    assert math.isclose(math.fsum(x.contribution for x in r.reasons) + r.other + r.intercept, decision,
                        abs_tol=1e-9)
    assert all(x.contribution > 0 for x in r.toward_comment) and all(x.contribution < 0 for x in r.toward_report)
    assert all("_" not in x.label and "<s>" not in x.label for x in r.reasons if x.kind != "cue")


def test_every_stance_cue_the_model_has_gets_a_readable_name():
    # The names live in explain, the cues in features: a cue added or renamed there must not reach a reader
    # as its identifier (as abs_polarity and subjective_share once did).
    from factcomment.explain import _CUES
    from factcomment.features import cue_names

    assert sorted(_CUES) == sorted(cue_names(True))


@pytest.mark.parametrize("k", [-1, 1.5, True, "2"])
def test_a_count_of_reasons_that_is_not_one_is_refused(k):
    # phrase(e, -1) left out the last reason without a word.
    e = Explanation((("frankly", 0.9), ("awful", 0.5)), (("said", -0.4),), 0.0, 0.0, 1.0)
    with pytest.raises(UsageError, match=rf"^k must be a whole number, 0 or more, or None for every reason, not "
                                         rf"{re.escape(repr(k))}; pass e\.g\. k=3$"):
        e.phrase(k)
    assert phrase(e, 0) == "comment: -; report: -" and phrase(e, 1) == "comment: \u201cfrankly\u201d; report: \u201csaid\u201d"
