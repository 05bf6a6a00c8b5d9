"""
Time to reach the optimum: our solvers against LogisticRegression's
====================================================================

Both estimators minimise ``C Σ ℓ_n + ½‖W‖²`` on a multiclass problem, so their
solvers can be compared on one axis: how far above the minimum ``F*`` the
objective still is after a given time. Each point is one fit stopped after a
given number of iterations (``tol`` tiny, so that stopping rules play no
part), timed around ``fit`` only.
"""

# %%
import warnings
from time import perf_counter

import matplotlib.pyplot as plt
import numpy as np
from scipy.special import logsumexp
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

from sklearn_softmax import SoftmaxRegression

X, y = make_classification(
    n_samples=20_000, n_features=100, n_informative=50, n_classes=10, random_state=0
)


def objective(model):
    """``C Σ ℓ_n + ½‖W‖²`` at C=1, straight from the definition."""
    Z = X @ model.coef_.T + model.intercept_
    return (logsumexp(Z, axis=1) - Z[np.arange(y.shape[0]), y]).sum() + 0.5 * np.sum(
        model.coef_**2
    )


f_star = objective(SoftmaxRegression(tol=1e-10, max_iter=200).fit(X, y))

# %%
# Fit every solver with growing ``max_iter`` and record time and suboptimality.
solvers = {
    "ours: newton-cg": lambda k: SoftmaxRegression(max_iter=k, tol=1e-14),
    "ours: lbfgs": lambda k: SoftmaxRegression(solver="lbfgs", max_iter=k, tol=1e-14),
    "sklearn: newton-cg": lambda k: LogisticRegression(
        solver="newton-cg", max_iter=k, tol=1e-14
    ),
    "sklearn: lbfgs": lambda k: LogisticRegression(max_iter=k, tol=1e-14),
}
budget = 3.0  # seconds of fitting per solver
curves = {}
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    for name, make in solvers.items():
        times, gaps, max_iter, spent = [], [], 1, 0.0
        while spent < budget:
            start = perf_counter()
            model = make(max_iter).fit(X, y)
            seconds = perf_counter() - start
            spent += seconds
            times.append(seconds)
            gaps.append(max((objective(model) - f_star) / f_star, 1e-16))
            if gaps[-1] <= 1e-10:
                break
            max_iter = max_iter + 1 if "newton" in name else 2 * max_iter
        curves[name] = (times, gaps)
        reached = [t for t, g in zip(times, gaps, strict=True) if g <= 1e-6]
        result = f"{min(reached):.3f} s" if reached else f"not within {budget} s"
        print(f"{name:20s} time to 1e-6: {result}")

# %%
fig, ax = plt.subplots(figsize=(6, 4))
for name, (times, gaps) in curves.items():
    style = "-" if name.startswith("ours") else "--"
    ax.loglog(times, gaps, style, marker="o", markersize=3, label=name)
ax.axhline(1e-6, color="gray", linewidth=0.8)
ax.set_xlabel("fit time (s)")
ax.set_ylabel("relative suboptimality (F − F*) / F*")
ax.set_title("20,000 × 100, 10 classes, C=1")
ax.legend()
fig.tight_layout()
plt.show()
