"""The evaluation plot: one PNG with the confusion matrix and the precision-recall curve."""
from __future__ import annotations

import struct

import pytest

from factcomment.errors import OutputError, UsageError
from factcomment.evaluation import score
from factcomment.plots import plot_evaluation

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
GOLD = ["report", "report", "comment", "comment", "report", "comment", "report", "report"]
P = [0.1, 0.4, 0.8, 0.35, 0.6, 0.9, 0.2, 0.05]


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize("gold, p", [(GOLD, P), (["report", "report"], [0.1, 0.7]), (["comment"], [0.9])])
def test_plot_writes_a_png(tmp_path, gold, p):
    pytest.importorskip("matplotlib", reason="matplotlib is an optional extra: pip install 'factcomment[plot]'")
    out = tmp_path / "eval.png"
    plot_evaluation(score(gold, p, 0.5), str(out))
    data = out.read_bytes()
    assert _png_size(data) == (1200, 528)  # 10 x 4.4 inches at 120 dpi
    assert len(data) > 10_000


def test_plot_into_a_missing_directory_is_an_output_error(tmp_path):
    pytest.importorskip("matplotlib", reason="matplotlib is an optional extra: pip install 'factcomment[plot]'")
    with pytest.raises(OutputError, match="cannot write the plot"):
        plot_evaluation(score(GOLD, P, 0.5), str(tmp_path / "no" / "such" / "dir.png"))


def test_plot_without_matplotlib_says_how_to_install_it(tmp_path, no_matplotlib):
    with pytest.raises(UsageError, match=r"--plot needs matplotlib: pip install 'factcomment\[plot\]'"):
        plot_evaluation(score(GOLD, P, 0.5), str(tmp_path / "x.png"))
    assert not (tmp_path / "x.png").exists()
