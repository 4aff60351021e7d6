"""Batch classification of files into rendered rows: the engine behind ``factcomment classify``.

The input is cut into pieces in input order. Each piece is parsed, classified and rendered as one unit of
work, so with ``jobs > 1`` (or on Dask) the expensive steps all run in the workers and the calling process
only frames the input and writes text: that is what lets two processes go nearly twice as fast as one.
JSON lines travel as raw lines and are parsed by the worker; documents, CSV and TSV are read here (splitting
and the csv module are cheap next to classifying) and travel as units. Whatever the number of workers, the
pieces come back in order and render the same bytes.
"""
from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice

from factcomment.api import classify_units
from factcomment.errors import InputError
from factcomment.explain import raw_count
from factcomment.inference import Model
from factcomment.parallel import ordered_map
from factcomment.readers import (InputOptions, Tally, Unit, expand_paths, format_of, is_wide_file, iter_units,
                                 read_jsonl_lines, unreadable)
from factcomment.writers import RowWriter, classify_row

PIECE = 2048  # lines or units per piece: big enough to amortise the hand-off, small enough to stay flat


@dataclass(frozen=True)
class Job:
    """What every piece is processed with, besides the model."""

    options: InputOptions
    threshold: float | None
    explain: int
    fmt: str
    columns: tuple[str, ...]


@dataclass(frozen=True)
class Piece:
    """One unit of work: units already read, or raw JSON lines of ``file`` starting at ``first_line``."""

    file: str
    units: list[Unit] | None = None
    lines: list[bytes] | None = None
    first_line: int = 1
    first_byte: int = 0
    last: bool = False  # the last piece of a file read as raw lines (empty for an empty file)


@dataclass(frozen=True)
class Rendered:
    """A piece's output text, the units parsed from raw lines, and the file's problems.

    It names the piece's file rather than holding the piece: a worker sends this back, and the input lines or
    units travelling back with it would double the traffic through the calling process.
    """

    file: str
    raw: bool  # the piece was raw JSON lines
    last: bool  # the piece ends its file (raw lines only)
    text: str
    parsed: int = 0
    errors: list[str] = field(default_factory=list)
    stopped: bool = False  # a bad row without --skip-bad-rows: the rest of the file is dropped


def classify_files(paths: Iterable[str], job: Job, model: Model, problems: Tally, *, jobs: int = 1,
                   dask: str | None = None) -> Iterator[str]:
    """Yield the rendered rows (without a header) for every input, in input order."""
    failed: set[str] = set()
    items = ((job, piece) for piece in _pieces(paths, job.options, problems, failed))
    results = ordered_map(render_piece, items, model, jobs, dask=dask)
    parsed: dict[str, int] = {}
    for result in results:
        name = result.file
        if result.raw:
            if name in failed:
                continue  # pieces already sent out before the file failed
            problems.units += result.parsed
            parsed[name] = parsed.get(name, 0) + result.parsed
            for message in result.errors:
                problems(InputError(message, file=name, stopped=result.stopped))
            if result.stopped:
                failed.add(name)
            elif result.last and not parsed.get(name):
                problems.warn(f"{name}: no text in this input (empty or whitespace only)")
        yield result.text


def render_piece(model: Model, item: tuple[Job, Piece]) -> Rendered:
    """Worker-side: parse (raw lines), classify and render one piece."""
    job, piece = item
    units, errors, stopped = piece.units or [], [], False
    if piece.lines is not None:
        local = Tally()
        units = []
        try:
            units.extend(read_jsonl_lines(piece.file, piece.lines, job.options, local, piece.first_line,
                                          piece.first_byte))
        except InputError as error:
            local(error)
            stopped = True
        errors = [str(e) for e in local.errors]
    out = io.StringIO()
    writer = RowWriter(out, job.fmt, job.columns, header=False)
    # A table shows readable reasons, which come from a longer list of raw features (see factcomment.explain).
    explain = raw_count(job.explain) if job.fmt == "table" else job.explain
    for unit, prediction in classify_units(units, model=model, threshold=job.threshold, explain=explain):
        writer.write(classify_row(unit, prediction, job.fmt, job.explain))
    raw = piece.lines is not None
    return Rendered(piece.file, raw, piece.last, out.getvalue(), len(units) if raw else 0, errors, stopped)


def _pieces(paths: Iterable[str], options: InputOptions, problems: Tally, failed: set[str]) -> Iterator[Piece]:
    for name in expand_paths(paths, options.pattern, problems):
        # JSON lines travel as raw lines, except UTF-16/32, which cannot be framed by bytes (read here instead).
        if name != "-" and format_of(name, None, options.input_format) == "jsonl" and not is_wide_file(name, options):
            yield from _line_pieces(name, problems, failed)
            continue
        units = iter_units([name], options, problems)
        while chunk := list(islice(units, PIECE)):
            yield Piece(name, units=chunk)


def _line_pieces(name: str, problems: Tally, failed: set[str]) -> Iterator[Piece]:
    problems.files += 1
    try:
        stream = open(name, "rb")
    except OSError as error:
        problems(unreadable(name, error))
        return
    with stream:
        line, byte = 1, 0
        lines = list(islice(stream, PIECE))
        while True:
            # One piece is read ahead so that the last piece with lines says so: a short file is then a single
            # piece of work, which needs no worker processes.
            following = list(islice(stream, PIECE)) if lines and name not in failed else []
            yield Piece(name, lines=lines, first_line=line, first_byte=byte, last=not following)
            if not following:
                return
            line, byte = line + len(lines), byte + sum(map(len, lines))
            lines = following
