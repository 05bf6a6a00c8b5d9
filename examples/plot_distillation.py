"""
Distilling a boosted model into a softmax regression
====================================================

Knowledge distillation fits a small, fast, interpretable model to the
*probabilities* of a larger one rather than to the hard labels. Here the
teacher is scikit-learn's ``HistGradientBoostingClassifier`` on the digits,
and the student a :class:`~sklearn_softmax.SoftmaxRegression` fitted with
``fit(X, y, target_proba=...)``. The teacher's probabilities on the training
rows are *out-of-fold* (``cross_val_predict``): probabilities of a model on
its own training rows are overconfident, and would teach the student little
more than the labels. Compare, on held-out digits, the test log loss and the
calibration of the distilled student with those of the same model fitted on
the hard labels, each with its ``C`` chosen by
:class:`~sklearn_softmax.SoftmaxRegressionCV` (which takes ``target_proba``
too, and scores the folds on the hard labels).

What to expect: the student learns the teacher's out-of-fold probabilities,
uncertainty included, so it is only as good as they are. On the digits a
linear model on the hard labels is already strong, and in this run the
distilled student is less confident than it, with a higher test log loss;
mixing the labels and the teacher's probabilities (a common practice) lies in
between. Distillation pays where the teacher knows what the labels do not
say: noisy labels, or a student that must imitate a model it replaces.
"""

# %%
# The data, the teacher's out-of-fold probabilities on the training part,
# and its probabilities on the test part (for reference).
import matplotlib.pyplot as plt
import numpy as np
from sklearn.calibration import calibration_curve
from sklearn.datasets import load_digits
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import cross_val_predict, train_test_split
from sklearn.preprocessing import StandardScaler

from sklearn_softmax import SoftmaxRegressionCV

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.5, stratify=y, random_state=0
)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

teacher = HistGradientBoostingClassifier(
    max_iter=25, max_depth=3, learning_rate=0.3, random_state=0
)
teacher_proba = cross_val_predict(
    teacher, X_train, y_train, cv=3, method="predict_proba"
)
teacher.fit(X_train, y_train)

# %%
# The student, fitted on the hard labels, on the teacher's probabilities, and
# on their mean (``y`` stays the hard labels: it gives ``classes_`` and the
# folds' scores).
onehot_train = np.eye(10)[y_train]
targets = {
    "hard labels": None,
    "distilled": teacher_proba,
    "half and half": 0.5 * onehot_train + 0.5 * teacher_proba,
}
students = {
    name: SoftmaxRegressionCV(Cs=np.logspace(-2, 2, 9), cv=3).fit(
        X_train, y_train, target_proba=q
    )
    for name, q in targets.items()
}
probas = {name: m.predict_proba(X_test) for name, m in students.items()}
probas["teacher (boosting)"] = teacher.predict_proba(X_test)
for name, proba in probas.items():
    C = f"C={students[name].C_:.3g}" if name in students else "     "
    print(
        f"{name:>20} {C:>8}: test log loss {log_loss(y_test, proba):.3f}, "
        f"accuracy {accuracy_score(y_test, proba.argmax(axis=1)):.3f}"
    )

# %%
# Calibration: the predicted probability of every (sample, class) pair
# against the share of those pairs whose class is the true one.
fig, ax = plt.subplots(figsize=(5.5, 5))
ax.plot([0, 1], [0, 1], ":", color="grey", label="perfectly calibrated")
onehot = np.eye(10)[y_test].ravel()
for name, proba in probas.items():
    share, predicted = calibration_curve(
        onehot, proba.ravel(), n_bins=10, strategy="quantile"
    )
    ax.plot(predicted, share, "o-", label=f"{name} ({log_loss(y_test, proba):.3f})")
ax.set_xlabel("predicted probability")
ax.set_ylabel("share of true classes")
ax.set_title("Digits: calibration on held-out samples (log loss)")
ax.legend(loc="upper left", fontsize="small")
plt.show()
