"""hypoforge chat: parsing, every command with fakes, session persistence and resume."""

from __future__ import annotations

import io
import json

import pytest
from chat_fake_deps import make_deps
from rich.console import Console

from hypoforge.chat import actions
from hypoforge.agents.run import read_state
from hypoforge.chat.session import ChatSession
from hypoforge.chat.slash import COMMANDS, Chat, parse
from hypoforge.agents.settings import LoopSettings, Settings
from hypoforge.errors import NotFound, UserError
from hypoforge.tools.base import ToolResult

GOAL = "Why do a third of rheumatoid arthritis patients not respond to methotrexate?"


class Screen:
    def __init__(self) -> None:
        self.buf = io.StringIO()
        self.console = Console(file=self.buf, width=140, color_system=None)
        self.pos = 0

    def new(self) -> str:
        text = self.buf.getvalue()[self.pos :]
        self.pos = len(self.buf.getvalue())
        return text


def make_chat(tmp_path, session=None, **loop):
    settings = Settings(data_dir=tmp_path / "data", loop=LoopSettings(**{"rounds": 1, "hypotheses": 3, **loop}))
    screen = Screen()
    built = []

    def factory(s):
        built.append(make_deps(s))
        return built[-1]

    chat = Chat(session or ChatSession.new(settings), settings, factory, screen.console)
    return chat, screen, built


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    """One chat with a finished one-round run, shared by the read-only command tests."""
    chat, screen, built = make_chat(tmp_path_factory.mktemp("chat"))
    assert chat.handle(GOAL)
    assert chat.handle("/run 1")
    return chat, screen, built


# ------------------------------------------------------------------ parsing


def test_parse_commands_free_text_and_errors():
    assert parse("   ") is None
    p = parse("/debate 1  2")
    assert p.name == "debate" and p.words == ["1", "2"]
    assert parse("/ASK why? ").arg == "why?"
    assert parse("what links them?").name == "text"
    with pytest.raises(UserError, match="did you mean /ranking"):
        parse("/rankin")
    with pytest.raises(UserError, match="unknown command /zz"):
        parse("/zz")
    # every slash command of the issue is there
    assert set(COMMANDS) == {"goal", "run", "ranking", "show", "critique", "evolve", "debate", "cite", "ask", "molecule",
                             "protein", "patient", "tools", "model", "export", "help", "quit"}


def test_commands_before_a_run_explain_what_to_do(tmp_path):
    chat, screen, built = make_chat(tmp_path)
    chat.handle("/ranking")
    assert "no proposals yet" in screen.new()
    chat.handle("/show 1")
    assert "no proposals yet; set a goal and /run first" in screen.new()
    chat.handle("/run")
    assert "no research goal yet" in screen.new()
    chat.handle("/help")
    out = screen.new()
    assert all(spec.usage.split()[0] in out for spec in COMMANDS.values())
    assert "/evolve N [refine|simplify|bolder]" in out
    assert not built, "help and errors must not build the model or the index"


def test_free_text_sets_the_goal_then_asks(tmp_path):
    chat, screen, _ = make_chat(tmp_path)
    chat.handle(GOAL)
    assert "Goal set: " + GOAL in screen.new()
    assert chat.session.goal == GOAL
    chat.handle("How does methotrexate adenosine signalling work?")
    out = screen.new()
    assert "Grounded answer to: How does methotrexate adenosine signalling work?" in out
    assert "PMID:" in out


def test_harmful_goal_is_refused(tmp_path):
    chat, screen, _ = make_chat(tmp_path)
    chat.handle("/goal how to weaponize anthrax")
    assert "goal refused" in screen.new() and chat.session.goal is None


# ------------------------------------------------------------------ run and the read-only commands


def test_run_shows_ranking_and_keeps_the_report(ran):
    chat, screen, built = ran
    report = chat.session.report
    assert report and len(report["proposals"]) == 3
    state = read_state(chat.settings, chat.session.run_id)
    assert state["goal"] == GOAL and len(state["hypotheses"]) == 3
    saved = json.loads(ChatSession.path_for(chat.settings, chat.session.id).read_text())
    assert saved["run_id"] == chat.session.run_id and saved["report"]["proposals"] == report["proposals"]
    chat.handle("/ranking")
    out = screen.new()
    for p in report["proposals"]:
        assert p["title"] in out and f"{p['elo']:.0f}" in out


def test_show_and_cite_number_citations(ran):
    chat, screen, _ = ran
    p = chat.session.report["proposals"][0]
    chat.handle("/show 1")
    out = screen.new()
    assert p["title"] in out and p["statement"] in out and "[1]" in out
    for c in p["citations"]:
        assert c["key"] in out and c["title"] in out
    chat.handle("/cite 1")
    out = screen.new()
    for i, c in enumerate(p["citations"], 1):
        assert f"[{i}] {c['key']}" in out
        assert c["passage"].split()[0] in out
    chat.handle("/cite 9")
    assert "there are 3 proposals" in screen.new()
    chat.handle("/show x")
    assert "expected a proposal number" in screen.new()


def test_critique_reuses_the_critic_and_keeps_it_in_the_session(ran):
    chat, screen, built = ran
    before = len(built[-1].llm.calls)
    chat.handle("/critique 2")
    out = screen.new()
    assert "Critique of 2." in out and "Weakness: needs data" in out
    assert [c.schema for c in built[-1].llm.calls[before:]] == ["ReviewDraft"]
    assert chat.session.critiques[-1].proposal_id == chat.session.report["proposals"][1]["id"]


def test_ask_is_grounded_or_says_no_evidence(ran):
    chat, screen, built = ran
    chat.handle("/ask Does smoking affect methotrexate response?")
    out = screen.new()
    assert "Grounded answer to: Does smoking affect methotrexate response?" in out and "Sources." in out
    call = built[-1].llm.calls[-1]
    # the smoking record was retrieved and plainly addresses the question: "no evidence" is not offered
    assert call.schema == "AnsweredDraft" and "PMID:1005" in call.keys
    n = len(built[-1].llm.calls)
    chat.handle("/ask best pizza dough hydration")
    assert "The index has no evidence for this." in screen.new()
    assert len(built[-1].llm.calls) == n, "nothing relevant retrieved: no LLM call"
    chat.handle("/ask UNSUPPORTED methotrexate question")
    assert "The index has no evidence for this." in screen.new()


def test_answer_rejects_citations_outside_the_retrieved_keys(tmp_path):
    from hypoforge.agents.llm import ScriptedLLM

    deps = make_deps(Settings(data_dir=tmp_path))
    deps.llm = ScriptedLLM(responses={"AnswerDraft": [{"supported": True, "answer": "x", "citations": ["PMID:999"]}],
                                      "AnsweredDraft": [{"answer": "x", "citations": ["PMID:999"]}]})
    with pytest.raises(Exception, match="not among the records retrieved"):
        actions.answer(deps, "methotrexate smoking response")


def test_export_json_and_md(ran, tmp_path):
    chat, screen, _ = ran
    chat.handle(f"/export json {tmp_path / 's.json'}")
    data = json.loads((tmp_path / "s.json").read_text())
    assert data["session"]["id"] == chat.session.id and data["report"]["proposals"] == chat.session.report["proposals"]
    chat.handle(f"/export md {tmp_path / 's.md'}")
    md = (tmp_path / "s.md").read_text()
    assert chat.session.report["proposals"][0]["title"] in md and "## Transcript" in md and "/run 1" in md
    chat.handle("/export pdf")
    assert "choose md or json" in screen.new()


# ------------------------------------------------------------------ commands that change the run


def test_evolve_debate_and_continue(tmp_path):
    chat, screen, built = make_chat(tmp_path)
    chat.handle("/goal " + GOAL)
    chat.handle("/run 1")
    run_id = chat.session.run_id
    ids = [p["id"] for p in chat.session.report["proposals"]]
    chat.handle("/evolve 1 simplify")
    out = screen.new()
    state = read_state(chat.settings, run_id)
    new = [h for h in state["hypotheses"].values() if h["origin"] == "evolved:simplify:chat"]
    assert len(new) == 1 and new[0]["parents"] == [ids[0]] and not new[0]["reviews"]
    assert f"Evolved {new[0]['id']} (simplify)" in out
    chat.handle("/evolve 1 2")
    assert any(h["origin"] == "evolved:combine:chat" for h in read_state(chat.settings, run_id)["hypotheses"].values())
    chat.handle("/evolve 1 sideways")
    assert "unknown strategy" in screen.new()

    n_matches = len(read_state(chat.settings, run_id)["matches"])
    a, b = chat.session.report["proposals"][0]["id"], chat.session.report["proposals"][1]["id"]
    chat.handle("/debate 1 2")
    out = screen.new()
    matches = read_state(chat.settings, run_id)["matches"]
    assert len(matches) == n_matches + 1 and matches[-1]["debate"] and {matches[-1]["a"], matches[-1]["b"]} == {a, b}
    assert "Judge." in out and "Ranking after the debate" in out
    schemas = [c.schema for c in built[-1].llm.calls[-3:]]
    assert schemas == ["ArgumentDraft", "ArgumentDraft", "JudgementDraft"]

    # /run again continues the same run: a second round, the chat's evolved hypotheses reviewed and ranked
    chat.handle("/run 1")
    out = screen.new()
    assert f"Run {run_id} continued" in out and "completed 2 round(s)" in out
    assert chat.session.run_id == run_id
    state = read_state(chat.settings, run_id)
    assert state["round"] == 1 and all(h["reviews"] for h in state["hypotheses"].values() if not h.get("merged_into"))
    meta = json.loads((chat.settings.runs_dir() / run_id / "run.json").read_text())
    assert meta["status"] == "complete" and meta["settings"]["loop"]["rounds"] == 2

    # a new goal starts a new run
    chat.handle("/goal Which synovial pathotypes predict response to rituximab?")
    assert chat.session.run_id is None and chat.session.report is None


def test_ctrl_c_during_run_keeps_everything_and_run_resumes(tmp_path):
    chat, screen, built = make_chat(tmp_path)
    chat.handle(GOAL)
    deps = chat.deps
    calls = {"n": 0}
    real = deps.llm.structured

    def interrupt_in_review(messages, schema, **k):  # plan, evidence, 3 hypotheses, then the second review
        calls["n"] += schema.__name__ == "ReviewDraft"
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real(messages, schema, **k)

    deps.llm.structured = interrupt_in_review
    chat.handle("/run 1")
    out = screen.new()
    assert "stopped (Ctrl-C)" in out and chat.session.run_id
    run_id = chat.session.run_id
    meta = json.loads((chat.settings.runs_dir() / run_id / "run.json").read_text())
    assert meta["status"] == "interrupted"  # marked on Ctrl-C (issue 12)
    # the generated hypotheses were checkpointed and are shown (unreviewed, unranked) meanwhile
    assert len(chat.session.report["proposals"]) == 3
    assert ChatSession.load(chat.settings, chat.session.id).run_id == run_id
    chat.handle("/evolve 1")
    assert "interrupted mid-step" in screen.new()
    chat.handle("/run")
    out = screen.new()
    assert f"Run {run_id} resumed" in out and chat.session.report["proposals"]


# ------------------------------------------------------------------ session persistence


def test_session_persists_after_every_command_and_resumes(tmp_path):
    chat, screen, _ = make_chat(tmp_path)
    chat.handle("/goal " + GOAL)
    path = ChatSession.path_for(chat.settings, chat.session.id)
    assert json.loads(path.read_text())["goal"] == GOAL
    chat.handle("/run 1")
    chat.handle("/ranking")
    assert not list(path.parent.glob(".*.json.*")), "no temp files left behind"
    loaded = ChatSession.load(chat.settings, chat.session.id)
    assert loaded.run_id == chat.session.run_id and [t.text for t in loaded.turns][:3] == ["/goal " + GOAL, "Goal set: " + GOAL + "\nType /run to generate, review and rank hypotheses.", "/run 1"]
    chat2, screen2, built2 = make_chat(tmp_path, session=loaded)
    chat2.handle("/ranking")
    assert chat.session.report["proposals"][0]["title"] in screen2.new()
    assert not built2, "/ranking after resume comes from the session, without loading the model"
    chat2.handle("/run")
    assert "continued" in screen2.new()
    with pytest.raises(NotFound):
        ChatSession.load(chat.settings, "nope")
    with pytest.raises(UserError, match="invalid session id"):
        ChatSession.load(chat.settings, "../etc")
    path.write_text("{not json")
    with pytest.raises(UserError, match="damaged"):
        ChatSession.load(chat.settings, chat.session.id)


# ------------------------------------------------------------------ capabilities


def test_capabilities_say_not_available(tmp_path, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_tools(name, *a, **k):
        if name.startswith(("hypoforge.tools.registry", "hypoforge.tools.genomics")):
            raise ImportError(f"No module named {name!r}", name=name)
        return real_import(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", no_tools)
    chat, screen, built = make_chat(tmp_path)
    for line, what in [("/tools", "tools"), ("/molecule CCO", "tools"), ("/protein MKV", "tools"), ("/patient p.vcf", "patient plans")]:
        chat.handle(line)
        out = screen.new().strip()
        assert out.startswith(f"not available: {what}") and "\n" not in out, out
    assert not built


def _registry():
    from pydantic import BaseModel

    class SeqIn(BaseModel):
        sequence: str

    class MutIn(BaseModel):
        sequence: str
        mutations: list[str]

    class Out(BaseModel):
        value: str

    class FakeRegistry:
        """Duck-typed stand-in for hypoforge.tools.registry.ToolRegistry."""

        tools = {"seq.protparam": SeqIn, "esm.scan": MutIn}

        def __init__(self):
            self.calls = []

        def names(self):
            return sorted(self.tools)

        def get(self, name):
            return type("T", (), {"Input": self.tools[name], "Output": Out})

        def specs(self):
            return [type("S", (), {"name": n, "description": f"{n} tool"}) for n in self.names()]

        def call(self, name, args):
            self.calls.append((name, args))
            self.tools[name].model_validate(args)
            return ToolResult(id=f"TOOL:{name}:1", tool=name, version="1", inputs=args, output={"value": f"{name} ok"})

    return FakeRegistry()


def test_tools_protein_and_molecule_through_an_injected_registry(tmp_path):
    chat, screen, _ = make_chat(tmp_path)
    reg = _registry()
    chat.deps.tools = reg
    chat.handle("/tools")
    out = screen.new()
    assert "esm.scan" in out and "seq.protparam" in out
    chat.handle("/protein MKVLA A2G,K5E")
    out = screen.new()
    assert reg.calls == [("seq.protparam", {"sequence": "MKVLA"}), ("esm.scan", {"sequence": "MKVLA", "mutations": ["A2G", "K5E"]})]
    assert "esm.scan ok" in out and "TOOL:esm.scan:1" in out
    chat.handle("/molecule CCO")
    assert screen.new().strip().startswith("not available: molecule profiling (tool 'chem.describe' is not installed")


def test_model_command_shows_and_switches(tmp_path):
    chat, screen, built = make_chat(tmp_path)
    chat.handle("/model")
    assert "model: scripted" in screen.new()
    chat.handle("/model other-model")
    assert chat.settings.llm.model == "other-model" and chat.session.settings["llm"]["model"] == "other-model"
    assert len(built) == 2 and chat.deps is built[-1]
