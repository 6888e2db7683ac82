"""PubMed client replaying real NCBI E-utilities responses (no network): batching, rate limit,
retries, cache, and the six recorded error cases."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from hypoforge.errors import UserError
from hypoforge.knowledge.ingest.commands import cmd_pubmed, register_pubmed
from hypoforge.knowledge.ingest.models import Rejection
from hypoforge.knowledge.ingest.pubmed import PubMedClient, TransportError
from hypoforge.knowledge.records import Record

Responder = Callable[[str, Mapping[str, str]], bytes]


class FakeTime:
    """A clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


class Replay:
    """A transport that answers from recorded files and logs every call."""

    def __init__(self, respond: Responder) -> None:
        self.respond = respond
        self.calls: list[tuple[str, dict[str, str]]] = []

    def __call__(self, eutil: str, params: Mapping[str, str]) -> bytes:
        self.calls.append((eutil, dict(params)))
        return self.respond(eutil, params)

    def count(self, eutil: str) -> int:
        return sum(1 for e, _ in self.calls if e == eutil)


@pytest.fixture
def entrez(shared_data: Path) -> Callable[[str], bytes]:
    folder = shared_data / "pubmed_eutils_fixtures" / "biopython" / "Entrez"
    return lambda name: (folder / name).read_bytes()


def make_client(transport: Replay, t: FakeTime, **kw: object) -> PubMedClient:
    kw.setdefault("email", "lab@example.org")
    return PubMedClient(transport=transport, clock=t.clock, sleep=t.sleep, env={}, **kw)  # type: ignore[arg-type]


def happy(entrez: Callable[[str], bytes]) -> Responder:
    def respond(eutil: str, params: Mapping[str, str]) -> bytes:
        if eutil == "esearch":
            return entrez("esearch2.xml")
        return entrez({"0": "pubmed1.xml", "2": "pubmed4.xml"}[params["retstart"]])

    return respond


def test_search_then_batched_fetch_with_rate_limit(entrez: Callable[[str], bytes], tmp_path: Path) -> None:
    t, transport = FakeTime(), Replay(happy(entrez))
    client = make_client(transport, t, batch_size=2, cache_dir=tmp_path)
    items = list(client.fetch("biopython", 3))
    assert [i.key for i in items if isinstance(i, Record)] == ["PMID:12091962", "PMID:9997", "PMID:27797938"]
    assert all(isinstance(i, Record) and i.source == "pubmed" for i in items)
    (_, search), (_, f1), (_, f2) = transport.calls
    assert search["term"] == "biopython" and search["usehistory"] == "y" and search["email"] == "lab@example.org"
    assert "api_key" not in search
    webenv = entrez("esearch2.xml").split(b"<WebEnv>")[1].split(b"</WebEnv>")[0].decode()
    assert f1["WebEnv"] == webenv and f1["query_key"] == "1" and (f1["retstart"], f1["retmax"]) == ("0", "2")
    assert (f2["retstart"], f2["retmax"]) == ("2", "1")
    assert t.sleeps == [pytest.approx(1 / 3), pytest.approx(1 / 3)]  # 3 requests/s without a key

    # The same query again: served from the on-disk cache, no request at all.
    def no_network(eutil: str, params: Mapping[str, str]) -> bytes:
        raise AssertionError("network used despite cache")

    again = make_client(Replay(no_network), FakeTime(), batch_size=2, cache_dir=tmp_path)
    assert [i.key for i in again.fetch("biopython", 3)] == [i.key for i in items]
    assert again.requests == 0 and again.cache_hits == 3


def test_api_key_and_email_from_env_raise_rate(entrez: Callable[[str], bytes]) -> None:
    t, transport = FakeTime(), Replay(happy(entrez))
    client = PubMedClient(
        transport=transport, clock=t.clock, sleep=t.sleep, batch_size=2, env={"NCBI_API_KEY": "k123", "NCBI_EMAIL": "me@x.org"}
    )
    assert len(list(client.fetch("q", 3))) == 3
    assert all(p["api_key"] == "k123" and p["email"] == "me@x.org" for _, p in transport.calls)
    assert t.sleeps == [pytest.approx(0.1), pytest.approx(0.1)]


def test_missing_email_is_a_user_error(entrez: Callable[[str], bytes]) -> None:
    client = PubMedClient(transport=Replay(happy(entrez)), env={}, sleep=lambda s: None)
    with pytest.raises(UserError, match="NCBI_EMAIL"):
        list(client.fetch("q", 1))


def test_retries_with_backoff_on_429_and_5xx(entrez: Callable[[str], bytes]) -> None:
    failures = [TransportError("HTTP 503", 503), TransportError("HTTP 429", 429), TransportError("reset", None)]

    def flaky(eutil: str, params: Mapping[str, str]) -> bytes:
        if eutil == "esearch" and failures:
            raise failures.pop(0)
        return happy(entrez)(eutil, params)

    t, transport = FakeTime(), Replay(flaky)
    client = make_client(transport, t, batch_size=2, backoff_s=1.0)
    assert len(list(client.fetch("q", 2))) == 2
    assert transport.count("esearch") == 4
    backoffs = [s for s in t.sleeps if s >= 1]
    assert backoffs == [1.0, 2.0, 4.0]


def test_http_4xx_fails_at_once(entrez: Callable[[str], bytes]) -> None:
    def bad_request(eutil: str, params: Mapping[str, str]) -> bytes:
        raise TransportError("HTTP 400 Bad Request", 400)

    transport = Replay(bad_request)
    with pytest.raises(UserError, match="rejected the request"):
        list(make_client(transport, FakeTime()).fetch("q", 5))
    assert len(transport.calls) == 1


# The six recorded error responses: what kind of failure each one is.
ERROR_CASES = {
    "biosample.xml": ("unexpected <BioSampleSet>", False),  # a document of another kind (no DTD)
    "journals.xml": ("unexpected <SerialsSet>", False),  # not an E-utilities reply (no XML declaration)
    "einfo4.xml": ("malformed or truncated XML", True),  # cut off mid-document
    "epost2.xml": ("Invalid db name specified: nothing", True),
    "epost3.xml": ("Empty ID list; Nothing to store", True),
    "esummary8.xml": ("Neither query_key nor id specified", True),
}


@pytest.mark.parametrize("name", sorted(ERROR_CASES))
@pytest.mark.parametrize("stage", ["esearch", "efetch"])
def test_recorded_error_responses_end_in_a_clear_error(entrez: Callable[[str], bytes], name: str, stage: str) -> None:
    expected, retried = ERROR_CASES[name]

    def respond(eutil: str, params: Mapping[str, str]) -> bytes:
        if eutil == stage:
            return entrez(name)
        return happy(entrez)(eutil, params)

    transport = Replay(respond)
    client = make_client(transport, FakeTime(), max_retries=3)
    with pytest.raises(UserError) as info:
        list(client.fetch("q", 2))
    message = str(info.value)
    assert f"PubMed {stage}" in message and expected in message and "\n" not in message
    assert transport.count(stage) == (4 if retried else 1)
    if retried:
        assert "after 4 attempts" in message


def test_zero_hits_fetches_nothing(entrez: Callable[[str], bytes]) -> None:
    transport = Replay(lambda e, p: entrez("esearch8.xml"))
    client = make_client(transport, FakeTime())
    assert list(client.fetch("abcXYZ", 10)) == []
    assert client.search("abcXYZ", 10).warnings == ["abcXYZ", "No items found."]
    assert transport.count("efetch") == 0


def test_expired_cached_search_is_rerun_once(entrez: Callable[[str], bytes], tmp_path: Path) -> None:
    old = entrez("esearch2.xml")
    old_env = old.split(b"<WebEnv>")[1].split(b"</WebEnv>")[0]
    new = old.replace(old_env, b"FRESH_WEBENV")

    def first(eutil: str, params: Mapping[str, str]) -> bytes:
        return old if eutil == "esearch" else entrez("esummary8.xml")

    with pytest.raises(UserError):
        list(make_client(Replay(first), FakeTime(), max_retries=0, cache_dir=tmp_path).fetch("q", 2))

    def later(eutil: str, params: Mapping[str, str]) -> bytes:
        if eutil == "esearch":
            return new
        if params["WebEnv"] != "FRESH_WEBENV":
            return b'<?xml version="1.0"?><eFetchResult><ERROR>Unable to obtain query #1</ERROR></eFetchResult>'
        return entrez("pubmed1.xml")

    transport = Replay(later)
    items = list(make_client(transport, FakeTime(), max_retries=0, cache_dir=tmp_path).fetch("q", 2))
    assert [i.key for i in items] == ["PMID:12091962", "PMID:9997"]
    assert transport.count("esearch") == 1  # the cached search, then one fresh one


def test_cmd_pubmed_hands_records_to_the_sink(entrez: Callable[[str], bytes], capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    stored: list[Record] = []

    def sink(args: argparse.Namespace, records: object) -> dict[str, int]:
        stored.extend(records)  # type: ignore[arg-type]
        return {"added": len(stored), "unchanged": 0}

    register_pubmed(sub, sink)
    args = parser.parse_args(["pubmed", "biopython", "--max", "3", "--index", "/tmp/idx", "--json"])
    assert args.index == Path("/tmp/idx") and args.max_results == 3
    client = make_client(Replay(happy(entrez)), FakeTime(), batch_size=2)
    assert cmd_pubmed(args, sink=sink, client=client) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary == {"query": "biopython", "fetched": 3, "added": 3, "unchanged": 0, "rejected": 0}
    assert [r.pmid for r in stored] == ["12091962", "9997", "27797938"]


def test_cmd_pubmed_reports_rejections(entrez: Callable[[str], bytes], capsys: pytest.CaptureFixture[str]) -> None:
    broken = entrez("pubmed1.xml").replace(b"<ArticleTitle>", b"<ArticleTitle><![CDATA[]]>", 1)
    title_start = broken.index(b"<ArticleTitle>")
    title_end = broken.index(b"</ArticleTitle>")
    broken = broken[:title_start] + b"<ArticleTitle></ArticleTitle>" + broken[title_end + len(b"</ArticleTitle>") :]

    def respond(eutil: str, params: Mapping[str, str]) -> bytes:
        return entrez("esearch2.xml") if eutil == "esearch" else broken

    parser = argparse.ArgumentParser()
    register_pubmed(parser.add_subparsers(), lambda a, recs: {"added": sum(1 for _ in recs)})
    args = parser.parse_args(["pubmed", "q", "--max", "2"])
    assert cmd_pubmed(args, sink=lambda a, recs: {"added": sum(1 for _ in recs)}, client=make_client(Replay(respond), FakeTime())) == 0
    out = capsys.readouterr()
    assert "1 records (added 1), 1 rejected" in out.out
    assert "rejected pubmed:q: batch at 0: record 1" in out.err and "missing title" in out.err


def test_rejection_str() -> None:
    assert str(Rejection(path="f.jsonl", location="line 3", reason="missing title")) == "f.jsonl: line 3: missing title"
