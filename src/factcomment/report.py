"""The HTML report: each document with its commentary shaded, marked asides set apart, and the reasons shown.

:func:`render_report` turns predictions into one self-contained page (inline CSS, no scripts, no external
assets, every piece of input text escaped); :func:`build_report` reads documents, classifies them and renders.
The page is meant for editors and moderators: shading shows ``p_comment``, and every colour cue is doubled by
a text badge, a border style or an underline style, so nothing depends on colour alone.

>>> from factcomment.results import Prediction, SegmentPrediction
>>> from factcomment.segment import Segment
>>> seg = Segment(0, None, "report", "Police said so.", 0, 15)
>>> page = render_report([DocumentReport("a.txt", seg.text, [SegmentPrediction(seg, Prediction("report", 0.1))])],
...                      threshold=0.5)
>>> 'id="d0-p0"' in page and 'data-kind="report"' in page
True
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from importlib import resources

from factcomment import __version__
from factcomment.errors import InputError, UsageError
from factcomment.readers import InputOptions, Tally, expand_paths, read_document
from factcomment.results import Explanation, SegmentPrediction

__all__ = ["DocumentReport", "build_report", "render_report", "shade", "word_spans"]

# White to amber. Every shade keeps the body text (#1f2328) above 7:1 contrast (WCAG AAA; tested).
_LOW, _HIGH = (255, 255, 255), (244, 178, 66)
_TEXT = "#1f2328"
# A feature name is highlighted in the text when it is one or more lowercase words (letters/digits, inner
# apostrophes) separated by single spaces; other names (``cue:first_person``) are listed only.
_WORDS = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*(?: [^\W_]+(?:['\u2019][^\W_]+)*)*")
_APOSTROPHE = re.compile("['\u2019]")  # a straight or curly apostrophe in a term matches either
_SHOWN_IN_SUMMARY = 3
_STRONG = 0.3  # underline features with at least this share of the paragraph's strongest contribution  # reasons per direction on the always-visible "why" line; the rest are in the details


@dataclass(frozen=True)
class DocumentReport:
    """One document to show: its name, its whole text and the predictions for its paragraphs or sentences."""

    file: str
    text: str
    results: list[SegmentPrediction]


def shade(p_comment: float) -> str:
    """The background colour for ``p_comment`` (clamped to [0, 1]) as ``#rrggbb``.

    >>> shade(0.0), shade(1.0)
    ('#ffffff', '#f4b242')
    """
    p = min(1.0, max(0.0, float(p_comment)))
    return "#" + "".join(f"{round(a + (b - a) * p):02x}" for a, b in zip(_LOW, _HIGH))


def is_word_feature(name: str) -> bool:
    """Whether a feature name is a word or word n-gram that can be found in the text."""
    return name == name.lower() and _WORDS.fullmatch(name) is not None


def word_spans(text: str, terms: Sequence[tuple[str, str]]) -> list[tuple[int, int, str, str]]:
    """Where the word features occur in ``text``: sorted, non-overlapping ``(start, end, term, css_class)``.

    Matches are case-insensitive and whole-word; where matches overlap the longer wins, then the earlier,
    then the term listed first.

    >>> word_spans("I think, I think so.", [("think", "to-comment"), ("i think", "to-comment")])
    [(0, 7, 'i think', 'to-comment'), (9, 16, 'i think', 'to-comment')]
    """
    found = []
    for order, (term, css) in enumerate(terms):
        if not is_word_feature(term):
            continue
        words = (_APOSTROPHE.sub(lambda _: "['\u2019]", re.escape(w)) for w in term.split(" "))
        pattern = re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)", re.IGNORECASE)
        found += [(m.start(), m.end(), order, term, css) for m in pattern.finditer(text)]
    found.sort(key=lambda f: (f[0] - f[1], f[0], f[2]))
    taken: list[tuple[int, int, str, str]] = []
    for start, end, _, term, css in found:
        if all(end <= s or start >= e for s, e, _, _ in taken):
            taken.append((start, end, term, css))
    return sorted(taken)


def render_report(documents: list[DocumentReport], *, threshold: float, title: str = "factcomment report",
                  model_card: dict | None = None, skipped: Sequence[str] = ()) -> str:
    """The whole HTML page for ``documents``, as a string.

    Parameters
    ----------
    documents
        What to show, in order; document ``i`` gets the anchor ``d{i}``, its paragraphs ``d{i}-p{n}`` and, for
        sentence units, ``d{i}-p{n}-s{m}``.
    threshold
        The cut the labels were made with (shown in the legend).
    title
        The page title and top heading.
    model_card
        The model's card (``created``, ``threshold``, ``metrics.cross_validation.macro_f1``), shown if given.
    skipped
        Messages about inputs that could not be read, listed at the top.
    """
    docs = "\n".join(_document(i, doc) for i, doc in enumerate(documents))
    if not documents:
        docs = '<p class="empty">No documents could be read.</p>'
    return _PAGE.format(title=escape(title), css=_stylesheet(), meta=_meta(documents, threshold, model_card),
                        legend=_legend(threshold), nav=_nav(documents), skipped=_skipped(skipped), docs=docs)


@lru_cache(maxsize=1)
def _stylesheet() -> str:
    # Kept as package data so this module holds the logic and the CSS can be read (and linted) as CSS.
    return resources.files("factcomment").joinpath("data", "report.css").read_text(encoding="utf-8")


def build_report(paths: list[str], options: InputOptions, problems: Tally, *, model=None,
                 threshold: float | None = None, explain: int = 5, allow_version_mismatch: bool = False,
                 title: str = "factcomment report") -> str:
    """Read whole text documents (paths, directories or ``-``), classify them and render the page.

    A file that cannot be read is reported to ``problems`` and listed on the page; the others are shown.
    ``model`` is a :class:`~factcomment.persist.Model`, a model directory or ``None`` for the shipped model.
    """
    from factcomment.api import check_options, classify_document, resolve_model

    check_options(threshold, explain)
    if options.input_format not in ("auto", "text"):
        raise UsageError(f"the report reads plain-text documents, not {options.input_format}; "
                         "use --input-format text")
    loaded = resolve_model(model, allow_version_mismatch=allow_version_mismatch)
    documents, before = [], len(problems.errors)
    for name in expand_paths(paths, options.pattern, problems):
        problems.files += 1
        try:
            text = read_document(name, options)
        except InputError as error:
            problems(InputError(str(error), file=name))
            continue
        results = classify_document(text, unit=options.unit, model=loaded, threshold=threshold,
                                    marker=options.marker, literal_marker=options.literal_marker, explain=explain)
        if not results:
            problems.warn(f"{name}: no text in this input (empty or whitespace only)")
        problems.units += len(results)
        documents.append(DocumentReport("stdin" if name == "-" else name, text, results))
    skipped = [str(e) for e in problems.errors[before:]]
    cut = loaded.threshold if threshold is None else threshold
    return render_report(documents, threshold=cut, title=title, model_card=loaded.card, skipped=skipped)


# -- pieces of the page ------------------------------------------------------------------------------------

def _counts(results: list[SegmentPrediction]) -> dict[str, int]:
    marked = [r for r in results if r.source == "marker"]
    model_comment = sum(r.source != "marker" and r.label == "comment" for r in results)
    return {"units": len(results), "report": len(results) - len(marked) - model_comment,
            "model": model_comment, "marked": len(marked),
            "asides": len({r.segment.paragraph for r in marked}),
            "paragraphs": len({r.segment.paragraph for r in results})}


def _percent(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole else "–"


def _document(index: int, doc: DocumentReport) -> str:
    c = _counts(doc.results)
    by_sentence = any(r.segment.sentence is not None for r in doc.results)
    noun = "sentences" if by_sentence else "paragraphs"
    commentary = c["model"] + c["marked"]
    stats = [(c["units"], noun), (c["report"], "reporting"), (c["model"], "commentary (model)"),
             (c["asides"], "asides (marked)"), (_percent(commentary, c["units"]), "share of commentary")]
    if by_sentence:
        stats.insert(1, (c["paragraphs"], "paragraphs"))
    summary = "".join(f'<div class="stat"><dt>{escape(label)}</dt><dd>{value}</dd></div>' for value, label in stats)
    cells = "".join(_cell(index, r) for r in doc.results)
    if cells:
        cells = f'<nav class="map" aria-label="Map of {escape(doc.file)}">{cells}</nav>\n'
    body = _segments(index, doc.results, by_sentence) or '<p class="empty">No text in this document.</p>'
    return (f'<article class="doc" id="d{index}" aria-labelledby="d{index}-h">\n'
            f'<h2 id="d{index}-h">{escape(doc.file)}</h2>\n'
            f'<dl class="summary" data-units="{c["units"]}" data-report="{c["report"]}" data-model="{c["model"]}" '
            f'data-marked="{c["marked"]}" data-asides="{c["asides"]}">{summary}</dl>\n'
            f'{cells}{body}\n</article>')


def _anchor(index: int, r: SegmentPrediction) -> str:
    s = r.segment
    return f"d{index}-p{s.paragraph}" + ("" if s.sentence is None else f"-s{s.sentence}")


def _cell(index: int, r: SegmentPrediction) -> str:
    what = "marked aside" if r.source == "marker" else f"{r.label} {r.p_comment:.2f}"
    where = f"paragraph {r.segment.paragraph + 1}" + ("" if r.segment.sentence is None
                                                      else f", sentence {r.segment.sentence + 1}")
    return (f'<a class="cell {r.source} {r.label}" href="#{_anchor(index, r)}" style="background-color:{shade(r.p_comment)}"'
            f' title="{where}: {what}" aria-label="{where}: {what}"></a>')


def _segments(index: int, results: list[SegmentPrediction], by_sentence: bool) -> str:
    if not results:
        return ""
    if not by_sentence:
        return '<ol class="segs">\n' + "\n".join(
            _segment(index, r, "li", f'<span class="num" aria-hidden="true">{r.segment.paragraph + 1}</span>')
            for r in results) + "\n</ol>"
    groups: dict[int, list[SegmentPrediction]] = {}
    for r in results:
        groups.setdefault(r.segment.paragraph, []).append(r)
    items = [f'<li class="para" id="d{index}-p{n}"><span class="num" aria-hidden="true">{n + 1}</span>'
             + "".join(_segment(index, r, "div", "") for r in group) + "</li>" for n, group in groups.items()]
    return '<ol class="segs sentences">\n' + "\n".join(items) + "\n</ol>"


def _segment(index: int, r: SegmentPrediction, tag: str, number: str) -> str:
    p = r.p_comment
    s = r.segment
    if r.source == "marker":
        badge = '<span class="badge aside">Aside (marked)</span>'
    elif r.label == "comment":
        badge = f'<span class="badge comment">Comment {p:.2f}</span>'
    else:
        badge = f'<span class="badge report">report {p:.2f}</span>'
    explanation = r.prediction.explanation
    terms = _strong_terms(explanation) if explanation else []
    text = _highlighted(s.text, terms) if s.text else '<span class="blank">(nothing after the marker)</span>'
    marker = f'<span class="aside-marker">{escape(s.marker)}</span> ' if s.marker else ""
    why = _why(explanation, p) if explanation else (
        '<p class="why note">Marked as an aside by the writer; the model was not asked.</p>'
        if r.source == "marker" and s.marker else "")
    return (f'<{tag} class="seg {r.label} {r.source}" id="{_anchor(index, r)}" data-kind="{r.label}" '
            f'data-source="{r.source}" data-p="{p:.3f}" style="background-color:{shade(p)}">{number}'
            f'<div class="head">{badge}</div><p class="text">{marker}{text}</p>{why}</{tag}>')


def _strong_terms(e: Explanation) -> list[tuple[str, str]]:
    """The explanation's features worth underlining: those at least a fraction as strong as the strongest.

    Underlining every listed feature would mark "the" and "and" for tiny weights; the full list stays in the
    "why" line.
    """
    pairs = [(n, v, "to-comment") for n, v in e.toward_comment] + [(n, v, "to-report") for n, v in e.toward_report]
    strongest = max((abs(v) for _, v, _ in pairs), default=0.0)
    return [(n, css) for n, v, css in pairs if strongest and abs(v) >= _STRONG * strongest]


def _highlighted(text: str, terms: list[tuple[str, str]]) -> str:
    out, at = [], 0
    for start, end, term, css in word_spans(text, terms):
        direction = "commentary" if css == "to-comment" else "reporting"
        out += [escape(text[at:start]), f'<mark class="{css}" title="pushes toward {direction}">',
                escape(text[start:end]), "</mark>"]
        at = end
    out.append(escape(text[at:]))
    return "".join(out)


def _signed(value: float) -> str:
    # Two decimals, or three for small weights, so that no listed feature reads as "+0.00".
    return ("+" if value >= 0 else "\u2212") + (f"{abs(value):.2f}" if abs(value) >= 0.1 else f"{abs(value):.3f}")


def _feature(name: str) -> str:
    if is_word_feature(name):
        return f'<q class="term">{escape(name)}</q>'
    return f'<code class="cue">{escape(name)}</code>'


def _why(e: Explanation, p: float) -> str:
    def brief(pairs: tuple[tuple[str, float], ...]) -> str:
        shown = pairs[:_SHOWN_IN_SUMMARY]
        return ", ".join(f"{_feature(n)} {_signed(v)}" for n, v in shown) or "nothing"

    rows = "".join(f'<tr class="{css}"><td>{_feature(n)}</td><td class="num">{_signed(v)}</td></tr>'
                   for pairs, css in ((e.toward_comment, "to-comment"), (e.toward_report, "to-report"))
                   for n, v in pairs)
    rows += (f'<tr class="other"><td>all other features</td><td class="num">{_signed(e.rest)}</td></tr>'
             f'<tr class="other"><td>intercept</td><td class="num">{_signed(e.intercept)}</td></tr>'
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
    cv = (card.get("metrics") or {}).get("cross_validation") or {}
    if isinstance(cv, dict) and isinstance(cv.get("macro_f1"), (int, float)):
        parts.append(f"cross-validated macro-F1 {cv['macro_f1']:.3f}")
    if isinstance(card.get("threshold"), (int, float)) and abs(card["threshold"] - threshold) > 5e-4:
        parts.append(f"(model's own threshold {card['threshold']:.3f})")
    return " · ".join(parts)


def _legend(threshold: float) -> str:
    stops = ", ".join(f"{shade(p / 4)} {p * 25}%" for p in range(5))
    ticks = "".join(f'<span style="left:{p * 25}%">{p / 4:g}</span>' for p in range(5))
    return f"""<section class="legend" aria-labelledby="legend-h">
<h2 id="legend-h">How to read this report</h2>
<div class="legend-grid">
<div><h3>Shading</h3>
<div class="scale" style="background:linear-gradient(to right, {stops})" role="img"
 aria-label="Shading scale from white (p_comment 0) to amber (p_comment 1)">
<span class="cut" style="left:{100 * threshold:.1f}%" title="threshold {threshold:.3f}"></span></div>
<div class="ticks">{ticks}</div>
<p>The background deepens with <b>p_comment</b>, the model's probability that the text is the writer's own
view. At or above the threshold <b>{threshold:.3f}</b> (the line on the scale) it is labelled commentary.</p></div>
<div><h3>Labels</h3><ul class="keys">
<li><span class="badge aside">Aside (marked)</span> marked by the writer (e.g. <q>Comment:</q>, shown dimmed);
hatched edge, double border.</li>
<li><span class="badge comment">Comment 0.87</span> commentary found by the model; thick solid border.</li>
<li><span class="badge report">report 0.12</span> reporting; thin border.</li></ul></div>
<div><h3>Reasons</h3><ul class="keys">
<li><mark class="to-comment">word</mark> a strong push toward commentary (solid underline).</li>
<li><mark class="to-report">word</mark> a strong push toward reporting (dashed underline).</li>
<li><b>Why</b> lines list the strongest features with their signed contributions; open one for the full
account. Cues such as <code class="cue">cue:first_person</code> are listed, not underlined.</li></ul></div>
</div></section>"""


def _nav(documents: list[DocumentReport]) -> str:
    if len(documents) < 2:
        return ""
    items = []
    for i, doc in enumerate(documents):
        c = _counts(doc.results)
        items.append(f'<li><a href="#d{i}">{escape(doc.file)}</a> '
                     f'<span class="share">{_percent(c["model"] + c["marked"], c["units"])} commentary</span></li>')
    return f'<nav class="toc" aria-label="Documents"><h2>Documents</h2><ol>{"".join(items)}</ol></nav>'


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
<header><h1>{title}</h1><p class="meta">{meta}</p></header>
<main>
{legend}
{skipped}
{nav}
{docs}
</main>
</body>
</html>
"""
