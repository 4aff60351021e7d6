"""``factcomment train``: fit a model on labelled inputs and write it with its card."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from factcomment.cli.app import app
from factcomment.cli.options import (Debug, Encoding, Errors, Glob, InputFormat, LabelColumn, LabelMap, Literal,
                                     Marker, Paths, Quiet, SkipBad, TextColumn, Unit_, check_marker)
from factcomment.cli.session import session
from factcomment.errors import UsageError
from factcomment.readers import InputOptions
from factcomment.segment import DEFAULT_MARKER


@app.command()
def train(paths: Paths,
          out: Annotated[str, typer.Option("--out", help="Directory to write the model and its card to.")],
          heldout: Annotated[Optional[list[str]], typer.Option(
              "--heldout", help="Labelled file scored by the model trained without it; figures go on the card.")] = None,
          refit_with_heldout: Annotated[bool, typer.Option(
              "--refit-with-heldout", help="After scoring --heldout, train the saved model on it too.")] = False,
          seed: Annotated[int, typer.Option("--seed", help="Random seed (training is deterministic).")] = 0,
          folds: Annotated[Optional[int], typer.Option(
              "--folds", help="Cross-validation folds for threshold and metrics (default 5; --tier accurate: 3).",
              min=2, show_default=False)] = None,
          force: Annotated[bool, typer.Option("--force", help="Replace a model already in --out.")] = False,
          tier: Annotated[str, typer.Option(
              "--tier", help="fast (TF-IDF, seconds) or accurate (fine-tunes a sentence encoder on the CPU; "
                             "needs pip install 'factcomment\\[train]'; about 10 minutes on 2 cores).")] = "fast",
          distil_from: Annotated[Optional[str], typer.Option(
              "--distil-from", help="Teacher model (accurate, fast or a directory) that labels the --transfer "
                                    "sentences for the fast model to learn from too.")] = None,
          transfer: Annotated[Optional[list[str]], typer.Option(
              "--transfer", help="Unlabelled sentences, one per line, for --distil-from (repeatable).")] = None,
          transfer_mode: Annotated[Optional[str], typer.Option(
              "--transfer-mode", help="lexicon (default): a stance cue from the teacher's mean score per word; soft: "
                                      "teacher probabilities as sample weights; hard: teacher labels.",
              show_default=False)] = None,
          transfer_weight: Annotated[Optional[float], typer.Option(
              "--transfer-weight", help="soft/hard: weight of one transfer sentence against one labelled row "
                                        "(default 0.1).", show_default=False)] = None,
          background: Annotated[Optional[list[str]], typer.Option(
              "--background", help="Unlabelled news sentences, one per line (repeatable), whose document "
                                   "frequencies join the fast model's IDF.")] = None,
          checkpoint: Annotated[Optional[str], typer.Option(
              "--checkpoint", help="Directory keeping each finished fine-tune of --tier accurate, so that a rerun "
                                   "on the same data resumes where an interrupted one stopped.")] = None,
          teacher_cache: Annotated[Optional[str], typer.Option(
              "--teacher-cache", help="Directory caching teacher scores (default $XDG_CACHE_HOME or ~/.cache, "
                                      "then factcomment/teacher; 'none' turns it off).")] = None,
          text_column: TextColumn = None, label_column: LabelColumn = None, label_map: LabelMap = None,
          unit: Unit_ = "paragraph", marker: Marker = DEFAULT_MARKER, literal_marker: Literal = False,
          glob: Glob = "*.txt", input_format: InputFormat = "auto", encoding: Encoding = "utf-8",
          errors: Errors = "strict", skip_bad_rows: SkipBad = False, quiet: Quiet = False, debug: Debug = False) -> None:
    """Train a model on labelled inputs and write it, with its card, to --out.

    Inputs: documents with marked asides (asides are comment, the rest report), JSON lines/CSV/TSV with a
    label column (report/comment, or OBJ/SUBJ as in CheckThat, or anything mapped with --label-map).
    Prints a JSON summary (counts, threshold, cross-validated and held-out figures) on stdout.
    """
    # It has no -o, and its one write to stdout comes after the model is saved: say so, as exit 2 otherwise
    # means --out was left as it was.
    elsewhere = f"redirect it elsewhere; only the summary was lost, the model is saved in {out}"
    with session(debug, quiet, elsewhere=elsewhere) as tally:
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
        distil = None
        if distil_from is None and not transfer:
            # Left alone, a distillation option would be dropped without a word and the model trained without it.
            given = [name for name, value in (("--transfer-mode", transfer_mode),
                                              ("--transfer-weight", transfer_weight),
                                              ("--teacher-cache", teacher_cache)) if value is not None]
            if given:
                raise UsageError(f"{', '.join(given)}: for distillation only; add --distil-from MODEL and --transfer "
                                 f"FILE, or leave {'it' if len(given) == 1 else 'them'} out")
        else:
            from factcomment.distil import Distillation, default_cache

            if distil_from is None or not transfer:
                raise UsageError("distillation needs both --distil-from MODEL and --transfer FILE")
            transfer_mode = "lexicon" if transfer_mode is None else transfer_mode
            if transfer_mode == "lexicon" and transfer_weight is not None:  # the cue's weight is fitted on gold data
                raise UsageError("--transfer-weight weighs transfer rows (--transfer-mode soft or hard); the lexicon "
                                 "mode has none: leave it out, or pass --transfer-mode soft")
            transfer_weight = 0.1 if transfer_weight is None else transfer_weight
            if teacher_cache == "":  # an unset "$CACHE": not the default folder, nor the working directory
                raise UsageError("--teacher-cache is empty; give a directory, or none for no cache")
            cache = None if teacher_cache == "none" else Path(teacher_cache) if teacher_cache else default_cache()
            distil = Distillation(distil_from, tuple(transfer), transfer_mode, transfer_weight, cache=cache)
        say = None if quiet else (lambda message: typer.echo(f"factcomment: {message}", err=True))
        summary = train_files(paths, options, tally, out, heldout=heldout or [],
                              refit_with_heldout=refit_with_heldout, seed=seed, folds=folds, force=force,
                              tier=tier, distil=distil, background=background or [], checkpoint=checkpoint,
                              progress=say)
        report = {"out": str(summary.out), "counts": summary.counts, "reviewed_rows": summary.reviewed,
                  "threshold": round(summary.threshold, 4),
                  "cross_validation": summary.cv_metrics, "seconds": round(summary.seconds, 2)}
        if summary.heldout is not None:
            report["heldout"] = summary.heldout.as_dict()
        typer.echo(json.dumps(report, indent=2))
