"""LLM backends without a model: the endpoint client's fallbacks, the scripted fake, the cache."""

from __future__ import annotations

import io
import json
import urllib.error

import pytest

from hypoforge.agents import models as m
from hypoforge.agents.llm import LLMOutputError, OpenAICompatibleLLM, ResponseCache, ScriptedLLM

GOOD = {"reason": "A has a mechanism", "winner": "A"}


class Server:
    """Scripted endpoint: a list of (status, content) replies; records request bodies."""

    def __init__(self, replies):
        self.replies = list(replies)
        self.requests = []

    def __call__(self, req, timeout):
        body = json.loads(req.data.decode())
        self.requests.append(body)
        status, content = self.replies.pop(0)
        if status != 200:
            raise urllib.error.HTTPError(req.full_url, status, "err", {}, io.BytesIO(b"response_format not supported"))
        payload = json.dumps({"choices": [{"message": {"content": content}}], "usage": {"prompt_tokens": 5, "completion_tokens": 3}})

        class Resp(io.BytesIO):
            def __enter__(self):
                return self

            def __exit__(self, *a):
                return False

        return Resp(payload.encode())


MSGS = [{"role": "user", "content": "compare"}]


def test_endpoint_uses_json_schema_response_format():
    server = Server([(200, json.dumps(GOOD))])
    llm = OpenAICompatibleLLM("http://host:1/v1", opener=server)
    assert llm.structured(MSGS, m.JudgementDraft).winner == "A"
    fmt = server.requests[0]["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["schema"]["properties"]["winner"]["enum"] == ["A", "B"]
    assert llm.stats.prompt_tokens == 5 and llm.remote


def test_endpoint_falls_back_to_validate_and_retry_with_the_error_fed_back():
    server = Server([(400, ""), (200, "not json"), (200, "```json\n" + json.dumps(GOOD) + "\n```")])
    llm = OpenAICompatibleLLM("http://host:1", opener=server)
    assert llm.structured(MSGS, m.JudgementDraft).winner == "A"
    assert llm.json_schema_supported is False and llm.stats.retries == 1
    assert "response_format" not in server.requests[1]
    assert "invalid" in server.requests[2]["messages"][-1]["content"]


def test_endpoint_gives_up_after_bounded_retries():
    server = Server([(400, "")] + [(200, '{"winner": "C"}')] * 3)
    llm = OpenAICompatibleLLM("http://host:1", opener=server, max_retries=2)
    with pytest.raises(LLMOutputError, match="after 3 tries"):
        llm.structured(MSGS, m.JudgementDraft)


def test_endpoint_citations_outside_the_retrieved_set_fail_validation():
    bad = {"title": "t", "statement": "s", "mechanism": "m", "predictions": ["p"], "citations": ["PMID:9"]}
    server = Server([(200, json.dumps(bad))] + [(200, json.dumps(bad))] * 3)
    llm = OpenAICompatibleLLM("http://host:1", opener=server)
    with pytest.raises(LLMOutputError):
        llm.structured(MSGS, m.HypothesisDraft, keys=["PMID:1"])
    enum = server.requests[0]["response_format"]["json_schema"]["schema"]["properties"]["citations"]["items"]["enum"]
    assert enum == ["PMID:1"]


def test_scripted_llm_queues_per_schema_and_records_calls():
    llm = ScriptedLLM(responses={"JudgementDraft": [GOOD, {"reason": "r", "winner": "B"}]})
    assert llm.structured(MSGS, m.JudgementDraft).winner == "A"
    assert llm.structured(MSGS, m.JudgementDraft).winner == "B"
    with pytest.raises(AssertionError, match="no response scripted for JudgementDraft"):
        llm.structured(MSGS, m.JudgementDraft)
    assert [c.schema for c in llm.calls] == ["JudgementDraft"] * 3


def test_response_cache_round_trip(tmp_path):
    cache = ResponseCache(tmp_path)
    key = ResponseCache.key("model", 7, [{"role": "user", "content": "x"}], {"type": "object"})
    assert cache.get(key) is None
    cache.put(key, json.dumps(GOOD))
    assert json.loads(cache.get(key)) == GOOD
    assert key != ResponseCache.key("model", 8, [{"role": "user", "content": "x"}], {"type": "object"})
