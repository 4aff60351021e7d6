"""The accurate tier at inference: the fine-tuned encoder's logit, stacked with the fast model's decision.

An accurate model directory holds ``model.onnx.gz`` and ``tokenizer.json`` (the encoder, see
:mod:`factcomment.encoder`), ``scorer.json`` (a fast TF-IDF model trained on the same data) and its card.
``p_comment = sigmoid(w_encoder * encoder_logit + w_fast * fast_decision + bias)``: the weights were fitted
by logistic regression on out-of-fold scores, as the best published systems combine TF-IDF with a
transformer (``w_fast`` is 0 when the card says the combination did not help). Nothing here imports torch.

The shipped weights come as their own package, ``factcomment-accurate`` (in ``model/accurate/`` of a
clone), as spaCy ships its pipelines: ``pip install ".[accurate]" ./model/accurate``.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from factcomment.errors import ModelError

__all__ = ["ENCODER_FILES", "AccurateScorer", "accurate_model_dir"]

ENCODER_FILES = ("model.onnx.gz", "tokenizer.json")
# More tokens than any encoder's positions; tokenizers cannot take a negative or a 64-bit-overflowing length.
_MAX_TOKENS = 1 << 16


def accurate_model_dir() -> Path:
    """Where the installed ``factcomment-accurate`` package keeps the shipped accurate model."""
    import importlib.util

    spec = importlib.util.find_spec("factcomment_accurate")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError("the accurate model is not installed; from a clone of factcomment run "
                         "pip install '.[accurate]' ./model/accurate (or pass a model directory)")
    return Path(list(spec.submodule_search_locations)[0])


class AccurateScorer:
    """Scores texts with the encoder (and the stacked fast model), like :class:`factcomment.scorer.Scorer`,
    but has no ``explain``: there are no per-word contributions to show (the report leaves its Why lines out).

    Parameters
    ----------
    directory
        The model directory (for messages).
    card
        Its card: ``stacking`` holds ``encoder``, ``fast`` and ``bias``; ``encoder`` holds ``max_length``.
    fast
        The stacked fast :class:`~factcomment.scorer.Scorer`, or ``None`` when its weight is 0.
    files
        The bytes of ``model.onnx.gz`` and ``tokenizer.json``, as the loader read and hash-checked them.
    """

    def __init__(self, directory: Path, card: dict[str, Any], fast: Any, files: dict[str, bytes]):
        from factcomment.encoder import OnnxEncoder

        try:
            stacking = card["stacking"]
            self._w_encoder, self._w_fast = float(stacking["encoder"]), float(stacking["fast"])
            self._bias = float(stacking["bias"])
            max_length = card["encoder"]["max_length"]
        except (KeyError, TypeError, ValueError, OverflowError) as error:  # 1e400 is JSON, and too big
            raise ModelError(f"{directory}: the card's stacking/encoder fields are missing or wrong ({error}); "
                             "retrain with factcomment train --tier accurate") from None
        # 0 (or true, read as 1) cut every text to nothing, so every text got one score, without a word.
        if isinstance(max_length, bool) or not isinstance(max_length, int) or not 1 <= max_length <= _MAX_TOKENS:
            raise ModelError(f"{directory}: the card's encoder.max_length is {max_length!r}; expected a whole number "
                             f"of tokens from 1 to {_MAX_TOKENS}; retrain with factcomment train --tier accurate")
        # float() would take "1.5" and true from a hand-edited card without a word.
        raw = [stacking[key] for key in ("encoder", "fast", "bias")]
        if any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in raw) or \
                not all(map(math.isfinite, (self._w_encoder, self._w_fast, self._bias))):
            raise ModelError(f"{directory}: the card's stacking weights are not finite numbers; retrain the model")
        if self._w_fast and fast is None:
            raise ModelError(f"{directory}: the card stacks a fast model but scorer.json is missing; retrain")
        self._fast = fast if self._w_fast else None
        try:
            tokenizer = files[ENCODER_FILES[1]].decode("utf-8")
        except UnicodeDecodeError:
            raise ModelError(f"{directory / ENCODER_FILES[1]}: not UTF-8 JSON; reinstall or retrain the model") from None
        self._encoder = OnnxEncoder(files[ENCODER_FILES[0]], tokenizer, max_length=max_length, where=str(directory))

    def encoder_logits(self, texts: list[str]) -> list[float]:
        """The encoder's own logits: the expensive part, which callers may cache (see factcomment.distil)."""
        return self._encoder.logits(texts)

    def decision_function(self, texts: list[str], encoder_logits: list[float] | None = None) -> list[float]:
        """The stacked log-odds toward comment (from ``encoder_logits`` when they were computed already)."""
        encoder = self._encoder.logits(texts) if encoder_logits is None else encoder_logits
        fast = self._fast.decision_function(texts) if self._fast is not None else [0.0] * len(texts)
        return [self._w_encoder * z + self._w_fast * d + self._bias for z, d in zip(encoder, fast)]

    def p_comment(self, texts: list[str], encoder_logits: list[float] | None = None) -> list[float]:
        """The calibrated probability that each text is the writer's comment."""
        return self.calibrate(self.decision_function(texts, encoder_logits))

    @staticmethod
    def calibrate(decisions: list[float]) -> list[float]:
        """Probabilities for stacked log-odds (of texts, or of paragraphs by :mod:`factcomment.paragraphs`)."""
        return [1.0 / (1.0 + math.exp(-d)) if d > -700.0 else 0.0 for d in decisions]
