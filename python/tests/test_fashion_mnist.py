# SPDX-License-Identifier: MIT
"""A Fashion-MNIST fit on a subset (the whole set is the benchmark's:
tests/perf/python_bench.py)."""
import os

import numpy as np
import pytest

import nncl
from nncl.datasets import DEFAULT_DIR, load_fashion_mnist

pytestmark = pytest.mark.skipif(not os.path.isdir(DEFAULT_DIR), reason="apt-get install dataset-fashion-mnist")


def test_fashion_mnist_subset():
    Xtr, ytr = load_fashion_mnist("train")
    Xte, yte = load_fashion_mnist("test")
    assert Xtr.shape == (60000, 784) and Xte.shape == (10000, 784) and Xtr.dtype == np.float32
    assert set(np.unique(ytr)) == set(range(10))
    clf = nncl.MLPClassifier(hidden_layer_sizes=(256, 128), batch_size=128, max_iter=5, standardize=False,
                             random_state=0)
    clf.fit(Xtr[:10000], ytr[:10000])
    acc = clf.score(Xte[:2000], yte[:2000])
    assert clf.n_iter_ == 5 and acc > 0.8, acc


def test_fashion_mnist_dataset_open_matches_numpy(ctx):
    """The C loader's copy and the NumPy reader's agree (labels, scaling)."""
    with nncl.Dataset.open(ctx, "fashion-mnist", "test") as ds:
        assert (ds.rows, ds.cols, ds.classes) == (10000, 784, 10)
        X, yte = load_fashion_mnist("test")
        np.testing.assert_array_equal(ds.targets(), yte)
        with nncl.Model(ctx, [784, 10], loss="softmax-ce", seed=0) as m:
            np.testing.assert_allclose(m.predict(ds), m.predict(X), rtol=1e-5, atol=1e-6)
