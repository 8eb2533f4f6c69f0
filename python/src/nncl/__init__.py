# SPDX-License-Identifier: MIT
"""nncl: neural-network training on OpenCL devices, from Python.

Low level: nncl.devices(), Context, Tensor, Dataset, Model (NumPy arrays in
and out, over the C library's public API through ctypes; the GIL is released
during every C call). High level: nncl.MLPClassifier and nncl.MLPRegressor,
scikit-learn estimators (they import scikit-learn on first use).
"""
from ._core import Context, Dataset, Model, Tensor, devices, version
from ._errors import (BuildError, CancelledError, ClosedError, CommError, FileError, FormatError, InvalidArgumentError,
                      NNCLError, NoDeviceError, NumericError, OpenCLError, OutOfMemoryError, ShapeError,
                      UnsupportedError)
from ._lib import path as library_path

__version__ = version()

__all__ = ["devices", "version", "Context", "Tensor", "Dataset", "Model", "MLPClassifier", "MLPRegressor",
           "NNCLError", "InvalidArgumentError", "ShapeError", "OutOfMemoryError", "NoDeviceError",
           "OpenCLError", "BuildError", "FileError", "FormatError", "NumericError", "UnsupportedError",
           "CancelledError", "CommError", "ClosedError", "library_path"]


def __getattr__(name):
    # The estimators need scikit-learn; `import nncl` does not.
    if name in ("MLPClassifier", "MLPRegressor"):
        from . import estimators as _sk
        return getattr(_sk, name)
    raise AttributeError(f"module 'nncl' has no attribute {name!r}")
