"""The on-disk knowledge index: records chunked into passages, embedded, stored in Chroma.

Design choices:

* **Content-addressed chunk ids.** A chunk's id is ``<key>#<sha256(key, indexed text)[:16]>``, so
  re-ingesting an unchanged record produces the same ids and embeds nothing; a changed record gets
  new ids for the passages that changed and its stale ones are deleted; an ingest interrupted halfway
  leaves whole batches behind and the next run only embeds the ids still missing (no duplicates,
  since ids are upserted). New chunks are written before stale ones are removed, so a crash never
  leaves a record without passages.
* **Record metadata on every chunk** (key, title, year, pmid, doi, journal, MeSH, source, authors,
  record hash): ``get(key)`` rebuilds the :class:`Record` from its chunks, filters run inside Chroma,
  and no second database has to be kept consistent.
* **One writer at a time.** Writes take a non-blocking ``fcntl.flock`` on ``<index>/.writer.lock``; a
  second writer gets a :class:`UserError` at once instead of interleaving with the first. Opening
  the folder (when Chroma creates its database and the collection) is serialised by a second lock,
  ``<index>/.open.lock``, held only for that moment: two processes creating one new index never
  race inside Chroma (they wait up to :data:`OPEN_WAIT_S` for each other; then the later writer is
  refused by the writer lock, or runs after the first).
* **A generation token** in the collection's metadata changes on every write, so derived caches (the
  BM25 index of :mod:`hypoforge.knowledge.retrieval`) know when to rebuild. It lives in Chroma, so it
  also works against a shared ``chroma run`` server.
* **One embedding model per collection**: its name is recorded on creation and a different embedder
  is refused, since mixing vector spaces silently ruins retrieval.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any, TextIO

from pydantic import BaseModel, Field, ValidationError

from hypoforge.errors import UserError
from hypoforge.knowledge.chunking import chunk_text, index_text
from hypoforge.knowledge.embeddings import Embedder
from hypoforge.knowledge.records import Record, make_key

DEFAULT_COLLECTION = "literature"
BATCH_RECORDS = 64
BATCH_CHARS = 2_000_000
"""A batch is embedded (and progress reported) once it holds this much text, even before
BATCH_RECORDS records, so long records cannot make one batch run for minutes."""
OPEN_WAIT_S = 60.0
"""How long opening an index waits for another process that is creating or opening it."""


def default_data_dir() -> Path:
    """``$HYPOFORGE_DATA_DIR``, else the user data dir (e.g. ``~/.local/share/hypoforge``): runs,
    chat sessions and the index live below it unless settings name other places."""
    env = os.environ.get("HYPOFORGE_DATA_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_data_dir("hypoforge", appauthor=False))


def default_index_dir() -> Path:
    return default_data_dir() / "index"


class Rejected(BaseModel):
    """One input that was not indexed, and why (with where it came from when known)."""

    where: str = ""
    reason: str


class IngestReport(BaseModel):
    """Counts of one ``add`` call: records added, unchanged, updated and rejected, chunks embedded."""

    added: int = 0
    unchanged: int = 0
    updated: int = 0
    rejected: int = 0
    chunks_embedded: int = 0
    chunks_deleted: int = 0
    rejections: list[Rejected] = Field(default_factory=list)


class IndexStats(BaseModel):
    path: str
    collection: str
    records: int
    chunks: int
    embedder: str
    sources: dict[str, int]


def record_hash(rec: Record) -> str:
    """Hash of everything stored about a record except its ingest time."""
    payload = rec.model_dump(mode="json", exclude={"ingested_at"})
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


def chunk_id(key: str, text: str) -> str:
    digest = hashlib.sha256((key + "\x00" + text).encode()).hexdigest()[:16]
    return f"{key}#{digest}"


def record_chunks(rec: Record) -> list[tuple[str, str, str]]:
    """``(chunk id, passage, indexed text)`` for each passage of a record."""
    passages = chunk_text(rec.abstract) or [rec.title]
    out = []
    for p in passages:
        text = index_text(rec.title, p)
        out.append((chunk_id(rec.key, text), p, text))
    return out


def _chunk_metadata(rec: Record, rhash: str, i: int, n: int, now: str) -> dict[str, Any]:
    md: dict[str, Any] = {
        "key": rec.key,
        "title": rec.title,
        "year": rec.year if rec.year is not None else -1,
        "pmid": rec.pmid or "",
        "doi": rec.doi or "",
        "journal": rec.journal or "",
        "mesh": "; ".join(rec.mesh),
        "authors": "; ".join(rec.authors),
        "source": rec.source,
        "rhash": rhash,
        "chunk": i,
        "n_chunks": n,
        "ingested_at": (rec.ingested_at.isoformat() if rec.ingested_at else now),
    }
    if rec.mesh:  # list metadata for $contains filters; lower-cased so filters ignore case
        md["mesh_lc"] = sorted({m.lower() for m in rec.mesh})
    return md


def record_from_chunks(metas: list[dict[str, Any]], docs: list[str]) -> Record:
    order = sorted(range(len(metas)), key=lambda i: int(metas[i].get("chunk", 0)))
    m = metas[order[0]]
    title = m["title"]
    passages = [docs[i] for i in order]
    abstract = "" if passages == [title] else " ".join(passages)
    return Record(
        key=m["key"],
        title=title,
        abstract=abstract,
        authors=[a for a in str(m.get("authors", "")).split("; ") if a],
        year=None if int(m.get("year", -1)) < 0 else int(m["year"]),
        journal=m.get("journal") or None,
        doi=m.get("doi") or None,
        pmid=m.get("pmid") or None,
        mesh=[x for x in str(m.get("mesh", "")).split("; ") if x],
        source=m.get("source", ""),
        ingested_at=datetime.fromisoformat(m["ingested_at"]) if m.get("ingested_at") else None,
    )


class KnowledgeIndex:
    """A named Chroma collection of record passages with their embeddings.

    ``path`` is an on-disk index folder (Chroma ``PersistentClient``); ``chroma_url`` instead talks to
    a ``chroma run`` server (locking is then the server's business and no lock file is used).
    """

    def __init__(
        self,
        path: Path | str | None = None,
        *,
        embedder: Embedder,
        collection: str = DEFAULT_COLLECTION,
        chroma_url: str | None = None,
    ) -> None:
        import chromadb
        from chromadb.config import Settings

        self.embedder = embedder
        self.collection_name = collection
        self.chroma_url = chroma_url
        settings = Settings(anonymized_telemetry=False)
        if chroma_url:
            from urllib.parse import urlparse

            u = urlparse(chroma_url)
            if not u.hostname:
                raise UserError(f"--chroma-url {chroma_url!r} is not a URL; use e.g. http://localhost:8000")
            self.path = None
            try:
                self.client = chromadb.HttpClient(
                    host=u.hostname, port=u.port or (443 if u.scheme == "https" else 8000),
                    ssl=u.scheme == "https", settings=settings,
                )
            except Exception as exc:  # connection refused and friends
                raise UserError(f"cannot reach Chroma server at {chroma_url}: {exc}") from exc
        else:
            self.path = Path(path) if path is not None else default_index_dir()
            if self.path.exists() and not self.path.is_dir():
                raise UserError(f"index path {self.path} is a file; pass a folder with --index")
            self.path.mkdir(parents=True, exist_ok=True)
        opening = contextlib.nullcontext() if self.path is None else _flock(
            self.path / ".open.lock", wait_s=OPEN_WAIT_S,
            busy=f"index {self.path} is still being opened by another process after {OPEN_WAIT_S:.0f} s; "
                 "check for a stuck hypoforge process or use another --index",
        )
        with opening:  # nothing of Chroma's is created before this lock is held
            if self.path is not None:
                self.client = chromadb.PersistentClient(path=str(self.path / "chroma"), settings=settings)
            try:
                self.col = self.client.get_or_create_collection(
                    collection,
                    embedding_function=None,
                    configuration={"hnsw": {"space": "cosine"}},
                    metadata={"embedder": embedder.name, "dim": int(embedder.dim), "generation": uuid.uuid4().hex},
                )
            except ValueError as exc:
                raise UserError(f"bad collection name {collection!r}: {exc}") from exc
        md = self.col.metadata or {}
        if md.get("embedder") and md["embedder"] != embedder.name:
            raise UserError(
                f"index collection {collection!r} was built with embedder {md['embedder']!r}, not "
                f"{embedder.name!r}; use the same embedder or a new --index/collection"
            )

    # -- locking -----------------------------------------------------------------------------

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the index's writer lock (non-blocking: a second writer fails at once)."""
        if self.path is None:
            yield
            return
        busy = f"index {self.path} is being written by another process; wait for it to finish or use another --index"
        with _flock(self.path / ".writer.lock", wait_s=0.0, busy=busy) as fh:
            fh.seek(0)
            fh.truncate()
            fh.write(str(os.getpid()))
            fh.flush()
            yield

    def generation(self) -> str:
        """Token that changes whenever the collection's contents change."""
        col = self.client.get_collection(self.collection_name, embedding_function=None)
        return str((col.metadata or {}).get("generation", ""))

    def _bump_generation(self) -> None:
        md = {k: v for k, v in (self.col.metadata or {}).items() if not k.startswith("hnsw:")}
        md["generation"] = uuid.uuid4().hex
        self.col.modify(metadata=md)

    # -- writing -----------------------------------------------------------------------------

    def add(
        self,
        records: Iterable[Record | Rejected],
        *,
        progress: Callable[[IngestReport], None] | None = None,
        batch_records: int = BATCH_RECORDS,
    ) -> IngestReport:
        """Index records incrementally; :class:`Rejected` items from parsers are counted and kept.

        ``progress`` is called with the running report after every batch.
        """
        report = IngestReport()
        seen: set[str] = set()
        changed = False
        with self.writing():
            try:
                batch: list[Record] = []
                batch_chars = 0
                for item in records:
                    rejected = as_rejected(item)
                    if rejected is not None:
                        report.rejected += 1
                        report.rejections.append(rejected)
                        continue
                    if not isinstance(item, Record):
                        item = _reject_or_record(item, report)
                        if item is None:
                            continue
                    if item.key in seen:
                        report.rejected += 1
                        report.rejections.append(Rejected(where=item.source, reason=f"duplicate key {item.key} in this input"))
                        continue
                    seen.add(item.key)
                    batch.append(item)
                    batch_chars += len(item.title) + len(item.abstract)
                    if len(batch) >= batch_records or batch_chars >= BATCH_CHARS:
                        changed |= self._add_batch(batch, report)
                        batch, batch_chars = [], 0
                        if progress:
                            progress(report)
                if batch:
                    changed |= self._add_batch(batch, report)
                if progress:
                    progress(report)
            finally:
                if changed:
                    self._bump_generation()
        return report

    def _add_batch(self, batch: list[Record], report: IngestReport) -> bool:
        keys = [r.key for r in batch]
        existing: dict[str, dict[str, dict[str, Any]]] = {}
        got = self.col.get(where={"key": {"$in": keys}}, include=["metadatas"])
        for cid, md in zip(got["ids"], got["metadatas"] or []):
            existing.setdefault(md["key"], {})[cid] = md
        now = datetime.now(timezone.utc).isoformat()
        new_ids: list[str] = []
        new_docs: list[str] = []
        new_texts: list[str] = []
        new_mds: list[dict[str, Any]] = []
        meta_ids: list[str] = []
        meta_mds: list[dict[str, Any]] = []
        stale: list[str] = []
        for rec in batch:
            rhash = record_hash(rec)
            chunks = record_chunks(rec)
            old = existing.get(rec.key, {})
            ids = [c[0] for c in chunks]
            id_set = set(ids)
            complete = set(old) == id_set and all(m.get("rhash") == rhash for m in old.values())
            if complete:
                report.unchanged += 1
                continue
            if old:
                report.updated += 1
            else:
                report.added += 1
            for i, (cid, passage, text) in enumerate(chunks):
                md = _chunk_metadata(rec, rhash, i, len(chunks), now)
                if cid in old:  # same passage text: metadata may have changed, the vector has not
                    meta_ids.append(cid)
                    meta_mds.append(md)
                else:
                    new_ids.append(cid)
                    new_docs.append(passage)
                    new_texts.append(text)
                    new_mds.append(md)
            stale.extend(cid for cid in old if cid not in id_set)
        if new_ids:
            vecs = self.embedder.embed(new_texts)
            self.col.upsert(ids=new_ids, embeddings=vecs, documents=new_docs, metadatas=new_mds)
            report.chunks_embedded += len(new_ids)
        if meta_ids:
            self.col.update(ids=meta_ids, metadatas=meta_mds)
        if stale:
            self.col.delete(ids=stale)
            report.chunks_deleted += len(stale)
        return bool(new_ids or meta_ids or stale)

    def delete(self, keys: Iterable[str]) -> list[str]:
        """Remove records by key; returns the keys that were present."""
        keys = list(keys)
        removed: list[str] = []
        with self.writing():
            for key in keys:
                got = self.col.get(where={"key": key}, include=[])
                if got["ids"]:
                    self.col.delete(ids=got["ids"])
                    removed.append(key)
            if removed:
                self._bump_generation()
        return removed

    def add_starter(
        self, cards: Path | None = None, *, progress: Callable[[IngestReport], None] | None = None
    ) -> IngestReport:
        """Index the starter evidence cards: the bundled ``hypoforge/knowledge/starter/cards.jsonl``
        unless another cards file is given."""
        res: Any = cards if cards is not None else resources.files("hypoforge.knowledge") / "starter" / "cards.jsonl"
        if not res.is_file():
            raise UserError(f"starter pack {res} is missing; reinstall hypoforge (it ships knowledge/starter/cards.jsonl)")
        return self.add(load_cards(res.read_text(encoding="utf-8"), where=str(res)), progress=progress)

    # -- reading -----------------------------------------------------------------------------

    def get(self, key: str) -> Record | None:
        got = self.col.get(where={"key": key}, include=["metadatas", "documents"])
        if not got["ids"]:
            return None
        return record_from_chunks(list(got["metadatas"]), list(got["documents"]))

    def count_chunks(self) -> int:
        return int(self.col.count())

    def iter_chunks(self, page: int = 5000, *, embeddings: bool = False) -> Iterator[tuple[str, str, dict[str, Any], Any]]:
        """Every chunk as ``(id, passage, metadata, embedding or None)``, paged so large indexes stream."""
        offset = 0
        include = ["metadatas", "documents"] + (["embeddings"] if embeddings else [])
        while True:
            got = self.col.get(include=include, limit=page, offset=offset)  # type: ignore[arg-type]
            if not got["ids"]:
                return
            vecs = got["embeddings"] if embeddings else [None] * len(got["ids"])
            yield from zip(got["ids"], got["documents"], got["metadatas"], vecs)
            offset += len(got["ids"])

    def stats(self) -> IndexStats:
        keys: set[str] = set()
        sources: dict[str, int] = {}
        for _, _, md, _ in self.iter_chunks():
            if md["key"] not in keys:
                keys.add(md["key"])
                src = md.get("source") or "?"
                sources[src] = sources.get(src, 0) + 1
        return IndexStats(
            path=self.chroma_url or str(self.path), collection=self.collection_name, records=len(keys),
            chunks=self.count_chunks(), embedder=self.embedder.name, sources=sources,
        )


@contextlib.contextmanager
def _flock(path: Path, *, wait_s: float, busy: str) -> Iterator[TextIO]:
    """Hold an exclusive ``flock`` on ``path`` (created if absent), waiting up to ``wait_s`` seconds
    for another process to release it; UserError(``busy``) after that. Closing releases it."""
    fh = open(path, "a+")
    try:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError as exc:
                if time.monotonic() >= deadline:
                    raise UserError(busy) from exc
                time.sleep(0.05)
        yield fh
    finally:
        fh.close()


def as_rejected(item: Any) -> Rejected | None:
    """Our :class:`Rejected`, or a parser's rejection (path + location + reason) turned into one;
    None for anything else (a record to index)."""
    if isinstance(item, Record) or not hasattr(item, "reason"):
        return None
    if isinstance(item, Rejected):
        return item
    return Rejected(where=_where(getattr(item, "path", ""), getattr(item, "location", "")), reason=str(item.reason))


def _reject_or_record(item: Any, report: IngestReport) -> Record | None:
    """Accept dicts too (validated into Records); anything invalid is counted as rejected."""
    try:
        return Record.model_validate(item)
    except ValidationError as exc:
        report.rejected += 1
        report.rejections.append(Rejected(reason=f"invalid record: {exc.errors()[0]['msg']}"))
        return None


def _where(path: object, location: object) -> str:
    """``file:line`` for a parser's "line N" location (editors jump to it), else ``file (location)``."""
    loc = str(location or "")
    m = re.fullmatch(r"line (\d+)", loc)
    if m:
        return f"{path}:{m.group(1)}"
    return f"{path} ({loc})" if loc else str(path)


def load_cards(text: str, *, where: str) -> Iterator[Record | Rejected]:
    """Starter cards (one JSON object a line: key, pmid, title, year, journal, topics, card).

    The card text is what gets indexed; ``topics`` become the record's keywords (MeSH field).
    """
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            pmid = str(obj["pmid"]) if obj.get("pmid") else None
            yield Record(
                key=obj.get("key") or make_key(pmid=pmid, text=obj["card"]),
                title=obj["title"],
                abstract=obj["card"],
                year=obj.get("year"),
                journal=obj.get("journal"),
                pmid=pmid,
                mesh=list(obj.get("topics") or []),
                source="starter",
            )
        except (json.JSONDecodeError, KeyError, TypeError, ValidationError) as exc:
            yield Rejected(where=f"{where}:{lineno}", reason=f"bad starter card: {type(exc).__name__}: {exc}".split("\n")[0])
