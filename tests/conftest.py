"""Run the suite with one BLAS thread: small fits are far faster that way.

Results do not depend on it; only the time spent in thread start-up does.
"""

import os

# Lets scikit-learn 1.9 run its array-API check with NumPy; scipy reads it at
# import, so it is set before anything imports scipy.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import pytest  # noqa: E402
from sklearn.datasets import load_iris  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402


@pytest.fixture(autouse=True, scope="session")
def _single_blas_thread():
    with threadpool_limits(limits=1, user_api="blas"):
        yield


@pytest.fixture(scope="module")
def iris():
    """Iris with standardised features (a module may define its own)."""
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y
