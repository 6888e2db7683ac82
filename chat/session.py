"""The chat session: everything needed to pick a conversation up again, as one JSON file.

A session lives at ``<data dir>/chat/<id>.json`` and is rewritten atomically after every command,
so a crash or a kill never leaves a half-written file and loses at most the command in flight.
It holds the goal, the run it drives (the run itself is checkpointed by the loop, not here), the
latest report as JSON (so ``/ranking`` works instantly after ``--resume`` without opening the
checkpoint), the settings the session was started with, and the transcript.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hypoforge.files import check_name, write_atomic
from hypoforge.agents.settings import Settings
from hypoforge.errors import NotFound, UserError


class Turn(BaseModel):
    """One line of the transcript: what the user typed, or a short summary of the reply."""

    role: Literal["user", "assistant"]
    text: str
    at: float = Field(default_factory=time.time)


class Critique(BaseModel):
    """A review requested with ``/critique``: kept in the session, not in the run's tournament."""

    proposal_id: str
    title: str
    review: dict[str, Any]
    at: float = Field(default_factory=time.time)


class ChatSession(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    created: float = Field(default_factory=time.time)
    updated: float = Field(default_factory=time.time)
    goal: str | None = None
    run_id: str | None = Field(None, description="The loop run this session drives (thread id of its checkpoints).")
    settings: dict[str, Any] = Field(default_factory=dict, description="Settings the session runs with (JSON).")
    report: dict[str, Any] | None = Field(None, description="The latest report of the run (hypoforge.agents.report.Report JSON).")
    critiques: list[Critique] = Field(default_factory=list)
    turns: list[Turn] = Field(default_factory=list)

    # ------------------------------------------------------------------ persistence

    @staticmethod
    def directory(settings: Settings) -> Path:
        return settings.resolved_data_dir() / "chat"

    @staticmethod
    def path_for(settings: Settings, session_id: str) -> Path:
        check_name(session_id, "session id", "see 'hypoforge chat --list'")
        return ChatSession.directory(settings) / f"{session_id}.json"

    @classmethod
    def new(cls, settings: Settings, *, session_id: str | None = None) -> ChatSession:
        sid = session_id or time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(2)
        cls.path_for(settings, sid)  # validates the id
        return cls(id=sid, settings=settings.model_dump(mode="json"))

    @classmethod
    def load(cls, settings: Settings, session_id: str) -> ChatSession:
        path = cls.path_for(settings, session_id)
        if not path.is_file():
            raise NotFound(f"no chat session {session_id!r} under {path.parent}; list sessions with 'hypoforge chat --list'")
        try:
            return cls.model_validate_json(path.read_text("utf-8"))
        except (ValidationError, ValueError) as exc:
            raise UserError(f"chat session file {path} is damaged ({str(exc).splitlines()[0]}); start a new session") from exc

    def save(self, settings: Settings) -> Path:
        """Atomically rewrite the session file (temp file + rename)."""
        self.updated = time.time()
        path = self.path_for(settings, self.id)
        write_atomic(path, self.model_dump_json(indent=2) + "\n")
        return path

    @classmethod
    def all(cls, settings: Settings) -> list[ChatSession]:
        out = []
        d = cls.directory(settings)
        for p in sorted(d.glob("*.json")) if d.is_dir() else []:
            try:
                out.append(cls.model_validate_json(p.read_text("utf-8")))
            except (ValidationError, ValueError, OSError):
                continue
        return out

    def say(self, role: Literal["user", "assistant"], text: str) -> None:
        self.turns.append(Turn(role=role, text=text))
