# SPDX-License-Identifier: MIT
"""Exceptions: one class per nncl_status failure (NNCL_STATUS_MAP in nncl.h),
each under NNCLError and under the built-in exception a Python caller would
expect (ValueError for bad arguments and data, OSError for files, ...).

The text of an exception raised for a failing C call is nncl_last_error():
which file, line, shape or OpenCL error.
"""


class NNCLError(Exception):
    """Base of every nncl failure. `status` is the nncl_status code (an int,
    None for checks made on the Python side before any call)."""

    status = None
    status_name = None

    def __init__(self, message, status=None):
        super().__init__(message)
        if status is not None:
            self.status = status


class InvalidArgumentError(NNCLError, ValueError):
    status, status_name = -1, "NNCL_ERR_INVALID_ARG"


class ShapeError(NNCLError, ValueError):
    status, status_name = -2, "NNCL_ERR_SHAPE"


class OutOfMemoryError(NNCLError, MemoryError):
    status, status_name = -3, "NNCL_ERR_OUT_OF_MEMORY"


class NoDeviceError(NNCLError, RuntimeError):
    status, status_name = -4, "NNCL_ERR_NO_DEVICE"


class OpenCLError(NNCLError, RuntimeError):
    status, status_name = -5, "NNCL_ERR_OPENCL"


class BuildError(NNCLError, RuntimeError):
    status, status_name = -6, "NNCL_ERR_BUILD"


class FileError(NNCLError, OSError):
    """NNCL_ERR_IO: a file could not be read or written."""
    status, status_name = -7, "NNCL_ERR_IO"


class FormatError(NNCLError, ValueError):
    status, status_name = -8, "NNCL_ERR_FORMAT"


class NumericError(NNCLError, ValueError):
    """NaN or infinity in the data, a label out of range found on the device."""
    status, status_name = -9, "NNCL_ERR_NUMERIC"


class UnsupportedError(NNCLError, NotImplementedError):
    status, status_name = -10, "NNCL_ERR_UNSUPPORTED"


class CancelledError(NNCLError):
    """NNCL_ERR_INTERRUPTED: a callback asked to stop (e.g. Ctrl-C during fit)."""
    status, status_name = -11, "NNCL_ERR_INTERRUPTED"


class CommError(NNCLError, RuntimeError):
    """NNCL_ERR_COMM: communication between data-parallel ranks failed."""
    status, status_name = -12, "NNCL_ERR_COMM"


class ClosedError(NNCLError, ValueError):
    """A Context, Tensor, Model or Dataset used after close() (as a closed
    file raises ValueError)."""


BY_STATUS = {cls.status: cls for cls in (
    InvalidArgumentError, ShapeError, OutOfMemoryError, NoDeviceError, OpenCLError, BuildError,
    FileError, FormatError, NumericError, UnsupportedError, CancelledError, CommError)}


def error_for(status, message):
    """The exception for a failing status, carrying message."""
    cls = BY_STATUS.get(status)
    if cls is None:
        return NNCLError(f"{message} (unknown status {status})", status)
    return cls(message or cls.status_name, status)
