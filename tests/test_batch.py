"""The batch engine: pieces parsed, classified and rendered in workers give the serial output exactly."""
from __future__ import annotations

import json
import sys
import tracemalloc

import pytest
from typer.testing import CliRunner

import factcomment.batch as batch
from conftest import TINY_COMMENT, TINY_REPORT
from factcomment.cli import app
from factcomment.readers import InputOptions, Tally
from factcomment.writers import RowWriter, columns_for

runner = CliRunner()


@pytest.fixture
def small_pieces(monkeypatch):
    monkeypatch.setattr(batch, "PIECE", 3)  # many pieces from tiny files; forked workers inherit it


def lines(n, bad=()):
    texts = TINY_REPORT + TINY_COMMENT
    return "".join("{broken\n" if i in bad else json.dumps({"id": i, "text": texts[i % len(texts)]}) + "\n"
                   for i in range(1, n + 1))


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_bad_row_stops_its_file_at_the_same_row_whatever_the_jobs(small_pieces, tiny_model, write, jobs):
    bad = write("bad.jsonl", lines(10, bad={7}))
    good = write("good.jsonl", lines(4))
    result = runner.invoke(app, ["classify", bad, good, "--model", str(tiny_model.path), "-f", "jsonl",
                                 "--jobs", jobs])
    assert result.exit_code == 1
    out = [(r["file"].rsplit("/", 1)[-1], r["id"]) for r in map(json.loads, result.stdout.splitlines())]
    assert out == [("bad.jsonl", i) for i in range(1, 7)] + [("good.jsonl", i) for i in range(1, 5)]  # ints stay ints
    assert f"{bad}:7: not valid JSON" in result.stderr


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_skip_bad_rows_goes_on_across_pieces(small_pieces, tiny_model, write, jobs):
    path = write("bad.jsonl", lines(10, bad={2, 9}))
    result = runner.invoke(app, ["classify", path, "--model", str(tiny_model.path), "-f", "jsonl", "--jobs", jobs,
                                 "--skip-bad-rows"])
    assert result.exit_code == 1
    assert [r["line"] for r in map(json.loads, result.stdout.splitlines())] == [1, 3, 4, 5, 6, 7, 8, 10]
    assert result.stderr.count("not valid JSON") == 2


@pytest.mark.parametrize("pieces", [None, 3])
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_errors_and_warnings_come_in_input_order_whatever_the_jobs(tiny_model, write, monkeypatch, jobs, pieces):
    # Documents are read where the input is framed, which runs ahead of the workers parsing JSON lines: their
    # errors must still be reported after those of the rows before them.
    if pieces:
        monkeypatch.setattr(batch, "PIECE", pieces)
    rows = write("rows_with_bad_line2.jsonl", lines(1) + "{broken\n" + lines(7))
    bad = write("bad_utf8.txt", b"Caf\xe9 society.\n")
    later = write("later.jsonl", lines(8, bad={7}))
    good = write("good.txt", "One.\n")
    result = runner.invoke(app, ["classify", rows, bad, later, good, rows, "--model", str(tiny_model.path),
                                 "-f", "jsonl", "--jobs", jobs])
    assert result.exit_code == 1
    hint = "(pass --skip-bad-rows to skip bad rows)"
    assert result.stderr == (
        f"factcomment: warning: {rows}: named more than once (as {rows}); read once\n"
        f"factcomment: error: {rows}:2: not valid JSON (Expecting property name enclosed in double quotes at "
        f"column 2) {hint}\n"
        f"factcomment: error: {bad}: not valid utf-8 at byte 3; pass --encoding with the file's encoding, "
        "or --errors replace\n"
        f"factcomment: error: {later}:7: not valid JSON (Expecting property name enclosed in double quotes at "
        f"column 2) {hint}\n"
        "factcomment: 3 problem(s) in 3 of 4 input(s); the rows after the bad row in 2 file(s) were not read "
        f"{hint}; everything else was processed\n")
    assert [(r["file"], r.get("id")) for r in map(json.loads, result.stdout.splitlines())] == (
        [(rows, 1)] + [(later, i) for i in range(1, 7)] + [(good, None)])


@pytest.mark.parametrize("quiet", [[], ["--quiet"]])
def test_jobs_beyond_the_usable_cores_are_lowered_with_a_warning(small_pieces, tiny_model, write, monkeypatch, quiet):
    from factcomment import parallel

    monkeypatch.setattr(parallel, "usable_cores", lambda: 1)
    monkeypatch.setattr(parallel.multiprocessing, "get_context", lambda *a: pytest.fail("workers were started"))
    path = write("rows.jsonl", lines(10))
    args = ["classify", path, "--model", str(tiny_model.path), "-f", "jsonl", *quiet]
    one, many = runner.invoke(app, args), runner.invoke(app, args + ["--jobs", "1000"])
    every = runner.invoke(app, args + ["--jobs", "0"])  # one per usable core: no warning, nothing lowered
    assert (one.exit_code, many.exit_code, every.exit_code, one.stderr, every.stderr) == (0, 0, 0, "", "")
    assert many.stdout == one.stdout == every.stdout
    assert many.stderr == ("" if quiet else "factcomment: warning: --jobs 1000: only 1 usable core(s) here; "
                                            "using --jobs 1\n")


def test_empty_jsonl_warns(tiny_model, write):
    path = write("empty.jsonl", "\n\n")
    result = runner.invoke(app, ["classify", path, "--model", str(tiny_model.path)])
    assert result.exit_code == 0 and result.stdout == ""
    assert result.stderr == f"factcomment: warning: {path}: no text in this input (empty or whitespace only)\n"


def test_mixed_documents_and_rows_keep_input_order(small_pieces, tiny_model, write, tmp_path):
    write("d/a.txt", "One.\nComment: Two.\nThree.\nFour.\n")
    write("d/b.jsonl", lines(5))
    write("d/c.tsv", "text\nFive.\nSix.\n")
    args = ["classify", str(tmp_path / "d"), "--glob", "*.*", "--model", str(tiny_model.path), "-f", "tsv"]
    one, two = runner.invoke(app, args), runner.invoke(app, args + ["--jobs", "2"])
    assert one.exit_code == two.exit_code == 0
    assert one.stdout == two.stdout
    files = [line.split("\t")[0].rsplit("/", 1)[-1] for line in one.stdout.splitlines()[1:]]
    assert files == ["a.txt"] * 4 + ["b.jsonl"] * 5 + ["c.tsv"] * 2


def test_jobs_2_in_a_real_process_is_quiet_and_identical(tiny_model, write):
    import subprocess
    import sys

    from factcomment.encoder import usable_cores

    if usable_cores() < 2:  # the subprocess sees the real cores, and would warn that it lowers --jobs 2
        pytest.skip("needs 2 usable cores")

    path = write("rows.jsonl", lines(6000))
    runs = [subprocess.run([sys.executable, "-m", "factcomment", "classify", path, "--model", str(tiny_model.path),
                            "--jobs", jobs], capture_output=True, text=True, timeout=120) for jobs in ("1", "2")]
    assert [r.returncode for r in runs] == [0, 0]
    assert runs[0].stdout == runs[1].stdout and runs[1].stderr == ""  # workers end without a word


def _killed(model, item):
    import os

    os._exit(9)  # as the kernel's out-of-memory killer would end a worker


def test_a_worker_killed_mid_run_is_a_one_line_error_and_no_output_file(small_pieces, tiny_model, write, tmp_path,
                                                                         monkeypatch):
    from factcomment import parallel

    monkeypatch.setattr(parallel, "_start_method", lambda: "fork")
    monkeypatch.setattr(batch, "render_piece", _killed)
    out = tmp_path / "labels.jsonl"
    result = runner.invoke(app, ["classify", write("rows.jsonl", lines(10)), "--model", str(tiny_model.path),
                                 "--jobs", "2", "-o", str(out)])
    assert result.exit_code == 2
    assert result.stderr == ("factcomment: error: a worker process died before finishing its work (killed, or out of "
                             "memory?); rerun with fewer jobs\n")
    assert not out.exists() and list(tmp_path.glob("labels*")) == []


def test_problems_found_ahead_of_a_worker_that_died_are_still_reported(small_pieces, tiny_model, write, tmp_path,
                                                                      monkeypatch):
    # Framing runs ahead of the workers' results: a run ended by a dead worker still lists, in input order,
    # the problems framing had found beyond the last result it received.
    from factcomment import parallel

    monkeypatch.setattr(parallel, "_start_method", lambda: "fork")
    monkeypatch.setattr(batch, "render_piece", _killed)
    missing = str(tmp_path / "missing.txt")
    result = runner.invoke(app, ["classify", write("rows.jsonl", lines(10)), missing, "--model",
                                 str(tiny_model.path), "--jobs", "2"])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"factcomment: error: {missing}: no such file or directory",
        "factcomment: error: a worker process died before finishing its work (killed, or out of memory?); "
        "rerun with fewer jobs"]


class _Discard:
    """An output stream that only counts what it is given."""

    def __init__(self):
        self.size = 0

    def write(self, text):
        self.size += len(text)


@pytest.mark.slow
@pytest.mark.parametrize("unit, fmt", [("paragraph", "jsonl"), ("paragraph", "csv"), ("paragraph", "tsv"),
                                       ("sentence", "jsonl")])
def test_a_document_that_is_one_huge_paragraph_is_held_about_once(tiny_model, write, unit, fmt):
    # Read, split, scored and written in pieces, the document is in memory as its text alone: not also as its
    # bytes, a paragraph slice, a normalised copy, an escaped copy or a row string (item 18 of issue #14).
    if sys.gettrace() is not None:
        pytest.skip("a tracer (coverage, a debugger) allocates as the code runs, and tracemalloc would count it")
    words = b"officials said the road would reopen, frankly. "
    data = words * (3_000_000 // len(words)) + b"\n"  # 3 MB, one line, one sentence
    path, size = write("huge.txt", data), len(data)
    job = batch.Job(InputOptions(unit=unit), None, 0, fmt, columns_for("classify", fmt))
    out, tally = _Discard(), Tally()
    tiny_model.scorer.p_comment(["warm up: tables built before measuring"])
    tracemalloc.start()
    try:
        writer = RowWriter(out, fmt, job.columns)
        for text in batch.classify_files([path], job, tiny_model, tally):
            writer.write_rendered(text)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert tally.units == 1 and out.size > size - 1
    # The text once, and working memory of a few pieces (64K characters each): no second copy of the text.
    assert peak < size + 1_500_000, peak
