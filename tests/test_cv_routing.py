"""SoftmaxRegressionCV with groups and metadata routing, as LogisticRegressionCV.

References: the same folds given as an explicit list of splits, scores
computed fold by fold with scikit-learn's metrics, and LogisticRegressionCV's
own errors and routing.
"""

import functools
import warnings

import numpy as np
import pytest
import sklearn
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegressionCV
from sklearn.metrics import accuracy_score, log_loss, make_scorer
from sklearn.model_selection import (
    GridSearchCV,
    GroupKFold,
    KFold,
    LeaveOneGroupOut,
    cross_validate,
)
from sklearn.preprocessing import StandardScaler

from sklearn_softmax import SoftmaxRegression, SoftmaxRegressionCV

TIGHT = {"tol": 1e-10, "max_iter": 1000}
PATH_ATTRIBUTES = ("Cs_", "scores_", "coefs_paths_", "n_iter_", "coef_", "intercept_")


@functools.cache
def data():
    """Iris, scaled, with 9 groups of mixed classes and positive weights."""
    X, y = load_iris(return_X_y=True)
    rng = np.random.default_rng(0)
    groups = rng.integers(0, 9, size=y.shape[0])
    weights = rng.uniform(0.2, 3.0, size=y.shape[0])
    return StandardScaler().fit_transform(X), y, groups, weights


@pytest.fixture(params=[False, True], ids=["routing-off", "routing-on"])
def routing(request):
    with sklearn.config_context(enable_metadata_routing=request.param):
        yield request.param


@pytest.fixture
def routing_on():
    with sklearn.config_context(enable_metadata_routing=True):
        yield


def assert_same_path(fitted, reference):
    for name in PATH_ATTRIBUTES:
        assert_array_equal(getattr(fitted, name), getattr(reference, name), name)
    assert fitted.C_ == reference.C_
    assert fitted.l1_ratio_ == reference.l1_ratio_


def fold_by_fold(X, y, folds, Cs, metric, s_fit=None, s_score=None):
    """``scores[f, i]``: ``metric`` of a plain fit at ``Cs[i]`` on fold ``f``."""
    scores = np.empty((len(folds), len(Cs)))
    for f, (train, test) in enumerate(folds):
        for i, C in enumerate(Cs):
            fit_kwargs = {} if s_fit is None else {"sample_weight": s_fit[train]}
            model = SoftmaxRegression(C=C, **TIGHT)
            model.fit(X[train], y[train], **fit_kwargs)
            score_kwargs = {} if s_score is None else {"sample_weight": s_score[test]}
            scores[f, i] = metric(model, X[test], y[test], **score_kwargs)
    return scores


def neg_log_loss(model, X, y, **kwargs):
    return -log_loss(y, model.predict_proba(X), labels=model.classes_, **kwargs)


def accuracy(model, X, y, **kwargs):
    return accuracy_score(y, model.predict(X), **kwargs)


# --------------------------------------------------------------------------
# groups go to the splitter
# --------------------------------------------------------------------------


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("splitter", [GroupKFold(3), LeaveOneGroupOut()])
def test_groups_give_the_folds_of_the_group_splitter(routing, splitter, weighted):
    X, y, groups, weights = data()
    s = weights if weighted else None
    folds = list(splitter.split(X, y, groups))
    grouped = SoftmaxRegressionCV(Cs=4, cv=splitter).fit(
        X, y, sample_weight=s, groups=groups
    )
    explicit = SoftmaxRegressionCV(Cs=4, cv=folds).fit(X, y, sample_weight=s)
    assert grouped.scores_.shape[0] == splitter.get_n_splits(X, y, groups)
    assert_same_path(grouped, explicit)


def test_a_group_splitter_without_groups_raises_as_in_scikit_learn(routing):
    X, y, _, _ = data()
    with pytest.raises(ValueError, match="'groups' parameter should not be None"):
        SoftmaxRegressionCV(cv=GroupKFold(3)).fit(X, y)


@pytest.mark.filterwarnings("ignore:The groups parameter is ignored:UserWarning")
def test_groups_for_a_splitter_that_takes_none(routing):
    """Off, ``split`` ignores them (as GridSearchCV's); on, nothing requests them."""
    X, y, groups, _ = data()
    clf = SoftmaxRegressionCV(Cs=3, cv=KFold(3))
    if routing:
        with pytest.raises(TypeError, match="not routed to any object"):
            clf.fit(X, y, groups=groups)
    else:
        plain = SoftmaxRegressionCV(Cs=3, cv=KFold(3)).fit(X, y)
        assert_same_path(clf.fit(X, y, groups=groups), plain)


def test_routing_consumes_groups_exactly_where_logistic_regression_cv_does():
    with sklearn.config_context(enable_metadata_routing=True):
        for cv in (GroupKFold(3), KFold(3), 3, None):
            ours = SoftmaxRegressionCV(cv=cv).get_metadata_routing()
            theirs = LogisticRegressionCV(cv=cv).get_metadata_routing()
            for method, names in (("fit", {"groups"}), ("score", {"groups"})):
                assert ours.consumes(method, names) == theirs.consumes(method, names)
            assert ours.consumes("fit", {"sample_weight"}) == {"sample_weight"}


# --------------------------------------------------------------------------
# Unknown metadata, as LogisticRegressionCV
# --------------------------------------------------------------------------


def raised(fit):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises((ValueError, TypeError)) as info:
            fit()
    return info


@pytest.mark.filterwarnings("ignore::FutureWarning", "ignore::DeprecationWarning")
@pytest.mark.parametrize("method", ["fit", "score"])
def test_unknown_metadata_raises_as_in_scikit_learn(routing, method):
    X, y, _, _ = data()
    ours = SoftmaxRegressionCV(Cs=2, cv=3).fit(X, y)
    theirs = LogisticRegressionCV(Cs=2, cv=3, max_iter=1000).fit(X, y)
    got = raised(lambda: getattr(ours, method)(X, y, bogus=1))
    expected = raised(lambda: getattr(theirs, method)(X, y, bogus=1))
    assert got.type is expected.type
    message = str(expected.value).replace("LogisticRegressionCV", "SoftmaxRegressionCV")
    assert str(got.value) == message
    assert ("not routed" in message) == routing


def test_a_failed_fit_leaves_the_estimator_unfitted(routing_on):
    X, y, groups, _ = data()
    clf = SoftmaxRegressionCV(cv=GroupKFold(3))
    with pytest.raises(TypeError):
        clf.fit(X, y, groups=groups, bogus=1)
    assert not hasattr(clf, "classes_")


# --------------------------------------------------------------------------
# sample_weight and other metadata for the scorer
# --------------------------------------------------------------------------


def test_the_default_scorer_is_weighted_with_or_without_routing(routing):
    X, y, groups, weights = data()
    folds = list(GroupKFold(3).split(X, y, groups))
    clf = SoftmaxRegressionCV(Cs=3, cv=GroupKFold(3), **TIGHT)
    clf.fit(X, y, sample_weight=weights, groups=groups)
    expected = fold_by_fold(X, y, folds, clf.Cs_[:, 0], neg_log_loss, weights, weights)
    assert_allclose(clf.scores_[..., 0], expected, rtol=1e-6, atol=1e-9)
    score = neg_log_loss(clf, X, y, sample_weight=weights)
    assert_allclose(clf.score(X, y, sample_weight=weights), score, rtol=1e-12)


@pytest.mark.parametrize("requested", [True, False])
def test_a_scorer_gets_the_weights_it_requests(routing_on, requested):
    X, y, groups, weights = data()
    folds = list(GroupKFold(3).split(X, y, groups))
    scorer = make_scorer(accuracy_score).set_score_request(sample_weight=requested)
    clf = SoftmaxRegressionCV(Cs=3, cv=GroupKFold(3), scoring=scorer, **TIGHT)
    clf.fit(X, y, sample_weight=weights, groups=groups)
    s_score = weights if requested else None
    expected = fold_by_fold(X, y, folds, clf.Cs_[:, 0], accuracy, weights, s_score)
    assert_allclose(clf.scores_[..., 0], expected, rtol=1e-12)
    score = accuracy(clf, X, y, sample_weight=s_score)
    assert clf.score(X, y, sample_weight=weights) == pytest.approx(score, rel=1e-12)


def test_a_scorer_named_by_a_string_sees_weights_as_in_logistic_regression_cv(
    routing_on,
):
    """scikit-learn 1.9 asks for an explicit request; 1.6 passes no weights."""
    X, y, _, weights = data()

    def outcome(estimator):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                estimator.fit(X, y, sample_weight=weights)
            except Exception as error:  # noqa: BLE001 - compared below
                return type(error)
        return None

    ours = SoftmaxRegressionCV(Cs=2, cv=3, scoring="accuracy")
    theirs = LogisticRegressionCV(Cs=2, cv=3, scoring="accuracy", max_iter=1000)
    assert outcome(ours) is outcome(theirs)


def test_other_metadata_reaches_the_scorer_cut_to_each_test_part(routing_on):
    X, y, groups, weights = data()

    def hits(y_true, y_pred, *, importance):
        return float(np.sum(importance * (y_true == y_pred)))

    scorer = make_scorer(hits).set_score_request(importance=True)
    clf = SoftmaxRegressionCV(Cs=3, cv=GroupKFold(3), scoring=scorer, **TIGHT)
    clf.fit(X, y, groups=groups, importance=weights)
    folds = list(GroupKFold(3).split(X, y, groups))

    def metric(model, X_test, y_test, sample_weight):
        return hits(y_test, model.predict(X_test), importance=sample_weight)

    expected = fold_by_fold(X, y, folds, clf.Cs_[:, 0], metric, None, weights)
    assert_allclose(clf.scores_[..., 0], expected, rtol=1e-12)


# --------------------------------------------------------------------------
# Inside scikit-learn's model selection
# --------------------------------------------------------------------------


def inner_reference(X, y, groups, train, test, **params):
    """The inner model of one outer fold, with its folds given explicitly."""
    inner = list(GroupKFold(3).split(X[train], y[train], groups[train]))
    model = SoftmaxRegressionCV(Cs=3, cv=inner, **params).fit(X[train], y[train])
    return model.score(X[test], y[test])


def test_grid_search_routes_groups_to_the_inner_splitter(routing_on):
    X, y, groups, _ = data()
    outer = GroupKFold(2)
    search = GridSearchCV(
        SoftmaxRegressionCV(Cs=3, cv=GroupKFold(3)),
        {"fit_intercept": [True, False]},
        cv=outer,
    ).fit(X, y, groups=groups)
    for k, params in enumerate(search.cv_results_["params"]):
        for f, (train, test) in enumerate(outer.split(X, y, groups)):
            expected = inner_reference(X, y, groups, train, test, **params)
            got = search.cv_results_[f"split{f}_test_score"][k]
            assert_allclose(got, expected, rtol=1e-12)
    inner = list(GroupKFold(3).split(X, y, groups))
    best = SoftmaxRegressionCV(Cs=3, cv=inner, **search.best_params_).fit(X, y)
    assert_same_path(search.best_estimator_, best)


def test_cross_validate_with_groups_for_both_splitters(routing):
    X, y, groups, _ = data()
    outer = GroupKFold(2)
    estimator = SoftmaxRegressionCV(Cs=3, cv=GroupKFold(3))
    if routing:  # groups go to every splitter that requests them
        kwargs = {"params": {"groups": groups}}
    else:  # the outer splitter's, and the estimator's fit parameter
        kwargs = {"groups": groups, "params": {"groups": groups}}
    result = cross_validate(estimator, X, y, cv=outer, **kwargs)
    for f, (train, test) in enumerate(outer.split(X, y, groups)):
        expected = inner_reference(X, y, groups, train, test)
        assert_allclose(result["test_score"][f], expected, rtol=1e-12)
