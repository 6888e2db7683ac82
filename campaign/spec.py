"""The campaign spec: a YAML file naming shared settings and a list of research goals.

Everything a user can get wrong in the spec is found here, before any work starts, and reported as
one line that points at the file, line and column:

* invalid YAML (the parser's own position),
* an unknown key anywhere, with the nearest valid key at that level suggested (``difflib``),
* a duplicate key inside one mapping (PyYAML silently keeps the last one; we refuse),
* a wrong type or value (pydantic's message, placed at the offending value),
* duplicate goal ids, an empty or refused goal text, and patient files that do not exist.

Positions come from PyYAML's node tree (``yaml.compose``), walked side by side with the loaded data,
so the models stay plain pydantic (``extra="forbid"``) and the position map is built once.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any, get_args, get_origin

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from hypoforge.agents.settings import PRESETS, IndexSettings, LLMSettings, LoopSettings
from hypoforge.errors import UserError
from hypoforge.files import load_yaml, strip_controls

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
"""Ids become directory names and run ids: letters, digits, '.', '_', '-' (at most 64)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SharedSettings(_Strict):
    """Settings every goal starts from (the same sections as ``hypoforge run``; no data dir: the
    campaign gives each goal its own)."""

    llm: LLMSettings = Field(default_factory=LLMSettings, description="Model or endpoint, seed, sampling.")
    index: IndexSettings = Field(default_factory=IndexSettings, description="Literature index (local dir or chroma_url).")
    loop: LoopSettings = Field(default_factory=LoopSettings, description="Default budget of every goal.")


class Budget(_Strict):
    """Per-goal overrides of the loop budget; unset fields keep the shared value."""

    rounds: int | None = Field(None, ge=1, le=50, description="Tournament rounds.")
    hypotheses: int | None = Field(None, ge=1, le=50, description="Hypotheses generated in the first round.")
    evolve_per_round: int | None = Field(None, ge=0, le=20, description="Hypotheses evolved per round.")
    max_llm_calls: int | None = Field(None, ge=1, description="Stop after this many LLM calls.")
    max_seconds: float | None = Field(None, gt=0, description="Stop after this much wall time.")


class GoalSpec(_Strict):
    id: str = Field(pattern=ID_PATTERN, description="Unique id: names the goal's folder and run id.")
    goal: str = Field(description="The research goal, as for 'hypoforge run'.")
    constraints: list[str] = Field(default_factory=list, description="Added to the shared loop constraints.")
    tools: list[str] = Field(default_factory=list, description="Tools the goal's agents may call (names from 'hypoforge tools list').")
    budget: Budget = Field(default_factory=Budget, description="Overrides of the shared loop budget.")
    seed: int | None = Field(None, description="Overrides llm.seed for this goal.")
    patient_files: list[Path] = Field(default_factory=list, description="Genotype files (VCF, ...) relative to the spec file.")

    @field_validator("constraints")
    @classmethod
    def _clean(cls, v: list[str]) -> list[str]:
        return [strip_controls(c) for c in v]

    @field_validator("goal")
    @classmethod
    def _goal_text(cls, v: str) -> str:
        from hypoforge.agents.run import validate_goal

        try:
            return validate_goal(v)
        except UserError as exc:
            raise ValueError(str(exc)) from None


class CampaignSpec(_Strict):
    id: str | None = Field(None, pattern=ID_PATTERN, description="Campaign id; default: the spec file's stem.")
    description: str = Field("", description="Free text shown in the summary.")
    preset: str | None = Field(None, description="Named budget preset applied before 'settings' (fast, default, thorough).")
    settings: SharedSettings = Field(default_factory=SharedSettings, description="Shared settings of every goal.")
    top: int = Field(3, ge=1, le=50, description="Proposals per goal in summary.md, summary.html and top.csv.")
    goals: list[GoalSpec] = Field(min_length=1, description="The research goals.")

    @field_validator("description")
    @classmethod
    def _description(cls, v: str) -> str:
        return strip_controls(v)

    @field_validator("preset")
    @classmethod
    def _preset(cls, v: str | None) -> str | None:
        if v is not None and v not in PRESETS:
            raise ValueError(f"unknown preset {v!r}; choose one of {', '.join(PRESETS)}")
        return v

    def settings_for(self, goal: GoalSpec) -> dict[str, Any]:
        """The goal's effective settings as a JSON-clean dict (data_dir left to the runner).

        Layering is the one of ``hypoforge run``: defaults < preset < environment < the spec's
        shared settings < the goal's budget, seed and constraints.
        """
        from hypoforge.agents.settings import Settings, merge_settings

        overrides = self.settings.model_dump(mode="json", exclude_unset=True)
        goal_over: dict[str, Any] = {"loop": goal.budget.model_dump(exclude_none=True)}
        if goal.seed is not None:
            goal_over["llm"] = {"seed": goal.seed}
        merge_settings(overrides, goal_over)
        s = Settings.layered(self.preset, overrides)
        s.loop.constraints = [strip_controls(c) for c in [*s.loop.constraints, *goal.constraints]]
        return s.model_dump(mode="json")


def load_spec(path: Path | str) -> CampaignSpec:
    """Read and validate a campaign spec; every problem is a one-line :class:`UserError`."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"campaign spec {path} does not exist; pass the path to a YAML spec (see examples/campaign.yaml)")
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read campaign spec {path} ({exc}); pass a UTF-8 YAML file") from None
    data, node = load_yaml(text, str(path))  # safe loader; alias bombs and !!python tags refused
    if not isinstance(data, dict):
        raise UserError(f"{path}: a campaign spec is a mapping with 'goals' (and optional 'id', 'settings', ...); see docs/campaigns.md")
    marks: dict[tuple[Any, ...], tuple[int, int]] = {}
    _positions(node, (), marks, path)  # bounded: load_yaml capped the expanded size

    def at(loc: tuple[Any, ...]) -> str:
        while loc and loc not in marks:
            loc = loc[:-1]
        line, col = marks.get(loc, (1, 1))
        return f"{path}:{line}:{col}"

    _check_keys(data, CampaignSpec, (), at)
    try:
        spec = CampaignSpec.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        raise UserError(f"{at(loc)}: {_dotted(loc) or 'spec'}: {msg}") from None

    seen: dict[str, int] = {}
    for n, g in enumerate(spec.goals):
        if g.id in seen:
            first = at(("goals", seen[g.id], "id"))
            raise UserError(f"{at(('goals', n, 'id'))}: duplicate goal id {g.id!r} (first used at {first}); give every goal a unique id")
        seen[g.id] = n
        resolved = []
        for m, f in enumerate(g.patient_files):
            full = (path.parent / f).resolve() if not Path(f).is_absolute() else Path(f)
            if not full.is_file():
                raise UserError(f"{at(('goals', n, 'patient_files', m))}: patient file {str(f)!r} of goal {g.id!r} not found (looked for {full}); fix the path (relative to the spec file)")
            resolved.append(full)
        g.patient_files = resolved
    if spec.id is None:
        stem = re.sub(r"[^A-Za-z0-9._-]+", "-", path.stem).strip("-.") or "campaign"
        spec.id = stem[:64]
    return spec


def _positions(node: Any, loc: tuple[Any, ...], marks: dict[tuple[Any, ...], tuple[int, int]], path: Path) -> None:
    marks.setdefault(loc, (node.start_mark.line + 1, node.start_mark.column + 1))
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for k, v in node.value:
            key = k.value if isinstance(k, yaml.ScalarNode) else str(k.value)
            if key in seen:
                raise UserError(f"{path}:{k.start_mark.line + 1}:{k.start_mark.column + 1}: duplicate key {key!r} in the same mapping; keep one")
            seen.add(key)
            marks[loc + (key,)] = (k.start_mark.line + 1, k.start_mark.column + 1)
            _positions(v, loc + (key,), marks, path)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _positions(item, loc + (i,), marks, path)


def _model_of(annotation: Any) -> tuple[type[BaseModel] | None, bool]:
    """(model class, is_list) for a field annotation such as ``Budget`` or ``list[GoalSpec]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    origin = get_origin(annotation)
    args = [a for a in get_args(annotation) if a is not type(None)]
    if origin is list and args and isinstance(args[0], type) and issubclass(args[0], BaseModel):
        return args[0], True
    if len(args) == 1 and origin is not list:
        return _model_of(args[0])
    return None, False


def _check_keys(data: Any, model: type[BaseModel], loc: tuple[Any, ...], at: Any) -> None:
    """Reject unknown keys at every level, suggesting the closest valid key."""
    if not isinstance(data, dict):
        return  # a type error; pydantic reports it with its position
    fields = model.model_fields
    for key, value in data.items():
        if key not in fields:
            valid = sorted(fields)
            near = difflib.get_close_matches(str(key), valid, n=1, cutoff=0.5)
            hint = f"did you mean {near[0]!r}?" if near else f"valid keys here: {', '.join(valid)}"
            where = _dotted(loc) or "the top level"
            raise UserError(f"{at(loc + (key,))}: unknown key {key!r} in {where}; {hint}")
        sub, is_list = _model_of(fields[key].annotation)
        if sub is None:
            continue
        if is_list and isinstance(value, list):
            for i, item in enumerate(value):
                _check_keys(item, sub, loc + (key, i), at)
        elif not is_list:
            _check_keys(value, sub, loc + (key,), at)


def _dotted(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
