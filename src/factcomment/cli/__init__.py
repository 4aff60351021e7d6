"""The ``factcomment`` command: thin shells that parse options, call one library function and render.

One module per command, each registering itself on :data:`app`; ``options`` holds the option definitions
every command shares and ``session`` the error handling, exit codes and output plumbing.

Exit codes: 0 all inputs processed; 1 some inputs failed (the others were processed and written; the
failures are listed on stderr at the end); 2 usage error, or nothing could be processed; 130 interrupted.
stdout carries data only; progress, warnings and errors go to stderr.
"""
from __future__ import annotations

from factcomment.cli.app import app, main

# Importing a command module registers its command; this order is the order --help lists them in.
from factcomment.cli import split, classify, train, evaluate, report  # noqa: E402, F401, I001

__all__ = ["app", "main"]
