"""``factcomment classify``: a label and p_comment for every paragraph, sentence or row."""
from __future__ import annotations

import contextlib
from typing import Annotated, Optional

import typer

from factcomment.cli.app import app
from factcomment.cli.options import (AllowMismatch, Debug, Encoding, Errors, Force, Format, Glob, IdColumn,
                                     InputFormat, Literal, Marker, ModelPath, Output, Paths, Quiet, SkipBad,
                                     TextColumn, Threshold, Unit_, check_marker)
from factcomment.cli.session import emit, empty_columns, progress, quiet_logs, session
from factcomment.readers import InputOptions
from factcomment.segment import DEFAULT_MARKER


@app.command()
def classify(paths: Paths, unit: Unit_ = "paragraph", format: Format = None, output: Output = None,
             force: Force = False, model: ModelPath = None, threshold: Threshold = None,
             explain: Annotated[int, typer.Option("--explain", help="Add the K strongest features each way.", min=0)] = 0,
             jobs: Annotated[int, typer.Option(
                 "--jobs", "-j", help="Worker processes, at most one per usable core; 0: one per usable core "
                                      "(output is identical).", min=0)] = 1,
             dask: Annotated[Optional[str], typer.Option(
                 "--dask", help="Run on a Dask cluster: a tcp:// scheduler address, or 'local'.")] = None,
             text_column: TextColumn = None, id_column: IdColumn = None, marker: Marker = DEFAULT_MARKER,
             literal_marker: Literal = False, glob: Glob = "*.txt", input_format: InputFormat = "auto",
             encoding: Encoding = "utf-8", errors: Errors = "strict", skip_bad_rows: SkipBad = False,
             allow_version_mismatch: AllowMismatch = False, quiet: Quiet = False, debug: Debug = False) -> None:
    """Label each paragraph, sentence or row 'report' or 'comment', with p_comment.

    Documents are split first; asides marked by the writer keep the label comment (source=marker), the rest
    is labelled by the model (source=model). JSON lines and CSV/TSV rows are classified as they are, one
    output row per input row, in input order, carrying the row's id.
    """
    with _quiet_dask(dask, debug), session(debug, quiet) as tally:
        from factcomment.batch import Job, classify_files
        from factcomment.inference import load_model

        check_marker(marker, literal_marker)
        options = InputOptions(input_format=input_format, pattern=glob, encoding=encoding, errors=errors,
                               text_column=text_column, id_column=id_column, skip_bad_rows=skip_bad_rows,
                               unit=unit, marker=marker, literal_marker=literal_marker)
        loaded = load_model(model, allow_version_mismatch=allow_version_mismatch)

        def rendered(fmt: str, columns: tuple[str, ...]):
            job = Job(options, threshold, explain, fmt, columns)
            return progress(classify_files(paths, job, loaded, tally, jobs=jobs, dask=dask), quiet,
                            count=lambda: tally.units, output=output)

        emit("classify", output, format, force, tally, paths, pattern=glob, rendered=rendered, explain=bool(explain),
             empty=empty_columns(paths, input_format, glob, unit))


def _quiet_dask(dask: str | None, debug: bool) -> contextlib.AbstractContextManager:
    """Dask's own log records (multi-line tracebacks when the scheduler is lost, from the client's event loop)
    would stand beside the one-line error, so they are silenced until the run has ended; --debug keeps them
    for a bug report."""
    if dask is None or debug:
        return contextlib.nullcontext()
    with contextlib.suppress(ImportError):  # without Dask, --dask fails with its own message
        import distributed  # noqa: F401 -- sets its loggers' levels on import: first, so they stay silenced

    return quiet_logs("distributed", "tornado")
