# SPDX-License-Identifier: MIT
"""The tabular peer: scikit-learn's MLP on the small data sets that ship with
scikit-learn (iris, wine, breast cancer, diabetes), split the same way the
nncl run gets them.

    python tabular_peer.py OUT_DIR            # writes OUT_DIR/<name>_{train,test}.csv
    python tabular_peer.py OUT_DIR --fit      # ... and prints scikit-learn's scores

Each CSV has a header row (the feature names, then "target"); classification
targets are the class names where scikit-learn has them (iris, wine,
breast cancer), so the CSV path with string labels is exercised too.
Scores: test accuracy for classification, R² for regression, for
MLPClassifier/MLPRegressor with their defaults and with a StandardScaler in
front (what a careful user would write), over three seeds.
"""
import csv
import os
import sys
import warnings

import numpy as np
from sklearn import datasets
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

SETS = {
    "iris": (datasets.load_iris, "classification"),
    "wine": (datasets.load_wine, "classification"),
    "breast_cancer": (datasets.load_breast_cancer, "classification"),
    "diabetes": (datasets.load_diabetes, "regression"),
}
SEEDS = (0, 1, 2)


def load(name):
    loader, task = SETS[name]
    bunch = loader()
    x = np.asarray(bunch.data, dtype=np.float64)
    y = np.asarray(bunch.target)
    if name == "diabetes":
        # scikit-learn scales these columns by default; the raw file is what
        # users meet (age in years, sex as 1/2, ...).
        x = datasets.load_diabetes(scaled=False).data
    names = [str(n) for n in getattr(bunch, "feature_names", [f"x{i}" for i in range(x.shape[1])])]
    labels = None
    if task == "classification" and getattr(bunch, "target_names", None) is not None:
        labels = [str(n) for n in bunch.target_names]
    return x, y, names, labels, task


def write_csv(path, x, y, names, labels):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(names + ["target"])
        for row, t in zip(x, y):
            target = labels[int(t)] if labels else (int(t) if float(t).is_integer() else float(t))
            w.writerow([repr(float(v)) for v in row] + [target])


def score(model, task, xtr, ytr, xte, yte):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(xtr, ytr)
    return model.score(xte, yte)  # accuracy, or R² for a regressor


def main():
    out = sys.argv[1]
    fit = "--fit" in sys.argv[2:]
    os.makedirs(out, exist_ok=True)
    for name in SETS:
        x, y, names, labels, task = load(name)
        strat = y if task == "classification" else None
        xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.25, random_state=0, stratify=strat)
        write_csv(os.path.join(out, f"{name}_train.csv"), xtr, ytr, names, labels)
        write_csv(os.path.join(out, f"{name}_test.csv"), xte, yte, names, labels)
        if not fit:
            continue
        make = MLPClassifier if task == "classification" else MLPRegressor
        plain = [score(make(random_state=s), task, xtr, ytr, xte, yte) for s in SEEDS]
        scaled = [score(make_pipeline(StandardScaler(), make(random_state=s)), task, xtr, ytr, xte, yte)
                  for s in SEEDS]
        metric = "accuracy" if task == "classification" else "R2"
        print(f"{name:14s} {metric:8s} sklearn-defaults {np.mean(plain):.4f} "
              f"(min {min(plain):.4f})  sklearn+StandardScaler {np.mean(scaled):.4f} "
              f"(min {min(scaled):.4f})  rows {len(xtr)}/{len(xte)}")


if __name__ == "__main__":
    main()
