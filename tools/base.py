"""The tool contract every built-in and third-party tool implements.

A tool is a class with a ``name``, a ``description``, pydantic ``Input`` and ``Output`` models and a
``run()`` method. ``setup()`` is called lazily on first use (never at import), so heavy resources
such as model weights load only when an agent actually calls the tool. ``needs`` declares
requirements (``"gpu"``, ``"network"``) and ``timeout_s`` bounds one call; ``isolate = True`` runs
each call in a forked worker process, so the timeout can stop it (for native code such as RDKit,
which a thread cannot interrupt).
"""

from __future__ import annotations

import json
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field

from hypoforge.errors import UserError

ErrorKind = Literal["unknown_tool", "invalid_args", "bad_input", "setup_failed", "timeout", "exception", "bad_output"]


class ToolInputError(UserError):
    """Raised by a tool's ``run()`` when its input is well-formed but unusable (an unparsable SMILES,
    a sequence with letters outside the alphabet). The registry turns it into an error result of kind
    ``bad_input`` (as it does any :class:`~hypoforge.errors.UserError`); the CLI reports it as one
    line with exit code 2. Any other exception is a tool failure (kind ``exception``)."""


class Tool:
    """Base class for tools. Subclasses set the class attributes and implement :meth:`run`."""

    name: ClassVar[str]
    description: ClassVar[str]
    Input: ClassVar[type[BaseModel]]
    Output: ClassVar[type[BaseModel]]
    version: ClassVar[str] = "0.1"
    needs: ClassVar[frozenset[str]] = frozenset()
    timeout_s: ClassVar[float] = 120.0
    #: Run each call in a forked worker process that is killed at ``timeout_s`` (where the platform
    #: can fork; elsewhere a thread that is abandoned). Costs a fork per call; for native code that
    #: can run long. Inputs and outputs must be picklable (pydantic models are).
    isolate: ClassVar[bool] = False
    #: Whether the agents may request this tool through structured output. Tools that read local
    #: files (batch screens, patient genotypes) are called by the loop itself, never on an LLM's say.
    agent_callable: ClassVar[bool] = True

    def setup(self) -> None:
        """Load heavy resources. Called once, on first use."""

    def applies_to(self, text: str) -> bool:
        """Whether ``text`` (a goal and its passages, a hypothesis) gives this tool something to compute on.

        The agents ask the LLM for tool calls only when at least one offered tool applies, so a step
        with nothing to compute costs no LLM call; the request lists only the tools that apply. The
        default offers the tool always; the built-in chemistry and protein tools say yes only when a
        SMILES or a protein sequence is written out (:mod:`hypoforge.tools.mentions`).
        """
        return True

    def standard_calls(self, text: str) -> list[dict[str, Any]]:
        """The calls (arguments for ``Input``) the agents make on ``text`` without asking the LLM.

        For computations any reader of ``text`` would want, taken from the text itself (never from a
        model): ``chem.describe`` profiles each approved drug of its panel that a text about molecular
        chemistry names. The small embedded model declined offered tools even there (bench goal 9,
        2026-11-30), so without these a chemistry goal got no computed evidence. The default is none.
        """
        return []

    def summarise(self, output: dict[str, Any]) -> str:
        """``output`` (this tool's Output, as JSON) as the passage an agent reads and a hypothesis
        cites: the default is the compact JSON; a tool may write its result as sentences, starting
        with what it is about and a colon ("tofacitinib (C16H20N6O; ...): molecular weight ..."),
        which then titles the evidence."""
        return json.dumps(output, separators=(",", ":"))

    # Optional: ``def available(self) -> bool`` telling whether the tool can run here (e.g. its
    # weights are on disk). Tools that say False are not offered to the agents.

    def run(self, inp: BaseModel) -> BaseModel:  # pragma: no cover - abstract
        raise NotImplementedError


class ToolResult(BaseModel):
    """The outcome of one tool call, stored as evidence with its provenance."""

    id: str = Field(description="Evidence key for citing this result, e.g. TOOL:rdkit.descriptors:1a2b3c4d")
    tool: str
    version: str
    inputs: dict[str, Any]
    output: dict[str, Any] | None = None
    error: str | None = None
    error_kind: ErrorKind | None = Field(
        None, description="Why the call failed: lets callers tell a caller mistake from a tool failure."
    )
    plugin: str | None = Field(None, description="Distribution that supplied the tool (provenance).")
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None
