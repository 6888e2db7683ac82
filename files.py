"""Files, names and text from outside, shared by every layer.

* Atomic writes: reports, plans, run records, caches (anything a user or a resumed run reads) are
  written to a temporary file in the same folder and renamed into place, so a crash or a kill never
  leaves a half-written file behind. The temporary file is created private (0600) and the folders
  this module creates are private (0700): run records, checkpoints and caches can hold patient data.
* Names that become paths (run ids, chat session ids) are checked against one pattern.
* Text that reaches a report has its control characters removed.
* YAML from users is read with one safe loader that refuses alias bombs.
* Storage faults (disk full, read-only file system) are recognised in one place.
"""

from __future__ import annotations

import errno
import os
import re
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from hypoforge.errors import UserError

# ------------------------------------------------------------------ private folders and atomic writes


def private_dir(path: Path | str) -> Path:
    """Create ``path`` and any missing parents with mode 0700 (existing folders are left alone)."""
    path = Path(path)
    missing = []
    p = path
    while not p.exists():
        missing.append(p)
        if p.parent == p:
            break
        p = p.parent
    for d in reversed(missing):
        try:
            d.mkdir(mode=0o700)
        except FileExistsError:
            pass
        else:
            os.chmod(d, 0o700)  # mkdir's mode is masked by the umask; 0700 is what we mean
    if not path.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "not a directory", str(path))
    return path


def make_private(path: Path | str) -> None:
    """chmod a file we own to 0600 (a folder to 0700); missing files are ignored."""
    try:
        os.chmod(path, 0o700 if Path(path).is_dir() else 0o600)
    except FileNotFoundError:
        pass


@contextmanager
def atomic_writer(path: Path | str, mode: str = "w") -> Iterator[IO]:
    """Open a temporary file beside ``path``; on success it replaces ``path``, on error it is removed."""
    path = Path(path)
    private_dir(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)  # mode 0600
    try:
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as fh:
            yield fh
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_atomic(path: Path | str, data: str | bytes) -> None:
    """Write text or bytes to ``path`` atomically (a new file is private: 0600)."""
    with atomic_writer(path, "wb" if isinstance(data, bytes) else "w") as fh:
        fh.write(data)


# ------------------------------------------------------------------ names that become paths

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,159}$")
"""Run ids, chat session ids: letters, digits, '.', '_', '-'; no separators, so never a path."""


def check_name(value: str, what: str, hint: str) -> str:
    """``value`` if it is a valid id (see :data:`NAME_RE`), else a one-line UserError."""
    if not isinstance(value, str) or not NAME_RE.match(value):
        raise UserError(f"invalid {what} {value!r}: use letters, digits, '.', '_' or '-' ({hint})")
    return value


# ------------------------------------------------------------------ text

_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def strip_controls(text: str) -> str:
    """``text`` without control characters (C0 but tab and newline, DEL, C1): they would reach reports."""
    return _CONTROLS.sub("", text)


# ------------------------------------------------------------------ YAML

MAX_YAML_BYTES = 1_000_000
MAX_YAML_NODES = 100_000


def load_yaml(text: str, where: str) -> tuple[Any, Any]:
    """Parse YAML safely: ``(data, node tree)``; every problem is a one-line UserError naming ``where``.

    The safe loader refuses ``!!python`` tags; on top of it, the document may hold at most
    :data:`MAX_YAML_NODES` nodes *after alias expansion* (a "billion laughs" bomb of nested aliases
    is refused before it is built) and at most :data:`MAX_YAML_BYTES` of text.
    """
    import yaml

    if len(text) > MAX_YAML_BYTES:
        raise UserError(f"{where}: the YAML file is {len(text):,} characters; the limit is {MAX_YAML_BYTES:,}")
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            _check_expansion(node, where)
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        at = f"{where}:{mark.line + 1}:{mark.column + 1}" if mark else where
        problem = exc.problem or exc.context or "cannot parse"
        if isinstance(exc, yaml.constructor.ConstructorError):
            raise UserError(f"{at}: invalid YAML: {problem}; only plain YAML values are read (no !!python or other tags)") from None
        raise UserError(f"{at}: invalid YAML: {problem}; fix the syntax at that position") from None
    except yaml.YAMLError as exc:
        raise UserError(f"{where}: invalid YAML: {str(exc).splitlines()[0]}") from None
    finally:
        loader.dispose()
    return data, node


def _check_expansion(root: Any, where: str) -> None:
    """Refuse a node tree whose alias-expanded size exceeds :data:`MAX_YAML_NODES` (sizes memoised per node)."""
    import yaml

    sizes: dict[int, int] = {}
    # iterative post-order walk; an alias is the same node object, so its size is counted again
    stack: list[tuple[Any, bool]] = [(root, False)]
    active: set[int] = set()
    while stack:
        node, done = stack.pop()
        key = id(node)
        if key in sizes:
            continue
        children = []
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [x for kv in node.value for x in kv]
        if not done:
            if key in active:  # a recursive structure (an alias to its own ancestor)
                raise UserError(f"{where}: the YAML refers to itself through an alias; write the value out")
            active.add(key)
            stack.append((node, True))
            stack.extend((c, False) for c in children if id(c) not in sizes)
            continue
        active.discard(key)
        total = 1 + sum(sizes[id(c)] for c in children)
        if total > MAX_YAML_NODES:
            raise UserError(f"{where}: the YAML expands to more than {MAX_YAML_NODES:,} values (nested aliases?); write it out without '*' aliases")
        sizes[key] = total


# ------------------------------------------------------------------ storage faults

_FULL = ("database or disk is full", "disk i/o error", "attempt to write a readonly database", "unable to open database file")


def storage_fault(exc: BaseException) -> str | None:
    """A short cause when ``exc`` is the disk being full or read-only (else None)."""
    where = f" (writing {exc.filename})" if isinstance(exc, OSError) and exc.filename else ""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"no space left on the device{where}"
    if isinstance(exc, OSError) and exc.errno == errno.EROFS:
        return f"the file system is read-only{where}"
    if isinstance(exc, sqlite3.OperationalError):
        msg = str(exc).lower()
        if any(s in msg for s in _FULL):
            return f"the checkpoint database could not be written ({exc})"
    cause = exc.__cause__ or exc.__context__
    return storage_fault(cause) if cause is not None and cause is not exc else None
