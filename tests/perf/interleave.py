#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""nncl against JAX/XLA in one run, interleaved: for each round and batch
size, nncl trains (`nncl bench --train-only`, a fresh process: context,
data set, warm-up epoch, then timed epochs), then the JAX peer
(tests/perf/jax_mlp.py --serve, one process kept for the whole run, one
compiled model per batch size) trains the same number of seconds. The
order within a round alternates, so a machine that drifts drifts under both.
Prints each round and the median ratio per batch size, then one JSON line.

Usage: tests/perf/interleave.py [--nncl build/nncl] [--python VENV/bin/python]
           [--batches 128,1024,8192] [--rounds 5] [--load N]
--load N starts N CPU-bound busy loops for the whole run (the competing-load
case of issue 11) and stops them at the end.
"""
import argparse
import json
import multiprocessing
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from ab_train import rates  # noqa: E402 (one way to run nncl bench and read its rates)


def spin():
    x = 0
    while True:
        x += 1


def nncl_rate(nncl, batch, env):
    return rates(nncl, env, str(batch))[batch]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nncl", default="build/nncl")
    ap.add_argument("--python", default="build/jax-venv/bin/python")
    ap.add_argument("--batches", default="128,1024,8192")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=0.3, help="JAX timed seconds per round (nncl --quick: 0.3)")
    ap.add_argument("--load", type=int, default=0)
    args = ap.parse_args()
    batches = [int(b) for b in args.batches.split(",")]
    env = dict(os.environ)
    spinners = [multiprocessing.Process(target=spin, daemon=True) for _ in range(args.load)]
    for p in spinners:
        p.start()
    jax = subprocess.Popen([args.python, os.path.join(HERE, "jax_mlp.py"), "--serve", "--seconds", str(args.seconds)],
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    peer = json.loads(jax.stdout.readline())["peer"]

    def jax_rate(batch):
        jax.stdin.write(f"{batch}\n")
        jax.stdin.flush()
        return json.loads(jax.stdout.readline())["samples_per_second"]

    for b in batches:  # compile and warm up every batch size before the rounds
        jax_rate(b)
    rows = {b: [] for b in batches}
    try:
        for r in range(args.rounds):
            for b in batches:
                if r % 2 == 0:
                    ours, theirs = nncl_rate(args.nncl, b, env), jax_rate(b)
                else:
                    theirs, ours = jax_rate(b), nncl_rate(args.nncl, b, env)
                rows[b].append((ours, theirs))
                print(f"round {r + 1} batch {b:5d}: nncl {ours:9.0f}  {peer.split()[0]} {theirs:9.0f}  "
                      f"ratio {ours / theirs:.2f}x", flush=True)
    finally:
        jax.stdin.close()
        jax.wait()
        for p in spinners:
            p.terminate()
    summary = []
    for b in batches:
        ratio = statistics.median(o / t for o, t in rows[b])
        nn, jj = statistics.median(o for o, _ in rows[b]), statistics.median(t for _, t in rows[b])
        print(f"batch {b:5d}: nncl {nn:9.0f} samples/s, {peer} {jj:9.0f}, median ratio {ratio:.2f}x "
              f"({args.rounds} rounds{', load ' + str(args.load) if args.load else ''})")
        summary.append({"batch": b, "nncl": nn, "jax": jj, "ratio": round(ratio, 3)})
    print(json.dumps({"peer": peer, "load": args.load, "rounds": args.rounds, "training": summary}))


if __name__ == "__main__":
    sys.exit(main())
