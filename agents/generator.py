"""The generator: retrieve literature, read it, then propose hypotheses that cite it.

Evidence first (as PaperQA2 does with per-chunk summaries): one call writes a one-line reading of
each retrieved passage; those lines become part of the shared system prompt, and each hypothesis is
composed from them, anchored on a different retrieved record so the ideas differ and stay grounded. Citation keys are constrained to the retrieved records, so an unretrieved
citation cannot be generated.
"""

from __future__ import annotations

from langgraph.runtime import Runtime

from hypoforge import prompts
from hypoforge.agents.common import Tally, new_id
from hypoforge.agents.deps import Deps
from hypoforge.agents.models import Evidence, EvidenceNotes, Hypothesis, HypothesisDraft
from hypoforge.agents.state import State, dump, hypotheses, plan
from hypoforge.agents.tooluse import request_and_run

PASSAGE_CHARS = 700


def retrieve(state: State, deps: Deps) -> list[Evidence]:
    """Passages for the goal and the plan's focus areas, one per record, best first."""
    k = deps.settings.index.k
    p = plan(state)
    queries = [state["goal"]] + [f"{state['goal']} {f}" for f in (p.focus if p else [])[:2]]
    seen: dict[str, Evidence] = {}
    for q in queries:
        for passage in deps.retriever.search(q, k=k):
            if passage.key not in seen and len(seen) < k:
                seen[passage.key] = Evidence(
                    key=passage.key, pmid=passage.pmid, title=passage.title, year=passage.year, passage=passage.text[:PASSAGE_CHARS]
                )
    return list(seen.values())


def generate(state: State, runtime: Runtime[Deps]) -> dict:
    deps = runtime.context
    rnd = state.get("round", 0)
    tally = Tally(deps, "generate", rnd)
    found = retrieve(state, deps)
    if not found:
        return tally.update(done={f"generate:{rnd}": True}, stop_reason="no evidence: the index returned nothing for this goal")
    keys = [e.key for e in found]
    notes = tally.ask(
        state,
        prompts.render("evidence", passages=[{"key": e.key, "title": e.title, "text": e.passage} for e in found]),
        EvidenceNotes,
        keys=keys,
        max_tokens=60 * len(found),
    )
    bearing = {n.key: n.bearing for n in notes.notes}
    ev = {e.key: e.model_copy(update={"bearing": bearing.get(e.key, "")}).model_dump(mode="json") for e in found}
    state = {**state, "evidence": {**(state.get("evidence") or {}), **ev}}
    tool_ev, tool_results = request_and_run(tally, state, deps, "to ground new hypotheses")
    ev.update(tool_ev)
    state = {**state, "evidence": {**state["evidence"], **tool_ev}}
    keys = sorted(state["evidence"])

    existing = [h.title for h in hypotheses(state, active_only=True).values()]
    anchors = [Evidence.model_validate(ev[e.key]) for e in found] + [Evidence.model_validate(v) for v in tool_ev.values()]
    new: dict[str, dict] = {}
    for i in range(deps.settings.loop.hypotheses):
        # Each hypothesis starts from a different retrieved record (best first), which grounds it
        # and keeps a small model from writing the same idea several times.
        anchor = anchors[i % len(anchors)]
        draft = tally.ask(
            state,
            prompts.render("generate", anchor=anchor, existing=existing, lessons=state.get("lessons") or []),
            HypothesisDraft,
            keys=keys,
            max_tokens=420,
        )
        h = Hypothesis.from_draft(draft, id=new_id(state["run_id"], "gen", rnd, i), origin="generated", round=rnd)
        new[h.id] = dump(h)
        existing.append(h.title)
        deps.emit("hypothesis", id=h.id, title=h.title)
    return tally.update(evidence=ev, tool_results=tool_results, hypotheses=new, done={f"generate:{rnd}": True})
