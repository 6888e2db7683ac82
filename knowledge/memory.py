"""A retriever over records held in memory.

Ranks records by how many words of the query they share (ties broken by key), and resolves keys
like the real index. It implements the same :class:`~hypoforge.knowledge.records.Retriever`
protocol, so tests, scripted campaigns and worker processes can run the loop without building a
Chroma index. Metadata filters are not supported (``where`` is ignored).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from hypoforge.knowledge.records import Passage, Record, SearchFilter


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.lower()))


class MemoryRetriever:
    """Word-overlap search over a few records; records every query it is asked."""

    def __init__(self, records: Sequence[Record]) -> None:
        self.records = {r.key: r for r in records}
        self.queries: list[str] = []

    def search(self, query: str, k: int = 8, *, where: SearchFilter | None = None) -> list[Passage]:
        self.queries.append(query)
        q = _words(query)
        scored = sorted(
            ((len(q & _words(r.title + " " + r.abstract)), r.key, r) for r in self.records.values()),
            key=lambda t: (-t[0], t[1]),
        )
        return [Passage(key=r.key, pmid=r.pmid, title=r.title, year=r.year, text=r.abstract, score=float(s)) for s, _, r in scored[:k]]

    def get(self, key: str) -> Record | None:
        return self.records.get(key)
