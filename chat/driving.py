"""Runs driven from the chat: start, resume after Ctrl-C, and continue with more rounds.

What ``/run [ROUNDS]`` does, in order of precedence:

1. **No run yet**: start a new run for the session's goal with ``ROUNDS`` rounds (default: the
   settings' ``loop.rounds``). The run id is saved in the session *before* the run starts, so a
   Ctrl-C or a crash still leaves the session pointing at its checkpoints.
2. **The run was interrupted** (its ``run.json`` status is not ``complete``): resume it from its
   last checkpoint with its recorded settings, exactly like ``hypoforge resume``.
3. **The run is complete**: continue the *same* tournament for ``ROUNDS`` more rounds (default 1).
   The checkpointed thread is re-entered with ``stop_reason`` cleared and ``loop.rounds`` raised
   to rounds-done + ROUNDS; the supervisor then evolves, reviews, ranks and meta-reviews as in
   any later round. Each continuation gets a fresh budget (``max_llm_calls`` and ``max_seconds``
   are added on top of what was already spent). The supervisor may still stop at once if the
   top ranking has converged; the report's ``stop_reason`` says so.

The state of a run is read from (and, for ``/evolve`` and ``/debate``, written to) the same
LangGraph SQLite checkpoints the loop uses, through :mod:`hypoforge.agents.run` (the one owner of
a run's stored state), so ``hypoforge resume`` and the chat agree.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

from hypoforge.agents.deps import Deps
from hypoforge.agents.report import Report, build_report
from hypoforge.agents.run import RunResult, continue_run, load_run, new_run_id, read_state, resume_run, start_run
from hypoforge.agents.settings import Settings
from hypoforge.chat.session import ChatSession
from hypoforge.errors import UserError

How = Literal["started", "resumed", "continued"]


def snapshot(settings: Settings, run_id: str, deps: Deps) -> Report | None:
    """A report built from the checkpoint as it stands (also for an interrupted run)."""
    state = read_state(settings, run_id)
    if not state or "goal" not in state or "run_id" not in state:
        return None
    return build_report(state, retriever=deps.retriever, model=deps.llm.name, llm_stats=deps.llm.stats.as_dict())


def with_loop(settings: Settings, **loop: Any) -> Settings:
    return settings.model_copy(update={"loop": settings.loop.model_copy(update=loop)})


def drive(session: ChatSession, settings: Settings, deps: Deps, rounds: int | None) -> tuple[How, RunResult]:
    """Start, resume or continue the session's run (see the module docstring)."""
    if rounds is not None and not 1 <= rounds <= 50:
        raise UserError(f"/run {rounds}: rounds must be between 1 and 50")
    if not session.goal:
        raise UserError("no research goal yet: type one, or use /goal TEXT, then /run")
    if session.run_id is None:
        s = with_loop(settings, rounds=rounds or settings.loop.rounds)
        session.run_id = new_run_id()
        session.save(settings)
        return "started", start_run(session.goal, s, dataclasses.replace(deps, settings=s), run_id=session.run_id)

    meta = load_run(settings, session.run_id)
    recorded = Settings.model_validate(meta["settings"])
    recorded.data_dir = settings.data_dir
    if meta.get("status") != "complete":
        return "resumed", resume_run(session.run_id, recorded, dataclasses.replace(deps, settings=recorded))

    state = read_state(settings, session.run_id) or {}
    counts = state.get("counts") or {}
    done_rounds = int(state.get("round", 0)) + 1
    s = with_loop(
        recorded,
        rounds=min(done_rounds + (rounds or 1), 50),
        max_llm_calls=int(counts.get("llm_calls", 0)) + settings.loop.max_llm_calls,
        max_seconds=float(counts.get("seconds", 0.0)) + settings.loop.max_seconds,
    )
    if s.loop.rounds <= done_rounds:
        raise UserError(f"run {session.run_id} already has {done_rounds} rounds, the most one run may have; set a new /goal to start another")
    return "continued", continue_run(session.run_id, s, dataclasses.replace(deps, settings=s))
