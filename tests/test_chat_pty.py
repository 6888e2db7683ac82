"""Drive ``python cli.py chat`` in a real pseudo-terminal (pexpect) and check what the screen shows.

The scripted fake LLM and the in-memory retriever reach the subprocess through the documented
testing hook ``HYPOFORGE_CHAT_DEPS_FACTORY`` (see docs/chat.md); tests/ is put on PYTHONPATH so the
factory module imports. The ``real_model`` variant runs the embedded GGUF model instead.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import sys
from pathlib import Path

import pytest

pexpect = pytest.importorskip("pexpect", reason="pexpect is needed to drive a pseudo-terminal")

ROOT = Path(__file__).resolve().parent.parent
GOAL = "Why do a third of rheumatoid arthritis patients not respond to methotrexate?"
PROMPT = "hypoforge> "
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def spawn(tmp_path: Path, *args: str, factory: str = "chat_fake_deps:make_deps", timeout: float = 30, **env: str):
    full_env = {
        **os.environ, "PYTHONPATH": str(ROOT / "tests"), "HYPOFORGE_CHAT_DEPS_FACTORY": factory, "NO_COLOR": "1",
        "TERM": "xterm", "COLUMNS": "120", "LINES": "40", "HOME": str(tmp_path), **env,
    }
    child = pexpect.spawn(sys.executable, [str(ROOT / "cli.py"), "chat", "--data-dir", str(tmp_path / "data"), *args],
                          cwd=str(ROOT), env=full_env, encoding="utf-8", timeout=timeout, dimensions=(40, 120))
    return child


def command(child, line: str, *expect: str) -> str:
    """Type ``line`` at the prompt; wait for each expected pattern in order; return what was shown."""
    child.expect_exact(PROMPT)
    child.sendline(line)
    shown = ""
    for pattern in expect:
        child.expect(pattern)
        shown += child.before + child.after
    return shown


def test_chat_in_a_pseudo_terminal(tmp_path):
    child = spawn(tmp_path)
    child.expect("Type a research goal to begin")
    assert re.search(r"Hypoforge chat . session \d{8}-\d{6}-[0-9a-f]{4}", ANSI.sub("", child.before))
    command(child, "/goal " + GOAL, "Goal set: " + re.escape(GOAL))
    shown = command(child, "/run 1", r"Run (\S+) started: completed 1 round\(s\)", r"Overview\.")
    assert "Live Elo" in shown, "the live Elo table was drawn while the run worked"
    run_id = re.search(r"Run (\S+) started", shown).group(1)
    report = json.loads((tmp_path / "data" / "runs" / run_id / "report.json").read_text())
    titles = [p["title"] for p in report["proposals"]]
    shown = command(child, "/ranking", re.escape(titles[-1]))
    assert all(t in shown for t in titles)
    top = report["proposals"][0]
    shown = command(child, "/show 1", r"Testable predictions\.", r"References\.", re.escape(top["citations"][-1]["key"]))
    assert top["title"] in shown and "[1]" in shown
    shown = command(child, "/cite 1", re.escape(f"[{len(top['citations'])}] {top['citations'][-1]['key']}"))
    assert f"[1] {top['citations'][0]['key']}" in shown
    command(child, "/ask Does smoking affect methotrexate response?", r"Grounded answer to: Does smoking affect methotrexate", r"Sources\.")
    command(child, "/ask best pizza dough hydration", r"The index has no evidence for this\.")
    out = tmp_path / "export.json"
    command(child, f"/export json {out}", "exported json to")
    exported = json.loads(out.read_text())
    assert exported["report"]["run_id"] == run_id and exported["session"]["goal"] == GOAL
    child.expect_exact(PROMPT)
    child.sendintr()  # Ctrl-C at the prompt does not exit
    child.expect(r"Ctrl-C: type /quit")
    child.sendline("/quit")
    child.expect(r"continue with: hypoforge chat --resume (\S+)")
    session_id = child.match.group(1).strip()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    history = (tmp_path / "data" / "chat" / "history").read_text()
    assert "/ranking" in history and "/cite 1" in history

    # resume the session: the ranking is there; Ctrl-C during /run stops it and keeps the run resumable
    child = spawn(tmp_path, "--resume", session_id, CHAT_FAKE_DELAY="0.15")
    child.expect("Goal: " + re.escape(GOAL))
    command(child, "/ranking", re.escape(titles[-1]))
    command(child, "/run 1", r"evolve|review|rank")
    child.sendintr()
    child.expect(r"stopped \(Ctrl-C\): run (\S+) is checkpointed")
    assert child.match.group(1) == run_id
    command(child, "/run", rf"Run {re.escape(run_id)} resumed: completed 2 round\(s\)")
    child.expect_exact(PROMPT)
    child.sendeof()  # Ctrl-D leaves
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    saved = json.loads((tmp_path / "data" / "chat" / f"{session_id}.json").read_text())
    assert saved["run_id"] == run_id and saved["report"]["stats"]["rounds"] == 2


def _llama_cpp_missing() -> bool:
    return importlib.util.find_spec("llama_cpp") is None


@pytest.mark.real_model
@pytest.mark.skipif(_llama_cpp_missing(), reason="llama_cpp (llama-cpp-python) is not installed: the embedded model cannot run")
def test_chat_in_a_pseudo_terminal_with_the_embedded_model(tmp_path):
    child = spawn(tmp_path, "--preset", "fast", "--model", "smollm2-135m", factory="chat_fake_deps:make_real_llm_deps", timeout=600)
    command(child, "/goal " + GOAL, "Goal set")
    shown = command(child, "/run 1", r"Run (\S+) started: ([^\r\n]+)")
    run_id = re.search(r"Run (\S+) started", shown).group(1)
    report = json.loads((tmp_path / "data" / "runs" / run_id / "report.json").read_text())
    assert report["model"] != "scripted" and report["proposals"]
    command(child, "/show 1", re.escape(report["proposals"][0]["title"][:30]))
    command(child, "/ask Does smoking affect methotrexate response?", r"(Sources\.|The index has no evidence for this\.)")
    command(child, "/quit", "continue with")
    child.expect(pexpect.EOF)


def test_ctrl_c_at_the_prompt_works_when_the_parent_ignored_sigint(tmp_path):
    """Started as a background job of a non-interactive shell, chat inherits an ignored SIGINT
    (the ignore survives exec); Ctrl-C at the prompt must still print its notice, not be lost."""
    import signal

    full_env = {**os.environ, "PYTHONPATH": str(ROOT / "tests"), "HYPOFORGE_CHAT_DEPS_FACTORY": "chat_fake_deps:make_deps",
                "NO_COLOR": "1", "TERM": "xterm", "HOME": str(tmp_path)}
    child = pexpect.spawn(sys.executable, [str(ROOT / "cli.py"), "chat", "--data-dir", str(tmp_path / "data")], cwd=str(ROOT),
                          env=full_env, encoding="utf-8", timeout=30, dimensions=(40, 120),
                          preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    child.expect_exact(PROMPT)
    child.sendintr()
    child.expect(r"Ctrl-C: type /quit")
    child.expect_exact(PROMPT)
    child.sendline("/quit")
    child.expect(pexpect.EOF)
