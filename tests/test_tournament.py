"""Tests of the tournament ranking maths (pure functions, no LLM)."""

from __future__ import annotations

import itertools
import math
import random

import numpy as np
import pytest
from pydantic import ValidationError

from hypoforge.agents.tournament import (
    Match,
    choose_pairs,
    debate_pairs,
    elo_expected,
    elo_history,
    elo_update,
    fit_ratings,
    rank,
)

IDS = [f"h{i}" for i in range(6)]


def chain_matches() -> list[Match]:
    """h0 > h1 > ... > h5: each item beats every worse one, twice."""
    out = []
    for i, j in itertools.combinations(range(6), 2):
        out += [Match(a=IDS[i], b=IDS[j], winner=IDS[i]), Match(a=IDS[j], b=IDS[i], winner=IDS[i])]
    return out


# ---- Match -------------------------------------------------------------------------------


def test_match_rejects_winner_not_in_pair():
    with pytest.raises(ValidationError, match="neither"):
        Match(a="x", b="y", winner="z")


def test_match_rejects_self_match_and_accepts_valid():
    with pytest.raises(ValidationError):
        Match(a="x", b="x", winner="x")
    m = Match(a="x", b="y", winner="y", debate=True, round=3)
    assert m.loser == "x" and m.debate and m.round == 3


# ---- Elo ---------------------------------------------------------------------------------


def test_elo_expected_symmetric_and_known_value():
    assert elo_expected(1200, 1200) == pytest.approx(0.5)
    assert elo_expected(1600, 1200) == pytest.approx(10 / 11)
    assert elo_expected(1350, 1210) + elo_expected(1210, 1350) == pytest.approx(1.0)


def test_elo_update_conserves_points_and_is_symmetric():
    a, b = elo_update(1300, 1200, 1.0)
    assert a + b == pytest.approx(2500)
    assert a > 1300 and b < 1200
    # Swapping roles (and the result) gives the mirrored update.
    b2, a2 = elo_update(1200, 1300, 0.0)
    assert (a2, b2) == pytest.approx((a, b))
    # An upset moves ratings more than the expected result.
    up_a, _ = elo_update(1300, 1200, 0.0)
    assert 1300 - up_a > a - 1300
    # Equal players, win: exactly k/2.
    assert elo_update(1200, 1200, 1.0, k=32) == pytest.approx((1216, 1184))


def test_elo_history_one_snapshot_per_round():
    ms = [Match(a="h0", b="h1", winner="h0", round=0), Match(a="h1", b="h2", winner="h2", round=2)]
    hist = elo_history(["h0", "h1", "h2"], ms)
    assert len(hist) == 2
    assert hist[0] == pytest.approx({"h0": 1216, "h1": 1184, "h2": 1200})
    assert hist[1]["h0"] == pytest.approx(1216)
    assert hist[1]["h2"] > 1200 > hist[1]["h1"]
    assert sum(hist[1].values()) == pytest.approx(3600)


# ---- Bradley-Terry fit ---------------------------------------------------------------------


def test_fit_recovers_obvious_order_and_is_finite():
    r = fit_ratings(IDS, chain_matches())
    assert all(math.isfinite(v) for v in r.values())
    assert [r[h] for h in IDS] == sorted(r.values(), reverse=True)
    assert rank(IDS, chain_matches()) == IDS


def test_fit_unplayed_items_sit_at_1200():
    ids = IDS + ["new1", "new2"]
    r = fit_ratings(ids, chain_matches())
    assert r["new1"] == 1200 and r["new2"] == 1200
    assert fit_ratings(["a", "b"], []) == {"a": 1200, "b": 1200}


def test_fit_deterministic_and_order_independent():
    ms = chain_matches()
    r1 = fit_ratings(IDS, ms)
    r2 = fit_ratings(IDS, list(reversed(ms)))
    assert r1 == fit_ratings(IDS, ms)
    assert r1 == pytest.approx(r2, abs=1e-6)


def test_fit_one_game_is_symmetric_and_prior_shrinks():
    ms = [Match(a="a", b="b", winner="a")]
    r = fit_ratings(["a", "b"], ms)
    assert r["a"] - 1200 == pytest.approx(1200 - r["b"])
    assert r["a"] > 1200
    strong = fit_ratings(["a", "b"], ms, prior_strength=10.0)
    assert 1200 < strong["a"] < r["a"]


def test_fit_matches_bradley_terry_probability():
    # a beats b 3 times out of 4; with a weak prior, P(a beats b) from the fit is close to 0.75.
    ms = [Match(a="a", b="b", winner="a")] * 3 + [Match(a="a", b="b", winner="b")]
    r = fit_ratings(["a", "b"], ms, prior_strength=1e-6)
    assert elo_expected(r["a"], r["b"]) == pytest.approx(0.75, abs=1e-4)


def test_fit_rejects_unknown_ids():
    with pytest.raises(ValueError, match="not among ids"):
        fit_ratings(["a", "b"], [Match(a="a", b="c", winner="a")])


def test_rank_breaks_ties_by_id():
    assert rank(["c", "a", "b"], []) == ["a", "b", "c"]


# ---- Pairing policy --------------------------------------------------------------------------


def test_choose_pairs_reproducible_and_seed_dependent():
    ids = [f"x{i:02d}" for i in range(12)]
    kw = dict(n_pairs=5, top_k=3)
    first = choose_pairs(ids, [], seed=3, round=1, **kw)
    assert first == choose_pairs(ids, [], seed=3, round=1, **kw)
    others = {tuple(choose_pairs(ids, [], seed=s, round=r, **kw)) for s in range(4) for r in range(3)}
    assert len(others) > 1


def test_choose_pairs_valid_pairs_and_respects_n_pairs():
    ids = [f"x{i}" for i in range(8)]
    ms = [Match(a="x0", b="x1", winner="x0"), Match(a="x2", b="x3", winner="x3")]
    pairs = choose_pairs(ids, ms, n_pairs=10, seed=1)
    assert len(pairs) == 10
    assert all(a != b for a, b in pairs)
    assert len({frozenset(p) for p in pairs}) == len(pairs)
    assert all(a in ids and b in ids for a, b in pairs)
    # Fewer possible pairs than asked: all of them, each once.
    few = choose_pairs(["a", "b", "c"], [], n_pairs=10)
    assert sorted(map(frozenset, few), key=sorted) == sorted(
        map(frozenset, [("a", "b"), ("a", "c"), ("b", "c")]), key=sorted
    )
    assert choose_pairs(["a"], [], n_pairs=3) == []
    assert choose_pairs(ids, ms, n_pairs=0) == []


def test_choose_pairs_gives_new_entrants_games():
    # An established field where everyone has played a lot, plus two entrants.
    ids = [f"x{i}" for i in range(10)]
    rng = random.Random(0)
    ms = []
    for _ in range(60):
        i, j = rng.sample(range(10), 2)
        ms.append(Match(a=ids[i], b=ids[j], winner=ids[min(i, j)]))
    field = ids + ["new_a", "new_b"]
    pairs = choose_pairs(field, ms, n_pairs=2, seed=5)
    players = {h for p in pairs for h in p}
    assert {"new_a", "new_b"} <= players
    # An item listed in new_ids also gets a game even though it has played before.
    pairs = choose_pairs(ids, ms, n_pairs=1, new_ids={"x9"}, seed=5)
    assert "x9" in pairs[0]


def test_choose_pairs_focuses_on_top_boundary():
    # Full information about a clear order: pairs should involve the contenders near the top-3
    # boundary, not two clearly-hopeless items.
    ids = [f"x{i:02d}" for i in range(12)]
    ms = []
    for i, j in itertools.combinations(range(12), 2):
        ms.append(Match(a=ids[i], b=ids[j], winner=ids[i]))
    pairs = choose_pairs(ids, ms, n_pairs=4, top_k=3)
    for a, b in pairs:
        assert min(ids.index(a), ids.index(b)) <= 4, pairs


def test_choose_pairs_similarity_breaks_ties():
    # A 4-cycle a>b>c>d>a: all ratings equal, and the two unplayed diagonals (a,c) and (b,d) are
    # equally informative. Proximity similarity must decide between them, whatever the seed.
    ids = ["a", "b", "c", "d"]
    ms = [Match(a=x, b=y, winner=x) for x, y in [("a", "b"), ("b", "c"), ("c", "d"), ("d", "a")]]
    for seed in range(5):
        assert choose_pairs(ids, ms, n_pairs=1, similarity={("d", "b"): 0.9}, seed=seed) == [("b", "d")]
        assert choose_pairs(ids, ms, n_pairs=1, similarity={("a", "c"): 0.9}, seed=seed) == [("a", "c")]
    unbiased = {tuple(choose_pairs(ids, ms, n_pairs=1, seed=seed)[0]) for seed in range(20)}
    assert unbiased == {("a", "c"), ("b", "d")}


def test_debate_pairs_only_within_top_k():
    ratings = {"a": 1400, "b": 1300, "c": 1250, "d": 1100}
    pairs = [("a", "b"), ("b", "d"), ("c", "a")]
    assert debate_pairs(pairs, ratings, top_k=3) == {("a", "b"), ("c", "a")}
    assert debate_pairs(pairs, ratings, top_k=2) == {("a", "b")}


# ---- Small simulation: the policy beats random pairing at equal budget --------------------


def _simulate(policy: str, seed: int, n: int = 20, budget: int = 40, s: float = 0.3) -> float:
    rng = np.random.default_rng(seed)
    q = rng.normal(size=n)
    judge = np.random.default_rng(seed + 10_000)
    ids = [f"h{i:02d}" for i in range(n)]
    matches: list[Match] = []
    rnd = 0
    while len(matches) < budget:
        size = min(6, budget - len(matches))
        if policy == "ours":
            pairs = choose_pairs(ids, matches, n_pairs=size, seed=seed, round=rnd)
        else:
            pairs = [tuple(ids[k] for k in judge.choice(n, 2, replace=False)) for _ in range(size)]
        for a, b in pairs:
            i, j = ids.index(a), ids.index(b)
            p = 1 / (1 + math.exp(-(q[i] - q[j]) / s))
            matches.append(Match(a=a, b=b, winner=a if judge.random() < p else b, round=rnd))
        rnd += 1
    top = set(rank(ids, matches)[:3])
    truth = {ids[i] for i in np.argsort(-q)[:3]}
    return len(top & truth) / 3


def test_policy_top3_beats_random_pairing_on_average():
    seeds = range(20)
    ours = np.mean([_simulate("ours", s) for s in seeds])
    rand = np.mean([_simulate("random", s) for s in seeds])
    assert ours > rand + 0.1, (ours, rand)
