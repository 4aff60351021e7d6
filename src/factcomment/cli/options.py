"""Option definitions shared by every command, so each is defined (and documented) once."""
from __future__ import annotations

import shlex
from typing import Annotated, Optional

import typer

from factcomment.errors import UsageError
from factcomment.segment import DEFAULT_MARKER, marker_fault

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
ModelPath = Annotated[Optional[str], typer.Option("--model", "-m", help="fast (the shipped model, the default), accurate, or a model directory.")]
AllowMismatch = Annotated[bool, typer.Option(
    "--allow-version-mismatch", help="Load a model saved with other library versions (only if you trust it).")]
Threshold = Annotated[Optional[float], typer.Option(
    "--threshold", "-t", help="Label comment when p_comment >= this (default: the model's tuned threshold).",
    min=0.0, max=1.0)]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or warnings on stderr.")]
Debug = Annotated[bool, typer.Option("--debug", help="Show a traceback on errors (for bug reports).")]


def check_marker(marker: str, literal: bool) -> None:
    """Refuse a bad ``--marker`` before any input is read, in the command line's words.

    The library's own message names its keyword (``literal=True``); here the fix is ``--literal-marker``.
    """
    fault = marker_fault(marker, literal)
    if fault is None:
        return
    kind, detail = fault
    raise UsageError({
        "empty": "--marker must not be empty; give the text that starts an aside, e.g. --marker 'Note:'",
        "default literal": f"--literal-marker applies to a --marker you give; the default, {DEFAULT_MARKER}, is a "
                           "regular expression: add --marker with the marker's text (e.g. --marker \"Editor's note:\") "
                           "or drop --literal-marker",
        "leading space": f"--marker {marker!r} starts with whitespace, which no paragraph does (they are stripped); "
                         f"drop it: --marker {shlex.quote(detail)}",
        "bad regex": f"--marker {marker!r} is not a valid regular expression ({detail}); pass --literal-marker to "
                     "match it as plain text"}[kind])
