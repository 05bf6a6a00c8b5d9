"""
Decision regions and class probabilities in two dimensions
==========================================================

Three overlapping classes in the plane: the regions where
:class:`~sklearn_softmax.SoftmaxRegression` predicts each class are separated
by straight lines (the scores ``z = Wᵀx + b`` are linear, and the boundary
between two classes is where their scores are equal), and the probabilities
fade from one class to the next across them.
"""

# %%
# Data: three Gaussian blobs that overlap, so that the probabilities near the
# boundaries are far from 0 and 1.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_blobs

from sklearn_softmax import SoftmaxRegression

X, y = make_blobs(
    n_samples=450, centers=[[-2, 0], [2, 0], [0, 3]], cluster_std=1.4, random_state=0
)
clf = SoftmaxRegression(C=1.0).fit(X, y)
print("training accuracy:", round(clf.score(X, y), 3))
print("coef_ (one row per class):\n", clf.coef_.round(2))

# %%
# The probability of each class on a grid: the colour is that of the
# predicted class, lighter where the model is less sure; the contours are
# where the predicted class has probability 0.5, 0.7 and 0.9, and the dashed
# lines are the decision boundaries.
xx, yy = np.meshgrid(np.linspace(-6.5, 6.5, 300), np.linspace(-4.5, 7.5, 300))
grid = np.column_stack([xx.ravel(), yy.ravel()])
proba = clf.predict_proba(grid)
colors = np.array([[0.12, 0.47, 0.71], [1.0, 0.5, 0.05], [0.17, 0.63, 0.17]])
# Blend each class colour with white according to its probability.
image = proba @ colors + (1 - proba.max(axis=1, keepdims=True)) * 0.6
image = np.clip(image, 0, 1).reshape(*xx.shape, 3)

fig, ax = plt.subplots(figsize=(6.5, 6))
ax.imshow(image, origin="lower", extent=(-6.5, 6.5, -4.5, 7.5), aspect="auto")
contours = ax.contour(
    xx, yy, proba.max(axis=1).reshape(xx.shape), levels=[0.5, 0.7, 0.9],
    colors="k", linewidths=0.6,
)  # fmt: skip
ax.clabel(contours, fmt="%.1f", fontsize=8)
# Between classes j and k the boundary is where z_j = z_k, that is
# (w_j − w_k)ᵀx + (b_j − b_k) = 0: pieces of straight lines.
labels = clf.predict(grid).reshape(xx.shape)
ax.contour(xx, yy, labels, levels=[0.5, 1.5], colors="k", linestyles="--")
ax.scatter(X[:, 0], X[:, 1], c=colors[y], s=12, edgecolors="k", linewidths=0.3)
ax.set(xlim=(-6.5, 6.5), ylim=(-4.5, 7.5), xlabel="$x_1$", ylabel="$x_2$")
ax.set_title("Predicted class and its probability")
fig.tight_layout()

# %%
# The probabilities are a softmax of the scores, so they sum to one at
# every point, and the class with the largest score is the predicted one.
scores = clf.decision_function(grid)
assert np.allclose(proba.sum(axis=1), 1.0)
assert (scores.argmax(axis=1) == clf.predict(grid)).all()
plt.show()
