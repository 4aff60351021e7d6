"""Collection rules for the whole repository (tests/ and the doctests in src/factcomment)."""
from __future__ import annotations

import pytest

# Doctests that are wrong in a module another branch is rewriting: kept visible as xfail rather than
# edited under that branch's feet. Remove an entry once its example passes (pytest then reports XPASS).
KNOWN_BROKEN_DOCTESTS = {
    "factcomment.model.NBScaler": "prints numpy scalars and other values than the example says; "
                                  "model.py's NBScaler is being replaced (issue #13)",
}


def pytest_collection_modifyitems(items):
    for item in items:
        reason = KNOWN_BROKEN_DOCTESTS.get(item.name)
        if reason and type(item).__name__ == "DoctestItem":
            item.add_marker(pytest.mark.xfail(reason=reason, strict=False))
