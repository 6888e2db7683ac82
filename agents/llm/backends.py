"""The LLM backends: one small protocol and three implementations.

``structured(messages, schema, keys=...)`` returns a validated instance of a pydantic model;
``chat(messages)`` returns text (for the chat UI). Backends:

* :class:`LlamaCppLLM` (default): an embedded GGUF model through llama-cpp-python. Structured output
  is grammar-constrained JSON derived from the schema (see :mod:`hypoforge.agents.llm.grammar`), so the
  model cannot emit invalid JSON, overlong fields, or a citation key that was not retrieved. Calls
  that share a prompt prefix reuse llama.cpp's KV cache, so agents put the stable part (goal,
  evidence) first.
* :class:`OpenAICompatibleLLM`: any ``/v1/chat/completions`` endpoint (llama.cpp server, vLLM, a
  hosted API). Uses a JSON-schema response format where the server supports it, otherwise
  validates and retries a bounded number of times with the validation error fed back.
* :class:`ScriptedLLM`: deterministic responses for tests and demos: queues per schema name and/or
  a responder function; records every call.

All backends validate with the allowed citation keys in the pydantic context, so a key outside the
retrieved set fails validation on every backend, not only where a grammar can enforce it.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import urllib.error
import urllib.request
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar, runtime_checkable

from hypoforge.agents.llm.grammar import constrain_keys, max_chars, schema_to_gbnf
from hypoforge.agents.llm.threads import AutoThreads, usable_cores
from hypoforge.errors import UserError
from hypoforge.files import write_atomic
from pydantic import BaseModel, ValidationError

T = TypeVar("T", bound=BaseModel)
Message = dict[str, str]


@dataclass
class LLMStats:
    """Counters every backend keeps; the benchmarks and run stats read them."""

    calls: int = 0
    cached: int = 0
    prompt_tokens: int = 0
    prompt_eval_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    retries: int = 0

    def as_dict(self) -> dict[str, float]:
        return dict(self.__dict__)


#: Sampling temperature of another sample of the same prompt (``sample`` > 0, with the seed moved by
#: ``sample``): at the default 0.2 a new seed rarely changes a token, so a second draft would repeat
#: the first (:func:`hypoforge.agents.drafting.write_hypothesis` keeps the draft failing fewest checks).
SAMPLE_TEMPERATURE = 0.7


def sampling(seed: int, temperature: float, sample: int) -> tuple[int, float]:
    """The seed and temperature of sample ``sample`` of a prompt (0: the configured ones)."""
    return (seed, temperature) if sample == 0 else (seed + sample, max(temperature, SAMPLE_TEMPERATURE))


@runtime_checkable
class LLM(Protocol):
    name: str
    stats: LLMStats
    remote: bool  # True when prompts leave this machine (an endpoint)

    def structured(
        self, messages: Sequence[Message], schema: type[T], *, keys: Sequence[str] | None = None, max_tokens: int = 512,
        sample: int = 0,
    ) -> T: ...

    def chat(self, messages: Sequence[Message], *, max_tokens: int = 512) -> str: ...


class LLMOutputError(UserError):
    """The model's output could not be validated against the schema (after retries).

    A :class:`~hypoforge.errors.UserError`, so the CLI reports it as one line (exit code 2) rather
    than a traceback; the step that asked was not checkpointed, so ``resume`` repeats it."""


def validate_output(schema: type[T], data: Any, keys: Sequence[str] | None) -> T:
    """Validate raw model output (JSON text or a dict) with the citation-key context."""
    context = {"citation_keys": set(keys)} if keys is not None else None
    if isinstance(data, BaseModel):
        data = data.model_dump()
    if isinstance(data, str):
        return schema.model_validate_json(data, context=context)
    return schema.model_validate(data, context=context)


def schema_for(schema: type[BaseModel], keys: Sequence[str] | None) -> dict[str, Any]:
    """The JSON schema sent to the decoder, with citation keys restricted to ``keys``."""
    js = schema.model_json_schema()
    return constrain_keys(js, keys) if keys is not None else js


class ResponseCache:
    """Optional on-disk cache of structured responses, keyed by model, prompt, schema and keys."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)

    @staticmethod
    def key(*parts: Any) -> str:
        blob = json.dumps(parts, sort_keys=True, default=str).encode("utf-8")
        return hashlib.sha256(blob).hexdigest()

    def get(self, key: str) -> str | None:
        path = self.directory / key[:2] / f"{key}.json"
        return path.read_text("utf-8") if path.exists() else None

    def put(self, key: str, value: str) -> None:
        write_atomic(self.directory / key[:2] / f"{key}.json", value)


# ---------------------------------------------------------------- embedded llama.cpp


class LlamaCppLLM:
    """An embedded GGUF model run by llama-cpp-python (chat template from the file's metadata)."""

    def __init__(
        self,
        model_path: Path,
        *,
        name: str | None = None,
        n_ctx: int = 4096,
        n_threads: int | None = None,
        seed: int = 0,
        temperature: float = 0.2,
        repeat_penalty: float = 1.1,
        cache: ResponseCache | None = None,
    ) -> None:
        self.model_path = Path(model_path)
        # Small models repeat themselves (one prediction three times); a mild penalty on recently
        # generated tokens counters that. Tokens the grammar forces (JSON keys) are unaffected.
        self.repeat_penalty = repeat_penalty
        self.name = name or self.model_path.name
        self.n_ctx = n_ctx
        # None: the automatic count (idle physical cores, re-measured before every call; see
        # hypoforge.agents.llm.threads); a number fixes it.
        self.n_threads = n_threads
        self.auto_threads = AutoThreads() if n_threads is None else None
        self.threads_used = n_threads or usable_cores()  # the count the context runs with now
        self.seed = seed
        self.temperature = temperature
        self.cache = cache
        self.stats = LLMStats()
        self.remote = False  # runs in this process: prompts never leave the machine
        self.prefix_reuse = True  # the live KV prefix and saved states of recent calls (llm/states.py)
        self.grammar_prefilter = True  # see hypoforge.agents.llm.prefilter
        self._llama: Any = None
        self._evaluated = 0  # tokens passed to llama.eval, prompt and generated alike

    def _load(self) -> Any:
        if self._llama is None:
            check_gguf(self.model_path)
            from llama_cpp import Llama

            try:
                self._llama = Llama(
                    model_path=str(self.model_path),
                    n_ctx=self.n_ctx,
                    # Prompt evaluation too: llama-cpp-python otherwise uses every core for batches,
                    # so parallel workers with one thread each would still fight over all cores.
                    n_threads=self.threads_used,
                    n_threads_batch=self.threads_used,
                    seed=self.seed,
                    verbose=False,
                )
            except (ValueError, RuntimeError) as exc:
                raise UserError(
                    f"could not load GGUF model {self.model_path}: {exc}; check the file is a complete GGUF model"
                ) from exc
            self._instrument(self._llama)
            if self.prefix_reuse:
                from hypoforge.agents.llm.states import PrefixStates

                self._llama.set_cache(PrefixStates())
            if self.grammar_prefilter:
                from hypoforge.agents.llm.prefilter import install

                install(self._llama)
        return self._llama

    def _instrument(self, llama: Any) -> None:
        """Count tokens actually evaluated, so prefix-cache reuse is measured, not assumed."""
        original = llama.eval

        def counting_eval(tokens: Sequence[int]) -> None:
            self._evaluated += len(tokens)
            original(tokens)

        llama.eval = counting_eval

    def _set_threads(self, llama: Any) -> None:
        """Re-measure the automatic thread count and give it to the context (generation and prompt)."""
        if self.auto_threads is None:
            return
        n = self.auto_threads.choose()
        if n != self.threads_used:
            import llama_cpp

            llama_cpp.llama_set_n_threads(llama.ctx, n, n)
            self.threads_used = n

    def _complete(self, messages: Sequence[Message], *, max_tokens: int, grammar: Any = None, sample: int = 0) -> str:
        llama = self._load()
        seed, temperature = sampling(self.seed, self.temperature, sample)
        self._set_threads(llama)
        if not self.prefix_reuse:
            llama.reset()
            llama.set_cache(None)
        t0 = time.perf_counter()
        evals_before = self._evaluated
        out = llama.create_chat_completion(
            messages=list(messages),
            max_tokens=max_tokens,
            temperature=temperature,
            repeat_penalty=self.repeat_penalty,
            seed=seed,
            grammar=grammar,
        )
        self.stats.seconds += time.perf_counter() - t0
        usage = out.get("usage") or {}
        completion = int(usage.get("completion_tokens", 0))
        self.stats.calls += 1
        self.stats.prompt_tokens += int(usage.get("prompt_tokens", 0))
        self.stats.completion_tokens += completion
        # Each generated token is evaluated once by itself; the rest of the evals were prompt.
        self.stats.prompt_eval_tokens += max(0, self._evaluated - evals_before - completion)
        return str(out["choices"][0]["message"]["content"] or "")

    def structured(
        self, messages: Sequence[Message], schema: type[T], *, keys: Sequence[str] | None = None, max_tokens: int = 512,
        sample: int = 0,
    ) -> T:
        from llama_cpp import LlamaGrammar

        js = schema_for(schema, keys)
        seed, temperature = sampling(self.seed, self.temperature, sample)
        cache_key = ResponseCache.key(self.name, seed, temperature, self.repeat_penalty, list(messages), js, max_tokens)
        if self.cache is not None and (hit := self.cache.get(cache_key)) is not None:
            self.stats.cached += 1
            return validate_output(schema, hit, keys)
        grammar = LlamaGrammar.from_string(schema_to_gbnf(js), verbose=False)
        # The grammar bounds every field, so the output has a known maximum length; size the token
        # budget to it (a token is rarely under two characters) so JSON is never cut off mid-way.
        # If a model spends more than that (odd characters cost several tokens), one retry gets a
        # budget of a token per character, which the grammar's bounds make sufficient in practice.
        chars = max_chars(js)
        for budget in (max(max_tokens, chars // 2 + 16), chars + 16):
            text = self._complete(messages, max_tokens=budget, grammar=grammar, sample=sample)
            try:
                result = validate_output(schema, text, keys)
                break
            except ValidationError as exc:
                error = exc
                self.stats.retries += 1
        else:
            raise LLMOutputError(
                f"{self.name} produced output that does not validate as {schema.__name__} "
                f"(after {budget} tokens): {error.errors()[0]['msg']}"
            ) from error
        if self.cache is not None:
            self.cache.put(cache_key, text)
        return result

    def chat(self, messages: Sequence[Message], *, max_tokens: int = 512) -> str:
        return self._complete(messages, max_tokens=max_tokens)


GGUF_MAGIC = b"GGUF"


def check_gguf(path: Path) -> None:
    """Fail with a one-line error when ``path`` is missing or is not a GGUF file."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"model file {path} does not exist; pass a GGUF path or a name from 'hypoforge models list'")
    with path.open("rb") as fh:
        magic = fh.read(4)
    if magic != GGUF_MAGIC or path.stat().st_size < 1024:
        raise UserError(f"model file {path} is not a valid GGUF file (bad header or truncated); re-download or re-pull it")


# ---------------------------------------------------------------- OpenAI-compatible endpoint

#: The largest response body read from an endpoint; a bigger one counts as malformed.
MAX_RESPONSE_BYTES = 4 * 1024 * 1024
#: A ``Retry-After`` above this many seconds is not waited for: the call fails at once, resumable.
MAX_RETRY_AFTER_S = 60.0
#: Backoff between transport retries doubles from ``backoff_s`` up to this cap.
MAX_BACKOFF_S = 30.0
#: Statuses meaning "this server has no ``response_format: json_schema``": fall back to prompting.
_NO_JSON_SCHEMA = (400, 404, 422, 501)
_RESUME_HINT = "it can be continued once the endpoint works"  # the CLI adds the run's own resume command


class LLMEndpointError(UserError):
    """An endpoint kept failing (HTTP 5xx or 429, malformed bodies, a timeout, a refused request) or
    the run's retry budget is spent. One line naming the endpoint and the cause, exit code 2; the
    step that asked has not been checkpointed, so ``resume`` repeats it and nothing is lost."""


class _Retryable(Exception):
    """A transport fault worth another try: HTTP 5xx/429, a malformed body, a dropped connection."""

    def __init__(self, cause: str, retry_after: float | None = None) -> None:
        super().__init__(cause)
        self.retry_after = retry_after


class _HTTPStatus(Exception):
    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.body = body


def _retry_after(headers: Any) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date); None when absent or odd."""
    value = (headers.get("Retry-After") if headers is not None else None) or ""
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    return seconds if seconds == seconds and seconds >= 0 else None  # NaN and negatives are odd


@dataclass
class _CallTries:
    """Failed attempts of one call; each retry also spends one from the endpoint's run budget."""

    failures: int = 0
    transport_failures: int = 0


class OpenAICompatibleLLM:
    """A ``/v1/chat/completions`` endpoint. The API key is read from an environment variable.

    Retry policy (``LLMSettings``: ``timeout_s``, ``retries``, ``retry_budget``, ``retry_backoff_s``):

    * each call is tried at most ``1 + max_retries`` times. HTTP 5xx, 429, a body that is not JSON
      or lacks ``choices``, and a dropped connection are retried after a backoff that doubles from
      ``backoff_s`` (capped at 30 s); a 429/503 ``Retry-After`` of up to 60 s is waited instead, a
      longer one fails the call at once. Output that does not validate (wrong schema, a citation
      key outside the retrieved set) is retried at once with the validation error fed back;
    * every retry, of any kind, spends one of ``retry_budget`` retries shared by the whole run, so
      a failing endpoint cannot multiply a run's cost;
    * ``timeout`` bounds a whole call (connect, wait and read); a timeout, a refused connection and
      a 4xx other than 429 are not retried;
    * when attempts or the budget run out the call raises :class:`LLMEndpointError` (transport) or
      :class:`LLMOutputError` (output), one line naming the endpoint and the cause. Both are
      :class:`~hypoforge.errors.UserError`: the CLI prints the line and exits 2, and as the failing
      step was never checkpointed, ``hypoforge resume`` repeats it.
    """

    def __init__(
        self,
        base_url: str,
        *,
        model: str = "default",
        api_key_env: str = "HYPOFORGE_LLM_API_KEY",
        temperature: float = 0.2,
        seed: int = 0,
        timeout: float = 120.0,
        max_retries: int = 3,
        retry_budget: int = 30,
        backoff_s: float = 1.0,
        opener: Callable[[urllib.request.Request, float], Any] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.name = f"{model}@{self.base_url}"
        self.api_key = os.environ.get(api_key_env, "")
        self.temperature = temperature
        self.seed = seed
        self.timeout = timeout
        self.max_retries = max_retries
        self.retry_budget = retry_budget
        self.retries_left = retry_budget
        self.backoff_s = backoff_s
        self.stats = LLMStats()
        # Any endpoint counts as remote, even on localhost: patient data stays out of its prompts
        # unless the user explicitly allows it (see hypoforge.agents.patient).
        self.remote = True
        self.json_schema_supported: bool | None = None
        self._open = opener or (lambda req, timeout: urllib.request.urlopen(req, timeout=timeout))
        self._sleep = sleep

    # ------------------------------------------------------------ one HTTP exchange
    def _send(self, payload: dict[str, Any]) -> dict[str, Any]:
        """POST once; the decoded body, or :class:`_Retryable` / :class:`_HTTPStatus` / a UserError."""
        import http.client

        url = self.base_url + ("/chat/completions" if self.base_url.endswith("/v1") else "/v1/chat/completions")
        req = urllib.request.Request(url, data=json.dumps(payload).encode("utf-8"), method="POST")
        req.add_header("Content-Type", "application/json")
        if self.api_key:
            req.add_header("Authorization", f"Bearer {self.api_key}")
        t0 = time.perf_counter()
        deadline = time.monotonic() + self.timeout
        try:
            with self._open(req, self.timeout) as resp:
                raw = self._read(resp, deadline)
        except urllib.error.HTTPError as exc:
            body = exc.read().decode("utf-8", "replace")[:300] if exc.fp is not None else ""
            body = " ".join(body.split())
            if exc.code == 429 or exc.code >= 500:
                after = _retry_after(exc.headers) if exc.code in (429, 503) else None
                raise _Retryable(f"HTTP {exc.code}: {body or exc.reason}", retry_after=after) from None
            raise _HTTPStatus(exc.code, body) from None
        except TimeoutError:
            raise self._timed_out() from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise self._timed_out() from None
            raise UserError(f"LLM endpoint {self.base_url} is unreachable ({exc.reason}); check --llm-url and that the server is running") from None
        except ConnectionRefusedError as exc:
            raise UserError(f"LLM endpoint {self.base_url} is unreachable ({exc}); check --llm-url and that the server is running") from None
        except (OSError, http.client.HTTPException) as exc:  # reset, dropped or cut-short connection
            raise _Retryable(f"connection failed: {type(exc).__name__}: {exc}") from None
        finally:
            self.stats.seconds += time.perf_counter() - t0
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise _Retryable(f"the response body is not JSON ({exc}): {raw[:80]!r}") from None
        if not isinstance(body, dict):
            raise _Retryable(f"the response body is not a JSON object: {raw[:80]!r}")
        self.stats.calls += 1
        usage = body.get("usage") if isinstance(body.get("usage"), dict) else {}
        for counter, key in (("prompt_tokens", "prompt_tokens"), ("completion_tokens", "completion_tokens")):
            value = usage.get(key)
            if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
                setattr(self.stats, counter, getattr(self.stats, counter) + value)
        return body

    def _read(self, resp: Any, deadline: float) -> bytes:
        """The whole body, in chunks, within the call's deadline and size limit."""
        chunks: list[bytes] = []
        size = 0
        read = getattr(resp, "read1", resp.read)  # read1: what has arrived, so a trickle meets the deadline
        while True:
            if time.monotonic() > deadline:
                raise TimeoutError
            chunk = read(65536)
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if size > MAX_RESPONSE_BYTES:
                raise _Retryable(f"the response is larger than {MAX_RESPONSE_BYTES // (1024 * 1024)} MiB")
            chunks.append(chunk)

    def _timed_out(self) -> LLMEndpointError:
        return LLMEndpointError(
            f"LLM endpoint {self.base_url} did not answer within {self.timeout:g} s (llm.timeout_s, "
            f"$HYPOFORGE_LLM_TIMEOUT); {_RESUME_HINT}"
        )

    @staticmethod
    def _content(body: dict[str, Any]) -> str:
        try:
            content = body["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError):
            raise _Retryable(f"unexpected response shape (no choices[0].message.content): {str(body)[:120]}") from None
        if content is not None and not isinstance(content, str):
            raise _Retryable(f"message content is {type(content).__name__}, not text")
        return content or ""

    # ------------------------------------------------------------ retries
    def _failed(self, tries: _CallTries, cause: str, *, output: type[BaseModel] | None = None,
                retry_after: float | None = None) -> None:
        """Record a failed attempt; wait and return when another is allowed, raise otherwise."""
        tries.failures += 1
        if tries.failures > self.max_retries:
            if output is not None:
                raise LLMOutputError(
                    f"LLM endpoint {self.base_url} gave no valid {output.__name__} after {tries.failures} tries "
                    f"(llm.retries): {cause}; {_RESUME_HINT}"
                )
            raise LLMEndpointError(f"LLM endpoint {self.base_url} failed after {tries.failures} tries (llm.retries): {cause}; {_RESUME_HINT}")
        if self.retries_left <= 0:
            raise LLMEndpointError(
                f"LLM endpoint {self.base_url}: the run's retry budget of {self.retry_budget} (llm.retry_budget) "
                f"is spent; last problem: {cause}; {_RESUME_HINT}"
            )
        if retry_after is not None and retry_after > MAX_RETRY_AFTER_S:
            raise LLMEndpointError(
                f"LLM endpoint {self.base_url} is rate-limiting ({cause}) and asks to wait {retry_after:.0f} s; {_RESUME_HINT}"
            )
        self.retries_left -= 1
        self.stats.retries += 1
        if output is None:  # transport faults back off; invalid output is retried at once
            tries.transport_failures += 1
            wait = retry_after if retry_after is not None else min(MAX_BACKOFF_S, self.backoff_s * 2 ** (tries.transport_failures - 1))
            if wait > 0:
                self._sleep(wait)

    def _completion(self, payload: dict[str, Any], tries: _CallTries) -> str:
        """The message text of one completion, retrying transport faults."""
        while True:
            try:
                return self._content(self._send(payload))
            except _Retryable as exc:
                self._failed(tries, str(exc), retry_after=exc.retry_after)

    def _rejected(self, exc: _HTTPStatus) -> LLMEndpointError:
        return LLMEndpointError(
            f"LLM endpoint {self.base_url} rejected the request (HTTP {exc.status}: {exc.body or 'no detail'}); "
            "check --llm-url, the model name and the API key variable"
        )

    def structured(
        self, messages: Sequence[Message], schema: type[T], *, keys: Sequence[str] | None = None, max_tokens: int = 512,
        sample: int = 0,
    ) -> T:
        js = schema_for(schema, keys)
        seed, temperature = sampling(self.seed, self.temperature, sample)
        base = {"model": self.model, "max_tokens": max_tokens, "temperature": temperature, "seed": seed}
        fmt = {"type": "json_schema", "json_schema": {"name": schema.__name__, "schema": js, "strict": True}}
        instruction = {
            "role": "user",
            "content": "Reply with one JSON object only, no prose, matching this JSON schema:\n" + json.dumps(js, separators=(",", ":")),
        }
        tries = _CallTries()
        feedback: list[Message] = []
        while True:
            use_schema = self.json_schema_supported is not False
            msgs = [*messages, *([] if use_schema else [instruction]), *feedback]
            payload = {**base, "messages": msgs, **({"response_format": fmt} if use_schema else {})}
            try:
                text = self._completion(payload, tries)
            except _HTTPStatus as exc:
                if use_schema and exc.status in _NO_JSON_SCHEMA:
                    self.json_schema_supported = False  # prompt with the schema instead (not a retry)
                    continue
                raise self._rejected(exc) from None
            if use_schema:
                self.json_schema_supported = True
            try:
                return validate_output(schema, _strip_fences(text), keys)
            except ValidationError as exc:
                problem = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'output'}: {e['msg']}" for e in exc.errors()[:5])
                self._failed(tries, problem, output=schema)
                feedback = [
                    *feedback,
                    {"role": "assistant", "content": text[:2000]},
                    {"role": "user", "content": f"That JSON was invalid ({problem}). Reply again with corrected JSON only."},
                ]

    def chat(self, messages: Sequence[Message], *, max_tokens: int = 512) -> str:
        payload = {"model": self.model, "messages": list(messages), "max_tokens": max_tokens, "temperature": self.temperature}
        try:
            return self._completion(payload, _CallTries())
        except _HTTPStatus as exc:
            raise self._rejected(exc) from None


def _strip_fences(text: str) -> str:
    text = text.strip()
    if text.startswith("```"):
        text = text.split("\n", 1)[1] if "\n" in text else text
        text = text.rsplit("```", 1)[0]
    return text.strip()


# ---------------------------------------------------------------- scripted fake


@dataclass
class ScriptedCall:
    schema: str
    messages: list[Message]
    keys: list[str] | None
    sample: int = 0  # another sample of the same prompt (see LLM.structured)


Responder = Callable[[Sequence[Message], type[BaseModel], "Sequence[str] | None"], Any]


@dataclass
class ScriptedLLM:
    """Deterministic LLM for tests: per-schema response queues, then an optional responder.

    Responses may be dicts, JSON strings or model instances; they are validated exactly like real
    output (including the citation-key context), so a script that cites an unretrieved key fails.
    """

    responses: dict[str, Iterable[Any]] = field(default_factory=dict)
    responder: Responder | None = None
    chat_replies: list[str] = field(default_factory=list)
    name: str = "scripted"
    remote: bool = False
    stats: LLMStats = field(default_factory=LLMStats)
    calls: list[ScriptedCall] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._queues: dict[str, deque[Any]] = defaultdict(deque)
        for schema, items in self.responses.items():
            self._queues[schema].extend(items)

    def structured(
        self, messages: Sequence[Message], schema: type[T], *, keys: Sequence[str] | None = None, max_tokens: int = 512,
        sample: int = 0,
    ) -> T:
        self.calls.append(ScriptedCall(schema.__name__, list(messages), list(keys) if keys is not None else None, sample))
        self.stats.calls += 1
        queue = self._queues.get(schema.__name__)
        if queue:
            item = queue.popleft()
        elif self.responder is not None:
            item = self.responder(messages, schema, keys)
        else:
            raise AssertionError(f"ScriptedLLM has no response scripted for {schema.__name__}")
        if isinstance(item, BaseException):
            raise item
        return validate_output(schema, item, keys)

    def chat(self, messages: Sequence[Message], *, max_tokens: int = 512) -> str:
        self.calls.append(ScriptedCall("chat", list(messages), None))
        self.stats.calls += 1
        if not self.chat_replies:
            raise AssertionError("ScriptedLLM has no chat reply scripted")
        return self.chat_replies.pop(0)
