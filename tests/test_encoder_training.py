"""Training the accurate tier on a tiny encoder built from a config: fine-tune, export, load, predict.

These need torch and transformers (``pip install 'factcomment[train]'``; CI installs the CPU build) and
skip without them. The tiny BERT (one layer, 16 dimensions) and its WordPiece tokenizer are made here, so
nothing is downloaded and each test takes a second or two.
"""
from __future__ import annotations

import hashlib
import json
import math

import pytest

# Every test here runs or fine-tunes an encoder: seconds each, so the quick loop (-m 'not slow') skips them.
pytestmark = pytest.mark.slow


from conftest import TINY_COMMENT, TINY_REPORT

torch = pytest.importorskip("torch", reason="training the accurate tier needs torch (pip install 'factcomment[train]')")
pytest.importorskip("transformers", reason="training the accurate tier needs transformers")
pytest.importorskip("onnxruntime", reason="exporting the accurate tier needs onnxruntime")

from factcomment import encoder_training as et  # noqa: E402

TEXTS = TINY_REPORT + TINY_COMMENT
LABELS = ["report"] * len(TINY_REPORT) + ["comment"] * len(TINY_COMMENT)
SETTINGS = {"epochs": 2, "batch_size": 8, "learning_rate": 1e-3, "max_length": 32}


def tuned_model(tiny_base, seed=0):
    encoder, tokenizer = et.load_base(config=tiny_base[0], tokenizer_file=tiny_base[1])
    return et.fine_tune(TEXTS, LABELS, encoder=encoder, tokenizer=tokenizer, settings=SETTINGS, seed=seed)


def test_fine_tuning_learns_the_training_data_and_is_deterministic(tiny_base):
    first, second = tuned_model(tiny_base), tuned_model(tiny_base)
    logits = et.predict_logits(first, TEXTS)
    assert logits == et.predict_logits(second, TEXTS)
    comment = [z for z, label in zip(logits, LABELS) if label == "comment"]
    report = [z for z, label in zip(logits, LABELS) if label == "report"]
    # Ranking on its own training data: the mean comment logit lies above the mean report logit.
    assert sum(comment) / len(comment) > sum(report) / len(report)


@pytest.mark.parametrize("quantise", [False, True])
def test_onnx_export_matches_torch(tiny_base, tmp_path, quantise, caplog):
    import warnings

    from factcomment.encoder import OnnxEncoder

    tuned = tuned_model(tiny_base)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        figures = et.export_onnx(tuned, tmp_path, quantise=quantise, check_texts=TEXTS)
    # The exporter's and quantiser's advice about graph details is for their developers; the export check is ours.
    assert [str(w.message) for w in seen] == [] and caplog.records == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.onnx.gz", "tokenizer.json"]
    assert figures["opset"] == et.OPSET and figures["max_abs_diff_float"] < 1e-4
    exported = OnnxEncoder.from_files(tmp_path / "model.onnx.gz", tmp_path / "tokenizer.json", max_length=32)
    reference = et.predict_logits(tuned, TEXTS)
    tolerance = 0.2 if quantise else 1e-4
    assert max(abs(a - b) for a, b in zip(reference, exported.logits(TEXTS))) < tolerance
    # A text's logit does not depend on the batch it is scored in, to the bit.
    assert [exported.logits([t])[0] for t in TEXTS] == exported.logits(TEXTS)


def test_the_export_is_fused_ahead_of_time_and_scores_the_same_bits(tiny_base, tmp_path, monkeypatch):
    import gzip

    from factcomment.encoder import OnnxEncoder

    tuned = tuned_model(tiny_base)
    assert et.export_onnx(tuned, tmp_path / "fused", check_texts=TEXTS)["graph"] == et.OPTIMISED_GRAPH
    monkeypatch.setattr(et, "optimise_graph", lambda model: model)
    et.export_onnx(tuned, tmp_path / "plain", check_texts=TEXTS)
    fused, plain = (gzip.decompress((tmp_path / d / "model.onnx.gz").read_bytes()) for d in ("fused", "plain"))
    # onnxruntime's fused kernels (its own op domain) are in the file, so loading has nothing left to fuse.
    assert b"com.microsoft" in fused and fused != plain
    import onnx

    graph = onnx.load_from_string(fused)
    # Only the op sets its nodes use, so that older onnxruntime releases load it.
    assert {o.domain for o in graph.opset_import} == {n.domain for n in graph.graph.node}
    tokenizer = (tmp_path / "fused" / "tokenizer.json").read_text(encoding="utf-8")
    assert (OnnxEncoder(fused, tokenizer, max_length=32).logits(TEXTS)
            == OnnxEncoder(plain, tokenizer, max_length=32).logits(TEXTS))


def test_a_fused_graph_that_scores_differently_is_not_kept(tiny_base, tmp_path, monkeypatch):
    import gzip

    tuned = tuned_model(tiny_base)
    et.export_onnx(tuned, tmp_path / "float", quantise=False, check_texts=TEXTS)
    other = gzip.decompress((tmp_path / "float" / "model.onnx.gz").read_bytes())  # scores unlike the int8 one
    monkeypatch.setattr(et, "optimise_graph", lambda model: other)
    figures = et.export_onnx(tuned, tmp_path / "int8", check_texts=TEXTS)
    assert figures["graph"] == "as exported (onnxruntime's optimised graph scored differently)"
    assert gzip.decompress((tmp_path / "int8" / "model.onnx.gz").read_bytes()) != other


def test_train_save_load_predict(tiny_base, tmp_path):
    from factcomment import classify
    from factcomment.inference import load_model
    from factcomment.training import save_accurate

    result = et.train_accurate(TEXTS, LABELS, tmp_path / "encoder", config=tiny_base[0],
                               tokenizer_file=tiny_base[1], settings=SETTINGS, folds=2)
    assert set(result.stacking) == {"encoder", "fast", "bias"}
    assert len(result.encoder.oof) == len(TEXTS) and 0.0 <= result.cv_metrics["macro_f1"] <= 1.0
    # The stacked fast model's own threshold is never used, so it comes from one CV, not five; its scores
    # are those of the model `train` fits by default.
    from factcomment.model import train
    from factcomment.scorer import Scorer, compile_scorer

    assert result.fast.settings["threshold_repeats"] == 1
    default = train(TEXTS, LABELS, seed=0)
    decisions = [Scorer.from_dict(compile_scorer(r.pipeline, r.threshold)).decision_function(TEXTS)
                 for r in (result.fast, default)]
    assert decisions[0] == decisions[1]
    out = save_accurate(tmp_path / "accurate", result, {"seed": 0})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["accurate", "encoder"]  # no staging litter
    card = json.loads((out / "card.json").read_text())
    assert card["tier"] == "accurate" and card["threshold"] == result.threshold
    assert "model.onnx.gz" in card["files"] and "accurate tier" in (out / "README.md").read_text()
    model = load_model(out)
    predictions = classify(TEXTS, model=model)
    assert [p.label for p in predictions] == ["comment" if p.p_comment >= result.threshold else "report"
                                              for p in predictions]
    assert all(0.0 <= p.p_comment <= 1.0 and not math.isnan(p.p_comment) for p in predictions)


def test_train_files_scores_heldout_then_refits_the_accurate_tier(tiny_base, tmp_path, monkeypatch):
    from factcomment.inference import load_model
    from factcomment.readers import InputOptions, Tally
    from factcomment.training import train_files

    real = et.train_accurate
    fitted = []

    def tiny(texts, labels, directory, *, seed, checkpoint, progress):
        fitted.append(len(texts))
        return real(texts, labels, directory, config=tiny_base[0], tokenizer_file=tiny_base[1], settings=SETTINGS,
                    folds=2, seed=seed, checkpoint=checkpoint)

    monkeypatch.setattr(et, "train_accurate", tiny)
    rows = [json.dumps({"text": t, "label": label}) + "\n" for t, label in zip(TEXTS, LABELS)]
    held = [rows.pop(0), rows.pop(0), rows.pop(), rows.pop()]  # two of each label
    (tmp_path / "train.jsonl").write_text("".join(rows))
    (tmp_path / "held.jsonl").write_text("".join(held))
    summary = train_files([str(tmp_path / "train.jsonl")], InputOptions(), Tally(), tmp_path / "m",
                          heldout=[str(tmp_path / "held.jsonl")], refit_with_heldout=True, tier="accurate",
                          checkpoint=tmp_path / "ck\udcff")  # a name that is not UTF-8 (byte 0xff)
    assert fitted == [len(TEXTS) - 4, len(TEXTS)]  # scored on the held-out rows first, then refitted with them
    card = json.loads((tmp_path / "m" / "card.json").read_text())
    assert card["metrics"]["heldout"]["n"] == 4 and card["metrics"]["heldout"]["trained_without_them"] is True
    assert card["metrics"]["heldout"]["macro_f1"] == summary.heldout.as_dict()["macro_f1"]
    assert sum(entry["rows"] for entry in card["training_data"]) == len(TEXTS) == sum(summary.counts.values())
    assert load_model(tmp_path / "m").card["tier"] == "accurate"
    assert card["checkpoint"].endswith("/ck\\xff")  # spelt as in the rows; the lone surrogate made README.md fail


def test_a_checkpoint_resumes_without_fine_tuning_again(tiny_base, tmp_path):
    said: list[str] = []
    options = dict(config=tiny_base[0], tokenizer_file=tiny_base[1], settings=SETTINGS, folds=2)
    saved = et.checkpoint_dir(tmp_path / "keep", TEXTS, LABELS, settings=SETTINGS, folds=2)
    assert saved == et.checkpoint_dir(tmp_path / "keep", TEXTS, LABELS, settings=SETTINGS, folds=2)
    assert saved != et.checkpoint_dir(tmp_path / "keep", TEXTS, LABELS[::-1], settings=SETTINGS, folds=2)
    first = et.train_encoder(TEXTS, LABELS, tmp_path / "a", checkpoint=saved, **options)
    again = et.train_encoder(TEXTS, LABELS, tmp_path / "b", checkpoint=saved, progress=said.append, **options)
    assert said == [f"fold 1/2: read from {saved / 'fold1of2.json'}", f"fold 2/2: read from {saved / 'fold2of2.json'}",
                    f"final encoder: read from {saved / 'final'}"]
    assert again.oof == first.oof and again.export == first.export
    assert (tmp_path / "b" / "model.onnx.gz").read_bytes() == (tmp_path / "a" / "model.onnx.gz").read_bytes()


def test_loading_a_base_directory_draws_no_progress_bar_and_leaves_the_setting_alone(tiny_base, tmp_path, capfd):
    from tokenizers import Tokenizer
    from transformers import AutoModel
    from transformers.utils import logging

    AutoModel.from_config(tiny_base[0]).save_pretrained(str(tmp_path))
    Tokenizer.from_file(str(tiny_base[1])).save(str(tmp_path / "tokenizer.json"))
    capfd.readouterr()
    encoder, tokenizer = et.load_base(tmp_path)
    assert capfd.readouterr().err == ""
    assert logging.is_progress_bar_enabled()
    assert tokenizer.get_vocab_size() == Tokenizer.from_file(str(tiny_base[1])).get_vocab_size()


def test_copies_of_a_text_share_a_cross_fitting_fold():
    # Spread over folds, each copy's out-of-fold logit came from an encoder trained on its twins, which
    # flattered the stack's fit and the threshold (the fast tier already kept copies together).
    texts = [f"text {i}" for i in range(12)] + ["the same text"] * 3
    labels = ["report", "comment"] * 6 + ["comment"] * 3
    folds = et._folds(texts, labels, 3, 0)
    assert [sum(i >= 12 for i in held) for _, held in folds].count(3) == 1
    assert sorted(i for _, held in folds for i in held) == list(range(15))
    # Checkpoints kept before copies were grouped hold other folds' logits: data with copies gets a new key.
    def key(*recipe):
        return "encoder-" + hashlib.sha256(json.dumps(list(recipe)).encode()).hexdigest()[:12]

    assert et.checkpoint_dir("ck", texts[:12], labels[:12]).name == key(texts[:12], labels[:12], et.ENCODER_SETTINGS, 3, 0)
    assert et.checkpoint_dir("ck", texts, labels).name == key(texts, labels, et.ENCODER_SETTINGS, 3, 0,
                                                             "copies share a fold")
