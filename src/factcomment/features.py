"""Text normalisation, quote handling and stance cues, shared by training and the pure-Python scorer.

Everything here that turns text into features is a plain module-level function built on ``re`` alone, so
the scikit-learn Pipeline (which calls :func:`analyse` as its vectorizer's analyzer and :func:`cue_vector`
through :class:`CueFeatures`) and :mod:`factcomment.scorer` run *the same code*: the scorer reproduces the
Pipeline exactly by construction rather than by a second tokeniser that might drift.

>>> tokenise('Officials said: "We will not give in to pressure." It is a disgrace!')
['officials', 'said', ':', '_quote_', 'it', 'is', 'a', 'disgrace', '!']
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from functools import lru_cache
from importlib import resources

# CueFeatures is left out of __all__: a star import must not pull in scikit-learn.
__all__ = ["CUE_NAMES", "SCARE_QUOTE_MAX_WORDS", "TEACHER_CUE", "analyse", "cue_classes", "cue_names", "cue_vector",
           "lexicon_cues", "load_lexicon", "ngrams", "normalise_text", "normalised_pieces", "token_spans", "tokenise"]

# Two control characters the scorer uses to mark where one text ends and the next begins when it tokenises a
# whole batch at once (factcomment.linear); normalising removes them from the input so that no text can forge
# a boundary.
TEXT_START, TEXT_END = "\x01", "\x00"

# Typographic variants are folded so one regex sees one kind of quote and dash. "_" becomes a space because
# placeholder tokens (_quote_, _num_) are spelled with it and must not be forgeable by the input. A chain of
# str.replace is several times faster than str.translate with a dict, and this runs on every text scored.
_FOLD = (("\u201c", '"'), ("\u201d", '"'), ("\u201e", '"'), ("\u00ab", '"'), ("\u00bb", '"'),
         ("\u2019", "'"), ("\u02bc", "'"), ("\u2014", " - "), ("\u2013", " - "), ("\u00a0", " "), ("_", " "),
         (TEXT_START, " "), (TEXT_END, " "))
_FOLD_ASCII = tuple((old, new) for old, new in _FOLD if old.isascii())
_DIGIT = re.compile(r"\d")  # spares most texts the number substitution (ASCII texts use str.__contains__)
# Single curly quotes are quotation marks only when they pair up and the closing one is not an apostrophe
# ("didn’t"); they are handled before folding, while ‘ is still distinguishable from '.
_SINGLE_QUOTED = re.compile(r"\u2018([^\u2018\u2019]*(?:\u2019\w[^\u2018\u2019]*)*)\u2019(?!\w)")
_QUOTED = re.compile(r'"([^"]*)"')
# "\d\d*" rather than "\d+": a pattern that opens with a character class lets re skip ahead to the next digit
# in C, where one that opens with a repeat is tried at every position (a third of the time on news text).
_NUMBER = re.compile(r"\d\d*(?:[.,:/]\d+)*(?:st|nd|rd|th|s)?\b")
# Words (with inner apostrophes; placeholders are words too, since "_" is otherwise gone) and every other
# visible character on its own: punctuation such as "?", "!", ":" and "(" is evidence too.
# ASCII classes are a third faster than unicode \w in CPython's re; other letters become one-character
# tokens, identically in training and scoring, which is all exactness needs.
_TOKEN = re.compile(r"[a-z0-9_']+|[^a-z0-9_'\s]")
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*|\d+")

# A quotation of more words than this is someone else's speech; a shorter one is a term held at arm's length
# ("scare quotes"), which is often the writer's own irony, so the two get different treatment.
SCARE_QUOTE_MAX_WORDS = 3


@lru_cache(maxsize=8)
def _quote_marker(scare_max: int):
    def mark(match: re.Match[str]) -> str:
        inner = match.group(1)
        if len(_WORD.findall(inner)) > scare_max:
            return " _quote_ "
        return " _scare_ " + inner + " "
    return mark


def normalise_text(text: str, scare_max: int = SCARE_QUOTE_MAX_WORDS) -> str:
    """Lower-case ``text``, fold typographic variants and mark quoted speech and numbers.

    A quotation of more than ``scare_max`` words becomes the single token ``_quote_``: what a source said is
    not the writer's view, whatever its words, and as one token it neither counts toward the writer's stance
    nor dilutes the rest of the sentence. Shorter quoted terms are kept after a ``_scare_`` marker. Numbers
    become ``_num_``.

    Examples
    --------
    >>> normalise_text('He called it “a total failure of leadership” in 2021, a “witch hunt”.')
    'he called it  _quote_  in  _num_ , a  _scare_ witch hunt .'
    """
    if "\u2018" in text:
        text = _SINGLE_QUOTED.sub(r'"\1"', text)
    text = text.lower()
    # Most news text is ASCII (str.isascii is O(1)): then only the ASCII folds and digits can occur.
    ascii = text.isascii()
    for old, new in _FOLD_ASCII if ascii else _FOLD:
        text = text.replace(old, new)
    if '"' in text:
        text = _QUOTED.sub(_quote_marker(scare_max), text)
    return _NUMBER.sub(" _num_ ", text) if (_has_ascii_digit(text) if ascii else _DIGIT.search(text)) else text


# The marks normalise_text turns into '"' and pairs into quotations (besides ‘...’ pairs, which come in twos).
_DOUBLE_MARKS = '"\u201c\u201d\u201e\u00ab\u00bb'
_DOUBLE_MARK = re.compile(f"[{_DOUBLE_MARKS}]")
_SPACE = re.compile(r"\s")


def normalised_pieces(text: str, size: int = 1 << 16, scare_max: int = SCARE_QUOTE_MAX_WORDS) -> Iterator[str]:
    """:func:`normalise_text` of ``text`` in pieces of about ``size`` characters or more.

    The pieces join to ``normalise_text(text)`` and no token crosses from one to the next, so a text too long
    to normalise in one go (a copy or two of it at once) can be tokenised piece by piece. Each piece of
    ``text`` ends just after a whitespace character that lies in no quotation normalising pairs up: nothing
    normalising does depends on what is across such a point (lower-casing's context, numbers and tokens stop
    at whitespace). A quotation longer than ``size`` stays in one piece.

    Examples
    --------
    >>> list(normalised_pieces('A "b c" d 12 e', size=3))
    ['a  _scare_ b c  ', 'd  _num_  ', 'e']
    """
    n = len(text)
    singles = _SINGLE_QUOTED.finditer(text) if "\u2018" in text else iter(())
    single = next(singles, None)  # the first ‘...’ quotation that ends after `cut`
    begin = counted = 0
    odd = False  # an odd number of double marks before `counted`: a quotation may be open there
    while begin < n:
        cut = begin + size
        while cut < n:
            while single is not None and single.end() <= cut:
                single = next(singles, None)
            if single is not None and single.start() < cut:
                cut = single.end()  # inside a ‘...’ quotation
                continue
            odd ^= sum(text.count(mark, counted, cut) for mark in _DOUBLE_MARKS) & 1
            counted = cut
            if odd:  # a quotation is open; it closes at the next mark, if there is one (‘ counts: it becomes ")
                mark = _DOUBLE_MARK.search(text, cut)
                close = min(mark.start() if mark else n, single.start() if single else n)
                if close < n:
                    cut = close + 1
                    continue
            if not text[cut - 1].isspace():
                space = _SPACE.search(text, cut)
                cut = space.end() if space else n
                continue
            break
        yield normalise_text(text[begin:cut], scare_max)
        begin = cut


def _has_ascii_digit(text: str) -> bool:
    # Ten substring tests run at memchr speed: several times faster than a regex scan.
    for digit in "0123456789":
        if digit in text:
            return True
    return False


def tokenise(text: str, scare_max: int = SCARE_QUOTE_MAX_WORDS) -> list[str]:
    """The tokens of :func:`normalise_text` ``(text)``: words, placeholders and single punctuation marks.

    Examples
    --------
    >>> tokenise("Isn't it obvious?")
    ["isn't", 'it', 'obvious', '?']
    """
    return _TOKEN.findall(normalise_text(text, scare_max))


# The folds with one character for one: a dash folds to " - ", whose spaces change no token, so "-" will do.
_FOLD_IN_PLACE = tuple((old, new.strip() or new) for old, new in _FOLD)


def token_spans(text: str, scare_max: int = SCARE_QUOTE_MAX_WORDS) -> list[tuple[str, int, int]] | None:
    """:func:`tokenise` ``(text)`` with where each token lies in ``text``: ``(token, start, end)``.

    Built from the same expressions as :func:`normalise_text`, applied in the same order to a copy of
    ``text`` folded one character for one, so positions stay those of ``text``. A ``_quote_`` spans its
    quotation with its marks, a ``_scare_`` the opening mark (the quoted words follow as tokens of their
    own), a ``_num_`` its number. ``None`` for the rare text whose lower-casing changes its length (``İ``
    lower-cases to two code points), where positions could not be kept. For scoring use :func:`tokenise`,
    which is faster; the two give the same tokens (tested).

    Examples
    --------
    >>> token_spans('“Not now,” he said in 2024.')  # doctest: +NORMALIZE_WHITESPACE
    [('_scare_', 0, 1), ('not', 1, 4), ('now', 5, 8), (',', 8, 9), ('he', 11, 13), ('said', 14, 18),
     ('in', 19, 21), ('_num_', 22, 26), ('.', 26, 27)]
    """
    if "\u2018" in text:
        text = _SINGLE_QUOTED.sub(r'"\1"', text)  # one mark for one
    folded = text.lower()
    if len(folded) != len(text):
        return None
    for old, new in _FOLD_IN_PLACE:
        folded = folded.replace(old, new)
    out: list[tuple[str, int, int]] = []

    def plain(start: int, end: int) -> None:
        # Where normalise_text puts a placeholder it puts spaces around it, so no token, number or \b
        # reaches across the edge of a stretch: each is tokenised on its own.
        piece, at = folded[start:end], 0
        for m in _NUMBER.finditer(piece):
            out.extend((t.group(), start + t.start(), start + t.end()) for t in _TOKEN.finditer(piece, at, m.start()))
            out.append(("_num_", start + m.start(), start + m.end()))
            at = m.end()
        out.extend((t.group(), start + t.start(), start + t.end()) for t in _TOKEN.finditer(piece, at))

    at = 0
    for m in _QUOTED.finditer(folded) if '"' in folded else ():
        plain(at, m.start())
        if len(_WORD.findall(m.group(1))) > scare_max:
            out.append(("_quote_", m.start(), m.end()))
        else:
            out.append(("_scare_", m.start(), m.start() + 1))
            plain(m.start(1), m.end(1))
        at = m.end()
    plain(at, len(folded))
    return out


def ngrams(tokens: list[str]) -> list[str]:
    """The sparse features of a token list: unigrams, then bigrams with sentence boundaries ``<s>``/``</s>``.

    Examples
    --------
    >>> ngrams(["it", "is", "absurd"])
    ['it', 'is', 'absurd', '<s> it', 'it is', 'is absurd', 'absurd </s>']
    """
    padded = ["<s>", *tokens, "</s>"]
    return tokens + list(map(" ".join, zip(padded, padded[1:])))


def analyse(text: str, *, scare_max: int = SCARE_QUOTE_MAX_WORDS) -> list[str]:
    """Text to sparse features: :func:`ngrams` of :func:`tokenise`; the vectorizer's ``analyzer``.

    Examples
    --------
    >>> analyse("Simply absurd!")
    ['simply', 'absurd', '!', '<s> simply', 'simply absurd', 'absurd !', '! </s>']
    """
    return ngrams(_TOKEN.findall(normalise_text(text, scare_max)))


# --- stance cues ---------------------------------------------------------------------------------------
# Small closed classes that mark the writer's own stance (or, for attribution and numbers, reporting). They
# are counted on the tokens of normalise_text, where long quotations are already one `_quote_` token: the
# cues describe the text outside quotes, the writer's own words.
_CLASSES = {
    "first_person": "i me my mine myself we us our ours ourselves i'm i've i'd we're we've",
    "second_person": "you your yours yourself yourselves you're you've",
    "modal": "should must ought need needs shouldn't mustn't needn't cannot can't",
    # "of course" is a bigram: counting its two words would make every "of" a hedge.
    "hedge": "perhaps maybe probably possibly apparently seemingly arguably presumably surely clearly obviously "
             "certainly indeed doubtless|of course",
    "intensifier": "very really so too utterly totally completely absolutely extremely truly simply just even "
                   "only quite entirely deeply highly incredibly remarkably",
    "superlative": "most least best worst greatest biggest largest smallest finest",
    "attribution": "said says say told tell tells according reported reports reportedly claimed claims stated "
                   "states added announced noted argued insisted warned explained confirmed denied alleged "
                   "alleges spokesperson spokesman spokeswoman statement",
    "question": "?",
    "exclamation": "!",
    "quotation": "_quote_",
    "number": "_num_",
}
# Lexicon cues are sums over tokens divided by the token count (so long sentences are not subjective for
# being long); class cues count occurrences of the class's unigrams and bigrams; length is log(1 + tokens).
_LEXICON_CUES = ("subjectivity", "subjective_share", "polarity", "abs_polarity")
CUE_NAMES = (*_LEXICON_CUES, *_CLASSES, "length")
# A model distilled into a lexicon (factcomment.distil.teacher_lexicon) has one more cue after these: the mean
# over a text's tokens of each word's value, fitted to a teacher model's scores on unlabelled news.
TEACHER_CUE = "teacher"


def cue_names(teacher: bool) -> tuple[str, ...]:
    """The cues in order: :data:`CUE_NAMES`, then :data:`TEACHER_CUE` when the model has a teacher lexicon."""
    return (*CUE_NAMES, TEACHER_CUE) if teacher else CUE_NAMES


@lru_cache(maxsize=1)
def cue_classes() -> dict[str, int]:
    """Feature (unigram or bigram, as :func:`ngrams` spells them) -> index in :data:`CUE_NAMES` of its class.

    Examples
    --------
    >>> names = {g: CUE_NAMES[i] for g, i in cue_classes().items()}
    >>> names["must"], names["of course"], "of" in names
    ('modal', 'hedge', False)
    """
    out: dict[str, int] = {}
    for name, spelled in _CLASSES.items():
        unigrams, *bigrams = spelled.split("|")
        for gram in unigrams.split() + bigrams:
            if gram in out:
                raise ValueError(f"{gram!r} is in two cue classes")
            out[gram] = CUE_NAMES.index(name)
    return out


@lru_cache(maxsize=1)
def load_lexicon() -> dict[str, tuple[float, float, float]]:
    """The subjectivity lexicon shipped in ``factcomment/data/subjectivity.tsv``.

    Returns
    -------
    dict
        word -> (polarity in [-1, 1], subjectivity in [0, 1], intensity), averaged over the word's senses.
    """
    lexicon = {}
    text = resources.files("factcomment").joinpath("data", "subjectivity.tsv").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line and not line.startswith("#"):
            word, polarity, subjectivity, intensity = line.split("\t")
            lexicon[word] = (float(polarity), float(subjectivity), float(intensity))
    return lexicon


def lexicon_cues(entry: tuple[float, float, float]) -> tuple[float, float, float, float]:
    """One lexicon word's share of the four lexicon cues (before dividing by the token count)."""
    polarity, subjectivity, intensity = entry
    return subjectivity, float(subjectivity >= 0.7 or intensity > 1.0), polarity, abs(polarity)


def cue_vector(tokens: list[str], lexicon: dict[str, tuple[float, float, float]],
               teacher: Mapping[str, float] | None = None) -> list[float]:
    """The cues of a token list, in the order of :func:`cue_names` (``teacher``: the teacher lexicon, if any).

    Examples
    --------
    >>> v = dict(zip(CUE_NAMES, cue_vector(tokenise("Of course we must act now!"), load_lexicon())))
    >>> v["hedge"], v["first_person"], v["modal"], v["exclamation"], round(v["length"], 3)
    (1.0, 1.0, 1.0, 1.0, 2.079)
    """
    values = [0.0] * len(CUE_NAMES)
    classes = cue_classes()
    for gram in ngrams(tokens):
        if gram in classes:
            values[classes[gram]] += 1.0
    n = len(tokens)
    for token in tokens:
        if token in lexicon:
            for k, share in enumerate(lexicon_cues(lexicon[token])):
                values[k] += share
    for k in range(len(_LEXICON_CUES)):
        values[k] /= n or 1
    values[-1] = math.log(1 + n)
    if teacher is not None:
        values.append(math.fsum(teacher.get(token, 0.0) for token in tokens) / (n or 1))
    return values


def __getattr__(name: str):
    # CueFeatures subclasses scikit-learn's BaseEstimator, but the scorer imports this module and must not
    # import scikit-learn: the class is therefore defined on first use (pickles find it the same way).
    if name != "CueFeatures":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import numpy as np
    from sklearn.base import BaseEstimator, TransformerMixin
    from sklearn.utils.validation import check_is_fitted

    class CueFeatures(TransformerMixin, BaseEstimator):
        """Standardised stance cues (:data:`CUE_NAMES`) as a scikit-learn transformer.

        Standardisation is part of the transformer (learned ``mean_`` and ``scale_``) so the compiled scorer
        can fold it into the classifier's weights.

        Parameters
        ----------
        weight : float
            Multiplier applied after standardising. Unit-variance cues dwarf TF-IDF values (a few tenths
            each), so without it the classifier leans on 16 coarse cues more than cross-validation supports.
        scare_max : int
            As for :func:`normalise_text`.
        teacher : dict or None
            A teacher lexicon, word -> value (:func:`factcomment.distil.teacher_lexicon`), which adds the cue
            :data:`TEACHER_CUE`: the mean value over a text's tokens (0 for a word it lacks).

        Examples
        --------
        >>> cues = CueFeatures().fit(["We must act.", "Sales rose 5% in May."])
        >>> cues.transform(["Surely not?"]).shape
        (1, 16)
        """

        def __init__(self, *, weight=0.3, scare_max=SCARE_QUOTE_MAX_WORDS, teacher=None):
            self.weight = weight
            self.scare_max = scare_max
            self.teacher = teacher

        def fit(self, X, y=None):
            if not isinstance(self.weight, (int, float)) or not self.weight > 0:
                raise ValueError(f"weight must be a positive number, not {self.weight!r}")
            raw = self._raw(X)
            self.mean_, scale = raw.mean(axis=0), raw.std(axis=0)
            scale[scale == 0.0] = 1.0  # a cue constant in training contributes nothing, not a NaN
            self.scale_ = scale / self.weight
            return self

        def transform(self, X):
            check_is_fitted(self, ("mean_", "scale_"))
            return (self._raw(X) - self.mean_) / self.scale_

        def get_feature_names_out(self, input_features=None):
            return np.array(["cue:" + name for name in cue_names(self.teacher is not None)], dtype=object)

        def _raw(self, texts):
            lexicon, teacher = load_lexicon(), self.teacher
            rows = [cue_vector(tokenise(t, self.scare_max), lexicon, teacher) for t in texts]
            return np.array(rows, dtype=float).reshape(len(rows), len(cue_names(teacher is not None)))

    CueFeatures.__module__, CueFeatures.__qualname__ = __name__, "CueFeatures"
    globals()[name] = CueFeatures
    return CueFeatures
