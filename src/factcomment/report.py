"""The HTML report: each document with its commentary shaded, marked asides set apart, and the reasons shown.

:func:`render_report` turns predictions into one self-contained page (inline CSS, no external assets, every
piece of input text escaped); :func:`build_report` reads documents, classifies them and renders. The page is
meant for editors and moderators: shading shows ``p_comment``, and every colour cue is doubled by a text
badge, a border style or an underline style, so nothing depends on colour alone. The report itself has no
script; with ``review=True`` the same page gets buttons (and keys) to mark each paragraph or sentence
comment, report or unsure, and a button that saves the marks as JSON lines that ``factcomment train`` and
``evaluate`` read as they are (a small inline script; still nothing from the network).

Paragraphs and sentences are numbered from 0, as in every other output of factcomment.

>>> from factcomment.results import Prediction, SegmentPrediction
>>> from factcomment.segment import Segment
>>> seg = Segment(0, None, "report", "Police said so.", 0, 15)
>>> page = render_report([DocumentReport("a.txt", seg.text, [SegmentPrediction(seg, Prediction("report", 0.1))])],
...                      threshold=0.5)
>>> 'id="d0-p0"' in page and 'data-kind="report"' in page
True
"""
from __future__ import annotations

import bisect
import hashlib
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from importlib import resources

from factcomment._version import __version__
from factcomment.errors import UsageError
from factcomment.explain import FUNCTION_WORDS, Reason, Reasons, raw_count, readable
from factcomment.features import token_spans
from factcomment.inference import check_threshold
from factcomment.readers import InputOptions, Tally, iter_documents
from factcomment.results import SegmentPrediction
from factcomment.segment import quoted_sentence_texts, split_sentences
from factcomment.writers import file_name

__all__ = ["DocumentReport", "ORDERS", "build_report", "render_report", "shade", "word_spans"]

# Below the threshold a text is reporting and stays calm: white to a pale warm grey. At the threshold the
# colour changes character, to amber, deepening to the top. Every shade keeps the body text (#1f2328) above
# 7:1 contrast (WCAG AAA; tested).
_LOW, _CALM, _AMBER, _HIGH = (255, 255, 255), (240, 237, 230), (251, 214, 140), (244, 178, 66)
_APOSTROPHE = re.compile("['\u2019]")  # a straight or curly apostrophe in a term matches either
_TOKEN = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*|[^\w\s]")  # a word, or one punctuation mark
# The model's placeholders and sentence boundaries (factcomment.features): a term with one holds only where
# the model saw that context, so it is matched against the model's tokens, not the text.
_CONTEXT = frozenset({"_quote_", "_scare_", "_num_", "<s>", "</s>"})
_SHOWN_IN_SUMMARY = 3  # reasons per direction on the always-visible "why" line; the rest are in the details
_STRONG = 0.3  # underline reasons with at least this share of the paragraph's strongest one
ORDERS = ("document", "uncertain")


@dataclass(frozen=True)
class DocumentReport:
    """One document to show: its name, its whole text and the predictions for its paragraphs or sentences."""

    file: str
    text: str
    results: list[SegmentPrediction]


def shade(p_comment: float, threshold: float = 0.5) -> str:
    """The background colour for ``p_comment`` (clamped to [0, 1]) as ``#rrggbb``.

    Below ``threshold`` the colour runs from white to a pale grey, so that reports stay calm however close
    they come; from the threshold up it runs from light amber to amber.

    >>> shade(0.0), shade(0.59, threshold=0.6), shade(0.6, threshold=0.6), shade(1.0)
    ('#ffffff', '#f0ede6', '#fbd68c', '#f4b242')
    """
    p = min(1.0, max(0.0, float(p_comment)))
    if p < threshold:
        start, end, x = _LOW, _CALM, p / threshold
    else:
        start, end, x = _AMBER, _HIGH, (p - threshold) / (1.0 - threshold) if threshold < 1.0 else 1.0
    return "#" + "".join(f"{round(a + (b - a) * x):02x}" for a, b in zip(start, end))


def word_spans(text: str, terms: Sequence[tuple[str | tuple[str, ...], str]], *,
               model_text: str | None = None) -> list[tuple[int, int, str, str]]:
    """Where the terms occur in ``text``: sorted, non-overlapping ``(start, end, term, css_class)``.

    A term is a string of words and punctuation marks separated by spaces (``"i think"``, ``"said ,"``) or
    a tuple of them; other strings (``cue:first_person``) are never found. Matches are case-insensitive and
    whole-word; where matches overlap the longer wins, then the earlier, then the term listed first.

    A term may also hold the model's placeholders and boundaries (``"_quote_ he"``, ``"<s> i"``,
    ``"said _num_"``, ``"_scare_ reform"``): it is then found only where the model saw that context, by
    matching it against the model's own tokens of each sentence it read (:func:`factcomment.features.token_spans`
    of :func:`factcomment.segment.quoted_sentence_texts`), and the span covers its words alone. ``model_text``
    is what the model read instead of ``text``, if anything (``Segment.model_text``: ``text`` with the
    quotation marks a sentence cut left open put back).

    >>> word_spans("I think, I think so.", [("think", "to-comment"), ("i think", "to-comment")])
    [(0, 7, 'i think', 'to-comment'), (9, 16, 'i think', 'to-comment')]
    >>> word_spans('"We will not resign over this," he said. Later he left.', [("_quote_ he", "to-report")])
    [(32, 34, '_quote_ he', 'to-report')]
    """
    found = []
    in_context = []
    for order, (term, css) in enumerate(terms):
        tokens = tuple(term.split(" ")) if isinstance(term, str) else tuple(term)
        if tokens and any(t in _CONTEXT for t in tokens):
            words = [t for t in tokens if t not in _CONTEXT]
            if words and all(t == t.lower() and _TOKEN.fullmatch(t) for t in words):
                in_context.append((order, tokens, css))
            continue
        if not tokens or not all(t == t.lower() and _TOKEN.fullmatch(t) for t in tokens):
            continue
        name = " ".join(tokens)
        pattern = ""
        for i, token in enumerate(tokens):
            if i:
                pattern += r"\s+" if token[0].isalnum() and tokens[i - 1][0].isalnum() else r"\s*"
            pattern += _APOSTROPHE.sub(lambda _: "['\u2019]", re.escape(token))
        if tokens[0][0].isalnum():
            pattern = r"(?<!\w)" + pattern
        if tokens[-1][-1].isalnum():
            pattern += r"(?!\w)"
        found += [(m.start(), m.end(), order, name, css) for m in re.finditer(pattern, text, re.IGNORECASE)]
    if in_context:
        found += _in_context(text, model_text, in_context)
    found.sort(key=lambda f: (f[0] - f[1], f[0], f[2]))
    # The spans taken so far, by start; they never overlap, so their ends are in order too, and a match
    # overlaps one of them only if it overlaps the last that starts before it ends. (Checked against every
    # span taken, a one-line document of 16,000 matches took 6 s, and four times as many, 16 times that.)
    starts: list[int] = []
    taken: list[tuple[int, int, str, str]] = []
    for start, end, _, term, css in found:
        at = bisect.bisect_left(starts, end)
        if at and taken[at - 1][1] > start:
            continue
        starts.insert(at, start)
        taken.insert(at, (start, end, term, css))
    return taken


def _in_context(text: str, model_text: str | None,
                terms: list[tuple[int, tuple[str, ...], str]]) -> list[tuple[int, int, int, str, str]]:
    """``(start, end, order, term, css)`` for each place the model saw a term with a placeholder or boundary.

    The model reads ``model_text`` (or ``text``) sentence by sentence, each with its quote state restored
    (:mod:`factcomment.paragraphs`), as ``<s>``, its tokens, ``</s>``. Those streams are rebuilt here with
    each token's place in ``text``; a text whose places cannot be kept gets no such spans rather than wrong ones.
    """
    read = text if model_text is None else model_text
    outer = _inserted(read, text) if read != text else []
    if outer is None:
        return []
    stream: list[str] = []
    where: list[tuple[int, int] | None] = []  # each token's (start, end) in text; None for a placeholder
    spans = split_sentences(read)
    for span, sentence in zip(spans, quoted_sentence_texts(read, spans)):
        tokens = token_spans(sentence)
        inner = _inserted(sentence, span.text) if sentence != span.text else []
        if tokens is None or inner is None:
            return []
        stream.append("<s>")
        where.append(None)
        for token, a, b in tokens:
            stream.append(token)
            if token in _CONTEXT:
                where.append(None)
                continue
            # From the sentence as read to read (less the marks put back), then to text likewise.
            a, b = (span.start + x - bisect.bisect_left(inner, x) for x in (a, b))
            a, b = (x - bisect.bisect_left(outer, x) for x in (a, b))
            where.append((a, b) if a < b else None)
        stream.append("</s>")
        where.append(None)
    at: dict[str, list[int]] = {}
    for i, token in enumerate(stream):
        at.setdefault(token, []).append(i)
    found = []
    for order, tokens, css in terms:
        k, name = len(tokens), " ".join(tokens)
        for i in at.get(tokens[0], ()):
            if tuple(stream[i:i + k]) != tokens:
                continue
            places = [where[j] for j in range(i, i + k) if tokens[j - i] not in _CONTEXT]
            if all(places):
                found.append((places[0][0], places[-1][1], order, name, css))
    return found


def _inserted(longer: str, shorter: str) -> list[int] | None:
    """Where ``longer`` has a ``"`` that ``shorter`` lacks, if it is ``shorter`` with such marks put in.

    Whole stretches between marks are compared at once. Taking a mark of ``shorter`` as soon as it comes is
    safe: the marks put in are marks too, so which of two marks in a row is the added one changes no place.
    """
    added, i, p = [], 0, 0
    while True:
        q = longer.find('"', i)
        end = len(longer) if q < 0 else q
        if shorter[p:p + end - i] != longer[i:end]:
            return None
        p += end - i
        if q < 0:
            return added if p == len(shorter) else None
        if shorter[p:p + 1] == '"':
            p += 1
        else:
            added.append(q)
        i = q + 1


def render_report(documents: list[DocumentReport], *, threshold: float, title: str = "factcomment report",
                  model_card: dict | None = None, skipped: Sequence[str] = (), review: bool = False,
                  order: str = "document", explained: bool = True, reasons: int | None = None) -> str:
    """The whole HTML page for ``documents``, as a string.

    Parameters
    ----------
    documents
        What to show, in order; document ``i`` gets the anchor ``d{i}``, its paragraphs ``d{i}-p{n}`` and, for
        sentence units, ``d{i}-p{n}-s{m}`` (``n`` and ``m`` counted from 0).
    threshold
        The cut the labels were made with (shown in the legend; the shading changes character there).
    title
        The page title and top heading.
    model_card
        The model's card (``created``, ``threshold``, ``metrics.cross_validation.macro_f1``), shown if given.
    skipped
        Messages about inputs that could not be read, listed at the top.
    review
        Add the review controls: mark each item comment/report/unsure, save the marks as JSON lines.
    order
        ``"document"`` (as written) or ``"uncertain"``: one list of every item, those with ``p_comment``
        nearest the threshold first (marked asides last).
    explained
        Whether the model gives per-word reasons (the legend says so when it does not).
    reasons
        At most this many reasons each way per item (default: every one the explanation yields).
    """
    if threshold is None:  # check_threshold lets None mean the model's own; here there is no model to ask
        raise UsageError("threshold must be a number between 0 and 1, not None; pass the cut the labels were made with")
    check_threshold(threshold)  # the shading divides by it, and the legend would show a cut of 2.000 or nan
    if order not in ORDERS:
        raise UsageError(f"unknown order {order!r}; use one of {', '.join(ORDERS)}")
    page = _Page(threshold, review, reasons)
    if not documents:
        docs = '<p class="empty">No documents could be read.</p>'
    elif order == "uncertain":
        docs = page.queue(documents)
    else:
        docs = "\n".join(page.document(i, doc) for i, doc in enumerate(documents))
    script = f"<script>{_package_text('review.js')}</script>" if review else ""
    return _writable(_PAGE.format(title=escape(title), css=_package_text("report.css"),
                        meta=_meta(documents, threshold, model_card), legend=_legend(threshold, review, explained, reasons),
                        nav=_nav(documents, linked=order == "document"), skipped=_skipped(skipped), docs=docs, script=script,
                        toolbar=_toolbar(documents) if review else ""))


def _writable(page: str) -> str:
    """``page`` with any lone surrogate (from a caller's text, e.g. JSON's ``\\ud800``) as U+FFFD: UTF-8 cannot
    hold one, so the page could not be saved. One code point for one keeps every offset on the page."""
    try:
        page.encode("utf-8")
    except UnicodeEncodeError:
        return re.sub("[\ud800-\udfff]", "\ufffd", page)
    return page


@lru_cache(maxsize=4)
def _package_text(name: str) -> str:
    # Kept as package data so this module holds the logic and the CSS and script can be read as what they are.
    return resources.files("factcomment").joinpath("data", name).read_text(encoding="utf-8")


# Reasons listed each way per paragraph unless the caller says otherwise.
REASONS = 5


def build_report(paths: list[str], options: InputOptions, problems: Tally, *, model=None,
                 threshold: float | None = None, explain: int | None = None, allow_version_mismatch: bool = False,
                 title: str = "factcomment report", review: bool = False, order: str = "document") -> str:
    """Read whole text documents (paths, directories or ``-``), classify them and render the page.

    A file that cannot be read is reported to ``problems`` and listed on the page; the others are shown.
    ``model`` is a :class:`~factcomment.inference.Model`, a model directory or ``None`` for the shipped model.
    ``explain`` is the number of reasons each way to list per paragraph (``None``: :data:`REASONS` if the
    model gives per-word reasons, none if it does not; a number above 0 with such a model is a
    ``UsageError``). ``review`` and ``order`` are as for :func:`render_report`.
    """
    from factcomment.api import check_options, classify_document, resolve_model

    if isinstance(paths, (str, bytes, os.PathLike)):  # iterated, each character was read as a path
        raise UsageError(f"build_report() takes a list of paths, not {type(paths).__name__}; for one path write "
                         "build_report([path], ...)")
    check_options(threshold, 0 if explain is None else explain)
    if order not in ORDERS:
        raise UsageError(f"unknown order {order!r}; use one of {', '.join(ORDERS)}")
    if options.input_format not in ("auto", "text"):
        raise UsageError(f"the report reads plain-text documents, not {options.input_format}; "
                         "use input_format='text' or 'auto'")
    loaded = resolve_model(model, allow_version_mismatch=allow_version_mismatch)
    explained = callable(getattr(loaded.scorer, "explain", None))
    if explain and not explained:  # asked for, not defaulted: say so, as classify does
        raise UsageError(f"the {loaded.tier} model gives no per-word reasons; use the fast "
                         "model for them, or leave explain (--explain) out")
    explain = REASONS if explain is None else explain
    raw = raw_count(explain) if explained else 0
    documents, before = [], len(problems.errors)
    for name, text in iter_documents(paths, options, problems):
        results = classify_document(text, unit=options.unit, model=loaded, threshold=threshold,
                                    marker=options.marker, literal_marker=options.literal_marker, explain=raw)
        if not results:
            problems.no_text(name)
        problems.units += len(results)
        # A name that is not UTF-8 is spelled as in the rows and on stderr (\xff), not as Python holds it.
        documents.append(DocumentReport("stdin" if name == "-" else file_name(name), text, results))
    skipped = [file_name(str(e)) for e in problems.errors[before:]]
    cut = loaded.threshold if threshold is None else threshold
    return render_report(documents, threshold=cut, title=title, model_card=loaded.card, skipped=skipped,
                         review=review, order=order, explained=explained, reasons=explain)


# -- pieces of the page ------------------------------------------------------------------------------------

def _counts(results: list[SegmentPrediction]) -> dict[str, int | str]:
    marked = [r for r in results if r.source == "marker"]
    model_comment = sum(r.source != "marker" and r.label == "comment" for r in results)
    return {"units": len(results), "report": len(results) - len(marked) - model_comment,
            "model": model_comment, "marked": len(marked),
            "share": f"{round(100 * (model_comment + len(marked)) / len(results))}%" if results else "–",
            "asides": len({r.segment.paragraph for r in marked}),
            "paragraphs": len({r.segment.paragraph for r in results})}


def _anchor(index: int, r: SegmentPrediction) -> str:
    s = r.segment
    return f"d{index}-p{s.paragraph}" + ("" if s.sentence is None else f"-s{s.sentence}")


def _where(r: SegmentPrediction) -> str:
    s = r.segment
    return f"paragraph {s.paragraph}" + ("" if s.sentence is None else f", sentence {s.sentence}")


class _Page:
    """Renders documents and their items for one threshold, with or without the review controls."""

    def __init__(self, threshold: float, review: bool, reasons: int | None = None) -> None:
        self.threshold, self.review, self.reasons = threshold, review, reasons

    def document(self, index: int, doc: DocumentReport) -> str:
        c = _counts(doc.results)
        by_sentence = any(r.segment.sentence is not None for r in doc.results)
        noun = "sentences" if by_sentence else "paragraphs"
        stats = [(c["units"], noun), (c["report"], "reporting"), (c["model"], "commentary (model)"),
                 (c["asides"], "asides (marked)"), (c["share"], "share of commentary")]
        if by_sentence:
            stats.insert(1, (c["paragraphs"], "paragraphs"))
        summary = "".join(f'<div class="stat"><dt>{escape(label)}</dt><dd>{value}</dd></div>'
                          for value, label in stats)
        cells = "".join(self.cell(index, r) for r in doc.results)
        if cells:
            cells = f'<nav class="map" aria-label="Map of {escape(doc.file)}">{cells}</nav>\n'
        return (f'<article class="doc" id="d{index}" aria-labelledby="d{index}-h" data-file="{_attribute(doc.file)}">\n'
                f'<h2 id="d{index}-h">{escape(doc.file)}</h2>\n'
                f'<dl class="summary" data-units="{c["units"]}" data-report="{c["report"]}" data-model="{c["model"]}" '
                f'data-marked="{c["marked"]}" data-asides="{c["asides"]}">{summary}</dl>\n'
                f'{cells}{self.segments(index, doc, by_sentence)}\n</article>')

    def queue(self, documents: list[DocumentReport]) -> str:
        """Every item of every document in one list, the most uncertain first (asides last)."""
        items = [(i, doc, r) for i, doc in enumerate(documents) for r in doc.results]
        items.sort(key=lambda item: (item[2].source == "marker", abs(item[2].p_comment - self.threshold)))
        rows = "\n".join(self.segment(i, r, doc.file, where=f"{escape(doc.file)} · {_where(r)}")
                         for i, doc, r in items)
        return (f'<article class="doc queue" id="queue" aria-labelledby="queue-h">\n'
                f'<h2 id="queue-h">All {len(items)} items, the most uncertain first</h2>\n'
                f'<p class="hint">Ordered by how near p_comment is to the threshold {self.threshold:.3f}; '
                f'asides marked by the writer come last.</p>\n<ol class="segs">\n{rows}\n</ol>\n</article>')

    def cell(self, index: int, r: SegmentPrediction) -> str:
        what = "marked aside" if r.source == "marker" else f"{r.label} {r.p_comment:.2f}"
        return (f'<a class="cell {r.source} {r.label}" href="#{_anchor(index, r)}" '
                f'style="background-color:{shade(r.p_comment, self.threshold)}"'
                f' title="{_where(r)}: {what}" aria-label="{_where(r)}: {what}"></a>')

    def segments(self, index: int, doc: DocumentReport, by_sentence: bool) -> str:
        if not doc.results:
            return '<p class="empty">No text in this document.</p>'
        if not by_sentence:
            return '<ol class="segs">\n' + "\n".join(self.segment(index, r, doc.file) for r in doc.results) + "\n</ol>"
        groups: dict[int, list[SegmentPrediction]] = {}
        for r in doc.results:
            groups.setdefault(r.segment.paragraph, []).append(r)
        items = [f'<li class="para" id="d{index}-p{n}"><span class="num" aria-hidden="true">{n}</span>'
                 + "".join(self.segment(index, r, doc.file, tag="div") for r in group) + "</li>"
                 for n, group in groups.items()]
        return '<ol class="segs sentences">\n' + "\n".join(items) + "\n</ol>"

    def segment(self, index: int, r: SegmentPrediction, file: str, *, tag: str = "li", where: str = "") -> str:
        """One item: an ``li`` numbered by its paragraph, or a ``div`` (a sentence inside its paragraph's ``li``)."""
        p, s = r.p_comment, r.segment
        if r.source == "marker":
            badge = '<span class="badge aside">Aside (marked)</span>'
        elif r.label == "comment":
            badge = f'<span class="badge comment">Comment {p:.2f}</span>'
        else:
            badge = f'<span class="badge report">report {p:.2f}</span>'
        explanation = r.prediction.explanation
        reasons = readable(explanation, self.reasons) if explanation is not None else None
        terms = _strong_terms(reasons) if reasons else []
        text = (_highlighted(s.text, terms, s.model_text) if s.text
                else '<span class="blank">(nothing after the marker)</span>')
        marker = f'<span class="aside-marker">{escape(s.marker)}</span> ' if s.marker else ""
        why = _why(reasons, p) if reasons else (
            '<p class="why note">Marked as an aside by the writer; the model was not asked.</p>'
            if r.source == "marker" and s.marker else "")
        place = f'<p class="where">{where}</p>' if where else ""
        number = f'<span class="num" aria-hidden="true">{s.paragraph}</span>' if tag == "li" else ""
        data = ""
        if self.review:
            sentence = "" if s.sentence is None else f' data-sentence="{s.sentence}"'
            data = (f' tabindex="0" data-file="{_attribute(file)}" data-paragraph="{s.paragraph}"{sentence}'
                    f' data-start="{s.start}" data-end="{s.end}" data-text="{_attribute(s.text)}"')
        return (f'<{tag} class="seg {r.label} {r.source}" id="{_anchor(index, r)}" data-kind="{r.label}" '
                f'data-source="{r.source}" data-p="{p:.3f}"{data} style="background-color:{shade(p, self.threshold)}">'
                f'{number}<div class="head">{badge}{_marks(_anchor(index, r)) if self.review else ""}</div>'
                f'{place}<p class="text">{marker}{text}</p>{why}</{tag}>')


def _attribute(value: str) -> str:
    # A browser reads a CR or CRLF in the page as LF, so a saved row's text would no longer be
    # document[start:end]; a character reference is kept as written.
    return escape(value).replace("\r", "&#13;")


def _marks(anchor: str) -> str:
    buttons = "".join(f'<button type="button" class="mark {label}" data-label="{label}" aria-pressed="false" '
                      f'title="Mark as {label} (key {label[0]})">{label}</button>'
                      for label in ("comment", "report", "unsure"))
    return f'<span class="marks" role="group" aria-label="Your judgement of {anchor}">{buttons}</span>'


def _toolbar(documents: list[DocumentReport]) -> str:
    total = sum(len(d.results) for d in documents)
    # The browser keeps unsaved marks under this key: a page made again from the same texts finds them, a page
    # for other texts written to the same file name does not.
    digest = hashlib.sha256()
    for d in documents:
        digest.update(f"{d.file}\0{d.text}\0".encode("utf-8", "surrogatepass"))
    return (f'<div class="toolbar" role="region" aria-label="Review" data-key="{digest.hexdigest()[:20]}">'
            f'<span class="progress" aria-live="polite"><b id="marked-count">0</b> of {total} marked</span> '
            f'<button type="button" id="save" class="save">Save marks (JSON lines)</button> '
            f'<span class="keys-hint">Keys: <kbd>j</kbd>/<kbd>k</kbd> next/previous, <kbd>c</kbd> comment, '
            f'<kbd>r</kbd> report, <kbd>u</kbd> unsure, <kbd>x</kbd> clear, <kbd>s</kbd> save</span></div>')


def _strong_terms(reasons: Reasons) -> list[tuple[tuple[str, ...], str]]:
    """The reasons worth underlining: words found in the text, at least a fraction as strong as the strongest.

    Function words and punctuation are never underlined (they are everywhere); the full list is in the "why"
    line.
    """
    strongest = max((abs(r.contribution) for r in reasons.reasons), default=0.0)
    # Each feature behind a reason, with its context ("_quote_ he"): word_spans finds it only where it holds.
    return [(tuple(feature.split(" ")), "to-comment" if r.contribution > 0 else "to-report")
            for r in reasons.reasons
            if r.kind == "words" and strongest and abs(r.contribution) >= _STRONG * strongest
            and any(w not in FUNCTION_WORDS and w[0].isalnum() for w in r.words)
            for feature in r.features]


def _highlighted(text: str, terms: list[tuple[tuple[str, ...], str]], model_text: str | None = None) -> str:
    out, at = [], 0
    for start, end, term, css in word_spans(text, terms, model_text=model_text):
        direction = "commentary" if css == "to-comment" else "reporting"
        out += [escape(text[at:start]), f'<mark class="{css}" title="pushes toward {direction}">',
                escape(text[start:end]), "</mark>"]
        at = end
    out.append(escape(text[at:]))
    return "".join(out)


def _signed(value: float) -> str:
    # Two decimals, or three for small weights, so that no listed reason reads as "+0.00".
    return ("+" if value >= 0 else "\u2212") + (f"{abs(value):.2f}" if abs(value) >= 0.1 else f"{abs(value):.3f}")


def _reason(r: Reason) -> str:
    css = "cue" if r.kind in ("cue", "placeholder") else "term"
    return f'<span class="{css}" title="model features: {escape(", ".join(r.features))}">{escape(r.label)}</span>'


def _why(e: Reasons, p: float) -> str:
    def brief(reasons: tuple[Reason, ...]) -> str:
        return ", ".join(f"{_reason(r)} {_signed(r.contribution)}" for r in reasons[:_SHOWN_IN_SUMMARY]) or "nothing"

    rows = "".join(f'<tr class="{css}"><td>{_reason(r)}</td><td class="num">{_signed(r.contribution)}</td></tr>'
                   for reasons, css in ((e.toward_comment, "to-comment"), (e.toward_report, "to-report"))
                   for r in reasons)
    rows += (f'<tr class="other"><td>other words (function words, punctuation and the rest)</td>'
             f'<td class="num">{_signed(e.other)}</td></tr>'
             f'<tr class="other"><td>starting point (the model\u2019s intercept)</td>'
             f'<td class="num">{_signed(e.intercept)}</td></tr>'
             f'<tr class="total"><th scope="row">decision score</th><td class="num">{_signed(e.decision)}</td></tr>')
    return (f'<details class="why"><summary><span class="why-label">Why</span> '
            f'<span class="dir">toward comment:</span> {brief(e.toward_comment)}; '
            f'<span class="dir">toward report:</span> {brief(e.toward_report)}</summary>'
            f'<table><caption>Contributions to the decision score (positive: commentary); '
            f'p_comment {p:.3f}</caption><tbody>{rows}</tbody></table></details>')


def _meta(documents: list[DocumentReport], threshold: float, card: dict | None) -> str:
    parts = [f"{len(documents)} document{'' if len(documents) == 1 else 's'}",
             f"threshold {threshold:.3f}", f"factcomment {__version__}"]
    card = card if isinstance(card, dict) else {}
    if card.get("created"):
        created = str(card["created"])
        # An ISO timestamp reads better as its date; anything else is shown as it is.
        created = created[:10] if re.match(r"\d{4}-\d\d-\d\dT", created) else created
        parts.append(f"model created {escape(created)}")
    metrics = card.get("metrics")  # a hand-edited card may hold anything here: shown only when it is a table
    cv = (metrics.get("cross_validation") or {}) if isinstance(metrics, dict) else {}
    if isinstance(cv, dict) and isinstance(cv.get("macro_f1"), (int, float)):
        parts.append(f"cross-validated macro-F1 {cv['macro_f1']:.3f}")
    if isinstance(card.get("threshold"), (int, float)) and abs(card["threshold"] - threshold) > 5e-4:
        parts.append(f"(model's own threshold {card['threshold']:.3f})")
    return " · ".join(parts)


def _legend(threshold: float, review: bool, explained: bool, reasons_asked: int | None = None) -> str:
    t = 100 * threshold
    stops = (f"{shade(0, threshold)} 0%, {shade(max(0.0, threshold - 1e-9), threshold)} {t:.1f}%, "
             f"{shade(threshold, threshold)} {t:.1f}%, {shade(1, threshold)} 100%")
    ticks = "".join(f'<span style="left:{p * 25}%">{p / 4:g}</span>' for p in range(5))
    if not explained:
        reasons = "<li>This model gives no per-word reasons; the shading and badges still apply.</li>"
    elif reasons_asked == 0:  # asked for none: no underlines or Why lines to promise
        reasons = "<li>No per-word reasons were asked for (explain 0); the shading and badges still apply.</li>"
    else:
        reasons = """<li><mark class="to-comment">word</mark> a strong push toward commentary (solid underline).</li>
<li><mark class="to-report">word</mark> a strong push toward reporting (dashed underline).</li>
<li><b>Why</b> lines list the strongest reasons with their signed contributions: words and phrases as
written, and cues such as <span class="cue">first person (I, we)</span> or <span class="cue">a number</span>.
Function words and punctuation count under <i>other words</i>; open a line for the full account.</li>"""
    review_keys = """<div><h3>Reviewing</h3><ul class="keys">
<li>Mark each item <button type="button" class="mark comment" tabindex="-1">comment</button>
<button type="button" class="mark report" tabindex="-1">report</button> or
<button type="button" class="mark unsure" tabindex="-1">unsure</button> by a click, or select it
(click or <kbd>j</kbd>/<kbd>k</kbd>) and press <kbd>c</kbd>, <kbd>r</kbd> or <kbd>u</kbd>.</li>
<li><b>Save marks</b> downloads them as JSON lines for <code>factcomment train</code> and
<code>factcomment evaluate</code>. Marks are kept in this browser, also after saving: each save holds every
mark so far.</li></ul></div>""" if review else ""
    # On the review page, used again and again, the legend starts folded so the items come first.
    return f"""<section class="legend" aria-labelledby="legend-h"><details{"" if review else " open"}>
<summary><h2 id="legend-h">How to read this {"page" if review else "report"}</h2></summary>
<div class="legend-grid">
<div><h3>Shading</h3>
<div class="scale" style="background:linear-gradient(to right, {stops})" role="img"
 aria-label="Shading scale: pale grey below the threshold {threshold:.3f}, amber from it up to p_comment 1">
<span class="cut" style="left:{t:.1f}%" title="threshold {threshold:.3f}"></span></div>
<div class="ticks">{ticks}</div>
<p><b>p_comment</b> is the model's probability that the text is the writer's own view. Below the threshold
<b>{threshold:.3f}</b> (the line) the text is reporting and stays pale; from the threshold up it is labelled
commentary and turns amber. Paragraphs are numbered from 0, as in factcomment's other outputs.</p></div>
<div><h3>Labels</h3><ul class="keys">
<li><span class="badge aside">Aside (marked)</span> marked by the writer (e.g. <q>Comment:</q>, shown dimmed);
hatched edge, double border.</li>
<li><span class="badge comment">Comment 0.87</span> commentary found by the model; thick solid border.</li>
<li><span class="badge report">report 0.12</span> reporting; thin border.</li></ul></div>
<div><h3>Reasons</h3><ul class="keys">
{reasons}</ul></div>
{review_keys}
</div></details></section>"""


def _nav(documents: list[DocumentReport], linked: bool = True) -> str:
    if len(documents) < 2:
        return ""
    # In one queue of every item the documents have no sections (no #d0) to jump to: names without links.
    items = "".join((f'<li><a href="#d{i}">{escape(doc.file)}</a> ' if linked else f"<li>{escape(doc.file)} ")
                    + f'<span class="share">{_counts(doc.results)["share"]} commentary</span></li>'
                    for i, doc in enumerate(documents))
    return f'<nav class="toc" aria-label="Documents"><h2>Documents</h2><ol>{items}</ol></nav>'


def _skipped(messages: Sequence[str]) -> str:
    if not messages:
        return ""
    items = "".join(f"<li>{escape(m)}</li>" for m in messages)
    return f'<section class="skipped" role="note"><h2>Not included</h2><ul>{items}</ul></section>'


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="factcomment">
<title>{title}</title>
<style>{css}</style>
</head>
<body>
<header><h1>{title}</h1><p class="meta">{meta}</p>{toolbar}</header>
<main>
{legend}
{skipped}
{nav}
{docs}
</main>
{script}
</body>
</html>
"""
