"""The critic: scores each new hypothesis per criterion and checks its citations.

The critic sees the passages the hypothesis cites and lists, under ``unsupported``, the keys whose
passage does not back the claim. That list is constrained to the hypothesis's own citations, and
each unsupported citation costs the hypothesis a point in its review score (see
:attr:`hypoforge.agents.models.Review.score`) and is flagged in the report. Before reviewing, the critic may request tool calls (see
:mod:`hypoforge.agents.tooluse`) whose results it sees next to the cited passages.

The critic reads the mechanism as its causal chain with each step's citation, and the deterministic
checks the hypothesis still fails (:mod:`hypoforge.agents.quality`); such a hypothesis is never
accepted: an ``accept`` verdict becomes ``revise``.
"""

from __future__ import annotations

from langgraph.runtime import Runtime

from hypoforge import prompts
from hypoforge.agents.calls import Tally
from hypoforge.agents.deps import Deps
from hypoforge.agents.drafting import record_texts
from hypoforge.agents.models import CRITERIA, REVIEW_TEXT_CHARS, Review, ReviewDraft
from hypoforge.agents.quality import strip_bad_keys, trim_to_boundary
from hypoforge.agents.state import State, dump, evidence, hypotheses
from hypoforge.agents.tooluse import request_and_run


def review(state: State, runtime: Runtime[Deps]) -> dict:
    deps = runtime.context
    rnd = state.get("round", 0)
    tally = Tally(deps, "review", rnd)
    updated: dict[str, dict] = {}
    new_evidence: dict[str, dict] = {}
    new_results: dict[str, dict] = {}
    for h in hypotheses(state, active_only=True).values():
        if h.reviews:
            continue
        # A tool request costs a call: asked only when some tool applies to the hypothesis (a
        # written-out molecule or sequence for the built-in tools).
        tool_ev, tool_results = request_and_run(tally, state, deps, f"to check the hypothesis '{h.title}'", context=h.brief())
        if tool_ev:
            state = {**state, "evidence": {**(state.get("evidence") or {}), **tool_ev}}
        new_evidence.update(tool_ev)
        new_results.update(tool_results)
        ev = evidence(state)
        records = record_texts(ev)
        cited = [ev[k] for k in h.citations if k in ev] + [ev[k] for k in tool_ev]
        draft = tally.ask(
            state,
            prompts.render("review", hypothesis=h.brief(), passages=cited, flags=h.flags),
            ReviewDraft,
            keys=h.citations,
            max_tokens=200,
        )
        r = Review(
            round=rnd,
            scores={c: getattr(draft, c) for c in CRITERIA},
            strengths=trim_to_boundary(strip_bad_keys(draft.strengths, records)[0], REVIEW_TEXT_CHARS),
            weaknesses=trim_to_boundary(strip_bad_keys(draft.weaknesses, records)[0], REVIEW_TEXT_CHARS),
            unsupported=list(dict.fromkeys(draft.unsupported)),
            # A hypothesis that still fails a deterministic check cannot be accepted as it stands.
            verdict="revise" if h.flags and draft.verdict == "accept" else draft.verdict,
        )
        updated[h.id] = dump(h.model_copy(update={"reviews": [*h.reviews, r]}))
    return tally.update(hypotheses=updated, evidence=new_evidence, tool_results=new_results)
