"""Dependencies of the loop, injected through LangGraph's runtime context.

Nodes never reach for globals: they get the LLM, the retriever, the embedder (for proximity) and
the tool registry from ``runtime.context``. Tests build a :class:`Deps` from fakes;
:meth:`Deps.from_settings` builds the real ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from hypoforge.agents.llm import LLM
from hypoforge.agents.settings import Settings
from hypoforge.knowledge.records import Retriever


class TextEmbedder(Protocol):
    def embed(self, texts: list[str]) -> np.ndarray: ...


Event = Callable[[str, dict[str, Any]], None]


def load_factory(path: str, what: str = "deps factory") -> Callable[..., Any]:
    """The function named ``package.module:function`` (a deps factory); one-line UserError otherwise."""
    import importlib

    from hypoforge.errors import UserError

    module, _, name = path.partition(":")
    if not module or not name:
        raise UserError(f"{what} {path!r} is not of the form 'package.module:function'")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise UserError(f"cannot load {what} {path!r}: {exc}") from None


@dataclass
class Deps:
    llm: LLM
    retriever: Retriever
    settings: Settings = field(default_factory=Settings)
    embedder: TextEmbedder | None = None
    tools: Any = None  # hypoforge.tools.registry.ToolRegistry when tools are enabled
    on_event: Event | None = None  # progress callback for UIs: (event, payload)

    def emit(self, event: str, **payload: Any) -> None:
        if self.on_event is not None:
            self.on_event(event, payload)

    @classmethod
    def from_settings(cls, settings: Settings, *, on_event: Event | None = None) -> Deps:
        """The real dependencies: embedded or endpoint LLM, on-disk hybrid index, MiniLM embedder."""
        from hypoforge.tools.registry import ToolRegistry

        check_llm_settings(settings)  # model and cache checked before the index opens and anything is created
        retriever, embedder = open_knowledge(settings)
        llm = build_llm(settings)
        tools = ToolRegistry.from_entry_points()
        return cls(llm=llm, retriever=retriever, settings=settings, embedder=embedder, tools=tools, on_event=on_event)


def check_llm_settings(settings: Settings) -> None:
    """One-line errors for a model that cannot load or a cache path that is not a folder; creates nothing."""
    from hypoforge.errors import UserError

    s = settings.llm
    if s.url:
        return
    from hypoforge.agents.llm.catalogue import resolve_model

    resolve_model(s.model)
    if s.cache_dir:
        probe = Path(s.cache_dir).expanduser()
        while not probe.exists() and probe.parent != probe:
            probe = probe.parent
        if not probe.is_dir():
            raise UserError(f"--cache {s.cache_dir}: {probe} is a file, not a folder; pass a folder for the response cache")


def build_llm(settings: Settings) -> LLM:
    from hypoforge.agents.llm import LlamaCppLLM, OpenAICompatibleLLM, ResponseCache
    from hypoforge.files import private_dir

    s = settings.llm
    if s.url:
        return OpenAICompatibleLLM(
            s.url, model=s.model or "default", api_key_env=s.api_key_env, temperature=s.temperature, seed=s.seed,
            timeout=s.timeout_s, max_retries=s.retries, retry_budget=s.retry_budget, backoff_s=s.retry_backoff_s,
        )
    from hypoforge.agents.llm.catalogue import resolve_model

    check_llm_settings(settings)
    name, path = resolve_model(s.model)
    cache = ResponseCache(private_dir(Path(s.cache_dir).expanduser())) if s.cache_dir else None  # prompts may hold patient data
    return LlamaCppLLM(path, name=name, n_ctx=s.n_ctx, n_threads=s.n_threads, seed=s.seed, temperature=s.temperature, cache=cache)


def open_knowledge(settings: Settings) -> tuple[Retriever, TextEmbedder]:
    """Open the literature index read-only for a run (the knowledge package owns the details)."""
    from hypoforge.knowledge.api import open_retriever

    return open_retriever(settings.index_dir(), collection=settings.index.collection, chroma_url=settings.index.chroma_url)
