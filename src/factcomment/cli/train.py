"""``factcomment train``: fit a model on labelled inputs and write it with its card."""
from __future__ import annotations

import json
from typing import Annotated, Optional

import typer

from factcomment.cli.app import app
from factcomment.cli.options import (
    Debug,
    Encoding,
    Errors,
    Glob,
    InputFormat,
    LabelColumn,
    LabelMap,
    Literal,
    Marker,
    Paths,
    Quiet,
    SkipBad,
    TextColumn,
    Unit_,
    check_marker,
)
from factcomment.cli.session import session
from factcomment.errors import UsageError
from factcomment.readers import InputOptions, Tally
from factcomment.segment import DEFAULT_MARKER


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
          tier: Annotated[str, typer.Option(
              "--tier", help="fast (TF-IDF, seconds) or accurate (fine-tunes a sentence encoder on the CPU; "
                             "needs pip install 'factcomment[train]'; about 10 minutes on 2 cores).")] = "fast",
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
    with session(debug, quiet, tally):
        from factcomment.labelled import parse_label_map
        from factcomment.training import check_train_target, train_files

        check_train_target(out, heldout or [], force=force)
        check_marker(marker, literal_marker)
        options = InputOptions(input_format=input_format, pattern=glob, encoding=encoding, errors=errors,
                               text_column=text_column, label_column=label_column, skip_bad_rows=skip_bad_rows,
                               label_map=parse_label_map(label_map or []), unit=unit, marker=marker,
                               literal_marker=literal_marker)
        if tier not in ("fast", "accurate"):
            raise UsageError(f"--tier {tier!r}: use fast or accurate")
        say = None if quiet else (lambda message: typer.echo(f"factcomment: {message}", err=True))
        if say:
            say("training (cross-validating the threshold)...")
        summary = train_files(paths, options, tally, out, heldout=heldout or [],
                              refit_with_heldout=refit_with_heldout, seed=seed, folds=folds, force=force,
                              tier=tier, progress=say)
        report = {"out": str(summary.out), "counts": summary.counts, "reviewed_rows": summary.reviewed,
                  "threshold": round(summary.threshold, 4),
                  "cross_validation": summary.cv_metrics, "seconds": round(summary.seconds, 2)}
        if summary.heldout is not None:
            report["heldout"] = summary.heldout.as_dict()
        typer.echo(json.dumps(report, indent=2))
