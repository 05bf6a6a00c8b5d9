"""SoftmaxRegression: the scikit-learn world on one side, the core on the other.

Conventions
-----------
The user's ``X`` is ``(n_samples, n_features)``; the objective gets ``X.T``, a
view of shape ``(M, N)``. The fitted parameter is ``W`` of shape
``(M + 1, K)`` (intercept last) or ``(M, K)``; ``coef_ = W[:M].T`` and
``intercept_ = W[M]`` are views of it for three or more classes. Two classes
are fitted as the ``K = 2`` softmax and reported as ``LogisticRegression``
reports them: ``coef_ = w₁ − w₀`` of shape ``(1, M)``, ``intercept_ = b₁ − b₀``
of shape ``(1,)``. ``sparsify()`` replaces ``coef_`` by a CSR copy (see
:mod:`._sparse_coef`); everything that reads ``coef_`` accepts both.
"""

from __future__ import annotations

from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context

from ._backends import backend_for
from ._backends._targets import refuse_offset_with_early_stopping
from ._callbacks import CallbackSupportMixin, FitCallbacks
from ._doc_link import DOC_LINK_TEMPLATE
from ._fitted import FittedStateMixin
from ._inference_method import InferenceMixin
from ._objectives._array_api import ArrayAPISoftmaxObjective
from ._parameters import PARAMETER_CONSTRAINTS
from ._partial_fit import PartialFitMixin
from ._penalties import make_penalty
from ._predict import OffsetScoreMixin, SoftmaxPredictMixin
from ._solvers import get_solver, solvers_for
from ._sparse_coef import SparseCoefMixin
from ._structured_fit import (
    FitCoordinates,
    centre_free_rows,
    penalty_structure,
    structured_tags,
)
from ._validation import _restore_on_error, warn_if_not_converged
from ._warm_start import initial_theta, pinned_intercept


class SoftmaxRegression(
    CallbackSupportMixin,
    OffsetScoreMixin,
    ClassifierMixin,
    PartialFitMixin,
    SoftmaxPredictMixin,
    SparseCoefMixin,
    InferenceMixin,
    FittedStateMixin,
    BaseEstimator,
):
    r"""Softmax (multinomial logistic) regression.

    Minimises, over the coefficients ``W`` and the unpenalised intercept ``b``,

    .. math:: C \sum_n s_n \ell_n(W, b) + \tfrac12 (1 - \rho) \|W\|_F^2
              + \rho \|W\|_1,
              \qquad \ell_n = \log \sum_k e^{z_{kn}} - z_{y_n n},
              \quad z_n = W^\top x_n + b,

    where ``s_n`` is sample ``n``'s weight times its class weight and
    ``ρ = l1_ratio``: the objective of scikit-learn's ``LogisticRegression``,
    with the same minimiser for three or more classes. Two classes are the
    ``K = 2`` softmax, presented with ``LogisticRegression``'s shapes; its L2
    solution equals ``LogisticRegression(C=2 * C)``'s.

    Parameters
    ----------
    C : float, default=1.0
        Inverse regularisation strength, positive; ``np.inf`` means no penalty.
    l1_ratio : float, default=0.0
        Share of the L1 term in the penalty, in ``[0, 1]``: ``0`` is the L2
        penalty, ``1`` the L1 (lasso) penalty, values in between the elastic
        net. An L1 part sets coefficients to exactly zero; it needs
        ``solver="auto"``, ``"fista"`` or ``"sgd"``.
    fit_intercept : bool, default=True
        Whether to fit the intercept ``b`` (never penalised).
    solver : {"auto", "newton-cg", "lbfgs", "gd", "fista", "sgd"}, default="auto"
        ``"auto"``: ``"newton-cg"`` when the penalty is smooth
        (``l1_ratio=0`` or ``C=np.inf``), ``"fista"`` otherwise.
        ``"newton-cg"``: truncated Newton with conjugate gradients on
        Hessian-vector products; few iterations, and fast to tight
        tolerances. ``"lbfgs"``: scipy's L-BFGS. ``"gd"``: gradient descent
        ``W ← W − η ∇E(W)`` with Barzilai–Borwein steps and a backtracking
        line search. ``"fista"``: accelerated proximal gradient in a diagonal
        metric, with backtracking and adaptive restart. ``"sgd"``: epochs of
        minibatch stochastic steps with SAGA's variance reduction (the exact
        minimiser, not a noisy point), in batches of ``batch_size`` shuffled
        by ``random_state``; an iteration is an epoch. ``"fista"`` and
        ``"sgd"`` accept ``l1_ratio > 0``.
    tol : float, default=1e-4
        Stop when the largest absolute entry of the gradient of the objective
        divided by ``C Σ s`` (see ``loss_curve_``) is at most ``tol``. With
        an L1 part, the objective is not differentiable where a coefficient
        is zero, and the test is on the subgradient of smallest magnitude.
        ``"newton-cg"`` (``"auto"``'s choice for L2) also bounds the
        objective: it stops once, in addition, the Newton decrement's
        estimate of the gap, ``½ gᵀH⁻¹g``, is at most ``tol²`` (at least the
        dtype's epsilon) times the objective, so the default asks for a
        relative gap of 1e-8 and default fits are within 1e-6 of the optimum
        across ``C`` from 1e-2 to 1e3 (``benchmarks/bench_defaults.py``).
        For the other solvers ``tol`` bounds the gradient only: the relative
        gap it leaves grows with ``C`` (about 1e-4 to 1e-2 at ``C=10`` to
        ``100`` on the bundled data sets); where their fits are compared
        across ``C``, pass a tighter ``tol`` such as ``1e-8``. With
        ``early_stopping=True``, also the least improvement of the
        validation score that counts.
    max_iter : int, default=100
        Maximum number of solver iterations (epochs for ``solver="sgd"``).
    class_weight : dict or "balanced", default=None
        Weights per class, multiplied into ``sample_weight``; finite and
        non-negative. ``"balanced"`` uses ``Σ w / (n_classes · Σ_{y=k} w)``
        for class ``k``, ``w`` the sample weights: the weighted class counts
        (``n_samples / (n_classes * np.bincount(y))`` without them).
    warm_start : bool, default=False
        Start ``fit`` from the previous fit's ``coef_`` and ``intercept_``
        when the number of features is unchanged and the new classes include
        the previous ones: their columns are kept, matched by label, and new
        classes start from zero coefficients (see the user guide). Otherwise
        ``fit`` starts cold. :meth:`partial_fit` always continues.
    random_state : int, RandomState instance or None, default=None
        Seeds the order of the samples in the epochs of ``solver="sgd"``;
        the other solvers are deterministic and do not use it.
    verbose : int, default=0
        Print the objective after every iteration when positive.
    batch_size : int, default=32
        Samples per minibatch of ``solver="sgd"`` and of :meth:`partial_fit`
        (batches of each chunk); ``learning_rate="newton"``: rows per step.
    learning_rate : str, default="auto"
        Step schedule of :meth:`partial_fit` and of ``solver="sgd"`` on dask
        input (SAGA's step in memory follows from the data): ``"constant"``,
        ``"optimal"``, ``"invscaling"``, ``"adaptive"``, or ``"adagrad"``, a
        step per coefficient, ``eta0`` over the root of its summed squared
        gradients, ``"ftrl"``, FTRL-proximal (the same per-coefficient steps,
        the L1 threshold on the accumulated gradient: sparse models), or
        ``"newton"``: a Newton step per ``batch_size`` rows (set it to a
        pass over the data), L2 only, at most 2,048 ``(n_features + 1) *
        n_classes`` (see the user guide's online page). ``"auto"``:
        ``"ftrl"`` when the penalty has an L1 part (``l1_ratio > 0``, finite
        ``C``), else ``"adagrad"``.
    eta0 : float or "auto", default="auto"
        Base step. ``"auto"``: ``0.3`` for ``"adagrad"``, ``2`` for
        ``"ftrl"`` (suited to standardised features), else ``2 / mean
        ||x||²`` over the first batch (``+1`` for the intercept).
    power_t : float, default=0.5
        Exponent of ``learning_rate="invscaling"``.
    early_stopping : bool, default=False
        Whether ``fit`` sets aside a stratified ``validation_fraction`` of the
        samples (drawn with ``random_state``, weights split alongside), fits
        on the rest, and stops any solver once the validation score (mean
        accuracy, weighted by ``sample_weight``, as :meth:`score`) has not
        improved by at least ``tol`` for ``n_iter_no_change`` consecutive
        iterations. The iterate with the best validation score is kept.
        :meth:`partial_fit` ignores it.
    validation_fraction : float, default=0.1
        Share of the samples set aside when ``early_stopping=True``, in
        ``(0, 1)``; every class needs a sample on both sides.
    n_iter_no_change : int, default=5
        Iterations without an improvement of at least ``tol`` of the
        validation score before ``early_stopping`` stops the solver.
    penalty_factor : array-like, default=None
        Of shape ``(n_features,)`` or ``(n_classes, n_features)``:
        non-negative multipliers of each coefficient's penalty, both parts,
        as given: no rescaling (glmnet rescales them to sum to
        ``n_features``). ``0`` leaves a coefficient unpenalised (for three or
        more classes such a row is returned centred across the classes),
        ``np.inf`` holds it at 0. Two classes take ``(n_features,)`` or
        ``(1, n_features)``. Not with ``"gd"``, nor ``np.inf`` with
        ``"newton-cg"``; see the penalties page.
    grouped : bool or array-like of int of shape (n_features,), default=False
        ``True``: the L1 part is ``ρ Σ_j ‖W_j·‖₂`` over each feature's row
        across the classes, so features leave the model whole (two classes:
        ``|d| / √2``, ``d = coef_``). Integer labels group features, each
        group weighted by the root of its size. ``"fista"`` or ``"sgd"``;
        not with bounds.
    lower_bounds, upper_bounds : float or array-like, default=None
        A scalar, or of shape ``(n_features,)`` or ``(n_classes, n_features)``:
        bounds on ``coef_`` as reported (two classes: on ``w₁ − w₀``),
        held exactly, with any penalty: ``"fista"``, ``"sgd"``, or
        ``"lbfgs"`` for smooth penalties and three or more classes.
    positive : bool, default=False
        ``lower_bounds=0``: non-negative ``coef_``.
    standardize : bool, default=False
        Fit on features scaled to unit weighted standard deviation (and,
        with an intercept, centred), penalise the coefficients on that
        scale, and report ``coef_`` and ``intercept_`` on the original
        scale. Weighted moments, population variance; the parameter is
        transformed, not the data (sparse ``X`` is never copied). Constant
        features get a zero coefficient and ``feature_scale_`` 1. Not with
        ``solver="sgd"``, ``early_stopping`` or :meth:`partial_fit`.
    label_smoothing : float, default=0.0
        ``ε`` in ``[0, 1)``: the targets become ``(1 − ε) q + ε / K``, ``q``
        the one-hot labels (or ``fit``'s ``target_proba``), as torch's
        ``CrossEntropyLoss(label_smoothing=ε)``; weights act per target class
        as for soft targets (see :meth:`fit`).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels, sorted.
    coef_ : ndarray of shape (n_classes, n_features) or (1, n_features)
        Coefficients; ``w₁ − w₀`` for two classes. A
        ``scipy.sparse.csr_matrix`` after :meth:`sparsify`.
    intercept_ : ndarray of shape (n_classes,) or (1,)
        Intercepts (zeros when ``fit_intercept=False``).
    n_iter_ : int
        Iterations of the last fit (epochs for ``solver="sgd"``); after
        :meth:`partial_fit`, its calls since the last fit or the first call.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names, when ``X`` had string column names.
    loss_curve_ : list of float
        Objective after each iteration, divided by ``C Σ s`` (by ``Σ s`` when
        ``C=np.inf``): the weighted mean cross-entropy plus the scaled penalty.
        After :meth:`partial_fit`, the mean loss of each call's batches, each
        taken before its update.
    converged_ : bool
        Whether the last fit met ``tol`` within ``max_iter`` iterations;
        ``False`` after :meth:`partial_fit`, which does not test it, and when
        early stopping ended the fit (which is not warned about).
    validation_scores_ : list of float or None
        With ``early_stopping=True``, the validation score after each
        iteration of the last fit (``n_iter_`` of them); else ``None``.
    best_validation_score_ : float or None
        With ``early_stopping=True``, the best of ``validation_scores_``,
        that of the fitted ``coef_`` and ``intercept_``; else ``None``.
    support_ : ndarray of bool of shape (n_features,)
        The features with a non-zero coefficient for some class (what
        ``SelectFromModel`` users expect of a mask).
    n_features_selected_ : int
        ``support_.sum()``.
    feature_mean_ : ndarray of shape (n_features,)
        With ``standardize=True``, the weighted feature means.
    feature_scale_ : ndarray of shape (n_features,)
        With ``standardize=True``, the weighted standard deviations (1 for
        constant features): ``coef_`` is the standardised fit's divided by it.

    See Also
    --------
    sklearn.linear_model.LogisticRegression : the estimator this one replaces.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_softmax import SoftmaxRegression
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = SoftmaxRegression().fit(X, y)
    >>> clf.predict(X[:2])
    array([0, 0])
    >>> clf.predict_proba(X[:1]).shape
    (1, 3)
    >>> round(clf.score(X, y), 2)
    0.97
    """

    # The HTML representation links to the API page (see _doc_link.py).
    _doc_link_module = "sklearn_softmax"
    _doc_link_template = DOC_LINK_TEMPLATE

    _parameter_constraints: dict = PARAMETER_CONSTRAINTS

    def __init__(
        self,
        C=1.0,
        l1_ratio=0.0,
        fit_intercept=True,
        solver="auto",
        tol=1e-4,
        max_iter=100,
        class_weight=None,
        warm_start=False,
        random_state=None,
        verbose=0,
        batch_size=32,
        learning_rate="auto",
        eta0="auto",
        power_t=0.5,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=5,
        penalty_factor=None,
        grouped=False,
        lower_bounds=None,
        upper_bounds=None,
        positive=False,
        standardize=False,
        label_smoothing=0.0,
    ):
        self.C = C
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.class_weight = class_weight
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.eta0 = eta0
        self.power_t = power_t
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.penalty_factor = penalty_factor
        self.grouped = grouped
        self.lower_bounds = lower_bounds
        self.upper_bounds = upper_bounds
        self.positive = positive
        self.standardize = standardize
        self.label_smoothing = label_smoothing

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        # From the registry: "fista" needs what the device objective lacks.
        on_device = ("auto", *solvers_for(ArrayAPISoftmaxObjective))
        tags.array_api_support = self.solver in on_device
        return structured_tags(self, tags)  # what penalty options change

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, *, target_proba=None, offset=None):
        """Fit the model to ``X`` and ``y``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data. float32 input is fitted in float32.
        y : array-like of shape (n_samples,)
            Class labels. With ``target_proba``, the hard labels (say its
            argmax): they give ``classes_`` (every class must appear) and the
            splits and scores of scikit-learn's tools.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples.
        target_proba : array-like of shape (n_samples, n_classes), default=None
            Soft targets ``q``: non-negative rows summing to one (within
            1e-5), columns in the order of ``classes_``. The loss of sample
            ``n`` is ``−s_n Σ_k c_k q_nk log S_kn`` (``c_k`` the class
            weights): the fit on the data replicated ``K`` times with labels
            ``k`` and weights ``s_n c_k q_nk``. For three or more classes
            the intercept is pinned to ``Σ_k b_k = 0``. Routable
            (``set_fit_request(target_proba=True)``).
        offset : array-like of shape (n_samples, n_classes), default=None
            Known logits added to ``Wᵀx + b``, never penalised; for two
            classes also of shape ``(n_samples,)``, added to the positive
            class's decision function. Predictions without an offset take it
            as zero. Not with ``early_stopping``.

        Returns
        -------
        self : SoftmaxRegression
            The fitted estimator.
        """
        backend = backend_for(X)  # in memory, an array-API device, or dask
        with _restore_on_error(self):
            backend.check(self)
            refuse_offset_with_early_stopping(self, offset)
            data = backend.fit_data(
                self, X, y, sample_weight, target_proba=target_proba, offset=offset
            )
            coords = FitCoordinates(self, data.objective, backend.name)
            structure = coords.structure(penalty_structure(self, data.objective))
            penalty = make_penalty(self.C, self.l1_ratio, data.weight, structure)
            solver = get_solver(self.solver, penalty, coords.objective, backend.name)
            if solver.stochastic:  # batch size, random state, online steps
                solver = solver.configured(**self._stochastic_options())
            # The previous solution under warm_start, else the best constant.
            theta0 = initial_theta(self, data.objective, data.classes)
            callbacks = FitCallbacks(self, solver.name, data, theta0, backend.place)
            with data.objective.parallel():
                result = solver.solve(
                    coords.objective,
                    penalty,
                    coords.to_solver(theta0),
                    tol=self.tol,
                    max_iter=self.max_iter,
                    callback=coords.wrap(callbacks.callback),
                )
            result.theta = coords.to_original(result.theta)
            theta = callbacks.solution(result)  # early stopping's best, or last
            if structure is not None:  # unpenalised rows centred across classes
                theta = centre_free_rows(penalty, data.objective, theta)
            theta = pinned_intercept(theta, data.objective)
            self._set_solution(theta, result, data.objective, data.classes, data.weight)
            coords.set_attributes(self)
            self._fitted_with_offset = offset is not None  # ONNX: a second input
            self._fitted_with_targets = target_proba is not None  # inference
            self._set_fitted_arrays(backend.place(self._fitted_arrays(), data))
            callbacks.close()
        # stacklevel 3: the caller of fit, past _fit_context's wrapper.
        warn_if_not_converged(result, solver.name, self.max_iter, stacklevel=3)
        return self

    @staticmethod
    def _print_iteration(solver: str, n_iter: int, value: float) -> None:
        print(f"[{solver}] iteration {n_iter:4d}  objective {value:.10e}")
