"""Tests of text normalisation, quote handling and cue features."""
import re

import pytest
from hypothesis import given, settings, strategies as st

from factcomment import features
from factcomment.features import CUE_NAMES, analyse, cue_vector, normalise_text, tokenise


def test_long_quotation_is_marked_as_someone_elses_speech():
    tokens = tokenise('The mayor said: "This plan is a complete disaster for us."')
    assert tokens[:4] == ["the", "mayor", "said", ":"]
    assert "_quote_" in tokens and "_endquote_" in tokens
    assert "q_disaster" in tokens and "disaster" not in tokens


def test_short_quotation_is_a_scare_quote_and_keeps_its_words():
    assert tokenise("They call it \u2018reform\u2019.") == ["they", "call", "it", "_scare_", "reform", "."]


def test_apostrophes_are_not_quotation_marks():
    assert tokenise("It didn\u2019t matter.") == ["it", "didn't", "matter", "."]


@pytest.mark.parametrize("text, expected", [
    ("Sales rose 4.5% in 2021.", ["sales", "rose", "_num_", "%", "in", "_num_", "."]),
    ("Is this fair?", ["is", "this", "fair", "?"]),
    ("a_quote_b", ["a", "quote", "b"]),  # placeholders cannot be forged by the input
])
def test_tokenise(text, expected):
    assert tokenise(text) == expected


def test_analyse_adds_bigrams_with_boundaries():
    assert analyse("Truly awful.") == ["truly", "awful", ".", "<s> truly", "truly awful", "awful .", ". </s>"]
    assert normalise_text("A\u00a0B") == "a b"


def test_cue_vector_counts_stance_markers():
    cues = dict(zip(CUE_NAMES, cue_vector(tokenise("Surely we must ask: is this really fair?"),
                                          {"fair": (0.7, 0.9, 1.0)})))
    assert (cues["first_person"], cues["modal"], cues["hedge"], cues["question"]) == (1.0, 1.0, 1.0, 1.0)
    assert cues["intensifier"] == 1.0 and cues["attribution"] == 0.0 and cues["strong_subjective"] == 1.0


def test_lexicon_ships_with_the_package():
    lexicon = features.load_lexicon()
    assert len(lexicon) > 1000 and lexicon["very"][2] > 1.0


def test_cue_features_transformer_follows_sklearn_conventions():
    from sklearn.exceptions import NotFittedError

    cues = features.CueFeatures(weight=0.5)
    with pytest.raises(NotFittedError):
        cues.transform(["x"])
    with pytest.raises(ValueError, match="weight"):
        features.CueFeatures(weight=-1).fit(["a", "b"])
    assert cues.fit(["We must act.", "Sales rose 5% in May."]) is cues
    assert cues.transform(["Surely not?"]).shape == (1, len(CUE_NAMES))


@pytest.mark.parametrize("text, expected", [
    ("Notably, we should know better.", ["_first_", "_modal_", "_pos_", "_opener_"]),
    ("Police said the vote was a disgrace.", ["_attrib_", "_neg_"]),
    ("The council met on Tuesday.", []),
])
def test_class_tokens_generalise_over_word_lists(text, expected):
    grams = analyse(text, bigrams=False, classes=True)
    assert grams[:len(tokenise(text))] == tokenise(text)
    assert grams[len(tokenise(text)):] == expected


def test_valence_lexicon_ships_with_the_package():
    valence = features.load_valence()
    assert len(valence) > 5000 and valence["disgrace"] < -1.5 < 1.5 < valence["wonderful"]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("0123456789.,:/ stndrh\u0663\u0969a-"), max_size=40) | st.text(max_size=40))
def test_number_pattern_is_the_plain_spelling_of_it(text):
    plain = re.compile(r"\d+(?:[.,:/]\d+)*(?:st|nd|rd|th|s)?\b")
    assert features._NUMBER.sub(" _num_ ", text) == plain.sub(" _num_ ", text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=60))
def test_ascii_digit_check_agrees_with_the_regex(text):
    assert features._has_ascii_digit(text) == bool(features._DIGIT.search(text))
