"""Text normalisation, quote handling and cue features, shared by training and the pure-Python scorer.

Everything here that turns text into features is a plain module-level function built on ``re`` alone, so
the scikit-learn Pipeline (which calls :func:`analyse` as its vectorizer's analyzer and :func:`cue_vector`
through :class:`CueFeatures`) and :mod:`factcomment.scorer` run *the same code*: the scorer reproduces the
Pipeline exactly by construction rather than by a second tokeniser that might drift.

>>> tokenise('Officials said: "We will not give in to pressure." It is a disgrace!')
['officials', 'said', ':', '_quote_', 'q_we', 'q_will', 'q_not', 'q_give', 'q_in', 'q_to', 'q_pressure', \
'_endquote_', 'it', 'is', 'a', 'disgrace', '!']
"""
from __future__ import annotations

import math
import re
from functools import lru_cache
from importlib import resources

# CueFeatures is left out of __all__: a star import must not pull in scikit-learn.
__all__ = ["CUE_NAMES", "analyse", "cue_vector", "load_lexicon", "load_valence", "ngrams", "normalise_text",
           "token_classes", "tokenise"]

# Two control characters the scorer uses to mark where one text ends and the next begins when it tokenises a
# whole batch at once; normalising removes them from the input so that no text can forge a boundary.
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
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*|_num_")

# A quotation this long is someone else's speech; a shorter one is a term held at arm's length ("scare
# quotes"), which is often the writer's own irony, so the two get different treatment.
SCARE_QUOTE_MAX_WORDS = 3


def _mark_quote(match: re.Match[str]) -> str:
    words = _WORD.findall(match.group(1))
    if len(words) <= SCARE_QUOTE_MAX_WORDS:
        return " _scare_ " + match.group(1) + " "
    return " _quote_ " + " ".join("q_" + w for w in words) + " _endquote_ "


def normalise_text(text: str) -> str:
    """Lower-case ``text``, fold typographic variants and mark quoted speech and numbers.

    Quoted speech longer than three words becomes ``_quote_ q_word q_word ... _endquote_``: its words are kept
    but prefixed, so an opinion voiced by a quoted source does not count as the writer's opinion. Short quoted
    terms are kept as they are after a ``_scare_`` marker. Numbers become ``_num_``.

    Examples
    --------
    >>> normalise_text('He called it “a total failure of leadership” in 2021.')
    'he called it  _quote_ q_a q_total q_failure q_of q_leadership _endquote_  in  _num_ .'
    """
    if "\u2018" in text:
        text = _SINGLE_QUOTED.sub(r'"\1"', text)
    text = text.lower()
    # Most news text is ASCII (str.isascii is O(1)): then only the ASCII folds and digits can occur.
    ascii = text.isascii()
    for old, new in _FOLD_ASCII if ascii else _FOLD:
        text = text.replace(old, new)
    if '"' in text:
        text = _QUOTED.sub(_mark_quote, text)
    return _NUMBER.sub(" _num_ ", text) if (_has_ascii_digit(text) if ascii else _DIGIT.search(text)) else text


def _has_ascii_digit(text: str) -> bool:
    # Ten substring tests run at memchr speed: several times faster than a regex scan.
    for digit in "0123456789":
        if digit in text:
            return True
    return False


def tokenise(text: str) -> list[str]:
    """The tokens of :func:`normalise_text` ``(text)``: words, placeholders and single punctuation marks.

    Examples
    --------
    >>> tokenise("Isn't it obvious?")
    ["isn't", 'it', 'obvious', '?']
    """
    return _TOKEN.findall(normalise_text(text))


def ngrams(tokens: list[str], *, bigrams: bool = True, suffix: int = 0, prefix: int = 0,
           classes: bool = False) -> list[str]:
    """The sparse features of a token list: unigrams, bigrams (with sentence boundaries), affixes and classes.

    Affixes (``~ous`` for suffixes, ``dram~`` for prefixes) let rare evaluative words such as "outrageous"
    share weight with their commoner relatives; they are taken from words longer than the affix plus one.
    With ``classes``, each token also contributes its word-class tokens (see :func:`token_classes`), and a
    stance adverb opening the sentence adds ``_opener_``.

    Examples
    --------
    >>> ngrams(["it", "is", "absurd"], suffix=3)
    ['it', 'is', 'absurd', '<s> it', 'it is', 'is absurd', 'absurd </s>', '~urd']
    >>> ngrams(["surely", "we", "must", "act"], bigrams=False, classes=True)
    ['surely', 'we', 'must', 'act', '_hedge_', '_pos_', '_first_', '_modal_', '_opener_']
    """
    features = list(tokens)
    if bigrams:
        padded = ["<s>", *tokens, "</s>"]
        features += map(" ".join, zip(padded, padded[1:]))
    if suffix:
        features += ["~" + t[-suffix:] for t in tokens if len(t) > suffix + 1]
    if prefix:
        features += [t[:prefix] + "~" for t in tokens if len(t) > prefix + 1]
    if classes:
        features += _class_tokens(tokens)
    return features


def analyse(text: str, *, bigrams: bool = True, suffix: int = 0, prefix: int = 0, classes: bool = False) -> list[str]:
    """Text to sparse features: :func:`ngrams` of :func:`tokenise`; the vectorizer's ``analyzer``.

    Examples
    --------
    >>> analyse("Simply absurd!", bigrams=False)
    ['simply', 'absurd', '!']
    """
    return ngrams(_TOKEN.findall(normalise_text(text)), bigrams=bigrams, suffix=suffix, prefix=prefix,
                  classes=classes)


def _class_tokens(tokens: list[str]) -> list[str]:
    get = token_classes().get
    out = [c for t in tokens for c in get(t, ())]
    if tokens and tokens[0] in _OPENERS:
        out.append("_opener_")
    return out


# --- word classes --------------------------------------------------------------------------------------
# Small closed classes that mark the writer's own stance (or, for attribution and numbers, reporting).
# As sparse class tokens they carry weight over to words the model never saw with a label; as dense cues
# (below) they are the same sets counted.
_FIRST_PERSON = frozenset("i me my mine myself we us our ours ourselves i'm i've i'd we're we've".split())
_SECOND_PERSON = frozenset("you your yours yourself yourselves you're you've".split())
_MODALS = frozenset("should must ought need needs shouldn't mustn't needn't cannot can't".split())
_HEDGES = frozenset("perhaps maybe probably possibly apparently seemingly arguably presumably surely "
                    "clearly obviously certainly indeed of course doubtless".split())
_INTENSIFIERS = frozenset("very really so too utterly totally completely absolutely extremely truly simply "
                          "just even only quite entirely deeply highly incredibly remarkably".split())
_SUPERLATIVES = frozenset("most least best worst greatest biggest largest smallest finest".split())
_ATTRIBUTION = frozenset("said says say told tell tells according reported reports reportedly claimed claims "
                         "stated states added announced noted argued insisted warned explained confirmed "
                         "denied alleged alleges spokesperson spokesman spokeswoman statement".split())
_TIME = frozenset("monday tuesday wednesday thursday friday saturday sunday january february march april "
                  "june july august september october november december yesterday today".split())

# Sentence-initial discourse and stance adverbs: a writer's aside often opens with one ("Notably, ...").
_OPENERS = frozenset("and but so yet still notably apparently clearly obviously surely frankly honestly "
                     "indeed perhaps maybe arguably ironically sadly unfortunately fortunately thankfully "
                     "predictably curiously oddly interestingly presumably naturally admittedly however "
                     "why how what".split())


@lru_cache(maxsize=1)
def token_classes() -> dict[str, tuple[str, ...]]:
    """Word -> its class tokens, from the closed classes above and the two shipped lexicons.

    ``_subj_`` marks strongly subjective words (Pattern subjectivity >= 0.7 or intensity > 1),
    ``_pos_``/``_neg_`` words of clear VADER valence (>= 1.5 or <= -1.5; a single rater's "mild" is 1).

    Examples
    --------
    >>> token_classes()["must"], token_classes()["disgrace"]
    (('_modal_',), ('_neg_',))
    """
    classes: dict[str, list[str]] = {}
    for name, words in (("_first_", _FIRST_PERSON), ("_second_", _SECOND_PERSON), ("_modal_", _MODALS),
                        ("_hedge_", _HEDGES), ("_intens_", _INTENSIFIERS), ("_superl_", _SUPERLATIVES),
                        ("_attrib_", _ATTRIBUTION)):
        for word in words - {"of", "course"}:  # _HEDGES spells "of course" as two words
            classes.setdefault(word, []).append(name)
    for word, (_, subjectivity, intensity) in load_lexicon().items():
        if subjectivity >= 0.7 or intensity > 1.0:
            classes.setdefault(word, []).append("_subj_")
    for word, valence in load_valence().items():
        if valence >= 1.5:
            classes.setdefault(word, []).append("_pos_")
        elif valence <= -1.5:
            classes.setdefault(word, []).append("_neg_")
    return {word: tuple(names) for word, names in classes.items()}


@lru_cache(maxsize=1)
def load_valence() -> dict[str, float]:
    """VADER's word valences (``factcomment/data/vader_valence.tsv``, MIT): word -> mean valence in [-4, 4]."""
    text = resources.files("factcomment").joinpath("data", "vader_valence.tsv").read_text(encoding="utf-8")
    return {word: float(value) for word, value in
            (line.split("\t") for line in text.splitlines() if line and not line.startswith("#"))}


# --- dense cue features -------------------------------------------------------------------------------
CUE_NAMES = ("subjectivity", "polarity", "strong_subjective", "first_person", "second_person", "modal", "hedge",
             "intensifier", "superlative", "question", "exclamation", "attribution", "quotation", "scare_quote",
             "number", "date", "length")


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


def cue_vector(tokens: list[str], lexicon: dict[str, tuple[float, float, float]]) -> list[float]:
    """The cue features of a token list, in the order of :data:`CUE_NAMES`.

    Lexicon scores are means over all tokens (so long sentences are not subjective for being long); class
    counts are distinct-word counts (set intersections, which keeps the pure-Python scorer fast).

    Examples
    --------
    >>> v = cue_vector(tokenise("We should act now!"), {"now": (0.0, 0.0, 1.0)})
    >>> dict(zip(CUE_NAMES, v))["first_person"], dict(zip(CUE_NAMES, v))["exclamation"]
    (1.0, 1.0)
    """
    n = len(tokens) or 1
    scored = [lexicon[t] for t in tokens if t in lexicon]
    types = set(tokens)
    return [
        sum(s[1] for s in scored) / n,
        sum(abs(s[0]) for s in scored) / n,
        float(sum(1 for s in scored if s[1] >= 0.7 or s[2] > 1.0)),
        float(len(types & _FIRST_PERSON)),
        float(len(types & _SECOND_PERSON)),
        float(len(types & _MODALS)),
        float(len(types & _HEDGES)),
        float(len(types & _INTENSIFIERS) + sum(1 for t in types if t.endswith("est") and len(t) > 5)),
        float(len(types & _SUPERLATIVES)),
        1.0 if tokens and tokens[-1] == "?" else 0.0,
        1.0 if "!" in types else 0.0,
        float(len(types & _ATTRIBUTION)),
        1.0 if "_quote_" in types else 0.0,
        1.0 if "_scare_" in types else 0.0,
        float(tokens.count("_num_")),
        float(len(types & _TIME)),
        math.log(n),
    ]


def __getattr__(name: str):
    # CueFeatures subclasses scikit-learn's BaseEstimator, but the scorer imports this module and must not
    # import scikit-learn: the class is therefore defined on first use (pickles find it the same way).
    if name == "CueFeatures":
        cls = _define_cue_features()
        globals()[name] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _define_cue_features():
    import numpy as np
    from sklearn.base import BaseEstimator, TransformerMixin
    from sklearn.utils.validation import check_is_fitted

    class CueFeatures(TransformerMixin, BaseEstimator):
        """Standardised dense cue features (:data:`CUE_NAMES`) as a scikit-learn transformer.

        Standardisation is part of the transformer (learned ``mean_`` and ``scale_``) so the compiled scorer
        can fold it into the classifier's weights.

        Parameters
        ----------
        standardise : bool
            Centre and scale each cue to unit variance on the training texts.
        weight : float
            Multiplier applied after standardising. Unit-variance cues dwarf TF-IDF values (a few tenths
            each), so without it the classifier leans on 17 coarse cues more than cross-validation supports.

        Examples
        --------
        >>> cues = CueFeatures().fit(["We must act.", "Sales rose 5% in May."])
        >>> cues.transform(["Surely not?"]).shape
        (1, 17)
        """

        def __init__(self, *, standardise=True, weight=0.2):
            self.standardise = standardise
            self.weight = weight

        def fit(self, X, y=None):
            if not isinstance(self.standardise, bool):
                raise ValueError(f"standardise must be True or False, not {self.standardise!r}")
            if not isinstance(self.weight, (int, float)) or not self.weight > 0:
                raise ValueError(f"weight must be a positive number, not {self.weight!r}")
            raw = _raw_cues(X)
            if self.standardise:
                self.mean_, scale = raw.mean(axis=0), raw.std(axis=0)
                scale[scale == 0.0] = 1.0  # a cue constant in training contributes nothing, not a NaN
            else:
                self.mean_, scale = np.zeros(raw.shape[1]), np.ones(raw.shape[1])
            self.scale_ = scale / self.weight
            return self

        def transform(self, X):
            check_is_fitted(self, ("mean_", "scale_"))
            return (_raw_cues(X) - self.mean_) / self.scale_

        def get_feature_names_out(self, input_features=None):
            return np.array(["cue:" + name for name in CUE_NAMES], dtype=object)

    CueFeatures.__module__, CueFeatures.__qualname__ = __name__, "CueFeatures"
    return CueFeatures


def _raw_cues(texts):
    import numpy as np

    lexicon = load_lexicon()
    rows = [cue_vector(tokenise(t), lexicon) for t in texts]
    return np.array(rows, dtype=float).reshape(len(rows), len(CUE_NAMES))
