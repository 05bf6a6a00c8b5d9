"""
Calibration of the predicted probabilities
==========================================

A model is calibrated when, among the samples to which it gives a class
probability ``p``, about a share ``p`` belong to that class. On data drawn
from a softmax model, where the true probabilities are known, compare the
probabilities of :class:`~sklearn_softmax.SoftmaxRegression` with those of
scikit-learn's ``LogisticRegression`` (the same objective, so the same
model), of an over-regularised fit, and of ``GaussianNB``, a classifier
known to be overconfident.
"""

# %%
# Data: 20 correlated features, 5 classes, labels drawn from the softmax of
# ``Wᵀx + b``: ``true_proba`` holds each sample's true class probabilities.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, log_loss
from sklearn.naive_bayes import GaussianNB

from sklearn_softmax import SoftmaxRegression, softmax

rng = np.random.default_rng(0)
n_features, n_classes = 20, 5
mixing = rng.normal(size=(n_features, n_features)) / np.sqrt(n_features)
W_true = 0.5 * rng.normal(size=(n_features, n_classes))
b_true = rng.normal(size=n_classes)


def draw(n):
    X = rng.normal(size=(n, n_features)) @ mixing.T
    proba = softmax((X @ W_true + b_true).T).T  # the derivation's layout: K × N
    y = (proba.cumsum(axis=1) > rng.uniform(size=(n, 1))).argmax(axis=1)
    return X, y, proba


X_train, y_train, _ = draw(5_000)
X_test, y_test, true_proba = draw(20_000)

models = {
    "SoftmaxRegression(C=1)": SoftmaxRegression(C=1.0, tol=1e-8),
    "LogisticRegression(C=1)": LogisticRegression(C=1.0, tol=1e-8, max_iter=1000),
    "SoftmaxRegression(C=1e-4)": SoftmaxRegression(C=1e-4),
    "GaussianNB": GaussianNB(),
}
probas = {
    name: m.fit(X_train, y_train).predict_proba(X_test) for name, m in models.items()
}
probas["true probabilities"] = true_proba

# %%
# Scores on the test set: the log loss and the Brier score of every
# (sample, class) pair. The two softmax regressions give the same
# probabilities to about six digits.
onehot = np.eye(n_classes)[y_test]
for name, p in probas.items():
    brier = brier_score_loss(onehot.ravel(), p.ravel())
    print(f"{name:28s} log loss {log_loss(y_test, p):.4f}   Brier {brier:.4f}")
gap = np.abs(probas["SoftmaxRegression(C=1)"] - probas["LogisticRegression(C=1)"])
print(f"largest |difference| between the two softmax regressions: {gap.max():.1e}")

# %%
# Reliability diagram: every (sample, class) pair binned by its predicted
# probability; the observed frequency of the class in each bin against the
# mean prediction. A calibrated model follows the diagonal. The
# over-regularised fit is underconfident (its probabilities are pulled
# towards the class shares), naive Bayes overconfident.
bins = np.linspace(0, 1, 11)
fig, (ax, ax_hist) = plt.subplots(
    2, 1, figsize=(6.5, 7), height_ratios=[3, 1], sharex=True
)
ax.plot([0, 1], [0, 1], color="grey", lw=0.8)
styles = ["o-", "x--", "s-", "^-", "k:"]
for (name, p), style in zip(probas.items(), styles, strict=True):
    which = np.clip(np.digitize(p.ravel(), bins) - 1, 0, len(bins) - 2)
    used = np.bincount(which, minlength=len(bins) - 1) > 0
    mean_p = np.bincount(which, weights=p.ravel(), minlength=len(bins) - 1)
    freq = np.bincount(which, weights=onehot.ravel(), minlength=len(bins) - 1)
    count = np.bincount(which, minlength=len(bins) - 1)
    ax.plot(mean_p[used] / count[used], freq[used] / count[used], style, label=name)
    ax_hist.hist(p.ravel(), bins=bins, histtype="step", label=name)
ax.set(ylabel="observed frequency of the class", title="Reliability diagram")
ax.legend(fontsize=8)
ax_hist.set(xlabel="predicted probability", ylabel="pairs", yscale="log")
fig.tight_layout()
plt.show()
