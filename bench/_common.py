"""Shared bench plumbing: import hypoforge from this checkout and print the closing JSON line."""

from __future__ import annotations

import importlib.util
import json
import os
import platform
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def bootstrap() -> None:
    spec = importlib.util.spec_from_file_location("_hypoforge_bootstrap", ROOT / "_bootstrap.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.ensure_checkout_package()


def shared_data() -> Path:
    return Path(os.environ.get("HYPOFORGE_SHARED_DATA", ROOT.parent / "shared" / "data"))


def machine() -> str:
    return f"{platform.machine()} {os.cpu_count()} cores, {platform.python_implementation()} {platform.python_version()}"


def result(name: str, value: float, baseline: float, unit: str, target: str, met: bool, **extra: Any) -> None:
    """Print the one JSON line every benchmark ends with."""
    ratio = value / baseline if baseline else float("inf")
    line = {"name": name, "value": round(value, 4), "baseline": round(baseline, 4), "ratio": round(ratio, 3), "unit": unit,
            "target": target, "met": bool(met), "machine": machine(), "date": time.strftime("%Y-%m-%d"), **extra}
    print(json.dumps(line))
