"""CLI commands of the co-scientist loop: run, resume, models."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the loop's commands (filled in as the loop lands)."""
