# SPDX-License-Identifier: MIT
"""The low-level layer: devices, Context, Tensor, Dataset and Model over the
C API, with NumPy arrays in and out.

Every object is owned by a Context and must not outlive it: closing a
Context closes what it made first, and using a closed object raises
ClosedError. One context serves one thread at a time (nncl.h); a lock per
Context makes that hold when several Python threads share one.
"""
import ctypes
import math
import os
import signal
import tempfile
import threading
import weakref
from ctypes import byref, c_char_p, c_float, c_int, c_void_p

import numpy as np

from . import _lib
from ._errors import ClosedError, InvalidArgumentError, ShapeError, error_for
from ._lib import lib

__all__ = ["devices", "version", "Context", "Tensor", "Dataset", "Model"]

_DEVICE_TYPES = {0: "other", 1: "cpu", 2: "gpu", 3: "accelerator"}
_TARGET_NONE, _TARGET_CLASS, _TARGET_VALUE = 0, 1, 2
_NORM_MIN_STD = 1e-6  # NNCL__NORM_MIN_STD: a column with a smaller stddev is only centred


def _text(b):
    return b.decode("utf-8", "replace") if b else ""


def _check_global(status):
    """Raises for a failing call that had no context (nncl_last_error(NULL))."""
    if status != 0:
        raise error_for(status, _text(lib.nncl_last_error(None)))


def version():
    """The linked library's version string, e.g. "0.2.0"."""
    return _text(lib.nncl_version_string())


def _device_dict(info):
    return {
        "index": info.index, "type": _DEVICE_TYPES.get(info.type, "other"),
        "name": _text(info.name), "vendor": _text(info.vendor), "platform": _text(info.platform),
        "version": _text(info.version), "driver_version": _text(info.driver_version),
        "opencl_c_version": _text(info.opencl_c_version), "compute_units": info.compute_units,
        "global_mem_bytes": info.global_mem_bytes, "local_mem_bytes": info.local_mem_bytes,
        "max_alloc_bytes": info.max_alloc_bytes, "max_work_group_size": info.max_work_group_size,
    }


def devices():
    """The OpenCL devices over all platforms, as dicts (index, type, name,
    platform, compute_units, global_mem_bytes, ...), with "selected" True on
    the one a Context() would use ($NNCL_DEVICE, else the first GPU, else the
    first CPU). NoDeviceError when there is no OpenCL platform at all."""
    count = c_int(0)
    _check_global(lib.nncl_device_count(byref(count)))
    chosen = c_int(-1)
    if lib.nncl_device_select(None, byref(chosen)) != 0:
        chosen.value = -1
    out = []
    for i in range(count.value):
        info = _lib.DeviceInfo()
        _check_global(lib.nncl_device_get_info(i, byref(info)))
        d = _device_dict(info)
        d["selected"] = i == chosen.value
        out.append(d)
    return out


# ---- arrays -------------------------------------------------------------------

def _as_matrix(a, name, cols=None):
    """a as a C-contiguous float32 rows x cols array: any real-number array
    (or nested list) is converted; anything else is refused."""
    if isinstance(a, (Tensor, Dataset)):
        raise TypeError(f"{name}: expected a NumPy array, got a {type(a).__name__}")
    try:
        arr = np.asarray(a)
    except (ValueError, TypeError) as e:
        raise TypeError(f"{name}: cannot be read as an array of numbers ({e})") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name}: dtype {arr.dtype} is not a real number type; give float32 "
                        "(other integer and float dtypes are converted)")
    if arr.ndim != 2:
        raise ShapeError(f"{name}: expected a 2-D array (rows x columns), got shape {arr.shape}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ShapeError(f"{name}: empty array of shape {arr.shape}")
    if cols is not None and arr.shape[1] != cols:
        raise ShapeError(f"{name}: {arr.shape[1]} columns, the model takes {cols}")
    return np.ascontiguousarray(arr, dtype=np.float32)


def _as_vector(a, name, rows):
    try:
        arr = np.asarray(a)
    except (ValueError, TypeError) as e:
        raise TypeError(f"{name}: cannot be read as an array of numbers ({e})") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name}: dtype {arr.dtype} is not a real number type")
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1 or arr.shape[0] != rows:
        raise ShapeError(f"{name}: expected {rows} values (one per row), got shape {arr.shape}")
    return np.ascontiguousarray(arr, dtype=np.float32)


def _addr(arr):
    return arr.ctypes.data


# ---- context and owned resources ------------------------------------------------

class _Closing:
    """close() as a context manager, and at garbage collection."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


class Context(_Closing):
    """A device, its queue and its built kernels.

    device: as NNCL_DEVICE — "gpu", "cpu", an index from nncl.devices(), or
    part of a device or platform name; None: $NNCL_DEVICE, else the first
    GPU, else the first CPU. Usable as a context manager (closes on exit)."""

    def __init__(self, device=None, *, profile=False):
        self._handle = None
        self._lock = threading.RLock()
        self._children = weakref.WeakSet()
        opts = lib.nncl_context_options_defaults()
        self._device_arg = None if device is None else str(device).encode()
        opts.device = self._device_arg
        opts.profile = 1 if profile else 0
        handle = c_void_p()
        _check_global(lib.nncl_context_create(byref(opts), byref(handle)))
        self._handle = handle.value

    # Every call on the context or what it owns goes through here: one thread
    # at a time, and a failure becomes the exception with its detail.
    def _call(self, fn, *args):
        with self._lock:
            status = fn(*args)
            if status != 0:
                raise error_for(status, _text(lib.nncl_last_error(self._handle)))
        return status

    def _h(self):
        if self._handle is None:
            raise ClosedError("the nncl Context is closed")
        return self._handle

    @property
    def closed(self):
        return self._handle is None

    @property
    def device(self):
        """The device the context runs on (a dict as nncl.devices() gives)."""
        info = _lib.DeviceInfo()
        self._call(lib.nncl_context_device, self._h(), byref(info))
        return _device_dict(info)

    @property
    def build_seconds(self):
        return lib.nncl_context_build_seconds(self._h())

    @property
    def tiles(self):
        return _text(lib.nncl_context_tiles(self._h()))

    def finish(self):
        """Waits for every operation queued on the context."""
        self._call(lib.nncl_context_finish, self._h())

    def close(self):
        """Closes every Tensor, Dataset and Model of the context, then the
        context. Closing twice does nothing."""
        if self._handle is None:
            return
        with self._lock:
            for child in list(self._children):
                child.close()
            lib.nncl_context_destroy(self._handle)
            self._handle = None

    def __reduce__(self):
        raise TypeError("an nncl Context cannot be pickled (it holds a device); pickle models instead")

    def __repr__(self):
        if self._handle is None:
            return "<nncl.Context closed>"
        return f"<nncl.Context {self.device['name']!r}>"


class _Owned(_Closing):
    """Something a Context owns: a handle, close(), a context manager."""

    _destroy = None  # the C destroy function
    _kind = "object"

    def _adopt(self, ctx, handle):
        self._ctx = ctx
        self._handle = handle
        ctx._children.add(self)

    def _h(self):
        if getattr(self, "_handle", None) is None:
            raise ClosedError(f"the nncl {self._kind} is closed")
        return self._handle

    @property
    def closed(self):
        return getattr(self, "_handle", None) is None

    @property
    def context(self):
        return self._ctx

    def close(self):
        """Releases the device memory. Closing twice does nothing."""
        handle = getattr(self, "_handle", None)
        if handle is None:
            return
        with self._ctx._lock:
            type(self)._destroy(handle)
            self._handle = None


def _context_of(ctx):
    if not isinstance(ctx, Context):
        raise TypeError(f"expected an nncl.Context, got {type(ctx).__name__}")
    ctx._h()
    return ctx


class Tensor(_Owned):
    """A rows x cols float32 tensor in device memory."""

    _destroy = staticmethod(lib.nncl_tensor_destroy)
    _kind = "Tensor"

    def __init__(self, ctx, rows, cols):
        ctx = _context_of(ctx)
        rows, cols = int(rows), int(cols)
        if rows <= 0 or cols <= 0:
            raise ShapeError(f"Tensor: rows and cols must be > 0, got {rows} x {cols}")
        handle = c_void_p()
        ctx._call(lib.nncl_tensor_create, ctx._h(), rows, cols, byref(handle))
        self.shape = (rows, cols)
        self._adopt(ctx, handle.value)

    @classmethod
    def from_numpy(cls, ctx, array):
        """A new tensor holding array (2-D; real numbers are converted to
        C-contiguous float32)."""
        arr = _as_matrix(array, "Tensor.from_numpy")
        t = cls(ctx, *arr.shape)
        t._upload(arr)
        return t

    def upload(self, array):
        """Copies array into the tensor. No conversion here: array must be
        float32, C-contiguous and of the tensor's shape (use from_numpy to
        convert)."""
        if not isinstance(array, np.ndarray):
            raise TypeError(f"Tensor.upload: expected a numpy.ndarray, got {type(array).__name__}")
        if array.dtype != np.float32:
            raise TypeError(f"Tensor.upload: dtype {array.dtype}, need float32 "
                            "(convert with array.astype(numpy.float32) or use Tensor.from_numpy)")
        if not array.flags.c_contiguous:
            raise ValueError("Tensor.upload: the array is not C-contiguous "
                             "(use numpy.ascontiguousarray or Tensor.from_numpy)")
        if array.shape != self.shape:
            raise ShapeError(f"Tensor.upload: array shape {array.shape}, tensor shape {self.shape}")
        self._upload(array)

    def _upload(self, arr):
        self._ctx._call(lib.nncl_tensor_upload, self._h(), _addr(arr), arr.size)

    def numpy(self):
        """The tensor's contents as a new float32 array (waits for the
        operations that write it)."""
        out = np.empty(self.shape, dtype=np.float32)
        self._ctx._call(lib.nncl_tensor_download, self._h(), _addr(out), out.size)
        return out

    def fill(self, value):
        self._ctx._call(lib.nncl_tensor_fill, self._h(), float(value))

    def __array__(self, dtype=None, copy=None):
        a = self.numpy()
        return a if dtype is None else a.astype(dtype)

    def __repr__(self):
        return f"<nncl.Tensor {self.shape[0]}x{self.shape[1]}{' closed' if self.closed else ''}>"


class Dataset(_Owned):
    """A table of feature rows and targets kept in device memory (streamed
    from the host when it does not fit), for Model.fit/evaluate/predict."""

    _destroy = staticmethod(lib.nncl_dataset_destroy)
    _kind = "Dataset"

    def __init__(self, *args, **kwargs):
        raise TypeError("use Dataset.from_arrays(ctx, X, y) or Dataset.open(ctx, name, part)")

    @classmethod
    def _wrap(cls, ctx, handle):
        ds = cls.__new__(cls)
        ds._adopt(ctx, handle)
        return ds

    @classmethod
    def from_arrays(cls, ctx, X, y=None, kind=None):
        """X: rows x cols (converted to float32); y: one target per row or
        None. kind: "class" (indices 0..k-1), "value" (regression) or None
        (y None: features only; else "class" for integer dtypes, "value"
        otherwise)."""
        ctx = _context_of(ctx)
        x = _as_matrix(X, "X")
        if y is None:
            if kind not in (None, "none"):
                raise InvalidArgumentError(f"Dataset.from_arrays: kind {kind!r} needs targets y")
            code, t, taddr = _TARGET_NONE, None, None
        else:
            t = _as_vector(y, "y", x.shape[0])
            if kind is None:
                kind = "class" if np.asarray(y).dtype.kind in "biu" else "value"
            codes = {"class": _TARGET_CLASS, "value": _TARGET_VALUE}
            if kind not in codes:
                raise InvalidArgumentError(f"Dataset.from_arrays: kind {kind!r} is not 'class' or 'value'")
            code, taddr = codes[kind], _addr(t)
        handle = c_void_p()
        ctx._call(lib.nncl_dataset_from_arrays, ctx._h(), _addr(x), x.shape[0], x.shape[1], taddr, code,
                  byref(handle))
        return cls._wrap(ctx, handle.value)

    @classmethod
    def open(cls, ctx, name, part="train"):
        """Loads "fashion-mnist", a folder of IDX files (its "train" or
        "test" part) or a CSV file, as the command line does."""
        ctx = _context_of(ctx)
        handle = c_void_p()
        ctx._call(lib.nncl_dataset_open, ctx._h(), os.fsencode(name), str(part).encode(), None,
                  byref(handle))
        return cls._wrap(ctx, handle.value)

    @property
    def rows(self):
        return lib.nncl_dataset_rows(self._h())

    @property
    def cols(self):
        return lib.nncl_dataset_cols(self._h())

    @property
    def classes(self):
        """Number of classes; 0 for regression targets or none."""
        return lib.nncl_dataset_classes(self._h())

    def targets(self):
        out = np.empty(self.rows, dtype=np.float32)
        self._ctx._call(lib.nncl_dataset_targets, self._h(), _addr(out), out.size)
        return out

    def class_names(self):
        """The class names a CSV's labels had, else None."""
        names = []
        for i in range(self.classes):
            n = lib.nncl_dataset_class_name(self._h(), i)
            if n is None:
                return None
            names.append(_text(n))
        return names

    def __len__(self):
        return self.rows

    def __repr__(self):
        if self.closed:
            return "<nncl.Dataset closed>"
        return f"<nncl.Dataset {self.rows}x{self.cols}, {self.classes} classes>"


def _parse(fn, name, what):
    value = c_int()
    if fn(str(name).encode(), byref(value)) != 0:
        raise InvalidArgumentError(f"unknown {what} {name!r}: {_text(lib.nncl_last_error(None))}")
    return value.value


_OUTPUT_FOR_LOSS = {"softmax-ce": "softmax", "bce": "sigmoid", "mse": "identity"}
_SCHEDULES = {"constant": 0, "step": 1, "cosine": 2}
_OPTIMIZER_FIELDS = ("lr", "momentum", "beta1", "beta2", "eps", "weight_decay", "step_size", "gamma",
                     "total_steps", "min_lr")


class Model(_Owned):
    """A stack of dense layers trained on the device.

    Model(ctx, [inputs, hidden..., outputs], activation="relu", loss="mse")
    activation: the hidden layers' activation, or a list with one per layer
    (the output's included); the output layer's default follows the loss
    (softmax for "softmax-ce", sigmoid for "bce", identity for "mse").
    seed: the weight initialisation (same seed, same weights on any device).

    Arrays given to train_step, predict and evaluate are converted to
    float32; Tensors are used as they are. Array inputs are standardised by
    the model's normalisation when it has one (as the command line does);
    Tensors are passed to the C calls unchanged."""

    _destroy = staticmethod(lib.nncl_model_destroy)
    _kind = "Model"

    def __init__(self, ctx, sizes, activation="relu", *, output_activation=None, loss="mse", seed=0):
        ctx = _context_of(ctx)
        sizes = [int(s) for s in sizes]
        if len(sizes) < 2:
            raise InvalidArgumentError(f"Model: sizes needs the inputs and at least one layer, got {sizes}")
        if any(s <= 0 for s in sizes):
            raise InvalidArgumentError(f"Model: every size must be > 0, got {sizes}")
        n_layers = len(sizes) - 1
        loss_code = _parse(lib.nncl_loss_parse, loss, "loss")
        if isinstance(activation, str):
            _parse(lib.nncl_activation_parse, activation, "activation")  # checked even with no hidden layer
            acts = [activation] * (n_layers - 1) + [output_activation or _OUTPUT_FOR_LOSS[str(loss)]]
        else:
            acts = list(activation)
            if len(acts) != n_layers:
                raise InvalidArgumentError(f"Model: {len(acts)} activations for {n_layers} layers")
        layers = (_lib.LayerSpec * n_layers)()
        for i, (units, act) in enumerate(zip(sizes[1:], acts)):
            layers[i].units = units
            layers[i].activation = _parse(lib.nncl_activation_parse, act, "activation")
        spec = lib.nncl_model_spec_defaults()
        spec.inputs, spec.n_layers, spec.layers = sizes[0], n_layers, layers
        spec.loss, spec.seed = loss_code, int(seed) & (2**64 - 1)
        handle = c_void_p()
        ctx._call(lib.nncl_model_create, ctx._h(), byref(spec), byref(handle))
        self._setup(ctx, handle.value)

    def _setup(self, ctx, handle):
        self._adopt(ctx, handle)
        self._staging = {}  # rows -> (X, Y) tensors reused by train_step on arrays
        # A model's shape and loss never change: read once, not at every batch call.
        self._inputs, self._outputs = lib.nncl_model_inputs(handle), lib.nncl_model_outputs(handle)
        self._loss = _text(lib.nncl_loss_name(self._spec().loss))

    @classmethod
    def _wrap(cls, ctx, handle):
        m = cls.__new__(cls)
        m._setup(ctx, handle)
        return m

    # ---- what the model is ------------------------------------------------
    @property
    def inputs(self):
        self._h()  # a closed model says so
        return self._inputs

    @property
    def outputs(self):
        self._h()
        return self._outputs

    @property
    def param_count(self):
        return lib.nncl_model_param_count(self._h())

    @property
    def step(self):
        """Optimizer steps taken so far."""
        return lib.nncl_model_step(self._h())

    def _spec(self):
        spec = lib.nncl_model_spec_defaults()
        self._ctx._call(lib.nncl_model_get_spec, self._h(), byref(spec))
        return spec

    @property
    def layers(self):
        """[(units, activation name), ...] for each layer."""
        spec = self._spec()
        return [(spec.layers[i].units, _text(lib.nncl_activation_name(spec.layers[i].activation)))
                for i in range(spec.n_layers)]

    @property
    def sizes(self):
        return [self.inputs] + [u for u, _ in self.layers]

    @property
    def loss(self):
        self._h()
        return self._loss

    # ---- optimizer -----------------------------------------------------------
    def set_optimizer(self, kind="adam", *, schedule="constant", **fields):
        """kind: sgd, momentum, nesterov, adam, adamw; fields: lr, momentum,
        beta1, beta2, eps, weight_decay, step_size, gamma, total_steps,
        min_lr (the rest take the kind's defaults); schedule: constant, step,
        cosine."""
        code = _parse(lib.nncl_optimizer_parse, kind, "optimizer")
        opt = lib.nncl_optimizer_defaults(code)
        if schedule not in _SCHEDULES:
            raise InvalidArgumentError(f"unknown schedule {schedule!r} (constant, step, cosine)")
        opt.schedule = _SCHEDULES[schedule]
        for name, value in fields.items():
            if name not in _OPTIMIZER_FIELDS:
                raise TypeError(f"set_optimizer: unknown field {name!r} (one of {', '.join(_OPTIMIZER_FIELDS)})")
            setattr(opt, name, value)
        self._ctx._call(lib.nncl_model_set_optimizer, self._h(), byref(opt))

    @property
    def optimizer(self):
        opt = lib.nncl_optimizer_defaults(0)
        self._ctx._call(lib.nncl_model_get_optimizer, self._h(), byref(opt))
        d = {"kind": _text(lib.nncl_optimizer_name(opt.kind)),
             "schedule": {v: k for k, v in _SCHEDULES.items()}.get(opt.schedule, "?")}
        # float32 fields shown as the decimal they were set from (0.001, not 0.0010000000474974513)
        d.update({f: v if isinstance(v, int) else float(f"{v:.7g}")
                  for f, v in ((f, getattr(opt, f)) for f in _OPTIMIZER_FIELDS)})
        return d

    # ---- parameters -----------------------------------------------------------
    def get_params(self):
        """All parameters, flat: per layer W (inputs x units, row-major), then b."""
        out = np.empty(self.param_count, dtype=np.float32)
        self._ctx._call(lib.nncl_model_get_params, self._h(), _addr(out), out.size)
        return out

    def set_params(self, params):
        p = np.ascontiguousarray(np.asarray(params, dtype=np.float32).ravel())
        if p.size != self.param_count:
            raise ShapeError(f"set_params: {p.size} values, the model has {self.param_count} parameters")
        self._ctx._call(lib.nncl_model_set_params, self._h(), _addr(p), p.size)

    @property
    def weights(self):
        """[(W, b), ...] per layer, W of shape (inputs, units) as y = x·W + b."""
        flat, out, at, fan_in = self.get_params(), [], 0, self.inputs
        for units, _ in self.layers:
            w = flat[at:at + fan_in * units].reshape(fan_in, units)
            at += fan_in * units
            out.append((w, flat[at:at + units].copy()))
            at += units
            fan_in = units
        return out

    # ---- normalisation, names, history -----------------------------------------
    def _get_pair(self, fn, count):
        mean, std = np.empty(count, np.float32), np.empty(count, np.float32)
        return (mean, std) if fn(self._h(), _addr(mean), _addr(std), count) else None

    def _set_pair(self, fn, mean, std, count, what):
        if mean is None:
            self._ctx._call(fn, self._h(), None, None, count)
            return
        m = _as_vector(mean, f"{what} mean", count)
        s = _as_vector(std, f"{what} stddev", count)
        self._ctx._call(fn, self._h(), _addr(m), _addr(s), count)

    @property
    def normalization(self):
        """(mean, stddev) of the input standardisation, or None."""
        return self._get_pair(lib.nncl_model_get_normalization, self.inputs)

    def set_normalization(self, mean, stddev=None):
        """x' = (x - mean) / stddev per column for array inputs and data sets; None removes it."""
        self._set_pair(lib.nncl_model_set_normalization, mean, stddev, self.inputs, "normalization")

    @property
    def target_normalization(self):
        return self._get_pair(lib.nncl_model_get_target_normalization, self.outputs)

    def set_target_normalization(self, mean, stddev=None):
        self._set_pair(lib.nncl_model_set_target_normalization, mean, stddev, self.outputs,
                       "target normalization")

    def _names(self, fn, count):
        out = [fn(self._h(), i) for i in range(count)]
        return None if any(n is None for n in out) else [_text(n) for n in out]

    @property
    def class_names(self):
        count = 2 if self.loss == "bce" else self.outputs
        return self._names(lib.nncl_model_class_name, count)

    @class_names.setter
    def class_names(self, names):
        if names is None:
            self._ctx._call(lib.nncl_model_set_class_names, self._h(), None, 0)
            return
        enc = [str(n).encode() for n in names]
        arr = (c_char_p * len(enc))(*enc)
        self._ctx._call(lib.nncl_model_set_class_names, self._h(), arr, len(enc))

    @property
    def feature_names(self):
        return self._names(lib.nncl_model_feature_name, self.inputs)

    @property
    def target_name(self):
        n = lib.nncl_model_target_name(self._h())
        return None if n is None else _text(n)

    def set_columns(self, features, target=None):
        """Names of the input columns (one per input, or None) and of the target."""
        if features is None:
            arr, count = None, 0
        else:
            enc = [str(n).encode() for n in features]
            arr, count = (c_char_p * len(enc))(*enc), len(enc)
        self._ctx._call(lib.nncl_model_set_columns, self._h(), arr, count,
                        None if target is None else str(target).encode())

    @property
    def history(self):
        """One dict per epoch trained (fit), oldest first, as model files keep it."""
        n = lib.nncl_model_history(self._h(), None, 0)
        recs = (_lib.EpochRecord * max(n, 1))()
        n = lib.nncl_model_history(self._h(), recs, n)
        return [_record_dict(recs[i]) for i in range(n)]

    def clear_history(self):
        lib.nncl_model_clear_history(self._h())

    # ---- the batch calls ---------------------------------------------------------
    def _standardized(self, x):
        norm = self.normalization
        if norm is None:
            return x
        mean, std = norm
        inv = np.where(std > _NORM_MIN_STD, 1.0 / np.maximum(std, _NORM_MIN_STD), 1.0).astype(np.float32)
        return np.ascontiguousarray((x - mean) * inv, dtype=np.float32)

    def _targets_matrix(self, y, rows):
        if self.loss == "softmax-ce" or self.outputs == 1:
            return _as_vector(y, "Y", rows).reshape(rows, 1)
        t = _as_matrix(y, "Y", self.outputs)
        if t.shape[0] != rows:
            raise ShapeError(f"Y: {t.shape[0]} rows, X has {rows}")
        return t

    def _batch_tensors(self, X, Y, what):
        """(X, Y) as tensors: Tensors as they are, arrays into staging tensors."""
        if isinstance(X, Tensor) and (Y is None or isinstance(Y, Tensor)):
            return X, Y
        if isinstance(X, Tensor) or isinstance(Y, Tensor):
            raise TypeError(f"{what}: give X and Y both as Tensors or both as arrays")
        x = self._standardized(_as_matrix(X, "X", self.inputs))
        rows = x.shape[0]
        staged = self._staging.get(rows)
        if staged is None:
            if len(self._staging) > 4:
                for xt, yt in self._staging.values():
                    xt.close(), yt.close()
                self._staging.clear()
            ycols = 1 if self.loss == "softmax-ce" else self.outputs
            staged = self._staging[rows] = (Tensor(self._ctx, rows, self.inputs), Tensor(self._ctx, rows, ycols))
        xt, yt = staged
        xt._upload(x)
        if Y is not None:
            yt._upload(self._targets_matrix(Y, rows))
        return xt, yt

    def train_step(self, X, Y):
        """One optimizer step on a batch: forward, loss, backward, update.
        Only queues work; errors found on the device (a label out of range,
        NaN) come back from the next sync/train_metrics/evaluate."""
        ctx, handle = self._ctx, self._h()
        if type(X) is Tensor and type(Y) is Tensor:  # the fast path: no conversion
            ctx._call(lib.nncl_model_train_step, handle, X._h(), Y._h())
            return
        xt, yt = self._batch_tensors(X, Y, "train_step")
        if yt is None:
            raise TypeError("train_step: Y is required")
        ctx._call(lib.nncl_model_train_step, handle, xt._h(), yt._h())

    def sync(self):
        """Waits for queued steps; raises what the device found."""
        self._ctx._call(lib.nncl_model_sync, self._h())

    def train_metrics(self):
        """(mean loss, mean accuracy) over the steps since the last call."""
        loss, acc = c_float(), c_float()
        self._ctx._call(lib.nncl_model_train_metrics, self._h(), byref(loss), byref(acc))
        return loss.value, acc.value

    def predict(self, X, out=None):
        """Outputs for X: probabilities (softmax-ce, bce) or values (mse, in
        the targets' units). A Dataset or array gives a new float32 array
        (rows x outputs); a Tensor gives a Tensor (out, or a new one)."""
        if isinstance(X, Tensor):
            if out is None:
                out = Tensor(self._ctx, X.shape[0], self.outputs)
            self._ctx._call(lib.nncl_model_predict, self._h(), X._h(), out._h())
            return out
        ds, owned = self._dataset(X, None)
        try:
            result = np.empty((ds.rows, self.outputs), dtype=np.float32)
            self._ctx._call(lib.nncl_model_predict_dataset, self._h(), ds._h(), _addr(result), result.size)
        finally:
            if owned:
                ds.close()
        return result

    def evaluate(self, X, Y=None):
        """Figures of the model on (X, Y): a dict with loss and accuracy
        (classification) or loss, rmse, mae and r2 (mse; in the targets'
        units), and rows. X, Y as Tensors (loss and accuracy only), arrays,
        or X a Dataset with its own targets."""
        if isinstance(X, Tensor):
            xt, yt = self._batch_tensors(X, Y, "evaluate")
            loss, acc = c_float(), c_float()
            self._ctx._call(lib.nncl_model_evaluate, self._h(), xt._h(), yt._h(), byref(loss), byref(acc))
            return {"loss": loss.value, "accuracy": acc.value, "rmse": math.nan, "mae": math.nan,
                    "r2": math.nan, "rows": X.shape[0]}
        ds, owned = self._dataset(X, Y)
        try:
            m = _lib.Metrics()
            self._ctx._call(lib.nncl_model_evaluate_metrics, self._h(), ds._h(), byref(m))
        finally:
            if owned:
                ds.close()
        return {"loss": m.loss, "accuracy": m.accuracy, "rmse": m.rmse, "mae": m.mae, "r2": m.r2,
                "rows": m.rows}

    def _dataset(self, X, y):
        """(Dataset, whether we made it) for a Dataset or arrays."""
        if isinstance(X, Dataset):
            if y is not None:
                raise TypeError("a Dataset carries its own targets: give y=None")
            X._h()
            return X, False
        x = _as_matrix(X, "X", self.inputs)
        kind = None if y is None else ("class" if self.loss == "softmax-ce" else "value")
        if y is not None and self.loss != "softmax-ce" and self.outputs != 1:
            raise InvalidArgumentError("arrays with one target per row fit a model with one output "
                                       "(or softmax-ce); use train_step for several outputs")
        return Dataset.from_arrays(self._ctx, x, y, kind), True

    # ---- the whole fit ---------------------------------------------------------------
    def fit(self, X, y=None, *, batch=0, max_epochs=0, seed=42, validation=None, validation_fraction=0.0,
            patience=10, min_delta=1e-4, restore_best=True, standardize=True, on_epoch=None,
            progress=None, progress_every=0):
        """A whole training run (nncl_model_fit): shuffled batches, early
        stopping on the validation loss (validation: a Dataset or (X, y);
        or validation_fraction of the training rows) or else the training
        loss, the best epoch's weights at the end. batch 0 / max_epochs 0:
        from the data size. on_epoch(record dict) and progress(dict) may
        return True to stop. Ctrl-C stops after the current batch and raises
        KeyboardInterrupt. Returns a dict (epochs, best_epoch, best_loss,
        monitored_validation, stopped_early, still_improving)."""
        ds, owned = self._dataset(X, y)
        valid, valid_owned = None, False
        try:
            if validation is not None:
                if isinstance(validation, Dataset):
                    valid = validation
                else:
                    vx, vy = validation
                    valid, valid_owned = self._dataset(vx, vy)
            return self._fit(ds, valid, batch, max_epochs, seed, validation_fraction, patience, min_delta,
                             restore_best, standardize, on_epoch, progress, progress_every)
        finally:
            if owned:
                ds.close()
            if valid_owned:
                valid.close()

    def _fit(self, ds, valid, batch, max_epochs, seed, validation_fraction, patience, min_delta, restore_best,
             standardize, on_epoch, progress, progress_every):
        opts = lib.nncl_fit_options_defaults()
        opts.batch, opts.max_epochs = int(batch), int(max_epochs)
        opts.seed = int(seed) & (2**64 - 1)
        opts.validation = None if valid is None else valid._h()
        opts.validation_fraction = float(validation_fraction)
        opts.patience, opts.min_delta = int(patience), float(min_delta)
        opts.restore_best, opts.standardize = int(bool(restore_best)), int(bool(standardize))

        state = {"sigint": False, "error": None}

        def epoch_cb(rec, _user):
            try:
                return 1 if (on_epoch(_record_dict(rec.contents)) or state["sigint"]) else 0
            except BaseException as e:  # raised again once the C call returns
                state["error"] = e
                return 1

        def progress_cb(p, _user):
            try:
                if state["sigint"]:
                    return 1
                if progress is None:
                    return 0
                c = p.contents
                return 1 if progress({"epoch": c.epoch, "batches_done": c.batches_done,
                                      "batches_total": c.batches_total, "samples_done": c.samples_done,
                                      "seconds": c.seconds, "running_loss": c.running_loss}) else 0
            except BaseException as e:
                state["error"] = e
                return 1

        # Ctrl-C: Python runs its handler only between bytecodes, i.e. in
        # these callbacks; the handler sets a flag and the next callback
        # asks the C loop to stop.
        main = threading.current_thread() is threading.main_thread()
        catch = main and signal.getsignal(signal.SIGINT) is signal.default_int_handler
        if on_epoch is not None:
            opts.on_epoch = _lib.EPOCH_FN(epoch_cb)
        if progress is not None or catch:
            opts.progress = _lib.PROGRESS_FN(progress_cb)
            opts.progress_every = int(progress_every) if progress is not None and progress_every else 8
        previous = None
        if catch:
            previous = signal.signal(signal.SIGINT, lambda *_: state.__setitem__("sigint", True))
        result = _lib.FitResult()
        try:
            with self._ctx._lock:
                status = lib.nncl_model_fit(self._h(), ds._h(), byref(opts), byref(result))
                message = _text(lib.nncl_last_error(self._ctx._handle)) if status else ""
        finally:
            if catch:
                signal.signal(signal.SIGINT, previous)
        if state["error"] is not None:
            raise state["error"]
        if state["sigint"]:
            raise KeyboardInterrupt
        interrupted = status == -11
        if status != 0 and not interrupted:
            raise error_for(status, message)
        return {"epochs": result.epochs, "best_epoch": result.best_epoch, "best_loss": result.best_loss,
                "monitored_validation": bool(result.monitored_validation),
                "stopped_early": bool(result.stopped_early), "still_improving": bool(result.still_improving),
                "interrupted": interrupted}

    # ---- files ------------------------------------------------------------------------
    def save(self, path):
        """Writes a safetensors model file (weights, architecture, loss,
        normalisations, names, history), as `nncl train --save` does."""
        self._ctx._call(lib.nncl_model_save, self._h(), os.fsencode(path))

    @classmethod
    def load(cls, ctx, path):
        """Reads a model file or checkpoint written by save or by the command line."""
        ctx = _context_of(ctx)
        handle = c_void_p()
        pos = lib.nncl_train_position_defaults()
        ctx._call(lib.nncl_model_load, ctx._h(), os.fsencode(path), byref(handle), byref(pos))
        return cls._wrap(ctx, handle.value)

    def to_bytes(self):
        """The model file's bytes (for pickling, storing in a database, ...)."""
        with tempfile.TemporaryDirectory(prefix="nncl-") as d:
            path = os.path.join(d, "model.safetensors")
            self.save(path)
            with open(path, "rb") as f:
                return f.read()

    @classmethod
    def from_bytes(cls, ctx, data):
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"Model.from_bytes: expected bytes, got {type(data).__name__}")
        with tempfile.TemporaryDirectory(prefix="nncl-") as d:
            path = os.path.join(d, "model.safetensors")
            with open(path, "wb") as f:
                f.write(data)
            return cls.load(ctx, path)

    def close(self):
        for xt, yt in getattr(self, "_staging", {}).values():
            xt.close(), yt.close()
        super().close()

    def __reduce__(self):
        raise TypeError("an nncl Model cannot be pickled directly (it lives on a device); "
                        "use model.to_bytes() / Model.from_bytes(ctx, data), or the scikit-learn estimators")

    def __repr__(self):
        if self.closed:
            return "<nncl.Model closed>"
        return f"<nncl.Model {'-'.join(map(str, self.sizes))} {self.loss}>"


def _record_dict(r):
    return {"epoch": r.epoch, "train_loss": r.train_loss, "train_accuracy": r.train_accuracy,
            "valid_loss": r.valid_loss, "valid_accuracy": r.valid_accuracy, "test_loss": r.test_loss,
            "test_accuracy": r.test_accuracy, "lr": r.lr, "seconds": r.seconds,
            "samples_per_second": r.samples_per_second, "best": bool(r.best)}
