#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The JAX/XLA peer of `nncl bench`: the default MLP (784-256-128-10, ReLU,
softmax cross-entropy) with the same initialisation family as nncl (He
uniform for the ReLU layers, Glorot uniform for the output layer, biases
zero) and Adam (lr 1e-3, betas 0.9/0.999, eps 1e-8), trained on Fashion-MNIST
scaled to [0, 1]. The whole training step (gather of the batch, forward,
backward, Adam) is one jit-compiled XLA computation; epochs run full batches
only, shuffled, the data resident on the device.

Needs jax (tests/perf/jax_venv.sh makes a venv with it) and Debian's
dataset-fashion-mnist. Two modes:
    jax_mlp.py [--batches 128,1024,8192] [--seconds 2]
        one JSON object: {"peer": "jax ...", "training": [{"batch", "samples_per_second"}]}
    jax_mlp.py --serve
        reads one batch size per line on stdin, answers one JSON line per
        request with the samples/s of the next timed epoch(s); the first
        request for a batch size also compiles and runs a warm-up epoch.
        tests/perf/interleave.py drives it between nncl runs.
"""
import argparse
import json
import sys
import time

import numpy as np

import jax
import jax.numpy as jnp

from fashion_data import DATA, read_idx

LAYERS = [(784, 256, "he"), (256, 128, "he"), (128, 10, "glorot")]


def init_params(seed):
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out, kind in LAYERS:
        limit = np.sqrt(6.0 / fan_in) if kind == "he" else np.sqrt(6.0 / (fan_in + fan_out))
        w = rng.uniform(-limit, limit, (fan_in, fan_out)).astype(np.float32)
        params.append((jnp.asarray(w), jnp.zeros((fan_out,), jnp.float32)))
    return params


def loss_fn(params, x, y):
    h = x
    for i, (w, b) in enumerate(params):
        h = h @ w + b
        if i + 1 < len(params):
            h = jax.nn.relu(h)
    logp = jax.nn.log_softmax(h)
    return -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=1))


LR, B1, B2, EPS = 1e-3, 0.9, 0.999, 1e-8


@jax.jit
def step(params, m, v, t, x_all, y_all, idx):
    x, y = x_all[idx], y_all[idx]
    grads = jax.grad(loss_fn)(params, x, y)
    t = t + 1
    bc1, bc2 = 1 - B1 ** t, 1 - B2 ** t
    m = jax.tree_util.tree_map(lambda m, g: B1 * m + (1 - B1) * g, m, grads)
    v = jax.tree_util.tree_map(lambda v, g: B2 * v + (1 - B2) * g * g, v, grads)
    params = jax.tree_util.tree_map(
        lambda p, m, v: p - LR * (m / bc1) / (jnp.sqrt(v / bc2) + EPS), params, m, v)
    return params, m, v, t


class Trainer:
    """One model and optimizer state per batch size; epochs of full batches."""

    def __init__(self, x, y, batch, seed=42):
        self.x, self.y, self.batch = x, y, batch
        self.params = init_params(seed)
        self.m = jax.tree_util.tree_map(jnp.zeros_like, self.params)
        self.v = jax.tree_util.tree_map(jnp.zeros_like, self.params)
        self.t = jnp.float32(0)
        self.rng = np.random.default_rng(1)
        self.epoch()  # warm-up: compiles the step

    def epoch(self):
        """Seconds and samples of one shuffled epoch of full batches."""
        rows = self.x.shape[0]
        steps = rows // self.batch
        order = self.rng.permutation(rows).astype(np.int32)
        idx = jnp.asarray(order[: steps * self.batch].reshape(steps, self.batch))
        idx.block_until_ready()
        t0 = time.perf_counter()
        p, m, v, t = self.params, self.m, self.v, self.t
        for s in range(steps):
            p, m, v, t = step(p, m, v, t, self.x, self.y, idx[s])
        jax.block_until_ready(p)
        spent = time.perf_counter() - t0
        self.params, self.m, self.v, self.t = p, m, v, t
        return spent, steps * self.batch

    def rate(self, seconds):
        done, spent = 0, 0.0
        while spent < seconds or done == 0:
            s, n = self.epoch()
            spent += s
            done += n
        return done / spent


def load():
    x = read_idx(f"{DATA}/train-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float32) / 255
    y = read_idx(f"{DATA}/train-labels-idx1-ubyte.gz").astype(np.int32)
    return jnp.asarray(x), jnp.asarray(y)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batches", default="128,1024,8192")
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--serve", action="store_true")
    args = ap.parse_args()
    x, y = load()
    peer = f"jax {jax.__version__} ({jax.default_backend()}, {jax.local_device_count()} device)"
    trainers = {}
    if args.serve:
        print(json.dumps({"peer": peer}), flush=True)
        for line in sys.stdin:
            batch = int(line.split()[0])
            if batch not in trainers:
                trainers[batch] = Trainer(x, y, batch)
            rate = trainers[batch].rate(args.seconds)
            print(json.dumps({"batch": batch, "samples_per_second": round(rate, 1)}), flush=True)
        return
    results = []
    for batch in [int(b) for b in args.batches.split(",")]:
        rate = Trainer(x, y, batch).rate(args.seconds)
        results.append({"batch": batch, "samples_per_second": round(rate, 1)})
    print(json.dumps({"peer": peer, "training": results}))


if __name__ == "__main__":
    main()
