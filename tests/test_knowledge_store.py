"""KnowledgeIndex: round trip, incremental re-ingest, updates, deletes, resume, writer lock."""

from __future__ import annotations

import fcntl
from pathlib import Path

import pytest
from knowledge_helpers import HashEmbedder

from hypoforge.errors import UserError
from hypoforge.knowledge.chunking import chunk_text
from hypoforge.knowledge.records import Record
from hypoforge.knowledge.store import KnowledgeIndex, Rejected

FIXTURE_CARDS = Path(__file__).parent / "data" / "starter_cards_fixture.jsonl"


def rec(n: int, abstract: str | None = None, **kw) -> Record:
    return Record(
        key=f"PMID:{1000 + n}", pmid=str(1000 + n), title=f"Study {n} of methotrexate response",
        abstract=abstract if abstract is not None else f"Patients in cohort {n} received methotrexate; outcome {n}.",
        year=2000 + n, mesh=["Arthritis, Rheumatoid", f"Topic{n}"], source="test", **kw,
    )


def long_abstract() -> str:
    sec = " ".join(f"Sentence {i} describes synovial fibroblasts and cytokines in detail." for i in range(20))
    return f"BACKGROUND: {sec} METHODS: {sec} RESULTS: {sec} CONCLUSIONS: Short final statement here."


@pytest.fixture()
def idx(tmp_path):
    emb = HashEmbedder()
    return KnowledgeIndex(tmp_path / "index", embedder=emb), emb


def test_add_get_round_trip(idx):
    index, _ = idx
    r = rec(1, authors=["Doe J", "Roe R"], journal="J Test", doi="10.1/abc")
    report = index.add([r])
    assert (report.added, report.unchanged, report.rejected) == (1, 0, 0)
    got = index.get("PMID:1001")
    assert got is not None
    assert got.model_dump(exclude={"ingested_at"}) == r.model_dump(exclude={"ingested_at"})
    assert index.get("PMID:999") is None


def test_long_record_is_chunked_section_aware_and_reassembles(idx):
    index, _ = idx
    text = long_abstract()
    chunks = chunk_text(text)
    assert len(chunks) >= 3
    assert all(len(c.split()) <= 200 for c in chunks)
    assert chunks[0].startswith("BACKGROUND:")
    assert any(c.startswith("METHODS:") for c in chunks)
    index.add([rec(2, abstract=text)])
    assert index.count_chunks() == len(chunks)
    assert index.get("PMID:1002").abstract == " ".join(text.split())


def test_reingest_unchanged_embeds_nothing(idx):
    index, emb = idx
    records = [rec(i) for i in range(10)] + [rec(50, abstract=long_abstract())]
    first = index.add(records)
    assert first.added == 11
    calls, n = emb.calls, index.count_chunks()
    again = index.add(records)
    assert (again.added, again.unchanged, again.updated, again.chunks_embedded) == (0, 11, 0, 0)
    assert emb.calls == calls
    assert index.count_chunks() == n


def test_update_replaces_chunks_and_metadata_only_update_embeds_nothing(idx):
    index, emb = idx
    index.add([rec(1, abstract=long_abstract())])
    n_before = index.count_chunks()
    changed = rec(1, abstract="A completely different and short abstract about JAK inhibitors.")
    report = index.add([changed])
    assert report.updated == 1 and report.chunks_deleted == n_before
    assert index.count_chunks() == 1
    assert "JAK inhibitors" in index.get("PMID:1001").abstract
    texts = emb.texts_embedded
    report = index.add([changed.model_copy(update={"year": 1999})])
    assert report.updated == 1 and report.chunks_embedded == 0 and emb.texts_embedded == texts
    assert index.get("PMID:1001").year == 1999


def test_delete(idx):
    index, _ = idx
    index.add([rec(1), rec(2)])
    assert index.delete(["PMID:1001", "PMID:4242"]) == ["PMID:1001"]
    assert index.get("PMID:1001") is None and index.get("PMID:1002") is not None


def test_interrupted_ingest_resumes_without_duplicates(tmp_path):
    emb = HashEmbedder()
    index = KnowledgeIndex(tmp_path / "ix", embedder=emb)
    records = [rec(i) for i in range(12)]

    def interrupted():
        yield from records[:7]
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        index.add(interrupted(), batch_records=3)
    done = index.count_chunks()
    assert 0 < done < 12
    reopened = KnowledgeIndex(tmp_path / "ix", embedder=emb)
    before = emb.texts_embedded
    report = reopened.add(records, batch_records=3)
    assert report.unchanged == done and report.added == 12 - done
    assert emb.texts_embedded - before == 12 - done
    assert reopened.count_chunks() == 12


def test_second_writer_gets_clear_error(idx):
    index, _ = idx
    with open(index.path / ".writer.lock", "a+") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)  # another writer holds the index
        with pytest.raises(UserError, match="being written by another process"):
            index.add([rec(1)])
    assert index.add([rec(1)]).added == 1  # released: writing works again


def test_rejections_and_duplicates_counted(idx):
    index, _ = idx
    report = index.add([rec(1), Rejected(where="x.jsonl:3", reason="missing title"), rec(1), {"key": "bad", "title": "t"}])
    assert (report.added, report.rejected) == (1, 3)
    assert report.rejections[0].where == "x.jsonl:3"


def test_other_embedder_refused(tmp_path):
    KnowledgeIndex(tmp_path / "ix", embedder=HashEmbedder())

    class Other(HashEmbedder):
        name = "other-model"

    with pytest.raises(UserError, match="built with embedder"):
        KnowledgeIndex(tmp_path / "ix", embedder=Other())


def test_add_starter_from_cards_file(idx):
    index, _ = idx
    report = index.add_starter(FIXTURE_CARDS)
    assert report.added == 3
    card = index.get("PMID:22222222")
    assert card.title == "TPMT genotype guides thiopurine dosing" and "azathioprine" in card.mesh
    assert index.add_starter(FIXTURE_CARDS).unchanged == 3


def test_chunking_unpunctuated_text_and_short_text():
    words = [f"w{i}" for i in range(450)]
    chunks = chunk_text(" ".join(words))
    assert len(chunks) == 3 and all(140 <= len(c.split()) <= 200 for c in chunks)
    assert " ".join(chunks).split() == words
    assert chunk_text("  short   text ") == ["short text"] and chunk_text("") == []


def test_embedder_specs_fail_clearly(tmp_path):
    from hypoforge.knowledge.embeddings import load_embedder

    with pytest.raises(UserError, match="no model.onnx"):
        load_embedder(str(tmp_path))
    with pytest.raises(UserError, match="names no model"):
        load_embedder("http://localhost:9/v1")


_RACER = """
import sys, time
from pathlib import Path
sys.path.insert(0, {tests!r})
import conftest  # noqa: F401  (imports hypoforge from this checkout)
import hypoforge.knowledge.embeddings as emb
from knowledge_helpers import HashEmbedder
emb.load_embedder = lambda spec=None, **kw: HashEmbedder()
from hypoforge.cli import main
go = Path({go!r})
while not go.exists():
    time.sleep(0.002)
sys.exit(main(["index", "add", {jsonl!r}, "--index", {index!r}]))
"""


def test_two_writers_creating_one_new_index(tmp_path):
    """Two `index add` into the same NEW folder at once: Chroma's creation is serialised by the
    open lock, so each either indexes or is refused with one line (exit 2); never a traceback
    such as 'table collections already exists', and the index ends up whole."""
    import subprocess
    import sys
    import time

    jsonl = tmp_path / "papers.jsonl"
    jsonl.write_text("".join(f'{{"pmid": "{n}", "title": "Paper {n}", "abstract": "Text {n}."}}\n' for n in range(1, 40)))
    for attempt in range(2):
        index, go = tmp_path / f"ix{attempt}", tmp_path / f"go{attempt}"
        code = _RACER.format(tests=str(Path(__file__).parent), go=str(go), jsonl=str(jsonl), index=str(index))
        procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(2)]
        time.sleep(2.5)  # both processes are importing / waiting at the barrier
        go.touch()
        results = [(p.wait(timeout=120), p.stdout.read(), p.stderr.read()) for p in procs]
        for rc, out, err in results:
            assert "Traceback" not in err and "InternalError" not in err, err
            assert rc in (0, 2), (rc, err)
            if rc == 2:
                assert err.strip().splitlines()[-1].startswith("hypoforge: error: index") and "another process" in err
            else:
                assert "added 39" in out or "unchanged 39" in out, out
        assert any(rc == 0 for rc, _, _ in results)
        assert KnowledgeIndex(index, embedder=HashEmbedder()).stats().records == 39


def test_opening_waits_for_a_process_creating_the_index(tmp_path, monkeypatch):
    """While another process holds the open lock (it is creating the index), nothing of Chroma's
    is created here; past the wait, the opener is refused with one line."""
    import hypoforge.knowledge.store as store

    folder = tmp_path / "new"
    folder.mkdir()
    with open(folder / ".open.lock", "a+") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        monkeypatch.setattr(store, "OPEN_WAIT_S", 0.3)
        with pytest.raises(UserError, match="still being opened by another process"):
            KnowledgeIndex(folder, embedder=HashEmbedder())
        assert not (folder / "chroma").exists()
    KnowledgeIndex(folder, embedder=HashEmbedder())  # released: opens normally
    assert (folder / "chroma").is_dir()


def test_batches_are_cut_by_text_size_too(idx, monkeypatch):
    """Long records make smaller batches, so progress (and each embed call) stays short."""
    import hypoforge.knowledge.store as store

    index, emb = idx
    monkeypatch.setattr(store, "BATCH_CHARS", 200)
    seen: list[int] = []
    index.add([rec(n, abstract="methotrexate " * 20) for n in range(5)], progress=lambda r: seen.append(r.added))
    assert seen[:5] == [1, 2, 3, 4, 5] and emb.calls == 5
