"""The exceptions factcomment raises.

Every error a user can cause is a :class:`FactcommentError`; its message says what went wrong *and* how to
fix it. The CLI maps the classes to the exit codes documented in the README; library code never exits.
"""
from __future__ import annotations

# The fix for bytes given where text is wanted, in every message that refuses them.
DECODE_HINT = "decode bytes first, e.g. data.decode('utf-8-sig')"


class FactcommentError(Exception):
    """Base class of every error factcomment raises on purpose."""


class UsageError(FactcommentError, ValueError):
    """An argument or option has a value the function cannot use."""


class InputError(FactcommentError):
    """An input file or row cannot be read; the message names the file (and line or byte).

    ``file`` is the input it concerns (set by the readers), so a caller can tell which inputs failed;
    ``skipped_row`` marks a bad row skipped under ``--skip-bad-rows`` (the rest of its file was read), and
    ``stopped`` a bad row that stopped its file (the rows after it were not read).
    """

    def __init__(self, message: str, *, file: str | None = None, skipped_row: bool = False,
                 stopped: bool = False) -> None:
        super().__init__(message)
        self.file = file
        self.skipped_row = skipped_row
        self.stopped = stopped


class TrainingDataError(FactcommentError, ValueError):
    """Labelled data cannot train a model (one class only, unknown labels, too few examples)."""


class ModelError(FactcommentError):
    """A model cannot be loaded: missing, damaged, not matching its card, or from other versions."""


class OutputError(FactcommentError):
    """The output cannot be written (exists without --force, unwritable directory)."""


class WorkerError(FactcommentError):
    """A worker process died before returning its work (killed, or out of memory)."""
