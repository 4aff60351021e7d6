"""Exact fixed-point sums: the numpy and pure-Python paths agree to the bit, whatever the batch."""
import json

import pytest
from hypothesis import given, settings, strategies as st

from factcomment import linear
from factcomment.linear import NUMPY_FROM, LinearTables
from factcomment.model import train
from factcomment.scorer import Scorer, compile_scorer

TEXTS = ["The council approved the budget on Tuesday.", "Police said two men were arrested.",
         'The minister said: "We will not resign over this."', "Shares fell 3% after the announcement.",
         "This is a disgrace and everyone knows it.", "Surely nobody believes this nonsense?",
         "We must stop pretending the plan works.", "What a \u2018shameful\u2019 way to treat voters!"]
LABELS = ["report"] * 4 + ["comment"] * 4
ODD = ["", "  ", "\x00\x01 police \x00 said", "caf\u00e9 \u4e2d\u6587 \U0001f600 _quote_", "a \"b c d e f\" g"]


@pytest.fixture(scope="module", params=[None, {"disgrace": 1.5, "council": -0.75, "caf\u00e9": 0.25, "we": 0.125}],
                ids=["default", "teacher"])
def fitted(request):
    # A teacher lexicon (factcomment.distil) adds its words to the lexicon weights the sums look up.
    result = train(TEXTS, LABELS, folds=2, teacher=request.param)
    return result, Scorer.from_dict(json.loads(json.dumps(compile_scorer(result.pipeline, result.threshold))))


def _one_by_one(tables: LinearTables, texts: list[str]) -> list[tuple]:
    return [r for text in texts for r in tables.sums([text])]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(max_size=60) | st.sampled_from(TEXTS + ODD), min_size=NUMPY_FROM, max_size=NUMPY_FROM + 40))
def test_numpy_batch_equals_pure_python_one_by_one_to_the_bit(fitted, texts):
    _, scorer = fitted
    assert scorer._linear.sums(texts) == _one_by_one(scorer._linear, texts)


def test_batch_path_equals_the_pipeline(fitted):
    result, scorer = fitted
    texts = (TEXTS + ODD) * 10
    assert len(texts) >= NUMPY_FROM
    column = list(result.pipeline.classes_).index("comment")
    expected = result.pipeline.predict_proba(texts)[:, column].tolist()
    for ours, theirs in zip(scorer.p_comment(texts), expected):
        assert ours == pytest.approx(theirs, abs=1e-9)


def test_texts_too_long_for_int64_are_summed_exactly(fitted, monkeypatch):
    _, scorer = fitted
    texts = (TEXTS + ODD) * 10
    expected = _one_by_one(scorer._linear, texts)
    # Pretend int64 ends at 1: every text then exceeds the bound and takes the Python-int fallback, which
    # must give the same bits.
    monkeypatch.setattr(linear, "_INT64_MAX", 1)
    assert scorer._linear.sums(texts) == expected


def test_blocks_do_not_change_results(fitted, monkeypatch):
    _, scorer = fitted
    texts = (TEXTS + ODD) * 20
    whole = scorer._linear.sums(texts)
    monkeypatch.setattr(linear, "BLOCK", 7)
    assert scorer._linear.sums(texts) == whole


def test_fixed_point_keeps_forty_bits_for_ordinary_weights_and_fewer_for_huge_ones():
    assert linear._fixed_point_bits([0.5, -3.0], [1.0, 9.5]) == 40
    assert linear._fixed_point_bits([2.0 ** 30], [1.0]) == 22


def _tables(names, weights, idf, classes=None, lexicon=None):
    return LinearTables(names, weights, idf, classes or {}, lexicon or {})


@pytest.mark.parametrize("batch", [1, NUMPY_FROM])
def test_sums_count_distinct_features_once_and_cues_per_occurrence(batch):
    tables = _tables(["a", "b", "a b", "<s> a"], [0.5, -1.0, 0.25, 2.0], [1.0, 2.0, 3.0, 1.5],
                     {"a": 0.125, "of course": 1.0}, {"b": -0.5})
    one = 1 << tables.bits
    # "a b a b c": distinct a, b, "a b", "<s> a"; class "a" twice; lexicon "b" twice; 5 tokens.
    expected = ((0.5 - 1.0 + 0.25 + 2.0) * one, (1 + 4 + 9 + 2.25) * one, 0.25 * one, -1.0 * one, 5)
    assert tables.sums(["A b a b c"] * batch) == [expected] * batch
    # The class bigram counts though neither word is a feature; "of" and "course" alone do not.
    assert tables.sums(["of course, of the course"] * batch) == [(0, 0, one, 0, 6)] * batch


def test_a_vocabulary_without_bigrams_still_scores():
    tables = _tables(["a", "b"], [1.0, -1.0], [1.0, 1.0])
    one = 1 << tables.bits
    assert tables.sums(["a a b", "c"] * NUMPY_FROM) == [(0, 2 * one, 0, 0, 3), (0, 0, 0, 0, 1)] * NUMPY_FROM


def test_tables_pickle_after_use_and_score_the_same(fitted):
    import pickle

    _, scorer = fitted
    texts = (TEXTS + ODD) * 10
    before = scorer._linear.sums(texts) + scorer._linear.sums(texts[:3])  # both paths' tables now built
    copy = pickle.loads(pickle.dumps(scorer._linear))
    assert copy.sums(texts) + copy.sums(texts[:3]) == before


def test_an_empty_vocabulary_scores_zero():
    tables = _tables([], [], [])
    assert tables.sums(["anything at all"] * NUMPY_FROM) == [(0, 0, 0, 0, 3)] * NUMPY_FROM
    assert tables.sums(["anything"]) == [(0, 0, 0, 0, 1)]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.text(max_size=60) | st.sampled_from(TEXTS + ODD), min_size=1, max_size=NUMPY_FROM + 20),
       st.integers(0, NUMPY_FROM + 20))
def test_probabilities_do_not_depend_on_the_batch(fitted, texts, cut):
    _, scorer = fitted
    whole = scorer.p_comment(texts)
    assert scorer.p_comment(texts[:cut]) + scorer.p_comment(texts[cut:]) == whole
    assert [scorer.p_comment([t])[0] for t in texts] == whole


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=60) | st.sampled_from(TEXTS + ODD), min_size=1, max_size=NUMPY_FROM + 6))
def test_huge_texts_read_in_pieces_give_the_same_integers(fitted, texts):
    # Texts above STREAM_FROM characters take the pure-Python path, which reads them in pieces of about PIECE
    # characters (memory near the text's size); with the bound at 0 every text takes that path, from the
    # pure-Python and the numpy batch paths alike, and with PIECE at 8 most texts are read in several pieces.
    tables = fitted[1]._linear
    expected = _one_by_one(tables, texts)
    bound, piece, linear.STREAM_FROM, linear.PIECE = linear.STREAM_FROM, linear.PIECE, 0, 8
    try:
        assert tables.sums(texts) == expected
        assert [tables._text_sums(t) for t in texts] == expected
    finally:
        linear.STREAM_FROM, linear.PIECE = bound, piece
    assert tables._sums_numpy(texts) == expected  # the numpy path reads each text whole
