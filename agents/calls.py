"""Small helpers shared by the agent nodes: the shared system prompt, LLM calls with tallies."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel

from hypoforge import prompts
from hypoforge.agents.deps import Deps
from hypoforge.agents.state import State, evidence, plan

T = TypeVar("T", bound=BaseModel)


def system_prompt(state: State) -> str:
    """The stable prefix every call shares (goal, plan, evidence lines): llama.cpp reuses its KV cache."""
    p = plan(state)
    ev = sorted(evidence(state).values(), key=lambda e: e.key)
    return prompts.render(
        "system",
        goal=state["goal"],
        constraints=p.constraints if p else [],
        focus=p.focus if p else [],
        evidence=ev,
    )


class Tally:
    """Counts LLM calls and wall time of one node, for budgets and the overhead benchmark."""

    def __init__(self, deps: Deps, node: str, round: int) -> None:
        self.deps, self.node, self.round = deps, node, round
        self.calls = 0
        self.llm_seconds_before = deps.llm.stats.seconds
        self.t0 = time.perf_counter()
        deps.emit("node_start", node=node, round=round)

    def ask(self, state: State, user: str, schema: type[T], *, keys: Sequence[str] | None, max_tokens: int, sample: int = 0) -> T:
        """One structured call; ``sample`` > 0 asks for another sample of the same prompt (a new seed, warmer)."""
        messages = [{"role": "system", "content": system_prompt(state)}, {"role": "user", "content": user}]
        self.calls += 1
        self.deps.emit("llm_call", node=self.node, schema=schema.__name__)
        return self.deps.llm.structured(messages, schema, keys=keys, max_tokens=max_tokens, sample=sample)

    def update(self, **extra: Any) -> dict[str, Any]:
        seconds = time.perf_counter() - self.t0
        llm_seconds = self.deps.llm.stats.seconds - self.llm_seconds_before
        self.deps.emit("node_end", node=self.node, round=self.round, calls=self.calls, seconds=seconds)
        counts = {"llm_calls": self.calls, f"calls_{self.node}": self.calls, "seconds": seconds, "llm_seconds": llm_seconds}
        counts.update(extra.pop("counts", None) or {})
        return {
            "counts": counts,
            "history": [{"node": self.node, "round": self.round, "calls": self.calls, "seconds": round(seconds, 3)}],
            **extra,
        }


def new_id(run_id: str, *parts: Any) -> str:
    """Deterministic hypothesis id from the run and its position, so a resumed run reproduces it."""
    digest = hashlib.sha256("|".join(map(str, (run_id, *parts))).encode()).hexdigest()[:8]
    return f"H{digest}"
