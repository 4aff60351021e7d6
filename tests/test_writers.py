from __future__ import annotations

import errno
import io
import json
import os

import pytest
from hypothesis import given, settings, strategies as st

from factcomment.errors import OutputError, UsageError
from factcomment import writers
from factcomment.writers import RowWriter, choose_format, open_output

ROWS = [{"file": "a.txt", "paragraph": 0, "text": "Tab\there", "p_comment": 0.25},
        {"file": "a.txt", "paragraph": 1, "text": 'Quote "x", new\nline', "p_comment": None}]


def render(fmt, rows=ROWS, columns=("file", "paragraph", "p_comment", "text"), header=True):
    out = io.StringIO()
    writer = RowWriter(out, fmt, columns, header=header)
    for row in rows:
        writer.write(row)
    return out.getvalue()


def test_jsonl_leaves_out_missing_fields():
    assert render("jsonl") == (
        '{"file": "a.txt", "paragraph": 0, "p_comment": 0.25, "text": "Tab\\there"}\n'
        '{"file": "a.txt", "paragraph": 1, "text": "Quote \\"x\\", new\\nline"}\n')


def test_csv_quotes_and_keeps_blank_cells():
    assert render("csv") == ('file,paragraph,p_comment,text\na.txt,0,0.25,Tab\there\n'
                             'a.txt,1,,"Quote ""x"", new\nline"\n')


@pytest.mark.parametrize("long", [False, True])
def test_csv_quotes_a_field_holding_a_lone_carriage_return(monkeypatch, long):
    # The csv module quotes only the characters of its line terminator ("\n"): "a\rb" went out bare, and every
    # CSV reader ended the record at the "\r".
    import csv

    if long:
        monkeypatch.setattr(writers, "LONG", 2)
    rows = [{"file": "a\rb.txt", "paragraph": 0, "text": "Old\rMac"}, {"file": "a.txt", "paragraph": 1, "text": "CR\r"}]
    out = render("csv", rows, ("file", "paragraph", "text"))
    assert out == 'file,paragraph,text\n"a\rb.txt",0,"Old\rMac"\na.txt,1,"CR\r"\n'
    assert list(csv.reader(io.StringIO(out, newline=""))) == [
        ["file", "paragraph", "text"], ["a\rb.txt", "0", "Old\rMac"], ["a.txt", "1", "CR\r"]]


def test_tsv_escapes_tabs_and_newlines():
    assert render("tsv") == ('file\tparagraph\tp_comment\ttext\na.txt\t0\t0.25\tTab\\there\n'
                             'a.txt\t1\t\tQuote "x", new\\nline\n')


@pytest.mark.parametrize("fmt", ["csv", "tsv"])
def test_boolean_and_null_ids_are_spelled_as_in_json_lines(fmt):
    # An id is whatever the input row held; true/false read back as the JSON they came from.
    rows = [{"id": True, "text": "a"}, {"id": False, "text": "b"}, {"id": None, "text": "c"}, {"id": 7, "text": "d"}]
    sep = "," if fmt == "csv" else "\t"
    assert render(fmt, rows=rows, columns=("id", "text")).splitlines() == [
        f"id{sep}text", f"true{sep}a", f"false{sep}b", f"{sep}c", f"7{sep}d"]


def test_table_is_aligned_and_folds_whitespace():
    lines = render("table").splitlines()
    assert lines[0].split() == ["file", "paragraph", "p_comment", "text"]
    assert lines[2].split() == ["a.txt", "0", "0.250", "Tab", "here"]


def test_table_aligns_and_cuts_by_terminal_columns_not_characters():
    # A wide (CJK) character takes two columns and a combining accent none: counted as one each, the columns
    # after them were shifted, and a cut text overran its column.
    columns, widths = ("file", "paragraph", "text"), [10, 9, 9]
    assert [writers._table_line(cells, widths, columns) for cells in (
        ["日本.txt", "0", "中文" * 30], ["cafe\u0301.txt", "1", "ok"], ["长长长长长长.txt", "2", "ok"])] == [
        "日本.txt    0          中文中文…", "cafe\u0301.txt    1          ok", "…长长.txt   2          ok"]


def test_table_shows_control_characters_escaped():
    # A terminal obeys them: ESC [ 2 J would clear the screen, and a cut escape sequence garbles what follows.
    rows = [{"file": "a\x1b.txt", "paragraph": 0, "text": "Red \x1b[31mtext\x1b[0m, bell\x07 del\x7f csi\x9b."}]
    assert render("table", rows=rows).splitlines()[2].split() == [
        "a\\x1b.txt", "0", "Red", "\\x1b[31mtext\\x1b[0m,", "bell\\x07", "del\\x7f", "csi\\x9b."]


def test_no_rows_no_header():
    assert render("csv", rows=[]) == ""


def test_choose_format_defaults_by_terminal():
    class Tty(io.StringIO):
        def isatty(self):
            return True

    assert choose_format(None, io.StringIO()) == "jsonl"
    assert choose_format(None, Tty()) == "table"
    with pytest.raises(UsageError, match="unknown format 'xml'"):
        choose_format("xml", io.StringIO())


def test_choose_format_follows_the_output_files_suffix_unless_a_format_is_asked_for():
    assert [choose_format(None, io.StringIO(), name) for name in ("o.csv", "o.TSV", "o.ndjson", "o.txt", "o")] == [
        "csv", "tsv", "jsonl", "jsonl", "jsonl"]
    assert choose_format("jsonl", io.StringIO(), "o.csv") == "jsonl"


def test_choose_format_writes_json_lines_to_a_stream_that_cannot_say_whether_it_is_a_terminal():
    closed = io.StringIO()
    closed.close()  # isatty() raises ValueError
    assert choose_format(None, closed) == "jsonl"
    assert choose_format(None, object()) == "jsonl"  # no isatty at all


def test_open_output_commits_atomically(tmp_path):
    target = tmp_path / "out.jsonl"
    with open_output(str(target)) as stream:
        stream.write("one\n")
        assert not target.exists()
    assert target.read_text() == "one\n"
    assert os.listdir(tmp_path) == ["out.jsonl"]


def test_open_output_commits_a_name_as_long_as_the_file_system_allows(tmp_path):
    # The temporary name adds about 25 bytes to the target's: a name of 230 to 255 bytes could not be written.
    target = tmp_path / ("é" * 124 + ".jsonl")  # 254 bytes
    with open_output(str(target)) as stream:
        stream.write("row\n")
    assert target.read_text() == "row\n" and os.listdir(tmp_path) == [target.name]


def test_open_output_interrupted_leaves_nothing(tmp_path):
    target = tmp_path / "out.jsonl"
    with pytest.raises(KeyboardInterrupt):
        with open_output(str(target)) as stream:
            stream.write("partial")
            raise KeyboardInterrupt
    assert os.listdir(tmp_path) == []


def test_open_output_refuses_to_overwrite_without_force(tmp_path):
    target = tmp_path / "out.jsonl"
    target.write_text("keep")
    with pytest.raises(OutputError, match="already exists; pass --force"):
        with open_output(str(target)):
            pass
    with open_output(str(target), force=True) as stream:
        stream.write("new")
    assert target.read_text() == "new"


def test_output_gets_the_usual_file_mode(tmp_path):
    target = tmp_path / "out.html"
    old = os.umask(0o022)
    try:
        with open_output(str(target)) as stream:
            stream.write("x")
    finally:
        os.umask(old)
    assert target.stat().st_mode & 0o777 == 0o644


def test_a_replaced_output_keeps_its_mode(tmp_path):
    # A file kept private (0600) became readable by all (0644) when --force replaced it; `>` keeps the mode.
    target = tmp_path / "private.jsonl"
    target.write_text("old\n")
    target.chmod(0o600)
    link = tmp_path / "link.jsonl"
    link.symlink_to(target)
    old = os.umask(0o022)
    try:
        for path in (target, link):
            with open_output(str(path), force=True) as stream:
                stream.write("new\n")
            assert (target.stat().st_mode & 0o777, target.read_text()) == (0o600, "new\n")
    finally:
        os.umask(old)


_JSON_VALUES = st.none() | st.booleans() | st.integers() | st.floats() | st.text() | st.lists(st.integers(), max_size=3)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=8), _JSON_VALUES, max_size=8))
def test_json_rows_are_spelled_exactly_as_json_dumps_would(row):
    from factcomment.writers import _json_row, _json_keys

    kept = {key: value for key, value in row.items() if value is not None}
    assert _json_row(row, _json_keys(list(row))) == json.dumps(kept, ensure_ascii=False)


@pytest.mark.parametrize("force", [False, True])
def test_open_output_writes_into_a_named_pipe_instead_of_replacing_it(tmp_path, force):
    import stat
    import threading

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()), daemon=True)
    reader.start()
    with open_output(str(fifo), force=force) as stream:
        stream.write("row\n")
    reader.join(10)
    assert received == ["row\n"]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert sorted(os.listdir(tmp_path)) == ["fifo"]


def test_open_output_writes_into_a_device():
    with open_output("/dev/null") as stream:
        stream.write("discarded\n")
    assert os.path.exists("/dev/null") and not os.path.isfile("/dev/null")


@pytest.mark.skipif(not os.path.isdir("/dev/shm"), reason="needs /dev/shm")
def test_a_file_in_dev_shm_is_a_file_like_any_other():
    # /dev/shm holds ordinary files: as a path under /dev, one was written into, replaced without --force,
    # and emptied by a run that failed.
    import tempfile

    handle, path = tempfile.mkstemp(dir="/dev/shm", suffix=".jsonl")
    os.write(handle, b"kept\n")
    os.close(handle)
    try:
        with pytest.raises(OutputError, match="already exists; pass --force"):
            with open_output(path):
                pass
        with pytest.raises(RuntimeError), open_output(path, force=True) as stream:
            stream.write("half")
            raise RuntimeError
        with open(path) as kept:
            assert kept.read() == "kept\n"
    finally:
        os.unlink(path)


@pytest.mark.skipif(not os.path.isdir("/dev/fd"), reason="needs /dev/fd")
def test_open_output_writes_into_an_open_regular_file_by_its_descriptor(tmp_path):
    target = tmp_path / "redirected.jsonl"
    with open(target, "w") as held:
        with open_output(f"/dev/fd/{held.fileno()}") as stream:
            stream.write("row\n")
    assert target.read_text() == "row\n" and os.listdir(tmp_path) == ["redirected.jsonl"]


def test_open_output_replaces_a_symlinks_target_not_the_link(tmp_path):
    real = tmp_path / "real.jsonl"
    real.write_text("old\n")
    link = tmp_path / "link.jsonl"
    link.symlink_to(real.name)
    with open_output(str(link), force=True) as stream:
        stream.write("new\n")
    assert link.is_symlink() and os.readlink(link) == "real.jsonl"
    assert real.read_text() == "new\n"
    assert sorted(os.listdir(tmp_path)) == ["link.jsonl", "real.jsonl"]


@pytest.mark.parametrize("force", [False, True])
def test_open_output_refuses_an_input(tmp_path, force):
    source = tmp_path / "in.txt"
    source.write_text("text\n")
    with pytest.raises(OutputError, match="in.txt: is also an input; write the output to another file"):
        with open_output(str(source), force=force, inputs=[str(tmp_path / "." / "in.txt")]):
            pass
    assert source.read_text() == "text\n"


def test_a_standard_output_appended_to_an_input_is_refused(tmp_path, monkeypatch):
    # `classify in.jsonl >> in.jsonl` read its own rows back as they were written: it ran until the disk was full.
    source = tmp_path / "in.jsonl"
    source.write_text('{"text": "One."}\n')
    with open(source, "a") as appended:
        monkeypatch.setattr("sys.stdout", appended)
        with pytest.raises(OutputError, match=r"^standard output: is also an input \(as .*in\.jsonl\); write the "
                                              r"output to another file$"):
            with open_output(None, inputs=[str(tmp_path)], pattern="*.jsonl"):
                pass
    with open(source) as piped, open(source, "a") as appended:  # `- < in.jsonl >> in.jsonl`: the same loop
        monkeypatch.setattr("sys.stdin", piped)
        monkeypatch.setattr("sys.stdout", appended)
        with pytest.raises(OutputError, match=r"^standard output: is also an input \(as standard input\); write "
                                              r"the output to another file$"):
            with open_output(None, inputs=["-"]):
                pass
    with open(tmp_path / "other.txt", "a") as other:  # a file that is no input is written to, as before
        monkeypatch.setattr("sys.stdout", other)
        with open_output("-", inputs=[str(source)]) as stream:
            assert stream is other


@pytest.mark.parametrize("link, named", [(os.link, "file"), (os.link, "folder"), (os.symlink, "file")])
def test_open_output_refuses_another_name_for_an_input(tmp_path, link, named):
    # The same file (device and inode) under another name is an input too, also when it is found in a folder.
    # (A symlink into an input folder makes the file it points to the output, which the folder search skips.)
    source = tmp_path / "in" / "a.txt"
    source.parent.mkdir()
    source.write_text("text\n")
    out = tmp_path / "out.txt"
    link(source, out)
    inputs = [str(source) if named == "file" else str(source.parent)]
    with pytest.raises(OutputError, match=f"^{out}: is also an input \\(as {source}\\); write the output to "
                                          "another file$"):
        with open_output(str(out), force=True, inputs=inputs):
            pass
    assert source.read_text() == "text\n" and sorted(os.listdir(tmp_path)) == ["in", "out.txt"]


def test_open_output_searches_input_folders_for_the_pattern_only(tmp_path):
    source = tmp_path / "in" / "a.jsonl"
    source.parent.mkdir()
    source.write_text("{}\n")
    out = tmp_path / "out.jsonl"
    os.link(source, out)
    with pytest.raises(OutputError, match=f"^{out}: is also an input \\(as {source}\\)"):
        with open_output(str(out), force=True, inputs=[str(source.parent)], pattern="*.jsonl"):
            pass
    with open_output(str(out), force=True, inputs=[str(source.parent)]) as stream:  # *.txt: a.jsonl is not read
        stream.write("new\n")
    assert (source.read_text(), out.read_text()) == ("{}\n", "new\n")


@pytest.mark.parametrize("name", ["in.txt/", "new/"])
def test_open_output_refuses_a_name_ending_in_a_slash(tmp_path, name):
    # pathlib drops the slash: "in.txt/" passed the input check (samefile fails on it) and --force replaced
    # in.txt; "new/" made a file called new.
    source = tmp_path / "in.txt"
    source.write_text("text\n")
    target = f"{tmp_path}/{name}"  # not tmp_path / name, which drops the slash too
    with pytest.raises(OutputError, match=f"^{target}: names a directory; give a file name for --output$"):
        with open_output(target, force=True, inputs=[str(source)]):
            pass
    assert (source.read_text(), sorted(os.listdir(tmp_path))) == ("text\n", ["in.txt"])


def test_open_output_names_the_option_and_refuses_an_empty_name(tmp_path):
    with pytest.raises(OutputError, match=f"^{tmp_path}: is a directory; give a file name for --plot$"):
        with open_output(str(tmp_path), option="--plot"):
            pass
    with pytest.raises(OutputError, match="^--output is empty; give a file name, or - for standard output$"):
        with open_output(""):
            pass
    assert os.listdir(tmp_path) == []


def test_open_output_does_not_replace_a_file_created_while_it_ran(tmp_path):
    # Two runs started together: both found no file; the one that commits second must not replace the first.
    target = tmp_path / "out.jsonl"
    with pytest.raises(OutputError, match="already exists \\(another run created it meanwhile\\); pass --force"):
        with open_output(str(target)) as stream:
            stream.write("second\n")
            target.write_text("first\n")
    assert target.read_text() == "first\n"
    assert os.listdir(tmp_path) == ["out.jsonl"]


def test_open_output_removes_temporaries_of_dead_runs_only(tmp_path):
    dead = _dead_pid()
    stale = tmp_path / f".out.jsonl.fc{dead}-abc.part"
    live = tmp_path / f".out.jsonl.fc{os.getppid()}-abc.part"
    stale.write_text("x")
    live.write_text("x")
    with open_output(str(tmp_path / "out.jsonl")) as stream:
        stream.write("row\n")
    assert sorted(os.listdir(tmp_path)) == [live.name, "out.jsonl"]


def _dead_pid() -> int:
    import subprocess

    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_open_output_on_a_full_disk_is_an_output_error_and_leaves_nothing(tmp_path):
    import errno

    with pytest.raises(OutputError, match=r"out.jsonl: cannot write \(No space left on device\); free some space"):
        with open_output(str(tmp_path / "out.jsonl")) as stream:
            stream.write("row\n")
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("code, hint", [(errno.ENOSPC, "free some space or write elsewhere"),
                                         (errno.EIO, "write elsewhere"), (errno.EROFS, "write elsewhere")])
def test_a_failed_write_suggests_room_only_when_room_ran_out(tmp_path, code, hint):
    with pytest.raises(OutputError) as caught:
        with open_output(str(tmp_path / "out.jsonl")) as stream:
            stream.write("row\n")
            raise OSError(code, os.strerror(code))
    assert str(caught.value) == f"{tmp_path / 'out.jsonl'}: cannot write ({os.strerror(code)}); {hint}"


# Every character some format escapes or quotes, and a few that none does.
_SPECIAL = 'Quote "x", tab\t new\nline\r\n back\\slash \x00\x1f é “curly” \u2028 \ud800 '
LONG_COLUMNS = [("file", "paragraph", "p_comment", "text"), ("text", "file"), ("file", "text", "explanation")]


def _first_difference(a, b):
    """None, or where two long strings part (pytest would spend minutes spelling out their difference)."""
    if a == b:
        return None
    at = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    return at, a[max(0, at - 20):at + 20], b[max(0, at - 20):at + 20]


def _long_row(text):
    return {"file": "a,\"b\".txt", "paragraph": 3, "p_comment": None, "text": text,
            "explanation": {"comment": [["x", 0.5]]}}


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "tsv", "table"])
@pytest.mark.parametrize("columns", LONG_COLUMNS)
@pytest.mark.parametrize("special", [_SPECIAL, _SPECIAL.replace('"', "'"), "plain words "])
def test_a_text_just_above_the_long_threshold_is_written_as_a_short_one_is(fmt, columns, special, monkeypatch):
    text = (special * (writers.LONG // len(special) + 2))[:writers.LONG + 1]
    rows = [_long_row(text), _long_row("short")]
    chunked = render(fmt, rows, columns)
    # Rendered in one place (a worker) and written in another, the long text travels as itself.
    rendered = writers.RenderedRows()
    for row in rows:
        RowWriter(rendered, fmt, columns, header=False).write(row)
    parts = rendered.value()
    monkeypatch.setattr(writers, "LONG", 10**9)
    plain = render(fmt, rows, columns)
    assert _first_difference(chunked, plain) is None
    assert _first_difference("".join(writers.rendered_pieces(parts)), render(fmt, rows, columns, header=False)) is None
    if fmt != "table":
        assert [p.text is text for p in parts if isinstance(p, writers.LongText)] == [True]


@settings(max_examples=200, deadline=None)
@given(st.text(st.sampled_from(',"\n\r\t\\ a\x00é\ud800'), min_size=2, max_size=12) | st.text(min_size=2, max_size=12),
       st.integers(1, 5), st.sampled_from(["jsonl", "csv", "tsv", "table"]),
       st.sampled_from(LONG_COLUMNS))
def test_long_texts_are_written_in_pieces_byte_for_byte(text, long, fmt, columns):
    row = _long_row(text)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(writers, "LONG", long)
        chunked = render(fmt, [row], columns)
    assert chunked == render(fmt, [row], columns)
