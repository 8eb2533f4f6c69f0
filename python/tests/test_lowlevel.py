# SPDX-License-Identifier: MIT
"""The low-level layer: devices, Context, Tensor, Dataset, Model."""
import threading

import numpy as np
import pytest

import nncl
from conftest import blobs


def test_version_and_devices(ctx):
    from importlib.metadata import version as installed
    assert installed("nncl") == nncl.version()  # the package and the library it loaded agree
    devs = nncl.devices()
    assert devs and sum(d["selected"] for d in devs) == 1
    assert {"index", "type", "name", "platform", "compute_units", "global_mem_bytes"} <= set(devs[0])
    assert ctx.device["name"] == next(d["name"] for d in devs if d["selected"])


def test_context_by_device_spec(ctx):
    dev = ctx.device
    with nncl.Context(device=dev["index"]) as c:
        assert c.device["index"] == dev["index"]
    with nncl.Context(device=dev["type"]) as c:
        assert c.device["type"] == dev["type"]
    assert c.closed and "closed" in repr(c)


def test_context_from_environment(ctx, monkeypatch):
    monkeypatch.setenv("NNCL_DEVICE", str(ctx.device["index"]))
    with nncl.Context() as c:
        assert c.device["index"] == ctx.device["index"]


def test_tensor_round_trip(ctx):
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    with nncl.Tensor.from_numpy(ctx, a) as t:
        assert t.shape == (3, 4)
        np.testing.assert_array_equal(t.numpy(), a)
        np.testing.assert_array_equal(np.asarray(t), a)
        t.upload(a * 2)
        np.testing.assert_array_equal(t.numpy(), a * 2)
        t.fill(1.5)
        assert np.all(t.numpy() == 1.5)


def test_tensor_converts_real_arrays(ctx):
    f64 = np.arange(6, dtype=np.float64).reshape(2, 3)
    ints = np.arange(6).reshape(2, 3)
    fortran = np.asfortranarray(f64)
    strided = np.arange(12, dtype=np.float32).reshape(2, 6)[:, ::2]
    for src in (f64, ints, fortran, strided, f64.tolist()):
        with nncl.Tensor.from_numpy(ctx, src) as t:
            np.testing.assert_array_equal(t.numpy(), np.asarray(src, dtype=np.float32))


def test_gemm_free_prediction_matches_numpy(ctx):
    """The README's tutorial numbers through a one-layer model."""
    with nncl.Model(ctx, [2, 1], ["sigmoid"], loss="mse") as m:
        m.set_params([1.45, -0.66, 0.0])
        y = m.predict(np.array([[1.66, 1.56], [2.0, 1.5]]))
        np.testing.assert_allclose(y[:, 0], [0.7985731, 0.87101915], rtol=1e-6)
        w, b = m.weights[0]
        assert w.shape == (2, 1) and b.shape == (1,)


def test_model_train_step_predict_evaluate(ctx):
    X, y = blobs(256, 4, 3)
    with nncl.Model(ctx, [4, 16, 3], "relu", loss="softmax-ce", seed=3) as m:
        assert m.layers == [(16, "relu"), (3, "softmax")] and m.loss == "softmax-ce"
        assert m.param_count == 4 * 16 + 16 + 16 * 3 + 3
        m.set_optimizer("adam", lr=0.01)
        assert m.optimizer["kind"] == "adam" and m.optimizer["lr"] == 0.01
        before = m.evaluate(X, y)["loss"]
        xt, yt = nncl.Tensor.from_numpy(ctx, X[:128]), nncl.Tensor.from_numpy(ctx, y[:128, None])
        for _ in range(30):
            m.train_step(xt, yt)          # tensors: no conversion
            m.train_step(X[128:], y[128:])  # arrays: staged
        m.sync()
        loss, acc = m.train_metrics()
        assert m.step == 60 and 0 <= acc <= 1
        after = m.evaluate(X, y)
        assert after["loss"] < before and after["accuracy"] > 0.9 and after["rows"] == 256
        p = m.predict(X)
        assert p.shape == (256, 3) and p.dtype == np.float32
        np.testing.assert_allclose(p.sum(axis=1), 1, rtol=1e-5)
        out = m.predict(xt)
        assert isinstance(out, nncl.Tensor)
        np.testing.assert_allclose(out.numpy(), p[:128], rtol=1e-5, atol=1e-6)
        t_eval = m.evaluate(xt, yt)
        assert t_eval["rows"] == 128 and 0 <= t_eval["accuracy"] <= 1


def test_model_fit_regression_keeps_target_units(ctx):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3))
    y = 1000 + 50 * X[:, 0] - 20 * X[:, 1]
    with nncl.Model(ctx, [3, 32, 1], "tanh", loss="mse", seed=1) as m:
        m.set_optimizer("adam", lr=0.01)
        res = m.fit(X, y, max_epochs=60, patience=0, seed=1)
        assert res["epochs"] == 60 and not res["stopped_early"]
        assert m.target_normalization is not None and m.normalization is not None
        r = m.evaluate(X, y)
        assert r["r2"] > 0.98, r
        assert abs(np.mean(m.predict(X)[:, 0]) - 1000) < 10
        assert len(m.history) == 60 and m.history[-1]["epoch"] == 59


def test_fit_with_validation_and_callbacks(ctx):
    X, y = blobs(300, 4, 3, seed=2)
    seen, progress = [], []
    with nncl.Model(ctx, [4, 8, 3], loss="softmax-ce") as m:
        res = m.fit(X, y, max_epochs=50, validation=(X[:60], y[:60]), batch=32,
                    on_epoch=lambda r: seen.append(r) or len(seen) == 5,
                    progress=lambda p: progress.append(p), progress_every=4)
        assert res["interrupted"] and res["epochs"] == 5 and len(seen) == 5
        assert res["monitored_validation"] and not np.isnan(seen[0]["valid_loss"])
        assert progress and progress[0]["batches_total"] == 10


def test_fit_callback_exception_propagates(ctx):
    X, y = blobs(64, 4, 2)

    def boom(record):
        raise RuntimeError("stop here")

    with nncl.Model(ctx, [4, 2], loss="softmax-ce") as m, pytest.raises(RuntimeError, match="stop here"):
        m.fit(X, y, max_epochs=5, on_epoch=boom)


def test_save_load_bytes(ctx, tmp_path):
    X, y = blobs(100, 4, 3)
    with nncl.Model(ctx, [4, 8, 3], loss="softmax-ce", seed=5) as m:
        m.fit(X, y, max_epochs=3)
        m.class_names = ["a", "b", "c"]
        m.set_columns(["w", "x", "y", "z"], "label")
        path = tmp_path / "m.safetensors"
        m.save(path)
        again = nncl.Model.load(ctx, path)
        clone = nncl.Model.from_bytes(ctx, m.to_bytes())
        for other in (again, clone):
            assert other.sizes == [4, 8, 3] and other.loss == "softmax-ce"
            assert other.class_names == ["a", "b", "c"] and other.feature_names == ["w", "x", "y", "z"]
            assert other.target_name == "label" and len(other.history) == 3
            np.testing.assert_array_equal(other.get_params(), m.get_params())
            np.testing.assert_array_equal(other.predict(X), m.predict(X))
            other.close()


def test_dataset_from_arrays_and_open(ctx):
    X, y = blobs(50, 4, 3)
    with nncl.Dataset.from_arrays(ctx, X, y) as ds:
        assert (ds.rows, ds.cols, ds.classes, len(ds)) == (50, 4, 3, 50)
        np.testing.assert_array_equal(ds.targets(), y)
    with nncl.Dataset.from_arrays(ctx, X, y.astype(float) + 0.5) as ds:
        assert ds.classes == 0


def test_threads_share_a_context(ctx):
    X, y = blobs(128, 4, 3)
    models = [nncl.Model(ctx, [4, 8, 3], loss="softmax-ce", seed=s) for s in range(4)]
    errors = []

    def work(m):
        try:
            for _ in range(20):
                m.train_step(X, y)
            m.sync()
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(m,)) for m in models]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and all(m.step == 20 for m in models)
    for m in models:
        m.close()
