"""``factcomment report`` and ``factcomment review`` through the CLI: options reach the page, exit codes, files."""
from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from factcomment.cli import app

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def docs(write, tmp_path):
    write("docs/a.txt", "Police said two men were arrested.\nI think it is a disgrace. Frankly, it is.\n"
                        "Comment: About time.")
    write("docs/b.txt", "The council said the road would reopen on Monday.")
    return tmp_path / "docs"


def test_report_writes_one_page_with_the_options_applied(docs, tmp_path, tiny_model):
    out = tmp_path / "report.html"
    result = run("report", docs, "-o", out, "--model", tiny_model.path, "--unit", "sentence", "--explain", "1",
                 "--threshold", "0.25", "-q")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "" and result.stderr == ""
    page = out.read_text(encoding="utf-8")
    assert "<title>factcomment report</title>" in page and "threshold 0.250" in page
    assert re.findall(r'id="(d\d-p\d-s\d)"', page) == ["d0-p0-s0", "d0-p1-s0", "d0-p1-s1", "d0-p2-s0", "d1-p0-s0"]
    assert page.count('data-source="marker"') == 1 and "About time." in page
    assert "<button" not in page  # the report has no review controls


def test_review_page_in_uncertain_order(docs, tmp_path, tiny_model):
    out = tmp_path / "review.html"
    result = run("review", docs, "-o", out, "--model", tiny_model.path, "--order", "uncertain", "-q")
    assert result.exit_code == 0, result.stderr
    page = out.read_text(encoding="utf-8")
    assert "<title>factcomment review</title>" in page and "<button" in page


def test_a_failed_input_is_listed_and_the_rest_is_written(docs, tmp_path, tiny_model):
    out = tmp_path / "report.html"
    result = run("report", docs, tmp_path / "missing.txt", "-o", out, "--model", tiny_model.path, "-q")
    assert result.exit_code == 1
    assert f"{tmp_path / 'missing.txt'}: no such file" in result.stderr
    page = out.read_text(encoding="utf-8")
    assert 'id="d1-p0"' in page and "missing.txt: no such file" in page


def test_a_rows_file_is_refused_by_name_and_the_documents_are_written(docs, write, tmp_path, tiny_model):
    rows = write("rows.jsonl", '{"text": "Frankly, a disgrace."}\n')
    out = tmp_path / "report.html"
    result = run("report", docs, rows, "-o", out, "--model", tiny_model.path, "-q")
    assert result.exit_code == 1
    assert result.stderr == (f"factcomment: error: {rows}: a jsonl file holds rows, not a document; the report shows "
                             "whole text documents: classify rows with factcomment classify\n"
                             "factcomment: 1 problem(s) in 1 of 3 input(s); everything else was processed\n")
    page = out.read_text(encoding="utf-8")
    assert 'id="d1-p0"' in page and "rows.jsonl: a jsonl file holds rows" in page


def test_an_existing_page_needs_force(docs, tmp_path, tiny_model):
    out = tmp_path / "report.html"
    out.write_text("old", encoding="utf-8")
    result = run("report", docs, "-o", out, "--model", tiny_model.path, "-q")
    assert result.exit_code == 2 and "already exists" in result.stderr and "--force" in result.stderr
    assert out.read_text(encoding="utf-8") == "old"
    assert run("report", docs, "-o", out, "--model", tiny_model.path, "-q", "--force").exit_code == 0
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


@pytest.mark.parametrize("args, message", [
    (["--order", "random"], "unknown order 'random'; use one of document, uncertain"),
    (["--marker", "("], "--marker"),
])
def test_bad_options_write_nothing(docs, tmp_path, tiny_model, args, message):
    out = tmp_path / "review.html"
    result = run("review", docs, "-o", out, "--model", tiny_model.path, "-q", *args)
    assert result.exit_code == 2 and message in result.stderr
    assert not out.exists()


def test_nothing_readable_writes_no_page(tmp_path, tiny_model):
    out = tmp_path / "report.html"
    result = run("report", tmp_path / "missing.txt", "-o", out, "--model", tiny_model.path, "-q")
    assert result.exit_code == 2 and not out.exists()
