"""The accurate tier's inference: a fine-tuned sentence encoder run by onnxruntime, without torch.

The model directory holds ``model.onnx.gz`` (gzipped ONNX; inputs ``input_ids`` and ``attention_mask``, output
one logit toward ``comment`` per text) and the encoder's own ``tokenizer.json``, read by the ``tokenizers`` library.
Each text is scored on its own (see :meth:`OnnxEncoder.logits`), so its
logit is the same bits whatever batch, order or process it came in.
"""
from __future__ import annotations

import os
import threading
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from factcomment.errors import ModelError, UsageError

__all__ = ["OnnxEncoder", "configure_tokenizer"]

# Texts are tokenised this many at a time (in parallel, by tokenizers); the model sees them one by one.
BATCH = 256
# tokenizers takes valid Unicode only; a lone surrogate (JSON lines may spell one, "\\ud800") is read as U+FFFD.
_SURROGATES = dict.fromkeys(range(0xD800, 0xE000), "\ufffd")


def configure_tokenizer(tokenizer: Any, max_length: int, *, pad: bool = True) -> Any:
    """Cut texts at ``max_length`` tokens and (with ``pad``) pad batches to their longest text."""
    tokenizer.enable_truncation(max_length=max_length)
    if not pad:
        tokenizer.no_padding()
        return tokenizer
    pad = "[PAD]" if tokenizer.token_to_id("[PAD]") is not None else "<pad>"
    pad_id = tokenizer.token_to_id(pad)
    tokenizer.enable_padding(pad_id=0 if pad_id is None else pad_id, pad_token=pad)
    return tokenizer


class OnnxEncoder:
    """Logits toward ``comment`` from an exported encoder and its tokenizer.

    Parameters
    ----------
    model
        The exported model: the bytes of ``model.onnx.gz`` as the loader read and hash-checked them (or of a
        plain ``model.onnx``).
    tokenizer
        The JSON text of its ``tokenizer.json``.
    max_length
        Tokens kept per text (the length it was fine-tuned with).
    threads
        Sessions run side by side, each on one thread; default: every core this process may use.
    """

    def __init__(self, model: bytes, tokenizer: str, *, max_length: int = 128, threads: int | None = None,
                 where: str = "the accurate model"):
        self._tokenizer_json = tokenizer
        self.max_length, self.threads, self._where = max_length, threads, where
        unpacking = _Unpacking(model) if model[:2] == b"\x1f\x8b" else None  # gzip: 7.6 MB less to install
        try:
            self._open_runtime()  # imports onnxruntime meanwhile
        finally:
            if unpacking is not None:
                unpacking.join()  # never leave the thread behind, whatever went wrong here
        if unpacking is not None and unpacking.error is not None:
            raise ModelError(f"{where}: cannot unpack the accurate model ({unpacking.error}); "
                             "reinstall or retrain it")
        self._model = model if unpacking is None else unpacking.result
        self._sessions = [self._session()]  # now, so that a bad model fails at load time, not at the first text

    @classmethod
    def from_files(cls, model_path: str | os.PathLike[str], tokenizer_path: str | os.PathLike[str],
                   **options: Any) -> OnnxEncoder:
        """An encoder read from ``model.onnx(.gz)`` and ``tokenizer.json`` (no hash check: for freshly made files)."""
        return cls(Path(model_path).read_bytes(), Path(tokenizer_path).read_text(encoding="utf-8"),
                   where=str(Path(model_path).parent), **options)

    def _open(self) -> None:
        # One single-threaded session per core, each fed its own texts by a thread (onnxruntime releases the
        # GIL): 1.5x the rate of one session with a thread per core on texts run one at a time. One opens now,
        # so that a bad model fails at load time; the others when more than one text comes, so that a one-off
        # text does not wait for them.
        self._open_runtime()
        self._sessions = [self._session()]

    def _open_runtime(self) -> None:
        """Import onnxruntime and tokenizers, set the session options and read the tokenizer."""
        try:
            import onnxruntime
            from tokenizers import Tokenizer
        except ImportError:
            raise UsageError("the accurate tier needs onnxruntime and tokenizers: "
                             "pip install 'factcomment[accurate]'") from None
        self._options = onnxruntime.SessionOptions()
        self._options.intra_op_num_threads = 1
        self._options.inter_op_num_threads = 1
        self._options.log_severity_level = 3
        try:
            tokenizer = Tokenizer.from_str(self._tokenizer_json)
        except Exception as error:  # tokenizers raises its own class
            raise self._unusable(error) from None
        self._tokenizer = configure_tokenizer(tokenizer, self.max_length, pad=False)
        self._pid = os.getpid()

    def _session(self) -> Any:
        import onnxruntime

        try:
            return onnxruntime.InferenceSession(self._model, self._options, providers=["CPUExecutionProvider"])
        except Exception as error:  # onnxruntime raises its own classes; all mean "unusable"
            raise self._unusable(error) from None

    def _unusable(self, error: Exception) -> ModelError:
        return ModelError(f"{self._where}: cannot load the accurate model ({str(error).splitlines()[0]}); "
                          "reinstall it or retrain with factcomment train --tier accurate")

    def __getstate__(self) -> dict[str, Any]:
        # A session does not pickle; the receiving process (a pool or Dask worker) opens its own.
        unpicklable = ("_sessions", "_tokenizer", "_options")
        return {k: v for k, v in self.__dict__.items() if k not in unpicklable} | {"_pid": None}

    def logits(self, texts: Sequence[str]) -> list[float]:
        """One logit per text, in input order.

        Each text runs on its own: int8 dynamic quantisation scales activations by the range of the whole
        input tensor, so in a padded batch a text's logit would depend on its neighbours. One at a time it
        depends on the text alone (bit for bit, whatever the batch or the session that ran it).
        """
        import numpy as np

        # A forked child inherits the sessions but not onnxruntime's threads, and could hang on its first
        # run: every process opens its own sessions (an unpickled copy has none yet).
        if self._pid != os.getpid():
            self._open()
        wanted = self.threads or usable_cores()
        if len(texts) > 1 and len(self._sessions) < wanted:
            # A new list, never one grown in place: a call running in another thread keeps the list it began with.
            self._sessions = self._sessions + [self._session() for _ in range(wanted - len(self._sessions))]
        out: list[float] = []
        for begin in range(0, len(texts), BATCH):
            batch = [t.translate(_SURROGATES) for t in texts[begin:begin + BATCH]]
            ids = [np.array([e.ids], dtype=np.int64) for e in self._tokenizer.encode_batch(batch)]
            sessions = self._sessions  # one list for the whole batch (see above)

            def run(k: int) -> list[tuple[int, float]]:
                session = sessions[k]
                return [(i, float(session.run(None, {"input_ids": ids[i], "attention_mask": np.ones_like(ids[i])})[0][0]))
                        for i in range(k, len(ids), len(sessions))]

            block = [0.0] * len(ids)
            if len(sessions) == 1 or len(ids) == 1:
                parts = [run(k) for k in range(len(sessions))]
            else:
                from concurrent.futures import ThreadPoolExecutor

                with ThreadPoolExecutor(len(sessions)) as pool:
                    parts = list(pool.map(run, range(len(sessions))))
            for part in parts:
                for i, value in part:
                    block[i] = value
            out += block
        return out


class _Unpacking(threading.Thread):
    """Gunzips the weights on another core while the loader imports onnxruntime (zlib lets go of the GIL while
    it inflates): 0.53 -> 0.43 s of cold start on 2 cores that inflate for 0.17-0.25 s and import for 0.15 s."""

    def __init__(self, data: bytes):
        super().__init__(name="factcomment-unpack", daemon=True)
        self._data, self.result, self.error = data, b"", None
        self.start()

    def run(self) -> None:
        try:
            # Room for the whole output up front (the gzip trailer's length, capped in case the trailer lies):
            # zlib takes the GIL back once at the end instead of once per output block, each time waiting for
            # the importing thread to let go of it. Inflating as gzip (wbits 31) checks the CRC and length.
            size = min(int.from_bytes(self._data[-4:], "little"), 4 * len(self._data))
            self.result = zlib.decompress(self._data, wbits=31, bufsize=max(size, 1))
        except Exception as error:  # zlib.error, MemoryError: reported by the loading thread
            self.error = error


def usable_cores() -> int:
    """The cores this process may run on (a container's CPU limit, not the host's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1
