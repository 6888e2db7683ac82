"""The meta-reviewer: recurring critiques each round, fed back into later prompts.

This is the co-scientist's "learning without backprop": the weaknesses that reviewers keep finding
become ``lessons`` that the generator and evolver prompts must avoid in the next round. The
deterministic checks that two or more hypotheses still fail become lessons too, first
(:func:`hypoforge.agents.quality.recurring_check_lessons`). The last
meta-review's overview is the run's research overview.
"""

from __future__ import annotations

from langgraph.runtime import Runtime

from hypoforge import prompts
from hypoforge.agents.calls import Tally
from hypoforge.agents.deps import Deps
from hypoforge.agents.drafting import record_texts
from hypoforge.agents.models import LESSON_CHARS, OVERVIEW_CHARS, MetaReviewDraft
from hypoforge.agents.quality import recurring_check_lessons, strip_bad_keys, trim_to_boundary
from hypoforge.agents.state import State, evidence, hypotheses, matches_among
from hypoforge.agents.tournament import rank


def metareview(state: State, runtime: Runtime[Deps]) -> dict:
    deps = runtime.context
    rnd = state.get("round", 0)
    tally = Tally(deps, "metareview", rnd)
    hs = hypotheses(state, active_only=True)
    reviews = []
    for h in hs.values():
        for r in h.reviews:
            if r.round == rnd:
                flag = f" Unsupported citations: {', '.join(r.unsupported)}." if r.unsupported else ""
                reviews.append(f"{h.title}: {r.weaknesses}{flag}")
    ranking = [hs[i].title for i in rank(sorted(hs), matches_among(state, hs))]
    if not reviews and not ranking:
        return tally.update(done={f"metareview:{rnd}": True})
    draft = tally.ask(state, prompts.render("metareview", reviews=reviews, ranking=ranking), MetaReviewDraft, keys=None, max_tokens=260)
    # Keys written in free text are checked like citations: a key that is not a run record, or whose
    # record does not make the claim of its sentence, is removed and counted.
    records = record_texts(evidence(state))
    # Free text that ran to its cap is trimmed back to a clause boundary, never kept mid-word.
    overview, dropped = strip_bad_keys(trim_to_boundary(draft.overview, OVERVIEW_CHARS), records)
    recurring = [strip_bad_keys(trim_to_boundary(r, LESSON_CHARS), records)[0] for r in draft.recurring]
    # The checks that several hypotheses still fail are the most reliable recurring weakness: measured,
    # not judged. They come before the meta-reviewer's own lessons and outlast them.
    measured = recurring_check_lessons([h.flags for h in hs.values()])
    older = [x for x in state.get("lessons") or [] if x not in measured]
    rest = list(dict.fromkeys([*older, *recurring]))
    keep = 6 - len(measured)
    lessons = [*measured, *(rest[-keep:] if keep > 0 else [])][:6]
    return tally.update(lessons=lessons, overview=overview, done={f"metareview:{rnd}": True},
                        counts={"text_keys_dropped": len(dropped)} if dropped else {})
