"""``parse_path``: turn a file (or a folder of files) into records and rejections.

Dispatch is by file name first (``.xml``, ``.xml.gz``, ``.nbib``/``.medline``, ``.jsonl``/``.ndjson``,
``.bib``, ``.ris``, ``.md``/``.markdown``, ``.txt``, ``.pdf``) and by content when the name says
nothing (or says ``.txt``, which may hold a MEDLINE export): gzip magic, ``%PDF``, an XML article
set, ``PMID-`` tags, ``TY  -`` tags, ``@type{`` entries, a JSON object per line. Gzip is undone on
the fly, so a ``.gz`` of any format streams.

Within one file the first record with a given citation key wins and later ones are rejected as
duplicates (with the location of the first), so a re-exported list cannot double-count. Across
files, deduplication is the store's job (its ids come from content hashes).
"""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO

from hypoforge.errors import UserError
from hypoforge.knowledge.ingest import formats
from hypoforge.knowledge.ingest.medline_xml import NotMedlineXML, iter_medline_xml
from hypoforge.knowledge.ingest.models import Rejection
from hypoforge.knowledge.records import Record

_SUFFIX_KIND = {
    ".xml": "xml",
    ".nbib": "medline",
    ".medline": "medline",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".bib": "bibtex",
    ".bibtex": "bibtex",
    ".ris": "ris",
    ".md": "note",
    ".markdown": "note",
    ".pdf": "pdf",
}
SUPPORTED = sorted(set(_SUFFIX_KIND) | {".txt", ".gz"})


@contextmanager
def _open(path: Path) -> Iterator[BinaryIO]:
    with path.open("rb") as fh:
        gz = fh.read(2) == b"\x1f\x8b"
        fh.seek(0)
        if gz:
            with gzip.open(fh, "rb") as inner:
                yield inner  # type: ignore[misc]
        else:
            yield fh


def _sniff(head: bytes) -> str | None:
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"%PDF"):
        return "pdf"
    if b"<PubmedArticleSet" in head or b"<MedlineCitationSet" in head:
        return "xml"
    if text.startswith(b"<?xml") or text.startswith(b"<!DOCTYPE") or text.startswith(b"<"):
        return "xml"
    lines = text.splitlines()
    if any(line.startswith(b"PMID- ") for line in lines[:50]):
        return "medline"
    if any(line.startswith(b"TY  - ") for line in lines[:50]):
        return "ris"
    if text.startswith(b"@") and b"{" in lines[0]:
        return "bibtex"
    if text.startswith(b"{"):
        return "jsonl"
    return None


def detect_kind(path: Path) -> str | None:
    """The format of ``path``: xml, medline, jsonl, bibtex, ris, note, pdf, or None if unknown."""
    name = path.name.lower()
    inner = name[:-3] if name.endswith(".gz") else name
    kind = _SUFFIX_KIND.get(Path(inner).suffix)
    if kind is not None:
        return kind
    with _open(path) as fh:
        head = fh.read(8192)
    sniffed = _sniff(head)
    if sniffed is not None:
        return sniffed
    if Path(inner).suffix in (".txt", ""):
        return "note"
    return None


def _items(path: Path, kind: str, source: str, now: datetime, fields: Mapping[str, str],
           note: Callable[[str], None]) -> Iterator[tuple[str, Record | str]]:
    if kind == "pdf":
        yield from formats.iter_pdf(path, source=source, ingested_at=now)
        return
    with _open(path) as fh:
        if kind == "xml":
            try:
                yield from iter_medline_xml(fh, source=source, ingested_at=now)
            except NotMedlineXML as exc:
                yield "file", f"not MEDLINE/PubMed XML: {exc}"
        elif kind == "medline":
            yield from formats.iter_medline_text(fh, source=source, ingested_at=now)
        elif kind == "jsonl":
            yield from formats.iter_jsonl(fh, source=source, ingested_at=now, fields=fields, note=note)
        elif kind == "bibtex":
            yield from formats.iter_bibtex(fh, source=source, ingested_at=now)
        elif kind == "ris":
            yield from formats.iter_ris(fh, source=source, ingested_at=now)
        else:
            yield from formats.iter_note(fh, path=path, source=source, ingested_at=now)


def _files(path: Path) -> Iterator[Path]:
    if path.is_dir():
        for child in sorted(path.rglob("*")):
            if child.is_file() and not any(part.startswith(".") for part in child.relative_to(path).parts):
                yield child
    else:
        yield path


def parse_path(
    path: Path | str,
    *,
    fields: Mapping[str, str] | None = None,
    note: Callable[[str], None] | None = None,
    now: datetime | None = None,
) -> Iterator[Record | Rejection]:
    """Yield a :class:`Record` for every good entry of ``path`` and a :class:`Rejection` for every bad one.

    ``path`` may be a folder: its files are read recursively in name order (hidden files skipped).
    ``fields`` maps JSONL fields to the names a file uses (``{"title": "question"}`` for PubMedQA,
    whose items carry no article title; see :func:`formats.iter_jsonl`). ``note`` receives
    ``"<file>: <message>"`` for what was done without being asked (a title taken from another
    field; ``fields`` given for a file that is not JSONL), once per record. ``now`` fixes
    ``ingested_at`` (defaults to the current UTC time, one value per call). Each record's
    ``source`` is the file path. Raises :class:`UserError` if ``path`` does not exist.
    """
    path = Path(path)
    if not path.exists():
        raise UserError(f"no such file or folder: {path}; check the path")
    now = now or datetime.now(timezone.utc)
    tell = note or (lambda message: None)
    for file in _files(path):
        source = str(file)
        try:
            kind = detect_kind(file)
        except OSError as exc:  # unreadable, or a corrupt gzip header
            yield Rejection(path=source, location="file", reason=f"cannot read: {exc}")
            continue
        if kind is None:
            yield Rejection(
                path=source, location="file", reason=f"unsupported file type (supported: {', '.join(SUPPORTED)})"
            )
            continue
        if fields and kind != "jsonl":
            tell(f"{source}: --field applies to JSONL files only; ignored for this {kind} file")

        def file_note(message: str, source: str = source) -> None:
            tell(f"{source}: {message}")

        seen: dict[str, str] = {}
        try:
            for location, item in _items(file, kind, source, now, fields or {}, file_note):
                if isinstance(item, str):
                    yield Rejection(path=source, location=location, reason=item)
                elif item.key in seen:
                    yield Rejection(path=source, location=location, reason=f"duplicate of {item.key} at {seen[item.key]}")
                else:
                    seen[item.key] = location
                    yield item
        except (OSError, EOFError) as exc:  # e.g. a truncated or corrupt gzip stream
            yield Rejection(path=source, location="file", reason=f"read error after {len(seen)} records: {exc}")
