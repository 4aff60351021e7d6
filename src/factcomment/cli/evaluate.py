"""``factcomment evaluate``: score a model against labelled inputs."""
from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from factcomment.cli.app import app
from factcomment.cli.options import (AllowMismatch, Debug, Encoding, Errors, Glob, InputFormat, LabelColumn,
                                     LabelMap, Literal, Marker, ModelPath, Paths, Quiet, SkipBad, TextColumn,
                                     Threshold, Unit_, check_marker)
from factcomment.cli.session import session
from factcomment.errors import UsageError
from factcomment.readers import InputOptions
from factcomment.segment import DEFAULT_MARKER
from factcomment.writers import open_output


@app.command()
def evaluate(paths: Paths, model: ModelPath = None, threshold: Threshold = None,
             format: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
             plot: Annotated[Optional[str], typer.Option(
                 "--plot", help="Also draw the confusion matrix and precision-recall curve to this PNG "
                                "(needs matplotlib: pip install 'factcomment\\[plot]').")] = None,
             force: Annotated[bool, typer.Option("--force", help="Overwrite the --plot file if it exists.")] = False,
             text_column: TextColumn = None, label_column: LabelColumn = None, label_map: LabelMap = None,
             unit: Unit_ = "paragraph", marker: Marker = DEFAULT_MARKER, literal_marker: Literal = False,
             glob: Glob = "*.txt", input_format: InputFormat = "auto", encoding: Encoding = "utf-8",
             errors: Errors = "strict", skip_bad_rows: SkipBad = False,
             allow_version_mismatch: AllowMismatch = False, quiet: Quiet = False, debug: Debug = False) -> None:
    """Score a model on labelled inputs: macro-F1, per-class precision/recall/F1, confusion matrix.

    Marked asides in documents count as gold 'comment' and are scored by the model with the marker removed,
    so the figures measure the model, not the markers.
    """
    with session(debug, quiet, elsewhere="redirect it elsewhere") as tally:  # it has no -o
        from factcomment.evaluation import evaluate_files, render_table
        from factcomment.labelled import parse_label_map

        if format not in ("table", "json"):
            raise UsageError(f"unknown --format {format!r}; use table or json")
        check_marker(marker, literal_marker)
        if plot == "-":
            raise UsageError("--plot -: standard output carries the table; give the PNG a file name")
        if plot == "":
            raise UsageError("--plot is empty; give the PNG a file name")
        options = InputOptions(input_format=input_format, pattern=glob, encoding=encoding, errors=errors,
                               text_column=text_column, label_column=label_column, skip_bad_rows=skip_bad_rows,
                               label_map=parse_label_map(label_map or []), unit=unit, marker=marker,
                               literal_marker=literal_marker)
        # The plot is an output like -o: claimed first (never an input), written whole or not at all.
        with (open_output(plot, force=force, inputs=paths, pattern=glob, option="--plot") if plot is not None
              else contextlib.nullcontext()) as picture:
            # The figure is always a PNG: a .pdf or .jpg name would get PNG bytes under the wrong suffix.
            # (Checked once the name is known not to be an input, so that error is the one reported.)
            if plot is not None and Path(plot).suffix and Path(plot).suffix.lower() != ".png":
                raise UsageError(f"--plot {plot}: the plot is a PNG image; give a file name ending in .png")
            if plot is not None:
                from factcomment.plots import require_matplotlib

                require_matplotlib()  # now, not after the evaluation has run and its table been printed
            result = evaluate_files(paths, options, tally, model=model, threshold=threshold,
                                    allow_version_mismatch=allow_version_mismatch)
            if plot is not None:
                from factcomment.plots import plot_evaluation

                plot_evaluation(result, png := io.BytesIO())
                picture.buffer.write(png.getvalue())
        # After the plot is committed: a plot that cannot be written (a full disk) leaves no table on stdout.
        typer.echo(json.dumps(result.as_dict(), indent=2) if format == "json" else render_table(result))
