"""Shared fixtures: the corpus lives in ``shared/``, a sibling of the repository folder."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The ``shared/`` folder next to the repository (CI clones the repo beside it)."""
    path = Path(__file__).resolve().parents[1].parent / "shared"
    if not path.is_dir():
        pytest.skip(f"shared folder not found at {path}")
    return path
