"""``python -m factcomment`` and the ``factcomment`` console script.

The command line is loaded inside :func:`main`, not when this module is imported, so that Ctrl-C or SIGTERM
while typer and the commands load (the first ~0.1 s) ends with the one line and exit code 130 that every
other interruption gets, rather than a traceback.
"""
from __future__ import annotations

import signal
import sys
from typing import Any

__all__ = ["main"]


def main(argv: list[str] | None = None) -> None:
    previous = signal.signal(signal.SIGTERM, _interrupt)  # a command's session installs its own
    try:
        from factcomment.cli import main as run
    except KeyboardInterrupt:
        sys.stderr.write("factcomment: interrupted\n")
        sys.exit(130)  # EXIT_INTERRUPTED, whose module may be the one that was loading
    finally:
        signal.signal(signal.SIGTERM, previous)
    run(argv)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    main()
