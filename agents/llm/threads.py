"""How many CPU threads the embedded model uses: the cores nobody else is using, checked per call.

llama.cpp splits each token's matrix work across its threads, which meet at a barrier after every
operation (hundreds of times per token). llama-cpp-python builds it with OpenMP (libgomp), whose
threads wait at a barrier by spinning. That is fast when every thread has a core to itself and
collapses when one does not: a waiting thread spins through its time slice while the thread it
waits for sits in the run queue, at every barrier, and during the grammar pass of constrained
decoding (single-threaded, between tokens) the idle worker spins against the main thread.

Measured on the 2-core development machine with SmolLM2 (48 tokens; the machine was shared with
other jobs, so figures are noisy; ``bench/contention.py`` is the clean measurement): beside other
work, 2 threads gave 3.3 free / 1.7 constrained tokens/s, 1 thread 17.6 / 13.8; changing only the
wait policy helped but less (``OMP_WAIT_POLICY=PASSIVE``, 2 threads: 23.8 / 10.2, and it adds a
sleep/wake per barrier on a quiet machine), pinning (``OMP_PROC_BIND=true``: 3.6 / 3.3) and a
shorter spin (``GOMP_SPINCOUNT=10000``: 3.2 / 1.5) did not. Fewer threads than busy cores is what
works, so:

The automatic thread count is the number of usable physical cores (affinity mask, hyper-threads
folded, cgroup quota) that other processes left idle, measured over a short window
(:data:`SAMPLE_SECONDS`) just before every call, while this process is not decoding. On a quiet
machine every core is used; beside a busy process the model steps aside to the free cores. A user
never has to know; a fixed count (``--threads``, ``HYPOFORGE_THREADS``, ``llm.n_threads``) turns
the measurement off.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

SAMPLE_SECONDS = 0.1
# Another process counts as holding a core once it used this much of one in the window: a thread
# that loses its core a third of the time already stalls the barriers.
BUSY_FRACTION = 0.3
PROC = Path("/proc")
SYS_CPU = Path("/sys/devices/system/cpu")
CGROUP_CPU_MAX = Path("/sys/fs/cgroup/cpu.max")


@dataclass(frozen=True)
class CpuTimes:
    """Busy and total clock ticks summed over a set of CPUs, and this process's own ticks."""

    busy: int
    total: int
    own: int


def allowed_cpus() -> list[int]:
    """The CPUs this process may run on (its affinity mask; all CPUs where that is unknown)."""
    try:
        return sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return list(range(os.cpu_count() or 1))


def physical_cores(cpus: Iterable[int], sys_cpu: Path = SYS_CPU) -> int:
    """Distinct physical cores among ``cpus`` (hyper-threads share one); len(cpus) if unknown."""
    cpus = list(cpus)
    cores = set()
    for cpu in cpus:
        topo = sys_cpu / f"cpu{cpu}" / "topology"
        try:
            cores.add((topo.joinpath("physical_package_id").read_text().strip(), topo.joinpath("core_id").read_text().strip()))
        except OSError:
            return len(cpus)
    return len(cores) or len(cpus)


def cgroup_cores(cpu_max: Path = CGROUP_CPU_MAX) -> int | None:
    """The CPU quota of this process's cgroup (v2 ``cpu.max``) in whole cores, None if unlimited."""
    try:
        quota, period = cpu_max.read_text().split()[:2]
    except (OSError, ValueError):
        return None
    if quota == "max":
        return None
    return max(1, math.ceil(int(quota) / int(period)))


def usable_cores() -> int:
    """Physical cores this process may use: affinity mask, hyper-threads folded, cgroup quota."""
    n = physical_cores(allowed_cpus())
    quota = cgroup_cores()
    return max(1, min(n, quota) if quota else n)


def parse_cpu_times(stat: str, self_stat: str, cpus: Iterable[int]) -> CpuTimes:
    """Ticks from ``/proc/stat`` (the per-CPU lines of ``cpus``) and ``/proc/self/stat``."""
    wanted = {f"cpu{c}" for c in cpus}
    busy = total = 0
    for line in stat.splitlines():
        fields = line.split()
        if not fields or fields[0] not in wanted:
            continue
        # user nice system idle iowait irq softirq steal (guest time is already inside user)
        ticks = [int(x) for x in fields[1:9]]
        idle = ticks[3] + ticks[4]
        total += sum(ticks)
        # Niced time does not count as busy: a lower-priority process yields its core to our
        # threads (bench/contention.py, 2026-11-29: beside a `nice -n 19` loop, 2 threads decoded
        # Qwen constrained at 14.0 tok/s, 1 thread at 9.5).
        busy += sum(ticks) - idle - ticks[1]
    # /proc/self/stat: the command name may hold spaces, so count fields after its closing ')'
    after = self_stat.rsplit(")", 1)[1].split()
    own = int(after[11]) + int(after[12])  # utime, stime of every thread of this process
    return CpuTimes(busy=busy, total=total, own=own)


def read_cpu_times(cpus: Iterable[int], proc: Path = PROC) -> CpuTimes:
    return parse_cpu_times((proc / "stat").read_text(), (proc / "self" / "stat").read_text(), cpus)


def others_busy(before: CpuTimes, after: CpuTimes, n_cpus: int) -> float:
    """Cores' worth of work other processes did between two readings over ``n_cpus`` CPUs."""
    total = after.total - before.total
    if total <= 0:
        return 0.0
    others = (after.busy - before.busy) - (after.own - before.own)
    return max(0.0, others * n_cpus / total)


def threads_for(usable: int, busy: float) -> int:
    """Threads to use on ``usable`` cores when others keep ``busy`` cores' worth of them working."""
    taken = math.ceil(busy - BUSY_FRACTION) if busy > BUSY_FRACTION else 0
    return max(1, min(usable, usable - taken))


@dataclass
class AutoThreads:
    """The automatic thread count, measured fresh at each :meth:`choose` (about 0.1 s)."""

    window: float = SAMPLE_SECONDS
    read: Callable[[list[int]], CpuTimes] = read_cpu_times
    sleep: Callable[[float], None] = time.sleep
    last_busy: float = 0.0

    def choose(self) -> int:
        usable = usable_cores()
        if usable <= 1:
            return 1
        cpus = allowed_cpus()
        try:
            before = self.read(cpus)
            self.sleep(self.window)
            after = self.read(cpus)
        except (OSError, ValueError, IndexError):
            return usable  # no /proc (not Linux): every usable core, as llama.cpp would
        self.last_busy = others_busy(before, after, len(cpus))
        return threads_for(usable, self.last_busy)


def threads_from_env(value: str | None) -> int | None:
    """``HYPOFORGE_THREADS``: a positive integer, or empty/``auto`` for the automatic count."""
    if value is None or value.strip().lower() in ("", "auto"):
        return None
    from hypoforge.errors import UserError

    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise UserError(f"HYPOFORGE_THREADS={value!r} is not a positive whole number; unset it or use e.g. 2 (or 'auto')")
    return n
