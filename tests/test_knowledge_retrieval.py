"""HybridRetriever: protocol, keys resolve, filters, grouping, BM25 cache invalidation, real MiniLM."""

from __future__ import annotations

import numpy as np
import pytest
from knowledge_helpers import HashEmbedder

from hypoforge.knowledge.records import Record, Retriever, SearchFilter
from hypoforge.knowledge.retrieval import HybridRetriever, RetrievalConfig, tokenize
from hypoforge.knowledge.store import KnowledgeIndex

TOPICS = [
    ("methotrexate polyglutamates adenosine release in rheumatoid arthritis", 2005, ["Methotrexate", "Arthritis, Rheumatoid"], "pubmed"),
    ("TPMT genotype and azathioprine myelotoxicity", 2011, ["Azathioprine", "Pharmacogenetics"], "pubmed"),
    ("JAK inhibitor tofacitinib blocks interleukin-6 signalling", 2016, ["Janus Kinase Inhibitors"], "file"),
    ("anti-citrullinated protein antibodies precede arthritis onset", 2008, ["Arthritis, Rheumatoid"], "file"),
    ("HLA-DRB1 shared epitope risk alleles", 1999, ["HLA-DRB1 Chains"], "pubmed"),
    ("statin use and breast cancer survival", 2014, ["Breast Neoplasms"], "pubmed"),
]


def corpus() -> list[Record]:
    recs = []
    for i, (topic, year, mesh, src) in enumerate(TOPICS):
        body = f"We studied {topic}. " + " ".join(f"Finding {j} about {topic} was replicated." for j in range(40))
        recs.append(Record(key=f"PMID:{500 + i}", pmid=str(500 + i), title=topic.capitalize(), abstract=body,
                           year=year, mesh=mesh, source=src))
    return recs


@pytest.fixture()
def retriever(tmp_path):
    index = KnowledgeIndex(tmp_path / "ix", embedder=HashEmbedder())
    index.add(corpus())
    return HybridRetriever(index)


def test_is_a_retriever_and_keys_resolve(retriever):
    assert isinstance(retriever, Retriever)
    hits = retriever.search("azathioprine TPMT toxicity", k=3)
    assert hits and hits[0].key == "PMID:501"
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    for h in hits:
        rec = retriever.get(h.key)
        assert rec is not None and rec.title == h.title and h.text in rec.abstract
    assert retriever.search("   ", k=3) == []


def test_grouping_limits_passages_per_record(retriever):
    retriever.config = RetrievalConfig(max_per_record=1)
    hits = retriever.search("arthritis", k=6)
    keys = [h.key for h in hits]
    assert len(keys) == len(set(keys))
    retriever.config = RetrievalConfig(max_per_record=2)
    keys2 = [h.key for h in retriever.search("methotrexate polyglutamates", k=6)]
    assert max(keys2.count(k) for k in set(keys2)) == 2


@pytest.mark.parametrize(
    "where, allowed",
    [
        (SearchFilter(year_min=2006, year_max=2012), {"PMID:501", "PMID:503"}),
        (SearchFilter(mesh=["arthritis, rheumatoid"]), {"PMID:500", "PMID:503"}),
        (SearchFilter(source="file"), {"PMID:502", "PMID:503"}),
        (SearchFilter(source="file", year_max=2010), {"PMID:503"}),
    ],
)
def test_filters(retriever, where, allowed):
    hits = retriever.search("arthritis azathioprine interleukin", k=10, where=where)
    assert hits and {h.key for h in hits} <= allowed


def test_bm25_cache_reused_and_invalidated_on_write(retriever, tmp_path):
    retriever.search("statin", k=1)
    gen = retriever.index.generation()
    fresh = HybridRetriever(retriever.index)  # new process-like instance: loads the on-disk cache
    assert fresh._load_cache(gen) is not None
    new = Record(key="PMID:999", pmid="999", title="Hydroxychloroquine retinopathy screening", abstract="Retinal toxicity.")
    retriever.index.add([new])
    assert retriever.index.generation() != gen
    assert retriever.search("hydroxychloroquine retinopathy", k=1)[0].key == "PMID:999"
    retriever.index.delete(["PMID:999"])
    assert all(h.key != "PMID:999" for h in retriever.search("hydroxychloroquine retinopathy", k=5))


def test_mmr_and_rrf_modes_return_valid_results(retriever):
    for cfg in (RetrievalConfig(mmr_lambda=0.5), RetrievalConfig(fusion="rrf")):
        retriever.config = cfg
        hits = retriever.search("HLA-DRB1 shared epitope", k=3)
        assert hits[0].key == "PMID:504" and len(hits) == 3


def test_tokenize_stems_and_drops_stopwords():
    assert tokenize("The inhibitors of JAK-signalling") == tokenize("inhibitor jak signalling")
    assert "the" not in tokenize("the cat")


def test_real_minilm_model(tmp_path):
    """The shipped int8 MiniLM: normalised 384-d vectors, semantic retrieval without word overlap."""
    from hypoforge.knowledge.embeddings import OnnxEmbedder

    emb = OnnxEmbedder.minilm()
    assert emb.input_names[:2] == ["input_ids", "attention_mask"]
    v = emb.embed(["Methotrexate for rheumatoid arthritis", "MTX treatment of RA", "baking apple pie", "x " * 600])
    assert v.shape == (4, 384) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert v[0] @ v[1] > v[0] @ v[2] + 0.2
    index = KnowledgeIndex(tmp_path / "ix", embedder=emb)
    index.add([r.model_copy(update={"abstract": r.abstract.split(". ")[0]}) for r in corpus()[:4]])
    ret = HybridRetriever(index, config=RetrievalConfig(alpha=1.0))  # dense only: no shared words
    top = ret.search("drug that suppresses cytokine kinase signalling", k=1)[0]
    assert top.key == "PMID:502"


def test_zscore_and_prf_configs(retriever):
    for cfg in (RetrievalConfig(norm="zscore"), RetrievalConfig(prf_docs=2, prf_weight=1.0)):
        retriever.config = cfg
        assert retriever.search("TPMT azathioprine", k=2)[0].key == "PMID:501"
