"""Classification on a Dask cluster (``pip install 'factcomment[dask]'``).

Two ways in:

- ``factcomment classify --dask ADDRESS`` (:func:`dask_executor` under :func:`factcomment.parallel.ordered_map`):
  the client frames the inputs into chunks, the workers parse, classify and render them, and the client
  writes the results in input order, so the output is byte-identical to a single process. The model is sent
  to every worker once.
- :func:`classify_partition`, for your own Dask code: map it over the partitions of a ``dask.bag`` of texts
  or a ``dask.dataframe`` with a text column. Each worker process loads the model once and reuses it.

The example is skipped under pytest: it needs the optional dask and a list of your own ``texts``
(tests/test_cluster.py runs the same on a real two-process cluster).

>>> import dask.bag as db                                         # doctest: +SKIP
>>> db.from_sequence(texts, npartitions=8).map_partitions(classify_partition).compute()  # doctest: +SKIP
"""
from __future__ import annotations

import contextlib
import functools
import math
from collections.abc import Callable, Iterator
from concurrent.futures import CancelledError
from typing import Any

from factcomment.encoder import usable_cores
from factcomment.errors import UsageError, WorkerError
from factcomment.inference import Model, check_threshold, load_model


@contextlib.contextmanager
def dask_executor(address: str, shared: Any) -> Iterator[tuple[Callable[[Callable, Any], Any], int]]:
    """Connect to ``address`` and yield ``submit(work, item)``, which runs ``work(shared, item)`` on a worker,
    and the number of workers; :func:`factcomment.parallel.ordered_map` keeps the results in order.

    ``address`` is a scheduler address (``tcp://host:8786``) or ``local`` for a LocalCluster on this machine
    with one single-threaded worker process per core. ``shared`` (the model) is sent to every worker once.
    """
    client, cluster = _connect(address)
    from distributed.comm.core import CommClosedError  # Dask is there: _connect has imported it

    try:
        try:
            client.wait_for_workers(1, timeout=CONNECT_SECONDS)  # else Dask's own "No valid workers found", later
        except TimeoutError:
            raise UsageError(f"--dask {address}: the scheduler has no workers (none joined within {CONNECT_SECONDS} "
                             f"s); start them with `dask worker {address}`") from None
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        scattered = client.scatter(shared, broadcast=True)
        # The client's own futures, not its executor's: those waited for ever once the scheduler was gone.
        yield (lambda work, item: client.submit(work, scattered, item, pure=False)), workers
    except (CancelledError, CommClosedError):
        # The scheduler went away, and with it every result still owed: the client cancels those futures, or a
        # result being gathered finds the connection closed.
        raise WorkerError(f"--dask {address}: lost the connection to the scheduler; check the cluster and "
                          "rerun") from None
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def classify_partition(partition: Any, *, text_column: str = "text", model_path: str | None = None,
                       threshold: float | None = None) -> Any:
    """Classify one partition: a list of texts, or a pandas DataFrame with a ``text_column``.

    A list gives a list of ``{"label", "p_comment"}`` dicts; a DataFrame gives a copy with ``label`` and
    ``p_comment`` columns added. The model (``model_path``, default the shipped one) is loaded once per
    worker process and reused for every partition that worker handles.
    """
    check_threshold(threshold)
    model = _worker_model(model_path)
    if hasattr(partition, "columns"):
        if text_column not in partition.columns:
            raise UsageError(f"no column {text_column!r} in the partition; pass text_column=")
        missing = partition[text_column].isna()
        if missing.any():
            # astype(str) would classify the word "None" or "nan" (pandas 2) or fail deep inside (pandas 3).
            raise UsageError(f"{int(missing.sum())} row(s) with no text in column {text_column!r} (the first at "
                             f"index {partition.index[missing.to_numpy()].tolist()[0]!r}); drop or fill them first, e.g. "
                             f"frame.dropna(subset=[{text_column!r}])")
        predictions = model.predict(partition[text_column].astype(str).tolist(), threshold=threshold)
        return partition.assign(label=[p.label for p in predictions], p_comment=[p.p_comment for p in predictions])
    texts = list(partition)
    missing = [i for i, t in enumerate(texts) if t is None or (isinstance(t, float) and math.isnan(t))]
    if missing:  # str() would classify the word "None" or "nan"
        raise UsageError(f"{len(missing)} text(s) missing (None or NaN) in the partition (the first at position "
                         f"{missing[0]}); drop them first, e.g. bag.filter(lambda t: isinstance(t, str))")
    predictions = model.predict([str(t) for t in texts], threshold=threshold)
    return [{"label": p.label, "p_comment": p.p_comment} for p in predictions]


@functools.lru_cache(maxsize=4)
def _worker_model(path: str | None) -> Model:
    return load_model(path)


# How long to wait for a connection to the scheduler, and then for its answer.
CONNECT_SECONDS = 10
ANSWER_SECONDS = 5


class _NoAnswer(Exception):
    """Something accepted the connection, but no Dask handshake came back in time."""


def _answers(address: str, seconds: float, answer: float) -> None:
    """Connect to ``address`` within ``seconds`` (else ``OSError``) and exchange Dask's handshake within
    ``answer`` more (else :class:`_NoAnswer`).

    ``Client(address, timeout=...)`` bounds the connection but not the handshake after it: a port where
    something else listens (the dashboard's, any server that waits for its own protocol) kept it waiting for
    ever. The probe runs in a thread of its own, so it works whether or not the caller runs an event loop.
    """
    import asyncio
    import threading

    from distributed.comm import connect
    from distributed.security import Security

    async def probe() -> None:
        try:
            comm = await asyncio.wait_for(connect(address, timeout=seconds,
                                                  **Security().get_connection_args("client")), seconds + answer)
        except asyncio.TimeoutError:  # (not yet the builtin TimeoutError on Python 3.10)
            raise _NoAnswer from None
        await comm.close()

    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            asyncio.run(probe())
            outcome.append(None)
        except BaseException as error:  # noqa: BLE001 -- handed to the calling thread
            outcome.append(error)

    thread = threading.Thread(target=run, name="factcomment-dask-probe", daemon=True)
    thread.start()
    thread.join(seconds + answer + 5)  # wait_for ends the probe first; this guards against the unforeseen
    if not outcome:
        raise _NoAnswer
    if outcome[0] is not None:
        raise outcome[0]


def _connect(address: str):
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise UsageError("--dask needs Dask: pip install 'factcomment[dask]'") from None
    if address == "local":
        # None does not turn the dashboard off: it took port 8787, and with that port in use (a second run)
        # Dask warned in four lines on stderr. Any free port, on this machine only.
        cluster = LocalCluster(n_workers=usable_cores(), threads_per_worker=1, processes=True,
                               dashboard_address="127.0.0.1:0")
        return Client(cluster), cluster
    if not address.startswith(("tcp://", "tls://", "inproc://", "ucx://")):
        raise UsageError(f"--dask {address!r}: give a scheduler address like tcp://host:8786, or 'local'")
    try:
        _answers(address, CONNECT_SECONDS, ANSWER_SECONDS)
        return Client(address, timeout=f"{CONNECT_SECONDS}s"), None
    except _NoAnswer:
        raise UsageError(f"--dask {address}: something listens there but no Dask scheduler answered within "
                         f"{CONNECT_SECONDS + ANSWER_SECONDS} s; give the scheduler's address (`dask scheduler` "
                         "prints it; port 8786 by default, not the dashboard's 8787)") from None
    except OSError as error:
        raise UsageError(f"--dask {address}: cannot reach the scheduler ({error}); is `dask scheduler` running?") from None
    except (ValueError, TypeError) as error:  # no port, a bad port, tls:// without a TLS configuration, ...
        raise UsageError(f"--dask {address}: not a usable scheduler address ({error}); give one like "
                         "tcp://host:8786, or 'local'") from None
