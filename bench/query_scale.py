"""Query latency of the hybrid retriever at 10k and 100k chunks (synthetic text).

Synthetic corpus: passages of 60 words drawn from a Zipf-distributed vocabulary of 20,000 made-up
words (one chunk per record). Stored vectors are deterministic pseudo-random unit vectors (embedding
100k passages with MiniLM would take hours on 2 cores and does not change query cost); queries are
embedded with the real int8 MiniLM, so each measured search is the full path: query embedding, BM25
over every chunk, Chroma HNSW query, fusion, grouping, passage fetch. The first search (BM25 cache
build) is excluded; indexes are kept under /tmp and reused by later runs.

    python bench/query_scale.py [--sizes 10000 100000] [--queries 100]
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402

_common.bootstrap()

from hypoforge.knowledge.embeddings import OnnxEmbedder  # noqa: E402
from hypoforge.knowledge.records import Record  # noqa: E402
from hypoforge.knowledge.retrieval import HybridRetriever, RetrievalConfig  # noqa: E402
from hypoforge.knowledge.store import KnowledgeIndex  # noqa: E402


class RandomEmbedder:
    """Deterministic pseudo-random unit vectors keyed by text hash (ingest only)."""

    name = "synthetic-random-384"
    dim = 384

    def embed(self, texts):
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            seed = int.from_bytes(hashlib.sha256(t.encode()).digest()[:8], "little")
            out[i] = np.random.default_rng(seed).standard_normal(self.dim)
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def vocab(n: int = 20000) -> list[str]:
    rng = np.random.default_rng(0)
    letters = np.array(list("abcdefghiklmnoprstuvy"))
    return ["".join(rng.choice(letters, size=rng.integers(4, 11))) for _ in range(n)]


def records(n: int, words: list[str]) -> list[Record]:
    rng = np.random.default_rng(1)
    p = 1.0 / np.arange(1, len(words) + 1) ** 1.07
    p /= p.sum()
    draws = rng.choice(len(words), size=(n, 66), p=p)
    return [Record(key=f"PMID:{10_000_000 + i}", pmid=str(10_000_000 + i), title=" ".join(words[j] for j in row[:6]),
                   abstract=" ".join(words[j] for j in row[6:]), year=1990 + i % 35, source="synthetic")
            for i, row in enumerate(draws)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--queries", type=int, default=100)
    ap.add_argument("--index", type=Path, default=Path(tempfile.gettempdir()) / "hypoforge-bench-scale")
    args = ap.parse_args()
    words = vocab()
    all_recs = records(max(args.sizes), words)
    qemb = OnnxEmbedder.minilm(threads=1)
    rng = np.random.default_rng(2)
    queries = [" ".join(words[j] for j in rng.choice(2000, size=rng.integers(2, 6))) for _ in range(args.queries)]
    res = {}
    for n in args.sizes:
        index = KnowledgeIndex(args.index, embedder=RandomEmbedder(), collection=f"scale-{n}")
        t = time.time()
        done = index.count_chunks()
        rep = index.add(all_recs[:n], batch_records=1000) if done != n else None
        if rep:
            print(f"{n}: ingested {rep.added} records in {time.time() - t:.0f}s", file=sys.stderr)
        out = {}
        for mode in ("hybrid", "bm25"):
            ret = HybridRetriever(index, embedder=qemb, config=RetrievalConfig())
            t = time.time()
            ret.rank("warm up cache", 8, mode=mode)
            build = time.time() - t
            lat = []
            for q in queries:
                t = time.perf_counter()
                if mode == "hybrid":
                    ret.search(q, k=8)
                else:
                    ret._passages(ret.rank(q, 8, mode="bm25"))
                lat.append((time.perf_counter() - t) * 1000)
            out[mode] = (float(np.percentile(lat, 50)), float(np.percentile(lat, 95)))
            print(f"{n:>7} chunks {mode:6s}: p50 {out[mode][0]:.1f} ms  p95 {out[mode][1]:.1f} ms "
                  f"(first search incl. BM25 load/build {build:.1f}s)", file=sys.stderr)
        res[n] = out
    big, small = max(args.sizes), min(args.sizes)
    p95 = res[big]["hybrid"][1]
    _common.result("query_scale_p95_ms", p95, res[small]["hybrid"][1], "ms (p95 hybrid search, k=8)",
                 f"<= 50 ms at {big} chunks", p95 <= 50.0,
                 **{f"p50_hybrid_{n}": round(r["hybrid"][0], 1) for n, r in res.items()},
                 **{f"p95_bm25_{n}": round(r["bm25"][1], 1) for n, r in res.items()},
                 baseline_is=f"p95 hybrid at {small} chunks")


if __name__ == "__main__":
    main()
