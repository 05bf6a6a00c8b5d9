"""The constructor parameters of ``SoftmaxRegression`` and their constraints.

scikit-learn's parameter validation checks them at ``fit`` and
``partial_fit``; ``SoftmaxRegressionCV`` takes the shared ones from here.
"""

from numbers import Integral, Real

from sklearn.utils._param_validation import Interval, StrOptions

from ._solvers import SOLVERS
from ._solvers._stream import ONLINE_LEARNING_RATES

#: ``SoftmaxRegression._parameter_constraints``.
PARAMETER_CONSTRAINTS: dict = {
    "C": [Interval(Real, 0, None, closed="right")],
    "l1_ratio": [Interval(Real, 0, 1, closed="both")],
    "fit_intercept": ["boolean"],
    "solver": [StrOptions({"auto", *SOLVERS})],
    "tol": [Interval(Real, 0, None, closed="left")],
    "max_iter": [Interval(Integral, 0, None, closed="left")],
    "class_weight": [dict, StrOptions({"balanced"}), None],
    "warm_start": ["boolean"],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
    "batch_size": [Interval(Integral, 1, None, closed="left")],
    "learning_rate": [StrOptions(set(ONLINE_LEARNING_RATES))],
    "eta0": [Interval(Real, 0, None, closed="neither"), StrOptions({"auto"})],
    "power_t": [Interval(Real, None, None, closed="neither")],
    "early_stopping": ["boolean"],
    "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
    "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
    "penalty_factor": ["array-like", None],
    "grouped": ["boolean", "array-like"],
    "lower_bounds": [Real, "array-like", None],
    "upper_bounds": [Real, "array-like", None],
    "positive": ["boolean"],
    "standardize": ["boolean"],
    # Soft targets and offsets.
    "label_smoothing": [Interval(Real, 0, 1, closed="left")],
}
