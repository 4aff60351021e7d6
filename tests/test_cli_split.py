"""The split command end to end, and the exit codes every command shares."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from conftest import ROOT
from factcomment.cli import app

runner = CliRunner()


def run(*args, input=None):
    return runner.invoke(app, [str(a) for a in args], input=input)


def test_split_seeds_gives_27_paragraphs_with_the_asides():
    result = run("split", ROOT / "seeds", "--format", "jsonl")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 27
    asides = [(r["file"].rsplit("/", 1)[-1], r["paragraph"]) for r in rows if r["kind"] == "comment"]
    assert asides == [("000_a373fa732a2b7b85.txt", i) for i in (8, 16, 23, 25)]
    assert rows[-1]["file"].endswith("002_ff69a33de5c09e39.txt") and rows[-1]["kind"] == "report"


def test_split_stdin_sentences_csv():
    result = run("split", "-", "--unit", "sentence", "--format", "csv", input="Mr. Smith left. He said so.\n")
    assert result.exit_code == 0
    assert result.stdout == ("file,id,line,paragraph,sentence,start,end,kind,marker,text\n"
                             "-,,,0,0,0,15,report,,Mr. Smith left.\n"
                             "-,,,0,1,16,27,report,,He said so.\n")


def test_split_takes_a_full_width_colon_for_the_default_marker(write):
    # Reposts typed on CJK keyboards write "Comment\uff1a": their asides came out as reporting.
    path = write("cjk.txt", "Police said so.\nComment\uff1a\u592a\u665a\u4e86\u3002\n")
    result = run("split", path, "--format", "jsonl")
    assert (result.exit_code, result.stderr) == (0, "")
    assert [json.loads(line) for line in result.stdout.splitlines()] == [
        {"file": path, "paragraph": 0, "start": 0, "end": 15, "kind": "report", "text": "Police said so."},
        {"file": path, "paragraph": 1, "start": 24, "end": 28, "kind": "comment", "marker": "Comment\uff1a",
         "text": "\u592a\u665a\u4e86\u3002"}]


@pytest.mark.parametrize("skip", [False, True])
def test_a_json_row_with_a_key_twice_is_a_bad_row_named_by_its_line(write, skip):
    # {"text": "a", "text": "b"} was read as "b" without a word.
    path = write("r.jsonl", '{"text": "One."}\n{"text": "a", "text": "b"}\n{"text": "Three."}\n')
    result = run("split", path, "-f", "jsonl", *(["--skip-bad-rows"] if skip else []))
    assert result.exit_code == 1
    assert [json.loads(line)["text"] for line in result.stdout.splitlines()] == ["One.", "Three."][:1 + skip]
    rest = ("everything else was processed" if skip else "the rows after the bad row in 1 file(s) were not read "
            "(pass --skip-bad-rows to skip bad rows); everything else was processed")
    assert result.stderr == (f"factcomment: error: {path}:2: key 'text' appears 2 times in the object; remove all "
                             f"but one{'' if skip else ' (pass --skip-bad-rows to skip bad rows)'}\n"
                             f"factcomment: 1 problem(s) in 1 of 1 input(s); {rest}\n")


def test_split_rows_keep_their_id_and_line(write):
    rows = write("r.jsonl", '{"id": 7, "text": "a"}\n{"id": "x", "text": "b", "label": "comment"}\n')
    result = run("split", rows, "--format", "jsonl")
    assert result.exit_code == 0
    assert [json.loads(line) for line in result.stdout.splitlines()] == [
        {"file": str(rows), "id": 7, "line": 1, "text": "a"},
        {"file": str(rows), "id": "x", "line": 2, "kind": "comment", "text": "b"}]



def test_rows_stay_whole_whatever_the_unit_and_marker_as_docs_cli_says(write):
    rows = write("r.jsonl", '{"id": 1, "text": "Comment: One. Two."}\n')
    result = run("split", rows, "--format", "jsonl", "--unit", "sentence")
    assert [json.loads(line) for line in result.stdout.splitlines()] == [
        {"file": str(rows), "id": 1, "line": 1, "text": "Comment: One. Two."}]


def test_split_custom_literal_marker(write):
    path = write("n.txt", "Report.\nEditor's note: ours.\n")
    result = run("split", path, "--marker", "Editor's note:", "--literal-marker", "-f", "jsonl")
    kinds = [json.loads(line)["kind"] for line in result.stdout.splitlines()]
    assert kinds == ["report", "comment"]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_offsets_index_the_file_read_as_docs_cli_says(write, encoding):
    text = "Police said so.\r\nComment: Really?\rMore.\r\n\r\nLast one.\n"
    path = write("d.txt", text.encode(encoding))
    rows = [json.loads(line) for line in run("split", path, "--format", "jsonl").stdout.splitlines()]
    # docs/cli.md: open(path, encoding="utf-8-sig", newline="").read()[start:end] is the row's text
    read = open(path, encoding=encoding, newline="").read()
    assert [read[r["start"]:r["end"]] for r in rows] == [r["text"] for r in rows] == [
        "Police said so.", "Really?\rMore.", "Last one."]


def test_a_marker_that_starts_with_a_space_is_a_usage_error(write):
    # It matched no paragraph (they are stripped), found no aside and exited 0.
    path = write("n.txt", "Report.\nNote: ours.\n")
    result = run("split", path, "--marker", " Note:")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == ("factcomment: error: --marker ' Note:' starts with whitespace, which no paragraph does "
                             "(they are stripped); drop it: --marker Note:\n")


def test_literal_marker_without_a_marker_is_a_usage_error(write):
    # It read the default regex comment\s*: as plain text, found no aside, and exited 0.
    path = write("n.txt", "Report.\nComment: ours.\n")
    result = run("split", path, "--literal-marker")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == ("factcomment: error: --literal-marker applies to a --marker you give; the default, "
                             "comment\\s*[:\\uff1a], is a regular expression: add --marker with the marker's text "
                             "(e.g. --marker \"Editor's note:\") or drop --literal-marker\n")


def test_mixed_good_and_bad_inputs_exit_1_with_good_output(write, tmp_path):
    good = write("d/good.txt", "Fine.")
    bad = write("d/bad.txt", b"\x00\x01binary")
    result = run("split", tmp_path / "d", "-f", "jsonl")
    assert result.exit_code == 1
    assert [json.loads(line)["text"] for line in result.stdout.splitlines()] == ["Fine."]
    assert result.stderr.splitlines() == [
        f"factcomment: error: {bad}: binary data (NUL byte at byte 0); factcomment reads text files",
        "factcomment: 1 problem(s) in 1 of 2 input(s); everything else was processed"]
    del good


def test_nothing_processed_exits_2(tmp_path):
    result = run("split", tmp_path / "missing.txt")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"factcomment: error: {tmp_path / 'missing.txt'}: no such file or directory",
        "factcomment: 1 problem(s) in 1 of 1 input(s); nothing could be processed"]


def test_an_empty_input_beside_a_missing_one_was_processed_so_exit_1_with_the_output(write, tmp_path):
    empty, out = write("empty.txt", ""), tmp_path / "out.jsonl"
    result = run("split", empty, tmp_path / "missing.txt", "-o", out)
    assert result.exit_code == 1 and out.read_text() == ""
    assert result.stderr.splitlines() == [
        f"factcomment: warning: {empty}: no text in this input (empty or whitespace only)",
        f"factcomment: error: {tmp_path / 'missing.txt'}: no such file or directory",
        "factcomment: 1 problem(s) in 1 of 2 input(s); everything else was processed"]


def test_a_fatal_error_comes_after_the_warnings_that_explain_it(write, tmp_path):
    # They were dropped: "no labelled texts were read" came alone, for a review file of 'unsure' marks only.
    marks = write("review.jsonl", '{"text": "A.", "label": "unsure", "reviewed": true}\n')
    result = run("evaluate", marks)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == ("factcomment: warning: 1 row(s) marked 'unsure' left out\n"
                             "factcomment: error: nothing to evaluate: no labelled texts were read\n")
    empty = write("empty.txt", "")
    result = run("train", empty, "--out", tmp_path / "m", "-q")
    assert result.exit_code == 2 and "warning" not in result.stderr  # --quiet still silences them


def test_usage_errors_exit_2_without_traceback(write):
    path = write("a.txt", "Fine.")
    result = run("split", path, "--unit", "word")
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert result.stderr.startswith("factcomment: error: ") and "paragraph" in result.stderr


def test_output_file_refuses_overwrite_then_forces(write, tmp_path):
    path = write("a.txt", "Fine.")
    out = tmp_path / "out.jsonl"
    out.write_text("old")
    result = run("split", path, "-o", out)
    assert result.exit_code == 2 and out.read_text() == "old"
    assert result.stderr == f"factcomment: error: {out}: already exists; pass --force to overwrite it\n"
    assert run("split", path, "-o", out, "--force").exit_code == 0
    assert json.loads(out.read_text())["text"] == "Fine."


def test_closed_pipe_ends_quietly(tmp_path):
    big = tmp_path / "big.txt"
    big.write_text("A line of report.\n" * 200_000)
    command = f"{sys.executable} -m factcomment split {big} -f jsonl | head -n 1"
    done = subprocess.run(["bash", "-o", "pipefail", "-c", command], capture_output=True, text=True, timeout=60)
    assert done.stdout.count("\n") == 1
    assert done.stderr == "" and done.returncode == 0


def test_python_dash_m_works():
    done = subprocess.run([sys.executable, "-m", "factcomment", "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "split" in done.stdout


def test_seeds_jsonl_is_reproducible():
    result = subprocess.run([sys.executable, "-m", "factcomment", "split", "seeds/", "--format", "jsonl"],
                            capture_output=True, cwd=ROOT, timeout=60)
    assert result.returncode == 0
    assert result.stdout == (ROOT / "data" / "seeds.jsonl").read_bytes()


def _undecodable_name(tmp_path):
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "b.txt").write_text("Second file.\n", encoding="utf-8")
    with open(os.fsencode(folder) + b"/\xff.txt", "wb") as stream:
        stream.write(b"Hello there.\n")
    return folder


@pytest.mark.parametrize("fmt, spelled", [
    ("jsonl", '"file": "{d}/\\\\xff.txt"'), ("csv", "{d}/\\xff.txt,"), ("tsv", "{d}/\\\\xff.txt\t"),
    ("table", "/\\xff.txt "),
])
def test_a_file_name_that_is_not_utf8_is_escaped_and_never_stops_the_run(tmp_path, fmt, spelled):
    folder = _undecodable_name(tmp_path)
    out = tmp_path / "out"
    result = run("split", folder, "-f", fmt, "-o", out)
    assert result.exit_code == 0, result.output
    written = out.read_text(encoding="utf-8")
    assert spelled.format(d=folder) in written
    assert "Second file." in written and "Hello there." in written


def test_a_file_name_that_is_not_utf8_is_escaped_on_stdout(tmp_path):
    folder = _undecodable_name(tmp_path)
    result = run("split", folder, "-f", "jsonl")
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["file"] for line in result.stdout_bytes.decode("utf-8").splitlines()] == [
        f"{folder}/b.txt", f"{folder}/\\xff.txt"]


def test_a_file_name_that_is_not_utf8_is_escaped_in_messages(tmp_path):
    folder = _undecodable_name(tmp_path)
    result = run("split", folder, folder, "-f", "jsonl")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[1] == (f"factcomment: warning: {folder}/\\xff.txt: named more than once "
                                             f"(as {folder}/\\xff.txt); read once")
