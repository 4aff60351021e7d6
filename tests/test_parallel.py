"""Order-preserving parallel maps: slices cover the input exactly and come back in order."""
import functools
import threading

from hypothesis import given, settings, strategies as st

from factcomment import parallel
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


def test_map_slices_gives_the_same_in_order_when_forked_or_not(tiny_model):
    texts = [f"t{i}" for i in range(1000)]
    work = functools.partial(_tagged, tag="x")
    expected = [("x", tiny_model.path.name, t) for t in texts]
    assert _flatten(map_slices(work, texts, tiny_model, 2, 64)) == expected
    assert _flatten(map_slices(work, texts, tiny_model, 3, 64)) == expected
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)  # a second thread: workers come from a forkserver instead
    thread.start()
    try:
        assert parallel._start_method() != "fork"
        assert _flatten(map_slices(work, texts, tiny_model, 2, 64)) == expected
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
