"""The LLM layer: backends, the embedded-model catalogue, JSON-schema grammars, the sampler prefilter
and the thread count.

* :mod:`.backends`: the ``LLM`` protocol and ``LlamaCppLLM`` (default), ``OpenAICompatibleLLM``,
  ``ScriptedLLM`` (tests), with validation and the response cache;
* :mod:`.catalogue`: the named GGUF models (smollm2-135m, qwen2.5-coder-1.5b), pulling and the
  default choice (not to be confused with :mod:`hypoforge.agents.models`, the run records);
* :mod:`.grammar`: JSON schema -> GBNF, with the control-character fix and citation-key enums;
* :mod:`.prefilter`: constrained sampling on the best 512 candidates when provably the same;
* :mod:`.threads`: the embedded model's automatic thread count.

The backends' public names are re-exported here: ``from hypoforge.agents.llm import ScriptedLLM``
is the import the rest of Hypoforge (and anything outside it) uses.
"""

from __future__ import annotations

from hypoforge.agents.llm.backends import (
    LLM,
    LLMEndpointError,
    LLMOutputError,
    LLMStats,
    LlamaCppLLM,
    Message,
    OpenAICompatibleLLM,
    Responder,
    ResponseCache,
    ScriptedCall,
    ScriptedLLM,
    check_gguf,
    schema_for,
    validate_output,
)

__all__ = [
    "LLM", "LLMEndpointError", "LLMOutputError", "LLMStats", "LlamaCppLLM", "Message", "OpenAICompatibleLLM",
    "Responder", "ResponseCache", "ScriptedCall", "ScriptedLLM", "check_gguf", "schema_for", "validate_output",
]
