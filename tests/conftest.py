"""Test bootstrap: import ``hypoforge`` from this checkout, and locate the shared data folder."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("_hypoforge_bootstrap", ROOT / "_bootstrap.py")
assert _spec is not None and _spec.loader is not None
_boot = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_boot)
_boot.ensure_checkout_package()


def shared_data_dir() -> Path | None:
    """The read-only data folder: $HYPOFORGE_SHARED_DATA, else ../shared/data beside the checkout."""
    env = os.environ.get("HYPOFORGE_SHARED_DATA")
    path = Path(env) if env else ROOT.parent / "shared" / "data"
    return path if path.is_dir() else None


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = shared_data_dir()
    if path is None:
        pytest.skip("shared data folder absent (set HYPOFORGE_SHARED_DATA or clone beside ../shared/data)")
    return path
