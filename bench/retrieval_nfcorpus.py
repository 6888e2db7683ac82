"""NFCorpus test split: nDCG@10 and recall@100 of hybrid vs BM25 alone vs dense alone, in one run.

Corpus: 3,162 medical documents (pre-processed text: lower-cased, stop words removed), 325 title
queries, graded qrels (3-2-1). Each document becomes a Record (title = its NFCorpus id, since the
pre-processed text has the title merged into it) indexed through the real pipeline:
KnowledgeIndex (chunking, MiniLM int8 ONNX embeddings, Chroma) and HybridRetriever. Retrieval
returns one passage per record (max_per_record=1), scored at document level.

nDCG@10 uses linear gains (the grade) like trec_eval's ndcg_cut; recall@100 counts documents of any
positive grade. Embeddings are cached under /tmp by text hash (see _common.CachedEmbedder).

    python bench/retrieval_nfcorpus.py            # report with the shipped defaults
    python bench/retrieval_nfcorpus.py --tune     # grid search on the even-numbered half of queries
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402

_common.bootstrap()

from hypoforge.knowledge.embeddings import OnnxEmbedder  # noqa: E402
from hypoforge.knowledge.records import Record, make_key  # noqa: E402
from hypoforge.knowledge.retrieval import HybridRetriever, RetrievalConfig  # noqa: E402
from hypoforge.knowledge.store import KnowledgeIndex  # noqa: E402


def ndcg10(ranked: list[str], rels: dict[str, int]) -> float:
    dcg = sum(rels.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:10]))
    ideal = sorted(rels.values(), reverse=True)[:10]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall100(ranked: list[str], rels: dict[str, int]) -> float:
    pos = {d for d, g in rels.items() if g > 0}
    return len(pos.intersection(ranked[:100])) / len(pos) if pos else 0.0


def evaluate(ret: HybridRetriever, queries, qrels, key_to_doc, mode: str, qids) -> tuple[float, float]:
    n = r = 0.0
    for qid in qids:
        ranked = ret.rank(queries[qid], 100, mode=mode)
        docs = [key_to_doc[ret._bm25.keys[ret._bm25.row[cid]]] for cid, _ in ranked]
        n += ndcg10(docs, qrels[qid])
        r += recall100(docs, qrels[qid])
    return n / len(qids), r / len(qids)


def build(index_dir: Path, docs: dict[str, str]) -> tuple[KnowledgeIndex, dict[str, str]]:
    emb = _common.CachedEmbedder(OnnxEmbedder.minilm(threads=1))
    index = KnowledgeIndex(index_dir, embedder=emb, collection="nfcorpus")
    key_to_doc = {}
    records = []
    for did, text in docs.items():
        key = make_key(text=did)
        key_to_doc[key] = did
        records.append(Record(key=key, title=did, abstract=text, source="nfcorpus"))
    t = time.time()
    rep = index.add(records)
    print(f"indexed {rep.added} new, {rep.unchanged} unchanged records in {time.time() - t:.1f}s "
          f"({index.count_chunks()} chunks)", file=sys.stderr)
    return index, key_to_doc


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tune", action="store_true")
    ap.add_argument("--index", type=Path, default=Path(tempfile.gettempdir()) / "hypoforge-bench-nfcorpus")
    args = ap.parse_args()
    docs, queries, qrels = _common.nfcorpus(_common.shared_data())
    qids = sorted(q for q in queries if q in qrels)
    index, key_to_doc = build(args.index, docs)
    base = RetrievalConfig(max_per_record=1, candidates=150)
    if args.tune:  # fusion knobs only; BM25 k1/b/stemming were compared separately (docs/bench-kstore.md)
        tune_q = qids[0::2]
        ret = HybridRetriever(index, config=base)
        print(f"bm25 on tuning half: {evaluate(ret, queries, qrels, key_to_doc, 'bm25', tune_q)[0]:.4f}", file=sys.stderr)
        rows = []
        grid = [{"fusion": "rrf"}] + [{"norm": n, "alpha": a} for n in ("minmax", "zscore")
                                      for a in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7)]
        grid += [{"alpha": a, "prf_docs": m, "prf_weight": w} for a in (0.4, 0.5, 0.6) for m in (3, 5) for w in (0.5, 1.0)]
        for upd in grid:
            ret.config = base.model_copy(update=upd)
            hy = evaluate(ret, queries, qrels, key_to_doc, "hybrid", tune_q)[0]
            rows.append((round(hy, 4), upd))
            print(f"{upd}: hybrid {hy:.4f}", file=sys.stderr)
        rows.sort(key=lambda r: -r[0])
        print("best on tuning half:", rows[:3], file=sys.stderr)
        return
    ret = HybridRetriever(index, config=base)
    results = {}
    for mode in ("bm25", "dense", "hybrid"):
        t = time.time()
        results[mode] = evaluate(ret, queries, qrels, key_to_doc, mode, qids)
        print(f"{mode:6s}: nDCG@10 {results[mode][0]:.4f}  recall@100 {results[mode][1]:.4f}  "
              f"({(time.time() - t) / len(qids) * 1000:.1f} ms/query)", file=sys.stderr)
    plain = HybridRetriever(index, config=base.model_copy(update={"stem": False}), cache_dir=args.index / "bm25-nostem")
    plain_ndcg = evaluate(plain, queries, qrels, key_to_doc, "bm25", qids)[0]
    print(f"bm25 without stemming: nDCG@10 {plain_ndcg:.4f}", file=sys.stderr)
    held = qids[1::2]
    hb, hh = (evaluate(ret, queries, qrels, key_to_doc, m, held)[0] for m in ("bm25", "hybrid"))
    print(f"held-out half ({len(held)} queries): bm25 {hb:.4f} hybrid {hh:.4f} ratio {hh / hb:.3f}", file=sys.stderr)
    h, b = results["hybrid"][0], results["bm25"][0]
    _common.result("retrieval_nfcorpus_ndcg10", h, b, "nDCG@10", ">= 1.10 x BM25", h >= 1.10 * b,
                 dense=round(results["dense"][0], 4), recall100_hybrid=round(results["hybrid"][1], 4),
                 recall100_bm25=round(results["bm25"][1], 4), recall100_dense=round(results["dense"][1], 4),
                 heldout_ratio=round(hh / hb, 4), bm25_unstemmed=round(plain_ndcg, 4),
                 ratio_vs_unstemmed_bm25=round(h / plain_ndcg, 4), queries=len(qids))


if __name__ == "__main__":
    main()
