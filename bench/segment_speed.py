"""Time ``split_document`` on growing inputs so that linear scaling is visible.

Run from the repo root: ``PYTHONPATH=src python bench/segment_speed.py`` (``--quick`` skips the pathological
5 MB inputs). Each figure is the median of three runs; MB means 10**6 characters.
"""
from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from factcomment.segment import split_document

ROOT = Path(__file__).resolve().parents[1]
SIZES_MB = (1.0, 2.5, 5.0)


def _fill(unit_text: str, size: int) -> str:
    return (unit_text * (size // len(unit_text) + 1))[:size]


def _median_seconds(text: str, unit: str, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        split_document(text, unit=unit)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only the realistic single-line inputs")
    args = parser.parse_args()
    report = (ROOT / "seeds" / "002_ff69a33de5c09e39.txt").read_text(encoding="utf-8").strip() + " "
    cases = [(f"single line {mb:g} MB", _fill(report, int(mb * 1e6))) for mb in SIZES_MB]
    if not args.quick:
        lines = (ROOT / "seeds" / "000_a373fa732a2b7b85.txt").read_text(encoding="utf-8").strip() + "\n"
        cases += [(f"{name} 5 MB", _fill(piece, 5_000_000)) for name, piece in [
            ("seed 000 lines", lines), ("'.'", "."), ("'Mr. '", "Mr. "), ("spaces", " "),
            ("'a\\n'", "a\n"), ("'. '", ". "), ("'\\r\\n\\r\\nComment: x'", "\r\n\r\nComment: x"),
        ]]
    print(f"{'input':<32}{'unit':<11}{'seconds':>9}{'MB/s':>9}")
    for name, text in cases:
        for unit in ("paragraph", "sentence"):
            seconds = _median_seconds(text, unit)
            print(f"{name:<32}{unit:<11}{seconds:>9.3f}{len(text) / 1e6 / seconds:>9.1f}")


if __name__ == "__main__":
    main()
