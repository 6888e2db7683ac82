"""Strict prompt templates and the grammar fix."""

from __future__ import annotations

import json

import jinja2
import pytest

from hypoforge import prompts
from hypoforge.agents import models as m
from hypoforge.agents.llm.grammar import SAFE_CHAR_RULE, constrain_keys, fix_grammar, schema_to_gbnf
from hypoforge.agents.llm import schema_for, validate_output

SAMPLE = {
    "goal": "g", "constraints": ["c"], "focus": ["f"], "evidence": [{"key": "PMID:1", "title": "t", "bearing": "b"}],
    "passages": [{"key": "PMID:1", "title": "t", "text": "x", "passage": "x"}], "existing": ["e"], "anchor": {"key": "PMID:1", "title": "t", "bearing": "b", "passage": "p"}, "lessons": ["l"],
    "hypothesis": "h", "side": "A", "previous": "p", "a": "a", "b": "b", "arguments": ["x"], "strategy": "refine",
    "parents": [{"text": "t", "weaknesses": "w"}], "reviews": ["r"], "ranking": ["t"], "correction": "said x",
    "tools": [{"name": "chem.describe", "description": "d"}], "purpose": "p", "question": "q",
    "words": 20, "partner": {"key": "PMID:2", "title": "t2", "passage": "x2", "computed": False}, "shared": "ABCB1", "form": "f", "flags": ["x"], "entities": ["ABCB1"],
    "must_answer": True, "profile": m.PROFILES["rich"], "roles": [{"name": "cause", "text": "c"}, {"name": "effect", "text": "e"}], "example": "e", "failures": ["f"], "draft": "d", "fields": ["title"], "too_long": ["p1"], "write": True,
    "weaknesses": [("vague", "mechanisms name general processes")], "candidates": [{"title": "t", "statement": "s"}], "target": "step", "group": "patients with the 677T allele", "others": "those without", "result": None, "next": "what that leads to", "moves": "it",
    "steps": ["A raises B", "B lowers C"],
}


def test_every_prompt_renders_and_missing_variables_fail():
    names = prompts.names()
    assert {"system", "generate", "review", "judge", "evolve", "metareview", "evidence", "argue", "plan"} <= set(names)
    for name in names:
        needed = prompts.variables(name)
        assert needed <= set(SAMPLE), f"{name} uses variables the loop never passes: {needed - set(SAMPLE)}"
        assert prompts.render(name, **{k: SAMPLE[k] for k in needed})
        for var in needed:
            with pytest.raises(jinja2.UndefinedError):
                prompts.render(name, **{k: SAMPLE[k] for k in needed if k != var})


def test_grammar_excludes_raw_control_characters():
    gbnf = schema_to_gbnf(m.HypothesisDraft.model_json_schema())
    char_lines = [line for line in gbnf.splitlines() if line.startswith("char ::=")]
    assert char_lines == [SAFE_CHAR_RULE]
    assert r"\x20-\x21\x23-\x5B\x5D-\x7E" in char_lines[0]  # printable ASCII without " and \\
    assert r"\x00" not in char_lines[0].split("|")[0] and "^" not in char_lines[0]  # an allow-list
    # the converter's original rule is what we replace
    assert fix_grammar('char ::= [^"\\\\] | "\\\\" (["\\\\/bfnrt])\nroot ::= char') .startswith(SAFE_CHAR_RULE)
    from llama_cpp import LlamaGrammar

    LlamaGrammar.from_string(gbnf, verbose=False)  # parses


def test_grammar_bounds_lengths_and_items():
    gbnf = schema_to_gbnf(m.HypothesisDraft.model_json_schema())
    rules = dict(line.split(" ::= ", 1) for line in gbnf.splitlines() if " ::= " in line)
    cap = m.PROFILES["compact"].cap(m.PROFILES["compact"].title_words)
    assert rules["title"].count("char") == cap  # at most the profile's cap
    assert rules["title"].startswith('"\\"" char char char char char char char char (')  # at least 8 characters
    # named steps in order, then one prediction per link
    assert list(m.HypothesisDraft.model_fields) == ["title", "statement", "cause", "intermediate", "effect", "prediction1", "prediction2"]
    assert list(m.hypothesis_draft("rich").model_fields)[2:] == ["cause", "intermediate", "consequence", "effect",
                                                                 "prediction1", "prediction2", "prediction3"]


def test_citation_keys_become_an_enum():
    js = schema_for(m.HypothesisDraft, ["PMID:2", "PMID:1"])
    step = js["$defs"]["ChainStepDraft"]["properties"]["key"]
    assert step["enum"] == ["PMID:1", "PMID:2"]
    gbnf = schema_to_gbnf(js)
    assert "PMID:1" in gbnf and "PMID:2" in gbnf
    none = constrain_keys(m.EvidenceNotes.model_json_schema(), [])
    assert none["$defs"]["EvidenceNote"]["properties"]["key"]["enum"] == [""]


GOOD = {"title": "Efflux limits methotrexate", "statement": "ABCB1 efflux lowers intracellular methotrexate in some patients.",
        "cause": {"claim": "ABCB1 variants raise drug efflux", "key": "PMID:1"},
        "intermediate": {"claim": "Less intracellular drug forms fewer polyglutamates", "key": "PMID:1"},
        "effect": {"claim": "Fewer polyglutamates weaken the anti-inflammatory effect", "key": "PMID:1"},
        "prediction1": {"readout": "lymphocyte methotrexate level", "direction": "lower", "comparison": "in ABCB1 variant carriers"},
        "prediction2": {"readout": "DAS28 score", "direction": "higher", "comparison": "in carriers at six months"}}


def test_validation_enforces_the_key_set():
    ok = GOOD
    assert [s.key for s in m.draft_steps(validate_output(m.HypothesisDraft, json.dumps(ok), ["PMID:1"]))] == ["PMID:1"] * 3
    with pytest.raises(Exception, match="not among the records retrieved"):
        validate_output(m.HypothesisDraft, ok, ["PMID:2"])
    too_long = {**ok, "title": "x" * 200}
    with pytest.raises(Exception):
        validate_output(m.HypothesisDraft, too_long, ["PMID:1"])
