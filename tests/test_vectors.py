"""Word vectors: the table, the feature block and its folding to one number per word, and computing them."""
from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import TINY_COMMENT, TINY_REPORT
from factcomment.features import tokenise
from factcomment.vectors import (VectorFeatures, WordVectors, cached_word_vectors, encoder_words, vocabulary,
                                 word_vectors)


def table(words=("good", "bad", "vote"), dim=3, seed=0) -> WordVectors:
    return WordVectors(tuple(words), np.random.default_rng(seed).normal(size=(len(words), dim)).astype(np.float32))


def test_a_table_needs_one_row_per_word():
    with pytest.raises(ValueError, match="2 words but a matrix of shape"):
        WordVectors(("a", "b"), np.zeros((3, 4), dtype=np.float32))
    assert repr(table()) == "WordVectors(3 words x 3)"


def test_a_table_is_shared_by_copies_and_pickles_without_its_index():
    vectors = table()
    assert copy.deepcopy(vectors) is vectors
    assert vectors.index == {"good": 0, "bad": 1, "vote": 2}
    again = pickle.loads(pickle.dumps(vectors))
    assert again.words == vectors.words and np.array_equal(again.matrix, vectors.matrix)
    assert "index" not in again.__dict__ and again.index == vectors.index


def test_the_block_is_the_standardised_mean_vector_over_all_tokens():
    vectors = WordVectors(("good", "bad"), np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32))
    block = VectorFeatures(vectors=vectors, weight=2.0).fit(["good", "bad"])
    assert block.mean_.tolist() == [0.5, 0.5] and block.scale_.tolist() == [0.25, 0.25]
    # "good" and "." are two tokens: the mean vector is (0.5, 0); a quotation of 4+ words is one token.
    assert block.transform(["Good.", 'He said "good good good good".']).tolist() == [[0.0, -2.0], [-2.0, -2.0]]
    assert block.get_feature_names_out().tolist() == ["vector:0", "vector:1"]


@pytest.mark.parametrize("kwargs, message", [({"vectors": None}, "vectors must be a WordVectors table"),
                                              ({"vectors": table(), "weight": 0}, "weight must be a positive")])
def test_the_block_checks_its_parameters_when_fitted(kwargs, message):
    with pytest.raises(ValueError, match=message):
        VectorFeatures(**kwargs).fit(["good"])


@settings(max_examples=30, deadline=None)
@given(st.lists(st.sampled_from(["good", "bad", "vote", "now", ".", "!"]), max_size=8),
       st.lists(st.floats(-3, 3), min_size=3, max_size=3))
def test_folding_gives_the_same_share_of_the_decision(tokens, coef):
    block = VectorFeatures(vectors=table(), weight=0.5).fit(["good vote", "bad!", "now now", "vote bad good"])
    text = " ".join(tokens)
    per_word, offset = block.fold(coef)
    words = tokenise(text)
    folded = sum(per_word.get(t, 0.0) for t in words) / (len(words) or 1)
    assert folded - offset == pytest.approx(float(block.transform([text])[0] @ np.array(coef)), abs=1e-9)


def test_the_vocabulary_is_corpus_words_seen_often_enough_and_every_gold_word():
    corpus = ["Prices rose 5%.", "Prices fell.", "Rain fell.", '"Prices rose and fell and rose," he said.']
    assert vocabulary(corpus, ["An awful vote"], min_count=2) == ["an", "awful", "fell", "prices", "vote"]
    assert "rose" in vocabulary(corpus, [], min_count=1) and "5%" not in vocabulary(corpus, [], min_count=1)


def tiny_encoder(tiny_base):
    pytest.importorskip("torch", reason="computing word vectors needs torch (pip install 'factcomment[train]')")
    pytest.importorskip("transformers", reason="computing word vectors needs transformers")
    from factcomment.encoder_training import load_base

    return load_base(config=tiny_base[0], tokenizer_file=tiny_base[1], seed=0)


@pytest.mark.slow
def test_word_vectors_average_a_word_in_context_or_encode_it_alone(tiny_base):
    encoder, tokenizer = tiny_encoder(tiny_base)
    corpus = TINY_REPORT[:4]
    seen = []
    vectors = word_vectors(corpus, ["Shameful!"], encoder=encoder, tokenizer=tokenizer, sample=2, min_count=1,
                           with_encoder_words=False, progress=lambda done, total: seen.append((done, total)))
    assert vectors.words == tuple(vocabulary(corpus, ["Shameful!"], min_count=1))
    assert vectors.matrix.shape == (len(vectors.words), 16) and vectors.matrix.dtype == np.float32
    assert np.isfinite(vectors.matrix).all()
    again = word_vectors(corpus, ["Shameful!"], encoder=encoder, tokenizer=tokenizer, sample=2, min_count=1,
                         with_encoder_words=False)
    assert np.array_equal(again.matrix, vectors.matrix)  # deterministic
    # The context pass reads the 2 sampled sentences; every word they lack is then encoded alone.
    assert seen[0] == (2, 2) and seen[-1][0] == seen[-1][1] > 2
    # "shameful" is in no sampled sentence: its vector is its output alone.
    alone = word_vectors([], ["Shameful!"], encoder=encoder, tokenizer=tokenizer, min_count=1,
                         with_encoder_words=False)
    assert np.allclose(alone.matrix[alone.index["shameful"]], vectors.matrix[vectors.index["shameful"]], atol=1e-6)


@pytest.mark.slow
def test_cached_word_vectors_are_read_back_without_the_encoder(tiny_base, tmp_path, monkeypatch):
    encoder, _ = tiny_encoder(tiny_base)
    import shutil

    from factcomment import encoder_training

    base = tmp_path / "base"
    encoder.save_pretrained(str(base))
    shutil.copyfile(tiny_base[1], base / "tokenizer.json")
    first = cached_word_vectors(TINY_REPORT, TINY_COMMENT, cache=tmp_path / "cache", base=base, min_count=1)
    assert [p.name[:8] for p in (tmp_path / "cache").iterdir()] == ["vectors-"]
    monkeypatch.setattr(encoder_training, "load_base", lambda *a, **k: pytest.fail("the cache was not used"))
    second = cached_word_vectors(TINY_REPORT, TINY_COMMENT, cache=tmp_path / "cache", base=base, min_count=1)
    assert second.words == first.words and np.array_equal(second.matrix, first.matrix)
    with pytest.raises(TypeError, match=r"unknown word-vector settings \['samples'\]"):
        cached_word_vectors(TINY_REPORT, TINY_COMMENT, cache=tmp_path / "cache", base=base, samples=3)


def test_the_encoder_words_are_its_plain_whole_word_entries():
    from tokenizers import Tokenizer
    from tokenizers.models import WordPiece

    vocab = ["[PAD]", "[CLS]", "the", "##ing", "don't", "a", "x1", "caf\u00e9", "news"]
    tokenizer = Tokenizer(WordPiece({token: i for i, token in enumerate(vocab)}, unk_token="[PAD]"))
    assert encoder_words(tokenizer) == ["don't", "news", "the"]


@pytest.mark.slow
def test_word_vectors_can_cover_the_encoder_words_too(tiny_base):
    encoder, tokenizer = tiny_encoder(tiny_base)
    plain = word_vectors(TINY_REPORT[:2], [], encoder=encoder, tokenizer=tokenizer, min_count=1,
                         with_encoder_words=False)
    wide = word_vectors(TINY_REPORT[:2], [], encoder=encoder, tokenizer=tokenizer, min_count=1)
    assert set(wide.words) == set(plain.words) | set(encoder_words(tokenizer)) > set(plain.words)
    assert np.array_equal(wide.matrix[[wide.index[w] for w in plain.words]], plain.matrix)
