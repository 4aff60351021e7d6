"""The ``factcomment`` command: thin shells that parse options, call one library function and render.

Exit codes: 0 all inputs processed; 1 some inputs failed (the others were processed and written; the
failures are listed on stderr at the end); 2 usage error, or nothing could be processed; 130 interrupted.
stdout carries data only; progress, warnings and errors go to stderr.
"""
from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
from collections.abc import Iterable, Iterator
from typing import Annotated, Any, Optional

import typer

from factcomment.errors import FactcommentError
from factcomment.readers import INPUT_FORMATS, InputOptions, Tally, Unit, iter_units
from factcomment.segment import DEFAULT_MARKER
from factcomment.writers import RowWriter, choose_format, classify_row, columns_for, open_output, split_row

EXIT_OK, EXIT_SOME_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
EXIT_CODES_HELP = ("Exit codes: 0 all inputs processed; 1 some inputs failed (the rest were processed); "
                   "2 usage error or nothing could be processed; 130 interrupted.")

app = typer.Typer(
    name="factcomment",
    help="Tell reported fact from editorial commentary in news text.\n\n" + EXIT_CODES_HELP,
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

# One reusable set of options, shared by every command that reads or writes rows.
Paths = Annotated[list[str], typer.Argument(help="Files, directories (searched recursively) or - for stdin.",
                                            show_default=False)]
Unit_ = Annotated[str, typer.Option("--unit", "-u", help="Split documents into 'paragraph' or 'sentence' units.")]
Format = Annotated[Optional[str], typer.Option(
    "--format", "-f", help="Output format: table, jsonl, csv or tsv. Default: table on a terminal, jsonl otherwise.",
    show_default=False)]
Output = Annotated[Optional[str], typer.Option(
    "--output", "-o", help="Write to this file (atomically: complete or not at all) instead of stdout.")]
Force = Annotated[bool, typer.Option("--force", help="Overwrite --output if it exists.")]
Glob = Annotated[str, typer.Option("--glob", help="File pattern when searching directories.")]
InputFormat = Annotated[str, typer.Option(
    "--input-format", help="Input format: auto (by file suffix; stdin sniffed), text, jsonl, csv or tsv.")]
Encoding = Annotated[str, typer.Option("--encoding", help="Text encoding of inputs without a BOM.")]
Errors = Annotated[str, typer.Option("--errors", help="On undecodable bytes: 'strict' (fail the file) or 'replace'.")]
TextColumn = Annotated[Optional[str], typer.Option(
    "--text-column", help="JSON/CSV/TSV field holding the text (default: text, else sentence).")]
IdColumn = Annotated[Optional[str], typer.Option(
    "--id-column", help="JSON/CSV/TSV field holding the row id (default: id, else sentence_id).")]
LabelColumn = Annotated[Optional[str], typer.Option(
    "--label-column", help="JSON/CSV/TSV field holding the gold label (default: label, else kind).")]
LabelMap = Annotated[Optional[list[str]], typer.Option(
    "--label-map", help="Map a raw label: RAW=report or RAW=comment (repeatable). OBJ/SUBJ are known.")]
SkipBad = Annotated[bool, typer.Option("--skip-bad-rows", help="Report and skip malformed rows instead of failing the file.")]
Marker = Annotated[str, typer.Option("--marker", help="Regular expression that starts an aside paragraph.")]
Literal = Annotated[bool, typer.Option("--literal-marker", help="Treat --marker as plain text, not a regex.")]
ModelPath = Annotated[Optional[str], typer.Option("--model", "-m", help="Model directory (default: the shipped model).")]
AllowMismatch = Annotated[bool, typer.Option(
    "--allow-version-mismatch", help="Load a model saved with other library versions (only if you trust it).")]
Threshold = Annotated[Optional[float], typer.Option(
    "--threshold", "-t", help="Label comment when p_comment >= this (default: the model's tuned threshold).",
    min=0.0, max=1.0)]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or warnings on stderr.")]
Debug = Annotated[bool, typer.Option("--debug", help="Show a traceback on errors (for bug reports).")]


def main() -> None:
    """Console-script entry point."""
    app()


@app.command()
def split(paths: Paths, unit: Unit_ = "paragraph", format: Format = None, output: Output = None, force: Force = False,
          marker: Marker = DEFAULT_MARKER, literal_marker: Literal = False, glob: Glob = "*.txt",
          input_format: InputFormat = "auto", encoding: Encoding = "utf-8", errors: Errors = "strict",
          skip_bad_rows: SkipBad = False, quiet: Quiet = False, debug: Debug = False) -> None:
    """Split documents into paragraphs (or sentences) with offsets, separating the marked asides.

    Each row has the file, paragraph (and sentence) index, start/end character offsets, kind (report or
    comment) and text. Asides' text excludes the marker, which is reported in its own column.
    """
    tally = Tally()
    with _session(debug, quiet, tally):
        options = InputOptions(input_format=input_format, pattern=glob, encoding=encoding, errors=errors,
                               skip_bad_rows=skip_bad_rows, unit=unit, marker=marker, literal_marker=literal_marker)
        units = iter_units(paths, options, tally)
        _emit("split", (split_row(u) for u in _progress(units, quiet)), output, format, force)


@app.command()
def classify(paths: Paths, unit: Unit_ = "paragraph", format: Format = None, output: Output = None,
             force: Force = False, model: ModelPath = None, threshold: Threshold = None,
             explain: Annotated[int, typer.Option("--explain", help="Add the K strongest features each way.", min=0)] = 0,
             jobs: Annotated[int, typer.Option("--jobs", "-j", help="Worker processes (output is identical).", min=1)] = 1,
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
    tally = Tally()
    with _session(debug, quiet, tally):
        from factcomment.api import classify_units
        from factcomment.persist import load_model

        options = InputOptions(input_format=input_format, pattern=glob, encoding=encoding, errors=errors,
                               text_column=text_column, id_column=id_column, skip_bad_rows=skip_bad_rows,
                               unit=unit, marker=marker, literal_marker=literal_marker)
        loaded = load_model(model, allow_version_mismatch=allow_version_mismatch)
        units = _progress(iter_units(paths, options, tally), quiet)
        pairs = classify_units(units, model=loaded, threshold=threshold, explain=explain, jobs=jobs, dask=dask)
        _emit("classify", None, output, format, force, explain=bool(explain), pairs=pairs)


@app.command()
def train(paths: Paths,
          out: Annotated[str, typer.Option("--out", help="Directory to write the model and its card to.")],
          heldout: Annotated[Optional[list[str]], typer.Option(
              "--heldout", help="Labelled file scored by the model trained without it; figures go on the card.")] = None,
          refit_with_heldout: Annotated[bool, typer.Option(
              "--refit-with-heldout", help="After scoring --heldout, train the saved model on it too.")] = False,
          seed: Annotated[int, typer.Option("--seed", help="Random seed (training is deterministic).")] = 0,
          folds: Annotated[int, typer.Option("--folds", help="Cross-validation folds for threshold and metrics.", min=2)] = 5,
          force: Annotated[bool, typer.Option("--force", help="Replace a model already in --out.")] = False,
          text_column: TextColumn = None, label_column: LabelColumn = None, label_map: LabelMap = None,
          unit: Unit_ = "paragraph", marker: Marker = DEFAULT_MARKER, literal_marker: Literal = False,
          glob: Glob = "*.txt", input_format: InputFormat = "auto", encoding: Encoding = "utf-8",
          errors: Errors = "strict", skip_bad_rows: SkipBad = False, quiet: Quiet = False, debug: Debug = False) -> None:
    """Train a model on labelled inputs and write it, with its card, to --out.

    Inputs: documents with marked asides (asides are comment, the rest report), JSON lines/CSV/TSV with a
    label column (report/comment, or OBJ/SUBJ as in CheckThat, or anything mapped with --label-map).
    Prints a JSON summary (counts, threshold, cross-validated and held-out figures) on stdout.
    """
    tally = Tally()
    with _session(debug, quiet, tally):
        from factcomment.labelled import parse_label_map
        from factcomment.persist import CARD_FILE
        from factcomment.training import train_files

        if os.path.exists(os.path.join(out, CARD_FILE)) and not force:
            raise _usage(f"{out}: already holds a model; pass --force to replace it")
        options = InputOptions(input_format=input_format, pattern=glob, encoding=encoding, errors=errors,
                               text_column=text_column, label_column=label_column, skip_bad_rows=skip_bad_rows,
                               label_map=parse_label_map(label_map or []), unit=unit, marker=marker,
                               literal_marker=literal_marker)
        if not quiet:
            typer.echo("factcomment: training (cross-validating the threshold)...", err=True)
        summary = train_files(paths, options, tally, out, heldout=heldout or [],
                              refit_with_heldout=refit_with_heldout, seed=seed, folds=folds)
        report = {"out": str(summary.out), "counts": summary.counts, "threshold": round(summary.threshold, 4),
                  "cross_validation": summary.cv_metrics, "seconds": round(summary.seconds, 2)}
        if summary.heldout is not None:
            report["heldout"] = summary.heldout.as_dict()
        typer.echo(json.dumps(report, indent=2))


@app.command()
def evaluate(paths: Paths, model: ModelPath = None, threshold: Threshold = None,
             format: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
             plot: Annotated[Optional[str], typer.Option(
                 "--plot", help="Also draw the confusion matrix and precision-recall curve to this PNG "
                                "(needs matplotlib: pip install 'factcomment[plot]').")] = None,
             text_column: TextColumn = None, label_column: LabelColumn = None, label_map: LabelMap = None,
             unit: Unit_ = "paragraph", marker: Marker = DEFAULT_MARKER, literal_marker: Literal = False,
             glob: Glob = "*.txt", input_format: InputFormat = "auto", encoding: Encoding = "utf-8",
             errors: Errors = "strict", skip_bad_rows: SkipBad = False,
             allow_version_mismatch: AllowMismatch = False, quiet: Quiet = False, debug: Debug = False) -> None:
    """Score a model on labelled inputs: macro-F1, per-class precision/recall/F1, confusion matrix.

    Marked asides in documents count as gold 'comment' and are scored by the model with the marker removed,
    so the figures measure the model, not the markers.
    """
    tally = Tally()
    with _session(debug, quiet, tally):
        from factcomment.evaluation import evaluate_files, render_table
        from factcomment.labelled import parse_label_map

        if format not in ("table", "json"):
            raise _usage(f"unknown --format {format!r}; use table or json")
        options = InputOptions(input_format=input_format, pattern=glob, encoding=encoding, errors=errors,
                               text_column=text_column, label_column=label_column, skip_bad_rows=skip_bad_rows,
                               label_map=parse_label_map(label_map or []), unit=unit, marker=marker,
                               literal_marker=literal_marker)
        result = evaluate_files(paths, options, tally, model=model, threshold=threshold,
                                allow_version_mismatch=allow_version_mismatch)
        typer.echo(json.dumps(result.as_dict(), indent=2) if format == "json" else render_table(result))
        if plot:
            from factcomment.plots import plot_evaluation

            plot_evaluation(result, plot)


def _emit(command: str, rows: Iterable[dict] | None, output: str | None, format: str | None, force: bool,
          explain: bool = False, pairs: Iterable[tuple[Unit, Any]] | None = None) -> None:
    with open_output(output, force=force) as stream:
        fmt = choose_format(format, stream)
        writer = RowWriter(stream, fmt, columns_for(command, fmt, explain))
        if pairs is not None:
            rows = (classify_row(unit, prediction, fmt) for unit, prediction in pairs)
        for row in rows or ():
            writer.write(row)


def _progress(units: Iterator[Unit], quiet: bool) -> Iterator[Unit]:
    """Count rows on stderr while they stream, only for a person watching a terminal."""
    if quiet or not sys.stderr.isatty():
        return units
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    def counted() -> Iterator[Unit]:
        with Progress(SpinnerColumn(), TextColumn("{task.completed} units · {task.description}"),
                      TimeElapsedColumn(), console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task("", total=None)
            for count, unit in enumerate(units, 1):
                if count % 512 == 0:
                    bar.update(task, completed=count, description=unit.file)
                yield unit

    return counted()


class _Interrupted(BaseException):
    """SIGTERM, turned into an exception so that ``finally`` blocks clean up as they do on Ctrl-C."""


def _usage(message: str) -> FactcommentError:
    from factcomment.errors import UsageError

    return UsageError(message)


@contextlib.contextmanager
def _session(debug: bool, quiet: bool, tally: Tally) -> Iterator[None]:
    """Run a command body: map errors to exit codes and one-line messages, then summarise the inputs."""

    def on_term(signum: int, frame: Any) -> None:
        raise _Interrupted()

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        yield
    except FactcommentError as error:
        _fail(debug, f"error: {error}", EXIT_USAGE)
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, and keep Python from complaining at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(EXIT_OK)
    except (KeyboardInterrupt, _Interrupted):
        _fail(debug, "interrupted; no output file was written", EXIT_INTERRUPTED)
    except typer.Exit:
        raise
    except Exception as error:  # a bug, not a user error: say so, briefly
        _fail(debug, f"internal error: {type(error).__name__}: {error} (rerun with --debug and report it)", EXIT_USAGE)
    finally:
        signal.signal(signal.SIGTERM, previous)
    _summarise(tally, quiet)


def _fail(debug: bool, message: str, code: int) -> None:
    if debug:
        raise
    typer.echo(f"factcomment: {message}", err=True)
    raise typer.Exit(code)


def _summarise(tally: Tally, quiet: bool) -> None:
    if not quiet:
        for warning in tally.warnings:
            typer.echo(f"factcomment: warning: {warning}", err=True)
    if not tally.errors:
        return
    for error in tally.errors:
        typer.echo(f"factcomment: error: {error}", err=True)
    nothing = tally.units == 0
    typer.echo(f"factcomment: {len(tally.errors)} problem(s) in {len(tally.failed_files)} of {tally.files} input(s); "
               + ("nothing could be processed" if nothing else "everything else was processed"), err=True)
    raise typer.Exit(EXIT_USAGE if nothing else EXIT_SOME_FAILED)
