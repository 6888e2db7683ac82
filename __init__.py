"""Hypoforge: an offline-capable AI co-scientist for biomedicine.

The repository's top-level folders (``agents/``, ``tools/``, ``knowledge/``, ``prompts/``) and
``cli.py`` are installed under this single ``hypoforge`` namespace (see ``pyproject.toml``'s
package-dir mapping), so an installation never adds generic top-level modules such as ``agents``.
"""

__version__ = "0.1.0"
