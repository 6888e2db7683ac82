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


def test_add_rejecting_everything_exits_2_and_says_how_to_map(ix, tmp_path, capsys):
    f = tmp_path / "rows.jsonl"
    f.write_text('{"name": "First paper", "body": "Methotrexate. More."}\n{"name": "Second paper", "body": "Text."}\n')
    assert main(["index", "add", str(f), *ix]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("hypoforge: error: nothing indexed: all 2 entries were rejected")
    assert "missing title (fields present: name, body)" in err[-1] and "--field title=name" in err[-1]
    assert not any("Traceback" in line for line in err)
    assert not Path(ix[1]).exists()  # nothing written: the index was never opened
    assert main(["index", "add", str(f), "--field", "title=name", "--field", "abstract=body", *ix]) == 0
    assert "added 2" in capsys.readouterr().out
    assert main(["index", "search", "methotrexate", "--json", "-k", "1", *ix]) == 0
    assert json.loads(capsys.readouterr().out)[0]["title"] == "First paper"


def test_bad_field_option_is_refused_before_anything_is_created(tmp_path, capsys):
    f = tmp_path / "rows.jsonl"
    f.write_text('{"title": "T"}\n')
    for spec, msg in (("title", "write TARGET=NAME"), ("titel=question", "did you mean title"),
                      ("=x", "write TARGET=NAME")):
        assert main(["index", "add", str(f), "--field", spec, "--index", str(tmp_path / "ix")]) == 2
        assert msg in capsys.readouterr().err
    assert not (tmp_path / "ix").exists()


def test_pubmedqa_rows_without_title_are_indexed_with_a_note(shared_data, ix, tmp_path, capsys):
    rows = (shared_data / "pubmedqa" / "derived_pubmedqa_labeled.jsonl").read_text().splitlines()[:25]
    f = tmp_path / "pubmedqa25.jsonl"
    f.write_text("\n".join(rows) + "\n")
    assert main(["index", "add", str(f), *ix]) == 0
    out = capsys.readouterr()
    assert "added 25" in out.out and "rejected 0" in out.out
    assert "title taken from 'question'" in out.err and "(25 records)" in out.err
    assert main(["index", "get", "PMID:21645374", "--json", *ix]) == 0
    assert json.loads(capsys.readouterr().out)["title"].startswith("Do mitochondria play a role")


def test_progress_lines_without_a_terminal(ix, tmp_path, capsys, monkeypatch):
    import hypoforge.knowledge.commands as commands

    monkeypatch.setattr(commands, "PROGRESS_LINE_S", 0.0)  # every batch, instead of every 30 s
    f = tmp_path / "many.jsonl"
    f.write_text("".join(json.dumps({"pmid": str(n), "title": f"Paper {n}", "abstract": "Text."}) + "\n"
                         for n in range(1, 131)))
    assert main(["index", "add", str(f), *ix]) == 0
    err = capsys.readouterr().err
    assert "indexing: added 64  unchanged 0  updated 0  rejected 0" in err and "indexing: added 130" in err
