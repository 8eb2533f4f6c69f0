#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The PyTorch peer of `nncl bench`: the same GEMM shapes through
torch.matmul (cuBLAS on a CUDA GPU, the CPU BLAS otherwise) and the training
figure: the same MLP (784-256-128-10,
ReLU, softmax cross-entropy, Adam lr 1e-3) on the same Fashion-MNIST images
(scaled to [0, 1]) in PyTorch on the CPU, timed the same way: one warm-up
epoch, then whole shuffled epochs. Prints one JSON object.

Needs Debian's python3-torch and dataset-fashion-mnist. Usage:
    tests/perf/torch_mlp.py [--threads 2] [--batches 128,1024] [--seconds 4] [--device cpu|cuda]
"""
import argparse
import json
import os
import time

import numpy as np
import torch

from fashion_data import DATA, read_idx



def model():
    return torch.nn.Sequential(
        torch.nn.Linear(784, 256), torch.nn.ReLU(),
        torch.nn.Linear(256, 128), torch.nn.ReLU(),
        torch.nn.Linear(128, 10))


def epoch(net, opt, x, y, batch, generator):
    loss_fn = torch.nn.CrossEntropyLoss()
    order = torch.randperm(x.shape[0], generator=generator).to(x.device)
    for start in range(0, x.shape[0], batch):
        idx = order[start:start + batch]
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(net(x[idx]), y[idx])
        loss.backward()
        opt.step()


GEMM_SHAPES = [(1024, 256, 784), (1024, 128, 256), (1024, 1024, 1024), (4096, 4096, 4096)]


def gemm(device, seconds):
    """GFLOP/s of torch.matmul for each shape and layout (NN, TN, NT)."""
    out = []
    for m, n, k in GEMM_SHAPES:
        for layout in ("NN", "TN", "NT"):
            a = torch.rand((k, m) if layout == "TN" else (m, k), device=device)
            b = torch.rand((n, k) if layout == "NT" else (k, n), device=device)
            opa = a.t() if layout == "TN" else a
            opb = b.t() if layout == "NT" else b
            torch.matmul(opa, opb)
            if device == "cuda":
                torch.cuda.synchronize()
            calls, t0 = 0, time.perf_counter()
            while time.perf_counter() - t0 < seconds / 12:
                torch.matmul(opa, opb)
                calls += 1
            if device == "cuda":
                torch.cuda.synchronize()
            t = time.perf_counter() - t0
            out.append({"layout": layout, "m": m, "n": n, "k": k, "gflops": round(2.0 * m * n * k * calls / t / 1e9, 1)})
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--batches", default="128,1024")
    ap.add_argument("--seconds", type=float, default=4.0)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    x = torch.from_numpy(read_idx(f"{DATA}/train-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float32) / 255)
    y = torch.from_numpy(read_idx(f"{DATA}/train-labels-idx1-ubyte.gz").astype(np.int64))
    x, y = x.to(device), y.to(device)
    results = []
    for batch in [int(b) for b in args.batches.split(",")]:
        torch.manual_seed(42)
        net = model().to(device)
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
        g = torch.Generator().manual_seed(1)
        epoch(net, opt, x, y, batch, g)  # warm-up
        done, spent = 0, 0.0
        while spent < args.seconds or done == 0:
            t0 = time.perf_counter()
            epoch(net, opt, x, y, batch, g)
            if args.device == "cuda":
                torch.cuda.synchronize()
            spent += time.perf_counter() - t0
            done += x.shape[0]
        results.append({"batch": batch, "samples_per_second": round(done / spent, 1)})
    print(json.dumps({"peer": f"pytorch {torch.__version__}", "device": args.device, "threads": args.threads,
                      "gemm": gemm(args.device, args.seconds), "training": results}))


if __name__ == "__main__":
    main()
