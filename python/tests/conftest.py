# SPDX-License-Identifier: MIT
"""Shared fixtures: one Context for the session, the one the estimators use
too (kernels build once), the command line of the build under test
(NNCL_CLI, set by CTest), small data.

A device suite: where no OpenCL device opens, every test skips (the
autouse fixture below; those marked host_only run), unless
NNCL_TEST_REQUIRE_DEVICE=1 (as .ci/run sets), where they fail."""
import os
import shutil

import numpy as np
import pytest

import nncl


def pytest_configure(config):
    config.addinivalue_line("markers", "host_only: needs no OpenCL device")


@pytest.fixture(scope="session")
def ctx():
    from nncl.estimators import _shared_context
    try:
        c = _shared_context(None)
    except nncl.NNCLError as e:
        if os.environ.get("NNCL_TEST_REQUIRE_DEVICE") == "1":
            pytest.fail(f"no OpenCL device, and NNCL_TEST_REQUIRE_DEVICE=1: {e}")
        pytest.skip(f"no OpenCL device: {e}")
    yield c
    c.close()


@pytest.fixture(autouse=True)
def _device(request):
    """Every test needs the device, including those that make their own
    contexts or estimators: without one they skip here; those marked
    `host_only` run anyway."""
    if "host_only" not in request.keywords:
        request.getfixturevalue("ctx")


@pytest.fixture(scope="session")
def cli():
    path = os.environ.get("NNCL_CLI") or shutil.which("nncl")
    if not path:
        pytest.skip("the nncl command line is not available (set NNCL_CLI; CTest does)")
    return path


@pytest.fixture(scope="session")
def iris():
    from sklearn.datasets import load_iris
    bunch = load_iris()
    return bunch.data, bunch.target, list(bunch.feature_names), [str(n) for n in bunch.target_names]


def blobs(rows=200, cols=4, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(0, 4, size=(classes, cols))
    y = rng.integers(0, classes, size=rows)
    X = centers[y] + rng.normal(0, 1, size=(rows, cols))
    return X.astype(np.float32), y
