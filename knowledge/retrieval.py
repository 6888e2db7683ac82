"""Hybrid retrieval over a :class:`KnowledgeIndex`: BM25 + dense, fused, diversified, grouped.

Pipeline for one query:

1. **BM25** (``bm25s``) scores *every* chunk (sparse, fast), so any candidate's lexical score is
   exact. Text is lower-cased, split on non-word characters, English stop words dropped and words
   Snowball-stemmed (PyStemmer) when that package is installed.
2. **Dense**: Chroma's HNSW query with the query's embedding; BM25-only candidates get their exact
   cosine from a float16 copy of the stored vectors kept with the BM25 cache (a Chroma fetch of
   100 vectors costs more than the whole rest of the query), so both scores are known for the
   whole candidate union. The same copy feeds MMR.
3. **Fusion** by a convex combination of per-query min-max normalised scores,
   ``alpha * dense + (1 - alpha) * bm25``, then one round of dense pseudo-relevance feedback
   (Rocchio: the query vector plus the mean vector of the top ``prf_docs`` fused passages,
   rescored over the same candidates, no extra index query) and the same fusion again. Plain reciprocal-rank fusion throws the score gaps away
   (a runaway BM25 winner counts the same as a near tie); on NFCorpus the convex combination beat it
   clearly (see docs/bench-kstore.md). RRF stays available as ``fusion="rrf"``.
4. **Grouping**: at most ``max_per_record`` passages per citation key, so one long paper cannot
   flood the top-k.
5. **MMR** over the fused list (``mmr_lambda`` < 1 trades relevance for diversity between the
   selected passages' embeddings).

Metadata filters (:class:`SearchFilter`: year range, MeSH terms, source) are applied inside Chroma
for the dense side and as a mask over the BM25 scores.

The BM25 index (and the vector copy) is derived data: it is built from the chunks stored in Chroma and cached on disk
next to the index (``<index>/bm25/<collection>/``), tagged with the collection's generation token;
any write to the collection changes the token and the next search rebuilds the cache.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, Field

from hypoforge.knowledge.chunking import index_text
from hypoforge.knowledge.embeddings import Embedder
from hypoforge.knowledge.records import Passage, Record, SearchFilter
from hypoforge.knowledge.store import KnowledgeIndex

_WORD_RE = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")


class RetrievalConfig(BaseModel):
    """Knobs of the hybrid retriever; defaults tuned on half of NFCorpus' test queries."""

    alpha: float = Field(0.6, ge=0.0, le=1.0, description="Weight of the dense score in the fusion.")
    fusion: Literal["convex", "rrf"] = "convex"
    norm: Literal["minmax", "zscore"] = "minmax"
    prf_docs: int = Field(5, ge=0, description="Dense pseudo-relevance feedback: top fused passages mixed into the query vector.")
    prf_weight: float = 1.0
    rrf_k: int = 60
    k1: float = 1.2
    b: float = 0.75
    stem: bool = True
    candidates: int = 100
    mmr_lambda: float = Field(1.0, ge=0.0, le=1.0, description="1 = pure relevance; lower = more diverse.")
    max_per_record: int = 2


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    try:
        import Stemmer  # PyStemmer (optional)
    except ImportError:
        return None
    return Stemmer.Stemmer("english")


def tokenize(text: str, *, stem: bool = True) -> list[str]:
    stop = _stopwords()
    words = [w for t in _WORD_RE.findall(text.lower()) for w in t.replace("'", "-").split("-") if w]
    words = [w for w in words if w not in stop]
    st = _stemmer() if stem else None
    return st.stemWords(words) if st is not None else words


class _Bm25Cache:
    """The BM25 model of a collection plus the per-chunk metadata filters need."""

    def __init__(self, model: Any, ids: list[str], keys: list[str], years: np.ndarray,
                 sources: list[str], mesh: list[list[str]], vectors: np.ndarray) -> None:
        self.model = model
        self.vectors = vectors  # float16 copy of the stored embeddings, row-aligned with ids
        self.ids = ids
        self.keys = keys
        self.years = years
        self.sources = sources
        self.mesh = mesh
        self.row = {cid: i for i, cid in enumerate(ids)}

    def mask(self, where: SearchFilter | None) -> np.ndarray | None:
        if where is None:
            return None
        m = np.ones(len(self.ids), dtype=bool)
        if where.year_min is not None:
            m &= self.years >= where.year_min
        if where.year_max is not None:
            m &= (self.years <= where.year_max) & (self.years >= 0)
        if where.source is not None:
            m &= np.array([s == where.source for s in self.sources], dtype=bool)
        if where.mesh:
            want = {t.lower() for t in where.mesh}
            m &= np.array([bool(want.intersection(ms)) for ms in self.mesh], dtype=bool)
        return m


def chroma_where(where: SearchFilter | None) -> dict[str, Any] | None:
    """The Chroma ``where`` clause equivalent to a :class:`SearchFilter`."""
    if where is None:
        return None
    clauses: list[dict[str, Any]] = []
    if where.year_min is not None:
        clauses.append({"year": {"$gte": where.year_min}})
    if where.year_max is not None:
        clauses.append({"year": {"$lte": where.year_max}})
        clauses.append({"year": {"$gte": 0}})
    if where.source is not None:
        clauses.append({"source": where.source})
    if where.mesh:
        terms = [{"mesh_lc": {"$contains": t.lower()}} for t in where.mesh]
        clauses.append(terms[0] if len(terms) == 1 else {"$or": terms})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _minmax(x: np.ndarray) -> np.ndarray:
    lo, hi = float(x.min()), float(x.max())
    return (x - lo) / (hi - lo) if hi > lo else np.zeros_like(x)


def _zscore(x: np.ndarray) -> np.ndarray:
    sd = float(x.std())
    return (x - float(x.mean())) / sd if sd > 0 else np.zeros_like(x)


class HybridRetriever:
    """Implements :class:`hypoforge.knowledge.records.Retriever` over a :class:`KnowledgeIndex`."""

    def __init__(self, index: KnowledgeIndex, embedder: Embedder | None = None,
                 config: RetrievalConfig | None = None, *, cache_dir: Path | None = None) -> None:
        self.index = index
        self.embedder = embedder or index.embedder
        self.config = config or RetrievalConfig()
        if cache_dir is None:
            if index.path is not None:
                cache_dir = index.path / "bm25" / index.collection_name
            else:
                import hashlib

                import platformdirs

                tag = hashlib.sha256(f"{index.chroma_url}/{index.collection_name}".encode()).hexdigest()[:12]
                cache_dir = Path(platformdirs.user_cache_dir("hypoforge", appauthor=False)) / "bm25" / tag
        self.cache_dir = cache_dir
        self._bm25: _Bm25Cache | None = None
        self._bm25_gen: str | None = None

    # -- Retriever protocol -------------------------------------------------------------------

    def get(self, key: str) -> Record | None:
        return self.index.get(key)

    def search(self, query: str, k: int = 8, *, where: SearchFilter | None = None) -> list[Passage]:
        if k <= 0 or not query.strip():
            return []
        scored = self.rank(query, k, where=where)
        return self._passages(scored)

    # -- ranking ------------------------------------------------------------------------------

    def rank(self, query: str, k: int, *, where: SearchFilter | None = None,
             mode: Literal["hybrid", "bm25", "dense"] = "hybrid") -> list[tuple[str, float]]:
        """Top ``k`` ``(chunk id, score)`` after fusion, grouping and MMR (``mode`` for ablations)."""
        cfg = self.config
        bm = self._bm25_index()
        if not bm.ids:
            return []
        n_cand = max(cfg.candidates, k * cfg.max_per_record)
        ids: list[str] = []
        lex_all: np.ndarray | None = None
        mask = bm.mask(where)
        if mode in ("hybrid", "bm25"):
            lex_all = np.asarray(bm.model.get_scores(tokenize(query, stem=cfg.stem)), dtype=np.float32)
            if mask is not None:
                lex_all = np.where(mask, lex_all, -np.inf)
            top = np.argpartition(-lex_all, min(n_cand, len(lex_all) - 1))[:n_cand]
            top = [int(i) for i in top if np.isfinite(lex_all[i]) and lex_all[i] > 0]
            ids.extend(bm.ids[i] for i in top)
        qv = None
        dense: dict[str, float] = {}
        if mode != "bm25":
            qv = self.embedder.embed([query])[0]
            res = self.index.col.query(query_embeddings=[qv], n_results=min(n_cand, len(bm.ids)),
                                       where=chroma_where(where), include=["distances"])
            seen = set(ids)
            for cid, dist in zip(res["ids"][0], res["distances"][0]):
                if cid not in bm.row:  # written after this search read the generation token
                    continue
                dense[cid] = 1.0 - float(dist)  # cosine space: distance = 1 - cosine
                if cid not in seen:
                    ids.append(cid)
        if not ids:
            return []
        if mode == "hybrid":  # exact cosine of lexical-only candidates from the cached vectors
            missing = [c for c in ids if c not in dense]
            if missing:
                rows = np.fromiter((bm.row[c] for c in missing), dtype=np.int64, count=len(missing))
                sims = np.asarray(bm.vectors[rows], dtype=np.float32) @ qv
                dense.update(zip(missing, sims.tolist()))
        lex = np.array([lex_all[bm.row[c]] for c in ids], dtype=np.float32) if lex_all is not None else None
        den = np.array([dense[c] for c in ids], dtype=np.float32) if mode != "bm25" else None
        if mode == "bm25":
            fused = lex
        elif mode == "dense":
            fused = den
        elif cfg.fusion == "rrf":
            fused = np.zeros(len(ids), dtype=np.float32)
            for s in (lex, den):
                ranks = np.empty(len(ids))
                ranks[np.argsort(-s)] = np.arange(1, len(ids) + 1)
                fused += 1.0 / (cfg.rrf_k + ranks)
        else:
            nf = _minmax if cfg.norm == "minmax" else _zscore
            fused = cfg.alpha * nf(den) + (1 - cfg.alpha) * nf(lex)
            if cfg.prf_docs > 0 and len(ids) > cfg.prf_docs:
                # Rocchio-style feedback on the dense side, rescored over the same candidate union.
                mat = np.asarray(bm.vectors[[bm.row[c] for c in ids]], dtype=np.float32)
                top = np.argsort(-fused)[: cfg.prf_docs]
                q2 = qv + cfg.prf_weight * mat[top].mean(axis=0)
                den = mat @ (q2 / np.linalg.norm(q2))
                fused = cfg.alpha * nf(den) + (1 - cfg.alpha) * nf(lex)
        order = np.argsort(-fused, kind="stable")
        # group: at most max_per_record chunks per citation key
        per_key: dict[str, int] = {}
        ranked: list[tuple[str, float]] = []
        for i in order:
            cid = ids[i]
            key = bm.keys[bm.row[cid]]
            if per_key.get(key, 0) >= cfg.max_per_record:
                continue
            per_key[key] = per_key.get(key, 0) + 1
            ranked.append((cid, float(fused[i])))
        if cfg.mmr_lambda < 1.0 and len(ranked) > 1:
            ranked = self._mmr(ranked, bm, k)
        return ranked[:k]

    def _mmr(self, ranked: list[tuple[str, float]], bm: _Bm25Cache, k: int) -> list[tuple[str, float]]:
        """Maximal marginal relevance over the fused list (relevance rescaled to [0, 1])."""
        lam = self.config.mmr_lambda
        pool = ranked[: max(3 * k, 30)]
        rel = _minmax(np.array([s for _, s in pool], dtype=np.float32))
        mat = np.asarray(bm.vectors[[bm.row[c] for c, _ in pool]], dtype=np.float32)
        chosen: list[int] = []
        best_sim = np.full(len(pool), -np.inf, dtype=np.float32)
        while len(chosen) < min(k, len(pool)):
            red = np.where(np.isfinite(best_sim), best_sim, 0.0)
            score = lam * rel - (1 - lam) * red
            score[chosen] = -np.inf
            j = int(np.argmax(score))
            chosen.append(j)
            best_sim = np.maximum(best_sim, mat @ mat[j])
        return [pool[j] for j in chosen] + ranked[len(pool):]

    def _passages(self, scored: list[tuple[str, float]]) -> list[Passage]:
        if not scored:
            return []
        got = self.index.col.get(ids=[c for c, _ in scored], include=["documents", "metadatas"])
        by_id = {cid: (doc, md) for cid, doc, md in zip(got["ids"], got["documents"], got["metadatas"])}
        out = []
        for cid, score in scored:
            doc, md = by_id[cid]
            year = int(md.get("year", -1))
            out.append(Passage(key=md["key"], pmid=md.get("pmid") or None, title=md["title"],
                               year=None if year < 0 else year, text=doc, score=round(score, 6), chunk_id=cid))
        return out

    # -- BM25 cache ---------------------------------------------------------------------------

    def _bm25_index(self) -> _Bm25Cache:
        gen = self.index.generation()
        if self._bm25 is not None and self._bm25_gen == gen:
            return self._bm25
        cached = self._load_cache(gen)
        if cached is None:
            cached = self._build(gen)
        self._bm25, self._bm25_gen = cached, gen
        return cached

    def _params(self) -> dict[str, Any]:
        c = self.config
        return {"k1": c.k1, "b": c.b, "stem": c.stem and _stemmer() is not None, "v": 2}

    def _load_cache(self, gen: str) -> _Bm25Cache | None:
        import bm25s

        meta_path = self.cache_dir / "meta.json"
        try:
            meta = json.loads(meta_path.read_text())
            if meta.get("generation") != gen or meta.get("params") != self._params():
                return None
            model = bm25s.BM25.load(str(self.cache_dir / "model"), show_progress=False, verbosity=0)
        except (OSError, ValueError, KeyError):
            return None
        vectors = np.load(self.cache_dir / "vectors.npy", mmap_mode="r")
        if len(vectors) != len(meta["ids"]):
            return None
        return _Bm25Cache(model, meta["ids"], meta["keys"], np.asarray(meta["years"], dtype=np.int64),
                          meta["sources"], meta["mesh"], vectors)

    def _build(self, gen: str) -> _Bm25Cache:
        import bm25s

        ids, keys, years, sources, mesh, corpus, vecs = [], [], [], [], [], [], []
        for cid, doc, md, vec in self.index.iter_chunks(embeddings=True):
            vecs.append(np.asarray(vec, dtype=np.float16))
            ids.append(cid)
            keys.append(md["key"])
            years.append(int(md.get("year", -1)))
            sources.append(md.get("source", ""))
            mesh.append(list(md.get("mesh_lc") or []))
            corpus.append(tokenize(index_text(md["title"], doc), stem=self.config.stem))
        dim = int(self.index.embedder.dim)
        if not corpus:  # empty collection: nothing to score, nothing worth caching
            return _Bm25Cache(None, [], [], np.zeros(0, dtype=np.int64), [], [], np.zeros((0, dim), np.float16))
        model = bm25s.BM25(k1=self.config.k1, b=self.config.b)
        model.index(corpus, show_progress=False)
        vectors = np.stack(vecs)
        cache = _Bm25Cache(model, ids, keys, np.asarray(years, dtype=np.int64), sources, mesh, vectors)
        self._save_cache(cache, gen)
        return cache

    def _save_cache(self, cache: _Bm25Cache, gen: str) -> None:
        """Write the cache into a temp folder and swap it in, so readers never see half a cache."""
        try:
            self.cache_dir.parent.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(dir=self.cache_dir.parent, prefix=".bm25-"))
            cache.model.save(str(tmp / "model"), show_progress=False)
            meta = {"generation": gen, "params": self._params(), "ids": cache.ids, "keys": cache.keys,
                    "years": cache.years.tolist(), "sources": cache.sources, "mesh": cache.mesh}
            np.save(tmp / "vectors.npy", cache.vectors)
            (tmp / "meta.json").write_text(json.dumps(meta))
            old = None
            if self.cache_dir.exists():
                old = self.cache_dir.with_name(self.cache_dir.name + f".old-{os.getpid()}")
                os.replace(self.cache_dir, old)
            os.replace(tmp, self.cache_dir)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        except OSError:
            pass  # a read-only index still searches; it just rebuilds BM25 per process
