"""Order-preserving parallel maps: slices cover the input exactly and come back in order."""
import functools
import multiprocessing
import os
import sys
import threading

import pytest
from hypothesis import given, settings, strategies as st

from factcomment import parallel
from factcomment.errors import WorkerError
from factcomment.parallel import map_slices


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 100_000), st.integers(1, 4096), st.integers(1, 8))
def test_guided_bounds_cover_the_input_once_in_order(length, size, jobs):
    bounds = parallel._guided_bounds(length, size, jobs)
    starts, ends = [a for a, _ in bounds], [b for _, b in bounds]
    assert starts == [0, *ends[:-1]][:len(starts)]
    assert (ends[-1] if ends else 0) == length
    assert all(0 < b - a <= size for a, b in bounds)


def _tagged(model, texts, *, tag):
    return [(tag, model.path.name, text) for text in texts]


def _flatten(chunks):
    return [row for chunk in chunks for row in chunk]


@pytest.fixture(params=["fork", "forkserver"])
def start_method(request, monkeypatch):
    """Both ways of starting workers, whatever threads earlier tests (Dask's) left running."""
    monkeypatch.setattr(parallel, "_start_method", lambda: request.param)
    return request.param


def test_map_slices_gives_the_same_in_order_whatever_the_start_method(tiny_model, start_method):
    texts = [f"t{i}" for i in range(1000)]
    work = functools.partial(_tagged, tag="x")
    expected = [("x", tiny_model.path.name, t) for t in texts]
    assert _flatten(map_slices(work, texts, tiny_model, 2, 64)) == expected
    assert _flatten(map_slices(work, texts, tiny_model, 3, 64)) == expected
    assert multiprocessing.active_children() == []


def test_workers_are_not_forked_beside_another_thread():
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)  # a lock it held would stay locked forever in a forked child
    thread.start()
    try:
        assert parallel._start_method() != "fork"
    finally:
        stop.set()
        thread.join()


def _same(model, item):
    return item


def test_one_piece_of_work_starts_no_workers(tiny_model, write, monkeypatch):
    from typer.testing import CliRunner

    from factcomment.cli import app

    def refuse(*args):
        raise AssertionError("worker processes were started")

    monkeypatch.setattr(parallel.multiprocessing, "get_context", refuse)
    assert list(parallel.ordered_map(_same, [5], tiny_model, 2)) == [5]
    path = write("one.jsonl", '{"id": 1, "text": "Police said so."}\n')
    result = CliRunner().invoke(app, ["classify", path, "--model", str(tiny_model.path), "--jobs", "2", "-f", "jsonl"])
    assert result.exit_code == 0 and result.stdout.count("\n") == 1


def test_jobs_beyond_the_usable_cores_start_one_worker_per_core(tiny_model, monkeypatch):
    # More workers than cores would only take turns on them, each holding its own copy of the model.
    started = []
    real = parallel._local_executor
    monkeypatch.setattr(parallel, "_local_executor", lambda shared, jobs: started.append(jobs) or real(shared, jobs))
    monkeypatch.setattr(parallel, "usable_cores", lambda: 2)
    assert [parallel.local_workers(j) for j in (0, 1, 2, 3, 1000)] == [2, 1, 2, 2, 2]  # 0: one per core
    assert list(parallel.ordered_map(_same, range(20), tiny_model, 1000)) == list(range(20))
    assert list(parallel.ordered_map(_same, range(20), tiny_model, 0)) == list(range(20))
    assert started == [2, 2]
    monkeypatch.setattr(parallel, "usable_cores", lambda: 1)
    assert list(parallel.ordered_map(_same, range(20), tiny_model, 1000)) == list(range(20))
    assert started == [2, 2]  # one core: the calling process does the work


def _dies_or_refuses_t500(model, texts, *, crash):
    if "t500" in texts:
        if crash:
            os._exit(3)  # killed mid-work: nothing sent, nothing cleaned up
        raise ValueError("t500 is bad")
    return list(texts)


def test_a_slice_whose_worker_dies_is_an_error_not_a_hang(tiny_model, capfd, monkeypatch):
    monkeypatch.setattr(parallel, "_start_method", lambda: "fork")
    texts = [f"t{i}" for i in range(1000)]
    chunks = map_slices(functools.partial(_dies_or_refuses_t500, crash=True), texts, tiny_model, 2, 64)
    with pytest.raises(WorkerError, match="a worker process died"):
        for chunk in chunks:
            assert "t500" not in chunk
    assert multiprocessing.active_children() == []
    assert capfd.readouterr().err == ""


def test_an_error_in_a_worker_is_raised_by_the_caller_at_its_slice(tiny_model, capfd, monkeypatch):
    monkeypatch.setattr(parallel, "_start_method", lambda: "fork")
    texts = [f"t{i}" for i in range(1000)]
    chunks = map_slices(functools.partial(_dies_or_refuses_t500, crash=False), texts, tiny_model, 3, 64)
    seen = []
    with pytest.raises(ValueError, match="t500 is bad"):
        for chunk in chunks:
            seen += chunk
    bad = next(a for a, b in parallel._guided_bounds(len(texts), 64, 3) if a <= 500 < b)
    assert seen == texts[:bad]  # every slice before the bad one, in order
    assert multiprocessing.active_children() == []
    assert capfd.readouterr().err == ""  # the workers' own errors are not printed: the caller raises them


def test_stopping_early_ends_the_helpers(tiny_model, start_method):
    chunks = map_slices(functools.partial(_tagged, tag="x"), [f"t{i}" for i in range(100_000)], tiny_model, 2, 64)
    assert len(next(chunks)) == 64
    chunks.close()
    assert multiprocessing.active_children() == []


def _dies_at_3(model, item):
    if item == 3:
        os._exit(9)  # as the kernel's out-of-memory killer would end it
    return item


def test_a_worker_that_dies_is_an_error_not_a_hang(tiny_model, start_method):
    results = parallel.ordered_map(_dies_at_3, range(20), tiny_model, 2)
    with pytest.raises(WorkerError, match=r"a worker process died .*\); rerun with fewer jobs"):
        assert list(results) == []
    assert multiprocessing.active_children() == []


def _refuses_3(model, item):
    if item == 3:
        raise ValueError("3 is bad")
    return item


def test_an_error_in_a_worker_reaches_the_caller_in_order(tiny_model, start_method):
    results = parallel.ordered_map(_refuses_3, range(20), tiny_model, 2)
    assert [next(results) for _ in range(3)] == [0, 1, 2]
    with pytest.raises(ValueError, match="3 is bad"):
        next(results)


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stream:
                    fields = stream.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry))
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_workers_exit_when_their_parent_is_killed():
    import json
    import signal
    import subprocess
    import time

    from conftest import ROOT

    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    parent = subprocess.Popen([sys.executable, "-m", "factcomment", "classify", "-", "--jobs", "2", "-q"],
                              stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    # Three pieces of rows, and stdin left open: the workers start, then the parent waits for more input.
    parent.stdin.write("".join(json.dumps({"text": f"Row {i} said so."}) + "\n" for i in range(5000)).encode())
    parent.stdin.flush()
    deadline = time.monotonic() + 60
    while len(workers := _children(parent.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(workers) >= 2, "the workers never started"
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 20
    while any(os.path.exists(f"/proc/{w}") and _state(w) != "Z" for w in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    alive = [w for w in workers if os.path.exists(f"/proc/{w}") and _state(w) != "Z"]
    for worker in alive:
        os.kill(worker, signal.SIGKILL)
    assert alive == []


def _state(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat") as stream:
            return stream.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"
