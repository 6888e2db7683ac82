"""Prompt templates: Markdown files in this package, rendered with strict Jinja2.

Strict means a variable the template uses but the caller did not pass raises an error (and fails a
test), instead of silently rendering as an empty string. Templates load through
``importlib.resources``, so they work from an installed wheel as well as from a checkout.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any


@lru_cache(maxsize=1)
def _env() -> Any:
    import jinja2

    return jinja2.Environment(
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@lru_cache(maxsize=64)
def source(name: str) -> str:
    """The raw text of prompt ``name`` (without the .md suffix)."""
    path = resources.files(__name__) / f"{name}.md"
    return path.read_text(encoding="utf-8")


def names() -> list[str]:
    return sorted(p.name[:-3] for p in resources.files(__name__).iterdir() if p.name.endswith(".md"))


def variables(name: str) -> set[str]:
    """Variables a template needs (for tests and for helpful errors)."""
    from jinja2 import meta

    return set(meta.find_undeclared_variables(_env().parse(source(name))))


@lru_cache(maxsize=64)
def _template(name: str) -> Any:
    return _env().from_string(source(name))


def render(name: str, **values: Any) -> str:
    """Render prompt ``name``; a missing variable raises ``jinja2.UndefinedError``."""
    return _template(name).render(**values).strip()
