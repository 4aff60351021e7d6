"""classify, train and evaluate end to end through the CLI."""
from __future__ import annotations

import json
import os

import pytest
from typer.testing import CliRunner

from conftest import ROOT, TINY_COMMENT, TINY_REPORT
from factcomment import classify_document
from factcomment.cli import app

runner = CliRunner()


def run(*args, input=None):
    return runner.invoke(app, [str(a) for a in args], input=input)


def rows(result):
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_classify_seeds_matches_the_library(shipped_model):
    result = run("classify", ROOT / "seeds", "-f", "jsonl")
    assert result.exit_code == 0, result.stderr
    out = rows(result)
    assert len(out) == 27
    assert [(r["paragraph"], r["source"]) for r in out if r["source"] == "marker"] == [
        (8, "marker"), (16, "marker"), (23, "marker"), (25, "marker")]
    text = (ROOT / "seeds" / "000_a373fa732a2b7b85.txt").read_text(encoding="utf-8")
    library = classify_document(text, model=shipped_model)
    assert [(r["label"], r["p_comment"]) for r in out[:26]] == [(r.label, r.p_comment) for r in library]
    assert set(out[0]) == {"file", "paragraph", "start", "end", "label", "p_comment", "source", "text"}


def test_classify_jsonl_rows_keep_ids_in_order(tiny_model, write):
    path = write("in.jsonl", '{"id": "a", "text": "Police said so."}\n{"id": "b", "text": "What a disgrace!"}\n')
    result = run("classify", path, "--model", tiny_model.path, "-f", "jsonl")
    assert [(r["id"], r["line"], r["label"]) for r in rows(result)] == [("a", 1, "report"), ("b", 2, "comment")]


def test_classify_csv_columns_and_csv_output(tiny_model, write):
    path = write("in.csv", "post,body\n7,The bill passed by 312 votes.\n")
    result = run("classify", path, "--model", tiny_model.path, "--text-column", "body", "--id-column", "post",
                 "-f", "csv")
    header, line = result.stdout.splitlines()
    assert header == "file,id,line,paragraph,sentence,start,end,label,p_comment,source,text"
    assert line.startswith(f"{path},7,2,,,,,report,") and line.endswith(",model,The bill passed by 312 votes.")


def test_an_output_file_named_csv_is_written_as_csv(tiny_model, write, tmp_path):
    path, out = write("in.txt", "The bill passed by 312 votes."), tmp_path / "labels.csv"
    result = run("classify", path, "--model", tiny_model.path, "-o", out)
    assert result.exit_code == 0, result.stderr
    header, line = out.read_text(encoding="utf-8").splitlines()
    assert header == "file,id,line,paragraph,sentence,start,end,label,p_comment,source,text"
    assert line.startswith(f"{path},,,0,,0,29,report,") and line.endswith(",model,The bill passed by 312 votes.")


def test_jobs_2_output_is_byte_identical(tiny_model, write):
    lines = "".join(json.dumps({"id": i, "text": t}) + "\n"
                    for i, t in enumerate((TINY_REPORT + TINY_COMMENT) * 250))
    path = write("many.jsonl", lines)
    one = run("classify", path, "--model", tiny_model.path, "-f", "jsonl")
    two = run("classify", path, "--model", tiny_model.path, "-f", "jsonl", "--jobs", "2")
    assert one.exit_code == two.exit_code == 0
    assert one.stdout == two.stdout and len(one.stdout.splitlines()) == 6000


def test_explain_in_jsonl_and_table(tiny_model, write):
    path = write("a.txt", "I think this is a disgrace.")
    out = rows(run("classify", path, "--model", tiny_model.path, "--explain", "2", "-f", "jsonl"))[0]
    assert set(out["explanation"]) == {"comment", "report", "intercept", "rest", "decision"}
    assert len(out["explanation"]["comment"]) <= 2
    table = run("classify", path, "--model", tiny_model.path, "--explain", "2", "-f", "table").stdout
    # Readable reasons: a word in curly quotes or a stance cue by name, never a raw feature name.
    assert "comment: \u201c" in table or "comment: first pers" in table
    assert "cue:" not in table and "_quote_" not in table


def test_missing_model_is_exit_2(tmp_path, write):
    path = write("a.txt", "Fine.")
    result = run("classify", path, "--model", tmp_path / "nope")
    assert result.exit_code == 2
    assert result.stderr == (f"factcomment: error: {tmp_path / 'nope'}: no such model; pass fast, accurate or a "
                             "model directory (see factcomment train)\n")
    (tmp_path / "empty").mkdir()
    result = run("classify", path, "--model", tmp_path / "empty")
    assert result.exit_code == 2
    assert result.stderr == (f"factcomment: error: {tmp_path / 'empty'}: no card.json; not a factcomment model "
                             "directory (see factcomment train)\n")


def test_train_then_evaluate(tmp_path, write):
    data = write("train.tsv", "sentence\tlabel\n" + "".join(f"{t}\tOBJ\n" for t in TINY_REPORT)
                 + "".join(f"{t}\tSUBJ\n" for t in TINY_COMMENT))
    out = tmp_path / "model"
    result = run("train", data, "--out", out, "--folds", "3", "-q")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["counts"] == {"comment": 12, "report": 12}
    again = run("train", data, "--out", out, "-q")
    assert again.exit_code == 2 and "already holds a model; pass --force" in again.stderr
    scored = run("evaluate", data, "--model", out, "--format", "json")
    assert scored.exit_code == 0 and json.loads(scored.stdout)["n"] == 24
    table = run("evaluate", data, "--model", out)
    assert table.stdout.startswith("n=24  threshold=")


def test_train_with_one_class_is_refused(tmp_path, write):
    data = write("one.jsonl", "".join(json.dumps({"text": t, "label": "report"}) + "\n" for t in TINY_REPORT))
    result = run("train", data, "--out", tmp_path / "m", "-q")
    assert result.exit_code == 2
    assert result.stderr.startswith("factcomment: error: ") and "comment" in result.stderr
    assert not (tmp_path / "m").exists()


def test_train_unknown_label_names_the_row_and_the_fix(tmp_path, write):
    data = write("odd.tsv", "text\tlabel\nFine.\tOBJ\nOdd.\tMAYBE\n")
    result = run("train", data, "--out", tmp_path / "m", "-q")
    assert result.exit_code == 2
    assert f"{data}:3: unknown label 'MAYBE'" in result.stderr and "--label-map" in result.stderr


def test_label_map_option(tmp_path, write):
    data = write("mine.csv", "text,tag\n" + "".join(f'"{t}",fact\n' for t in TINY_REPORT)
                 + "".join(f'"{t}",opinion\n' for t in TINY_COMMENT))
    result = run("train", data, "--out", tmp_path / "m", "--label-column", "tag", "--label-map", "fact=report",
                 "--label-map", "opinion=comment", "--folds", "3", "-q")
    assert result.exit_code == 0, result.stderr
    bad = run("train", data, "--out", tmp_path / "m2", "--label-map", "fact=maybe", "-q")
    assert bad.exit_code == 2 and "write RAW=report or RAW=comment" in bad.stderr


def test_evaluate_plot_writes_png(tiny_model, tmp_path, write):
    pytest.importorskip("matplotlib", reason="--plot needs the plot extra")
    data = write("gold.jsonl", "".join(json.dumps({"text": t, "label": "report"}) + "\n" for t in TINY_REPORT)
                 + "".join(json.dumps({"text": t, "label": "comment"}) + "\n" for t in TINY_COMMENT))
    png = tmp_path / "eval.png"
    result = run("evaluate", data, "--model", tiny_model.path, "--plot", png)
    assert result.exit_code == 0, result.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # An existing plot is replaced only when asked, like -o.
    png.write_bytes(b"mine")
    result = run("evaluate", data, "--model", tiny_model.path, "--plot", png)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"factcomment: error: {png}: already exists; pass --force to overwrite it\n"
    assert png.read_bytes() == b"mine"
    assert run("evaluate", data, "--model", tiny_model.path, "--plot", png, "--force").exit_code == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_evaluate_plot_without_matplotlib_stops_before_evaluating(tiny_model, tmp_path, write, monkeypatch,
                                                                 no_matplotlib):
    # It evaluated first (minutes with the accurate model), printed the table, then exited 2 for the plot.
    import factcomment.evaluation

    monkeypatch.setattr(factcomment.evaluation, "evaluate_files", lambda *a, **k: pytest.fail("evaluated first"))
    data = write("gold.jsonl", "".join(json.dumps({"text": t, "label": "report"}) + "\n" for t in TINY_REPORT))
    result = run("evaluate", data, "--model", tiny_model.path, "--plot", tmp_path / "eval.png")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == "factcomment: error: --plot needs matplotlib: pip install 'factcomment[plot]'\n"
    assert sorted(os.listdir(tmp_path)) == ["gold.jsonl"]


def test_evaluate_prints_no_table_when_its_plot_cannot_be_written(tiny_model, tmp_path, write, monkeypatch):
    # The table went to stdout before the plot was written, so a failed plot left it there with exit 2.
    import errno

    pytest.importorskip("matplotlib", reason="--plot needs the plot extra")
    import factcomment.plots

    def full(result, stream):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(factcomment.plots, "plot_evaluation", full)
    data = write("gold.jsonl", "".join(json.dumps({"text": t, "label": "report"}) + "\n" for t in TINY_REPORT)
                 + "".join(json.dumps({"text": t, "label": "comment"}) + "\n" for t in TINY_COMMENT))
    result = run("evaluate", data, "--model", tiny_model.path, "--plot", tmp_path / "eval.png")
    assert (result.exit_code, result.stdout) == (2, "")
    assert sorted(os.listdir(tmp_path)) == ["gold.jsonl"]


def test_evaluate_plot_never_overwrites_an_input(tiny_model, write):
    # --plot is an output like -o: naming the gold file replaced the data with a PNG.
    pytest.importorskip("matplotlib", reason="--plot needs the plot extra")
    data = write("gold.jsonl", "".join(json.dumps({"text": t, "label": "report"}) + "\n" for t in TINY_REPORT)
                 + "".join(json.dumps({"text": t, "label": "comment"}) + "\n" for t in TINY_COMMENT))
    before = open(data, "rb").read()
    result = run("evaluate", data, "--model", tiny_model.path, "--plot", data)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"factcomment: error: {data}: is also an input; write the output to another file\n"
    assert open(data, "rb").read() == before


@pytest.mark.parametrize("command", ["classify", "split", "report"])
def test_an_output_that_is_a_hard_link_to_a_file_in_an_input_folder_is_refused(tiny_model, tmp_path, command):
    source = tmp_path / "in" / "a.txt"
    source.parent.mkdir()
    source.write_text("The council met on Monday.\n", encoding="utf-8")
    out = tmp_path / "out.txt"
    os.link(source, out)
    model = ["--model", tiny_model.path] if command != "split" else []
    result = run(command, source.parent, "-o", out, "--force", *model)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (f"factcomment: error: {out}: is also an input (as {source}); write the output to "
                             "another file\n")
    assert sorted(os.listdir(tmp_path)) == ["in", "out.txt"] and os.path.samefile(out, source)


def test_evaluate_warns_when_the_gold_data_has_one_class(tiny_model, write):
    data = write("gold.jsonl", "".join(json.dumps({"text": t, "label": "report"}) + "\n" for t in TINY_REPORT))
    result = run("evaluate", data, "--model", tiny_model.path, "-f", "json")
    assert result.exit_code == 0 and json.loads(result.stdout)["n"] == len(TINY_REPORT)
    assert result.stderr == ("factcomment: warning: every gold label is 'report': macro-F1 averages in a class "
                             "with no examples; check the data or the --label-map\n")


def test_evaluate_plot_to_stdout_is_refused(tiny_model, write):
    # stdout carries the table (or JSON): a PNG after it would make both unreadable.
    data = write("gold.jsonl", "".join(json.dumps({"text": t, "label": "report"}) + "\n" for t in TINY_REPORT))
    result = run("evaluate", data, "--model", tiny_model.path, "--plot", "-")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == ("factcomment: error: --plot -: standard output carries the table; give the PNG a "
                             "file name\n")


@pytest.mark.parametrize("plot, message", [
    ("eval.pdf", "--plot eval.pdf: the plot is a PNG image; give a file name ending in .png"),
    ("eval.jpg", "--plot eval.jpg: the plot is a PNG image; give a file name ending in .png"),
    ("", "--plot is empty; give the PNG a file name")])
def test_evaluate_plot_needs_a_png_name(tiny_model, tmp_path, write, monkeypatch, plot, message):
    # A .pdf or .jpg name got PNG bytes, and an empty name was taken for no --plot at all (exit 0, no plot).
    data = write("gold.jsonl", "".join(json.dumps({"text": t, "label": "report"}) + "\n" for t in TINY_REPORT))
    monkeypatch.chdir(tmp_path)
    result = run("evaluate", data, "--model", tiny_model.path, "--plot", plot)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"factcomment: error: {message}\n"
    assert sorted(os.listdir(tmp_path)) == ["gold.jsonl"]


def test_evaluate_refuses_a_nan_threshold(tiny_model, write):
    # NaN slips through the option's range check (every comparison with it is false); classify refused it.
    data = write("gold.jsonl", "".join(json.dumps({"text": t, "label": "report"}) + "\n" for t in TINY_REPORT))
    result = run("evaluate", data, "--model", tiny_model.path, "--threshold", "nan")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == "factcomment: error: threshold must lie between 0 and 1, not nan\n"


def _tiny_tsv(write):
    return write("train.tsv", "sentence\tlabel\n" + "".join(f"{t}\tOBJ\n" for t in TINY_REPORT)
                 + "".join(f"{t}\tSUBJ\n" for t in TINY_COMMENT))


def test_train_into_a_file_is_refused_before_training(tmp_path, write):
    data = _tiny_tsv(write)
    out = write("model.txt", "not a folder")
    result = run("train", data, "--out", out, "--force")
    assert result.exit_code == 2
    assert result.stderr == (f"factcomment: error: {out}: is a file; give --out a directory (new, empty, or a model "
                             "to replace)\n")


def test_train_writes_nothing_when_an_input_fails(tiny_model, tmp_path, write):
    import shutil

    data = _tiny_tsv(write)
    out = tmp_path / "model"
    shutil.copytree(tiny_model.path, out)
    card = (out / "card.json").read_bytes()
    missing = tmp_path / "shared" / "train_en.tsv"
    result = run("train", data, missing, "--out", out, "--force", "--folds", "3", "-q")
    assert result.exit_code == 2
    assert result.stderr == (f"factcomment: error: {missing}: no such file or directory\n"
                             f"factcomment: error: 1 input(s) failed ({missing}); no model was written. "
                             "Fix or leave out the failed inputs\n")
    assert (out / "card.json").read_bytes() == card
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model", "train.tsv"]


def test_train_with_a_missing_heldout_file_is_a_usage_error(tmp_path, write):
    data = _tiny_tsv(write)
    result = run("train", data, "--heldout", tmp_path / "dev.tsv", "--out", tmp_path / "m", "-q")
    assert result.exit_code == 2
    assert result.stderr == f"factcomment: error: --heldout {tmp_path / 'dev.tsv'}: no such file; check the path\n"
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_classify_utf16_json_lines(tiny_model, write, jobs):
    rows_in = "".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in enumerate(TINY_REPORT))
    path = write("rows.jsonl", rows_in.encode("utf-16"))
    result = run("classify", path, "--model", tiny_model.path, "-f", "jsonl", "--jobs", jobs)
    assert result.exit_code == 0, result.stderr
    assert [r["text"] for r in rows(result)] == TINY_REPORT


def test_table_leaves_out_empty_columns_and_gives_the_text_the_room(tiny_model, write):
    path = write("a.txt", "The council said the road would reopen on Monday after the repairs to the bridge.\n")
    table = runner.invoke(app, ["classify", path, "--model", str(tiny_model.path), "-f", "table"],
                          env={"COLUMNS": "160"}).stdout.splitlines()
    assert table[0].split() == ["file", "paragraph", "label", "p_comment", "source", "text"]
    assert len(table[1].split()[-1]) >= 90  # the text's column of dashes
    rows_table = runner.invoke(app, ["classify", write("r.jsonl", '{"id": 1, "text": "A."}\n'), "--model",
                                     str(tiny_model.path), "-f", "table"], env={"COLUMNS": "160"}).stdout
    assert rows_table.splitlines()[0].split() == ["file", "id", "label", "p_comment", "source", "text"]
    explained = runner.invoke(app, ["classify", path, "--model", str(tiny_model.path), "-f", "table", "--explain",
                                    "3"], env={"COLUMNS": "160"}).stdout.splitlines()
    assert [len(dashes) for dashes in explained[1].split()[-2:]] == [36, 54]  # explanation, text


def test_a_table_on_a_real_terminal_has_no_spinner_over_it(tiny_model, write):
    # stdout and stderr on one terminal (tmux, say): the rows are the progress, a spinner would garble them.
    import os
    import pty
    import subprocess
    import sys

    path = write("a.txt", "The council said the road would reopen on Monday.\n" * 3)
    leader, follower = pty.openpty()
    child = subprocess.Popen([sys.executable, "-m", "factcomment", "classify", path, "--model", str(tiny_model.path)],
                             stdin=follower, stdout=follower, stderr=follower, env={**os.environ, "COLUMNS": "160"})
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    child.wait(30)
    os.close(leader)
    screen = seen.decode("utf-8")
    assert screen.startswith("file ") and "units" not in screen and "\x1b[" not in screen
    assert screen.count("council said") == 3


def test_train_warns_about_repeated_conflicting_and_held_out_texts(tmp_path, write):
    data = write("train.jsonl", "".join(json.dumps({"text": t, "label": "report"}) + "\n" for t in TINY_REPORT)
                 + "".join(json.dumps({"text": t, "label": "comment"}) + "\n" for t in TINY_COMMENT)
                 + json.dumps({"text": TINY_REPORT[0], "label": "report"}) + "\n"
                 + json.dumps({"text": TINY_REPORT[1], "label": "comment"}) + "\n")
    held = write("held.jsonl", json.dumps({"text": TINY_COMMENT[0], "label": "comment"}) + "\n")
    result = run("train", data, "--heldout", held, "--out", tmp_path / "m", "--folds", "3")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines()[1:] == [
        "factcomment: warning: 2 training text(s) repeat an earlier one; copies of a text are kept in one "
        "cross-validation fold",
        "factcomment: warning: 1 training text(s) carry both labels; check the data or the --label-map",
        "factcomment: warning: 1 --heldout text(s) are also in the training data; the held-out figures flatter it",
        "factcomment: warning: every --heldout label is 'comment': the held-out macro-F1 averages in a class with "
        "no examples; check the --heldout data or the --label-map"]


def _jsonl(pairs):
    return "".join(json.dumps({"text": t, "label": label}) + "\n" for t, label in pairs)


def test_train_scores_heldout_then_refits_with_it(tmp_path, write):
    # Four texts of each class held out: the card's held-out figures come from a model trained without them,
    # and --refit-with-heldout trains the saved weights on all 24 rows.
    held_pairs = [(t, "report") for t in TINY_REPORT[-4:]] + [(t, "comment") for t in TINY_COMMENT[-4:]]
    data = write("train.jsonl", _jsonl([(t, "report") for t in TINY_REPORT[:-4]]
                                       + [(t, "comment") for t in TINY_COMMENT[:-4]]))
    held = write("held.jsonl", _jsonl(held_pairs))
    out = tmp_path / "m"
    result = run("train", data, "--heldout", held, "--refit-with-heldout", "--out", out, "--folds", "3", "-q")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["counts"] == {"comment": 12, "report": 12}
    assert summary["heldout"]["n"] == 8 and set(summary["heldout"]["per_class"]) == {"report", "comment"}
    card = json.loads((out / "card.json").read_text(encoding="utf-8"))
    heldout = card["metrics"]["heldout"]
    assert heldout["trained_without_them"] is True and heldout["macro_f1"] == summary["heldout"]["macro_f1"]
    assert [f["file"] for f in heldout["files"]] == ["held.jsonl"]
    assert sum(entry["rows"] for entry in card["training_data"]) == 24
    readme = (out / "README.md").read_text(encoding="utf-8")
    assert f"- Held-out (held.jsonl), same recipe trained without it: macro-F1 **{heldout['macro_f1']:.3f}**" in readme
    assert "  - comment: precision" in readme and "support 4" in readme


def test_train_without_refit_keeps_the_heldout_rows_out(tmp_path, write):
    data = write("train.jsonl", _jsonl([(t, "report") for t in TINY_REPORT[:-2]]
                                       + [(t, "comment") for t in TINY_COMMENT[:-2]]))
    held = write("held.jsonl", _jsonl([(TINY_REPORT[-1], "report"), (TINY_COMMENT[-1], "comment")]))
    result = run("train", data, "--heldout", held, "--out", tmp_path / "m", "--folds", "3", "-q")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["counts"] == {"comment": 10, "report": 10}
    card = json.loads((tmp_path / "m" / "card.json").read_text(encoding="utf-8"))
    assert sum(entry["rows"] for entry in card["training_data"]) == 20 and card["metrics"]["heldout"]["n"] == 2


def test_train_refuses_an_unknown_tier(tmp_path, write):
    data = write("train.jsonl", _jsonl([(t, "report") for t in TINY_REPORT] + [(t, "comment") for t in TINY_COMMENT]))
    result = run("train", data, "--out", tmp_path / "m", "--tier", "huge", "-q")
    assert result.exit_code == 2
    assert result.stderr == "factcomment: error: --tier 'huge': use fast or accurate\n"
    assert not (tmp_path / "m").exists()


def test_train_refuses_a_checkpoint_for_the_fast_tier(tmp_path, write):
    data = write("d.jsonl", '{"text": "a", "label": "report"}\n')
    result = run("train", data, "--out", tmp_path / "m", "--checkpoint", tmp_path / "keep", "-q")
    assert result.exit_code == 2 and not (tmp_path / "m").exists() and not (tmp_path / "keep").exists()
    assert result.stderr == ("factcomment: error: --checkpoint keeps the fine-tunes of --tier accurate; "
                             "leave it out for the fast tier\n")


def test_train_refuses_refit_with_heldout_without_heldout(tmp_path, write):
    # Silently training without the refit the user asked for would ship a model on less data than they think.
    data = write("d.jsonl", '{"text": "a", "label": "report"}\n')
    result = run("train", data, "--out", tmp_path / "m", "--refit-with-heldout", "-q")
    assert (result.exit_code, result.stdout) == (2, "") and not (tmp_path / "m").exists()
    assert result.stderr == ("factcomment: error: --refit-with-heldout refits on --heldout files; name them "
                             "with --heldout FILE\n")


@pytest.mark.parametrize("seed", ["-5", "4294967295"])
def test_train_refuses_a_seed_numpy_cannot_take(tmp_path, write, seed):
    # numpy seeds are 0 to 2**32 - 1, and the threshold's repeats add 1, 2, ...: both were an internal error.
    data = write("d.jsonl", '{"text": "a", "label": "report"}\n')
    result = run("train", data, "--out", tmp_path / "m", "--seed", seed, "-q")
    assert (result.exit_code, result.stdout) == (2, "") and not (tmp_path / "m").exists()
    assert result.stderr == f"factcomment: error: --seed {seed}: use a whole number from 0 to 2147483647\n"


@pytest.mark.parametrize("output", [None, "out.jsonl"])
def test_a_lone_surrogate_escaped_in_json_is_written_back_as_its_escape(tiny_model, write, tmp_path, output):
    # "\ud800" is valid JSON but no UTF-8 can hold it: -o wrote it as the escape, stdout crashed (exit 2).
    path = write("in.jsonl", '{"id": 1, "text": "a \\ud800 b"}\n{"id": 2, "text": "fine"}\n')
    extra = ["-o", tmp_path / output] if output else []
    result = run("classify", path, "--model", tiny_model.path, "-f", "jsonl", *extra)
    assert (result.exit_code, result.stderr) == (0, "")
    out = (tmp_path / output).read_text(encoding="utf-8") if output else result.stdout
    assert [(r["id"], r["text"]) for r in map(json.loads, out.splitlines())] == [(1, "a \ud800 b"), (2, "fine")]
