"""The package's floors: imports flow one way, and one module owns a run's stored state.

cli -> {chat, campaign} -> agents -> {knowledge, tools, prompts}: agents/ is the loop alone and
never imports a front end; the front ends reach a run's checkpoints and record only through
hypoforge.agents.run (docs/architecture.md).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_agents_never_import_a_front_end():
    files = sorted((ROOT / "agents").rglob("*.py"))
    assert files
    bad = {f"{f.relative_to(ROOT)}: {n}" for f in files for n in imported(f)
           if n.split(".")[:2] in (["hypoforge", "chat"], ["hypoforge", "campaign"], ["hypoforge", "cli"])}
    assert not bad


def test_tools_and_knowledge_never_import_the_loop_or_a_front_end():
    files = sorted([*(ROOT / "tools").rglob("*.py"), *(ROOT / "knowledge").rglob("*.py"), *(ROOT / "prompts").rglob("*.py")])
    assert files
    upper = (["hypoforge", "agents"], ["hypoforge", "chat"], ["hypoforge", "campaign"], ["hypoforge", "cli"])
    bad = {f"{f.relative_to(ROOT)}: {n}" for f in files for n in imported(f) if n.split(".")[:2] in upper}
    # the knowledge CLI command reads the layered settings, as every command does
    assert bad == {"knowledge/commands.py: hypoforge.agents.settings"}


def test_front_ends_leave_a_runs_stored_state_to_agents_run():
    files = sorted([*(ROOT / "chat").rglob("*.py"), *(ROOT / "campaign").rglob("*.py")])
    assert files
    for f in files:
        text = f.read_text("utf-8")
        for word in ("thread_id", "checkpointer", "checkpoint_db", "run_meta_path", "build_graph"):
            assert word not in text, f"{f.relative_to(ROOT)} uses {word}: go through hypoforge.agents.run"
