"""Benchmark: how well does the pairing policy find the top-3 hypotheses with few judge calls?

Simulated tournaments: 30 hypotheses with latent quality ``q ~ N(0, 1)`` and a noisy judge with
``P(i beats j) = sigmoid((q_i - q_j) / s)`` at ``s = 0.2`` (nearly deterministic) and ``s = 0.5``.
Per setting and tournament seed, three methods are compared:

(a) ours: :func:`choose_pairs` in rounds of ``ROUND_SIZE`` pairs, refitting after every round,
    ranked by :func:`rank` (Bradley-Terry MAP);
(b) random pairing with online Elo updates (k = 32), ranked by Elo;
(c) full round-robin (all 435 pairs once, shuffled), ranked by :func:`rank`.

As an extra line, the random games of (b) are also ranked by the Bradley-Terry fit ("random+BT"),
which separates what the pairing policy gains from what the batch fit gains over online Elo.

Reported: top-3 precision (|predicted top-3 & true top-3| / 3) and Kendall tau against the true
order, at 10 %, 25 % and 50 % of round-robin's comparisons. The headline figure is ours / round-robin
top-3 precision at 25 %, minimum over the two noise levels. Run: ``python bench/tournament.py``
(``--tournaments N`` to change the number of tournaments per setting, default 200).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
from _common import bootstrap  # noqa: E402

bootstrap()

from hypoforge.agents.tournament import Match, choose_pairs, elo_update, rank  # noqa: E402

N_ITEMS = 30
TOP_K = 3
ROUND_ROBIN = N_ITEMS * (N_ITEMS - 1) // 2
FRACTIONS = (0.10, 0.25, 0.50)
HEADLINE = 0.25
NOISES = (0.2, 0.5)
ROUND_SIZE = 10


def budgets() -> list[int]:
    return [round(f * ROUND_ROBIN) for f in FRACTIONS]


class Judge:
    """The simulated judge: Bradley-Terry with latent quality ``q`` and noise scale ``s``."""

    def __init__(self, q: np.ndarray, s: float, rng: np.random.Generator) -> None:
        self.q, self.s, self.rng = q, s, rng

    def __call__(self, i: int, j: int) -> int:
        p = 1.0 / (1.0 + np.exp(-(self.q[i] - self.q[j]) / self.s))
        return i if self.rng.random() < p else j


def top_precision(pred: list[int], q: np.ndarray) -> float:
    true_top = set(np.argsort(-q)[:TOP_K].tolist())
    return len(true_top & set(pred[:TOP_K])) / TOP_K


def kendall_tau(pred: list[int], q: np.ndarray) -> float:
    """Kendall tau-a between the predicted order and the true one (q has no ties)."""
    pos = np.empty(len(pred))
    pos[pred] = np.arange(len(pred))
    dq = np.sign(q[:, None] - q[None, :])
    dp = np.sign(pos[None, :] - pos[:, None])  # item earlier in pred = better
    iu = np.triu_indices(len(q), 1)
    return float((dq[iu] * dp[iu]).mean())


def ids_of(n: int) -> list[str]:
    return [f"h{i:02d}" for i in range(n)]


def run_ours(q: np.ndarray, s: float, seed: int, round_size: int) -> dict[int, list[int]]:
    ids = ids_of(len(q))
    idx = {h: i for i, h in enumerate(ids)}
    judge = Judge(q, s, np.random.default_rng([seed, 1]))
    matches: list[Match] = []
    out: dict[int, list[int]] = {}
    rnd = 0
    for b in budgets():
        while len(matches) < b:
            size = min(round_size, b - len(matches))
            for a, c in choose_pairs(ids, matches, n_pairs=size, top_k=TOP_K, seed=seed, round=rnd):
                w = judge(idx[a], idx[c])
                matches.append(Match(a=a, b=c, winner=ids[w], round=rnd))
            rnd += 1
        out[b] = [idx[h] for h in rank(ids, matches)]
    return out


def run_random(q: np.ndarray, s: float, seed: int) -> tuple[dict[int, list[int]], dict[int, list[int]]]:
    """Random pairing; the same games ranked by online Elo (baseline b) and by the BT fit (extra)."""
    n = len(q)
    ids = ids_of(n)
    idx = {h: i for i, h in enumerate(ids)}
    rng = np.random.default_rng([seed, 2])
    judge = Judge(q, s, np.random.default_rng([seed, 3]))
    elo = np.full(n, 1200.0)
    matches: list[Match] = []
    by_elo: dict[int, list[int]] = {}
    by_fit: dict[int, list[int]] = {}
    for b in budgets():
        while len(matches) < b:
            i, j = (int(x) for x in rng.choice(n, size=2, replace=False))
            w = judge(i, j)
            elo[i], elo[j] = elo_update(elo[i], elo[j], 1.0 if w == i else 0.0)
            matches.append(Match(a=ids[i], b=ids[j], winner=ids[w]))
        by_elo[b] = sorted(range(n), key=lambda h: (-elo[h], h))
        by_fit[b] = [idx[h] for h in rank(ids, matches)]
    return by_elo, by_fit


def run_round_robin(q: np.ndarray, s: float, seed: int) -> list[int]:
    ids = ids_of(len(q))
    idx = {h: i for i, h in enumerate(ids)}
    rng = np.random.default_rng([seed, 4])
    judge = Judge(q, s, np.random.default_rng([seed, 5]))
    pairs = [(i, j) for i in range(len(q)) for j in range(i + 1, len(q))]
    matches = []
    for k in rng.permutation(len(pairs)):
        i, j = pairs[k]
        matches.append(Match(a=ids[i], b=ids[j], winner=ids[judge(i, j)]))
    return [idx[h] for h in rank(ids, matches)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tournaments", type=int, default=200)
    ap.add_argument("--round-size", type=int, default=ROUND_SIZE)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    bs = budgets()
    headline_b = round(HEADLINE * ROUND_ROBIN)
    ratios, ours_head, rr_head = [], [], []
    for s in NOISES:
        acc: dict[str, dict[int, list[tuple[float, float]]]] = {"ours": {}, "random+elo": {}, "random+BT": {}}
        rr: list[tuple[float, float]] = []
        for t in range(args.tournaments):
            seed = 1000 * int(s * 10) + t
            q = np.random.default_rng([seed, 0]).normal(size=N_ITEMS)
            by_elo, by_fit = run_random(q, s, seed)
            for name, res in (("ours", run_ours(q, s, seed, args.round_size)), ("random+elo", by_elo), ("random+BT", by_fit)):
                for b, order in res.items():
                    acc[name].setdefault(b, []).append((top_precision(order, q), kendall_tau(order, q)))
            order = run_round_robin(q, s, seed)
            rr.append((top_precision(order, q), kendall_tau(order, q)))
        rr_p, rr_t = np.mean(rr, axis=0)
        print(f"\nnoise s={s}  ({args.tournaments} tournaments, 30 items, rounds of {args.round_size} pairs)")
        print(f"{'method':<14}{'comparisons':>12}{'top-3 prec':>12}{'kendall tau':>13}")
        for name in acc:
            for b in bs:
                p, tau = np.mean(acc[name][b], axis=0)
                se = np.std([x[0] for x in acc[name][b]], ddof=1) / np.sqrt(args.tournaments)
                print(f"{name:<14}{b:>12}{p:>8.3f}±{se:.3f}{tau:>13.3f}")
        rr_se = np.std([x[0] for x in rr], ddof=1) / np.sqrt(args.tournaments)
        print(f"{'round-robin':<14}{ROUND_ROBIN:>12}{rr_p:>8.3f}±{rr_se:.3f}{rr_t:>13.3f}")
        ours_p = float(np.mean([x[0] for x in acc["ours"][headline_b]]))
        # Paired over tournaments (same latent qualities): is ours - round-robin clear of noise?
        diff = np.array([o[0] - r[0] for o, r in zip(acc["ours"][headline_b], rr)])
        print(
            f"ours@{headline_b} - round-robin: {diff.mean():+.3f} "
            f"(paired standard error {diff.std(ddof=1) / np.sqrt(len(diff)):.3f})"
        )
        ours_head.append(ours_p)
        rr_head.append(float(rr_p))
        ratios.append(ours_p / rr_p)
    worst = int(np.argmin(ratios))
    print(f"\nelapsed {time.perf_counter() - t0:.1f} s")
    value, baseline = ours_head[worst], rr_head[worst]
    ratio = value / baseline
    print(
        json.dumps(
            {
                "name": "tournament_top3",
                "value": round(value, 4),
                "baseline": round(baseline, 4),
                "ratio": round(ratio, 4),
                "unit": "top-3 precision at 25% of round-robin comparisons (min over s=0.2,0.5)",
                "target": ">= 1.0 x round-robin",
                "met": bool(ratio >= 1.0),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
