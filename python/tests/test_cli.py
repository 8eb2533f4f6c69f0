# SPDX-License-Identifier: MIT
"""Model files shared with the command line, both ways."""
import json
import subprocess

import numpy as np
import pandas as pd
import pytest

import nncl


def run(cli, *args):
    p = subprocess.run([cli, *map(str, args)], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, f"nncl {' '.join(map(str, args))}: {p.stderr}"
    return p.stdout


def last_json(text):
    return json.loads([line for line in text.splitlines() if line.startswith("{")][-1])


@pytest.fixture
def iris_csv(tmp_path, iris):
    X, y, features, names = iris
    df = pd.DataFrame(X, columns=features)
    df["species"] = np.array(names)[y]
    path = tmp_path / "iris.csv"
    df.to_csv(path, index=False)
    return path, df


def parse_predictions(text):
    rows = [line.split() for line in text.strip().splitlines()]
    return [r[0] for r in rows], np.array([[float(v) for v in r[1:]] for r in rows])


def test_cli_model_in_python(ctx, cli, iris_csv, iris, tmp_path):
    path, df = iris_csv
    X, y, features, names = iris
    model_path = tmp_path / "cli.safetensors"
    run(cli, "train", "--data", path, "--epochs", 30, "--seed", 3, "--save", model_path, "--quiet")
    with nncl.Model.load(ctx, model_path) as m:
        assert m.sizes == [4, 100, 3] and m.loss == "softmax-ce"
        assert m.class_names == names and m.feature_names == features and m.target_name == "species"
        assert m.normalization is not None and len(m.history) == 30
        labels, probs = parse_predictions(run(cli, "predict", "--model", model_path, "--input", path))
        ours = m.predict(X)  # arrays are standardised by the model, as the CLI does
        np.testing.assert_allclose(ours, probs, rtol=1e-4, atol=1e-5)
        assert labels == [names[i] for i in ours.argmax(axis=1)]
        cli_eval = last_json(run(cli, "eval", "--model", model_path, "--data", path, "--json"))
        assert m.evaluate(X, y)["accuracy"] == pytest.approx(cli_eval["accuracy"], abs=1e-6)


def test_python_classifier_in_cli(cli, iris_csv, tmp_path):
    path, df = iris_csv
    X = df.drop(columns="species")
    clf = nncl.MLPClassifier(hidden_layer_sizes=(16, 8), learning_rate_init=0.01, max_iter=100,
                             random_state=0).fit(X, df["species"])
    assert list(clf.feature_names_in_) == list(X.columns)
    model_path = tmp_path / "py.safetensors"
    clf.model_.save(model_path)
    # the CSV's columns in another order: the model file's names put them right
    shuffled = tmp_path / "shuffled.csv"
    df[list(reversed(df.columns))].to_csv(shuffled, index=False)
    labels, probs = parse_predictions(run(cli, "predict", "--model", model_path, "--input", shuffled))
    assert labels == list(clf.predict(X))
    np.testing.assert_allclose(probs, clf.predict_proba(X), rtol=1e-4, atol=1e-5)
    summary = last_json(run(cli, "summary", "--model", model_path, "--json"))
    assert [layer["units"] for layer in summary["layers"]] == [16, 8, 3]
    assert summary["classes"] == list(clf.classes_) and summary["epochs"] == clf.n_iter_
    assert last_json(run(cli, "eval", "--model", model_path, "--data", path, "--json"))["accuracy"] == \
        pytest.approx(clf.score(X, df["species"]), abs=1e-6)


def test_python_regressor_in_cli(cli, tmp_path):
    from sklearn.datasets import load_diabetes
    bunch = load_diabetes(as_frame=True, scaled=False)
    df = bunch.frame
    X, y = df.drop(columns="target"), df["target"]
    reg = nncl.MLPRegressor(hidden_layer_sizes=(32,), max_iter=30, random_state=0).fit(X, y)
    model_path = tmp_path / "reg.safetensors"
    reg.model_.save(model_path)
    csv = tmp_path / "diabetes.csv"
    df.to_csv(csv, index=False)
    values = [float(line.split()[0]) for line in run(cli, "predict", "--model", model_path, "--input", csv).split("\n")
              if line.strip()]
    np.testing.assert_allclose(values, reg.predict(X), rtol=1e-4)
    cli_eval = last_json(run(cli, "eval", "--model", model_path, "--data", csv, "--json"))
    assert cli_eval["r2"] == pytest.approx(reg.score(X, y), abs=1e-4)


def test_pickled_estimator_is_a_model_file(iris):
    import pickle
    X, y, _, _ = iris
    clf = nncl.MLPClassifier(hidden_layer_sizes=(4,), max_iter=3, random_state=0).fit(X, y)
    state = clf.__getstate__()
    assert "_model" not in state and state["_model_file"][8:9] == b"{"  # safetensors: u64 header size, JSON
    assert pickle.loads(pickle.dumps(clf)).model_.sizes == [4, 4, 3]
