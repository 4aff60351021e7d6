"""Exact per-text sums for the fast model: fixed-point integers, added up in pure Python or in numpy.

A text's decision (see :mod:`factcomment.scorer`) needs five numbers: over its *distinct* unigrams and
bigrams the sum of ``idf x coefficient`` and the sum of ``idf ** 2`` (binary tf, L2 norm), over every
occurrence of a cue-class feature the sum of its class weight, over its tokens the sum of their lexicon
weights, and its token count. Here the weights are integers in units of ``2**-bits``, which makes every
sum exact: the same bits whatever batch the text arrives in, whichever path adds it up and in whatever order.
That is what lets a batch take the numpy path and a single text the pure-Python one (no numpy import on a
cold start) while output stays byte-identical across ``--jobs``, chunk sizes and Dask. Rounding the weights
moves a decision by about ``2**-bits`` per feature, about 1e-12 at 40 bits: far inside the 1e-9 the tests
demand.

The pure-Python path finds each text's features (:func:`factcomment.features.ngrams`, as the Pipeline's
analyzer spells them) by binary search in the sorted vocabulary. The numpy path reads one token stream per
batch, ``TEXT_START t1 ... tn TEXT_END TEXT_START u1 ... TEXT_END``: position k carries its unigram and the
bigram it starts, and a text owns the positions from its ``TEXT_START`` up to (not including) its
``TEXT_END``, so "<s> t1" and "tn </s>" are counted and nothing crosses from one text to the next.
"""
from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from functools import cached_property
from itertools import count, islice, repeat
from operator import lt
from typing import Any

from factcomment.features import _TOKEN, TEXT_END, TEXT_START, normalise_text, normalised_pieces

__all__ = ["LinearTables", "Sums"]

# Batches at least this large take the numpy path; smaller ones (a cold start on one paragraph) are cheaper
# without importing numpy (~0.1 s).
NUMPY_FROM = 64
# A text longer than this (characters) takes the pure-Python path whatever the batch, which reads a text in
# pieces of about PIECE characters: a huge text then takes little memory beyond its own.
STREAM_FROM = 100_000
PIECE = 1 << 12
# Texts are tokenised and summed this many at a time, so memory stays flat however long the input list.
BLOCK = 2048
_OPEN, _BETWEEN, _CLOSE = TEXT_START + " ", f" {TEXT_END} {TEXT_START} ", " " + TEXT_END
_INT64_MAX = (1 << 63) - 1
_START_ID, _END_ID = 1, 2  # the token ids of TEXT_START and TEXT_END in the numpy path's stream

# (dot, norm2, cues, lexicon, tokens): the fixed-point sums of one text, and its token count.
Sums = tuple[int, int, int, int, int]


def _stream_keys(names: Sequence[str]) -> list[str]:
    """Feature names with sentence boundaries spelled as the stream's separators.

    "<s> word" and "word </s>" (and "<s> </s>", for a text without tokens) are the bigrams across the
    separators. Tokens are single punctuation marks or runs of letters, so "<s>" and "</s>" occur nowhere
    else, and one pass of str.replace over the joined names renames them all (a per-name function call
    would cost a fifth of a cold start).
    """
    joined = "\n".join(names).replace("<s> ", TEXT_START + " ").replace(" </s>", " " + TEXT_END)
    return joined.split("\n") if names else []


def _fixed_point_bits(*tables: Iterable[float]) -> int:
    # 40 bits of fraction, fewer if the largest value would otherwise pass 2**52: a position's few values
    # then stay far inside int64, and texts up to thousands of features sum without overflow.
    top = max(1.0, *(max(map(abs, table), default=0.0) for table in tables))
    return max(0, min(40, 52 - math.ceil(math.log2(top))))


class LinearTables:
    """A compiled model's features and cues as fixed-point integers, for exact per-text sums.

    Parameters
    ----------
    names, weights, idf
        The scorer's vocabulary (bigrams spelled ``"a b"``, boundaries ``<s>``/``</s>``), each feature's
        weight (idf x coefficient, toward comment) and its idf.
    class_weight
        Cue-class feature (unigram or bigram) -> weight of one occurrence.
    lexicon_weight
        Token -> its weight in the lexicon cues' sum (divided by the token count afterwards).
    """

    def __init__(self, names: Sequence[str], weights: Sequence[float], idf: Sequence[float],
                 class_weight: Mapping[str, float], lexicon_weight: Mapping[str, float]):
        # Nothing is built here (this is on each cold start): each path builds its look-up tables on first use.
        self._names, self._weight, self._idf = names, weights, idf
        self._class_weight, self._lexicon_weight = class_weight, lexicon_weight

    @cached_property
    def bits(self) -> int:
        """Binary digits after the point of the fixed-point values."""
        top_idf = max(self._idf, default=0.0)
        return _fixed_point_bits(self._weight, [top_idf * top_idf], self._class_weight.values(),
                                 self._lexicon_weight.values())

    def __getstate__(self) -> dict[str, Any]:
        # The look-up tables are rebuilt on first use wherever this lands (a worker process, say): they hold a
        # module and a bound method, which do not pickle, and are cheaper to rebuild than to send.
        return {k: v for k, v in self.__dict__.items() if k not in ("_sorted", "_numpy", "_cue_ints")}

    @cached_property
    def _sorted(self) -> tuple[Sequence[str], list[int] | None]:
        # The pure path finds features by binary search: for the few hundred look-ups of a cold start that is
        # far cheaper than building a dict of the whole vocabulary. Compiled vocabularies come sorted.
        names = self._names
        if all(map(lt, names, islice(names, 1, None))):
            return names, None
        order = sorted(range(len(names)), key=names.__getitem__)
        return [names[i] for i in order], order

    @cached_property
    def _cue_ints(self) -> tuple[dict[str, int], dict[str, int]]:
        # round() and numpy's rint both round half to even, so both paths get the same integers.
        scale = float(1 << self.bits)
        return ({g: round(w * scale) for g, w in self._class_weight.items()},
                {t: round(w * scale) for t, w in self._lexicon_weight.items()})

    def sums(self, texts: list[str]) -> list[Sums]:
        """The fixed-point sums of each text (see :data:`Sums`), in units of ``2**-bits``."""
        out: list[Sums] = []
        for begin in range(0, len(texts), BLOCK):
            block = texts[begin:begin + BLOCK]
            huge = {i: self._text_sums(t) for i, t in enumerate(block) if len(t) > STREAM_FROM}
            rest = [t for i, t in enumerate(block) if i not in huge] if huge else block
            sums = iter(self._sums_numpy(rest) if len(rest) >= NUMPY_FROM else map(self._text_sums, rest))
            out += [huge[i] if i in huge else next(sums) for i in range(len(block))]
        return out

    def _text_sums(self, text: str) -> Sums:
        """The pure-Python path: one text's sums, read in pieces of about :data:`PIECE` characters
        (:func:`~factcomment.features.normalised_pieces`), so that a huge text takes little memory beyond its
        own (its tokens and bigrams would take 30x its size). Sums are exact, so the pieces do not change them."""
        names, order = self._sorted
        weight, idf, scale, size = self._weight, self._idf, float(1 << self.bits), len(names)
        class_int, lexicon_int = (table.get for table in self._cue_ints)
        zeros = repeat(0)
        found: set[int] = set()
        classes = lexicon = count = 0
        previous = "<s>"
        # Nearly every text is one piece: normalised whole, it skips the search for cut points. (The loop body is
        # inlined, not a helper: one-off texts, this path's main use, are ~8% faster so.)
        for piece in (normalise_text(text),) if len(text) <= PIECE else normalised_pieces(text, PIECE):
            tokens = _TOKEN.findall(piece)
            # features.ngrams a piece at a time: the first bigram starts at the last token before it (or <s>).
            grams = tokens + list(map(" ".join, zip([previous, *tokens], tokens)))
            previous = tokens[-1] if tokens else previous
            for gram in dict.fromkeys(grams):  # binary tf: each distinct feature once
                i = bisect_left(names, gram)
                if i < size and names[i] == gram:
                    found.add(i if order is None else order[i])
            classes += sum(map(class_int, grams, zeros))
            lexicon += sum(map(lexicon_int, tokens, zeros))
            count += len(tokens)
        end = previous + " </s>"
        i = bisect_left(names, end)
        if i < size and names[i] == end:
            found.add(i if order is None else order[i])
        return (sum(round(weight[i] * scale) for i in found), sum(round(idf[i] * idf[i] * scale) for i in found),
                classes + class_int(end, 0), lexicon, count)

    def _sums_numpy(self, texts: list[str]) -> list[Sums]:
        stream = _TOKEN.findall(_OPEN + _BETWEEN.join(map(normalise_text, texts)) + _CLOSE)
        np, tables = self._numpy
        token_id, n_tokens, unigram, pair_keys, pair_feature, pair_class, weight, idf2, token_cues, largest = tables
        ids = np.array(list(map(token_id, stream, repeat(0))), dtype=np.int64)  # faster than np.fromiter
        n_features = len(weight)  # the last one weighs 0: "no feature"
        # searchsorted is several times faster on sorted needles: look up each distinct pair once (asked for the
        # inverse, np.unique sorts).
        distinct, inverse = np.unique(ids[:-1] * n_tokens + ids[1:], return_inverse=True)
        found = np.minimum(np.searchsorted(pair_keys, distinct), len(pair_keys) - 1)
        hit = pair_keys[found] == distinct
        following = np.where(hit, pair_feature[found], n_features - 1)[inverse]
        ends = np.flatnonzero(ids == _END_ID)
        starts = np.concatenate(([0], ends[:-1] + 1))
        bound = _INT64_MAX // (2 * largest)  # texts with more entries than this are summed as Python ints
        # Distinct features per text: (text, feature) keys, sorted and unique (np.unique hashes, several times
        # slower). "No feature" weighs 0: keeping it among them is cheaper than filtering it out.
        text_of = np.cumsum(ids == _START_ID) - 1
        features = np.concatenate((unigram[ids], following))
        keys = np.sort(np.concatenate((text_of, text_of[:-1])) * n_features + features)
        keys = keys[np.append(True, keys[1:] != keys[:-1])]
        distinct_text, distinct_feature = np.divmod(keys, n_features)
        edges = np.searchsorted(distinct_text, np.arange(len(texts) + 1))
        lo, hi = edges[:-1], edges[1:]
        columns = [self._segment_sums(np, table[distinct_feature], lo, hi, bound) for table in (weight, idf2)]
        # Cues: the class weight of each position's unigram and bigram, and each token's lexicon weight.
        cue_values = token_cues[ids, 0]
        cue_values[:-1] += np.where(hit, pair_class[found], 0)[inverse]
        columns.append(self._segment_sums(np, cue_values, starts, ends, bound))
        columns.append(self._segment_sums(np, token_cues[ids, 1], starts, ends, bound))
        columns.append((ends - starts - 1).tolist())
        return list(zip(*columns))

    @staticmethod
    def _segment_sums(np, values, lo, hi, bound) -> list[int]:
        # Prefix sums wrap around in int64, but a difference of two is exact whenever the segment's own sum
        # fits, which `bound` guarantees (longer segments are summed as Python ints).
        prefix = np.zeros(len(values) + 1, dtype=np.int64)
        np.cumsum(values, out=prefix[1:])
        totals = (prefix[hi] - prefix[lo]).tolist()
        for k in np.flatnonzero((hi - lo) > bound).tolist():
            totals[k] = sum(values[lo[k]:hi[k]].tolist())
        return totals

    @cached_property
    def _numpy(self) -> tuple[Any, tuple]:
        import numpy as np

        # Token ids: 0 for every token the model does not know, _START_ID and _END_ID for the separators (first
        # in the dict, which keeps insertion order, so they get 1 and 2), then each token of
        # a vocabulary unigram or bigram, of a cue class or of the lexicon. Built from one flat list of tokens
        # with C-level maps (every worker process does this once): a bigram "a b" puts two tokens in it.
        class_int, lexicon_int = self._cue_ints
        keys = _stream_keys(self._names)
        class_keys = _stream_keys(list(class_int))
        none = len(keys)  # the feature index that weighs 0
        flat = "\n".join(keys).replace(" ", "\n").split("\n") if keys else []
        class_flat = " ".join(class_keys).split()
        token_id = dict(zip(dict.fromkeys((TEXT_START, TEXT_END, *flat, *class_flat, *lexicon_int)), count(1)))
        n_tokens = len(token_id) + 1
        ids = np.fromiter(map(token_id.__getitem__, flat), dtype=np.int64, count=len(flat))
        is_bigram = np.fromiter(map(str.__contains__, keys, repeat(" ")), dtype=bool, count=none)
        width = 1 + is_bigram
        start = np.cumsum(width) - width  # where each key's first token is in `flat`
        feature = np.arange(none, dtype=np.int64)
        unigram = np.full(n_tokens, none, dtype=np.int64)
        unigram[ids[start[~is_bigram]]] = feature[~is_bigram]
        scale = float(1 << self.bits)
        # Bigram look-up: pair keys of the vocabulary's bigrams and of the cue classes' bigrams, each with its
        # feature (or none) and its class weight (or 0).
        pair_of: dict[int, list[int]] = {}
        for key, f in zip((ids[start[is_bigram]] * n_tokens + ids[start[is_bigram] + 1]).tolist(),
                          feature[is_bigram].tolist()):
            pair_of[key] = [f, 0]
        token_cues = np.zeros((n_tokens, 2), dtype=np.int64)
        for name, key in zip(class_int, class_keys):
            parts = key.split(" ")
            if len(parts) == 1:
                token_cues[token_id[key], 0] = class_int[name]
            else:
                pair_of.setdefault(token_id[parts[0]] * n_tokens + token_id[parts[1]], [none, 0])[1] = class_int[name]
        for word, value in lexicon_int.items():
            token_cues[token_id[word], 1] = value
        pair_keys = np.array(sorted(pair_of) or [-1], dtype=np.int64)  # searchsorted needs a row to land on
        pair_feature = np.array([pair_of[k][0] for k in pair_keys.tolist()] if pair_of else [none], dtype=np.int64)
        pair_class = np.array([pair_of[k][1] for k in pair_keys.tolist()] if pair_of else [0], dtype=np.int64)
        weight = np.rint(np.append(np.asarray(self._weight, dtype=float), 0.0) * scale).astype(np.int64)
        idf = np.append(np.asarray(self._idf, dtype=float), 0.0)
        idf2 = np.rint(idf * idf * scale).astype(np.int64)
        largest = max(int(np.abs(weight).max()), int(idf2.max()), int(np.abs(token_cues).max()),
                      int(np.abs(pair_class).max()), 1)
        return np, (token_id.get, n_tokens, unigram, pair_keys, pair_feature, pair_class, weight, idf2,
                    token_cues, largest)
