"""Writers: typed results in, text out (JSON lines, CSV, TSV or a plain table), one row at a time.

Only this module turns results into text. ``open_output`` gives the stream to write to: stdout, or a file
written through a temporary file and renamed into place when the run completes, so that an interrupted run
leaves neither a partial file nor temporary litter. A text longer than :data:`LONG` characters is escaped
and written in pieces of that size, never as one escaped copy or one row string (a document that is one
paragraph can be hundreds of megabytes); the bytes are the same.
"""
from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import shutil
import stat
import sys
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from factcomment.atomic import WRITE_ERRNOS, publish_file, remove_stale, temporary_prefix, umask, write_hint, writing
from factcomment.errors import OutputError, UsageError
from factcomment.readers import SUFFIX_FORMATS, InputOptions, Tally, expand_paths

OUTPUT_FORMATS = ("table", "jsonl", "csv", "tsv")
# json.dumps builds a new encoder on every call that passes options; one encoder serves every row that
# _json_row cannot spell itself.
_to_json = json.JSONEncoder(ensure_ascii=False).encode
_json_string = json.encoder.encode_basestring  # the C escaper behind json.dumps(..., ensure_ascii=False)
_TSV_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
# A text column longer than this (characters) is written as a LongText, in pieces of this size.
LONG = 1 << 16


def choose_format(requested: str | None, stream: IO[str], path: str | None = None) -> str:
    """The requested format; else the one the suffix of the output ``path`` names, as for inputs (``.jsonl``,
    ``.ndjson``, ``.csv``, ``.tsv``); else a table on a terminal and JSON lines anywhere else."""
    if requested is None and path is not None and Path(path).suffix.lower() in SUFFIX_FORMATS:
        return SUFFIX_FORMATS[Path(path).suffix.lower()]
    if requested is None:
        try:
            return "table" if stream.isatty() else "jsonl"
        except (AttributeError, ValueError):  # a stream without isatty, or a closed one
            return "jsonl"
    if requested not in OUTPUT_FORMATS:
        raise UsageError(f"unknown format {requested!r}; use one of {', '.join(OUTPUT_FORMATS)}")
    return requested


class RowWriter:
    """Write dict rows in one format; ``columns`` fixes the order (and the CSV/TSV header)."""

    def __init__(self, stream: IO[str], fmt: str, columns: Sequence[str], *, header: bool = True) -> None:
        self.stream, self.fmt, self.columns = stream, fmt, list(columns)
        self._started = not header  # no header: rows rendered elsewhere are joined under one written here
        if fmt == "csv":
            self._csv = csv.writer(stream, lineterminator="\n")
        if fmt == "jsonl":
            self._json_keys = _json_keys(self.columns)
        if fmt == "table":
            self._widths = _table_widths(self.columns, shutil.get_terminal_size((120, 24)).columns)

    def write(self, row: dict[str, Any]) -> None:
        self._start()
        text = row.get("text")
        if type(text) is str and len(text) > LONG and self.fmt != "table":
            self._write_parts(self._long_row(row))
        elif self.fmt == "jsonl":
            self.stream.write(_json_row(row, self._json_keys) + "\n")
        elif self.fmt == "csv":
            cells = [_cell(row.get(key)) for key in self.columns]
            if "\r" in "".join(cells):
                self.stream.write(_csv_line(cells))
            else:
                self._csv.writerow(cells)
        elif self.fmt == "tsv":
            self.stream.write("\t".join(_cell(row.get(key)).translate(_TSV_ESCAPES) for key in self.columns) + "\n")
        else:
            # A file name is shown by its end, anything else by its start (which is all a long text needs).
            cells = [_short(row.get(key), None if key == "file" else width)
                     for key, width in zip(self.columns, self._widths)]
            self.stream.write(_table_line(cells, self._widths, self.columns) + "\n")

    def write_rendered(self, text: str) -> None:
        """Append rows rendered by another writer of the same format and columns (built with header=False)."""
        if text:
            self._start()
            self.stream.write(text)

    def _write_parts(self, parts: list[str | LongText]) -> None:
        defer = getattr(self.stream, "defer", None)  # a RenderedRows keeps a long text as it is
        for part in parts if defer is not None else rendered_pieces(parts):
            if type(part) is str:
                self.stream.write(part)
            else:
                defer(part)

    def _long_row(self, row: dict[str, Any]) -> list[str | LongText]:
        """``row``, spelled as the other paths spell it, with its text left as a LongText: (before, text, after)."""
        text, at = row["text"], self.columns.index("text")
        if self.fmt == "jsonl":
            before = _json_row(row, self._json_keys[:at])[1:-1]  # the fields, without the braces
            after = _json_row(row, self._json_keys[at + 1:])[1:-1]
            return ["{" + before + (", " if before else "") + self._json_keys[at][1] + '"', LongText(text, _json_piece),
                    '"' + (", " if after else "") + after + "}\n"]
        cells = [_cell(row.get(key)) if key != "text" else "" for key in self.columns]
        if self.fmt == "tsv":
            cells = [cell.translate(_TSV_ESCAPES) for cell in cells]
            return ["\t".join([*cells[:at], ""]), LongText(text, _tsv_piece), "\t".join(["", *cells[at + 1:]]) + "\n"]
        # CSV quotes a field for the characters in it, wherever they are; a probe holding the text's first and
        # last characters and each special one it contains is quoted the same way, by the csv module itself.
        probe = text[0] + "".join(c for c in '",\r\n' if c in text) + text[-1]
        quote = '"' if _csv_line([probe]).startswith('"') else ""
        before = _csv_line([*cells[:at], ""])[:-1] if at else ""
        after = _csv_line(["", *cells[at + 1:]]) if at + 1 < len(cells) else "\n"
        return [before + quote, LongText(text, _csv_quoted_piece if quote else str), quote + after]

    def _start(self) -> None:
        """Write the header before the first row."""
        if self._started:
            return
        self._started = True
        if self.fmt == "csv":
            self._csv.writerow(self.columns)
        elif self.fmt == "tsv":
            self.stream.write("\t".join(self.columns) + "\n")
        elif self.fmt == "table":
            self.stream.write(_table_line(self.columns, self._widths, self.columns) + "\n")
            self.stream.write(_table_line(["-" * w for w in self._widths], self._widths, self.columns) + "\n")


@dataclass(frozen=True, slots=True)
class LongText:
    """A long text field of a row, escaped (by ``escape``) and written in pieces of :data:`LONG` characters."""

    text: str
    escape: Callable[[str], str]

    def pieces(self) -> Iterator[str]:
        for start in range(0, len(self.text), LONG):
            yield self.escape(self.text[start:start + LONG])


class RenderedRows:
    """A text stream for rows rendered in one place and written in another (by :meth:`RowWriter.write_rendered`).

    A long text is kept as the string it is, not escaped here: that would be another copy of it, alive until
    the rows are written.
    """

    def __init__(self) -> None:
        self._parts: list[str | LongText] = []
        self._buffer = io.StringIO()

    def write(self, text: str) -> None:
        self._buffer.write(text)

    def defer(self, long: LongText) -> None:
        self._flush()
        self._parts.append(long)

    def value(self) -> list[str | LongText]:
        """The rows: strings and long texts, in order."""
        self._flush()
        return self._parts

    def _flush(self) -> None:
        if self._buffer.tell():
            self._parts.append(self._buffer.getvalue())
            self._buffer = io.StringIO()


def rendered_pieces(rendered: Iterable[str | LongText]) -> Iterator[str]:
    """The text of rows that :meth:`RenderedRows.value` gave, in pieces (long texts escaped piece by piece)."""
    for part in rendered:
        if type(part) is str:
            yield part
        else:
            yield from part.pieces()


@contextlib.contextmanager
def open_output(path: str | None, *, force: bool = False, inputs: Sequence[str] = (),
                pattern: str = InputOptions.pattern, option: str = "--output") -> Iterator[IO[str]]:
    """Yield a text stream for ``path`` (``None`` or ``-`` for stdout), committed atomically on success.

    A regular file is written to a temporary file beside the target and renamed into place only when the
    ``with`` block ends without an exception; on any exception (including ``KeyboardInterrupt``) the
    temporary file is removed and the target is left as it was. Without ``force`` the target is created only
    if nothing is there when the run commits, so of two runs racing for one name exactly one wins. A symlink
    has its target replaced, not the link. A device or a named pipe (``/dev/null``, ``/dev/stdout``, a FIFO)
    is written into directly. ``path`` may not be one of ``inputs`` (files, or folders searched for
    ``pattern``), under any name; errors name it as ``option``.
    """
    if path is None or path == "-":
        if sys.stdout is None:  # what Python makes of a closed file descriptor 1 (`>&-`)
            raise OutputError("standard output is closed; write to a file with -o FILE")
        with contextlib.suppress(AttributeError, ValueError, OSError):  # a stream with no file descriptor
            stdout = f"/dev/fd/{sys.stdout.fileno()}"
            if stat.S_ISREG(os.stat(stdout).st_mode):  # `>> in.jsonl` would read its own rows back, without end
                _refuse_input(stdout, inputs, pattern, "standard output")
        yield sys.stdout
        return
    if not path:  # pathlib reads "" as "."
        raise OutputError(f"{option} is empty; give a file name, or - for standard output")
    if path.endswith(("/", os.sep)):  # pathlib drops the slash: "in.txt/" would pass for in.txt, "new/" make a file
        raise OutputError(f"{path}: names a directory; give a file name for {option}")
    target = Path(path)
    _refuse_input(path, inputs, pattern)
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as error:
        raise OutputError(f"{path}: cannot write here ({error.strerror}); check the path") from None
    if mode is not None and stat.S_ISDIR(mode):
        raise OutputError(f"{path}: is a directory; give a file name for {option}")
    # /dev/stdout, /dev/fd/N and /proc/self/fd/N name an open file, perhaps a regular one (stdout redirected
    # to a file): it is written into, as a shell would, never replaced.
    if mode is not None and (not stat.S_ISREG(mode) or _through_proc(path)):
        yield from _write_into(path)
        return
    if mode is not None and not force:
        raise OutputError(f"{path}: already exists; pass --force to overwrite it")
    # A symlink stays a symlink: the file it points to is the one replaced (or created, if it dangles).
    real = Path(os.path.realpath(target)) if target.is_symlink() else target
    remove_stale(real)
    try:
        handle, temp = tempfile.mkstemp(prefix=temporary_prefix(real), suffix=".part", dir=real.parent)
    except OSError as error:
        raise OutputError(f"{path}: cannot write here ({error.strerror}); check the directory") from None
    try:
        # backslashreplace: a name that is not valid UTF-8 (see file_name) can never stop the run.
        with writing(real, temp), os.fdopen(handle, "w", encoding="utf-8", errors="backslashreplace",
                                            newline="") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
            # mkstemp makes the file private (0600); the result should get the mode any new file gets here, or
            # keep the mode of the file it replaces, as `>` does (a file kept private stays private).
            os.fchmod(stream.fileno(), 0o666 & ~umask() if mode is None else mode & 0o777)
        try:
            publish_file(Path(temp), real, replace=force)
        except FileExistsError:
            raise OutputError(f"{path}: already exists (another run created it meanwhile); "
                              "pass --force to overwrite it") from None
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        if isinstance(error, OSError) and error.errno in WRITE_ERRNOS:
            raise _cannot_write(path, error) from None
        raise


def _through_proc(path: str) -> bool:
    """Whether ``path`` leads into /proc or /dev/fd (a file open in some process), as /dev/stdout, /dev/fd/N and
    /proc/self/fd/N do. Not any path under /dev: /dev/shm holds ordinary files, replaced atomically."""
    for _ in range(40):  # the kernel follows at most 40 links
        path = os.path.join(os.path.realpath(os.path.dirname(os.path.abspath(path))), os.path.basename(path))
        if path.startswith(("/proc/", "/dev/fd/")) or not os.path.islink(path):
            return path.startswith(("/proc/", "/dev/fd/"))
        path = os.path.join(os.path.dirname(path), os.readlink(path))
    return False


def _write_into(path: str) -> Iterator[IO[str]]:
    """Write straight into a device or named pipe: there is nothing to replace, and no rename could."""
    try:
        stream = open(path, "w", encoding="utf-8", errors="backslashreplace", newline="")
    except OSError as error:
        raise OutputError(f"{path}: cannot write here ({error.strerror}); check the path") from None
    try:
        with stream:
            yield stream
    except OSError as error:
        if error.errno in WRITE_ERRNOS:
            raise _cannot_write(path, error) from None
        raise


def _cannot_write(path: str, error: OSError) -> OutputError:
    return OutputError(f"{path}: cannot write ({error.strerror}); {write_hint(error, 'write elsewhere')}")



def _refuse_input(path: str, inputs: Sequence[str], pattern: str, stdout: str | None = None) -> None:
    """Refuse an output that is a file the run reads, named or found in a folder, under any name: the same
    device and inode (a hard link, a symlink). An output the folder search passes over (it sits in the folder,
    or a symlink points there) is not read, so it is not an input; the search does not pass over ``stdout``."""
    try:
        output = os.stat(path)
    except OSError:
        return  # nothing there yet: no input can be it
    with writing(path) if stdout is None else contextlib.nullcontext():
        for name in expand_paths(inputs, pattern, Tally()):
            with contextlib.suppress(AttributeError, ValueError, OSError):  # no stdin, or one with no descriptor
                # `- < in.jsonl >> in.jsonl` reads its own rows back too; only a regular file can be both.
                seen = os.fstat(sys.stdin.fileno()) if name == "-" else os.stat(name)
                if (name != "-" or stat.S_ISREG(seen.st_mode)) and os.path.samestat(output, seen):
                    alias = ("" if os.path.abspath(name) == os.path.abspath(path) else
                             f" (as {'standard input' if name == '-' else name})")
                    raise OutputError(f"{stdout or path}: is also an input{alias}; write the output to another file")


def _json_keys(columns: Sequence[str]) -> list[tuple[str, str]]:
    """Each column with its spelling as a JSON key, ``"name": ``, for :func:`_json_row`."""
    return [(key, _json_string(key) + ": ") for key in columns]


def _json_row(row: dict[str, Any], keys: list[tuple[str, str]]) -> str:
    """``json.dumps(row, ensure_ascii=False)`` for the ``keys`` of ``row`` that are not None, byte for byte.

    Rows are flat strings and numbers, which are spelled here directly: the json module's encoder sets
    itself up anew for every object, which made writing a row cost a fifth of classifying it.
    """
    fields = []
    for key, spelled_key in keys:
        value = row.get(key)
        if value is None:
            continue  # a row from JSON lines has no offsets, one from a document no id
        kind = type(value)
        if kind is str:
            fields.append(spelled_key + _json_string(value))
        elif kind is int or (kind is float and math.isfinite(value)):
            fields.append(spelled_key + repr(value))
        else:  # explanations, booleans, NaN: the json module's own spelling
            fields.append(spelled_key + _to_json(value))
    return "{" + ", ".join(fields) + "}"


def _json_piece(piece: str) -> str:
    # JSON escapes character by character, so a text escaped in pieces is the text escaped whole.
    return _json_string(piece)[1:-1]


def _tsv_piece(piece: str) -> str:
    return piece.translate(_TSV_ESCAPES)


def _csv_quoted_piece(piece: str) -> str:
    return piece.replace('"', '""')


def _csv_line(cells: list[str]) -> str:
    # The csv module quotes a field for the characters of its line terminator, not for a lone "\r", which every
    # CSV reader takes for a line end: ended by "\r\n", the record is quoted as it must be, and then ends at "\n".
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(cells)
    return buffer.getvalue()[:-2] + "\n"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, dict, bool)):  # spelled as in JSON lines: true, not Python's True
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _short(value: Any, width: int | None = None) -> str:
    """The cell as a table shows it, whitespace folded; of a long text, only enough to fill ``width``."""
    if isinstance(value, float):
        return f"{value:.3f}"
    cell = _cell(value)
    # Folding a text's start gives the start of the folded text: a longer start than the table shows is
    # enough (and spares a list of every word of a long text).
    size = 4 * (width or 0) + 64
    while width is not None and len(cell) > LONG and size < len(cell):
        start = " ".join(cell[:size].split())
        if len(start) > width:
            return start.translate(_TABLE_ESCAPES)
        size *= 4
    return " ".join(cell.split()).translate(_TABLE_ESCAPES)


# A terminal obeys control characters (ESC starts sequences that recolour or rewrite the screen): shown escaped.
_TABLE_ESCAPES = {c: f"\\x{c:02x}" for c in (*range(32), *range(127, 160))}


def _table_widths(columns: Sequence[str], width: int) -> list[int]:
    # Every column but the last gets a fixed width, as narrow as its values allow; the last (text) takes what
    # is left of the terminal, sharing it two to three with an explanation.
    fixed = {"file": 24, "id": 12, "kind": 7, "label": 7, "source": 6, "marker": 10, "explanation": 0,
             "paragraph": 9, "sentence": 8, "p_comment": 9, "line": 6}
    widths = [fixed.get(c, max(len(c), 8)) for c in columns]
    left = max(20, width - sum(widths[:-1]) - 2 * (len(columns) - 1) - 1)
    if "explanation" in columns:
        widths[columns.index("explanation")] = max(20, left * 2 // 5)
        left = max(20, left - widths[columns.index("explanation")] - 2)
    widths[-1] = left
    return widths


def _table_line(cells: Sequence[str], widths: Sequence[int], columns: Sequence[str]) -> str:
    out = []
    for cell, width, column in zip(cells, widths, columns):
        if _columns_of(cell) > width:
            # A path's end (the file name) says more than its start.
            cell = "…" + _fit(cell[::-1], width - 1)[::-1] if column == "file" else _fit(cell, width - 1) + "…"
        out.append(cell + " " * (width - _columns_of(cell)))
    return "  ".join(out).rstrip()


def _char_columns(char: str) -> int:
    """The terminal columns a character takes: two for East Asian wide ones, none for combining marks."""
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in "WF" else 1


def _columns_of(text: str) -> int:
    # Counting characters would misalign a table at each Chinese, Japanese or Korean character (or emoji).
    return len(text) if text.isascii() else sum(map(_char_columns, text))


def _fit(text: str, width: int) -> str:
    """The longest start of ``text`` that fills at most ``width`` terminal columns."""
    if text.isascii():
        return text[:width]
    used = 0
    for end, char in enumerate(text):
        used += _char_columns(char)
        if used > width:
            return text[:end]
    return text


# A row input keeps its id and line (as in classify), so what split gives can be joined back to its source.
SPLIT_COLUMNS = ("file", "id", "line", "paragraph", "sentence", "start", "end", "kind", "marker", "text")
CLASSIFY_COLUMNS = ("file", "id", "line", "paragraph", "sentence", "start", "end", "label", "p_comment", "source",
                    "text")
# A table is for reading: the columns a person scans, with the text last so it can take the rest of the line.
TABLE_COLUMNS = {"split": ("file", "paragraph", "sentence", "kind", "text"),
                 "classify": ("file", "id", "paragraph", "sentence", "label", "p_comment", "source", "text")}


def file_name(name: str) -> str:
    """``name`` as it may be written in any format: bytes that are not valid UTF-8 become ``\\xHH``.

    File names on Linux are bytes; Python reads the undecodable ones as lone surrogates, which no UTF-8
    output can hold. ``d/\\xff.txt`` (a backslash, then x and two hex digits) stands for the byte 0xFF.
    """
    if name.isascii():
        return name
    try:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate that did not come from a byte
        return name.encode("utf-8", "backslashreplace").decode("utf-8")


def split_row(unit: Any) -> dict[str, Any]:
    """A ``split`` output row for a :class:`~factcomment.readers.Unit` read from a document."""
    s = unit.segment
    if s is None:  # a row from JSON lines/CSV: one segment, the row itself
        return {"file": file_name(unit.file), "id": unit.id, "line": unit.line, "kind": unit.label, "text": unit.text}
    return {"file": file_name(unit.file), "paragraph": s.paragraph, "sentence": s.sentence, "start": s.start,
            "end": s.end, "kind": s.kind, "marker": s.marker, "text": s.text}


def classify_row(unit: Any, prediction: Any, fmt: str, reasons: int | None = None) -> dict[str, Any]:
    """A ``classify`` output row: where the text came from, then its label, probability and source.

    In a table an explanation is a phrase of at most ``reasons`` readable reasons each way.
    """
    s = unit.segment
    row = {"file": file_name(unit.file), "id": unit.id, "line": unit.line,
           "paragraph": s and s.paragraph, "sentence": s and s.sentence, "start": s and s.start, "end": s and s.end,
           "label": prediction.label, "p_comment": prediction.p_comment, "source": prediction.source, "text": unit.text}
    e = prediction.explanation
    if e is not None:
        row["explanation"] = e.phrase(reasons) if fmt == "table" else {
            "comment": [[name, value] for name, value in e.toward_comment],
            "report": [[name, value] for name, value in e.toward_report],
            "intercept": e.intercept, "rest": e.rest, "decision": e.decision}
    return row


def columns_for(command: str, fmt: str, explain: bool = False, empty: Sequence[str] = ()) -> tuple[str, ...]:
    """The columns of ``command``'s rows in ``fmt``; a table shows fewer, for reading.

    ``empty`` names table columns known to stay empty for these inputs (no ``id`` for documents, no
    ``sentence`` for paragraphs), which are left out to give the text the room.
    """
    if fmt == "table":
        columns = tuple(c for c in TABLE_COLUMNS[command] if c not in empty)
        return columns[:-1] + ("explanation", "text") if explain else columns
    columns = SPLIT_COLUMNS if command == "split" else CLASSIFY_COLUMNS
    return columns + ("explanation",) if explain else columns
