"""
The L1 path on sparse text-like data
====================================

Choose the strength of an L1 penalty by cross-validation with
:class:`~sklearn_softmax.SoftmaxRegressionCV`, on a bag-of-words matrix made
on the fly, and plot along the path of ``C`` how many words the model keeps
and how well it predicts held-out documents.
"""

# %%
# Data: 4,000 "documents" over a 3,000-word vocabulary, in 5 topics. Every
# document draws its words from a Zipf-like background distribution mixed
# with its topic's 30 keywords; the counts are TF-IDF weighted, as a text
# pipeline would, and stay a scipy.sparse CSR matrix throughout.
import matplotlib.pyplot as plt
import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.model_selection import train_test_split

from sklearn_softmax import SoftmaxRegressionCV

rng = np.random.default_rng(0)
n_docs, n_words, n_topics, n_keywords = 4000, 3000, 5, 30
background = 1.0 / np.arange(1, n_words + 1)
background /= background.sum()
keywords = rng.choice(n_words, size=(n_topics, n_keywords), replace=False)
y = rng.integers(n_topics, size=n_docs)
lengths = rng.poisson(50, size=n_docs)
rows, cols = [], []
for doc, (topic, length) in enumerate(zip(y, lengths, strict=True)):
    n_topical = rng.binomial(length, 0.04)
    words = np.concatenate(
        [
            rng.choice(n_words, size=length - n_topical, p=background),
            rng.choice(keywords[topic], size=n_topical),
        ]
    )
    rows.append(np.full(words.size, doc))
    cols.append(words)
counts = sp.csr_array(
    (np.ones(lengths.sum()), (np.concatenate(rows), np.concatenate(cols))),
    shape=(n_docs, n_words),
)
X = TfidfTransformer().fit_transform(counts)  # duplicates are summed first
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)
print(f"X: {X.shape[0]:,} × {X.shape[1]:,}, {X.nnz:,} non-zeros ({type(X).__name__})")

# %%
# Cross-validate 12 values of ``C`` for the pure L1 penalty. The path starts
# at the largest ``C`` whose solution is all zeros, computed from the gradient
# at the best constant model, and runs up four decades from there, each fit
# warm-started from the previous one.
model = SoftmaxRegressionCV(Cs=12, l1_ratios=[1.0], cv=5, n_jobs=2).fit(
    X_train, y_train
)
n_kept = np.count_nonzero(np.any(model.coef_ != 0, axis=0))
print(f"best C = {model.C_:.3g}: {n_kept} of {n_words:,} words kept")
# ``score`` follows ``scoring``, as in LogisticRegressionCV: the negative log loss.
accuracy = np.mean(model.predict(X_test) == y_test)
print(f"test log loss {-model.score(X_test, y_test):.3f}, accuracy {accuracy:.3f}")

# %%
# Along the path: the words with a non-zero coefficient for some topic (mean
# over the folds) and the cross-validated log loss (default scoring: the
# negative log loss). The keywords are 150 of the 3,000 words.
Cs = model.Cs_[:, 0]
nonzero = model.n_nonzero_paths_[:, :, 0]
scores = -model.scores_[:, :, 0]
fig, (ax_nz, ax_score) = plt.subplots(2, 1, sharex=True, figsize=(6, 6))
ax_nz.semilogx(Cs, nonzero.mean(axis=0), marker="o")
ax_nz.axhline(n_topics * n_keywords, color="gray", linestyle=":", label="keywords")
ax_nz.set_ylabel("words kept")
ax_nz.legend()
ax_score.semilogx(Cs, scores.mean(axis=0), marker="o")
ax_score.fill_between(
    Cs, scores.min(axis=0), scores.max(axis=0), alpha=0.3, label="range over folds"
)
ax_score.axvline(model.C_, color="k", linestyle="--", label="C_")
ax_score.set_xlabel("C")
ax_score.set_ylabel("validation log loss")
ax_score.legend()
fig.suptitle("L1 path, 5 topics")
fig.tight_layout()
plt.show()
