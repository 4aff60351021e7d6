"""Readers: paths, directories and stdin in; a stream of typed :class:`Unit` records out.

Every reader is a generator, so memory stays flat however large the input (text documents are the one
exception: a document is split as a whole, so its text is held in memory, once, while it is split). A file
that cannot be read does not stop the others: its :class:`~factcomment.errors.InputError` is handed to
``problems`` and the stream goes on with the next input. Bad rows in JSON lines or CSV stop their file, unless
``skip_bad_rows`` is set, in which case each is reported and skipped.
"""
from __future__ import annotations

import codecs
import contextlib
import csv
import dataclasses
import io
import json
import math
import os
import re
import stat
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from factcomment.atomic import is_being_written
from factcomment.errors import InputError, UsageError
from factcomment.segment import DEFAULT_MARKER, UNITS, WHITESPACE, Segment, iter_segments

INPUT_FORMATS = ("auto", "text", "jsonl", "csv", "tsv")
SUFFIX_FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".tsv": "tsv"}
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
    line: int | None = None  # 1-based line (JSON lines), or the line a CSV/TSV record starts on (header: 1)
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
        if os.path.isabs(self.pattern) or ".." in Path(self.pattern).parts:
            raise UsageError(f"--glob {self.pattern!r}: a pattern matches files inside the directories named; "
                             "it cannot be absolute or contain '..' (name the other files or folders instead)")
        if self.errors not in ("strict", "replace"):
            raise UsageError(f"unknown --errors {self.errors!r}; use strict or replace")
        try:
            b"a".decode(self.encoding, "replace")  # a codec that turns bytes into text: not rot13, base64, zlib
        except (LookupError, UnicodeError):
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

    _stopped: set[str] = field(default_factory=set, repr=False)  # files a bad row stopped

    def __call__(self, error: InputError) -> None:
        self.errors.append(error)
        if error.stopped and error.file is not None:
            self._stopped.add(error.file)

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def no_text(self, name: str) -> None:
        """Warn that the input ``name`` gave nothing to read."""
        self.warn(f"{name}: no text in this input (empty or whitespace only)")

    def add(self, other: Tally) -> None:
        """Take in what another Tally recorded (a worker's, reading a block of lines)."""
        for error in other.errors:
            self(error)
        self.warnings += other.warnings
        self.files += other.files
        self.units += other.units

    def beside(self) -> Tally:
        """An empty Tally that shares this one's stopped files (for a reader running ahead of this one)."""
        return Tally(_stopped=self._stopped)

    def take(self) -> Tally:
        """Move out what was recorded since the last take (the files stopped stay known here)."""
        taken = Tally(self.errors, self.warnings, self.files, self.units)
        self.errors, self.warnings, self.files, self.units = [], [], 0, 0
        return taken

    def stopped(self, name: str) -> bool:
        """Whether a bad row stopped the input ``name``: the rows after it are not read."""
        return name in self._stopped

    @property
    def failed_files(self) -> set[str]:
        return {e.file for e in self.errors if e.file is not None}


@dataclass(frozen=True)
class Lines:
    """A block of raw lines of the JSON-lines file ``file``, from line ``first_line`` (byte ``first_byte``).

    :func:`iter_blocks` frames them and :func:`parse_lines` parses them, possibly in another process.
    """

    file: str
    lines: list[bytes]
    first_line: int = 1
    first_byte: int = 0
    last: bool = False  # the file's last block (empty for an empty file)
    encoding: str | None = None  # "utf-8" in a file with a UTF-8 BOM, whatever --encoding says


def expand_paths(paths: Iterable[str], pattern: str, problems: Tally) -> Iterator[str]:
    """Yield files to read: files as given, directories searched recursively for ``pattern``, ``-`` as is.

    A file reached twice (named twice, or inside two named folders, or through a symbolic or hard link) is
    read once, with a warning: its rows would otherwise come out twice, and train on duplicates.
    """
    seen: dict[object, str] = {}

    def first_time(name: str) -> bool:
        key = _identity(name)
        if key in seen:
            problems.warn(f"{name}: named more than once (as {seen[key]}); read once")
            return False
        seen[key] = name
        return True

    for raw in paths:
        path = Path(raw)
        if raw == "":  # Path("") is the working directory: an unset "$FILE" read (or trained on) all of it
            problems.files += 1
            problems(InputError("an empty path; give a file, a directory (. for this one) or - for standard input",
                                file=raw))
            continue
        try:
            is_dir = raw != "-" and path.is_dir()
        except OSError as error:  # a name too long, a folder on the way that may not be searched
            problems.files += 1
            problems(unreadable(raw, error))
            continue
        if is_dir:
            # Never this run's own output or anyone's temporary file, even when the output is in this folder.
            found = sorted(p for p in path.rglob(pattern) if p.is_file() and not is_being_written(p))
            if not found:
                problems.files += 1
                problems(InputError(f"{raw}: no files matching {pattern!r} in this directory; pass --glob", file=raw))
            yield from (name for name in map(str, found) if first_time(name))
        elif raw == "-" or path.exists():
            if first_time(raw):
                yield raw
        else:
            problems.files += 1
            problems(InputError(f"{raw}: no such file or directory", file=raw))


def _identity(name: str) -> object:
    """The file itself, whatever path or link leads to it; its real path if it cannot be looked at (it then
    fails when it is read)."""
    if name == "-":
        return name
    try:
        found = os.stat(name)
    except OSError:
        return os.path.realpath(name)
    return found.st_dev, found.st_ino


def iter_units(paths: Iterable[str], options: InputOptions, problems: Tally) -> Iterator[Unit]:
    """Read every input in turn; an unreadable input is reported to ``problems`` and skipped."""
    for name in expand_paths(paths, options.pattern, problems):
        yield from _read_input(name, options, problems)


def iter_documents(paths: Iterable[str], options: InputOptions, problems: Tally) -> Iterator[tuple[str, str]]:
    """Each input's whole text as ``(name, text)``, for what needs a document whole (the HTML report); an
    unreadable input is reported to ``problems`` and skipped. With ``input_format="auto"``, a file named as
    rows (``.jsonl``, ``.csv``, ``.tsv``) is reported and skipped too: shown whole, its markup would pass
    for a document; ``input_format="text"`` reads it as one."""
    for name in expand_paths(paths, options.pattern, problems):
        problems.files += 1
        with _reported(name, problems):
            fmt = format_of(name, None, options.input_format) if name != "-" else "text"
            if fmt != "text":
                raise InputError(f"{name}: a {fmt} file holds rows, not a document; the report shows whole text "
                                 "documents: classify rows with factcomment classify", file=name)
            with _open_binary(name) as stream:
                yield name, decode_stream(stream, name, options.encoding, options.errors)


def iter_blocks(paths: Iterable[str], options: InputOptions, problems: Tally,
                size: int) -> Iterator[Lines | list[Unit]]:
    """Every input in blocks of up to ``size`` lines or units, in input order.

    JSON-lines files come as raw :class:`Lines` for :func:`parse_lines` to parse where the work is done (UTF-16
    and UTF-32 ones excepted: they cannot be framed by bytes); other inputs as lists of units read here. A file
    a bad row stopped (see :meth:`Tally.stopped`) is read no further.
    """
    for name in expand_paths(paths, options.pattern, problems):
        # Only a regular file can be opened twice (is_wide_file peeks at its start): a pipe named as a path
        # (<(cmd), /dev/stdin, a FIFO) would give its first bytes to the peek and nothing to the reading.
        if (name != "-" and format_of(name, None, options.input_format) == "jsonl" and _is_regular(name)
                and not is_wide_file(name, options)):
            yield from _line_blocks(name, problems, size)
            continue
        units = _read_input(name, options, problems)
        while chunk := _take(units, size, lambda unit: len(unit.text)):
            yield chunk


PIECE_BYTES = 1 << 22  # a block also ends once it holds this much: 2,048 whole articles would be far more


def _take(items: Iterable, size: int, weigh: Callable[..., int]) -> list:
    """The next ``size`` items, or fewer that weigh :data:`PIECE_BYTES` together."""
    taken, held = [], 0
    for item in items:
        taken.append(item)
        held += weigh(item)
        if len(taken) >= size or held >= PIECE_BYTES:
            break
    return taken


def parse_lines(block: Lines, options: InputOptions) -> tuple[list[Unit], Tally]:
    """The units of a block of raw JSON lines, and a Tally of what went wrong and how many units it gave."""
    problems, units = Tally(), []
    options = options if block.encoding is None else dataclasses.replace(options, encoding=block.encoding)
    try:
        units.extend(read_jsonl_lines(block.file, block.lines, options, problems, block.first_line, block.first_byte))
    except InputError as error:  # a bad row stopped the file (not skip_bad_rows)
        problems(error)
    problems.units = len(units)
    return units, problems


def _read_input(name: str, options: InputOptions, problems: Tally) -> Iterator[Unit]:
    problems.files += 1
    count = 0
    with _reported(name, problems), _open_binary(name) as stream:
        if name == "-" and options.input_format == "auto":
            stream = _sniffable(stream)
        for unit in _READERS[format_of(name, stream, options.input_format)](name, stream, options, problems):
            count += 1
            problems.units += 1
            yield unit
        if count == 0:
            problems.no_text(name)


@contextlib.contextmanager
def _reported(name: str, problems: Tally) -> Iterator[None]:
    """Hand an input's failure to ``problems`` instead of raising it: the run goes on with the next input."""
    try:
        yield
    except InputError as error:
        error.file = name
        problems(error)
    except OSError as error:
        problems(unreadable(name, error))


def _line_blocks(name: str, problems: Tally, size: int) -> Iterator[Lines]:
    problems.files += 1
    # A read that fails part-way (EIO) is this input's failure, like one that fails at open: the blocks
    # already yielded stay, and the run goes on with the next input.
    with _reported(name, problems), open(name, "rb") as stream:
        # A UTF-8 BOM: every line is UTF-8, not the first only (UTF-16 and UTF-32 files are not framed).
        encoding = "utf-8" if bom_encoding(stream.peek(3)[:3] if hasattr(stream, "peek") else b"") else None
        line, byte, lines = 1, 0, _take(stream, size, len)
        while True:
            # One block is read ahead so that the last block with lines says so: a short file is then a single
            # piece of work, which needs no worker processes.
            following = _take(stream, size, len) if lines and not problems.stopped(name) else []
            yield Lines(name, lines, line, byte, last=not following, encoding=encoding)
            if not following:
                return
            line, byte, lines = line + len(lines), byte + sum(map(len, lines)), following


def unreadable(name: str, error: OSError) -> InputError:
    """The error for an input the operating system would not let us read."""
    return InputError(f"{name}: cannot read ({error.strerror or error}); check the path and permissions", file=name)


READ = 1 << 16  # bytes of a document read and decoded at a time


def decode_stream(stream: BinaryIO, name: str, encoding: str = "utf-8", errors: str = "strict", *,
                  keep_end: bool = True) -> str:
    """``decode(stream.read(), ...)``, with the same text and the same errors, without the bytes whole.

    UTF-8 (the default, and what a UTF-8 BOM selects) is read and decoded :data:`READ` bytes at a time, and
    the text grows in place: a document is held about once, not as its bytes and its text together. Other
    encodings are decoded whole. With ``keep_end=False`` whitespace at the end is left out (it holds no
    paragraph) without a copy of the text.
    """
    head = stream.peek(4)[:4] if hasattr(stream, "peek") else None
    bom = bom_encoding(head or b"")
    if head is None or codecs.lookup(bom or encoding).name not in ("utf-8", "utf-8-sig"):
        text = decode(stream.read(), name, encoding, errors)
        return text if keep_end else text.rstrip(WHITESPACE)
    # decode() counts the bytes of a UTF-8 file with a BOM from after the BOM (it is what the codec reports).
    shift = 3 if bom else 0
    text = held = ""  # held: whitespace at the end of what was decoded, added only if more text follows
    start, carry, offset, failed = b"", b"", 0, None
    while True:
        block = stream.read(READ if start else max(READ, 4096))
        data = carry + block if carry else block
        start = start or data[:4096]  # what decode() looks at for a UTF-16 hint
        # Cut before a byte that starts a character (never inside one): the pieces then decode, strictly or
        # with replacements, to what the whole does.
        cut = next((i for i in range(len(data) - 1, max(-1, len(data) - 5), -1) if data[i] & 0xC0 != 0x80), 0)
        data, carry = (data[:cut], data[cut:]) if block else (data, b"")
        nul = -1 if bom else data.find(b"\x00")  # as decode() does: a UTF-8 name holds no "16" or "32"
        if nul >= 0:
            raise _binary(name, offset + nul, start)
        if failed is None and data:
            try:
                piece = data.decode("utf-8-sig" if bom and offset == 0 else "utf-8", errors)
            except UnicodeDecodeError as error:
                # decode() looks for NUL bytes in the whole file first: the rest is read for them.
                failed = offset + error.start - (shift if offset else 0)
            else:
                if keep_end:
                    text += piece  # in place: CPython grows a string that only this name holds
                elif core := piece.rstrip(WHITESPACE):
                    text += held
                    text += core
                    held = piece[len(core):]
                else:
                    held += piece
        offset += len(data)
        if not block:
            break
    if failed is not None:
        raise InputError(f"{name}: {_not_valid(bom or encoding, failed)}")
    return text


def decode(data: bytes, name: str, encoding: str = "utf-8", errors: str = "strict", offset: int = 0) -> str:
    """Decode bytes from ``name``; a BOM picks UTF-8/UTF-16/UTF-32, a NUL byte elsewhere means binary."""
    bom = bom_encoding(data)
    nul = -1 if bom or "16" in encoding or "32" in encoding else data.find(b"\x00")
    if nul >= 0:
        raise _binary(name, offset + nul, data)
    encoding = bom or encoding
    try:
        return data.decode(encoding, errors)
    except UnicodeDecodeError as error:
        raise InputError(f"{name}: {_not_valid(encoding, offset + error.start)}") from None


def _binary(name: str, at: int, head: bytes) -> InputError:
    return InputError(f"{name}: binary data (NUL byte at byte {at}); factcomment reads text files{_utf16_hint(head)}")


def _not_valid(encoding: str, at: int) -> str:
    return f"not valid {encoding} at byte {at}; pass --encoding with the file's encoding, or --errors replace"


_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))  # UTF-32 LE first: it starts like UTF-16 LE


def bom_encoding(head: bytes) -> str | None:
    """The encoding a byte order mark at the start of ``head`` selects, or None."""
    return next((codec for bom, codec in _BOMS if head.startswith(bom)), None)


def _utf16_hint(data: bytes) -> str:
    """A hint for text that looks like UTF-16 without a BOM: NUL as every other byte of ASCII text."""
    sample = data[:4096]
    for first, codec in ((1, "utf-16-le"), (0, "utf-16-be")):
        zeros = sample[first::2]
        if len(zeros) >= 2 and zeros.count(0) >= 0.9 * len(zeros) and sample[1 - first::2].count(0) == 0:
            return f" (if it is {codec.upper()} text without a BOM, pass --encoding {codec})"
    return ""


def _wide_encoding(stream: BinaryIO, options: InputOptions) -> str | None:
    """UTF-16 or UTF-32 (by BOM, or by --encoding): text that cannot be cut into lines at the byte b"\\n"."""
    encoding = bom_encoding(stream.peek(4)[:4] if hasattr(stream, "peek") else b"") or options.encoding
    return encoding if _wide(encoding) else None


def _is_regular(name: str) -> bool:
    try:
        return stat.S_ISREG(os.stat(name).st_mode)
    except OSError:  # reported when the input is read
        return False


def is_wide_file(name: str, options: InputOptions) -> bool:
    """Whether the file ``name`` is UTF-16 or UTF-32 text (see :func:`_wide_encoding`); False if unreadable."""
    try:
        with open(name, "rb") as stream:
            return _wide_encoding(stream, options) is not None
    except OSError:
        return False


def _read_jsonl(name: str, stream: BinaryIO, options: InputOptions, problems: Tally) -> Iterator[Unit]:
    encoding = _wide_encoding(stream, options)
    if encoding is None:
        if bom_encoding(stream.peek(3)[:3] if hasattr(stream, "peek") else b""):  # UTF-8's: so is every line
            options = dataclasses.replace(options, encoding="utf-8")
        yield from read_jsonl_lines(name, stream, options, problems)
        return
    # UTF-16/32 lines are decoded here and handed on as UTF-8, which read_jsonl_lines frames and parses.
    text = io.TextIOWrapper(stream, encoding, options.errors, newline="\n")
    try:
        lines = (line.encode("utf-8", "surrogatepass") for line in _decoded_lines(text, name, encoding))
        yield from read_jsonl_lines(name, lines, dataclasses.replace(options, encoding="utf-8"), problems)
    finally:
        text.detach()  # the caller closes the file (or leaves stdin open)


def _decoded_lines(lines: Iterable[str], name: str, encoding: str) -> Iterator[str]:
    """The lines a UTF-16/32 decoder gives; an undecodable one is an InputError naming its line."""
    number = 0
    try:
        for number, line in enumerate(lines, start=1):
            yield line
    except UnicodeError as error:
        # Plain utf-16/utf-32 need a byte-order mark to know the byte order; --errors replace cannot supply one.
        fix = (f"the file has no byte-order mark: pass --encoding {encoding}-le (or -be)" if "BOM" in str(error)
               else "pass --encoding with the file's encoding, or --errors replace")
        raise InputError(f"{name}:{number + 1}: not valid {encoding}; {fix}") from None


def _open_binary(name: str) -> contextlib.AbstractContextManager[BinaryIO]:
    if name == "-":
        # Python sets sys.stdin to None when file descriptor 0 is closed (`<&-`, some daemons).
        stdin = getattr(sys.stdin, "buffer", None)
        if stdin is None:
            raise InputError("-: no standard input (it is closed); pipe the input in, or name a file instead of -",
                             file=name)
        return contextlib.nullcontext(stdin)  # `with` must not close stdin
    return open(name, "rb")


SNIFF = 4096  # bytes of stdin that format_of looks at


def format_of(name: str, stream: BinaryIO, requested: str) -> str:
    if requested != "auto":
        return requested
    if name != "-":
        return SUFFIX_FORMATS.get(Path(name).suffix.lower(), "text")
    # stdin has no name: a JSON object on the first non-blank character (after any BOM) means JSON lines.
    head = stream.peek(SNIFF)[:SNIFF] if hasattr(stream, "peek") else b""
    return "jsonl" if _blank_head(head).startswith("{") else "text"


def _blank_head(head: bytes) -> str:
    """``head`` decoded (by its BOM, else as UTF-8), without the blanks it starts with."""
    return head.decode(bom_encoding(head) or "utf-8", "ignore").lstrip(" \t\r\n")


def _sniffable(stream: BinaryIO) -> BinaryIO:
    """``stream`` (stdin) with enough of its start buffered for :func:`format_of` to decide as it would on
    the whole input: its first non-blank character, or :data:`SNIFF` bytes, or all of it.

    A peek at a pipe gives what the writer has written so far: from a slow producer whose first write was a
    blank line, that line was all there was to see, and JSON lines were read as a document.
    """
    if not hasattr(stream, "peek") or len(head := stream.peek(SNIFF)[:SNIFF]) >= SNIFF or _blank_head(head):
        return stream
    start = bytearray()
    while len(start) < SNIFF and not _blank_head(bytes(start)):
        chunk = stream.read1(SNIFF - len(start))  # waits for the writer, and returns what it has written
        if not chunk:
            break
        start += chunk
    return io.BufferedReader(_Prefixed(bytes(start), stream))


class _Prefixed(io.RawIOBase):
    """The bytes ``start``, then the rest of ``stream``; closing it leaves ``stream`` (stdin) open."""

    def __init__(self, start: bytes, stream: BinaryIO) -> None:
        self._start, self._stream = memoryview(start), stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self._start:
            n = min(len(buffer), len(self._start))
            buffer[:n] = self._start[:n]
            self._start = self._start[n:]
            return n
        return self._stream.readinto1(buffer)


def _read_text(name: str, stream: BinaryIO, options: InputOptions, problems: Tally) -> Iterator[Unit]:
    # The text is handed to the splitter and not kept here: once the last paragraph is cut out of it, it goes,
    # and a document that is one paragraph (without whitespace at the end) is that paragraph, not a copy.
    for segment in iter_segments(decode_stream(stream, name, options.encoding, options.errors, keep_end=False),
                                 marker=options.marker, unit=options.unit, literal=options.literal_marker):
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
                line = decode(raw, f"{name}:{number}", options.encoding, options.errors, offset=start)
                if not line.strip():  # a BOM on a line of its own
                    continue
            try:
                if line.startswith("\ufeff"):  # what json.loads says, as the decoder alone does not
                    raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", line, 0)
                row = _JSON.decode(line)
            except ValueError as error:
                # JSONDecodeError's msg stops where its position begins ("Invalid control character at"),
                # so the column in this line is added back.
                detail = str(error)
                if isinstance(error, json.JSONDecodeError):
                    detail = f"{error.msg.removesuffix(' at')} at column {error.pos + 1}"
                raise InputError(f"{name}:{number}: not valid JSON ({detail})") from None
            except RecursionError:
                raise InputError(f"{name}:{number}: JSON nested too deeply to read") from None
            if not isinstance(row, dict):
                raise InputError(f"{name}:{number}: expected a JSON object with a text field")
            if type(row) is _Repeats:
                _refuse_repeated_keys(name, number, row, options)
            yield _unit_from_row(name, number, row, options)
        except InputError as error:
            _bad_row(name, error, options, problems)


class _Repeats(dict):
    """A JSON object in which some key appears more than once: ``repeated`` counts those keys."""

    __slots__ = ("repeated",)


def _json_object(pairs: list[tuple[str, object]]) -> dict:
    # json keeps the last value of a repeated key without a word: {"text": "a", "text": "b"} reads as "b".
    # Only a key factcomment reads is an error (see _refuse_repeated_keys); this costs one dict() per object.
    row = dict(pairs)
    if len(row) == len(pairs):
        return row
    row = _Repeats(row)
    counts: dict[str, int] = {}
    for key, _ in pairs:
        counts[key] = counts.get(key, 0) + 1
    row.repeated = {key: n for key, n in counts.items() if n > 1}
    return row


_JSON = json.JSONDecoder(object_pairs_hook=_json_object)


def _refuse_repeated_keys(name: str, number: int, row: _Repeats, options: InputOptions) -> None:
    """An InputError if a key that :func:`_unit_from_row` reads appears more than once in the JSON object."""
    for chosen, defaults in ((options.text_column, TEXT_COLUMNS), (options.id_column, ID_COLUMNS),
                             (options.label_column, LABEL_COLUMNS), ("reviewed", ())):
        key = chosen if chosen is not None else next((k for k in defaults if k in row), None)
        if key in row.repeated:
            # Which value counts is up to the JSON reader (Python's keeps the last): refuse to guess.
            raise InputError(f"{name}:{number}: key {key!r} appears {row.repeated[key]} times in the object; "
                             "remove all but one")


def _read_delimited(name: str, stream: BinaryIO, options: InputOptions, problems: Tally, tsv: bool) -> Iterator[Unit]:
    bad: dict[int, str] = {}  # physical line -> why it could not be read (undecodable, NUL)
    lines = _LineCounter(_delimited_lines(name, stream, options, bad))
    # TSV is read as CheckThat and most tools write it: no quoting, a tab ends every field.
    quoting = dict(delimiter="\t", quoting=csv.QUOTE_NONE) if tsv else {}
    rows = csv.reader(lines, **quoting)
    header = _next_record(rows, name, lines, bad)
    if header is None:
        return
    # A missing column is the file's fault, not a row's: fail the file even with --skip-bad-rows.
    columns = dict.fromkeys(header, "")
    labelled = options.label_map is not None  # train and evaluate need the label column as much as the text
    text = _column(columns, options.text_column, TEXT_COLUMNS, name, 1, "text")
    ident = _column(columns, options.id_column, ID_COLUMNS, name, 1, "id", required=False)
    label = _column(columns, options.label_column, LABEL_COLUMNS, name, 1, "label", required=labelled)
    for column in (text, ident, label if labelled else None):
        # A row maps each name to one value: of a name in the header twice, the last would win unsaid.
        if column is not None and header.count(column) > 1:
            raise InputError(f"{name}:1: column {column!r} appears {header.count(column)} times in the header; "
                             "rename all but one")
    while True:
        number = lines.count + 1  # the physical line the record starts on
        try:
            values = _next_record(rows, name, lines, bad)
            if values is None:
                return
            if not any(v.strip() for v in values):
                continue
            # Short rows are padded, as csv.DictReader does: CheckThat's dev split leaves a trailing column
            # empty on half its rows. A missing text or label is still caught, by _unit_from_row.
            if len(values) > len(header):
                raise InputError(f"{name}:{number}: {len(values)} fields where the header has {len(header)}")
            yield _unit_from_row(name, number, dict(zip(header, values + [None] * (len(header) - len(values)))),
                                 options)
        except InputError as error:
            _bad_row(name, error, options, problems)


def _next_record(rows: Iterator[list[str]], name: str, lines: _LineCounter, bad: dict[int, str]) -> list[str] | None:
    """The next CSV/TSV record, or None at the end; InputError for a record on a line that could not be read."""
    first = lines.count + 1
    try:
        values = next(rows)
    except StopIteration:
        return None
    except csv.Error as error:
        raise InputError(f"{name}:{lines.count}: malformed CSV ({error})") from None
    if lines.exhausted:
        # The csv module only reads past a record's last line when a quoted field is still open: it then
        # returns the rest of the file as one field.
        raise InputError(f"{name}:{first}: a quoted field starts on this line and its closing quote is missing "
                         "(the rest of the file would be one field)")
    for number in range(first, lines.count + 1):
        if number in bad:
            raise InputError(f"{name}:{number}: {bad.pop(number)}")
    return values


class _LineCounter:
    """Lines passed through to the csv module, counted, so that a record knows the lines it spans."""

    def __init__(self, lines: Iterator[str]) -> None:
        self._lines, self.count, self.exhausted = lines, 0, False

    def __iter__(self) -> _LineCounter:
        return self

    def __next__(self) -> str:
        try:
            line = next(self._lines)
        except StopIteration:
            self.exhausted = True
            raise
        self.count += 1
        return line


def _delimited_lines(name: str, stream: BinaryIO, options: InputOptions, bad: dict[int, str]) -> Iterator[str]:
    """Decoded lines of a CSV/TSV file; a line that cannot be decoded (or holds a NUL) is noted in ``bad``.

    Byte encodings are decoded a line at a time, so one bad byte costs one row, not the file. UTF-16 and
    UTF-32 cannot be cut into lines before decoding; there an undecodable byte still ends the file.
    """
    head = stream.peek(4)[:4] if hasattr(stream, "peek") else b""
    encoding = "utf-8-sig" if options.encoding.lower().replace("_", "-") == "utf-8" else options.encoding
    encoding = bom_encoding(head) or encoding
    if _wide(encoding):
        # A text stream, not codecs.getreader, whose lines end at str.splitlines' breaks (see below) too.
        text = io.TextIOWrapper(stream, encoding, options.errors, newline="")
        text._CHUNK_SIZE = 128  # decoded a little at a time: an undecodable byte ends the file near its own line
        try:
            yield from _decoded_lines(text, name, encoding)
        finally:
            text.detach()  # the caller closes the file (or leaves stdin open)
        return
    decoder_encoding, number, offset = encoding, 0, 0
    for raw in stream:
        try:
            text = raw.decode(decoder_encoding, options.errors)
            problem = "binary data (NUL byte); factcomment reads text files" if "\x00" in text else None
        except UnicodeDecodeError as error:
            text = raw.decode(decoder_encoding, "replace")
            problem = _not_valid(options.encoding, offset + error.start)
        decoder_encoding = "utf-8" if encoding == "utf-8-sig" else encoding  # only the file's start has a BOM
        offset += len(raw)
        # Lines end at \n, \r\n or a lone \r, as in a text stream; str.splitlines (the fast way to find that there
        # is just one) ends them at \f, \x85 and U+2028 too, which would cut a field that holds one.
        pieces = text.splitlines(keepends=True)
        for piece in pieces if len(pieces) < 2 else _LINE.findall(text):
            number += 1
            if problem is not None:
                bad.setdefault(number, problem)
            yield piece


_LINE = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+")


def _wide(encoding: str) -> bool:
    """Whether ``encoding`` is one whose bytes cannot be split into lines at b"\\n" (UTF-16, UTF-32)."""
    return codecs.lookup(encoding).name.startswith(("utf-16", "utf-32"))


def _unit_from_row(name: str, number: int, row: dict, options: InputOptions) -> Unit:
    text_key = _column(row, options.text_column, TEXT_COLUMNS, name, number, "text")
    text = row[text_key]
    if text is None:
        raise InputError(f"{name}:{number}: no value in column {text_key!r}")
    if not isinstance(text, str):
        raise InputError(f"{name}:{number}: column {text_key!r} is {type(text).__name__}, not text")
    id_key = _column(row, options.id_column, ID_COLUMNS, name, number, "id", required=False)
    label_key = _column(row, options.label_column, LABEL_COLUMNS, name, number, "label",
                        required=options.label_map is not None)
    ident = row.get(id_key) if id_key else None
    label = row.get(label_key) if label_key else None
    if options.label_map is not None:
        label = map_label(label, options.label_map, f"{name}:{number}")
    if ident is not None and not isinstance(ident, (str, int, float)):
        ident = json.dumps(ident, ensure_ascii=False)  # an object or list as an id: kept as its JSON text
    if isinstance(ident, float) and not math.isfinite(ident):
        # Python's json reads NaN and Infinity (not JSON) and 1e400 (JSON, beyond a float) as such floats, and
        # would write them back as NaN or Infinity: output lines that JSON readers refuse.
        raise InputError(f"{name}:{number}: id {ident} is not a finite number, which JSON cannot carry; "
                         "write the id as a string")
    return Unit(file=name, text=text, id=ident, line=number, label=None if label is None else str(label),
                reviewed=row.get("reviewed") is True)


def map_label(raw: object, label_map: Mapping[str, str], where: str) -> str:
    """Map a raw label (case-blind) to ``report``/``comment``, or raise an InputError naming ``where``."""
    if raw is None or not str(raw).strip():
        # --label-map cannot name a missing or blank label ('=report' is refused), so it is no fix for one.
        raise InputError(f"{where}: no label ({'null' if raw is None else repr(raw)}); give the row a label of "
                         "report or comment, or leave the row out")
    label = label_map.get(str(raw).strip().lower())
    if label is None:
        known = ", ".join(sorted(label_map))
        raise InputError(f"{where}: unknown label {raw!r} (known: {known}); map it with --label-map RAW=report")
    return label


def _column(row: dict, chosen: str | None, defaults: tuple[str, ...], name: str, number: int, what: str,
            required: bool = True) -> str | None:
    """The column ``chosen`` (it must be there), else the first of ``defaults`` there, else None or, if
    ``required``, an InputError."""
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
    looked = repr(chosen) if chosen is not None else " or ".join(map(repr, defaults))
    raise InputError(f"{name}:{number}: no {what} column {looked} (columns: {columns}); pass --{what}-column")


def _bad_row(name: str, error: InputError, options: InputOptions, problems: Tally) -> None:
    if not options.skip_bad_rows:
        raise InputError(f"{error} (pass --skip-bad-rows to skip bad rows)", file=name, stopped=True)
    problems(InputError(str(error), file=name, skipped_row=True))


_READERS = {
    "text": _read_text,
    "jsonl": _read_jsonl,
    "csv": lambda *a: _read_delimited(*a, tsv=False),
    "tsv": lambda *a: _read_delimited(*a, tsv=True),
}
