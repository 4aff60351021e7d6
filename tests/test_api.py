from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import factcomment
from conftest import SEEDS
from factcomment import classify, classify_document, split_document
from factcomment.errors import UsageError

SEED_000 = (SEEDS / "000_a373fa732a2b7b85.txt").read_text(encoding="utf-8")


def test_classify_returns_predictions_in_order(tiny_model):
    texts = ["Police arrested two men on Tuesday.", "Frankly, this is an utter disgrace!"]
    predictions = classify(texts, model=tiny_model)
    assert [p.label for p in predictions] == ["report", "comment"]
    assert all(p.source == "model" and p.explanation is None for p in predictions)


def test_threshold_moves_the_labels(tiny_model):
    p = classify(["Police arrested two men."], model=tiny_model)[0].p_comment
    assert classify(["Police arrested two men."], model=tiny_model, threshold=p)[0].label == "comment"
    assert classify(["Police arrested two men."], model=tiny_model, threshold=min(1.0, p + 1e-6))[0].label == "report"


def test_a_data_frame_is_refused_not_read_as_its_column_names(tiny_model):
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"id": [1, 2], "text": ["Frankly, awful.", "Police said so."]})
    message = (r"^{}\(\) takes a list of texts, not a DataFrame, whose iteration gives its column names; pass one "
               r"column, e\.g\. {}\(df\['text'\]\)$")
    with pytest.raises(UsageError, match=message.format("classify", "classify")):
        classify(df, model=tiny_model)  # gave two predictions, of "id" and "text"
    with pytest.raises(UsageError, match=message.format(r"Model\.predict", r"model\.predict")):
        tiny_model.predict(df)
    assert classify(df["text"], model=tiny_model) == classify(list(df["text"]), model=tiny_model)


@pytest.mark.parametrize("texts, message", [
    ("one string", r"takes a list of texts, not str; for one text write classify\(\[text\]\)"),
    (["ok", 3], r"texts\[1\] is int, not str"),
    (None, r"takes a list of texts, not NoneType; for one text write classify\(\[text\]\)"),
    (42, r"takes a list of texts, not int; for one text write classify\(\[text\]\)"),
    # A set's results came back in an order of its own; a dict's keys were classified, not its texts.
    ({"a", "b"}, r"^classify\(\) takes a list of texts, not set; pass a list, e\.g\. classify\(sorted\(texts\)\) or "
                 r"classify\(list\(d\.values\(\)\)\)$"),
    ({"id1": "Text."}, r"^classify\(\) takes a list of texts, not dict; pass a list"),
    ((t for t in ["ok", b"x"]), r"^texts\[1\] is bytes, not str; decode bytes first, e\.g\. data\.decode\('utf-8-sig'\)$"),
    # pandas' missing values (NaN) and None were told to "pass text only"
    (["ok", float("nan")], r"^texts\[1\] is float, not str; a missing text: drop or fill missing values first$"),
    ([None], r"^texts\[0\] is NoneType, not str; a missing text: drop or fill missing values first$"),
    (["ok", 2.5], r"^texts\[1\] is float, not str; pass text only$"),
    # A 0-d numpy array holds one text and cannot be iterated: a bare TypeError.
    (np.array("One text."), r"^classify\(\) takes a list of texts, not ndarray; for one text write classify\(\[text\]\)$"),
])
def test_bad_texts_are_usage_errors(tiny_model, texts, message):
    with pytest.raises(UsageError, match=message):
        classify(texts, model=tiny_model)


@pytest.mark.parametrize("call, message", [
    (lambda m: m.predict("one string"), r"^Model.predict\(\) takes a list of texts, not str; for one text write "
                                        r"model.predict\(\[text\]\)$"),
    (lambda m: m.p_comment("ab"), r"^Model.p_comment\(\) takes a list of texts, not str"),
    (lambda m: m.predict(None), r"^Model.predict\(\) takes a list of texts, not NoneType"),
    (lambda m: m.p_comment(frozenset({"a"})), r"^Model.p_comment\(\) takes a list of texts, not frozenset; pass a list, "
                                              r"e\.g\. model\.p_comment\(sorted\(texts\)\)"),
    (lambda m: m.predict(["x"], explain=-1), r"^explain must be 0 or more, not -1$"),
    (lambda m: m.predict(["x"], explain=True), r"^explain must be a whole number, not True; pass e.g. explain=2$"),
    (lambda m: m.explain("x", -1), r"^k must be 0 or more, not -1$"),
])
def test_a_loaded_model_refuses_what_classify_refuses(tiny_model, call, message):
    # A lone string was labelled character by character; None and a negative explain were a TypeError and a
    # quietly shortened explanation.
    with pytest.raises(UsageError, match=message):
        call(tiny_model)


def test_a_loaded_model_takes_any_iterable_of_texts(tiny_model):
    texts = ["The bill passed.", "What a disgrace!"]
    assert tiny_model.predict(t for t in texts) == tiny_model.predict(texts)
    assert tiny_model.predict(iter(texts), explain=2) == tiny_model.predict(texts, explain=2)


@pytest.mark.parametrize("kwargs, message", [
    (dict(threshold=1.5), "threshold must lie between 0 and 1"),
    (dict(jobs=-1), "jobs must be 0 or more"),
    (dict(explain=-1), "explain must be 0 or more"),
    (dict(threshold="0.5"), r"threshold must be a number between 0 and 1, not '0.5'; pass e.g. threshold=0.5"),
    (dict(threshold=True), r"threshold must be a number between 0 and 1, not True; pass e.g. threshold=0.5"),
    (dict(explain=1.5), r"explain must be a whole number, not 1.5; pass e.g. explain=2"),
    (dict(jobs=2.5), r"jobs must be a whole number, not 2.5; pass e.g. jobs=2"),
])
def test_bad_options_are_usage_errors(tiny_model, kwargs, message):
    with pytest.raises(UsageError, match=message):
        classify(["x"], model=tiny_model, **kwargs)


def test_classify_units_checks_at_the_call_and_refuses_plain_texts(tiny_model):
    # The options were checked at the first next(), and plain strings failed with AttributeError.
    from factcomment.api import classify_units
    from factcomment.readers import Unit

    with pytest.raises(UsageError, match="^threshold must lie between 0 and 1, not 5$"):
        classify_units(iter([]), model=tiny_model, threshold=5)
    with pytest.raises(UsageError, match="^classify_units\\(\\) takes an iterable of units, not NoneType$"):
        classify_units(None, model=tiny_model)
    with pytest.raises(UsageError, match=r"^classify_units\(\) takes factcomment.readers.Unit objects, not str; "
                                         r"for plain texts use classify\(texts\)$"):
        list(classify_units(["Police arrested two men."], model=tiny_model))
    unit = Unit(file="", text="Police arrested two men.")
    pairs = list(classify_units(u for u in [unit]))
    assert [(u, p.source) for u, p in pairs] == [(unit, "model")]


def test_a_model_without_explanations_refuses_explain_before_scoring(tmp_path):
    # The accurate tier scored every text (1.3 s for 600 sentences) and only then refused; an empty list or a
    # stream not yet read passed without a word.
    from factcomment.api import classify_units
    from factcomment.inference import Model

    class Unexplained:
        def decision_function(self, texts):
            pytest.fail("scored before refusing")

    model = Model(tmp_path, {"threshold": 0.5, "tier": "accurate"}, Unexplained())
    message = (r'^the accurate model gives no per-word explanations; use the fast model for them \(model="fast"; '
               r"--model fast on the command line\)$")
    for call in (lambda: classify(["Police said so."], model=model, explain=2),
                 lambda: classify([], model=model, explain=1),
                 lambda: model.predict(["Police said so."], explain=1),
                 lambda: classify_units(iter([]), model=model, explain=1),
                 lambda: classify_document("Police said so.", model=model, explain=1)):
        with pytest.raises(UsageError, match=message):
            call()


def test_classify_document_keeps_marked_asides(shipped_model):
    results = classify_document(SEED_000, model=shipped_model)
    assert len(results) == 26
    marked = [(r.segment.paragraph, r.label, r.p_comment) for r in results if r.source == "marker"]
    assert marked == [(8, "comment", 1.0), (16, "comment", 1.0), (23, "comment", 1.0), (25, "comment", 1.0)]
    assert all(SEED_000[r.start:r.end] == r.text for r in results)


@pytest.mark.parametrize("kwargs, message", [
    ({"marker": "("}, r"^marker '\(' is not a valid regular expression \(missing \), unterminated subpattern at "
                     r"position 0\); pass literal_marker=True to match it as plain text$"),
    ({"literal_marker": True}, r"^literal_marker=True applies to a marker you give; .* or drop literal_marker=True$"),
    ({"marker": re.compile("x"), "literal_marker": True},
     r"^literal_marker=True needs the marker as a plain string, not a compiled pattern; drop literal_marker=True "),
])
def test_classify_document_marker_errors_name_its_own_keyword(tiny_model, kwargs, message):
    # split_document's keyword is literal; a fix naming it would fail here with a TypeError.
    with pytest.raises(UsageError, match=message):
        classify_document("Police said so.", model=tiny_model, **kwargs)


def test_classify_document_of_bytes_says_to_decode_them(tiny_model):
    with pytest.raises(UsageError, match=r"^classify_document\(\) takes a str, not bytes; decode bytes first, "
                                         r"e\.g\. data\.decode\('utf-8-sig'\)$"):
        classify_document(b"Police said so.", model=tiny_model)


def test_a_document_result_gives_its_explanation_as_it_gives_its_label(tiny_model):
    # label, p_comment and source were there; explanation, the fourth field, raised AttributeError.
    report, aside = classify_document("Police said so.\nComment: Ha.", model=tiny_model, explain=2)
    assert report.explanation is report.prediction.explanation and report.explanation.toward_report
    assert aside.explanation is None and classify_document("Police said so.", model=tiny_model)[0].explanation is None


def test_document_equals_its_paragraphs_one_by_one(tiny_model):
    segments = [s for s in split_document(SEED_000) if s.kind == "report"]
    whole = [r.p_comment for r in classify_document(SEED_000, model=tiny_model) if r.source == "model"]
    one_by_one = [classify([s.text], model=tiny_model)[0].p_comment for s in segments]
    assert whole == one_by_one


def test_sentence_unit(tiny_model):
    results = classify_document("Rates rose. I think that is absurd!\nComment: Ha.", unit="sentence", model=tiny_model)
    assert [(r.segment.paragraph, r.segment.sentence, r.source) for r in results] == [
        (0, 0, "model"), (0, 1, "model"), (1, 0, "marker")]


def test_sentences_of_a_paragraph_quotation_are_scored_as_quoted(tiny_model):
    doc = "\u201cThis is a disgrace. We should all resign. Nobody listened,\u201d the mayor said."
    results = classify_document(doc, unit="sentence", model=tiny_model)
    assert [r.text for r in results] == ["\u201cThis is a disgrace.", "We should all resign.",
                                         "Nobody listened,\u201d the mayor said."]
    # The model reads each sentence with its quotation marks restored, not the bare text.
    restored = ['\u201cThis is a disgrace."', '"We should all resign."', '"Nobody listened,\u201d the mayor said.']
    assert [r.p_comment for r in results] == [p.p_comment for p in classify(restored, model=tiny_model)]
    assert results[1].p_comment != classify(["We should all resign."], model=tiny_model)[0].p_comment


def test_results_do_not_depend_on_batch_size_or_workers(tiny_model, monkeypatch):
    import factcomment.api as api

    texts = [f"Sentence {i} says the council {'should resign' if i % 3 else 'met'} today." for i in range(700)]
    base = classify(texts, model=tiny_model)
    monkeypatch.setattr(api, "CHUNK", 64)
    assert classify(texts, model=tiny_model) == base
    assert classify(texts, model=tiny_model, jobs=2) == base
    assert classify(texts, model=tiny_model, jobs=3, explain=2) == classify(texts, model=tiny_model, explain=2)
    assert [classify([t], model=tiny_model)[0] for t in texts[:50]] == base[:50]


def test_jobs_beyond_the_usable_cores_are_lowered_to_them(tiny_model, monkeypatch):
    from factcomment import parallel

    def refuse(*args):
        raise AssertionError("worker processes were started")

    texts = [f"Sentence {i} says the council {'should resign' if i % 3 else 'met'} today." for i in range(3000)]
    base = classify(texts, model=tiny_model)
    monkeypatch.setattr(parallel, "usable_cores", lambda: 1)
    monkeypatch.setattr(parallel.multiprocessing, "get_context", refuse)
    assert classify(texts, model=tiny_model, jobs=1000) == base
    assert classify(texts, model=tiny_model, jobs=0) == base  # 0: one worker per usable core, here the caller


def test_explanations_sum_to_the_decision(tiny_model):
    p = classify(["I think this is a shameful disgrace, police said."], model=tiny_model, explain=3)[0]
    e = p.explanation
    assert len(e.toward_comment) <= 3 and len(e.toward_report) <= 3
    total = e.intercept + sum(c for _, c in e.toward_comment) + sum(c for _, c in e.toward_report) + e.rest
    assert total == pytest.approx(e.decision, abs=1e-9)
    assert all(c > 0 for _, c in e.toward_comment) and all(c < 0 for _, c in e.toward_report)


def test_a_shipped_model_by_name_is_loaded_once_per_process(monkeypatch):
    import factcomment.api as api

    first = api.resolve_model("fast")
    loads = []
    monkeypatch.setattr(api, "load_model", lambda *a, **k: loads.append(a) or pytest.fail("loaded again"))
    assert api.resolve_model(None) is first and api.resolve_model("fast") is first
    assert classify(["Police said so."], model="fast") == classify(["Police said so."])
    assert loads == []


def test_shipped_model_is_the_default(shipped_model):
    assert classify(["The bill passed."]) == shipped_model.predict(["The bill passed."])


def test_lazy_package_exports():
    assert factcomment.Segment is factcomment.segment.Segment
    with pytest.raises(AttributeError):
        factcomment.nothing_here  # noqa: B018


@settings(max_examples=60, deadline=None)
@given(texts=st.lists(st.text(max_size=300), max_size=8))
def test_any_unicode_gives_valid_probabilities(tiny_model, texts):
    predictions = classify(texts, model=tiny_model)
    assert len(predictions) == len(texts)
    for p in predictions:
        assert p.label in ("report", "comment") and 0.0 <= p.p_comment <= 1.0 and not math.isnan(p.p_comment)
    assert classify(texts, model=tiny_model) == predictions


def test_huge_and_empty_strings(tiny_model):
    texts = ["", " " * 10, "word " * 200_000, "police said so. " * 50_000]
    predictions = classify(texts, model=tiny_model)
    assert all(0.0 <= p.p_comment <= 1.0 for p in predictions)
    # In a batch large enough for the numpy path, texts this long are summed as Python ints: same bits.
    assert classify(texts * 20, model=tiny_model) == predictions * 20


def test_workers_are_not_forked_from_a_threaded_process(tiny_model):
    import threading

    from factcomment.parallel import _start_method

    stop = threading.Event()
    worker = threading.Thread(target=stop.wait)
    worker.start()
    try:
        assert _start_method() == "forkserver"
        texts = [f"Text {i} is a disgrace." for i in range(5000)]
        assert classify(texts, model=tiny_model, jobs=2) == classify(texts, model=tiny_model)
    finally:
        stop.set()
        worker.join()


def test_readme_library_example_shows_what_the_code_gives(shipped_model):
    import re

    from conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Library", 1)[1].split("```", 2)[1]
    texts = re.search(r"classify\(\[(.*?)\]\)", block).group(1)
    shown = re.findall(r"label='(\w+)', p_comment=([\d.]+)\.\.\.", block)
    got = classify([t.strip(' "') for t in texts.split('", "')], model=shipped_model)
    assert [(p.label, repr(p.p_comment)[:len(digits)]) for p, (_, digits) in zip(got, shown)] == shown
