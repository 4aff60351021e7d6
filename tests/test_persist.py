from __future__ import annotations

import json
import shutil

import pytest

from factcomment.errors import ModelError
from factcomment.persist import CARD_FILE, MODEL_FILE, SCORER_FILE, load_model


@pytest.fixture
def model_copy(tiny_model, tmp_path):
    target = tmp_path / "m"
    shutil.copytree(tiny_model.path, target)
    return target


def test_round_trip_train_save_load_predict_is_identical(tiny_model):
    texts = ["The council said the road would reopen.", "This is a disgrace!", ""]
    pipeline = tiny_model.load_pipeline()
    column = list(pipeline.classes_).index("comment")
    expected = pipeline.predict_proba(texts)[:, column]
    again = load_model(tiny_model.path).predict(texts)
    assert [p.p_comment for p in again] == pytest.approx(list(expected), abs=1e-9)


def test_card_records_hashes_versions_and_threshold(tiny_model):
    card = json.loads((tiny_model.path / CARD_FILE).read_text())
    assert set(card["files"]) == {MODEL_FILE, SCORER_FILE}
    assert {"factcomment", "scikit-learn", "python"} <= set(card["versions"])
    assert 0.0 < card["threshold"] < 1.0
    assert (tiny_model.path / "README.md").read_text().startswith("# factcomment model card")


@pytest.mark.parametrize("name", [SCORER_FILE, MODEL_FILE])
def test_a_damaged_file_is_refused_before_it_is_read(model_copy, name):
    with open(model_copy / name, "ab") as f:
        f.write(b"tampered")
    with pytest.raises(ModelError, match=f"{name}: SHA-256 does not match card.json"):
        load_model(model_copy).load_pipeline()


def test_pickle_is_never_opened_when_the_hash_differs(model_copy, monkeypatch):
    import joblib

    (model_copy / MODEL_FILE).write_bytes(b"not a pickle at all")
    monkeypatch.setattr(joblib, "load", lambda *a, **k: pytest.fail("unpickled a file that failed its hash"))
    with pytest.raises(ModelError, match="damaged or was replaced"):
        load_model(model_copy).load_pipeline()


def test_other_factcomment_version_is_refused_unless_allowed(model_copy):
    card = json.loads((model_copy / CARD_FILE).read_text())
    card["versions"]["factcomment"] = "9.9.0"
    (model_copy / CARD_FILE).write_text(json.dumps(card))
    with pytest.raises(ModelError, match=r"saved with factcomment 9.9.0, this is factcomment .*Retrain it"):
        load_model(model_copy)
    assert load_model(model_copy, allow_version_mismatch=True).predict(["x"])[0].label in ("report", "comment")


def test_other_scikit_learn_version_refuses_the_pickle_only(model_copy):
    card = json.loads((model_copy / CARD_FILE).read_text())
    card["versions"]["scikit-learn"] = "0.1.0"
    (model_copy / CARD_FILE).write_text(json.dumps(card))
    model = load_model(model_copy)  # the JSON scorer does not depend on scikit-learn
    with pytest.raises(ModelError, match="saved with scikit-learn 0.1.0.*--allow-version-mismatch"):
        model.load_pipeline()


@pytest.mark.parametrize("damage, message", [
    (lambda d: (d / CARD_FILE).unlink(), "no card.json; not a factcomment model directory"),
    (lambda d: (d / CARD_FILE).write_text("{"), "unreadable model card"),
    (lambda d: (d / CARD_FILE).write_text("[]"), "not a factcomment model card"),
    (lambda d: (d / SCORER_FILE).unlink(), "scorer.json: missing"),
])
def test_broken_model_directories_have_clear_errors(model_copy, damage, message):
    damage(model_copy)
    with pytest.raises(ModelError, match=message):
        load_model(model_copy)


def test_shipped_model_loads_and_is_small(shipped_model):
    assert (shipped_model.path / MODEL_FILE).stat().st_size < 5 * 1024 * 1024
    assert shipped_model.card["training_data"]
