"""Saved KV states of recent calls, so a prompt reuses the longest prefix it shares with any of them.

llama.cpp keeps one sequence in its KV cache, so on its own a call only skips the prefix it shares
with the call just before it. The loop interleaves prompts that share long prefixes with calls two
or three back (a second draft shares the system prompt and the form with the first draft, but a
revision came between them). llama-cpp-python's ``LlamaRAMCache`` saves the state after each call and
restores the one with the longest shared prefix; this subclass bounds it for a laptop:

- at most :data:`MAX_STATES` states (each holds the KV cache of its tokens: about 28 KB a token for
  Qwen2.5-1.5B, some 50 MB for a 1,800-token call);
- the logits buffer a saved state carries (batch size x vocabulary floats, about 300 MB for Qwen)
  is cut to one row: a restored state is always evaluated again from at least its last token
  before sampling (``Llama._requires_eval``), so the saved logits are never read.

Measured by ``bench/prefix_cache.py`` (prompt tokens evaluated per call, with and without).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from llama_cpp.llama_cache import LlamaRAMCache

MAX_STATES = 4
MAX_BYTES = 1 << 30


class PrefixStates(LlamaRAMCache):
    """A RAM cache of at most ``max_states`` KV states, with their logits dropped."""

    def __init__(self, max_states: int = MAX_STATES, capacity_bytes: int = MAX_BYTES) -> None:
        super().__init__(capacity_bytes)
        self.max_states = max_states

    def __setitem__(self, key: Sequence[int], value: Any) -> None:
        value.scores = value.scores[:1].copy()
        super().__setitem__(key, value)
        while len(self.cache_state) > self.max_states:
            self.cache_state.popitem(last=False)
