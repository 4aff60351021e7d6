"""Dask: a real LocalCluster with two worker processes gives the same output as one process."""
from __future__ import annotations

import json
import os

import pytest
from typer.testing import CliRunner

from conftest import TINY_COMMENT, TINY_REPORT
from factcomment.cli import app

distributed = pytest.importorskip("dask.distributed", reason="the dask extra is not installed")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address="127.0.0.1:0") as local:
        yield local


@pytest.mark.slow
def test_cli_dask_output_is_identical_to_serial(cluster, tiny_model, tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text("".join(json.dumps({"id": i, "text": t}) + "\n"
                            for i, t in enumerate((TINY_REPORT + TINY_COMMENT) * 300)))
    runner = CliRunner()
    serial = runner.invoke(app, ["classify", str(path), "--model", str(tiny_model.path), "-f", "jsonl"])
    spread = runner.invoke(app, ["classify", str(path), "--model", str(tiny_model.path), "-f", "jsonl",
                                 "--dask", cluster.scheduler_address])
    assert serial.exit_code == spread.exit_code == 0, spread.stderr
    assert spread.stdout == serial.stdout and len(serial.stdout.splitlines()) == 7200


@pytest.mark.slow
def test_classify_partition_on_a_bag_loads_the_model_per_worker(cluster, tiny_model):
    import dask.bag as db

    from factcomment.cluster import classify_partition

    texts = (TINY_REPORT + TINY_COMMENT) * 10
    with distributed.Client(cluster) as client:
        bag = db.from_sequence(texts, npartitions=6)
        got = bag.map_partitions(classify_partition, model_path=str(tiny_model.path)).compute(scheduler=client)
    expected = [{"label": p.label, "p_comment": p.p_comment} for p in tiny_model.predict(texts)]
    assert got == expected


def test_classify_partition_on_a_dataframe(tiny_model):
    pd = pytest.importorskip("pandas", reason="dask.dataframe needs pandas")
    from factcomment.cluster import classify_partition

    frame = pd.DataFrame({"body": TINY_REPORT[:2], "n": [1, 2]})
    out = classify_partition(frame, text_column="body", model_path=str(tiny_model.path))
    assert list(out.columns) == ["body", "n", "label", "p_comment"] and list(out["label"]) == ["report", "report"]


def test_classify_partition_refuses_missing_text_and_a_bad_threshold(tiny_model):
    # A missing text was classified as the word "None" (pandas 2) or crashed with a TypeError (pandas 3).
    pd = pytest.importorskip("pandas", reason="dask.dataframe needs pandas")
    from factcomment.cluster import classify_partition
    from factcomment.errors import UsageError

    frame = pd.DataFrame({"body": [TINY_REPORT[0], None, None]}, index=[10, 11, 12])
    with pytest.raises(UsageError, match=r"^2 row\(s\) with no text in column 'body' \(the first at index 11\); "
                                         r"drop or fill them first, e\.g\. frame\.dropna\(subset=\['body'\]\)$"):
        classify_partition(frame, text_column="body", model_path=str(tiny_model.path))
    with pytest.raises(UsageError, match="^threshold must lie between 0 and 1, not 5$"):
        classify_partition(TINY_REPORT[:1], model_path=str(tiny_model.path), threshold=5)


@pytest.mark.parametrize("missing", [None, float("nan")])
def test_classify_partition_refuses_a_missing_text_in_a_list(tiny_model, missing):
    # A bag's None or NaN was classified as the word "None" or "nan", though the docs say it is refused.
    from factcomment.cluster import classify_partition
    from factcomment.errors import UsageError

    with pytest.raises(UsageError, match=r"^2 text\(s\) missing \(None or NaN\) in the partition \(the first at "
                                         r"position 1\); drop them first, e\.g\. bag\.filter\(lambda t: "
                                         r"isinstance\(t, str\)\)$"):
        classify_partition([TINY_REPORT[0], missing, missing], model_path=str(tiny_model.path))


@pytest.mark.parametrize("address, reason", [("tcp://", "missing port number in address ''"),
                                             ("tcp://127.0.0.1:abc", "invalid literal for int() with base 10: 'abc'")])
def test_malformed_dask_address_is_a_usage_error(tiny_model, tmp_path, address, reason):
    # These reached the user as "internal error: ValueError".
    path = tmp_path / "a.txt"
    path.write_text("Fine.")
    result = CliRunner().invoke(app, ["classify", str(path), "--model", str(tiny_model.path), "--dask", address])
    assert result.exit_code == 2
    assert result.stderr == (f"factcomment: error: --dask {address}: not a usable scheduler address ({reason}); "
                             "give one like tcp://host:8786, or 'local'\n")


def test_an_address_where_no_scheduler_answers_is_a_usage_error_not_a_hang(tiny_model, tmp_path, monkeypatch):
    # Client(address, timeout=...) bounds the connection, not Dask's handshake after it: a server that accepts
    # and says nothing (the dashboard's port, any other service) kept `classify --dask` waiting for ever.
    import socket

    from factcomment import cluster as module

    monkeypatch.setattr(module, "CONNECT_SECONDS", 1)
    monkeypatch.setattr(module, "ANSWER_SECONDS", 1)
    path = tmp_path / "a.txt"
    path.write_text("Fine.")
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        address = f"tcp://127.0.0.1:{silent.getsockname()[1]}"
        result = CliRunner().invoke(app, ["classify", str(path), "--model", str(tiny_model.path), "--dask", address])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (f"factcomment: error: --dask {address}: something listens there but no Dask scheduler "
                             "answered within 2 s; give the scheduler's address (`dask scheduler` prints it; port "
                             "8786 by default, not the dashboard's 8787)\n")


def test_a_scheduler_without_workers_is_a_usage_error_not_an_internal_one(tiny_model, tmp_path, monkeypatch):
    # Dask gave up after its own timeout with "internal error: TimeoutError: No valid workers found".
    from factcomment import cluster as module

    monkeypatch.setattr(module, "CONNECT_SECONDS", 1)
    path = tmp_path / "a.txt"
    path.write_text("Fine.")
    with distributed.LocalCluster(n_workers=0, dashboard_address="127.0.0.1:0") as empty:
        address = empty.scheduler_address
        result = CliRunner().invoke(app, ["classify", str(path), "--model", str(tiny_model.path), "--dask", address])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (f"factcomment: error: --dask {address}: the scheduler has no workers (none joined "
                             f"within 1 s); start them with `dask worker {address}`\n")


class LostScheduler:
    """A Dask client whose scheduler is gone: ``settle`` ends every future submitted to it."""

    def __init__(self, settle):
        self.settle = settle

    def wait_for_workers(self, n, timeout):
        pass

    def scheduler_info(self):
        return {"workers": {"tcp://w": {}}}

    def scatter(self, shared, broadcast):
        return shared

    def submit(self, work, shared, item, pure):
        from concurrent.futures import Future

        future = Future()
        self.settle(future)
        return future

    def close(self):
        pass


@pytest.mark.parametrize("lost", ["cancelled", "closed"])
def test_losing_the_scheduler_ends_the_run_with_one_line(tiny_model, tmp_path, monkeypatch, lost):
    # The results came through the client's executor, whose futures waited for ever once the scheduler was gone
    # (and then Ctrl-C printed "interrupted" but the process stayed). The client's own futures are cancelled;
    # or a result being gathered finds the connection closed, which was "internal error: CommClosedError".
    from distributed.comm.core import CommClosedError

    from factcomment import cluster as module

    def settle(future):
        if lost == "cancelled":
            future.cancel()  # what the client does to its futures when the scheduler connection is lost
        else:
            future.set_exception(CommClosedError("in <TCP (closed) ConnectionPool.gather>: Stream is closed"))

    monkeypatch.setattr(module, "_connect", lambda address: (LostScheduler(settle), None))
    path, out = tmp_path / "a.txt", tmp_path / "out.jsonl"
    path.write_text("Fine.")
    result = CliRunner().invoke(app, ["classify", str(path), "--model", str(tiny_model.path), "--dask", "tcp://s:1",
                                      "-o", str(out)])
    assert (result.exit_code, result.stderr) == (2, "factcomment: error: --dask tcp://s:1: lost the connection to the "
                                                    "scheduler; check the cluster and rerun\n")
    assert os.listdir(tmp_path) == ["a.txt"]


@pytest.mark.parametrize("debug", [False, True])
def test_dask_logs_stay_out_of_stderr_when_the_scheduler_is_lost(tiny_model, tmp_path, monkeypatch, caplog, debug):
    # distributed's loggers write to stderr themselves: when the scheduler went away its client logged
    # "Failed to reconnect ..." and tracebacks (from its event loop, while results were being gathered) beside
    # factcomment's line. (A real scheduler killed mid-run shows them; the client's reconnect alone takes its
    # 10 s timeout, so this test stands a client in for it. Outside pytest those loggers have handlers of their
    # own that write to stderr; under pytest they hand their records on to caplog's.)
    import logging
    from distributed.comm.core import CommClosedError

    from factcomment import cluster as module

    names = ["distributed", "distributed.client", "distributed.batched", "tornado", "tornado.application"]
    levels = [logging.getLogger(name).level for name in names]

    def settle(future):
        try:
            raise CommClosedError("in <TCP (closed) ConnectionPool.gather>: Stream is closed")
        except CommClosedError as error:
            logging.getLogger("distributed.batched").info("Batched Comm Closed", exc_info=True)
            logging.getLogger("distributed.client").error("Failed to reconnect to scheduler after 10.00 "
                                                          "seconds, closing client")
            logging.getLogger("distributed.client").exception("")
            future.set_exception(error)  # what gathering a result over the closed connection raises

    monkeypatch.setattr(module, "_connect", lambda address: (LostScheduler(settle), None))
    path = tmp_path / "a.txt"
    path.write_text("Fine.")
    result = CliRunner().invoke(app, ["classify", str(path), "--model", str(tiny_model.path), "--dask", "tcp://s:1",
                                      "-o", str(tmp_path / "out.jsonl"), *(["--debug"] if debug else [])])
    assert (result.exit_code, result.stderr.splitlines()[-1]) == (
        2, "factcomment: error: --dask tcp://s:1: lost the connection to the scheduler; check the cluster and rerun")
    assert [logging.getLogger(name).level for name in names] == levels  # restored after the run
    logged = [(r.name, r.levelname) for r in caplog.records if r.name.startswith("distributed")]
    if debug:  # kept, with factcomment's traceback, for a bug report
        assert logged == [("distributed.batched", "INFO"), ("distributed.client", "ERROR"),
                          ("distributed.client", "ERROR")] and "Traceback" in result.stderr
    else:
        assert (logged, len(result.stderr.splitlines())) == ([], 1)
    assert os.listdir(tmp_path) == ["a.txt"]


def test_bad_dask_address_is_a_usage_error(tiny_model, tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("Fine.")
    result = CliRunner().invoke(app, ["classify", str(path), "--model", str(tiny_model.path), "--dask", "nowhere"])
    assert result.exit_code == 2
    assert "give a scheduler address like tcp://host:8786, or 'local'" in result.stderr


def test_dask_local_starts_one_worker_per_usable_core(monkeypatch):
    # Cores this process may use (a container's limit), not the host's count: more workers would only queue.
    from factcomment import cluster as module

    started = {}
    monkeypatch.setattr(module, "usable_cores", lambda: 3)
    monkeypatch.setattr(distributed, "LocalCluster", lambda **kwargs: started.update(kwargs) or "cluster")
    monkeypatch.setattr(distributed, "Client", lambda cluster: ("client", cluster))
    assert module._connect("local") == (("client", "cluster"), "cluster")
    assert (started["n_workers"], started["threads_per_worker"]) == (3, 1)
    # None still took port 8787, and Dask warned on stderr in four lines when that port was in use.
    assert started["dashboard_address"] == "127.0.0.1:0"
