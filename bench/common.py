"""What the benchmarks of this folder share: where they put temporary data, percentiles, and the time
and peak memory of a command."""
import math
import os
import subprocess
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def scratch_parent() -> str:
    """A temporary folder on the same disk as the project (never tmpfs)."""
    default = tempfile.gettempdir()
    try:
        same_disk = os.stat(default).st_dev == os.stat(PROJECT_ROOT).st_dev
    except OSError:
        same_disk = False
    return default if same_disk else str(PROJECT_ROOT.parent)


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def run_measured(args: list[str], env: dict, output) -> tuple[int, float, float]:
    """Run a command from the project folder, its output to ``output``; return its exit status, the seconds it
    took and its own peak memory in MB.

    The peak is read from /proc while it runs (VmHWM): what the kernel reports when it ends (ru_maxrss) also
    counts the memory of the process it was started from.
    """
    started = time.perf_counter()
    process = subprocess.Popen(args, cwd=PROJECT_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    peak = 0.0
    while process.poll() is None:
        try:
            with open(f"/proc/{process.pid}/status") as fh:
                peak = max([peak] + [int(line.split()[1]) / 1024 for line in fh if line.startswith("VmHWM:")])
        except OSError:
            pass
        time.sleep(0.01)
    return process.returncode, time.perf_counter() - started, peak
