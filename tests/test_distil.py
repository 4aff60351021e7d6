"""Distillation: a teacher labels unlabeled sentences (cached), and the fast model learns from them too."""
from __future__ import annotations

import json

import pytest

from conftest import TINY_COMMENT, TINY_REPORT
from factcomment import InputError, UsageError
from factcomment.distil import (LEXICON_ALPHAS, Distillation, balanced_weights, lexicon_alpha, read_transfer,
                                teacher_lexicon, teacher_log_odds, teacher_scores, train_distilled, transfer_rows)
from factcomment.scorer import unpack_doubles

TRANSFER = ["The mayor opened the new bridge on Sunday.", "Honestly, this is a scandal.",
            "Figures showed exports rose by 2%.", "We must not let this happen again!"]


def test_read_transfer_strips_drops_blanks_repeats_and_gold(write):
    path = write("t.txt", "  A first sentence.  \n\nA first sentence.\nGold text.\nAnother one.\n")
    assert read_transfer([path], exclude=["Gold text."]) == ["A first sentence.", "Another one."]


@pytest.mark.parametrize("content, message", [
    (b"Fine.\n" * 2000 + b"caf\xe9\n", "not valid utf-8 at byte 12003"),  # past a text stream's first chunk
    (b"Fine.\nbin\0ary\n", "binary data (NUL byte at byte 9)"),
])
def test_read_transfer_names_a_bad_byte_by_its_place_in_the_file(write, content, message):
    path = write("t.txt", content)
    with pytest.raises(InputError) as raised:
        read_transfer([path])
    assert str(raised.value) == f"{path}: {message}; unlabelled sentences are UTF-8 text, one sentence per line"


def test_read_transfer_strips_a_byte_order_mark_as_whitespace(write):
    # str.strip() keeps U+FEFF: the first sentence escaped the gold texts it repeats.
    path = write("t.txt", "\ufeffGold text.\nOther.\ufeff\n".encode("utf-8"))
    assert read_transfer([path], exclude=["Gold text."]) == ["Other."]


def test_read_transfer_leaves_out_a_gold_text_with_space_around_it(write):
    # One CheckThat sentence starts with a space: its stripped line in a transfer file was kept, labelled twice.
    path = write("t.txt", "Gold text.\nOther.\n")
    assert read_transfer([path], exclude=[" Gold text.\t"]) == ["Other."]


def test_read_transfer_says_it_does_not_read_stdin():
    with pytest.raises(InputError, match=r"^-: unlabelled sentences are read from files, not stdin; save them to a "
                                         r"file and name that$"):
        read_transfer(["-"])


def test_read_transfer_ends_lines_at_cr_too(write):
    assert read_transfer([write("t.txt", b"One.\rTwo.\r\nThree.\n")]) == ["One.", "Two.", "Three."]


def test_transfer_rows_soft_and_hard():
    assert transfer_rows(["a", "b"], [0.8, 0.1], mode="soft", weight=1.0, threshold=0.5) == (
        ["a", "a", "b", "b"], ["comment", "report", "comment", "report"], [0.8, pytest.approx(0.2), 0.1, 0.9])
    assert transfer_rows(["a", "b"], [0.8, 0.1], mode="hard", weight=0.5, threshold=0.5) == (
        ["a", "b"], ["comment", "report"], [0.5, 0.5])
    with pytest.raises(UsageError, match="soft"):
        transfer_rows(["a"], [0.5], mode="warm", weight=1.0, threshold=0.5)
    with pytest.raises(UsageError, match="transfer weight must be positive, not inf"):  # was sklearn's ValueError
        transfer_rows(["a"], [0.5], mode="soft", weight=float("inf"), threshold=0.5)


def test_cli_refuses_an_infinite_transfer_weight_before_training(tiny_model, tmp_path, write):
    from typer.testing import CliRunner

    from factcomment.cli import app

    data = write("d.jsonl", '{"text": "a", "label": "report"}\n')
    corpus = write("news.txt", "\n".join(TRANSFER) + "\n")
    result = CliRunner().invoke(app, ["train", data, "--out", str(tmp_path / "m"), "--distil-from", str(tiny_model.path),
                                      "--transfer", corpus, "--transfer-mode", "soft", "--transfer-weight", "inf",
                                      "-q"])
    assert (result.exit_code, result.stdout) == (2, "") and not (tmp_path / "m").exists()
    assert result.stderr == "factcomment: error: the transfer weight must be a positive number, not inf (--transfer-weight)\n"


@pytest.mark.parametrize("kw, message", [
    (dict(mode="sof"), r"^unknown transfer mode 'sof'; use lexicon, soft or hard \(--transfer-mode\)$"),
    (dict(weight=0), r"^the transfer weight must be a positive number, not 0 \(--transfer-weight\)$"),
    (dict(weight="0.1"), r"^the transfer weight must be a positive number, not '0.1'"),
    (dict(min_df=0), r"^min_df must be a whole number, 1 or more, not 0$"),
])
def test_distillation_settings_are_checked_when_made(kw, message):
    # A bad mode was refused only after the teacher had scored the whole transfer corpus.
    with pytest.raises(UsageError, match=message):
        Distillation("accurate", ("news.txt",), **kw)


def test_balanced_weights_give_both_classes_the_same_mass():
    weights = balanced_weights(["report", "comment", "comment"], [3.0, 0.5, 0.5])
    assert sum(weights[:1]) == pytest.approx(sum(weights[1:])) == pytest.approx(2.0)


def test_teacher_scores_are_cached_by_content(tiny_model, tmp_path, monkeypatch):
    first = teacher_scores(tiny_model, TRANSFER, cache=tmp_path)
    assert first == tiny_model.scorer.p_comment(TRANSFER)
    monkeypatch.setattr(tiny_model.scorer, "p_comment", lambda texts: pytest.fail("rescored a cached corpus"))
    assert teacher_scores(tiny_model, TRANSFER, cache=tmp_path) == first
    assert [p.suffix for p in tmp_path.iterdir()] == [""]  # one whole file, no .part left behind


def test_a_teacher_cache_file_cut_short_is_scored_again_and_replaced(tiny_model, tmp_path):
    # It was an internal error (bytes length not a multiple of item size) on every later run.
    first = teacher_scores(tiny_model, TRANSFER, cache=tmp_path)
    (kept,) = tmp_path.iterdir()
    kept.write_bytes(kept.read_bytes()[:-3])
    assert teacher_scores(tiny_model, TRANSFER, cache=tmp_path) == first
    assert kept.stat().st_size == 8 * len(TRANSFER)


def test_a_teacher_cache_file_that_cannot_be_read_is_scored_again(tiny_model, tmp_path, monkeypatch):
    # A PermissionError (a file another user left in a shared cache) was an internal error.
    import errno
    from pathlib import Path

    first = teacher_scores(tiny_model, TRANSFER, cache=tmp_path)

    def denied(self):
        raise OSError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(Path, "read_bytes", denied)
    assert teacher_scores(tiny_model, TRANSFER, cache=tmp_path) == first


def test_a_teacher_cache_that_cannot_be_written_keeps_the_scores(tiny_model, tmp_path, monkeypatch):
    # A full disk under the cache must not throw away minutes of teacher scoring (it read as stdout being full).
    import errno

    from factcomment import distil

    def full(path, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(distil, "write_whole", full)
    assert teacher_scores(tiny_model, TRANSFER, cache=tmp_path) == tiny_model.scorer.p_comment(TRANSFER)
    assert list(tmp_path.iterdir()) == []


def test_a_teacher_cache_that_is_a_file_is_refused_before_scoring(tiny_model, write, monkeypatch):
    # It was a FileExistsError from mkdir, after the scoring (minutes, for the accurate teacher), and the file
    # was left as it was only by luck.
    from factcomment import OutputError

    cache = write("scores.jsonl", "not a folder\n")
    monkeypatch.setattr(tiny_model.scorer, "p_comment", lambda texts: pytest.fail("scored before the check"))
    with pytest.raises(OutputError, match=f"^{cache}: cannot keep teacher scores here \\(File exists\\); pass "
                                          "--teacher-cache a directory, or none$"):
        teacher_scores(tiny_model, TRANSFER, cache=cache)
    assert open(cache).read() == "not a folder\n"


def test_train_distilled_learns_from_transfer_rows(tiny_model):
    texts = TINY_REPORT + TINY_COMMENT
    labels = ["report"] * len(TINY_REPORT) + ["comment"] * len(TINY_COMMENT)
    p = tiny_model.scorer.p_comment(TRANSFER)
    result = train_distilled(texts, labels, TRANSFER, p, teacher_threshold=tiny_model.threshold, weight=0.5,
                             min_df=1, folds=3)
    vocabulary = result.pipeline.named_steps["features"].transformer_list[0][1].vocabulary_
    assert "scandal" in vocabulary
    assert result.cv_metrics["transfer"] == {"rows": 4, "mode": "soft", "weight": 0.5, "balanced": True}
    assert 0.0 <= result.threshold <= 1.0 and result.settings["class_weight"] is None


@pytest.mark.parametrize("mode", ["soft", "hard"])
def test_train_distilled_lowers_the_folds_to_the_rarest_class_as_train_does(mode):
    # Four examples of each class with the default five folds: an internal scikit-learn ValueError.
    texts, labels = TINY_REPORT[:4] + TINY_COMMENT[:4], ["report"] * 4 + ["comment"] * 4
    result = train_distilled(texts, labels, TRANSFER, [0.1, 0.9, 0.2, 0.8], teacher_threshold=0.5, mode=mode,
                             min_df=1)
    assert (result.cv_metrics["folds"], result.cv_metrics["n"], result.settings["calibration_folds"]) == (4, 8, 3)


def test_cli_train_with_distillation_writes_it_on_the_card(tiny_model, tmp_path, write):
    from typer.testing import CliRunner

    from factcomment.cli import app

    data = write("train.jsonl", "".join(json.dumps({"text": t, "label": "report"}) + "\n" for t in TINY_REPORT)
                 + "".join(json.dumps({"text": t, "label": "comment"}) + "\n" for t in TINY_COMMENT))
    corpus = write("news.txt", "\n".join(TRANSFER) + "\n")
    out = tmp_path / "student"
    result = CliRunner().invoke(app, ["train", data, "--out", str(out), "--folds", "3", "-q",
                                      "--distil-from", str(tiny_model.path), "--transfer", corpus, "--transfer-mode",
                                      "soft", "--transfer-weight", "0.5", "--teacher-cache", str(tmp_path / "cache")])
    assert result.exit_code == 0, result.output
    card = json.loads((out / "card.json").read_text())
    assert card["distillation"]["rows"] == 4 and card["distillation"]["corpus"] == "news.txt"
    assert card["distillation"]["labels"] == "soft (teacher p_comment)"
    assert "## Distillation" in (out / "README.md").read_text()
    missing = CliRunner().invoke(app, ["train", data, "--out", str(tmp_path / "x"), "--transfer", corpus])
    assert missing.exit_code == 2 and "--distil-from" in missing.stderr


def test_a_transfer_corpus_that_is_a_directory_is_a_one_line_error(tiny_model, tmp_path, write):
    from typer.testing import CliRunner

    from factcomment.cli import app

    data = write("train.jsonl", "".join(json.dumps({"text": t, "label": label}) + "\n" for t, label in
                                        [*((t, "report") for t in TINY_REPORT), *((t, "comment") for t in TINY_COMMENT)]))
    folder = tmp_path / "corpus"
    folder.mkdir()
    result = CliRunner().invoke(app, ["train", data, "--out", str(tmp_path / "student"), "-q",
                                      "--distil-from", str(tiny_model.path), "--transfer", str(folder)])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"factcomment: error: {folder}: cannot read (Is a directory); check the path and permissions\n"
    assert not (tmp_path / "student").exists()


def test_teacher_lexicon_keeps_words_outside_quotes_in_enough_sentences():
    sentences = ["We must act.", "We met.", 'It rained, "we all know that it did" he said.', "We said 12."]
    z = [3.0, 1.0, -1.0, -3.0]
    assert sorted(teacher_lexicon(sentences, z, min_count=2, alpha=0.01)) == ["said", "we"]
    assert sorted(teacher_lexicon(sentences, z, min_count=3, alpha=0.01)) == ["we"]
    assert teacher_lexicon([], []) == {}
    with pytest.raises(UsageError, match="2 transfer sentences but 1 teacher scores"):
        teacher_lexicon(["a", "b"], [1.0])


def test_teacher_lexicon_values_reproduce_the_centred_log_odds_as_the_cue_averages_them():
    # "good." is two tokens, so the cue is good/2: with almost no penalty it must equal the centred log-odds
    # (3 - 1 = 2), whatever constant the log-odds carry.
    sentences, z = ["Good.", "Bad.", "Good.", "Bad."], [3.0, -1.0, 3.0, -1.0]
    assert teacher_lexicon(sentences, z, min_count=2, alpha=1e-9) == pytest.approx({"good": 4.0, "bad": -4.0}, abs=1e-5)
    assert teacher_lexicon(sentences, [v + 5.0 for v in z], min_count=2, alpha=1e-9) == pytest.approx(
        {"good": 4.0, "bad": -4.0}, abs=1e-5)
    # A penalty pulls the values toward 0.
    assert 0.0 < teacher_lexicon(sentences, z, min_count=2, alpha=1.0)["good"] < 4.0


def test_lexicon_alpha_is_chosen_by_held_out_fit_and_defaults_on_small_corpora():
    import random

    assert lexicon_alpha(["We must act.", "We met.", "We did."], [1.0, 0.0, -1.0], min_count=1) == LEXICON_ALPHAS[1]
    values = {"grim": 3.0, "fine": -2.0, "vote": 0.5, "rain": -0.5, "today": 0.0}
    rng = random.Random(0)
    sentences = [" ".join(rng.choices(list(values), k=rng.randint(2, 6))) for _ in range(300)]
    # Noise-free log-odds of exactly the cue's form: the least penalty predicts held-out sentences best.
    z = [sum(values[w] for w in s.split()) / len(s.split()) for s in sentences]
    assert lexicon_alpha(sentences, z) == min(LEXICON_ALPHAS)


def test_teacher_log_odds_are_the_log_odds_of_a_fast_teacher_and_cached(tiny_model, tmp_path, monkeypatch):
    import math

    p = tiny_model.scorer.p_comment(TRANSFER)
    assert teacher_log_odds(tiny_model, TRANSFER, cache=tmp_path) == pytest.approx([math.log(q / (1 - q)) for q in p])
    monkeypatch.setattr(tiny_model.scorer, "p_comment", lambda texts: pytest.fail("rescored a cached corpus"))
    assert teacher_scores(tiny_model, TRANSFER, cache=tmp_path) == p  # one cache serves both


def test_cli_train_distils_into_a_teacher_lexicon_by_default(tiny_model, tmp_path, write):
    from typer.testing import CliRunner

    from factcomment.cli import app
    from factcomment.inference import load_model

    data = write("train.jsonl", "".join(json.dumps({"text": t, "label": "report"}) + "\n" for t in TINY_REPORT)
                 + "".join(json.dumps({"text": t, "label": "comment"}) + "\n" for t in TINY_COMMENT))
    corpus = write("news.txt", "\n".join(TRANSFER * 3) + "\n" + "\n".join(f"{t} Again." for t in TRANSFER * 3) + "\n")
    out = tmp_path / "student"
    result = CliRunner().invoke(app, ["train", data, "--out", str(out), "--folds", "3", "--distil-from",
                                      str(tiny_model.path), "--transfer", corpus, "--teacher-cache", "none"])
    assert result.exit_code == 0, result.output
    assert "factcomment: fitting the teacher cue's word values to the teacher's scores\n" in result.stderr
    card = json.loads((out / "card.json").read_text())
    lexicon = teacher_lexicon(read_transfer([corpus]), teacher_log_odds(tiny_model, read_transfer([corpus])))
    assert card["distillation"]["lexicon_words"] == len(lexicon) > 0 and card["distillation"]["rows"] == 8
    assert card["distillation"]["labels"].startswith("lexicon (a teacher cue")
    assert "transfer_weight" not in card["distillation"]
    assert ("; passed as lexicon (a teacher cue: word values fitted by ridge regression, alpha 0.03 by held-out "
            "R^2, so that their mean over a sentence's tokens reproduces the teacher's centred log-odds; words in 3+ "
            f"sentences); {len(lexicon):,} words.") in (out / "README.md").read_text()
    scorer = json.loads((out / "scorer.json").read_text())
    words = scorer["cues"]["words"].split("\n")
    assert scorer["cues"]["names"][-1] == "teacher"
    assert dict(zip(words, unpack_doubles(scorer["cues"]["teacher"]))) == lexicon
    toward_comment, toward_report, _, _ = load_model(out).scorer.explain("Honestly, the mayor must go.", k=40)
    assert "cue:teacher" in [name.removesuffix(":low") for name, _ in toward_comment + toward_report]


@pytest.mark.parametrize("options, named", [
    (["--transfer-mode", "bogus"], "--transfer-mode: for distillation only; add --distil-from MODEL and --transfer "
                                   "FILE, or leave it out"),
    (["--transfer-weight", "0.5", "--teacher-cache", "none"], "--transfer-weight, --teacher-cache: for "
     "distillation only; add --distil-from MODEL and --transfer FILE, or leave them out"),
])
def test_distillation_options_without_a_teacher_are_refused_not_ignored(tmp_path, write, options, named):
    from typer.testing import CliRunner

    from factcomment.cli import app

    data = write("d.jsonl", '{"text": "a", "label": "report"}\n')
    result = CliRunner().invoke(app, ["train", data, "--out", str(tmp_path / "m"), *options])
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"factcomment: error: {named}\n")
    assert not (tmp_path / "m").exists()


def test_a_transfer_corpus_with_no_sentences_is_refused(tiny_model, tmp_path, write):
    # It trained the model without a teacher, and the card said it was distilled (rows 0).
    from typer.testing import CliRunner

    from factcomment.cli import app

    data = write("train.jsonl", "".join(json.dumps({"text": t, "label": label}) + "\n" for t, label in
                                        [*((t, "report") for t in TINY_REPORT), *((t, "comment") for t in TINY_COMMENT)]))
    corpus = write("news.txt", "\n \n" + TINY_REPORT[0] + "\n")  # blank lines and a gold text only
    result = CliRunner().invoke(app, ["train", data, "--out", str(tmp_path / "student"), "-q", "--teacher-cache",
                                      "none", "--distil-from", str(tiny_model.path), "--transfer", corpus])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (f"factcomment: error: {corpus}: no transfer sentences (empty, or each one a labelled "
                             "text); give unlabelled sentences, one per line, or leave out --distil-from\n")
    assert not (tmp_path / "student").exists()


def test_an_empty_teacher_cache_is_refused_not_read_as_the_default(tiny_model, tmp_path, write, monkeypatch):
    from typer.testing import CliRunner

    from factcomment.cli import app

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "home-cache"))
    data = write("d.jsonl", '{"text": "a", "label": "report"}\n')
    corpus = write("news.txt", "\n".join(TRANSFER) + "\n")
    result = CliRunner().invoke(app, ["train", data, "--out", str(tmp_path / "m"), "--distil-from",
                                      str(tiny_model.path), "--transfer", corpus, "--teacher-cache", ""])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == "factcomment: error: --teacher-cache is empty; give a directory, or none for no cache\n"
    assert not (tmp_path / "m").exists() and not (tmp_path / "home-cache").exists()


def test_a_transfer_weight_in_lexicon_mode_is_refused_not_ignored(tiny_model, tmp_path, write):
    from typer.testing import CliRunner

    from factcomment.cli import app

    data = write("d.jsonl", '{"text": "a", "label": "report"}\n')
    corpus = write("news.txt", "\n".join(TRANSFER) + "\n")
    result = CliRunner().invoke(app, ["train", data, "--out", str(tmp_path / "m"), "--distil-from",
                                      str(tiny_model.path), "--transfer", corpus, "--transfer-weight", "0.5"])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == ("factcomment: error: --transfer-weight weighs transfer rows (--transfer-mode soft or "
                             "hard); the lexicon mode has none: leave it out, or pass --transfer-mode soft\n")


def test_train_distilled_keeps_copies_of_a_gold_text_in_one_fold_as_train_does():
    # Scattered over folds, every copy was scored by a model trained on its twins: the card said macro-F1 1.0.
    texts, labels = TINY_REPORT + TINY_COMMENT, ["report"] * len(TINY_REPORT) + ["comment"] * len(TINY_COMMENT)
    once, thrice = (train_distilled(texts * k, labels * k, TRANSFER, [0.1, 0.9, 0.2, 0.8], teacher_threshold=0.5,
                                    min_df=1, folds=3).cv_metrics["macro_f1"] for k in (1, 3))
    assert thrice < 1.0 and abs(thrice - once) < 0.2
