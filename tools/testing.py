"""A contract checker plugin authors call from their own tests.

``check_tool(MyTool)`` asserts everything the registry checks at load time (name, description,
pydantic Input/Output, callable run, sane timeout and needs), that both models produce JSON schemas
(the agents are prompted with them), and that the tool registers. With ``example_args`` it also runs
one real call through :class:`~hypoforge.tools.registry.ToolRegistry`, exactly as an agent would, and
asserts it succeeded and its output matches the Output model. It raises ``AssertionError`` listing
every problem, so it works with pytest and plain ``assert``-style test runners alike.
"""

from __future__ import annotations

from typing import Any

from hypoforge.tools.base import ToolResult
from hypoforge.tools.registry import ToolRegistry, contract_problems


def check_tool(tool_or_class: Any, example_args: dict[str, Any] | None = None) -> ToolResult | None:
    """Assert that ``tool_or_class`` satisfies the Tool contract; return the example call's result."""
    tool = tool_or_class() if isinstance(tool_or_class, type) else tool_or_class
    problems = contract_problems(tool)  # includes that both models give JSON-serialisable schemas
    if problems:
        raise AssertionError(f"tool {getattr(tool, 'name', type(tool).__name__)!r} breaks the contract: " + "; ".join(problems))
    registry = ToolRegistry([tool], plugin="check_tool")
    if example_args is None:
        return None
    result = registry.call(tool.name, example_args)
    if not result.ok:
        raise AssertionError(f"example call of {tool.name!r} failed ({result.error_kind}): {result.error}")
    tool.Output.model_validate(result.output)
    return result
