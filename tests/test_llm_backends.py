"""LLM backends without a model: the endpoint client's fallbacks, the scripted fake, the cache."""

from __future__ import annotations

import email
import io
import time
import json
import urllib.error

import pytest

from hypoforge.agents import models as m
from hypoforge.agents.llm import LLMEndpointError, LLMOutputError, OpenAICompatibleLLM, ResponseCache, ScriptedLLM
from hypoforge.errors import UserError

GOOD = {"reason": "A has a mechanism", "winner": "A"}


class Server:
    """Scripted endpoint: a list of (status, content[, headers]) replies; records request bodies.

    Status 200 wraps ``content`` as the message; ``"raw"`` sends ``content`` as the whole body;
    ``"timeout"`` raises a socket timeout; any other status is an HTTP error with that body.
    """

    def __init__(self, replies):
        self.replies = list(replies)
        self.requests = []

    def __call__(self, req, timeout):
        body = json.loads(req.data.decode())
        self.requests.append(body)
        status, content, *headers = self.replies.pop(0)
        if status == "timeout":
            raise TimeoutError("timed out")
        if status not in (200, "raw"):
            detail = (content or "response_format not supported").encode()
            raise urllib.error.HTTPError(req.full_url, status, "err", email.message_from_string("".join(headers)), io.BytesIO(detail))
        payload = content if status == "raw" else json.dumps(
            {"choices": [{"message": {"content": content}}], "usage": {"prompt_tokens": 5, "completion_tokens": 3}})

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
    bad = {"title": "A title here", "statement": "A statement of twenty characters.",
           "cause": {"claim": "a claim of some length", "key": "PMID:9"}, "intermediate": {"claim": "another claim here", "key": "PMID:9"},
           "effect": {"claim": "a third claim here", "key": "PMID:9"},
           "prediction1": {"readout": "level", "direction": "higher", "comparison": "in some"},
           "prediction2": {"readout": "score", "direction": "lower", "comparison": "in others"}}
    server = Server([(200, json.dumps(bad))] + [(200, json.dumps(bad))] * 3)
    llm = OpenAICompatibleLLM("http://host:1", opener=server)
    with pytest.raises(LLMOutputError):
        llm.structured(MSGS, m.HypothesisDraft, keys=["PMID:1"])
    enum = server.requests[0]["response_format"]["json_schema"]["schema"]["$defs"]["ChainStepDraft"]["properties"]["key"]["enum"]
    assert enum == ["PMID:1"]


def endpoint(server, **kw):
    """An endpoint client whose waits are recorded instead of slept."""
    waits = []
    llm = OpenAICompatibleLLM("http://host:1", opener=server, sleep=waits.append, **kw)
    return llm, waits


def test_endpoint_retries_5xx_and_malformed_bodies_with_backoff():
    server = Server([(500, '{"error": "internal"}'), ("raw", "not json {"), ("raw", '{"no": "choices"}'), (200, json.dumps(GOOD))])
    llm, waits = endpoint(server)
    assert llm.structured(MSGS, m.JudgementDraft).winner == "A"
    assert waits == [1.0, 2.0, 4.0] and llm.stats.retries == 3 and llm.retries_left == 27
    assert all(r["messages"] == MSGS for r in server.requests)  # transport retries resend the same request


def test_endpoint_honours_a_sane_retry_after_and_refuses_a_long_one():
    llm, waits = endpoint(Server([(429, "slow down", "Retry-After: 7\n\n"), (200, json.dumps(GOOD))]))
    assert llm.structured(MSGS, m.JudgementDraft).winner == "A" and waits == [7.0]
    server = Server([(429, "slow down", "Retry-After: 3600\n\n")])
    llm, waits = endpoint(server)
    with pytest.raises(LLMEndpointError, match="asks to wait 3600 s") as info:
        llm.structured(MSGS, m.JudgementDraft)
    assert waits == [] and len(server.requests) == 1 and "http://host:1" in str(info.value)


def test_endpoint_gives_up_on_persistent_5xx_with_one_line_naming_it():
    server = Server([(500, '{"error": "internal"}')] * 3)
    llm, waits = endpoint(server, max_retries=2)
    with pytest.raises(LLMEndpointError) as info:
        llm.structured(MSGS, m.JudgementDraft)
    msg = str(info.value)
    assert isinstance(info.value, UserError) and "\n" not in msg
    assert "http://host:1 failed after 3 tries" in msg and "HTTP 500" in msg
    assert len(server.requests) == 3 and waits == [1.0, 2.0]


def test_endpoint_retry_budget_is_shared_by_the_whole_run():
    server = Server([(503, "busy"), (200, json.dumps(GOOD)), (503, "busy"), (503, "busy")])
    llm, _ = endpoint(server, retry_budget=1)
    assert llm.structured(MSGS, m.JudgementDraft).winner == "A"
    with pytest.raises(LLMEndpointError, match="retry budget of 1"):
        llm.structured(MSGS, m.JudgementDraft)
    assert len(server.requests) == 3


def test_endpoint_client_errors_and_timeouts_are_not_retried():
    llm, _ = endpoint(Server([(401, "bad key")]))
    with pytest.raises(LLMEndpointError, match="rejected the request .HTTP 401: bad key"):
        llm.chat(MSGS)
    server = Server([("timeout", "")])
    llm, _ = endpoint(server, timeout=5)
    with pytest.raises(LLMEndpointError, match="did not answer within 5 s"):
        llm.structured(MSGS, m.JudgementDraft)
    assert len(server.requests) == 1


def test_endpoint_timeout_bounds_the_whole_call_not_each_read():
    class Trickle:
        """A server that sends one byte every 50 ms, forever."""

        def __enter__(self):
            return self

        def __exit__(self, *a):
            return False

        def read1(self, n):
            time.sleep(0.05)
            return b" "

        def read(self, n):  # a buffered read would wait for all n bytes
            raise AssertionError("read() blocks until n bytes arrive; read1() must be used")

    llm, _ = endpoint(lambda req, timeout: Trickle(), timeout=0.2)
    with pytest.raises(LLMEndpointError, match="did not answer within 0.2 s"):
        llm.chat(MSGS)


def test_endpoint_wrong_schema_is_fed_back_then_fails_as_one_line():
    server = Server([(200, '{"verdict": 3}')] * 4)
    llm, waits = endpoint(server)
    with pytest.raises(LLMOutputError) as info:
        llm.structured(MSGS, m.JudgementDraft)
    assert "gave no valid JudgementDraft after 4 tries" in str(info.value) and "winner: Field required" in str(info.value)
    assert waits == []  # invalid output is retried at once
    assert "winner: Field required" in server.requests[1]["messages"][-1]["content"]
    assert server.requests[1]["messages"][-2] == {"role": "assistant", "content": '{"verdict": 3}'}


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


def test_saved_prefix_states_are_bounded_and_drop_their_logits():
    np = pytest.importorskip("numpy")
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (it is in the base install)")
    from types import SimpleNamespace

    from hypoforge.agents.llm.states import PrefixStates

    cache = PrefixStates(max_states=2)
    for i in range(3):
        cache[(1, 2, i)] = SimpleNamespace(scores=np.ones((512, 10), dtype=np.float32), llama_state_size=100)
    assert list(cache.cache_state) == [(1, 2, 1), (1, 2, 2)]  # the oldest went first
    assert all(v.scores.shape == (1, 10) for v in cache.cache_state.values())
    assert cache[(1, 2, 2, 7)] is cache.cache_state[(1, 2, 2)]  # the longest shared prefix wins


def test_another_sample_moves_the_seed_and_warms_the_temperature():
    from hypoforge.agents.llm.backends import SAMPLE_TEMPERATURE, sampling

    assert sampling(7, 0.2, 0) == (7, 0.2), "sample 0 is the configured sampling"
    assert sampling(7, 0.2, 1) == (8, SAMPLE_TEMPERATURE) and sampling(7, 0.2, 2) == (9, SAMPLE_TEMPERATURE)
    assert sampling(7, 1.0, 1) == (8, 1.0), "a warmer configured temperature is kept"
    server = Server([(200, json.dumps(GOOD)), (200, json.dumps(GOOD))])
    llm = OpenAICompatibleLLM("http://host:1/v1", opener=server, seed=7, temperature=0.2)
    llm.structured(MSGS, m.JudgementDraft)
    llm.structured(MSGS, m.JudgementDraft, sample=1)
    assert [(r["seed"], r["temperature"]) for r in server.requests] == [(7, 0.2), (8, SAMPLE_TEMPERATURE)]


def test_the_embedded_model_caches_each_sample_under_its_own_seed_and_temperature(tmp_path):
    """Answered from the cache (the model file is never loaded): sample 0 and sample 1 of one prompt
    are two entries, keyed by their own seed and temperature."""
    from hypoforge.agents.llm.backends import LlamaCppLLM, sampling
    from hypoforge.agents.llm.backends import schema_for

    cache = ResponseCache(tmp_path / "cache")
    js = schema_for(m.JudgementDraft, None)
    for sample, winner in ((0, "A"), (1, "B")):
        seed, temp = sampling(7, 0.2, sample)
        cache.put(ResponseCache.key("qwen", seed, temp, 1.1, MSGS, js, 512), json.dumps({"reason": "cached", "winner": winner}))
    llm = LlamaCppLLM(tmp_path / "absent.gguf", name="qwen", seed=7, temperature=0.2, cache=cache)
    assert llm.structured(MSGS, m.JudgementDraft).winner == "A"
    assert llm.structured(MSGS, m.JudgementDraft, sample=1).winner == "B"
    assert llm.stats.cached == 2 and llm._llama is None
