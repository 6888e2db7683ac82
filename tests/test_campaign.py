"""Campaigns on the scripted LLM: spec errors, parallel run and outputs, failure, kill-then-resume, status, Ray.

Goals run in spawned worker processes with :func:`hypoforge.campaign.scripted.scripted_deps`
(deterministic answers from the prompt alone, in-memory index), so results are reproducible across
processes, resumes and backends.
"""

from __future__ import annotations

import contextlib
import csv
import importlib
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hypoforge.campaign.spec import load_spec
from hypoforge.cli import main
from hypoforge.errors import UserError

ROOT = Path(__file__).resolve().parent.parent
FACTORY = "hypoforge.campaign.scripted:scripted_deps"

SPEC = """\
id: t
description: test campaign
settings:
  loop:
    rounds: 2
    hypotheses: 3
    evolve_per_round: 1
goals:
  - id: mtx
    goal: Why do a third of rheumatoid arthritis patients not respond to methotrexate?
  - id: tnf
    goal: What explains secondary loss of response to TNF inhibitors in rheumatoid arthritis?
    budget: {rounds: 1, hypotheses: 2}
  - id: broken
    goal: Which biomarkers predict response to JAK inhibitors in rheumatoid arthritis?
"""


def write(tmp_path: Path, text: str, name: str = "spec.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


# ----------------------------------------------------------------------------- spec errors


@pytest.mark.parametrize(
    "text, expected",
    [
        ("goals:\n  - id: a\n    goal: [unclosed\n", r"spec.yaml:4:1: invalid YAML"),
        ("goals:\n  - id: a\n    gaol: Why?\n", r"spec.yaml:3:5: unknown key 'gaol' in goals\[0\]; did you mean 'goal'\?"),
        ("settings:\n  loop:\n    roundz: 2\ngoals:\n  - id: a\n    goal: Why does MTX fail?\n",
         r"spec.yaml:3:5: unknown key 'roundz' in settings.loop; did you mean 'rounds'\?"),
        ("goals:\n  - id: a\n    goal: Why does MTX fail?\n  - id: a\n    goal: Why does TNF fail?\n",
         r"spec.yaml:4:5: duplicate goal id 'a' \(first used at .*spec.yaml:2:5\)"),
        ("goals:\n  - id: a\n    goal: Why does MTX fail?\n    patient_files: [p1.vcf]\n",
         r"spec.yaml:4:21: patient file 'p1.vcf' of goal 'a' not found"),
        ("goals:\n  - id: a\n    goal: Why?\n    budget: {rounds: 0}\n", r"spec.yaml:4:14: goals\[0\].budget.rounds: Input should be greater than or equal to 1"),
        ("id: x\nid: y\ngoals: []\n", r"spec.yaml:2:1: duplicate key 'id'"),
        ("goals:\n  - id: 'bad id'\n    goal: Why?\n", r"spec.yaml:2:5: goals\[0\].id: String should match pattern"),
    ],
)
def test_spec_errors_point_at_line_and_column(tmp_path, text, expected):
    with pytest.raises(UserError, match=expected):
        load_spec(write(tmp_path, text))


def test_valid_spec_layers_settings_and_resolves_patient_files(tmp_path):
    (tmp_path / "p1.vcf").write_text("##fileformat=VCFv4.2\n")
    spec = load_spec(write(tmp_path, SPEC.replace("    budget: {rounds: 1, hypotheses: 2}\n",
                                                  "    budget: {rounds: 1, hypotheses: 2}\n    seed: 3\n    patient_files: [p1.vcf]\n"
                                                  "    constraints: [no biologics]\n")))
    assert spec.id == "t" and [g.id for g in spec.goals] == ["mtx", "tnf", "broken"]
    tnf = spec.settings_for(spec.goals[1])
    assert tnf["loop"]["rounds"] == 1 and tnf["loop"]["hypotheses"] == 2 and tnf["llm"]["seed"] == 3
    assert tnf["loop"]["constraints"] == ["no biologics"]
    assert spec.settings_for(spec.goals[0])["loop"]["rounds"] == 2
    assert spec.goals[1].patient_files == [(tmp_path / "p1.vcf").resolve()]


def test_cli_rejects_bad_spec_before_any_work(tmp_path, capsys):
    spec = write(tmp_path, "goals:\n  - id: a\n    goal: Why?\n    tols: [x]\n")
    out = tmp_path / "out"
    assert main(["campaign", "run", str(spec), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "did you mean 'tools'?" in err and "spec.yaml:4:5" in err
    assert not out.exists()


def test_unavailable_tool_is_refused_before_any_work(tmp_path, capsys):
    spec = write(tmp_path, "goals:\n  - id: a\n    goal: Why does methotrexate fail in RA?\n    tools: [no.such.tool]\n")
    out = tmp_path / "out"
    assert main(["campaign", "run", str(spec), "--out", str(out), "--deps-factory", FACTORY]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and not out.exists()
    if importlib.util.find_spec("hypoforge.tools.registry") is None:
        assert "goals a list tools but the tool registry is not installed" in err
    else:
        assert "goal 'a':" in err and "no.such.tool" in err


def test_unreachable_ray_address_fails_fast_before_any_work(tmp_path, capsys):
    if importlib.util.find_spec("ray") is None:  # (not imported: Ray reads RAY_AUTH_* once, at import)
        pytest.skip("Ray is not installed in this environment")
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = tmp_path / "out"
    t0 = time.monotonic()
    code = main(["campaign", "run", str(write(tmp_path, SPEC)), "--out", str(out), "--ray", f"127.0.0.1:{port}", "--deps-factory", FACTORY])
    assert code == 2 and time.monotonic() - t0 < 10
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"cannot reach the Ray cluster at 127.0.0.1:{port}" in err
    assert not out.exists()


# ----------------------------------------------------------------------------- a full campaign

FAIL = json.dumps({"fail": {"broken": 4}})  # the 4th LLM call of goal 'broken' raises


@pytest.fixture(scope="module")
def local_campaign(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("campaign")
    spec = write(tmp, SPEC)
    out = tmp / "out"
    code = main(["campaign", "run", str(spec), "--out", str(out), "--workers", "2", "--quiet",
                 "--deps-factory", FACTORY, "--deps-options", FAIL])
    return code, out, spec


def reports(out: Path) -> dict[str, dict]:
    return {d.name: json.loads((d / "report.json").read_text()) for d in sorted((out / "goals").iterdir()) if (d / "report.json").is_file()}


def test_campaign_runs_goals_in_parallel_and_writes_every_output(local_campaign):
    code, out, _ = local_campaign
    assert code == 1  # one goal failed
    state = json.loads((out / "campaign.json").read_text())
    assert state["status"] == "partial" and state["workers"] == 2
    assert {k: g["status"] for k, g in state["goals"].items()} == {"mtx": "complete", "tnf": "complete", "broken": "failed"}
    reps = reports(out)
    assert set(reps) == {"mtx", "tnf"}
    assert reps["mtx"]["run_id"] == "t-mtx" and reps["tnf"]["run_id"] == "t-tnf"
    assert len(reps["mtx"]["proposals"]) == 4 and reps["mtx"]["stats"]["rounds"] == 2  # 3 generated + 1 evolved
    assert reps["tnf"]["stats"]["rounds"] == 1 and len(reps["tnf"]["proposals"]) == 2  # per-goal budget applied
    for gid, rep in reps.items():
        d = out / "goals" / gid
        assert (d / "report.md").read_text().startswith("# Hypoforge report")
        assert (d / "elo.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        elo = json.loads((d / "elo.json").read_text())
        assert list(elo["ratings"]) == [p["id"] for p in rep["proposals"]]
        assert all(len(v) == len(elo["rounds"]) for v in elo["ratings"].values())
        assert state["goals"][gid]["top_title"] == rep["proposals"][0]["title"]
    lines = [json.loads(x) for x in (out / "proposals.jsonl").read_text().splitlines()]
    assert len(lines) == sum(len(r["proposals"]) for r in reps.values())
    assert {(x["goal_id"], x["id"]) for x in lines} == {(g, p["id"]) for g, r in reps.items() for p in r["proposals"]}
    rows = list(csv.DictReader((out / "top.csv").open()))
    assert [(r["goal_id"], int(r["rank"])) for r in rows] == [("mtx", 1), ("mtx", 2), ("mtx", 3), ("tnf", 1), ("tnf", 2)]
    assert rows[0]["proposal_id"] == reps["mtx"]["proposals"][0]["id"]
    html = (out / "summary.html").read_text()
    assert 'src="goals/mtx/elo.png"' in html and reps["mtx"]["proposals"][0]["title"] in html


def test_crashed_goal_is_marked_failed_and_listed_in_the_summary(local_campaign):
    _, out, _ = local_campaign
    g = json.loads((out / "campaign.json").read_text())["goals"]["broken"]
    assert g["status"] == "failed" and "scripted failure at LLM call 4" in g["error"]
    md = (out / "summary.md").read_text()
    assert "2 of 3 goals complete, 1 failed" in md
    assert "## Failed goals" in md and "**broken**: RuntimeError: scripted failure at LLM call 4" in md
    assert "Traceback" in (out / "goals" / "broken" / "error.txt").read_text()
    assert "Failed: RuntimeError" in (out / "summary.html").read_text()


def test_status_table_and_json(local_campaign, capsys):
    _, out, _ = local_campaign
    assert main(["campaign", "status", str(out)]) == 0
    text = capsys.readouterr().out
    assert "campaign t: partial, 2/3 goals complete" in text
    for gid, st in (("mtx", "complete"), ("tnf", "complete"), ("broken", "failed")):
        assert any(gid in line and st in line for line in text.splitlines()), text
    assert main(["campaign", "status", str(out), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [g["id"] for g in data["goals"]] == ["mtx", "tnf", "broken"]
    assert main(["campaign", "status", str(out.parent / "nope")]) == 2


def test_run_refuses_a_used_directory(local_campaign, capsys):
    _, out, spec = local_campaign
    assert main(["campaign", "run", str(spec), "--out", str(out), "--deps-factory", FACTORY]) == 2
    assert "resume it with 'hypoforge campaign resume" in capsys.readouterr().err


# ----------------------------------------------------------------------------- kill, then resume


def test_killed_campaign_resumes_without_rerunning_finished_goals(tmp_path):
    spec = write(tmp_path, "id: k\nsettings:\n  loop: {rounds: 2, hypotheses: 2}\ngoals:\n"
                           "  - id: quick\n    goal: Why does methotrexate fail in some RA patients?\n"
                           "  - id: slow\n    goal: Why do TNF inhibitors lose effect in RA?\n")
    out = tmp_path / "out"
    options = json.dumps({"delay_for": {"slow": 0.4}})
    cmd = [sys.executable, str(ROOT / "cli.py"), "campaign", "run", str(spec), "--out", str(out), "--workers", "1", "--quiet",
           "--deps-factory", FACTORY, "--deps-options", options]
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, f"campaign ended before it could be killed: {proc.stderr.read().decode()[-2000:]}"
            assert time.monotonic() < deadline, "slow goal never got going"
            try:
                goals = json.loads((out / "campaign.json").read_text())["goals"]
            except (OSError, ValueError):
                goals = None
            if goals and goals["quick"]["status"] == "complete" and goals["slow"]["steps"] >= 3:
                break
            time.sleep(0.1)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    state = json.loads((out / "campaign.json").read_text())
    assert state["goals"]["slow"]["status"] == "running" and state["status"] == "running"
    quick_report = out / "goals" / "quick" / "report.json"
    mtime, before = quick_report.stat().st_mtime_ns, quick_report.read_text()
    assert not (out / "goals" / "slow" / "report.json").exists()

    assert main(["campaign", "resume", str(out), "--quiet", "--deps-options", "{}"]) == 0
    state = json.loads((out / "campaign.json").read_text())
    assert state["status"] == "complete"
    quick, slow = state["goals"]["quick"], state["goals"]["slow"]
    assert quick_report.stat().st_mtime_ns == mtime and quick_report.read_text() == before and quick["attempts"] == 1
    assert slow["status"] == "complete" and slow["resumed"] is True and slow["attempts"] == 2
    rep = json.loads((out / "goals" / "slow" / "report.json").read_text())
    assert rep["run_id"] == "k-slow" and rep["stats"]["rounds"] == 2 and len(rep["proposals"]) >= 2
    assert "quick" in (out / "summary.md").read_text() and "slow" in (out / "summary.md").read_text()
    assert main(["campaign", "resume", str(out), "--quiet"]) == 0  # nothing left: reruns nothing
    assert quick_report.stat().st_mtime_ns == mtime


# ----------------------------------------------------------------------------- campaigns of older versions


@pytest.mark.parametrize("old, new", [
    ("hypoforge.agents.campaign.runner:settings_deps", "hypoforge.campaign.worker:settings_deps"),
    ("hypoforge.agents.campaign.testing:scripted_deps", "hypoforge.campaign.scripted:scripted_deps"),
])
def test_a_factory_stored_before_the_move_out_of_agents_loads(tmp_path, old, new):
    from hypoforge.agents.deps import load_factory
    from hypoforge.campaign.driver import load_state

    state = {"id": "o", "spec": {"goals": []}, "spec_path": str(tmp_path / "spec.yaml"), "deps_factory": old, "goals": {}}
    (tmp_path / "campaign.json").write_text(json.dumps(state))
    loaded = load_state(tmp_path)
    assert loaded.deps_factory == new
    module, _, name = new.partition(":")
    assert load_factory(loaded.deps_factory) is getattr(importlib.import_module(module), name)


def test_campaign_written_before_the_move_resumes(tmp_path):
    spec = write(tmp_path, "id: o\nsettings:\n  loop: {rounds: 1, hypotheses: 2}\ngoals:\n"
                           "  - id: a\n    goal: Why does methotrexate fail in some RA patients?\n")
    out = tmp_path / "out"
    assert main(["campaign", "run", str(spec), "--out", str(out), "--workers", "1", "--quiet", "--deps-factory", FACTORY]) == 0
    path = out / "campaign.json"
    state = json.loads(path.read_text())
    state["deps_factory"] = "hypoforge.agents.campaign.testing:scripted_deps"  # as an older version stored it
    state["status"], state["goals"]["a"]["status"] = "running", "running"  # killed before the driver saw it end
    path.write_text(json.dumps(state))
    assert main(["campaign", "resume", str(out), "--quiet"]) == 0
    state = json.loads(path.read_text())
    assert state["status"] == "complete" and state["goals"]["a"]["status"] == "complete"
    assert state["deps_factory"] == FACTORY


# ----------------------------------------------------------------------------- Ray


@pytest.fixture(scope="module")
def ray_token():
    """Ray >= 2.59 turns on token authentication: the cluster and this driver share one token.

    Set before this process first imports ray, which reads the auth settings once.
    """
    import secrets

    token = secrets.token_hex(16)
    mp = pytest.MonkeyPatch()
    mp.setenv("RAY_AUTH_MODE", "token")
    mp.setenv("RAY_AUTH_TOKEN", token)
    yield token
    mp.undo()


@pytest.fixture(scope="module")
def ray_cluster(tmp_path_factory, ray_token):
    pytest.importorskip("ray", reason="Ray is not installed in this environment")
    ray_bin = shutil.which("ray", path=str(Path(sys.executable).parent)) or shutil.which("ray")
    if ray_bin is None:
        pytest.skip("the 'ray' command is not on PATH")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    tmp = tmp_path_factory.mktemp("ray")
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": ray_token}
    env.pop("RAY_ADDRESS", None)
    proc = subprocess.Popen(
        [ray_bin, "start", "--head", "--node-ip-address=127.0.0.1", f"--port={port}", "--num-cpus=2", "--include-dashboard=false",
         "--disable-usage-stats", f"--temp-dir={tmp}", "--block"],
        start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
    )
    address = f"127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.skip(f"a local Ray head could not start here: {proc.stdout.read().decode()[-500:]}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.skip("a local Ray head did not open its port within 60 s")
                time.sleep(0.5)
        yield address
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # the head and everything it started share its session
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def test_ray_run_matches_the_local_run(local_campaign, ray_cluster, tmp_path):
    _, local_out, spec = local_campaign
    out = tmp_path / "ray-out"
    code = main(["campaign", "run", str(spec), "--out", str(out), "--ray", ray_cluster, "--quiet",
                 "--deps-factory", FACTORY, "--deps-options", FAIL])
    assert code == 1
    state = json.loads((out / "campaign.json").read_text())
    assert state["backend"] == "ray"
    assert {k: g["status"] for k, g in state["goals"].items()} == {"mtx": "complete", "tnf": "complete", "broken": "failed"}
    ray_reps, local_reps = reports(out), reports(local_out)
    assert set(ray_reps) == set(local_reps) == {"mtx", "tnf"}
    for gid in local_reps:
        strip = lambda rep: [(p["rank"], p["id"], p["elo"], p["title"], p["wins"], p["losses"]) for p in rep["proposals"]]  # noqa: E731
        assert strip(ray_reps[gid]) == strip(local_reps[gid])
        assert json.loads((out / "goals" / gid / "elo.json").read_text()) == json.loads((local_out / "goals" / gid / "elo.json").read_text())
    assert state["goals"]["mtx"]["steps"] > 0  # step events travelled back from the Ray workers


def test_the_scripted_endpoint_answers_a_targeted_revision():
    """A fake OpenAI-compatible endpoint (bench/reliability, endpoint tests) must answer a
    HypothesisFix request with exactly the fields it names."""
    import json as _json

    from fakes import endpoint_answer

    from hypoforge.agents import models as m
    from hypoforge.campaign.scripted import requested_schema

    schema = m.hypothesis_fix("rich", ("title", "effect", "prediction2"))
    fmt = {"name": "HypothesisFix", "schema": schema.model_json_schema()}
    assert list(requested_schema(fmt).model_fields) == ["title", "effect", "prediction2"]
    body = {"messages": [{"role": "system", "content": "- PMID:1: A title"}, {"role": "user", "content": "fix it"}],
            "response_format": {"type": "json_schema", "json_schema": fmt}}
    answer = schema.model_validate(_json.loads(endpoint_answer(body)))
    assert answer.title and answer.prediction2.experiment
