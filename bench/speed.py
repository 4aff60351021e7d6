"""Speed, memory and training-time figures for factcomment, each against a baseline measured in the same run.

    python bench/speed.py                 # everything (the 1 GB memory run takes a few minutes)
    python bench/speed.py --gb 0.1        # a smaller file for the memory run
    python bench/speed.py --skip memory,train

Texts are CheckThat! 2025 English sentences read from ../shared (never copied into the repo), cycled to
50,000 sentences and grouped five at a time into 20,000 paragraphs; without ../shared the seeds' sentences
are used instead (and the script says so). Throughputs are medians of --repeats runs; ratios compare
figures measured in this run on this machine.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from itertools import cycle, islice
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "checkthat2025-en"
SPLITS = ("train_en.tsv", "dev_en.tsv", "dev_test_en.tsv")


def load_sentences(data: Path) -> tuple[list[str], list[str], list[str], str]:
    """All sentences, plus the train+dev texts and labels the plain baseline is fitted on."""
    from factcomment.labelled import read_labelled
    from factcomment.readers import InputOptions, Tally

    if not (data / SPLITS[0]).is_file():
        from factcomment import split_document, split_sentences

        texts = [s.text for f in sorted((ROOT / "seeds").glob("*.txt"))
                 for p in split_document(f.read_text(encoding="utf-8")) for s in split_sentences(p.text)]
        labels = ["report" if i % 3 else "comment" for i in range(len(texts))]
        return texts, texts, labels, "seeds (../shared missing)"
    # factcomment's own readers, the code `factcomment train` uses (CheckThat's dev split has short rows).
    splits = {name: read_labelled([str(data / name)], InputOptions(), Tally()) for name in SPLITS}
    fit = splits[SPLITS[0]] + splits[SPLITS[1]]
    every = [u.text for name in SPLITS for u in splits[name]]
    return every, [u.text for u in fit], [u.label for u in fit], "CheckThat 2025 en (train+dev+dev_test)"


def median_rate(fn, n: int, repeats: int) -> float:
    """Median items per second of ``fn()`` over ``repeats`` runs (after one warm-up run)."""
    fn()
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return n / statistics.median(times)


def median_wall(command: list[str], repeats: int, **kwargs) -> float:
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, **kwargs)
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def _spin(n: int) -> int:
    total = 0
    for i in range(n):
        total += i * i % 7
    return total


def machine_ceiling(repeats, out):
    """How much faster two processes are than one on pure-Python work that shares nothing: the ceiling for
    any --jobs 2 figure on this machine (2 vCPUs can be hyper-threads or a quota, not two whole cores)."""
    import multiprocessing

    n = 3_000_000
    one = statistics.median(_timed(lambda: _spin(n)) for _ in range(repeats))
    with multiprocessing.get_context("fork").Pool(2) as pool:
        pool.map(_spin, [1000, 1000])
        two = statistics.median(_timed(lambda: pool.map(_spin, [n, n])) for _ in range(repeats))
    out(f"machine ceiling: two independent pure-Python loops run {2 * one / two:.2f}x as fast as one "
        f"(perfect scaling is 2.00x)")
    out.figures["machine_two_process_scaling"] = 2 * one / two


def _timed(fn) -> float:
    began = time.perf_counter()
    fn()
    return time.perf_counter() - began


def throughput(sentences, paragraphs, fit_texts, fit_labels, repeats, out):
    """Rates of plain sklearn, one process, jobs=2, and the workload's own two-process ceiling.

    The four are timed in turn within each repeat, so drift in the machine's speed hits all of them alike;
    ratios are medians of the per-repeat ratios. "ideal split" scores each half of the texts in its own
    forked process with no hand-off at all: the most any jobs=2 could reach on this workload and machine.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    import factcomment

    plain = make_pipeline(TfidfVectorizer(ngram_range=(1, 2)),
                          LogisticRegression(class_weight="balanced", max_iter=1000)).fit(fit_texts, fit_labels)
    model = factcomment.load_model()
    for name, texts in (("sentences", sentences), ("paragraphs", paragraphs)):
        halves = [texts[:len(texts) // 2], texts[len(texts) // 2:]]
        modes = {"plain": lambda: plain.predict_proba(texts),
                 "one": lambda: factcomment.classify(texts, model=model),
                 "two": lambda: factcomment.classify(texts, model=model, jobs=2),
                 "split": lambda: _ideal_split(model, halves)}
        times = {mode: [] for mode in modes}
        for fn in modes.values():
            fn()  # warm-up: model tables built, pages touched
        for _ in range(repeats):
            for mode, fn in modes.items():
                times[mode].append(_timed(fn))
        rate = {mode: len(texts) / statistics.median(t) for mode, t in times.items()}

        def paired(a: str, b: str) -> float:
            return statistics.median(x / y for x, y in zip(times[a], times[b]))

        out(f"{name:<11} {len(texts):>7,}  plain sklearn {rate['plain']:>8,.0f}/s   factcomment {rate['one']:>8,.0f}/s "
            f"({paired('plain', 'one'):.2f}x plain)   jobs=2 {rate['two']:>8,.0f}/s "
            f"({paired('one', 'two'):.2f}x one process; ideal split {paired('one', 'split'):.2f}x)")
        out.figures.update({f"{name}_plain_per_s": rate["plain"], f"{name}_factcomment_per_s": rate["one"],
                            f"{name}_jobs2_per_s": rate["two"], f"{name}_vs_plain": paired("plain", "one"),
                            f"{name}_jobs2_vs_one": paired("one", "two"),
                            f"{name}_ideal_split_vs_one": paired("one", "split")})


def _ideal_split(model, halves) -> None:
    import multiprocessing

    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=model.scorer.p_comment, args=(half,)) for half in halves]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


def write_jsonl(path: Path, texts) -> Path:
    """``texts`` as JSON lines with an ``id`` and a ``text`` field, the input the CLI sections classify."""
    with open(path, "w", encoding="utf-8") as f:
        for i, text in enumerate(texts):
            f.write(json.dumps({"id": i, "text": text}) + "\n")
    return path


def cli_jobs(sentences, repeats, out, tmp: Path):
    """`factcomment classify --jobs 1` and `--jobs 2` on 50,000 JSON lines, timed in turn within each repeat.

    Wall times include start-up (interpreter, imports, model, workers). The same two commands on a one-line
    file give each mode's fixed cost; the "per-row" ratio compares the walls with it subtracted.
    """
    path = write_jsonl(tmp / "sentences.jsonl", sentences)
    one = write_jsonl(tmp / "one.jsonl", sentences[:1])

    def command(source: Path, jobs: int) -> list[str]:
        return [sys.executable, "-m", "factcomment", "classify", str(source), "--jobs", str(jobs), "-f", "jsonl"]

    walls: dict[tuple[str, int], list[float]] = {(name, j): [] for name in ("all", "one") for j in (1, 2)}
    for _ in range(repeats):
        for (name, jobs), times in walls.items():
            times.append(median_wall(command(path if name == "all" else one, jobs), 1))
    w1, w2 = statistics.median(walls["all", 1]), statistics.median(walls["all", 2])
    wall_ratio = statistics.median(a / b for a, b in zip(walls["all", 1], walls["all", 2]))
    row_ratio = statistics.median((a - c) / (b - d) for a, b, c, d in
                                  zip(walls["all", 1], walls["all", 2], walls["one", 1], walls["one", 2]))
    outputs = [subprocess.run(command(path, j), capture_output=True, check=True).stdout for j in (1, 2)]
    out(f"CLI classify {len(sentences):,} sentences: --jobs 1 {w1:.2f} s ({len(sentences) / w1:,.0f}/s), "
        f"--jobs 2 {w2:.2f} s ({len(sentences) / w2:,.0f}/s): {wall_ratio:.2f}x wall incl. start-up, "
        f"{row_ratio:.2f}x per row (start-up on a one-line file: {statistics.median(walls['one', 1]):.2f} s / "
        f"{statistics.median(walls['one', 2]):.2f} s); outputs identical: {outputs[0] == outputs[1]}")
    out.figures.update(cli_jobs1_s=w1, cli_jobs2_s=w2, cli_wall_ratio=wall_ratio, cli_row_ratio=row_ratio,
                       cli_identical=outputs[0] == outputs[1])


def cold_start(repeats, out, tmp: Path):
    one = tmp / "one.txt"
    one.write_text("The Met said it had reviewed 1,000 claims, but critics said that was far too little.\n")
    python = median_wall([sys.executable, "-c", "pass"], repeats)
    cli = median_wall([sys.executable, "-m", "factcomment", "classify", str(one)], repeats)
    script = Path(sys.executable).with_name("factcomment")
    console = median_wall([str(script), "classify", str(one)], repeats) if script.exists() else float("nan")
    library = median_wall([sys.executable, "-c", "from factcomment import classify; classify(['One paragraph.'])"],
                          repeats)
    out(f"cold start (median of {repeats}): `factcomment classify one.txt` {console:.3f} s; "
        f"`python -m factcomment classify` {cli:.3f} s; first library classify() in a fresh interpreter "
        f"{library:.3f} s; bare `python -c pass` {python:.3f} s")
    out.figures.update(cold_cli_s=console, cold_module_s=cli, cold_library_s=library, python_s=python)


def memory(sentences, gb: float, out, tmp: Path):
    """Classify a ~``gb`` GB JSON-lines file disk to disk; peak RSS, and the output checked row by row."""
    from factcomment import classify

    path, result = tmp / "big.jsonl", tmp / "big.out.jsonl"
    target, size, rows = int(gb * 1e9), 0, 0
    with open(path, "w", encoding="utf-8") as f:
        for text in cycle(sentences):
            line = json.dumps({"id": f"r{rows}", "text": text}, ensure_ascii=False) + "\n"
            f.write(line)
            size += len(line.encode())
            rows += 1
            if size >= target:
                break
    began = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "factcomment", "classify", str(path), "-o", str(result), "-q"])
    peak_mb = _peak_rss_mb(child)
    seconds = time.perf_counter() - began
    assert child.returncode == 0, f"classify exited {child.returncode}"
    expected = [p.p_comment for p in classify(sentences)]  # the same rows, in memory
    checked = 0
    with open(result, encoding="utf-8") as f:
        for checked, (line, want) in enumerate(zip(f, cycle(expected)), start=1):
            row = json.loads(line)
            assert row["id"] == f"r{checked - 1}" and row["p_comment"] == want, f"row {checked} differs"
    out(f"memory: {size / 1e9:.2f} GB JSON lines, {rows:,} rows, disk to disk in {seconds:.1f} s "
        f"({rows / seconds:,.0f} rows/s); peak RSS {peak_mb:.0f} MB; output rows {checked:,} of {rows:,}, "
        f"all identical to the in-memory run: {checked == rows}")
    out.figures.update(memory_rows=rows, memory_peak_mb=peak_mb, memory_complete=checked == rows,
                       memory_seconds=seconds)
    path.unlink()
    result.unlink()


def _peak_rss_mb(child: subprocess.Popen) -> float:
    """The child's peak RSS, read from /proc while it runs.

    getrusage/wait4 will not do: Linux carries a process's peak over exec, so a child forked from this
    (large) benchmark process would report this process's size, not its own.
    """
    status, peak = Path(f"/proc/{child.pid}/status"), 0
    while child.poll() is None:
        try:
            if b"factcomment" in Path(f"/proc/{child.pid}/cmdline").read_bytes():  # after exec only
                for line in status.read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peak = max(peak, int(line.split()[1]))
        except OSError:
            pass
        time.sleep(0.05)
    return peak / 1024


def dask_client(sentences, repeats, out, tmp: Path):
    """How many Dask workers one `factcomment classify --dask` client can feed.

    A `dask scheduler` and a `dask worker` (2 single-threaded processes) run as separate processes, as on a
    real cluster. The client's CPU time (user + sys of the finished child) on 200,000 JSON lines, less its CPU
    on a one-line file (start-up and connecting), per row, against the wall time per row of `--jobs 1` after
    its start-up: the rate of one worker. On 2 cores the wall time of the Dask run itself says nothing.
    """
    import resource

    dask = Path(sys.executable).with_name("dask")
    try:
        from distributed import Client
    except ImportError:
        out("dask: not installed (pip install 'factcomment[dask]'), section skipped")
        return
    rows = 200_000
    path = write_jsonl(tmp / "dask.jsonl", islice(cycle(sentences), rows))
    one = write_jsonl(tmp / "dask-one.jsonl", sentences[:1])
    address_file = tmp / "scheduler.json"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    scheduler = subprocess.Popen([str(dask), "scheduler", "--scheduler-file", str(address_file), "--port", "0",
                                  "--dashboard-address", ":0"], **quiet)
    worker = None
    try:
        deadline = time.monotonic() + 60
        while not address_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        worker = subprocess.Popen([str(dask), "worker", "--scheduler-file", str(address_file), "--nworkers", "2",
                                   "--nthreads", "1"], **quiet)
        with Client(scheduler_file=str(address_file)) as client:
            client.wait_for_workers(2, timeout=60)
            address = client.scheduler.address

        def client_cpu(source: Path) -> tuple[float, bytes]:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            done = subprocess.run([sys.executable, "-m", "factcomment", "classify", str(source), "--dask", address,
                                   "-f", "jsonl", "-q"], capture_output=True, check=True)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            return after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, done.stdout

        cpu_all, cpu_one = [], []
        for _ in range(repeats):
            cpu_all.append(client_cpu(path)[0])
            cpu_one.append(client_cpu(one)[0])
        dask_output = client_cpu(path)[1]
    finally:
        for process in (worker, scheduler):
            if process is not None:
                process.terminate()
                process.wait()
    serial = [sys.executable, "-m", "factcomment", "classify", "--jobs", "1", "-f", "jsonl"]
    walls = [(median_wall(serial + [str(path)], 1), median_wall(serial + [str(one)], 1)) for _ in range(repeats)]
    worker_us = statistics.median(a - b for a, b in walls) / rows * 1e6
    client_us = statistics.median(a - b for a, b in zip(cpu_all, cpu_one)) / rows * 1e6
    identical = dask_output == subprocess.run(serial + [str(path)], capture_output=True, check=True).stdout
    out(f"dask: the client spends {client_us:.1f} us of CPU a row (start-up {statistics.median(cpu_one):.2f} s "
        f"CPU); one worker takes {worker_us:.1f} us a row, so one client feeds about {worker_us / client_us:.0f} "
        f"workers; output identical to --jobs 1: {identical}")
    out.figures.update(dask_client_us_per_row=client_us, dask_worker_us_per_row=worker_us,
                       dask_identical=identical)


def training(out, tmp: Path, data: Path):
    if not (data / SPLITS[0]).is_file():
        out("training: skipped (../shared missing)")
        return
    command = [sys.executable, "-m", "factcomment", "train", str(ROOT / "data" / "seeds.jsonl"),
               str(data / SPLITS[0]), str(data / SPLITS[1]), str(data / SPLITS[2]), "--out", str(tmp / "model"),
               "--force", "-q"]
    began = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - began
    out(f"training the shipped recipe (seeds + 3 CheckThat splits, incl. CV threshold search): {seconds:.1f} s")
    out.figures["train_s"] = seconds


class Out:
    def __init__(self):
        self.figures: dict = {}

    def __call__(self, line: str) -> None:
        print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--gb", type=float, default=1.0, help="size of the memory run's input")
    parser.add_argument("--skip", default="", help="comma-separated: ceiling,throughput,cli,cold,memory,dask,train")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    every, fit_texts, fit_labels, source = load_sentences(args.data)
    sentences = list(islice(cycle(every), 50_000))
    pool = list(islice(cycle(every), 100_000))
    paragraphs = [" ".join(pool[i * 5:i * 5 + 5]) for i in range(20_000)]
    out = Out()
    out(f"factcomment speed bench: {platform.python_version()}, {os.cpu_count()} cores, texts from {source}")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        if "ceiling" not in skip:
            machine_ceiling(args.repeats, out)
        if "throughput" not in skip:
            throughput(sentences, paragraphs, fit_texts, fit_labels, args.repeats, out)
        if "cli" not in skip:
            cli_jobs(sentences, args.repeats, out, tmp)
        if "cold" not in skip:
            cold_start(max(args.repeats, 11), out, tmp)
        if "memory" not in skip:
            memory(every, args.gb, out, tmp)
        if "dask" not in skip:
            dask_client(every, max(args.repeats // 2, 3), out, tmp)
        if "train" not in skip:
            training(out, tmp, args.data)
    if args.json:
        args.json.write_text(json.dumps(out.figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
