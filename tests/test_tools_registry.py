"""Registry: discovery, validation at load, duplicates, broken plugins, autoload switch, safe calls."""

from __future__ import annotations

import logging
import multiprocessing
import os
import re
import sys
import textwrap
import time
import tomllib
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest
from pydantic import BaseModel

from hypoforge.tools.base import Tool, ToolInputError
from hypoforge.tools.registry import (
    BUILTIN_TOOLS,
    DuplicateToolError,
    ToolContractError,
    ToolRegistry,
    UnknownToolError,
    evidence_id,
)
from hypoforge.tools.testing import check_tool

ROOT = Path(__file__).resolve().parent.parent


class AddIn(BaseModel):
    a: int
    b: int = 0


class AddOut(BaseModel):
    total: int


class Add(Tool):
    name = "math.add"
    description = "Add two integers."
    Input = AddIn
    Output = AddOut

    def __init__(self) -> None:
        self.setups = 0

    def setup(self) -> None:
        self.setups += 1

    def run(self, inp: AddIn) -> AddOut:
        if inp.a < 0:
            raise ToolInputError("a must be non-negative")
        if inp.a == 13:
            raise RuntimeError("unlucky")
        return AddOut(total=inp.a + inp.b)


class Slow(Tool):
    name = "slow"
    description = "Sleeps."
    Input = AddIn
    Output = AddOut
    timeout_s = 0.2

    def run(self, inp: AddIn) -> AddOut:
        time.sleep(inp.a)
        return AddOut(total=0)


class BrokenSetup(Add):
    name = "broken.setup"

    def setup(self) -> None:
        raise OSError("weights not found")


PLUGIN_SRC = textwrap.dedent(
    """
    from pydantic import BaseModel
    from hypoforge.tools.base import Tool

    class In(BaseModel):
        x: int

    class Good(Tool):
        name = "plug.double"
        description = "Double a number."
        Input = In
        Output = In
        def run(self, inp):
            return In(x=inp.x * 2)

    class Clash(Good):
        name = "math.add"

    class NoDescription(Good):
        name = "plug.nodesc"
        description = ""

    def not_a_tool():
        return object()
    """
)


@pytest.fixture()
def plugin_module(tmp_path, monkeypatch):
    (tmp_path / "fakeplug.py").write_text(PLUGIN_SRC)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "fakeplug"
    sys.modules.pop("fakeplug", None)


def ep(name: str, value: str) -> EntryPoint:
    return EntryPoint(name=name, value=value, group="hypoforge.tools")


def test_builtin_table_mirrors_pyproject_entry_points():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert data["project"]["entry-points"]["hypoforge.tools"] == BUILTIN_TOOLS


def test_builtins_load_without_problems(monkeypatch):
    monkeypatch.setenv("HYPOFORGE_DISABLE_PLUGIN_AUTOLOAD", "1")
    reg = ToolRegistry.from_entry_points()
    assert reg.problems == []
    assert set(BUILTIN_TOOLS) <= set(reg.names())
    assert all(reg.plugin_of(n) == "hypoforge" for n in BUILTIN_TOOLS)
    for spec in reg.specs():
        assert spec.description and spec.input_schema["type"] == "object"


def test_discovery_validation_duplicates_and_broken_plugins(plugin_module, caplog):
    eps = [
        ep("plug.double", f"{plugin_module}:Good"),
        ep("clash", f"{plugin_module}:Clash"),
        ep("nodesc", f"{plugin_module}:NoDescription"),
        ep("notatool", f"{plugin_module}:not_a_tool"),
        ep("missing", "no_such_module_xyz:Tool"),
        ep("own", "hypoforge.tools.registry:ToolRegistry"),  # hypoforge's own entry points are skipped
    ]
    with caplog.at_level(logging.WARNING, logger="hypoforge.tools"):
        reg = ToolRegistry.from_entry_points(autoload=True, entry_points=eps, builtins={"math.add": f"{__name__}:Add"})
    assert reg.names() == ["math.add", "plug.double"]
    assert reg.plugin_of("plug.double") == "fakeplug"
    assert reg.plugin_of("math.add") == "hypoforge"
    reasons = {p.entry_point: p.reason for p in reg.problems}
    assert set(reasons) == {"clash", "nodesc", "notatool", "missing"}
    assert "'hypoforge'" in reasons["clash"] and "'fakeplug'" in reasons["clash"]
    assert "description" in reasons["nodesc"]
    assert "name" in reasons["notatool"]
    assert "failed to import" in reasons["missing"] and "no_such_module_xyz" in reasons["missing"]
    assert "no_such_module_xyz" in caplog.text
    assert reg.call("plug.double", {"x": 4}).output == {"x": 8}


def test_autoload_switch(plugin_module, monkeypatch):
    eps = [ep("plug.double", f"{plugin_module}:Good")]
    monkeypatch.setenv("HYPOFORGE_DISABLE_PLUGIN_AUTOLOAD", "1")
    reg = ToolRegistry.from_entry_points(entry_points=eps, builtins={})
    assert "plug.double" not in reg
    monkeypatch.setenv("HYPOFORGE_DISABLE_PLUGIN_AUTOLOAD", "0")
    reg = ToolRegistry.from_entry_points(entry_points=eps, builtins={})
    assert "plug.double" in reg


def test_register_rejects_invalid_and_duplicate():
    reg = ToolRegistry([Add()])
    with pytest.raises(DuplicateToolError, match="math.add"):
        reg.register(Add(), plugin="other")

    class Bad:
        name = "has space"
        description = "x"
        Input = dict
        run = None

    with pytest.raises(ToolContractError) as info:
        reg.register(Bad())
    joined = " ".join(info.value.problems)
    assert "whitespace" in joined and "'Input'" in joined and "'Output'" in joined and "'run'" in joined


def test_call_success_setup_once_and_stable_id():
    tool = Add()
    reg = ToolRegistry([tool])
    r1 = reg.call("math.add", {"a": 2, "b": 3})
    r2 = reg.call("math.add", {"b": 3, "a": 2})
    assert r1.ok and r1.output == {"total": 5}
    assert r1.id == r2.id and re.fullmatch(r"TOOL:math\.add:[0-9a-f]{8}", r1.id)
    assert r1.id != reg.call("math.add", {"a": 2, "b": 4}).id
    # defaults are part of the canonical arguments: {"a": 2} and {"a": 2, "b": 0} are the same call
    assert reg.call("math.add", {"a": 2}).id == reg.call("math.add", {"a": 2, "b": 0}).id
    assert r1.id == evidence_id("math.add", {"a": 2, "b": 3})
    assert tool.setups == 1
    assert r1.inputs == {"a": 2, "b": 3} and r1.plugin == "local"


def test_call_errors_become_results():
    reg = ToolRegistry([Add(), Slow(), BrokenSetup()])
    unknown = reg.call("math.ad", {"a": 1})
    assert unknown.error_kind == "unknown_tool" and "'math.add'" in unknown.error
    bad = reg.call("math.add", {"a": "x", "c": 1})
    assert bad.error_kind == "invalid_args" and "a:" in bad.error
    missing = reg.call("math.add", {})
    assert missing.error_kind == "invalid_args" and "a: Field required" in missing.error
    assert reg.call("math.add", {"a": -1}).error_kind == "bad_input"
    exc = reg.call("math.add", {"a": 13})
    assert exc.error_kind == "exception" and "unlucky" in exc.error
    t0 = time.perf_counter()
    slow = reg.call("slow", {"a": 3})
    assert slow.error_kind == "timeout" and time.perf_counter() - t0 < 2
    setup = reg.call("broken.setup", {"a": 1})
    assert setup.error_kind == "setup_failed" and "weights not found" in setup.error
    # the registry keeps working after all of that
    assert reg.call("math.add", {"a": 1}).output == {"total": 1}


def test_unknown_tool_suggests_nearest_name():
    reg = ToolRegistry([Add()])
    with pytest.raises(UnknownToolError, match="did you mean 'math.add'"):
        reg.get("math.addd")


def test_check_tool_contract_checker():
    assert check_tool(Add, {"a": 1, "b": 2}).output == {"total": 3}
    with pytest.raises(AssertionError, match="failed"):
        check_tool(Add, {"a": 13})

    class NoModels:
        name = "x"
        description = "y"

        def run(self, inp):
            return inp

    with pytest.raises(AssertionError, match="Input"):
        check_tool(NoModels)


# ------------------------------------------------------------------ hostile plugins (issue 12)
class Odd(Add):
    """A tool whose declarations or outputs a test overrides."""

    name = "odd"


@pytest.mark.parametrize("timeout", [float("inf"), float("nan"), 0, -1, 1e9, "30", True])
def test_timeouts_that_are_not_finite_positive_seconds_are_refused(timeout):
    tool = type("T", (Odd,), {"timeout_s": timeout})()
    with pytest.raises(ToolContractError, match="'timeout_s' must be a finite positive number"):
        ToolRegistry([tool])


HOSTILE_SRC = {
    "plug_exit": "import sys\nsys.exit(3)\n",
    "plug_raise": "raise RuntimeError('broken at import')\n",
    "plug_hang": "import time\ntime.sleep(3600)\n",
    "plug_inf": "from tests_tool_base import Base\nclass T(Base):\n    timeout_s = float('inf')\n",
    "plug_ctor_exit": "import sys\nfrom tests_tool_base import Base\nclass T(Base):\n    def __init__(self):\n        sys.exit('no')\n",
}
TOOL_BASE = textwrap.dedent(
    """
    from pydantic import BaseModel
    from hypoforge.tools.base import Tool

    class In(BaseModel):
        x: int

    class Base(Tool):
        name = "plug.base"
        description = "A plugin tool."
        Input = In
        Output = In
        def run(self, inp):
            return inp
    """
)


@pytest.fixture()
def hostile_modules(tmp_path, monkeypatch):
    (tmp_path / "tests_tool_base.py").write_text(TOOL_BASE)
    for name, src in HOSTILE_SRC.items():
        (tmp_path / f"{name}.py").write_text(src)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield
    for name in [*HOSTILE_SRC, "tests_tool_base"]:
        sys.modules.pop(name, None)


def test_plugins_that_exit_raise_or_hang_at_import_are_load_problems(hostile_modules, caplog):
    eps = [ep(n, f"{n}:T") for n in HOSTILE_SRC] + [ep("good", "tests_tool_base:Base")]
    with caplog.at_level(logging.WARNING, logger="hypoforge.tools"):
        reg = ToolRegistry.from_entry_points(autoload=True, entry_points=eps, builtins={}, load_timeout_s=0.5)
    assert reg.names() == ["plug.base"]
    reasons = {p.entry_point: p.reason for p in reg.problems}
    assert "called sys.exit(3)" in reasons["plug_exit"]
    assert "broken at import" in reasons["plug_raise"]
    assert "did not finish within 0.5 s" in reasons["plug_hang"] and "HYPOFORGE_PLUGIN_LOAD_TIMEOUT" in reasons["plug_hang"]
    assert "'timeout_s' must be a finite positive number" in reasons["plug_inf"]
    assert "constructing the tool failed: it called sys.exit('no')" in reasons["plug_ctor_exit"]


class HangingSetup(Add):
    name = "hang.setup"

    def setup(self) -> None:
        time.sleep(3600)


class ExitingSetup(Add):
    name = "exit.setup"

    def setup(self) -> None:
        sys.exit(4)


def test_setup_that_hangs_or_exits_fails_the_call_not_the_process():
    reg = ToolRegistry([HangingSetup(), ExitingSetup(), Add()], setup_timeout_s=0.3)
    hung = reg.call("hang.setup", {"a": 1})
    assert hung.error_kind == "setup_failed" and "did not finish within 0.3 s" in hung.error
    again = reg.call("hang.setup", {"a": 1})  # not retried: its setup thread is still running
    assert again.error_kind == "setup_failed" and "not called again" in again.error
    exited = reg.call("exit.setup", {"a": 1})
    assert exited.error_kind == "setup_failed" and "sys.exit(4)" in exited.error
    assert reg.call("math.add", {"a": 1}).output == {"total": 1}


class FloatOut(BaseModel):
    value: float


class BadOutput(Tool):
    name = "bad.output"
    description = "Returns whatever the input asks for."
    Input = AddIn
    Output = FloatOut

    def run(self, inp: AddIn) -> FloatOut:
        return FloatOut(value=[float("nan"), float("inf"), 1.0][inp.a])


class HugeOut(BaseModel):
    text: str


class Huge(Tool):
    name = "huge.output"
    description = "Returns 2 MB of text."
    Input = AddIn
    Output = HugeOut

    def run(self, inp: AddIn) -> HugeOut:
        return HugeOut(text="x" * 2_000_000)


class ExitingRun(Add):
    name = "exit.run"

    def run(self, inp: AddIn) -> AddOut:
        sys.exit(5)


def test_outputs_must_be_finite_json_safe_and_bounded():
    reg = ToolRegistry([BadOutput(), Huge(), ExitingRun()])
    for a in (0, 1):
        res = reg.call("bad.output", {"a": a})
        assert res.error_kind == "bad_output" and "not finite" in res.error and res.output is None
    assert reg.call("bad.output", {"a": 2}).output == {"value": 1.0}
    huge = reg.call("huge.output", {"a": 0})
    assert huge.error_kind == "bad_output" and "over the 1,000,000 limit" in huge.error
    exited = reg.call("exit.run", {"a": 0})
    assert exited.error_kind == "exception" and "sys.exit(5)" in exited.error


class Spin(Tool):
    """Native-looking work that ignores the thread: only a process can stop it."""

    name = "spin"
    description = "Loops for a while."
    Input = AddIn
    Output = AddOut
    timeout_s = 0.5
    isolate = True

    def run(self, inp: AddIn) -> AddOut:
        if inp.a < 0:
            raise ToolInputError("a must be non-negative")
        if inp.a == 0:
            return AddOut(total=os.getpid())
        if inp.a == 2:
            os._exit(7)  # a crash: the worker dies without answering
        time.sleep(3600)
        return AddOut(total=0)


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="isolated calls need fork")
def test_isolated_tools_run_in_a_worker_that_the_timeout_stops():
    reg = ToolRegistry([Spin()])
    ok = reg.call("spin", {"a": 0})
    assert ok.ok and ok.output["total"] != os.getpid()  # ran in another process
    assert reg.call("spin", {"a": -1}).error == "a must be non-negative"
    died = reg.call("spin", {"a": 2})
    assert died.error_kind == "exception" and "worker process died (exit code 7)" in died.error
    late = reg.call("spin", {"a": 1})
    assert late.error_kind == "timeout" and "worker process stopped" in late.error
    assert multiprocessing.active_children() == []  # the worker was killed and reaped


def test_an_isolated_call_after_the_tokenizer_ran_threads_prints_no_fork_warning(tmp_path):
    """Bench goal 9 (2026-11-30): each chem.describe call, forked after the embedder's Rust tokenizer
    had used its threads, printed a four-line huggingface/tokenizers warning on stderr."""
    import subprocess

    pytest.importorskip("tokenizers", reason="the embedder's tokenizer library is not installed")
    probe = tmp_path / "probe.py"
    probe.write_text(textwrap.dedent("""
        from tokenizers import Tokenizer, models, pre_tokenizers
        tok = Tokenizer(models.WordLevel({"a": 0, "b": 1, "[UNK]": 2}, unk_token="[UNK]"))
        tok.pre_tokenizer = pre_tokenizers.Whitespace()
        tok.encode_batch(["a b a b"] * 2000)  # the tokenizer's threads run
        from hypoforge.tools.registry import ToolRegistry
        print(ToolRegistry.from_entry_points(autoload=False).call("chem.describe", {"molecule": "CCO"}).ok)
    """))
    env = {k: v for k, v in os.environ.items() if k != "TOKENIZERS_PARALLELISM"}
    out = subprocess.run([sys.executable, str(probe)], capture_output=True, text=True, env=env, timeout=120)
    assert out.stdout.strip() == "True", out.stderr
    assert "huggingface/tokenizers" not in out.stderr
