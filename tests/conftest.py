"""Shared fixtures: the repo's own files, and small inline corpora written to tmp_path."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
SHARED_DATA = ROOT.parent / "shared" / "data" / "checkthat2025-en"


@pytest.fixture
def write(tmp_path):
    """Write ``content`` (str or bytes) to ``tmp_path/name`` and return the path as a string."""

    def _write(name: str, content: str | bytes) -> str:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return str(path)

    return _write
