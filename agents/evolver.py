"""The evolver: new hypotheses from the best ones, recording their parents.

Strategies rotate by round and slot so a run explores all of them: ``refine`` (fix the reviewers'
weaknesses), ``combine`` (merge the two best), ``simplify`` and ``bolder``. Evolved hypotheses start
at the tournament's initial rating and are paired early by the ranker (new entrants).
"""

from __future__ import annotations

from hypoforge import prompts
from hypoforge.agents.calls import Tally, new_id
from hypoforge.agents.deps import Deps
from hypoforge.agents.drafting import form, profile_for, write_hypothesis
from hypoforge.agents.models import Hypothesis
from hypoforge.agents.state import State, dump, hypotheses, matches_among
from hypoforge.agents.tournament import rank
from langgraph.runtime import Runtime

STRATEGIES = ("refine", "combine", "simplify", "bolder")


def evolve_one(tally: Tally, state: State, deps: Deps, parents: list[Hypothesis], strategy: str, *, id: str, round: int) -> Hypothesis:
    """One evolved hypothesis from ``parents`` with ``strategy``, citing any evidence of the run (checked and revised)."""
    user = prompts.render(
        "evolve",
        goal=state["goal"],
        strategy=strategy,
        parents=[{"text": p.brief(), "weaknesses": "; ".join([*(r.weaknesses for r in p.reviews), *p.flags]) or "none"} for p in parents],
        lessons=state.get("lessons") or [],
        form=form(profile_for(deps)),
    )
    # A refinement or simplification may keep its parent's claim (it fixes how the claim is argued), so
    # its parent is not a twin it must move away from: proximity then keeps whichever of the two fails
    # fewer checks. Told its statement was its parent's, the refinement was rewritten whole, as a new
    # idea (bench goal 2, 2026-11-30). A combination or a bolder variant must say something new.
    own = {p.id for p in parents} if strategy in ("refine", "simplify") else set()
    others = [h for h in hypotheses(state, active_only=True).values() if h.id not in own]
    return write_hypothesis(tally, state, deps, user, keys=sorted(state.get("evidence") or {}), id=id,
                            origin=f"evolved:{strategy}", round=round, others=others, parents=[p.id for p in parents])


def evolve(state: State, runtime: Runtime[Deps]) -> dict:
    deps = runtime.context
    rnd = state.get("round", 0)
    tally = Tally(deps, "evolve", rnd)
    hs = hypotheses(state, active_only=True)
    order = rank(sorted(hs), matches_among(state, hs))
    new: dict[str, dict] = {}
    for i in range(deps.settings.loop.evolve_per_round if order else 0):
        strategy = STRATEGIES[(rnd - 1 + i) % len(STRATEGIES)]
        if strategy == "combine" and len(order) < 2:
            strategy = "refine"
        parents = [hs[order[0]], hs[order[1]]] if strategy == "combine" else [hs[order[i % len(order)]]]
        h = evolve_one(tally, state, deps, parents, strategy, id=new_id(state["run_id"], "evo", rnd, i), round=rnd)
        new[h.id] = dump(h)
        deps.emit("hypothesis", id=h.id, title=h.title)
    return tally.update(hypotheses=new, done={f"evolve:{rnd}": True})
