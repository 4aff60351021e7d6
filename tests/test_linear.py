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


@pytest.fixture(scope="module")
def fitted():
    result = train(TEXTS, LABELS, folds=2)
    return result, Scorer.from_dict(json.loads(json.dumps(compile_scorer(result.pipeline, result.threshold))))


def _one_by_one(tables: LinearTables, texts: list[str]) -> list[float]:
    return [r for text in texts for r in tables.ratios([text])]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(max_size=60) | st.sampled_from(TEXTS + ODD), min_size=NUMPY_FROM, max_size=NUMPY_FROM + 40))
def test_numpy_batch_equals_pure_python_one_by_one_to_the_bit(fitted, texts):
    _, scorer = fitted
    assert scorer._linear.ratios(texts) == _one_by_one(scorer._linear, texts)


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
    assert scorer._linear.ratios(texts) == expected


def test_blocks_do_not_change_results(fitted, monkeypatch):
    _, scorer = fitted
    texts = (TEXTS + ODD) * 20
    whole = scorer._linear.ratios(texts)
    monkeypatch.setattr(linear, "BLOCK", 7)
    assert scorer._linear.ratios(texts) == whole


def test_fixed_point_keeps_forty_bits_for_ordinary_weights_and_fewer_for_huge_ones():
    assert linear._fixed_point_bits([0.5, -3.0], [1.0, 9.5]) == 40
    assert linear._fixed_point_bits([2.0 ** 30], [1.0]) == 22
    tables = LinearTables(["a", "b", "a b"], [2.0 ** 30, -1.0, 0.25], [1.0, 2.0, 3.0])
    assert tables.ratios(["a b"]) == [(2.0 ** 30 - 1.0 + 0.25) / 6.0]
    assert tables.ratios(["a b"] * NUMPY_FROM) == [(2.0 ** 30 - 1.0 + 0.25) / 6.0] * NUMPY_FROM


def test_a_vocabulary_without_bigrams_still_scores():
    tables = LinearTables(["a", "b"], [1.0, -1.0], [1.0, 1.0])
    assert tables.ratios(["a a b", "c"] * NUMPY_FROM) == [1.0 / 3.0, 0.0] * NUMPY_FROM


def test_tables_pickle_after_use_and_score_the_same(fitted):
    import pickle

    _, scorer = fitted
    texts = (TEXTS + ODD) * 10
    before = scorer._linear.ratios(texts) + scorer._linear.ratios(texts[:3])  # both paths' tables now built
    copy = pickle.loads(pickle.dumps(scorer._linear))
    assert copy.ratios(texts) + copy.ratios(texts[:3]) == before


def test_an_empty_vocabulary_scores_zero():
    tables = LinearTables([], [], [])
    assert tables.ratios(["anything at all"] * NUMPY_FROM) == [0.0] * NUMPY_FROM
    assert tables.ratios(["anything"]) == [0.0]
