"""
Streaming a large data set through ``partial_fit``
==================================================

Train :class:`~sklearn_softmax.SoftmaxRegression` on a data set generated
chunk by chunk, which never sits in memory as a whole, with a progress bar
over the stream and the training and validation loss recorded as it goes.
Then monitor a ``fit`` in memory the same way, through scikit-learn's
callbacks.
"""

# %%
# The stream: 600,000 samples of 40 features and 8 classes, drawn from a
# softmax model in 60 chunks of 10,000 rows. Each chunk is made from its own
# seed when it is needed, so a pass over the stream holds one chunk at a
# time; a validation set of 20,000 rows is drawn apart.
import matplotlib.pyplot as plt
import numpy as np
from rich.progress import track
from sklearn.metrics import log_loss

from sklearn_softmax import SoftmaxRegression

n_chunks, chunk_size, n_features, n_classes = 60, 10_000, 40, 8
model = np.random.default_rng(0)
mixing = model.normal(size=(n_features, n_features)) / np.sqrt(n_features)
W_true = 0.4 * model.normal(size=(n_features, n_classes))
b_true = model.normal(size=n_classes)


def chunk(seed, n=chunk_size):
    """Rows ``x = A z`` and labels drawn from the softmax of ``Wᵀx + b``."""
    rng = np.random.default_rng([seed, 1])
    X = rng.normal(size=(n, n_features)) @ mixing.T
    logits = X @ W_true + b_true + rng.gumbel(size=(n, n_classes))
    return X, logits.argmax(axis=1)


X_val, y_val = chunk(seed=10**6, n=20_000)
classes = np.arange(n_classes)

# %%
# Two passes over the stream, the chunks in a new order each time. The
# penalty of ``partial_fit`` is scaled to the weight seen so far, so two
# passes with ``C / 2`` approach ``fit`` on the whole data with ``C``.
# ``loss_curve_`` gets the mean loss of each call's batches, each taken
# before its update (an estimate on unseen rows during the first pass); the
# validation loss is measured every 5 chunks.
epochs = 2
clf = SoftmaxRegression(C=1.0 / epochs, batch_size=256)
validation = []
order = np.random.default_rng(1)
for epoch in range(epochs):
    seeds = order.permutation(n_chunks)
    for i, seed in enumerate(track(seeds, description=f"epoch {epoch + 1}")):
        X, y = chunk(seed)
        clf.partial_fit(X, y, classes=classes)
        if (i + 1) % 5 == 0:
            calls = epoch * n_chunks + i + 1
            validation.append((calls, log_loss(y_val, clf.predict_proba(X_val))))

# %%
# The reference: a full-batch fit on all the rows at once (a few hundred MB,
# made here only to compare).
X_all = np.empty((n_chunks * chunk_size, n_features))
y_all = np.empty(n_chunks * chunk_size, dtype=np.intp)
for seed in range(n_chunks):
    rows = slice(seed * chunk_size, (seed + 1) * chunk_size)
    X_all[rows], y_all[rows] = chunk(seed)
full = SoftmaxRegression(C=1.0).fit(X_all, y_all)
full_loss = log_loss(y_val, full.predict_proba(X_val))
print(f"validation log loss, streamed: {validation[-1][1]:.4f}")
print(f"validation log loss, full fit: {full_loss:.4f}")
print(f"ratio: {validation[-1][1] / full_loss:.4f}")

fig, ax = plt.subplots(figsize=(7, 4))
calls = np.arange(1, len(clf.loss_curve_) + 1)
ax.plot(calls, clf.loss_curve_, lw=1, label="training (each call's batches)")
ax.plot(*np.transpose(validation), "o-", ms=3, label="validation")
ax.axhline(full_loss, color="k", ls="--", lw=1, label="full-batch fit")
ax.axvline(n_chunks + 0.5, color="grey", lw=0.5)
ax.set(xlabel="partial_fit calls (chunks of 10,000 rows)", ylabel="log loss")
ax.set_ylim(full_loss * 0.95, full_loss * 1.5)
ax.legend()
fig.tight_layout()

# %%
# Monitoring ``fit``: on scikit-learn 1.9 and later, the callbacks of
# :mod:`sklearn.callback` see every iteration of every solver.
# ``ProgressBar`` draws a bar per fit (nested inside ``GridSearchCV``'s);
# ``ScoringMonitor`` scores the model of each iteration on the training
# data. Here, ten epochs of the ``"sgd"`` solver on 30,000 rows, with the
# training log loss recorded per epoch.
try:
    from sklearn.callback import ProgressBar, ScoringMonitor
except ImportError:  # scikit-learn < 1.9: no callbacks
    ProgressBar = None

if ProgressBar is not None:
    X, y = chunk(seed=0, n=30_000)
    monitor = ScoringMonitor(scoring="neg_log_loss")
    sgd = SoftmaxRegression(solver="sgd", max_iter=10, random_state=0)
    sgd.set_callbacks(ProgressBar(), monitor).fit(X, y)
    rows = monitor.get_logs().data
    losses = [-r["neg_log_loss"] for r in rows if r["task_name"] == "iteration"]
    print(f"sgd: {sgd.n_iter_} epochs, training log loss {losses[-1]:.4f}")
    fig, ax = plt.subplots(figsize=(7, 3))
    ax.plot(np.arange(1, len(losses) + 1), losses, "o-")
    ax.set(xlabel="epoch of the sgd solver", ylabel="training log loss")
    fig.tight_layout()

plt.show()
