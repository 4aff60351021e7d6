"""The accurate tier's inference with the shipped weights (``model/accurate``): onnxruntime and tokenizers,
no torch. Skips where onnxruntime is missing (``pip install '.[accurate]'``; the test extra has it)."""
from __future__ import annotations

import math

import pytest

# Every test here runs or fine-tunes an encoder: seconds each, so the quick loop (-m 'not slow') skips them.
pytestmark = pytest.mark.slow


from conftest import ROOT, TINY_COMMENT, TINY_REPORT

pytest.importorskip("onnxruntime", reason="the accurate tier needs onnxruntime (pip install '.[accurate]')")
pytest.importorskip("tokenizers", reason="the accurate tier needs tokenizers (pip install '.[accurate]')")

SHIPPED = ROOT / "model" / "accurate" / "factcomment_accurate"


@pytest.fixture(scope="module")
def accurate():
    from factcomment.inference import load_model

    return load_model(SHIPPED)


def test_shipped_accurate_model_loads_verified(accurate):
    assert accurate.card["tier"] == accurate.tier == "accurate" and 0.0 < accurate.threshold < 1.0
    assert {"model.onnx.gz", "tokenizer.json"} <= set(accurate.card["files"])


def test_accurate_ranks_comment_above_report(accurate):
    from sklearn.metrics import roc_auc_score

    p = accurate.scorer.p_comment(TINY_REPORT + TINY_COMMENT)
    assert all(0.0 <= x <= 1.0 and not math.isnan(x) for x in p)
    assert roc_auc_score([0] * len(TINY_REPORT) + [1] * len(TINY_COMMENT), p) >= 0.9


def test_accurate_is_deterministic_and_independent_of_batch(accurate):
    texts = TINY_REPORT + TINY_COMMENT
    together = accurate.scorer.p_comment(texts)
    assert together == accurate.scorer.p_comment(texts)
    alone = [accurate.scorer.p_comment([t])[0] for t in texts]
    assert alone == together


def test_a_lone_surrogate_is_read_as_a_replacement_character(accurate):
    # JSON lines can spell one ("\\ud800"); the tokenizer refused it with a TypeError.
    assert accurate.scorer.p_comment(["Frankly \ud800 awful."]) == accurate.scorer.p_comment(["Frankly \ufffd awful."])


def test_same_api_for_both_tiers(accurate):
    from factcomment import classify, classify_document

    predictions = classify(["Frankly, this is a disgrace.", "The court sat on Monday."], model=accurate)
    assert [p.source for p in predictions] == ["model", "model"]
    doc = "The Met said it was reviewing claims.\nComment: Too little, too late."
    assert [(r.label, r.source) for r in classify_document(doc, model=accurate)][1] == ("comment", "marker")


def test_accurate_has_no_word_explanations(accurate):
    from factcomment import UsageError, classify

    # Said for both callers: the library's keyword and the command line's option.
    with pytest.raises(UsageError, match=r"^the accurate model gives no per-word explanations; use the fast model for "
                                         r"them \(model=\"fast\"; --model fast on the command line\)$"):
        classify(["A text."], model=accurate, explain=3)


def test_accurate_by_name_says_how_to_install_when_missing(monkeypatch):
    import importlib.util

    from factcomment import ModelError
    from factcomment.inference import load_model

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "factcomment_accurate" else real(name, *a))
    with pytest.raises(ModelError, match=r"pip install '\.\[accurate\]' \./model/accurate"):
        load_model("accurate")


def test_tampered_onnx_is_refused(tmp_path):
    import shutil

    from factcomment import ModelError
    from factcomment.inference import load_model

    copy = shutil.copytree(SHIPPED, tmp_path / "m")
    with open(copy / "model.onnx.gz", "r+b") as stream:
        stream.seek(1000)
        byte = stream.read(1)
        stream.seek(1000)
        stream.write(bytes([byte[0] ^ 1]))
    with pytest.raises(ModelError, match="SHA-256 does not match"):
        load_model(copy)


def test_accurate_model_pickles_by_reopening_its_files(accurate):
    import pickle

    texts = TINY_REPORT[:3] + TINY_COMMENT[:3]
    copy = pickle.loads(pickle.dumps(accurate))  # what a process pool or a Dask worker receives
    assert copy.scorer.p_comment(texts) == accurate.scorer.p_comment(texts)


def test_report_with_the_accurate_model_has_no_why_lines(tmp_path):
    from typer.testing import CliRunner

    from factcomment.cli import app

    doc = tmp_path / "a.txt"
    doc.write_text("The council met on Tuesday.\nFrankly, this is an utter disgrace.\nComment: About time.\n",
                   encoding="utf-8")
    out = tmp_path / "r.html"
    result = CliRunner().invoke(app, ["report", str(doc), "-o", str(out), "--model", str(SHIPPED)])
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert "The council met on Tuesday." in page and "Why" not in page.split("<body", 1)[1].split("</style>")[-1]


def test_a_damaged_gzip_is_a_model_error_naming_the_directory(tmp_path):
    from factcomment import ModelError
    from factcomment.encoder import OnnxEncoder

    tokenizer = (SHIPPED / "tokenizer.json").read_text(encoding="utf-8")
    with pytest.raises(ModelError, match=r"^somewhere: cannot unpack the accurate model \(.+\); reinstall or retrain it$"):
        OnnxEncoder(b"\x1f\x8b\x08\x00 not really gzip", tokenizer, where="somewhere")


@pytest.mark.parametrize("trailer", ["as written", "claims 0 bytes", "claims 4 GB"])
def test_gzipped_weights_score_as_the_plain_file_whatever_the_trailer_claims(accurate, trailer):
    # The length in the gzip trailer only sizes zlib's first buffer; a wrong one must not change the bytes
    # (nor allocate 4 GB). zlib checks it against the data, so only a consistent file loads.
    import gzip
    import zlib

    from factcomment.encoder import OnnxEncoder

    packed = (SHIPPED / "model.onnx.gz").read_bytes()
    tokenizer = (SHIPPED / "tokenizer.json").read_text(encoding="utf-8")
    texts = TINY_REPORT[:2] + TINY_COMMENT[:2]
    plain = OnnxEncoder(gzip.decompress(packed), tokenizer).logits(texts)
    if trailer == "as written":
        assert OnnxEncoder(packed, tokenizer).logits(texts) == plain
        return
    lying = packed[:-4] + (0 if trailer == "claims 0 bytes" else 2**32 - 1).to_bytes(4, "little")
    with pytest.raises(zlib.error):  # what the encoder reports as "cannot unpack"
        zlib.decompress(lying, wbits=31)
    from factcomment import ModelError

    with pytest.raises(ModelError, match=r"^w: cannot unpack the accurate model \(.*\); reinstall or retrain it$"):
        OnnxEncoder(lying, tokenizer, where="w")


def test_a_failed_load_leaves_no_unpacking_thread():
    import threading

    from factcomment import ModelError
    from factcomment.encoder import OnnxEncoder

    packed = (SHIPPED / "model.onnx.gz").read_bytes()
    with pytest.raises(ModelError, match=r"^w: cannot load the accurate model"):
        OnnxEncoder(packed, "{not a tokenizer", where="w")
    assert not [t for t in threading.enumerate() if t.name == "factcomment-unpack"]


def test_calls_from_several_threads_score_every_text(accurate):
    # The sessions beyond the first open on the first call with more than one text; a call already running
    # in another thread must go on with the sessions it began with, not stride over a list growing under it.
    from concurrent.futures import ThreadPoolExecutor

    from factcomment.encoder import OnnxEncoder

    encoder = accurate.scorer._encoder
    fresh = OnnxEncoder(encoder._model, encoder._tokenizer_json, max_length=encoder.max_length, threads=2)
    texts = (TINY_REPORT + TINY_COMMENT) * 3
    expected = encoder.logits(texts)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(fresh.logits, [texts] * 4))
    assert results == [expected] * 4


@pytest.mark.parametrize("max_length", [0, -1, 1e30, True, 128.5])
def test_a_card_with_an_unusable_max_length_is_a_model_error(tmp_path, max_length):
    import json
    import re
    import shutil

    from factcomment import ModelError
    from factcomment.inference import load_model

    copy = shutil.copytree(SHIPPED, tmp_path / "m", ignore=shutil.ignore_patterns("__pycache__"))
    card = json.loads((copy / "card.json").read_text(encoding="utf-8"))
    card["encoder"]["max_length"] = max_length
    (copy / "card.json").write_text(json.dumps(card), encoding="utf-8")
    # -1 and 1e30 were internal errors (OverflowError); 0 and true scored every text as the empty one.
    with pytest.raises(ModelError, match=rf"^{copy}: the card's encoder.max_length is {re.escape(repr(max_length))}; expected a "
                                         r"whole number of tokens from 1 to \d+; retrain with factcomment train "
                                         "--tier accurate$"):
        load_model(copy)


@pytest.mark.parametrize("weight", ["1.5", True, float("nan"), float("inf")])
def test_a_card_with_stacking_weights_that_are_not_numbers_is_a_model_error(tmp_path, weight):
    import json
    import shutil

    from factcomment import ModelError
    from factcomment.inference import load_model

    copy = shutil.copytree(SHIPPED, tmp_path / "m", ignore=shutil.ignore_patterns("__pycache__"))
    card = json.loads((copy / "card.json").read_text(encoding="utf-8"))
    card["stacking"]["encoder"] = weight
    (copy / "card.json").write_text(json.dumps(card), encoding="utf-8")
    # A string or true was read by float() without a word.
    with pytest.raises(ModelError, match=rf"^{copy}: the card's stacking weights are not finite numbers; retrain"):
        load_model(copy)


def test_a_card_with_a_stacking_weight_too_big_for_a_float_is_a_model_error(tmp_path):
    import json
    import shutil

    from factcomment import ModelError
    from factcomment.inference import load_model

    copy = shutil.copytree(SHIPPED, tmp_path / "m", ignore=shutil.ignore_patterns("__pycache__"))
    card = json.loads((copy / "card.json").read_text(encoding="utf-8"))
    card["stacking"]["bias"] = 10 ** 400  # float() raised OverflowError: an internal error
    (copy / "card.json").write_text(json.dumps(card), encoding="utf-8")
    with pytest.raises(ModelError, match=rf"^{copy}: the card's stacking/encoder fields are missing or wrong"):
        load_model(copy)
