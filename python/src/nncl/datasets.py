# SPDX-License-Identifier: MIT
"""Fashion-MNIST as NumPy arrays, read from the IDX files of the Debian
package dataset-fashion-mnist (or any folder holding the four files)."""
import gzip
import os

import numpy as np

DEFAULT_DIR = "/usr/share/datasets/fashion-mnist"
CLASS_NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot")


def _read_idx(path):
    for candidate in (path, path + ".gz"):
        if os.path.exists(candidate):
            opener = gzip.open if candidate.endswith(".gz") else open
            with opener(candidate, "rb") as f:
                data = f.read()
            break
    else:
        raise FileNotFoundError(f"{path}[.gz] not found (apt-get install dataset-fashion-mnist)")
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 8:
        raise ValueError(f"{path}: not an IDX file of unsigned bytes")
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_fashion_mnist(part="train", directory=None):
    """(X, y) of the "train" (60000) or "test" (10000) part: X float32 rows
    of 784 pixels scaled to [0, 1] (as nncl does with images), y int64 0..9."""
    if part not in ("train", "test"):
        raise ValueError(f"part must be 'train' or 'test', got {part!r}")
    d = directory or DEFAULT_DIR
    prefix = "train" if part == "train" else "t10k"
    images = _read_idx(os.path.join(d, f"{prefix}-images-idx3-ubyte"))
    labels = _read_idx(os.path.join(d, f"{prefix}-labels-idx1-ubyte"))
    X = images.reshape(images.shape[0], -1).astype(np.float32) / np.float32(255)
    return X, labels.astype(np.int64)
