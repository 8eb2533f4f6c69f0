# SPDX-License-Identifier: MIT
"""The Python package's benchmark (docs/PERFORMANCE.md, "Python"):

1. nncl.MLPClassifier against scikit-learn's MLPClassifier on Fashion-MNIST,
   side by side in one run, at the same settings (hidden layers 256,128,
   ReLU, Adam, lr 0.001, batch 128, the same max_iter, no early stopping):
   fit time and test accuracy.
2. Python's overhead per Model.train_step on a batch of 128 (784-256-128-10):
   the time one wrapper call takes to return, against one bare ctypes call
   of nncl_model_train_step, set beside the step time (steps pipelined on the
   device, then a sync).

    python tests/perf/python_bench.py [--max-iter 10] [--json]

It needs the package (pip install ./python) and scikit-learn."""
import argparse
import json
import os
import platform
import time
import warnings

import numpy as np

import nncl
from nncl._lib import lib
from nncl.datasets import load_fashion_mnist


def fit_pair(max_iter):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier
    Xtr, ytr = load_fashion_mnist("train")
    Xte, yte = load_fashion_mnist("test")
    settings = dict(hidden_layer_sizes=(256, 128), batch_size=128, max_iter=max_iter, random_state=0)
    nncl.Context().close()  # the kernels' first build is not part of a fit
    out = {}
    for name, est in (("nncl", nncl.MLPClassifier(standardize=False, **settings)),
                      ("sklearn", MLPClassifier(**settings))):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            t = time.perf_counter()
            est.fit(Xtr, ytr)
            seconds = time.perf_counter() - t
        acc = est.score(Xte, yte)
        out[name] = {"seconds": seconds, "test_accuracy": acc, "epochs": est.n_iter_}
        print(f"{name:8s} fit {seconds:8.2f} s  {est.n_iter_} epochs  test accuracy {acc:.4f}", flush=True)
    out["speedup"] = out["sklearn"]["seconds"] / out["nncl"]["seconds"]
    print(f"nncl is {out['speedup']:.1f}x faster", flush=True)
    return out


def step_overhead(steps=1000, batch=128):
    ctx = nncl.Context()
    rng = np.random.default_rng(0)
    X = rng.random((batch, 784), dtype=np.float32)
    y = rng.integers(0, 10, size=batch)
    m = nncl.Model(ctx, [784, 256, 128, 10], "relu", loss="softmax-ce", seed=0)
    xt, yt = nncl.Tensor.from_numpy(ctx, X), nncl.Tensor.from_numpy(ctx, y[:, None])
    raw = lib.nncl_model_train_step
    h, xh, yh = m._handle, xt._handle, yt._handle

    def run(call):
        for _ in range(20):  # warm up: JIT of the kernels for these sizes
            call()
        m.sync()
        call_seconds = 0.0
        t0 = time.perf_counter()
        for _ in range(steps):
            t = time.perf_counter()
            call()
            call_seconds += time.perf_counter() - t
        m.sync()
        return (time.perf_counter() - t0) / steps, call_seconds / steps

    results = {}
    for round_ in range(5):  # alternate, keep the best of each
        for name, call in (("ctypes", lambda: raw(h, xh, yh)), ("Model.train_step", lambda: m.train_step(xt, yt)),
                           ("Model.train_step(numpy)", lambda: m.train_step(X, y))):
            step, call_time = run(call)
            best = results.get(name)
            if best is None or step < best[0]:
                results[name] = (step, min(call_time, best[1]) if best else call_time)
    base_step, base_call = results["ctypes"]
    out = {}
    for name, (step, call_time) in results.items():
        overhead = call_time - base_call
        out[name] = {"step_ms": step * 1e3, "call_us": call_time * 1e6, "python_overhead_us": overhead * 1e6,
                     "overhead_percent_of_step": 100 * overhead / base_step}
        # With NumPy arrays the call also uploads the batch, which waits
        # until the previous step has released the staging tensor: that is
        # data transfer and pipelining, not Python overhead.
        what = "extra per call (upload)" if "numpy" in name else "Python overhead"
        print(f"{name:24s} step {step * 1e3:7.3f} ms  call returns in {call_time * 1e6:7.1f} us  "
              f"{what} {overhead * 1e6:6.1f} us = {100 * overhead / base_step:5.2f} % of a step",
              flush=True)
    m.close(), ctx.close()
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--max-iter", type=int, default=10)
    ap.add_argument("--skip-fit", action="store_true")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    report = {"python": platform.python_version(), "nncl": nncl.__version__, "cpus": os.cpu_count(),
              "device": nncl.Context().device["name"]}
    print(f"nncl {report['nncl']}, Python {report['python']}, device {report['device']}", flush=True)
    report["train_step"] = step_overhead()
    if not args.skip_fit:
        report["fashion_mnist"] = fit_pair(args.max_iter)
    if args.json:
        print(json.dumps(report))


if __name__ == "__main__":
    main()
