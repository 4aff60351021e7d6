"""The HTML report: rendering from hand-made predictions, building from files, and the page in a real browser."""
from __future__ import annotations

import html
import io
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from factcomment.errors import UsageError
from factcomment.inference import Model
from factcomment.readers import InputOptions, Tally
from factcomment.report import DocumentReport, build_report, render_report, shade, word_spans
from factcomment.results import Explanation, Prediction, SegmentPrediction
from factcomment.api import classify_document
from factcomment.segment import Segment, split_document

from conftest import ROOT, SEEDS

# -- hand-made inputs -----------------------------------------------------------------------------------------

TEXT = ("Police said the minister resigned.\n"
        "I think this is a Disgrace, frankly; I think so.\n"
        "Comment: <script>alert('x')</script> & more")


def _doc(file: str = "a.txt") -> DocumentReport:
    """Three paragraphs: reporting, model-detected commentary (explained), and a marked aside."""
    explained = Explanation(toward_comment=(("i think", 0.9), ("disgrace", 0.6), ("cue:first_person", 0.3)),
                            toward_report=(("said", -0.4),), intercept=-0.5, rest=0.1, decision=1.0)
    report_expl = Explanation(toward_comment=(), toward_report=(("said", -0.8), ("police", -0.3), ("minister", -0.2)),
                              intercept=-0.5, rest=0.0, decision=-1.5)
    aside_start = TEXT.index("<script>")
    results = [
        SegmentPrediction(Segment(0, None, "report", TEXT[:34], 0, 34), Prediction("report", 0.1234, "model",
                                                                                  report_expl)),
        SegmentPrediction(Segment(1, None, "report", TEXT[35:83], 35, 83), Prediction("comment", 0.87, "model",
                                                                                     explained)),
        SegmentPrediction(Segment(2, None, "comment", TEXT[aside_start:], aside_start, len(TEXT), "Comment:", 84),
                          Prediction("comment", 1.0, "marker")),
    ]
    return DocumentReport(file, TEXT, results)


def _element(page: str, ident: str) -> str:
    """The opening tag and content of the element with ``id=ident`` up to its closing tag."""
    match = re.search(rf'<(li|div) class="[^"]*" id="{ident}".*?</\1>', page, re.S)
    assert match, ident
    return match.group(0)


def _text_of(page: str, ident: str) -> str:
    return re.search(r'<p class="text">(.*?)</p>', _element(page, ident), re.S).group(1)


def test_segments_carry_data_attributes_ids_and_badges():
    page = render_report([_doc()], threshold=0.5)
    assert re.findall(r'id="(d0-p\d)" data-kind="(\w+)" data-source="(\w+)" data-p="([\d.]+)"', page) == [
        ("d0-p0", "report", "model", "0.123"),
        ("d0-p1", "comment", "model", "0.870"),
        ("d0-p2", "comment", "marker", "1.000"),
    ]
    assert '<span class="badge report">report 0.12</span>' in _element(page, "d0-p0")
    assert '<span class="badge comment">Comment 0.87</span>' in _element(page, "d0-p1")
    assert '<span class="badge aside">Aside (marked)</span>' in _element(page, "d0-p2")
    assert f'style="background-color:{shade(0.87)}"' in _element(page, "d0-p1")


def test_hostile_text_is_escaped_once_and_the_marker_is_shown_dimmed():
    page = render_report([_doc("<img src=x onerror=alert(1)>.txt")], threshold=0.5)
    assert "<script" not in page and "<img" not in page
    assert _text_of(page, "d0-p2") == ('<span class="aside-marker">Comment:</span> '
                                       "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; more")
    assert "&lt;img src=x onerror=alert(1)&gt;.txt</h2>" in page
    assert "&amp;amp;" not in page and "&amp;lt;" not in page


def test_word_features_are_marked_at_their_words_and_cues_only_listed():
    # "minister" (-0.2) is weaker than 0.3 x the strongest (-0.8): listed, not underlined.
    page = render_report([_doc()], threshold=0.5)
    assert _text_of(page, "d0-p1") == (
        '<mark class="to-comment" title="pushes toward commentary">I think</mark> this is a '
        '<mark class="to-comment" title="pushes toward commentary">Disgrace</mark>, frankly; '
        '<mark class="to-comment" title="pushes toward commentary">I think</mark> so.')
    assert _text_of(page, "d0-p0") == (
        '<mark class="to-report" title="pushes toward reporting">Police</mark> '
        '<mark class="to-report" title="pushes toward reporting">said</mark> the minister resigned.')
    assert '<span class="term" title="model features: minister">“minister”</span> \u22120.20</summary>' in (
        _element(page, "d0-p0"))
    why = _element(page, "d0-p1")
    assert ('<span class="dir">toward comment:</span> '
            '<span class="term" title="model features: i think">“I think”</span> +0.90, '
            '<span class="term" title="model features: disgrace">“disgrace”</span> +0.60, '
            '<span class="cue" title="model features: cue:first_person">first person (I, we)</span> +0.30; '
            '<span class="dir">toward report:</span> '
            '<span class="term" title="model features: said">“said”</span> \u22120.40</summary>') in why
    assert "decision score</th><td class=\"num\">+1.00</td>" in why
    assert "the model was not asked" in _element(page, "d0-p2")


def test_why_shows_words_a_moderator_can_act_on_and_keeps_the_sum():
    # Raw explanations are dominated by function words, punctuation and internal tokens; the page shows
    # words as written, tokens described, and folds the rest into "other words" without losing the sum.
    text = "The minister said 40 people were there, and it is a disgrace - the end."
    e = Explanation(toward_comment=(("disgrace", 0.9), ("the", 0.3), ("_num_", 0.2), (",", 0.15), ("<s> the", 0.1),
                                    ("of the", 0.05)),
                    toward_report=(("said", -0.6), ("_quote_", -0.3), ("-", -0.2)),
                    intercept=-0.4, rest=0.05, decision=0.25)
    seg = Segment(0, None, "report", text, 0, len(text))
    page = render_report([DocumentReport("a.txt", text, [SegmentPrediction(seg, Prediction("report", 0.4, "model",
                                                                                           e))])], threshold=0.5)
    item = _element(page, "d0-p0")
    summary = re.search(r"<summary>(.*?)</summary>", item).group(1)
    shown = re.sub(r"<[^>]+>", "", summary)
    assert shown == ("Why toward comment: \u201cdisgrace\u201d +0.90, a number +0.20; "
                     "toward report: \u201csaid\u201d \u22120.60, a quotation \u22120.30")
    assert _text_of(page, "d0-p0") == (
        'The minister <mark class="to-report" title="pushes toward reporting">said</mark> 40 people were there, '
        'and it is a <mark class="to-comment" title="pushes toward commentary">disgrace</mark> - the end.')
    cells = re.findall(r'<tr class="([\w-]+)"><t[dh][^>]*>(.*?)</t[dh]><td class="num">([^<]+)</td>', item)
    values = {re.sub(r"<[^>]+>", "", name): float(v.replace("\u2212", "-")) for _, name, v in cells}
    assert values["other words (function words, punctuation and the rest)"] == pytest.approx(
        0.05 + 0.3 + 0.15 + 0.1 + 0.05 - 0.2)
    assert sum(v for k, v in values.items() if k != "decision score") == pytest.approx(0.25, abs=0.006)
    for raw in ("_num_", "_quote_", "&lt;s&gt;", "cue:"):
        assert raw not in re.sub(r'title="[^"]*"', "", item), raw


@pytest.mark.parametrize("text, terms, expected", [
    ("Said it. He SAID so; unsaid, saidly.", [("said", "r")], [(0, 4, "said", "r"), (12, 16, "said", "r")]),
    ("I think, I  think.", [("think", "c"), ("i think", "c")], [(0, 7, "i think", "c"), (9, 17, "i think", "c")]),
    ("It\u2019s bad, it's bad", [("it's bad", "c")], [(0, 8, "it's bad", "c"), (10, 18, "it's bad", "c")]),
    ("a b c", [("a b", "x"), ("b c", "y")], [(0, 3, "a b", "x")]),  # same length: earlier wins
    ("b c", [("b", "x"), ("b", "y")], [(0, 1, "b", "x")]),  # same span: the term listed first wins
    ("first person I", [("cue:first_person", "c"), ("First", "c"), ("first_person", "c"), ("", "c")], []),
    ("x.y", [("x.y", "c")], []),
])
def test_word_spans(text, terms, expected):
    assert word_spans(text, terms) == expected


def _spans_checked_against_every_span_taken(text, terms):
    """word_spans as it was: each match checked against every span taken before it (quadratic)."""
    from factcomment.report import _APOSTROPHE, _TOKEN

    found = []
    for order, (term, css) in enumerate(terms):
        tokens = tuple(term.split(" "))
        if not all(t == t.lower() and _TOKEN.fullmatch(t) for t in tokens):
            continue
        pattern = ""
        for i, token in enumerate(tokens):
            if i:
                pattern += r"\s+" if token[0].isalnum() and tokens[i - 1][0].isalnum() else r"\s*"
            pattern += _APOSTROPHE.sub(lambda _: "['\u2019]", re.escape(token))
        pattern = (r"(?<!\w)" if tokens[0][0].isalnum() else "") + pattern + (r"(?!\w)" if tokens[-1][-1].isalnum() else "")
        found += [(m.start(), m.end(), order, " ".join(tokens), css) for m in re.finditer(pattern, text, re.IGNORECASE)]
    taken = []
    for start, end, _, term, css in sorted(found, key=lambda f: (f[0] - f[1], f[0], f[2])):
        if all(end <= s or start >= e for s, e, _, _ in taken):
            taken.append((start, end, term, css))
    return sorted(taken)


@given(text=st.text(alphabet="ab .'\u2019", max_size=30), terms=st.lists(st.tuples(
    st.sampled_from(["a", "b", "a b", "b a", "a a", "a .", ".", "a'b", "b . a"]), st.sampled_from(["x", "y"])),
    max_size=6))
def test_word_spans_take_what_checking_every_span_taken_takes(text, terms):
    assert word_spans(text, terms) == _spans_checked_against_every_span_taken(text, terms)


def test_word_spans_of_a_long_one_line_document_take_seconds_not_minutes():
    import time

    text = "Frankly, it is absurd. " * 25_000  # 50,000 matches: about 55 s when each was checked against all taken
    began = time.perf_counter()
    spans = word_spans(text, [("absurd", "c"), ("frankly", "c"), ("frankly ,", "c")])
    assert time.perf_counter() - began < 10
    assert len(spans) == 50_000 and spans[:2] == [(0, 8, "frankly ,", "c"), (15, 21, "absurd", "c")]


_SAID = '"We will not resign over this," he said. Later he left.'


@pytest.mark.parametrize("text, term, expected", [
    (_SAID, "_quote_ he", ["he"]),  # the "he" after the quotation, not the later one
    (_SAID, "he", ["he", "he"]),  # a plain word is underlined wherever it occurs, as before
    ("I said I would go. I did; I left.", "<s> i", ["I", "I"]),  # sentence-initial only
    ("Police said 40 people came, then said nothing.", "said _num_", ["said"]),
    ('They called it "reform", and the reform passed.', "_scare_ reform", ["reform"]),
    ("Absurd, it is not. It is absurd. Absurd", "absurd </s>", ["Absurd"]),  # "." ends the other sentence
    ('He warned "this will never work out well" and left.', "warned _quote_", ["warned"]),
    # A quotation of three words or fewer is scare quotes to the model, not a quotation.
    ('"Not at all," he said.', "_quote_ he", []),
    # The model reads each sentence of a paragraph on its own, with the quote state a cut left open put back:
    # "We are very sorry for it,” is a quotation there, so "he" follows one.
    ('“We failed badly today. We are very sorry for it,” he said. Then he left.', "_quote_ he", ["he"]),
    ("Frankly, no.", "<s> frankly ,", ["Frankly,"]),
    ("“No”, he said.", "cue:x _quote_", []),  # nothing but placeholders and non-words: never found
])
def test_a_feature_with_context_is_underlined_only_where_the_context_holds(text, term, expected):
    spans = word_spans(text, [(term, "c")])
    assert [text[a:b] for a, b, _, _ in spans] == expected
    if expected and term != "he":
        assert spans[0][2] == term


def test_a_sentence_cut_from_a_quotation_is_matched_as_the_model_read_it():
    # The sentence unit's model_text has the opening mark the cut left behind; places stay those of the text.
    paragraph = "“We failed badly today. We are very sorry for it,” he said. He left."
    second = split_document(paragraph, unit="sentence")[1]
    assert second.model_text == '"We are very sorry for it,” he said.'
    assert word_spans(second.text, [("_quote_ he", "c")], model_text=second.model_text) == [
        (27, 29, "_quote_ he", "c")]
    # Read without the mark put back, the sentence holds no quotation, so nothing is underlined.
    assert word_spans(second.text, [("_quote_ he", "c")]) == []
    # A model text that is not the text with marks put back gives no places rather than wrong ones.
    assert word_spans("he said", [("<s> he", "c")], model_text="she said") == []


def test_the_page_underlines_a_reason_with_context_only_where_it_holds():
    e = Explanation(toward_comment=(), toward_report=(("_quote_ he", -0.6), ("<s> later", -0.3)),
                    intercept=-0.5, rest=0.0, decision=-1.4)
    seg = Segment(0, None, "report", _SAID, 0, len(_SAID))
    page = render_report([DocumentReport("a.txt", _SAID, [SegmentPrediction(seg, Prediction("report", 0.1, "model",
                                                                                            e))])], threshold=0.5)
    mark = '<mark class="to-report" title="pushes toward reporting">{}</mark>'
    assert _text_of(page, "d0-p0") == (f"&quot;We will not resign over this,&quot; {mark.format('he')} said. "
                                       f"{mark.format('Later')} he left.")
    assert "“he” after a quotation" in _element(page, "d0-p0")


def test_word_spans_with_context_in_a_long_one_line_document_take_seconds():
    import time

    text = "Frankly, it is absurd. " * 25_000  # 25,000 sentences; 75,000 matches (under 1 s on 2 cores)
    began = time.perf_counter()
    spans = word_spans(text, [("<s> frankly", "c"), ("absurd", "c"), ("absurd </s>", "c"), ("it is", "r")])
    assert time.perf_counter() - began < 10
    # "absurd </s>" never holds: the model's last token of each sentence is ".".
    assert len(spans) == 75_000 and spans[:3] == [(0, 7, "<s> frankly", "c"), (9, 14, "it is", "r"),
                                                   (15, 21, "absurd", "c")]


_TERMS = st.lists(st.tuples(st.sampled_from(["a", "ab", "a b", "b", "i'm", "<b>", "cue:a", "&",
                                              "<s> a", "_scare_ b", "b </s>", "_quote_ a"]),
                            st.sampled_from(["to-comment", "to-report"])), max_size=5)


@given(text=st.text(alphabet="aAbB '\u2019<>&\"\n.:", max_size=40), terms=_TERMS)
def test_highlighting_keeps_the_text_exact(text, terms):
    from html import unescape

    from factcomment.report import _highlighted

    html = _highlighted(text, terms)
    assert unescape(re.sub(r"</?mark[^>]*>", "", html)) == text
    assert "<" not in re.sub(r"</?mark[^>]*>", "", html)
    spans = word_spans(text, terms)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))


def test_summary_counts_and_legend_with_model_card():
    card = {"created": "2025-01-02T03:04:05+00:00", "threshold": 0.44,
            "metrics": {"cross_validation": {"macro_f1": 0.8123}}}
    page = render_report([_doc(), DocumentReport("empty.txt", "", [])], threshold=0.5, model_card=card,
                         title="Review <1>")
    assert '<dl class="summary" data-units="3" data-report="1" data-model="1" data-marked="1" data-asides="1">' in page
    stats = re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", _element_doc(page, 0))
    assert stats == [("paragraphs", "3"), ("reporting", "1"), ("commentary (model)", "1"),
                     ("asides (marked)", "1"), ("share of commentary", "67%")]
    assert "No text in this document." in _element_doc(page, 1)
    assert "<title>Review &lt;1&gt;</title>" in page
    assert ("2 documents · threshold 0.500 · factcomment" in page and "model created 2025-01-02 · "
            "cross-validated macro-F1 0.812 · (model's own threshold 0.440)" in page)
    assert '<nav class="toc" aria-label="Documents">' in page and "67% commentary" in page


def _element_doc(page: str, index: int) -> str:
    return re.search(rf'<article class="doc" id="d{index}".*?</article>', page, re.S).group(0)


@pytest.mark.parametrize("card", [None, {}, {"metrics": None}, {"metrics": {"cross_validation": {}}},
                                  {"created": None, "threshold": "x"}, {"metrics": "x"}])  # was AttributeError
def test_model_card_with_missing_keys_is_fine(card):
    page = render_report([_doc()], threshold=0.5, model_card=card)
    assert "threshold 0.500" in page and "macro-F1" not in page.split("<main>")[0]


def test_page_is_self_contained_and_needs_no_script():
    page = render_report([_doc()], threshold=0.5)
    assert page.startswith("<!DOCTYPE html>\n<html lang=\"en\">")
    for external in ("http://", "https://", "//", "<script", "<link", "<img", "src=", "url(", "@import"):
        assert external not in page, external


def test_sentence_units_get_sentence_ids_inside_their_paragraph():
    text = "Rates rose. Prices fell.\nComment: Odd. Very odd."
    results = [SegmentPrediction(s, Prediction("comment", 1.0, "marker") if s.kind == "comment"
                                 else Prediction("report", 0.2)) for s in split_document(text, unit="sentence")]
    page = render_report([DocumentReport("s.txt", text, results)], threshold=0.5)
    assert re.findall(r'id="(d0-p[\d-]+s?\d*)"', page) == ["d0-p0", "d0-p0-s0", "d0-p0-s1", "d0-p1", "d0-p1-s0",
                                                           "d0-p1-s1"]
    assert page.count('class="aside-marker"') == 1  # the marker belongs to the aside's first sentence
    stats = dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", page))
    assert stats == {"sentences": "4", "paragraphs": "2", "reporting": "2", "commentary (model)": "0",
                     "asides (marked)": "1", "share of commentary": "50%"}
    # The map has a cell per sentence (docs/report.md said one per paragraph).
    assert re.findall(r'<a class="cell[^"]*" href="#([^"]+)"', page) == ["d0-p0-s0", "d0-p0-s1", "d0-p1-s0",
                                                                         "d0-p1-s1"]


def test_review_attributes_keep_carriage_returns_that_html_would_turn_into_line_feeds():
    # A browser reads CRLF and a lone CR in an attribute as LF: saved rows would no longer be document[start:end].
    text = "First line of one\r\nparagraph, wrapped.\r\n\r\nA lone\rreturn.\r\n"
    results = [SegmentPrediction(s, Prediction("report", 0.2)) for s in split_document(text)]
    assert [s.segment.text for s in results] == ["First line of one\r\nparagraph, wrapped.", "A lone\rreturn."]
    page = render_report([DocumentReport("a\rb.txt", text, results)], threshold=0.5, review=True)
    attributes = re.findall(r'data-(?:text|file)="([^"]*)"', page)
    assert "\r" not in "".join(attributes)
    assert [html.unescape(a) for a in attributes] == ["a\rb.txt", "a\rb.txt", text[:38], "a\rb.txt", text[42:56]]


def test_review_offsets_count_code_points_as_python_does_not_utf16_units():
    # docs/cli.md and docs/report.md: a character beyond U+FFFF is one, where JavaScript's indices count two.
    text = "\U0001F600 Police said so.\n\nComment: \U0001D49C ha."
    results = [SegmentPrediction(s, Prediction("report", 0.2)) for s in split_document(text)]
    page = render_report([DocumentReport("a.txt", text, results)], threshold=0.5, review=True)
    spans = [(int(a), int(b)) for a, b in re.findall(r'data-start="(\d+)" data-end="(\d+)"', page)]
    assert spans == [(0, 17), (28, 33)] and [text[a:b] for a, b in spans] == ["\U0001F600 Police said so.",
                                                                              "\U0001D49C ha."]


@pytest.mark.parametrize("threshold, message", [
    (float("nan"), "threshold must lie between 0 and 1, not nan"), (2.0, "threshold must lie between 0 and 1, not 2.0"),
    ("0.5", "threshold must be a number between 0 and 1, not '0.5'"), (None, "threshold must be a number"),
])
def test_render_report_refuses_a_threshold_that_is_not_one(threshold, message):
    # A string or None was a TypeError from the shading; NaN and 2 drew a page with that cut in its legend.
    with pytest.raises(UsageError, match=re.escape(message)):
        render_report([_doc()], threshold=threshold)


@pytest.mark.parametrize("order", ["document", "uncertain"])
def test_every_link_on_the_page_has_its_target(order):
    # In the uncertain order the list of documents linked to #d0 and #d1, which that page does not have.
    page = render_report([_doc("a.txt"), _doc("b.txt")], threshold=0.5, review=True, order=order)
    targets = re.findall(r'href="#([^"]+)"', page)
    assert set(targets) <= set(re.findall(r' id="([^"]+)"', page)) and (order == "uncertain" or targets)
    assert ("b.txt</a>" in page) == (order == "document")


def test_render_with_no_documents():
    assert "No documents could be read." in render_report([], threshold=0.5, skipped=["x.txt: <gone>"])
    assert "<li>x.txt: &lt;gone&gt;</li>" in render_report([], threshold=0.5, skipped=["x.txt: <gone>"])


def _luminance(colour: str) -> float:
    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def _contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("text_colour, minimum", [("#1f2328", 7.0), ("#57606a", 3.0), ("#6b3a00", 4.5)])
@pytest.mark.parametrize("threshold", [0.0, 0.3, 0.589, 1.0])
def test_every_shade_keeps_text_readable(text_colour, minimum, threshold):
    # Body text must meet WCAG AAA on every shade, the dimmed marker and the ink borders at least AA-large/AA.
    assert shade(-1, threshold) == shade(0, threshold) and shade(2, threshold) == shade(1, threshold)
    assert min(_contrast(text_colour, shade(i / 100, threshold)) for i in range(101)) >= minimum


def _background(page: str, ident: str) -> tuple[int, int, int]:
    colour = re.search(r'style="background-color:#(\w{6})"', _element(page, ident)).group(1)
    return tuple(int(colour[i:i + 2], 16) for i in (0, 2, 4))


def test_reports_stay_calm_up_to_the_threshold_and_commentary_turns_amber():
    # report 0.52 was shaded almost like COMMENT 0.68 when the scale ran white to amber over 0..1.
    doc = _doc()
    results = [SegmentPrediction(doc.results[0].segment, Prediction("report", 0.52)),
               SegmentPrediction(doc.results[1].segment, Prediction("comment", 0.68))]
    page = render_report([DocumentReport("a.txt", TEXT, results)], threshold=0.589)
    assert min(_background(page, "d0-p0")) >= 0xe6  # a pale grey, nothing warm
    assert _background(page, "d0-p1")[2] <= 0x8c  # amber: little blue
    for t in (0.2, 0.5, 0.589, 0.9):
        assert all(min(int(shade(i / 100, t)[j:j + 2], 16) for j in (1, 3, 5)) >= 0xe6 for i in range(100) if i / 100 < t)
        assert all(int(shade(i / 100, t)[5:7], 16) <= 0x8c for i in range(101) if i / 100 >= t)


def test_paragraphs_are_numbered_from_0_as_in_json(write, model):
    path = write("a.txt", "He said no.\nI think it is bad.\nComment: Indeed.")
    page = build_report([path], InputOptions(), Tally(), model=model)
    assert re.findall(r'<span class="num" aria-hidden="true">(\d+)</span>', page) == ["0", "1", "2"]
    assert re.findall(r'title="(paragraph \d+):', page) == ["paragraph 0", "paragraph 1", "paragraph 2"]
    assert [r.segment.paragraph for r in classify_document(Path(path).read_text(), model=model)] == [0, 1, 2]


# -- build_report ---------------------------------------------------------------------------------------------

class _Scorer:
    """A stand-in for the compiled scorer: commentary is whatever says 'think'."""

    def decision_function(self, texts):
        return [1.0 if "think" in t.lower() else -1.5 for t in texts]

    def calibrate(self, decisions):
        return [0.9 if d > 0 else 0.2 for d in decisions]

    def p_comment(self, texts):
        return self.calibrate(self.decision_function(texts))

    def explain(self, text, k):
        return self.strongest(self.contributions(text), k)

    def contributions(self, text):
        return [("think", 1.5)] if "think" in text.lower() else [("said", -1.0)]

    def strongest(self, contributions, k):
        decision = -0.5 + sum(c for _, c in contributions)
        return ([i for i in contributions if i[1] > 0][:k], [i for i in contributions if i[1] < 0][:k], -0.5, decision)


@pytest.fixture
def model(tmp_path):
    return Model(tmp_path, {"threshold": 0.5, "created": "today"}, _Scorer())


def test_a_file_name_that_is_not_utf8_is_spelled_as_in_the_rows(model, tmp_path):
    # The page spelled it n\udcffame.txt (Python's surrogate), where split, classify and stderr write n\xffame.txt.
    import os

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / os.fsdecode(b"n\xffame.txt")).write_text("He said no.\n", encoding="utf-8")
    (folder / os.fsdecode(b"b\xffad.txt")).write_bytes(b"bin\x00ary")
    page = build_report([str(folder)], InputOptions(), Tally(), model=model, review=True)
    assert "\udcff" not in page  # written out, it became the text \udcff
    assert f'<h2 id="d0-h">{folder}/n\\xffame.txt</h2>' in page and f'data-file="{folder}/n\\xffame.txt"' in page
    assert f"<li>{folder}/b\\xffad.txt: binary data" in page


def test_build_report_reads_files_reports_failures_and_goes_on(write, model, tmp_path):
    good = write("docs/a.txt", "He said no.\nI think it is bad.\nComment: Indeed.")
    write("docs/b.txt", b"bin\x00ary")
    tally = Tally()
    page = build_report([str(tmp_path / "docs"), str(tmp_path / "missing.txt")], InputOptions(), tally, model=model)
    assert [e.file for e in tally.errors] == [str(tmp_path / "docs" / "b.txt"), str(tmp_path / "missing.txt")]
    assert tally.files == 3 and tally.units == 3
    assert f"<h2 id=\"d0-h\">{good}</h2>" in page and "d1-p0" not in page
    assert re.findall(r'data-kind="(\w+)" data-source="(\w+)"', page) == [
        ("report", "model"), ("comment", "model"), ("comment", "marker")]
    assert '<mark class="to-comment" title="pushes toward commentary">think</mark>' in page
    assert "Not included" in page and "missing.txt: no such file or directory" in page
    assert "threshold 0.500" in page and "model created today" in page


def test_build_report_warns_of_an_empty_document_as_every_reader_does(write, model):
    empty = write("empty.txt", " \n\n")
    tally = Tally()
    build_report([empty], InputOptions(), tally, model=model)
    assert tally.warnings == [f"{empty}: no text in this input (empty or whitespace only)"] and tally.errors == []

def test_build_report_threshold_unit_and_stdin(model, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"\xef\xbb\xbfHe said so. I think not.")))
    page = build_report(["-"], InputOptions(unit="sentence"), Tally(), model=model, threshold=0.95, explain=0)
    assert '<h2 id="d0-h">stdin</h2>' in page and "threshold 0.950" in page
    assert re.findall(r'id="(d0-p0-s\d)" data-kind="(\w+)"', page) == [("d0-p0-s0", "report"), ("d0-p0-s1", "report")]
    assert '<details class="why"' not in page  # explain=0: no reasons to show
    # ...and the legend promises none: it described underlines and Why lines that were not there.
    assert "No per-word reasons were asked for (explain 0)" in page and "<b>Why</b> lines" not in page


def test_a_model_without_reasons_gets_a_page_without_them_unless_they_are_asked_for(write):
    pytest.importorskip("onnxruntime", reason="the accurate tier needs onnxruntime")
    from pathlib import Path

    from factcomment import load_model
    from factcomment.errors import UsageError

    accurate = load_model(Path(__file__).resolve().parents[1] / "model" / "accurate" / "factcomment_accurate")
    doc = write("a.txt", "I think it is a disgrace.")
    page = build_report([doc], InputOptions(), Tally(), model=accurate)
    assert "This model gives no per-word reasons" in page and '<details class="why"' not in page
    with pytest.raises(UsageError, match="the accurate model gives no per-word reasons; use the fast model for "
                                         r"them, or leave explain \(--explain\) out"):
        build_report([doc], InputOptions(), Tally(), model=accurate, explain=2)


@pytest.mark.parametrize("kwargs, message", [({"threshold": 1.5}, "threshold must lie between 0 and 1"),
                                             ({"explain": -1}, "explain must be 0 or more")])
def test_build_report_refuses_bad_options(model, kwargs, message):
    from factcomment.errors import UsageError

    with pytest.raises(UsageError, match=message):
        build_report(["x"], InputOptions(), Tally(), model=model, **kwargs)


@pytest.mark.parametrize("paths", ["docs", Path("docs"), b"docs"])
def test_build_report_refuses_one_path_not_in_a_list(model, paths):
    # Iterated, "docs" was four missing files named d, o, c and s, and a page with no documents.
    with pytest.raises(UsageError, match=rf"^build_report\(\) takes a list of paths, not {type(paths).__name__}; "
                                         r"for one path write build_report\(\[path\], \.\.\.\)$"):
        build_report(paths, InputOptions(), Tally(), model=model)


# -- in a real browser ---------------------------------------------------------------------------------------

class _Dom(HTMLParser):
    """The segments (elements with data-kind) and the summaries of a serialised DOM."""

    def __init__(self) -> None:
        super().__init__()
        self.segments: list[dict[str, str]] = []
        self.summaries: list[dict[str, str]] = []
        self.stats: list[str] = []
        self._in_stat = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "data-kind" in attrs:
            self.segments.append(attrs)
        if tag == "dl" and attrs.get("class") == "summary":
            self.summaries.append(attrs)
            self.stats.append("")
        self._in_stat = self._in_stat or (tag == "dl" and attrs.get("class") == "summary")

    def handle_endtag(self, tag):
        if tag == "dl":
            self._in_stat = False

    def handle_data(self, data):
        if self._in_stat:
            self.stats[-1] += data + " "


def _browser_dom(page: str, tmp_path: Path) -> _Dom:
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("no chromium binary on PATH (install Debian's chromium package to run the browser tests)")
    html = tmp_path / "report.html"
    html.write_text(page, encoding="utf-8")
    done = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", html.as_uri()],
        capture_output=True, text=True, timeout=20, check=True)
    dom = _Dom()
    dom.feed(done.stdout)
    return dom


@pytest.mark.slow
def test_hand_made_report_in_browser(tmp_path):
    dom = _browser_dom(render_report([_doc()], threshold=0.5), tmp_path)
    assert [(s["id"], s["data-kind"], s["data-source"]) for s in dom.segments] == [
        ("d0-p0", "report", "model"), ("d0-p1", "comment", "model"), ("d0-p2", "comment", "marker")]
    assert dom.stats == ["paragraphs 3 reporting 1 commentary (model) 1 asides (marked) 1 share of commentary 67% "]


def _check_seeds_dom(dom: _Dom) -> None:
    assert len(dom.segments) == 27  # 26 paragraphs + 1
    assert [s["id"] for s in dom.segments if s["data-source"] == "marker"] == ["d0-p8", "d0-p16", "d0-p23",
                                                                               "d0-p25"]
    assert all(s["data-kind"] == "comment" and s["data-p"] == "1.000" for s in dom.segments
               if s["data-source"] == "marker")
    assert [(s["data-units"], s["data-marked"], s["data-asides"]) for s in dom.summaries] == [
        ("26", "4", "4"), ("1", "0", "0")]
    assert dom.stats[0].startswith("paragraphs 26 reporting ") and "asides (marked) 4 " in dom.stats[0]
    assert dom.stats[1].startswith("paragraphs 1 reporting ")


@pytest.mark.slow
def test_seeds_report_in_browser_with_a_stand_in_model(model, tmp_path):
    page = build_report([str(SEEDS)], InputOptions(), Tally(), model=model)
    _check_seeds_dom(_browser_dom(page, tmp_path))


@pytest.mark.slow
def test_seeds_report_in_browser_with_the_shipped_model(tmp_path):
    if not (ROOT / "model" / "card.json").is_file():
        pytest.skip("the shipped model (model/card.json) is not in this checkout yet")
    tally = Tally()
    page = build_report([str(SEEDS)], InputOptions(), tally)
    assert tally.errors == []
    dom = _browser_dom(page, tmp_path)
    _check_seeds_dom(dom)
    assert all(0.0 <= float(s["data-p"]) <= 1.0 for s in dom.segments)


@pytest.mark.slow
def test_why_line_reads_right_as_rendered(browser, tmp_path):
    # The text as Chromium lays it out, CSS-generated quotation marks included: a stray escape in the
    # stylesheet showed "\201C" around every term while the DOM looked fine.
    html = tmp_path / "report.html"
    html.write_text(render_report([_doc()], threshold=0.5), encoding="utf-8")
    browser.open(html.as_uri())
    assert browser.rendered_text("#d0-p1 .why summary") == (
        "\u25b8 Why toward comment: \u201cI think\u201d +0.90, \u201cdisgrace\u201d +0.60, first person (I, we) +0.30; "
        "toward report: \u201csaid\u201d \u22120.40")


def test_a_model_without_explanations_gets_a_page_without_why_lines(tmp_path, write):
    # The planned transformer tier scores but does not explain: the page degrades, it does not fail.
    class _Plain:
        def decision_function(self, texts):
            return [1.0 if "think" in t else -1.0 for t in texts]

        def calibrate(self, decisions):
            return [0.9 if d > 0 else 0.2 for d in decisions]

    path = write("a.txt", "He said no.\nI think it is bad.\n")
    page = build_report([path], InputOptions(), Tally(), model=Model(tmp_path, {"threshold": 0.5}, _Plain()))
    assert re.findall(r'data-kind="(\w+)"', page) == ["report", "comment"]
    assert '<details class="why"' not in page and "<mark" not in page.split("</header>")[1].split("</section>", 1)[1]
    assert "This model gives no per-word reasons" in page


def test_a_lone_surrogate_from_a_caller_is_written_as_a_replacement_character():
    # UTF-8 cannot hold one: a page built from text with "\ud800" (JSON spells it) could not be saved.
    text = "Bad \ud800 byte."
    seg = Segment(0, None, "report", text, 0, len(text))
    page = render_report([DocumentReport("a\udcff.txt", text, [SegmentPrediction(seg, Prediction("report", 0.1))])],
                         threshold=0.5)
    assert page.encode("utf-8") and "\ud800" not in page and "Bad \ufffd byte." in page
    clean = render_report([DocumentReport("a.txt", "Fine.", [SegmentPrediction(Segment(0, None, "report", "Fine.", 0, 5),
                                                                               Prediction("report", 0.1))])], threshold=0.5)
    assert "\ufffd" not in clean
