"""Training from files: the background IDF corpus on the card, and its errors (tiny invented corpus)."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from factcomment.cli import app

REPORT = ["The council approved the budget on Tuesday.", "Police said two men were arrested.",
          "Shares fell 3% after the announcement.", "The minister resigned on Monday, officials said.",
          "According to the report, exports rose in May.", "The court adjourned the hearing until June."]
COMMENT = ["This is a disgrace and everyone knows it.", "Surely nobody believes this nonsense?",
           "We must stop pretending the plan works.", "What a shameful way to treat voters!",
           "Frankly, the whole scheme is absurd.", "I think the government has lost its way."]
NEWS = ["The mayor said the bridge would reopen in May.", "Officials said the vote was delayed.", "",
        "The mayor said the bridge would reopen in May.", "Police said a man was charged on Monday."]


def _data(write) -> str:
    return write("train.jsonl", "".join(json.dumps({"text": t, "label": label}) + "\n" for t, label in
                                        [*((t, "report") for t in REPORT), *((t, "comment") for t in COMMENT)]))


def test_train_with_a_background_corpus_credits_it_on_the_card(tmp_path, write):
    data, news = _data(write), write("news.txt", "\n".join(NEWS) + "\n")
    runs = {}
    for name, extra in (("plain", []), ("background", ["--background", news])):
        result = CliRunner().invoke(app, ["train", data, "--out", str(tmp_path / name), "--folds", "3", "-q",
                                          *extra])
        assert result.exit_code == 0, result.output
        runs[name] = json.loads((tmp_path / name / "scorer.json").read_text())
    card = json.loads((tmp_path / "background" / "card.json").read_text())
    assert card["background"]["rows"] == 3 and card["background"]["corpus"] == "news.txt"  # blank and repeat dropped
    assert card["background"]["files"][0]["file"] == "news.txt" and len(card["background"]["files"][0]["sha256"]) == 64
    assert "## Background IDF" in (tmp_path / "background" / "README.md").read_text()
    assert "background" not in json.loads((tmp_path / "plain" / "card.json").read_text())
    assert runs["plain"]["idf"] != runs["background"]["idf"]


def test_an_empty_background_corpus_is_a_warning(tmp_path, write):
    data, empty = _data(write), write("empty.txt", "\n\n")
    result = CliRunner().invoke(app, ["train", data, "--out", str(tmp_path / "m"), "--folds", "3",
                                      "--background", empty])
    assert result.exit_code == 0, result.output
    assert (f"factcomment: warning: {empty}: no background sentences (empty, or each one a labelled text); the IDF "
            "counts the labelled data alone\n") in result.stderr


def test_a_background_corpus_is_refused_for_the_accurate_tier_and_when_missing(tmp_path, write):
    data, news = _data(write), write("news.txt", "\n".join(NEWS) + "\n")
    accurate = CliRunner().invoke(app, ["train", data, "--out", str(tmp_path / "a"), "--tier", "accurate",
                                        "--background", news, "-q"])
    assert (accurate.exit_code, accurate.stdout) == (2, "")
    assert accurate.stderr == ("factcomment: error: --background weighs the fast tier's words; leave it out for "
                               "--tier accurate\n")
    missing = CliRunner().invoke(app, ["train", data, "--out", str(tmp_path / "b"), "--background",
                                       str(tmp_path / "nope.txt"), "-q"])
    assert (missing.exit_code, missing.stdout) == (2, "")
    assert missing.stderr == f"factcomment: error: {tmp_path / 'nope.txt'}: no such file; check the path\n"
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


@pytest.mark.parametrize("given", [["--background"], ["--distil-from", "fast", "--transfer"]])
def test_a_missing_corpus_file_is_reported_first_and_alone(tmp_path, write, given):
    # "training (cross-validating the threshold)..." came first, as if the run had begun, then the error.
    missing = str(tmp_path / "nope.txt")
    result = CliRunner().invoke(app, ["train", _data(write), "--out", str(tmp_path / "m"), *given, missing])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"factcomment: error: {missing}: no such file; check the path\n"
    assert not (tmp_path / "m").exists()


def test_a_background_corpus_is_counted_before_training_is_announced(tmp_path, write):
    news = write("news.txt", "\n".join(NEWS) + "\n")
    result = CliRunner().invoke(app, ["train", _data(write), "--out", str(tmp_path / "m"), "--folds", "3",
                                      "--background", news])
    assert result.exit_code == 0, result.output
    assert result.stderr == ("factcomment: counting the document frequencies of 3 background sentences\n"
                             "factcomment: training (cross-validating the threshold)...\n")


def test_accurate_tier_without_torch_fails_in_one_line_before_reading_and_leaves_nothing(tmp_path, write,
                                                                                       monkeypatch):
    # It used to print "training ..." and "fold 1/3: fine-tuning ..." first, then fail in the first fold.
    import importlib.util

    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *args: None if name in ("torch", "transformers")
                        else find_spec(name, *args))
    before = sorted(tmp_path.iterdir())
    result = CliRunner().invoke(app, ["train", _data(write), "--out", str(tmp_path / "m"), "--tier", "accurate"])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == ("factcomment: error: training the accurate tier needs torch and transformers: "
                             "pip install 'factcomment[train]' (CPU torch is enough)\n")
    assert sorted(tmp_path.iterdir()) == sorted([*before, tmp_path / "train.jsonl"])


def test_a_heldout_file_of_one_class_is_warned_about_as_evaluate_does(tmp_path, write):
    # The card recorded a held-out macro-F1 of 0.5 or so (a class with no examples averaged in) without a word.
    held = write("held.jsonl", "".join(json.dumps({"text": t, "label": "report"}) + "\n" for t in NEWS if t))
    result = CliRunner().invoke(app, ["train", _data(write), "--heldout", held, "--out", str(tmp_path / "m"),
                                      "--folds", "3"])
    assert result.exit_code == 0, result.output
    assert result.stderr == ("factcomment: training (cross-validating the threshold)...\n"
                             "factcomment: warning: every --heldout label is 'report': the held-out macro-F1 "
                             "averages in a class with no examples; check the --heldout data or the --label-map\n")


def test_a_missing_input_fails_without_a_training_message(tmp_path):
    result = CliRunner().invoke(app, ["train", str(tmp_path / "nosuch.tsv"), "--out", str(tmp_path / "m")])
    assert (result.exit_code, result.stdout) == (2, "")
    assert "training" not in result.stderr and not (tmp_path / "m").exists()


def test_a_usage_error_comes_before_the_training_message(tmp_path, write):
    result = CliRunner().invoke(app, ["train", _data(write), "--out", str(tmp_path / "m"), "--seed", "-1"])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == "factcomment: error: --seed -1: use a whole number from 0 to 2147483647\n"


@pytest.mark.parametrize("option, message", [("--heldout", "--heldout is empty; give a labelled file"),
                                             ("--out", "--out is empty; give a directory name")])
def test_an_empty_heldout_or_out_name_is_refused_not_taken_for_the_working_directory(tmp_path, write, option,
                                                                                     message):
    out = ["--out", str(tmp_path / "m")] if option == "--heldout" else []
    result = CliRunner().invoke(app, ["train", _data(write), *out, option, ""])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"factcomment: error: {message}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train.jsonl"]


def test_a_piped_training_file_gets_no_hash_of_nothing_on_the_card(write):
    # `train <(cmd)`: the pipe is read to its end for training, and hashing it after gave SHA-256 of b"".
    import os

    from factcomment.readers import InputOptions
    from factcomment.training import describe_files

    read_end, write_end = os.pipe()
    with open(_data(write), "rb") as data:
        os.write(write_end, data.read())
    os.close(write_end)
    try:
        described = describe_files([f"/dev/fd/{read_end}"], InputOptions(input_format="jsonl"))
    finally:
        os.close(read_end)
    assert described == [{"file": str(read_end), "rows": 12, "labels": {"comment": 6, "report": 6}}]


def test_an_out_below_a_file_is_refused_before_training(tmp_path, write, monkeypatch):
    import factcomment.training

    data = _data(write)
    (tmp_path / "notes.txt").write_text("a user's file\n", encoding="utf-8")
    # Found only when the model was saved, after the whole training (minutes, for the accurate tier).
    monkeypatch.setattr(factcomment.training, "read_labelled", lambda *a: pytest.fail("trained first"))
    result = CliRunner().invoke(app, ["train", data, "--out", str(tmp_path / "notes.txt" / "m")])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (f"factcomment: error: {tmp_path / 'notes.txt' / 'm'}: {tmp_path / 'notes.txt'} is a "
                             "file, not a directory; give --out a path in a directory\n")
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "a user's file\n"


def test_a_wikinews_file_among_the_training_data_is_credited_on_the_card(tmp_path, write, monkeypatch):
    # Its corpus entry had no "obtain", and rendering the card failed with a KeyError after the whole training.
    import hashlib

    from factcomment import training

    data = _data(write)
    digest = hashlib.sha256(open(data, "rb").read()).hexdigest()
    monkeypatch.setitem(training.KNOWN_CORPORA, digest, {**training._WIKINEWS, "split": "wikinews_tosca"})
    result = CliRunner().invoke(app, ["train", data, "--out", str(tmp_path / "m"), "--folds", "3", "-q"])
    assert result.exit_code == 0, result.output
    assert ("Contains data from *Wikinews contributors, https://en.wikinews.org*, licensed CC BY 2.5; obtain it "
            "from https://en.wikinews.org.") in (tmp_path / "m" / "README.md").read_text(encoding="utf-8")


def test_a_file_name_that_is_not_utf8_is_spelled_on_the_card_as_in_the_rows(tmp_path, write):
    # The card's README.md could not be encoded (a lone surrogate): an internal error after the whole training.
    import os

    data, news = _data(write), write("news.txt", "\n".join(NEWS) + "\n")
    odd, odd_news = os.fsdecode(os.fsencode(str(tmp_path)) + b"/d\xff.jsonl"), os.fsdecode(b"n\xfe.txt")
    os.rename(data, odd)
    os.rename(news, tmp_path / odd_news)
    result = CliRunner().invoke(app, ["train", odd, "--out", str(tmp_path / "m"), "--folds", "3", "-q",
                                      "--background", str(tmp_path / odd_news)])
    assert result.exit_code == 0, result.output
    card = json.loads((tmp_path / "m" / "card.json").read_text(encoding="utf-8"))
    assert [card["training_data"][0]["file"], card["background"]["corpus"]] == ["d\\xff.jsonl", "n\\xfe.txt"]
    assert "| d\\xff.jsonl | 12 |" in (tmp_path / "m" / "README.md").read_text(encoding="utf-8")


def test_distillation_with_the_accurate_tier_is_refused_before_reading_and_training(tmp_path, write, monkeypatch):
    # It was found after every input had been read and "training (cross-validating the threshold)..." printed.
    import factcomment.training

    transfer = write("transfer.txt", "\n".join(NEWS) + "\n")
    monkeypatch.setattr(factcomment.training, "read_labelled", lambda *a: pytest.fail("read first"))
    result = CliRunner().invoke(app, ["train", _data(write), "--out", str(tmp_path / "m"), "--tier", "accurate",
                                      "--checkpoint", str(tmp_path / "ck"), "--distil-from", "fast",
                                      "--transfer", transfer])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == "factcomment: error: --distil-from trains the fast tier; leave out --tier accurate\n"
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize("given, folds", [([], None), (["--folds", "4"], 4), (["--folds", "9"], 6)])
def test_folds_reach_the_accurate_tier_when_given(tmp_path, write, monkeypatch, given, folds):
    # --folds was dropped without a word for --tier accurate, which cross-fitted on its own 3 folds.
    import factcomment.encoder_training
    from factcomment.errors import TrainingDataError

    def stop(texts, labels, directory, **options):
        raise TrainingDataError(f"folds {options.get('folds')}")

    monkeypatch.setattr(factcomment.encoder_training, "train_accurate", stop)
    result = CliRunner().invoke(app, ["train", _data(write), "--out", str(tmp_path / "m"), "--tier", "accurate",
                                      "--checkpoint", str(tmp_path / "ck"), "-q", *given])
    assert (result.exit_code, result.stderr) == (2, f"factcomment: error: folds {folds}\n")


def test_a_full_disk_under_the_checkpoint_names_the_checkpoint_file(tmp_path, write, monkeypatch):
    # It was "cannot write to standard output (No space left on device)", which train had not yet written.
    # The fine-tune is faked (no torch needed): the first fold's logits are the first checkpoint write.
    import errno

    import factcomment.encoder_training as et

    def full(path, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(et, "load_base", lambda *a, **k: (None, None))
    monkeypatch.setattr(et, "fine_tune", lambda *a, **k: None)
    monkeypatch.setattr(et, "predict_logits", lambda tuned, texts: [0.0] * len(texts))
    monkeypatch.setattr(et, "write_whole", full)
    result = CliRunner().invoke(app, ["train", _data(write), "--out", str(tmp_path / "m"), "--tier", "accurate",
                                      "--checkpoint", str(tmp_path / "ck"), "-q"])
    assert (result.exit_code, result.stdout) == (2, "")
    kept = et.checkpoint_dir(tmp_path / "ck", REPORT + COMMENT, ["report"] * 6 + ["comment"] * 6)
    assert result.stderr == (f"factcomment: error: {kept / 'fold1of3.json'}: cannot write the checkpoint (No space "
                             "left on device); free some space or pass --checkpoint another directory\n")
    assert not (tmp_path / "m").exists()


def test_an_empty_checkpoint_name_is_refused_not_taken_for_the_working_directory(tmp_path, write, monkeypatch):
    # An unset "$CKPT" kept the fine-tunes in the working directory.
    import factcomment.encoder_training

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(factcomment.encoder_training, "train_accurate", lambda *a, **k: pytest.fail("trained"))
    result = CliRunner().invoke(app, ["train", _data(write), "--out", "m", "--tier", "accurate", "--checkpoint", ""])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == "factcomment: error: --checkpoint is empty; give a directory name\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train.jsonl"]


def test_a_checkpoint_inside_out_is_refused_before_training(tmp_path, write, monkeypatch):
    # The finished model's swap refused it after the whole run: --out held files train did not write.
    import factcomment.encoder_training

    monkeypatch.setattr(factcomment.encoder_training, "train_accurate", lambda *a, **k: pytest.fail("trained"))
    out = tmp_path / "m"
    result = CliRunner().invoke(app, ["train", _data(write), "--out", str(out), "--tier", "accurate",
                                      "--checkpoint", str(out / "ck")])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (f"factcomment: error: --checkpoint {out / 'ck'} lies inside --out {out}, which the new "
                             "model replaces; keep it beside --out\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train.jsonl"]


def test_a_heldout_file_with_no_rows_is_an_error_not_a_model_without_heldout_figures(tmp_path, write):
    held = write("held.jsonl", "")
    result = CliRunner().invoke(app, ["train", _data(write), "--heldout", held, "--out", str(tmp_path / "m")])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.endswith("factcomment: error: no labelled texts were read from --heldout; check those "
                                  "files and --label-column\n")
    assert not (tmp_path / "m").exists()
