"""Collection rules for the whole repository (tests/ and the doctests in src/factcomment)."""
from __future__ import annotations

import pytest

# Doctests that are wrong in a module another branch is rewriting: kept visible as xfail rather than
# edited under that branch's feet. Remove an entry once its example passes (pytest then reports XPASS).
KNOWN_BROKEN_DOCTESTS = {
    "factcomment.model.NBScaler": "prints numpy scalars and other values than the example says; "
                                  "model.py's NBScaler is being replaced (issue #13)",
}


# Test modules that fine-tune or run the accurate tier's encoder: every test in them is slow. They belong to
# the accurate tier's branch, so the marker is applied here rather than edited into them.
SLOW_MODULES = {"test_encoder.py", "test_encoder_training.py"}


def pytest_collection_modifyitems(items):
    for item in items:
        if item.path.name in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)
        reason = KNOWN_BROKEN_DOCTESTS.get(item.name)
        if reason and type(item).__name__ == "DoctestItem":
            item.add_marker(pytest.mark.xfail(reason=reason, strict=False))
