"""The embedded model's thread count: automatic (idle cores, measured per call) unless fixed."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from hypoforge.agents.llm import threads
from hypoforge.agents.settings import Settings
from hypoforge.agents.llm.threads import AutoThreads, CpuTimes
from hypoforge.errors import UserError

STAT = """cpu  900 0 100 8000 0 0 0 0 0 0
cpu0 {u0} 0 {s0} {i0} {w0} 0 0 0 0 0
cpu1 {u1} 0 {s1} {i1} 0 0 0 0 0 0
cpu2 500 0 0 100 0 0 0 0 0 0
intr 12345
"""
# comm with a space and a ')' inside, as /proc/self/stat allows; utime=70 stime=30 (fields 14, 15)
SELF = "4242 (py th)on) R 1 4242 4242 0 -1 4194304 100 0 0 0 70 30 0 0 20 0 3 0 100 1000 100"


def stat(u0=0, s0=0, i0=0, w0=0, u1=0, s1=0, i1=0) -> str:
    return STAT.format(u0=u0, s0=s0, i0=i0, w0=w0, u1=u1, s1=s1, i1=i1)


def test_parse_cpu_times_sums_only_the_allowed_cpus_and_reads_own_ticks():
    t = threads.parse_cpu_times(stat(u0=10, s0=5, i0=80, w0=5, u1=1, i1=99), SELF, [0, 1])
    assert t == CpuTimes(busy=16, total=200, own=100)  # cpu2 is outside the mask; iowait counts as idle


def test_niced_time_does_not_count_as_busy():
    # cpu0 spent 60 ticks on a `nice` process: it yields to normal-priority threads, so only 10 are busy
    niced = stat(u0=10, i0=30).replace("cpu0 10 0 ", "cpu0 10 60 ", 1)
    assert threads.parse_cpu_times(niced, SELF, [0]) == CpuTimes(busy=10, total=100, own=100)


def test_others_busy_subtracts_this_process():
    before = CpuTimes(busy=100, total=1000, own=40)
    # over 2 CPUs, 200 ticks elapsed = 100 per CPU; 150 busy ticks of which 50 were ours
    after = CpuTimes(busy=250, total=1200, own=90)
    assert threads.others_busy(before, after, 2) == pytest.approx(1.0)
    assert threads.others_busy(after, after, 2) == 0.0


@pytest.mark.parametrize("usable,busy,expected", [
    (2, 0.0, 2), (2, 0.25, 2), (2, 0.5, 1), (2, 1.0, 1), (2, 1.9, 1), (2, 7.0, 1),
    (8, 1.0, 7), (8, 2.2, 6), (1, 0.0, 1),
])
def test_threads_for_leaves_the_busy_cores(usable, busy, expected):
    assert threads.threads_for(usable, busy) == expected


def test_auto_threads_measures_a_window_and_steps_aside(monkeypatch):
    monkeypatch.setattr(threads, "usable_cores", lambda: 2)
    monkeypatch.setattr(threads, "allowed_cpus", lambda: [0, 1])
    readings = iter([CpuTimes(0, 0, 0), CpuTimes(busy=100, total=200, own=0)])  # one core busy
    slept = []
    auto = AutoThreads(read=lambda cpus: next(readings), sleep=slept.append)
    assert auto.choose() == 1 and slept == [threads.SAMPLE_SECONDS] and auto.last_busy == pytest.approx(1.0)
    quiet = iter([CpuTimes(0, 0, 0), CpuTimes(busy=60, total=200, own=60)])  # only our own work
    assert AutoThreads(read=lambda cpus: next(quiet), sleep=lambda s: None).choose() == 2


def test_auto_threads_without_proc_uses_every_usable_core(monkeypatch):
    monkeypatch.setattr(threads, "usable_cores", lambda: 4)

    def no_proc(cpus):
        raise OSError("no /proc")

    assert AutoThreads(read=no_proc, sleep=lambda s: None).choose() == 4


def test_single_core_needs_no_measurement(monkeypatch):
    monkeypatch.setattr(threads, "usable_cores", lambda: 1)
    assert AutoThreads(read=lambda cpus: pytest.fail("measured"), sleep=lambda s: None).choose() == 1


def test_physical_cores_folds_hyperthreads(tmp_path: Path):
    for cpu, core in enumerate([0, 1, 0, 1]):  # 4 logical CPUs, 2 cores
        topo = tmp_path / f"cpu{cpu}" / "topology"
        topo.mkdir(parents=True)
        (topo / "physical_package_id").write_text("0\n")
        (topo / "core_id").write_text(f"{core}\n")
    assert threads.physical_cores([0, 1, 2, 3], tmp_path) == 2
    assert threads.physical_cores([0, 2], tmp_path) == 1
    assert threads.physical_cores([0, 9], tmp_path) == 2  # unknown topology: logical count


@pytest.mark.parametrize("text,expected", [("max 100000\n", None), ("150000 100000\n", 2), ("50000 100000", 1)])
def test_cgroup_quota_in_cores(tmp_path: Path, text, expected):
    f = tmp_path / "cpu.max"
    f.write_text(text)
    assert threads.cgroup_cores(f) == expected
    assert threads.cgroup_cores(tmp_path / "absent") is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/stat is Linux-only")
def test_real_proc_readings_parse():
    cpus = threads.allowed_cpus()
    t = threads.read_cpu_times(cpus)
    assert t.total > 0 and 0 <= t.busy <= t.total and t.own >= 0
    assert 1 <= threads.usable_cores() <= len(cpus)


@pytest.mark.parametrize("value,expected", [(None, None), ("", None), ("auto", None), (" 3 ", 3)])
def test_threads_env(value, expected):
    assert threads.threads_from_env(value) == expected


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5"])
def test_bad_threads_env_is_one_line(value):
    with pytest.raises(UserError, match="HYPOFORGE_THREADS"):
        threads.threads_from_env(value)


def test_settings_threads_layers(monkeypatch):
    monkeypatch.delenv("HYPOFORGE_THREADS", raising=False)
    assert Settings.layered().llm.n_threads is None
    monkeypatch.setenv("HYPOFORGE_THREADS", "3")
    assert Settings.layered().llm.n_threads == 3
    assert Settings.layered(overrides={"llm": {"n_threads": 1}}).llm.n_threads == 1


class _FakeLlama:
    ctx = object()


def test_llama_backend_applies_the_automatic_count(monkeypatch, tmp_path):
    llama_cpp = pytest.importorskip("llama_cpp")
    from hypoforge.agents.llm import LlamaCppLLM

    calls = []
    monkeypatch.setattr(llama_cpp, "llama_set_n_threads", lambda ctx, n, nb: calls.append((ctx, n, nb)))
    llm = LlamaCppLLM(tmp_path / "m.gguf")
    counts = iter([1, 1, 2])
    llm.auto_threads = type("A", (), {"choose": lambda self: next(counts)})()
    llm.threads_used = 2
    fake = _FakeLlama()
    for _ in range(3):
        llm._set_threads(fake)
    assert calls == [(fake.ctx, 1, 1), (fake.ctx, 2, 2)] and llm.threads_used == 2  # only on a change


def test_fixed_threads_are_never_measured(tmp_path):
    pytest.importorskip("llama_cpp")
    from hypoforge.agents.llm import LlamaCppLLM

    llm = LlamaCppLLM(tmp_path / "m.gguf", n_threads=3)
    assert llm.auto_threads is None and llm.threads_used == 3
    llm._set_threads(_FakeLlama())  # no measurement, no call into llama.cpp
    assert llm.threads_used == 3
