"""Tests of the Pipeline, training, threshold and error messages (tiny invented corpus)."""
import pytest

from factcomment.errors import TrainingDataError
from factcomment.model import DEFAULT_SETTINGS, NBScaler, build_pipeline, train
from factcomment.results import LABELS

REPORT = ["The council approved the budget on Tuesday.", "Police said two men were arrested.",
          "Shares fell 3% after the announcement.", "The minister resigned on Monday, officials said.",
          "According to the report, exports rose in May.", "The court adjourned the hearing until June.",
          "Rail workers will strike for two days, the union said.", "The company employs 4,000 people."]
COMMENT = ["This is a disgrace and everyone knows it.", "Surely nobody believes this nonsense?",
           "We must stop pretending the plan works.", "What a shameful way to treat voters!",
           "Frankly, the whole scheme is absurd.", "I think the government has lost its way.",
           "It is hard to imagine a worse decision.", "Nobody should be fooled by this."]
TEXTS, LABELS_ = REPORT + COMMENT, ["report"] * 8 + ["comment"] * 8


def test_train_returns_threshold_metrics_and_settings():
    result = train(TEXTS, LABELS_, folds=3)
    assert 0.0 < result.threshold < 1.0
    assert result.cv_metrics["n"] == 16 and result.cv_metrics["counts"] == {"report": 8, "comment": 8}
    assert set(result.cv_metrics) >= {"macro_f1", "report", "comment", "folds"}
    assert result.settings["C"] == DEFAULT_SETTINGS["C"]
    # The Pipeline's classes are the labels the rest of factcomment uses (results.LABELS), both of them.
    assert sorted(result.pipeline.classes_) == sorted(LABELS)
    assert set(result.pipeline.predict(TEXTS)) == set(LABELS)


@pytest.mark.slow
def test_training_is_deterministic():
    a = train(TEXTS, LABELS_, folds=3, seed=1)
    b = train(TEXTS, LABELS_, folds=3, seed=1)
    probe = ["What a disgrace!", "Officials said the budget rose.", ""]
    assert a.threshold == b.threshold
    assert (a.pipeline.predict_proba(probe) == b.pipeline.predict_proba(probe)).all()


def test_folds_degrade_to_the_rarest_class():
    result = train(REPORT + COMMENT[:4], ["report"] * 8 + ["comment"] * 4, folds=5)
    assert result.cv_metrics["folds"] == 4


@pytest.mark.parametrize("labels, message", [
    (["report"] * 16, "only one class"),
    (["report"] * 15 + ["opinion"], "unknown label.*'opinion'"),
    (["report"] * 15 + ["comment"], "only 1 example\\(s\\) of 'comment'.*at least 4"),
])
def test_train_rejects_bad_labels_with_a_fix(labels, message):
    with pytest.raises(TrainingDataError, match=message):
        train(TEXTS, labels)


def test_build_pipeline_rejects_unknown_settings():
    with pytest.raises(ValueError, match="unknown settings"):
        build_pipeline({"colour": "red"})


def test_cue_features_can_be_switched_on():
    result = train(TEXTS, LABELS_, folds=2, settings={"cue_weight": 0.1, "suffix": 3})
    assert [name for name, _ in result.pipeline.named_steps["features"].transformer_list] == ["words", "cues"]


def test_nb_scaler_weights_columns_by_log_count_ratio():
    from scipy import sparse
    from sklearn.exceptions import NotFittedError

    X = sparse.csr_matrix([[2.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 3.0, 1.0], [0.0, 1.0, 0.0]])
    y = ["report", "report", "comment", "comment"]
    with pytest.raises(NotFittedError):
        NBScaler().transform(X)
    with pytest.raises(ValueError, match="alpha"):
        NBScaler(alpha=0).fit(X, y)
    scaler = NBScaler(alpha=1.0)
    assert scaler.fit(X, y) is scaler and list(scaler.classes_) == ["comment", "report"]
    # r points at classes_[1] ("report"): column 0 is only in report rows, 1 only in comment rows, 2 in both.
    assert scaler.r_[1] < 0 < scaler.r_[0] and scaler.r_[2] == pytest.approx(0.0)
    assert scaler.transform(X).toarray()[0, 0] == pytest.approx(2.0 * scaler.r_[0])


def test_nb_scaling_and_class_tokens_can_be_switched_on():
    result = train(TEXTS, LABELS_, folds=2, settings={"nb_alpha": 1.0, "classes": True})
    words = result.pipeline.named_steps["features"].transformer_list[0][1]
    assert list(words.named_steps) == ["tfidf", "nb"]
    assert "_modal_" in words.named_steps["tfidf"].vocabulary_


@pytest.mark.slow
def test_copies_of_a_text_share_a_cross_validation_fold():
    once = train(TEXTS, LABELS_, folds=3).cv_metrics["macro_f1"]
    thrice = train(TEXTS * 3, LABELS_ * 3, folds=3).cv_metrics["macro_f1"]
    # Scattered over folds, every copy is scored by a model trained on its twins: macro-F1 1.0.
    assert thrice < 1.0 and abs(thrice - once) < 0.2
