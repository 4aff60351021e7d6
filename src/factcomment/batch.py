"""Batch classification of files into rendered rows: the engine behind ``factcomment classify``.

The input is cut into pieces in input order. Each piece is parsed, classified and rendered as one unit of
work, so with ``jobs > 1`` (or on Dask) the expensive steps all run in the workers and the calling process
only frames the input and writes text: that is what lets two processes go nearly twice as fast as one.
The readers frame the input (:func:`~factcomment.readers.iter_blocks`): JSON lines travel as raw lines and are
parsed by the worker (:func:`~factcomment.readers.parse_lines`), whose typed errors and counts come back in a
:class:`~factcomment.readers.Tally`; documents, CSV and TSV are read here (splitting and the csv module are
cheap next to classifying) and travel as units. Whatever the number of workers, the pieces come back in
order (:func:`~factcomment.parallel.ordered_map`) and render the same bytes.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from factcomment.api import classify_units
from factcomment.explain import raw_count
from factcomment.inference import Model
from factcomment.parallel import local_workers, ordered_map
from factcomment.readers import InputOptions, Lines, Tally, Unit, iter_blocks, parse_lines
from factcomment.writers import LongText, RenderedRows, RowWriter, classify_row, rendered_pieces

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
class Rendered:
    """A piece's output text; for raw JSON lines, also their file and what parsing them found.

    It names the piece's file rather than holding the piece: a worker sends this back, and the input lines or
    units travelling back with it would double the traffic through the calling process.
    """

    text: list[str | LongText]  # a long text stays a reference until written (see RenderedRows)
    file: str = ""
    first: bool = False  # the first block of its file (raw lines only)
    last: bool = False  # the last block of its file (raw lines only)
    parsed: Tally | None = None  # None: the units were read, and counted, by the calling process


def classify_files(paths: Iterable[str], job: Job, model: Model, problems: Tally, *, jobs: int = 1,
                   dask: str | None = None) -> Iterator[str]:
    """Yield the rendered rows (without a header) for every input, in input order."""
    if dask is None and (workers := local_workers(jobs)) < jobs:
        problems.warn(f"--jobs {jobs}: only {workers} usable core(s) here; using --jobs {workers}")
    # Framing runs ahead of the results (the workers' window): what it records, it hands on with its piece,
    # so that problems are reported in input order whatever the jobs. Bad rows it learns of stop it early.
    ahead, framed = problems.beside(), deque()

    def pieces() -> Iterator[tuple[Job, Lines | list[Unit]]]:
        for block in iter_blocks(paths, job.options, ahead, PIECE):
            framed.append(ahead.take())
            yield job, block

    in_file = 0  # units parsed so far from the file of the current raw blocks
    try:
        for result in ordered_map(render_piece, pieces(), model, jobs, dask=dask):
            problems.add(framed.popleft())
            if result.parsed is not None:
                if problems.stopped(result.file):
                    continue  # blocks framed before a bad row stopped their file
                problems.add(result.parsed)
                in_file = result.parsed.units + (0 if result.first else in_file)
                if result.last and not in_file and not problems.stopped(result.file):
                    problems.no_text(result.file)
            yield from rendered_pieces(result.text)
    finally:  # what framing found after the last result (inputs with no piece, or a run ended by a failure)
        for found in framed:
            problems.add(found)
        problems.add(ahead.take())


def render_piece(model: Model, item: tuple[Job, Lines | list[Unit]]) -> Rendered:
    """Worker-side: parse (raw lines), classify and render one piece."""
    job, block = item
    units, parsed = parse_lines(block, job.options) if isinstance(block, Lines) else (block, None)
    out = RenderedRows()
    writer = RowWriter(out, job.fmt, job.columns, header=False)
    # A table shows readable reasons, which come from a longer list of raw features (see factcomment.explain).
    explain = raw_count(job.explain) if job.fmt == "table" else job.explain
    for unit, prediction in classify_units(units, model=model, threshold=job.threshold, explain=explain):
        writer.write(classify_row(unit, prediction, job.fmt, job.explain))
    if parsed is None:
        return Rendered(out.value())
    return Rendered(out.value(), block.file, block.first_byte == 0, block.last, parsed)
