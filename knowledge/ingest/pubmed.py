"""Live PubMed ingestion through NCBI E-utilities (Biopython ``Bio.Entrez``).

Flow: ``esearch`` (``usehistory=y``) gives a result count and a history-server handle
(``WebEnv`` + ``query_key``); ``efetch`` then pulls ``PubmedArticleSet`` XML in batches of
``batch_size``, parsed by the same streaming parser as MEDLINE files
(:func:`~hypoforge.knowledge.ingest.medline_xml.iter_medline_xml`).

Design choices:

* **Injected transport.** All network I/O goes through one callable ``transport(eutil, params) ->
  bytes``. The default, :func:`entrez_transport`, calls ``Bio.Entrez.<eutil>(**params)`` (which
  builds the URL, adds ``tool``/``email``/``api_key`` and does its own short retries); tests pass
  a replay transport over recorded NCBI responses, so no test touches the network.
* **Injected time.** ``clock()`` and ``sleep(seconds)`` drive the rate limiter (3 requests/s, 10
  with an API key) and the exponential backoff, so tests run instantly and can assert the waits.
* **Retries.** HTTP 429, 5xx and network errors, NCBI error XML (``<ERROR>``) and malformed or
  truncated XML are retried ``max_retries`` times with backoff ``backoff_s * 2**attempt``; then a
  :class:`~hypoforge.errors.UserError` names the utility and the last failure. Other HTTP 4xx and
  responses of the wrong kind (another document type, a non-XML page) fail at once: retrying would
  not change them.
* **On-disk cache.** Successful responses are stored under ``cache_dir`` keyed by a hash of the
  request's *logical* parameters (never the API key or e-mail). ``efetch`` is keyed by query +
  offset rather than the short-lived ``WebEnv``, so repeating a query costs no network at all. If a
  cached search handle has expired on NCBI's side and a batch is missing from the cache, the search
  is re-run once and the batch retried.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Protocol

from hypoforge.errors import UserError
from hypoforge.files import write_atomic
from hypoforge.knowledge.ingest.medline_xml import NotMedlineXML, iter_medline_xml
from hypoforge.knowledge.ingest.models import Rejection
from hypoforge.knowledge.records import Record
from pydantic import BaseModel

_EXPECTED_ROOT = {"esearch": "eSearchResult", "efetch": "PubmedArticleSet"}
_SECRET_PARAMS = {"api_key", "email", "tool"}


class TransportError(Exception):
    """A failed HTTP exchange: ``status`` is the HTTP code, or None for a network-level failure."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class Transport(Protocol):
    def __call__(self, eutil: str, params: Mapping[str, str]) -> bytes: ...


def entrez_transport(eutil: str, params: Mapping[str, str]) -> bytes:
    """Send one E-utilities request with ``Bio.Entrez`` and return the raw response body."""
    from urllib.error import HTTPError, URLError

    from Bio import Entrez

    func = getattr(Entrez, eutil)
    try:
        with func(**params) as handle:
            body = handle.read()
    except HTTPError as exc:
        raise TransportError(f"HTTP {exc.code} {exc.reason}", status=exc.code) from None
    except (URLError, OSError) as exc:
        raise TransportError(f"network error: {exc}", status=None) from None
    return body.encode("utf-8") if isinstance(body, str) else body


class SearchResult(BaseModel):
    """What ``esearch`` reported for a query."""

    count: int
    webenv: str
    query_key: str
    ids: list[str]
    warnings: list[str] = []


class _Retryable(Exception):
    pass


class _Permanent(Exception):
    pass


def _check(eutil: str, body: bytes) -> ET.Element:
    """Parse a response and classify what is wrong with it (retryable or permanent)."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        head = body[:200].lstrip().lower()
        if head.startswith((b"<!doctype html", b"<html")):
            raise _Permanent("NCBI returned an HTML page instead of XML") from None
        raise _Retryable(f"malformed or truncated XML ({exc})") from None
    errors = [" ".join(e.itertext()).strip() for e in ([root] if root.tag == "ERROR" else root.findall("ERROR"))]
    if errors:
        raise _Retryable("NCBI error: " + "; ".join(errors))
    if root.tag != _EXPECTED_ROOT[eutil]:
        raise _Permanent(f"unexpected <{root.tag}> document (expected <{_EXPECTED_ROOT[eutil]}>)")
    return root


class PubMedClient:
    """Search PubMed and fetch records, politely (rate limit, retries, cache)."""

    def __init__(
        self,
        *,
        email: str | None = None,
        api_key: str | None = None,
        transport: Transport | None = None,
        cache_dir: Path | None = None,
        batch_size: int = 200,
        max_retries: int = 4,
        backoff_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        env: Mapping[str, str] | None = None,
    ) -> None:
        env = os.environ if env is None else env
        self.email = email or env.get("NCBI_EMAIL") or None
        self.api_key = api_key or env.get("NCBI_API_KEY") or None
        self.transport: Transport = transport or entrez_transport
        self.cache_dir = cache_dir
        if batch_size < 1 or batch_size > 10000:
            raise UserError(f"batch size {batch_size} out of range; use 1..10000")
        self.batch_size = batch_size
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.clock = clock
        self.sleep = sleep
        self.interval = 1 / 10 if self.api_key else 1 / 3
        self._next_slot: float | None = None
        self.requests = 0  # network requests sent (cache hits excluded)
        self.cache_hits = 0

    # ------------------------------------------------------------------ plumbing

    def _cache_path(self, eutil: str, logical: Mapping[str, str]) -> Path | None:
        if self.cache_dir is None:
            return None
        blob = json.dumps({"eutil": eutil, **{k: str(v) for k, v in logical.items()}}, sort_keys=True)
        return self.cache_dir / f"{eutil}-{hashlib.sha256(blob.encode()).hexdigest()[:24]}.xml"

    def _wait_for_slot(self) -> None:
        now = self.clock()
        if self._next_slot is not None and now < self._next_slot:
            self.sleep(self._next_slot - now)
            now = self._next_slot
        self._next_slot = now + self.interval

    def _request(
        self, eutil: str, params: Mapping[str, str], logical: Mapping[str, str], *, use_cache: bool = True
    ) -> tuple[ET.Element, bytes]:
        """One checked response (root element and raw body), from the cache or the network."""
        cache = self._cache_path(eutil, logical)
        if use_cache and cache is not None and cache.is_file():
            try:
                body = cache.read_bytes()
                root = _check(eutil, body)
                self.cache_hits += 1
                return root, body
            except (_Retryable, _Permanent):
                cache.unlink(missing_ok=True)  # a damaged cache entry is refetched
        if not self.email:
            raise UserError("NCBI asks for a contact e-mail with every request: set NCBI_EMAIL or pass --email")
        full = {**params, "email": self.email, "tool": "hypoforge"}
        if self.api_key:
            full["api_key"] = self.api_key
        last = ""
        for attempt in range(self.max_retries + 1):
            if attempt:
                self.sleep(self.backoff_s * 2 ** (attempt - 1))
            self._wait_for_slot()
            self.requests += 1
            try:
                body = self.transport(eutil, full)
                root = _check(eutil, body)
            except TransportError as exc:
                if exc.status is not None and 400 <= exc.status < 500 and exc.status != 429:
                    raise UserError(f"PubMed {eutil} rejected the request ({exc}); check the query") from None
                last = str(exc)
                continue
            except _Retryable as exc:
                last = str(exc)
                continue
            except _Permanent as exc:
                raise UserError(f"PubMed {eutil} returned an unusable response: {exc}") from None
            if cache is not None:
                write_atomic(cache, body)
            return root, body
        raise UserError(f"PubMed {eutil} failed after {self.max_retries + 1} attempts: {last}; try again later")

    # ------------------------------------------------------------------ API

    def search(self, query: str, max_results: int, *, use_cache: bool = True) -> SearchResult:
        """Run ``esearch`` with the history server and return the count and handle."""
        if not query.strip():
            raise UserError("empty PubMed query; pass a search term such as 'rheumatoid arthritis JAK'")
        params = {"db": "pubmed", "term": query, "usehistory": "y", "retmax": str(min(max_results, 10000))}
        root, _ = self._request("esearch", params, params, use_cache=use_cache)
        webenv = (root.findtext("WebEnv") or "").strip()
        query_key = (root.findtext("QueryKey") or "").strip()
        count = int((root.findtext("Count") or "0").strip() or 0)
        warnings = [" ".join(e.itertext()).strip() for e in root.findall("./ErrorList/*") + root.findall("./WarningList/*")]
        if count and not (webenv and query_key):
            raise UserError("PubMed esearch returned no history handle (WebEnv/QueryKey); try again later")
        return SearchResult(
            count=count, webenv=webenv, query_key=query_key, ids=[i.text or "" for i in root.findall("./IdList/Id")], warnings=warnings
        )

    def fetch(self, query: str, max_results: int, *, now: datetime | None = None) -> Iterator[Record | Rejection]:
        """Yield up to ``max_results`` records (and rejections) for ``query``, newest first as PubMed sorts."""
        if max_results < 1:
            raise UserError(f"--max must be at least 1 (got {max_results})")
        now = now or datetime.now(timezone.utc)
        label = f"pubmed:{query}"
        result = self.search(query, max_results)
        total = min(result.count, max_results)
        seen: set[str] = set()
        refreshed = False
        for start in range(0, total, self.batch_size):
            size = min(self.batch_size, total - start)
            logical = {"db": "pubmed", "term": query, "retstart": str(start), "retmax": str(size), "retmode": "xml"}

            def params_for(res: SearchResult) -> dict[str, str]:
                return {
                    "db": "pubmed", "WebEnv": res.webenv, "query_key": res.query_key,
                    "retstart": str(start), "retmax": str(size), "retmode": "xml",
                }

            try:
                _, body = self._request("efetch", params_for(result), logical)
            except UserError:
                if refreshed or self.cache_dir is None:
                    raise
                # The cached search handle may have expired on NCBI's side: search again, once.
                refreshed = True
                result = self.search(query, max_results, use_cache=False)
                _, body = self._request("efetch", params_for(result), logical)
            try:
                for location, item in iter_medline_xml(io.BytesIO(body), source="pubmed", ingested_at=now):
                    where = f"batch at {start}: {location}"
                    if isinstance(item, str):
                        yield Rejection(path=label, location=where, reason=item)
                    elif item.key in seen:
                        yield Rejection(path=label, location=where, reason=f"duplicate of {item.key}")
                    else:
                        seen.add(item.key)
                        yield item
            except NotMedlineXML as exc:  # pragma: no cover - _check already verified the root
                raise UserError(f"PubMed efetch returned an unusable response: {exc}") from None
