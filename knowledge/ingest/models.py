"""Ingestion boundary models and the one place a parsed entry becomes a :class:`Record`.

Format parsers never build :class:`~hypoforge.knowledge.records.Record` objects directly: they hand
plain fields to :func:`build_record`, which normalises DOIs and PMIDs, chooses the citation key with
:func:`~hypoforge.knowledge.records.make_key`, and turns every problem into a *reason string*
instead of an exception. That keeps "one bad record never stops a file" a property of the design
rather than of each parser's error handling.
"""

from __future__ import annotations

import re
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hypoforge.knowledge.records import Record, make_key

MAX_RECORD_CHARS = 1_000_000
"""Longest record text (title + abstract/body, in characters) that is indexed: about 150,000 words,
or 750 passages to embed. Longer entries are rejected with a reason (split the document first); a
50 MB record would otherwise take many minutes and gigabytes to embed."""

MAX_LINE_BYTES = 4 * MAX_RECORD_CHARS
"""Longest line the line-based parsers read (JSON escapes make a line longer than its text); a
longer line is skipped unread and rejected, so a hostile file never has to fit in memory."""

_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)
_YEAR = re.compile(r"\b(1[5-9]\d\d|20\d\d)\b")


class Rejection(BaseModel):
    """One input entry that was not turned into a record, with where it was and why."""

    model_config = ConfigDict(extra="forbid")

    path: str = Field(description="The file (or PubMed query) the entry came from.")
    location: str = Field(description="Where in it: 'line 12', 'record 3 (line 40)', 'file'...")
    reason: str = Field(description="Why it was rejected, in one line.")

    def __str__(self) -> str:
        return f"{self.path}: {self.location}: {self.reason}"


def clean_text(text: str | None) -> str:
    """Collapse runs of whitespace (XML indentation, wrapped lines) into single spaces."""
    return " ".join(text.split()) if text else ""


def normalize_doi(doi: str | None) -> str | None:
    """Strip URL/`doi:` prefixes; return None unless the rest looks like a DOI (``10.<...>``)."""
    if not doi:
        return None
    doi = _DOI_PREFIX.sub("", doi.strip()).strip().rstrip(".")
    return doi if doi.startswith("10.") and " " not in doi else None


def parse_year(value: object) -> int | None:
    """The first plausible 4-digit year in an int or a date-ish string ('2007 Oct-Dec', '2019-05')."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 1500 <= value <= 2100 else None
    if isinstance(value, str):
        m = _YEAR.search(value)
        return int(m.group(1)) if m else None
    return None


def build_record(
    *,
    title: str | None,
    abstract: str | None = "",
    authors: list[str] | None = None,
    year: int | None = None,
    journal: str | None = None,
    doi: str | None = None,
    pmid: str | None = None,
    mesh: list[str] | None = None,
    source: str,
    ingested_at: datetime,
) -> Record | str:
    """A validated Record, or the reason (a one-line string) why the fields do not make one.

    Titles and journal names are whitespace-collapsed; abstracts keep their line breaks (section
    labels are one per line) but collapse runs of spaces within lines.
    """
    size = len(title or "") + len(abstract or "")
    if size > MAX_RECORD_CHARS:
        return f"record text is {size:,} characters, over the limit of {MAX_RECORD_CHARS:,}; split the document"
    title = clean_text(title)
    if not title:
        return "missing title"
    pmid = str(pmid).strip() if pmid not in (None, "") else None
    if pmid is not None and not pmid.isdigit():
        return f"malformed PMID {pmid!r} (expected digits)"
    doi_norm = normalize_doi(doi)
    body = "\n".join(clean_text(line) for line in (abstract or "").splitlines() if line.strip())
    try:
        return Record(
            key=make_key(pmid=pmid, doi=doi_norm, text=f"{title}\n{body}"),
            title=title,
            abstract=body,
            authors=[a for a in (clean_text(x) for x in (authors or [])) if a],
            year=year,
            journal=clean_text(journal) or None,
            doi=doi_norm,
            pmid=pmid,
            mesh=[m for m in (clean_text(x) for x in (mesh or [])) if m],
            source=source,
            ingested_at=ingested_at,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        return f"invalid record: {'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
