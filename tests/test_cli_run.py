"""The run/resume/models commands: bad input gets one line and exit code 2, nothing is written."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hypoforge.cli import main

ROOT = Path(__file__).resolve().parent.parent


def run_cli(args, capsys):
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture()
def data_dir(tmp_path, monkeypatch):
    d = tmp_path / "data"
    monkeypatch.setenv("HYPOFORGE_DATA_DIR", str(d))
    return d


def one_line_error(err: str) -> str:
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("hypoforge: error: ")
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize("goal,needle", [("", "empty"), ("   ", "empty"), ("x" * 4001, "4001 characters"),
                                         ("How do I weaponize anthrax?", "refused")])
def test_bad_goals(goal, needle, data_dir, capsys):
    code, out, err = run_cli(["run", goal], capsys)
    assert code == 2 and needle in one_line_error(err)
    assert not data_dir.exists()


def test_unknown_model(data_dir, capsys):
    code, _, err = run_cli(["run", "Why?", "--model", "gpt-17"], capsys)
    assert code == 2 and "unknown model 'gpt-17'" in one_line_error(err)


@pytest.mark.parametrize("content", [b"", b"not a gguf file at all" * 100, b"GGUF"])
def test_missing_or_corrupt_gguf(tmp_path, data_dir, capsys, content):
    path = tmp_path / "model.gguf"
    if content:
        path.write_bytes(content)
    code, _, err = run_cli(["run", "Why?", "--model", str(path)], capsys)
    line = one_line_error(err)
    assert code == 2 and ("does not exist" in line or "not a valid GGUF" in line)


def test_unreachable_endpoint(tmp_path, data_dir, capsys):
    from hypoforge.knowledge.embeddings import load_embedder
    from hypoforge.knowledge.store import KnowledgeIndex

    index = tmp_path / "ix"
    KnowledgeIndex(index, embedder=load_embedder(None)).add_starter(ROOT / "tests" / "data" / "starter_cards_fixture.jsonl")
    code, _, err = run_cli(["run", "Why?", "--llm-url", "http://127.0.0.1:9", "--index", str(index)], capsys)
    assert code == 2 and "unreachable" in one_line_error(err)


def test_unwritable_out_dir(tmp_path, data_dir, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = run_cli(["run", "Why?", "--out", str(blocker / "sub")], capsys)
    assert code == 2 and "not writable" in one_line_error(err)


def test_unknown_run_id(data_dir, capsys):
    code, _, err = run_cli(["resume", "nope-123"], capsys)
    assert code == 2 and "unknown run id 'nope-123'" in one_line_error(err)


def test_empty_index_is_explained(tmp_path, data_dir, capsys):
    code, _, err = run_cli(["run", "Why?", "--model", "smollm2-135m", "--index", str(tmp_path / "none")], capsys)
    assert code == 2 and "hypoforge index starter" in one_line_error(err)


def test_models_list_json(capsys):
    code, out, _ = run_cli(["models", "list", "--json"], capsys)
    rows = json.loads(out)
    assert code == 0 and {r["name"] for r in rows} == {"smollm2-135m", "qwen2.5-coder-1.5b"}
    smol = next(r for r in rows if r["name"] == "smollm2-135m")
    assert smol["installed"] and smol["size_mb"] > 50 and sum(r["default"] for r in rows) == 1


def test_checkout_cli_help_runs():
    res = subprocess.run([sys.executable, str(ROOT / "cli.py"), "--help"], capture_output=True, text=True, cwd="/")
    assert res.returncode == 0 and "hypoforge" in res.stdout and "run" in res.stdout


def test_installed_wheel_has_only_the_hypoforge_namespace(tmp_path):
    """A non-editable install exposes hypoforge.* only, with its prompts, and a working --help."""
    # Build from a copy: an in-tree build would leave build/ and *.egg-info in the checkout.
    src = tmp_path / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(".venv", ".git", "build", "*.egg-info", "__pycache__", ".wh*", ".pytest_cache"))
    wheels = tmp_path / "wheels"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels), str(src)],
                           capture_output=True, text=True)
    if build.returncode != 0:
        pytest.skip(f"cannot build a wheel here (pip/setuptools): {build.stderr.strip()[-200:]}")
    (wheel,) = wheels.glob("hypoforge-*.whl")
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)], check=True)
    assert sorted(p.name for p in target.iterdir() if not p.name.endswith(".dist-info")) == ["bin", "hypoforge"]
    code = (
        "import importlib.util as u, sys, hypoforge\n"
        "assert u.find_spec('agents') is None and u.find_spec('tools') is None, 'generic top-level modules'\n"
        f"assert hypoforge.__file__.startswith({str(target)!r}), hypoforge.__file__\n"
        "from hypoforge import prompts\n"
        "assert 'research goal' in prompts.render('plan')\n"
        "from hypoforge.knowledge.store import load_cards\n"
        "from importlib import resources\n"
        "assert (resources.files('hypoforge.knowledge') / 'starter' / 'cards.jsonl').is_file()\n"
        "from hypoforge.cli import main\n"
        "sys.exit(main(['--help']))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert res.returncode == 0, res.stderr[-1500:]
    assert "usage: hypoforge" in res.stdout
    script = (target / "bin" / "hypoforge").read_text()
    assert "hypoforge.cli" in script


def test_esm_model_option_selects_the_protein_model(monkeypatch, capsys):
    monkeypatch.delenv("HYPOFORGE_ESM_MODEL", raising=False)
    monkeypatch.setenv("HYPOFORGE_ESM_WEIGHTS", "/nonexistent/weights")
    code, _, err = run_cli(["tools", "run", "esm.score", "--esm-model", "esmc_600m", "--args", '{"sequences": ["MKTAYIAK"]}'], capsys)
    assert os.environ["HYPOFORGE_ESM_MODEL"] == "esmc_600m"
    assert code != 0 and "weights for esmc_600m not found" in one_line_error(err)
