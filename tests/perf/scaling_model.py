#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# The scaling model of docs/SCALING.md: per-step compute against ring-
# allreduce time for data-parallel training at a fixed global batch.
#   compute(N)  = flops_per_sample * B / N / R            (strong scaling)
#   ring(N)     = 2 (N-1)/N * S / bw + 2 (N-1) * alpha     (Patarasuk & Yuan)
#   staging     = 2 * S / pcie (device->host->device, nncl's host-staged MPI)
# Overlap hides the buckets reduced while backward still runs: everything
# but the first layer's bucket, up to the backward time left.
import sys

B = 1024
R = 20e12          # effective fp32 GEMM rate of one GPU, flop/s
LAUNCH = 10e-6     # per kernel launch
PCIE = 25e9        # PCIe 4.0 x16, bytes/s, for staging
LINKS = {          # name: (bytes/s per direction, latency s, GPUs per node)
    "PCIe 4.0 (host-staged)": (12e9, 10e-6, 8),
    "NVLink (NCCL-class)": (150e9, 5e-6, 8),
    "100 Gb/s Ethernet": (11e9, 30e-6, 1),
}
MODELS = {"default MLP 784-256-128-10": [784, 256, 128, 10],
          "wide MLP 784-4096-4096-4096-10": [784, 4096, 4096, 4096, 10]}


def model_figures(widths):
    layers = [(widths[i] + 1) * widths[i + 1] for i in range(len(widths) - 1)]
    params = sum(layers)
    # forward 2P, backward dW 2P and dX 2P except for the first layer
    flops = 2 * params + 2 * params + 2 * (params - layers[0])
    return params, layers, flops


def step(widths, n, link, staged):
    params, layers, flops = model_figures(widths)
    bw, alpha, _ = link
    S = 4 * params
    compute = flops * B / n / R + 3 * len(layers) * 2 * LAUNCH
    bwd = compute * (2 * params + 2 * (params - layers[0])) / flops
    ring = 0.0 if n == 1 else 2 * (n - 1) / n * S / bw + 2 * (n - 1) * alpha * (1 + (len(layers) > 1))
    stage = 2 * S / PCIE if staged and n > 1 else 0.0
    comm = ring + stage
    first = 4 * layers[0] / S  # the share that only starts when backward ends
    hidden = min(comm * (1 - first), bwd * (1 - layers[0] / params))
    return compute, comm, compute + comm, compute + comm - hidden


def main():
    for name, widths in MODELS.items():
        params, layers, flops = model_figures(widths)
        print(f"\n{name}: {params:,} parameters ({4 * params / 2**20:.1f} MiB of gradients), "
              f"{flops / 1e6:.1f} Mflop per sample, {flops * B / 1e9:.1f} Gflop per step of {B}")
        print("| link | N | compute ms | allreduce ms | step ms, no overlap | step ms, overlap | speed-up vs 1 |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for lname, link in LINKS.items():
            one = step(widths, 1, link, False)[2]
            for n in (1, 2, 4, 8, 16, 32, 64):
                c, m, plain, over = step(widths, n, link, lname.startswith("PCIe"))
                flag = " (comm-bound)" if m > c else ""
                print(f"| {lname} | {n} | {c * 1e3:.3f} | {m * 1e3:.3f}{flag} | {plain * 1e3:.3f} | "
                      f"{over * 1e3:.3f} | {one / over:.1f}x |")


if __name__ == "__main__":
    sys.exit(main())
