"""Agents that call tools, and a patient in the loop (privacy included)."""

from __future__ import annotations

import json
from typing import ClassVar

import pytest
from fakes import FakeEmbedder, FakeRetriever, cite_tools_responder, endpoint_answer, responder, with_tool_request
from pydantic import BaseModel

from hypoforge.agents.deps import Deps
from hypoforge.agents.llm import OpenAICompatibleLLM, ScriptedLLM
from hypoforge.agents.patient import PatientInput
from hypoforge.agents.run import start_run
from hypoforge.agents.settings import LoopSettings, Settings
from hypoforge.knowledge.records import Record
from hypoforge.tools.base import Tool
from hypoforge.tools.registry import ToolRegistry

GOAL = "Could a JAK inhibitor scaffold reduce synovial inflammation in methotrexate non-responders?"


class LengthIn(BaseModel):
    text: str


class LengthOut(BaseModel):
    length: int


class LengthTool(Tool):
    name: ClassVar[str] = "text.length"
    description: ClassVar[str] = "Counts characters."
    Input = LengthIn
    Output = LengthOut

    def run(self, inp):
        return LengthOut(length=len(inp.text))


class BrokenTool(LengthTool):
    name: ClassVar[str] = "text.broken"

    def run(self, inp):
        raise RuntimeError("boom")


class FileTool(LengthTool):
    name: ClassVar[str] = "text.file"
    agent_callable: ClassVar[bool] = False


def make(tmp_path, respond, tools, **loop):
    settings = Settings(data_dir=tmp_path / "data", loop=LoopSettings(rounds=1, hypotheses=1, evolve_per_round=0, **loop))
    llm = ScriptedLLM(responder=respond)
    return settings, Deps(llm=llm, retriever=FakeRetriever(), settings=settings, embedder=FakeEmbedder(), tools=tools)


def test_generator_requests_a_tool_and_cites_its_result(tmp_path):
    reg = ToolRegistry([LengthTool(), BrokenTool(), FileTool()])
    calls = [{"tool": "text.length", "args": {"text": "CCO"}}]

    def respond(messages, schema, keys):
        if schema.__name__ == "ToolRequests":
            return with_tool_request(calls)(messages, schema, keys)
        return cite_tools_responder(messages, schema, keys)

    settings, deps = make(tmp_path, respond, reg)
    result = start_run(GOAL, settings, deps, out_dir=tmp_path / "out", run_id="t1")
    req = next(c for c in deps.llm.calls if c.schema == "ToolRequests")
    assert "text.length" in req.messages[-1]["content"] and "text.file" not in req.messages[-1]["content"]
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    tool_ev = report["tool_evidence"]
    assert len(tool_ev) == 1 and tool_ev[0]["tool"] == "text.length"
    assert tool_ev[0]["inputs"] == {"text": "CCO"} and tool_ev[0]["output"] == {"length": 3} and tool_ev[0]["version"]
    cited = report["proposals"][0]["citations"]
    assert cited[0]["key"] == tool_ev[0]["id"] and cited[0]["key"].startswith("TOOL:text.length:")
    assert "Computed evidence" in (tmp_path / "out" / "report.md").read_text()
    assert result.report.stats["unresolved_citations"] == 0


def test_unregistered_or_file_tools_cannot_be_requested(tmp_path):
    reg = ToolRegistry([LengthTool(), FileTool()])
    bad = with_tool_request([{"tool": "text.file", "args": {"text": "x"}}])
    settings, deps = make(tmp_path, bad, reg)
    result = start_run(GOAL, settings, deps, out_dir=tmp_path / "out", run_id="t2")
    assert result.report.tool_evidence == []  # the request failed validation; the run went on
    assert result.report.proposals


def test_a_failing_tool_becomes_an_error_result(tmp_path):
    reg = ToolRegistry([LengthTool(), BrokenTool()])
    settings, deps = make(tmp_path, with_tool_request([{"tool": "text.broken", "args": {"text": "x"}}]), reg)
    result = start_run(GOAL, settings, deps, out_dir=tmp_path / "out", run_id="t3")
    (ev,) = result.report.tool_evidence
    assert ev.error and "boom" in ev.error
    assert result.report.stats["tool_errors"] == 1
    assert all(not c.key.startswith("TOOL:") for p in result.report.proposals for c in p.citations)


def test_tool_calls_can_be_switched_off(tmp_path):
    settings, deps = make(tmp_path, responder, ToolRegistry([LengthTool()]), tool_calls=0)
    start_run(GOAL, settings, deps, out_dir=tmp_path / "out", run_id="t4")
    assert not [c for c in deps.llm.calls if c.schema == "ToolRequests"]


# ------------------------------------------------------------------------------- patient


@pytest.fixture()
def tpmt_vcf(shared_data):
    path = shared_data / "vcf_pharmcat" / "haplotype_tests" / "TPMT" / "s3as3a.vcf"
    if not path.exists():
        candidates = sorted((shared_data / "vcf_pharmcat" / "haplotype_tests" / "TPMT").glob("s3a*.vcf"))
        path = candidates[0]
    return path


def test_patient_findings_are_cited_evidence(tmp_path, tpmt_vcf):
    reg = ToolRegistry.from_entry_points()
    settings, deps = make(tmp_path, cite_tools_responder, reg, tool_calls=0)
    result = start_run(GOAL, settings, deps, out_dir=tmp_path / "out", run_id="p1", patient=PatientInput(vcf=tpmt_vcf))
    key = next(t.id for t in result.report.tool_evidence if t.tool == "genomics.plan")
    system = deps.llm.calls[0].messages[0]["content"]
    assert key in system and "TPMT" in system
    assert any(c.key == key for c in result.report.proposals[0].citations)


class RecordingOpener:
    """A fake OpenAI-compatible server: answers with the scripted responder, records every request."""

    def __init__(self):
        self.bodies: list[str] = []

    def __call__(self, req, timeout):
        import io

        self.bodies.append(req.data.decode())
        content = endpoint_answer(json.loads(req.data.decode()))
        payload = json.dumps({"choices": [{"message": {"content": content}}], "usage": {}}).encode()

        class Resp(io.BytesIO):
            def __enter__(self):
                return self

            def __exit__(self, *a):
                return False

        return Resp(payload)


@pytest.mark.parametrize("allow", [False, True])
def test_patient_data_stays_out_of_remote_prompts(tmp_path, tpmt_vcf, allow):
    opener = RecordingOpener()
    llm = OpenAICompatibleLLM("http://127.0.0.1:9/v1", opener=opener)
    settings = Settings(data_dir=tmp_path / "data", loop=LoopSettings(rounds=1, hypotheses=1, evolve_per_round=0, tool_calls=0))
    deps = Deps(llm=llm, retriever=FakeRetriever(), settings=settings, embedder=FakeEmbedder(), tools=ToolRegistry.from_entry_points())
    result = start_run(GOAL, settings, deps, out_dir=tmp_path / "out", run_id="p2", patient=PatientInput(vcf=tpmt_vcf, allow_remote=allow))
    sent = "\n".join(opener.bodies)
    assert opener.bodies
    plan = next(t for t in result.report.tool_evidence if t.tool == "genomics.plan")
    diplotype = next(g["diplotype"] for g in plan.output["plan"]["gene_calls"] if g["gene"] == "TPMT")
    assert diplotype
    if allow:
        assert "genomics.plan" in sent and diplotype in sent
    else:
        assert "genomics.plan" not in sent and diplotype not in sent and "TPMT" not in sent
        assert str(tpmt_vcf.name) not in sent
        assert "withheld" in sent  # the plan says why the patient is not in the prompts
        from test_run_faults import _vcf_values

        samples, rsids = _vcf_values(tpmt_vcf)
        assert samples and rsids
        assert not [v for v in [*samples, *rsids] if v in sent], "a sample name or rsID reached the endpoint"


class MoleculeLengthTool(LengthTool):
    """Applies only where a molecule is written out, as the built-in chemistry tools do."""

    name: ClassVar[str] = "text.molecule_length"

    def applies_to(self, text):
        from hypoforge.tools.mentions import smiles_in

        return smiles_in(text)


def test_agents_ask_for_tools_only_when_one_applies(tmp_path):
    reg = ToolRegistry([MoleculeLengthTool()])

    def respond(messages, schema, keys):
        out = responder(messages, schema, keys)
        if schema.__name__ == "HypothesisDraft":
            out["statement"] = "Tofacitinib CC1CCN(CC1N(C)c1ncnc2[nH]ccc12)C(=O)CC#N lowers synovial JAK signalling in methotrexate non-responders."
        if schema.__name__ == "ToolRequests":
            critic = "to check the hypothesis" in messages[-1]["content"]
            return {"calls": [{"tool": "text.molecule_length", "args": {"text": "critic"}}] if critic else []}
        return out

    settings, deps = make(tmp_path, respond, reg)
    result = start_run(GOAL, settings, deps, out_dir=tmp_path / "out", run_id="t5")
    assert [t.inputs for t in result.report.tool_evidence] == [{"text": "critic"}]
    review_call = next(c for c in deps.llm.calls if c.schema == "ReviewDraft")
    assert result.report.tool_evidence[0].id in review_call.messages[-1]["content"]

    settings, deps = make(tmp_path / "plain", responder, reg)
    start_run(GOAL, settings, deps, out_dir=tmp_path / "plain" / "out", run_id="t6")
    assert not [c for c in deps.llm.calls if c.schema == "ToolRequests"]  # no molecule anywhere: nobody asked

    goal = "Is CC1CCN(CC1N(C)c1ncnc2[nH]ccc12)C(=O)CC#N a better JAK inhibitor scaffold for methotrexate non-responders?"
    settings, deps = make(tmp_path / "smiles", responder, reg)
    start_run(goal, settings, deps, out_dir=tmp_path / "smiles" / "out", run_id="t7")
    asks = [c for c in deps.llm.calls if c.schema == "ToolRequests"]
    assert asks and "to ground new hypotheses" in asks[0].messages[-1]["content"]  # the goal writes one out


@pytest.mark.parametrize("text,expected", [
    ("Tofacitinib CC1CCN(CC1N(C)c1ncnc2[nH]ccc12)C(=O)CC#N binds JAK3", True),
    ("aspirin CC(=O)Oc1ccccc1C(=O)O.", True),
    ("variant MKTAYIAKQRQISFVKSHFSRQLEER in TPMT", True),
    ("Cites: PMID:16447238, PMID:17766699", False),
    ("the JAK1/2 inhibitor baricitinib at 4 mg", False),
    ("CYP2C9*3 and HLA-DRB1*04:01; IL-6, CD20+ B cells, ACR20 at week 24", False),
])
def test_what_counts_as_computable(text, expected):
    from hypoforge.tools.mentions import protein_in, smiles_in

    assert (smiles_in(text) or protein_in(text)) is expected


def test_tool_request_schema_stays_small_whatever_the_tools_allow():
    from pydantic import ValidationError

    from hypoforge.agents.llm.grammar import max_chars
    from hypoforge.agents.llm import schema_for
    from hypoforge.agents.tooluse import AGENT_STRING_CHARS, request_schema

    reg = ToolRegistry.from_entry_points(autoload=False)
    tools = [reg.get(n) for n in reg.names() if reg.get(n).agent_callable]
    # Unbounded, the ESM tools' sequence lists let one request reach 254,064 characters, which the
    # embedded backend turned into a 127,048-token budget for a 160-token step.
    one = max_chars(schema_for(request_schema(tools, 1), None))
    assert one < 6000
    assert max_chars(schema_for(request_schema(tools, 4), None)) < 4 * one
    schema = request_schema(tools, 1)
    ok = schema.model_validate({"calls": [{"tool": "chem.describe", "args": {"molecule": "C" * AGENT_STRING_CHARS}}]})
    assert ok.calls[0].args.molecule == "C" * AGENT_STRING_CHARS
    with pytest.raises(ValidationError, match="calls.0.args.molecule: 301 characters, over the 300"):
        schema.model_validate({"calls": [{"tool": "chem.describe", "args": {"molecule": "C" * 301}}]})
    with pytest.raises(ValidationError, match="5 items, over the 4"):
        schema.model_validate({"calls": [{"tool": "esm.score", "args": {"sequences": ["MKT"] * 5}}]})
    # a user calling the tool directly keeps the tool's own limits
    assert reg.validate_args("chem.describe", {"molecule": "C" * 301}).molecule == "C" * 301


def test_a_broken_availability_check_means_not_offered(tmp_path):
    from hypoforge.agents.tooluse import callable_tools

    class Broken(LengthTool):
        name = "text.broken"

        def available(self):
            raise RuntimeError("no")

    settings = Settings(data_dir=tmp_path, loop=LoopSettings(tool_calls=1))
    deps = Deps(llm=ScriptedLLM(), retriever=FakeRetriever(), settings=settings, tools=ToolRegistry([LengthTool(), Broken()]))
    assert [t.name for t in callable_tools(deps)] == [LengthTool.name]


def test_built_in_tools_apply_only_to_their_written_out_input():
    reg = ToolRegistry.from_entry_points(autoload=False)
    chem, esm = reg.get("chem.describe"), reg.get("esm.validate")
    assert chem.applies_to("methotrexate CC1=CC(=O)NC(=O)N1 binds DHFR") and not chem.applies_to("methotrexate binds DHFR")
    assert esm.applies_to("TPMT MKTAYIAKQRQISFVKSHFSRQLEER variant") and not esm.applies_to("TPMT*3A lowers TPMT activity")
    assert reg.get("seq.protparam").applies_to("MKTAYIAKQRQISFVKSHFSRQLEER") and not reg.get("seq.protparam").applies_to("TPMT")
    assert reg.get("seq.translate").applies_to("ATGGCCATTGTAATGGGCCGC") and not reg.get("seq.translate").applies_to("ACGT repeats")
    goal = "Why do about a third of rheumatoid arthritis patients not respond to methotrexate (PMID:17530705, ATIC 347GG)?"
    assert not [t.name for t in map(reg.get, reg.names()) if t.agent_callable and t.applies_to(goal)], \
        "no built-in tool applies to the demo goal: the generator is not asked for tools"


def test_a_panel_drug_named_where_its_chemistry_is_asked_brings_the_chemistry_tools():
    """Bench goal 9 (2026-11-30) asked which physicochemical properties let an oral JAK inhibitor reach
    effective exposure; its records named tofacitinib, never a SMILES, so no chemistry tool applied."""
    from hypoforge.tools.chemistry.core import approved_smiles

    reg = ToolRegistry.from_entry_points(autoload=False)
    chem = reg.get("chem.describe")
    goal = "Which physicochemical properties let an oral small-molecule JAK inhibitor reach effective exposure in rheumatoid arthritis?"
    assert chem.applies_to(goal + " Tofacitinib is a pan Janus kinase inhibitor.")
    assert not chem.applies_to(goal), "no panel drug named"
    assert not chem.applies_to("Tofacitinib is a pan Janus kinase inhibitor."), "a drug named, but not its chemistry"
    # the name becomes the panel's tested structure, never one a model writes
    inp = chem.Input(molecule="Tofacitinib")
    assert inp.molecule == approved_smiles("tofacitinib") and "C#N" in inp.molecule
    assert chem.Input(molecule="CCO").molecule == "CCO"
    assert reg.get("chem.similarity").Input(molecule="baricitinib").molecule == approved_smiles("baricitinib")
    out = chem.run(chem.Input(molecule="tofacitinib"))
    assert 312 < out.descriptors.mw < 313  # tofacitinib C16H20N6O, 312.4 g/mol


CHEM_GOAL = "Which physicochemical properties let an oral small-molecule JAK inhibitor reach effective exposure in rheumatoid arthritis?"
JAK_RECORDS = [
    Record(key="PMID:2001", pmid="2001", title="Oral bioavailability of tofacitinib in rheumatoid arthritis", year=2016,
           abstract="Tofacitinib, an oral JAK inhibitor, reached its effective exposure in rheumatoid arthritis with an absolute "
                    "oral bioavailability of 74% and rapid absorption."),
    Record(key="PMID:2002", pmid="2002", title="Baricitinib renal clearance in rheumatoid arthritis", year=2018,
           abstract="Baricitinib, an oral JAK1/2 inhibitor, is cleared mainly by the kidney; exposure in rheumatoid arthritis rose "
                    "with renal impairment."),
]


def test_a_chemistry_goal_profiles_the_panel_drugs_its_records_name_without_asking(tmp_path):
    """Bench goal 9 (2026-11-30): Qwen declined the offered chemistry tools in 3 of 3 requests, so the
    proposals named no property. The panel drugs the records name are profiled as standard calls, read
    as sentences, and a record naming one is bridged to its computed profile."""
    from hypoforge.tools.chemistry.core import approved_smiles

    reg = ToolRegistry.from_entry_points(autoload=False)
    settings = Settings(data_dir=tmp_path / "data", loop=LoopSettings(rounds=1, hypotheses=3, evolve_per_round=0))
    deps = Deps(llm=ScriptedLLM(responder=with_tool_request([{"tool": "chem.describe", "args": {"molecule": "tofacitinib"}}])),
                retriever=FakeRetriever(JAK_RECORDS), settings=settings, embedder=FakeEmbedder(), tools=reg)
    calls: list[dict] = []
    real_call = reg.call
    reg.call = lambda name, args: calls.append(args) or real_call(name, args)  # type: ignore[method-assign]
    result = start_run(CHEM_GOAL, settings, deps, out_dir=tmp_path / "out", run_id="c1")
    profiled = {t.inputs["molecule"] for t in result.report.tool_evidence}
    assert {approved_smiles("tofacitinib"), approved_smiles("baricitinib")} <= profiled, "both named drugs profiled"
    assert calls[:2] == [{"molecule": "tofacitinib"}, {"molecule": "baricitinib"}], "the generator's standard calls, in order of mention"
    assert not [c for c in calls if c["molecule"] == approved_smiles("tofacitinib")], "the LLM's own request for it is not run again"
    assert deps.llm.calls[[c.schema for c in deps.llm.calls].index("ToolRequests")].messages, "the LLM was still asked"
    evidence = result.state["evidence"]
    tofa = next(t.id for t in result.report.tool_evidence if t.inputs["molecule"] == approved_smiles("tofacitinib"))
    assert evidence[tofa]["passage"].startswith("tofacitinib (C16H20N6O") and "polar surface area 88.9" in evidence[tofa]["passage"]
    assert evidence[tofa]["title"] == "chem.describe v1.0: tofacitinib (C16H20N6O; RDKit, computed from its structure)"
    prompts_seen = [c.messages[-1]["content"] for c in deps.llm.calls if c.schema == "HypothesisDraft"]
    bridged = [p for p in prompts_seen if f"B [{tofa}]" in p]
    assert bridged and "B is not a paper: it was computed from the structure of tofacitinib" in bridged[0]
    assert "[PMID:2001]" in bridged[0].split("B [")[0], "the tofacitinib record is the anchor its profile is bridged to"
    # three hypotheses asked, two records: a computed profile anchors none (the JAK goal's steroid profile did)
    assert [p for p in prompts_seen if "A [PMID:" in p] and not [p for p in prompts_seen if "A [TOOL:" in p]
    assert any("can anchor a hypothesis" in n for n in result.report.notes)


def test_standard_calls_and_summaries_of_a_broken_plugin_cost_nothing_but_themselves():
    from hypoforge.agents.tooluse import standard_calls, summary

    class Hooks(LengthTool):
        def standard_calls(self, text):
            raise RuntimeError("boom")

        def summarise(self, output):
            raise RuntimeError("boom")

    class Many(LengthTool):
        def standard_calls(self, text):
            return [{"text": str(i)} for i in range(9)] + ["not a call"]

    assert standard_calls(Hooks(), "x") == [] and standard_calls(LengthTool(), "x") == []
    assert standard_calls(Many(), "x") == [{"text": str(i)} for i in range(4)], "bounded like an agent's request"
    assert summary(Hooks(), {"length": 3}) == '{"length":3}' and summary(LengthTool(), {"length": 3}) == '{"length":3}'


def test_the_describe_tool_writes_its_profile_as_sentences_and_calls_only_on_chemistry():
    reg = ToolRegistry.from_entry_points(autoload=False)
    chem = reg.get("chem.describe")
    # the records of bench goal 9 named a steroid, methotrexate and leflunomide once each before tofacitinib
    text = CHEM_GOAL + " Methylprednisolone; methotrexate; leflunomide; tofacitinib and baricitinib, then Tofacitinib again; celecoxib."
    assert chem.standard_calls(text) == [{"molecule": m} for m in ("tofacitinib", "methylprednisolone", "methotrexate")], \
        "the most often named first, then in order of first mention, three at most"
    assert chem.standard_calls("Tofacitinib is a pan Janus kinase inhibitor.") == [], "a drug named, but not its chemistry"
    res = reg.call("chem.describe", {"molecule": "methotrexate"})
    said = chem.summarise(res.output)
    assert said.startswith("methotrexate (C20H22N8O5") and "fails Veber (TPSA 210.5 > 140)" in said
    assert "meets the Lipinski, Ghose drug-likeness rules" in said
    other = chem.summarise(reg.call("chem.describe", {"molecule": "CCO"}).output)
    assert other.startswith("CCO (C2H6O") and "molecular weight 46.1 Da" in other


def test_a_record_is_bridged_to_the_profile_of_the_molecule_it_names_most():
    """Bench goal 9 (2026-11-30): the record on 'tofacitinib monotherapy, tofacitinib with
    methotrexate' was bridged to methotrexate's profile, computed first, and its chain cited it."""
    from hypoforge.agents.generator import computed_partner
    from hypoforge.agents.models import Evidence

    anchor = Evidence(key="PMID:28629665", title="Efficacy and safety of tofacitinib monotherapy, tofacitinib with methotrexate",
                      passage="Tofacitinib is an oral Janus kinase inhibitor.")
    mtx = Evidence(key="TOOL:chem.describe:1", title="t", passage="methotrexate (C20H22N8O5; RDKit): molecular weight 454.4 Da")
    tofa = Evidence(key="TOOL:chem.describe:2", title="t", passage="tofacitinib (C16H20N6O; RDKit): molecular weight 312.4 Da")
    other = Evidence(key="TOOL:chem.describe:3", title="t", passage="celecoxib (C17H14F3N3O2S; RDKit): molecular weight 381.4 Da")
    assert computed_partner(anchor, [mtx, tofa, other]) == (tofa, "tofacitinib")
    assert computed_partner(anchor, [other]) == (None, ""), "a molecule the record does not name bridges nothing"
