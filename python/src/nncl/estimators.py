# SPDX-License-Identifier: MIT
"""scikit-learn estimators: nncl.MLPClassifier and nncl.MLPRegressor.

The parameters are those of sklearn.neural_network.MLPClassifier/Regressor
that nncl implements (solver adam or sgd), plus `device` (as NNCL_DEVICE)
and `standardize`. Training is one nncl_model_fit call over the arrays,
kept on the device; prediction one nncl_model_predict_dataset call.

Differences from scikit-learn's MLP, by design:
- standardize=True (the default) standardises the features (and a
  regressor's targets) inside the model, as `nncl train` does; the model
  file keeps the statistics, so the CLI's `nncl predict` gives the same
  outputs. coefs_ then apply to standardised inputs.
- early_stopping monitors the validation *loss* (scikit-learn: the
  validation score), and the validation split is a seeded shuffle, not
  stratified.
- a classifier always has a softmax output (binary too); predict_proba has
  one column per class either way.
- batches are always shuffled: shuffle is kept for scikit-learn's API and
  shuffle=False changes nothing.
"""
import threading
import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

from ._core import Context, Dataset, Model

__all__ = ["MLPClassifier", "MLPRegressor"]

_ACTIVATIONS = {"identity": "identity", "logistic": "sigmoid", "tanh": "tanh", "relu": "relu",
                "leaky_relu": "leaky_relu"}

# One Context per device string for every estimator of the process: the
# kernels build once (seconds), not once per fit or per unpickled copy.
_contexts = {}
_contexts_lock = threading.Lock()


def _shared_context(device):
    key = None if device is None else str(device)
    with _contexts_lock:
        ctx = _contexts.get(key)
        if ctx is None or ctx.closed:
            ctx = _contexts[key] = Context(device)
        return ctx


class _BaseMLP(BaseEstimator):
    _loss = None

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam", alpha=0.0001,
                 batch_size="auto", learning_rate_init=0.001, max_iter=200, shuffle=True, random_state=None,
                 tol=1e-4, verbose=False, warm_start=False, momentum=0.9, nesterovs_momentum=True,
                 early_stopping=False, validation_fraction=0.1, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
                 n_iter_no_change=10, device=None, standardize=True):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.device = device
        self.standardize = standardize

    # ---- parameters -------------------------------------------------------------
    def _hidden(self):
        h = self.hidden_layer_sizes
        h = [h] if np.isscalar(h) else list(h)
        if not all(isinstance(u, (int, np.integer)) and not isinstance(u, bool) and u > 0 for u in h):
            raise ValueError(f"hidden_layer_sizes must be positive integers, got {self.hidden_layer_sizes!r}")
        return [int(u) for u in h]

    def _check_params(self):
        if self.activation not in _ACTIVATIONS:
            raise ValueError(f"activation {self.activation!r} is not supported; one of {sorted(_ACTIVATIONS)}")
        if self.solver not in ("adam", "sgd"):
            raise ValueError(f"solver {self.solver!r} is not supported by nncl; use 'adam' or 'sgd'")
        checks = [
            ("max_iter", self.max_iter, lambda v: isinstance(v, (int, np.integer)) and v >= 1, "an integer >= 1"),
            ("alpha", self.alpha, lambda v: v >= 0, ">= 0"),
            ("learning_rate_init", self.learning_rate_init, lambda v: v > 0, "> 0"),
            ("tol", self.tol, lambda v: v >= 0, ">= 0"),
            ("momentum", self.momentum, lambda v: 0 <= v < 1, "in [0, 1)"),
            ("beta_1", self.beta_1, lambda v: 0 <= v < 1, "in [0, 1)"),
            ("beta_2", self.beta_2, lambda v: 0 <= v < 1, "in [0, 1)"),
            ("epsilon", self.epsilon, lambda v: v > 0, "> 0"),
            ("n_iter_no_change", self.n_iter_no_change,
             lambda v: isinstance(v, (int, np.integer)) and v >= 1, "an integer >= 1"),
        ]
        if self.early_stopping:
            checks.append(("validation_fraction", self.validation_fraction, lambda v: 0 < v < 1, "in (0, 1)"))
        for name, value, ok, what in checks:
            try:
                good = ok(value)
            except TypeError:
                good = False
            if not good:
                raise ValueError(f"{name} must be {what}, got {value!r}")
        if not (self.batch_size == "auto" or (isinstance(self.batch_size, (int, np.integer))
                                              and not isinstance(self.batch_size, bool) and self.batch_size >= 1)):
            raise ValueError(f"batch_size must be 'auto' or an integer >= 1, got {self.batch_size!r}")
        return self._hidden()

    def _batch(self, rows):
        if self.batch_size == "auto":
            return min(200, rows)
        if self.batch_size > rows:
            warnings.warn(f"Got `batch_size` less than 1 or larger than sample size. It is going to be "
                          f"clipped to {rows}", UserWarning)
        return min(int(self.batch_size), rows)

    def _optimizer(self, model, batch):
        # scikit-learn's L2 term alpha/2·‖W‖² is summed per batch and divided
        # by the batch size, so its gradient is (alpha / batch)·W.
        fields = {"lr": self.learning_rate_init, "weight_decay": self.alpha / batch}
        if self.solver == "adam":
            model.set_optimizer("adam", beta1=self.beta_1, beta2=self.beta_2, eps=self.epsilon, **fields)
        elif self.momentum > 0:
            model.set_optimizer("nesterov" if self.nesterovs_momentum else "momentum", momentum=self.momentum,
                                **fields)
        else:
            model.set_optimizer("sgd", **fields)

    # ---- the model ----------------------------------------------------------------
    def _new_model(self, n_features, n_outputs, hidden, rng):
        ctx = _shared_context(self.device)
        act = _ACTIVATIONS[self.activation]
        out = "softmax" if self._loss == "softmax-ce" else "identity"
        sizes = [n_features] + hidden + [n_outputs]
        return Model(ctx, sizes, [act] * len(hidden) + [out], loss=self._loss,
                     seed=int(rng.randint(np.iinfo(np.int32).max)))

    def _fit_arrays(self, X, targets, n_outputs, *, incremental):
        hidden = self._check_params()
        rows = X.shape[0]
        rng = check_random_state(self.random_state)
        model = getattr(self, "_model", None)
        reuse = model is not None and not model.closed and (incremental or self.warm_start)
        if not reuse:
            model = self._model = self._new_model(X.shape[1], n_outputs, hidden, rng)
            self.n_iter_, self.t_, self.loss_curve_ = 0, 0, []
            if self.early_stopping and not incremental:
                self.validation_loss_curve_ = []
                self.best_validation_loss_ = np.inf
        batch = self._batch(rows)
        self._optimizer(model, batch)
        self._set_names(model)
        kind = "class" if self._loss == "softmax-ce" else "value"
        records = []  # this call's epochs, as they end (not the whole history read back each call)

        def on_epoch(rec):
            records.append(rec)
            return self._print_epoch(rec) if self.verbose else False
        early = self.early_stopping and not incremental
        seed = int(rng.randint(np.iinfo(np.int32).max)) + (self.t_ if incremental else 0)
        with Dataset.from_arrays(model.context, X, targets, kind) as ds:
            result = model.fit(ds, batch=batch, max_epochs=1 if incremental else self.max_iter, seed=seed,
                               validation_fraction=self.validation_fraction if early else 0.0,
                               patience=0 if incremental else self.n_iter_no_change, min_delta=self.tol,
                               restore_best=early, standardize=self.standardize, on_epoch=on_epoch)
        self.n_iter_ += result["epochs"]
        self.t_ += rows * result["epochs"]
        self.loss_curve_ = list(self.loss_curve_) + [float(r["train_loss"]) for r in records]
        self.loss_ = self.loss_curve_[-1] if self.loss_curve_ else np.nan
        self.best_loss_ = min(self.loss_curve_) if self.loss_curve_ else np.nan
        if early:
            self.validation_loss_curve_ = [float(r["valid_loss"]) for r in records]
            self.best_validation_loss_ = float(result["best_loss"])
            self.best_loss_ = None  # as scikit-learn: best_loss_ is None with early stopping
        if not incremental and not result["stopped_early"] and self.n_iter_ >= self.max_iter:
            warnings.warn(f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached and the "
                          "optimization hasn't converged yet.", ConvergenceWarning)
        return self

    def _print_epoch(self, rec):
        line = f"Iteration {rec['epoch'] + 1}, loss = {rec['train_loss']:.8f}"
        if rec["valid_loss"] == rec["valid_loss"]:  # not NaN
            line += f", validation loss = {rec['valid_loss']:.8f}"
        print(line, flush=True)
        return False

    def _set_names(self, model):
        # Kept in the model file: `nncl predict` then matches a CSV's columns
        # by name and ignores the target column.
        names = getattr(self, "feature_names_in_", None)
        target = self._target_name
        model.set_columns(None if names is None else list(names), None if names is None else target)

    def _remember_target_name(self, y):
        name = getattr(y, "name", None)  # a pandas Series' name
        self._target_name = name if isinstance(name, str) else None

    def __sklearn_is_fitted__(self):
        m = getattr(self, "_model", None)
        return m is not None and not m.closed

    @property
    def model_(self):
        """The trained nncl.Model (save it to use it from the command line)."""
        check_is_fitted(self)
        return self._model

    @property
    def coefs_(self):
        check_is_fitted(self)
        return [w for w, _ in self._model.weights]

    @property
    def intercepts_(self):
        check_is_fitted(self)
        return [b for _, b in self._model.weights]

    @property
    def n_layers_(self):
        check_is_fitted(self)
        return len(self._model.layers) + 1

    @property
    def n_outputs_(self):
        check_is_fitted(self)
        return self._model.outputs

    def _outputs(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float32, reset=False)
        return self._model.predict(X)

    # ---- pickling: the model travels as its model file's bytes ---------------------
    def __getstate__(self):
        state = super().__getstate__()
        state = dict(state)
        model = state.pop("_model", None)
        if model is not None and not model.closed:
            state["_model_file"] = model.to_bytes()
        return state

    def __setstate__(self, state):
        state = dict(state)
        data = state.pop("_model_file", None)
        super().__setstate__(state)
        if data is not None:
            self._model = Model.from_bytes(_shared_context(self.device), data)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags


class MLPClassifier(ClassifierMixin, _BaseMLP):
    """Multi-layer perceptron classifier trained by nncl (softmax
    cross-entropy). Parameters as sklearn.neural_network.MLPClassifier
    (solver 'adam' or 'sgd'), plus device (as NNCL_DEVICE: "cpu", "gpu", an
    index, part of a name) and standardize. classes_ may be strings; the
    model file keeps them as class names."""

    _loss = "softmax-ce"

    def _set_names(self, model):
        super()._set_names(model)
        model.class_names = [str(c) for c in self.classes_]

    def _encode(self, y, first):
        if first:
            self.classes_ = np.unique(y)
        idx = np.searchsorted(self.classes_, y)
        idx = np.clip(idx, 0, len(self.classes_) - 1)
        unknown = self.classes_[idx] != y
        if np.any(unknown):
            raise ValueError(f"y holds labels not in classes_: {np.unique(np.asarray(y)[unknown])[:5]!r} "
                             f"(classes_ = {self.classes_!r})")
        return idx.astype(np.float32)

    def _check_targets(self, y):
        check_classification_targets(y)
        if type_of_target(y) not in ("binary", "multiclass"):
            raise ValueError(f"MLPClassifier takes binary or multiclass targets, got {type_of_target(y)}")

    def fit(self, X, y):
        """Trains on X (n_samples x n_features) and labels y (any hashable
        sortable labels, strings included)."""
        self._remember_target_name(y)
        X, y = validate_data(self, X, y, dtype=np.float32, reset=True)
        self._check_targets(y)
        keep = self.warm_start and self.__sklearn_is_fitted__()
        if keep and not np.array_equal(np.unique(y), self.classes_):
            raise ValueError("warm_start can only be used where y has the same classes as in the previous call "
                             "to fit")
        targets = self._encode(y, first=not keep)
        if len(self.classes_) < 2:
            raise ValueError(f"MLPClassifier needs samples of at least 2 classes in y; got 1 class "
                             f"({self.classes_[0]!r})")
        return self._fit_arrays(X, targets, len(self.classes_), incremental=False)

    def partial_fit(self, X, y, classes=None):
        """One epoch over (X, y). The first call needs classes (every label
        that will ever appear), as scikit-learn's partial_fit does."""
        first = not self.__sklearn_is_fitted__()
        if first:
            self._remember_target_name(y)
        X, y = validate_data(self, X, y, dtype=np.float32, reset=first)
        self._check_targets(y)
        if first:
            if classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit.")
            self.classes_ = np.unique(np.asarray(classes))
            if len(self.classes_) < 2:
                raise ValueError("MLPClassifier needs at least 2 classes; got 1 class")
        elif classes is not None and not np.array_equal(np.unique(np.asarray(classes)), self.classes_):
            raise ValueError(f"`classes={classes!r}` is not the same as on the first call to partial_fit "
                             f"({self.classes_!r})")
        targets = self._encode(y, first=False)
        return self._fit_arrays(X, targets, len(self.classes_), incremental=True)

    def predict_proba(self, X):
        """Class probabilities, one column per class of classes_."""
        return self._outputs(X).astype(np.float64)

    def predict_log_proba(self, X):
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X):
        outputs = self._outputs(X)
        return self.classes_[np.argmax(outputs, axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = False
        return tags


class MLPRegressor(RegressorMixin, _BaseMLP):
    """Multi-layer perceptron regressor trained by nncl (mean squared
    error, one target). Parameters as sklearn.neural_network.MLPRegressor
    (solver 'adam' or 'sgd'), plus device and standardize (features and
    targets; predictions come back in the targets' units)."""

    _loss = "mse"

    def fit(self, X, y):
        self._remember_target_name(y)
        X, y = validate_data(self, X, y, dtype=np.float32, y_numeric=True, reset=True)
        return self._fit_arrays(X, np.asarray(y, dtype=np.float32), 1, incremental=False)

    def partial_fit(self, X, y):
        """One epoch over (X, y)."""
        first = not self.__sklearn_is_fitted__()
        if first:
            self._remember_target_name(y)
        X, y = validate_data(self, X, y, dtype=np.float32, y_numeric=True, reset=first)
        return self._fit_arrays(X, np.asarray(y, dtype=np.float32), 1, incremental=True)

    def predict(self, X):
        return self._outputs(X)[:, 0].astype(np.float64)
