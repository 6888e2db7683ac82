"""One layered settings model: defaults < settings files < preset < environment < command-line flags.

Every field has a description: the reference for settings files and ``HYPOFORGE_*`` variables,
and shown by ``hypoforge run --help``, whose model and budget flags are built from these fields
(description and default, :data:`hypoforge.agents.commands.LOOP_FLAGS`). Unknown keys are
rejected (``extra="forbid"``), so a typo in a config is an error, not a silent default.

Settings files are TOML with the sections of the campaign spec's ``settings`` (``[llm]``,
``[index]``, ``[loop]``) and a top-level ``data_dir``. Two are read when present: the user's
(``hypoforge.toml`` in the user config directory, or ``$HYPOFORGE_CONFIG_DIR``), then the
project's (``hypoforge.toml`` in the working directory), which wins. Relative paths in a file are
relative to that file. ``hypoforge config show`` prints the effective settings and each value's
source (:func:`explain`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class LLMSettings(_Strict):
    model: str | None = Field(None, description="Named model, GGUF path, or endpoint model id; None = best installed.")
    url: str | None = Field(None, description="OpenAI-compatible endpoint base URL; None = embedded llama.cpp.")
    api_key_env: str = Field("HYPOFORGE_LLM_API_KEY", description="Environment variable holding the endpoint's key.")
    temperature: float = Field(0.2, ge=0, le=2, description="Sampling temperature.")
    seed: int = Field(7, description="Seed for sampling and for every random choice in the loop.")
    n_ctx: int = Field(4096, ge=512, description="Context window for embedded models.")
    n_threads: int | None = Field(
        None, ge=1, description="CPU threads for embedded models; None = automatic (the idle physical cores, measured before every call)."
    )
    cache_dir: Path | None = Field(None, description="On-disk response cache directory; None = no cache.")
    profile: Literal["auto", "compact", "rich"] = Field(
        "auto", description="Output budgets: compact (small embedded models), rich (capable endpoints); auto picks by backend."
    )
    timeout_s: float = Field(120.0, gt=0, le=3600, allow_inf_nan=False,
                             description="Endpoint only: seconds one call may take (connect, wait and read); not retried.")
    retries: int = Field(3, ge=0, le=10, description="Endpoint only: retries of one call after HTTP 5xx/429, a malformed body or invalid output.")
    retry_budget: int = Field(30, ge=0, le=1000, description="Endpoint only: retries allowed in a whole run (or chat session), all calls together.")
    retry_backoff_s: float = Field(1.0, ge=0, le=30, allow_inf_nan=False,
                                   description="Endpoint only: first wait before retrying a transport fault; doubles per retry, at most 30 s.")


class IndexSettings(_Strict):
    dir: Path | None = Field(None, description="On-disk index directory; None = index/ in the data dir.")
    collection: str = Field("literature", description="Chroma collection name.")
    chroma_url: str | None = Field(None, description="URL of a shared 'chroma run' server instead of a local index.")
    k: int = Field(6, ge=1, le=8, description="Passages retrieved per query for the generator.")


class LoopSettings(_Strict):
    rounds: int = Field(2, ge=1, le=50, description="Tournament rounds (generate, review, rank, evolve).")
    hypotheses: int = Field(3, ge=1, le=50, description="Hypotheses generated in the first round.")
    evolve_per_round: int = Field(1, ge=0, le=20, description="New hypotheses evolved from the best each round.")
    drafts: int = Field(2, ge=1, le=5, description=(
        "Drafts sampled per hypothesis while one still fails a quality check; the one failing fewest is revised (1 = no extra draft)."))
    matches_per_round: int | None = Field(None, ge=0, description="Judged comparisons per round; None = one per active hypothesis.")
    top_k: int = Field(3, ge=1, description="Size of the top set the tournament tries to get right.")
    debate: bool = Field(True, description="Multi-turn debates for pairs within the top set.")
    debate_top: int = Field(2, ge=2, description="Pairs debate (instead of a single judgement) when both are in this top set.")
    max_llm_calls: int = Field(200, ge=1, description="Stop when this many LLM calls were made.")
    max_seconds: float = Field(3600.0, gt=0, description="Stop after this much wall-clock time.")
    tool_calls: int = Field(1, ge=0, le=4, description="Tool calls the generator and critic may request per step; 0 = none.")
    merge_similarity: float = Field(0.93, gt=0, le=1, description="Cosine similarity above which hypotheses merge.")
    constraints: list[str] = Field(default_factory=list, description="User constraints added to the research plan.")


class Settings(_Strict):
    llm: LLMSettings = Field(default_factory=LLMSettings)
    index: IndexSettings = Field(default_factory=IndexSettings)
    loop: LoopSettings = Field(default_factory=LoopSettings)
    data_dir: Path | None = Field(None, description="Where runs, checkpoints and the index live; None = user data dir.")

    def resolved_data_dir(self) -> Path:
        if self.data_dir is not None:
            return Path(self.data_dir)
        from hypoforge.knowledge.store import default_data_dir

        return default_data_dir()

    def index_dir(self) -> Path:
        return Path(self.index.dir) if self.index.dir is not None else self.resolved_data_dir() / "index"

    def runs_dir(self) -> Path:
        return self.resolved_data_dir() / "runs"

    @classmethod
    def layered(cls, preset: str | None = None, overrides: dict[str, Any] | None = None) -> Settings:
        """Defaults, settings files, a named preset, ``HYPOFORGE_*`` environment variables, then overrides.

        ``overrides`` is a nested dict (``{"loop": {"rounds": 1}}``); None values are ignored.
        """
        return explain(preset, overrides)[0]


CONFIG_FILE = "hypoforge.toml"
CONFIG_DIR_ENV = "HYPOFORGE_CONFIG_DIR"
ENV_SETTINGS = {
    "HYPOFORGE_MODEL": ("llm", "model"),
    "HYPOFORGE_LLM_URL": ("llm", "url"),
    "HYPOFORGE_INDEX": ("index", "dir"),
    "HYPOFORGE_CHROMA_URL": ("index", "chroma_url"),
    "HYPOFORGE_LLM_CACHE": ("llm", "cache_dir"),
    "HYPOFORGE_LLM_TIMEOUT": ("llm", "timeout_s"),
    "HYPOFORGE_LLM_RETRIES": ("llm", "retries"),
    "HYPOFORGE_LLM_RETRY_BUDGET": ("llm", "retry_budget"),
    "HYPOFORGE_LLM_RETRY_BACKOFF": ("llm", "retry_backoff_s"),
}
PATH_KEYS = {("llm", "cache_dir"), ("index", "dir"), ("data_dir",)}


def user_config_file() -> Path:
    """``hypoforge.toml`` in ``$HYPOFORGE_CONFIG_DIR`` or the user config dir (e.g. ``~/.config/hypoforge``)."""
    env = os.environ.get(CONFIG_DIR_ENV)
    if env:
        return Path(env) / CONFIG_FILE
    import platformdirs

    return Path(platformdirs.user_config_dir("hypoforge", appauthor=False)) / CONFIG_FILE


def config_files() -> list[tuple[str, Path]]:
    """The settings files that exist, lowest precedence first: (label, path)."""
    found = [("user file", user_config_file()), ("project file", Path.cwd() / CONFIG_FILE)]
    seen: set[Path] = set()
    out = []
    for label, path in found:
        if path.is_file() and path.resolve() not in seen:
            seen.add(path.resolve())
            out.append((label, path))
    return out


def read_config_file(path: Path) -> dict[str, Any]:
    """A settings file as a nested dict, validated on its own: one-line UserError naming file and key."""
    import tomllib

    from hypoforge.errors import UserError
    from pydantic import ValidationError

    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"settings file {path} cannot be read ({exc}); fix or remove it") from None
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"settings file {path} is not valid TOML ({exc}); fix the syntax there") from None
    for key in PATH_KEYS:  # relative paths are relative to the file
        section = data if len(key) == 1 else data.get(key[0])
        if isinstance(section, dict) and isinstance(section.get(key[-1]), str):
            section[key[-1]] = str((path.parent / Path(section[key[-1]]).expanduser()).resolve())
    try:
        Settings.model_validate(data)
    except ValidationError as exc:
        e = exc.errors()[0]
        where = ".".join(map(str, e["loc"])) or "(top level)"
        raise UserError(f"settings file {path}: {where}: {e['msg']}; fix or remove that key") from None
    return data


def layers(preset: str | None = None, overrides: dict[str, Any] | None = None) -> list[tuple[str, dict[str, Any]]]:
    """Every settings layer above the defaults, lowest precedence first: (source, nested dict)."""
    from hypoforge.agents.llm.threads import threads_from_env
    from hypoforge.errors import UserError

    out = [(f"{label} {path}", read_config_file(path)) for label, path in config_files()]
    if preset:
        if preset not in PRESETS:
            raise UserError(f"unknown preset {preset!r}; choose one of {', '.join(PRESETS)}")
        out.append((f"preset {preset}", PRESETS[preset]))
    for var, (section, key) in ENV_SETTINGS.items():
        if os.environ.get(var):
            out.append((f"${var}", {section: {key: os.environ[var]}}))
    threads = threads_from_env(os.environ.get("HYPOFORGE_THREADS"))
    if threads is not None:
        out.append(("$HYPOFORGE_THREADS", {"llm": {"n_threads": threads}}))
    if overrides:
        out.append(("command line", overrides))
    return out


def explain(preset: str | None = None, overrides: dict[str, Any] | None = None) -> tuple[Settings, dict[str, str]]:
    """The effective settings and, for every setting, the layer its value came from ("default" if none)."""
    data: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for source, layer in layers(preset, overrides):
        merge_settings(data, layer)
        sources.update({key: source for key, value in flatten(layer).items() if value is not None})
    settings = Settings.model_validate(data)
    return settings, {key: sources.get(key, "default") for key in flatten(settings.model_dump())}


def flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """A nested dict as {dotted key: leaf value} (lists are leaves)."""
    out: dict[str, Any] = {}
    for k, v in data.items():
        if isinstance(v, dict):
            out.update(flatten(v, f"{prefix}{k}."))
        else:
            out[prefix + k] = v
    return out


# Named presets: a quick look, the default balance, and a longer tournament.
PRESETS: dict[str, dict[str, Any]] = {
    "fast": {"loop": {"rounds": 1, "hypotheses": 2, "evolve_per_round": 0, "debate": False, "drafts": 1}},
    "default": {},
    "thorough": {"loop": {"rounds": 4, "hypotheses": 6, "evolve_per_round": 2}},
}


def merge_settings(into: dict[str, Any], new: dict[str, Any]) -> None:
    for k, v in new.items():
        if v is None:
            continue
        if isinstance(v, dict):
            merge_settings(into.setdefault(k, {}), v)
        else:
            into[k] = v
