"""
Benchmarks against scikit-learn, in one chart
=============================================

The side-by-side benchmarks under ``benchmarks/`` time
:class:`~sklearn_softmax.SoftmaxRegression` and scikit-learn's
``LogisticRegression`` on the same problems, in the same run, and store their
tables in ``benchmarks/results/``. This example reads those tables (it runs
no benchmark) and draws the time each estimator's fastest solver takes to
reach the same precision, or to cross-validate ``C``. The problems, the
method and every figure are on the documentation's performance page;
``python benchmarks/bench_fit.py`` and the other scripts measure them again
on your machine.
"""

# %%
# Read the tables: the summary of ``bench_fit.py`` (time to a relative
# suboptimality of 1e-6 under L2), the L1 / elastic-net table of
# ``bench_l1.py`` (against ``solver="saga"``, the only one with elastic net)
# and the cross-validation table of ``bench_cv.py``.
import re
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

# The repository's results folder, from the repository or its examples/.
folders = [Path.cwd(), *Path.cwd().parents]
results = next(
    p / "benchmarks" / "results" for p in folders if (p / "benchmarks").is_dir()
)


def rows(path, first_cell=None):
    """The rows of the markdown tables in ``path``, as lists of cells."""
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = [c.strip().strip("*") for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and not set(line) <= set("|-: "):
            if first_cell is None or cells[0] == first_cell:
                yield cells


def seconds(text):
    """``'817.2 ms'`` or ``'5.41 s'`` in seconds; ``nan`` for ``'–'``."""
    match = re.match(r"([\d.,]+) (ms|s)\b", text)
    if match is None:
        return np.nan
    value = float(match[1].replace(",", ""))
    return value / 1000 if match[2] == "ms" else value


timings = []  # (problem, ours, theirs)
for problem in ["tall", "wide", "sparse", "digits"]:
    (row,) = rows(results / "2026-11-22-1.md", problem)
    timings.append((f"L2, {problem}", seconds(row[1]), seconds(row[2])))
for row in rows(results / "2026-11-22-l1-full.md"):
    if row[0] in {"1", "0.5"}:
        timings.append((f"l1_ratio={row[0]}, text", seconds(row[5]), seconds(row[7])))
cv = {(r[0], r[1]): seconds(r[2]) for r in rows(results / "2026-11-22-cv.md")}
for problem in ["digits, L2", "text-like CSR, L1"]:
    theirs = min(t for (p, name), t in cv.items() if p == problem and name != "ours")
    timings.append((f"CV, {problem}", cv[problem, "ours"], theirs))
for name, ours, theirs in timings:
    ratio = "none in budget" if np.isnan(theirs) else f"{ours / theirs:.2f}"
    print(f"{name:28s} ours {ours:8.3f} s   scikit-learn {theirs:8.3f} s   {ratio}")

# %%
# The chart: seconds on a log scale, ours against scikit-learn's fastest
# solver. The ``L2`` and ``l1_ratio`` rows are the time to a relative
# suboptimality of 1e-6; the ``CV`` rows, a whole cross-validation of ``C``
# (the same 10 values and 5 folds, default tolerances) against
# ``LogisticRegressionCV``. Where no scikit-learn solver reached the precision
# within the benchmark's time budget (the wide problem), its bar is missing.
names = [t[0] for t in timings]
ours = np.array([t[1] for t in timings])
theirs = np.array([t[2] for t in timings])
y = np.arange(len(names))
fig, ax = plt.subplots(figsize=(7, 4.5))
ax.barh(y - 0.2, ours, height=0.4, label="SoftmaxRegression")
ax.barh(y + 0.2, np.nan_to_num(theirs), height=0.4, label="scikit-learn (fastest)")
for i, (o, t) in enumerate(zip(ours, theirs, strict=True)):
    text = "–" if np.isnan(t) else f"{o / t:.2f}×"
    ax.text(max(o, np.nan_to_num(t)) * 1.15, i, text, va="center", fontsize=8)
ax.set_yticks(y, names)
ax.invert_yaxis()
ax.set_xscale("log")
ax.set_xlim(right=ax.get_xlim()[1] * 4)
ax.set_xlabel("seconds (log scale); labels: ours / theirs")
ax.legend(loc="upper right", fontsize=8)
fig.tight_layout()
plt.show()
