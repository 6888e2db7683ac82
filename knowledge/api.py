"""The knowledge layer's entry point for the agents: open an index for retrieval.

One call gives the loop what it needs: a :class:`~hypoforge.knowledge.records.Retriever` (hybrid
BM25 + dense search and ``get(key)`` to resolve citations) and the embedder, which the proximity
step reuses to compare hypotheses, so one MiniLM model serves both.
"""

from __future__ import annotations

from pathlib import Path

from hypoforge.errors import UserError
from hypoforge.knowledge.embeddings import Embedder, load_embedder
from hypoforge.knowledge.records import Retriever


def open_retriever(
    index_dir: Path | None, *, collection: str = "literature", chroma_url: str | None = None, embedder: str | None = None
) -> tuple[Retriever, Embedder]:
    """Open an existing index; an empty or missing one is a user error naming the fix."""
    from hypoforge.knowledge.retrieval import HybridRetriever
    from hypoforge.knowledge.store import KnowledgeIndex

    if chroma_url is None and index_dir is not None and not Path(index_dir).exists():
        raise UserError(f"no literature index at {index_dir}; build one with: hypoforge index starter --index {index_dir}")
    emb = load_embedder(embedder)
    index = KnowledgeIndex(index_dir, embedder=emb, collection=collection, chroma_url=chroma_url)
    if index.count_chunks() == 0:
        where = chroma_url or index_dir
        raise UserError(f"the literature index at {where} is empty; add the starter pack with: hypoforge index starter"
                        + (f" --index {index_dir}" if index_dir else ""))
    return HybridRetriever(index, emb), emb
