"""What every command shares around its one library call: error mapping, exit codes, progress, output."""
from __future__ import annotations

import contextlib
import io
import os
import signal
import sys
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

import typer

from factcomment.cli.app import EXIT_INTERRUPTED, EXIT_OK, EXIT_SOME_FAILED, EXIT_USAGE
from factcomment.errors import FactcommentError
from factcomment.readers import Tally, format_of
from factcomment.atomic import WRITE_ERRNOS, write_hint
from factcomment.writers import RowWriter, choose_format, columns_for, file_name, open_output

T = TypeVar("T")


def emit(command: str, output: str | None, format: str | None, force: bool, tally: Tally, inputs: list[str], *,
         pattern: str, rows: Iterable[dict] = (),
         rendered: Callable[[str, tuple[str, ...]], Iterable[str]] | None = None, explain: bool = False,
         empty: Sequence[str] = ()) -> None:
    """Write dict ``rows``, or the text that ``rendered(fmt, columns)`` yields, under one header.

    ``--output`` is only written if something was processed: a run that exits 2 leaves no file. ``empty``
    names table columns that stay empty for these inputs (see :func:`empty_columns`); ``pattern`` is the
    ``--glob`` of the input folders.
    """
    with discarded_unless_processed(output, force, tally, inputs, pattern) as stream:
        fmt = choose_format(format, stream, output)
        columns = columns_for(command, fmt, explain, empty)
        writer = RowWriter(stream, fmt, columns)
        if rendered is not None:
            for text in rendered(fmt, columns):
                writer.write_rendered(text)
        for row in rows:
            writer.write(row)


class _Discard(Exception):
    """Raised inside ``open_output`` to drop its temporary file instead of committing it."""


@contextlib.contextmanager
def discarded_unless_processed(output: str | None, force: bool, tally: Tally, inputs: list[str],
                               pattern: str) -> Iterator[Any]:
    """``open_output``, except that the file is dropped when inputs failed and nothing was processed.

    The run then ends with exit 2 (see :func:`summarise`), and exit 2 means no output file.
    """
    try:
        with open_output(output, force=force, inputs=inputs, pattern=pattern) as stream:
            yield stream
            if nothing_processed(tally):
                raise _Discard
    except _Discard:
        pass


def nothing_processed(tally: Tally) -> bool:
    """Whether the run failed as a whole (exit 2): inputs failed, none gave a unit, and none was read whole.

    An empty input beside a missing one was read (empty inputs are a warning, not a failure): exit 1, as
    for any other good input beside a failed one.
    """
    return bool(tally.errors) and tally.units == 0 and len(tally.failed_files) >= tally.files


def empty_columns(paths: Sequence[str], input_format: str, glob: str, unit: str) -> tuple[str, ...]:
    """The table columns that stay empty for these inputs: ``id`` for documents, ``sentence`` for paragraphs.

    Formats come from the names, as the readers choose them; stdin (``-``) could be anything.
    """
    kinds = {"unknown" if p == "-" else format_of(glob if os.path.isdir(p) else p, None, input_format) for p in paths}
    kinds = {"rows" if k in ("jsonl", "csv", "tsv") else k for k in kinds}
    empty = []
    if kinds == {"text"}:
        empty.append("id")
    if unit != "sentence" or kinds == {"rows"}:
        empty.append("sentence")
    if kinds == {"rows"}:
        empty.append("paragraph")
    return tuple(empty)


def progress(items: Iterable[T], quiet: bool, count: Callable[[], int] | None = None,
             output: str | None = None) -> Iterable[T]:
    """Show a running count on stderr while ``items`` stream, only for a person watching a terminal.

    ``count`` gives the figure to show (default: items so far). When the rows themselves go to the same
    terminal (``output`` is stdout and a terminal) they show the progress, and a spinner redrawn over
    them would garble the table, so there is none.
    """
    to_terminal = output in (None, "-") and sys.stdout is not None and sys.stdout.isatty()  # None: closed
    if quiet or not sys.stderr.isatty() or to_terminal:
        return items
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    def counted() -> Iterator[T]:
        with Progress(SpinnerColumn(), TextColumn("{task.completed:,} units"), TimeElapsedColumn(),
                      console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task("", total=None)
            for seen, item in enumerate(items, 1):
                if count is not None or seen % 512 == 0:
                    bar.update(task, completed=count() if count is not None else seen)
                yield item

    return counted()


class _Interrupted(BaseException):
    """SIGTERM, turned into an exception so that ``finally`` blocks clean up as they do on Ctrl-C."""


@contextlib.contextmanager
def session(debug: bool, quiet: bool, tally: Tally | None = None, *, elsewhere: str = "use -o") -> Iterator[Tally]:
    """Run a command body with ``tally`` (a new one by default): map errors to exit codes and one-line
    messages, then summarise the inputs. ``elsewhere`` is the fix suggested when stdout is full."""
    tally = Tally() if tally is None else tally

    def on_term(signum: int, frame: Any) -> None:
        raise _Interrupted()

    previous = signal.signal(signal.SIGTERM, on_term)
    # As in an -o file, what stdout's encoding cannot hold is escaped: a lone surrogate from JSON's \ud800.
    getattr(sys.stdout, "reconfigure", lambda **_: None)(errors="backslashreplace")
    try:
        yield tally
    except FactcommentError as error:
        # The inputs' problems usually explain the fatal error ("no labelled texts"), so they come first; so do
        # the warnings ("empty", "rows marked 'unsure' left out"), which are often the whole explanation.
        _report_warnings(tally, quiet)
        _report_errors(tally)
        fail(debug, f"error: {error}", EXIT_USAGE)
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, and keep Python from complaining at exit.
        _drop_stdout()
        raise typer.Exit(EXIT_OK)
    except (KeyboardInterrupt, _Interrupted):
        fail(debug, "interrupted; no output file was written", EXIT_INTERRUPTED)
    except typer.Exit:
        raise
    except Exception as error:
        if isinstance(error, OSError) and error.errno in WRITE_ERRNOS:
            # Readers report their own OS errors, and --output its own (OutputError): a full disk elsewhere (a
            # temporary file) names its file when Python knows it, else this is stdout, full.
            message = (f"error: {file_name(str(error.filename))}: cannot write ({error.strerror}); "
                       f"{write_hint(error, 'write elsewhere')}"
                       if error.filename else stdout_full(error, elsewhere))
            _report_errors(tally)
            fail(debug, message, EXIT_USAGE)
        # Anything else is a bug, not a user error: say so, briefly.
        fail(debug, f"internal error: {type(error).__name__}: {error} (rerun with --debug and report it)", EXIT_USAGE)
    finally:
        signal.signal(signal.SIGTERM, previous)
    summarise(tally, quiet)


@contextlib.contextmanager
def quiet_logs(*names: str) -> Iterator[None]:
    """Silence the loggers ``names`` (and those below them) while the block runs, then restore their levels.

    Dask's ``distributed`` configures its own loggers to write to stderr (and tornado's with them): when the
    scheduler is lost they add multi-line tracebacks beside factcomment's one-line error.
    """
    import logging

    loggers = [logging.getLogger(name) for name in names]
    loggers += [logger for key, logger in list(logging.Logger.manager.loggerDict.items())
                if isinstance(logger, logging.Logger) and key.startswith(tuple(f"{name}." for name in names))
                and logger.level != logging.NOTSET]  # the others inherit the level set on their parent
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


def fail(debug: bool, message: str, code: int) -> None:
    """Print ``message`` and end with ``code``; with ``debug`` the traceback first (the code stays the same)."""
    if debug:
        traceback.print_exc()
    typer.echo(f"factcomment: {_line(message)}", err=True)
    raise typer.Exit(code)


def _line(message: str) -> str:
    """``message`` as one stderr line: names spelled as in the rows (``\\xHH``), and a line break (from a file
    name, say) as ``\\n``, so that each problem stays one line for whoever counts or greps them."""
    return file_name(message).replace("\r", "\\r").replace("\n", "\\n")


def stdout_full(error: OSError, elsewhere: str) -> str:
    """The error line for a stdout that cannot take more (``error``), once stdout is pointed at /dev/null."""
    _drop_stdout()
    return f"error: cannot write to standard output ({error.strerror}); {write_hint(error, elsewhere)}"


def _drop_stdout() -> None:
    """Point stdout at /dev/null, so that Python's flush at exit cannot fail (and complain) again."""
    with contextlib.suppress(OSError, ValueError, io.UnsupportedOperation):
        sys.stdout.fileno()  # a test runner's stdout has none
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def summarise(tally: Tally, quiet: bool) -> None:
    _report_warnings(tally, quiet)
    if not tally.errors:
        return
    _report_errors(tally)
    nothing = nothing_processed(tally)
    stopped = sum(e.stopped for e in tally.errors)
    rest = ("nothing could be processed" if nothing
            else f"the rows after the bad row in {stopped} file(s) were not read (pass --skip-bad-rows to skip bad "
                 "rows); everything else was processed" if stopped
            else "everything else was processed")
    typer.echo(f"factcomment: {len(tally.errors)} problem(s) in {len(tally.failed_files)} of {tally.files} input(s); "
               + rest, err=True)
    raise typer.Exit(EXIT_USAGE if nothing else EXIT_SOME_FAILED)


def _report_warnings(tally: Tally, quiet: bool) -> None:
    if not quiet:
        for warning in tally.warnings:
            typer.echo(f"factcomment: warning: {_line(warning)}", err=True)


def _report_errors(tally: Tally) -> None:
    for error in tally.errors:
        typer.echo(f"factcomment: error: {_line(str(error))}", err=True)
