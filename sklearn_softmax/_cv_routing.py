"""Where :class:`SoftmaxRegressionCV`'s metadata go: the splitter and the scorer.

As in ``LogisticRegressionCV``. With scikit-learn's metadata routing enabled,
``fit`` routes each parameter to what requests it (``groups`` to a group
splitter's ``split``, others to a scorer), and one that nothing requests
raises a ``TypeError``; ``score`` routes to the scorer. Without routing,
``fit`` takes ``groups`` alone (for the splitter, where ``LogisticRegressionCV``
refuses it), and the weights reach the scorer when its metric accepts them.
"""

from __future__ import annotations

from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    _raise_for_params,
    _routing_enabled,
    process_routing,
)

from ._cv_path import accepts_sample_weight


def routed_params(estimator, method: str, scorer, sample_weight, params: dict):
    """``(split_params, score_params)`` of a call of ``method`` ("fit" or "score").

    Raises
    ------
    TypeError or ValueError
        For parameters nothing requests, as scikit-learn's estimators do.
    """
    params = dict(params)
    groups = None
    if method == "fit" and not _routing_enabled():
        groups = params.pop("groups", None)
    _raise_for_params(params, estimator, method)
    if _routing_enabled():
        routed = process_routing(
            estimator, method, sample_weight=sample_weight, **params
        )
        split = routed.splitter.split if method == "fit" else {}
        return split, routed.scorer.score
    split_params = {} if groups is None else {"groups": groups}
    score_params = {}
    if sample_weight is not None and accepts_sample_weight(scorer):
        score_params["sample_weight"] = sample_weight
    return split_params, score_params


def metadata_router(estimator, scorer) -> MetadataRouter:
    """The router of ``estimator``: ``fit`` to ``cv.split`` and the scorer."""
    return (
        MetadataRouter(owner=type(estimator).__name__)
        .add_self_request(estimator)
        .add(
            splitter=estimator.cv,
            method_mapping=MethodMapping().add(caller="fit", callee="split"),
        )
        .add(
            scorer=scorer,
            method_mapping=MethodMapping()
            .add(caller="fit", callee="score")
            .add(caller="score", callee="score"),
        )
    )
