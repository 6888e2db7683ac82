"""`hypoforge index ...`: JSON shapes and exit codes (tiny hash embedder injected)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from knowledge_helpers import HashEmbedder

from hypoforge.cli import main

FIXTURE_CARDS = Path(__file__).parent / "data" / "starter_cards_fixture.jsonl"


@pytest.fixture(autouse=True)
def hash_embedder(monkeypatch):
    import hypoforge.knowledge.embeddings as emb

    monkeypatch.setattr(emb, "load_embedder", lambda spec=None, **kw: HashEmbedder())


@pytest.fixture()
def ix(tmp_path) -> list[str]:
    return ["--index", str(tmp_path / "ix")]


def test_starter_search_get_stats_rm(ix, capsys):
    assert main(["index", "starter", "--cards", str(FIXTURE_CARDS), *ix]) == 0
    assert "added 3" in capsys.readouterr().out
    assert main(["index", "search", "TPMT azathioprine dose", "-k", "2", "--json", *ix]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert len(hits) == 2 and hits[0]["key"] == "PMID:22222222"
    assert set(hits[0]) == {"key", "pmid", "title", "year", "score", "passage"}
    assert hits[0]["pmid"] == "22222222" and hits[0]["year"] == 2013
    assert main(["index", "get", "PMID:22222222", "--json", *ix]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert rec["title"] == "TPMT genotype guides thiopurine dosing"
    assert main(["index", "stats", "--json", *ix]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert (stats["records"], stats["sources"]) == (3, {"starter": 3})
    assert main(["index", "rm", "PMID:22222222", *ix]) == 0
    capsys.readouterr()
    assert main(["index", "get", "PMID:22222222", *ix]) == 1
    assert "no record" in capsys.readouterr().err
    assert main(["index", "rm", "PMID:22222222", *ix]) == 1


def test_add_jsonl_counts_rejections(ix, tmp_path, capsys):
    f = tmp_path / "papers.jsonl"
    lines = [
        json.dumps({"pmid": "123", "title": "Good paper", "abstract": "Methotrexate works.", "year": 2001}),
        "{not json",
        json.dumps({"pmid": "124", "title": "", "abstract": "No title."}),
        json.dumps({"doi": "10.1000/xyz", "title": "Second good paper", "abstract": "Text."}),
    ]
    f.write_bytes(("\n".join(lines) + "\n").encode() + b'{"pmid": "125", "title": "bad \xff bytes"}\n')
    assert main(["index", "add", str(f), *ix]) == 0
    out = capsys.readouterr()
    assert "added 2" in out.out and "rejected 3" in out.out
    assert f"{f}:2" in out.err and f"{f}:5" in out.err
    assert main(["index", "add", str(f), *ix]) == 0
    assert "unchanged 2" in capsys.readouterr().out
    assert main(["index", "get", "DOI:10.1000/xyz", "--json", *ix]) == 0


def test_user_errors_exit_2(ix, tmp_path, capsys):
    assert main(["index", "add", str(tmp_path / "missing.jsonl"), *ix]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["index", "search", "x", "-k", "0", *ix]) == 2
    (tmp_path / "afile").write_text("x")
    assert main(["index", "stats", "--index", str(tmp_path / "afile")]) == 2


def test_empty_index_search_json_is_empty_list(ix, capsys):
    Path(ix[1]).mkdir()  # an existing, empty index (a missing one is an error: test_run_faults.py)
    assert main(["index", "search", "anything", "--json", *ix]) == 0
    assert json.loads(capsys.readouterr().out) == []
