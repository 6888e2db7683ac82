"""PubMedQA: each of the 1,000 expert-labelled questions against the 1,000 abstracts; recall@1 and
recall@5 of the question's own PMID, hybrid vs BM25 alone (same run, same index).

PubMedQA ships no article titles, so each record's title is the neutral placeholder "PMID <n>" (a
title made from the question would leak the answer). Records go through the real pipeline
(chunking, MiniLM int8 embeddings, Chroma, HybridRetriever with its default configuration, one
passage per record). Embeddings are cached under /tmp by text hash.

    python bench/retrieval_pubmedqa.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402

_common.bootstrap()

from hypoforge.knowledge.embeddings import OnnxEmbedder  # noqa: E402
from hypoforge.knowledge.records import Record  # noqa: E402
from hypoforge.knowledge.retrieval import HybridRetriever, RetrievalConfig  # noqa: E402
from hypoforge.knowledge.store import KnowledgeIndex  # noqa: E402


def main() -> None:
    rows = _common.pubmedqa(_common.shared_data())
    emb = _common.CachedEmbedder(OnnxEmbedder.minilm(threads=1))
    index = KnowledgeIndex(Path(tempfile.gettempdir()) / "hypoforge-bench-pubmedqa", embedder=emb, collection="pubmedqa")
    recs = [Record(key=f"PMID:{r['pmid']}", pmid=str(r["pmid"]), title=f"PMID {r['pmid']}", abstract=r["abstract"],
                   year=int(r["year"]) if r.get("year") else None, mesh=r.get("meshes") or [], source="pubmedqa")
            for r in rows]
    t = time.time()
    rep = index.add(recs)
    print(f"indexed {rep.added} new / {rep.unchanged} unchanged in {time.time() - t:.1f}s", file=sys.stderr)
    ret = HybridRetriever(index, config=RetrievalConfig(max_per_record=1))
    res = {}
    for mode in ("bm25", "dense", "hybrid"):
        r1 = r5 = 0
        for r in rows:
            keys = [ret._bm25.keys[ret._bm25.row[c]] if ret._bm25 else None for c, _ in ret.rank(r["question"], 5, mode=mode)]
            want = f"PMID:{r['pmid']}"
            r1 += keys[:1] == [want]
            r5 += want in keys
        res[mode] = (r1 / len(rows), r5 / len(rows))
        print(f"{mode:6s}: recall@1 {res[mode][0]:.3f}  recall@5 {res[mode][1]:.3f}", file=sys.stderr)
    _common.result("retrieval_pubmedqa_recall1", res["hybrid"][0], res["bm25"][0], "recall@1 of own PMID",
                 ">= BM25", res["hybrid"][0] >= res["bm25"][0], recall5_hybrid=round(res["hybrid"][1], 4),
                 recall5_bm25=round(res["bm25"][1], 4), recall1_dense=round(res["dense"][0], 4),
                 recall5_dense=round(res["dense"][1], 4), questions=len(rows))


if __name__ == "__main__":
    main()
