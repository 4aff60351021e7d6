"""Split a news document into reporting and the re-poster's asides, losslessly and with character offsets.

Paragraphs
    Lines end at ``\\n``, ``\\r\\n`` or a lone ``\\r``; every other character (``\\f``, ``\\v``, ``\\x85``,
    ``\\u2028`` ...) is ordinary text. Whitespace means ``str.isspace()`` plus the byte-order mark U+FEFF, and
    no segment starts or ends with it. By default every non-blank line is a paragraph (one line per paragraph,
    as in ``seeds/``). A document counts as *hard-wrapped* when a blank line separates two of its lines and at
    least three quarters of the lines directly followed by another non-blank line are at most 100 characters
    long; then blank lines separate paragraphs and single newlines inside a block are soft wraps, kept inside
    the segment text. In both modes a line that starts with the aside marker starts a new paragraph.

Asides
    A paragraph whose first non-blank characters match the marker (default ``Comment:``, any case, spaces
    allowed before the colon, which may be the full-width one, U+FF1A) is an aside: its segment is the rest of
    the paragraph, stripped, and the marker is kept as written in ``marker`` and ``marker_start``. The marker
    counts only at the start of a paragraph, so "Officials declined to comment: ..." is reporting. A paragraph
    holding only the marker yields an aside with empty text at the offset just after the marker. A marker
    pattern that matches the empty string never makes an aside. Every non-whitespace character of the input
    lies in exactly one segment or marker.

>>> [(s.kind, s.text) for s in split_document("Police said so.\\nComment: Really?")]
[('report', 'Police said so.'), ('comment', 'Really?')]
"""
from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import tee

from .errors import DECODE_HINT, UsageError

__all__ = ["DEFAULT_MARKER", "UNITS", "WHITESPACE", "Span", "Segment", "iter_segments", "iter_sentence_texts",
           "marker_fault", "quoted_sentence_texts", "sentence_texts", "split_document", "split_paragraphs",
           "split_sentences"]

# The colon may be the full-width one (U+FF1A) that CJK keyboards and East-Asian typesetting write: reposts
# typed there mark their asides so, and were read as reporting. Spelt \uff1a (re reads it) to keep --help ASCII.
DEFAULT_MARKER = r"comment\s*[:\uff1a]"
UNITS = ("paragraph", "sentence")

# Everything str.isspace() accepts (what \s matches in a str pattern), plus the byte-order mark: what no
# segment starts or ends with.
WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B)))
       + "\u2028\u2029\u202f\u205f\u3000\ufeff")
_LINE = re.compile(r"[^\s\ufeff](?:[^\r\n]*[^\s\ufeff])?")  # a line without its surrounding whitespace
_BREAK = r"(?:\r\n|\r(?!\n)|\n)"  # never lets the \n of a \r\n count as a second line end
_BLANK_LINE = re.compile(rf"{_BREAK}(?:[^\S\r\n]|\ufeff)*{_BREAK}")
_SKIP_WS = re.compile(r"[\s\ufeff]*")
_WRAP_WIDTH = 100

_TERM = ".?!\u2026"
_CLOSE = "\"'\u201d\u2019\u00bb)]"
_OPEN = "\"'\u201c\u2018\u00ab(["
# The lookbehind lets a run of terminators start a match only at its first character, which keeps the search
# linear on a megabyte of dots (3.10 has no possessive quantifiers); it sits after the first character so the
# pattern still starts with a character set, which the regex engine scans for quickly.
_T = f"[{re.escape(_TERM)}]"
_CANDIDATE = re.compile(rf"({_T}(?<!{_T}{_T}){_T}*)([{re.escape(_CLOSE)}]*)[\s\ufeff]+")
# Titles and ranks that come before a name, and abbreviations a word follows. The ranks Maj., Brig., Cmdr.,
# Adm., Cpl. and Pvt. were the commonest false breaks on Wikinews (bench/sentence_boundaries.py).
_ABBREV = frozenset("mr mrs ms mx dr prof sir st mt rev gen maj brig col capt cmdr adm lt sgt cpl pvt det insp "
                    "supt cllr hon gov sen rep vs v cf".split())
_BEFORE_NUMBER = frozenset("no nos vol pp p art fig jan feb mar apr jun jul aug sep sept oct nov dec".split())
_DOTTED = re.compile(r"(?:[A-Za-z]\.)+[A-Za-z]")  # U.K, e.g, J.K: the final stop is part of the token


@dataclass(frozen=True, slots=True)
class Span:
    """A stretch of a string: ``source[start:end] == text``."""

    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Segment:
    """One piece of a document: reporting or an aside, with offsets into the original string."""

    paragraph: int
    sentence: int | None
    kind: str
    text: str
    start: int
    end: int
    marker: str | None = None
    marker_start: int | None = None
    # What the model reads instead of `text` when a sentence lies (partly) inside a quotation that the
    # sentence cut left open (see quoted_sentence_texts); None means `text` itself.
    model_text: str | None = field(default=None, compare=False, repr=False)


def _check_text(text: object) -> None:
    if not isinstance(text, str):
        hint = f"; {DECODE_HINT}" if isinstance(text, (bytes, bytearray)) else ""
        raise UsageError(f"text must be str, not {type(text).__name__}{hint}")


def marker_fault(marker: str, literal: bool) -> tuple[str, str] | None:
    """Why the marker text ``marker`` cannot work, as ``(kind, detail)``, or None if it can.

    ``kind`` is ``"empty"``; ``"default literal"`` (the default is a regular expression: read as plain text it
    matches nothing); ``"leading space"`` (``detail``: the marker without it; a paragraph starts at its first
    non-blank character, so it would match none); or ``"bad regex"`` (``detail``: re's message). The library
    and the command line word the fix each in their own terms (``marker=`` or ``--marker``).
    """
    if not marker.strip():
        return "empty", ""
    if literal:
        return ("default literal", "") if marker == DEFAULT_MARKER else None
    if marker[0] in WHITESPACE and marker[1:2] not in ("?", "*", "{"):
        return "leading space", marker.lstrip(WHITESPACE)
    try:
        re.compile(marker)
    except re.error as exc:
        return "bad regex", str(exc)
    return None


@lru_cache(maxsize=64)
def _compile(marker: str, literal: bool) -> re.Pattern:
    return re.compile(re.escape(marker.strip()) if literal else marker, re.IGNORECASE)


def _marker_pattern(marker: str | re.Pattern | None, literal: bool) -> re.Pattern | None:
    if marker is None:
        return None
    if isinstance(marker, re.Pattern):
        if literal:
            raise UsageError("literal=True needs the marker as a plain string, not a compiled pattern; "
                             "drop literal=True or pass the text of the marker")
        if not isinstance(marker.pattern, str):
            raise UsageError("marker must be a str pattern, not bytes; compile it from a str, "
                             "e.g. re.compile(r'note:')")
        return marker
    if not isinstance(marker, str):
        raise UsageError(f"marker must be a string, a compiled regular expression or None, "
                         f"not {type(marker).__name__}")
    fault = marker_fault(marker, literal)
    if fault is not None:
        kind, detail = fault
        raise UsageError({
            "empty": "marker must not be empty; pass marker=None to treat every paragraph as reporting",
            "leading space": f"marker {marker!r} starts with whitespace, which no paragraph does; drop it: "
                             f"marker={detail!r}",
            "default literal": f"literal=True applies to a marker you give; the default, {DEFAULT_MARKER}, is a "
                               "regular expression: pass the marker's text (e.g. marker=\"Editor's note:\") or drop "
                               "literal=True",
            "bad regex": f"marker {marker!r} is not a valid regular expression ({detail}); pass literal=True to "
                         "match it as plain text"}[kind])
    return _compile(marker, literal)


# A marker that may hold ^ or \A (or only [^...] or \^, which costs nothing but a copy of the paragraph).
_MAY_ANCHOR = re.compile(r"\^|\\A")


def _marker_at(pattern: re.Pattern | None, text: str, start: int, end: int) -> tuple[int, str] | None:
    """The end and text of a non-empty marker at ``start``, or None."""
    if pattern is None:
        return None
    if _MAY_ANCHOR.search(pattern.pattern):
        # ^ and \A match only at the start of the whole string, never at the pos given to match(): a marker
        # written '^Comment:' would find no aside. On the paragraph alone they match at its start, as meant.
        m, offset = pattern.match(text[start:end]), start
    else:
        m, offset = pattern.match(text, start, end), 0
    return (offset + m.end(), m.group()) if m is not None and m.end() > m.start() else None


def _paragraph_bounds(text: str, pattern: re.Pattern | None) -> Iterator[tuple[int, int]]:
    # Two passes over the lines rather than lists of them: a document of millions of lines stays one string.
    if _BLANK_LINE.search(text) is None or not _hard_wrapped(text):
        yield from (m.span() for m in _LINE.finditer(text))
        return
    paragraph = None
    for s, e, blank in _lines(text):
        if paragraph is not None and not blank and _marker_at(pattern, text, s, e) is None:
            paragraph = (paragraph[0], e)
            continue
        if paragraph is not None:
            yield paragraph
        paragraph = (s, e)
    if paragraph is not None:
        yield paragraph


def _lines(text: str) -> Iterator[tuple[int, int, bool]]:
    """``(start, end, blank line before)`` of each line without its surrounding whitespace."""
    previous_end = None
    for m in _LINE.finditer(text):
        s, e = m.span()
        yield s, e, previous_end is not None and _BLANK_LINE.search(text, previous_end, s) is not None
        previous_end = e


def _hard_wrapped(text: str) -> bool:
    """A blank line separates two lines, and 3/4 of the lines directly followed by another are short."""
    blanks = followed = short = 0
    previous_length = None
    for s, e, blank in _lines(text):
        if previous_length is not None:
            blanks += blank
            if not blank:
                followed += 1
                short += previous_length <= _WRAP_WIDTH
        previous_length = e - s
    return blanks > 0 and followed > 0 and short * 4 >= 3 * followed


def _sentence_bounds(text: str, lo: int, hi: int) -> Iterator[tuple[int, int]]:
    # text[lo:hi] must be stripped; each candidate is a run of .?!… plus closing quotes, then whitespace.
    start = lo
    for m in _CANDIDATE.finditer(text, lo, hi):
        after = m.end()
        following = text[after]
        if following.islower():  # '"Is it true?" she asked.', 'e.g. the', 'etc. and'
            continue
        if m.group(1) == "." and not m.group(2) and _abbreviation_before(text, lo, m.start(), following):
            continue
        yield start, m.end(2)
        start = after
    yield start, hi


def _abbreviation_before(text: str, lo: int, p: int, following: str) -> bool:
    """Whether the full stop at ``p`` ends a title or abbreviation, an initial, a dotted token, or a month or
    "No." before a number (``following`` is the character after the whitespace), rather than a sentence."""
    if p - 6 >= lo and text[p - 6:p].isalpha():  # a word of six letters or more: none of those is that long
        return False
    before = text[p - 1] if p > lo else " "
    if not (before.isalpha() or before.isupper()):  # each case below ends in a letter ("Ⅰ" is upper, not alpha)
        return False
    word = text[max(lo, p - 40):p].rsplit(None, 1)[-1].lstrip(_OPEN)  # the word the stop ends
    low = word.lower()
    return bool(low in _ABBREV or (len(word) == 1 and word.isupper() and word != "I")
                or (low in _BEFORE_NUMBER and following.isdigit())
                or (low not in ("a.m", "p.m") and _DOTTED.fullmatch(word)))


def split_paragraphs(text: str, *, marker: str | re.Pattern | None = DEFAULT_MARKER,
                     literal: bool = False) -> list[Span]:
    """Split a document into stripped paragraphs, following the rules in the module docstring.

    Parameters
    ----------
    text : str
        The whole document.
    marker, literal
        The aside marker, as for :func:`iter_segments`; a line starting with it always starts a paragraph.

    Returns
    -------
    list of Span
        Offsets into `text`; blank lines yield nothing.

    Examples
    --------
    >>> [p.text for p in split_paragraphs("\\ufeffFirst line.\\r\\n\\r\\nSecond.\\n")]
    ['First line.', 'Second.']
    """
    _check_text(text)
    return [Span(s, e, text[s:e]) for s, e in _paragraph_bounds(text, _marker_pattern(marker, literal))]


def split_sentences(text: str) -> list[Span]:
    """Split a paragraph into stripped sentences with offsets.

    A sentence ends at ``.``, ``?``, ``!`` or an ellipsis, plus any closing quotes or brackets, followed by
    whitespace, unless the next word starts in lower case, or the stop ends a title or abbreviation (Mr., Dr.,
    St., Maj., vs., ...), an initial (J. K. Rowling), a dotted token (U.K., e.g.) or a month or "No." before a number.
    Numbers, decimals and URLs never split because a boundary needs whitespace.

    Examples
    --------
    >>> [s.text for s in split_sentences('He said: "We messed up." Then Mr. J. Smith left.')]
    ['He said: "We messed up."', 'Then Mr. J. Smith left.']
    """
    _check_text(text)
    lo, hi = _SKIP_WS.match(text).end(), len(text.rstrip(WHITESPACE))
    if lo >= hi:
        return []
    return [Span(s, e, text[s:e]) for s, e in _sentence_bounds(text, lo, hi)]


def iter_segments(text: str, *, marker: str | re.Pattern | None = DEFAULT_MARKER, unit: str = "paragraph",
                  literal: bool = False) -> Iterator[Segment]:
    """Yield the reporting and aside segments of a document, in order.

    Parameters
    ----------
    text : str
        The whole document.
    marker : str, re.Pattern or None, default ``DEFAULT_MARKER``
        What starts an aside paragraph: a regular expression (matched case-insensitively when given as a
        string), a literal string with ``literal=True``, or None for no asides.
    unit : {"paragraph", "sentence"}
        Yield whole paragraphs, or the sentences of each paragraph.
    literal : bool
        Match a string `marker` as plain text rather than as a regular expression.

    Raises
    ------
    UsageError
        For an unknown `unit` or an unusable `marker`, before anything is yielded.

    Examples
    --------
    >>> doc = "Rates rose. Prices fell.\\nCOMMENT : Odd."
    >>> [(s.paragraph, s.sentence, s.kind, s.text, s.marker) for s in iter_segments(doc, unit="sentence")]
    [(0, 0, 'report', 'Rates rose.', None), (0, 1, 'report', 'Prices fell.', None), (1, 0, 'comment', 'Odd.', 'COMMENT :')]
    """
    _check_text(text)
    if unit not in UNITS:
        raise UsageError(f"unit must be 'paragraph' or 'sentence', not {unit!r}")
    return _segments(text, _marker_pattern(marker, literal), unit == "sentence")


def _segments(text: str, pattern: re.Pattern | None, by_sentence: bool) -> Iterator[Segment]:
    for index, ((start, end), last) in enumerate(_and_last(_paragraph_bounds(text, pattern))):
        kind, mark, mark_start = "report", None, None
        m = _marker_at(pattern, text, start, end)
        if m is not None:
            kind, mark, mark_start = "comment", m[1], start
            start = _SKIP_WS.match(text, m[0], end).end()
        # Sentences are split from this copy, so they are exactly split_sentences() of the paragraph, whatever
        # precedes it.
        para = text[start:end]
        if last:
            # Nothing here needs the document any more: if the caller handed it over (as the readers do), it
            # goes now, and a huge last paragraph is not held twice (a whole document's slice is no copy).
            del text, m
        if not by_sentence or start == end:
            yield Segment(index, 0 if by_sentence else None, kind, para, start, end, mark, mark_start)
            continue
        # Both streams run one sentence apart at most: memory stays flat on a paragraph of a million sentences.
        bounds, lookahead = tee(_sentence_bounds(para, 0, len(para)))
        for j, ((s, e), model_text) in enumerate(zip(bounds, _quoted_texts(para, lookahead))):
            yield Segment(index, j, kind, para[s:e], start + s, start + e,
                          mark if j == 0 else None, mark_start if j == 0 else None, model_text)


def _and_last(items: Iterator[tuple[int, int]]) -> Iterator[tuple[tuple[int, int], bool]]:
    """Each item, and whether it is the last (known once the items are exhausted)."""
    following = next(items, None)
    while following is not None:
        item, following = following, next(items, None)
        yield item, following is None


# Double quotation marks (single ones double as apostrophes). Typographic marks say which way they face; a
# straight one opens when it follows the paragraph start, whitespace or an opening bracket.
_QUOTE_MARK = re.compile('["\u201c\u201d\u201e\u00ab\u00bb]')
_OPENING = "\u201c\u201e\u00ab"


def _quoted_regions(paragraph: str) -> Iterator[tuple[int, int, bool, bool]]:
    """``(start, end, opened, closed)`` of each quotation of a paragraph, in order, from its quotation marks.

    A quotation runs from its opening mark to the matching closing mark, inclusive. An opening mark inside an
    open quotation ends it just before (news style reopens a quotation at each of its paragraphs or after a
    pasting error); a closing mark without an opening one closes a quotation that began where the previous
    one ended, or at the paragraph start (the opening mark was lost). Unclosed quotations run to the end.
    """
    open_at, last_end = None, 0
    for m in _QUOTE_MARK.finditer(paragraph):
        i, mark = m.start(), m.group()
        opening = mark in _OPENING or (mark == '"' and (i == 0 or paragraph[i - 1].isspace()
                                                        or paragraph[i - 1] in "([{"))
        if opening:
            if open_at is not None:
                yield open_at, i, True, False
                last_end = i
            open_at = i
        elif open_at is not None:
            yield open_at, i + 1, True, True
            open_at, last_end = None, i + 1
        else:
            yield last_end, i + 1, False, True
            last_end = i + 1
    if open_at is not None:
        yield open_at, len(paragraph), True, False


def quoted_sentence_texts(paragraph: str, spans: list[Span]) -> list[str]:
    """The text the model reads for each sentence span of ``paragraph``, with the quote state carried in.

    A sentence cut out of a quotation that spans several sentences loses the quotation marks that make it
    someone else's words. Each sentence gets back a ``"`` at its start for a quotation that opened before it
    (or whose opening mark was lost) and a ``"`` at its end for one that closes after it; a sentence whose
    quotation marks are all its own comes back unchanged.

    Examples
    --------
    >>> para = '“We failed. We are sorry. We will change,” he said. It was late.'
    >>> quoted_sentence_texts(para, split_sentences(para))
    ['“We failed."', '"We are sorry."', '"We will change,” he said.', 'It was late.']
    """
    return [model_text or span.text for span, model_text in
            zip(spans, _quoted_texts(paragraph, [(span.start, span.end) for span in spans]))]


def sentence_texts(paragraph: str) -> list[str]:
    """What the model reads of each sentence of ``paragraph``: :func:`quoted_sentence_texts` of its sentences,
    or ``[paragraph]`` itself, untouched, when it holds one sentence (most texts: checked cheaply first).

    >>> sentence_texts('“We failed. We are sorry,” he said.')
    ['“We failed."', '"We are sorry,” he said.']
    >>> sentence_texts("  One sentence only. ")
    ['  One sentence only. ']
    """
    _check_text(paragraph)
    first = _CANDIDATE.search(paragraph)
    if first is None or first.end() == len(paragraph):  # no stop, or only the last one before trailing space
        return [paragraph]
    # split_sentences and quoted_sentence_texts without their Spans, and without the quote sweep when the
    # paragraph holds no quotation mark: the fast tier does this for every paragraph it scores.
    lo, hi = _SKIP_WS.match(paragraph).end(), len(paragraph.rstrip(WHITESPACE))
    bounds = list(_sentence_bounds(paragraph, lo, hi)) if lo < hi else []
    if len(bounds) < 2:
        return [paragraph]
    if _QUOTE_MARK.search(paragraph) is None:
        return [paragraph[s:e] for s, e in bounds]
    return [text or paragraph[s:e] for (s, e), text in zip(bounds, _quoted_texts(paragraph, bounds))]


def iter_sentence_texts(paragraph: str) -> Iterator[str]:
    """:func:`sentence_texts`, one sentence at a time, for a text too long to hold twice (a document on one
    line). A lone sentence comes without the whitespace around it, which no model reads.

    >>> list(iter_sentence_texts('“We failed. We are sorry,” he said. '))
    ['“We failed."', '"We are sorry,” he said.']
    """
    _check_text(paragraph)
    lo, hi = _SKIP_WS.match(paragraph).end(), len(paragraph.rstrip(WHITESPACE))
    bounds = _sentence_bounds(paragraph, lo, hi) if lo < hi else iter(())
    if _QUOTE_MARK.search(paragraph) is None:
        yield from (paragraph[s:e] for s, e in bounds)
        return
    bounds, ahead = tee(bounds)
    for (s, e), text in zip(bounds, _quoted_texts(paragraph, ahead)):
        yield text or paragraph[s:e]


def _quoted_texts(paragraph: str, bounds: Iterable[tuple[int, int]]) -> Iterator[str | None]:
    """The model text of each sentence ``bounds`` gives (None: the sentence itself), sentence by sentence.

    Sentences and quotations are both in order, so one sweep over the two streams, looking one sentence
    ahead, holds only the quotations that reach the current sentence.
    """
    bounds = iter(bounds)
    current, following = next(bounds, None), next(bounds, None)
    if following is None:  # one sentence: its quotation marks are all its own
        if current is not None:
            yield None
        return
    regions = _quoted_regions(paragraph)
    region = next(regions, None)
    reaching: deque[tuple[int, int, bool, bool]] = deque()  # quotations that end after the current sentence starts
    while current is not None:
        s, e = current
        while region is not None and region[0] < e:
            a, b, opened, closed = region
            if not opened:
                # A quotation whose opening mark was lost begins with a sentence (the first that starts at or
                # after a, if it starts before b), not in the middle of the one whose closing mark ended the
                # previous quotation ('"...," he continued. We failed.”'). Quotations that start before this
                # sentence came in with an earlier one, unless they start after it ended: then this one.
                first = s if a <= s else following[0] if following is not None else b
                a = first if first < b else a
            reaching.append((a, b, opened, closed))
            region = next(regions, None)
        while reaching and reaching[0][1] <= s:
            reaching.popleft()
        inserts = []
        for a, b, opened, closed in reaching:
            if a >= e:
                break
            if not (opened and a >= s):  # the opening mark is not in this sentence
                inserts.append(max(a, s))
            if not (closed and b <= e):
                inserts.append(min(b, e))
        if not inserts:
            yield None
        else:
            pieces, at = [], s
            for position in sorted(inserts):
                pieces += [paragraph[at:position], '"']
                at = position
            yield "".join(pieces) + paragraph[at:e]
        current, following = following, next(bounds, None)


def split_document(text: str, *, marker: str | re.Pattern | None = DEFAULT_MARKER, unit: str = "paragraph",
                   literal: bool = False) -> list[Segment]:
    """Return ``list(iter_segments(text, ...))``; see :func:`iter_segments`.

    Examples
    --------
    >>> [s.kind for s in split_document("We declined to comment: no.\\n\\ncomment:")]
    ['report', 'comment']
    """
    return list(iter_segments(text, marker=marker, unit=unit, literal=literal))
