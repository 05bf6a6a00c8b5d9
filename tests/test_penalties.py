"""Penalty objects against brute-force minimisation and finite differences."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.optimize import minimize_scalar

from sklearn_softmax._penalties import ElasticNet, make_penalty

PENALTIES = [ElasticNet(0.0), ElasticNet(0.3), ElasticNet(0.3, 0.5), ElasticNet(2, 1)]


@pytest.mark.parametrize("penalty", PENALTIES, ids=repr)
def test_prox_is_the_minimiser_of_its_definition(penalty):
    # prox(w) = argmin_u  ½ (u − w)² + t · penalty(u), entry by entry.
    W, step = np.array([[-2.0, -0.1], [0.05, 1.5]]), 0.4
    expected = [
        minimize_scalar(
            lambda u, w=w: 0.5 * (u - w) ** 2 + step * penalty.value(np.array([u])),
            bounds=(-5, 5),
            method="bounded",
            options={"xatol": 1e-12},
        ).x
        for w in W.ravel()
    ]
    assert_allclose(penalty.prox(W, step).ravel(), expected, atol=1e-8)


@pytest.mark.parametrize("penalty", PENALTIES, ids=repr)
def test_smooth_gradient_and_hessp_match_finite_differences(penalty):
    W, V, eps = np.array([[0.3, -1.2], [2.0, 0.7]]), np.ones((2, 2)), 1e-6
    smooth = penalty.smooth_value
    numeric = (smooth(W + eps * V) - smooth(W - eps * V)) / (2 * eps)
    assert np.vdot(penalty.grad(W), V) == pytest.approx(numeric, rel=1e-8)
    assert_allclose(penalty.hessp(V), (penalty.grad(W + V) - penalty.grad(W)))


@pytest.mark.parametrize(
    ("C", "l1_ratio", "alpha", "smooth"),
    [(np.inf, 0.5, 0.0, True), (2.0, 0.0, 1 / 20, True), (2.0, 0.5, 1 / 20, False)],
)
def test_make_penalty_rescales_by_C_times_weight_sum(C, l1_ratio, alpha, smooth):
    penalty = make_penalty(C, l1_ratio, weight_sum=10.0)
    assert penalty.alpha == pytest.approx(alpha)
    assert penalty.smooth is smooth


@pytest.mark.parametrize("penalty", PENALTIES, ids=repr)
def test_prox_takes_a_step_per_entry(penalty):
    # The diagonal metric of FISTA gives each entry its own step t_ik.
    W = np.array([[-2.0, -0.1], [0.05, 1.5]])
    steps = np.array([[0.4, 2.0], [0.01, 1.0]])
    expected = [
        minimize_scalar(
            lambda u, w=w, t=t: 0.5 * (u - w) ** 2 + t * penalty.value(np.array([u])),
            bounds=(-5, 5),
            method="bounded",
            options={"xatol": 1e-12},
        ).x
        for w, t in zip(W.ravel(), steps.ravel(), strict=True)
    ]
    assert_allclose(penalty.prox(W, steps).ravel(), expected, atol=1e-8)
    assert np.sum(penalty.prox(W, steps) == 0) == (
        np.sum(np.abs(W) <= steps * penalty.l1_strength)
    )
