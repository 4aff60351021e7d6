"""Model files: saving them with a card that records where they came from and what they hold, and reading
them back verified (:mod:`factcomment.inference` turns what is read into a :class:`~factcomment.inference.Model`).

A model directory holds:

- ``model.joblib``: the trained scikit-learn Pipeline (the source of truth; a pickle),
- ``scorer.json``: the same model compiled to plain numbers, which the inference path reads (no pickle),
- ``card.json`` and ``README.md``: the model card (data and hashes, settings, metrics, versions).

Loading checks each file's SHA-256 against the card *before* reading it, so a damaged or swapped file is
refused before anything is unpickled. The card guards against accidents, not attackers: anyone who can
write the directory can rewrite the card too, so only load models you trained or trust.
"""
from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import math
import os
import stat
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from factcomment._version import __version__
from factcomment.atomic import WRITE_ERRNOS, remove_stale, swap_dirs, temporary_prefix, umask, write_hint
from factcomment.errors import ModelError, OutputError, UsageError
from factcomment.results import LABELS

MODEL_FILE = "model.joblib"
TIERS = ("fast", "accurate")
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


def read_model(directory: Path, files_of: Callable[[dict[str, Any]], list[str]],
               allow_version_mismatch: bool = False) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The card of the model ``directory`` and the bytes of the files ``files_of(card)`` names, each checked
    against its SHA-256 on the card (and the card's factcomment version against this one's)."""
    # A directory being replaced by `train --force` is swapped whole (see staging_dir), and each attempt reads
    # one directory through one handle: it sees the old model or the new one. A file that vanished or changed
    # under it means the swap happened mid-read, and the next attempt reads the new model.
    for attempt in itertools.count():  # the last of _LOAD_ATTEMPTS raises
        with _opened_dir(directory) as handle:
            try:
                card = read_card(directory, handle)
                check_versions(card, directory, ("factcomment",), allow_version_mismatch)
                return card, {name: read_verified(directory, name, card, handle) for name in files_of(card)}
            except ModelError:
                if attempt == _LOAD_ATTEMPTS - 1 or not _replaced(handle, directory):
                    raise
        time.sleep(0.01 * (attempt + 1))


def read_card(directory: Path, handle: int | None = None) -> dict[str, Any]:
    """The card of a model directory (read through ``handle`` on it, if given), or a ModelError that says what
    is missing."""
    path = directory / CARD_FILE
    try:
        card = json.loads(_read_at(handle, directory, CARD_FILE).decode("utf-8"))
    except FileNotFoundError:
        if not os.path.exists(directory):
            raise ModelError(f"{directory}: no such model; pass fast, accurate or a model directory "
                             "(see factcomment train)") from None
        raise ModelError(f"{directory}: no {CARD_FILE}; not a factcomment model directory (see factcomment train)") from None
    except (OSError, ValueError) as error:
        raise ModelError(f"{path}: unreadable model card ({error}); retrain or restore the model") from None
    if isinstance(card, dict) and "format" in card and card["format"] != CARD_FORMAT and "files" in card:
        # Said "not a factcomment model card (format 1)" of a card of format 2, as if 1 were what it held.
        raise ModelError(f"{path}: a model card of format {card['format']!r}, and this factcomment reads format "
                         f"{CARD_FORMAT}; retrain the model, or load it with the factcomment that wrote it")
    if not isinstance(card, dict) or card.get("format") != CARD_FORMAT or "files" not in card:
        raise ModelError(f"{path}: not a factcomment model card (format {CARD_FORMAT}); retrain the model")
    check_card(card, path)
    return card


# -- sense checks of what is loaded: the hashes only say the files match the card, not that they make sense --

def check_card(card: dict[str, Any], path: Path) -> None:
    """Refuse a card whose fields are missing, mistyped or out of range, naming the field."""
    files = _field(card, "files", dict, path)
    for name, entry in files.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("sha256"), str):
            _bad(path, f"files.{name}", "has no sha256 string")
    _probability(card, "threshold", path)
    labels = _field(card, "labels", list, path)
    if sorted(map(str, labels)) != sorted(LABELS):
        _bad(path, "labels", f"is {labels!r}; expected report and comment")
    if "versions" in card:
        _field(card, "versions", dict, path)
    if card_tier(card) not in TIERS:  # read as fast, a newer tier's files would be misread
        _bad(path, "tier", f"is {card['tier']!r}; this factcomment knows {' and '.join(TIERS)} (a newer version "
             "may know it)")


def card_tier(card: dict[str, Any]) -> str:
    """The tier a model card is for: ``"fast"`` unless it says otherwise (fast cards predate the field)."""
    return card.get("tier", "fast")


def check_scorer(data: Any, path: Path) -> None:
    """Refuse a compiled scorer (``scorer.json``) that is not a dict of finite, consistent numbers."""
    if not isinstance(data, dict):
        raise ModelError(f"{path}: not a factcomment scorer (a JSON {type(data).__name__}, not an object); "
                         "retrain the model")
    _probability(data, "threshold", path)
    _finite(data, "intercept", path)
    calibration = _field(data, "calibration", dict, path)
    for key in ("a", "b"):
        _finite(calibration, key, path, f"calibration.{key}")
    if calibration.get("positive") not in LABELS:
        _bad(path, "calibration.positive", f"is {calibration.get('positive')!r}; expected report or comment")
    cues = _field(data, "cues", dict, path)
    cue_names = _field(cues, "names", list, path)
    for key in ("mean", "weights"):
        values = _field(cues, key, list, path)
        if len(values) != len(cue_names):
            _bad(path, f"cues.{key}", f"holds {len(values)} numbers for {len(cue_names)} cues")
        for i, value in enumerate(values):
            _finite({key: value}, key, path, f"cues.{key}[{i}]")
    _field(cues, "lexicon", dict, path)
    from factcomment.scorer import unpack_doubles

    vocabulary = _field(data, "vocabulary", str, path)
    names = vocabulary.split("\n") if vocabulary else []
    if any(a >= b for a, b in zip(names, names[1:])):
        _bad(path, "vocabulary", "is not sorted (or repeats a term); the scorer looks terms up by bisection")
    for key in ("weights", "idf"):
        try:
            values = unpack_doubles(_field(data, key, str, path))
        except ValueError as error:
            _bad(path, key, str(error))
        if len(values) != len(names):
            _bad(path, key, f"holds {len(values)} numbers for {len(names)} vocabulary terms")
        # An array of doubles (unpack_doubles): only finiteness is left to check, at C speed (0.7 ms, not 4.7).
        if not all(map(math.isfinite, values)):
            _bad(path, key, "holds a number that is not finite")


def _field(record: dict[str, Any], key: str, kind: type | tuple[type, ...], path: Path) -> Any:
    if key not in record:
        _bad(path, key, "is missing")
    value = record[key]
    if not isinstance(value, kind):
        _bad(path, key, f"is a {type(value).__name__}")
    return value


def _finite(record: dict[str, Any], key: str, path: Path, name: str | None = None) -> float:
    value = record.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        _bad(path, name or key, f"is {value!r}; expected a finite number")
    return float(value)


def _probability(record: dict[str, Any], key: str, path: Path) -> None:
    if not 0.0 <= _finite(record, key, path) <= 1.0:
        _bad(path, key, f"is {record[key]!r}; expected a number from 0 to 1")


def _bad(path: Path, field: str, problem: str) -> None:
    raise ModelError(f"{path}: field {field!r} {problem}; retrain or restore the model")


def save_model(directory: str | os.PathLike[str], pipeline: Any, scorer: dict[str, Any], card: dict[str, Any], *,
               force: bool = False) -> Path:
    """Write the pipeline, the compiled scorer, ``card.json`` and ``README.md`` as the model ``directory``.

    ``card`` holds what the caller knows (data, settings, metrics); this adds the files' hashes, the library
    versions and the format. The files are written into a new sibling directory that then replaces
    ``directory`` whole (see :func:`staging_dir`), so a crash leaves the old model and a reader sees one
    model or the other. An existing model is only replaced with ``force``.
    """
    import joblib

    out = Path(directory)
    with staging_dir(out, force=force) as staged:
        joblib.dump(pipeline, staged / MODEL_FILE, compress=3)
        write_card(staged, card, (MODEL_FILE, write_scorer(staged, scorer)))
    return out


def write_scorer(directory: Path, scorer: dict[str, Any]) -> str:
    """Write the compiled ``scorer`` into ``directory`` as compact JSON, keys sorted; return the file's name."""
    (directory / SCORER_FILE).write_bytes(json.dumps(scorer, separators=(",", ":"), sort_keys=True).encode())
    return SCORER_FILE


def write_card(directory: Path, card: dict[str, Any], files: Sequence[str]) -> dict[str, Any]:
    """Write ``card.json`` and ``README.md`` for the model ``files`` already in ``directory``; return the card."""
    import platform

    versions = {"factcomment": __version__, "python": platform.python_version(),
                **installed_versions(("scikit-learn", "joblib", "numpy", "scipy"))}
    full = {"format": CARD_FORMAT, **card, "versions": versions, "files": {
        name: {"sha256": sha256_of(directory / name), "bytes": (directory / name).stat().st_size}
        for name in files
    }}
    (directory / CARD_FILE).write_bytes((json.dumps(full, indent=2, sort_keys=True) + "\n").encode())
    from factcomment.card import render_card

    (directory / README_FILE).write_bytes(render_card(full).encode())
    return full


def check_model_target(out: str | os.PathLike[str], *, force: bool = False) -> None:
    """Refuse a ``--out`` that training may not write: a file, a folder that is not empty and not a model,
    a model without ``force``, or a model folder holding files that factcomment did not write."""
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise OutputError(f"{out}: is a file; give --out a directory (new, empty, or a model to replace)")
    # Else found only when the model is saved, after the whole training.
    existing = next((p for p in path.parents if os.path.lexists(p)), None)
    if existing is not None and not existing.is_dir():
        raise OutputError(f"{out}: {existing} is a file, not a directory; give --out a path in a directory")
    try:
        entries = set(os.listdir(path)) if path.is_dir() else set()
    except OSError as error:
        raise OutputError(f"{out}: cannot read this directory ({error.strerror}); check the path") from None
    if not entries:
        return
    if CARD_FILE not in entries:
        raise OutputError(f"{out}: is not empty and holds no factcomment model; give --out a new or empty directory")
    try:
        card = read_card(path)
    except ModelError as error:
        # Which files are ours is on the card, so even --force cannot replace this safely; the reason is shown,
        # since a future format or a damaged field is not the same as someone else's folder.
        reason = str(error).removeprefix(f"{path / CARD_FILE}: ").split(";")[0]
        raise OutputError(f"{out}: holds a {CARD_FILE} that cannot be read as a factcomment model card ({reason}); "
                          "give --out a new or empty directory, or remove that model yourself") from None
    if not force:
        raise UsageError(f"{out}: already holds a model; pass --force to replace it")
    ours = {CARD_FILE, README_FILE, *card.get("files", {})}
    if others := sorted(entries - ours):
        raise OutputError(f"{out}: holds files factcomment did not write ({', '.join(others[:5])}); move them "
                          "out, or give --out a new directory")


@contextlib.contextmanager
def staging_dir(out: str | os.PathLike[str], *, force: bool = False) -> Iterator[Path]:
    """Yield a new, empty sibling directory of ``out``; on success it replaces ``out`` whole, in one step.

    Any model tier's saver writes its files into the yielded directory (and the card last, with
    :func:`write_card`). When the ``with`` block ends without an exception the directory is swapped in
    (``renameat2(RENAME_EXCHANGE)`` on Linux) and the old model removed; on an exception (or SIGTERM, which
    the CLI turns into one) the staged directory is removed and ``out`` is left as it was. ``out`` is checked
    with :func:`check_model_target` before and again just before the swap. A symlink at ``out`` keeps
    pointing where it did; the directory it points to is replaced.
    """
    import shutil  # saving only: loading a model, on every start, does without them
    import tempfile

    # The real path: a symlinked model directory keeps its link, and `--out .` has a name to stage beside.
    target = Path(os.path.realpath(out))
    check_model_target(target, force=force)
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        remove_stale(target)
        staged = Path(tempfile.mkdtemp(prefix=temporary_prefix(target), suffix=".tmp", dir=parent))
    except OSError as error:
        raise OutputError(f"{out}: cannot write here ({error.strerror}); check the directory") from None
    try:
        try:
            yield staged
        except OSError as error:
            if error.errno not in WRITE_ERRNOS:
                raise
            # Left bare, the CLI would take a full disk here for standard output filling up.
            raise OutputError(f"{out}: cannot write the model ({error.strerror}); "
                              f"{write_hint(error, 'write elsewhere')}") from None
        # mkdtemp makes it private; a model is an ordinary folder, or keeps the mode of the one it replaces.
        os.chmod(staged, os.stat(target).st_mode & 0o777 if target.is_dir() else 0o777 & ~umask())
        check_model_target(target, force=force)
        try:
            if target.is_dir():
                swap_dirs(staged, target)  # staged now holds the old model, removed below
            else:
                os.rename(staged, target)
        except OSError as error:
            raise OutputError(f"{out}: cannot replace it ({error.strerror}); check the directory") from None
    finally:
        shutil.rmtree(staged, ignore_errors=True)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_verified(directory: Path, name: str, card: dict[str, Any], handle: int | None = None) -> bytes:
    """The bytes of the file ``name`` of a model ``directory`` (read through ``handle`` on it, if given), read
    once and checked against the SHA-256 on its card (so what is checked is what is used)."""
    path = directory / name
    expected = card["files"].get(name, {}).get("sha256")
    try:
        data = _read_at(handle, directory, name)
    except FileNotFoundError:
        raise ModelError(f"{path}: missing; restore it or retrain the model with factcomment train") from None
    except NotRegularFile as error:
        raise ModelError(f"{path}: {error}; restore the file or retrain the model with factcomment train") from None
    except OSError as error:
        raise ModelError(f"{path}: cannot read it ({error.strerror}); check the permissions") from None
    if expected is None or hashlib.sha256(data).hexdigest() != expected:
        raise ModelError(
            f"{path}: SHA-256 does not match {CARD_FILE}; the file is damaged or was replaced. "
            "Restore it or retrain with factcomment train (refusing to load it)"
        )
    return data


_LOAD_ATTEMPTS = 5


@contextlib.contextmanager
def _opened_dir(directory: Path) -> Iterator[int | None]:
    """A handle on ``directory`` to read its files through (None where the OS cannot, or it is missing)."""
    try:
        handle = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        handle = None
    try:
        yield handle
    finally:
        if handle is not None:
            os.close(handle)


class NotRegularFile(OSError):
    """A model file that is a device, a named pipe or a directory: reading it could block or never end."""


def _read_at(handle: int | None, directory: Path, name: str) -> bytes:
    # O_NONBLOCK: opening a named pipe would wait for a writer forever (it changes nothing for a regular file).
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
    if handle is None or os.open not in os.supports_dir_fd:
        descriptor = os.open(directory / name, flags)
    else:
        descriptor = os.open(name, flags, dir_fd=handle)
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):  # /dev/zero would be read until memory ran out
        os.close(descriptor)
        raise NotRegularFile("not a regular file: a device, a named pipe or a directory")
    with open(descriptor, "rb") as stream:
        return stream.read()


def _replaced(handle: int | None, directory: Path) -> bool:
    """Whether ``directory`` now names another directory than ``handle`` (it was swapped), or nothing yet."""
    try:
        now = os.stat(directory)
    except OSError:
        return True
    if handle is None:
        return False
    was = os.fstat(handle)
    return (now.st_dev, now.st_ino) != (was.st_dev, was.st_ino)


def check_versions(card: dict[str, Any], directory: Path, names: tuple[str, ...], allow: bool) -> None:
    recorded = card.get("versions", {})
    for name in names:
        have = __version__ if name == "factcomment" else installed_versions([name]).get(name)
        saved = recorded.get(name)
        # factcomment's scorer format is stable within a minor version; a pickle wants the exact library.
        same = str(saved).split(".")[:2] == have.split(".")[:2] if name == "factcomment" else saved == have
        if not same and not allow:
            raise ModelError(
                f"{directory}: saved with {name} {'(no version on the card)' if saved is None else saved}, this "
                f"is {name} {have}. Retrain it with "
                f"`factcomment train ... --out {directory}`, or pass --allow-version-mismatch if you trust it"
            )


def installed_versions(names: Sequence[str]) -> dict[str, str]:
    """The installed versions of the distributions ``names``; those not installed are left out."""
    from importlib import metadata  # 60 ms to import: kept off the classify path

    found = {}
    for name in names:
        with contextlib.suppress(metadata.PackageNotFoundError):
            found[name] = metadata.version(name)
    return found
