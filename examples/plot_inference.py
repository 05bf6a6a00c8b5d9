"""
Inference for a multinomial choice model
========================================

Which features drive the choice of a commuting mode, and how sure are we?
Fit :class:`~sklearn_softmax.SoftmaxRegression` without a penalty, ask
:meth:`~sklearn_softmax.SoftmaxRegression.inference` for cluster-robust
standard errors (commuters are surveyed by household), plot the
coefficients with their confidence intervals, test a feature jointly across
the modes, and compare with statsmodels' ``MNLogit`` when it is installed.
"""

# %%
# Data: 3,000 commuters in 600 households choose between car, bus and bike.
# The choice depends on distance, income and rain; "age" has no effect in
# truth. A household effect makes its members' choices correlated, which
# the cluster-robust covariance accounts for.
import matplotlib.pyplot as plt
import numpy as np

from sklearn_softmax import SoftmaxRegression

rng = np.random.default_rng(0)
n, n_households = 3000, 600
household = rng.integers(n_households, size=n)
features = ["distance", "income", "rain", "age"]
X = rng.normal(size=(n, 4))
modes = np.array(["bike", "bus", "car"])
# Utilities of bus and car relative to bike (true contrasts).
truth = np.array([[0.8, -0.3, 0.6, 0.0], [1.2, 0.7, 0.9, 0.0]])
shared = rng.normal(scale=0.7, size=(n_households, 2))[household]
utility = np.column_stack([np.zeros(n), X @ truth.T + shared])
p = np.exp(utility - utility.max(1, keepdims=True))
p /= p.sum(1, keepdims=True)
y = modes[(p.cumsum(1) > rng.random((n, 1))).argmax(1)]

# %%
# Fit without a penalty, tightly: inference is about the optimum.
clf = SoftmaxRegression(C=np.inf, tol=1e-8).fit(X, y)
res = clf.inference(X, y, cov_type="cluster", groups=household, reference="bike")

# %%
# The coefficients of bus and car against bike, with 95% intervals.
ci = res.conf_int()
fig, ax = plt.subplots(figsize=(6, 3.5))
for row, (mode, marker) in enumerate(zip(res.classes, "os", strict=True)):
    offset = 0.15 * (row - 0.5)
    positions = np.arange(len(features)) + offset
    ax.errorbar(
        res.coef[row], positions, xerr=np.abs(ci[row].T - res.coef[row]),
        fmt=marker, capsize=3, label=f"{mode} vs bike",
    )  # fmt: skip
ax.axvline(0, color="grey", lw=0.8)
ax.set_yticks(np.arange(len(features)), features)
ax.set_xlabel("coefficient (log-odds against bike), 95% CI")
ax.legend()
fig.tight_layout()

# %%
# Is age irrelevant in both contrasts? A joint Wald test, χ² with 2 degrees
# of freedom; distance clearly matters.
print("age:     ", res.wald_test_features([3]))
print("distance:", res.wald_test_features([0]))

# %%
# The table (a pandas DataFrame, when pandas is installed), and statsmodels'
# ``MNLogit`` with the same clustered covariance (CR1, the same small-sample
# correction), when installed. Columns ``x0`` to ``x3`` are the features
# above (a DataFrame ``X`` would name them).
try:
    print(res.summary().round(4))
except ImportError as error:
    print(error)
try:
    import statsmodels.api as sm
except ImportError:
    print("statsmodels is not installed; skipping the comparison.")
else:
    codes = np.searchsorted(modes, y)
    sm_res = sm.MNLogit(codes, sm.add_constant(X)).fit(
        disp=0, cov_type="cluster", cov_kwds={"groups": household}
    )
    ours = np.column_stack([res.intercept_bse, res.bse]).T
    print(sm_res.summary(xname=["const", *features]))
    print("largest relative difference of the standard errors:",
          f"{np.max(np.abs(ours / sm_res.bse - 1)):.1e}")  # fmt: skip
