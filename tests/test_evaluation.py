from __future__ import annotations

import pytest

from factcomment.errors import UsageError
from factcomment.evaluation import precision_recall_curve, render_table, score


def test_score_exact_figures():
    result = score(["report", "report", "comment", "comment"], [0.1, 0.7, 0.8, 0.2], 0.5)
    assert result.confusion == ((1, 1), (1, 1))
    assert result.macro_f1 == 0.5 and result.accuracy == 0.5
    assert result.per_class["comment"].precision == 0.5 and result.per_class["comment"].support == 2


def test_threshold_is_inclusive():
    assert score(["comment"], [0.5], 0.5).confusion == ((0, 0), (0, 1))


def test_as_dict_and_table():
    result = score(["report", "comment"], [0.1, 0.9], 0.5)
    assert result.as_dict()["macro_f1"] == 1.0
    assert result.as_dict()["confusion"] == {"labels": ["report", "comment"], "rows_gold_columns_predicted": [[1, 0], [0, 1]]}
    assert render_table(result).splitlines()[0] == "n=2  threshold=0.5000  macro-F1=1.0000  accuracy=1.0000"


def test_empty_and_mismatched_inputs_are_refused():
    with pytest.raises(UsageError, match="nothing to evaluate"):
        score([], [], 0.5)
    with pytest.raises(UsageError, match="1 gold labels but 2 predictions"):
        score(["report"], [0.1, 0.2], 0.5)


def test_precision_recall_curve():
    assert precision_recall_curve(["comment", "report", "comment"], [0.9, 0.6, 0.6]) == [
        (0.9, 1.0, 0.5), (0.6, 2 / 3, 1.0)]
