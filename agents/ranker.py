"""The ranker: an Elo tournament of LLM-judged pairwise comparisons.

Which pairs to judge is decided by :func:`hypoforge.agents.tournament.choose_pairs` (pure; see its
docstring and ``bench/tournament.py``), less any pair already judged in the run. Pairs inside the current top set get a multi-turn debate
(an argument for each side, then the judgement); the others a single-turn judgement. ``choose_pairs`` returns each pair in a seeded random order, which is the
order the judge reads them in, so position bias does not systematically favour either side.
"""

from __future__ import annotations

from langgraph.runtime import Runtime

from hypoforge import prompts
from hypoforge.agents.calls import Tally
from hypoforge.agents.deps import Deps
from hypoforge.agents.models import ArgumentDraft, JudgementDraft
from hypoforge.agents.state import State, hypotheses, matches_among
from hypoforge.agents.tournament import Match, choose_pairs, debate_pairs, fit_ratings, rank


def similarity_pairs(state: State) -> dict[tuple[str, str], float]:
    out: dict[tuple[str, str], float] = {}
    for key, v in (state.get("similarity") or {}).items():
        a, b = key.split("|")
        out[(a, b)] = out[(b, a)] = v
    return out


def rank_step(state: State, runtime: Runtime[Deps]) -> dict:
    deps = runtime.context
    loop = deps.settings.loop
    seed = deps.settings.llm.seed
    rnd = state.get("round", 0)
    tally = Tally(deps, "rank", rnd)
    hs = hypotheses(state, active_only=True)
    ids = sorted(hs)
    matches = matches_among(state, hs)
    new: list[Match] = []
    if len(ids) >= 2:
        n_pairs = loop.matches_per_round if loop.matches_per_round is not None else len(ids)
        fresh = [i for i in ids if hs[i].round == rnd]
        pairs = choose_pairs(
            ids, matches, n_pairs=n_pairs, top_k=loop.top_k, similarity=similarity_pairs(state), new_ids=fresh, seed=seed, round=rnd
        )
        # A judged pair is not judged again: hypotheses do not change once written, and the judge,
        # given the same prompt and seed, gives the same verdict, so a rematch costs calls and adds
        # nothing (with two active hypotheses the policy has no other pair to offer).
        judged = {frozenset((m.a, m.b)) for m in matches}
        pairs = [(a, b) for a, b in pairs if frozenset((a, b)) not in judged]
        debates = debate_pairs(pairs, fit_ratings(ids, matches), loop.debate_top) if loop.debate else set()
        for a, b in pairs:
            ha, hb = hs[a].short(), hs[b].short()
            arguments: list[str] = []
            debate = (a, b) in debates
            if debate:
                for side in ("A", "B"):
                    arg = tally.ask(
                        state,
                        prompts.render("argue", side=side, previous=arguments[-1] if arguments else "", a=ha, b=hb),
                        ArgumentDraft,
                        keys=None,
                        max_tokens=90,
                    )
                    arguments.append(f"For {side}: {arg.argument}")
            verdict = tally.ask(state, prompts.render("judge", arguments=arguments, a=ha, b=hb), JudgementDraft, keys=None, max_tokens=90)
            winner = a if verdict.winner == "A" else b
            new.append(Match(a=a, b=b, winner=winner, debate=debate, round=rnd))
            deps.emit("match", a=a, b=b, winner=winner, debate=debate)
    top = rank(ids, [*matches, *new])[: loop.top_k]
    return tally.update(
        matches=[m.model_dump(mode="json") for m in new],
        done={f"rank:{rnd}": True},
        top_history=[top],
    )
