"""Tests of text normalisation, quote handling and cue features."""
import math
import re

import pytest
from hypothesis import example, given, settings, strategies as st

from factcomment import features
from factcomment.features import CUE_NAMES, analyse, cue_vector, normalise_text, tokenise


def test_long_quotation_becomes_one_placeholder():
    assert tokenise('The mayor said: "This plan is a complete disaster for us."') == [
        "the", "mayor", "said", ":", "_quote_"]
    assert tokenise("\u201cWe will win this,\u201d she said, \u201cand soon.\u201d") == [
        "_quote_", "she", "said", ",", "_scare_", "and", "soon", "."]


@pytest.mark.parametrize("text, expected", [
    ('a "b c d" e', ["a", "_scare_", "b", "c", "d", "e"]),  # three words: scare quotes, words kept
    ('a "b c d f" e', ["a", "_quote_", "e"]),  # four: someone else's speech
    ('a "b c d 12" e', ["a", "_quote_", "e"]),  # numbers count as words
    ('a "" e', ["a", "_scare_", "e"]),
    ('a "b c d e f', ["a", '"', "b", "c", "d", "e", "f"]),  # an unpaired mark stays a mark
])
def test_scare_quote_word_limit(text, expected):
    assert features.SCARE_QUOTE_MAX_WORDS == 3
    assert tokenise(text) == expected


def test_short_quotation_is_a_scare_quote_and_keeps_its_words():
    assert tokenise("They call it \u2018reform\u2019.") == ["they", "call", "it", "_scare_", "reform", "."]


def test_apostrophes_are_not_quotation_marks():
    assert tokenise("It didn\u2019t matter.") == ["it", "didn't", "matter", "."]


@pytest.mark.parametrize("text, expected", [
    ("Sales rose 4.5% in 2021.", ["sales", "rose", "_num_", "%", "in", "_num_", "."]),
    ("Is this fair?", ["is", "this", "fair", "?"]),
    ("a_quote_b", ["a", "quote", "b"]),  # placeholders cannot be forged by the input
    ("a\x00b\x01c", ["a", "b", "c"]),  # nor the scorer's text separators
])
def test_tokenise(text, expected):
    assert tokenise(text) == expected


def test_analyse_adds_bigrams_with_boundaries():
    assert analyse("Truly awful.") == ["truly", "awful", ".", "<s> truly", "truly awful", "awful .", ". </s>"]
    assert normalise_text("A\u00a0B") == "a b"


def test_cue_vector_counts_stance_markers_outside_quotes():
    lexicon = {"fair": (0.5, 0.9, 1.0), "awful": (-1.0, 1.0, 1.0)}
    text = 'Surely we must ask: is this really fair? "It is awful and we hate it," he said.'
    cues = dict(zip(CUE_NAMES, cue_vector(tokenise(text), lexicon)))
    # 14 tokens: surely we must ask : is this really fair ? _quote_ he said .
    assert (cues["first_person"], cues["modal"], cues["hedge"], cues["question"]) == (1.0, 1.0, 1.0, 1.0)
    assert (cues["intensifier"], cues["attribution"], cues["quotation"], cues["exclamation"]) == (1.0, 1.0, 1.0, 0.0)
    assert cues["subjectivity"] == pytest.approx(0.9 / 14) and cues["subjective_share"] == pytest.approx(1 / 14)
    assert cues["polarity"] == cues["abs_polarity"] == pytest.approx(0.5 / 14)  # "awful" was quoted
    assert cues["length"] == pytest.approx(math.log(15))


@pytest.mark.parametrize("text, hedges", [
    ("Of course it was.", 1.0),
    ("The cost of the course was high.", 0.0),  # "of" and "course" alone are no hedges
    ("Perhaps, of course, maybe.", 3.0),
])
def test_of_course_is_one_hedge_and_of_is_none(text, hedges):
    assert dict(zip(CUE_NAMES, cue_vector(tokenise(text), {})))["hedge"] == hedges


def test_cue_classes_are_disjoint_and_name_cues():
    classes = features.cue_classes()
    assert {CUE_NAMES[k] for k in classes.values()} == set(CUE_NAMES) - {
        "subjectivity", "subjective_share", "polarity", "abs_polarity", "length"}
    assert classes["_quote_"] == CUE_NAMES.index("quotation") and "of" not in classes


def test_empty_text_has_finite_cues():
    assert cue_vector([], features.load_lexicon()) == [0.0] * (len(CUE_NAMES) - 1) + [0.0]


def test_the_teacher_cue_is_the_mean_teacher_value_over_all_tokens_and_comes_last():
    teacher = {"disgrace": 1.5, "police": -0.5}
    tokens = tokenise('Police call it a disgrace: "a disgrace for us all," he said.')  # 9 tokens, the quote is one
    values = cue_vector(tokens, {}, teacher)
    assert len(tokens) == 10 and values[:-1] == cue_vector(tokens, {})
    assert values[-1] == pytest.approx((1.5 - 0.5) / 10) and features.cue_names(True)[-1] == "teacher"
    assert cue_vector([], {}, teacher)[-1] == 0.0 and features.cue_names(False) == CUE_NAMES
    cues = features.CueFeatures(teacher=teacher).fit(["We must act.", "Police said so.", "A disgrace."])
    assert cues.transform(["x"]).shape == (1, len(CUE_NAMES) + 1)
    assert cues.get_feature_names_out()[-1] == "cue:teacher"


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


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("0123456789.,:/ stndrh\u0663\u0969a-"), max_size=40) | st.text(max_size=40))
def test_number_pattern_is_the_plain_spelling_of_it(text):
    plain = re.compile(r"\d+(?:[.,:/]\d+)*(?:st|nd|rd|th|s)?\b")
    assert features._NUMBER.sub(" _num_ ", text) == plain.sub(" _num_ ", text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=60))
def test_ascii_digit_check_agrees_with_the_regex(text):
    assert features._has_ascii_digit(text) == bool(features._DIGIT.search(text))


# Characters that make normalising depend on context: quotation marks of every kind, apostrophes, whitespace
# (ordinary, no-break, line separators), digits and number punctuation, a capital sigma (lower-cased by its
# neighbours), a dotted capital I (lower-cased to two characters), the scorer's separators.
_CONTEXT = st.sampled_from(list('"“”„«»‘’\'\u00a0\n\u2028\x85\t0123456789.,:/ΣσİaAbZ_—\x00\x01')
                           + ["st", "Σ "])
_DENSE = st.sampled_from(list('‘’"“ ‘’" ab1Σ'))  # quotation marks, spaces and words, closely packed


@settings(max_examples=500, deadline=None)
@given(st.lists(_DENSE, max_size=30).map("".join) | st.lists(_DENSE | _CONTEXT | st.text(max_size=3),
                                                             max_size=40).map("".join),
       st.integers(1, 8))
@example('"a b ‘c’ d', 2)  # an open quotation closes at the ‘ of a later single-quoted one
@example("‘a b’ c", 2)  # no cut inside ‘...’
@example('a "b c" d', 2)
@example("ΑΣ Σ", 1)  # a final sigma sees no further than the space
def test_normalised_pieces_join_to_the_whole_and_split_no_token(text, size):
    pieces = list(features.normalised_pieces(text, size=size))
    assert "".join(pieces) == normalise_text(text)
    assert [t for piece in pieces for t in features._TOKEN.findall(piece)] == tokenise(text)
    assert all(pieces)


@settings(max_examples=500, deadline=None)
@given(st.lists(_DENSE, max_size=30).map("".join) | st.lists(_DENSE | _CONTEXT | st.text(max_size=3),
                                                             max_size=40).map("".join))
@example("They call it \u2018reform\u2019 \u2014 in 2021\u20132022, \u201cnot now\u201d: It didn\u2019t_matter.")
@example('"We will not resign over this," he said. Later he left.')
def test_token_spans_are_tokenise_with_places(text):
    # The report matches features against these places; their tokens must be the model's own.
    spans = features.token_spans(text)
    if spans is None:  # only where lower-casing changes the length
        assert len(text.lower()) != len(text)
        return
    assert [token for token, _, _ in spans] == tokenise(text)
    assert all(0 <= a < b <= len(text) for _, a, b in spans)
    assert all(a[2] <= b[1] for a, b in zip(spans, spans[1:]))  # in order, never overlapping
    words = [(t, text[a:b].lower().replace("\u2019", "'")) for t, a, b in spans if re.fullmatch("[a-z]+", t)]
    assert all(t == written for t, written in words)


def test_token_spans_place_placeholders_on_what_they_stand_for():
    text = 'He said "no" in 2021: "We will not give in."'
    assert [(t, text[a:b]) for t, a, b in features.token_spans(text)] == [
        ("he", "He"), ("said", "said"), ("_scare_", '"'), ("no", "no"), ("in", "in"), ("_num_", "2021"),
        (":", ":"), ("_quote_", '"We will not give in."')]


def test_normalised_pieces_are_bounded_outside_quotations():
    text = "Officials said the road would reopen. " * 1000
    pieces = list(features.normalised_pieces(text, size=100))
    assert max(map(len, pieces)) <= 110 and "".join(pieces) == normalise_text(text)
    # A quotation is never cut: the first piece runs to the space after its closing mark.
    quoted = 'x "' + "a " * 500 + '" y z'
    assert list(features.normalised_pieces(quoted, size=100)) == ["x  _quote_  ", "y z"]
