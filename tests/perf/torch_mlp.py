#!/usr/bin/python3
"""The peer of `nncl bench`'s training figure: the same MLP (784-256-128-10,
ReLU, softmax cross-entropy, Adam lr 1e-3) on the same Fashion-MNIST images
(scaled to [0, 1]) in PyTorch on the CPU, timed the same way: one warm-up
epoch, then whole shuffled epochs. Prints one JSON object.

Needs Debian's python3-torch and dataset-fashion-mnist. Usage:
    tests/perf/torch_mlp.py [--threads 2] [--batches 128,1024] [--seconds 4]
"""
import argparse
import gzip
import json
import os
import struct
import time

import numpy as np
import torch

DATA = "/usr/share/datasets/fashion-mnist"


def read_idx(path):
    with gzip.open(path, "rb") as f:
        magic, = struct.unpack(">I", f.read(4))
        dims = struct.unpack(">" + "I" * (magic & 0xFF), f.read(4 * (magic & 0xFF)))
        return np.frombuffer(f.read(), dtype=np.uint8).reshape(dims)


def model():
    return torch.nn.Sequential(
        torch.nn.Linear(784, 256), torch.nn.ReLU(),
        torch.nn.Linear(256, 128), torch.nn.ReLU(),
        torch.nn.Linear(128, 10))


def epoch(net, opt, x, y, batch, generator):
    loss_fn = torch.nn.CrossEntropyLoss()
    order = torch.randperm(x.shape[0], generator=generator)
    for start in range(0, x.shape[0], batch):
        idx = order[start:start + batch]
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(net(x[idx]), y[idx])
        loss.backward()
        opt.step()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--batches", default="128,1024")
    ap.add_argument("--seconds", type=float, default=4.0)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    x = torch.from_numpy(read_idx(f"{DATA}/train-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float32) / 255)
    y = torch.from_numpy(read_idx(f"{DATA}/train-labels-idx1-ubyte.gz").astype(np.int64))
    results = []
    for batch in [int(b) for b in args.batches.split(",")]:
        torch.manual_seed(42)
        net = model()
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
        g = torch.Generator().manual_seed(1)
        epoch(net, opt, x, y, batch, g)  # warm-up
        done, spent = 0, 0.0
        while spent < args.seconds or done == 0:
            t0 = time.perf_counter()
            epoch(net, opt, x, y, batch, g)
            spent += time.perf_counter() - t0
            done += x.shape[0]
        results.append({"batch": batch, "samples_per_second": round(done / spent, 1)})
    print(json.dumps({"peer": f"pytorch {torch.__version__}", "threads": args.threads, "training": results}))


if __name__ == "__main__":
    main()
