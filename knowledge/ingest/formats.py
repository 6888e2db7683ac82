"""Parsers for the line-oriented and single-document formats: MEDLINE text, JSONL, BibTeX, RIS,
Markdown/plain notes and PDF.

Every parser has the same shape: it takes a binary stream (or a path, for PDF) plus the record
``source``/``ingested_at`` and yields ``(location, Record | reason)``; :mod:`.files` turns reasons
into :class:`~hypoforge.knowledge.ingest.models.Rejection` objects and removes duplicates. Lines are
decoded one at a time so that a single non-UTF-8 byte rejects only the entry that contains it.
BibTeX and RIS are small enough to parse here rather than pull in two more dependencies.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from hypoforge.knowledge.ingest.models import MAX_LINE_BYTES, build_record, clean_text, parse_year
from hypoforge.knowledge.records import Record

Item = tuple[str, Record | str]


def _lines(stream: BinaryIO, max_bytes: int = MAX_LINE_BYTES) -> Iterator[tuple[int, str | None, str]]:
    """``(line number, decoded text or None if unusable, error detail)`` for each line. A line
    longer than ``max_bytes`` is skipped in pieces without being kept (text None)."""
    n = 0
    while raw := stream.readline(max_bytes + 1):
        n += 1
        if len(raw) > max_bytes and not raw.endswith(b"\n"):
            size = len(raw)
            while (more := stream.readline(1 << 20)) and not more.endswith(b"\n"):
                size += len(more)
            size += len(more)
            yield n, None, f"line {n} is {size:,} bytes, over the limit of {max_bytes:,} per line; split the record"
            continue
        try:
            yield n, raw.decode("utf-8").rstrip("\r\n"), ""
        except UnicodeDecodeError as exc:
            yield n, None, f"non-UTF-8 bytes at line {n} (byte offset {exc.start} in the line)"


# --------------------------------------------------------------------------- MEDLINE text


def _medline_record(rec: dict[str, Any], source: str, now: datetime) -> Record | str:
    def first(tag: str) -> str | None:
        v = rec.get(tag)
        return (v[0] if isinstance(v, list) else v) if v else None

    doi = None
    for aid in (rec.get("AID") or []) + ([rec["LID"]] if isinstance(rec.get("LID"), str) else []):
        if aid.strip().endswith("[doi]"):
            doi = aid.strip()[: -len("[doi]")].strip()
            break
    mesh = [m.split("/")[0].lstrip("*").strip() for m in rec.get("MH") or []]
    return build_record(
        title=first("TI"),
        abstract=first("AB"),
        authors=rec.get("FAU") or rec.get("AU") or [],
        year=parse_year(first("DP")),
        journal=first("JT") or first("TA"),
        doi=doi,
        pmid=first("PMID"),
        mesh=mesh,
        source=source,
        ingested_at=now,
    )


def iter_medline_text(stream: BinaryIO, *, source: str, ingested_at: datetime) -> Iterator[Item]:
    """MEDLINE/``.nbib`` text: records separated by blank lines, parsed with ``Bio.Medline``.

    The file is split into records here (to know each record's first line); Biopython reads the
    tags of each record.
    """
    from Bio import Medline

    def flush(start: int, block: list[str], bad: str) -> Item:
        loc = f"record {count} (line {start})"
        if bad:
            return loc, bad
        rec = Medline.read(io.StringIO("\n".join(block) + "\n"))
        return loc, _medline_record(rec, source, ingested_at)

    block: list[str] = []
    start, bad, count = 0, "", 0
    for n, text, err in _lines(stream):
        if text is not None and not text.strip():
            if block or bad:
                count += 1
                yield flush(start, block, bad)
            block, bad = [], ""
            continue
        if not block and not bad:
            start = n
        if text is None:
            bad = bad or err
        else:
            block.append(text)
    if block or bad:
        count += 1
        yield flush(start, block, bad)


# --------------------------------------------------------------------------- JSONL


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [p.strip() for p in re.split(r";|\n", value) if p.strip()]
    if isinstance(value, list):
        return [str(v) for v in value if v is not None]
    return [str(value)]


JSONL_FIELDS = ("title", "abstract", "text", "pmid", "doi", "id", "authors", "year", "published", "date",
                "journal", "mesh", "keywords")
"""Fields the JSONL reader looks for; ``--field TARGET=SOURCE`` fills TARGET from another field."""

_FIRST_SENTENCE = re.compile(r"(?<=[.!?])\s")
_TITLE_FROM_TEXT = 200  # characters of the first sentence kept when it becomes a title


def _derived_title(obj: dict[str, Any], abstract: str) -> tuple[str, str] | None:
    """(title, where it came from) for a row without a ``title`` field: its ``question`` (PubMedQA
    and other QA sets), else the first sentence of its text."""
    question = obj.get("question")
    if isinstance(question, str) and question.strip():
        return question, "'question'"
    text = " ".join(abstract.split())
    if not text:
        return None
    first = _FIRST_SENTENCE.split(text, maxsplit=1)[0]
    if len(first) > _TITLE_FROM_TEXT:
        first = first[:_TITLE_FROM_TEXT].rsplit(" ", 1)[0] + "..."
    return first, "the first sentence of the text"


def _jsonl_record(obj: dict[str, Any], source: str, now: datetime, note: Callable[[str], None]) -> Record | str:
    pmid = obj.get("pmid", obj.get("PMID"))
    doi = obj.get("doi")
    ident = obj.get("id")
    if isinstance(ident, str):
        if ident.upper().startswith("PMID:") and not pmid:
            pmid = ident[5:]
        elif ident.upper().startswith("DOI:") and not doi:
            doi = ident[4:]
        elif ident.startswith("10.") and not doi:
            doi = ident
    if isinstance(pmid, int):
        pmid = str(pmid)
    abstract = obj.get("abstract", obj.get("text", ""))
    if isinstance(abstract, list):  # sectioned abstracts stored as a list of paragraphs
        abstract = "\n".join(str(a) for a in abstract)
    if not isinstance(abstract, str):
        return f"'abstract' must be a string, got {type(abstract).__name__}"
    title = obj.get("title")
    if title is not None and not isinstance(title, str):
        return f"'title' must be a string, got {type(title).__name__}"
    if "title" not in obj:
        derived = _derived_title(obj, abstract)
        if derived is None:
            return (f"missing title (fields present: {', '.join(list(obj)[:12])}); name the title field with "
                    "--field title=NAME")
        title = derived[0]
        note(f"no 'title' field: title taken from {derived[1]} (choose a field with --field title=NAME)")
    year = parse_year(obj.get("year")) or parse_year(obj.get("published")) or parse_year(obj.get("date"))
    return build_record(
        title=title,
        abstract=abstract,
        authors=_as_list(obj.get("authors")),
        year=year,
        journal=obj.get("journal") if isinstance(obj.get("journal"), str) else None,
        doi=doi if isinstance(doi, str) else None,
        pmid=pmid,
        mesh=_as_list(obj.get("mesh", obj.get("meshes", obj.get("keywords")))),
        source=source,
        ingested_at=now,
    )


def iter_jsonl(
    stream: BinaryIO, *, source: str, ingested_at: datetime, fields: Mapping[str, str] | None = None,
    note: Callable[[str], None] = lambda message: None,
) -> Iterator[Item]:
    """One JSON object per line: ``title``, ``abstract`` (or ``text``) and ``pmid``/``doi``/``id``
    (``id`` counts when it reads ``PMID:n``, ``DOI:x`` or a bare ``10.x`` DOI; any other id is not a
    citation key, so the record falls back to a content hash). Optional metadata: ``authors``,
    ``year``/``published``/``date``, ``journal``, ``mesh``/``meshes``/``keywords``. Blank lines are
    skipped.

    ``fields`` maps a field above to the row's own name for it (``{"title": "question"}``); it wins
    over a field of the target's name. A row with no ``title`` field takes its ``question``, else
    the first sentence of its text, and ``note`` is told so (once per record); a present but empty
    title is still a rejection."""
    mapping = dict(fields or {})
    for n, text, err in _lines(stream):
        loc = f"line {n}"
        if text is None:
            yield loc, err
            continue
        if not text.strip():
            continue
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            yield loc, f"malformed JSON: {exc.msg} at column {exc.colno}"
            continue
        if not isinstance(obj, dict):
            yield loc, f"expected a JSON object, got {type(obj).__name__}"
            continue
        for target, name in mapping.items():
            if name in obj:
                obj[target] = obj[name]
        yield loc, _jsonl_record(obj, source, ingested_at, note)


# --------------------------------------------------------------------------- BibTeX

_BIB_START = re.compile(r"@\s*([A-Za-z]+)\s*\{")
_LATEX_CMD = re.compile(r"\\[A-Za-z]+\s*|\\.")


def _bib_value_text(value: str) -> str:
    return clean_text(_LATEX_CMD.sub("", value).replace("{", "").replace("}", "").replace("~", " "))


def _parse_bib_fields(body: str) -> dict[str, str]:
    """Fields of one entry body (after the citation key). Raises ValueError when unbalanced."""
    fields: dict[str, str] = {}
    i, n = 0, len(body)
    while i < n:
        m = re.compile(r"\s*,?\s*([A-Za-z][\w\-:]*)\s*=\s*").match(body, i)
        if not m:
            if body[i:].strip(" \t\r\n,"):
                raise ValueError(f"unexpected text {body[i:i + 20].strip()!r}")
            break
        name, i = m.group(1).lower(), m.end()
        parts = []
        while True:  # value: {..}, ".." or bare token, joined with '#'
            if i < n and body[i] == "{":
                depth, j = 0, i
                while j < n:
                    depth += {"{": 1, "}": -1}.get(body[j], 0)
                    if depth == 0:
                        break
                    j += 1
                if depth:
                    raise ValueError(f"unbalanced braces in field {name!r}")
                parts.append(body[i + 1 : j])
                i = j + 1
            elif i < n and body[i] == '"':
                j = i + 1
                depth = 0
                while j < n and not (body[j] == '"' and depth == 0):
                    depth += {"{": 1, "}": -1}.get(body[j], 0)
                    j += 1
                if j >= n:
                    raise ValueError(f"unterminated quoted value in field {name!r}")
                parts.append(body[i + 1 : j])
                i = j + 1
            else:
                m2 = re.compile(r"[^\s,#]+").match(body, i)
                if not m2:
                    raise ValueError(f"missing value for field {name!r}")
                parts.append(m2.group(0))
                i = m2.end()
            m3 = re.compile(r"\s*#\s*").match(body, i)
            if not m3:
                break
            i = m3.end()
        fields[name] = "".join(parts)
    return fields


def iter_bibtex(stream: BinaryIO, *, source: str, ingested_at: datetime) -> Iterator[Item]:
    """BibTeX ``@type{...}`` entries (``@comment``, ``@string`` and ``@preamble`` are skipped;
    ``@string`` macros are not expanded; the rare parenthesised ``@type(...)`` form is not read). An entry runs from its ``@type{`` line to the brace that closes it; a damaged
    entry is rejected and parsing resumes at the next line starting with ``@``."""
    entry: list[str] = []
    start, depth, kind, bad, count = 0, 0, "", "", 0

    def finish() -> Item:
        loc = f"entry {count} (line {start})"
        if bad:
            return loc, bad
        text = "\n".join(entry)
        m = _BIB_START.search(text)
        assert m is not None
        body = text[m.end() :].rstrip()
        body = body[:-1] if body.endswith("}") else body
        body = body.split(",", 1)[1] if "," in body else ""
        try:
            f = _parse_bib_fields(body)
        except ValueError as exc:
            return loc, f"malformed BibTeX entry: {exc}"
        doi, pmid = f.get("doi"), f.get("pmid")
        return loc, build_record(
            title=_bib_value_text(f.get("title", "")),
            abstract=_bib_value_text(f.get("abstract", "")),
            authors=[_bib_value_text(a) for a in re.split(r"\s+and\s+", f.get("author", "")) if a.strip()],
            year=parse_year(f.get("year", "")),
            journal=_bib_value_text(f.get("journal") or f.get("booktitle") or "") or None,
            doi=_bib_value_text(doi) if doi else None,
            pmid=_bib_value_text(pmid) if pmid else None,
            mesh=[k.strip() for k in re.split(r"[;,]", _bib_value_text(f.get("keywords", f.get("mesh", "")))) if k.strip()],
            source=source,
            ingested_at=ingested_at,
        )

    for n, text, err in _lines(stream):
        if entry and text is not None and text.lstrip().startswith("@") and depth > 0:
            count += 1
            bad = bad or f"unbalanced braces: entry not closed before line {n}"
            yield finish()
            entry, depth, bad = [], 0, ""
        if not entry:
            m = _BIB_START.search(text or "")
            if text is None or not m:
                continue
            kind = m.group(1).lower()
            start, depth, bad = n, 0, ""
        if text is None:
            bad = bad or err
            continue
        entry.append(text)
        depth += text.count("{") - text.count("}")
        if depth <= 0:
            if kind not in ("comment", "string", "preamble"):
                count += 1
                yield finish()
            entry, depth, bad = [], 0, ""
    if entry and kind not in ("comment", "string", "preamble"):
        count += 1
        bad = bad or "unbalanced braces: entry not closed at end of file"
        yield finish()


# --------------------------------------------------------------------------- RIS

_RIS_LINE = re.compile(r"^([A-Z][A-Z0-9])  -(?: (.*))?$")


def _ris_record(tags: dict[str, list[str]], source: str, now: datetime) -> Record | str:
    def first(*names: str) -> str | None:
        for name in names:
            if tags.get(name):
                return tags[name][0]
        return None

    pmid = None
    db = " ".join(tags.get("DB", []) + tags.get("DP", [])).lower()
    an = first("AN")
    if an and an.strip().isdigit() and ("pubmed" in db or "medline" in db):
        pmid = an.strip()
    return build_record(
        title=first("TI", "T1", "CT"),
        abstract="\n".join(tags.get("AB", []) or tags.get("N2", [])),
        authors=tags.get("AU", []) or tags.get("A1", []),
        year=parse_year(first("PY", "Y1", "DA") or ""),
        journal=first("JO", "JF", "T2", "JA"),
        doi=first("DO"),
        pmid=pmid,
        mesh=tags.get("KW", []),
        source=source,
        ingested_at=now,
    )


def iter_ris(stream: BinaryIO, *, source: str, ingested_at: datetime) -> Iterator[Item]:
    """RIS: ``TY  -`` opens a record, ``ER  -`` closes it; continuation lines extend the last tag.
    A record cut off by end of file or by the next ``TY`` is rejected (it may be truncated)."""
    tags: dict[str, list[str]] | None = None
    last, start, bad, count = "", 0, "", 0
    for n, text, err in _lines(stream):
        if text is None:
            if tags is not None:
                bad = bad or err
            continue
        m = _RIS_LINE.match(text.lstrip("\ufeff"))
        if m and m.group(1) == "TY":
            if tags is not None:
                count += 1
                yield f"record {count} (line {start})", f"record not closed by 'ER  -' before line {n}"
            tags, last, start, bad = {}, "", n, ""
            continue
        if tags is None:
            continue
        if m and m.group(1) == "ER":
            count += 1
            yield f"record {count} (line {start})", bad or _ris_record(tags, source, ingested_at)
            tags = None
            continue
        if m:
            last = m.group(1)
            tags.setdefault(last, []).append((m.group(2) or "").strip())
        elif text.strip() and last:
            tags[last][-1] += " " + text.strip()
    if tags is not None:
        count += 1
        yield f"record {count} (line {start})", "record not closed by 'ER  -' at end of file"


# --------------------------------------------------------------------------- notes and PDF

_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$")


def iter_note(stream: BinaryIO, *, path: Path, source: str, ingested_at: datetime) -> Iterator[Item]:
    """A Markdown or plain-text note is one record: title from the first ATX heading (``# ...``),
    else the file name; the rest of the text is the body."""
    body: list[str] = []
    title = None
    for n, text, err in _lines(stream):
        if text is None:
            yield f"line {n}", err
            return
        if title is None:
            m = _HEADING.match(text)
            if m:
                title = m.group(1)
                continue
        body.append(text)
    if not any(line.strip() for line in body) and title is None:
        yield "file", "empty note"
        return
    yield "file", build_record(
        title=title or path.stem.replace("_", " "),
        abstract="\n".join(body),
        source=source,
        ingested_at=ingested_at,
    )


def iter_pdf(path: Path, *, source: str, ingested_at: datetime) -> Iterator[Item]:
    """A PDF's text layer (pypdf) is one record: title from the document info, else the first
    non-empty line of text, else the file name. A PDF without a text layer (a scan) is rejected:
    there is no OCR here."""
    try:
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError
    except ImportError:  # pragma: no cover - pypdf is a declared dependency
        yield "file", "PDF support needs the 'pypdf' package (pip install pypdf)"
        return
    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            yield "file", "encrypted PDF (decrypt it first)"
            return
        pages = [(page.extract_text() or "") for page in reader.pages]
        meta_title = (reader.metadata.title if reader.metadata else None) or ""
    except (PdfReadError, OSError, ValueError, KeyError) as exc:
        yield "file", f"unreadable PDF: {exc}"
        return
    text = "\n".join(pages)
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        yield "file", "PDF has no text layer (scanned image?); OCR it first"
        return
    title = meta_title.strip() or lines[0]
    yield "file", build_record(title=title, abstract="\n".join(lines), source=source, ingested_at=ingested_at)
