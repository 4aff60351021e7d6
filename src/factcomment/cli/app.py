"""The typer application the command modules register on, and the console-script entry point."""
from __future__ import annotations

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


def main() -> None:
    """Console-script entry point."""
    app()
