"""Training from files: read labelled inputs, fit the Pipeline, compile the scorer, write model and card."""
from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from factcomment.errors import TrainingDataError, UsageError
from factcomment.evaluation import Evaluation, score
from factcomment.labelled import read_labelled
from factcomment.persist import check_model_target, save_model, sha256_of
from factcomment.readers import InputOptions, Tally, Unit

# Public corpora we recognise by hash, so the card can credit them and say where to get them.
_CHECKTHAT = {
    "name": "CheckThat! 2025 Task 1 (subjectivity), English",
    "licence": "CC BY-NC-SA 4.0",
    "attribution": "CLEF 2025 CheckThat! Lab, Task 1: Subjectivity in news articles (public release)",
    "obtain": "https://gitlab.com/checkthat_lab/clef2025-checkthat-lab (task1/data/english)",
}
KNOWN_CORPORA = {
    "33efc43c5f5ba64edae63c6c5b4f34c6d97cb6e0a312550b41b5cc5ccc1ace69": {**_CHECKTHAT, "split": "train_en.tsv"},
    "046d571e1c7de0da681e087a73499263be04369ad76b2d53d39a6278c55e334f": {**_CHECKTHAT, "split": "dev_en.tsv"},
    "c25912bfd1263e6adfe7fdfff822e97e8c794cae5ccee0dd57b0c0cae9e08150": {**_CHECKTHAT, "split": "dev_test_en.tsv"},
}


@dataclass(frozen=True)
class TrainSummary:
    """What ``train_files`` did: where the model went, how many texts of each label, and its figures."""

    out: Path
    counts: dict[str, int]
    threshold: float
    cv_metrics: dict
    heldout: Evaluation | None
    seconds: float


def train_files(paths: Sequence[str], options: InputOptions, problems: Tally, out: str | Path, *,
                heldout: Sequence[str] = (), refit_with_heldout: bool = False, seed: int = 0,
                folds: int = 5, force: bool = False) -> TrainSummary:
    """Train on labelled ``paths`` and save the model (joblib + compiled scorer + card) in ``out``.

    With ``heldout`` files, the model trained on ``paths`` is first scored on them (the card records the
    figures); ``refit_with_heldout`` then trains the saved model on ``paths`` and ``heldout`` together, with
    the same settings, so the held-out figures describe the recipe rather than the shipped weights.

    Nothing is written if any input or held-out file failed (a bad row skipped under ``skip_bad_rows`` is
    not a failure), and ``out`` is replaced whole, only if it is new, empty, or a model and ``force``.
    """
    from factcomment.model import train
    from factcomment.scorer import Scorer, compile_scorer

    began = time.perf_counter()
    check_train_target(out, heldout, force=force)
    before = len(problems.errors)
    units = read_labelled(paths, options, problems)
    held = read_labelled(heldout, options, problems) if heldout else []
    if failed := sorted({e.file or "?" for e in problems.errors[before:] if not e.skipped_row}):
        raise TrainingDataError(f"{len(failed)} input(s) failed ({', '.join(failed[:3])}); no model was written. "
                                "Fix or leave out the failed inputs")
    if not units:
        raise TrainingDataError("no labelled texts were read; check the inputs and --label-column")
    _warn_duplicates(units, held, problems)
    result = train([u.text for u in units], [u.label for u in units], seed=seed, folds=folds)
    evaluation = None
    if held:
        scorer = Scorer.from_dict(compile_scorer(result.pipeline, result.threshold))
        evaluation = score([u.label for u in held], scorer.p_comment([u.text for u in held]), result.threshold)
        if refit_with_heldout:
            units = units + held
            result = train([u.text for u in units], [u.label for u in units], settings=result.settings,
                           seed=seed, folds=folds)
    seconds = time.perf_counter() - began
    card = {
        "name": "factcomment",
        "created": dt.date.today().isoformat(),
        "labels": ["report", "comment"],
        "threshold": result.threshold,
        "settings": result.settings,
        "seed": seed,
        "training_data": _describe(units),
        "metrics": {
            "cross_validation": result.cv_metrics,
            **({"heldout": {"files": _describe(held), "trained_without_them": True,
                            **evaluation.as_dict()}} if evaluation else {}),
        },
        "training_seconds": round(seconds, 2),
    }
    save_model(out, result.pipeline, compile_scorer(result.pipeline, result.threshold), card, force=force)
    counts = dict(sorted(Counter(u.label for u in units).items()))
    return TrainSummary(Path(out), counts, result.threshold, result.cv_metrics, evaluation, seconds)


def check_train_target(out: str | Path, heldout: Sequence[str] = (), *, force: bool = False) -> None:
    """Refuse, before any work, an ``out`` that training may not write, or a ``heldout`` file that is missing."""
    check_model_target(out, force=force)  # checked again just before the new model is swapped in
    if missing := [name for name in heldout if name != "-" and not Path(name).exists()]:
        raise UsageError(f"--heldout {missing[0]}: no such file; check the path")


def _warn_duplicates(units: list[Unit], held: list[Unit], problems: Tally) -> None:
    """Say when texts repeat (cross-validation keeps copies in one fold), carry both labels, or are held out too."""
    labels: dict[str, set[str]] = {}
    for unit in units:
        labels.setdefault(unit.text, set()).add(unit.label)
    if repeats := len(units) - len(labels):
        problems.warn(f"{repeats} training text(s) repeat an earlier one; copies of a text are kept in one "
                      "cross-validation fold")
    if conflicts := sum(len(both) > 1 for both in labels.values()):
        problems.warn(f"{conflicts} training text(s) carry both labels; check the data or the --label-map")
    if overlap := len({u.text for u in held} & labels.keys()):
        problems.warn(f"{overlap} --heldout text(s) are also in the training data; the held-out figures flatter it")


def _describe(units: list[Unit]) -> list[dict]:
    per_file: dict[str, Counter] = {}
    for unit in units:
        per_file.setdefault(unit.file, Counter())[unit.label] += 1
    described = []
    for file, counts in per_file.items():
        entry = {"file": Path(file).name, "rows": sum(counts.values()), "labels": dict(sorted(counts.items()))}
        if file != "-":
            digest = sha256_of(Path(file))
            entry["sha256"] = digest
            entry.update(KNOWN_CORPORA.get(digest, {}))
        described.append(entry)
    return described
