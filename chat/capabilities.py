"""Optional capabilities reached from the chat: tools, molecules, proteins, patients.

They are built by other parts of Hypoforge (the tool registry, the chemistry and sequence tools,
the patient genomics) and may not be installed. Each is imported only when its command runs; when
it is missing the command prints one line, ``not available: ...``, naming what is missing, instead
of failing. Tool calls go through the registry (``ToolRegistry.call`` never raises; errors come
back in the :class:`~hypoforge.tools.base.ToolResult`).
"""

from __future__ import annotations

import re
import typing
from pathlib import Path
from typing import Any

from hypoforge.tools.base import ToolResult

MOLECULE_TOOL = "chem.describe"
PROTEIN_TOOL = "seq.protparam"


class Unavailable(Exception):
    """A capability that is not installed here; the message completes 'not available: ...'."""


def registry(existing: Any = None) -> Any:
    """``existing`` (an injected registry, e.g. ``Deps.tools``), else the installed one."""
    if existing is not None:
        return existing
    try:
        from hypoforge.tools.registry import ToolRegistry
    except ImportError as exc:
        raise Unavailable("tools (the tool registry, hypoforge.tools.registry, is not installed)") from exc
    return ToolRegistry.from_entry_points()


def list_tools(reg: Any) -> list[tuple[str, str]]:
    return [(s.name, s.description) for s in reg.specs()]


def _require(reg: Any, name: str, what: str) -> Any:
    if name not in reg.names():
        raise Unavailable(f"{what} (tool {name!r} is not installed; see /tools)")
    return reg


def molecule(reg: Any, smiles: str) -> ToolResult:
    return _require(reg, MOLECULE_TOOL, "molecule profiling").call(MOLECULE_TOOL, {"molecule": smiles})


def _mutation_tool(reg: Any) -> tuple[str, str, Any] | None:
    """A registered tool that scores mutations of a sequence: (name, mutations field, field type)."""
    for name in reg.names():
        fields = reg.get(name).Input.model_fields
        if "sequence" in fields:
            for f in ("mutations", "variants", "mutation"):
                if f in fields:
                    return name, f, fields[f].annotation
    return None


def protein(reg: Any, sequence: str, mutations: list[str]) -> list[ToolResult]:
    """ProtParam properties, then mutation effects when a tool for them is installed."""
    reg = _require(reg, PROTEIN_TOOL, "protein analysis")
    results = [reg.call(PROTEIN_TOOL, {"sequence": sequence})]
    if mutations:
        found = _mutation_tool(reg)
        if found is None:
            raise Unavailable("mutation effect scoring (no installed tool takes a sequence and mutations, e.g. the ESM tool; see /tools)")
        name, field, annotation = found
        is_list = typing.get_origin(annotation) is list or annotation is list
        results.append(reg.call(name, {"sequence": sequence, field: mutations if is_list else ",".join(mutations)}))
    return results


def split_mutations(text: str) -> list[str]:
    return [m for m in re.split(r"[\s,;]+", text.strip()) if m]


def patient(path: str) -> Any:
    """A pharmacogenomic treatment plan (``TreatmentPlan``) from a patient's VCF or consumer genotype file."""
    try:
        from hypoforge.tools.genomics.service import make_plan
    except ImportError as exc:
        raise Unavailable(f"patient plans (hypoforge.tools.genomics is not installed; missing {exc.name or exc})") from exc
    p = Path(path).expanduser()
    if not p.is_file():
        from hypoforge.errors import UserError

        raise UserError(f"/patient {path}: no such file; give the path of a VCF/BCF or 23andMe/AncestryDNA file")
    return make_plan(p)
