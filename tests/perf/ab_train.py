#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A/B of nncl training throughput: two builds, or one build under two
environment settings, alternating in one run (`nncl bench --quick
--train-only --json`, a fresh process each time; the order flips every
round), so that a machine whose speed drifts drifts under both. Prints, per
batch size, each arm's median samples/s and the median of the per-round
ratios B/A (a pair ran within seconds of each other, so the paired figure
is the one to trust on a noisy machine).

Usage: tests/perf/ab_train.py ARM_A ARM_B [--batches 128,1024] [--rounds 7]
An arm is a path to an nncl binary, optionally prefixed with environment
assignments and a colon:
  tests/perf/ab_train.py NNCL_ONE_QUEUE=1:build/nncl build/nncl
  tests/perf/ab_train.py /tmp/old/build/nncl build/nncl --batches 128
  tests/perf/ab_train.py "NNCL_GEMM_PARAMS=tm=6 tn=16 vw=8 ku=1 kc=512:build/nncl" \\
      "NNCL_GEMM_PARAMS=tm=6 tn=16 vw=8 ku=1 kc=1024:build/nncl"
(assignments separated by commas; a value may hold spaces, not commas).
"""
import argparse
import json
import os
import statistics
import subprocess


def parse_arm(arm):
    env = dict(os.environ)
    exe = arm
    settings, sep, rest = arm.rpartition(":")
    if sep and "=" in settings.split(",")[0]:
        exe = rest
        for assignment in settings.split(","):
            name, value = assignment.split("=", 1)
            env[name] = value
    return exe, env


def rates(exe, env, batches):
    out = subprocess.run([exe, "bench", "--quick", "--train-only", "--json", "--batches", batches],
                         check=True, capture_output=True, text=True, env=env).stdout
    rows = json.loads(out.strip().splitlines()[-1])["training"]
    return {row["batch"]: row["samples_per_second"] for row in rows}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--batches", default="128,1024")
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args()
    arms = [parse_arm(args.a), parse_arm(args.b)]
    got = [[], []]
    for r in range(args.rounds):
        for i in ((0, 1) if r % 2 == 0 else (1, 0)):
            got[i].append(rates(*arms[i], args.batches))
    for batch in got[0][0]:
        a = [g[batch] for g in got[0]]
        b = [g[batch] for g in got[1]]
        pairs = [y / x for x, y in zip(a, b)]
        print(f"batch {batch:5d}: A {statistics.median(a):9.0f}  B {statistics.median(b):9.0f} samples/s, "
              f"B/A paired median {statistics.median(pairs):.3f} (round by round: "
              f"{', '.join(f'{p:.3f}' for p in pairs)})")


if __name__ == "__main__":
    main()
