"""The meta-reviewer: recurring critiques each round, fed back into later prompts, and the overview.

This is the co-scientist's "learning without backprop": the weaknesses that reviewers keep finding
become ``lessons`` that the generator and evolver prompts must avoid in the next round. The
deterministic checks that two or more hypotheses still fail become lessons first
(:func:`hypoforge.agents.quality.recurring_check_lessons`); then the weaknesses the meta-reviewer
picks from a fixed menu (:data:`hypoforge.agents.models.WEAKNESSES`), each with its written lesson.

The last meta-review's overview is the run's research overview. It names the most promising
hypothesis of the run (the model picks its number among those that pass every check; when none
does, it is the one the report ranks first), says why and what experiment would test it first: an overview built on a
hypothesis of the run cannot praise an off-goal study, as the free-text overview did.
"""

from __future__ import annotations

from langgraph.runtime import Runtime

from hypoforge import prompts
from hypoforge.agents.calls import Tally
from hypoforge.agents.deps import Deps
from hypoforge.agents.drafting import profile_for, record_texts
from hypoforge.agents.models import WEAKNESSES, Hypothesis, metareview_schema
from hypoforge.agents.quality import (checks_failed, complete, foreign_title_terms, recurring_check_lessons, strip_bad_keys,
                                      trim_to_boundary)
from hypoforge.agents.state import State, evidence, hypotheses, matches_among
from hypoforge.agents.tournament import rank


def sentence(text: str) -> str:
    """``text`` as a sentence: trimmed, capitalised, ending with a full stop."""
    t = " ".join(text.split()).rstrip(",;: ")
    if not t:
        return ""
    t = t[:1].upper() + t[1:]
    return t if t[-1] in ".!?" else t + "."


def whole(text: str, cap: int) -> str:
    """``text`` trimmed back to a clause boundary if it ran to ``cap``; empty if that still leaves it
    cut ("... despite the."): the overview says less rather than store a cut sentence."""
    t = trim_to_boundary(" ".join(text.split()), cap, last_word=False)
    return t if t and not complete("text", t.rstrip("."), None) else ""


def about_lead(text: str, lead: Hypothesis, goal: str) -> str:
    """``text``, or nothing when it names gene, allele or marker symbols that neither the lead
    hypothesis nor the goal names: the demo at dc81ad5 (2026-12-02) led with an RFC1 G80A hypothesis
    and said it focused "on the MTHFR gene", then proposed a study of "the MTHFR C677T polymorphism"."""
    body = " ".join([goal, lead.title, lead.statement, *(s.claim for s in lead.chain), *lead.predictions])
    return "" if foreign_title_terms(text, body) else text


def overview_text(lead: Hypothesis, why: str, next_step: str, *, flagged: bool) -> str:
    """The research overview: the most promising hypothesis, why, and the first experiment."""
    head = f"Most promising: {lead.title}."
    if flagged:
        head += " (No hypothesis passes every automatic check yet; this one is marked in the report.)"
    return " ".join(x for x in (head, sentence(why), f"Next step: {sentence(next_step)}" if sentence(next_step) else "") if x)


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
    ranked = rank(sorted(hs), matches_among(state, hs))
    if not ranked:
        return tally.update(done={f"metareview:{rnd}": True})
    # The lead is chosen among the hypotheses that pass every check. When none does, it is the one
    # the report ranks first (fewest failed checks, then rating): the model's pick among flagged
    # ones had gone to a proposal failing more checks.
    candidates = [hs[i] for i in ranked if not hs[i].flags][:5] or [
        min((hs[i] for i in ranked), key=lambda h: checks_failed(h.flags))]
    profile = profile_for(deps)
    words = profile.overview_words
    schema = metareview_schema(len(candidates), profile.name)
    draft = tally.ask(state, prompts.render("metareview", goal=state["goal"], reviews=reviews,
                                            weaknesses=[(n, d) for n, (d, _) in WEAKNESSES.items()],
                                            candidates=[{"title": c.title, "statement": c.statement} for c in candidates],
                                            words=words),
                      schema, keys=None, max_tokens=60 + 4 * words)
    # Keys written in free text are checked like citations: a key that is not a run record, or whose
    # record does not make the claim of its sentence, is removed and counted. Text that ran to its cap
    # is trimmed back to a clause boundary, never kept mid-word.
    records = record_texts(evidence(state))
    cap = profile.cap(words)
    why, dropped = strip_bad_keys(whole(draft.why, cap), records)
    next_step, dropped_next = strip_bad_keys(whole(draft.next_step, cap), records)
    lead = candidates[int(draft.lead) - 1]
    # A sentence about another hypothesis than the lead is left out, like a cut one.
    why, next_step = about_lead(why, lead, state["goal"]), about_lead(next_step, lead, state["goal"])
    overview = overview_text(lead, why, next_step, flagged=bool(lead.flags))
    # The checks that several hypotheses still fail are the most reliable recurring weakness: measured,
    # not judged. They come before the meta-reviewer's picks and outlast them.
    measured = recurring_check_lessons([h.flags for h in hs.values()])
    picked = [WEAKNESSES[n][1] for n in dict.fromkeys(draft.recurring)] if reviews else []
    older = [x for x in state.get("lessons") or [] if x not in measured]
    rest = list(dict.fromkeys([*older, *picked]))
    keep = 6 - len(measured)
    lessons = [*measured, *(rest[-keep:] if keep > 0 else [])][:6]
    removed = len(dropped) + len(dropped_next)
    return tally.update(lessons=lessons, overview=overview, done={f"metareview:{rnd}": True},
                        counts={"text_keys_dropped": removed} if removed else {})
