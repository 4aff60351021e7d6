"""Tests of the Pipeline, training, threshold and error messages (tiny invented corpus)."""
import pytest

from factcomment import features
from factcomment.errors import TrainingDataError
from factcomment.model import DEFAULT_SETTINGS, build_pipeline, train
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
    assert set(result.cv_metrics) >= {"macro_f1", "accuracy", "per_class", "confusion", "threshold", "folds"}
    assert set(result.cv_metrics["per_class"]) == set(LABELS)
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


def test_pipeline_is_binary_tfidf_and_weighted_cues():
    pipeline = build_pipeline({"cue_weight": 0.5, "C": 2.0})
    union = pipeline.named_steps["features"]
    assert [name for name, _ in union.transformer_list] == ["words", "cues"]
    words, cues = (step for _, step in union.transformer_list)
    assert (words.binary, words.sublinear_tf, words.norm, cues.weight) == (True, False, "l2", 0.5)
    assert pipeline.named_steps["clf"].estimator.C == 2.0


def test_settings_are_only_what_the_recipe_uses():
    assert DEFAULT_SETTINGS == {"cue_weight": 0.3, "C": DEFAULT_SETTINGS["C"], "class_weight": "balanced",
                                "calibration_folds": 5, "min_df": 1, "threshold_repeats": 5}


@pytest.mark.parametrize("repeats", [0, 1.5, True])
def test_threshold_repeats_must_be_a_positive_whole_number(repeats):
    with pytest.raises(ValueError, match=f"threshold_repeats must be a whole number of at least 1, not {repeats!r}"):
        build_pipeline({"threshold_repeats": repeats})


def test_threshold_is_the_mean_of_the_repeats_cuts_and_metrics_are_taken_there():
    result = train(TEXTS, LABELS_, folds=2, settings={"threshold_repeats": 3})
    cuts = result.cv_metrics["repeat_thresholds"]
    assert len(cuts) == 3 and result.threshold == pytest.approx(sum(cuts) / 3)
    assert result.cv_metrics["threshold"] == pytest.approx(result.threshold)
    assert sum(map(sum, result.cv_metrics["confusion"]["rows_gold_columns_predicted"])) == len(TEXTS)  # one pass
    one = train(TEXTS, LABELS_, folds=2, settings={"threshold_repeats": 1})
    assert one.cv_metrics["repeat_thresholds"] == [cuts[0]] and one.threshold == cuts[0]


@pytest.mark.parametrize("teacher", [None, {"disgrace": 1.5, "council": -0.5}], ids=["recipe", "teacher-cue"])
def test_fit_pipeline_is_the_model_train_fits_without_its_cross_validation(teacher):
    from factcomment.model import fit_pipeline

    fitted = fit_pipeline(TEXTS, LABELS_, seed=3, teacher=teacher)
    trained = train(TEXTS, LABELS_, seed=3, settings={"threshold_repeats": 1}, teacher=teacher).pipeline
    assert fitted.predict_proba(TEXTS).tolist() == trained.predict_proba(TEXTS).tolist()
    assert len(fitted.named_steps["features"].get_feature_names_out()) == len(
        trained.named_steps["features"].get_feature_names_out())
    assert ("cues__cue:teacher" in fitted.named_steps["features"].get_feature_names_out()) == (teacher is not None)


@pytest.mark.slow
def test_copies_of_a_text_share_a_cross_validation_fold():
    once = train(TEXTS, LABELS_, folds=3).cv_metrics["macro_f1"]
    thrice = train(TEXTS * 3, LABELS_ * 3, folds=3).cv_metrics["macro_f1"]
    # Scattered over folds, every copy is scored by a model trained on its twins: macro-F1 1.0.
    assert thrice < 1.0 and abs(thrice - once) < 0.2


def test_background_frequencies_join_the_idf_as_scikit_learns_smooth_idf():
    import math

    from factcomment.model import BackgroundTfidf, document_frequencies

    background = document_frequencies(["Shares fell.", "Shares rose.", "What a disgrace.", "", "Shares fell."])
    assert (background.n, background.counts["shares"], background.counts["shares fell"]) == (5, 3, 2)
    texts = ["Shares fell today.", "What a disgrace."]
    plain = BackgroundTfidf().fit(texts)
    both = BackgroundTfidf(background=background).fit(texts)
    assert both.vocabulary_ == plain.vocabulary_  # the vocabulary stays the training texts'
    column = both.vocabulary_
    # idf = ln((1 + n + N) / (1 + df + df_background)) + 1, as scikit-learn's smooth idf over both corpora
    assert both.idf_[column["shares"]] == pytest.approx(math.log((1 + 2 + 5) / (1 + 1 + 3)) + 1, abs=1e-12)
    assert both.idf_[column["today"]] == pytest.approx(math.log((1 + 2 + 5) / (1 + 1 + 0)) + 1, abs=1e-12)
    assert plain.idf_[column["today"]] == pytest.approx(math.log(3 / 2) + 1, abs=1e-12)
    from sklearn.feature_extraction.text import TfidfVectorizer

    sklearn = TfidfVectorizer(analyzer=features.analyse, lowercase=False, token_pattern=None, binary=True)
    assert (BackgroundTfidf().fit_transform(texts) != sklearn.fit_transform(texts)).nnz == 0
    assert (both.fit_transform(texts) != both.transform(texts)).nnz == 0


def test_training_with_a_background_keeps_its_idf_but_not_its_counts():
    import pickle

    from sklearn.base import clone

    from factcomment.model import document_frequencies

    background = document_frequencies(["The council met on Monday.", "Police said the men were charged."] * 50)
    assert clone(build_pipeline(background=background)).get_params()["features__words__background"] is background
    plain = train(TEXTS, LABELS_, folds=3, settings={"threshold_repeats": 1})
    result = train(TEXTS, LABELS_, folds=3, settings={"threshold_repeats": 1}, background=background)
    words = result.pipeline.named_steps["features"].transformer_list[0][1]
    assert words.background is None and b"council met" not in pickle.dumps(result.pipeline)
    plain_words = plain.pipeline.named_steps["features"].transformer_list[0][1]
    said = words.vocabulary_["said"]
    assert words.idf_[said] < plain_words.idf_[said]  # common in the background, so it weighs less


def test_copies_kept_in_one_fold_lower_the_calibration_folds_of_a_training_fold_they_leave_short():
    # 4 copies of one comment and 2 of another: a training fold without the 4 held 2 comments, and its
    # calibration asked scikit-learn for 4 folds (an internal ValueError).
    result = train(REPORT + ["What a disgrace."] * 4 + ["How absurd."] * 2, ["report"] * 8 + ["comment"] * 6)
    assert (result.cv_metrics["n"], result.cv_metrics["folds"], result.settings["calibration_folds"]) == (14, 5, 4)


def test_one_text_repeated_as_a_whole_class_is_refused_with_a_fix():
    with pytest.raises(TrainingDataError, match="leaves a cross-validation training fold with 0 'comment' "
                                                "example\\(s\\); add distinct 'comment' examples"):
        train(REPORT + ["What a disgrace."] * 4, ["report"] * 8 + ["comment"] * 4)
