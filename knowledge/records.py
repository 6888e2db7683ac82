"""Literature records and retrieved passages: the knowledge layer's boundary models.

A :class:`Record` is one citable work (a PubMed article, a DOI'd paper, a local note). Its ``key`` is
stable across re-ingestion: ``PMID:<n>`` when a PMID is known, else ``DOI:<doi>``, else
``H:<content hash>``. Every chunk of a record carries the record's key, so any passage an agent
cites resolves back to exactly one indexed record.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, field_validator

KEY_RE = re.compile(r"^(PMID:\d+|DOI:10\.\S+|H:[0-9a-f]{16})$")


def make_key(*, pmid: str | None = None, doi: str | None = None, text: str = "") -> str:
    """The stable citation key for a record (PMID, else DOI, else a content hash)."""
    if pmid:
        return f"PMID:{str(pmid).strip()}"
    if doi:
        return f"DOI:{doi.strip().lower()}"
    return "H:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


class Record(BaseModel):
    """One citable work in the index."""

    model_config = ConfigDict(extra="forbid")

    key: str = Field(description="Stable citation key: PMID:<n>, DOI:<doi> or H:<hash>.")
    title: str = Field(min_length=1, description="Exact title of the work.")
    abstract: str = Field("", description="Abstract or body text that is indexed.")
    authors: list[str] = Field(default_factory=list)
    year: int | None = None
    journal: str | None = None
    doi: str | None = None
    pmid: str | None = None
    mesh: list[str] = Field(default_factory=list, description="MeSH terms or keywords.")
    source: str = Field("", description="Where it came from: starter, pubmed, a file path...")
    ingested_at: datetime | None = None

    @field_validator("key")
    @classmethod
    def _check_key(cls, v: str) -> str:
        if not KEY_RE.match(v):
            raise ValueError(f"malformed citation key {v!r} (expected PMID:<n>, DOI:10.<...> or H:<hash>)")
        return v


class Passage(BaseModel):
    """A retrieved piece of a record, with its score for the query that found it."""

    key: str
    pmid: str | None = None
    title: str
    year: int | None = None
    text: str
    score: float = 0.0
    chunk_id: str = ""


class SearchFilter(BaseModel):
    """Metadata filters for retrieval (all optional)."""

    model_config = ConfigDict(extra="forbid")

    year_min: int | None = None
    year_max: int | None = None
    mesh: list[str] = Field(default_factory=list)
    source: str | None = None


@runtime_checkable
class Retriever(Protocol):
    """What the agents need from the knowledge layer: search and resolve citation keys."""

    def search(self, query: str, k: int = 8, *, where: SearchFilter | None = None) -> list[Passage]: ...

    def get(self, key: str) -> Record | None: ...
