import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from factcomment import classify, load_model
from factcomment.paragraphs import LONGEST, decisions, explain, p_comment

MODEL = load_model()
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
    assert classify([paragraph])[0].p_comment == p_comment(MODEL.scorer, [paragraph])[0]


def test_sentences_of_a_paragraph_keep_its_quote_state():
    paragraph = "“We failed. We are sorry,” he said."
    quoted = MODEL.scorer.decision_function(['“We failed."', '"We are sorry,” he said.'])
    assert decisions(MODEL.scorer, [paragraph]) == [math.fsum(quoted) / 2]


def test_a_text_longer_than_a_paragraph_is_scored_whole():
    huge = "The council met. " * (LONGEST // 17 + 1)
    assert decisions(MODEL.scorer, [huge]) == MODEL.scorer.decision_function([huge])


def test_explanation_of_a_paragraph_is_exact():
    paragraph = "I think they should resign. The council met on Tuesday."
    toward_comment, toward_report, intercept, decision = explain(MODEL.scorer, paragraph, 1000)
    assert decision == pytest.approx(decisions(MODEL.scorer, [paragraph])[0], abs=1e-9)
    assert intercept + math.fsum(c for _, c in toward_comment + toward_report) == pytest.approx(decision, abs=1e-9)
    top = explain(MODEL.scorer, paragraph, 2)
    assert top[0] == toward_comment[:2] and top[1] == toward_report[:2]
    assert MODEL.explain(paragraph, 2).toward_comment == tuple(toward_comment[:2])


def test_explanation_of_one_sentence_is_the_scorers():
    assert explain(MODEL.scorer, SENTENCES[3], 3) == MODEL.scorer.explain(SENTENCES[3], 3)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.sampled_from(SENTENCES), min_size=1, max_size=4).map(" ".join), min_size=1, max_size=6))
def test_a_paragraphs_score_does_not_depend_on_its_neighbours(paragraphs):
    together = decisions(MODEL.scorer, paragraphs)
    assert together == [decisions(MODEL.scorer, [p])[0] for p in paragraphs]
    assert all(0.0 <= p <= 1.0 for p in p_comment(MODEL.scorer, paragraphs))
