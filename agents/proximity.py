"""Proximity: embed hypotheses, merge near-duplicates, and give the ranker similarity to pair on.

Embeddings come from the injected embedder (the same offline MiniLM as the literature index). When
none is injected (tests, or an index-less setup) a lexical embedding is used: a bag of lowercase
word hashes, which is crude but deterministic. A near-duplicate (cosine >= ``merge_similarity``, or
a statement saying what the other's says by the ``distinct`` check's rule,
:func:`~hypoforge.agents.quality.same_claim`: token Jaccard >= 0.5 unless they name different genes; or
a chain arguing what the other's argues, :func:`~hypoforge.agents.quality.same_chain`) is
merged into the other, the one failing fewer checks (the earlier on a tie): it stays in the report,
marked ``merged_into``, and leaves the tournament; the report's notes name each merge.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np
from hypoforge.agents import quality as q
from hypoforge.agents.calls import Tally
from hypoforge.agents.deps import Deps
from hypoforge.agents.models import Hypothesis
from hypoforge.agents.state import State, dump, hypotheses
from langgraph.runtime import Runtime

LINK_THRESHOLD = 0.3  # similarities below this carry no pairing signal and are not stored


def lexical_embed(texts: list[str], dim: int = 512) -> np.ndarray:
    out = np.zeros((len(texts), dim), dtype=np.float32)
    for i, t in enumerate(texts):
        for w in re.findall(r"[a-z0-9]+", t.lower()):
            out[i, int(hashlib.md5(w.encode()).hexdigest()[:8], 16) % dim] += 1.0
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.maximum(norms, 1e-9)


class LexicalEmbedder:
    """The lexical embedding as an embedder object (tests, scripted campaigns)."""

    def embed(self, texts: list[str]) -> np.ndarray:
        return lexical_embed(texts)


def twin_flag(flag: str, other: Hypothesis) -> bool:
    """``flag`` is the ``distinct`` flag for saying what ``other`` says (its statement or its title)."""
    return q.flag_check(flag) == "distinct" and f"existing hypothesis {other.title!r}" in flag


def better_of(a: Hypothesis, b: Hypothesis) -> tuple[Hypothesis, Hypothesis]:
    """(kept, merged) of two near-duplicates: the one failing fewer checks, not counting its flag for
    being the other's twin (the evolver's refinement is checked against its parent and carries one);
    on a tie the earlier (``a``). The refinement of a flagged parent that kept its statement had been
    merged into the parent whatever it fixed (bench goal 2, 2026-11-30)."""
    def failed(h: Hypothesis, other: Hypothesis) -> int:
        return q.checks_failed([f for f in h.flags if not twin_flag(f, other)])

    return (b, a) if failed(b, a) < failed(a, b) else (a, b)


def proximity(state: State, runtime: Runtime[Deps]) -> dict:
    deps = runtime.context
    rnd = state.get("round", 0)
    tally = Tally(deps, "proximity", rnd)
    hs = hypotheses(state, active_only=True)
    # Earlier hypotheses first: on a tie a later near-copy merges into the original.
    ids = sorted(hs, key=lambda i: (hs[i].round, i))
    texts = [f"{hs[i].title}. {hs[i].statement}" for i in ids]
    if len(ids) < 2:
        return tally.update(done={f"proximity:{rnd}": True})
    vecs = np.asarray(deps.embedder.embed(texts) if deps.embedder is not None else lexical_embed(texts), dtype=np.float32)
    vecs = vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-9)
    sim = vecs @ vecs.T
    changed: dict[str, dict] = {}
    notes: list[str] = []
    gone: set[str] = set()
    links: dict[str, float] = {}
    threshold = deps.settings.loop.merge_similarity
    for x in range(len(ids)):
        if ids[x] in gone:
            continue
        for y in range(x + 1, len(ids)):
            if ids[y] in gone:
                continue
            s = float(sim[x, y])
            # The same statement under another title is the same hypothesis: the evolver's refinement
            # of bench goal 3's TPMT hypothesis (2026-11-29) kept its statement word for word, and a
            # new title held the pair's cosine under the threshold. The rule is the distinct check's.
            same_claim = q.same_claim(hs[ids[x]].statement, hs[ids[y]].statement)
            # One chain under two statements is one hypothesis too (bench goal 3, 2026-12-02).
            same_chain = q.same_chain([c.claim for c in hs[ids[x]].chain], [c.claim for c in hs[ids[y]].chain])
            if s >= threshold or same_claim or same_chain:
                keep, drop = better_of(hs[ids[x]], hs[ids[y]])
                gone.add(drop.id)
                changed[drop.id] = dump(drop.model_copy(update={"merged_into": keep.id}))
                # The kept one's flag for being the other's twin is moot once the other is merged into it,
                # unless a third one still ranked has that title too: a real folic-acid goal (2026-12-01)
                # ranked two proposals under one title, the flag for it gone with the merge of a third.
                still = [o for o in hs.values() if o.id not in gone and o.id not in (keep.id, drop.id)]
                moot = [f for f in keep.flags if twin_flag(f, drop) and not any(twin_flag(f, o) for o in still)]
                if moot:
                    hs[keep.id] = keep.model_copy(update={"flags": [f for f in keep.flags if f not in moot]})
                    changed[keep.id] = dump(hs[keep.id])
                deps.emit("merge", kept=keep.id, merged=drop.id, similarity=s)
                # A reader who asked for three hypotheses and got two must see why (real goal, 2026-11-30).
                why = ("states the same claim" if same_claim else "argues the same causal chain" if same_chain
                       else f"says the same thing (similarity {s:.2f})")
                notes.append(f"Round {rnd}: {drop.id} ({drop.title!r}) {why} as {keep.id} ({keep.title!r}) "
                             f"and was merged into it, so one fewer proposal is ranked.")
                if drop.id == ids[x]:
                    break
            elif s >= LINK_THRESHOLD:
                links["|".join(sorted((ids[x], ids[y])))] = round(s, 4)
    # Hypotheses merged earlier into one now merged follow it to the one kept.
    merged_to = {k: v["merged_into"] for k, v in changed.items() if v.get("merged_into")}

    def root(k: str) -> str:
        while k in merged_to:
            k = merged_to[k]
        return k

    for k, h in hypotheses(state).items():
        current = Hypothesis.model_validate(changed[k]) if k in changed else h
        if current.merged_into and root(current.merged_into) != current.merged_into:
            changed[k] = dump(current.model_copy(update={"merged_into": root(current.merged_into)}))
    return tally.update(hypotheses=changed, similarity=links, notes=notes, done={f"proximity:{rnd}": True})
