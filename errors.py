"""User-facing errors.

Raise :class:`UserError` for anything the user can fix (bad input, missing file, unknown name). The
CLI prints its message as one line (what was wrong, where, what to do) and exits with code 2; it
never shows a traceback for these.
"""

from __future__ import annotations


class UserError(Exception):
    """A mistake in the user's input or environment, reported as one line with exit code 2."""

    exit_code = 2

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(" ".join(message.split()))
        if exit_code is not None:
            self.exit_code = exit_code


class NotFound(UserError):
    """A looked-up item (record key, run id) does not exist: exit code 1."""

    exit_code = 1
