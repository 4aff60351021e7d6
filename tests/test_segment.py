from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from factcomment.errors import UsageError
from factcomment.segment import (DEFAULT_MARKER, Segment, Span, WHITESPACE, iter_segments, iter_sentence_texts,
                                 quoted_sentence_texts, sentence_texts, split_document, split_paragraphs, split_sentences)

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
WS = set(WHITESPACE)


def texts(doc, **kw):
    return [(s.kind, s.text) for s in split_document(doc, **kw)]


def sentences(text):
    return [s.text for s in split_sentences(text)]


# --- seeds -------------------------------------------------------------------------------------------------

def test_seed_000_paragraphs_and_asides():
    doc = (SEEDS / "000_a373fa732a2b7b85.txt").read_text(encoding="utf-8")
    segs = split_document(doc)
    assert len(segs) == 26 and [s.paragraph for s in segs] == list(range(26))
    asides = [s for s in segs if s.kind == "comment"]
    assert [s.paragraph for s in asides] == [8, 16, 23, 25]
    assert sum(s.kind == "report" for s in segs) == 22
    assert {s.marker for s in asides} == {"Comment:"}
    assert [s.text.split()[:2] for s in asides] == [["Notably,", "a"], ["Apparently", "their"],
                                                     ["And", "those"], ["For", "more"]]
    assert asides[-1].text == "For more on the scandal-ridden met:" and asides[-1].end == len(doc)
    for s in asides:
        assert doc[s.marker_start:s.marker_start + len(s.marker)] == "Comment:"
        assert s.start == s.marker_start + len("Comment: ")


def test_seed_000_quoted_paragraph_splits_at_control():
    doc = (SEEDS / "000_a373fa732a2b7b85.txt").read_text(encoding="utf-8")
    para = [s.text for s in split_document(doc, unit="sentence") if s.paragraph == 18]
    assert para == [
        'DCI Iain Moor, who led the investigation into Carrick by Hertfordshire police, said: "He invested time in '
        'developing relationships with women to sustain his appetite for degradation and control.',
        "The coercive nature of his offending undermined his victims in the most destructive way.",
    ]


def test_seed_002_is_one_report_paragraph_with_tricky_quotes():
    doc = (SEEDS / "002_ff69a33de5c09e39.txt").read_text(encoding="utf-8")
    (para,) = split_document(doc)
    assert para.kind == "report" and (para.start, para.end) == (0, len(doc.rstrip()))
    sents = sentences(doc)
    assert len(sents) == 30
    assert sents[4:9] == [
        "“We messed up.", "And I apologise.", "“He should not have been a cop,” he said.",
        "“We haven’t applied the same sense of ruthlessness to guarding our own integrity that we routinely "
        "apply to confronting criminals,” he continued.",
        "We failed in two ways.",
    ]
    assert sents[2] == ("Sir Mark Rowley stated that all 45,000 Met officers and staff would be rechecked for "
                        "previously unreported offences.")
    assert sents[9].endswith("decades.”") and sents[10].startswith("And as leaders")
    assert sents[-4] == "“This work is necessary for all of his victims,” she said."


# --- sentences -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ('He said: "We messed up." Then he left.', ['He said: "We messed up."', "Then he left."]),
    ('"Is it true?" she asked. Nobody knew.', ['"Is it true?" she asked.', "Nobody knew."]),
    ("“Why?” he asked. ‘Go.’ She went.", ["“Why?” he asked.", "‘Go.’", "She went."]),
    ("Mr. Smith met Mrs. Jones and Dr. Who at St. Paul's. Prof. X agreed.",
     ["Mr. Smith met Mrs. Jones and Dr. Who at St. Paul's.", "Prof. X agreed."]),
    ("J. K. Rowling met David A. Carrick. He left.", ["J. K. Rowling met David A. Carrick.", "He left."]),
    # Military ranks before a name, the commonest false breaks on Wikinews (bench/sentence_boundaries.py).
    ("Maj. Gen. Zhu met Brig. Gen. Pate, Cmdr. Ray, Adm. Fox, Cpl. Lee and Pvt. Farr. Lt. Col. Ash left.",
     ["Maj. Gen. Zhu met Brig. Gen. Pate, Cmdr. Ray, Adm. Fox, Cpl. Lee and Pvt. Farr.", "Lt. Col. Ash left."]),
    ("The U.K. and the U.S. agreed, e.g. on trade, i.e. tariffs, etc. and more. Fine.",
     ["The U.K. and the U.S. agreed, e.g. on trade, i.e. tariffs, etc. and more.", "Fine."]),
    ("He lives at No. 10 and was born on Jan. 5 in 1990. No. It was Feb. Then.",
     ["He lives at No. 10 and was born on Jan. 5 in 1990.", "No.", "It was Feb.", "Then."]),
    ("Growth was 3.5 per cent, or £1.2bn. See https://example.co.uk/a.b?x=1. Done!",
     ["Growth was 3.5 per cent, or £1.2bn.", "See https://example.co.uk/a.b?x=1.", "Done!"]),
    ("Acme Inc. said no. Acme Ltd. rose vs. Beta. It was 9 p.m. Then... nothing… Really?! Yes.",
     ["Acme Inc. said no.", "Acme Ltd. rose vs. Beta.", "It was 9 p.m.", "Then... nothing…", "Really?!",
      "Yes."]),
    ("Wait... Then (it ended.) Next.", ["Wait...", "Then (it ended.)", "Next."]),
    ("  \ufeff One.  Two. \n", ["One.", "Two."]),
    ("No terminal punctuation", ["No terminal punctuation"]),
    ("", []), (" \t\n\ufeff", []),
    ("....", ["...."]), (". . .", [".", ".", "."]), ("I. Did. It.", ["I.", "Did.", "It."]),
])
def test_split_sentences_exact(text, expected):
    spans = split_sentences(text)
    assert [s.text for s in spans] == expected
    assert all(text[s.start:s.end] == s.text for s in spans)


def test_split_sentences_offsets():
    assert split_sentences(" Hi. Yo.") == [Span(1, 4, "Hi."), Span(5, 8, "Yo.")]


# --- paragraphs ---------------------------------------------------------------------------------------------

WRAPPED = ("The force said it had reviewed the case and found that officers\n"
           "had missed chances to stop him over many years.\n"
           "\n"
           "Officials declined to comment: the inquiry continues into the\n"
           "wider failures of vetting.\n"
           "Comment: A wrapped aside that runs on to\n"
           "a second line.\n"
           "\n\n"
           "Last paragraph.")


@pytest.mark.parametrize("doc, expected", [
    ("One.\nTwo.\r\nThree.\rFour.\n", ["One.", "Two.", "Three.", "Four."]),
    # A blank line plus short lines reads as hard-wrapped: single line ends become soft wraps.
    ("One.\nTwo.\n\nThree.", ["One.\nTwo.", "Three."]),
    ("One.\r\nTwo.\r\n\r\n\r\nThree.\r\n", ["One.\r\nTwo.", "Three."]),
    ("One.\rTwo.\r\rThree.\n\rFour.", ["One.\rTwo.", "Three.", "Four."]),
    ("One.\r\nComment: x\r\n\r\nThree.", ["One.", "Comment: x", "Three."]),
    ("\ufeff  One.  \n\t\n   Two.\n\n\n", ["One.", "Two."]),
    ("a\x0bb\x0cc\x85d\u2028e\u2029f\x1cg", ["a\x0bb\x0cc\x85d\u2028e\u2029f\x1cg"]),
    (WRAPPED, [
        "The force said it had reviewed the case and found that officers\n"
        "had missed chances to stop him over many years.",
        "Officials declined to comment: the inquiry continues into the\nwider failures of vetting.",
        "Comment: A wrapped aside that runs on to\na second line.",
        "Last paragraph.",
    ]),
    # Long lines are not hard wrapping, so an occasional blank line does not merge seed-style paragraphs.
    ("A" * 150 + "\n" + "B" * 150 + "\n\n" + "C" * 150 + "\n" + "D", ["A" * 150, "B" * 150, "C" * 150, "D"]),
    # Without a blank line every line is a paragraph, however short.
    ("short line\nanother short line", ["short line", "another short line"]),
    ("", []), ("   \n\r\n\ufeff\t", []),
])
def test_split_paragraphs(doc, expected):
    spans = split_paragraphs(doc)
    assert [p.text for p in spans] == expected
    assert all(doc[p.start:p.end] == p.text for p in spans)


def test_wrapped_document_segments():
    assert texts(WRAPPED) == [
        ("report", "The force said it had reviewed the case and found that officers\n"
                   "had missed chances to stop him over many years."),
        ("report", "Officials declined to comment: the inquiry continues into the\nwider failures of vetting."),
        ("comment", "A wrapped aside that runs on to\na second line."),
        ("report", "Last paragraph."),
    ]


# --- markers ------------------------------------------------------------------------------------------------

# The full-width colon (U+FF1A) is what CJK keyboards type: those reposts' asides were read as reporting.
@pytest.mark.parametrize("written", ["Comment:", "COMMENT :", "comment:", "Comment\t:", "cOmMeNt  :",
                                     "Comment\uff1a", "COMMENT \uff1a", "comment\u3000\uff1a"])
def test_marker_variants(written):
    doc = f"Report.\n  {written}  Aside text. \n"
    report, aside = split_document(doc)
    assert aside == Segment(1, None, "comment", "Aside text.", doc.index("Aside"), doc.index("Aside") + 11,
                            written, doc.index(written))


@pytest.mark.parametrize("doc", [
    "Officials declined to comment: the case is open.",
    'He said "No comment: we are busy." and left.',
    "A comment: not at the start.",
    "A comment\uff1a not at the start either.",
])
def test_marker_mid_paragraph_is_reporting(doc):
    assert texts(doc) == [("report", doc)]


@pytest.mark.parametrize("doc, start", [("Comment:", 8), ("Report.\n  COMMENT :   \nMore.", 19)])
def test_marker_only_paragraph_is_empty_aside(doc, start):
    segs = split_document(doc)
    aside = next(s for s in segs if s.kind == "comment")
    assert (aside.text, aside.start, aside.end) == ("", start, start)
    assert aside.marker_start + len(aside.marker) == start
    assert split_document(doc, unit="sentence")[aside.paragraph] == Segment(
        aside.paragraph, 0, "comment", "", start, start, aside.marker, aside.marker_start)


@pytest.mark.parametrize("kw, doc, expected", [
    ({"marker": "Editor's note:", "literal": True}, "Fact.\nEDITOR'S NOTE: Ha.\nComment: x",
     [("report", "Fact."), ("comment", "Ha."), ("report", "Comment: x")]),
    ({"marker": "a.b", "literal": True}, "axb c\na.b d", [("report", "axb c"), ("comment", "d")]),
    ({"marker": r"\[comment:"}, "Fact.\n[Comment: snide.]", [("report", "Fact."), ("comment", "snide.]")]),
    ({"marker": re.compile(r"NB\b")}, "NB this\nnb that", [("comment", "this"), ("report", "nb that")]),
    ({"marker": None}, "Comment: x", [("report", "Comment: x")]),
    ({"marker": r"x*"}, "xx y\nz", [("comment", "y"), ("report", "z")]),  # empty matches never count
    ({"marker": r" ?note:"}, "Note: a\nb", [("comment", "a"), ("report", "b")]),  # may start with no space
    ({"marker": " note:", "literal": True}, "Note: a", [("comment", "a")]),  # a literal marker is stripped
    # ^ and \A anchor at each paragraph's start (re.match(text, pos) alone would match them at the document's)
    ({"marker": r"^comment:"}, "Fact.\n  Comment: a\nx Comment: b", [("report", "Fact."), ("comment", "a"),
                                                                     ("report", "x Comment: b")]),
    ({"marker": r"\A(?:note|nb):"}, "\ufeffNB: a\nFact.\nNote: b", [("comment", "a"), ("report", "Fact."),
                                                                  ("comment", "b")]),
    ({"marker": re.compile(r"^nb\b", re.I)}, "Fact.\nNB this", [("report", "Fact."), ("comment", "this")]),
])
def test_custom_markers(kw, doc, expected):
    assert texts(doc, **kw) == expected


def test_a_full_width_colon_marker_keeps_offsets_exact():
    # East-Asian typesetting puts no space after the full-width colon; the marker is kept as written.
    doc = "\ufeffReport.\r\n\u3000Comment\uff1a\u8fd9\u662f\u8bc4\u8bba\u3002\r\n"
    report, aside = split_document(doc)
    assert aside == Segment(1, None, "comment", "\u8fd9\u662f\u8bc4\u8bba\u3002", 19, 24, "Comment\uff1a", 11)
    assert doc[aside.marker_start:aside.marker_start + len(aside.marker)] == "Comment\uff1a"
    assert split_document(doc, marker="Comment:", literal=True)[1].kind == "report"  # a marker given is as written


def test_sentence_unit_puts_marker_on_first_sentence_only():
    doc = "Rates rose. Prices fell.\nComment: Odd. Very odd."
    assert split_document(doc, unit="sentence") == [
        Segment(0, 0, "report", "Rates rose.", 0, 11),
        Segment(0, 1, "report", "Prices fell.", 12, 24),
        Segment(1, 0, "comment", "Odd.", 34, 38, "Comment:", 25),
        Segment(1, 1, "comment", "Very odd.", 39, 48),
    ]


@pytest.mark.parametrize("kw, message", [
    ({"unit": "word"}, r"unit must be 'paragraph' or 'sentence', not 'word'"),
    ({"marker": "("}, r"not a valid regular expression .*literal=True"),
    ({"marker": ""}, r"marker=None"),
    ({"marker": 3}, r"compiled regular expression or None, not int"),
    ({"marker": re.compile("x"), "literal": True}, r"plain string"),
    # Paragraphs start at a non-blank character: this marker matched none, and every aside was lost.
    ({"marker": " note:"}, r"^marker ' note:' starts with whitespace, which no paragraph does; drop it: "
                           r"marker='note:'$"),
    ({"marker": re.compile(b"x")}, r"^marker must be a str pattern, not bytes; compile it from a str, "
                                    r"e.g. re.compile\(r'note:'\)$"),  # was a TypeError at the first paragraph
    # The default is a regular expression; read literally it matched nothing and every aside was lost.
    ({"literal": True}, r"^literal=True applies to a marker you give; the default, comment\\s\*\[:\\uff1a\], is a "
                        r"regular "),
])
def test_usage_errors_are_raised_eagerly(kw, message):
    with pytest.raises(UsageError, match=message):
        iter_segments("text", **kw)
    with pytest.raises(ValueError, match=message):
        split_document("text", **kw)


def test_bytes_input_is_a_usage_error():
    with pytest.raises(UsageError, match="decode bytes first"):
        split_document(b"Comment: x")
    # Only bytes get the decoding hint: for None it pointed the wrong way.
    with pytest.raises(UsageError, match=r"^text must be str, not NoneType$"):
        split_document(None)


def test_defaults_and_empty_documents():
    assert DEFAULT_MARKER == r"comment\s*[:\uff1a]" and DEFAULT_MARKER.isascii()
    assert split_document("") == [] and split_document(" \n\ufeff\r\n", unit="sentence") == []
    assert list(iter_segments("A.\nB.")) == split_document("A.\nB.")


def test_whitespace_table_matches_isspace_and_regex():
    spaces = {chr(i) for i in range(sys.maxunicode + 1) if chr(i).isspace()}
    assert WS == spaces | {"\ufeff"} and all(re.fullmatch(r"\s", c) for c in spaces)


@pytest.mark.parametrize("piece", [".", "Mr. ", " ", "a\n", ". ", "\r\n\r\nComment: x", "...\"'", "?!” "])
def test_pathological_inputs_are_fast(piece):
    doc = (piece * (200_000 // len(piece) + 1))[:200_000]
    t0 = time.perf_counter()
    for unit in ("paragraph", "sentence"):
        split_document(doc, unit=unit)
    # A hang guard, not a speed test (bench/segment_speed.py measures that): about 0.5 s on an idle machine,
    # while a quadratic path would take many minutes; the bound is loose so a busy CI host cannot fail it.
    assert time.perf_counter() - t0 < 60


# --- properties ---------------------------------------------------------------------------------------------

ALPHABET = st.sampled_from(list("aZ. ?!:\n\r\t\"'“”’()") + ["Comment:", "COMMENT :", "Comment\uff1a", "\u3000",
                           "\uff1a", "Mr.", "U.K.", "\r\n",
                           "\n\n", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029", "\ufeff",
                           "\x00", "é", "É", "…", "3.5", " comment: "])
DOCS = st.one_of(st.text(), st.lists(ALPHABET, max_size=60).map("".join))


def check_lossless(doc, segs):
    owner = [0] * len(doc)
    for s in segs:
        ranges = [(s.start, s.end)]
        if s.marker is not None:
            ranges.append((s.marker_start, s.marker_start + len(s.marker)))
        for a, b in ranges:
            for i in range(a, b):
                owner[i] += 1
    assert all(n == 1 for c, n in zip(doc, owner) if c not in WS)
    assert all(n <= 1 for n in owner)


MARKERS = st.sampled_from([{}, {"marker": None}, {"marker": "Mr.", "literal": True}, {"marker": r"\.+\s*"},
                           {"marker": r"x*"}, {"marker": "."}, {"marker": re.compile(r"comment\s*:\s*")},
                           {"marker": "comment\uff1a", "literal": True}])


@settings(max_examples=300, deadline=None)
@given(DOCS, st.sampled_from(["paragraph", "sentence"]), MARKERS)
def test_lossless_and_well_formed(doc, unit, kw):
    segs = split_document(doc, unit=unit, **kw)
    check_lossless(doc, segs)
    assert segs == split_document(doc, unit=unit, **kw)  # deterministic
    last_end, paragraphs = 0, []
    for s in segs:
        assert s.kind in ("report", "comment") and doc[s.start:s.end] == s.text
        assert s.text == s.text.strip(WHITESPACE)
        assert (s.marker_start if s.marker is not None else s.start) >= last_end
        assert (s.marker is None) == (s.marker_start is None) and (s.marker is None or s.kind == "comment")
        last_end = s.end
        paragraphs.append(s.paragraph)
    assert sorted(set(paragraphs)) == list(range(len(set(paragraphs)))) and paragraphs == sorted(paragraphs)


@settings(max_examples=300, deadline=None)
@given(DOCS, st.lists(st.sampled_from(sorted(WS)), max_size=4).map("".join), st.sampled_from(["paragraph", "sentence"]),
       MARKERS | st.just({"marker": r"c(?=\s)"}))
def test_whitespace_at_the_end_changes_no_segment(doc, end, unit, kw):
    # Readers leave it out of a document's text (it would cost a copy of a document that is one paragraph).
    def segments(text):
        return [(s, s.model_text) for s in split_document(text, unit=unit, **kw)]
    assert segments(doc + end) == segments(doc.rstrip(WHITESPACE))


@settings(max_examples=200, deadline=None)
@given(DOCS)
def test_sentences_agree_with_paragraphs_and_resplit_to_themselves(doc):
    paragraphs = split_document(doc)
    by_sentence = split_document(doc, unit="sentence")
    for p in paragraphs:
        expected = [(p.start + s.start, s.text) for s in split_sentences(p.text)] or [(p.start, "")]
        assert [(s.start, s.text) for s in by_sentence if s.paragraph == p.paragraph] == expected
        if p.kind == "report" and "\n" not in p.text and "\r" not in p.text:
            assert split_document(p.text) == [Segment(0, None, "report", p.text, 0, len(p.text))]
    for s in by_sentence:
        if s.text:
            assert split_sentences(s.text) == [Span(0, len(s.text), s.text)]


# A commissioner-style statement whose quotation runs over several sentences, with its opening mark lost
# after the first attribution (as pasted news often is). Our own text.
QUOTED = ('The chief spoke on Monday. \u201cWe got this badly wrong. I am sorry. We will change,\u201d she said. '
          '\u201cWe were too slow,\u201d she added. We failed the victims. We must do better.\u201d '
          'Critics were unmoved.')


def test_sentences_inside_a_paragraph_quotation_are_read_as_quoted():
    segments = split_document(QUOTED, unit="sentence")
    assert [s.text for s in segments] == [
        "The chief spoke on Monday.", "\u201cWe got this badly wrong.", "I am sorry.",
        "We will change,\u201d she said.", "\u201cWe were too slow,\u201d she added.", "We failed the victims.",
        "We must do better.\u201d", "Critics were unmoved."]
    assert [s.model_text for s in segments] == [
        None, '\u201cWe got this badly wrong."', '"I am sorry."', '"We will change,\u201d she said.', None,
        '"We failed the victims."', '"We must do better.\u201d', None]
    # The offsets and texts stay those of the document; only the model's input changes.
    assert all(QUOTED[s.start:s.end] == s.text for s in segments)


@pytest.mark.parametrize("paragraph, expected", [
    ('He said "yes." Then he left.', ['He said "yes."', "Then he left."]),  # closed inside the sentence
    ('"Go. Now," she said. Fine.', ['"Go."', '"Now," she said.', "Fine."]),  # straight marks
    ("One. Two.\u201d Three.", ['"One."', '"Two.\u201d', "Three."]),  # closing mark only: from the start
    ("\u201cOne. Two.", ["\u201cOne.\"", '"Two."']),  # never closed: to the end
])
def test_quoted_sentence_texts(paragraph, expected):
    assert quoted_sentence_texts(paragraph, split_sentences(paragraph)) == expected


def test_a_one_sentence_paragraph_is_left_as_written():
    assert quoted_sentence_texts("We failed.\u201d", split_sentences("We failed.\u201d")) == ["We failed.\u201d"]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from('ab .?!"\u201c\u201d\n'), max_size=60))
def test_model_text_only_adds_quotation_marks(text):
    for s in split_document(text, unit="sentence"):
        if s.model_text is not None:
            assert s.model_text.replace('"', "") == s.text.replace('"', "")
            assert len(s.model_text) > len(s.text)


@settings(max_examples=300, deadline=None)
@given(DOCS | st.lists(st.sampled_from(["He said.", " ", "Mr. J. Smith", "“We failed.", '"No." ', "It was.”", "\n",
                                        "e.g. this", "U.K. ", "Why? ", "a", "»"]), max_size=12).map("".join))
def test_sentence_texts_is_the_quoted_texts_of_the_sentences(paragraph):
    # sentence_texts takes shortcuts (no Spans; no quote sweep without quotation marks) to the same result.
    spans = split_sentences(paragraph)
    assert sentence_texts(paragraph) == (quoted_sentence_texts(paragraph, spans) if len(spans) > 1 else [paragraph])
    # One at a time, the same texts; a lone sentence without the whitespace around it.
    assert list(iter_sentence_texts(paragraph)) == (sentence_texts(paragraph) if len(spans) > 1
                                                     else [s.text for s in spans])
