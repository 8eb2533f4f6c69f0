# SPDX-License-Identifier: MIT
"""Every misuse raises a Python exception with a clear message, never a crash."""
import pickle

import numpy as np
import pytest

import nncl
from conftest import blobs


@pytest.fixture
def model(ctx):
    m = nncl.Model(ctx, [4, 8, 3], loss="softmax-ce")
    yield m
    m.close()


@pytest.mark.host_only
def test_hierarchy():
    assert issubclass(nncl.ShapeError, nncl.NNCLError) and issubclass(nncl.ShapeError, ValueError)
    assert issubclass(nncl.FileError, OSError) and issubclass(nncl.FormatError, ValueError)
    assert issubclass(nncl.OutOfMemoryError, MemoryError) and issubclass(nncl.ClosedError, ValueError)
    assert nncl.ShapeError.status == -2 and nncl.CancelledError.status_name == "NNCL_ERR_INTERRUPTED"


@pytest.mark.host_only
def test_every_status_has_its_class():
    """Walks the C library's statuses (nncl_status_string) down from -1 until
    it says "unknown": each failure has its exception class, named alike."""
    from nncl._errors import BY_STATUS
    from nncl._lib import lib
    status = -1
    while True:
        text = lib.nncl_status_string(status).decode()
        if "unknown" in text:
            break
        name = text.split(":")[0]
        assert status in BY_STATUS, f"no exception class for {name} ({status})"
        assert BY_STATUS[status].status_name == name
        status -= 1
    assert status < -11  # the walk went through the statuses


def test_wrong_dtype(ctx, model):
    with pytest.raises(TypeError, match="not a real number type"):
        nncl.Tensor.from_numpy(ctx, np.array([["a", "b"]]))
    with pytest.raises(TypeError, match="not a real number type"):
        model.predict(np.ones((2, 4), dtype=complex))
    with pytest.raises(TypeError, match="not a real number type"):
        model.train_step(np.ones((2, 4)), np.array(["x", "y"]))
    with nncl.Tensor(ctx, 2, 4) as t, pytest.raises(TypeError, match="need float32"):
        t.upload(np.ones((2, 4)))
    with pytest.raises(TypeError, match="cannot be read as an array"):
        nncl.Tensor.from_numpy(ctx, [[1, 2], [3]])


def test_non_contiguous(ctx):
    a = np.ones((4, 6), dtype=np.float32)[:, ::2]
    with nncl.Tensor(ctx, 4, 3) as t, pytest.raises(ValueError, match="not C-contiguous"):
        t.upload(a)


def test_wrong_shape(ctx, model):
    with pytest.raises(nncl.ShapeError, match="2-D"):
        nncl.Tensor.from_numpy(ctx, np.ones(3))
    with pytest.raises(nncl.ShapeError, match="empty"):
        nncl.Tensor.from_numpy(ctx, np.ones((0, 3)))
    with pytest.raises(nncl.ShapeError, match="5 columns, the model takes 4"):
        model.predict(np.ones((2, 5)))
    with pytest.raises(nncl.ShapeError, match="expected 2 values"):
        model.train_step(np.ones((2, 4)), np.zeros(3))
    with nncl.Tensor(ctx, 2, 3) as t, pytest.raises(nncl.ShapeError, match="tensor shape"):
        t.upload(np.ones((3, 2), dtype=np.float32))
    with pytest.raises(nncl.ShapeError):
        nncl.Tensor(ctx, 0, 3)


def test_shape_error_from_the_library(ctx, model):
    """A check made in C: the text is nncl_last_error."""
    with nncl.Tensor(ctx, 2, 5) as x, nncl.Tensor(ctx, 2, 1) as y:
        with pytest.raises(nncl.ShapeError) as e:
            model.train_step(x, y)
        assert "nncl_model_train_step" in str(e.value) and e.value.status == -2


def test_bad_values(ctx, model):
    with pytest.raises(nncl.NumericError, match="row 1"):
        model.fit(np.array([[0, 0, 0, 0], [0, np.nan, 0, 0]]), np.array([0, 1]))
    with pytest.raises(nncl.InvalidArgumentError):
        model.fit(np.ones((2, 4)), np.array([0.5, 1]))
    model.train_step(np.ones((2, 4)), np.array([0, 7]))  # a label out of range, found on the device
    with pytest.raises(nncl.NNCLError, match="label"):
        model.sync()


def test_bad_arguments(ctx):
    with pytest.raises(nncl.InvalidArgumentError, match="unknown activation"):
        nncl.Model(ctx, [2, 3], "swish")
    with pytest.raises(nncl.InvalidArgumentError, match="unknown loss"):
        nncl.Model(ctx, [2, 3], loss="hinge")
    with pytest.raises(nncl.InvalidArgumentError, match="at least one layer"):
        nncl.Model(ctx, [2])
    with pytest.raises(nncl.InvalidArgumentError):
        nncl.Model(ctx, [2, 3, 2], ["relu", "softmax", "softmax"], loss="softmax-ce")
    with nncl.Model(ctx, [2, 2], loss="softmax-ce") as m:
        with pytest.raises(nncl.InvalidArgumentError, match="learning rate"):
            m.set_optimizer("adam", lr=-1)
        with pytest.raises(TypeError, match="unknown field"):
            m.set_optimizer("adam", learning_rate=0.1)
        with pytest.raises(nncl.InvalidArgumentError, match="validation_fraction"):
            m.fit(np.ones((10, 2)), np.arange(10) % 2, validation_fraction=2)
    with pytest.raises(TypeError, match="nncl.Context"):
        nncl.Tensor("not a context", 2, 2)


def test_no_such_device():
    with pytest.raises(nncl.NoDeviceError) as e:
        nncl.Context(device="no-such-device-xyz")
    assert "no-such-device-xyz" in str(e.value)


def test_files(ctx, tmp_path):
    with pytest.raises(nncl.FileError, match="missing.safetensors"):
        nncl.Model.load(ctx, tmp_path / "missing.safetensors")
    bad = tmp_path / "bad.safetensors"
    bad.write_text("sepal length,width\n1,2\n")
    with pytest.raises(nncl.FormatError, match="not a safetensors file"):
        nncl.Model.load(ctx, bad)
    with pytest.raises(nncl.FormatError):
        nncl.Model.from_bytes(ctx, b"\x00" * 64)
    with nncl.Model(ctx, [2, 2]) as m, pytest.raises(nncl.FileError):
        m.save(tmp_path / "no" / "such" / "dir" / "m.safetensors")


def test_closed_objects(ctx):
    X, y = blobs(16, 4, 3)
    m = nncl.Model(ctx, [4, 3], loss="softmax-ce")
    t = nncl.Tensor(ctx, 2, 2)
    m.close(), t.close()
    m.close()  # twice is harmless
    for call in (lambda: m.predict(X), lambda: m.train_step(X, y), lambda: m.fit(X, y), lambda: m.save("x"),
                 lambda: m.inputs, lambda: m.get_params(), t.numpy, lambda: t.fill(0)):
        with pytest.raises(nncl.ClosedError, match="closed"):
            call()


def test_closing_the_context_closes_its_objects():
    c = nncl.Context()
    m = nncl.Model(c, [4, 3])
    t = nncl.Tensor(c, 2, 2)
    ds = nncl.Dataset.from_arrays(c, np.ones((3, 4)), np.ones(3))
    c.close()
    assert m.closed and t.closed and ds.closed
    with pytest.raises(nncl.ClosedError):
        nncl.Model(c, [2, 2])
    with pytest.raises(nncl.ClosedError):
        m.predict(np.ones((1, 4)))


def test_mixing_tensors_and_arrays(ctx, model):
    with nncl.Tensor(ctx, 2, 4) as x, pytest.raises(TypeError, match="both as Tensors"):
        model.train_step(x, np.zeros(2))


def test_unpicklable_handles(ctx, model):
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(ctx)
    with pytest.raises(TypeError, match="to_bytes"):
        pickle.dumps(model)
