"""The tool registry: discovery, validation and safe execution of tools.

Plugin contract (one rule, for built-ins and third parties alike): each entry point in the group
``hypoforge.tools`` resolves to a **zero-argument callable returning a Tool** (normally the Tool
subclass itself). One entry point supplies one tool; by convention the entry-point name is the tool
name. A distribution may declare as many entry points as it has tools.

Built-in tools are listed once, in :data:`BUILTIN_TOOLS`; ``pyproject.toml`` mirrors that table in
``[project.entry-points."hypoforge.tools"]`` (a test keeps the two identical). The registry loads the
built-ins from the table rather than from installed metadata, so a source checkout that is not
pip-installed (tests, ``python cli.py``) still has them, and a stale installed copy's metadata never
shadows the checkout. Entry points published by the ``hypoforge`` distribution itself are therefore
skipped during discovery; every other distribution's entry points are third-party plugins, which
``HYPOFORGE_DISABLE_PLUGIN_AUTOLOAD=1`` turns off.

Name clashes resolve deterministically: built-ins register first, then plugins in (distribution,
entry-point) order; the later claimant is the one rejected.

Start-up never fails because of a plugin: an entry point that fails to import (an exception,
``sys.exit``, or an import that does not finish within ``HYPOFORGE_PLUGIN_LOAD_TIMEOUT`` seconds,
default 10), does not produce a valid tool, or reuses a taken name is logged as a warning naming the
plugin, recorded in :attr:`ToolRegistry.problems`, and skipped. Third-party imports run in a daemon
thread so a hang is abandoned, not waited for (only ``os._exit`` or a crash in native code can still
end the process).

Adding a built-in tool (e.g. the ESM protein suite in ``tools/protein/tools.py``): write the Tool class,
add one line to :data:`BUILTIN_TOOLS` and the same line to pyproject's entry-point table. Keep heavy
imports (torch, model weights) inside ``setup()``/``run()``: every tool module is imported when the
registry is built.

The registry is an ordinary object that callers build and pass around (no module-level instance):
``ToolRegistry.from_entry_points()`` in the application, ``ToolRegistry([MyTool()])`` in tests.
"""

from __future__ import annotations

import difflib
import hashlib
import importlib
import json
import logging
import math
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib import metadata
from typing import Any

from pydantic import BaseModel, ValidationError

from hypoforge.errors import UserError
from hypoforge.tools.base import ToolResult

log = logging.getLogger("hypoforge.tools")

ENTRY_POINT_GROUP = "hypoforge.tools"
DISABLE_ENV = "HYPOFORGE_DISABLE_PLUGIN_AUTOLOAD"
BUILTIN_PLUGIN = "hypoforge"

#: Built-in tools: entry-point name -> "module:attribute". Mirrored verbatim by pyproject.toml's
#: ``[project.entry-points."hypoforge.tools"]`` table (tests/test_tools_registry.py checks it).
BUILTIN_TOOLS: dict[str, str] = {
    "chem.describe": "hypoforge.tools.chemistry.tools:DescribeTool",
    "chem.filters": "hypoforge.tools.chemistry.tools:FiltersTool",
    "chem.similarity": "hypoforge.tools.chemistry.tools:SimilarityTool",
    "chem.screen": "hypoforge.tools.chemistry.tools:ScreenTool",
    "seq.protparam": "hypoforge.tools.sequences:ProtParamTool",
    "seq.translate": "hypoforge.tools.sequences:TranslateTool",
    "genomics.plan": "hypoforge.tools.genomics.tool:GenomicsPlanTool",
    "esm.validate": "hypoforge.tools.protein.tools:ValidateSequencesTool",
    "esm.embed": "hypoforge.tools.protein.tools:EmbedTool",
    "esm.score": "hypoforge.tools.protein.tools:ScoreSequencesTool",
    "esm.variants": "hypoforge.tools.protein.tools:VariantEffectTool",
}


#: Seconds a third-party plugin's import and construction may take (``HYPOFORGE_PLUGIN_LOAD_TIMEOUT``).
PLUGIN_LOAD_TIMEOUT_S = 10.0
LOAD_TIMEOUT_ENV = "HYPOFORGE_PLUGIN_LOAD_TIMEOUT"
#: Seconds a tool's ``setup()`` may take (``HYPOFORGE_TOOL_SETUP_TIMEOUT``): loading weights is slow,
#: but a setup that never returns must not stall the run or the chat.
SETUP_TIMEOUT_S = 300.0
SETUP_TIMEOUT_ENV = "HYPOFORGE_TOOL_SETUP_TIMEOUT"
#: Longest ``timeout_s`` a tool may declare (a day); ``inf`` and ``NaN`` are refused at load.
MAX_TIMEOUT_S = 86400.0
#: Largest tool output (compact JSON characters) kept as a result; a bigger one is a ``bad_output``.
MAX_OUTPUT_CHARS = 1_000_000


def _seconds_from_env(var: str, default: float) -> float:
    """A positive finite number of seconds from ``var``; the default when unset or not such a number."""
    try:
        value = float(os.environ.get(var, "") or default)
    except ValueError:
        return default
    return value if math.isfinite(value) and value > 0 else default


class UnknownToolError(UserError):
    """No tool of that name is registered (exit code 2; the message suggests the nearest names)."""


class ToolArgumentError(UserError):
    """Arguments failed the tool's Input schema; the message lists each failing field and why."""


class DuplicateToolError(ValueError):
    """A second tool tried to take a name that is already registered."""


class ToolContractError(ValueError):
    """An object does not satisfy the Tool contract; ``problems`` lists every violation."""

    def __init__(self, what: str, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"{what}: " + "; ".join(problems))


class ToolSpec(BaseModel):
    """What an agent (or a user) needs to know to call a tool: used for prompting and ``tools show``."""

    name: str
    description: str
    plugin: str
    version: str
    needs: list[str]
    timeout_s: float
    input_schema: dict[str, Any]
    output_schema: dict[str, Any]


class LoadProblem(BaseModel):
    """A plugin entry point that was skipped, and why."""

    plugin: str
    entry_point: str
    reason: str


def contract_problems(tool: Any) -> list[str]:
    """Every way ``tool`` (an instance) violates the Tool contract; empty when it is valid.

    Duck-typed on purpose: a plugin need not subclass :class:`Tool`, it must only look like one.
    """
    problems: list[str] = []
    name = getattr(tool, "name", None)
    if not isinstance(name, str) or not name.strip():
        problems.append("'name' must be a non-empty string")
    elif any(c.isspace() for c in name):
        problems.append(f"'name' {name!r} must not contain whitespace")
    desc = getattr(tool, "description", None)
    if not isinstance(desc, str) or not desc.strip():
        problems.append("'description' must be a non-empty string")
    for attr in ("Input", "Output"):
        model = getattr(tool, attr, None)
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            problems.append(f"'{attr}' must be a pydantic BaseModel subclass")
    if not callable(getattr(tool, "run", None)):
        problems.append("'run' must be callable")
    if not callable(getattr(tool, "setup", lambda: None)):
        problems.append("'setup' must be callable when present")
    timeout = getattr(tool, "timeout_s", 120.0)
    if (isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not math.isfinite(timeout)
            or not 0 < timeout <= MAX_TIMEOUT_S):
        problems.append(f"'timeout_s' must be a finite positive number of seconds, at most {MAX_TIMEOUT_S:g} (got {timeout!r})")
    if not isinstance(getattr(tool, "isolate", False), bool):
        problems.append("'isolate' must be True or False")
    for attr in ("Input", "Output"):
        model = getattr(tool, attr, None)
        if isinstance(model, type) and issubclass(model, BaseModel):
            try:
                json.dumps(model.model_json_schema(), allow_nan=False)
            except Exception as exc:  # noqa: BLE001 - any failure to describe the model is the plugin's
                problems.append(f"'{attr}' has no usable JSON schema ({type(exc).__name__}: {exc})")
    needs = getattr(tool, "needs", frozenset())
    if isinstance(needs, str) or not all(isinstance(n, str) for n in needs):
        problems.append("'needs' must be a collection of strings such as {'gpu'}")
    return problems


def evidence_id(name: str, args: dict[str, Any]) -> str:
    """``TOOL:<name>:<8 hex>``: a stable key for a call, from the tool name and canonical arguments.

    Canonical = JSON with sorted keys and no whitespace, so the same call always cites the same id.
    """
    canon = json.dumps(args, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False)
    digest = hashlib.sha256((name + "\n" + canon).encode("utf-8")).hexdigest()[:8]
    return f"TOOL:{name}:{digest}"


def format_validation_error(name: str, exc: ValidationError | None, extra: Sequence[str] = ()) -> str:
    """One line naming every failing field and why, e.g. ``smiles: Field required``."""
    parts = list(extra)
    for err in exc.errors() if exc is not None else ():
        loc = ".".join(str(p) for p in err.get("loc", ())) or "(arguments)"
        parts.append(f"{loc}: {err.get('msg', 'invalid')}")
    return (
        f"invalid arguments for tool {name!r}: " + "; ".join(parts)
        + f" (see 'hypoforge tools show {name}' for the schema)"
    )


def output_problem(payload: Any) -> str | None:
    """Why a tool's (JSON-mode) output cannot be kept as evidence, or None: it must be finite,
    JSON-safe and at most :data:`MAX_OUTPUT_CHARS` characters."""
    try:
        text = json.dumps(payload, allow_nan=False, separators=(",", ":"))
    except ValueError:
        return "contains a number that is not finite (NaN or infinity)"
    except (TypeError, RecursionError) as exc:
        return f"is not JSON-serialisable ({exc})"
    if len(text) > MAX_OUTPUT_CHARS:
        return f"is {len(text):,} characters of JSON, over the {MAX_OUTPUT_CHARS:,} limit"
    return None


class _Abandoned(Exception):
    """A bounded call did not finish in time; its thread was left behind."""


def call_bounded(fn: Callable[[], Any], timeout: float, name: str) -> Any:
    """``fn()`` in a daemon thread, waited for at most ``timeout`` s: its value, or its exception
    re-raised (``SystemExit`` included: a plugin cannot end the process this way), or
    :class:`_Abandoned` when it does not finish. Ctrl-C in the caller still interrupts the wait."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller, never lost
            box["exc"] = exc

    worker = threading.Thread(target=target, name=name, daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise _Abandoned(f"did not finish within {timeout:g} s")
    if "exc" in box:
        raise box["exc"]
    return box.get("value")


def _fork_context() -> Any:
    return multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else None


def _child_run(tool: Any, inp: BaseModel, conn: Any) -> None:
    """In the forked worker: run the tool and send back ("out", value) or (kind, message)."""
    try:
        message: tuple[str, Any] = ("out", tool.run(inp))  # pickled as it is: models keep their types
    except UserError as exc:
        message = ("bad_input", str(exc))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, never raised
        message = ("exception", _describe(exc))
    try:
        conn.send(message)
    except Exception as exc:  # noqa: BLE001 - e.g. an output that cannot be pickled
        conn.send(("exception", f"output could not be sent back: {type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def run_in_worker(tool: Any, inp: BaseModel, timeout: float) -> tuple[str, Any]:
    """Run ``tool.run(inp)`` in a forked process killed after ``timeout`` seconds.

    Returns ("out", output) or (kind, message) with kind ``bad_input``, ``exception`` or ``timeout``.
    """
    ctx = _fork_context()
    # After the embedder's Rust tokenizer has run threads, each fork prints a four-line warning on
    # stderr (bench goal 9, 2026-11-30, once per chem.describe call). The worker never tokenizes, and
    # the parent's short queries need no tokenizer threads.
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child_run, args=(tool, inp, send), name=f"tool:{tool.name}", daemon=True)
    proc.start()
    send.close()
    try:
        if not recv.poll(timeout):
            return "timeout", f"timed out after {timeout:g} s (worker process stopped)"
        try:
            return recv.recv()
        except (EOFError, OSError):
            proc.join(1)
            return "exception", f"its worker process died (exit code {proc.exitcode})"
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join()
        recv.close()


@dataclass
class _Entry:
    tool: Any
    plugin: str
    setup_done: bool = False
    broken: str | None = None  # set when setup() hung: the tool is not called again in this process
    lock: threading.Lock = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        self.lock = threading.Lock()


def _dist_name(ep: metadata.EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    if dist is not None and getattr(dist, "name", None):
        return str(dist.name)
    return ep.value.split(":", 1)[0].split(".", 1)[0]


def _normalise(dist: str) -> str:
    return dist.lower().replace("_", "-").replace(".", "-")


def _describe(exc: BaseException) -> str:
    if isinstance(exc, SystemExit):
        return f"it called sys.exit({exc.code!r})"
    return f"{type(exc).__name__}: {exc}"


def _load_target(target: str) -> Any:
    module, _, attr = target.partition(":")
    obj: Any = importlib.import_module(module)
    for part in attr.split(".") if attr else ():
        obj = getattr(obj, part)
    return obj


class ToolRegistry:
    """A set of named tools with their provenance; validates, runs and times calls."""

    def __init__(self, tools: Iterable[Any] = (), *, plugin: str = "local", setup_timeout_s: float | None = None) -> None:
        self._entries: dict[str, _Entry] = {}
        self.problems: list[LoadProblem] = []
        self._quiet = False
        self.setup_timeout_s = setup_timeout_s or _seconds_from_env(SETUP_TIMEOUT_ENV, SETUP_TIMEOUT_S)
        for tool in tools:
            self.register(tool, plugin=plugin)

    # ---------------------------------------------------------------- discovery
    @classmethod
    def from_entry_points(
        cls,
        *,
        autoload: bool | None = None,
        entry_points: Iterable[metadata.EntryPoint] | None = None,
        builtins: dict[str, str] | None = None,
        load_timeout_s: float | None = None,
        quiet: bool = False,
    ) -> ToolRegistry:
        """Built-ins plus (unless disabled) every third-party ``hypoforge.tools`` entry point.

        ``autoload=None`` reads ``HYPOFORGE_DISABLE_PLUGIN_AUTOLOAD``; ``entry_points`` and
        ``builtins`` override discovery (tests). Each third-party plugin gets ``load_timeout_s``
        (default ``HYPOFORGE_PLUGIN_LOAD_TIMEOUT`` or 10 s) to import and build its tool.
        ``quiet`` records load problems without logging them (for callers that report them).
        """
        if autoload is None:
            autoload = os.environ.get(DISABLE_ENV, "").strip().lower() not in {"1", "true", "yes", "on"}
        limit = load_timeout_s or _seconds_from_env(LOAD_TIMEOUT_ENV, PLUGIN_LOAD_TIMEOUT_S)
        reg = cls()
        reg._quiet = quiet
        for ep_name, target in (BUILTIN_TOOLS if builtins is None else builtins).items():
            reg._load_one(ep_name, BUILTIN_PLUGIN, lambda t=target: _load_target(t), limit=None)
        if autoload:
            eps = metadata.entry_points(group=ENTRY_POINT_GROUP) if entry_points is None else entry_points
            for ep in sorted(eps, key=lambda e: (_dist_name(e), e.name)):
                dist = _dist_name(ep)
                if _normalise(dist) == BUILTIN_PLUGIN:
                    continue  # the checkout's BUILTIN_TOOLS table is authoritative for built-ins
                reg._load_one(ep.name, dist, ep.load, limit=limit)
        return reg

    def _load_one(self, ep_name: str, plugin: str, load: Callable[[], Any], *, limit: float | None) -> None:
        """Import and build one entry point's tool; every failure is a recorded load problem.

        With a ``limit`` (third-party plugins) the import and the construction run in a thread
        bounded by it; ``SystemExit`` and any other exception (not Ctrl-C) become the reason."""

        def skip(reason: str) -> None:
            if not self._quiet:
                log.warning("skipping tool plugin %s (entry point %r): %s", plugin, ep_name, reason)
            self.problems.append(LoadProblem(plugin=plugin, entry_point=ep_name, reason=reason))

        def build() -> Any:
            try:
                factory = load()
            except (Exception, SystemExit) as exc:  # noqa: BLE001 - any import failure is the plugin's
                return f"failed to import: {_describe(exc)}"
            if not callable(factory):
                return "entry point must name a Tool class or a zero-argument factory returning a Tool"
            try:
                return (factory(),)
            except (Exception, SystemExit) as exc:  # noqa: BLE001
                return f"constructing the tool failed: {_describe(exc)}"

        try:
            built = build() if limit is None else call_bounded(build, limit, f"plugin:{ep_name}")
        except _Abandoned as exc:
            skip(f"import or construction {exc} (a hanging plugin; {LOAD_TIMEOUT_ENV} sets the limit)")
            return
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # noqa: BLE001 - e.g. GeneratorExit from odd plugin code
            skip(f"failed to load: {_describe(exc)}")
            return
        if isinstance(built, str):
            skip(built)
            return
        try:
            self.register(built[0], plugin=plugin)
        except (ToolContractError, DuplicateToolError) as exc:
            skip(str(exc))

    # ------------------------------------------------------------- registration
    def register(self, tool: Any, *, plugin: str = "local") -> None:
        """Add one tool instance (a class is instantiated). Raises on a contract violation or a
        duplicate name, naming both plugins."""
        if isinstance(tool, type):
            tool = tool()
        problems = contract_problems(tool)
        if problems:
            raise ToolContractError(f"invalid tool {getattr(tool, 'name', type(tool).__name__)!r}", problems)
        existing = self._entries.get(tool.name)
        if existing is not None:
            raise DuplicateToolError(
                f"duplicate tool name {tool.name!r}: already provided by plugin {existing.plugin!r}, "
                f"rejected from plugin {plugin!r}"
            )
        self._entries[tool.name] = _Entry(tool=tool, plugin=plugin)

    # ------------------------------------------------------------------ queries
    def names(self) -> list[str]:
        return sorted(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, name: str) -> Any:
        """The tool instance called ``name``; :class:`UnknownToolError` with suggestions otherwise."""
        return self._entry(name).tool

    def subset(self, names: Iterable[str]) -> ToolRegistry:
        """A registry of just the named tools, sharing their entries (provenance, setup state)."""
        out = ToolRegistry()
        out._entries = {n: self._entry(n) for n in names}
        return out

    def plugin_of(self, name: str) -> str:
        return self._entry(name).plugin

    def _entry(self, name: str) -> _Entry:
        entry = self._entries.get(name)
        if entry is None:
            close = difflib.get_close_matches(name, self.names(), n=3, cutoff=0.5)
            hint = f"did you mean {', '.join(repr(c) for c in close)}?" if close else "none is close"
            raise UnknownToolError(
                f"unknown tool {name!r}: {hint} (run 'hypoforge tools list' to see the registered tools)"
            )
        return entry

    def spec(self, name: str) -> ToolSpec:
        entry = self._entry(name)
        t = entry.tool
        return ToolSpec(
            name=t.name,
            description=t.description,
            plugin=entry.plugin,
            version=str(getattr(t, "version", "0.1")),
            needs=sorted(getattr(t, "needs", ())),
            timeout_s=float(getattr(t, "timeout_s", 120.0)),
            input_schema=t.Input.model_json_schema(),
            output_schema=t.Output.model_json_schema(),
        )

    def specs(self) -> list[ToolSpec]:
        """Name, description and input/output JSON schema of every tool, sorted by name."""
        return [self.spec(n) for n in self.names()]

    # ---------------------------------------------------------------- execution
    def validate_args(self, name: str, args: dict[str, Any]) -> BaseModel:
        """The tool's Input model built from ``args``; :class:`ToolArgumentError` lists failures."""
        tool = self.get(name)
        if not isinstance(args, dict):
            raise ToolArgumentError(
                f"invalid arguments for tool {name!r}: expected a JSON object, got {type(args).__name__}"
            )
        model = tool.Input
        unknown: list[str] = []
        if model.model_config.get("extra") != "allow":
            # Agents guess argument names; a silently ignored typo would run the tool with defaults.
            known = set(model.model_fields) | {f.alias for f in model.model_fields.values() if f.alias}
            unknown = [f"{k}: unknown argument" for k in args if k not in known]
        try:
            inp = model.model_validate(args)
        except ValidationError as exc:
            raise ToolArgumentError(format_validation_error(name, exc, extra=unknown)) from None
        if unknown:
            raise ToolArgumentError(format_validation_error(name, None, extra=unknown))
        return inp

    def call(self, name: str, args: dict[str, Any]) -> ToolResult:
        """Run one tool call and always return a :class:`ToolResult`, never raise.

        Steps: resolve the name, validate ``args`` against the Input model, run ``setup()`` once
        (thread-safe, bounded by the registry's ``setup_timeout_s`` rather than the call's timeout
        because loading weights may legitimately be slow; a failed setup is retried on the next
        call, a hung one marks the tool broken for this process), then ``run()`` bounded by the
        tool's ``timeout_s``: in a forked worker process that is killed at the timeout when the
        tool sets ``isolate``, otherwise in a daemon thread that is abandoned (Python cannot kill a
        thread). The output must fit the Output model and be finite, JSON-safe and at most
        :data:`MAX_OUTPUT_CHARS`. Every failure becomes ``error`` plus ``error_kind``; the evidence
        ``id`` depends only on the name and canonical arguments.
        """
        started = time.perf_counter()
        raw = args if isinstance(args, dict) else {"_": args}

        def fail(kind: str, msg: str, *, inputs: dict[str, Any], version: str = "", plugin: str | None = None) -> ToolResult:
            return ToolResult(
                id=evidence_id(name, inputs), tool=name, version=version, inputs=inputs, error=msg,
                error_kind=kind, plugin=plugin, seconds=round(time.perf_counter() - started, 6),
            )

        try:
            entry = self._entry(name)
        except UnknownToolError as exc:
            return fail("unknown_tool", str(exc), inputs=raw)
        tool, version = entry.tool, str(getattr(entry.tool, "version", "0.1"))
        try:
            inp = self.validate_args(name, args)
        except ToolArgumentError as exc:
            return fail("invalid_args", str(exc), inputs=raw, version=version, plugin=entry.plugin)
        inputs = inp.model_dump(mode="json", by_alias=True)

        def failed(kind: str, msg: str) -> ToolResult:
            return fail(kind, msg, inputs=inputs, version=version, plugin=entry.plugin)

        if not entry.setup_done:
            with entry.lock:
                if entry.broken is None and not entry.setup_done:
                    try:
                        setup = getattr(tool, "setup", None)
                        if setup is not None:
                            call_bounded(setup, self.setup_timeout_s, f"setup:{name}")
                        entry.setup_done = True
                    except _Abandoned as exc:
                        entry.broken = f"tool {name!r} setup {exc} ({SETUP_TIMEOUT_ENV} sets the limit); it is not called again in this session"
                    except KeyboardInterrupt:
                        raise
                    except BaseException as exc:  # noqa: BLE001 - SystemExit in setup is the plugin's failure
                        return failed("setup_failed", f"tool {name!r} setup failed: {_describe(exc)}")
                if entry.broken is not None:
                    return failed("setup_failed", entry.broken)

        timeout = float(getattr(tool, "timeout_s", 120.0))
        if getattr(tool, "isolate", False) and _fork_context() is not None:
            kind, value = run_in_worker(tool, inp, timeout)
            if kind != "out":
                prefix = "" if kind == "bad_input" else f"tool {name!r} "
                return failed(kind, prefix + ("failed: " if kind == "exception" else "") + value)
            out = value
        else:
            try:
                out = call_bounded(lambda: tool.run(inp), timeout, f"tool:{name}")
            except _Abandoned:
                return failed("timeout", f"tool {name!r} timed out after {timeout:g} s")
            except KeyboardInterrupt:
                raise
            except UserError as exc:  # ToolInputError or any other user-fixable mistake
                return failed("bad_input", str(exc))
            except BaseException as exc:  # noqa: BLE001 - reported to the caller, never raised
                return failed("exception", f"tool {name!r} failed: {_describe(exc)}")
        try:
            if not isinstance(out, tool.Output):
                out = tool.Output.model_validate(out)
        except ValidationError as exc:
            return failed("exception", f"tool {name!r} returned output that fails its Output model: {exc.error_count()} error(s)")
        try:
            payload = out.model_dump(mode="json", by_alias=True)
        except Exception as exc:  # noqa: BLE001 - e.g. a field typed Any holding an arbitrary object
            return failed("bad_output", f"tool {name!r} returned output that cannot be serialised: {type(exc).__name__}: {exc}")
        problem = output_problem(payload)
        if problem is not None:
            return failed("bad_output", f"tool {name!r} returned output that {problem}")
        return ToolResult(
            id=evidence_id(name, inputs), tool=name, version=version, inputs=inputs,
            output=payload, plugin=entry.plugin, seconds=round(time.perf_counter() - started, 6),
        )
