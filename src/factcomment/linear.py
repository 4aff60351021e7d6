"""Exact per-text sums for the default model: fixed-point integers, added up in pure Python or in numpy.

The default model's decision is ``intercept + sum(weight) / sum(idf)`` over the occurrences of a text's
unigrams and bigrams (see :mod:`factcomment.scorer`). Here weights and idf are integers in units of
``2**-bits``, which makes every text's two sums exact: the same bits whatever batch the text arrives in,
whichever path adds them up and in whatever order. That is what lets a batch take the numpy path and a single
text the pure-Python one (no numpy import on a cold start) while output stays byte-identical across
``--jobs``, chunk sizes and Dask. Rounding the weights moves a decision by at most about
``2**-bits * (1 + |decision|)``, about 1e-12 * (1 + |decision|) at 40 bits: far inside the 1e-9 the tests
demand.

The pure-Python path finds each text's features (:func:`factcomment.features.analyse`, the Pipeline's analyzer)
by binary search in the sorted vocabulary. The numpy path reads one token stream per batch,
``TEXT_START t1 ... tn TEXT_END TEXT_START u1 ... TEXT_END``: position k carries its unigram and the bigram
it starts, and a text owns the positions from its ``TEXT_START`` up to (not including) its ``TEXT_END``, so
"<s> t1" and "tn </s>" are counted and nothing crosses from one text to the next.
"""
from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Sequence
from functools import cached_property
from itertools import count, islice, repeat
from operator import lt
from typing import Any

from factcomment.features import _TOKEN, TEXT_END, TEXT_START, analyse, normalise_text

__all__ = ["LinearTables"]

# Batches at least this large take the numpy path; smaller ones (a cold start on one paragraph) are cheaper
# without importing numpy (~0.1 s).
NUMPY_FROM = 64
# Texts are tokenised and summed this many at a time, so memory stays flat however long the input list.
BLOCK = 2048
_OPEN, _BETWEEN, _CLOSE = TEXT_START + " ", f" {TEXT_END} {TEXT_START} ", " " + TEXT_END
_INT64_MAX = (1 << 63) - 1


def _stream_keys(names: list[str]) -> list[str]:
    """The vocabulary with sentence boundaries spelled as the stream's separators.

    "<s> word" and "word </s>" (and "<s> </s>", for a text without tokens) are the bigrams across the
    separators. Tokens are single punctuation marks or runs of letters, so "<s>" and "</s>" occur nowhere
    else, and one pass of str.replace over the joined vocabulary renames them all (a per-name function call
    would cost a fifth of a cold start).
    """
    joined = "\n".join(names).replace("<s> ", TEXT_START + " ").replace(" </s>", " " + TEXT_END)
    return joined.split("\n") if names else []


def _fixed_point_bits(weights: list[float], idf: list[float]) -> int:
    # 40 bits of fraction, fewer if the largest value would otherwise pass 2**52: a position's unigram plus
    # bigram then stays far inside int64, and texts up to tens of thousands of tokens sum without overflow.
    top = max(max(map(abs, weights), default=1.0), max(idf, default=1.0), 1.0)
    return max(0, min(40, 52 - math.ceil(math.log2(top))))


class LinearTables:
    """A compiled model's unigram and bigram features as fixed-point integers, for exact per-text sums.

    Parameters
    ----------
    names, weights, idf
        The scorer's vocabulary (bigrams spelled ``"a b"``, boundaries ``<s>``/``</s>``), each feature's
        weight (idf x coefficient, toward comment) and its idf.
    """

    def __init__(self, names: Sequence[str], weights: Sequence[float], idf: Sequence[float]):
        # Nothing is built here (this is on each cold start): each path builds its look-up tables on first use.
        self._names, self._weight, self._idf = names, weights, idf

    @cached_property
    def bits(self) -> int:
        """Binary digits after the point of the fixed-point weights and idf."""
        return _fixed_point_bits(self._weight, self._idf)

    def __getstate__(self) -> dict[str, Any]:
        # The look-up tables are rebuilt on first use wherever this lands (a worker process, say): they hold a
        # module and a bound method, which do not pickle, and are cheaper to rebuild than to send.
        return {k: v for k, v in self.__dict__.items() if k not in ("_sorted", "_numpy")}

    @cached_property
    def _sorted(self) -> tuple[Sequence[str], list[int] | None]:
        # The pure path finds features by binary search: for the few hundred look-ups of a cold start that is
        # far cheaper than building a dict of the whole vocabulary. Compiled vocabularies come sorted.
        names = self._names
        if all(map(lt, names, islice(names, 1, None))):
            return names, None
        order = sorted(range(len(names)), key=names.__getitem__)
        return [names[i] for i in order], order

    def ratios(self, texts: list[str]) -> list[float]:
        """``sum(weight) / sum(idf)`` over each text's features (0.0 for a text without known features)."""
        out: list[float] = []
        for begin in range(0, len(texts), BLOCK):
            block = texts[begin:begin + BLOCK]
            sums = self._sums_numpy(block) if len(block) >= NUMPY_FROM else self._sums_python(block)
            # int / int is correctly rounded in Python, so the ratio's bits depend on the two sums alone.
            out += [w / i if i else 0.0 for w, i in sums]
        return out

    def _sums_python(self, texts: list[str]) -> list[tuple[int, int]]:
        # Fixed-point values are rounded as they are needed, not for the whole vocabulary up front. round()
        # and numpy's rint both round half to even, so both paths get the same integers.
        names, order = self._sorted
        weight, idf, scale, size = self._weight, self._idf, float(1 << self.bits), len(names)
        sums = []
        for text in texts:
            found = []
            for gram in analyse(text):  # the Pipeline's own analyzer, default settings
                i = bisect_left(names, gram)
                if i < size and names[i] == gram:
                    found.append(i if order is None else order[i])
            sums.append((sum(round(weight[i] * scale) for i in found), sum(round(idf[i] * scale) for i in found)))
        return sums

    def _sums_numpy(self, texts: list[str]) -> list[tuple[int, int]]:
        stream = _TOKEN.findall(_OPEN + _BETWEEN.join(map(normalise_text, texts)) + _CLOSE)
        np, tables = self._numpy
        token_id, n_tokens, unigram, bigram_keys, bigram_feature, weight, idf, largest = tables
        ids = np.array(list(map(token_id, stream, repeat(0))), dtype=np.int64)  # faster than np.fromiter
        features = unigram[ids]
        pairs = ids[:-1] * n_tokens + ids[1:]
        where = np.searchsorted(bigram_keys, pairs)
        np.minimum(where, len(bigram_keys) - 1, out=where)
        following = np.where(bigram_keys[where] == pairs, bigram_feature[where], len(weight) - 1)
        ends = np.flatnonzero(ids == 2)  # TEXT_END's id
        starts = np.concatenate(([0], ends[:-1] + 1))
        sums = []
        for table in (weight, idf):
            values = table[features]
            values[:-1] += table[following]
            # Prefix sums wrap around in int64, but a difference of two is exact whenever the text's own sum
            # fits, which the bound below guarantees (longer texts are summed as Python ints).
            prefix = np.zeros(len(values) + 1, dtype=np.int64)
            np.cumsum(values, out=prefix[1:])
            totals = (prefix[ends] - prefix[starts]).tolist()
            for k in np.flatnonzero((ends - starts) > _INT64_MAX // (2 * largest)).tolist():
                totals[k] = sum(values[starts[k]:ends[k]].tolist())
            sums.append(totals)
        return list(zip(*sums))

    @cached_property
    def _numpy(self) -> tuple[Any, tuple]:
        import numpy as np

        # Token ids: 0 for every token outside the vocabulary, 1 and 2 for the separators, then each token of
        # a vocabulary unigram or bigram. Built from one flat list of tokens with C-level maps (every worker
        # process does this once): a bigram "a b" puts two tokens in it, a unigram one.
        keys = _stream_keys(self._names)
        none = len(keys)  # the feature index that weighs 0
        flat = "\n".join(keys).replace(" ", "\n").split("\n")
        token_id = dict(zip(dict.fromkeys((TEXT_START, TEXT_END, *flat)), count(1)))
        n_tokens = len(token_id) + 1
        ids = np.fromiter(map(token_id.__getitem__, flat), dtype=np.int64, count=len(flat))
        is_bigram = np.fromiter(map(str.__contains__, keys, repeat(" ")), dtype=bool, count=none)
        width = 1 + is_bigram
        start = np.cumsum(width) - width  # where each key's first token is in `flat`
        feature = np.arange(none, dtype=np.int64)
        unigram = np.full(n_tokens, none, dtype=np.int64)
        unigram[ids[start[~is_bigram]]] = feature[~is_bigram]
        pairs = ids[start[is_bigram]] * n_tokens + ids[start[is_bigram] + 1]
        order = np.argsort(pairs, kind="stable")
        pairs, following = pairs[order], feature[is_bigram][order]
        if not len(pairs):  # searchsorted needs a row to land on
            pairs, following = np.array([-1], dtype=np.int64), np.array([none], dtype=np.int64)
        scale = float(1 << self.bits)
        weight, idf = (np.rint(np.append(np.asarray(values, dtype=float), 0.0) * scale).astype(np.int64)
                       for values in (self._weight, self._idf))
        largest = max(int(np.abs(weight).max()), int(idf.max()), 1)
        return np, (token_id.get, n_tokens, unigram, pairs, following, weight, idf, largest)
