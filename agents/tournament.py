"""Ranking maths of the hypothesis tournament: pure functions, no LLM and no I/O.

Hypotheses enter a tournament at rating 1200 and an LLM judge compares them pairwise. Judge calls
are the expensive resource, so this module answers three questions as cheaply as possible:

* **How good is each hypothesis?** :func:`fit_ratings` fits a Bradley-Terry model,
  ``P(a beats b) = sigmoid(theta_a - theta_b)``, by maximum a posteriori with a Gaussian prior
  ``theta ~ N(0, 1/prior_strength)``. The prior keeps the fit finite when one item wins every game
  (perfect separation is the norm with few games), shrinks items that played little towards the
  start value, and leaves items that never played at exactly 1200. The fit depends only on the
  win counts, never on the order of the matches, so a report, a resumed run and a benchmark all
  see the same numbers. It is reported on the Elo scale, ``1200 + 400/ln(10) * theta``.
* **Which pairs should the judge compare next?** :func:`choose_pairs` does active top-k selection:
  it favours pairs whose outcome is still uncertain *and* would change which items are in the
  top-k (see its docstring), and it makes sure new entrants get games.
* **How did ratings move?** :func:`elo_history` replays the classic online Elo update round by
  round; it is for the "Elo over rounds" display only. Ranking uses the batch fit, which unlike
  online Elo does not depend on match order and uses every game at full weight.
"""

from __future__ import annotations

import math
import random
from collections.abc import Collection, Mapping, Sequence

import numpy as np
from pydantic import BaseModel, model_validator

START_RATING = 1200.0
"""Rating of a hypothesis that has not played (theta = 0 on the Bradley-Terry scale)."""

ELO_PER_THETA = 400.0 / math.log(10.0)
"""Elo points per unit of Bradley-Terry log-odds: 400 Elo = a factor 10 in the odds of winning."""

DEFAULT_PRIOR_STRENGTH = 0.25
"""Precision of the Gaussian prior on theta: prior sd 2 log-odds units (about 350 Elo)."""


class Match(BaseModel):
    """One judged comparison between hypotheses ``a`` and ``b``.

    ``debate`` records whether the judge ran a multi-turn debate; ``round`` is the tournament round
    in which the match was played (used to replay Elo over rounds).
    """

    a: str
    b: str
    winner: str
    debate: bool = False
    round: int = 0

    @model_validator(mode="after")
    def _check_players(self) -> Match:
        if self.a == self.b:
            raise ValueError(f"a match needs two different hypotheses, got {self.a!r} twice")
        if self.winner not in (self.a, self.b):
            raise ValueError(f"winner {self.winner!r} is neither a={self.a!r} nor b={self.b!r}")
        return self

    @property
    def loser(self) -> str:
        return self.b if self.winner == self.a else self.a


# --------------------------------------------------------------------------------------------
# Online Elo (display only)


def elo_expected(ra: float, rb: float) -> float:
    """Expected score of a player rated ``ra`` against one rated ``rb`` (classic Elo)."""
    return 1.0 / (1.0 + 10.0 ** ((rb - ra) / 400.0))


def elo_update(ra: float, rb: float, score_a: float, k: float = 32) -> tuple[float, float]:
    """New ratings after one game; ``score_a`` is 1 (a won), 0 (b won) or 0.5 (draw).

    The update is zero-sum: whatever ``a`` gains, ``b`` loses.
    """
    delta = k * (score_a - elo_expected(ra, rb))
    return ra + delta, rb - delta


def elo_history(ids: Sequence[str], matches: Sequence[Match], k: float = 32) -> list[dict[str, float]]:
    """Online Elo after each round, for the "Elo over rounds" plot.

    Every id starts at 1200. Matches are grouped by ``round`` (ascending) and applied in their given
    order within a round; one snapshot of all ratings is returned per distinct round.
    """
    index = _index(ids)
    for m in matches:
        _check_known(m, index)
    ratings = {i: START_RATING for i in ids}
    history: list[dict[str, float]] = []
    for rnd in sorted({m.round for m in matches}):
        for m in matches:
            if m.round != rnd:
                continue
            score_a = 1.0 if m.winner == m.a else 0.0
            ratings[m.a], ratings[m.b] = elo_update(ratings[m.a], ratings[m.b], score_a, k)
        history.append(dict(ratings))
    return history


# --------------------------------------------------------------------------------------------
# Bradley-Terry MAP fit


def _index(ids: Sequence[str]) -> dict[str, int]:
    index = {h: n for n, h in enumerate(ids)}
    if len(index) != len(ids):
        raise ValueError("ids contain duplicates")
    return index


def _check_known(m: Match, index: Mapping[str, int]) -> None:
    for h in (m.a, m.b):
        if h not in index:
            raise ValueError(f"match {m.a!r} vs {m.b!r} involves {h!r}, which is not among ids")


def _win_matrix(index: Mapping[str, int], matches: Sequence[Match]) -> np.ndarray:
    """``W[i, j]`` = number of times ``i`` beat ``j``."""
    n = len(index)
    wins = np.zeros((n, n))
    for m in matches:
        _check_known(m, index)
        wins[index[m.winner], index[m.loser]] += 1.0
    return wins


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def _fit_theta(wins: np.ndarray, prior_strength: float) -> tuple[np.ndarray, np.ndarray]:
    """MAP theta and the posterior precision matrix (negative Hessian) at the optimum.

    The log posterior ``sum W_ij log sigmoid(theta_i - theta_j) - prior_strength/2 |theta|^2`` is
    strictly concave, so Newton's method from zero converges to the unique optimum in a handful
    of steps (with step halving as a safeguard); n is tens of items, so the dense solve is cheap.
    """
    if prior_strength <= 0:
        raise ValueError("prior_strength must be > 0 (it keeps the fit finite under perfect separation)")
    n = wins.shape[0]
    games = wins + wins.T
    theta = np.zeros(n)

    def log_post(t: np.ndarray) -> float:
        d = t[:, None] - t[None, :]
        return float(-(wins * np.logaddexp(0.0, -d)).sum() - 0.5 * prior_strength * (t @ t))

    def precision(t: np.ndarray) -> np.ndarray:
        p = _sigmoid(t[:, None] - t[None, :])
        info = games * p * (1.0 - p)
        h = -info
        h[np.diag_indices(n)] = info.sum(axis=1) + prior_strength
        return h

    if n == 0:
        return theta, np.zeros((0, 0))
    current = log_post(theta)
    for _ in range(100):
        p = _sigmoid(theta[:, None] - theta[None, :])
        grad = (wins - games * p).sum(axis=1) - prior_strength * theta
        step = np.linalg.solve(precision(theta), grad)
        scale = 1.0
        while True:
            candidate = theta + scale * step
            value = log_post(candidate)
            if value >= current - 1e-12 or scale < 1e-6:
                break
            scale *= 0.5
        theta, current = candidate, value
        if np.max(np.abs(scale * step)) < 1e-10:
            break
    return theta, precision(theta)


def fit_ratings(
    ids: Sequence[str],
    matches: Sequence[Match],
    *,
    prior_strength: float = DEFAULT_PRIOR_STRENGTH,
) -> dict[str, float]:
    """Bradley-Terry MAP ratings on the Elo scale; unplayed items sit at exactly 1200.

    Deterministic and independent of match order. ``prior_strength`` is the precision of the
    Gaussian prior on the log-odds scale: larger values shrink ratings harder towards 1200.
    Every match must be between two of ``ids`` (ValueError otherwise).
    """
    index = _index(ids)
    theta, _ = _fit_theta(_win_matrix(index, matches), prior_strength)
    return {h: START_RATING + ELO_PER_THETA * float(theta[index[h]]) for h in ids}


def order_by_rating(ids: Sequence[str], ratings: Mapping[str, float]) -> list[str]:
    """Best first; ratings equal to 1e-6 Elo tie and are broken by id, so the order is stable."""
    return sorted(ids, key=lambda h: (-round(ratings[h], 6), h))


def rank(ids: Sequence[str], matches: Sequence[Match], *, prior_strength: float = DEFAULT_PRIOR_STRENGTH) -> list[str]:
    """Ids best first by :func:`fit_ratings`, ties broken by id."""
    return order_by_rating(ids, fit_ratings(ids, matches, prior_strength=prior_strength))


# --------------------------------------------------------------------------------------------
# Pairing policy


def _normal_sf(z: np.ndarray) -> np.ndarray:
    """Upper tail ``P(Z > z)`` of the standard normal for ``z >= 0``.

    Abramowitz & Stegun 7.1.26 for erfc (absolute error below 1.5e-7), vectorised in numpy so the
    module needs no scipy; the pairing scores only need a few digits.
    """
    x = np.asarray(z, dtype=float) / math.sqrt(2.0)
    t = 1.0 / (1.0 + 0.3275911 * x)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return 0.5 * poly * np.exp(-x * x)


def choose_pairs(
    ids: Sequence[str],
    matches: Sequence[Match],
    *,
    n_pairs: int,
    top_k: int = 3,
    similarity: Mapping[tuple[str, str], float] | None = None,
    new_ids: Collection[str] = (),
    seed: int = 0,
    round: int = 0,
    prior_strength: float = DEFAULT_PRIOR_STRENGTH,
) -> list[tuple[str, str]]:
    """Pick up to ``n_pairs`` distinct pairs for the judge, most informative first.

    Policy (active top-k selection over the Bradley-Terry posterior):

    1. Fit the MAP ratings and take the Laplace posterior covariance ``C`` (inverse of the
       precision matrix), so each item's uncertainty reflects how many games it played and
       against whom.
    2. Put the top-k boundary ``c`` midway between the k-th and (k+1)-th item. An item's *stake*
       ``u_i = P(theta_i is on the other side of c)`` is large for items that could still enter or
       leave the top-k, and near zero for items that are clearly in or clearly out.
    3. A pair's *ambiguity* is the posterior probability that its current order is wrong (times
       two, so 1 = coin flip), using the variance of the difference ``C_ii + C_jj - 2 C_ij``.
       The score is ``(u_i + u_j) * ambiguity``, so pairs straddling the boundary whose order is
       unsettled win; a clear winner against a hopeless loser scores nothing. Proximity
       ``similarity`` in [0, 1] multiplies the score by up to 1.25 (comparing close variants is
       more telling), and a pair already judged ``r`` times is divided by ``1 + r`` because a
       language-model judge tends to repeat its verdict.
    4. New entrants (``new_ids`` plus any item that has never played) are served first, one pair
       each, against their best-scoring opponent (preferably another unserved entrant).
    5. The rest is filled greedily. After each pick the covariance gets the rank-one update of
       a virtual game between the pair (Sherman-Morrison), so the next pick spreads to the
       items whose uncertainty is still largest instead of repeating the same pair.

    Each pair is returned in a random orientation (which hypothesis the judge reads first), to
    spread a language-model judge's position bias over both sides.

    Randomness (entrant order, orientation, tie-breaking jitter) comes only from a
    ``random.Random`` seeded by ``(seed, round)``: the same inputs always give the same pairs, so a
    resumed run chooses exactly what the interrupted one would have.
    """
    index = _index(ids)
    n = len(ids)
    max_pairs = n * (n - 1) // 2
    n_pairs = min(n_pairs, max_pairs)
    if n_pairs <= 0:
        return []
    rng = random.Random(f"hypoforge.tournament:{seed}:{round}")
    wins = _win_matrix(index, matches)
    games = wins + wins.T
    theta, prec = _fit_theta(wins, prior_strength)
    cov = np.linalg.inv(prec)
    k = max(1, min(top_k, n - 1))

    order = np.argsort(-theta, kind="stable")
    boundary = 0.5 * (theta[order[k - 1]] + theta[order[k]])

    multiplier = 1.0 / (1.0 + games)
    if similarity:
        for (x, y), s in similarity.items():
            if x in index and y in index and x != y:
                bonus = 1.0 + 0.25 * min(max(float(s), 0.0), 1.0)
                multiplier[index[x], index[y]] = multiplier[index[y], index[x]] = (
                    bonus / (1.0 + games[index[x], index[y]])
                )
    # Jitter far below any meaningful score difference: breaks exact ties reproducibly.
    jitter = np.array([[1.0 + 1e-9 * rng.random() for _ in range(n)] for _ in range(n)])
    jitter = np.triu(jitter, 1) + np.triu(jitter, 1).T
    multiplier *= jitter
    np.fill_diagonal(multiplier, 0.0)
    p = _sigmoid(theta[:, None] - theta[None, :])
    pq = p * (1.0 - p)
    dist = np.abs(theta[:, None] - theta[None, :])

    def scores() -> np.ndarray:
        var = np.clip(np.diag(cov), 1e-12, None)
        stake = _normal_sf(np.abs(theta - boundary) / np.sqrt(var))
        var_d = np.clip(var[:, None] + var[None, :] - 2.0 * cov, 1e-12, None)
        ambiguity = 2.0 * _normal_sf(dist / np.sqrt(var_d))
        s = (stake[:, None] + stake[None, :]) * ambiguity * multiplier
        s[taken] = -1.0
        return s

    def take(i: int, j: int) -> None:
        nonlocal cov
        taken[i, j] = taken[j, i] = True
        v = np.zeros(n)
        v[i], v[j] = 1.0, -1.0
        cv = cov @ v
        w = pq[i, j]
        cov = cov - np.outer(cv, cv) * (w / (1.0 + w * (v @ cv)))
        # Which hypothesis the judge sees first is random: spreads an LLM judge's position bias.
        chosen.append((ids[i], ids[j]) if rng.random() < 0.5 else (ids[j], ids[i]))

    taken = np.eye(n, dtype=bool)
    chosen: list[tuple[str, str]] = []
    played = games.sum(axis=1) > 0
    flagged = set(new_ids)
    entrants = [h for h in ids if h in flagged or not played[index[h]]]
    rng.shuffle(entrants)
    served: set[int] = set()
    for h in entrants:
        if len(chosen) >= n_pairs:
            break
        i = index[h]
        if i in served:
            continue
        row = scores()[i]
        if not (row > -1.0).any():
            continue
        unserved = [index[e] for e in entrants if index[e] not in served and index[e] != i and not taken[i, index[e]]]
        # Entrants first play each other (two served per judge call) but still pick the most
        # informative among them; once none is left they face the established field.
        candidates = unserved if unserved else [j for j in range(n) if row[j] > -1.0]
        j = max(candidates, key=lambda c: (row[c], -c))
        take(i, j)
        served.update((i, j))
    while len(chosen) < n_pairs:
        s = scores()
        flat = int(np.argmax(s))
        i, j = divmod(flat, n)
        if s[i, j] <= -1.0:
            break
        take(i, j)
    return chosen


def debate_pairs(
    pairs: Sequence[tuple[str, str]],
    ratings: Mapping[str, float],
    top_k: int = 3,
) -> set[tuple[str, str]]:
    """The chosen pairs that deserve a multi-turn debate: both players in the current top-k.

    Debates cost several judge turns, so they are spent only where the order matters most, among
    the current leaders (ranked by ``ratings``, ties by id).
    """
    top = set(order_by_rating(list(ratings), ratings)[: max(0, top_k)])
    return {(a, b) for a, b in pairs if a in top and b in top}
