from __future__ import annotations

import json
import shutil

import pytest

from factcomment.errors import ModelError, UsageError
from factcomment.inference import load_model
from factcomment.persist import CARD_FILE, MODEL_FILE, SCORER_FILE


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
    # Was "not a factcomment model card (format 1)", naming the format expected as if it were the one found.
    (lambda d: (d / CARD_FILE).write_text(json.dumps({**json.loads((d / CARD_FILE).read_text()), "format": 2})),
     r"card.json: a model card of format 2, and this factcomment reads format 1; retrain the model, or load it "
     r"with the factcomment that wrote it$"),
    # Was "saved with factcomment None".
    (lambda d: (d / CARD_FILE).write_text(json.dumps({**json.loads((d / CARD_FILE).read_text()), "versions": {}})),
     r"saved with factcomment \(no version on the card\), this is factcomment "),
])
def test_broken_model_directories_have_clear_errors(model_copy, damage, message):
    damage(model_copy)
    with pytest.raises(ModelError, match=message):
        load_model(model_copy)


def test_a_model_that_is_not_there_or_not_a_name_is_refused_by_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ModelError, match=r"^FAST: no such model; pass fast, accurate or a model directory"):
        load_model("FAST")  # tier names are exact; this is a path, and there is none
    for wrong in (123, ""):  # was Python's TypeError, and "" read the working directory
        with pytest.raises(UsageError, match=f"^model must be 'fast', 'accurate' or a model directory, not {wrong!r}$"):
            load_model(wrong)


@pytest.mark.parametrize("name", [SCORER_FILE, CARD_FILE])
@pytest.mark.parametrize("kind", ["device", "fifo", "directory"])
def test_a_model_file_that_is_not_a_regular_file_is_refused_not_read(model_copy, name, kind):
    # A scorer.json linked to /dev/zero was read until memory ran out, and a named pipe blocked forever.
    import os

    path = model_copy / name
    path.unlink()
    {"device": lambda: path.symlink_to("/dev/zero"), "fifo": lambda: os.mkfifo(path),
     "directory": lambda: path.mkdir()}[kind]()
    reason = "not a regular file: a device, a named pipe or a directory"
    message = (f"{path}: unreadable model card \\({reason}\\); retrain or restore the model" if name == CARD_FILE
               else f"{path}: {reason}; restore the file or retrain the model with factcomment train")
    with pytest.raises(ModelError, match=f"^{message}$"):
        load_model(model_copy)


@pytest.mark.parametrize("threshold, message", [
    (float("nan"), "^threshold must lie between 0 and 1, not nan$"),
    (5, "^threshold must lie between 0 and 1, not 5$"),
    ("0.5", r"^threshold must be a number between 0 and 1, not '0.5'; pass e.g. threshold=0.5$")])
def test_model_predict_checks_its_threshold_like_classify(tiny_model, threshold, message):
    # Model.predict and Model.label labelled everything report under a NaN or a 5, without a word.
    with pytest.raises(UsageError, match=message):
        tiny_model.predict(["Police said so."], threshold=threshold)
    with pytest.raises(UsageError, match=message):
        tiny_model.label([0.5], threshold=threshold)
    assert [p.label for p in tiny_model.label([0.5, 0.4], threshold=0.5)] == ["comment", "report"]


def test_a_model_shows_its_path_not_its_whole_card(tiny_model):
    assert repr(tiny_model) == f"Model(path={tiny_model.path!r}, allow_version_mismatch=False)"


@pytest.mark.parametrize("text, message", [
    (None, r"^Model\.explain\(\) takes one text, a str, not NoneType$"),
    (["Police said so."], r"^Model\.explain\(\) takes one text, a str, not list; for several texts use "
                          r"predict\(texts, explain=k\)$"),
    (b"Police", r"^Model\.explain\(\) takes one text, a str, not bytes; decode bytes first, "),
])
def test_model_explain_refuses_what_is_not_one_text(tiny_model, text, message):
    # None raised a bare TypeError from len() deep in the paragraph code.
    with pytest.raises(UsageError, match=message):
        tiny_model.explain(text, 2)


def test_model_predict_refuses_a_bad_threshold_before_scoring(tmp_path):
    from factcomment.inference import Model

    class Scorer:
        def decision_function(self, texts):
            pytest.fail("scored before refusing")  # every text was scored, then the threshold refused

    with pytest.raises(UsageError, match=r"^threshold must lie between 0 and 1, not 5$"):
        Model(tmp_path, {"threshold": 0.5}, Scorer()).predict(["Police said so."], threshold=5)


def test_a_model_is_hashable_and_equal_only_to_itself(tiny_model):
    # Its hash hashed the card, a dict: TypeError, so a model could be neither a dict key nor cached on.
    assert {tiny_model: 1}[tiny_model] == 1 and tiny_model == tiny_model
    assert tiny_model != load_model(tiny_model.path)


def test_shipped_model_loads_and_is_small(shipped_model):
    assert (shipped_model.path / MODEL_FILE).stat().st_size < 5 * 1024 * 1024
    assert "tier" not in shipped_model.card and shipped_model.tier == "fast"  # fast cards predate the field
    assert shipped_model.card["training_data"]


def _resave(model, directory, threshold, **kwargs):
    """Save ``model`` again at ``directory`` with another threshold on its card."""
    from factcomment.persist import save_model

    card = {k: v for k, v in model.card.items() if k not in ("format", "versions", "files")}
    scorer = json.loads((model.path / SCORER_FILE).read_bytes())
    return save_model(directory, model.load_pipeline(), scorer, {**card, "threshold": threshold}, **kwargs)


def test_an_interrupted_save_leaves_the_old_model_loadable(tiny_model, model_copy, monkeypatch):
    import factcomment.card

    before = sorted(p.name for p in model_copy.parent.iterdir())

    def killed(card):  # SIGTERM after model.joblib and scorer.json are written, before the card
        raise KeyboardInterrupt

    monkeypatch.setattr(factcomment.card, "render_card", killed)
    with pytest.raises(KeyboardInterrupt):
        _resave(tiny_model, model_copy, 0.25, force=True)
    assert load_model(model_copy).threshold == tiny_model.threshold
    assert sorted(p.name for p in model_copy.parent.iterdir()) == before


def test_loading_a_model_while_it_is_replaced_sees_one_model_whole(tiny_model, model_copy, monkeypatch):
    import factcomment.persist as persist

    check = persist.check_versions
    swapped = []

    def replace_meanwhile(*args):  # `train --force` finishes between reading the card and the scorer
        check(*args)
        if not swapped and args[2] == ("factcomment",):
            swapped.append(True)
            _resave(tiny_model, model_copy, 0.25, force=True)

    monkeypatch.setattr(persist, "check_versions", replace_meanwhile)
    model = load_model(model_copy)
    assert swapped and model.threshold == 0.25
    assert [n for n in model_copy.parent.iterdir() if n.name.startswith(".")] == []


def test_save_model_refuses_a_folder_it_did_not_write(tiny_model, tmp_path):
    from factcomment.errors import OutputError

    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "README.md").write_text("mine")
    (folder / "scorer.json").write_text("mine too")
    with pytest.raises(OutputError, match="notes: is not empty and holds no factcomment model; give --out a new"):
        _resave(tiny_model, folder, 0.3, force=True)
    assert sorted(p.name for p in folder.iterdir()) == ["README.md", "scorer.json"]
    assert [p.name for p in tmp_path.iterdir()] == ["notes"]


def test_save_model_keeps_files_beside_a_model_it_did_not_write(tiny_model, model_copy):
    from factcomment.errors import OutputError

    (model_copy / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match=r"holds files factcomment did not write \(notes.txt\)"):
        _resave(tiny_model, model_copy, 0.3, force=True)
    assert (model_copy / "notes.txt").read_text() == "mine"


def test_save_model_needs_force_to_replace_a_model(tiny_model, model_copy):
    from factcomment.errors import UsageError

    with pytest.raises(UsageError, match="already holds a model; pass --force"):
        _resave(tiny_model, model_copy, 0.3)
    _resave(tiny_model, model_copy, 0.3, force=True)
    assert load_model(model_copy).threshold == 0.3


def test_a_model_with_an_unreadable_card_is_not_replaced_and_the_reason_is_given(tiny_model, model_copy):
    # The reason was hidden behind "not a factcomment model card", and a future format read as someone else's folder.
    from factcomment.errors import OutputError

    card = json.loads((model_copy / CARD_FILE).read_text())
    (model_copy / CARD_FILE).write_text(json.dumps({**card, "format": 2}))
    with pytest.raises(OutputError, match=r"holds a card.json that cannot be read as a factcomment model card \(a model "
                                          r"card of format 2, and this factcomment reads format 1\); give --out a new "
                                          r"or empty directory, or remove that model yourself$"):
        _resave(tiny_model, model_copy, 0.3, force=True)
    assert json.loads((model_copy / CARD_FILE).read_text())["format"] == 2


def _tamper_scorer(directory, edit):
    """Edit scorer.json and update the card's hash to match, as someone editing by hand would."""
    import hashlib

    data = json.loads((directory / SCORER_FILE).read_text())
    data = edit(data)
    raw = json.dumps(data).encode()
    (directory / SCORER_FILE).write_bytes(raw)
    card = json.loads((directory / CARD_FILE).read_text())
    card["files"][SCORER_FILE]["sha256"] = hashlib.sha256(raw).hexdigest()
    (directory / CARD_FILE).write_text(json.dumps(card))


def _set(key, value, inner=None):
    def edit(data):
        (data[inner] if inner else data)[key] = value
        return data
    return edit


def _infinite_idf(data):
    import base64
    import struct

    raw = bytearray(base64.b64decode(data["idf"]))
    raw[8:16] = struct.pack("<d", float("inf"))  # the second term's idf
    data["idf"] = base64.b64encode(bytes(raw)).decode("ascii")
    return data


def _reversed_vocabulary(data):
    data["vocabulary"] = "\n".join(reversed(data["vocabulary"].split("\n")))
    return data


@pytest.mark.parametrize("edit, message", [
    (_set("threshold", float("nan")), "field 'threshold' is nan; expected a finite number"),
    (_set("threshold", 5), "field 'threshold' is 5; expected a number from 0 to 1"),
    (_set("threshold", -1), "field 'threshold' is -1; expected a number from 0 to 1"),
    (_set("a", float("nan"), "calibration"), "field 'calibration.a' is nan; expected a finite number"),
    (_reversed_vocabulary, "field 'vocabulary' is not sorted"),
    (_set("weights", "AAAAAAAA8D8="), "field 'weights' holds 1 numbers for"),
    (_set("weights", "AAAA"), "field 'weights' is not a whole number of doubles"),
    (_set("idf", "not base64!"), "field 'idf' is not base64"),
    (_infinite_idf, "field 'idf' holds a number that is not finite"),
    (_set("idf", [1.0, 2.0]), "field 'idf' is a list"),  # the list form of old formats is not read
    (_set("vocabulary", ["a", "b"]), "field 'vocabulary' is a list"),
    (_set("intercept", "0.5"), "field 'intercept' is '0.5'; expected a finite number"),
    (lambda data: [], r"not a factcomment scorer \(a JSON list, not an object\)"),
    (lambda data: "model", r"not a factcomment scorer \(a JSON str, not an object\)"),
    (lambda data: None, r"not a factcomment scorer \(a JSON NoneType, not an object\)"),
    (lambda data: float("nan"), r"not a factcomment scorer \(a JSON float, not an object\)"),
])
def test_an_edited_scorer_with_matching_hash_is_refused_by_field(model_copy, edit, message):
    _tamper_scorer(model_copy, edit)
    with pytest.raises(ModelError, match=message):
        load_model(model_copy)


@pytest.mark.parametrize("edit, message", [
    (lambda c: c.update(threshold=float("nan")), "field 'threshold' is nan"),
    (lambda c: c.update(threshold=True), "field 'threshold' is True; expected a finite number"),
    (lambda c: c.pop("threshold"), "field 'threshold' is None; expected a finite number"),
    (lambda c: c.update(labels=["report", "maybe"]), "field 'labels' is \\['report', 'maybe'\\]"),
    (lambda c: c.pop("labels"), "field 'labels' is missing"),
    (lambda c: c.update(versions=["1.0"]), "field 'versions' is a list"),
    (lambda c: c.update(files=[]), "field 'files' is a list"),
    (lambda c: c.update(tier="huge"), "field 'tier' is 'huge'; this factcomment knows fast and accurate"),
])
def test_a_card_with_bad_fields_is_refused_by_field(model_copy, edit, message):
    card = json.loads((model_copy / CARD_FILE).read_text())
    edit(card)
    (model_copy / CARD_FILE).write_text(json.dumps(card))
    with pytest.raises(ModelError, match=message):
        load_model(model_copy)


def test_save_model_through_a_symlink_replaces_the_linked_directory(tiny_model, model_copy):
    link = model_copy.parent / "current"
    link.symlink_to(model_copy.name)
    _resave(tiny_model, link, 0.3, force=True)
    assert link.is_symlink() and load_model(link).threshold == 0.3
    assert sorted(p.name for p in model_copy.parent.iterdir()) == ["current", "m"]


def test_a_scorer_that_is_not_json_is_refused(model_copy):
    import hashlib

    raw = b"{not json"
    (model_copy / SCORER_FILE).write_bytes(raw)
    card = json.loads((model_copy / CARD_FILE).read_text())
    card["files"][SCORER_FILE]["sha256"] = hashlib.sha256(raw).hexdigest()
    (model_copy / CARD_FILE).write_text(json.dumps(card))
    with pytest.raises(ModelError, match="scorer.json: not valid JSON"):
        load_model(model_copy)


def test_a_full_disk_while_saving_names_the_model_not_stdout(tiny_model, model_copy, monkeypatch):
    import errno

    import factcomment.persist as persist
    from factcomment.errors import OutputError

    before = sorted(p.name for p in model_copy.parent.iterdir())

    def full(directory, scorer):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(persist, "write_scorer", full)
    # A bare OSError reached the CLI, which took it for standard output filling up ("use -o").
    with pytest.raises(OutputError, match=rf"^{model_copy}: cannot write the model \(No space left on device\); "
                                          "free some space or write elsewhere$"):
        _resave(tiny_model, model_copy, 0.25, force=True)
    assert load_model(model_copy).threshold == tiny_model.threshold
    assert sorted(p.name for p in model_copy.parent.iterdir()) == before


def test_a_replaced_model_directory_keeps_its_mode(tiny_model, model_copy):
    # A model kept private (0700) became readable by all (0755) when train --force replaced it.
    model_copy.chmod(0o700)
    _resave(tiny_model, model_copy, 0.25, force=True)
    assert (model_copy.stat().st_mode & 0o777, load_model(model_copy).threshold) == (0o700, 0.25)


def test_a_model_path_naming_some_other_file_is_refused_by_that_name(tmp_path, model_copy):
    data = tmp_path / "rows.jsonl"
    data.write_text('{"text": "a", "label": "report"}\n', encoding="utf-8")
    with pytest.raises(ModelError, match=r"rows\.jsonl: a file, not a model; pass fast, accurate or a model directory"):
        load_model(data)
    assert load_model(model_copy / "card.json").card == load_model(model_copy).card  # a model's own file still works
