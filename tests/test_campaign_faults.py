"""Campaigns under hostile input and faults (issue 12): YAML bombs and tags in specs, control
characters in goals, and a driver killed with -9 (its workers must not outlive it)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
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


def alias_bomb(levels: int = 9, fan: int = 9) -> str:
    lines = ["a0: &a0 [\"lol\"]"]
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * fan) + "]")
    return "\n".join(lines) + "\n"


def bomb_spec() -> str:
    body = alias_bomb().replace("\n", "\n  ")
    return f"x-anchors:\n  {body}\ngoals:\n  - id: a\n    goal: Why does methotrexate fail in RA?\n    constraints: *a9\n"


@pytest.mark.parametrize("text, needle", [
    (bomb_spec(), "expands to more than"),
    ("goals: !!python/object/apply:os.system ['touch /tmp/hypoforge-pwned']\n", "could not determine a constructor"),
    ("a: &a [*a]\ngoals: []\n", "refers to itself"),
])
def test_hostile_yaml_in_a_spec_is_one_line(tmp_path, capsys, text, needle):
    spec = tmp_path / "spec.yaml"
    spec.write_text(text)
    out = tmp_path / "out"
    t0 = time.monotonic()
    code = main(["campaign", "run", str(spec), "--out", str(out), "--deps-factory", FACTORY])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and needle in err and "Traceback" not in err, err
    assert time.monotonic() - t0 < 20 and not out.exists()
    assert not Path("/tmp/hypoforge-pwned").exists()


def test_clinical_yaml_uses_the_same_capped_loader(tmp_path):
    from hypoforge.tools.genomics.clinical import load_clinical

    path = tmp_path / "clinical.yaml"
    path.write_text(alias_bomb())
    with pytest.raises(UserError, match="expands to more than"):
        load_clinical(path)


def test_control_characters_are_stripped_from_spec_text(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text('description: "bell\\a and nul\\0 here"\ngoals:\n  - id: a\n    goal: "Why does\\a methotrexate\\0 fail in RA?"\n'
                    '    constraints: ["no\\x1b[2J biologics"]\n')
    s = load_spec(spec)
    assert s.description == "bell and nul here"
    assert s.goals[0].goal == "Why does methotrexate fail in RA?"
    assert s.settings_for(s.goals[0])["loop"]["constraints"] == ["no[2J biologics"]


def _children(pid: int) -> list[int]:
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kids.append(int(stat.parent.name))
    return kids


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc to find the worker processes")
def test_workers_die_with_a_driver_killed_by_sigkill(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text("id: k\nsettings:\n  loop: {rounds: 3, hypotheses: 3}\ngoals:\n"
                    "  - id: one\n    goal: Why does methotrexate fail in some RA patients?\n"
                    "  - id: two\n    goal: Why do TNF inhibitors lose effect in RA?\n")
    out = tmp_path / "out"
    cmd = [sys.executable, str(ROOT / "cli.py"), "campaign", "run", str(spec), "--out", str(out), "--workers", "2", "--quiet",
           "--deps-factory", FACTORY, "--deps-options", json.dumps({"delay": 2.0})]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
            assert time.monotonic() < deadline, "goals never started"
            try:
                goals = json.loads((out / "campaign.json").read_text())["goals"]
            except (OSError, ValueError):
                goals = {}
            if goals and all(g["status"] == "running" for g in goals.values()):
                break
            time.sleep(0.1)
        workers = [k for k in _children(proc.pid) if "python" in Path(f"/proc/{k}/cmdline").read_text(errors="replace")]
        assert workers, "no worker processes found"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        deadline = time.monotonic() + 10
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [w for w in workers if _alive(w)], "workers outlived the driver"
    finally:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        for w in workers:  # never leave our own strays behind, even when the test fails
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(w, signal.SIGKILL)
