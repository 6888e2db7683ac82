"""What the chat does to chosen proposals: critique, evolve, debate; and grounded answers.

Every LLM call goes through :class:`hypoforge.agents.calls.Tally` with the loop's own prompts and
the run's shared system prompt, so a chat action costs and behaves like the same step in a run and
the live display sees its progress events. Choices:

* ``/critique N`` calls the critic node itself (:func:`hypoforge.agents.critic.review`) on a state
  holding only proposal N with its reviews cleared; the new review is shown and kept in the session,
  not written into the run (the run's reviews stay what the loop produced).
* ``/evolve N [strategy]`` and ``/evolve N M`` (combine) write the new hypothesis into the run's
  checkpointed state, so the next ``/run`` reviews it and lets it compete in the tournament.
* ``/debate N M`` plays one debate exactly as the ranker does for top pairs (two arguments, then
  the judge; the order shown is drawn from the seed) and records the match in the run, so
  ``/ranking`` reflects it.
* ``/ask`` answers only from passages retrieved for the question; citations are constrained to
  those passages' keys (:data:`hypoforge.agents.models.CitationKey`).
"""

from __future__ import annotations

import random
import re
from types import SimpleNamespace
from typing import Annotated, Any

from hypoforge import prompts
from hypoforge.agents.calls import Tally, new_id
from hypoforge.agents.deps import Deps
from hypoforge.agents.drafting import semantic_embed
from hypoforge.agents.evolver import evolve_one
from hypoforge.agents.generator import key_sentence, passage_text
from hypoforge.agents.models import (
    ArgumentDraft,
    CitationKey,
    Hypothesis,
    JudgementDraft,
    Review,
)
from hypoforge.agents.quality import Failure, denies_unreported, strip_bad_keys, trim_to_boundary
from hypoforge.agents.state import State, dump, hypotheses
from hypoforge.agents.tournament import Match
from hypoforge.errors import UserError
from hypoforge.knowledge.records import Passage
from pydantic import BaseModel, ConfigDict, Field

NO_EVIDENCE = "the index has no evidence for this"
EVOLVE_STRATEGIES = ("refine", "simplify", "bolder")
ANSWER_CHARS = 500  # the model is told "at most 60 words"; the cap sits above that


class AnswerDraft(BaseModel):
    """The LLM's answer to a question: grounded in the retrieved passages, or explicitly not."""

    model_config = ConfigDict(extra="forbid")

    supported: bool = Field(description="False when the passages do not address the question.")
    answer: Annotated[str, Field(min_length=1, max_length=ANSWER_CHARS)]
    citations: Annotated[list[CitationKey], Field(max_length=3)] = Field(default_factory=list)


class AnsweredDraft(BaseModel):
    """An answer when a retrieved passage plainly addresses the question: the passage first, then the answer."""

    model_config = ConfigDict(extra="forbid")

    citations: Annotated[list[CitationKey], Field(min_length=1, max_length=3)]
    answer: Annotated[str, Field(min_length=1, max_length=ANSWER_CHARS)]


ANSWER_COSINE = 0.5  # MiniLM question-passage cosine above which a passage is taken to address the question


class Answer(BaseModel):
    question: str
    grounded: bool
    text: str
    citations: list[Passage] = Field(default_factory=list)
    considered: int = Field(0, description="Passages retrieved and judged relevant before the LLM call.")


def _runtime(deps: Deps) -> Any:
    return SimpleNamespace(context=deps)


def _get(state: State, hid: str) -> Hypothesis:
    hs = hypotheses(state)
    if hid not in hs:
        raise UserError(f"proposal {hid} is not in run {state.get('run_id')}; see /ranking")
    return hs[hid]


def critique(state: State, deps: Deps, hid: str) -> Review:
    """A fresh critic review of one hypothesis (the critic node on a one-hypothesis state)."""
    from hypoforge.agents.critic import review

    h = _get(state, hid)
    sub: State = {**state, "hypotheses": {hid: dump(h.model_copy(update={"reviews": [], "merged_into": None}))}}
    out = review(sub, _runtime(deps))
    return Review.model_validate(out["hypotheses"][hid]["reviews"][-1])


def evolve(state: State, deps: Deps, parent_ids: list[str], strategy: str) -> Hypothesis:
    """One evolved hypothesis from the chosen parent(s), with the evolver's prompt."""
    parents = [_get(state, p) for p in parent_ids]
    if strategy != "combine" and len(parents) != 1:
        raise UserError("evolve needs one proposal, or two to combine")
    rnd = int(state.get("round", 0))
    tally = Tally(deps, "evolve", rnd)
    n = len(state.get("hypotheses") or {})
    h = evolve_one(tally, state, deps, parents, strategy, id=new_id(state["run_id"], "chat", rnd, n, *parent_ids, strategy), round=rnd)
    h = h.model_copy(update={"origin": f"evolved:{strategy}:chat"})
    deps.emit("hypothesis", id=h.id, title=h.title)
    tally.update()
    return h


class Debate(BaseModel):
    a: str
    b: str
    arguments: list[str]
    reason: str
    winner: str
    match: Match


def debate(state: State, deps: Deps, a: str, b: str) -> Debate:
    """A two-argument debate judged like the ranker's top-pair debates."""
    if a == b:
        raise UserError("/debate needs two different proposals")
    ha, hb = _get(state, a), _get(state, b)
    rnd = int(state.get("round", 0))
    seed = deps.settings.llm.seed
    tally = Tally(deps, "debate", rnd)
    n = len(state.get("matches") or [])
    rng = random.Random(f"{seed}:chat:{n}:{a}:{b}")
    first, second = (ha, hb) if rng.random() < 0.5 else (hb, ha)
    arguments: list[str] = []
    for side in ("A", "B"):
        arg = tally.ask(
            state,
            prompts.render("argue", side=side, previous=arguments[-1] if arguments else "", a=first.brief(), b=second.brief()),
            ArgumentDraft,
            keys=None,
            max_tokens=90,
        )
        arguments.append(f"For {side}: {arg.argument}")
    verdict = tally.ask(state, prompts.render("judge", arguments=arguments, a=first.brief(), b=second.brief()), JudgementDraft, keys=None, max_tokens=90)
    winner = first.id if verdict.winner == "A" else second.id
    match = Match(a=a, b=b, winner=winner, debate=True, round=rnd)
    deps.emit("match", a=a, b=b, winner=winner, debate=True)
    tally.update()
    labelled = [x.replace("For A", f"For {first.title}", 1).replace("For B", f"For {second.title}", 1) for x in arguments]
    return Debate(a=a, b=b, arguments=labelled, reason=verdict.reason, winner=winner, match=match)


# ------------------------------------------------------------------ grounded answers

_STOP = set(
    "about above after again against also among another because been before being below between both could does doing during each "
    "from further have having here how into itself just more most other over same should some such than that their them then "
    "there these they this those through under until very what when where which while whom why will with would your the and "
    "for are was were not you any can did has its our out who all but nor one only own too why tell know give show explain "
    "describe proposal proposals hypothesis hypotheses evidence index".split()
)


def content_words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) >= 4 and w not in _STOP}


def relevant(question: str, passages: list[Passage]) -> list[Passage]:
    """Passages sharing at least one content word with the question.

    A vector index always returns *some* nearest neighbours, even for a question it knows nothing
    about; this cheap lexical check keeps an off-topic question from being "answered" from
    unrelated passages (the LLM's own ``supported`` flag is the second check).
    """
    q = content_words(question)
    return [p for p in passages if q & content_words(p.title + " " + p.text)]


def addressing(deps: Deps, question: str, passages: list[Passage]) -> list[Passage]:
    """Passages that plainly address the question: semantic similarity with a semantic embedder,
    else at least two of the question's content words (or all of them, when it has fewer)."""
    if not passages:
        return []
    emb = deps.embedder
    if emb is not None and getattr(emb, "semantic", False):
        from hypoforge.agents.quality import cosines

        return [p for p, c in zip(passages, cosines(emb.embed, question, [f"{p.title}. {p.text}" for p in passages]))
                if c >= ANSWER_COSINE]
    q = content_words(question)
    need = min(2, len(q))
    return [p for p in passages if need and len(q & content_words(p.title + " " + p.text)) >= need]


def answer(deps: Deps, question: str, *, state: State | None = None, goal: str | None = None,
           proposals: list[dict[str, Any]] | None = None, k: int | None = None) -> Answer:
    """Answer from retrieved passages only, or say explicitly that the index has no evidence.

    ``proposals`` (report proposals, best first) make the question one *about* them: their text is
    shown to the model and the passages they cite are added to the candidates.

    An answer that denies what its cited records report (:func:`~hypoforge.agents.quality.denies_unreported`)
    is asked for once more with the denial named; one that still does is replaced by the first
    record's sentence that bears most on the question, quoted as that record's finding. A sentence
    citing a key or an author that no shown record has is removed; an answer left empty is asked
    for again in the same way.
    """
    question = " ".join(question.split())
    if not question:
        raise UserError("empty question: type /ask followed by a question")
    found = relevant(question, deps.retriever.search(question, k=k or deps.settings.index.k))
    candidates = {p.key: p for p in found}
    ranking: list[str] = []
    for prop in (proposals or [])[:5]:
        ranking.append(f"{prop['title']}: {prop['statement']}")
        for c in prop.get("citations") or []:
            candidates.setdefault(c["key"], Passage(key=c["key"], pmid=c.get("pmid"), title=c["title"], year=c.get("year"), text=c["passage"]))
    if not candidates:
        return Answer(question=question, grounded=False, text=NO_EVIDENCE)
    base: State = dict(state) if state else {"goal": goal or "Answer questions from the biomedical literature index.", "run_id": "chat"}
    tally = Tally(deps, "answer", int(base.get("round", 0)))
    keys = sorted(candidates)
    # When a retrieved passage plainly addresses the question, the model is not offered "no
    # evidence": a small model otherwise declines questions its passages answer.
    must_answer = bool(addressing(deps, question, found))
    shown = {p.key: passage_text(deps.retriever, p, question) for p in candidates.values()}
    records = {p.key: f"{p.title}. {shown[p.key]}" for p in candidates.values()}  # as the model is shown them
    correction = ""
    for _attempt in range(2):
        draft = tally.ask(
            base,
            prompts.render(
                "answer", question=question, ranking=ranking, must_answer=must_answer, correction=correction,
                passages=[{"key": p.key, "title": p.title, "text": shown[p.key]} for p in candidates.values()],
            ),
            AnsweredDraft if must_answer else AnswerDraft,
            keys=keys,
            max_tokens=260,
        )
        cited = [candidates[c] for c in dict.fromkeys(draft.citations)]
        if not getattr(draft, "supported", True) or not cited:
            tally.update()
            return Answer(question=question, grounded=False, text=NO_EVIDENCE, considered=len(candidates))
        # An answer that ran to its cap keeps its whole sentences; the bench stored "...to produce remissi".
        text = trim_to_boundary(" ".join(draft.answer.split()), ANSWER_CHARS, clauses=False, keep=0.0)
        # Keys and author citations written in the answer are checked like the overview's: one that
        # is not a shown record's, or an author no record names ("Kato et al."), goes with its claim.
        text = strip_bad_keys(text, records)[0]
        wrong = denies_unreported("answer", text, {p.key: records[p.key] for p in cited})
        if not text:
            wrong = [Failure(check="keys_in_text", field="answer",
                             detail="cited a source that is not one of the records shown; answer from the records by their keys")]
        if not wrong:
            break
        correction = wrong[0].detail
    else:
        # Asked twice, the answer still denies what its records report: quote what the first record found.
        first = cited[0]
        text = f"{first.key} reports: {key_sentence(question, shown[first.key], semantic_embed(deps))}"
        cited = [first]
    tally.update()
    return Answer(question=question, grounded=True, text=text, citations=cited, considered=len(candidates))
