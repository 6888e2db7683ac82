"""A run against a local endpoint that fails in every way: one line, exit 2, and resume loses nothing.

The fake server on 127.0.0.1 answers with the scripted responder (tests/fakes.py) until it is told
to fail; from then on every request gets the fault. The run must stop with one line on stderr that
names the endpoint and the cause; once the server is healthy again, ``hypoforge resume`` must finish
the run with the same proposals an undisturbed run makes.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from fakes import endpoint_answer

from hypoforge.cli import main

ROOT = Path(__file__).resolve().parent.parent
GOAL = "Why do some RA patients not respond to methotrexate?"


class FaultyEndpoint(ThreadingHTTPServer):
    """``fault`` is None (healthy) or one of FAULTS; it applies from request ``fail_from`` on."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fault: str | None = None
        self.fail_from = 0
        self.requests = 0
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


FAULTS = {
    "500": "HTTP 500",
    "429": "HTTP 429",
    "malformed": "not JSON",
    "wrong_schema": "Field required",
    "foreign_keys": "citation",
}


class _Handler(BaseHTTPRequestHandler):
    server: FaultyEndpoint

    def log_message(self, *args: object) -> None:  # keep the test output quiet
        pass

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.server.lock:
            self.server.requests += 1
            fault = self.server.fault if self.server.requests > self.server.fail_from else None
        content = endpoint_answer(request)
        name = request["response_format"]["json_schema"]["name"]
        if fault == "500":
            return self._send(500, b'{"error": "internal"}')
        if fault == "429":
            return self._send(429, b'{"error": "rate limited"}', {"Retry-After": "0"})
        if fault == "malformed":
            return self._send(200, b'{"choices": [{"message": {"content": "trunc')
        if fault == "wrong_schema":
            content = json.dumps({"unexpected": True})
        if fault == "foreign_keys" and name in ("HypothesisDraft", "EvidenceNotes"):
            data = json.loads(content)
            if name == "HypothesisDraft":
                data["citations"] = ["PMID:99999999"]
            else:
                data["notes"] = [{"key": "PMID:99999999", "bearing": "not retrieved"}]
            content = json.dumps(data)
        body = {"choices": [{"message": {"content": content}}], "usage": {"prompt_tokens": 1, "completion_tokens": 1}}
        self._send(200, json.dumps(body).encode())


@pytest.fixture()
def server():
    srv = FaultyEndpoint()
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    from hypoforge.knowledge.embeddings import load_embedder
    from hypoforge.knowledge.store import KnowledgeIndex

    path = tmp_path_factory.mktemp("ix") / "index"
    KnowledgeIndex(path, embedder=load_embedder(None)).add_starter(ROOT / "tests" / "data" / "starter_cards_fixture.jsonl")
    return path


@pytest.fixture()
def env(monkeypatch, tmp_path):
    monkeypatch.setenv("HYPOFORGE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HYPOFORGE_LLM_RETRIES", "2")
    monkeypatch.setenv("HYPOFORGE_LLM_RETRY_BACKOFF", "0")  # no waiting in tests; the policy is unit-tested
    monkeypatch.setenv("HYPOFORGE_DISABLE_PLUGIN_AUTOLOAD", "1")
    return tmp_path / "data"


def run_args(server: FaultyEndpoint, index: Path) -> list[str]:
    return ["run", GOAL, "--llm-url", server.url, "--index", str(index), "--rounds", "1", "--hypotheses", "2", "--json"]


def proposals(report: dict) -> list[tuple[str, str, tuple[str, ...]]]:
    return sorted((p["title"], p["statement"], tuple(c["key"] for c in p["citations"])) for p in report["proposals"])


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_endpoint_fault_is_one_line_and_resume_finishes_the_run(fault, server, index, env, capsys, tmp_path, monkeypatch):
    # The undisturbed run: what the faulty run must end up with (same run id, another data dir).
    monkeypatch.setattr("hypoforge.agents.run.new_run_id", lambda: "20260101-000000-fa0175")
    assert main(run_args(server, index)) == 0
    clean = json.loads(capsys.readouterr().out)
    total = server.requests

    monkeypatch.setenv("HYPOFORGE_DATA_DIR", str(tmp_path / "data2"))
    # Mid-run, so some steps are checkpointed before the fault; foreign keys from the first call
    # that has citations.
    server.fault, server.fail_from, server.requests = fault, 0 if fault == "foreign_keys" else total // 2, 0
    code = main(run_args(server, index))
    err = capsys.readouterr().err
    # stderr: the progress line naming the model and the run-id announcement, then the error as one line.
    lines = [line for line in err.splitlines() if line.strip() and not line.startswith(("model: ", "hypoforge: run "))]
    assert code == 2 and len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith("hypoforge: error: LLM endpoint http://127.0.0.1:") and FAULTS[fault] in lines[0]
    assert "hypoforge resume 20260101-000000-fa0175" in lines[0], "the error names the real run id to resume"

    server.fault = None
    assert main(["resume", "20260101-000000-fa0175", "--json"]) == 0
    resumed = json.loads(capsys.readouterr().out)
    assert proposals(resumed) == proposals(clean)  # nothing lost, nothing duplicated
    assert len({p["id"] for p in resumed["proposals"]}) == len(resumed["proposals"])
