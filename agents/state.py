"""Graph state and reducers.

The state holds only JSON-clean values (dicts, lists, strings, numbers), so LangGraph's SQLite
checkpoints are portable and a resumed run sees exactly what the killed run had committed. Typed
access goes through the helpers at the bottom (``hypotheses(state)`` etc.).

Reducers: dict-valued channels merge by key (a node returns only what it changed), list channels
append. Everything else is last-write-wins.
"""

from __future__ import annotations

import operator
from collections.abc import Container
from typing import Annotated, Any, TypedDict

from hypoforge.agents.models import Evidence, Hypothesis, ResearchPlan
from hypoforge.agents.tournament import Match


def merge_dicts(left: dict[str, Any] | None, right: dict[str, Any] | None) -> dict[str, Any]:
    out = dict(left or {})
    out.update(right or {})
    return out


def add_counts(left: dict[str, float] | None, right: dict[str, float] | None) -> dict[str, float]:
    out = dict(left or {})
    for k, v in (right or {}).items():
        out[k] = out.get(k, 0) + v
    return out


class State(TypedDict, total=False):
    goal: str
    run_id: str
    plan: dict[str, Any] | None
    evidence: Annotated[dict[str, dict[str, Any]], merge_dicts]
    hypotheses: Annotated[dict[str, dict[str, Any]], merge_dicts]
    tool_results: Annotated[dict[str, dict[str, Any]], merge_dicts]  # evidence id -> ToolResult (provenance)
    matches: Annotated[list[dict[str, Any]], operator.add]
    similarity: dict[str, float]  # "idA|idB" -> cosine similarity, from the proximity step
    lessons: list[str]  # recurring critiques from the meta-review, fed into later prompts
    overview: str
    round: int
    done: Annotated[dict[str, bool], merge_dicts]  # "<step>:<round>" -> completed
    counts: Annotated[dict[str, float], add_counts]  # llm_calls, seconds, per-node calls
    history: Annotated[list[dict[str, Any]], operator.add]  # step log: node, round, seconds, calls
    top_history: Annotated[list[list[str]], operator.add]  # top-k ids after each ranking
    stop_reason: str | None
    notes: Annotated[list[str], operator.add]  # what the report should tell the reader (e.g. fewer hypotheses, and why)


def hypotheses(state: State, *, active_only: bool = False) -> dict[str, Hypothesis]:
    hs = {k: Hypothesis.model_validate(v) for k, v in (state.get("hypotheses") or {}).items()}
    return {k: h for k, h in hs.items() if h.active} if active_only else hs


def matches_among(state: State, ids: Container[str]) -> list[Match]:
    """The recorded matches whose two hypotheses are both in ``ids`` (e.g. the active ones)."""
    return [Match.model_validate(m) for m in state.get("matches") or [] if m["a"] in ids and m["b"] in ids]


def evidence(state: State) -> dict[str, Evidence]:
    return {k: Evidence.model_validate(v) for k, v in (state.get("evidence") or {}).items()}


def plan(state: State) -> ResearchPlan | None:
    p = state.get("plan")
    return ResearchPlan.model_validate(p) if p else None


def dump(h: Hypothesis) -> dict[str, Any]:
    return h.model_dump(mode="json")
