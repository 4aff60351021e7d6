"""``factcomment report`` and ``factcomment review``: one self-contained HTML page for moderators, and the same
page with controls to mark each item and save the marks as JSON lines for training."""
from __future__ import annotations

from typing import Annotated, Optional

import typer

from factcomment.cli.app import app
from factcomment.cli.options import (AllowMismatch, Debug, Encoding, Errors, Force, Glob, Literal, Marker,
                                     ModelPath, Paths, Quiet, Threshold, Unit_, check_marker)
from factcomment.cli.session import discarded_unless_processed, session
from factcomment.readers import InputOptions
from factcomment.segment import DEFAULT_MARKER


@app.command()
def report(paths: Paths,
           output: Annotated[str, typer.Option("--output", "-o", help="The HTML file to write (self-contained).")],
           force: Force = False, unit: Unit_ = "paragraph", model: ModelPath = None, threshold: Threshold = None,
           explain: Annotated[Optional[int], typer.Option(
               "--explain", help="Reasons to list each way per paragraph (default 5; the accurate tier gives none).",
               min=0, show_default=False)] = None,
           marker: Marker = DEFAULT_MARKER, literal_marker: Literal = False, glob: Glob = "*.txt",
           encoding: Encoding = "utf-8", errors: Errors = "strict", allow_version_mismatch: AllowMismatch = False,
           quiet: Quiet = False, debug: Debug = False) -> None:
    """Write one self-contained HTML page showing each document with its commentary highlighted.

    Every paragraph (or sentence) is shaded by p_comment; editor-marked asides are set apart from
    model-detected commentary; the terms that decided each label are highlighted; each document gets a summary.
    """
    write_page(paths, output, force, unit, model, threshold, explain, marker, literal_marker, glob, encoding,
               errors, allow_version_mismatch, quiet, debug)


@app.command()
def review(paths: Paths,
           output: Annotated[str, typer.Option("--output", "-o", help="The HTML file to write (self-contained).")],
           order: Annotated[str, typer.Option(
               "--order", help="'document' (as written) or 'uncertain' (p_comment nearest the threshold first).")
           ] = "document",
           force: Force = False, unit: Unit_ = "paragraph", model: ModelPath = None, threshold: Threshold = None,
           explain: Annotated[Optional[int], typer.Option(
               "--explain", help="Reasons to list each way per item (default 5; the accurate tier gives none).",
               min=0, show_default=False)] = None,
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


def write_page(paths: list[str], output: str, force: bool, unit: str, model: str | None, threshold: float | None,
               explain: int | None, marker: str, literal_marker: bool, glob: str, encoding: str, errors: str,
               allow_version_mismatch: bool, quiet: bool, debug: bool, *, review: bool = False,
               order: str = "document") -> None:
    """Build the report (or, with ``review``, the review page) and write it to ``output``."""
    with session(debug, quiet) as tally:
        from factcomment.report import build_report

        check_marker(marker, literal_marker)
        options = InputOptions(input_format="auto", pattern=glob, encoding=encoding, errors=errors, unit=unit,
                               marker=marker, literal_marker=literal_marker)
        # The output is claimed first, so that an input folder holding it does not read it back.
        with discarded_unless_processed(output, force, tally, paths, glob) as stream:
            stream.write(build_report(paths, options, tally, model=model, threshold=threshold, explain=explain,
                                      allow_version_mismatch=allow_version_mismatch, review=review, order=order,
                                      title="factcomment review" if review else "factcomment report"))
