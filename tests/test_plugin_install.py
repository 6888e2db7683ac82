"""End to end: pip-install the example plugin into this environment and see it through the CLI.

The install goes into ``sys.executable``'s environment (from a temporary copy, so no build files
land in the checkout) and is removed again afterwards. The CLI runs in a subprocess so that entry
points are discovered exactly as at a real start-up.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "hypoforge-plugin-example"
DIST = "hypoforge-plugin-example"


def _cli(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *argv], capture_output=True, text=True,
                          timeout=120, env=env, cwd=ROOT)


@pytest.fixture()
def installed_example(tmp_path):
    if importlib.util.find_spec("pip") is None:
        pytest.skip("pip is not available in the test environment, so the example plugin cannot be installed")
    if importlib.util.find_spec("setuptools") is None:
        pytest.skip("setuptools is not installed, needed to build the example plugin without build isolation")
    src = tmp_path / "example"
    shutil.copytree(EXAMPLE, src, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    proc = subprocess.run([*pip, "install", "--quiet", "--no-deps", "--no-build-isolation", "--no-index", str(src)],
                          capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        pytest.fail(f"installing the example plugin failed:\n{proc.stdout}\n{proc.stderr}")
    try:
        yield
    finally:
        subprocess.run([*pip, "uninstall", "--yes", "--quiet", DIST], capture_output=True, text=True, timeout=120)


def test_installed_example_plugin_is_listed_and_runs(installed_example):
    env = {k: v for k, v in os.environ.items() if k != "HYPOFORGE_DISABLE_PLUGIN_AUTOLOAD"}
    listed = _cli("tools", "list", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    rows = {r["name"]: r for r in json.loads(listed.stdout)}
    assert rows["peptide.net_charge"]["plugin"] == DIST
    assert "chem.describe" in rows  # built-ins still there

    ran = _cli("tools", "run", "peptide.net_charge", "--args", '{"sequence": "KKKK", "ph": 7.0}', "--json", env=env)
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout)["net_charge"] > 3.5

    off = _cli("tools", "list", "--json", env={**env, "HYPOFORGE_DISABLE_PLUGIN_AUTOLOAD": "1"})
    assert "peptide.net_charge" not in {r["name"] for r in json.loads(off.stdout)}


AGENT_RUN = """
import json, sys, tempfile
sys.path.insert(0, {tests!r})
import conftest  # import hypoforge from the checkout
from fakes import FakeEmbedder, FakeRetriever, cite_tools_responder, with_tool_request
from hypoforge.agents.deps import Deps
from hypoforge.agents.llm import ScriptedLLM
from hypoforge.agents.run import start_run
from hypoforge.agents.settings import LoopSettings, Settings
from hypoforge.tools.registry import ToolRegistry

ask = with_tool_request([{{"tool": "peptide.net_charge", "args": {{"sequence": "KKKKDE", "ph": 7.0}}}}])
def respond(messages, schema, keys):
    if schema.__name__ == "ToolRequests":
        return ask(messages, schema, keys)
    return cite_tools_responder(messages, schema, keys)

tmp = tempfile.mkdtemp()
settings = Settings(data_dir=tmp, loop=LoopSettings(rounds=1, hypotheses=1, evolve_per_round=0))
deps = Deps(llm=ScriptedLLM(responder=respond), retriever=FakeRetriever(), settings=settings,
            embedder=FakeEmbedder(), tools=ToolRegistry.from_entry_points())
report = start_run("Could cationic peptides modulate synovial inflammation?", settings, deps, out_dir=tmp + "/out").report
print(json.dumps({{"tools": [t.model_dump() for t in report.tool_evidence],
                  "cited": [c.key for c in report.proposals[0].citations]}}))
"""


def test_installed_example_plugin_is_called_by_the_agents(installed_example):
    env = {k: v for k, v in os.environ.items() if k != "HYPOFORGE_DISABLE_PLUGIN_AUTOLOAD"}
    proc = subprocess.run([sys.executable, "-c", AGENT_RUN.format(tests=str(ROOT / "tests"))], capture_output=True, text=True,
                          timeout=300, env=env, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    (call,) = out["tools"]
    assert call["tool"] == "peptide.net_charge" and call["plugin"] == DIST and call["error"] is None
    assert call["inputs"]["sequence"] == "KKKKDE" and call["output"]["net_charge"] > 1
    assert out["cited"][0] == call["id"]
