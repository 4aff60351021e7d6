"""Interrupted runs, help and docs, and random bytes: the CLI never leaves litter or prints a traceback."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import ROOT
from factcomment.cli import app

runner = CliRunner()
COMMANDS = ["split", "classify", "train", "evaluate", "report", "review"]


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_interrupted_run_leaves_no_file_and_no_litter(tmp_path, signum):
    out = tmp_path / "out" / "rows.jsonl"
    out.parent.mkdir()
    # stdin stays open, so the run is still reading when the signal arrives. A shell running the suite in the
    # background (`bash .ci/run &`) ignores SIGINT, and children inherit that: give the run the default back.
    child = subprocess.Popen([sys.executable, "-m", "factcomment", "split", "-", "-o", str(out)],
                             stdin=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    child.stdin.write("A first paragraph.\n")
    child.stdin.flush()
    deadline = time.monotonic() + 30
    while not os.listdir(out.parent) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert os.listdir(out.parent), "the run never opened its temporary file"
    child.send_signal(signum)
    _, err = child.communicate(timeout=30)
    assert child.returncode == 130
    assert err == "factcomment: interrupted; no output file was written\n"
    assert os.listdir(out.parent) == []


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_an_interrupt_while_the_command_line_loads_is_one_line_and_exit_130(monkeypatch, capsys, how):
    # The console script imported typer and every command before main() ran: Ctrl-C in that first ~0.1 s
    # printed a traceback, and SIGTERM ended it with 143.
    import builtins

    import factcomment.__main__ as entry

    real_import = builtins.__import__

    def interrupted(name, *args, **kwargs):
        if name == "factcomment.cli":
            if how == "ctrl-c":
                raise KeyboardInterrupt
            os.kill(os.getpid(), signal.SIGTERM)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", interrupted)
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(SystemExit) as stopped:
        entry.main(["--version"])
    assert stopped.value.code == 130
    assert capsys.readouterr().err == "factcomment: interrupted\n"
    assert signal.getsignal(signal.SIGTERM) is before


def test_top_level_help_documents_exit_codes():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    assert "Exit codes: 0 all inputs processed; 1 some inputs failed" in text


def test_help_into_a_closed_pipe_ends_without_a_traceback():
    # `factcomment train --help | head -1`: the reader goes away while the help is written. (typer 0.27's
    # vendored click has no exceptions.Abort, and naming it there turned rich's quiet exit into a traceback.)
    child = subprocess.Popen([sys.executable, "-m", "factcomment", "train", "--help"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    child.stdout.close()
    err = child.stderr.read()
    assert (child.wait(timeout=30), err) == (1, b"")


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_and_is_in_the_readme(command):
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0 and "Usage" in result.stdout
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"factcomment {command}" in readme


def test_readme_lists_every_command():
    # The README's command table (rows starting "| `factcomment NAME") names exactly the app's commands.
    names = {c.name or c.callback.__name__ for c in app.registered_commands}
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    listed = re.findall(r"^\| `factcomment (\w+)", readme, flags=re.MULTILINE)
    assert sorted(listed) == sorted(names) == sorted(COMMANDS)


def test_readme_documents_the_exit_codes():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for code in ("| 0 |", "| 1 |", "| 2 |", "| 130 |"):
        assert code in readme


def test_the_readme_says_train_exits_2_on_any_failed_input():
    # train writes no model when an input failed (exit 2, test_cli_classify); the README's table read as if
    # it were exit 1, "every other input was processed and written".
    for page in (ROOT / "README.md", ROOT / "docs" / "cli.md"):
        row = next(line for line in page.read_text(encoding="utf-8").splitlines() if line.startswith("| 2 |"))
        assert "`train` with any failed input" in row, page.name


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=400))
def test_random_bytes_never_traceback(tmp_path, tiny_model, data):
    path = tmp_path / "fuzz.txt"
    path.write_bytes(data)
    rows = tmp_path / "fuzz.jsonl"
    rows.write_bytes(data)
    model = ["--model", str(tiny_model.path)]
    for args in (["split", str(path), "-f", "jsonl"], ["split", str(path), "--unit", "sentence", "-f", "csv"],
                 ["classify", str(path), *model], ["classify", str(rows), *model],
                 ["evaluate", str(rows), *model]):
        result = runner.invoke(app, args)
        assert result.exit_code in (0, 1, 2), result.output
        assert "Traceback" not in result.output and not re.search(r"internal error", result.stderr)
        assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.slow
def test_a_50_mb_single_line_file(tmp_path, tiny_model):
    path = tmp_path / "long.txt"
    path.write_text("Officials said the figures were provisional. " * 1_120_000)  # 50.4 MB, no newline
    for command in (["split"], ["classify", "--model", str(tiny_model.path)]):
        result = runner.invoke(app, [command[0], str(path), "-f", "jsonl", *command[1:]])
        assert result.exit_code == 0, result.stderr
        (row,) = [json.loads(line) for line in result.stdout.splitlines()]
        assert (row["paragraph"], row["start"], row["end"]) == (0, 0, 50_399_999)


def test_an_output_inside_an_input_folder_is_never_read_back(tmp_path, tiny_model):
    folder = tmp_path / "dir"
    (folder / "z").mkdir(parents=True)
    (folder / "a.txt").write_text("The council met on Monday.\n", encoding="utf-8")
    out = folder / "z" / "out.jsonl"
    out.write_text('{"text": "an old output"}\n', encoding="utf-8")
    (folder / "z" / ".out.jsonl.fc1-x.part").write_text("another run's temporary file\n", encoding="utf-8")
    result = runner.invoke(app, ["classify", str(folder), "--glob", "*", "-o", str(out), "--force",
                                 "-m", str(tiny_model.path), "-f", "jsonl"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [(os.path.basename(r["file"]), r["text"]) for r in rows] == [("a.txt", "The council met on Monday.")]


@pytest.mark.parametrize("args", [
    ["split", "{missing}"],
    ["classify", "{missing}"],
    ["classify", "{missing}", "--jobs", "2"],
    ["split", "{empty}"],
    ["report", "{missing}"],
])
def test_a_run_that_exits_2_leaves_no_output(tmp_path, tiny_model, args):
    (tmp_path / "empty").mkdir()
    out = tmp_path / "out.file"
    args = [a.format(missing=tmp_path / "nonexistent", empty=tmp_path / "empty") for a in args]
    model = ["-m", str(tiny_model.path)] if args[0] != "split" else []
    result = runner.invoke(app, [*args, *model, "-o", str(out)])
    assert result.exit_code == 2, result.output
    assert result.stderr.endswith("nothing could be processed\n")
    assert sorted(os.listdir(tmp_path)) == ["empty"]


def test_classify_with_stdin_closed_keeps_the_other_inputs(tmp_path):
    out = tmp_path / "o.jsonl"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run([sys.executable, "-m", "factcomment", "classify", str(ROOT / "seeds"), "-", "-o", str(out)],
                          capture_output=True, text=True, env=env, preexec_fn=lambda: os.close(0), timeout=120)
    assert done.returncode == 1
    assert done.stderr == ("factcomment: error: -: no standard input (it is closed); pipe the input in, or name a "
                           "file instead of -\n"
                           "factcomment: 1 problem(s) in 1 of 3 input(s); everything else was processed\n")
    assert len(out.read_text(encoding="utf-8").splitlines()) == 27


@pytest.mark.parametrize("command", ["split", "classify"])
def test_a_closed_standard_output_is_one_line_and_exit_2(tmp_path, command):
    # `>&-` left sys.stdout None: "internal error: AttributeError" asked for a bug report.
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run([sys.executable, "-m", "factcomment", command, str(ROOT / "seeds")], stderr=subprocess.PIPE,
                          text=True, env=env, preexec_fn=lambda: os.close(1), timeout=120)
    assert (done.returncode, done.stderr) == (
        2, "factcomment: error: standard output is closed; write to a file with -o FILE\n")


@pytest.mark.parametrize("args, stdout, message", [
    ([], "/dev/full", "cannot write to standard output (No space left on device); free some space or use -o"),
    (["-o", "/dev/full"], None,
     "/dev/full: cannot write (No space left on device); free some space or write elsewhere"),
])
@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_full_output_is_one_line_and_exit_2(args, stdout, message):
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    with open(stdout or os.devnull, "w") as sink:
        done = subprocess.run([sys.executable, "-m", "factcomment", "split", str(ROOT / "seeds"), "-f", "jsonl", *args],
                              stdout=sink, stderr=subprocess.PIPE, text=True, env=env, timeout=120)
    assert (done.returncode, done.stderr) == (2, f"factcomment: error: {message}\n")


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_evaluate_into_a_full_stdout_suggests_no_option_it_lacks(tiny_model):
    # evaluate has no -o, and the message told the user to use it.
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    with open("/dev/full", "w") as sink:
        done = subprocess.run([sys.executable, "-m", "factcomment", "evaluate", str(ROOT / "seeds"), "--model",
                               str(tiny_model.path)], stdout=sink, stderr=subprocess.PIPE, text=True, env=env,
                              timeout=120)
    assert (done.returncode, done.stderr) == (2, "factcomment: error: cannot write to standard output (No space left "
                                                 "on device); free some space or redirect it elsewhere\n")


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_train_into_a_full_stdout_says_the_model_is_saved(tmp_path):
    # Its summary is written after the model is saved, and exit 2 otherwise means --out was left as it was.
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    out = tmp_path / "m"
    with open("/dev/full", "w") as sink:
        done = subprocess.run([sys.executable, "-m", "factcomment", "train", str(ROOT / "seeds"), "--out", str(out),
                               "--folds", "2", "-q"], stdout=sink, stderr=subprocess.PIPE, text=True, env=env,
                              timeout=300)
    assert (done.returncode, done.stderr) == (2, "factcomment: error: cannot write to standard output (No space left "
                                                 "on device); free some space or redirect it elsewhere; only the "
                                                 f"summary was lost, the model is saved in {out}\n")
    assert (out / "card.json").is_file()


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["classify", "--help"]])
@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_help_and_version_into_a_full_stdout_are_one_line_and_exit_2(args):
    # These are written by click before any command's session runs: they ended in a traceback.
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    with open("/dev/full", "w") as sink:
        done = subprocess.run([sys.executable, "-m", "factcomment", *args], stdout=sink, stderr=subprocess.PIPE,
                              text=True, env=env, timeout=120)
    assert (done.returncode, done.stderr) == (
        2, "factcomment: error: cannot write to standard output (No space left on device); free some space or "
           "write elsewhere\n")


@pytest.mark.parametrize("error, message", [
    (PermissionError(13, "Permission denied"),
     "internal error: PermissionError: [Errno 13] Permission denied (rerun with --debug and report it)"),
    (OSError(28, "No space left on device"),
     "error: cannot write to standard output (No space left on device); free some space or use -o"),
    # A full disk under a file Python names (a temporary directory filling during export) is that file's.
    (OSError(28, "No space left on device", "/tmp/export/model.onnx"),
     "error: /tmp/export/model.onnx: cannot write (No space left on device); free some space or write elsewhere"),
    (RuntimeError("boom"), "internal error: RuntimeError: boom (rerun with --debug and report it)"),
])
def test_unexpected_errors_are_internal_and_a_full_stdout_is_not(capsys, error, message):
    import typer

    from factcomment.cli.session import session
    from factcomment.readers import Tally

    with pytest.raises(typer.Exit) as stop:
        with session(False, True, Tally()):
            raise error
    assert (stop.value.exit_code, capsys.readouterr().err) == (2, f"factcomment: {message}\n")


def test_debug_shows_a_traceback_and_keeps_the_exit_code(tmp_path):
    result = runner.invoke(app, ["split", str(tmp_path / "missing.txt"), "-o", str(tmp_path / "o"), "--debug"])
    assert result.exit_code == 2
    result = runner.invoke(app, ["classify", "x.txt", "--model", str(tmp_path / "nope"), "--debug"])
    assert result.exit_code == 2
    assert "Traceback" in result.stderr and result.stderr.endswith("(see factcomment train)\n")


def test_version(capsys):
    from factcomment import __version__
    from factcomment.cli import main

    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0 and capsys.readouterr().out == f"factcomment {__version__}\n"


@pytest.mark.parametrize("args, message", [
    (["classify", "x.txt", "--jobs", "-1"],
     "Invalid value for '--jobs' / '-j': -1 is not in the range x>=0. (see 'factcomment classify --help')"),
    (["split", "x.txt", "--zzz"], "No such option: --zzz (see 'factcomment split --help')"),
    (["zzz"], "No such command 'zzz'. (see 'factcomment --help')"),
])
def test_usage_errors_are_one_line(capsys, args, message):
    from factcomment.cli import main

    with pytest.raises(SystemExit) as stop:
        main(args)
    assert stop.value.code == 2 and capsys.readouterr().err == f"factcomment: error: {message}\n"


@pytest.mark.parametrize("marker, message", [
    ("[comment", "--marker '[comment' is not a valid regular expression (unterminated character set at position 0); "
                 "pass --literal-marker to match it as plain text"),
    ("  ", "--marker must not be empty; give the text that starts an aside, e.g. --marker 'Note:'"),
])
def test_a_bad_marker_is_explained_in_command_line_terms(write, marker, message):
    result = runner.invoke(app, ["split", write("a.txt", "x\n"), "--marker", marker])
    assert result.exit_code == 2 and result.stderr == f"factcomment: error: {message}\n"


def test_output_to_dev_stdout_writes_into_a_redirected_file(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    target = tmp_path / "redirected.jsonl"
    with open(target, "w") as sink:
        done = subprocess.run([sys.executable, "-m", "factcomment", "split", str(ROOT / "seeds"), "-o", "/dev/stdout"],
                              stdout=sink, stderr=subprocess.PIPE, text=True, env=env, timeout=120)
    assert (done.returncode, done.stderr) == (0, "")
    assert len(target.read_text(encoding="utf-8").splitlines()) == 27
    assert os.listdir(tmp_path) == ["redirected.jsonl"]


@pytest.mark.parametrize(("command", "extra"), [("train", "factcomment[train]"), ("evaluate", "factcomment[plot]")])
def test_help_shows_the_extra_to_install(command, extra):
    # Typer renders help as Rich markup, where an unescaped "[train]" is a style tag and silently vanishes.
    result = runner.invoke(app, [command, "--help"])
    assert extra in " ".join(result.stdout.split())


@pytest.mark.parametrize("command, out", [("classify", "rows.jsonl"), ("report", "page.html"), ("review", "page.html"),
                                          ("evaluate", "plot.png")])
def test_an_unusable_model_exits_2_writing_nothing(tmp_path, tiny_model, command, out):
    # The README's exit code 2: "unusable model ... no output file is written".
    import shutil

    model = shutil.copytree(tiny_model.path, tmp_path / "m")
    with open(model / "scorer.json", "ab") as stream:
        stream.write(b" ")
    rows = tmp_path / "in.jsonl"
    rows.write_text('{"text": "The council met on Monday.", "label": "report"}\n'
                    '{"text": "Frankly, this is a disgrace.", "label": "comment"}\n', encoding="utf-8")
    target = tmp_path / "out" / out
    target.parent.mkdir()
    result = runner.invoke(app, [command, str(rows), "--plot" if command == "evaluate" else "-o", str(target),
                                 "--model", str(model)])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (f"factcomment: error: {model / 'scorer.json'}: SHA-256 does not match card.json; the file "
                             "is damaged or was replaced. Restore it or retrain with factcomment train (refusing to "
                             "load it)\n")
    assert os.listdir(target.parent) == []


def test_a_file_name_with_a_line_break_keeps_each_problem_on_one_line(tmp_path):
    (tmp_path / "bad\nname.txt").write_bytes(b"\xff\xfd not text")
    (tmp_path / "good.txt").write_text("The court heard evidence on Monday.\n")
    result = CliRunner().invoke(app, ["classify", str(tmp_path), "--format", "csv"])
    assert result.exit_code == 1 and result.stdout.count("good.txt") == 1
    assert result.stderr.splitlines() == [
        f"factcomment: error: {tmp_path}/bad\\nname.txt: not valid utf-8 at byte 0; pass --encoding with the file's "
        "encoding, or --errors replace",
        "factcomment: 1 problem(s) in 1 of 2 input(s); everything else was processed"]
