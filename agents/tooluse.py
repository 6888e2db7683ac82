"""Agents that call tools: computed evidence with provenance, not only text.

The generator and the critic may ask for tool calls through structured output. The request schema
is built from the registry: a list (at most ``loop.tool_calls`` long) of ``{"tool": <name>, "args":
<that tool's Input schema>}`` alternatives, so on the embedded model the grammar only admits
registered tools with schema-valid arguments, and on any backend validation rejects anything else.
Only tools marked ``agent_callable`` are offered (file-reading tools are run by the user or the loop).

Whatever a tool's own ``Input`` allows, an agent's request is bounded: every string at most
:data:`AGENT_STRING_CHARS` characters and every list at most :data:`AGENT_LIST_ITEMS` items, in the
JSON schema (so the grammar and the token budget from :func:`hypoforge.agents.llm.grammar.max_chars`
stay small) and in validation (so an endpoint cannot exceed them either). A user running the tool
directly keeps the tool's own limits.

Before asking, the loop makes each applying tool's *standard calls* (``Tool.standard_calls``: the
computations any reader of the text would want, taken from the text, never from a model: a panel
drug's profile where the text speaks of its chemistry), since the small embedded model declined
offered tools even where they applied. Results read as the tool's ``summarise`` writes them.

Each call runs through :meth:`ToolRegistry.call` (validation, lazy setup, timeout; a failure becomes
an error result and the run goes on). Successful results become evidence entries keyed by the
result's id (``TOOL:<name>:<hash>``), which hypotheses and reviews can cite like literature, and all
results, failed ones included, are kept in the state's ``tool_results`` for the report.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, model_validator

from hypoforge import prompts
from hypoforge.agents.calls import Tally
from hypoforge.agents.deps import Deps
from hypoforge.agents.llm import LLMOutputError
from hypoforge.agents.models import Evidence
from hypoforge.agents.state import State
from hypoforge.tools.registry import call_bounded, evidence_id

OUTPUT_CHARS = 600
AGENT_STRING_CHARS = 300
AGENT_LIST_ITEMS = 4
AVAILABLE_TIMEOUT_S = 5.0


def _available(tool: Any) -> bool:
    """A tool's ``available()`` answer; a check that raises or hangs means not available."""
    check = getattr(tool, "available", None)
    if check is None:
        return True
    try:
        return bool(call_bounded(check, AVAILABLE_TIMEOUT_S, f"available:{tool.name}"))
    except KeyboardInterrupt:
        raise
    except BaseException:  # noqa: BLE001 - a broken plugin check is a tool the agents do not get
        return False


def _applies(tool: Any, context: str) -> bool:
    """A tool's ``applies_to(context)``; a plugin without it applies, one whose check raises does not."""
    check = getattr(tool, "applies_to", None)
    if check is None:
        return True
    try:
        return bool(check(context))
    except Exception:  # noqa: BLE001 - a broken plugin check is a tool the agents do not get
        return False


def callable_tools(deps: Deps, context: str | None = None) -> list[Any]:
    """The tools the agents may request: agent-callable, available and, given a ``context``, applying to it."""
    reg = deps.tools
    if reg is None or deps.settings.loop.tool_calls <= 0:
        return []
    return [t for t in map(reg.get, reg.names())
            if getattr(t, "agent_callable", True) and (context is None or _applies(t, context)) and _available(t)]


def bound_schema(node: Any) -> Any:
    """``node`` (a JSON schema) with every string capped at AGENT_STRING_CHARS and list at AGENT_LIST_ITEMS."""
    if isinstance(node, list):
        return [bound_schema(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: bound_schema(v) for k, v in node.items()}
    kinds = out.get("type") if isinstance(out.get("type"), list) else [out.get("type")]
    if "string" in kinds and "enum" not in out and "const" not in out:
        out["maxLength"] = min(out.get("maxLength", AGENT_STRING_CHARS), AGENT_STRING_CHARS)
    if "array" in kinds:
        out["maxItems"] = min(out.get("maxItems", AGENT_LIST_ITEMS), AGENT_LIST_ITEMS)
    return out


def _oversize(data: Any, where: str) -> str | None:
    if isinstance(data, str) and len(data) > AGENT_STRING_CHARS:
        return f"{where or 'value'}: {len(data)} characters, over the {AGENT_STRING_CHARS} an agent may send"
    if isinstance(data, (list, tuple)):
        if len(data) > AGENT_LIST_ITEMS:
            return f"{where or 'value'}: {len(data)} items, over the {AGENT_LIST_ITEMS} an agent may send"
        return next((p for i, v in enumerate(data) if (p := _oversize(v, f"{where}.{i}"))), None)
    if isinstance(data, dict):
        return next((p for k, v in data.items() if (p := _oversize(v, f"{where}.{k}" if where else str(k)))), None)
    return None


class _BoundedRequests(BaseModel):
    """Base of ``ToolRequests``: the agent bounds in the JSON schema and in validation."""

    model_config = ConfigDict(extra="forbid")

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return bound_schema(super().model_json_schema(*args, **kwargs))

    @model_validator(mode="before")
    @classmethod
    def _within_agent_bounds(cls, data: Any) -> Any:
        problem = _oversize(data, "")
        if problem is not None:
            raise ValueError(problem)
        return data


def request_schema(tools: list[Any], max_calls: int) -> type[BaseModel]:
    """``ToolRequests``: a bounded list of calls, each one registered tool with its own Input."""
    variants = []
    for tool in tools:
        safe = "".join(ch if ch.isalnum() else "_" for ch in tool.name)
        variants.append(
            create_model(
                f"Call_{safe}",
                __config__=ConfigDict(extra="forbid"),
                tool=(Literal[tool.name], ...),  # type: ignore[valid-type]
                args=(tool.Input, ...),
            )
        )
    item: Any = variants[0]
    for v in variants[1:]:
        item = item | v
    return create_model(
        "ToolRequests",
        __base__=_BoundedRequests,
        calls=(list[item], Field(default_factory=list, max_length=max_calls)),  # type: ignore[valid-type]
    )


def describe(result: Any) -> str:
    args = json.dumps(result.inputs, sort_keys=True, separators=(",", ":"))
    return f"{result.tool} v{result.version} on {args}"[:200]


def standard_calls(tool: Any, context: str) -> list[dict[str, Any]]:
    """A tool's ``standard_calls(context)`` (at most :data:`AGENT_LIST_ITEMS`); a plugin without the
    hook makes none, and one whose hook raises or returns something else makes none either."""
    hook = getattr(tool, "standard_calls", None)
    if hook is None:
        return []
    try:
        calls = hook(context)
    except Exception:  # noqa: BLE001 - a broken plugin hook costs its calls, not the run
        return []
    return [c for c in calls if isinstance(c, dict)][:AGENT_LIST_ITEMS] if isinstance(calls, list) else []


def summary(tool: Any, output: dict[str, Any]) -> str:
    """A tool's ``summarise(output)``: the passage agents read; compact JSON when the tool has none or it fails."""
    hook = getattr(tool, "summarise", None)
    try:
        text = hook(output) if hook is not None else None
    except Exception:  # noqa: BLE001 - a broken plugin summary falls back to the raw output
        text = None
    return text if isinstance(text, str) and text.strip() else json.dumps(output, separators=(",", ":"))


def request_and_run(tally: Tally, state: State, deps: Deps, purpose: str, context: str) -> tuple[dict[str, dict], dict[str, dict]]:
    """Run the standard calls of the tools that apply to ``context`` (the text the step works on),
    then ask the LLM which further calls would help and run those; return (evidence, tool_results)
    updates.

    Only tools that apply to ``context`` are offered; when none does, the LLM is not asked at all (a
    step with nothing to compute on costs no call). A call the LLM requests that a standard call
    already made is not run again.
    """
    tools = callable_tools(deps, context)
    if not tools:
        return {}, {}
    evidence: dict[str, dict] = {}
    results: dict[str, dict] = {}

    def run(tool: Any, args: dict[str, Any], standard: bool) -> None:
        res = deps.tools.call(tool.name, args)
        if res.id in results:
            return
        deps.emit("tool", tool=res.tool, ok=res.ok, id=res.id, standard=standard)
        results[res.id] = res.model_dump(mode="json")
        if res.ok:
            raw = json.dumps(res.output, separators=(",", ":"))
            text = summary(tool, res.output or {})
            # A result written in words starts with what it is about ("tofacitinib (C16H20N6O; ...):
            # ..."), which titles it: three results titled alike were cited for one another (bench goal 9).
            title = describe(res) if text == raw else f"{res.tool} v{res.version}: {text.split(':', 1)[0][:120]}"
            evidence[res.id] = Evidence(
                key=res.id, title=title, passage=text[:OUTPUT_CHARS], bearing=f"computed: {text[:200]}",
            ).model_dump(mode="json")

    for tool in tools:
        for args in standard_calls(tool, context):
            run(tool, args, standard=True)
    schema = request_schema(tools, deps.settings.loop.tool_calls)
    specs = [{"name": t.name, "description": t.description} for t in tools]
    try:
        req = tally.ask(state, prompts.render("tools", tools=specs, purpose=purpose), schema, keys=None, max_tokens=160)
    except (ValidationError, LLMOutputError) as exc:
        # A malformed request (possible on endpoints, or when max_tokens cuts it) costs the step its
        # requested tool calls, not the run.
        deps.emit("tool_request_failed", error=str(exc)[:200])
        return evidence, results
    by_name = {t.name: t for t in tools}
    for call in req.calls:  # type: ignore[attr-defined]
        if evidence_id(call.tool, call.args.model_dump(mode="json", by_alias=True)) not in results:
            run(by_name[call.tool], call.args.model_dump(mode="json"), standard=False)
    return evidence, results
