"""Reliability under hostile input and faults (issue 12): crashes, hangs and lost data. Target 0 / 0 / 0.

One command runs every case as a subprocess of the real CLI (``python cli.py ...``) with a time
limit, in a temporary folder, and sorts the outcome:

* **crash**: a Python traceback on stderr (the user should have had one line);
* **hang**: the command did not end within its time limit;
* **data lost**: a run that was killed, interrupted or failed could not be resumed to the same
  report (same proposals, same Elo) as an uninterrupted run;
* **unexpected**: any other departure (a wrong exit code, more than one line of error, something
  created that should not be, control characters in a report): listed, not part of the target.

Cases: bad goals; bad paths (out dir, index, cache, data dir, model, patient files); run ids with
``../``; hostile VCFs; hostile YAML (alias bombs, ``!!python`` tags) in campaign specs and clinical
files; bad SMILES and tool arguments; bad index files; a local fake OpenAI-compatible endpoint on
127.0.0.1 failing in each way (HTTP 500 and 429, malformed JSON, wrong schema, citation keys outside
the retrieved set, empty body, closed connection, nothing listening), each followed by a resume
against a healthy endpoint; plugins that raise, exit or hang at import, declare an infinite or NaN
timeout, or return odd values; two runs at once on one data dir; ``kill -9`` of a run (before and
after its first checkpoint), SIGINT of a run, ``kill -9`` of a campaign driver (its workers must
die too), each followed by resume.

Models are scripted: the fake endpoint answers every schema from the prompt alone
(:func:`hypoforge.agents.scripted.responder`), campaigns use the scripted deps factory. No
model weights are loaded; the ONNX MiniLM embedder builds one tiny index.

    python bench/reliability.py [--only SUBSTRING] [--workers 2] [--verbose]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from _common import ROOT, bootstrap, result

CLI = [sys.executable, str(ROOT / "cli.py")]
GOAL = "Why do a third of rheumatoid arthritis patients not respond to methotrexate?"
SMALL = ["--rounds", "1", "--hypotheses", "2"]
FACTORY = "hypoforge.campaign.scripted:scripted_deps"


# ------------------------------------------------------------------ the fake endpoint


class Endpoint:
    """An OpenAI-compatible server on 127.0.0.1. The first path segment is a token whose mode
    (``ok``, ``slow``, ``e500``, ...) can be switched while it runs (to resume against a healed endpoint)."""

    def __init__(self) -> None:
        self.modes: dict[str, str] = {}
        self.requests: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.requests.append(raw.decode("utf-8", "replace"))
                token = self.path.strip("/").split("/")[0]
                outer.respond(self, outer.modes.get(token, token), raw)

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a client killed mid-request (the kill cases) is expected

        self.server = Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, token: str, mode: str | None = None) -> str:
        self.modes[token] = mode or token
        return f"http://127.0.0.1:{self.server.server_address[1]}/{token}/v1"

    def respond(self, h: BaseHTTPRequestHandler, mode: str, raw: bytes) -> None:
        def send(status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            h.send_response(status)
            for k, v in (headers or {}).items():
                h.send_header(k, v)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body)

        if mode == "e500":
            return send(500, b'{"error": "internal"}')
        if mode == "e429":
            return send(429, b'{"error": "rate limited"}', {"Retry-After": "0"})
        if mode == "badjson":
            return send(200, b'{"choices": [{"message": {"content": "{not json')
        if mode == "empty":
            return send(200, b"")
        if mode == "close":
            h.close_connection = True
            h.wfile.flush()
            return None
        body = json.loads(raw)
        content = answer(body, mode)
        if mode == "slow":
            time.sleep(0.25)
        send(200, json.dumps({"choices": [{"message": {"content": content}}], "usage": {}}).encode())


def answer(body: dict[str, Any], mode: str) -> str:
    from hypoforge.agents.scripted import responder as scripted
    from hypoforge.campaign.scripted import offered_keys, requested_schema

    fmt = body["response_format"]["json_schema"]
    name = fmt["name"]
    if mode == "wrongschema":
        return json.dumps({"unexpected": True})
    if name == "ToolRequests":
        return json.dumps({"calls": []})
    out = scripted(body["messages"], requested_schema(fmt), offered_keys(fmt["schema"]))
    if mode == "badcite" and name == "HypothesisDraft":
        out["cause"]["key"] = "PMID:1"  # a record that was never retrieved
    return json.dumps(out)


# ------------------------------------------------------------------ cases


@dataclass
class Outcome:
    name: str
    verdict: str  # ok, crash, hang, lost, unexpected
    detail: str = ""
    seconds: float = 0.0


@dataclass
class Ctx:
    root: Path
    index: Path
    endpoint: Endpoint
    verbose: bool = False
    env: dict[str, str] = field(default_factory=dict)

    def tmp(self, name: str) -> Path:
        p = Path(tempfile.mkdtemp(prefix=re.sub(r"\W+", "-", name)[:40] + "-", dir=self.root))
        return p


@dataclass
class Proc:
    rc: int | None
    out: str
    err: str
    timed_out: bool
    seconds: float


def run(argv: list[str], *, env: dict[str, str] | None = None, timeout: float = 60, cwd: Path | None = None) -> Proc:
    full_env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200", **(env or {})}
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=full_env, cwd=cwd,
                         start_new_session=True)
    try:
        out, err = p.communicate(timeout=timeout)
        return Proc(p.returncode, out, err, False, time.monotonic() - t0)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
        return Proc(None, out, err, True, time.monotonic() - t0)


def judge(name: str, p: Proc, expect: set[int], *, one_line: bool = True, extra: str | None = None) -> Outcome:
    """The verdict for a command that should end with an exit code in ``expect``."""
    if p.timed_out:
        return Outcome(name, "hang", f"no exit within {p.seconds:.0f} s", p.seconds)
    if "Traceback (most recent call last)" in p.err:
        return Outcome(name, "crash", exception_line(p.err), p.seconds)
    errors = [line for line in p.err.strip().splitlines() if line.startswith("hypoforge: error:")]
    if p.rc not in expect:
        return Outcome(name, "unexpected", f"exit {p.rc}, expected {sorted(expect)}: {p.err.strip()[-160:]}", p.seconds)
    if one_line and p.rc not in (0,) and len(errors) != 1:
        return Outcome(name, "unexpected", f"{len(errors)} error lines: {p.err.strip()[-160:]}", p.seconds)
    if extra:
        return Outcome(name, "unexpected", extra, p.seconds)
    return Outcome(name, "ok", (errors[0][18:120] if errors else ""), p.seconds)


def exception_line(err: str) -> str:
    """The last ``SomeError: message`` line of a traceback (LangGraph adds notes after it)."""
    lines = [line for line in err.strip().splitlines() if re.match(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt)\b", line)]
    return (lines[-1] if lines else err.strip().splitlines()[-1])[:200]


Case = tuple[str, Callable[[Ctx], Outcome]]


def cli_case(name: str, args: list[str] | Callable[[Ctx, Path], list[str]], expect: set[int] = frozenset({2}), *,
             timeout: float = 60, env: Callable[[Ctx, Path], dict[str, str]] | None = None,
             absent: Callable[[Path], list[Path]] | None = None) -> Case:
    """A single command; ``absent`` lists paths (under the case folder) that must not exist afterwards."""

    def go(ctx: Ctx) -> Outcome:
        d = ctx.tmp(name)
        argv = args(ctx, d) if callable(args) else args
        e = {"HYPOFORGE_DATA_DIR": str(d / "data"), **(env(ctx, d) if env else {})}
        p = run([*CLI, *argv], env=e, timeout=timeout, cwd=d)
        made = [str(x.relative_to(d)) for x in (absent(d) if absent else []) if x.exists()]
        return judge(name, p, set(expect), extra=f"created {made}" if made else None)

    return name, go


def write(d: Path, name: str, data: str | bytes) -> Path:
    p = d / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data if isinstance(data, bytes) else data.encode())
    return p


def alias_bomb(levels: int = 9, fan: int = 9, indent: str = "") -> str:
    lines = [f"{indent}a0: &a0 [\"lol\"]"]
    for i in range(1, levels + 1):
        lines.append(f"{indent}a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * fan) + "]")
    return "\n".join(lines) + "\n"


VCF_HEADER = "##fileformat=VCFv4.2\n##contig=<ID=chr10>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n"


def input_cases() -> list[Case]:
    idx = lambda c, d: ["--index", str(c.index)]  # noqa: E731
    ok_url = lambda c, d: ["--llm-url", c.endpoint.url("ok")]  # noqa: E731
    cases: list[Case] = [
        # goals
        cli_case("goal: empty", ["run", ""], absent=lambda d: [d / "data"]),
        cli_case("goal: blank", ["run", "   \t "], absent=lambda d: [d / "data"]),
        cli_case("goal: 5000 characters", ["run", "x" * 5000], absent=lambda d: [d / "data"]),
        cli_case("goal: harmful", ["run", "How do I weaponize anthrax spores?"], absent=lambda d: [d / "data"]),
        cli_case("goal: only control characters", ["run", "\x07\x1b\x7f"], absent=lambda d: [d / "data"]),
        # paths
        cli_case("path: --out under a file", lambda c, d: ["run", GOAL, "--out", str(write(d, "f", "x") / "sub"), *idx(c, d)]),
        cli_case("path: --index typo", lambda c, d: ["run", GOAL, "--out", str(d / "o"), "--index", str(d / "TYPO")],
                 absent=lambda d: [d / "o", d / "TYPO"]),
        cli_case("path: --cache is a file", lambda c, d: ["run", GOAL, "--cache", str(write(d, "f", "x")), *idx(c, d)]),
        cli_case("path: --data-dir is a file", lambda c, d: ["run", GOAL, "--data-dir", str(write(d, "f", "x")), *idx(c, d), *ok_url(c, d)]),
        cli_case("path: --model missing", lambda c, d: ["run", GOAL, "--model", str(d / "none.gguf"), *idx(c, d)]),
        cli_case("path: --model GGUF with a valid header that cannot load", lambda c, d: ["run", GOAL, "--model", str(write(d, "m.gguf", b"GGUF" + b"\x03\0\0\0" + b"\x05" + bytes(7) + b"\x07" + bytes(4007))),
                                                              *idx(c, d), "--data-dir", str(d / "data")],
                 absent=lambda d: [d / "data" / "runs"]),
        cli_case("path: --patient missing", lambda c, d: ["run", GOAL, "--patient", str(d / "none.vcf"), *idx(c, d)]),
        cli_case("path: index search --index TYPO", lambda c, d: ["index", "search", "mtx", "--index", str(d / "TYPO")],
                 absent=lambda d: [d / "TYPO"]),
        # run ids
        cli_case("run id: ../../evil", ["resume", "../../evil"]),
        cli_case("run id: absolute path", ["resume", "/etc/passwd"]),
        cli_case("run id: empty", ["resume", ""]),
        cli_case("run id: unknown", ["resume", "20990101-000000-abcdef"]),
        # VCFs
        cli_case("vcf: empty file", lambda c, d: ["patient", "genotype", str(write(d, "e.vcf", ""))], {1, 2}),
        cli_case("vcf: header only", lambda c, d: ["patient", "genotype", str(write(d, "h.vcf", VCF_HEADER)), "--json"], {0, 1, 2}, ),
        cli_case("vcf: wrong contig names", lambda c, d: ["patient", "genotype", str(write(
            d, "c.vcf", VCF_HEADER.replace("chr10", "nope") + "nope\t100\trs1\tA\tG\t.\tPASS\t.\tGT\t0/1\n")), "--json"], {0, 1, 2}),
        cli_case("vcf: binary garbage", lambda c, d: ["patient", "genotype", str(write(d, "b.vcf", os.urandom(4096)))], {1, 2}),
        cli_case("vcf: gz name, not gzip", lambda c, d: ["patient", "genotype", str(write(d, "x.vcf.gz", VCF_HEADER))], {0, 1, 2}),
        cli_case("vcf: 2 MB line", lambda c, d: ["patient", "genotype", str(write(
            d, "l.vcf", VCF_HEADER + "chr10\t1\trs1\tA\t" + "G" * 2_000_000 + "\t.\tPASS\t.\tGT\t0/1\n"))], {0, 1, 2}),
        cli_case("vcf: unknown sample", lambda c, d: ["patient", "genotype", str(write(d, "s.vcf", VCF_HEADER)), "--sample", "NOPE"], {1, 2}),
        # YAML
        cli_case("yaml: campaign alias bomb", lambda c, d: ["campaign", "run", str(write(
            d, "s.yaml", "x:\n" + alias_bomb(indent="  ") + "goals:\n  - id: a\n    goal: Why?\n    constraints: *a9\n")),
            "--out", str(d / "o"), "--deps-factory", FACTORY], absent=lambda d: [d / "o"]),
        cli_case("yaml: campaign !!python tag", lambda c, d: ["campaign", "run", str(write(
            d, "s.yaml", "goals: !!python/object/apply:os.system ['touch pwned']\n")), "--out", str(d / "o")],
            absent=lambda d: [d / "o", d / "pwned"]),
        cli_case("yaml: campaign self-alias", lambda c, d: ["campaign", "run", str(write(d, "s.yaml", "a: &a [*a]\ngoals: []\n")), "--out", str(d / "o")]),
        cli_case("yaml: campaign invalid", lambda c, d: ["campaign", "run", str(write(d, "s.yaml", "goals: [\n")), "--out", str(d / "o")]),
        cli_case("yaml: campaign goal id ../x", lambda c, d: ["campaign", "run", str(write(
            d, "s.yaml", "goals:\n  - id: ../x\n    goal: Why does methotrexate fail?\n")), "--out", str(d / "o")], absent=lambda d: [d / "o"]),
        cli_case("yaml: campaign not a mapping", lambda c, d: ["campaign", "run", str(write(d, "s.yaml", "- 1\n- 2\n")), "--out", str(d / "o")]),
        cli_case("yaml: clinical alias bomb", lambda c, d: ["patient", "plan", str(write(d, "v.vcf", VCF_HEADER)),
                                                           "--clinical", str(write(d, "c.yaml", alias_bomb()))], {1, 2}),
        cli_case("yaml: clinical !!python tag", lambda c, d: ["patient", "plan", str(write(d, "v.vcf", VCF_HEADER)),
                                                             "--clinical", str(write(d, "c.yaml", "age: !!python/object/apply:os.getpid []\n"))], {1, 2}),
        # SMILES and tool arguments
        cli_case("smiles: unclosed ring", ["tools", "run", "chem.describe", "--args", '{"molecule": "C1CC"}'], {1, 2}),
        cli_case("smiles: empty", ["tools", "run", "chem.describe", "--args", '{"molecule": ""}'], {1, 2}),
        cli_case("smiles: 10,000 characters of junk", ["tools", "run", "chem.describe", "--args", json.dumps({"molecule": "Q" * 10000})], {1, 2}),
        cli_case("smiles: 5,000-atom chain", ["tools", "run", "chem.describe", "--args", json.dumps({"molecule": "C" * 5000})], {0, 1, 2}, timeout=60),
        cli_case("tool args: not JSON", ["tools", "run", "chem.describe", "--args", "{nope"]),
        cli_case("tool args: a list", ["tools", "run", "chem.describe", "--args", "[]"]),
        cli_case("tool args: wrong type", ["tools", "run", "chem.describe", "--args", '{"molecule": 5}']),
        cli_case("tool: unknown name", ["tools", "run", "chem.nope"]),
        # index files
        cli_case("index: empty file", lambda c, d: ["index", "add", str(write(d, "e.jsonl", "")), "--index", str(d / "ix")], {0, 1, 2}, timeout=90),
        cli_case("index: binary file", lambda c, d: ["index", "add", str(write(d, "b.jsonl", os.urandom(8192))), "--index", str(d / "ix")], {1, 2}, timeout=90),
        # PubMedQA's shape: no title, so the question becomes the title and the command says so (exit 0)
        cli_case("index: JSONL rows without title", lambda c, d: ["index", "add", str(write(
            d, "t.jsonl", "".join(json.dumps({"question": f"q{i}", "pmid": str(i)}) + "\n" for i in range(20)))), "--index", str(d / "ix")],
            {0}, timeout=90),
        cli_case("index: malformed JSONL line", lambda c, d: ["index", "add", str(write(d, "m.jsonl", '{"title": "a"\n')), "--index", str(d / "ix")],
                 {0, 1, 2}, timeout=90),
        cli_case("index: 5 MB record", lambda c, d: ["index", "add", str(write(
            d, "big.jsonl", json.dumps({"key": "X:1", "title": "big", "abstract": "word " * 1_000_000}) + "\n")), "--index", str(d / "ix")],
            {0, 1, 2}, timeout=120),
        cli_case("index: missing file", lambda c, d: ["index", "add", str(d / "none.jsonl"), "--index", str(d / "ix")], {1, 2}),
    ]
    return cases


# ------------------------------------------------------------------ plugins


PLUGINS = {
    "raises at import": "raise RuntimeError('plugin import failed')\n",
    "sys.exit at import": "import sys\nsys.exit(3)\n",
    "hangs at import": "import time\ntime.sleep(3600)\n",
    "infinite timeout": "TIMEOUT = float('inf')\n",
    "NaN timeout": "TIMEOUT = float('nan')\n",
    "setup raises": "SETUP_RAISES = True\n",
    "run returns odd value": "ODD = True\n",
    "run hangs": "RUN_HANGS = True\n",
}

PLUGIN_TOOL = '''
from typing import ClassVar
from pydantic import BaseModel
from hypoforge.tools.base import Tool

class In(BaseModel):
    text: str = "x"

class Out(BaseModel):
    n: int

class BadTool(Tool):
    name: ClassVar[str] = "bad.tool"
    description: ClassVar[str] = "A hostile test plugin."
    Input = In
    Output = Out
    timeout_s: ClassVar[float] = globals().get("TIMEOUT", 5.0)

    def setup(self):
        if globals().get("SETUP_RAISES"):
            raise RuntimeError("setup failed")

    def run(self, inp):
        if globals().get("RUN_HANGS"):
            import time
            time.sleep(3600)
        if globals().get("ODD"):
            return {"n": float("nan"), "extra": object.__name__}
        return Out(n=len(inp.text))
'''


def plugin_site(d: Path, prelude: str) -> Path:
    site = d / "site"
    write(site, "hypoforge_badplugin.py", prelude + PLUGIN_TOOL)
    dist = site / "hypoforge_badplugin-0.1.dist-info"
    write(dist, "METADATA", "Metadata-Version: 2.1\nName: hypoforge-badplugin\nVersion: 0.1\n")
    write(dist, "entry_points.txt", "[hypoforge.tools]\nbad.tool = hypoforge_badplugin:BadTool\n")
    return site


def plugin_cases() -> list[Case]:
    cases = []
    for label, prelude in PLUGINS.items():
        env = lambda c, d, prelude=prelude: {"PYTHONPATH": str(plugin_site(d, prelude))}  # noqa: E731
        cases.append(cli_case(f"plugin {label}: tools list", ["tools", "list"], {0}, env=env, timeout=45))
        if label in ("infinite timeout", "NaN timeout", "setup raises", "run returns odd value", "run hangs"):
            cases.append(cli_case(f"plugin {label}: tools run", ["tools", "run", "bad.tool", "--args", "{}"], {1, 2}, env=env, timeout=45))
    return cases


# ------------------------------------------------------------------ runs, endpoints, kills


def ranking(report: dict[str, Any]) -> list[tuple[str, str, float]]:
    """What must survive a kill: proposals in order with their text and Elo (ids derive from the run id)."""
    return [(p["title"], p["statement"], p["elo"]) for p in report["proposals"]]


_reference: dict[str, Any] = {}
_ref_lock = threading.Lock()


def reference(ctx: Ctx, extra: tuple[str, ...] = ()) -> list[tuple[str, float]] | None:
    """The ranking of an uninterrupted run of GOAL on the healthy endpoint (computed once)."""
    with _ref_lock:
        if extra not in _reference:
            d = ctx.tmp("reference")
            p = run([*CLI, "run", GOAL, *SMALL, *extra, "--llm-url", ctx.endpoint.url("ok"), "--index", str(ctx.index),
                     "--data-dir", str(d / "data"), "--json"], timeout=180)
            _reference[extra] = ranking(json.loads(p.out)) if p.rc == 0 else None
        return _reference[extra]


def _resume(ctx: Ctx, name: str, d: Path, run_id: str | None, expect_rank: Any, *, seconds: float) -> Outcome:
    if run_id is None:
        return Outcome(name, "lost", "no run record to resume", seconds)
    p = run([*CLI, "resume", run_id, "--data-dir", str(d / "data"), "--json"], timeout=180)
    if p.timed_out:
        return Outcome(name, "hang", "resume did not end", seconds + p.seconds)
    if "Traceback (most recent call last)" in p.err:
        return Outcome(name, "crash", "resume: " + exception_line(p.err), seconds + p.seconds)
    if p.rc != 0:
        return Outcome(name, "lost", f"resume exit {p.rc}: {p.err.strip()[-160:]}", seconds + p.seconds)
    got = ranking(json.loads(p.out))
    if expect_rank is not None and got != expect_rank:
        return Outcome(name, "lost", f"resumed ranking {got} differs from the uninterrupted run's {expect_rank}", seconds + p.seconds)
    return Outcome(name, "ok", "resumed to the same report", seconds + p.seconds)


def _run_id(d: Path) -> str | None:
    metas = sorted((d / "data" / "runs").glob("*/run.json"))
    return metas[0].parent.name if metas else None


def endpoint_case(mode: str, after: int = 3) -> Case:
    """The endpoint breaks (``mode``) once the run has ``after`` checkpoints; then resume on a healed one."""
    name = f"endpoint {mode}, then resume"

    def go(ctx: Ctx) -> Outcome:
        d = ctx.tmp(name)
        token = f"{mode}-{d.name}"
        url = ctx.endpoint.url(token, "ok")
        # a healthy start, so there is something to resume; the endpoint breaks after the first steps
        argv = [*CLI, "run", GOAL, *SMALL, "--llm-url", url, "--index", str(ctx.index), "--data-dir", str(d / "data")]
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                                env={**os.environ, "NO_COLOR": "1"})
        ctx.endpoint.modes[token] = "slow"
        t0 = time.monotonic()
        while time.monotonic() - t0 < 60 and proc.poll() is None and not _steps(d, after):
            time.sleep(0.05)
        ctx.endpoint.modes[token] = mode
        try:
            out, err = proc.communicate(timeout=150)
            p = Proc(proc.returncode, out, err, False, time.monotonic() - t0)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            p = Proc(None, out, err, True, time.monotonic() - t0)
        first = judge(name, p, {1, 2})
        if first.verdict in ("crash", "hang"):
            return first
        ctx.endpoint.modes[token] = "ok"
        if _run_id(d) is None and first.verdict == "ok":
            return Outcome(name, "ok", "failed before its first step: one line, nothing left to resume", p.seconds)
        back = _resume(ctx, name, d, _run_id(d), reference(ctx), seconds=p.seconds)
        if back.verdict == "ok" and first.verdict != "ok":
            return first
        return back

    return name, go


def unreachable_case() -> Case:
    return cli_case("endpoint: nothing listening", lambda c, d: ["run", GOAL, *SMALL, "--llm-url", "http://127.0.0.1:9/v1", "--index", str(c.index)])


def _steps(d: Path, n: int) -> bool:
    """Whether a run under ``d`` has at least ``n`` checkpoints."""
    import sqlite3

    db = next(iter((d / "data" / "runs").glob("*/checkpoints.sqlite")), None)  # the run's own database
    if db is None:
        return False
    try:
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)) as c:
            return c.execute("select count(*) from checkpoints").fetchone()[0] >= n
    except sqlite3.Error:
        return False


def kill_case(label: str, sig: int, when: Callable[[Path], bool]) -> Case:
    name = f"run: {label}, then resume"

    def go(ctx: Ctx) -> Outcome:
        d = ctx.tmp(name)
        url = ctx.endpoint.url(f"slow-{d.name}", "slow")
        argv = [*CLI, "run", GOAL, *SMALL, "--llm-url", url, "--index", str(ctx.index), "--data-dir", str(d / "data")]
        t0 = time.monotonic()
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                                env={**os.environ, "NO_COLOR": "1"})
        while time.monotonic() - t0 < 90 and proc.poll() is None and not when(d):
            time.sleep(0.02)
        if proc.poll() is not None:
            return Outcome(name, "unexpected", f"the run ended (exit {proc.returncode}) before it could be stopped: {proc.stderr.read()[-160:]}")
        os.kill(proc.pid, sig)
        try:
            out, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            return Outcome(name, "hang", "did not stop after the signal", time.monotonic() - t0)
        if sig == signal.SIGINT:
            first = judge(name, Proc(proc.returncode, out, err, False, 0), {130})
            if first.verdict != "ok":
                return first
        return _resume(ctx, name, d, _run_id(d), reference(ctx), seconds=time.monotonic() - t0)

    return name, go


def concurrent_case() -> Case:
    name = "two runs at once on one data dir"

    def go(ctx: Ctx) -> Outcome:
        d = ctx.tmp(name)
        url = ctx.endpoint.url("ok")
        t0 = time.monotonic()
        procs = [subprocess.Popen([*CLI, "run", GOAL, *SMALL, "--llm-url", url, "--index", str(ctx.index), "--data-dir", str(d / "data"), "--json"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True) for _ in range(2)]
        results = []
        for p in procs:
            try:
                out, err = p.communicate(timeout=180)
                results.append(Proc(p.returncode, out, err, False, time.monotonic() - t0))
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                results.append(Proc(None, *p.communicate(), True, time.monotonic() - t0))
        for r in results:
            o = judge(name, r, {0})
            if o.verdict != "ok":
                return o
        want = reference(ctx)
        got = [ranking(json.loads(r.out)) for r in results]
        if any(g != want for g in got):
            return Outcome(name, "lost", f"rankings {got} differ from {want}", time.monotonic() - t0)
        return Outcome(name, "ok", "both complete, same report as a solo run", time.monotonic() - t0)

    return name, go


def control_chars_case() -> Case:
    name = "goal with NUL/BEL/ESC reaches no report"

    def go(ctx: Ctx) -> Outcome:
        d = ctx.tmp(name)
        p = run([*CLI, "run", GOAL.replace(" do ", " do\x07 ").replace("third", "third\x1b[2J"), *SMALL, "--llm-url", ctx.endpoint.url("ok"),
                 "--index", str(ctx.index), "--data-dir", str(d / "data"), "--out", str(d / "out")], timeout=180)
        o = judge(name, p, {0})
        if o.verdict != "ok":
            return o
        bad = [f.name for f in (d / "out").glob("report.*") if re.search(r"[\x00-\x08\x0b-\x1f\x7f]", f.read_text())]
        return Outcome(name, "unexpected", f"control characters in {bad}", p.seconds) if bad else o

    return name, go


def campaign_kill_case() -> Case:
    name = "campaign: driver kill -9 (workers die), then resume"

    def go(ctx: Ctx) -> Outcome:
        d = ctx.tmp(name)
        spec = write(d, "spec.yaml", "id: k\nsettings:\n  loop: {rounds: 2, hypotheses: 2}\ngoals:\n"
                                     "  - id: one\n    goal: Why does methotrexate fail in some RA patients?\n"
                                     "  - id: two\n    goal: Why do TNF inhibitors lose effect in RA?\n")
        out = d / "out"
        opts = json.dumps({"delay": 0.3})
        t0 = time.monotonic()
        proc = subprocess.Popen([*CLI, "campaign", "run", str(spec), "--out", str(out), "--workers", "2", "--quiet",
                                 "--deps-factory", FACTORY, "--deps-options", opts],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
        while time.monotonic() - t0 < 90 and proc.poll() is None:
            try:
                goals = json.loads((out / "campaign.json").read_text())["goals"]
            except (OSError, ValueError, KeyError):
                goals = {}
            if goals and all(g["steps"] >= 2 for g in goals.values()):
                break
            time.sleep(0.05)
        if proc.poll() is not None:
            return Outcome(name, "unexpected", f"campaign ended before the kill: {proc.stderr.read()[-160:]}")
        workers = children(proc.pid)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(alive(w) for w in workers):
            time.sleep(0.1)
        left = [w for w in workers if alive(w)]
        for w in left:  # ours: do not leave them behind
            with contextlib.suppress(ProcessLookupError):
                os.kill(w, signal.SIGKILL)
        if left:
            return Outcome(name, "hang", f"{len(left)} worker processes outlived the driver", time.monotonic() - t0)
        p = run([*CLI, "campaign", "resume", str(out), "--quiet", "--deps-options", "{}"], timeout=180)
        o = judge(name, p, {0})
        if o.verdict != "ok":
            return Outcome(name, "lost" if o.verdict == "unexpected" else o.verdict, o.detail, time.monotonic() - t0)
        state = json.loads((out / "campaign.json").read_text())
        if state["status"] != "complete":
            return Outcome(name, "lost", f"campaign status {state['status']} after resume", time.monotonic() - t0)
        return Outcome(name, "ok", f"{len(workers)} workers ended with the driver; resume completed", time.monotonic() - t0)

    return name, go


def children(pid: int) -> list[int]:
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                kids.append(int(stat.parent.name))
    return kids


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def run_cases() -> list[Case]:
    cases: list[Case] = [unreachable_case()]
    cases += [endpoint_case(m) for m in ("e500", "e429", "badjson", "wrongschema", "empty", "close")]
    cases.append(endpoint_case("badcite", after=0))  # from the first call: every hypothesis cites an unretrieved record
    cases += [
        kill_case("kill -9 before the first checkpoint", signal.SIGKILL, lambda d: bool(list((d / "data" / "runs").glob("*/run.json")))),
        kill_case("kill -9 after 4 checkpoints", signal.SIGKILL, lambda d: _steps(d, 4)),
        kill_case("Ctrl-C (SIGINT) after 4 checkpoints", signal.SIGINT, lambda d: _steps(d, 4)),
        concurrent_case(),
        control_chars_case(),
    ]
    if sys.platform.startswith("linux"):
        cases.append(campaign_kill_case())
    return cases


# ------------------------------------------------------------------ main


def build_index(path: Path) -> None:
    from hypoforge.knowledge.embeddings import load_embedder
    from hypoforge.knowledge.store import KnowledgeIndex

    KnowledgeIndex(path, embedder=load_embedder(None)).add_starter(ROOT / "tests" / "data" / "starter_cards_fixture.jsonl")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", help="run only the cases whose name contains this text")
    ap.add_argument("--workers", type=int, default=2, help="cases run in parallel (default 2)")
    ap.add_argument("--verbose", action="store_true", help="print every case, not only the failures")
    args = ap.parse_args()
    bootstrap()
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="hypoforge-reliability-") as tmp:
        root = Path(tmp)
        index = root / "index"
        build_index(index)
        ctx = Ctx(root=root, index=index, endpoint=Endpoint(), verbose=args.verbose)
        cases = [*input_cases(), *plugin_cases(), *run_cases()]
        if args.only:
            cases = [c for c in cases if args.only in c[0]]

        def attempt(case: Case) -> Outcome:
            name, go = case
            try:
                return go(ctx)
            except Exception as exc:  # noqa: BLE001 - a broken case is reported, the suite goes on
                return Outcome(name, "unexpected", f"the case itself failed: {type(exc).__name__}: {exc}"[:200])

        with ThreadPoolExecutor(max_workers=max(1, args.workers)) as pool:
            outcomes = list(pool.map(attempt, cases))
        ctx.endpoint.server.shutdown()
        shutil.rmtree(root, ignore_errors=True)
    by = {v: [o for o in outcomes if o.verdict == v] for v in ("ok", "crash", "hang", "lost", "unexpected")}
    for o in outcomes:
        if args.verbose or o.verdict != "ok":
            print(f"{o.verdict:<10} {o.seconds:6.1f}s  {o.name}: {o.detail}")
    print(f"cases tried {len(outcomes)}; crashes {len(by['crash'])}, hangs {len(by['hang'])}, data lost {len(by['lost'])}; "
          f"unexpected {len(by['unexpected'])}; ok {len(by['ok'])}; {time.monotonic() - t0:.0f} s")
    for v in ("crash", "hang", "lost"):
        if by[v]:
            print(f"{v}: " + "; ".join(o.name for o in by[v]))
    bad = len(by["crash"]) + len(by["hang"]) + len(by["lost"])
    result("reliability_crashes_hangs_data_lost", float(bad), 0.0, "cases", "0 crashes / 0 hangs / 0 data lost", bad == 0,
           tried=len(outcomes), crashes=len(by["crash"]), hangs=len(by["hang"]), data_lost=len(by["lost"]),
           unexpected=len(by["unexpected"]), crashed=[o.name for o in by["crash"]], hung=[o.name for o in by["hang"]],
           lost=[o.name for o in by["lost"]])


if __name__ == "__main__":
    main()
