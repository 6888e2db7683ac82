"""Streaming parser for MEDLINE / PubMed XML (``PubmedArticleSet`` and the older ``MedlineCitationSet``).

Design:

* **Streaming.** The file is read in line-aligned blocks of ~64 KiB (a line longer than 1 MiB is
  cut, so even a file without newlines stays bounded) and fed to an
  ``xml.etree.ElementTree.XMLPullParser``. When a record's end
  tag arrives it is converted and then removed from the root element, so memory holds one record
  at a time whatever the file size (a 2026 baseline file is ~30,000 articles, ~200 MB of XML).
* **Recovery.** Expat stops at the first well-formedness error. When that happens the record being
  parsed is rejected with its record number and the line of the error, then lines are skipped to
  the next record start tag and a fresh parser resumes there under a re-opened root element. Good records
  before and after a damaged one are kept.
* **Bytes in, bytes fed.** Each block is checked to be UTF-8 before it is fed; a line that is not
  rejects its record the same way (MEDLINE XML is always UTF-8).
* No DTD or external entity is ever fetched (expat does not load external DTDs).

The same record converter serves the live PubMed client (``efetch`` returns ``PubmedArticleSet``).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import deque
from collections.abc import Iterator
from datetime import datetime
from typing import BinaryIO

from hypoforge.knowledge.ingest.models import build_record, clean_text, parse_year
from hypoforge.knowledge.records import Record

_MAX_READ = 1 << 20
_BLOCK = 1 << 16
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


class _LineSource:
    """Line-aligned blocks of about 64 KiB from a binary stream, with push-back.

    Lines longer than 1 MiB are cut into 1 MiB pieces, so memory stays bounded even for a file
    without newlines. Pushed-back lines (the unread rest of a block after an error) come first.
    """

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.pending: list[bytes] = []
        self.carry = b""

    def block(self) -> list[bytes]:
        if self.pending:
            out, self.pending = self.pending, []
            return out
        while True:
            data = self.stream.read(_BLOCK)
            if not data:
                out = [self.carry] if self.carry else []
                self.carry = b""
                return out
            data = self.carry + data
            cut = data.rfind(b"\n") + 1
            if cut == 0 and len(data) < _MAX_READ:
                self.carry = data
                continue
            if cut == 0:
                cut = len(data)
            self.carry = data[cut:]
            return data[:cut].splitlines(keepends=True)

    def push_back(self, lines: list[bytes]) -> None:
        self.pending = lines + self.pending


def iter_medline_xml(stream: BinaryIO, *, source: str, ingested_at: datetime) -> Iterator[tuple[str, Record | str]]:
    """Yield ``(location, Record or rejection reason)`` for each record of a MEDLINE/PubMed XML stream.

    Raises :class:`NotMedlineXML` if the first element is not an article set (nothing is yielded
    before that check). Locations read ``record N (line L)``: the record's number in the file and
    the line of its start tag (found by scanning each fed block for record start tags, since
    ElementTree events carry no positions).
    """
    src = _LineSource(stream)
    parser: ET.XMLPullParser | None = ET.XMLPullParser(events=("start", "end"))
    lineno = 0  # number of lines consumed so far
    base = 0  # lines consumed before the current parser's line 1
    depth = 0  # element depth in the current parser (root = 1)
    root: ET.Element | None = None
    record_no = 0
    record_line = 0
    in_record = False
    checked_root = False
    record_tags: tuple[str, ...] = RECORD_TAGS
    root_tag = "PubmedArticleSet"  # reopened after a resync so the file's own end tag still matches
    markers = _markers(RECORD_TAGS)
    starts: deque[int] = deque()  # line numbers of record start tags fed but not yet seen as events

    def marker_lines(chunk: bytes, first: int) -> list[int]:
        out, line, pos = [], first, 0
        for m in re.finditer(b"|".join(re.escape(x) for x in markers), chunk):
            line += chunk.count(b"\n", pos, m.start())
            pos = m.start()
            out.append(line)
        return out

    def reject_and_resync(reason: str) -> Iterator[tuple[str, Record | str]]:
        nonlocal parser, depth, root, in_record, base, record_no, record_line, lineno
        if not in_record:
            record_no += 1
            record_line = lineno
        yield f"record {record_no} (line {record_line})", reason
        in_record = False
        starts.clear()
        # Skip to the next record start tag and restart under a copy of the root start tag there.
        while True:
            lines = src.block()
            if not lines:
                parser = None
                return
            for i, raw in enumerate(lines):
                lineno += 1
                idx = min((j for j in (raw.find(m) for m in markers) if j >= 0), default=-1)
                if idx < 0:
                    continue
                try:
                    raw.decode("utf-8")
                except UnicodeDecodeError:
                    continue
                src.push_back(lines[i + 1 :])
                parser = ET.XMLPullParser(events=("start", "end"))
                depth, root = 0, None
                base = lineno - 1
                starts.append(lineno)
                parser.feed(f"<{root_tag}>".encode() + raw[idx:])
                return

    def feed(lines: list[bytes]) -> Iterator[tuple[str, Record | str]]:
        """Feed line-aligned, valid UTF-8 lines and yield the records they complete."""
        nonlocal depth, root, record_no, record_line, in_record, checked_root, record_tags, root_tag, markers, lineno
        assert parser is not None
        first = lineno + 1
        chunk = b"".join(lines)
        parser.feed(chunk)
        lineno += len(lines)
        scanned = checked_root
        if scanned:
            starts.extend(marker_lines(chunk, first))
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
                        if not scanned:
                            starts.extend(marker_lines(chunk, first))
                            scanned = True
                        in_record = True
                        record_no += 1
                        record_line = starts.popleft() if starts else lineno
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
            # Lines after the error were fed to the dead parser: give them back for the resync.
            unread = max(0, lineno - err_line)
            if unread:
                src.push_back(lines[len(lines) - unread :])
                lineno -= unread
            yield from reject_and_resync(f"malformed XML at line {err_line}: {exc}")

    while parser is not None:
        lines = src.block()
        if not lines:
            try:
                parser.close()
                list(parser.read_events())
            except ET.ParseError as exc:
                if not checked_root:
                    raise NotMedlineXML(f"not XML ({exc})") from None
                if in_record or depth > 1:
                    yield from reject_and_resync(f"truncated XML at end of file ({exc})")
            break
        try:
            b"".join(lines).decode("utf-8")
        except UnicodeDecodeError:
            # Find the offending line: feed the good lines before it, reject its record, resync after it.
            bad = next(i for i, line in enumerate(lines) if not _is_utf8(line))
            src.push_back(lines[bad + 1 :])
            if bad:
                yield from feed(lines[:bad])
                if parser is None or src.pending != lines[bad + 1 :]:
                    continue  # a parse error in the good part already resynced past the bad line
            lineno += 1
            if not checked_root:
                raise NotMedlineXML(f"not UTF-8 at line {lineno}") from None
            try:
                lines[bad].decode("utf-8")
            except UnicodeDecodeError as exc:
                yield from reject_and_resync(f"non-UTF-8 bytes at line {lineno} (byte offset {exc.start} in the line)")
            continue
        yield from feed(lines)


def _is_utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
