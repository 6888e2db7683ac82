"""Fake dependencies for the chat tests, also loadable in a subprocess through the testing hook
``HYPOFORGE_CHAT_DEPS_FACTORY=chat_fake_deps:make_deps`` (with tests/ on PYTHONPATH).

``chat_responder`` extends the loop's deterministic responder (tests/fakes.py) with the chat's own
schema, :class:`~hypoforge.chat.actions.AnswerDraft`: it answers "supported" and cites the
first one or two allowed keys, unless the question contains "UNSUPPORTED" (then it declines).
``CHAT_FAKE_DELAY`` (seconds per LLM call) slows the fake down so a test can press Ctrl-C mid-run.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Sequence
from typing import Any

from fakes import FakeEmbedder, FakeRetriever, responder

from hypoforge.agents.deps import Deps
from hypoforge.agents.llm import ScriptedLLM
from hypoforge.agents.settings import Settings


def chat_responder(messages: Sequence[dict[str, str]], schema: type, keys: Sequence[str] | None) -> Any:
    delay = float(os.environ.get("CHAT_FAKE_DELAY", "0") or 0)
    if delay:
        time.sleep(delay)
    if schema.__name__ in ("AnswerDraft", "AnsweredDraft"):
        user = messages[-1]["content"]
        question = re.search(r"Question: (.*)", user)
        ks = sorted(keys or [])
        if schema.__name__ == "AnswerDraft" and ("UNSUPPORTED" in user or not ks):
            return {"supported": False, "answer": "The passages do not address this.", "citations": []}
        out = {"answer": f"Grounded answer to: {question.group(1)[:80] if question else '?'}", "citations": ks[:2]}
        return {"supported": True, **out} if schema.__name__ == "AnswerDraft" else out
    return responder(messages, schema, keys)


def make_deps(settings: Settings) -> Deps:
    return Deps(llm=ScriptedLLM(responder=chat_responder), retriever=FakeRetriever(), settings=settings, embedder=FakeEmbedder())


def make_real_llm_deps(settings: Settings) -> Deps:
    """The embedded GGUF model (llama.cpp) with the in-memory retriever: for the real-model chat test.

    The literature index is a separate component; the in-memory records keep the test about the
    chat and the model, and its citations checkable.
    """
    from hypoforge.agents.deps import build_llm

    return Deps(llm=build_llm(settings), retriever=FakeRetriever(), settings=settings, embedder=FakeEmbedder())
