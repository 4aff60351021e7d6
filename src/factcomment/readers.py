"""Readers: paths, directories and stdin in; a stream of typed :class:`Unit` records out.

Every reader is a generator, so memory stays flat however large the input (text documents are the one
exception: a document is split as a whole, so it is held in memory while it is split). A file that cannot be
read does not stop the others: its :class:`~factcomment.errors.InputError` is handed to ``problems`` and the
stream goes on with the next input. Bad rows in JSON lines or CSV stop their file, unless
``skip_bad_rows`` is set, in which case each is reported and skipped.
"""
from __future__ import annotations

import codecs
import csv
import json
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from factcomment.errors import InputError, UsageError
from factcomment.segment import DEFAULT_MARKER, UNITS, Segment, iter_segments

INPUT_FORMATS = ("auto", "text", "jsonl", "csv", "tsv")
_SUFFIX_FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".tsv": "tsv"}
# Column names tried, in order, when the user names none; they cover our own outputs and CheckThat's TSV.
TEXT_COLUMNS = ("text", "sentence")
ID_COLUMNS = ("id", "sentence_id")
LABEL_COLUMNS = ("label", "kind")
# csv refuses fields over 128 KiB by default; a paragraph may be longer.
csv.field_size_limit(2**31 - 1)


@dataclass(frozen=True, slots=True)
class Unit:
    """One piece of text to split, classify or learn from, with where it came from."""

    file: str
    text: str
    id: str | int | float | bool | None = None  # as the input spelled it: a JSON number stays a number
    line: int | None = None  # 1-based line (JSON lines) or record number (CSV/TSV)
    segment: Segment | None = None  # for text documents: paragraph/sentence index, offsets, kind
    label: str | None = None  # the raw gold label, when the input has one
    reviewed: bool = False  # a row saved from a review page ("reviewed": true)


@dataclass(frozen=True)
class InputOptions:
    """How to find and read inputs; one set shared by every command."""

    input_format: str = "auto"
    pattern: str = "*.txt"
    encoding: str = "utf-8"
    errors: str = "strict"
    text_column: str | None = None
    id_column: str | None = None
    label_column: str | None = None
    skip_bad_rows: bool = False
    label_map: Mapping[str, str] | None = None  # when set, every unit must carry a label it maps
    unit: str = "paragraph"
    marker: str | None = DEFAULT_MARKER
    literal_marker: bool = False

    def __post_init__(self) -> None:
        if self.input_format not in INPUT_FORMATS:
            raise UsageError(f"unknown input format {self.input_format!r}; use one of {', '.join(INPUT_FORMATS)}")
        if self.unit not in UNITS:
            raise UsageError(f"unknown unit {self.unit!r}; use one of {', '.join(UNITS)}")
        if self.errors not in ("strict", "replace"):
            raise UsageError(f"unknown --errors {self.errors!r}; use strict or replace")
        try:
            codecs.lookup(self.encoding)
        except LookupError:
            raise UsageError(f"unknown encoding {self.encoding!r}; try utf-8, utf-16 or latin-1") from None


@dataclass
class Tally:
    """Where readers report what went wrong, for the summary at the end of a run.

    Calling it with an :class:`InputError` records a failure; ``warn`` records something worth saying that
    loses nothing (an empty file).
    """

    errors: list[InputError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    files: int = 0  # inputs tried: files opened, and paths that were missing
    units: int = 0  # units read from all of them

    def __call__(self, error: InputError) -> None:
        self.errors.append(error)

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    @property
    def failed_files(self) -> set[str]:
        return {e.file for e in self.errors if e.file is not None}


def expand_paths(paths: Iterable[str], pattern: str, problems: Tally) -> Iterator[str]:
    """Yield files to read: files as given, directories searched recursively for ``pattern``, ``-`` as is."""
    for raw in paths:
        if raw == "-":
            yield raw
            continue
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob(pattern) if p.is_file())
            if not found:
                problems.files += 1
                problems(InputError(f"{raw}: no files matching {pattern!r} in this directory; pass --glob", file=raw))
            yield from (str(p) for p in found)
        elif path.exists():
            yield raw
        else:
            problems.files += 1
            problems(InputError(f"{raw}: no such file or directory", file=raw))


def iter_units(paths: Iterable[str], options: InputOptions, problems: Tally) -> Iterator[Unit]:
    """Read every input in turn; an unreadable input is reported to ``problems`` and skipped."""
    for name in expand_paths(paths, options.pattern, problems):
        problems.files += 1
        count = 0
        try:
            with _open_binary(name) as stream:
                fmt = format_of(name, stream, options.input_format)
                for unit in _READERS[fmt](name, stream, options, problems):
                    count += 1
                    problems.units += 1
                    yield unit
            if count == 0:
                problems.warn(f"{name}: no text in this input (empty or whitespace only)")
        except InputError as error:
            problems(InputError(str(error), file=name))
        except OSError as error:
            problems(unreadable(name, error))


def unreadable(name: str, error: OSError) -> InputError:
    """The error for an input the operating system would not let us read."""
    return InputError(f"{name}: cannot read ({error.strerror or error}); check the path and permissions", file=name)


def read_document(name: str, options: InputOptions) -> str:
    """The whole text of one document (a path, or ``-`` for stdin), decoded; raises InputError."""
    try:
        with _open_binary(name) as stream:
            return decode(stream.read(), name, options.encoding, options.errors)
    except OSError as error:
        raise unreadable(name, error) from None


def decode(data: bytes, name: str, encoding: str = "utf-8", errors: str = "strict", offset: int = 0) -> str:
    """Decode bytes from ``name``; a BOM picks UTF-8/UTF-16/UTF-32, a NUL byte elsewhere means binary."""
    for bom, codec in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                       (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                       (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            encoding = codec
            break
    else:
        nul = data.find(b"\x00")
        if nul >= 0 and "16" not in encoding and "32" not in encoding:
            raise InputError(f"{name}: binary data (NUL byte at byte {offset + nul}); factcomment reads text files")
    try:
        return data.decode(encoding, errors)
    except UnicodeDecodeError as error:
        raise InputError(
            f"{name}: not valid {encoding} at byte {offset + error.start}; "
            "pass --encoding with the file's encoding, or --errors replace"
        ) from None


def _open_binary(name: str) -> BinaryIO:
    if name == "-":
        return _NoClose(sys.stdin.buffer)
    return open(name, "rb")


class _NoClose:
    """Stdin wrapped so that ``with`` does not close it."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream

    def __enter__(self) -> BinaryIO:
        return self._stream

    def __exit__(self, *exc: object) -> None:
        return None


def format_of(name: str, stream: BinaryIO, requested: str) -> str:
    if requested != "auto":
        return requested
    if name != "-":
        return _SUFFIX_FORMATS.get(Path(name).suffix.lower(), "text")
    # stdin has no name: a JSON object on the first non-blank byte means JSON lines.
    head = stream.peek(4096)[:4096] if hasattr(stream, "peek") else b""
    return "jsonl" if head.lstrip(codecs.BOM_UTF8 + b" \t\r\n").startswith(b"{") else "text"


def _read_text(name: str, stream: BinaryIO, options: InputOptions, problems: Tally) -> Iterator[Unit]:
    text = decode(stream.read(), name, options.encoding, options.errors)
    for segment in iter_segments(text, marker=options.marker, unit=options.unit, literal=options.literal_marker):
        yield Unit(file=name, text=segment.text, segment=segment, label=segment.kind)


def read_jsonl_lines(name: str, lines: Iterable[bytes], options: InputOptions, problems: Tally,
                     first_line: int = 1, first_byte: int = 0) -> Iterator[Unit]:
    """Units from raw JSON lines of ``name`` that start at line ``first_line``, byte ``first_byte``.

    Lets a worker process parse a slice of a file that another process framed into lines.
    """
    offset = first_byte
    for number, raw in enumerate(lines, start=first_line):
        start, offset = offset, offset + len(raw)
        if not raw.strip():
            continue
        try:
            # Only a file's first bytes can hold a BOM; later lines take the plain codec (decode() again only
            # to word the error). A NUL byte needs no check here: JSON refuses it.
            try:
                line = raw.decode(options.encoding, options.errors) if start else None
            except UnicodeDecodeError:
                line = None
            if line is None:
                line = decode(raw, name, options.encoding, options.errors, offset=start)
            try:
                row = json.loads(line)
            except ValueError as error:
                # JSONDecodeError's msg stops where its position begins ("Invalid control character at"),
                # so the column in this line is added back.
                detail = str(error)
                if isinstance(error, json.JSONDecodeError):
                    detail = f"{error.msg.removesuffix(' at')} at column {error.pos + 1}"
                raise InputError(f"{name}:{number}: not valid JSON ({detail})") from None
            if not isinstance(row, dict):
                raise InputError(f"{name}:{number}: expected a JSON object with a text field")
            yield _unit_from_row(name, number, row, options)
        except InputError as error:
            _bad_row(name, error, options, problems)


def _read_delimited(name: str, stream: BinaryIO, options: InputOptions, problems: Tally,
                    tsv: bool) -> Iterator[Unit]:
    head = stream.peek(4)[:4] if hasattr(stream, "peek") else b""
    encoding = "utf-8-sig" if options.encoding.lower().replace("_", "-") == "utf-8" else options.encoding
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    text = codecs.getreader(encoding)(stream, options.errors)
    # TSV is read as CheckThat and most tools write it: no quoting, a tab ends every field.
    quoting = dict(delimiter="\t", quoting=csv.QUOTE_NONE) if tsv else {}
    rows = csv.reader(_lines_checked(text, name), **quoting)
    try:
        header = next(rows)
    except StopIteration:
        return
    # A missing column is the file's fault, not a row's: fail the file even with --skip-bad-rows.
    columns = dict.fromkeys(header, "")
    _column(columns, options.text_column, TEXT_COLUMNS, name, 1, "text")
    _column(columns, options.id_column, ID_COLUMNS, name, 1, "id", required=options.id_column is not None)
    _column(columns, options.label_column, LABEL_COLUMNS, name, 1, "label", required=options.label_column is not None)
    for number, values in enumerate(rows, start=2):
        if not any(v.strip() for v in values):
            continue
        try:
            # Short rows are padded, as csv.DictReader does: CheckThat's dev split leaves a trailing column
            # empty on half its rows. A missing text or label is still caught, by _unit_from_row.
            if len(values) > len(header):
                raise InputError(f"{name}:{number}: {len(values)} fields where the header has {len(header)}")
            yield _unit_from_row(name, number, dict(zip(header, values + [None] * (len(header) - len(values)))),
                                 options)
        except InputError as error:
            _bad_row(name, error, options, problems)


def _lines_checked(text: Iterable[str], name: str) -> Iterator[str]:
    number = 0
    try:
        for number, line in enumerate(text, start=1):
            if "\x00" in line:
                raise InputError(f"{name}:{number}: binary data (NUL byte); factcomment reads text files")
            yield line
    except UnicodeDecodeError:
        raise InputError(
            f"{name}:{number + 1}: not valid text in this encoding; pass --encoding or --errors replace"
        ) from None


def _unit_from_row(name: str, number: int, row: dict, options: InputOptions) -> Unit:
    text_key = _column(row, options.text_column, TEXT_COLUMNS, name, number, "text")
    text = row[text_key]
    if text is None:
        raise InputError(f"{name}:{number}: no value in column {text_key!r}")
    if not isinstance(text, str):
        raise InputError(f"{name}:{number}: column {text_key!r} is {type(text).__name__}, not text")
    id_key = _column(row, options.id_column, ID_COLUMNS, name, number, "id", required=options.id_column is not None)
    label_key = _column(row, options.label_column, LABEL_COLUMNS, name, number, "label",
                        required=options.label_column is not None)
    ident = row.get(id_key) if id_key else None
    label = row.get(label_key) if label_key else None
    if options.label_map is not None:
        label = map_label(label, options.label_map, f"{name}:{number}")
    if ident is not None and not isinstance(ident, (str, int, float)):
        ident = json.dumps(ident, ensure_ascii=False)  # an object or list as an id: kept as its JSON text
    return Unit(file=name, text=text, id=ident, line=number, label=None if label is None else str(label),
                reviewed=row.get("reviewed") is True)


def map_label(raw: object, label_map: Mapping[str, str], where: str) -> str:
    """Map a raw label (case-blind) to ``report``/``comment``, or raise an InputError naming ``where``."""
    label = label_map.get(str(raw).strip().lower()) if raw is not None else None
    if label is None:
        known = ", ".join(sorted(label_map))
        raise InputError(f"{where}: unknown label {raw!r} (known: {known}); map it with --label-map RAW=report")
    return label


def _column(row: dict, chosen: str | None, defaults: tuple[str, ...], name: str, number: int, what: str,
            required: bool = True) -> str | None:
    if chosen is not None:
        if chosen in row:
            return chosen
    else:
        for key in defaults:
            if key in row:
                return key
        if not required:
            return None
    columns = ", ".join(map(str, row)) or "none"
    flag = f"--{what}-column"
    looked = repr(chosen) if chosen else " or ".join(map(repr, defaults))
    raise InputError(f"{name}:{number}: no {what} column {looked} (columns: {columns}); pass {flag}")


def _bad_row(name: str, error: InputError, options: InputOptions, problems: Tally) -> None:
    if not options.skip_bad_rows:
        raise InputError(f"{error} (pass --skip-bad-rows to skip bad rows)", file=name)
    problems(InputError(str(error), file=name))


_READERS = {
    "text": _read_text,
    "jsonl": read_jsonl_lines,
    "csv": lambda *a: _read_delimited(*a, tsv=False),
    "tsv": lambda *a: _read_delimited(*a, tsv=True),
}
