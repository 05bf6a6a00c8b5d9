"""
Softmax regression on handwritten digits
========================================

Fit :class:`~sklearn_softmax.SoftmaxRegression` with each of its solvers on the
digits data set, compare it with scikit-learn's ``LogisticRegression`` (same
objective, so the same model), and plot how each solver drives the objective
down.
"""

# %%
# Data: 8×8 images of the digits 0–9, standardised.
import warnings
from time import perf_counter

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sklearn_softmax import SoftmaxRegression

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

# %%
# Fit every solver to the same tolerance, and ``LogisticRegression`` beside them.
# ``"sgd"`` (SAGA) is given 300 epochs: its linear rate is slow on this weakly
# regularised problem, and it stops short of ``tol`` (a ``ConvergenceWarning``,
# silenced here), though its model predicts as well as the others'.
models = {
    f"SoftmaxRegression({solver!r})": SoftmaxRegression(
        solver=solver, tol=1e-6, max_iter=2000
    )
    for solver in ("newton-cg", "lbfgs", "gd", "fista")
}
models["SoftmaxRegression('sgd')"] = SoftmaxRegression(
    solver="sgd", tol=1e-6, max_iter=300, random_state=0
)
models["LogisticRegression()"] = LogisticRegression(tol=1e-6, max_iter=2000)
warnings.filterwarnings("ignore", "SoftmaxRegression.solver='sgd'", ConvergenceWarning)

header = ("model", "fit (s)", "iterations", "accuracy", "log loss")
print("{:32s} {:>8s} {:>10s} {:>8s} {:>9s}".format(*header))
for name, model in models.items():
    start = perf_counter()
    model.fit(X_train, y_train)
    seconds = perf_counter() - start
    n_iter = int(np.max(model.n_iter_))
    accuracy = model.score(X_test, y_test)
    loss = log_loss(y_test, model.predict_proba(X_test))
    print(f"{name:32s} {seconds:8.3f} {n_iter:10d} {accuracy:8.4f} {loss:9.5f}")

# %%
# Both minimise ``C Σ ℓ_n + ½‖W‖²``: the probabilities agree.
ours = models["SoftmaxRegression('newton-cg')"].predict_proba(X_test)
theirs = models["LogisticRegression()"].predict_proba(X_test)
print(f"largest difference in predict_proba: {np.abs(ours - theirs).max():.1e}")

# %%
# The objective (divided by ``C Σ s``) after each iteration, minus its final
# value: Newton-CG needs a handful of iterations, gradient descent hundreds;
# an iteration of "sgd" is an epoch of minibatch steps.
best = min(min(m.loss_curve_) for m in models.values() if hasattr(m, "loss_curve_"))
fig, ax = plt.subplots(figsize=(6, 4))
for name, model in models.items():
    if hasattr(model, "loss_curve_"):
        curve = np.array(model.loss_curve_) - best
        ax.semilogy(np.arange(1, curve.size + 1), np.maximum(curve, 1e-16), label=name)
ax.set_xlabel("iteration")
ax.set_ylabel("objective − best objective")
ax.set_title("Digits, C=1")
ax.legend()
fig.tight_layout()
plt.show()
