from __future__ import annotations

import codecs
import io
import os

import pytest
from hypothesis import given, settings, strategies as st

from factcomment import readers
from factcomment.errors import InputError, UsageError
from factcomment.readers import InputOptions, Tally, decode, iter_units
from factcomment.segment import WHITESPACE


def read(paths, **options):
    tally = Tally()
    units = list(iter_units(paths, InputOptions(**options), tally))
    return units, tally


def test_an_empty_path_is_a_failed_input_not_the_working_directory(write, tmp_path, monkeypatch):
    # Path("") is ".": `classify "$FILE"` with FILE unset read every *.txt below the working directory.
    write("sub/other.txt", "Police said so.\n")
    path = write("a.txt", "Frankly, awful.\n")
    monkeypatch.chdir(tmp_path)
    units, tally = read(["", path])
    assert [u.file for u in units] == [path]
    assert [str(e) for e in tally.errors] == [
        "an empty path; give a file, a directory (. for this one) or - for standard input"]


def test_a_path_that_cannot_be_looked_at_is_a_failed_input(write):
    # Path.is_dir raises for a name too long (or below a folder that may not be searched): the run ended as an
    # internal error, and the other inputs were lost.
    path = write("a.txt", "Police said so.\n")
    long = os.path.join(os.path.dirname(path), "x" * 300)
    units, tally = read([long, path])
    assert [u.text for u in units] == ["Police said so."]
    assert [str(e) for e in tally.errors] == [f"{long}: cannot read (File name too long); check the path and "
                                              "permissions"]


def test_text_document_paragraphs_and_asides(write):
    path = write("a.txt", "Police said he was charged.\nComment: About time.\n")
    units, tally = read([path])
    assert [(u.text, u.label, u.segment.paragraph) for u in units] == [
        ("Police said he was charged.", "report", 0), ("About time.", "comment", 1)]
    assert tally.errors == [] and tally.files == 1 and tally.units == 2


def test_directory_is_searched_recursively_in_sorted_order(write, tmp_path):
    write("d/b.txt", "B.")
    write("d/sub/a.txt", "A.")
    write("d/skip.md", "not a txt")
    units, _ = read([str(tmp_path / "d")])
    assert [u.text for u in units] == ["B.", "A."]


def test_jsonl_rows_keep_id_with_its_json_type_and_line(write):
    path = write("r.jsonl", '{"id": 7, "text": "One."}\n\n{"id": "x", "text": "Two."}\n{"id": 2.5, "text": "3."}\n'
                            '{"id": [1, "a"], "text": "4."}\n')
    units, _ = read([path])
    assert [(u.id, u.line, u.text) for u in units] == [(7, 1, "One."), ("x", 3, "Two."), (2.5, 4, "3."),
                                                       ('[1, "a"]', 5, "4.")]


@pytest.mark.parametrize("ident, shown", [("NaN", "nan"), ("-Infinity", "-inf"), ("1e400", "inf")])
def test_jsonl_id_that_is_no_finite_number_is_a_bad_row(write, ident, shown):
    # Written back, such an id would be NaN or Infinity: a line JSON readers refuse.
    path = write("r.jsonl", f'{{"id": {ident}, "text": "One."}}\n{{"id": 1e300, "text": "Two."}}\n')
    units, tally = read([path], skip_bad_rows=True)
    assert [(u.id, u.text) for u in units] == [(1e300, "Two.")]
    assert [str(e) for e in tally.errors] == [
        f"{path}:1: id {shown} is not a finite number, which JSON cannot carry; write the id as a string"]


def test_jsonl_bad_line_fails_the_file_naming_the_line(write):
    path = write("r.jsonl", '{"text": "One."}\n{"text": oops}\n{"text": "Three."}\n')
    units, tally = read([path])
    assert [u.text for u in units] == ["One."]
    assert len(tally.errors) == 1
    assert str(tally.errors[0]).startswith(f"{path}:2: not valid JSON")
    assert "--skip-bad-rows" in str(tally.errors[0])


@pytest.mark.parametrize("line, detail", [('{"text": "a\tb"}', "Invalid control character at column 12"),
                                          ('{"text": oops}', "Expecting value at column 10"),
                                          ('{"text": "x"', "Expecting ',' delimiter at column 14")])
def test_jsonl_bad_row_message_is_whole(write, line, detail):
    path = write("r.jsonl", line + "\n")
    _, tally = read([path])
    assert [str(e) for e in tally.errors] == [f"{path}:1: not valid JSON ({detail}) (pass --skip-bad-rows to skip "
                                              "bad rows)"]


def test_jsonl_row_nested_too_deeply_is_a_bad_row(write):
    # json.loads raises RecursionError, not ValueError: it ended the whole run as an internal error.
    path = write("r.jsonl", '{"text": "One.", "id": ' + "[" * 100_000 + "]" * 100_000 + '}\n{"text": "Two."}\n')
    units, tally = read([path], skip_bad_rows=True)
    assert [u.text for u in units] == ["Two."]
    assert [str(e) for e in tally.errors] == [f"{path}:1: JSON nested too deeply to read"]


@pytest.mark.parametrize("content", [b"\xef\xbb\xbf", b"\xef\xbb\xbf\n\n", b"\xef\xbb\xbf \n{\"text\": \"One.\"}\n"])
def test_jsonl_a_bom_on_a_blank_first_line_is_blank(write, content):
    # Blank lines were found before decoding, so the BOM's line (all an editor writes for an empty file) was
    # "not valid JSON".
    path = write("r.jsonl", content)
    units, tally = read([path])
    assert tally.errors == [] and [u.text for u in units] == (["One."] if b"One" in content else [])


def test_jsonl_skip_bad_rows_goes_on(write):
    path = write("r.jsonl", '{"text": "One."}\n[1]\n{"text": "Three."}\n')
    units, tally = read([path], skip_bad_rows=True)
    assert [u.text for u in units] == ["One.", "Three."]
    assert [str(e) for e in tally.errors] == [f"{path}:2: expected a JSON object with a text field"]


def test_jsonl_a_key_read_twice_is_a_bad_row(write):
    # json keeps the last value of a repeated key: {"text": "a", "text": "b"} was read as "b" without a word.
    path = write("r.jsonl", '{"text": "One."}\n{"text": "a", "text": "b"}\n{"text": "Three."}\n')
    units, tally = read([path])
    assert [u.text for u in units] == ["One."]
    assert [(str(e), e.stopped) for e in tally.errors] == [
        (f"{path}:2: key 'text' appears 2 times in the object; remove all but one (pass --skip-bad-rows to skip "
         "bad rows)", True)]
    units, tally = read([path], skip_bad_rows=True)
    assert [u.text for u in units] == ["One.", "Three."]
    assert [(str(e), e.skipped_row) for e in tally.errors] == [
        (f"{path}:2: key 'text' appears 2 times in the object; remove all but one", True)]


@pytest.mark.parametrize("row, options, message", [
    ('{"id": 1, "id": 2, "text": "x"}', {}, "key 'id' appears 2 times"),
    ('{"text": "x", "label": "OBJ", "label": "SUBJ", "label": "OBJ"}', {}, "key 'label' appears 3 times"),
    ('{"text": "x", "reviewed": false, "reviewed": true}', {}, "key 'reviewed' appears 2 times"),
    ('{"body": "x", "body": "y", "text": "z"}', {"text_column": "body"}, "key 'body' appears 2 times"),
    # Keys factcomment does not read may repeat, at the top or inside a value.
    ('{"text": "x", "note": 1, "note": 2}', {}, None),
    ('{"text": "x", "sentence": "a", "sentence": "b"}', {}, None),  # "text" is read, "sentence" is not
    ('{"text": "x", "text": "y", "body": "z"}', {"text_column": "body"}, None),
    ('{"text": "x", "id": {"a": 1, "a": 2}}', {}, None),
])
def test_jsonl_only_repeated_keys_that_are_read_matter(write, row, options, message):
    path = write("r.jsonl", row + "\n")
    units, tally = read([path], skip_bad_rows=True, **options)
    assert [str(e) for e in tally.errors] == ([] if message is None else [f"{path}:1: {message} in the object; "
                                                                          "remove all but one"])
    assert len(units) == (message is None)


def test_jsonl_a_bom_inside_the_file_is_still_named(write):
    path = write("r.jsonl", '{"text": "One."}\n\ufeff{"text": "Two."}\n')
    units, tally = read([path], skip_bad_rows=True)
    assert [u.text for u in units] == ["One."]
    assert [str(e) for e in tally.errors] == [
        f"{path}:2: not valid JSON (Unexpected UTF-8 BOM (decode using utf-8-sig) at column 1)"]


@pytest.mark.parametrize("content, message", [
    (b'{"text": "Caf\xe9."}\n{"text": "Fine."}\n', "1: not valid utf-8 at byte 13; pass --encoding with the file's "
                                                   "encoding, or --errors replace"),
    (b'{"text": "Fine."}\n{"text": "Caf\xe9."}\n', "2: not valid utf-8 at byte 31; pass --encoding with the file's "
                                                   "encoding, or --errors replace"),
    (b'{"text": "N\x00L."}\n{"text": "Fine."}\n', "1: binary data (NUL byte at byte 11); factcomment reads text files"),
])
def test_jsonl_undecodable_row_names_its_line(write, content, message):
    path = write("r.jsonl", content)
    units, tally = read([path], skip_bad_rows=True)
    assert ([u.text for u in units], [str(e) for e in tally.errors]) == (["Fine."], [f"{path}:{message}"])


def test_csv_with_columns_named(write):
    path = write("r.csv", 'key,body\n1,"Hello, world."\n2,"Line\nbreak"\n')
    units, _ = read([path], text_column="body", id_column="key")
    assert [(u.id, u.text) for u in units] == [("1", "Hello, world."), ("2", "Line\nbreak")]


def test_csv_missing_text_column_fails_the_file_once(write):
    path = write("r.csv", "a,b\n1,2\n3,4\n")
    units, tally = read([path], skip_bad_rows=True)
    assert units == []
    assert [str(e) for e in tally.errors] == [
        f"{path}:1: no text column 'text' or 'sentence' (columns: a, b); pass --text-column"]


def test_an_empty_column_name_is_named_as_given(write):
    # --text-column '' was reported as the defaults 'text' or 'sentence', which the file has.
    path = write("r.csv", "id,text\n1,Hello.\n")
    units, tally = read([path], text_column="")
    assert (units, [str(e) for e in tally.errors]) == (
        [], [f"{path}:1: no text column '' (columns: id, text); pass --text-column"])


@pytest.mark.parametrize("suffix, content", [("csv", "body\nHello.\n"), ("jsonl", '{"body": "Hello."}\n')])
def test_id_and_label_columns_are_optional_unless_named(write, suffix, content):
    path = write(f"r.{suffix}", content)
    units, tally = read([path], text_column="body")
    assert [(u.text, u.id, u.label) for u in units] == [("Hello.", None, None)] and not tally.errors
    for option, what in (("id_column", "id"), ("label_column", "label")):
        units, tally = read([path], text_column="body", skip_bad_rows=True, **{option: "tag"})
        assert units == []
        assert [str(e) for e in tally.errors] == [
            f"{path}:1: no {what} column 'tag' (columns: body); pass --{what}-column"]  # the header, or row 1


def test_tsv_reads_unquoted_fields_like_checkthat(write):
    path = write("r.tsv", 'sentence_id\tsentence\tlabel\nab-1\tHe said "no" twice.\tOBJ\n')
    units, _ = read([path])
    assert [(u.id, u.text, u.label) for u in units] == [("ab-1", 'He said "no" twice.', "OBJ")]


def test_label_map_rejects_unknown_labels(write):
    path = write("r.tsv", "text\tlabel\nFine.\tOBJ\nOdd.\tMAYBE\n")
    units, tally = read([path], label_map={"obj": "report"})
    assert [u.label for u in units] == ["report"]
    assert "unknown label 'MAYBE'" in str(tally.errors[0]) and f"{path}:3" in str(tally.errors[0])


def test_a_missing_or_blank_label_is_not_sent_to_the_label_map(write):
    # It said "unknown label None ... map it with --label-map RAW=report": no --label-map can name these.
    path = write("r.jsonl", '{"text": "A", "label": null}\n{"text": "B", "label": "  "}\n{"text": "C", "label": "OBJ"}\n')
    units, tally = read([path], label_map={"obj": "report"}, skip_bad_rows=True)
    assert [u.text for u in units] == ["C"]
    assert [str(e) for e in tally.errors] == [
        f"{path}:1: no label (null); give the row a label of report or comment, or leave the row out",
        f"{path}:2: no label ('  '); give the row a label of report or comment, or leave the row out"]


@pytest.mark.parametrize("suffix, content", [("csv", "id,text\n1,Fine.\n"), ("jsonl", '{"id": 1, "text": "Fine."}\n')])
def test_labelled_reading_needs_a_label_column(write, suffix, content):
    # It was each row's "unknown label None (known: ...)", which hid what was missing.
    path = write(f"r.{suffix}", content)
    units, tally = read([path], label_map={"obj": "report"}, skip_bad_rows=True)
    assert units == []
    assert [str(e) for e in tally.errors] == [
        f"{path}:1: no label column 'label' or 'kind' (columns: id, text); pass --label-column"]


def test_a_column_named_twice_in_the_header_fails_the_file_when_it_is_read(write):
    # csv rows map a name to its last value: "A" was dropped without a word.
    path = write("r.csv", "text,text\nA,B\n")
    units, tally = read([path], skip_bad_rows=True)
    assert units == []
    assert [str(e) for e in tally.errors] == [f"{path}:1: column 'text' appears 2 times in the header; "
                                              "rename all but one"]
    labels = write("l.tsv", "text\tlabel\tlabel\nA\tOBJ\tSUBJ\n")
    units, tally = read([labels])  # classify reads no label: the doubled one does not matter
    assert [u.text for u in units] == ["A"] and not tally.errors
    units, tally = read([labels], label_map={"obj": "report", "subj": "comment"})
    assert units == [] and [str(e) for e in tally.errors] == [
        f"{labels}:1: column 'label' appears 2 times in the header; rename all but one"]


@pytest.mark.parametrize("content, message", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary data (NUL byte at byte 8)"),
    (b"caf\xc3\xa9 ok, then \xff bad", "not valid utf-8 at byte 15"),
])
def test_bad_bytes_name_the_file_and_byte(write, content, message):
    path = write("bad.txt", content)
    units, tally = read([path])
    assert units == []
    assert str(tally.errors[0]).startswith(f"{path}: {message}")


def test_errors_replace_keeps_going(write):
    path = write("bad.txt", b"caf\xff ok.")
    units, tally = read([path], errors="replace")
    assert [u.text for u in units] == ["caf\ufffd ok."] and tally.errors == []


@pytest.mark.parametrize("bom, codec", [(codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                                        (codecs.BOM_UTF16_BE, "utf-16-be")])
def test_boms_pick_the_encoding(write, bom, codec):
    path = write("b.txt", bom + "Hello.\r\nComment: Hi.".encode(codec))
    units, _ = read([path])
    assert [(u.text, u.label) for u in units] == [("Hello.", "report"), ("Hi.", "comment")]


def test_empty_and_whitespace_files_warn_but_do_not_fail(write):
    empty, blank = write("e.txt", ""), write("w.txt", " \n\t\n")
    units, tally = read([empty, blank])
    assert units == [] and tally.errors == []
    assert tally.warnings == [f"{empty}: no text in this input (empty or whitespace only)",
                              f"{blank}: no text in this input (empty or whitespace only)"]


def test_missing_and_good_inputs(write, tmp_path):
    good = write("g.txt", "Fine.")
    units, tally = read([str(tmp_path / "nope.txt"), good])
    assert [u.text for u in units] == ["Fine."]
    assert [str(e) for e in tally.errors] == [f"{tmp_path / 'nope.txt'}: no such file or directory"]
    assert tally.files == 2 and tally.failed_files == {str(tmp_path / "nope.txt")}


def test_documents_come_whole_and_a_bad_one_is_reported_by_name(write, tmp_path):
    good = write("g.txt", "One.\n\nComment: Two.\n")
    bad = write("bad.txt", b"\xff\xfe\x00broken")
    tally = Tally()
    documents = list(readers.iter_documents([good, str(tmp_path / "nope.txt"), bad], InputOptions(), tally))
    assert documents == [(good, "One.\n\nComment: Two.\n")]
    assert tally.files == 3 and tally.failed_files == {str(tmp_path / "nope.txt"), bad}
    assert [e.file for e in tally.errors] == [str(tmp_path / "nope.txt"), bad]


def test_documents_refuse_a_rows_file_unless_asked_to_read_it_as_text(write):
    good, rows = write("g.txt", "One."), write("rows.jsonl", '{"text": "One."}\n')
    tally = Tally()
    assert list(readers.iter_documents([rows, good], InputOptions(), tally)) == [(good, "One.")]
    assert [str(e) for e in tally.errors] == [
        f"{rows}: a jsonl file holds rows, not a document; the report shows whole text documents: "
        "classify rows with factcomment classify"]
    assert tally.failed_files == {rows}
    as_text = list(readers.iter_documents([rows], InputOptions(input_format="text"), Tally()))
    assert as_text == [(rows, '{"text": "One."}\n')]


def test_unreadable_file_is_reported(write, tmp_path):
    import os

    path = write("locked.txt", "Secret.")
    os.chmod(path, 0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("running as a user who can read anything (root)")
        units, tally = read([path])
        assert units == [] and "cannot read" in str(tally.errors[0])
    finally:
        os.chmod(path, 0o644)


def test_decode_utf16_without_bom_needs_the_encoding():
    data = "Hi.".encode("utf-16-le")
    with pytest.raises(InputError, match="binary data"):
        decode(data, "x.txt")
    assert decode(data, "x.txt", encoding="utf-16-le") == "Hi."


@pytest.mark.parametrize("options, message", [
    (dict(input_format="xml"), "unknown input format 'xml'"),
    (dict(errors="ignore"), "unknown --errors 'ignore'"),
    (dict(encoding="klingon"), "unknown encoding 'klingon'"),
    (dict(encoding="rot13"), "unknown encoding 'rot13'; try utf-8"),  # a codec, but not bytes to text: it crashed
    (dict(encoding="base64"), "unknown encoding 'base64'; try utf-8"),
])
def test_bad_options_are_usage_errors(options, message):
    with pytest.raises(UsageError, match=message):
        InputOptions(**options)


def test_permission_error_is_reported_even_as_root(write, monkeypatch):
    import builtins

    path = write("locked.txt", "Secret.")
    real_open = builtins.open

    def deny(file, *args, **kwargs):
        if str(file) == path:
            raise PermissionError(13, "Permission denied", path)
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", deny)
    good = write("ok.txt", "Fine.")
    units, tally = read([path, good])
    assert [u.text for u in units] == ["Fine."]
    assert [str(e) for e in tally.errors] == [f"{path}: cannot read (Permission denied); check the path and permissions"]


def test_short_rows_are_padded_long_rows_are_bad(write):
    path = write("r.tsv", "id\ttext\tlabel\textra\n1\tShort row.\tOBJ\n2\tFull row.\tSUBJ\tTrue\n3\tLong.\tOBJ\tx\ty\n")
    units, tally = read([path], skip_bad_rows=True)
    assert [(u.id, u.label) for u in units] == [("1", "OBJ"), ("2", "SUBJ")]
    assert [str(e) for e in tally.errors] == [f"{path}:4: 5 fields where the header has 4"]


def test_row_without_its_text_is_bad(write):
    path = write("r.tsv", "id\tlabel\ttext\n1\tOBJ\n")
    units, tally = read([path], skip_bad_rows=True)
    assert units == [] and str(tally.errors[0]) == f"{path}:2: no value in column 'text'"


@pytest.mark.parametrize("skip", [False, True])
def test_csv_unterminated_quote_is_reported_where_the_field_began(write, skip):
    path = write("r.csv", 'id,text\n1,Fine.\n2,"Never closed.\n3,Swallowed.\n4,Also swallowed.\n')
    units, tally = read([path], skip_bad_rows=skip)
    assert [u.text for u in units] == ["Fine."]
    hint = "" if skip else " (pass --skip-bad-rows to skip bad rows)"
    assert [str(e) for e in tally.errors] == [
        f"{path}:3: a quoted field starts on this line and its closing quote is missing (the rest of the file "
        f"would be one field){hint}"]


@pytest.mark.parametrize("bad, message", [
    (b"2,Caf\xe9.\n", "not valid utf-8 at byte 29; pass --encoding with the file's encoding, or --errors replace"),
    (b"2,N\x00L.\n", "binary data (NUL byte); factcomment reads text files"),
])
def test_csv_one_bad_row_costs_that_row_only(write, bad, message):
    path = write("r.csv", b'id,text\n1,"Multi\nline."\n' + bad + b"3,Fine.\n")
    units, tally = read([path], skip_bad_rows=True)
    assert [(u.line, u.text) for u in units] == [(2, "Multi\nline."), (5, "Fine.")]
    assert [str(e) for e in tally.errors] == [f"{path}:4: {message}"]
    units, tally = read([path])
    assert [u.text for u in units] == ["Multi\nline."]
    assert [(str(e), e.stopped) for e in tally.errors] == [
        (f"{path}:4: {message} (pass --skip-bad-rows to skip bad rows)", True)]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
@pytest.mark.parametrize("sep, quoting", [(",", '"'), ("\t", "")])
def test_delimited_rows_end_only_at_line_ends(write, encoding, sep, quoting):
    # str.splitlines also ends a line at \f, \x85, U+2028 and others: a text holding one lost its end, silently.
    texts = ["Before\u2028after.", "Form\x0cfeed.", "Next\x85line.", "Fine."]
    rows = "".join(f"{i}{sep}{quoting}{t}{quoting}\n" for i, t in enumerate(texts))
    path = write("r." + ("csv" if sep == "," else "tsv"), f"id{sep}text\n{rows}".encode(encoding))
    units, tally = read([path])
    assert ([(u.line, u.text) for u in units], tally.errors) == ([(2 + i, t) for i, t in enumerate(texts)], [])


def test_closed_stdin_is_one_failed_input(write, monkeypatch):
    monkeypatch.setattr("sys.stdin", None)  # what Python makes of a closed file descriptor 0 (`<&-`)
    path = write("a.txt", "The council met.\n")
    units, tally = read([path, "-"])
    assert [u.text for u in units] == ["The council met."]
    assert [(e.file, str(e)) for e in tally.errors] == [
        ("-", "-: no standard input (it is closed); pipe the input in, or name a file instead of -")]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-32"])
def test_stdin_json_lines_are_sniffed_through_any_bom(monkeypatch, encoding):
    # A BOM selects the encoding in every format; stdin in UTF-16 (what PowerShell pipes) was read as a document.
    data = '{"id": 1, "text": "The council met."}\n'.encode(encoding)
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BufferedReader(io.BytesIO(data))))
    units, tally = read(["-"])
    assert ([(u.id, u.text) for u in units], tally.errors) == ([(1, "The council met.")], [])


class _Trickle(io.RawIOBase):
    """A pipe whose writer writes ``chunks`` one at a time, slowly: each read gives the next one."""

    def __init__(self, chunks):
        self.chunks = list(chunks)

    def readable(self):
        return True

    def readinto(self, buffer):
        chunk = self.chunks.pop(0) if self.chunks else b""
        buffer[:len(chunk)] = chunk
        return len(chunk)


COUNCIL = (1, "The council met.")


@pytest.mark.parametrize("chunks, expected", [
    ([b"\n", b'{"id": 1, "text": "The council met."}\n'], [(*COUNCIL, 2)]),
    # A BOM cut in two, and a UTF-16 one cut inside the blank line after it.
    ([b"\xef\xbb", b"\xbf \r\n", b"\n", b'{"id": 1, ', b'"text": "The council met."}\n'], [(*COUNCIL, 3)]),
    ([b"\xff\xfe\n", b"\x00" + '{"id": 1, "text": "The council met."}'.encode("utf-16-le")], [(*COUNCIL, 2)]),
    # A CSV header, or text: stdin is a document either way.
    ([b"\n", b"id,text\n1,The council met.\n"], [(None, "id,text", None), (None, "1,The council met.", None)]),
    ([b"\n", b"Police said so.\n", b"Comment: Odd.\n"], [(None, "Police said so.", None), (None, "Odd.", None)]),
    ([b"\n \n"], []),
    ([], []),
])
def test_stdin_from_a_slow_writer_is_sniffed_as_the_whole_input_would_be(monkeypatch, chunks, expected):
    # A peek at a pipe gives what was written so far: `(echo; sleep 1; echo '{"text": "x"}') | factcomment
    # classify -` saw one blank line and read the JSON line as a document.
    def units(stdin):
        monkeypatch.setattr("sys.stdin", io.TextIOWrapper(stdin))
        found, tally = read(["-"])
        assert tally.errors == []
        return [(u.id, u.text, u.line) for u in found]

    assert units(io.BufferedReader(io.BytesIO(b"".join(chunks)))) == expected
    assert units(io.BufferedReader(_Trickle(chunks))) == expected


def test_an_input_named_twice_is_read_once_with_a_warning(write, tmp_path):
    path = write("d/a.txt", "The council met.\n")
    units, tally = read([path, str(tmp_path / "d"), str(tmp_path / "d" / ".." / "d" / "a.txt")])
    assert [u.text for u in units] == ["The council met."]
    assert tally.warnings == [f"{tmp_path / 'd' / 'a.txt'}: named more than once (as {path}); read once",
                              f"{tmp_path / 'd' / '..' / 'd' / 'a.txt'}: named more than once (as {path}); read once"]


def test_a_hard_link_to_an_input_is_read_once(write, tmp_path):
    path = write("a.txt", "The council met.\n")
    os.link(path, tmp_path / "b.txt")
    units, tally = read([str(tmp_path)])
    assert [u.text for u in units] == ["The council met."]
    assert tally.warnings == [f"{tmp_path / 'b.txt'}: named more than once (as {path}); read once"]


@pytest.mark.parametrize("pattern", ["../*.txt", "/etc/*.txt", "sub/../../*.txt"])
def test_a_glob_that_leaves_the_directory_is_refused(pattern):
    with pytest.raises(UsageError, match=r"cannot be absolute or contain '\.\.'"):
        InputOptions(pattern=pattern)


JSONL_ROWS = '{"id": 1, "text": "Caf\u00e9 owners met."}\n{"id": 2, "text": "Prices rose."}\n'
CSV_ROWS = 'id,text\n1,"Caf\u00e9 owners met."\n2,Prices rose.\n'


@pytest.mark.parametrize("suffix, content", [(".jsonl", JSONL_ROWS), (".csv", CSV_ROWS)])
@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-32", "utf-16-be"])
def test_rows_with_a_bom_read_like_documents(write, suffix, content, encoding):
    data = content.encode(encoding)
    if encoding == "utf-16-be":
        data = codecs.BOM_UTF16_BE + data
    units, tally = read([write("rows" + suffix, data)])
    assert tally.errors == []
    # JSON ids keep their JSON type (numbers stay numbers); CSV ids are text.
    ids = ("1", "2") if suffix == ".csv" else (1, 2)
    assert [(u.id, u.line, u.text) for u in units] == [(ids[0], 2 if suffix == ".csv" else 1, "Caf\u00e9 owners met."),
                                                       (ids[1], 3 if suffix == ".csv" else 2, "Prices rose.")]


def test_a_utf8_bom_makes_every_json_line_utf8_whatever_the_encoding_option(write):
    # Only the first line (which holds the BOM) was read as UTF-8; the rest took --encoding: "CafÃ© two."
    from factcomment.readers import iter_blocks, parse_lines

    path = write("r.jsonl", codecs.BOM_UTF8 + '{"text": "Café one."}\n{"text": "Café two."}\n'.encode())
    options = InputOptions(encoding="latin-1")
    units, tally = read([path], encoding="latin-1")
    (block,) = iter_blocks([path], options, Tally(), 10)
    assert [u.text for u in units] == [u.text for u in parse_lines(block, options)[0]] == ["Café one.", "Café two."]


def test_utf16_without_a_bom_gets_an_encoding_hint(write):
    path = write("a.txt", "Hello there.\n".encode("utf-16-le"))
    _, tally = read([path])
    assert [str(e) for e in tally.errors] == [
        f"{path}: binary data (NUL byte at byte 1); factcomment reads text files (if it is UTF-16-LE text "
        "without a BOM, pass --encoding utf-16-le)"]
    units, tally = read([path], encoding="utf-16-le")
    assert [u.text for u in units] == ["Hello there."]


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_rows_in_utf16_without_a_bom_under_plain_utf16_are_an_input_error(write, suffix):
    # Python's UTF-16 stream reader wants a BOM to know the byte order; its UnicodeError was a crash.
    path = write("a" + suffix, ("text\nHello.\n" if suffix == ".csv" else '{"text": "Hello."}\n').encode("utf-16-le"))
    units, tally = read([path], encoding="utf-16")
    assert (units, [str(e) for e in tally.errors]) == ([], [
        f"{path}:1: not valid utf-16; the file has no byte-order mark: pass --encoding utf-16-le (or -be)"])


@pytest.mark.parametrize("pair", ["=report", " =comment", "OBJ", "OBJ=maybe"])
def test_label_map_pairs_need_a_raw_label_and_a_known_one(pair):
    from factcomment.labelled import parse_label_map

    with pytest.raises(UsageError, match="write RAW=report or RAW=comment"):
        parse_label_map([pair])


def test_label_map_refuses_one_raw_label_mapped_both_ways_but_allows_repeats():
    from factcomment.labelled import parse_label_map

    with pytest.raises(UsageError, match=r"^--label-map 'neutral=comment': 'neutral' is already mapped to 'report' "
                                         r"\(labels match case-blind\); keep one$"):
        parse_label_map(["NEUTRAL=report", "neutral=comment"])
    assert parse_label_map(["Neutral=report", "NEUTRAL=report"])["neutral"] == "report"
    assert parse_label_map(["OBJ=comment"])["obj"] == "comment"  # a default may still be overridden


def test_blocks_frame_json_lines_raw_and_read_other_inputs_as_units(write):
    from factcomment.readers import Lines, iter_blocks

    rows = write("r.jsonl", "".join(f'{{"text": "Row {i}."}}\n' for i in range(5)))
    table = write("t.tsv", "text\nOne.\nTwo.\n")
    tally = Tally()
    blocks = list(iter_blocks([rows, table], InputOptions(), tally, 2))
    lines = [b for b in blocks if isinstance(b, Lines)]
    assert [(b.first_line, b.first_byte, len(b.lines), b.last) for b in lines] == [
        (1, 0, 2, False), (3, 38, 2, False), (5, 76, 1, True)]
    assert [[u.text for u in b] for b in blocks[3:]] == [["One.", "Two."]]
    assert tally.files == 2 and tally.units == 2  # raw lines are counted where they are parsed


def test_blocks_of_long_lines_or_units_end_at_a_size_in_bytes_too(write, monkeypatch):
    # 2,048 lines of whole articles made pieces of hundreds of megabytes: a 300 MB file of 50 KB rows peaked at
    # 1.3 GB with --jobs 1, as if read whole.
    from factcomment.readers import Lines, iter_blocks

    monkeypatch.setattr(readers, "PIECE_BYTES", 40)
    rows = write("r.jsonl", "".join(f'{{"text": "Row {i}."}}\n' for i in range(5)))  # 19 bytes a line
    table = write("t.tsv", "text\n" + "".join(f"{'x' * 15}{i}\n" for i in range(5)))  # 16 characters a text
    blocks = list(iter_blocks([rows, table], InputOptions(), Tally(), 10))
    assert [(b.first_line, b.first_byte, len(b.lines), b.last) for b in blocks if isinstance(b, Lines)] == [
        (1, 0, 3, False), (4, 57, 2, True)]
    assert [len(b) for b in blocks if not isinstance(b, Lines)] == [3, 2]


@pytest.mark.skipif(not os.path.isdir("/dev/fd"), reason="needs /dev/fd")
def test_json_lines_from_a_pipe_named_as_a_path_are_read_once(write):
    # `classify <(cmd) --input-format jsonl`: the raw-lines path opened the input twice (a peek for a BOM,
    # then the reading), and a pipe gave its rows to the peek: no output, only "no text in this input".
    from factcomment.readers import iter_blocks

    read_end, write_end = os.pipe()
    os.write(write_end, b'{"text": "One."}\n{"text": "Two."}\n')
    os.close(write_end)
    try:
        tally = Tally()
        blocks = list(iter_blocks([f"/dev/fd/{read_end}"], InputOptions(input_format="jsonl"), tally, 10))
    finally:
        os.close(read_end)
    assert [[u.text for u in block] for block in blocks] == [["One.", "Two."]]
    assert tally.errors == [] and tally.warnings == []


def test_parsed_lines_report_typed_errors_that_survive_a_trip_to_another_process(write):
    import pickle

    from factcomment.readers import iter_blocks, parse_lines

    path = write("bad.jsonl", '{"text": "One."}\n{broken\n{"text": "Three."}\n')
    (block,) = iter_blocks([path], InputOptions(), Tally(), 10)
    units, found = pickle.loads(pickle.dumps(parse_lines(block, InputOptions())))
    assert [u.text for u in units] == ["One."] and found.units == 1
    (error,) = found.errors
    assert isinstance(error, InputError) and error.stopped and error.file == path
    assert str(error).startswith(f"{path}:2: not valid JSON")
    run = Tally()
    run.add(found)
    assert run.stopped(path) and run.units == 1 and run.failed_files == {path}


def test_a_stopped_file_is_read_no_further(write):
    from factcomment.readers import iter_blocks

    path = write("long.jsonl", '{"text": "Row."}\n' * 10)
    tally = Tally()
    blocks = iter_blocks([path], InputOptions(), tally, 2)
    assert next(blocks).first_line == 1
    tally(InputError(f"{path}:2: not valid JSON", file=path, stopped=True))
    assert [b.first_line for b in blocks] == [3]  # the block read ahead, and no more


def test_a_read_failing_part_way_is_that_files_failure_and_the_next_file_is_read(write, monkeypatch):
    import errno

    from factcomment.readers import iter_blocks

    failing, fine = write("failing.jsonl", '{"text": "Row."}\n' * 10), write("fine.jsonl", '{"text": "Row."}\n')

    class FailsAfterFiveLines(io.BytesIO):
        def __next__(self):
            if self.tell() >= 5 * len(b'{"text": "Row."}\n'):
                raise OSError(errno.EIO, os.strerror(errno.EIO))
            return super().__next__()

    real_open = open
    monkeypatch.setattr(readers, "open", lambda name, mode="r": FailsAfterFiveLines(real_open(name, "rb").read())
                        if name == failing else real_open(name, mode), raising=False)
    tally = Tally()
    blocks = [(b.file, b.first_line, len(b.lines)) for b in iter_blocks([failing, fine], InputOptions(), tally, 2)]
    assert blocks == [(failing, 1, 2), (fine, 1, 1)]  # the block read ahead when the read failed is not yielded
    assert [str(e) for e in tally.errors] == [
        f"{failing}: cannot read (Input/output error); check the path and permissions"]
    assert tally.files == 2


def _decoded(data, read=None, **options):
    """decode_stream over ``data`` (READ bytes at a time), as its text or its InputError's message."""
    with pytest.MonkeyPatch.context() as patch:
        if read is not None:
            patch.setattr(readers, "READ", read)
        try:
            return readers.decode_stream(io.BufferedReader(io.BytesIO(data)), "x.txt", **options)
        except InputError as error:
            return f"error: {error}"


def _whole(data, keep_end=True, **options):
    try:
        text = decode(data, "x.txt", **options)
    except InputError as error:
        return f"error: {error}"
    return text if keep_end else text.rstrip(WHITESPACE)


# UTF-8 made and broken: characters of 1 to 4 bytes, lone lead and continuation bytes, NUL, BOMs, whitespace.
_PIECES = (st.sampled_from(["a", " ", "\n", "é", "€", "😀", "\u2028", "\ufeff", "\x85"]).map(str.encode)
           | st.sampled_from([b"\xff", b"\x80", b"\xe2\x82", b"\xf0\x9f", b"\xed\xa0\x80", b"\x00", codecs.BOM_UTF8,
                              codecs.BOM_UTF16_LE]))
_DOCUMENT_BYTES = st.lists(_PIECES, max_size=30).map(b"".join) | st.binary(max_size=30)


@settings(max_examples=400, deadline=None)
@given(_DOCUMENT_BYTES, st.integers(1, 9), st.sampled_from(["utf-8", "latin-1", "utf-16-le"]),
       st.sampled_from(["strict", "replace"]), st.booleans())
def test_a_document_decoded_piece_by_piece_is_the_document_decoded_whole(data, read, encoding, errors, keep_end):
    # The same text, or the same error naming the same byte, however the bytes are cut into reads.
    options = dict(encoding=encoding, errors=errors)
    assert _decoded(data, read, keep_end=keep_end, **options) == _whole(data, keep_end, **options)


@pytest.mark.parametrize("data", [
    "Caf\u00e9 \u201cx\u201d ".encode() * 20_000 + b"\n\n",  # just above READ (64 KiB in this test)
    codecs.BOM_UTF8 + b"a" * 70_000 + b"\xff" + b"b" * 70_000,  # an error after the first read, past a BOM
    b"a" * 70_000 + b"\xff" + b"b" * 70_000 + b"\x00",  # a NUL anywhere is reported before a bad byte
])
def test_documents_above_one_read_decode_as_a_whole(data):
    for keep_end in (True, False):
        assert _decoded(data, 1 << 16, keep_end=keep_end) == _whole(data, keep_end)
