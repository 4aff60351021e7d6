"""Distillation: the accurate tier labels unlabeled news, and the fast model learns from those labels too.

About 1,800 gold sentences cannot teach a sparse model the vocabulary of commentary in unseen news; the
encoder generalises from pre-training. Here the teacher (any loaded model, normally the accurate tier)
scores a transfer corpus once (cached by content hash, so a rerun does not rescore), and
:func:`factcomment.model.train` fits the student on gold rows plus teacher-labelled rows, each passed as
soft labels (the row twice, weighted ``p`` and ``1 - p``) or hard labels (the teacher's decision).
"""
from __future__ import annotations

import hashlib
import json
import os
from array import array
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from factcomment.errors import InputError, UsageError

__all__ = ["BATCH", "read_transfer", "teacher_scores", "transfer_rows"]

# The teacher scores this many sentences between progress reports and cache-free checkpoints.
BATCH = 1024


def read_transfer(paths: Iterable[str | os.PathLike[str]], *, exclude: Iterable[str] = ()) -> list[str]:
    """Unlabeled sentences, one per line, from ``paths`` in order: stripped, blank lines and repeats dropped,
    and any sentence in ``exclude`` (the gold texts, say) left out so no gold text is labelled twice."""
    seen = set(exclude)
    sentences = []
    for path in paths:
        try:
            with open(path, encoding="utf-8") as stream:
                for line in stream:
                    text = line.strip()
                    if text and text not in seen:
                        seen.add(text)
                        sentences.append(text)
        except FileNotFoundError:
            raise InputError(f"{path}: no such transfer corpus; check the path", file=str(path)) from None
        except UnicodeDecodeError as error:
            raise InputError(f"{path}: not valid utf-8 at byte {error.start}; a transfer corpus is UTF-8 text, "
                             "one sentence per line", file=str(path)) from None
    return sentences


def _cache_key(model: Any, sentences: Sequence[str]) -> str:
    digest = hashlib.sha256()
    digest.update(json.dumps(model.card.get("files", {}), sort_keys=True).encode())
    for text in sentences:
        digest.update(text.encode("utf-8", "surrogatepass") + b"\n")
    return digest.hexdigest()


def teacher_scores(model: Any, sentences: Sequence[str], *, cache: str | os.PathLike[str] | None = None,
                   progress: Callable[[int, int], None] | None = None) -> list[float]:
    """The teacher's ``p_comment`` for each sentence, read from ``cache`` when this model scored them before.

    The cache file is named by the SHA-256 of the model's file hashes and the sentences, and written whole
    (temporary file, then rename), so an interrupted run leaves no half-written cache.
    """
    path = None
    if cache is not None:
        path = Path(cache) / f"{_cache_key(model, sentences)}.f64"
        if path.is_file():
            scores = array("d")
            scores.frombytes(path.read_bytes())
            if len(scores) == len(sentences):
                return scores.tolist()
    scores = array("d")
    for begin in range(0, len(sentences), BATCH):
        scores.extend(model.scorer.p_comment(list(sentences[begin:begin + BATCH])))
        if progress is not None:
            progress(min(begin + BATCH, len(sentences)), len(sentences))
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        part = path.with_name(path.name + ".part")
        part.write_bytes(scores.tobytes())
        part.replace(path)
    return scores.tolist()


def transfer_rows(sentences: Sequence[str], p_teacher: Sequence[float], *, mode: str, weight: float,
                  threshold: float) -> tuple[list[str], list[str], list[float]]:
    """Teacher-labelled training rows: texts, labels and sample weights.

    ``mode="soft"``: each sentence twice, ``comment`` weighted ``weight * p`` and ``report`` weighted
    ``weight * (1 - p)``; ``mode="hard"``: once, labelled by ``p >= threshold``, weighted ``weight``.
    """
    if mode not in ("soft", "hard"):
        raise UsageError(f"distillation mode {mode!r}: use 'soft' or 'hard'")
    if not weight > 0:
        raise UsageError(f"transfer weight must be positive, not {weight!r}")
    if len(sentences) != len(p_teacher):
        raise UsageError(f"{len(sentences)} transfer sentences but {len(p_teacher)} teacher scores")
    if mode == "hard":
        labels = ["comment" if p >= threshold else "report" for p in p_teacher]
        return list(sentences), labels, [weight] * len(sentences)
    texts = [t for t in sentences for _ in (0, 1)]
    labels = ["comment", "report"] * len(sentences)
    weights = [w for p in p_teacher for w in (weight * p, weight * (1.0 - p))]
    return texts, labels, weights
