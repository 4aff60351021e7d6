"""Training from files: read labelled inputs, fit the Pipeline, compile the scorer, write model and card."""
from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from factcomment.errors import TrainingDataError
from factcomment.evaluation import Evaluation, score
from factcomment.labelled import read_labelled
from factcomment.persist import save_model, sha256_of
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
    reviewed: int = 0  # rows saved from a review page (factcomment review) among the training rows


def train_files(paths: Sequence[str], options: InputOptions, problems: Tally, out: str | Path, *,
                heldout: Sequence[str] = (), refit_with_heldout: bool = False, seed: int = 0,
                folds: int = 5) -> TrainSummary:
    """Train on labelled ``paths`` and save the model (joblib + compiled scorer + card) in ``out``.

    With ``heldout`` files, the model trained on ``paths`` is first scored on them (the card records the
    figures); ``refit_with_heldout`` then trains the saved model on ``paths`` and ``heldout`` together, with
    the same settings, so the held-out figures describe the recipe rather than the shipped weights.
    """
    from factcomment.model import train
    from factcomment.scorer import Scorer, compile_scorer

    began = time.perf_counter()
    units = read_labelled(paths, options, problems)
    held = read_labelled(heldout, options, problems) if heldout else []
    if not units:
        raise TrainingDataError("no labelled texts were read; check the inputs and --label-column")
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
        "reviewed_rows": sum(u.reviewed for u in units),
        "metrics": {
            "cross_validation": result.cv_metrics,
            **({"heldout": {"files": _describe(held), "trained_without_them": True,
                            **evaluation.as_dict()}} if evaluation else {}),
        },
        "training_seconds": round(seconds, 2),
    }
    save_model(out, result.pipeline, compile_scorer(result.pipeline, result.threshold), card)
    counts = dict(sorted(Counter(u.label for u in units).items()))
    return TrainSummary(Path(out), counts, result.threshold, result.cv_metrics, evaluation, seconds,
                        card["reviewed_rows"])


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
