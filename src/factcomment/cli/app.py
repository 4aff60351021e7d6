"""The typer application the command modules register on, and the console-script entry point."""
from __future__ import annotations

import sys
from typing import Annotated

import typer

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


def _show_version(value: bool) -> None:
    if value:
        from factcomment._version import __version__

        typer.echo(f"factcomment {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _options(version: Annotated[bool, typer.Option(
        "--version", help="Show the version and exit.", callback=_show_version, is_eager=True)] = False) -> None:
    # Options of the factcomment command itself, before the subcommand; the app's help says the rest.
    pass


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point.

    Click's own usage errors (a bad option or value) are printed as the one line every other error gets,
    ``factcomment: error: ...``, rather than typer's multi-line box.
    """
    click = _click()
    command = typer.main.get_command(app)
    try:
        code = command.main(args=argv, prog_name="factcomment", standalone_mode=False)
    except getattr(click.exceptions, "NoArgsIsHelpError", ()):
        command.main(args=argv, prog_name="factcomment")  # no arguments at all: typer's help, as before
    except click.exceptions.UsageError as error:
        where = error.ctx.command_path if error.ctx is not None else "factcomment"
        message = " ".join(error.format_message().split())
        typer.echo(f"factcomment: error: {message} (see '{where} --help')", err=True)
        sys.exit(EXIT_USAGE)
    except click.exceptions.ClickException as error:  # e.g. a file option click itself could not open
        typer.echo(f"factcomment: error: {' '.join(error.format_message().split())}", err=True)
        sys.exit(error.exit_code)
    except OSError as error:
        from factcomment.atomic import WRITE_ERRNOS

        if error.errno not in WRITE_ERRNOS:
            raise
        # --help and --version are written by click before any command's session, which handles a full stdout.
        from factcomment.cli.session import stdout_full

        typer.echo(f"factcomment: {stdout_full(error, 'write elsewhere')}", err=True)
        sys.exit(EXIT_USAGE)
    except typer.Abort:  # Ctrl-C while click itself was reading input (typer 0.27's click has no exceptions.Abort)
        typer.echo("factcomment: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    sys.exit(code if isinstance(code, int) else EXIT_OK)


def _click():
    """The click that typer runs on: its own vendored copy from typer 0.27, the click package before."""
    import typer.core

    vendored = getattr(typer.core, "_click", None)
    if vendored is not None:
        return vendored
    import click

    return click
