"""Make a source checkout importable as the ``hypoforge`` package without installing it.

The checkout root *is* the ``hypoforge`` package (pyproject maps it with ``package-dir``). When
``python cli.py`` or the test suite runs from a checkout, this registers the root under that name so
``import hypoforge.agents`` resolves to the files being edited, never to a stale installed copy.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def ensure_checkout_package() -> None:
    """Register the checkout root as ``hypoforge`` unless that is already the case."""
    mod = sys.modules.get("hypoforge")
    if mod is not None and Path(getattr(mod, "__file__", "") or "").resolve().parent == ROOT:
        return
    spec = importlib.util.spec_from_file_location(
        "hypoforge", ROOT / "__init__.py", submodule_search_locations=[str(ROOT)]
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Drop any installed copy (and its submodules) so the checkout wins consistently.
    for name in [n for n in sys.modules if n == "hypoforge" or n.startswith("hypoforge.")]:
        del sys.modules[name]
    sys.modules["hypoforge"] = module
    spec.loader.exec_module(module)
