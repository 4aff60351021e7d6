"""``factcomment split``: documents to paragraphs or sentences with offsets and kinds."""
from __future__ import annotations

from factcomment.cli.app import app
from factcomment.cli.options import (Debug, Encoding, Errors, Force, Format, Glob, InputFormat, Literal, Marker,
                                     Output, Paths, Quiet, SkipBad, Unit_, check_marker)
from factcomment.cli.session import emit, empty_columns, progress, session
from factcomment.readers import InputOptions, iter_units
from factcomment.segment import DEFAULT_MARKER
from factcomment.writers import split_row


@app.command()
def split(paths: Paths, unit: Unit_ = "paragraph", format: Format = None, output: Output = None, force: Force = False,
          marker: Marker = DEFAULT_MARKER, literal_marker: Literal = False, glob: Glob = "*.txt",
          input_format: InputFormat = "auto", encoding: Encoding = "utf-8", errors: Errors = "strict",
          skip_bad_rows: SkipBad = False, quiet: Quiet = False, debug: Debug = False) -> None:
    """Split documents into paragraphs (or sentences) with offsets, separating the marked asides.

    Each row has the file, paragraph (and sentence) index, start/end character offsets, kind (report or
    comment) and text. Asides' text excludes the marker, which is reported in its own column.
    """
    with session(debug, quiet) as tally:
        check_marker(marker, literal_marker)
        options = InputOptions(input_format=input_format, pattern=glob, encoding=encoding, errors=errors,
                               skip_bad_rows=skip_bad_rows, unit=unit, marker=marker, literal_marker=literal_marker)
        units = iter_units(paths, options, tally)
        emit("split", output, format, force, tally, paths, pattern=glob,
             rows=(split_row(u) for u in progress(units, quiet, output=output)),
             empty=empty_columns(paths, input_format, glob, unit))
