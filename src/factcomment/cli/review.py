"""``factcomment review``: the report page with buttons to mark each item, saving the marks as JSON lines."""
from __future__ import annotations

from typing import Annotated

import typer

from factcomment.cli.app import app
from factcomment.cli.options import (
    AllowMismatch,
    Debug,
    Encoding,
    Errors,
    Force,
    Glob,
    Literal,
    Marker,
    ModelPath,
    Paths,
    Quiet,
    Threshold,
    Unit_,
)
from factcomment.cli.report import write_page
from factcomment.segment import DEFAULT_MARKER


@app.command()
def review(paths: Paths,
           output: Annotated[str, typer.Option("--output", "-o", help="The HTML file to write (self-contained).")],
           order: Annotated[str, typer.Option(
               "--order", help="'document' (as written) or 'uncertain' (p_comment nearest the threshold first).")
           ] = "document",
           force: Force = False, unit: Unit_ = "paragraph", model: ModelPath = None, threshold: Threshold = None,
           explain: Annotated[int, typer.Option("--explain", help="Reasons to list each way per item.", min=0)] = 5,
           marker: Marker = DEFAULT_MARKER, literal_marker: Literal = False, glob: Glob = "*.txt",
           encoding: Encoding = "utf-8", errors: Errors = "strict", allow_version_mismatch: AllowMismatch = False,
           quiet: Quiet = False, debug: Debug = False) -> None:
    """Write the report page with review controls: mark each paragraph (or sentence) comment, report or unsure.

    Click a label or select an item (j/k) and press c, r or u; 'Save marks' downloads them as JSON lines
    (text, label, file, paragraph, start, end, the model's label and p_comment) that train and evaluate read
    as they are; rows marked unsure are left out there. The page loads nothing from the network.
    """
    write_page(paths, output, force, unit, model, threshold, explain, marker, literal_marker, glob, encoding,
               errors, allow_version_mismatch, quiet, debug, review=True, order=order)
