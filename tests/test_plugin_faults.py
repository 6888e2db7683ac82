"""Hostile plugins installed into a temporary directory, seen through the real CLI.

Each plugin is a module plus a ``*.dist-info`` folder declaring its ``hypoforge.tools`` entry point,
on ``PYTHONPATH``: exactly what ``pip install --target`` leaves, without needing pip. The CLI runs in
a subprocess, so entry points are discovered as at a real start-up and a plugin calling
``sys.exit`` would end the process if the registry did not stop it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

TOOL = textwrap.dedent(
    """
    import math, sys, time
    from pydantic import BaseModel
    from hypoforge.tools.base import Tool

    class In(BaseModel):
        x: int = 0

    class Out(BaseModel):
        value: float

    class Base(Tool):
        description = "A hostile test plugin."
        Input = In
        Output = Out
        def run(self, inp):
            return Out(value=1.0)
    """
)

#: entry-point name -> module source (after TOOL's definitions); each module defines ``T``.
PLUGINS = {
    "bad.inf": "class T(Base):\n    name = 'bad.inf'\n    timeout_s = float('inf')\n",
    "bad.nan": "class T(Base):\n    name = 'bad.nan'\n    timeout_s = float('nan')\n",
    "bad.exit": "sys.exit(3)\n",
    "bad.raise": "raise ImportError('missing native library')\n",
    "bad.hang": "time.sleep(3600)\n",
    "bad.setup_hang": "class T(Base):\n    name = 'bad.setup_hang'\n    def setup(self):\n        time.sleep(3600)\n",
    "bad.setup_exit": "class T(Base):\n    name = 'bad.setup_exit'\n    def setup(self):\n        sys.exit(4)\n",
    "bad.output_nan": "class T(Base):\n    name = 'bad.output_nan'\n    def run(self, inp):\n        return Out(value=math.nan)\n",
}
SKIPPED = {"bad.inf": "'timeout_s' must be a finite positive number", "bad.nan": "'timeout_s' must be a finite positive number",
           "bad.exit": "it called sys.exit(3)", "bad.raise": "missing native library", "bad.hang": "did not finish within 1 s"}


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """A directory holding one distribution, ``hostile-plugins``, with every plugin above."""
    root = tmp_path_factory.mktemp("site")
    lines = ["[hypoforge.tools]"]
    for ep_name, src in PLUGINS.items():
        module = "hostile_" + ep_name.split(".", 1)[1]
        (root / f"{module}.py").write_text(TOOL + src)
        lines.append(f"{ep_name} = {module}:T")
    info = root / "hostile_plugins-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: hostile-plugins\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
    return root


def cli(site: Path, *argv: str, extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "HYPOFORGE_DISABLE_PLUGIN_AUTOLOAD"}
    env.update({"PYTHONPATH": str(site), "HYPOFORGE_PLUGIN_LOAD_TIMEOUT": "1", "HYPOFORGE_TOOL_SETUP_TIMEOUT": "1",
                **(extra_env or {})})
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *argv], capture_output=True, text=True, timeout=120,
                          env=env, cwd=ROOT)


def stderr_lines(proc: subprocess.CompletedProcess[str]) -> list[str]:
    assert "Traceback" not in proc.stderr, proc.stderr
    return [line for line in proc.stderr.splitlines() if line.strip()]


def test_tools_list_survives_every_hostile_plugin(site):
    proc = cli(site, "tools", "list", "--json")
    assert proc.returncode == 0, proc.stderr
    names = {r["name"] for r in json.loads(proc.stdout)}
    assert {"chem.describe", "bad.setup_hang", "bad.setup_exit", "bad.output_nan"} <= names
    assert not names & set(SKIPPED)
    lines = stderr_lines(proc)
    assert len(lines) == len(SKIPPED)  # one warning line per skipped plugin
    for ep_name, reason in SKIPPED.items():
        (line,) = [x for x in lines if f"({ep_name})" in x]
        assert line.startswith("hypoforge: warning: plugin hostile-plugins") and reason in line


@pytest.mark.parametrize("ep_name", sorted(SKIPPED))
def test_running_a_skipped_plugin_is_one_line_exit_2(site, ep_name):
    proc = cli(site, "tools", "run", ep_name, "--args", "{}")
    (line,) = stderr_lines(proc)
    assert proc.returncode == 2 and line.startswith(f"hypoforge: error: tool '{ep_name}' was not loaded")
    assert SKIPPED[ep_name] in line


@pytest.mark.parametrize("ep_name,needle", [
    ("bad.setup_hang", "setup did not finish within 1 s"),
    ("bad.setup_exit", "setup failed: it called sys.exit(4)"),
    ("bad.output_nan", "not finite"),
])
def test_a_failing_plugin_call_is_one_line_exit_1(site, ep_name, needle):
    proc = cli(site, "tools", "run", ep_name, "--args", "{}")
    lines = stderr_lines(proc)
    errors = [x for x in lines if x.startswith("hypoforge: error:")]
    assert proc.returncode == 1 and len(errors) == 1 and needle in errors[0]
    assert all(x.startswith("hypoforge: warning: plugin hostile-plugins") for x in lines if x not in errors)


def test_a_huge_smiles_is_refused_before_rdkit(site):
    smiles = "C" * 5000  # 5,000 atoms: ran 160 s and 1 GB inside RDKit before the cap
    proc = subprocess.run([sys.executable, str(ROOT / "cli.py"), "tools", "run", "chem.describe", "--args",
                           json.dumps({"molecule": smiles})], capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env={**os.environ, "HYPOFORGE_DISABLE_PLUGIN_AUTOLOAD": "1"})
    (line,) = stderr_lines(proc)
    assert proc.returncode == 2 and "about 5,000 heavy atoms, over the 500 limit" in line


def test_a_run_survives_every_hostile_plugin(site, tmp_path):
    import threading

    from test_endpoint_faults import FaultyEndpoint

    from hypoforge.knowledge.embeddings import load_embedder
    from hypoforge.knowledge.store import KnowledgeIndex

    index = tmp_path / "index"
    KnowledgeIndex(index, embedder=load_embedder(None)).add_starter(ROOT / "tests" / "data" / "starter_cards_fixture.jsonl")
    server = FaultyEndpoint()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        proc = cli(site, "run", "Why do some RA patients not respond to methotrexate?", "--llm-url", server.url,
                   "--index", str(index), "--rounds", "1", "--hypotheses", "2", "--json",
                   extra_env={"HYPOFORGE_DATA_DIR": str(tmp_path / "data")})
    finally:
        server.shutdown()
        server.server_close()
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["proposals"]
    lines = [x for x in stderr_lines(proc) if not x.startswith(("model: ", "hypoforge: run ", "hypoforge: ["))]
    assert len(lines) == len(SKIPPED) and all(x.startswith("skipping tool plugin hostile-plugins") for x in lines)
