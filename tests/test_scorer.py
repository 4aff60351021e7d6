"""The scorer equals the Pipeline, imports no numerical library for a single text and explains exactly."""
import json
import os
import subprocess
import sys

import pytest
from hypothesis import given, settings, strategies as st

from factcomment.model import train
from factcomment.scorer import Scorer, compile_scorer

TEXTS = ["The council approved the budget on Tuesday.", "Police said two men were arrested.",
         "Shares fell 3% after the announcement.", 'The minister said: "We will not resign over this."',
         "This is a disgrace and everyone knows it.", "Surely nobody believes this nonsense?",
         "We must stop pretending the plan works.", "What a \u2018shameful\u2019 way to treat voters!"]
LABELS = ["report"] * 4 + ["comment"] * 4
PROBES = ["", "   ", "Police said it was a disgrace.", "\u201cWe must act now,\u201d she said on 3 May 2021.",
          "Is this really the best they can do?", "caf\u00e9 na\u00efve \u00fcber \u4e2d\u6587 \U0001f600 _quote_"]


# A teacher lexicon (factcomment.distil.teacher_lexicon) adds a cue whose per-word values fold into the scorer.
TEACHER = {"disgrace": 1.25, "nonsense": 0.8, "council": -0.6, "police": -0.45, "we": 0.2, "caf\u00e9": 0.1}


@pytest.fixture(scope="module", params=[({}, None), ({"cue_weight": 1.0, "C": 100.0}, None), ({}, TEACHER)],
                ids=["default", "strong-cues", "teacher"])
def fitted(request):
    settings, teacher = request.param
    result = train(TEXTS, LABELS, folds=2, settings=settings, teacher=teacher)
    compiled = json.loads(json.dumps(compile_scorer(result.pipeline, result.threshold)))
    return result, Scorer.from_dict(compiled)


def _pipeline_p_comment(pipeline, texts):
    column = list(pipeline.classes_).index("comment")
    return pipeline.predict_proba(texts)[:, column].tolist()


def test_scorer_equals_pipeline_on_sentences(fitted):
    result, scorer = fitted
    texts = TEXTS + PROBES
    for ours, theirs in zip(scorer.p_comment(texts), _pipeline_p_comment(result.pipeline, texts)):
        assert ours == pytest.approx(theirs, abs=1e-9)
    assert scorer.threshold == result.threshold


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=80) | st.sampled_from(TEXTS + PROBES), min_size=1, max_size=4))
def test_scorer_equals_pipeline_on_any_text(fitted, texts):
    result, scorer = fitted
    for ours, theirs in zip(scorer.p_comment(texts), _pipeline_p_comment(result.pipeline, texts)):
        assert 0.0 <= ours <= 1.0
        assert ours == pytest.approx(theirs, abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=120) | st.sampled_from(TEXTS + PROBES))
def test_explanation_sums_to_the_decision(fitted, text):
    _, scorer = fitted
    toward_comment, toward_report, intercept, decision = scorer.explain(text, k=1000)
    assert all(c > 0 for _, c in toward_comment) and all(c < 0 for _, c in toward_report)
    total = intercept + sum(c for _, c in toward_comment) + sum(c for _, c in toward_report)
    assert total == pytest.approx(decision, abs=1e-9)
    assert decision == pytest.approx(scorer.decision_function([text])[0], abs=1e-9)


def test_explain_limits_to_k(fitted):
    _, scorer = fitted
    toward_comment, toward_report, _, _ = scorer.explain("Surely this disgrace, officials said, is absurd?", k=2)
    assert len(toward_comment) <= 2 and len(toward_report) <= 2


def test_scorer_imports_no_numerical_library(fitted, tmp_path):
    _, scorer = fitted
    result, _ = fitted
    path = tmp_path / "scorer.json"
    path.write_text(json.dumps(compile_scorer(result.pipeline, result.threshold)))
    code = ("import json, sys; from factcomment.scorer import Scorer; "
            f"s = Scorer.from_dict(json.load(open({str(path)!r}))); s.p_comment(['We must act.']); "
            "s.explain('We must act.', 3); "
            "print(sorted(m for m in ('numpy', 'scipy', 'sklearn') if m in sys.modules))")
    src = os.path.join(os.path.dirname(os.path.dirname(__file__)), "src")
    env = {**os.environ, "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", "")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "[]"


def test_wrong_format_is_refused():
    with pytest.raises(ValueError, match="format"):
        Scorer.from_dict({"format": "something-else"})


def test_compiled_vocabulary_is_sorted_and_refuses_other_recipes():
    from factcomment.model import build_pipeline

    result = train(TEXTS, LABELS, folds=2)
    compiled = compile_scorer(result.pipeline, result.threshold)
    assert compiled["format"] == "factcomment-scorer/4"
    names = compiled["vocabulary"].split("\n")
    assert names == sorted(names)
    other = build_pipeline({"calibration_folds": 2}).set_params(features__words__binary=False,
                                                                 features__words__sublinear_tf=True)
    with pytest.raises(ValueError, match="binary TF-IDF"):
        compile_scorer(other.fit(TEXTS, LABELS), 0.5)


def test_explanation_names_placeholders_boundaries_and_cues(fitted):
    _, scorer = fitted
    toward_comment, toward_report, _, _ = scorer.explain('Police said: "We will not resign over this." What?', 1000)
    names = {name for name, _ in toward_comment + toward_report}
    assert {name.removesuffix(":low") for name in names} >= {"cue:quotation", "cue:length"}
    assert names >= {"police", "said", "_quote_"} and any(n.startswith("<s> ") for n in names)


def test_a_cue_the_text_has_less_of_than_usual_is_named_low(fitted):
    # "***" leaned comment for want of attribution, and the reason read "attribution (said, told)".
    _, scorer = fitted
    lacking = dict(sum(scorer.explain("***", 1000)[:2], []))
    full = dict(sum(scorer.explain("Police said, he said, she said.", 1000)[:2], []))
    assert "cue:attribution:low" in lacking and "cue:attribution" not in lacking
    assert "cue:attribution" in full and "cue:attribution:low" not in full
    weight = dict(zip(scorer._cue_names, scorer._cue_weights))
    for name, contribution in lacking.items():
        if name.startswith("cue:"):  # below the mean exactly when the contribution opposes the weight
            assert name.endswith(":low") == (contribution * weight[name[4:].removesuffix(":low")] < 0)


def test_mismatched_lengths_are_refused():
    result = train(TEXTS, LABELS, folds=2)
    compiled = compile_scorer(result.pipeline, result.threshold)
    with pytest.raises(ValueError, match="differ in length"):
        Scorer.from_dict({**compiled, "vocabulary": "a\nb"})


def maps_of(cues) -> dict[str, dict[str, float]]:
    """The per-word maps a compiled scorer stores as one word list and one column of doubles each."""
    from factcomment.features import CUE_NAMES
    from factcomment.scorer import unpack_doubles

    words = cues["words"].split("\n")
    return {name: dict(zip(words, unpack_doubles(cues[name]))) for name in cues["names"][len(CUE_NAMES):]}


def test_a_teacher_cue_needs_its_lexicon_and_its_name():
    result = train(TEXTS, LABELS, folds=2, teacher=TEACHER)
    compiled = compile_scorer(result.pipeline, result.threshold)
    assert compiled["cues"]["names"][-2:] == ["length", "teacher"] and maps_of(compiled["cues"]) == {"teacher": TEACHER}
    cues = {k: v for k, v in compiled["cues"].items() if k != "teacher"}
    with pytest.raises(ValueError, match="the scorer's cues differ from this version's; retrain the model"):
        Scorer.from_dict({**compiled, "cues": cues})
    with pytest.raises(ValueError, match="cue names, means and weights differ in length"):
        Scorer.from_dict({**compiled, "cues": {**compiled["cues"], "mean": compiled["cues"]["mean"][:-1]}})
    with pytest.raises(ValueError, match="the scorer's cue words and their values differ in length"):
        Scorer.from_dict({**compiled, "cues": {**compiled["cues"], "words": "a\nb"}})


def test_a_teacher_cue_stored_as_an_object_still_loads():
    # The first models with the teacher cue (2026-12-07) stored its map as a JSON object.
    result = train(TEXTS, LABELS, folds=2, teacher=TEACHER)
    compiled = compile_scorer(result.pipeline, result.threshold)
    cues = {k: v for k, v in compiled["cues"].items() if k != "words"}
    old = Scorer.from_dict({**compiled, "cues": {**cues, "teacher": dict(TEACHER)}})
    texts = TEXTS + PROBES
    assert old.p_comment(texts) == Scorer.from_dict(compiled).p_comment(texts)
    assert old.explain(TEXTS[4]) == Scorer.from_dict(compiled).explain(TEXTS[4])
