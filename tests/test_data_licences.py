"""No sentence of the licensed corpora (CheckThat, CC BY-NC-SA 4.0; Wikinews, CC BY 2.5) is committed.

They are read from ../shared at training and benchmark time only; a bench result that printed a sentence, or a
test corpus pasted from them, would copy them into the repository. Skipped where ../shared is absent.
"""
from __future__ import annotations

import csv
import subprocess

import pytest

from conftest import ROOT, SHARED_DATA

WIKINEWS = SHARED_DATA.parent / "wikinews-en"
# A copied passage of 2 * WINDOW - 1 characters or more holds a whole window of one of the sentences; so does
# every whole sentence of WINDOW characters or more (its first window). 40 characters of news are not shared by
# chance (none of the 4.6 million characters committed when this was written matched).
WINDOW = 40


def _sentences() -> list[str]:
    sentences = []
    for path in sorted(SHARED_DATA.glob("*.tsv")):
        with open(path, encoding="utf-8", newline="") as handle:
            sentences += [row["sentence"] for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)]
    for path in sorted(WIKINEWS.glob("*.sentences.txt")):
        sentences += path.read_text(encoding="utf-8").splitlines()
    return sentences


def _committed_text_files() -> list[str]:
    try:
        listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        pytest.skip("needs git and a clone of the repository")
    return [name for name in listed.stdout.decode("utf-8", "surrogateescape").split("\0") if name]


@pytest.mark.slow
@pytest.mark.skipif(not SHARED_DATA.is_dir() or not WIKINEWS.is_dir(), reason="needs ../shared/data")
def test_no_sentence_of_the_licensed_corpora_is_committed():
    windows = {s[i:i + WINDOW] for s in _sentences() for i in range(0, len(s) - WINDOW + 1, WINDOW)}
    assert len(windows) > 100_000  # the corpora were read
    copied = []
    for name in _committed_text_files():
        try:
            text = (ROOT / name).read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue  # binary: images, the ONNX model, the joblib Pipeline
        at = next((i for i in range(len(text) - WINDOW + 1) if text[i:i + WINDOW] in windows), None)
        if at is not None:
            copied.append(f"{name}:{text.count(chr(10), 0, at) + 1}")
    assert copied == [], "licensed sentences committed (CheckThat or Wikinews): " + ", ".join(copied)
