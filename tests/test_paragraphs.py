import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from factcomment import classify, load_model
from factcomment.paragraphs import CHUNK, LONGEST, decisions, explain, p_comment

MODEL = load_model()  # the fast scorer stands in for any scorer: the rule needs only its three methods
SENTENCES = ["The council met on Tuesday.", "It approved the budget.", "Frankly, this is a disgrace.",
             "I think they should resign.", "Police said the man was arrested."]


def test_a_sentence_scores_exactly_as_the_scorer_alone():
    assert decisions(MODEL.scorer, SENTENCES) == MODEL.scorer.decision_function(SENTENCES)
    assert p_comment(MODEL.scorer, SENTENCES) == MODEL.scorer.p_comment(SENTENCES)


def test_a_paragraph_is_the_mean_of_its_sentences():
    paragraph = " ".join(SENTENCES[1:4])
    alone = MODEL.scorer.decision_function(SENTENCES[1:4])
    assert decisions(MODEL.scorer, [paragraph]) == [math.fsum(alone) / 3]
    assert p_comment(MODEL.scorer, [paragraph]) == MODEL.scorer.calibrate([math.fsum(alone) / 3])


def test_sentences_of_a_paragraph_keep_its_quote_state():
    paragraph = "“We failed. We are sorry,” he said."
    quoted = MODEL.scorer.decision_function(['“We failed."', '"We are sorry,” he said.'])
    assert decisions(MODEL.scorer, [paragraph]) == [math.fsum(quoted) / 2]


def unlow(pairs):
    """Explained contributions by raw feature name: a cue below its mean is explained as cue:NAME:low."""
    return {name.removesuffix(":low"): value for name, value in pairs}


def test_a_text_longer_than_a_paragraph_is_read_by_its_sentences_a_chunk_at_a_time():
    pair = ["The council met.", "Frankly, this is a disgrace."]
    huge = " ".join(pair) + " " + " ".join(pair * (LONGEST // 40))  # more sentences than one chunk holds
    n = 2 + 2 * (LONGEST // 40)
    assert len(huge) > LONGEST and n > CHUNK
    alone = MODEL.scorer.decision_function(pair)
    assert decisions(MODEL.scorer, [huge, pair[0]]) == [pytest.approx(math.fsum(alone) / 2, abs=1e-12), alone[0]]
    toward_comment, toward_report, intercept, decision = explain(MODEL.scorer, huge, 1000)
    shown = unlow(toward_comment + toward_report)
    parts = [dict(MODEL.scorer.contributions(s)) for s in pair]
    assert shown == pytest.approx({f: (parts[0].get(f, 0.0) + parts[1].get(f, 0.0)) / 2 for f in {*parts[0], *parts[1]}},
                                  abs=1e-12)
    assert decision == pytest.approx(decisions(MODEL.scorer, [huge])[0], abs=1e-12)


def test_a_long_text_of_whitespace_is_scored_whole():
    blank = " " * (LONGEST + 1)
    assert decisions(MODEL.scorer, [blank]) == MODEL.scorer.decision_function([blank])
    assert explain(MODEL.scorer, blank, 3) == MODEL.scorer.explain(blank, 3)


def test_the_fast_tier_reads_a_paragraph_by_its_sentences():
    paragraph = " ".join(SENTENCES[1:4])
    assert classify([paragraph])[0].p_comment == p_comment(MODEL.scorer, [paragraph])[0]
    assert MODEL.p_comment(SENTENCES) == MODEL.scorer.p_comment(SENTENCES)


def test_a_paragraphs_explanation_averages_its_sentences_contributions():
    paragraph = " ".join(SENTENCES[1:4])
    parts = [dict(MODEL.scorer.contributions(s)) for s in SENTENCES[1:4]]
    toward_comment, toward_report, intercept, decision = explain(MODEL.scorer, paragraph, 1000)
    shown = unlow(toward_comment + toward_report)
    assert shown == {f: math.fsum(p.get(f, 0.0) for p in parts) / 3 for f in set().union(*parts)}
    assert intercept == MODEL.scorer.intercept
    assert decision == pytest.approx(decisions(MODEL.scorer, [paragraph])[0], abs=1e-12)
    assert ("cue:teacher" in shown) and ("<s> it" in shown)  # the words of the sentences, not of the whole


def test_a_sentences_explanation_is_the_scorers():
    assert explain(MODEL.scorer, SENTENCES[2], 3) == MODEL.scorer.explain(SENTENCES[2], 3)


def test_the_models_explanation_of_a_paragraph_sums_to_its_decision():
    paragraph = " ".join(SENTENCES)
    e = MODEL.explain(paragraph, 2)
    assert len(e.toward_comment) == len(e.toward_report) == 2
    assert e.decision == pytest.approx(decisions(MODEL.scorer, [paragraph])[0], abs=1e-12)
    shown = sum(c for _, c in (*e.toward_comment, *e.toward_report))
    assert e.intercept + shown + e.rest == pytest.approx(e.decision, abs=1e-12)


def test_the_accurate_tier_reads_a_paragraph_by_its_sentences():
    pytest.importorskip("onnxruntime", reason="the accurate tier needs onnxruntime")
    # The shipped weights from the repository, so the test runs whether or not their package is installed.
    accurate = load_model(Path(__file__).resolve().parents[1] / "model" / "accurate" / "factcomment_accurate")
    paragraph = " ".join(SENTENCES[1:4])
    assert classify([paragraph], model=accurate)[0].p_comment == p_comment(accurate.scorer, [paragraph])[0]
    assert accurate.p_comment(SENTENCES) == accurate.scorer.p_comment(SENTENCES)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.sampled_from(SENTENCES), min_size=1, max_size=4).map(" ".join), min_size=1, max_size=6))
def test_a_paragraphs_score_does_not_depend_on_its_neighbours(paragraphs):
    together = decisions(MODEL.scorer, paragraphs)
    assert together == [decisions(MODEL.scorer, [p])[0] for p in paragraphs]
    assert [explain(MODEL.scorer, p, 3)[3] for p in paragraphs] == pytest.approx(together, abs=1e-12)
    assert all(0.0 <= p <= 1.0 for p in p_comment(MODEL.scorer, paragraphs))
