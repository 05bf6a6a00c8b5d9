"""Reporting helpers shared by the benchmark scripts.

The machine and software description at the head of every report, the load
that other processes put on the machine during a run, the markdown report
file, the formatting of times and ratios, and progress messages on stderr.
The scripts import them as ``from _report import ...`` (a script's own folder
is on ``sys.path`` when it runs).
"""

from __future__ import annotations

import datetime
import os
import platform
import shlex
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import scipy
import sklearn
from threadpoolctl import threadpool_info

import sklearn_softmax

# --------------------------------------------------------------------------
# the machine and its load


def cpu_snapshot() -> tuple[float, float, float]:
    """(wall, busy CPU seconds of the whole machine, CPU seconds of this process).

    The machine's busy time comes from /proc/stat (Linux); elsewhere it is NaN.
    """
    busy = np.nan
    try:
        with open("/proc/stat") as f:
            fields = f.readline().split()[1:]
        ticks = [int(v) for v in fields]
        # user nice system idle iowait irq softirq steal ...: all but idle, iowait
        busy = (sum(ticks[:8]) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        pass
    own = os.times()
    return time.perf_counter(), busy, own.user + own.system


def foreign_load(before, after) -> float:
    """Cores used on average by *other* processes between two snapshots.

    On a machine whose cores are shared, multi-threaded BLAS and OpenMP calls
    wait for descheduled peer threads and can slow down by one or two orders of
    magnitude; timings taken while this is well above zero are not meaningful.
    """
    wall = after[0] - before[0]
    return max(((after[1] - before[1]) - (after[2] - before[2])) / wall, 0.0)


def machine_info(argv) -> list[str]:
    """Markdown bullets describing the machine, the software and the command."""
    model = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    command = shlex.join(["python", os.path.relpath(argv[0]), *argv[1:]])
    lines = [
        f"- date: {datetime.date.today().isoformat()}",
        f"- command: `{command}`",
        f"- CPU: {model}; os.cpu_count() = {os.cpu_count()}",
        f"- {platform.system()} {platform.machine()}, Python "
        f"{platform.python_version()}; numpy {np.__version__}, scipy "
        f"{scipy.__version__}, scikit-learn {sklearn.__version__}, "
        f"sklearn_softmax {sklearn_softmax.__version__} (git {code_version()})",
    ]
    for lib in threadpool_info():
        extra = "".join(
            f", {key} {lib[key]}"
            for key in ("version", "threading_layer", "architecture")
            if lib.get(key)
        )
        lines.append(
            f"- {lib['user_api']}: {lib['internal_api']} ({lib['prefix']}), "
            f"{lib['num_threads']} threads{extra}"
        )
    return lines


def code_version() -> str:
    """``git describe`` of the package's checkout (``-dirty`` if modified)."""
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=Path(sklearn_softmax.__file__).parent,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() or "unknown"


# --------------------------------------------------------------------------
# the report


def write_report(lines, output_dir, name: str, seconds: float | None = None) -> Path:
    """Print the markdown ``lines`` and write them to ``<date>-<name>.md``."""
    text = "\n".join(lines).rstrip("\n") + "\n"
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    path = output_dir / f"{datetime.date.today().isoformat()}-{name}.md"
    path.write_text(text)
    print(text)
    log(f"written {path}" + ("" if seconds is None else f" in {seconds:.0f} s"))
    return path


def fmt_time(t: float) -> str:
    """A duration in ms below a second, in s above; "–" if not finite."""
    if not np.isfinite(t):
        return "–"
    if t < 0.01:
        return f"{t * 1e3:.2f} ms"
    return f"{t * 1e3:.1f} ms" if t < 1 else f"{t:.2f} s"


def fmt_ratio(a: float, b: float) -> str:
    """``a / b`` to two decimals; "–" unless both are finite and ``b > 0``."""
    return f"{a / b:.2f}" if np.isfinite(a) and np.isfinite(b) and b > 0 else "–"


def log(message):
    """A progress message on stderr (the report goes to stdout)."""
    print(message, file=sys.stderr, flush=True)
