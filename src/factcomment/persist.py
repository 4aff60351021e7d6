"""Saving and loading models, with a card that records where they came from and what they hold.

A model directory holds:

- ``model.joblib``: the trained scikit-learn Pipeline (the source of truth; a pickle),
- ``scorer.json``: the same model compiled to plain numbers, which the inference path reads (no pickle),
- ``card.json`` and ``README.md``: the model card (data and hashes, settings, metrics, versions).

Loading checks each file's SHA-256 against the card *before* reading it, so a damaged or swapped file is
refused before anything is unpickled. The card guards against accidents, not attackers: anyone who can
write the directory can rewrite the card too, so only load models you trained or trust.
"""
from __future__ import annotations

import hashlib
import json
import os
import platform
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from factcomment import __version__
from factcomment.errors import ModelError
from factcomment.results import Explanation, Prediction

MODEL_FILE = "model.joblib"
SCORER_FILE = "scorer.json"
CARD_FILE = "card.json"
README_FILE = "README.md"
CARD_FORMAT = 1


def default_model_dir() -> Path:
    """The shipped model: inside the installed package, or ``model/`` at the top of a source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_model", here.parents[1] / "model"):
        if (candidate / CARD_FILE).is_file():
            return candidate
    raise ModelError("the shipped model is missing from this installation; reinstall factcomment or pass --model")


@dataclass(frozen=True)
class Model:
    """A loaded model: the compiled scorer, its decision threshold and its card.

    Use :func:`load_model` to get one; :meth:`predict` labels texts, :meth:`load_pipeline` gives the
    scikit-learn Pipeline it was compiled from.
    """

    path: Path
    card: dict[str, Any]
    scorer: Any = field(repr=False)
    allow_version_mismatch: bool = False

    @property
    def threshold(self) -> float:
        return float(self.card["threshold"])

    def predict(self, texts: list[str], *, threshold: float | None = None, explain: int = 0) -> list[Prediction]:
        """Label ``texts`` in order; ``p_comment >= threshold`` means comment."""
        predictions = self.label(self.scorer.p_comment(texts), threshold=threshold)
        if not explain:
            return predictions
        return [replace(p, explanation=self.explain(text, explain)) for text, p in zip(texts, predictions)]

    def label(self, probabilities: list[float], *, threshold: float | None = None) -> list[Prediction]:
        """Predictions for probabilities computed elsewhere (say, in a worker process)."""
        cut = self.threshold if threshold is None else threshold
        return [Prediction("comment" if p >= cut else "report", p) for p in probabilities]

    def explain(self, text: str, k: int) -> Explanation:
        """The ``k`` features that pushed ``text`` hardest toward each label, with exact contributions."""
        toward_comment, toward_report, intercept, decision = self.scorer.explain(text, k)
        shown = sum(c for _, c in toward_comment) + sum(c for _, c in toward_report)
        return Explanation(tuple(toward_comment), tuple(toward_report), intercept,
                           decision - intercept - shown, decision)

    def load_pipeline(self):
        """The scikit-learn Pipeline, after checking its hash and the library versions it was saved with."""
        if self.card.get("tier", "fast") != "fast":
            raise ModelError(f"{self.path}: an {self.card.get('tier')} model has no scikit-learn Pipeline")
        _check_versions(self.card, self.path, ("scikit-learn",), self.allow_version_mismatch)
        path = _verified(self.path, MODEL_FILE, self.card)
        import joblib

        return joblib.load(path)


def load_model(path: str | os.PathLike[str] | None = None, *, allow_version_mismatch: bool = False) -> Model:
    """Load a model directory (default: the shipped model), verifying every file against its card.

    Parameters
    ----------
    path
        ``None`` or ``"fast"`` for the shipped fast model, ``"accurate"`` for the accurate tier (installed
        with ``pip install '.[accurate]' ./model/accurate``), or a directory written by ``factcomment train``.
    allow_version_mismatch
        Load a model whose card records another factcomment version (format changes may break it).

    Examples
    --------
    >>> model = load_model()
    >>> model.predict(["The minister resigned on Monday."])[0].label
    'report'
    """
    directory = _model_dir(path)
    if directory.is_file():
        directory = directory.parent
    card = read_card(directory)
    _check_versions(card, directory, ("factcomment",), allow_version_mismatch)
    if card.get("tier", "fast") == "accurate":
        from factcomment.accurate import ENCODER_FILES, AccurateScorer

        for name in ENCODER_FILES:
            _verified(directory, name, card)
        fast = _fast_scorer(directory, card) if SCORER_FILE in card["files"] else None
        return Model(directory, card, AccurateScorer(directory, card, fast), allow_version_mismatch)
    return Model(directory, card, _fast_scorer(directory, card), allow_version_mismatch)


def _model_dir(path: str | os.PathLike[str] | None) -> Path:
    # The tier names win over directories of the same name; write ./accurate for such a directory.
    if path is None or path == "fast":
        return default_model_dir()
    if path == "accurate":
        from factcomment.accurate import accurate_model_dir

        return accurate_model_dir()
    return Path(path)


def _fast_scorer(directory: Path, card: dict[str, Any]):
    data = json.loads(_verified(directory, SCORER_FILE, card).read_bytes())
    from factcomment.scorer import Scorer

    try:
        return Scorer.from_dict(data)
    except (KeyError, TypeError, ValueError) as error:
        raise ModelError(f"{directory / SCORER_FILE}: not a factcomment scorer ({error}); retrain the model") from None


def read_card(directory: Path) -> dict[str, Any]:
    """The card of a model directory, or a ModelError that says what is missing."""
    path = directory / CARD_FILE
    try:
        card = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"{directory}: no {CARD_FILE}; not a factcomment model directory (see factcomment train)") from None
    except (OSError, ValueError) as error:
        raise ModelError(f"{path}: unreadable model card ({error}); retrain or restore the model") from None
    if not isinstance(card, dict) or card.get("format") != CARD_FORMAT or "files" not in card:
        raise ModelError(f"{path}: not a factcomment model card (format {CARD_FORMAT}); retrain the model")
    return card


def save_model(directory: str | os.PathLike[str], pipeline: Any, scorer: dict[str, Any], card: dict[str, Any]) -> Path:
    """Write the pipeline, the compiled scorer, ``card.json`` and ``README.md`` into ``directory``.

    ``card`` holds what the caller knows (data, settings, metrics); this adds the files' hashes, the library
    versions and the format. Files are written whole and then renamed, so a crash leaves the old model.
    """
    import joblib

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / f".{MODEL_FILE}.part"
    joblib.dump(pipeline, tmp, compress=3)
    os.replace(tmp, out / MODEL_FILE)
    _write_atomic(out / SCORER_FILE, json.dumps(scorer, separators=(",", ":"), sort_keys=True).encode())
    full = {"format": CARD_FORMAT, **card, "versions": library_versions(), "files": {
        name: {"sha256": sha256_of(out / name), "bytes": (out / name).stat().st_size}
        for name in (MODEL_FILE, SCORER_FILE)
    }}
    _write_atomic(out / CARD_FILE, (json.dumps(full, indent=2, sort_keys=True) + "\n").encode())
    from factcomment.card import render_card

    _write_atomic(out / README_FILE, render_card(full).encode())
    return out


def library_versions() -> dict[str, str]:
    versions = {"factcomment": __version__, "python": platform.python_version()}
    for name in ("scikit-learn", "joblib", "numpy", "scipy"):
        if (version := _installed(name)) is not None:
            versions[name] = version
    return versions


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _verified(directory: Path, name: str, card: dict[str, Any]) -> Path:
    path = directory / name
    expected = card["files"].get(name, {}).get("sha256")
    if not path.is_file():
        raise ModelError(f"{path}: missing; restore it or retrain the model with factcomment train")
    if expected is None or sha256_of(path) != expected:
        raise ModelError(
            f"{path}: SHA-256 does not match {CARD_FILE}; the file is damaged or was replaced. "
            "Restore it or retrain with factcomment train (refusing to load it)"
        )
    return path


def _check_versions(card: dict[str, Any], directory: Path, names: tuple[str, ...], allow: bool) -> None:
    recorded = card.get("versions", {})
    for name in names:
        have = __version__ if name == "factcomment" else _installed(name)
        saved = recorded.get(name)
        # factcomment's scorer format is stable within a minor version; a pickle wants the exact library.
        same = _minor(saved) == _minor(have) if name == "factcomment" else saved == have
        if not same and not allow:
            raise ModelError(
                f"{directory}: saved with {name} {saved}, this is {name} {have}. Retrain it with "
                f"`factcomment train ... --out {directory}`, or pass --allow-version-mismatch if you trust it"
            )


def _installed(name: str) -> str | None:
    from importlib import metadata  # 60 ms to import: kept off the classify path

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _minor(version: str | None) -> str | None:
    return None if version is None else ".".join(version.split(".")[:2])


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.part")
    tmp.write_bytes(data)
    os.replace(tmp, path)
