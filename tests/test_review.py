"""The review loop: the review page in a real browser, its saved marks, and train/evaluate reading them."""
from __future__ import annotations

import json
import re
import time

import pytest
from typer.testing import CliRunner

from conftest import TINY_COMMENT, TINY_REPORT
from factcomment.cli import app
from factcomment.labelled import read_labelled
from factcomment.readers import InputOptions, Tally

runner = CliRunner()

# Two short articles of our own: reporting, an unmarked editorial paragraph, and a marked aside.
HARBOUR = ("The harbour board voted on Tuesday to close the north pier for repairs.\n"
           "Engineers said the timber piles had rotted faster than expected.\n"
           "Frankly, the board should have acted years ago; this is a shameful failure.\n"
           "Comment: Nobody who walks the pier will be surprised.\n")
LIBRARY = ("The county library will open on Sundays from next month, the council said.\n"
           "I think this is the best news the town has had in years.\n")


def _review_page(write, tiny_model, *extra, library=LIBRARY):
    docs = [write("docs/harbour.txt", HARBOUR), write("docs/library.txt", library)]
    page = str(docs[0]).rsplit("/docs/", 1)[0] + "/review.html"
    result = runner.invoke(app, ["review", *docs, "-o", page, "--model", str(tiny_model.path), *extra])
    assert result.exit_code == 0, result.stderr
    return page


def test_review_page_is_self_contained(write, tiny_model):
    page = open(_review_page(write, tiny_model), encoding="utf-8").read()
    assert page.count("<script>") == 1 and "<script src" not in page
    for external in ("http://", "https://", "<link", "<img", "src=", "url(", "@import", "fetch(", "XMLHttpRequest"):
        assert external not in page, external
    items = re.findall(r'<li class="seg [^"]*" id="(d\d-p\d)"[^>]*tabindex="0" data-file="([^"]+)" '
                       r'data-paragraph="(\d)" data-start="(\d+)" data-end="(\d+)" data-text="([^"]*)"', page)
    assert [(i, f.rsplit("/", 1)[-1], p) for i, f, p, *_ in items] == [
        ("d0-p0", "harbour.txt", "0"), ("d0-p1", "harbour.txt", "1"), ("d0-p2", "harbour.txt", "2"),
        ("d0-p3", "harbour.txt", "3"), ("d1-p0", "library.txt", "0"), ("d1-p1", "library.txt", "1")]
    assert all(HARBOUR[int(s):int(e)] == t for i, f, p, s, e, t in items[:4])


def test_order_uncertain_puts_p_near_the_threshold_first(write, tiny_model):
    page = open(_review_page(write, tiny_model, "--order", "uncertain"), encoding="utf-8").read()
    found = re.findall(r'<li class="seg [^"]*" id="(d\d-p\d)" data-kind="\w+" data-source="(\w+)" data-p="([\d.]+)"',
                       page)
    assert len(found) == 6 and found[-1][1] == "marker"  # the marked aside comes last
    distance = [abs(float(p) - tiny_model.threshold) for _, source, p in found if source == "model"]
    assert distance == sorted(distance)
    assert "the most uncertain first" in page


def _downloads(browser, tmp_path):
    """A directory the browser saves downloads into."""
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    browser.allow_downloads(downloads)
    return downloads


def _saved_rows(downloads, seconds: float = 10):
    """The rows of the review page's saved file, once the browser has written it."""
    saved = downloads / "review.jsonl"
    deadline = time.monotonic() + seconds
    while not saved.is_file() and time.monotonic() < deadline:
        time.sleep(0.05)
    return [json.loads(line) for line in saved.read_text(encoding="utf-8").splitlines()]


@pytest.mark.slow
def test_marks_saved_in_a_real_browser_train_and_evaluate(browser, write, tiny_model, tmp_path):
    page = _review_page(write, tiny_model)
    downloads = _downloads(browser, tmp_path)
    browser.open("file://" + page)
    browser.click("#d0-p0 button.mark.report")  # by mouse
    browser.click("#d0-p2 button.mark.comment")
    browser.click("#d0-p2 button.mark.comment")  # a second click takes the mark back...
    browser.click("#d0-p2 button.mark.comment")  # ...and a third sets it again
    browser.click("#d0-p1 .text")  # select by clicking the text, then mark by keyboard
    browser.press("r")  # marks d0-p1 report and moves to d0-p2
    browser.press("j")  # d0-p3
    browser.press("u")  # unsure; moves to d1-p0
    browser.press("r")
    browser.press("c")  # d1-p1
    assert browser.js("document.getElementById('marked-count').textContent") == "6"
    assert browser.js("document.querySelector('#d0-p2 button.mark.comment').getAttribute('aria-pressed')") == "true"
    browser.click("#save")
    rows, saved = _saved_rows(downloads), downloads / "review.jsonl"
    assert [(r["file"].rsplit("/", 1)[-1], r["paragraph"], r["label"]) for r in rows] == [
        ("harbour.txt", 0, "report"), ("harbour.txt", 1, "report"), ("harbour.txt", 2, "comment"),
        ("harbour.txt", 3, "unsure"), ("library.txt", 0, "report"), ("library.txt", 1, "comment")]
    texts = {"harbour.txt": HARBOUR, "library.txt": LIBRARY}
    assert all(texts[r["file"].rsplit("/", 1)[-1]][r["start"]:r["end"]] == r["text"] and r["reviewed"] is True
               for r in rows)
    assert set(rows[0]) == {"text", "label", "file", "paragraph", "start", "end", "model_label", "p_comment",
                            "source", "reviewed"}

    # The marks reload with the page (kept in the browser until saved; the browser may take a moment to
    # pass the last mark on to the storage a new page reads, hence the wait)...
    browser.open("file://" + page)
    browser.wait_for("document.getElementById('marked-count').textContent === '6'")
    # ...but a page for other texts written to the same file starts clean.
    _review_page(write, tiny_model, "--force", library=LIBRARY + "Parking will be free on Sundays, it said.\n")
    browser.open("file://" + page)
    assert browser.js("document.getElementById('marked-count').textContent") == "0"

    # train reads the file as it is, beside other inputs, and the card counts the reviewed rows it used.
    tiny = tmp_path / "tiny.jsonl"
    tiny.write_text("".join(json.dumps({"text": t, "label": label}) + "\n" for label, texts_ in
                            (("report", TINY_REPORT), ("comment", TINY_COMMENT)) for t in texts_), encoding="utf-8")
    result = runner.invoke(app, ["train", str(saved), str(tiny), "--out", str(tmp_path / "m"), "--folds", "3"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["reviewed_rows"] == 5
    assert "1 row(s) marked 'unsure' left out" in result.stderr
    card = json.loads((tmp_path / "m" / "card.json").read_text())
    assert card["reviewed_rows"] == 5 and card["training_data"][0]["rows"] == 5

    # evaluate scores a model on the moderators' own judgements.
    result = runner.invoke(app, ["evaluate", str(saved), "--model", str(tiny_model.path), "-f", "json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["n"] == 5


def test_unsure_rows_are_left_out_with_a_warning(write):
    path = write("r.jsonl", '{"text": "A.", "label": "unsure", "reviewed": true}\n'
                            '{"text": "B.", "label": "report", "reviewed": true}\n{"text": "C.", "label": "comment"}\n')
    tally = Tally()
    units = read_labelled([path], InputOptions(), tally)
    assert [(u.text, u.label, u.reviewed) for u in units] == [("B.", "report", True), ("C.", "comment", False)]
    assert tally.warnings == ["1 row(s) marked 'unsure' left out"] and tally.errors == []


def test_rows_without_text_are_left_out_with_a_warning(write):
    # A review page saves an aside that holds only its marker as a row with no text; trained on, it taught
    # the model that nothing at all is comment.
    path = write("r.jsonl", '{"text": "", "label": "comment", "reviewed": true}\n'
                            '{"text": " \\n", "label": "report"}\n{"text": "C.", "label": "comment"}\n')
    tally = Tally()
    units = read_labelled([path], InputOptions(), tally)
    assert [(u.text, u.label) for u in units] == [("C.", "comment")]
    assert tally.warnings == ["2 labelled row(s) with no text left out"] and tally.errors == []


@pytest.mark.slow
def test_sentences_are_marked_and_saved_with_their_sentence_number(browser, write, tiny_model, tmp_path):
    page = _review_page(write, tiny_model, "--unit", "sentence")
    downloads = _downloads(browser, tmp_path)
    browser.open("file://" + page)
    browser.press("j")  # the first sentence
    browser.press("r")
    browser.press("c")
    browser.press("s")  # save by keyboard
    rows = _saved_rows(downloads)
    assert [(r["paragraph"], r["sentence"], r["label"], r["text"]) for r in rows] == [
        (0, 0, "report", HARBOUR.splitlines()[0]), (1, 0, "comment", HARBOUR.splitlines()[1])]


@pytest.mark.slow
def test_saved_text_keeps_the_carriage_returns_of_a_hard_wrapped_crlf_document(browser, write, tiny_model, tmp_path):
    # The browser read CRLF in data-text as LF: the saved text was no longer document[start:end].
    text = "The harbour board voted on Tuesday\r\nto close the north pier.\r\n\r\nEngineers said the piles\rhad rotted.\r\n"
    doc = write("docs/crlf.txt", text.encode("utf-8"))
    page = str(tmp_path / "review.html")
    result = runner.invoke(app, ["review", doc, "-o", page, "--model", str(tiny_model.path)])
    assert result.exit_code == 0, result.stderr
    browser.open("file://" + page)
    items = browser.js("Array.from(document.querySelectorAll('.seg[data-text]'))"
                       ".map(e => [e.dataset.text, +e.dataset.start, +e.dataset.end])")
    assert [t for t, _, _ in items] == [text[s:e] for _, s, e in items] == [
        "The harbour board voted on Tuesday\r\nto close the north pier.", "Engineers said the piles\rhad rotted."]


def _marks_on_page(browser):
    return browser.js("Array.from(document.querySelectorAll('.seg[data-text]'))"
                      ".filter(e => e.dataset.mark).map(e => e.id + '=' + e.dataset.mark)")


@pytest.mark.slow
def test_a_key_sets_its_mark_again_rather_than_taking_it_back(browser, write, tiny_model):
    # c on an item already marked comment cleared it: going back with k to confirm a judgement, or pressing
    # c twice on the last item, lost the mark. Keys set (x clears); only a second click takes a mark back.
    browser.open("file://" + _review_page(write, tiny_model))
    for key in "jckc":  # mark d0-p0, go back to it and confirm
        browser.press(key)
    for _ in range(6):  # to the last item, d1-p1
        browser.press("j")
    browser.press("r")
    browser.press("r")
    assert _marks_on_page(browser) == ["d0-p0=comment", "d1-p1=report"]
    assert browser.js("document.querySelector('.current').id") == "d1-p1"
    browser.click("#d1-p1 button.mark.report")  # a click on the pressed button still takes it back
    assert _marks_on_page(browser) == ["d0-p0=comment"]


@pytest.mark.slow
def test_a_held_key_marks_one_item_not_the_ones_after_it(browser, write, tiny_model):
    # A held c repeats: each repeat marked the next item, items the moderator had not read.
    browser.open("file://" + _review_page(write, tiny_model))
    browser.press("j")
    browser.call("Input.dispatchKeyEvent", type="keyDown", key="c", text="c")
    for _ in range(3):
        browser.call("Input.dispatchKeyEvent", type="keyDown", key="c", text="c", autoRepeat=True)
    browser.call("Input.dispatchKeyEvent", type="keyUp", key="c")
    assert _marks_on_page(browser) == ["d0-p0=comment"]
    for _ in range(2):  # j/k still repeat
        browser.call("Input.dispatchKeyEvent", type="keyDown", key="j", text="j", autoRepeat=True)
    assert browser.js("document.querySelector('.current').id") == "d0-p3"


@pytest.mark.slow
def test_marks_from_a_page_in_uncertain_order_are_saved_in_document_order(browser, write, tiny_model, tmp_path):
    # The rows followed the page: from the uncertain queue they came out in the model's order, so the same
    # marks made a different file (and folds in train) on a page in document order or scored by another model.
    page = _review_page(write, tiny_model, "--order", "uncertain")
    downloads = _downloads(browser, tmp_path)
    browser.open("file://" + page)
    queue = browser.js("Array.from(document.querySelectorAll('.seg[data-text]')).map(e => e.id)")
    assert queue != sorted(queue)  # the page is not in document order...
    for ident in queue:
        browser.click(f"#{ident} button.mark.report")
    browser.click("#save")
    rows = _saved_rows(downloads)
    assert [(r["file"].rsplit("/", 1)[-1], r["paragraph"]) for r in rows] == [  # ...the file is
        ("harbour.txt", 0), ("harbour.txt", 1), ("harbour.txt", 2), ("harbour.txt", 3), ("library.txt", 0),
        ("library.txt", 1)]


@pytest.mark.slow
def test_shift_tab_reaches_the_buttons_of_the_item_before(browser, write, tiny_model):
    # Focus on another item's button selected that item and moved the focus to the item itself, so going
    # backwards with Shift+Tab jumped from item to item and never reached a button.
    browser.open("file://" + _review_page(write, tiny_model))
    browser.js("document.getElementById('d0-p2').focus()")

    def shift_tab():
        for kind in ("keyDown", "keyUp"):
            browser.call("Input.dispatchKeyEvent", type=kind, key="Tab", code="Tab", windowsVirtualKeyCode=9,
                         modifiers=8)
        return browser.js("(e => (e.closest('.seg') || {}).id + ' ' + (e.dataset.label || e.tagName))"
                          "(document.activeElement)")

    assert [shift_tab() for _ in range(4)] == ["d0-p1 SUMMARY", "d0-p1 unsure", "d0-p1 report", "d0-p1 comment"]
    assert browser.js("document.querySelector('.current').id") == "d0-p1"
    browser.press("c")  # the keys act on the item whose button has the focus
    assert _marks_on_page(browser) == ["d0-p1=comment"]


@pytest.mark.slow
def test_each_save_holds_every_mark_so_far(browser, write, tiny_model, tmp_path):
    # The docs and the page said marks were kept "until you save"; they stay after it, and a second save holds
    # the first one's rows again: training on both files would count them twice.
    page = _review_page(write, tiny_model)
    assert ("Marks are kept in this browser, also after saving: each save holds every\nmark so far."
            in open(page, encoding="utf-8").read())
    downloads = _downloads(browser, tmp_path)
    browser.open("file://" + page)
    saves = []
    for item, label in (("d0-p0", "report"), ("d0-p2", "comment")):
        browser.click(f"#{item} button.mark.{label}")
        browser.click("#save")
        saves.append([(row["paragraph"], row["label"]) for row in _saved_rows(downloads)])
        (downloads / "review.jsonl").unlink()
    assert saves == [[(0, "report")], [(0, "report"), (2, "comment")]]


def test_two_saves_of_a_review_page_count_each_reviewed_row_once(write):
    # Each save holds every mark so far: given the first and the second save, train counted the first one's
    # rows twice. A text reviewed both ways is kept, and said.
    first = ('{"text": "A.", "label": "report", "reviewed": true}\n'
             '{"text": "B.", "label": "comment", "reviewed": true}\n')
    second = first.replace('"comment"', '"report"') + '{"text": "C.", "label": "comment", "reviewed": true}\n'
    other = '{"text": "A.", "label": "report"}\n'  # not reviewed: a data set's own row, kept as it is
    paths = [write("review.jsonl", first), write("review (1).jsonl", second), write("seeds.jsonl", other)]
    tally = Tally()
    units = read_labelled(paths, InputOptions(), tally)
    assert [(u.file.rsplit("/", 1)[-1], u.text, u.label, u.reviewed) for u in units] == [
        ("review.jsonl", "A.", "report", True), ("review.jsonl", "B.", "comment", True),
        ("review (1).jsonl", "B.", "report", True), ("review (1).jsonl", "C.", "comment", True),
        ("seeds.jsonl", "A.", "report", False)]
    assert tally.warnings == [
        "1 reviewed row(s) repeating the text and label of another left out (each save of a review page holds "
        "every mark so far; give only the latest)",
        "1 text(s) reviewed as both comment and report; both rows kept (if a later save changed the mark, give "
        "only the latest)"]


@pytest.mark.slow
def test_the_same_page_in_two_tabs_keeps_the_marks_of_both(browser, write, tiny_model, tmp_path):
    # Each tab kept the marks it had loaded and wrote them all back on every mark: a mark made in the second
    # tab was lost at the next mark in the first, and a save from the first left it out.
    import urllib.request

    websocket = pytest.importorskip("websocket")
    page = _review_page(write, tiny_model)
    browser.open("file://" + page)
    browser.click("#d0-p0 button.mark.report")
    target = browser.call("Target.createTarget", url="file://" + page)["targetId"]
    port = (tmp_path / "profile" / "DevToolsActivePort").read_text().split()[0]
    tabs = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10))
    other = websocket.create_connection(next(t for t in tabs if t["id"] == target)["webSocketDebuggerUrl"],
                                        timeout=30, suppress_origin=True)

    def in_other_tab(expression: str):
        other.send(json.dumps({"id": 1, "method": "Runtime.evaluate",
                               "params": {"expression": expression, "returnByValue": True}}))
        while True:
            message = json.loads(other.recv())
            if message.get("id") == 1:
                return message["result"]["result"].get("value")

    try:
        deadline = time.monotonic() + 10
        while in_other_tab("document.readyState === 'complete' && document.getElementById('marked-count')"
                           ".textContent") != "1" and time.monotonic() < deadline:
            time.sleep(0.05)
        in_other_tab("document.querySelector('#d0-p2 button.mark.comment').click()")
        browser.wait_for("document.getElementById('marked-count').textContent === '2'")
        browser.click("#d1-p0 button.mark.report")
    finally:
        other.close()
    assert _marks_on_page(browser) == ["d0-p0=report", "d0-p2=comment", "d1-p0=report"]
    assert json.loads(browser.js("localStorage.getItem(Object.keys(localStorage)[0])")) == {
        "d0-p0": "report", "d0-p2": "comment", "d1-p0": "report"}
