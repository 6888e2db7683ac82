"""Streaming parser for MEDLINE / PubMed XML (``PubmedArticleSet`` and the older ``MedlineCitationSet``).

Design:

* **Streaming.** The file is read line by line (each read capped at 1 MiB, so even a file without
  newlines stays bounded) and fed to an ``xml.etree.ElementTree.XMLPullParser``. When a record's end
  tag arrives it is converted and then removed from the root element, so memory holds one record
  at a time whatever the file size (a 2026 baseline file is ~30,000 articles, ~200 MB of XML).
* **Recovery.** Expat stops at the first well-formedness error. When that happens the record being
  parsed is rejected with its record number and the line of the error, then lines are skipped to
  the next record start tag and a fresh parser resumes there under a re-opened root element. Good records
  before and after a damaged one are kept.
* **Bytes in, bytes fed.** Each line is checked to be UTF-8 before it is fed; a line that is not
  rejects its record the same way (MEDLINE XML is always UTF-8).
* No DTD or external entity is ever fetched (expat does not load external DTDs).

The same record converter serves the live PubMed client (``efetch`` returns ``PubmedArticleSet``).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime
from typing import BinaryIO

from hypoforge.knowledge.ingest.models import build_record, clean_text, parse_year
from hypoforge.knowledge.records import Record

_MAX_READ = 1 << 20
RECORD_TAGS = ("PubmedArticle", "MedlineCitation", "PubmedBookArticle")
_ROOT_TAGS = ("PubmedArticleSet", "MedlineCitationSet")
# Record elements that sit directly under each root; resync looks for their start tags only, so a
# nested <MedlineCitation> inside a damaged <PubmedArticle> is never mistaken for a record start.
_CHILD_TAGS = {"PubmedArticleSet": ("PubmedArticle", "PubmedBookArticle"), "MedlineCitationSet": ("MedlineCitation",)}


def _markers(tags: tuple[str, ...]) -> tuple[bytes, ...]:
    return tuple(f"<{t}{end}".encode() for t in tags for end in (">", " ", "\n", "\t"))


class NotMedlineXML(ValueError):
    """The document's root element is not a PubMed/MEDLINE article set."""


def _text(elem: ET.Element | None) -> str:
    return clean_text("".join(elem.itertext())) if elem is not None else ""


def _abstract(citation: ET.Element) -> str:
    """Abstract sections, one per line, labelled ``LABEL: text`` when the abstract is structured.

    ``<OtherAbstract>`` is left out: in MEDLINE it is mostly a publisher's placeholder ("Abstract
    available from the publisher.") or a non-English translation of the main abstract.
    """
    parts = []
    for node in citation.findall("./Article/Abstract/AbstractText"):
        text = _text(node)
        if not text:
            continue
        label = (node.get("Label") or "").strip()
        parts.append(f"{label}: {text}" if label and label.upper() != "UNLABELLED" else text)
    return "\n".join(parts)


def _authors(citation: ET.Element) -> list[str]:
    out = []
    for author in citation.findall("./Article/AuthorList/Author"):
        collective = _text(author.find("CollectiveName"))
        if collective:
            out.append(collective)
            continue
        last = _text(author.find("LastName"))
        first = _text(author.find("ForeName")) or _text(author.find("Initials"))
        if last:
            out.append(f"{last} {first}".strip())
    return out


def _year(citation: ET.Element) -> int | None:
    pub = citation.find("./Article/Journal/JournalIssue/PubDate")
    if pub is not None:
        year = parse_year(_text(pub.find("Year"))) or parse_year(_text(pub.find("MedlineDate")))
        if year:
            return year
    for path in ("./Article/ArticleDate/Year", "./DateCompleted/Year", "./DateCreated/Year"):
        year = parse_year(_text(citation.find(path)))
        if year:
            return year
    return None


def _doi(article: ET.Element, citation: ET.Element) -> str | None:
    for node in citation.findall("./Article/ELocationID"):
        if node.get("EIdType") == "doi" and _text(node):
            return _text(node)
    for node in article.findall("./PubmedData/ArticleIdList/ArticleId"):
        if node.get("IdType") == "doi" and _text(node):
            return _text(node)
    return None


def element_to_record(elem: ET.Element, *, source: str, ingested_at: datetime) -> Record | str:
    """Convert one ``PubmedArticle`` or ``MedlineCitation`` element (or say why not)."""
    if elem.tag == "PubmedBookArticle":
        return "PubMed book records (PubmedBookArticle) are not supported"
    citation = elem.find("MedlineCitation") if elem.tag == "PubmedArticle" else elem
    if citation is None:
        return "PubmedArticle without MedlineCitation"
    pmid = _text(citation.find("PMID")) or None
    return build_record(
        title=_text(citation.find("./Article/ArticleTitle")),
        abstract=_abstract(citation),
        authors=_authors(citation),
        year=_year(citation),
        journal=_text(citation.find("./Article/Journal/Title")) or _text(citation.find("./MedlineJournalInfo/MedlineTA")),
        doi=_doi(elem, citation),
        pmid=pmid,
        mesh=[_text(d) for d in citation.findall("./MeshHeadingList/MeshHeading/DescriptorName")],
        source=source,
        ingested_at=ingested_at,
    )


def iter_medline_xml(stream: BinaryIO, *, source: str, ingested_at: datetime) -> Iterator[tuple[str, Record | str]]:
    """Yield ``(location, Record or rejection reason)`` for each record of a MEDLINE/PubMed XML stream.

    Raises :class:`NotMedlineXML` if the first element is not an article set (nothing is yielded
    before that check). Locations read ``record N (line L)``.
    """
    parser = ET.XMLPullParser(events=("start", "end"))
    lineno = 0  # line number of the last line fed (1-based)
    base = 0  # lineno offset of the current parser's line 1
    depth = 0  # element depth in the current parser (root = 1)
    root: ET.Element | None = None
    record_no = 0
    record_line = 0
    in_record = False
    checked_root = False
    record_tags: tuple[str, ...] = RECORD_TAGS
    root_tag = "PubmedArticleSet"  # reopened after a resync so the file's own end tag still matches
    markers = _markers(RECORD_TAGS)

    def reject_and_resync(reason: str) -> Iterator[tuple[str, Record | str]]:
        nonlocal parser, depth, root, in_record, base, record_no, record_line
        if not in_record:
            record_no += 1
            record_line = lineno
        yield f"record {record_no} (line {record_line})", reason
        in_record = False
        # Skip to the next record start tag and restart under a copy of the root start tag on that line.
        while True:
            raw = stream.readline(_MAX_READ)
            if not raw:
                parser = None
                return
            if raw.endswith(b"\n"):
                lineno_inc()
            idx = min((i for i in (raw.find(m) for m in markers) if i >= 0), default=-1)
            if idx >= 0:
                try:
                    raw.decode("utf-8")
                except UnicodeDecodeError:
                    continue
                parser = ET.XMLPullParser(events=("start", "end"))
                depth, root = 0, None
                base = lineno - (1 if raw.endswith(b"\n") else 0)
                parser.feed(f"<{root_tag}>".encode() + raw[idx:])
                return

    def lineno_inc() -> None:
        nonlocal lineno
        lineno += 1

    while parser is not None:
        raw = stream.readline(_MAX_READ)
        if not raw:
            try:
                parser.close()
                events = list(parser.read_events())
            except ET.ParseError as exc:
                if not checked_root:
                    raise NotMedlineXML(f"not XML ({exc})") from None
                if in_record or depth > 1:
                    # Truncated file: the open record never ended.
                    yield from reject_and_resync(f"truncated XML at end of file ({exc})")
                break
            else:
                if not events:
                    break
                raise AssertionError("unreachable: events after close")  # pragma: no cover
        line_for_this = lineno + 1
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            if raw.endswith(b"\n"):
                lineno_inc()
            if not checked_root:
                raise NotMedlineXML(f"not UTF-8 at line {line_for_this}") from None
            yield from reject_and_resync(f"non-UTF-8 bytes at line {line_for_this} (byte offset {exc.start} in the line)")
            continue
        parser.feed(raw)
        if raw.endswith(b"\n"):
            lineno_inc()
        try:
            for event, elem in parser.read_events():
                if event == "start":
                    depth += 1
                    if depth == 1:
                        root = elem
                        if not checked_root:
                            if elem.tag not in _ROOT_TAGS:
                                raise NotMedlineXML(f"root element <{elem.tag}> is not PubmedArticleSet or MedlineCitationSet")
                            checked_root = True
                            record_tags = _CHILD_TAGS[elem.tag]
                            root_tag = elem.tag
                            markers = _markers(record_tags)
                    elif depth == 2 and elem.tag in record_tags:
                        in_record = True
                        record_no += 1
                        record_line = line_for_this
                    continue
                depth -= 1
                if depth == 1 and root is not None:
                    if elem.tag in record_tags and in_record:
                        in_record = False
                        yield f"record {record_no} (line {record_line})", element_to_record(
                            elem, source=source, ingested_at=ingested_at
                        )
                    root.remove(elem)  # drop it (and its subtree) from memory
        except ET.ParseError as exc:
            if not checked_root:
                raise NotMedlineXML(f"not XML ({exc})") from None
            err_line = base + (exc.position[0] if exc.position else 1)
            yield from reject_and_resync(f"malformed XML at line {err_line}: {exc.msg if hasattr(exc, 'msg') else exc}")
