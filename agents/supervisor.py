"""The supervisor: research plan, safety screen, and the choice of the next step.

:func:`decide` is a pure function of the state and the loop settings, so the routing is unit-tested
without any LLM. The order of checks is the loop's contract: stop on budget; otherwise finish the
current round's work in order (generate or evolve -> review -> proximity -> rank -> meta-review);
then stop on rounds or convergence, else start the next round.
"""

from __future__ import annotations

import re
from typing import Literal

from langgraph.runtime import Runtime
from langgraph.types import Command

from hypoforge import prompts
from hypoforge.agents.calls import Tally
from hypoforge.agents.deps import Deps
from hypoforge.agents.models import PlanDraft, ResearchPlan
from hypoforge.agents.settings import LoopSettings
from hypoforge.agents.state import State, hypotheses

Step = Literal["generate", "evolve", "review", "proximity", "rank", "metareview", "finalize"]

# Goals that ask for harm are refused before any work starts. Deliberately conservative patterns:
# weapons, enhancing toxins or pathogens, and harming people.
_HARM_PATTERNS = [
    r"\b(bio|chemical|nerve)[- ]?(weapon|agent)s?\b",
    r"\bweaponi[sz]\w*",
    r"\b(enhanc|increas|boost|maximi[sz])\w*\b.{0,40}\b(toxicity|lethality|virulence|transmissib\w*|pathogenicity)\b",
    r"\b(toxicity|lethality|virulence|transmissib\w*|pathogenicity)\b.{0,30}\b(enhanc|increas|boost|maximi[sz])\w*",
    r"\b(toxin|pathogen|virus)\b.{0,40}\b(more (toxic|lethal|deadly|transmissible)|enhancement)\b",
    r"\bgain[- ]of[- ]function\b.{0,60}\b(pathogen|virus|influenza|coronavirus|smallpox|anthrax)\b",
    r"\b(poison|kill|harm|assassinat)\w*\b.{0,30}\b(person|people|someone|patients?|humans?)\b",
    r"\b(undetectable|untraceable)\b.{0,30}\b(poison|toxin)s?\b",
]
_HARM = [re.compile(p, re.IGNORECASE) for p in _HARM_PATTERNS]

REFUSAL = (
    "this goal asks for work that could cause serious harm (weapons, enhancing toxins or pathogens, "
    "or harming people); Hypoforge does not help with that"
)


def harmful(goal: str) -> bool:
    return any(p.search(goal) for p in _HARM)


def converged(top_history: list[list[str]], window: int = 2) -> bool:
    """Top-k unchanged (same ids, same order) over the last ``window`` + 1 rankings."""
    if len(top_history) < window + 1:
        return False
    tail = top_history[-(window + 1) :]
    return all(t == tail[0] for t in tail)


def decide(state: State, loop: LoopSettings, *, elapsed: float) -> Step:
    """The next step, from state statistics alone."""
    rnd = state.get("round", 0)
    done = state.get("done") or {}
    counts = state.get("counts") or {}
    if counts.get("llm_calls", 0) >= loop.max_llm_calls or elapsed >= loop.max_seconds:
        return "finalize"
    hs = hypotheses(state, active_only=True)
    if rnd == 0 and not done.get("generate:0"):
        return "generate"
    if rnd > 0 and not done.get(f"evolve:{rnd}"):
        return "evolve"
    if any(not h.reviews for h in hs.values()):
        return "review"
    if not done.get(f"proximity:{rnd}"):
        return "proximity"
    if not done.get(f"rank:{rnd}"):
        return "rank"
    if not done.get(f"metareview:{rnd}"):
        return "metareview"
    if rnd + 1 >= loop.rounds or converged(state.get("top_history") or []):
        return "finalize"
    return "evolve"


def stop_reason(state: State, loop: LoopSettings, *, elapsed: float) -> str:
    counts = state.get("counts") or {}
    if counts.get("llm_calls", 0) >= loop.max_llm_calls:
        return f"budget: {loop.max_llm_calls} LLM calls"
    if elapsed >= loop.max_seconds:
        return f"budget: {loop.max_seconds:.0f} s wall clock"
    if converged(state.get("top_history") or []):
        return "converged: top ranking stable"
    return f"completed {state.get('round', 0) + 1} round(s)"


def supervisor(state: State, runtime: Runtime[Deps]) -> Command[Step | Literal["__end__"]]:
    deps = runtime.context
    loop = deps.settings.loop
    if harmful(state["goal"]):
        return Command(update={"stop_reason": "refused: " + REFUSAL}, goto="__end__")
    update: dict = {}
    if not state.get("plan"):
        tally = Tally(deps, "supervisor", 0)
        draft = tally.ask(state, prompts.render("plan"), PlanDraft, keys=None, max_tokens=80)
        plan = ResearchPlan(goal=state["goal"], constraints=list(loop.constraints), focus=draft.focus)
        update = tally.update(plan=plan.model_dump(mode="json"))
        state = {**state, "plan": update["plan"]}
    elapsed = float((state.get("counts") or {}).get("seconds", 0.0))
    step = decide(state, loop, elapsed=elapsed)
    if step == "evolve" and state.get("done", {}).get(f"metareview:{state.get('round', 0)}"):
        update["round"] = state.get("round", 0) + 1
    if step == "finalize":
        update["stop_reason"] = stop_reason(state, loop, elapsed=elapsed)
    deps.emit("route", step=step, round=update.get("round", state.get("round", 0)))
    return Command(update=update, goto=step)
