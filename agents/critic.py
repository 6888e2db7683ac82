"""The critic: scores each new hypothesis per criterion and checks its citations.

The critic sees the passages the hypothesis cites and lists, under ``unsupported``, the keys whose
passage does not back the claim. That list is constrained to the hypothesis's own citations, and
each unsupported citation costs the hypothesis a point in its review score (see
:attr:`hypoforge.agents.models.Review.score`) and is flagged in the report.
"""

from __future__ import annotations

from langgraph.runtime import Runtime

from hypoforge import prompts
from hypoforge.agents.common import Tally
from hypoforge.agents.deps import Deps
from hypoforge.agents.models import CRITERIA, Review, ReviewDraft
from hypoforge.agents.state import State, dump, evidence, hypotheses


def review(state: State, runtime: Runtime[Deps]) -> dict:
    deps = runtime.context
    rnd = state.get("round", 0)
    tally = Tally(deps, "review", rnd)
    ev = evidence(state)
    updated: dict[str, dict] = {}
    for h in hypotheses(state, active_only=True).values():
        if h.reviews:
            continue
        cited = [ev[k] for k in h.citations if k in ev]
        draft = tally.ask(
            state,
            prompts.render("review", hypothesis=h.brief(), passages=cited),
            ReviewDraft,
            keys=h.citations,
            max_tokens=200,
        )
        r = Review(
            round=rnd,
            scores={c: getattr(draft, c) for c in CRITERIA},
            strengths=draft.strengths,
            weaknesses=draft.weaknesses,
            unsupported=list(dict.fromkeys(draft.unsupported)),
            verdict=draft.verdict,
        )
        updated[h.id] = dump(h.model_copy(update={"reviews": [*h.reviews, r]}))
    return tally.update(hypotheses=updated)
